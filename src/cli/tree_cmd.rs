//! `put DIR s3://BUCKET/PREFIX/ --recursive` and `get s3://BUCKET/PREFIX/ DIR --recursive`: a
//! folder transfer with one progress line, a summary, the failures listed one per line (or
//! every file's outcome as JSON), and a failing exit status when any file failed.

use std::path::Path;

use serde::Serialize;

use super::args::{EncryptionArgs, GlobalArgs, TreeArgs};
use super::output::{human_size, print_json};
use super::progress_bar::{ProgressBarTask, cancel_on_ctrl_c};
use super::write_mode::write_mode;
use crate::error::{Error, Result};
use crate::progress::CancellationToken;
use crate::s3::in_flight::Concurrency;
use crate::s3::{Connection, KeyAccess, ReadOptions, S3Uri};
use crate::transfer::tree::{
    self, FileResult, Symlinks, TreeCounts, TreeFilter, TreeOptions, TreeProgress, TreeReport,
};

/// Refuses folder flags without `--recursive`, and a folder given to a single-file upload.
pub(super) fn single_file(tree: &TreeArgs, file: &Path, verb: &str) -> Result<()> {
    folder_flags_unused(tree)?;
    if file.is_dir() {
        return Err(Error::InvalidInput(format!(
            "{} is a folder: add --recursive to {verb} every file in it",
            file.display()
        )));
    }
    Ok(())
}

/// Refuses folder flags without `--recursive`, and a prefix given to a single-object download.
pub(super) fn single_object(tree: &TreeArgs, uri: &str) -> Result<()> {
    folder_flags_unused(tree)?;
    if uri.ends_with('/') {
        return Err(Error::InvalidInput(format!(
            "{uri} is a prefix (a folder), not an object: add --recursive to download every object under it"
        )));
    }
    Ok(())
}

fn folder_flags_unused(tree: &TreeArgs) -> Result<()> {
    let used = [
        (!tree.include.is_empty(), "--include"),
        (!tree.exclude.is_empty(), "--exclude"),
        (tree.skip_existing, "--skip-existing"),
        (tree.follow_symlinks, "--follow-symlinks"),
        (tree.json, "--json"),
        (tree.concurrency.is_some(), "--concurrency"),
    ];
    match used.iter().find(|(set, _)| *set) {
        Some((_, flag)) => Err(Error::InvalidInput(format!(
            "{flag} goes with --recursive (a whole folder)"
        ))),
        None => Ok(()),
    }
}

fn options(tree: &TreeArgs) -> Result<TreeOptions> {
    Ok(TreeOptions {
        filter: TreeFilter::new(tree.include.clone(), tree.exclude.clone())?,
        symlinks: if tree.follow_symlinks {
            Symlinks::Follow
        } else {
            Symlinks::Skip
        },
        skip_existing: tree.skip_existing,
        concurrency: Concurrency::fixed_or_adaptive(tree.concurrency.map(usize::from)),
    })
}

/// `put DIR s3://BUCKET/PREFIX/ --recursive [--dry-run]`.
#[allow(
    clippy::too_many_arguments,
    reason = "the put command's arguments, as clap parsed them"
)]
pub(super) async fn put(
    global: &GlobalArgs,
    conn: &Connection,
    keys: &KeyAccess,
    dir: &Path,
    dest: &S3Uri,
    enc: &EncryptionArgs,
    tree: &TreeArgs,
    dry_run: bool,
) -> Result<()> {
    let options = options(tree)?;
    if dry_run {
        let preview = tree::preview_upload(dir, &options).await?;
        let mut what = format!(
            "{} files, {} from {} to {}",
            preview.files,
            human_size(preview.bytes),
            dir.display(),
            S3Uri::new(&dest.bucket, tree::folder_prefix(&dest.key))
        );
        if preview.skipped > 0 {
            what.push_str(&format!("; {} links left out", preview.skipped));
        }
        if preview.problems > 0 {
            what.push_str(&format!("; {} cannot be sent", preview.problems));
        }
        let sample = S3Uri::new(
            &dest.bucket,
            format!("{}file", tree::folder_prefix(&dest.key)),
        );
        return super::bucket_cmd::print_dry_run(conn, &sample, enc, &what).await;
    }
    let mode = write_mode(conn, keys, enc, &dest.bucket).await?;
    let progress = TreeProgress::new();
    let cancel = CancellationToken::new();
    let _ctrl_c = cancel_on_ctrl_c(&cancel);
    let bar = ProgressBarTask::start_tree(&progress, global.quiet || tree.json, "upload");
    let request = tree::TreeUpload {
        root: dir,
        dest,
        mode: &mode,
        options: &options,
    };
    let report = tree::upload_tree(conn, &request, &progress, &cancel).await?;
    drop(bar);
    let what = format!(
        "from {} to {} ({})",
        dir.display(),
        S3Uri::new(&dest.bucket, tree::folder_prefix(&dest.key)),
        mode.describe()
    );
    report_tree(global, tree.json, Direction::Upload, &what, &report)
}

