//! Client-side encrypted uploads: one AES-GCM stream over the whole file, parts encrypted
//! strictly in order on a blocking thread while earlier parts upload, memory bounded by the
//! channel and the parts in flight.

use std::collections::HashMap;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use aws_sdk_s3::primitives::ByteStream;
use bytes::Bytes;
use futures::{StreamExt as _, TryStreamExt as _};

use super::buffer_pool::BufferPool;
use super::journal::{FileIdentity, Journal, JournalEncryption, PartDone, UploadRecord};
use super::multipart::{
    MultipartGuard, PartPlan, PayloadSigning, UPLOAD_CHECKSUM, UPLOAD_CHECKSUM_TYPE, complete,
    upload_part,
};
use super::resume::{self, Tracker, UploadIdentity};
use super::upload::{UploadOutcome, UploadTuning};
use crate::crypto::gcm_stream::{MAX_PLAINTEXT_LEN, TAG_LEN};
use crate::crypto::keywrap::FormatVersion;
use crate::crypto::{CryptoError, GcmEncryptor};
use crate::error::{Error, Result};
use crate::progress::{CancellationToken, Progress, or_cancelled};
use crate::s3::client_master::{ClientMaster, new_envelope};
use crate::s3::connection::body_timeouts;
use crate::s3::errors::from_sdk;
use crate::s3::{Connection, S3Uri};

/// Encrypted parts waiting for an upload slot. With `concurrency` parts in flight, at most
/// `concurrency + QUEUED_PARTS + 1` parts are in memory at once.
const QUEUED_PARTS: usize = 2;

/// What a client-side upload writes.
pub struct ClientUploadRequest<'a> {
    pub path: &'a Path,
    pub dest: &'a S3Uri,
    pub master: &'a ClientMaster,
    pub version: FormatVersion,
    /// Where multipart uploads in flight are recorded: a client-side upload never continues
    /// (its cipher state is secret and stays in memory), but the next upload to the same
    /// object finds and aborts the one a crash left behind.
    pub journal: Option<&'a Journal>,
}

