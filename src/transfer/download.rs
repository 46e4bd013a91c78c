//! Downloading an object to a file without ever leaving a half-written or unverified file at
//! the destination: bytes go to a temp file beside it (fetched by [`super::ranged`], each range
//! written at its offset by [`super::sink`] on blocking threads), which replaces the
//! destination only once the length, the full-object checksum and, for client-side objects,
//! the GCM tag verified.
//!
//! A ranged download of a server-side object writes instead to a partial file the transfer
//! journal owns, recording each range once it is on disk: interrupted (the network, the
//! service, a kill), it is kept, and the same download later fetches only the missing ranges
//! ([`super::download_resume`]).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use aws_sdk_s3::operation::get_object::GetObjectOutput;
use aws_sdk_s3::operation::head_object::HeadObjectOutput;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ChecksumType;

use super::download_resume::{self, DownloadIdentity, DownloadStart, Prepared, Resume};
use super::journal::{DownloadRecord, DownloadState, EntryLock, Journal, RangeDone};
use super::range_log::RangeLog;
use super::ranged::{Continue, DownloadTuning, Fetch, fetch_answered, fetch_into};
use super::sink::{Done, FileSink, SinkError, SinkOutcome};
use super::temp_file::{TempDownload, partial_path};
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
    /// Whether an interrupted download continued (or was discarded to start over).
    pub start: DownloadStart,
}

/// The version of the object to fetch, as HEAD saw it: every GET is pinned to its ETag, and
/// what arrives is checked against its length and checksum.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObjectVersion {
    pub size: u64,
    pub etag: Option<String>,
    /// The version id (`None` in an unversioned bucket).
    pub version_id: Option<String>,
    /// `(algorithm, base64 value)` of a full-object checksum (not a composite one).
    pub checksum: Option<(&'static str, String)>,
}

impl ObjectVersion {
    pub fn from_head(head: &HeadObjectOutput) -> Self {
        Self::from_headers(
            head.content_length(),
            head.e_tag(),
            head.version_id(),
            head.checksum_type(),
            crate::s3::inspect::checksums(head),
        )
    }

    /// The object as a whole GET's answer describes it (asked with its checksum).
    pub fn from_get(answer: &GetObjectOutput) -> Self {
        Self::from_headers(
            answer.content_length(),
            answer.e_tag(),
            answer.version_id(),
            answer.checksum_type(),
            [
                ("CRC64NVME", answer.checksum_crc64_nvme()),
                ("CRC32", answer.checksum_crc32()),
                ("CRC32C", answer.checksum_crc32_c()),
                ("SHA1", answer.checksum_sha1()),
                ("SHA256", answer.checksum_sha256()),
            ],
        )
    }

