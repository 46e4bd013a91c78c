//! Downloading an object to a file without ever leaving a half-written or unverified file at
//! the destination: bytes go to a temp file beside it (fetched by [`super::ranged`], each range
//! written at its offset by [`super::sink`] on blocking threads), which replaces the
//! destination only once the length, the full-object checksum and, for client-side objects,
//! the GCM tag verified.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use aws_sdk_s3::operation::head_object::HeadObjectOutput;
use aws_sdk_s3::types::ChecksumType;

use super::ranged::{DownloadTuning, Fetch, fetch_into};
use super::sink::{FileSink, SinkError, SinkOutcome};
use super::temp_file::TempDownload;
use crate::crypto::gcm_ranges::GcmRanges;
use crate::error::{Error, Result};
use crate::progress::{CancellationToken, Progress, or_cancelled};
use crate::s3::client_master::OpenedEnvelope;
use crate::s3::encryption::SseCKey;
use crate::s3::{Connection, S3Uri};

/// A finished download.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DownloadOutcome {
    pub path: PathBuf,
    pub size: u64,
    /// True when S3 keeps a full-object checksum and the bytes received matched it.
    pub checksum_verified: bool,
}

/// The version of the object to fetch, as HEAD saw it: every GET is pinned to its ETag, and
/// what arrives is checked against its length and checksum.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObjectVersion {
    pub size: u64,
    pub etag: Option<String>,
    /// `(algorithm, base64 value)` of a full-object checksum (not a composite one).
    pub checksum: Option<(&'static str, String)>,
}

impl ObjectVersion {
    pub fn from_head(head: &HeadObjectOutput) -> Self {
        let composite = head.checksum_type() == Some(&ChecksumType::Composite);
        let checksum = crate::s3::inspect::checksums(head)
            .into_iter()
            // A composite checksum (of the parts' checksums, written `value-N`) cannot be
            // recomputed from the object's bytes.
            .find_map(|(name, value)| {
                value
                    .filter(|v| !composite && !v.contains('-'))
                    .map(|v| (name, v.to_owned()))
            });
        Self {
            size: head
                .content_length()
                .and_then(|n| u64::try_from(n).ok())
                .unwrap_or(0),
            etag: head.e_tag().map(str::to_owned),
            checksum,
        }
    }
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

/// One download: which object (and version), where to, with which SSE-C key.
pub struct DownloadRequest<'a> {
    pub uri: &'a S3Uri,
    pub dest: &'a Path,
    pub version: &'a ObjectVersion,
    /// The object's key when it is SSE-C.
    pub sse_c: Option<&'a SseCKey>,
}

/// Downloads `request.uri` to `request.dest`, replacing an existing file only when the new one
/// is complete and verified.
pub async fn download_file(
    conn: &Connection,
    request: &DownloadRequest<'_>,
    tuning: DownloadTuning,
    progress: &Progress,
    cancel: &CancellationToken,
) -> Result<DownloadOutcome> {
    download(conn, request, None, tuning, progress, cancel).await
}

/// Downloads a client-side encrypted object and decrypts it as it streams; the file is moved
/// into place only after the GCM tag verified, so no unauthenticated plaintext is released.
pub async fn download_decrypted(
    conn: &Connection,
    request: &DownloadRequest<'_>,
    opened: &OpenedEnvelope,
    tuning: DownloadTuning,
    progress: &Progress,
    cancel: &CancellationToken,
) -> Result<DownloadOutcome> {
    let decryptor = opened
        .envelope
        .range_decryptor(&opened.data_key)
        .map_err(|source| Error::ClientSide {
            uri: request.uri.to_string(),
            source,
        })?;
    download(conn, request, Some(decryptor), tuning, progress, cancel).await
}

