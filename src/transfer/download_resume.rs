//! Continuing a ranged download after a crash, a kill or a network failure: the journal's
//! entry for the object is checked against what HEAD sees now (same ETag, version and size),
//! the destination (the same file) and the partial file (still there). What matches is
//! re-read and each range checked against its recorded CRC64NVME before it counts; anything
//! else discards the partial file and starts over, and says why. Client-side downloads never
//! continue: their entry only lets the next run say so.
//!
//! [`super::range_log::RangeLog`] records each range once its bytes are on disk.

use std::path::{Path, PathBuf};

use super::download::ObjectVersion;
use super::journal::{
    Claim, DownloadRecord, DownloadState, EntryId, EntryLock, Journal, RangeDone, SseCRead,
    Transfer,
};
use super::sink::Done;
use crate::error::Result;
use crate::s3::encryption::SseCKey;
use crate::s3::{Connection, S3Uri};

/// How a download began.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum DownloadStart {
    /// Nothing was in flight for this object.
    #[default]
    Fresh,
    /// An interrupted download continued: these ranges were in the partial file, checked, and
    /// not fetched again; `refetched` ranges did not match their record and were.
    Resumed {
        ranges_reused: usize,
        bytes_reused: u64,
        refetched: usize,
    },
    /// An interrupted download of the same object was discarded, and this one started from the
    /// beginning.
    Restarted { reason: DownloadRestart },
}

impl DownloadStart {
    /// Bytes an interrupted run had written that were not fetched again.
    pub fn bytes_reused(&self) -> u64 {
        match self {
            Self::Resumed { bytes_reused, .. } => *bytes_reused,
            _ => 0,
        }
    }

    /// A sentence for a person, or `None` for a fresh download.
    pub fn note(&self) -> Option<String> {
        match self {
            Self::Fresh => None,
            Self::Resumed {
                ranges_reused,
                bytes_reused,
                refetched,
            } => {
                let mut note = format!(
                    "continued an interrupted download: {ranges_reused} range{} ({}) already written were not fetched again",
                    if *ranges_reused == 1 { "" } else { "s" },
                    crate::units::human_size(*bytes_reused)
                );
                if *refetched > 0 {
                    note.push_str(&format!(
                        "; {refetched} range{} no longer matched what was written and {} fetched again",
                        if *refetched == 1 { "" } else { "s" },
                        if *refetched == 1 { "was" } else { "were" }
                    ));
                }
                Some(note)
            }
            Self::Restarted { reason } => Some(format!(
                "an interrupted download of the same object was discarded and this one started from the beginning: {}",
                reason.phrase()
            )),
        }
    }
}

/// Why an interrupted download could not continue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DownloadRestart {
    /// The object on S3 is another version now (ETag, version id or size).
    ObjectChanged,
    /// The interrupted download was going to another file.
    DestinationChanged,
    /// Another SSE-C key was given.
    SseCKeyChanged,
    /// Client-side downloads cannot continue mid-stream without keeping secret cipher state.
    ClientSide,
    /// The partial file is gone, or is not what the download wrote.
    PartialMissing,
}

impl DownloadRestart {
    pub fn phrase(self) -> &'static str {
        match self {
            Self::ObjectChanged => "the object changed on S3 since",
            Self::DestinationChanged => "the interrupted download was going to another file",
            Self::SseCKeyChanged => "another SSE-C key was given",
            Self::ClientSide => {
                "client-side downloads cannot continue mid-stream without keeping secret cipher state on disk"
            }
            Self::PartialMissing => "the partial file it had written is gone or was changed",
        }
    }
}

/// What a new or continued download is.
pub(super) struct DownloadIdentity<'a> {
    pub uri: &'a S3Uri,
    /// The destination file, as [`recorded_path`] writes it.
    pub dest: &'a Path,
    pub version: &'a ObjectVersion,
    pub sse_c: Option<&'a SseCKey>,
    pub client_side: bool,
}

/// An interrupted download to continue from.
pub(super) struct Resume {
    pub partial: PathBuf,
    pub range_size: u64,
    pub done: Vec<RangeDone>,
    pub started: time::OffsetDateTime,
}

