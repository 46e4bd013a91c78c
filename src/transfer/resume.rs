//! Continuing a multipart upload after a crash, a kill or a reboot: the journal's entry for the
//! destination is checked against the file (same path, size, modification time, inode), the
//! encryption (same mode; for SSE-C the same key, by MD5) and S3 itself (ListParts must hold
//! every part the journal lists, with the same ETag, size and CRC64NVME). What matches is not
//! sent again; anything else aborts the old upload and starts over, and says why.
//!
//! [`Tracker`] records each part as S3 confirms it, durably, so the journal never claims a
//! part S3 does not have.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use super::journal::{
    Claim, EntryLock, FileIdentity, Journal, JournalEncryption, PartDone, Transfer, UploadRecord,
};
use super::multipart::PartPlan;
use crate::error::{Error, Result};
use crate::s3::encryption::SseCKey;
use crate::s3::{Connection, S3Uri, uploads};

/// How an upload began.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Continuation {
    /// Nothing was in flight for this destination.
    Fresh,
    /// An interrupted upload continued: these parts were on S3 already and not sent again.
    Resumed {
        parts_reused: usize,
        bytes_reused: u64,
    },
    /// An interrupted upload to the same destination was aborted, and this one started from
    /// the beginning.
    Restarted { reason: RestartReason },
}

impl Continuation {
    /// A sentence for a person, or `None` for a fresh upload.
    pub fn note(&self) -> Option<String> {
        match self {
            Self::Fresh => None,
            Self::Resumed {
                parts_reused: 0, ..
            } => Some(
                "continued an interrupted upload, but it had not finished any part, so every part is sent"
                    .to_owned(),
            ),
            Self::Resumed {
                parts_reused,
                bytes_reused,
            } => Some(format!(
                "continued an interrupted upload: {parts_reused} part{} ({}) already on S3 were not sent again",
                if *parts_reused == 1 { "" } else { "s" },
                crate::units::human_size(*bytes_reused)
            )),
            Self::Restarted { reason } => Some(format!(
                "an interrupted upload to the same object was discarded and this one started from the beginning: {}",
                reason.phrase()
            )),
        }
    }
}

/// Why an interrupted upload could not continue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RestartReason {
    /// The file is another one, or changed since (size, modification time or inode).
    FileChanged,
    /// Another encryption was asked for.
    EncryptionChanged,
    /// An SSE-C upload can only be finished with the key it started with.
    SseCKeyChanged,
    /// Client-side uploads cannot continue mid-stream without keeping secret cipher state on
    /// disk, so they start over.
    ClientSide,
    /// S3 no longer has the upload (completed, or aborted by a lifecycle rule or another tool).
    UploadGone,
    /// S3 refused to list the parts sent, so they could not be checked.
    CannotCheck,
}

impl RestartReason {
    pub fn phrase(self) -> &'static str {
        match self {
            Self::FileChanged => "the file changed since",
            Self::EncryptionChanged => "another encryption was asked for",
            Self::SseCKeyChanged => {
                "another SSE-C key was given, and an SSE-C upload can only be finished with the key it started with"
            }
            Self::ClientSide => {
                "client-side uploads cannot continue mid-stream without keeping secret cipher state on disk"
            }
            Self::UploadGone => "S3 no longer has the earlier upload",
            Self::CannotCheck => {
                "S3 refused to list the parts already sent, so they could not be checked"
            }
        }
    }
}

/// Where a multipart upload starts from.
pub(super) struct Prepared {
    pub continuation: Continuation,
    /// The upload to continue: its id, part plan and the parts S3 confirmed.
    pub resume: Option<(String, PartPlan, Vec<PartDone>)>,
    /// The claimed journal entry (`None`: no journal).
    pub entry: Option<EntryLock>,
}

/// What a new or continued upload is.
pub(super) struct UploadIdentity<'a> {
    pub source: &'a Path,
    pub dest: &'a S3Uri,
    pub file: FileIdentity,
    pub encryption: JournalEncryption,
    pub sse_c: Option<&'a SseCKey>,
}

/// The source path as recorded: absolute, symlinks resolved, so another working directory
/// still finds the same entry.
pub(super) fn recorded_path(path: &Path) -> PathBuf {
    std::fs::canonicalize(path)
        .or_else(|_| std::path::absolute(path))
        .unwrap_or_else(|_| path.to_path_buf())
}

