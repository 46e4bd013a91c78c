//! Skipping what is already there: a file and an object hold the same bytes when their sizes
//! match and the full-object checksum S3 keeps matches the one recomputed here from the local
//! file. A client-side object's checksum covers its ciphertext, so the local file is encrypted
//! here — never sent — with the object's own data key and IV, which gives the same ciphertext
//! exactly when the plaintext is the same. An upload is skipped only when the object also has
//! the encryption asked for (mode, KMS key, SSE-C key, client-side master and format).
//! Whatever cannot be proven the same is sent again.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use aws_sdk_kms::primitives::Blob;
use aws_sdk_s3::operation::head_object::HeadObjectOutput;
use aws_sdk_s3::types::{ChecksumMode, ServerSideEncryption};
use zeroize::Zeroizing;

use crate::crypto::gcm_stream::TAG_LEN;
use crate::crypto::{Envelope, GcmEncryptor, keywrap};
use crate::error::{Error, Result};
use crate::s3::client_envelope::{InstructionProbe, load_envelope};
use crate::s3::client_master::{ClientMaster, open_envelope};
use crate::s3::encryption::apply_sse_c;
use crate::s3::errors::{from_sdk, status_of};
use crate::s3::{Connection, KeyAccess, ReadOptions, S3Uri, ServerSide};
use crate::transfer::checksum::FullChecksum;
use crate::transfer::download::ObjectVersion;
use crate::transfer::fetch::resolve_readable;
use crate::transfer::write_mode::WriteMode;

/// Bytes read from a local file at a time.
const READ: usize = 1024 * 1024;

/// What an upload asks for, worked out once per tree (a KMS alias resolved to its key ARN).
pub struct Wanted<'a> {
    mode: &'a WriteMode,
    /// The ARN of the KMS key an SSE-KMS or DSSE-KMS upload asks for, when KMS told it.
    kms_arn: Option<String>,
}