    fn from_headers(
        length: Option<i64>,
        etag: Option<&str>,
        version_id: Option<&str>,
        checksum_type: Option<&ChecksumType>,
        checksums: [(&'static str, Option<&str>); 5],
    ) -> Self {
        let composite = checksum_type == Some(&ChecksumType::Composite);
        let checksum = checksums
            .into_iter()
            // A composite checksum (of the parts' checksums, written `value-N`) cannot be
            // recomputed from the object's bytes.
            .find_map(|(name, value)| {
                value
                    .filter(|v| !composite && !v.contains('-'))
                    .map(|v| (name, v.to_owned()))
            });
        Self {
            size: length.and_then(|n| u64::try_from(n).ok()).unwrap_or(0),
            etag: etag.map(str::to_owned),
            version_id: version_id.map(str::to_owned),
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
    /// Where a ranged download is recorded so that it can continue if interrupted (none: it
    /// starts over).
    pub journal: Option<&'a Journal>,
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
    let source = Source::Requests(tuning);
    download(conn, request, None, source, progress, cancel).await
}

/// Downloads a small object from a GET already answered with `body` (asked without a HEAD
/// first: the answer's own headers gave `request.version` and the envelope `opened`), with the
/// same guarantees: an unnamed temp file, named only once length, checksum and tag verified.
pub async fn download_answered(
    conn: &Connection,
    request: &DownloadRequest<'_>,
    opened: Option<&OpenedEnvelope>,
    body: ByteStream,
    progress: &Progress,
    cancel: &CancellationToken,
) -> Result<DownloadOutcome> {
    let decryptor = opened.map(|o| decryptor(request, o)).transpose()?;
    let source = Source::Answered(body);
    download(conn, request, decryptor, source, progress, cancel).await
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
    let decryptor = decryptor(request, opened)?;
    let source = Source::Requests(tuning);
    download(conn, request, Some(decryptor), source, progress, cancel).await
}

fn decryptor(request: &DownloadRequest<'_>, opened: &OpenedEnvelope) -> Result<GcmRanges> {
    opened
        .envelope
        .range_decryptor(&opened.data_key)
        .map_err(|source| Error::ClientSide {
            uri: request.uri.to_string(),
            source,
        })
}

/// How the bytes are asked for.
enum Source {
    /// Requests of the download's own: one GET, or ranges in flight, as the tuning says.
    Requests(DownloadTuning),
    /// A GET already answered: one stream.
    Answered(ByteStream),
}

/// Where the bytes go: the partial file a journal entry owns, or an unnamed temp file.
struct Target {
    temp: TempDownload,
    log: RangeLog,
    /// Ranges an interrupted run wrote, to check.
    recorded: Vec<RangeDone>,
    tuning: DownloadTuning,
}

async fn download(
    conn: &Connection,
    request: &DownloadRequest<'_>,
    decryptor: Option<GcmRanges>,
    source: Source,
    progress: &Progress,
    cancel: &CancellationToken,
) -> Result<DownloadOutcome> {
    let uri = request.uri;
    uri.require_object()?;
    if request.sse_c.is_some() {
        conn.ensure_sse_c_allowed()?;
    }
    let dest = destination_path(uri, request.dest);
    let dir = crate::durable::parent_dir(&dest).to_path_buf();
    let version = request.version;
    progress.set_total(version.size);
    let (tuning, answered) = match source {
        Source::Requests(tuning) => (tuning, None),
        Source::Answered(body) => (DownloadTuning::default(), Some(body)),
    };
    let ranged = answered.is_none()
        && tuning.is_ranged(
            version.size,
            version.etag.is_some(),
            FileSink::checksum_needs_one_stream(version.checksum.as_ref()),
        );
    let recorded_dest = download_resume::recorded_path(&dest);
    let prepared = if ranged {
        let identity = DownloadIdentity {
            uri,
            dest: &recorded_dest,
            version,
            sse_c: request.sse_c,
            client_side: decryptor.is_some(),
        };
        download_resume::prepare(conn, request.journal, &identity)?
    } else {
        Prepared {
            start: download_resume::discard_stale(conn, request.journal, uri)?,
            ..Prepared::default()
        }
    };
    let mut start = prepared.start;
    let client_side = decryptor.is_some();
    let target = match prepared.entry {
        Some(entry) => {
            let record = DownloadRecord {
                endpoint: conn.place(),
                bucket: uri.bucket.clone(),
                key: uri.key.clone(),
                version_id: version.version_id.clone(),
                etag: version.etag.clone().unwrap_or_default(),
                size: version.size,
                dest: recorded_dest.clone(),
                started: time::OffsetDateTime::now_utc(),
                state: DownloadState::ClientSide,
            };
            if client_side {
                journalled_client(entry, record, &dir).await?
            } else {
                journalled(entry, record, prepared.resume, request, &dest, tuning).await?
            }
        }
        None => Target {
            temp: TempDownload::create(&dir)
                .map_err(|e| Error::io("cannot create a temporary file in", &dir, e))?,
            log: RangeLog::default(),
            recorded: Vec::new(),
            tuning,
        },
    };
    let Target {
        temp,
        log,
        recorded,
        tuning,
    } = target;
    let file = temp
        .file()
        .try_clone()
        .map_err(|e| Error::io("cannot write", &dir, e))?;
    let mut sink = FileSink::new(file, version.size, version.checksum.clone(), decryptor);
    if log.keeps_ranges() {
        sink = sink.with_range_crcs();
    }
    let sink = Arc::new(sink);
    let done = if recorded.is_empty() {
        Vec::new()
    } else {
        let (done, reused) = reuse(&sink, &log, recorded, version.size, tuning).await?;
        progress.add(reused.bytes_reused());
        start = reused;
        done
    };
    let fetch = Fetch {
        conn,
        uri,
        sse_c: request.sse_c,
        size: version.size,
        etag: version.etag.as_deref(),
    };
    let on_range = log.keeps_ranges().then(|| {
        let log = log.clone();
        Arc::new(move |done: &Done| log.record(done)) as super::ranged::OnRange
    });
    let from = Continue { done, on_range };
    // Stopping early (an error, a cancel) stops every request; an unnamed temp file goes with
    // `temp`, a partial file is kept only for an interruption the journal can continue.
    let fetching = async {
        match answered {
            Some(body) => fetch_answered(&fetch, body, progress, &sink).await,
            None => fetch_into(&fetch, tuning, progress, &sink, from).await,
        }
    };
    let written = match or_cancelled(cancel, fetching).await {
        Ok(written) => written,
        Err(err) if err.is_interruption() && log.keeps_ranges() => {
            // What was written so far is recorded, then the partial file kept for it.
            let flushing = log.clone();
            let _ = tokio::task::spawn_blocking(move || flushing.flush()).await;
            temp.keep();
            return Err(Error::DownloadInterrupted {
                uri: uri.to_string(),
                bytes_done: log.bytes_done(),
                size: version.size,
                source: Box::new(err),
            });
        }
        Err(err) => {
            log.finish().await;
            return Err(err);
        }
    };
    let verification = |reason: String| Error::Verification {
        bucket: uri.bucket.clone(),
        key: uri.key.clone(),
        reason,
        dest: dest.clone(),
    };
    let outcome: SinkOutcome = match written {
        Ok(outcome) if outcome.received == version.size => outcome,
        failed => {
            log.finish().await;
            return Err(match failed {
                Err(SinkError::Io(e)) => Error::io("cannot write into", &dir, e),
                Err(SinkError::Crypto(e)) => {
                    verification(format!("client-side decryption failed: {e}"))
                }
                Err(SinkError::Checksum(mismatch)) => verification(format!(
                    "{} checksum mismatch: S3 has {}, the bytes received give {}",
                    mismatch.name, mismatch.expected, mismatch.actual
                )),
                Err(SinkError::Incomplete { received }) => verification(format!(
                    "received {received} bytes, S3 announced {}",
                    version.size
                )),
                Ok(outcome) => verification(format!(
                    "received {} bytes, S3 announced {}",
                    outcome.received, version.size
                )),
            });
        }
    };

    // Keep the permissions of the file being replaced.
    let permissions = std::fs::metadata(&dest).ok().map(|m| m.permissions());
    let persisted = temp
        .persist(&dest, permissions)
        .map_err(|e| Error::io("cannot move the download into place at", &dest, e));
    log.finish().await;
    persisted?;
    Ok(DownloadOutcome {
        path: dest,
        size: outcome.written,
        checksum_verified: outcome.checksum.is_some(),
        start,
    })
}

/// A server-side download the journal records: into the partial file an interrupted run left
/// (its ranges to check), or a new one.
async fn journalled(
    entry: EntryLock,
    mut record: DownloadRecord,
    resume: Option<Resume>,
    request: &DownloadRequest<'_>,
    dest: &Path,
    tuning: DownloadTuning,
) -> Result<Target> {
    let (partial, fresh, range_size, recorded) = match resume {
        Some(resume) => {
            record.started = resume.started;
            (resume.partial, false, resume.range_size, resume.done)
        }
        None => (
            partial_path(dest, entry.id().as_str()),
            true,
            tuning.range_size(),
            Vec::new(),
        ),
    };
    let temp = TempDownload::partial(&partial, fresh)
        .map_err(|e| Error::io("cannot create a partial file at", &partial, e))?;
    let file = temp
        .file()
        .try_clone()
        .map_err(|e| Error::io("cannot write", &partial, e))?;
    record.state = DownloadState::Ranges {
        sse_c: download_resume::sse_c_read(request.sse_c),
        partial,
        range_size,
        done: recorded.clone(),
    };
    let log = RangeLog::start(entry, record, Some(file)).await;
    Ok(Target {
        temp,
        log,
        recorded,
        // The ranges of the interrupted run, whatever this run's default.
        tuning: DownloadTuning {
            part_size: range_size,
            ..tuning
        },
    })
}

/// A client-side download: recorded only so that, killed, the next run says why it starts over;
/// its bytes go to an unnamed temp file, as no unverified plaintext may have a name.
async fn journalled_client(entry: EntryLock, record: DownloadRecord, dir: &Path) -> Result<Target> {
    let temp = TempDownload::create(dir)
        .map_err(|e| Error::io("cannot create a temporary file in", dir, e))?;
    Ok(Target {
        temp,
        log: RangeLog::start(entry, record, None).await,
        recorded: Vec::new(),
        tuning: DownloadTuning::default(),
    })
}

/// Re-reads the ranges an interrupted run recorded and keeps those that still match their
/// CRC; the journal then lists only those.
async fn reuse(
    sink: &Arc<FileSink>,
    log: &RangeLog,
    recorded: Vec<RangeDone>,
    size: u64,
    tuning: DownloadTuning,
) -> Result<(Vec<Done>, DownloadStart)> {
    let sink = Arc::clone(sink);
    let log = log.clone();
    tokio::task::spawn_blocking(move || {
        let (kept, refetched) =
            download_resume::check_ranges(&recorded, size, tuning.range_size(), |range| {
                sink.reread(range.start, range.len).ok()
            });
        let ranges: Vec<RangeDone> = kept.iter().map(|(range, _)| *range).collect();
        if refetched > 0 {
            log.keep_only(&ranges);
        }
        let start = DownloadStart::Resumed {
            ranges_reused: ranges.len(),
            bytes_reused: ranges.iter().map(|r| r.len).sum(),
            refetched,
        };
        (kept.into_iter().map(|(_, done)| done).collect(), start)
    })
    .await
    .map_err(|e| Error::Internal(format!("checking an interrupted download stopped: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_full_object_checksum_is_kept_to_verify_against() {
        let full = HeadObjectOutput::builder()
            .content_length(42)
            .e_tag("\"abc-3\"")
            .version_id("v1")
            .checksum_crc64_nvme("AAAAAAAAAAA=")
            .checksum_type(ChecksumType::FullObject)
            .build();
        assert_eq!(
            ObjectVersion::from_head(&full),
            ObjectVersion {
                size: 42,
                etag: Some("\"abc-3\"".into()),
                version_id: Some("v1".into()),
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