/// Where a download starts from.
#[derive(Default)]
pub(super) struct Prepared {
    pub start: DownloadStart,
    /// The claimed journal entry (`None`: no journal, or another run holds it).
    pub entry: Option<EntryLock>,
    pub resume: Option<Resume>,
}

/// The destination as recorded: absolute, so another working directory finds the same file.
pub(super) fn recorded_path(path: &Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    // The folder resolved (symlinks), the name kept: the file itself need not exist yet.
    match (absolute.parent(), absolute.file_name()) {
        (Some(dir), Some(name)) => std::fs::canonicalize(dir)
            .map(|dir| dir.join(name))
            .unwrap_or(absolute),
        _ => absolute,
    }
}

/// Claims the journal entry of a download of `identity.uri` and works out whether an
/// interrupted download continues, is discarded (its partial file removed), or there was none.
pub(super) fn prepare(
    conn: &Connection,
    journal: Option<&Journal>,
    identity: &DownloadIdentity<'_>,
) -> Result<Prepared> {
    let Some(journal) = journal else {
        return Ok(Prepared::default());
    };
    let id = EntryId::for_download(&conn.place(), identity.uri);
    let entry = match journal.claim(&id) {
        Ok(Claim::Held(entry)) => entry,
        Ok(Claim::Busy) => {
            tracing::info!(uri = %identity.uri, "another download of this object is running; this one cannot be resumed if interrupted");
            return Ok(Prepared::default());
        }
        Err(err) => {
            tracing::warn!(error = %err, "transfer journal unavailable; this download cannot be resumed if interrupted");
            return Ok(Prepared::default());
        }
    };
    let record = match entry.read()? {
        Some(Transfer::Download(record)) => record,
        // Ids of uploads and downloads differ: not one of ours.
        Some(Transfer::Upload(_)) | None => {
            return Ok(Prepared {
                entry: Some(entry),
                ..Prepared::default()
            });
        }
    };
    match mismatch(&record, identity) {
        Some(reason) => {
            discard_partial(&record);
            entry.clear()?;
            Ok(Prepared {
                start: DownloadStart::Restarted { reason },
                entry: Some(entry),
                resume: None,
            })
        }
        None => {
            let resume = match record.state {
                DownloadState::Ranges {
                    partial,
                    range_size,
                    done,
                    ..
                } => Some(Resume {
                    partial,
                    range_size,
                    done,
                    started: record.started,
                }),
                DownloadState::ClientSide => None,
            };
            Ok(Prepared {
                start: DownloadStart::Fresh,
                entry: Some(entry),
                resume,
            })
        }
    }
}

/// Before a download of `uri` that is not ranged (the object is small now): an interrupted
/// ranged download recorded for it was of another version, so its partial file and entry go.
pub(super) fn discard_stale(
    conn: &Connection,
    journal: Option<&Journal>,
    uri: &S3Uri,
) -> Result<DownloadStart> {
    let Some(journal) = journal else {
        return Ok(DownloadStart::Fresh);
    };
    let id = EntryId::for_download(&conn.place(), uri);
    // Reading first keeps the common case (nothing recorded) free of any file creation.
    if !matches!(journal.read(&id), Ok(Some(_))) {
        return Ok(DownloadStart::Fresh);
    }
    let Ok(Claim::Held(entry)) = journal.claim(&id) else {
        return Ok(DownloadStart::Fresh);
    };
    match entry.read()? {
        Some(Transfer::Download(record)) => {
            discard_partial(&record);
            entry.remove()?;
            Ok(DownloadStart::Restarted {
                reason: DownloadRestart::ObjectChanged,
            })
        }
        Some(Transfer::Upload(_)) | None => Ok(DownloadStart::Fresh),
    }
}