/// Claims the journal entry of `upload.dest` and works out whether an interrupted upload
/// continues, is discarded (aborted on S3), or there was none.
pub(super) async fn prepare(
    conn: &Connection,
    journal: Option<&Journal>,
    upload: &UploadIdentity<'_>,
) -> Result<Prepared> {
    let fresh = |entry| Prepared {
        continuation: Continuation::Fresh,
        resume: None,
        entry,
    };
    let Some(journal) = journal else {
        return Ok(fresh(None));
    };
    let id = super::journal::EntryId::for_upload(&conn.place(), upload.dest);
    let entry = match journal.claim(&id) {
        Ok(Claim::Held(entry)) => entry,
        Ok(Claim::Busy) => {
            return Err(Error::TransferBusy {
                uri: upload.dest.to_string(),
            });
        }
        Err(err) => {
            tracing::warn!(error = %err, "transfer journal unavailable; this upload cannot be resumed if interrupted");
            return Ok(fresh(None));
        }
    };
    let record = match entry.read()? {
        Some(Transfer::Upload(record)) => record,
        // Ids of uploads and downloads differ: not one of ours.
        Some(Transfer::Download(_)) | None => return Ok(fresh(Some(entry))),
    };
    let restart = |reason| Prepared {
        continuation: Continuation::Restarted { reason },
        resume: None,
        entry: None,
    };
    if let Some(reason) = local_mismatch(&record, upload) {
        discard(conn, &entry, &record).await?;
        return Ok(Prepared {
            entry: Some(entry),
            ..restart(reason)
        });
    }
    let Some(stored) =
        uploads::list_parts(conn, upload.dest, &record.upload_id, upload.sse_c).await?
    else {
        entry.clear()?;
        return Ok(Prepared {
            entry: Some(entry),
            ..restart(RestartReason::UploadGone)
        });
    };
    let confirmed = confirmed_parts(&record.parts, &stored);
    let plan = PartPlan {
        size: record.file.size,
        part_size: record.part_size,
    };
    Ok(Prepared {
        continuation: Continuation::Resumed {
            parts_reused: confirmed.len(),
            bytes_reused: confirmed.iter().map(|p| p.size).sum(),
        },
        resume: Some((record.upload_id.clone(), plan, confirmed)),
        entry: Some(entry),
    })
}

/// Before a single-request upload to `dest`: an interrupted multipart upload recorded for it is
/// of another (larger) file, so it is aborted and its entry removed.
pub(super) async fn discard_stale(
    conn: &Connection,
    journal: Option<&Journal>,
    dest: &S3Uri,
) -> Result<Continuation> {
    let Some(journal) = journal else {
        return Ok(Continuation::Fresh);
    };
    let id = super::journal::EntryId::for_upload(&conn.place(), dest);
    // Reading first keeps the common case (nothing recorded) free of any file creation.
    if !matches!(journal.read(&id), Ok(Some(_))) {
        return Ok(Continuation::Fresh);
    }
    let entry = match journal.claim(&id)? {
        Claim::Held(entry) => entry,
        Claim::Busy => {
            return Err(Error::TransferBusy {
                uri: dest.to_string(),
            });
        }
    };
    match entry.read()? {
        Some(Transfer::Upload(record)) => {
            discard(conn, &entry, &record).await?;
            entry.remove()?;
            Ok(Continuation::Restarted {
                reason: RestartReason::FileChanged,
            })
        }
        Some(Transfer::Download(_)) | None => {
            entry.remove()?;
            Ok(Continuation::Fresh)
        }
    }
}

/// Why the recorded upload cannot continue as `upload`, judged locally.
pub(super) fn local_mismatch(
    record: &UploadRecord,
    upload: &UploadIdentity<'_>,
) -> Option<RestartReason> {
    use JournalEncryption::{Client, SseC};
    match (&record.encryption, &upload.encryption) {
        (Client { .. }, Client { .. }) => return Some(RestartReason::ClientSide),
        (SseC { key_md5: old, .. }, SseC { key_md5: new, .. }) if old != new => {
            return Some(RestartReason::SseCKeyChanged);
        }
        // A renamed SSE-C key is the same key.
        (SseC { .. }, SseC { .. }) => {}
        (old, new) if old != new => return Some(RestartReason::EncryptionChanged),
        _ => {}
    }
    if record.source != recorded_path(upload.source) || record.file != upload.file {
        return Some(RestartReason::FileChanged);
    }
    let plan_fits = PartPlan::new(record.file.size, super::multipart::MIN_PART)
        .is_ok_and(|smallest| record.part_size >= smallest.part_size)
        && record.part_size <= super::multipart::MAX_PART;
    (!plan_fits).then_some(RestartReason::FileChanged)
}