/// `get s3://BUCKET/PREFIX/ DIR --recursive`.
pub(super) async fn get(
    global: &GlobalArgs,
    conn: &Connection,
    keys: &KeyAccess,
    source: &S3Uri,
    dir: &Path,
    read: &ReadOptions,
    tree: &TreeArgs,
) -> Result<()> {
    if tree.follow_symlinks {
        return Err(Error::InvalidInput(
            "--follow-symlinks goes with put (downloads create no links)".to_owned(),
        ));
    }
    let options = options(tree)?;
    let progress = TreeProgress::new();
    let cancel = CancellationToken::new();
    let _ctrl_c = cancel_on_ctrl_c(&cancel);
    let bar = ProgressBarTask::start_tree(&progress, global.quiet || tree.json, "download");
    let request = tree::TreeDownload {
        source,
        root: dir,
        read,
        options: &options,
    };
    let report = tree::download_tree(conn, keys, &request, &progress, &cancel).await?;
    drop(bar);
    let what = format!(
        "from {} to {}",
        S3Uri::new(&source.bucket, tree::folder_prefix(&source.key)),
        dir.display()
    );
    report_tree(global, tree.json, Direction::Download, &what, &report)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    Upload,
    Download,
}

/// The summary (or JSON) on standard output, each failure on standard error, and an error
/// when any file failed.
#[allow(
    clippy::print_stderr,
    reason = "each failed file gets its own line, beside the final error"
)]
fn report_tree(
    global: &GlobalArgs,
    json: bool,
    direction: Direction,
    what: &str,
    report: &TreeReport,
) -> Result<()> {
    let counts = report.counts();
    let verb = match direction {
        Direction::Upload => "upload",
        Direction::Download => "download",
    };
    if json {
        print_json(&JsonReport::new(direction, report, counts))?;
    } else {
        for (file, err) in report.failures() {
            if !matches!(err, Error::Cancelled) {
                eprintln!(
                    "s3seal: failed: {}: {}",
                    file.rel,
                    super::remedy::error_line(err)
                );
            }
        }
        if !global.quiet {
            let mut line = format!(
                "{verb}: {} file{} ({}) {what} in {:.1} s",
                counts.transferred,
                if counts.transferred == 1 { "" } else { "s" },
                human_size(counts.transferred_bytes),
                report.elapsed.as_secs_f64()
            );
            if counts.skipped > 0 {
                line.push_str(&format!("; {} skipped", counts.skipped));
            }
            if counts.failed > 0 {
                line.push_str(&format!("; {} failed", counts.failed));
            }
            println!("{line}");
        }
    }
    report.verdict().map(drop)
}

#[derive(Serialize)]
struct JsonReport<'a> {
    direction: &'static str,
    files: Vec<JsonFile<'a>>,
    summary: JsonSummary,
}

#[derive(Serialize)]
struct JsonSummary {
    files: usize,
    #[serde(flatten)]
    counts: TreeCounts,
    cancelled: bool,
    seconds: f64,
}

#[derive(Serialize)]
struct JsonFile<'a> {
    /// Relative to the folder (and to the prefix), with `/`.
    path: &'a str,
    local: String,
    uri: String,
    size: u64,
    /// uploaded, downloaded, skipped or failed.
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<tree::SkipReason>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    etag: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    checksum_verified: Option<bool>,
}

impl<'a> JsonReport<'a> {
    fn new(direction: Direction, report: &'a TreeReport, counts: TreeCounts) -> Self {
        let files = report
            .files
            .iter()
            .map(|file| {
                let mut row = JsonFile {
                    path: &file.rel,
                    local: file.path.display().to_string(),
                    uri: file.uri.to_string(),
                    size: file.size,
                    status: "failed",
                    reason: None,
                    error: None,
                    etag: None,
                    checksum_verified: None,
                };
                match &file.result {
                    FileResult::Uploaded { etag, .. } => {
                        row.status = "uploaded";
                        row.etag = etag.as_deref();
                    }
                    FileResult::Downloaded {
                        checksum_verified, ..
                    } => {
                        row.status = "downloaded";
                        row.checksum_verified = Some(*checksum_verified);
                    }
                    FileResult::Skipped(reason) => {
                        row.status = "skipped";
                        row.reason = Some(*reason);
                    }
                    FileResult::Failed(err) => row.error = Some(super::remedy::error_line(err)),
                }
                row
            })
            .collect();
        Self {
            direction: match direction {
                Direction::Upload => "upload",
                Direction::Download => "download",
            },
            files,
            summary: JsonSummary {
                files: report.files.len(),
                counts,
                cancelled: report.cancelled,
                seconds: report.elapsed.as_secs_f64(),
            },
        }
    }
}