/// Why the recorded download cannot continue as `identity`.
fn mismatch(record: &DownloadRecord, identity: &DownloadIdentity<'_>) -> Option<DownloadRestart> {
    let version = identity.version;
    if version.etag.as_deref() != Some(record.etag.as_str())
        || version.version_id != record.version_id
        || version.size != record.size
    {
        return Some(DownloadRestart::ObjectChanged);
    }
    if record.dest != identity.dest {
        return Some(DownloadRestart::DestinationChanged);
    }
    let DownloadState::Ranges {
        sse_c,
        partial,
        range_size,
        ..
    } = &record.state
    else {
        return Some(DownloadRestart::ClientSide);
    };
    if identity.client_side {
        return Some(DownloadRestart::ObjectChanged);
    }
    if sse_c.as_ref().map(|k| k.key_md5.as_str()) != identity.sse_c.map(SseCKey::key_md5).as_deref()
    {
        return Some(DownloadRestart::SseCKeyChanged);
    }
    let fits = *range_size > 0 && *range_size % 16 == 0;
    let in_place = partial.parent() == identity.dest.parent()
        && std::fs::symlink_metadata(partial)
            .is_ok_and(|m| m.file_type().is_file() && m.len() <= record.size);
    (!fits || !in_place).then_some(DownloadRestart::PartialMissing)
}

/// Removes a recorded download's partial file (best effort: it may be gone already).
pub(super) fn discard_partial(record: &DownloadRecord) {
    // Only a file of the shape s3seal names them, whatever the entry says.
    let ours = |p: &Path| {
        p.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with(".s3seal-dl-") && n.ends_with(".part"))
    };
    if let Some(partial) = record.partial().filter(|p| ours(p))
        && let Err(err) = crate::durable::remove(partial)
    {
        tracing::warn!(error = %err, file = %partial.display(), "cannot remove the partial file of an interrupted download");
    }
}

/// The recorded ranges that still hold what was recorded: `reread` gives a range's bytes as
/// read back from the partial file now. Returns the ranges kept with their re-read parts, and
/// how many were dropped (to fetch again).
pub(super) fn check_ranges(
    recorded: &[RangeDone],
    size: u64,
    range_size: u64,
    mut reread: impl FnMut(&RangeDone) -> Option<Done>,
) -> (Vec<(RangeDone, Done)>, usize) {
    let mut kept = Vec::new();
    let mut dropped = 0;
    for range in recorded {
        // Only whole ranges of this plan, each once.
        let planned = range.start % range_size.max(1) == 0
            && range.start < size
            && range.len == range_size.min(size - range.start)
            && !kept
                .iter()
                .any(|(k, _): &(RangeDone, Done)| k.start == range.start);
        match planned.then(|| reread(range)).flatten() {
            Some(done) if done.crc64nvme() == Some(range.crc64nvme) => kept.push((*range, done)),
            _ => dropped += 1,
        }
    }
    (kept, dropped)
}