/// Encrypts `request.path` on this machine and uploads the ciphertext with its envelope in the
/// object's metadata. A failed or cancelled multipart upload is aborted; one left behind by a
/// crash is aborted by the next upload to the same object, which starts from the beginning
/// and says so ([`super::resume::Continuation::Restarted`]).
pub async fn upload_client_side(
    conn: &Connection,
    request: &ClientUploadRequest<'_>,
    tuning: UploadTuning,
    progress: &Progress,
    cancel: &CancellationToken,
) -> Result<UploadOutcome> {
    let dest = request.dest;
    dest.require_object()?;
    let file = tokio::fs::metadata(request.path)
        .await
        .map(|meta| FileIdentity::from_metadata(&meta))
        .map_err(|e| Error::io("cannot read", request.path, e))?;
    let size = file.size;
    let crypto = |source| Error::ClientSide {
        uri: dest.to_string(),
        source,
    };
    if size > MAX_PLAINTEXT_LEN {
        return Err(crypto(CryptoError::TooLong));
    }
    let (mut envelope, data_key) =
        new_envelope(conn, dest, request.master, request.version).await?;
    envelope.set_unencrypted_length(Some(size));
    let encryptor = envelope.encryptor(&data_key).map_err(crypto)?;
    drop(data_key);
    let metadata: HashMap<String, String> = envelope.to_metadata().into_iter().collect();
    let content_type = mime_guess::from_path(request.path)
        .first_or_octet_stream()
        .essence_str()
        .to_owned();
    progress.set_total(size + TAG_LEN as u64);

    if size < tuning.multipart_threshold {
        let continuation = resume::discard_stale(conn, request.journal, dest).await?;
        let path = request.path.to_path_buf();
        let body = tokio::task::spawn_blocking(move || seal_whole_file(&path, encryptor))
            .await
            .map_err(|e| Error::io("cannot encrypt", request.path, std::io::Error::other(e)))??;
        let len = body.len() as u64;
        let put = conn
            .s3()
            .put_object()
            .bucket(&dest.bucket)
            .key(&dest.key)
            .content_type(content_type)
            .set_metadata(Some(metadata))
            .checksum_algorithm(UPLOAD_CHECKSUM)
            .body(ByteStream::from(body));
        // The GCM tag authenticates the ciphertext end to end; the CRC64NVME catches
        // corruption on the way to S3. A SHA-256 signature of the body would add only time.
        let out = or_cancelled(cancel, async {
            put.customize()
                .config_override(body_timeouts(len))
                .disable_payload_signing()
                .send()
                .await
                .map_err(|e| from_sdk("PutObject", e))
        })
        .await?;
        progress.add(len);
        return Ok(UploadOutcome {
            etag: out.e_tag().map(str::to_owned),
            size,
            parts: 1,
            continuation,
        });
    }

    let encryption = JournalEncryption::of_client(request.master, request.version);
    let identity = UploadIdentity {
        source: request.path,
        dest,
        file,
        encryption: encryption.clone(),
        sse_c: None,
    };
    // Never a resume (see the request's `journal`): an upload left behind is aborted here.
    let prepared = resume::prepare(conn, request.journal, &identity).await?;
    let plan = PartPlan::new(size, tuning.min_part_size)?;
    let created = conn
        .s3()
        .create_multipart_upload()
        .bucket(&dest.bucket)
        .key(&dest.key)
        .content_type(content_type)
        .set_metadata(Some(metadata))
        .checksum_algorithm(UPLOAD_CHECKSUM)
        .checksum_type(UPLOAD_CHECKSUM_TYPE)
        .send()
        .await
        .map_err(|e| from_sdk("CreateMultipartUpload", e))?;
    let upload_id = created.upload_id().unwrap_or_default().to_owned();
    let guard = MultipartGuard::new(conn, dest, &upload_id);
    let tracker = Tracker::start(
        prepared.entry,
        UploadRecord {
            endpoint: conn.place(),
            bucket: dest.bucket.clone(),
            key: dest.key.clone(),
            upload_id: upload_id.clone(),
            source: resume::recorded_path(request.path),
            file,
            part_size: plan.part_size,
            encryption,
            started: time::OffsetDateTime::now_utc(),
            parts: Vec::new(),
        },
    )
    .await;
    let expected_parts = plan.parts().count();

    let (tx, rx) = tokio::sync::mpsc::channel::<Result<(i32, Bytes)>>(QUEUED_PARTS);
    let path = request.path.to_path_buf();
    let producer = tokio::task::spawn_blocking(move || seal_parts(&path, plan, encryptor, &tx));
    let sealed = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    let uploaded = or_cancelled(
        cancel,
        sealed
            .map(|item| {
                let upload_id = &upload_id;
                let tracker = &tracker;
                async move {
                    let (number, bytes) = item?;
                    let len = bytes.len() as u64;
                    let part = upload_part(
                        conn,
                        dest,
                        upload_id,
                        number,
                        ByteStream::from(bytes),
                        None,
                        PayloadSigning::ChecksumOnly,
                    )
                    .await?;
                    tracker.part_done(part.clone()).await;
                    progress.add(len);
                    Ok::<PartDone, Error>(part)
                }
            })
            .buffer_unordered(tuning.concurrency.max(1))
            .try_collect::<Vec<_>>(),
    )
    .await;
    // Dropping the receiver (above, on error) stops the producer at its next part.
    let produced = producer.await;
    let parts = match (uploaded, produced) {
        (Ok(parts), Ok(())) if parts.len() == expected_parts => parts,
        (uploaded, produced) => {
            guard.abort().await;
            tracker.finish().await;
            return Err(failure(request.path, expected_parts, uploaded, produced));
        }
    };
    let parts = parts.iter().map(PartDone::completed).collect();
    let result = or_cancelled(cancel, complete(conn, dest, &upload_id, parts, None)).await;
    match result {
        Ok(_) => guard.disarm(),
        Err(_) => guard.abort().await,
    }
    tracker.finish().await;
    Ok(UploadOutcome {
        etag: result?,
        size,
        parts: expected_parts,
        continuation: prepared.continuation,
    })
}

/// Why the parts did not all go up: the upload's error, or the encrypting thread's.
fn failure(
    path: &Path,
    expected_parts: usize,
    uploaded: Result<Vec<PartDone>>,
    produced: std::result::Result<(), tokio::task::JoinError>,
) -> Error {
    match (uploaded, produced) {
        (Err(err), _) => err,
        (Ok(_), Err(join)) => Error::io("cannot encrypt", path, std::io::Error::other(join)),
        (Ok(parts), Ok(())) => Error::io(
            "cannot encrypt",
            path,
            std::io::Error::other(format!(
                "only {} of {expected_parts} parts were produced",
                parts.len()
            )),
        ),
    }
}

/// Reads and encrypts a whole (small) file, tag appended.
fn seal_whole_file(path: &Path, mut encryptor: GcmEncryptor) -> Result<Bytes> {
    let mut body = std::fs::read(path).map_err(|e| Error::io("cannot read", path, e))?;
    encryptor
        .encrypt_in_place(&mut body)
        .map_err(|e| Error::io("cannot encrypt", path, std::io::Error::other(e)))?;
    body.extend_from_slice(&encryptor.finalize());
    Ok(Bytes::from(body))
}

