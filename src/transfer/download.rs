//! Downloading an object to a file without ever leaving a half-written or unverified file at
//! the destination: bytes go to a temp file beside it, which replaces it only once verified.

use std::path::{Path, PathBuf};

use aws_sdk_s3::types::ChecksumMode;
use tokio::io::AsyncWriteExt as _;

use super::progress::{CancellationToken, Progress, or_cancelled};
use crate::crypto::stream_open::StreamOpener;
use crate::error::{Error, Result};
use crate::s3::client_envelope::OpenedEnvelope;
use crate::s3::encryption::{SseCKey, apply_sse_c};
use crate::s3::errors::{from_sdk, status_of};
use crate::s3::{Connection, S3Uri};

/// Write buffer for the temp file.
const WRITE_BUFFER: usize = 1024 * 1024;

/// A finished download.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DownloadOutcome {
    pub path: PathBuf,
    pub size: u64,
    /// True when S3 sent a full-object checksum and the SDK verified it.
    pub checksum_verified: bool,
}

/// Where a download of `uri` to `dest` lands: into the folder when `dest` is a folder.
pub fn destination_path(uri: &S3Uri, dest: &Path) -> PathBuf {
    if dest.is_dir() {
        let name = uri.key.rsplit('/').next().unwrap_or(&uri.key);
        dest.join(name)
    } else {
        dest.to_path_buf()
    }
}

/// Downloads `uri` to `dest` (replacing an existing file only when the new one is complete
/// and verified). `sse_c` must be the object's key when it is SSE-C.
pub async fn download_file(
    conn: &Connection,
    uri: &S3Uri,
    dest: &Path,
    sse_c: Option<&SseCKey>,
    progress: &Progress,
    cancel: &CancellationToken,
) -> Result<DownloadOutcome> {
    download(conn, uri, dest, sse_c, None, progress, cancel).await
}

/// Downloads a client-side encrypted object and decrypts it as it streams; the file is moved
/// into place only after the GCM tag verified, so no unauthenticated plaintext is released.
pub async fn download_decrypted(
    conn: &Connection,
    uri: &S3Uri,
    dest: &Path,
    sse_c: Option<&SseCKey>,
    opened: &OpenedEnvelope,
    progress: &Progress,
    cancel: &CancellationToken,
) -> Result<DownloadOutcome> {
    let decryptor = opened
        .envelope
        .decryptor(&opened.data_key)
        .map_err(|source| Error::ClientSide {
            uri: uri.to_string(),
            source,
        })?;
    let opener = StreamOpener::new(decryptor);
    download(conn, uri, dest, sse_c, Some(opener), progress, cancel).await
}

#[allow(
    clippy::too_many_arguments,
    reason = "private; the two public entry points name them"
)]
async fn download(
    conn: &Connection,
    uri: &S3Uri,
    dest: &Path,
    sse_c: Option<&SseCKey>,
    opener: Option<StreamOpener>,
    progress: &Progress,
    cancel: &CancellationToken,
) -> Result<DownloadOutcome> {
    uri.require_object()?;
    if sse_c.is_some() {
        conn.ensure_sse_c_allowed()?;
    }
    let dest = destination_path(uri, dest);
    let dir = match dest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let temp = tempfile::Builder::new()
        .prefix(".s3seal-")
        .suffix(".part")
        .tempfile_in(&dir)
        .map_err(|e| Error::io("cannot create a temporary file in", &dir, e))?;

    // The temp file is deleted when `temp` drops: on error, on cancel, or if this future is
    // dropped mid-way. Only the verified path below persists it.
    let outcome = or_cancelled(
        cancel,
        fetch_into(conn, uri, sse_c, opener, temp.path(), &dest, progress),
    )
    .await?;
    let (size, checksum_verified) = outcome;

    if let Ok(existing) = std::fs::metadata(&dest) {
        // Keep the permissions of the file being replaced.
        std::fs::set_permissions(temp.path(), existing.permissions())
            .map_err(|e| Error::io("cannot set permissions on", temp.path(), e))?;
    }
    temp.persist(&dest)
        .map_err(|e| Error::io("cannot move the download into place at", &dest, e.error))?;
    Ok(DownloadOutcome {
        path: dest,
        size,
        checksum_verified,
    })
}

