//! Folders: uploading every file under a local folder to a prefix, and downloading every object
//! under a prefix to a folder, with any encryption a single file can have. A plan (the folder
//! walked, or the prefix listed, then filtered) is carried out by the single-file flows —
//! [`crate::transfer::write_mode::upload_tuned`] and
//! [`crate::transfer::fetch::fetch_object_tuned`], with all their guarantees — in one bounded
//! [`pool`] shared by every file; each file has its own outcome, and one failure stops no other.
//!
//! A front end starts [`upload_tree`] or [`download_tree`] with a [`TreeProgress`], which it
//! reads at any time (one row for the tree, expandable into its files), and gets a
//! [`TreeReport`] at the end. [`preview_upload`] counts what a folder upload would send.

mod download;
mod filter;
mod outcome;
mod pool;
mod progress;
mod remote;
mod run;
mod same;
mod upload;
mod walk;

pub use download::{TreeDownload, download_tree};
pub use filter::TreeFilter;
pub use outcome::{FileOutcome, FileResult, SkipReason, TreeCounts, TreeReport};
pub use pool::MEMORY_BUDGET;
pub use progress::{FileRow, FileState, TreeProgress, TreeSnapshot};
pub use remote::{folder_prefix, local_path};
pub use upload::{TreeUpload, UploadPreview, preview_upload, upload_tree};
pub use walk::Symlinks;

use crate::s3::in_flight::Concurrency;

/// How a folder transfer chooses and moves its files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TreeOptions {
    pub filter: TreeFilter,
    /// Uploads: whether symbolic links are followed.
    pub symlinks: Symlinks,
    /// Leave out files whose destination already has the same bytes (and, for uploads, the
    /// encryption asked for).
    pub skip_existing: bool,
    /// Requests in flight across all files: as many as the link rewards, or fixed.
    pub concurrency: Concurrency,
}

impl Default for TreeOptions {
    fn default() -> Self {
        Self {
            filter: TreeFilter::default(),
            symlinks: Symlinks::default(),
            skip_existing: false,
            concurrency: Concurrency::Adaptive,
        }
    }
}
