//! What happened to each file of a folder transfer, and the report of the whole transfer.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use crate::error::Error;
use crate::s3::S3Uri;
use crate::s3::client_master::Opener;

/// Why a file was left out on purpose.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SkipReason {
    /// The destination already holds the same bytes (same size, same checksum) with the
    /// encryption asked for: nothing was sent.
    SameContent,
    /// A symbolic link, not followed.
    SymlinkNotFollowed,
}

impl SkipReason {
    /// In words, for any front end.
    pub fn describe(self) -> &'static str {
        match self {
            Self::SameContent => "already there with the same content and encryption",
            Self::SymlinkNotFollowed => "a symbolic link, not followed",
        }
    }
}

/// How one file ended.
#[derive(Clone, Debug)]
pub enum FileResult {
    Uploaded {
        etag: Option<String>,
        parts: usize,
    },
    Downloaded {
        /// S3 kept a full-object checksum and the bytes matched it.
        checksum_verified: bool,
        /// The SSE-C key used, by local name.
        sse_c_key: Option<String>,
        /// Client-side: what opened the data key.
        client_key: Option<Opener>,
    },
    Skipped(SkipReason),
    /// Shared with the live progress row that showed it.
    Failed(Arc<Error>),
}

/// One file of the transfer.
#[derive(Clone, Debug)]
pub struct FileOutcome {
    /// Path relative to the folder (and key relative to the prefix), `/`-separated.
    pub rel: String,
    pub path: PathBuf,
    pub uri: S3Uri,
    /// Bytes of the file (uploads) or stored in S3 (downloads).
    pub size: u64,
    pub result: FileResult,
}

/// Files by how they ended.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TreeCounts {
    pub transferred: usize,
    pub transferred_bytes: u64,
    pub skipped: usize,
    pub failed: usize,
}

/// A finished folder transfer: every file's outcome, in path order.
#[derive(Clone, Debug)]
pub struct TreeReport {
    pub files: Vec<FileOutcome>,
    /// The transfer was cancelled: files not finished by then are failures (`Cancelled`).
    pub cancelled: bool,
    pub elapsed: Duration,
}

impl TreeReport {
    pub fn counts(&self) -> TreeCounts {
        let mut counts = TreeCounts::default();
        for file in &self.files {
            match file.result {
                FileResult::Uploaded { .. } | FileResult::Downloaded { .. } => {
                    counts.transferred += 1;
                    counts.transferred_bytes += file.size;
                }
                FileResult::Skipped(_) => counts.skipped += 1,
                FileResult::Failed(_) => counts.failed += 1,
            }
        }
        counts
    }

    /// The files that failed, in path order.
    pub fn failures(&self) -> impl Iterator<Item = (&FileOutcome, &Error)> {
        self.files.iter().filter_map(|f| match &f.result {
            FileResult::Failed(err) => Some((f, err.as_ref())),
            _ => None,
        })
    }

    /// The verdict on the whole transfer, for every front end: cancelled, or some files failed
    /// (each listed in the report), or done.
    pub fn verdict(&self) -> crate::Result<TreeCounts> {
        let counts = self.counts();
        if self.cancelled {
            return Err(Error::Cancelled);
        }
        if counts.failed > 0 {
            return Err(Error::FilesFailed {
                failed: counts.failed,
                total: self.files.len(),
            });
        }
        Ok(counts)
    }

    /// True when no file failed and nothing was cancelled.
    pub fn succeeded(&self) -> bool {
        !self.cancelled && self.failures().next().is_none()
    }
}
