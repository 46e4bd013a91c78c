//! Uploading a folder: the folder walked and filtered, a plan with a row per file, then every
//! file through the single-file upload (any encryption) in one bounded pool.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use super::TreeOptions;
use super::outcome::{FileResult, SkipReason, TreeReport};
use super::pool::{Cost, Pool};
use super::progress::{FileRow, TreeProgress};
use super::remote::folder_prefix;
use super::run::{Planned, carry_out, report};
use super::same::{self, Wanted};
use super::walk::{LocalEntry, LocalKind, walk};
use crate::crypto::gcm_stream::TAG_LEN;
use crate::error::{Error, Result};
use crate::progress::CancellationToken;
use crate::s3::{Connection, S3Uri};
use crate::transfer::journal::Journal;
use crate::transfer::upload::UploadTuning;
use crate::transfer::write_mode::{WriteMode, upload_tuned};

/// Encrypted parts a client-side multipart upload keeps queued beside those in flight.
const CLIENT_QUEUED_PARTS: u64 = 3;

/// What a folder upload would send, before anything is sent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UploadPreview {
    pub files: usize,
    pub bytes: u64,
    /// Symbolic links left out.
    pub skipped: usize,
    /// Entries that cannot be sent (special files, unreadable folders, loops).
    pub problems: usize,
}

/// Walks `root` as an upload with `options` would, sending nothing.
pub async fn preview_upload(root: &Path, options: &TreeOptions) -> Result<UploadPreview> {
    let entries = walk_off_thread(root, options).await?;
    let mut preview = UploadPreview::default();
    for entry in &entries {
        match entry.kind {
            LocalKind::File { size } => {
                preview.files += 1;
                preview.bytes += size;
            }
            LocalKind::Skip(_) => preview.skipped += 1,
            LocalKind::Fail(_) => preview.problems += 1,
        }
    }
    Ok(preview)
}

async fn walk_off_thread(root: &Path, options: &TreeOptions) -> Result<Vec<LocalEntry>> {
    let (root, filter, symlinks) = (root.to_path_buf(), options.filter.clone(), options.symlinks);
    tokio::task::spawn_blocking(move || walk(&root, &filter, symlinks))
        .await
        .map_err(|e| Error::Internal(format!("the folder walk stopped: {e}")))?
}

/// A folder upload: every file under `root` to the prefix `dest` (`dest.key`, with a `/`
/// added when it has none, followed by the file's path relative to `root`, with `/`), written
/// as `mode` says.
pub struct TreeUpload<'a> {
    pub root: &'a Path,
    pub dest: &'a S3Uri,
    pub mode: &'a WriteMode,
    pub options: &'a TreeOptions,
}

/// Carries out `request`. Fails as a whole only when the folder cannot be walked; each file's
/// failure is in the report.
pub async fn upload_tree(
    conn: &Connection,
    request: &TreeUpload<'_>,
    progress: &TreeProgress,
    cancel: &CancellationToken,
) -> Result<TreeReport> {
    let TreeUpload {
        root,
        dest,
        mode,
        options,
    } = *request;
    let started = Instant::now();
    let entries = walk_off_thread(root, options).await?;
    progress.found(entries.len() as u64);
    let prefix = folder_prefix(&dest.key);
    let plan: Vec<Planned> = entries
        .into_iter()
        .map(|entry| {
            let (size, settled) = match entry.kind {
                LocalKind::File { size } => (size, None),
                LocalKind::Skip(reason) => (0, Some(FileResult::Skipped(reason))),
                LocalKind::Fail(err) => (0, Some(FileResult::Failed(Arc::new(err)))),
            };
            Planned {
                uri: S3Uri::new(&dest.bucket, format!("{prefix}{}", entry.rel)),
                rel: entry.rel,
                path: entry.path,
                size,
                settled,
            }
        })
        .collect();
    let wanted = if options.skip_existing {
        Some(Wanted::new(conn, mode).await)
    } else {
        None
    };
    // Multipart uploads are journalled as single-file ones are, so that running the same
    // folder upload again continues an interrupted large file.
    let journal = Journal::default_or_warn();
    let threshold = UploadTuning::default().multipart_threshold;
    let cost = |pool: &Pool, file: &Planned| {
        let large = file.size >= threshold;
        pool.cost(large, |parts| held(mode, file.size, large, parts))
    };
    let results = carry_out(
        &plan,
        Pool::new(options.concurrency, conn.throttles().clone()),
        progress,
        cancel,
        cost,
        |file, row, cost| {
            let target = Target {
                mode,
                journal: journal.as_ref(),
            };
            upload_one(conn, wanted.as_ref(), target, file, row, cost, cancel)
        },
    )
    .await?;
    Ok(report(plan, results, cancel, started))
}

/// Bytes a file's upload keeps in memory: a client-side file is encrypted whole when small,
/// or part by part with a few parts queued when large; server-side files stream from disk.
fn held(mode: &WriteMode, size: u64, large: bool, parts: usize) -> u64 {
    match (mode, large) {
        (WriteMode::Server(_), _) => 0,
        (WriteMode::Client { .. }, false) => size + TAG_LEN as u64,
        (WriteMode::Client { .. }, true) => {
            (parts as u64 + CLIENT_QUEUED_PARTS) * UploadTuning::default().min_part_size
        }
    }
}

/// How each file is written: its encryption, and the journal of its multipart upload.
#[derive(Clone, Copy)]
struct Target<'a> {
    mode: &'a WriteMode,
    journal: Option<&'a Journal>,
}

async fn upload_one(
    conn: &Connection,
    wanted: Option<&Wanted<'_>>,
    target: Target<'_>,
    file: &Planned,
    row: &FileRow,
    cost: Cost,
    cancel: &CancellationToken,
) -> Result<FileResult> {
    if let Some(wanted) = wanted {
        match same::object_has_file(conn, wanted, &file.uri, &file.path, file.size).await {
            Ok(true) => return Ok(FileResult::Skipped(SkipReason::SameContent)),
            Ok(false) => {}
            // Not proven the same: sent again, and a real problem shows in the upload.
            Err(err) => {
                tracing::debug!(uri = %file.uri, error = %err, "could not compare with the object");
            }
        }
    }
    let tuning = UploadTuning {
        concurrency: cost.parts,
        ..UploadTuning::default()
    };
    let outcome = upload_tuned(
        conn,
        &file.path,
        &file.uri,
        target.mode,
        target.journal,
        tuning,
        &row.progress,
        cancel,
    )
    .await?;
    Ok(FileResult::Uploaded {
        etag: outcome.etag,
        parts: outcome.parts,
    })
}