impl<'a> Wanted<'a> {
    pub async fn new(conn: &Connection, mode: &'a WriteMode) -> Wanted<'a> {
        let asked = match mode {
            WriteMode::Server(
                ServerSide::SseKms { key_id, .. } | ServerSide::DsseKms { key_id },
            ) => Some(key_id.as_deref().unwrap_or("alias/aws/s3")),
            _ => None,
        };
        let kms_arn = match asked {
            Some(key) => match conn.kms().describe_key().key_id(key).send().await {
                Ok(out) => out.key_metadata.and_then(|m| m.arn),
                Err(err) => {
                    tracing::debug!(%key, error = %from_sdk("KMS DescribeKey", err), "KMS key not resolved; only an exact key id or ARN will match");
                    None
                }
            },
            None => None,
        };
        Self { mode, kms_arn }
    }
}

/// Whether the object at `uri` already holds the bytes of `path` (`size` bytes) with the
/// encryption `wanted` asks for.
pub async fn object_has_file(
    conn: &Connection,
    wanted: &Wanted<'_>,
    uri: &S3Uri,
    path: &Path,
    size: u64,
) -> Result<bool> {
    let Some(head) = head_as_written(conn, wanted.mode, uri).await? else {
        return Ok(false);
    };
    let version = ObjectVersion::from_head(&head);
    let metadata = head
        .metadata()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    // Only an envelope in the metadata (as s3seal writes it) is looked for.
    let envelope = load_envelope(conn, uri, &metadata, InstructionProbe::HintOnly)
        .await?
        .map(|loaded| loaded.envelope);
    match (wanted.mode, envelope) {
        (WriteMode::Server(server_side), None) => {
            if version.size != size || !server_side_matches(wanted, server_side, &head) {
                return Ok(false);
            }
            file_matches(path, &version, None).await
        }
        (
            WriteMode::Client {
                master,
                version: format,
            },
            Some(envelope),
        ) => {
            if envelope.version() != *format || version.size != size + TAG_LEN as u64 {
                return Ok(false);
            }
            let Some(encryptor) = reencryptor(conn, uri, master, &envelope).await? else {
                return Ok(false);
            };
            file_matches(path, &version, Some(encryptor)).await
        }
        _ => Ok(false),
    }
}

/// HEADs the object as the upload would write it: with the upload's SSE-C key, if any.
/// `None` when there is no such object, or it needs another key (or none).
async fn head_as_written(
    conn: &Connection,
    mode: &WriteMode,
    uri: &S3Uri,
) -> Result<Option<HeadObjectOutput>> {
    let request = conn
        .s3()
        .head_object()
        .bucket(&uri.bucket)
        .key(&uri.key)
        .checksum_mode(ChecksumMode::Enabled);
    let request = match mode {
        WriteMode::Server(ServerSide::SseC(key)) => apply_sse_c!(request, key),
        _ => request,
    };
    match request.send().await {
        Ok(head) => Ok(Some(head)),
        // 404: not there; 400: SSE-C, and this upload sends no key; 403: another key.
        Err(err) if matches!(status_of(&err), Some(400 | 403 | 404)) => Ok(None),
        Err(err) => Err(from_sdk("HeadObject", err)),
    }
}

/// Whether the local file at `path` already holds the object's (decrypted) bytes;
/// `instruction` says whether the object may have an instruction file, `listed_size` what the
/// listing gave as the object's size: a file no object of that size can hold is told apart
/// without asking S3 anything.
pub async fn file_has_object(
    conn: &Connection,
    keys: &KeyAccess,
    uri: &S3Uri,
    path: &Path,
    read: &ReadOptions,
    instruction: InstructionProbe,
    listed_size: u64,
) -> Result<bool> {
    let local = match tokio::fs::symlink_metadata(path).await {
        Ok(meta) if meta.is_file() => meta.len(),
        _ => return Ok(false),
    };
    if !could_hold(listed_size, local) {
        return Ok(false);
    }
    let resolved = resolve_readable(conn, keys, uri, read).await?;
    let version = ObjectVersion::from_head(&resolved.head);
    let loaded = load_envelope(conn, uri, &resolved.metadata(), instruction).await?;
    match loaded.map(|loaded| loaded.envelope) {
        None => Ok(local == version.size && file_matches(path, &version, None).await?),
        Some(envelope) => {
            let plain = envelope
                .unencrypted_length()
                .unwrap_or(version.size.saturating_sub(TAG_LEN as u64));
            if local != plain || version.size != plain + TAG_LEN as u64 {
                return Ok(false);
            }
            let opened = open_envelope(conn, keys, uri, envelope, read).await?;
            let encryptor = opened
                .envelope
                .encryptor(&opened.data_key)
                .map_err(|source| crypto(uri, source))?;
            file_matches(path, &version, Some(encryptor)).await
        }
    }
}

/// Whether an object of `stored` bytes can be a file of `local` bytes: the same size
/// (server-side), or a little larger (client-side: a 16-byte GCM tag, or AES-CBC padding of at
/// most 16 bytes in the oldest format). Never smaller.
fn could_hold(stored: u64, local: u64) -> bool {
    stored >= local && stored - local <= 2 * TAG_LEN as u64
}

fn server_side_matches(wanted: &Wanted<'_>, asked: &ServerSide, head: &HeadObjectOutput) -> bool {
    let sse = head.server_side_encryption();
    let kms = |dsse: bool| {
        let mode_ok = if dsse {
            sse.is_some_and(|s| s.as_str() == "aws:kms:dsse")
        } else {
            sse == Some(&ServerSideEncryption::AwsKms)
        };
        mode_ok && kms_key_matches(wanted, asked, head.ssekms_key_id())
    };
    match asked {
        ServerSide::Default => head.sse_customer_algorithm().is_none(),
        ServerSide::SseS3 => sse == Some(&ServerSideEncryption::Aes256),
        ServerSide::SseKms { .. } => kms(false),
        ServerSide::DsseKms { .. } => kms(true),
        // The HEAD that found the object was sent with this very key; an object S3 encrypts
        // with its own keys reports that instead (some servers also echo the SSE-C headers).
        ServerSide::SseC(_) => head.sse_customer_algorithm().is_some() && sse.is_none(),
    }
}

fn kms_key_matches(wanted: &Wanted<'_>, asked: &ServerSide, actual: Option<&str>) -> bool {
    let Some(actual) = actual else {
        return false;
    };
    if wanted.kms_arn.as_deref() == Some(actual) {
        return true;
    }
    let asked = match asked {
        ServerSide::SseKms { key_id, .. } | ServerSide::DsseKms { key_id } => key_id.as_deref(),
        _ => None,
    };
    asked.is_some_and(|k| actual == k || actual.ends_with(&format!(":key/{k}")))
}

/// An encryptor that repeats the object's ciphertext, when `master` (the one this upload
/// asks for) opens the object's data key; `None` when it does not.
async fn reencryptor(
    conn: &Connection,
    uri: &S3Uri,
    master: &ClientMaster,
    envelope: &Envelope,
) -> Result<Option<GcmEncryptor>> {
    let data_key = match master {
        ClientMaster::Raw { key, .. } => match keywrap::open_raw_aes(envelope, key) {
            Ok(data_key) => data_key,
            Err(_) => return Ok(None),
        },
        ClientMaster::Kms { key_id, context } => {
            if keywrap::kms_user_context(envelope) != *context {
                return Ok(None);
            }
            let Ok((blob, full_context)) = keywrap::kms_decrypt_request(envelope) else {
                return Ok(None);
            };
            // Pinned to the key asked for: KMS refuses a data key wrapped by any other.
            let out = conn
                .kms()
                .decrypt()
                .key_id(key_id)
                .ciphertext_blob(Blob::new(blob.to_vec()))
                .set_encryption_context(Some(full_context.clone().into_iter().collect()))
                .send()
                .await;
            let Ok(out) = out else {
                return Ok(None);
            };
            let plaintext = Zeroizing::new(out.plaintext.map(Blob::into_inner).unwrap_or_default());
            keywrap::open_kms(envelope, &plaintext).map_err(|source| crypto(uri, source))?
        }
    };
    envelope
        .encryptor(&data_key)
        .map(Some)
        .map_err(|source| crypto(uri, source))
}

/// Whether the file's bytes (encrypted first, when an encryptor is given, with the tag after
/// them) give the object's full-object checksum. No checksum to compare: not proven.
async fn file_matches(
    path: &Path,
    version: &ObjectVersion,
    encryptor: Option<GcmEncryptor>,
) -> Result<bool> {
    let Some(sum) = version
        .checksum
        .as_ref()
        .and_then(|(name, value)| FullChecksum::new(name, value.clone()))
    else {
        return Ok(false);
    };
    let path: PathBuf = path.to_path_buf();
    tokio::task::spawn_blocking(move || checksum_file(&path, sum, encryptor))
        .await
        .map_err(|e| Error::Internal(format!("a checksum task stopped: {e}")))?
}

fn checksum_file(
    path: &Path,
    mut sum: FullChecksum,
    mut encryptor: Option<GcmEncryptor>,
) -> Result<bool> {
    let mut file = std::fs::File::open(path).map_err(|e| Error::io("cannot read", path, e))?;
    let mut buf = Zeroizing::new(vec![0u8; READ]);
    loop {
        let n = file
            .read(&mut buf)
            .map_err(|e| Error::io("cannot read", path, e))?;
        if n == 0 {
            break;
        }
        let chunk = &mut buf[..n];
        if let Some(encryptor) = encryptor.as_mut() {
            encryptor
                .encrypt_in_place(chunk)
                .map_err(|source| Error::ClientSide {
                    uri: path.display().to_string(),
                    source,
                })?;
        }
        sum.update(chunk);
    }
    if let Some(encryptor) = encryptor {
        sum.update(&encryptor.finalize());
    }
    Ok(sum.verify().is_ok())
}

fn crypto(uri: &S3Uri, source: crate::crypto::CryptoError) -> Error {
    Error::ClientSide {
        uri: uri.to_string(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::Key256;

    #[test]
    fn the_listed_size_alone_tells_a_different_file_apart() {
        // Server-side: the same size; client-side GCM: 16 more; old CBC: up to 16 more.
        assert!(could_hold(100, 100));
        assert!(could_hold(116, 100));
        assert!(could_hold(112, 100));
        assert!(could_hold(0, 0));
        assert!(could_hold(16, 0));
        // An object smaller than the file, or more than a tag and a pad larger, cannot be it.
        assert!(!could_hold(99, 100));
        assert!(!could_hold(133, 100));
        assert!(!could_hold(0, 1));
    }

    fn crc64(bytes: &[u8]) -> String {
        let mut sum = FullChecksum::new("CRC64NVME", String::new()).unwrap();
        sum.update(bytes);
        match sum.verify() {
            Err(mismatch) => mismatch.actual,
            Ok(_) => unreachable!("an empty expectation never matches"),
        }
    }

    #[test]
    fn a_local_file_matches_its_checksum_plain_and_reencrypted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let data: Vec<u8> = (0..3 * READ + 17).map(|i| (i * 7 % 251) as u8).collect();
        std::fs::write(&path, &data).unwrap();

        let sum = FullChecksum::new("CRC64NVME", crc64(&data)).unwrap();
        assert!(checksum_file(&path, sum, None).unwrap());
        let other = FullChecksum::new("CRC64NVME", crc64(b"other")).unwrap();
        assert!(!checksum_file(&path, other, None).unwrap());

        // The object as stored: ciphertext and tag under one key and IV.
        let key = Key256::from_bytes([9; 32]);
        let mut stored = data.clone();
        let mut enc = GcmEncryptor::new(&key, &[3; 12], b"");
        enc.encrypt_in_place(&mut stored).unwrap();
        stored.extend_from_slice(&enc.finalize());
        let expected = crc64(&stored);
        let same = FullChecksum::new("CRC64NVME", expected.clone()).unwrap();
        let again = GcmEncryptor::new(&key, &[3; 12], b"");
        assert!(checksum_file(&path, same, Some(again)).unwrap());
        let fresh_iv = GcmEncryptor::new(&key, &[4; 12], b"");
        let same = FullChecksum::new("CRC64NVME", expected).unwrap();
        assert!(!checksum_file(&path, same, Some(fresh_iv)).unwrap());
    }
}