/// Streams the object into `temp`, returning its size and whether a checksum was verified.
async fn fetch_into(
    conn: &Connection,
    uri: &S3Uri,
    sse_c: Option<&SseCKey>,
    mut opener: Option<StreamOpener>,
    temp: &Path,
    dest: &Path,
    progress: &Progress,
) -> Result<(u64, bool)> {
    let mut request = conn
        .s3()
        .get_object()
        .bucket(&uri.bucket)
        .key(&uri.key)
        .checksum_mode(ChecksumMode::Enabled);
    if let Some(key) = sse_c {
        request = apply_sse_c!(request, key);
    }
    let out = request
        .send()
        .await
        .map_err(|err| match (status_of(&err), sse_c) {
            (Some(400), None) => Error::SseCKeyNeeded {
                bucket: uri.bucket.clone(),
                key: uri.key.clone(),
            },
            (Some(403), Some(key)) => Error::SseCWrongKey {
                bucket: uri.bucket.clone(),
                key: uri.key.clone(),
                name: key.name.clone(),
            },
            _ => from_sdk("GetObject", err),
        })?;
    let expected = out.content_length().and_then(|n| u64::try_from(n).ok());
    // The SDK verifies a full-object checksum as the body ends; a composite (multipart)
    // checksum, written `value-N`, cannot be checked from one GET.
    let has_full_checksum = [
        out.checksum_crc32(),
        out.checksum_crc32_c(),
        out.checksum_crc64_nvme(),
        out.checksum_sha1(),
        out.checksum_sha256(),
    ]
    .into_iter()
    .flatten()
    .any(|v| !v.contains('-'));
    progress.set_total(expected.unwrap_or(0));

    let file = tokio::fs::OpenOptions::new()
        .write(true)
        .open(temp)
        .await
        .map_err(|e| Error::io("cannot write", temp, e))?;
    let mut writer = tokio::io::BufWriter::with_capacity(WRITE_BUFFER, file);
    let mut body = out.body;
    let mut written = 0u64;
    let verification = |reason: String| Error::Verification {
        bucket: uri.bucket.clone(),
        key: uri.key.clone(),
        reason,
        dest: dest.to_path_buf(),
    };
    loop {
        match body.try_next().await {
            Ok(Some(chunk)) => {
                let received = chunk.len() as u64;
                match opener.as_mut() {
                    Some(opener) => {
                        let mut buf = Vec::from(chunk);
                        let plain = opener.push(&mut buf).map_err(|source| Error::ClientSide {
                            uri: uri.to_string(),
                            source,
                        })?;
                        writer.write_all(plain).await
                    }
                    None => writer.write_all(&chunk).await,
                }
                .map_err(|e| Error::io("cannot write", temp, e))?;
                written += received;
                progress.add(received);
            }
            Ok(None) => break,
            Err(e) => {
                let message = aws_sdk_s3::error::DisplayErrorContext(&e).to_string();
                return Err(if message.to_ascii_lowercase().contains("checksum") {
                    verification(format!("checksum mismatch: {message}"))
                } else {
                    Error::Connection {
                        operation: "GetObject",
                        message,
                    }
                });
            }
        }
    }
    writer
        .flush()
        .await
        .map_err(|e| Error::io("cannot write", temp, e))?;
    let file = writer.into_inner();
    file.sync_all()
        .await
        .map_err(|e| Error::io("cannot write", temp, e))?;
    if let Some(opener) = opener {
        opener
            .finish()
            .map_err(|e| verification(format!("client-side decryption failed: {e}")))?;
    }
    if let Some(expected) = expected
        && written != expected
    {
        return Err(verification(format!(
            "received {written} bytes, S3 announced {expected}"
        )));
    }
    Ok((written, has_full_checksum))
}