/// The recorded parts S3 holds as recorded (same ETag, size and, when both know it, CRC64NVME).
/// The others are sent again.
pub(super) fn confirmed_parts(
    recorded: &[PartDone],
    stored: &[uploads::StoredPart],
) -> Vec<PartDone> {
    recorded
        .iter()
        .filter(|part| {
            stored.iter().any(|s| {
                s.number == part.number
                    && s.size == part.size
                    && s.etag == part.etag
                    && match (&s.crc64nvme, &part.crc64nvme) {
                        (Some(a), Some(b)) => a == b,
                        _ => true,
                    }
            })
        })
        .cloned()
        .collect()
}

/// Aborts the recorded upload on S3 and clears the entry (keeping the claim). When S3 cannot
/// be reached the error is returned and the entry kept (nothing is left without a record);
/// when S3 refuses (e.g. no permission to abort) that is logged and the upload is left to a
/// lifecycle rule or `uploads abort`, where it shows.
pub(super) async fn discard(
    conn: &Connection,
    entry: &EntryLock,
    record: &UploadRecord,
) -> Result<()> {
    match uploads::abort(conn, &record.dest(), &record.upload_id).await {
        Ok(_) => {}
        Err(err) if err.is_interruption() => return Err(err),
        Err(err) => tracing::warn!(
            error = %err, upload_id = %record.upload_id, dest = %record.dest(),
            "cannot abort the interrupted upload; it stays among the bucket's incomplete uploads"
        ),
    }
    entry.clear()
}

/// Records an upload's progress in its journal entry as parts complete. Without a journal (or
/// once writing it failed) it records nothing, and the upload is aborted if interrupted.
#[derive(Clone)]
pub(super) struct Tracker {
    state: Option<Arc<Mutex<TrackerState>>>,
}

struct TrackerState {
    entry: EntryLock,
    record: UploadRecord,
    failing: bool,
}

impl Tracker {
    /// Writes `record` to `entry` and tracks it; no tracking when there is no entry or the
    /// first write fails.
    pub async fn start(entry: Option<EntryLock>, record: UploadRecord) -> Self {
        let Some(entry) = entry else {
            return Self { state: None };
        };
        let written = tokio::task::spawn_blocking(move || {
            let transfer = Transfer::Upload(record);
            match entry.write(&transfer) {
                Ok(()) => {
                    let Transfer::Upload(record) = transfer else {
                        return None;
                    };
                    Some(TrackerState {
                        entry,
                        record,
                        failing: false,
                    })
                }
                Err(err) => {
                    tracing::warn!(error = %err, "cannot record the upload in the transfer journal; it cannot be resumed if interrupted");
                    None
                }
            }
        })
        .await
        .ok()
        .flatten();
        Self {
            state: written.map(|s| Arc::new(Mutex::new(s))),
        }
    }

    /// Whether the journal holds this upload (so an interrupted upload can continue).
    pub fn is_recorded(&self) -> bool {
        self.state.is_some()
    }

    /// How many parts the journal holds as confirmed.
    pub async fn parts_done(&self) -> usize {
        let Some(state) = self.state.clone() else {
            return 0;
        };
        tokio::task::spawn_blocking(move || {
            state
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .record
                .parts
                .len()
        })
        .await
        .unwrap_or(0)
    }

    /// Records a part S3 confirmed.
    pub async fn part_done(&self, part: PartDone) {
        let Some(state) = self.state.clone() else {
            return;
        };
        let _ = tokio::task::spawn_blocking(move || {
            let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
            state.record.add_part(part);
            let transfer = Transfer::Upload(state.record.clone());
            match state.entry.write(&transfer) {
                Ok(()) => state.failing = false,
                Err(err) if !state.failing => {
                    state.failing = true;
                    tracing::warn!(error = %err, "cannot update the transfer journal");
                }
                Err(_) => {}
            }
        })
        .await;
    }

    /// The upload completed or was aborted: the entry goes.
    pub async fn finish(self) {
        let Some(state) = self.state else {
            return;
        };
        super::journal::release(state, "upload").await;
    }
}

impl super::journal::HoldsEntry for TrackerState {
    fn entry(&self) -> &EntryLock {
        &self.entry
    }

