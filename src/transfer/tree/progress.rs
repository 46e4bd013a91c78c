//! Live progress of a folder transfer, readable at any time by a front end: counts and bytes
//! for the whole tree (one progress line, one row), and every file's own state and bytes (the
//! row expanded). Cheap to clone (shared).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use super::outcome::SkipReason;
use crate::error::Error;
use crate::progress::Progress;

/// Where one file stands.
#[derive(Clone, Debug)]
pub enum FileState {
    Queued,
    Running,
    /// Uploaded or downloaded and verified.
    Done,
    Skipped(SkipReason),
    Failed(Arc<Error>),
}

impl FileState {
    pub fn is_finished(&self) -> bool {
        !matches!(self, Self::Queued | Self::Running)
    }
}

/// One file of the tree, as it goes.
#[derive(Debug)]
pub struct FileRow {
    /// Path relative to the folder (key relative to the prefix), `/`-separated.
    pub rel: String,
    pub size: u64,
    /// Bytes of this file moved so far.
    pub progress: Progress,
    state: Mutex<FileState>,
}

impl FileRow {
    pub(super) fn new(rel: String, size: u64, state: FileState) -> Self {
        Self {
            rel,
            size,
            progress: Progress::new(),
            state: Mutex::new(state),
        }
    }

    pub fn state(&self) -> FileState {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub(super) fn set(&self, state: FileState) {
        *self.state.lock().unwrap_or_else(PoisonError::into_inner) = state;
    }

    /// Bytes of this file that count as done for the tree: all of them once it finished.
    fn done_bytes(&self, state: &FileState) -> u64 {
        match state {
            FileState::Queued => 0,
            FileState::Running => self.progress.snapshot().0.min(self.size),
            _ => self.size,
        }
    }
}

/// The whole tree at one instant.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TreeSnapshot {
    /// False while the folder is still being walked or the prefix listed.
    pub planned: bool,
    /// Files found so far (while listing) or in the plan.
    pub files_total: u64,
    /// Files finished, whichever way.
    pub files_done: u64,
    pub files_skipped: u64,
    pub files_failed: u64,
    pub files_running: u64,
    pub bytes_total: u64,
    /// Bytes moved, plus those of finished files (skipped or failed ones included), so that
    /// the tree reaches its total when every file is finished.
    pub bytes_done: u64,
}

/// Shared, live progress of one folder transfer.
#[derive(Clone, Debug, Default)]
pub struct TreeProgress {
    inner: Arc<Shared>,
}

#[derive(Debug, Default)]
struct Shared {
    found: AtomicU64,
    rows: OnceLock<Vec<FileRow>>,
}

impl TreeProgress {
    pub fn new() -> Self {
        Self::default()
    }

    /// Every file of the plan, in path order (empty until the plan is made).
    pub fn files(&self) -> &[FileRow] {
        self.inner.rows.get().map_or(&[], Vec::as_slice)
    }

    /// Counts and bytes for the whole tree. Walks every row: call it a few times a second,
    /// not in a tight loop.
    pub fn snapshot(&self) -> TreeSnapshot {
        let Some(rows) = self.inner.rows.get() else {
            return TreeSnapshot {
                files_total: self.inner.found.load(Ordering::Relaxed),
                ..TreeSnapshot::default()
            };
        };
        let mut snap = TreeSnapshot {
            planned: true,
            files_total: rows.len() as u64,
            ..TreeSnapshot::default()
        };
        for row in rows {
            let state = row.state();
            snap.bytes_total += row.size;
            snap.bytes_done += row.done_bytes(&state);
            match state {
                FileState::Queued => {}
                FileState::Running => snap.files_running += 1,
                FileState::Done => snap.files_done += 1,
                FileState::Skipped(_) => {
                    snap.files_done += 1;
                    snap.files_skipped += 1;
                }
                FileState::Failed(_) => {
                    snap.files_done += 1;
                    snap.files_failed += 1;
                }
            }
        }
        snap
    }

    pub(super) fn found(&self, n: u64) {
        self.inner.found.store(n, Ordering::Relaxed);
    }

    /// Sets the plan once; a second plan is a bug.
    pub(super) fn set_plan(&self, rows: Vec<FileRow>) -> crate::Result<&[FileRow]> {
        self.inner.rows.set(rows).map_err(|_| {
            Error::Internal("a folder transfer's progress was planned twice".to_owned())
        })?;
        Ok(self.files())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tree_adds_up_its_files() {
        let progress = TreeProgress::new();
        progress.found(2);
        assert_eq!(progress.snapshot().files_total, 2);
        assert!(!progress.snapshot().planned);
        let rows = progress
            .set_plan(vec![
                FileRow::new("a".into(), 100, FileState::Queued),
                FileRow::new("b".into(), 50, FileState::Queued),
                FileRow::new(
                    "l".into(),
                    0,
                    FileState::Skipped(SkipReason::SymlinkNotFollowed),
                ),
            ])
            .unwrap();
        rows[0].set(FileState::Running);
        rows[0].progress.add(40);
        let snap = progress.snapshot();
        assert!(snap.planned);
        assert_eq!(
            (snap.files_total, snap.files_done, snap.files_running),
            (3, 1, 1)
        );
        assert_eq!((snap.bytes_done, snap.bytes_total), (40, 150));
        rows[0].progress.add(1000); // e.g. a client-side tag: never more than the file
        rows[1].set(FileState::Failed(Arc::new(Error::Cancelled)));
        let snap = progress.snapshot();
        assert_eq!((snap.bytes_done, snap.files_failed), (150, 1));
        rows[0].set(FileState::Done);
        assert_eq!(progress.snapshot().files_done, 3);
        assert!(progress.set_plan(Vec::new()).is_err());
    }
}