async fn download(
    conn: &Connection,
    request: &DownloadRequest<'_>,
    decryptor: Option<GcmRanges>,
    tuning: DownloadTuning,
    progress: &Progress,
    cancel: &CancellationToken,
) -> Result<DownloadOutcome> {
    let uri = request.uri;
    uri.require_object()?;
    if request.sse_c.is_some() {
        conn.ensure_sse_c_allowed()?;
    }
    let dest = destination_path(uri, request.dest);
    let dir = match dest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    // The temp file has no name (Linux) or is deleted when `temp` drops: on error, on cancel,
    // or if this future is dropped mid-way. Only the verified path below gives it its name.
    let temp = TempDownload::create(&dir)
        .map_err(|e| Error::io("cannot create a temporary file in", &dir, e))?;
    let file = temp
        .file()
        .try_clone()
        .map_err(|e| Error::io("cannot write", &dir, e))?;
    let version = request.version;
    progress.set_total(version.size);

    let sink = Arc::new(FileSink::new(
        file,
        version.size,
        version.checksum.clone(),
        decryptor,
    ));
    let fetch = Fetch {
        conn,
        uri,
        sse_c: request.sse_c,
        size: version.size,
        etag: version.etag.as_deref(),
    };
    // Stopping early (an error, a cancel) stops every request; the temp file goes with `temp`.
    let written = or_cancelled(cancel, fetch_into(&fetch, tuning, progress, &sink)).await?;
    let verification = |reason: String| Error::Verification {
        bucket: uri.bucket.clone(),
        key: uri.key.clone(),
        reason,
        dest: dest.clone(),
    };
    let outcome: SinkOutcome = match written {
        Err(SinkError::Io(e)) => return Err(Error::io("cannot write into", &dir, e)),
        Err(SinkError::Crypto(e)) => {
            return Err(verification(format!("client-side decryption failed: {e}")));
        }
        Err(SinkError::Checksum(mismatch)) => {
            return Err(verification(format!(
                "{} checksum mismatch: S3 has {}, the bytes received give {}",
                mismatch.name, mismatch.expected, mismatch.actual
            )));
        }
        Err(SinkError::Incomplete { received }) => {
            return Err(verification(format!(
                "received {received} bytes, S3 announced {}",
                version.size
            )));
        }
        Ok(outcome) => outcome,
    };
    if outcome.received != version.size {
        return Err(verification(format!(
            "received {} bytes, S3 announced {}",
            outcome.received, version.size
        )));
    }

    // Keep the permissions of the file being replaced.
    let permissions = std::fs::metadata(&dest).ok().map(|m| m.permissions());
    temp.persist(&dest, permissions)
        .map_err(|e| Error::io("cannot move the download into place at", &dest, e))?;
    Ok(DownloadOutcome {
        path: dest,
        size: outcome.written,
        checksum_verified: outcome.checksum.is_some(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_full_object_checksum_is_kept_to_verify_against() {
        let full = HeadObjectOutput::builder()
            .content_length(42)
            .e_tag("\"abc-3\"")
            .checksum_crc64_nvme("AAAAAAAAAAA=")
            .checksum_type(ChecksumType::FullObject)
            .build();
        assert_eq!(
            ObjectVersion::from_head(&full),
            ObjectVersion {
                size: 42,
                etag: Some("\"abc-3\"".into()),
                checksum: Some(("CRC64NVME", "AAAAAAAAAAA=".into())),
            }
        );
        // A composite checksum (of the parts' checksums) cannot be recomputed from the bytes.
        let composite = HeadObjectOutput::builder()
            .content_length(42)
            .checksum_crc32("ABCDEF==-3")
            .checksum_type(ChecksumType::Composite)
            .build();
        assert_eq!(ObjectVersion::from_head(&composite).checksum, None);
        let suffixed = HeadObjectOutput::builder()
            .checksum_sha256("c2hhMjU2-2")
            .build();
        assert_eq!(ObjectVersion::from_head(&suffixed).checksum, None);
    }

    #[test]
    fn a_folder_destination_takes_the_key_s_last_name() {
        let dir = tempfile::tempdir().unwrap();
        let uri = S3Uri::new("b", "a/b/photo.jpg");
        assert_eq!(
            destination_path(&uri, dir.path()),
            dir.path().join("photo.jpg")
        );
        let file = dir.path().join("renamed.jpg");
        assert_eq!(destination_path(&uri, &file), file);
    }
}