/// Reads the file part by part, in order, encrypting each into the one GCM stream; the last
/// part carries the tag. Stops early if the receiver is gone (upload failed or cancelled).
fn seal_parts(
    path: &PathBuf,
    plan: PartPlan,
    encryptor: GcmEncryptor,
    tx: &tokio::sync::mpsc::Sender<Result<(i32, Bytes)>>,
) {
    let fail = |e: std::io::Error| {
        let _ = tx.blocking_send(Err(Error::io("cannot read", path, e)));
    };
    let mut file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => return fail(e),
    };
    let parts: Vec<_> = plan.parts().collect();
    let last = parts.len().saturating_sub(1);
    let mut encryptor = Some(encryptor);
    let pool = BufferPool::new();
    for (index, (number, _offset, length)) in parts.into_iter().enumerate() {
        let length = usize::try_from(length).unwrap_or(usize::MAX);
        let extra = if index == last { TAG_LEN } else { 0 };
        // Read into spare capacity: no zero-filling of a buffer about to be overwritten.
        let mut buf = pool.take(length + extra);
        match (&mut file).take(length as u64).read_to_end(&mut buf) {
            Ok(n) if n == length => {}
            Ok(n) => {
                return fail(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    format!(
                        "the file shrank while it was being uploaded ({n} of {length} bytes of part {number})"
                    ),
                ));
            }
            Err(e) => return fail(e),
        }
        let Some(enc) = encryptor.as_mut() else {
            return;
        };
        if let Err(e) = enc.encrypt_in_place(&mut buf) {
            return fail(std::io::Error::other(e));
        }
        if index == last
            && let Some(enc) = encryptor.take()
        {
            buf.extend_from_slice(&enc.finalize());
        }
        if tx.blocking_send(Ok((number, pool.bytes(buf)))).is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use aes_gcm::aead::{Aead as _, KeyInit as _, Payload};
    use aes_gcm::{Aes256Gcm, Nonce};

    use super::*;
    use crate::crypto::Key256;
    use crate::crypto::gcm_stream::GcmDecryptor;
    use crate::transfer::multipart::MIN_PART;

    const IV: [u8; 12] = [7; 12];
    const AAD: &[u8] = b"AES/GCM/NoPadding";

    fn file_of(len: usize) -> (tempfile::TempDir, PathBuf, Vec<u8>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plain.bin");
        let data: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
        std::fs::write(&path, &data).unwrap();
        (dir, path, data)
    }

    /// What a one-shot AES-256-GCM (another implementation) makes of the same file.
    fn one_shot(key: &Key256, data: &[u8]) -> Vec<u8> {
        let cipher = Aes256Gcm::new_from_slice(key.expose()).unwrap();
        let payload = Payload {
            msg: data,
            aad: AAD,
        };
        cipher.encrypt(&Nonce::from(IV), payload).unwrap()
    }

    #[test]
    fn parts_sealed_in_order_are_one_gcm_message_with_the_tag_last() {
        let key = Key256::from_bytes([9; 32]);
        // Three parts, the last one short and not a multiple of 16.
        let (_dir, path, data) = file_of(2 * MIN_PART as usize + 1_000_003);
        let plan = PartPlan::new(data.len() as u64, MIN_PART).unwrap();
        let (tx, mut rx) = tokio::sync::mpsc::channel(8);
        let sealing = {
            let (path, key) = (path.clone(), Key256::from_bytes(*key.expose()));
            std::thread::spawn(move || {
                seal_parts(&path, plan, GcmEncryptor::new(&key, &IV, AAD), &tx)
            })
        };
        let mut numbers = Vec::new();
        let mut sealed = Vec::new();
        while let Some(part) = rx.blocking_recv() {
            let (number, bytes) = part.unwrap();
            numbers.push(number);
            sealed.extend_from_slice(&bytes);
        }
        sealing.join().unwrap();
        assert_eq!(numbers, [1, 2, 3]);
        assert_eq!(sealed, one_shot(&key, &data));
        // And the stream decryptor takes it back, tag and all.
        let (body, tag) = sealed.split_at_mut(data.len());
        let mut dec = GcmDecryptor::new(&key, &IV, AAD);
        dec.decrypt_in_place(body).unwrap();
        dec.verify(&<[u8; TAG_LEN]>::try_from(&*tag).unwrap())
            .unwrap();
        assert_eq!(body, &data[..]);
    }

    #[test]
    fn a_file_that_shrinks_while_sealed_is_an_error_not_a_short_object() {
        let key = Key256::from_bytes([3; 32]);
        let (_dir, path, data) = file_of(MIN_PART as usize * 2);
        // Planned for more bytes than the file holds.
        let plan = PartPlan::new(data.len() as u64 + 4096, MIN_PART).unwrap();
        let (tx, mut rx) = tokio::sync::mpsc::channel(8);
        std::thread::spawn(move || seal_parts(&path, plan, GcmEncryptor::new(&key, &IV, AAD), &tx));
        let mut last = None;
        while let Some(part) = rx.blocking_recv() {
            last = Some(part);
        }
        let err = last.unwrap().unwrap_err().to_string();
        assert!(err.contains("shrank"), "{err}");
    }

    #[test]
    fn a_small_file_is_sealed_whole() {
        let key = Key256::from_bytes([5; 32]);
        let (_dir, path, data) = file_of(4_099);
        let sealed = seal_whole_file(&path, GcmEncryptor::new(&key, &IV, AAD)).unwrap();
        assert_eq!(&sealed[..], &one_shot(&key, &data)[..]);
    }
}