    fn into_entry(self) -> EntryLock {
        self.entry
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transfer::journal::upload::tests::sample_record;
    use crate::transfer::journal::{JournalMaster, PartDone};

    fn part(number: i32, etag: &str, crc: Option<&str>) -> PartDone {
        PartDone {
            number,
            size: 8 * 1024 * 1024,
            etag: etag.into(),
            crc64nvme: crc.map(str::to_owned),
        }
    }

    fn stored(p: &PartDone) -> uploads::StoredPart {
        uploads::StoredPart {
            number: p.number,
            size: p.size,
            etag: p.etag.clone(),
            crc64nvme: p.crc64nvme.clone(),
        }
    }

    #[test]
    fn only_parts_s3_holds_as_recorded_are_reused() {
        let recorded = vec![
            part(1, "a", Some("c1")),
            part(2, "b", Some("c2")),
            part(3, "c", Some("c3")),
            part(4, "d", None),
        ];
        let mut server: Vec<_> = recorded.iter().map(stored).collect();
        server[1].crc64nvme = Some("other".into()); // S3 holds other bytes for part 2
        server.remove(2); // and no part 3
        server[2].crc64nvme = Some("c4".into()); // the journal did not know part 4's CRC
        server.push(stored(&part(5, "e", Some("c5")))); // sent, but not yet recorded
        let confirmed = confirmed_parts(&recorded, &server);
        let numbers: Vec<_> = confirmed.iter().map(|p| p.number).collect();
        assert_eq!(numbers, [1, 4]);
    }

    #[test]
    fn what_makes_an_upload_start_over() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("file.bin");
        std::fs::write(&path, b"x").unwrap();
        let mut record = sample_record();
        record.source = recorded_path(&path);
        let dest = record.dest();
        let same = || UploadIdentity {
            source: &path,
            dest: &dest,
            file: record.file,
            encryption: record.encryption.clone(),
            sse_c: None,
        };
        assert_eq!(local_mismatch(&record, &same()), None);

        // Renamed key, same bytes (same MD5): still the same upload.
        let renamed = UploadIdentity {
            encryption: JournalEncryption::SseC {
                key_name: "renamed".into(),
                key_md5: "md5==".into(),
            },
            ..same()
        };
        assert_eq!(local_mismatch(&record, &renamed), None);
        let other_key = UploadIdentity {
            encryption: JournalEncryption::SseC {
                key_name: "mine".into(),
                key_md5: "other==".into(),
            },
            ..same()
        };
        assert_eq!(
            local_mismatch(&record, &other_key),
            Some(RestartReason::SseCKeyChanged)
        );
        let sse_s3 = UploadIdentity {
            encryption: JournalEncryption::SseS3,
            ..same()
        };
        assert_eq!(
            local_mismatch(&record, &sse_s3),
            Some(RestartReason::EncryptionChanged)
        );
        let mut touched = record.file;
        touched.modified_nanos += 1;
        let changed = UploadIdentity {
            file: touched,
            ..same()
        };
        assert_eq!(
            local_mismatch(&record, &changed),
            Some(RestartReason::FileChanged)
        );
        let other = dir.path().join("other.bin");
        std::fs::write(&other, b"x").unwrap();
        let moved = UploadIdentity {
            source: &other,
            ..same()
        };
        assert_eq!(
            local_mismatch(&record, &moved),
            Some(RestartReason::FileChanged)
        );

        // Client-side never continues.
        let client = JournalEncryption::Client {
            master: JournalMaster::Local {
                key_name: "c".into(),
            },
            format: crate::crypto::FormatVersion::V3,
        };
        let again = UploadIdentity {
            encryption: client.clone(),
            ..same()
        };
        let client_record = UploadRecord {
            encryption: client,
            ..record.clone()
        };
        assert_eq!(
            local_mismatch(&client_record, &again),
            Some(RestartReason::ClientSide)
        );
    }

    #[test]
    fn notes_say_what_happened() {
        assert_eq!(Continuation::Fresh.note(), None);
        let resumed = Continuation::Resumed {
            parts_reused: 3,
            bytes_reused: 24 * 1024 * 1024,
        }
        .note()
        .unwrap();
        assert!(resumed.contains("3 parts (24.0 MiB)"), "{resumed}");
        let restarted = Continuation::Restarted {
            reason: RestartReason::ClientSide,
        }
        .note()
        .unwrap();
        assert!(restarted.contains("from the beginning"), "{restarted}");
        assert!(restarted.contains("client-side"), "{restarted}");
    }
}