/// The SSE-C key as recorded.
pub(super) fn sse_c_read(key: Option<&SseCKey>) -> Option<SseCRead> {
    key.map(|key| SseCRead {
        key_name: key.name.clone(),
        key_md5: key.key_md5(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transfer::journal::download::tests::sample_download;
    use crate::transfer::sink::FileSink;
    use bytes::Bytes;
    use std::fs::File;
    use std::sync::Arc;

    const RANGE: u64 = 4096;

    /// A sink over `body` cut in ranges of `RANGE`, every range written; returns the ranges as
    /// recorded.
    fn written(path: &Path, body: &[u8], checksum: &str) -> (Arc<FileSink>, Vec<RangeDone>) {
        let file = File::options()
            .create(true)
            .truncate(true)
            .read(true)
            .write(true)
            .open(path)
            .unwrap();
        let sink = Arc::new(
            FileSink::new(
                file,
                body.len() as u64,
                Some(("CRC32C", checksum.to_owned())),
                None,
            )
            .with_range_crcs(),
        );
        let mut recorded = Vec::new();
        for start in (0..body.len()).step_by(RANGE as usize) {
            let end = (start + RANGE as usize).min(body.len());
            let mut part = sink.part(start as u64).unwrap();
            part.write(&[Bytes::copy_from_slice(&body[start..end])])
                .unwrap();
            let done = part.finish();
            recorded.push(RangeDone {
                start: done.start(),
                len: done.len(),
                crc64nvme: done.crc64nvme().unwrap(),
            });
        }
        (sink, recorded)
    }

    fn crc32c(bytes: &[u8]) -> String {
        use base64::Engine as _;
        let crc = crc_fast::checksum(crc_fast::CrcAlgorithm::Crc32Iscsi, bytes) as u32;
        base64::engine::general_purpose::STANDARD.encode(crc.to_be_bytes())
    }

    #[test]
    fn a_corrupted_range_is_dropped_and_the_rest_verify_the_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("partial");
        let body: Vec<u8> = (0..3 * RANGE + 100).map(|i| (i * 31 % 251) as u8).collect();
        let size = body.len() as u64;
        let (_, mut recorded) = written(&path, &body, &crc32c(&body));
        // One byte of the second range flips on disk; a record that is no range of the plan.
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[RANGE as usize + 7] ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        recorded.push(RangeDone {
            start: 5,
            len: 10,
            crc64nvme: 0,
        });

        let file = File::options().read(true).write(true).open(&path).unwrap();
        let sink = Arc::new(
            FileSink::new(file, size, Some(("CRC32C", crc32c(&body))), None).with_range_crcs(),
        );
        let (kept, dropped) =
            check_ranges(&recorded, size, RANGE, |r| sink.reread(r.start, r.len).ok());
        let starts: Vec<u64> = kept.iter().map(|(r, _)| r.start).collect();
        assert_eq!(starts, [0, 2 * RANGE, 3 * RANGE]);
        assert_eq!(dropped, 2);

        // The dropped range fetched again: the kept ranges' CRCs combine with it into S3's.
        let mut again = sink.part(RANGE).unwrap();
        again
            .write(&[Bytes::copy_from_slice(
                &body[RANGE as usize..2 * RANGE as usize],
            )])
            .unwrap();
        let mut done: Vec<Done> = kept.into_iter().map(|(_, d)| d).collect();
        done.push(again.finish());
        let outcome = sink.finish(done).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(outcome.checksum, Some("CRC32C"));
        assert_eq!(std::fs::read(&path).unwrap(), body);
    }

    #[test]
    fn what_makes_a_download_start_over() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("big.bin");
        let partial = dir.path().join(".s3seal-dl-x.part");
        std::fs::write(&partial, b"some").unwrap();
        let mut record = sample_download();
        record.dest = recorded_path(&dest);
        record.state = DownloadState::Ranges {
            sse_c: None,
            partial: partial.clone(),
            range_size: 8 * 1024 * 1024,
            done: Vec::new(),
        };
        let uri = record.source();
        let version = ObjectVersion {
            size: record.size,
            etag: Some(record.etag.clone()),
            version_id: record.version_id.clone(),
            checksum: None,
        };
        let same = || DownloadIdentity {
            uri: &uri,
            dest: &record.dest,
            version: &version,
            sse_c: None,
            client_side: false,
        };
        assert_eq!(mismatch(&record, &same()), None);
        let replaced = ObjectVersion {
            etag: Some("\"other\"".into()),
            ..version.clone()
        };
        let changed = DownloadIdentity {
            version: &replaced,
            ..same()
        };
        assert_eq!(
            mismatch(&record, &changed),
            Some(DownloadRestart::ObjectChanged)
        );
        let elsewhere = recorded_path(&dir.path().join("copy.bin"));
        let moved = DownloadIdentity {
            dest: &elsewhere,
            ..same()
        };
        assert_eq!(
            mismatch(&record, &moved),
            Some(DownloadRestart::DestinationChanged)
        );
        std::fs::remove_file(&partial).unwrap();
        assert_eq!(
            mismatch(&record, &same()),
            Some(DownloadRestart::PartialMissing)
        );
        let client = DownloadRecord {
            state: DownloadState::ClientSide,
            ..record.clone()
        };
        assert_eq!(
            mismatch(
                &client,
                &DownloadIdentity {
                    client_side: true,
                    ..same()
                }
            ),
            Some(DownloadRestart::ClientSide)
        );
    }

    #[test]
    fn notes_say_what_happened() {
        assert_eq!(DownloadStart::Fresh.note(), None);
        let resumed = DownloadStart::Resumed {
            ranges_reused: 3,
            bytes_reused: 24 * 1024 * 1024,
            refetched: 1,
        }
        .note()
        .unwrap();
        assert!(resumed.contains("3 ranges (24.0 MiB)"), "{resumed}");
        assert!(resumed.contains("1 range no longer matched"), "{resumed}");
        let restarted = DownloadStart::Restarted {
            reason: DownloadRestart::ObjectChanged,
        }
        .note()
        .unwrap();
        assert!(
            restarted.contains("the object changed on S3"),
            "{restarted}"
        );
    }
}
