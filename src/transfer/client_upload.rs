//! Client-side encrypted uploads: one AES-GCM stream over the whole file, parts encrypted
//! strictly in order on a blocking thread while earlier parts upload, memory bounded by the
//! channel and the parts in flight.

use std::collections::HashMap;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::CompletedPart;
use bytes::Bytes;
use futures::{StreamExt as _, TryStreamExt as _};

use super::buffer_pool::BufferPool;
use super::multipart::{
    MultipartGuard, PartPlan, PayloadSigning, UPLOAD_CHECKSUM, UPLOAD_CHECKSUM_TYPE, complete,
    upload_part,
};
use super::upload::{UploadOutcome, UploadTuning};
use crate::crypto::gcm_stream::{MAX_PLAINTEXT_LEN, TAG_LEN};
use crate::crypto::keywrap::FormatVersion;
use crate::crypto::{CryptoError, GcmEncryptor};
use crate::error::{Error, Result};
use crate::progress::{CancellationToken, Progress, or_cancelled};
use crate::s3::client_master::{ClientMaster, new_envelope};
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
}

/// Encrypts `request.path` on this machine and uploads the ciphertext with its envelope in the
/// object's metadata. A failed or cancelled multipart upload is aborted.
pub async fn upload_client_side(
    conn: &Connection,
    request: &ClientUploadRequest<'_>,
    tuning: UploadTuning,
    progress: &Progress,
    cancel: &CancellationToken,
) -> Result<UploadOutcome> {
    let dest = request.dest;
    dest.require_object()?;
    let size = tokio::fs::metadata(request.path)
        .await
        .map_err(|e| Error::io("cannot read", request.path, e))?
        .len();
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
        });
    }

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
                    progress.add(len);
                    Ok::<CompletedPart, Error>(part)
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
        (Ok(parts), Ok(())) => {
            guard.abort().await;
            return Err(Error::io(
                "cannot encrypt",
                request.path,
                std::io::Error::other(format!(
                    "only {} of {expected_parts} parts were produced",
                    parts.len()
                )),
            ));
        }
        (Err(err), _) => {
            guard.abort().await;
            return Err(err);
        }
        (Ok(_), Err(join)) => {
            guard.abort().await;
            return Err(Error::io(
                "cannot encrypt",
                request.path,
                std::io::Error::other(join),
            ));
        }
    };
    match or_cancelled(cancel, complete(conn, dest, &upload_id, parts, None)).await {
        Ok(etag) => {
            guard.disarm();
            Ok(UploadOutcome {
                etag,
                size,
                parts: expected_parts,
            })
        }
        Err(err) => {
            guard.abort().await;
            Err(err)
        }
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
