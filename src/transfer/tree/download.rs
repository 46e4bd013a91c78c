//! Downloading a prefix: the objects listed and filtered, a plan with a row per object, then
//! every object through the single-file download (its SSE-C key found, a client-side object
//! decrypted, verified before the file gets its name, nothing partial left) in one bounded
//! pool. An object whose place is taken by a folder, or whose key cannot be a path under the
//! destination, fails on its own.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use super::TreeOptions;
use super::outcome::{FileResult, SkipReason, TreeReport};
use super::pool::{Cost, Pool};
use super::progress::{FileRow, TreeProgress};
use super::remote::list_remote;
use super::run::{Planned, carry_out, report};
use super::same;
use crate::error::{Error, Result};
use crate::progress::CancellationToken;
use crate::s3::client_envelope::InstructionProbe;
use crate::s3::{Connection, KeyAccess, ReadOptions, S3Uri};
use crate::transfer::fetch::{FetchHow, Listed, fetch_listed};
use crate::transfer::journal::Journal;
use crate::transfer::ranged::DownloadTuning;

/// A folder download: every object under `source` (a prefix) into the folder `root`, each to
/// its key's path relative to the prefix.
pub struct TreeDownload<'a> {
    pub source: &'a S3Uri,
    pub root: &'a Path,
    /// Which local keys may open the objects, and what they must satisfy.
    pub read: &'a ReadOptions,
    pub options: &'a TreeOptions,
}

/// Carries out `request`. Fails as a whole only when the folder cannot be made or the prefix
/// cannot be listed; each file's failure is in the report.
pub async fn download_tree(
    conn: &Connection,
    keys: &KeyAccess,
    request: &TreeDownload<'_>,
    progress: &TreeProgress,
    cancel: &CancellationToken,
) -> Result<TreeReport> {
    let TreeDownload {
        source,
        root,
        read,
        options,
    } = *request;
    let started = Instant::now();
    tokio::fs::create_dir_all(root)
        .await
        .map_err(|e| Error::io("cannot create the folder", root, e))?;
    let entries = list_remote(conn, source, root, &options.filter).await?;
    progress.found(entries.len() as u64);
    // The listing tells which objects have an instruction file: nothing to ask per object.
    let with_instruction: HashSet<S3Uri> = entries
        .iter()
        .filter(|e| e.instruction_file)
        .map(|e| e.uri.clone())
        .collect();
    let etags: HashMap<S3Uri, String> = entries
        .iter()
        .filter_map(|e| Some((e.uri.clone(), e.etag.clone()?)))
        .collect();
    let plan: Vec<Planned> = entries
        .into_iter()
        .map(|entry| {
            let (path, settled) = match entry.path {
                Ok(path) => (path, None),
                Err(err) => (root.to_path_buf(), Some(FileResult::Failed(Arc::new(err)))),
            };
            Planned {
                rel: entry.rel,
                path,
                uri: entry.uri,
                size: entry.size,
                settled,
            }
        })
        .collect();
    // Folders made and destinations checked in one go, off the async workers, before anything
    // is fetched.
    let plan = tokio::task::spawn_blocking(move || prepare(plan))
        .await
        .map_err(|e| Error::Internal(format!("a folder task stopped: {e}")))?;
    let default = DownloadTuning::default();
    let cost = |pool: &Pool, file: &Planned| {
        let large = file.size >= default.ranged_threshold;
        pool.cost(large, |parts| {
            let most = DownloadTuning {
                concurrency: parts,
                ..default
            }
            .memory();
            // A small object's GET holds no more than the object.
            if large { most } else { most.min(file.size) }
        })
    };
    let context = Context {
        conn,
        keys,
        read,
        with_instruction,
        etags,
        skip_existing: options.skip_existing,
        journal: Journal::default_or_warn(),
        cancel,
    };
    let results = carry_out(
        &plan,
        Pool::new(options.concurrency, conn.throttles().clone()),
        progress,
        cancel,
        cost,
        |file, row, cost| context.download_one(file, row, cost),
    )
    .await?;
    Ok(report(plan, results, cancel, started))
}

/// What every file of one folder download shares.
struct Context<'a> {
    conn: &'a Connection,
    keys: &'a KeyAccess,
    read: &'a ReadOptions,
    /// Objects whose instruction file the listing holds.
    with_instruction: HashSet<S3Uri>,
    /// The ETags the listing gave.
    etags: HashMap<S3Uri, String>,
    skip_existing: bool,
    /// Where large files record their ranges, looked up once for the whole folder.
    journal: Option<Journal>,
    cancel: &'a CancellationToken,
}

impl Context<'_> {
    async fn download_one(&self, file: &Planned, row: &FileRow, cost: Cost) -> Result<FileResult> {
        let Self {
            conn,
            keys,
            read,
            with_instruction,
            etags,
            skip_existing,
            journal,
            cancel,
        } = self;
        let instruction = InstructionProbe::Listed(with_instruction.contains(&file.uri));
        let path = &file.path;
        if *skip_existing {
            let same =
                same::file_has_object(conn, keys, &file.uri, path, read, instruction, file.size);
            match same.await {
                Ok(true) => return Ok(FileResult::Skipped(SkipReason::SameContent)),
                Ok(false) => {}
                Err(err) => {
                    tracing::debug!(uri = %file.uri, error = %err, "could not compare with the file");
                }
            }
        }
        let how = FetchHow {
            tuning: DownloadTuning {
                concurrency: cost.parts,
                ..DownloadTuning::default()
            },
            instruction,
            journal: journal.clone(),
        };
        let listed = etags.get(&file.uri).map(|etag| Listed {
            size: file.size,
            etag,
        });
        let fetched = fetch_listed(
            conn,
            keys,
            &file.uri,
            path,
            read,
            &how,
            listed,
            &row.progress,
            cancel,
        )
        .await?;
        Ok(FileResult::Downloaded {
            checksum_verified: fetched.outcome.checksum_verified,
            sse_c_key: fetched.sse_c_key,
            client_key: fetched.client_key,
        })
    }
}

/// Makes the folders the files go in (each once) and fails, before anything is fetched, a file
/// whose place is taken by a folder or whose folder cannot be made.
fn prepare(mut plan: Vec<Planned>) -> Vec<Planned> {
    let mut made: HashSet<PathBuf> = HashSet::new();
    for file in plan.iter_mut().filter(|f| f.settled.is_none()) {
        if let Err(err) = prepare_one(&file.path, &mut made) {
            file.settled = Some(FileResult::Failed(Arc::new(err)));
        }
    }
    plan
}

fn prepare_one(path: &Path, made: &mut HashSet<PathBuf>) -> Result<()> {
    if std::fs::symlink_metadata(path).is_ok_and(|meta| meta.is_dir()) {
        return Err(Error::io(
            "cannot put a file where there is a folder:",
            path,
            std::io::Error::from(std::io::ErrorKind::IsADirectory),
        ));
    }
    match path.parent() {
        Some(parent) if !made.contains(parent) => {
            std::fs::create_dir_all(parent)
                .map_err(|e| Error::io("cannot create the folder", parent, e))?;
            made.insert(parent.to_path_buf());
            Ok(())
        }
        _ => Ok(()),
    }
}
