//! Recording a resumable download's ranges in its journal entry as they are written: the
//! partial file flushed to disk first, then the entry rewritten, so the journal never claims a
//! range the file may not hold ([`super::download_resume`] checks them again before reuse).

use std::fs::File;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use super::journal::{DownloadRecord, DownloadState, EntryLock, RangeDone, Transfer};
use super::sink::Done;

/// Records a download's ranges in its journal entry as they are written. Without a journal (or
/// once writing it failed) it records nothing, and an interrupted download starts over.
#[derive(Clone, Default)]
pub(crate) struct RangeLog {
    state: Option<Arc<Mutex<LogState>>>,
}

struct LogState {
    entry: EntryLock,
    /// As the journal holds it.
    record: DownloadRecord,
    /// Ranges written and not yet recorded (their record failed).
    pending: Vec<RangeDone>,
    /// The partial file, flushed before a range is recorded (none client-side).
    file: Option<File>,
    failing: bool,
}

impl RangeLog {
    /// Writes `record` to `entry` and tracks it; no tracking when the first write fails.
    pub async fn start(entry: EntryLock, record: DownloadRecord, file: Option<File>) -> Self {
        let started = tokio::task::spawn_blocking(move || {
            match entry.write(&Transfer::Download(record.clone())) {
                Ok(()) => Some(LogState {
                    entry,
                    record,
                    pending: Vec::new(),
                    file,
                    failing: false,
                }),
                Err(err) => {
                    tracing::warn!(error = %err, "cannot record the download in the transfer journal; it cannot be resumed if interrupted");
                    // The entry may still describe an older download: it goes.
                    let _ = entry.remove();
                    None
                }
            }
        })
        .await
        .ok()
        .flatten();
        Self {
            state: started.map(|s| Arc::new(Mutex::new(s))),
        }
    }

    /// Whether the journal holds the ranges of this download (so an interruption keeps them).
    pub fn keeps_ranges(&self) -> bool {
        self.state.as_ref().is_some_and(|state| {
            let state = state.lock().unwrap_or_else(PoisonError::into_inner);
            matches!(state.record.state, DownloadState::Ranges { .. })
        })
    }

    /// Bytes of the ranges recorded.
    pub fn bytes_done(&self) -> u64 {
        self.state.as_ref().map_or(0, |state| {
            state
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .record
                .bytes_done()
        })
    }

    /// Records that `range` is written: the file is flushed to disk, then the entry rewritten
    /// (a range whose record failed is recorded with the next). Blocking.
    pub fn record(&self, range: &Done) {
        let Some(state) = &self.state else {
            return;
        };
        let Some(crc64nvme) = range.crc64nvme() else {
            return;
        };
        let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
        state.pending.push(RangeDone {
            start: range.start(),
            len: range.len(),
            crc64nvme,
        });
        state.flush();
    }

    /// Records the ranges written and not yet recorded (after a failed record). Blocking.
    pub fn flush(&self) {
        if let Some(state) = &self.state {
            state.lock().unwrap_or_else(PoisonError::into_inner).flush();
        }
    }

    /// Replaces the recorded ranges by those still good (after an interrupted run's were
    /// checked). Blocking.
    pub fn keep_only(&self, ranges: &[RangeDone]) {
        let Some(state) = &self.state else {
            return;
        };
        let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
        state
            .record
            .retain_ranges(|r| ranges.iter().any(|k| k == r));
        if let Err(err) = state.entry.write(&Transfer::Download(state.record.clone())) {
            tracing::warn!(error = %err, "cannot update the transfer journal");
        }
    }

    /// The download completed or failed for good: the entry goes.
    pub async fn finish(self) {
        let Some(state) = self.state else {
            return;
        };
        super::journal::release(state, "download").await;
    }
}

impl super::journal::HoldsEntry for LogState {
    fn entry(&self) -> &EntryLock {
        &self.entry
    }

    fn into_entry(self) -> EntryLock {
        self.entry
    }
}

impl LogState {
    fn flush(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let Some(file) = &self.file else {
            return;
        };
        let partial = self.record.partial().unwrap_or_else(|| Path::new("."));
        let written = file
            .sync_data()
            .map_err(|e| crate::error::Error::io("cannot flush", partial, e))
            .and_then(|()| {
                let mut record = self.record.clone();
                for range in &self.pending {
                    record.add_range(*range);
                }
                self.entry.write(&Transfer::Download(record.clone()))?;
                self.record = record;
                Ok(())
            });
        match written {
            Ok(()) => {
                self.pending.clear();
                self.failing = false;
            }
            Err(err) if !self.failing => {
                self.failing = true;
                tracing::warn!(error = %err, "cannot update the transfer journal");
            }
            Err(_) => {}
        }
    }
}
