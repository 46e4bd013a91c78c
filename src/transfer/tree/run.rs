//! Carrying out a plan, for uploads and downloads alike: a row per file in the live progress,
//! the files that are still to do run in the pool (a cancelled transfer starts no more), each
//! ending in its own outcome, and the report in path order.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use super::outcome::{FileOutcome, FileResult, TreeReport};
use super::pool::{Cost, Pool};
use super::progress::{FileRow, FileState, TreeProgress};
use crate::error::{Error, Result};
use crate::progress::CancellationToken;
use crate::s3::S3Uri;

/// One file of a plan.
pub struct Planned {
    /// Path relative to the folder (key relative to the prefix), `/`-separated.
    pub rel: String,
    pub path: PathBuf,
    pub uri: S3Uri,
    pub size: u64,
    /// Already decided while planning (a link left out, a name that cannot be used).
    pub settled: Option<FileResult>,
}

/// Runs `work` on every unsettled file of `plan` in a pool of `slots`, `cost` saying what each
/// file takes from it; one result per file of the plan, in its order.
pub async fn carry_out<'p, C, W, Fut>(
    plan: &'p [Planned],
    slots: usize,
    progress: &'p TreeProgress,
    cancel: &CancellationToken,
    cost: C,
    work: W,
) -> Result<Vec<FileResult>>
where
    C: Fn(&Pool, &Planned) -> Cost,
    W: Fn(&'p Planned, &'p FileRow, Cost) -> Fut,
    Fut: Future<Output = Result<FileResult>>,
{
    let rows = progress.set_plan(
        plan.iter()
            .map(|file| {
                let row = FileRow::new(file.rel.clone(), file.size, FileState::Queued);
                if let Some(result) = &file.settled {
                    finish(&row, Ok(result.clone()));
                }
                row
            })
            .collect(),
    )?;
    let pool = Pool::new(slots);
    let jobs: Vec<(Cost, usize)> = plan
        .iter()
        .enumerate()
        .filter(|(_, file)| file.settled.is_none())
        .map(|(index, file)| (cost(&pool, file), index))
        .collect();
    let indices: Vec<usize> = jobs.iter().map(|(_, index)| *index).collect();
    let work = &work;
    let results = pool
        .run(jobs, |index, cost| async move {
            let (file, row) = (&plan[index], &rows[index]);
            if cancel.is_cancelled() {
                return finish(row, Err(Error::Cancelled));
            }
            row.set(FileState::Running);
            finish(row, work(file, row, cost).await)
        })
        .await;
    let mut done: Vec<FileResult> = plan
        .iter()
        .map(|file| {
            file.settled
                .clone()
                .unwrap_or_else(|| FileResult::Failed(Arc::new(Error::Cancelled)))
        })
        .collect();
    for (index, result) in indices.into_iter().zip(results) {
        done[index] = result;
    }
    Ok(done)
}

/// The report of a carried-out plan.
pub fn report(
    plan: Vec<Planned>,
    results: Vec<FileResult>,
    cancel: &CancellationToken,
    started: Instant,
) -> TreeReport {
    let files = plan
        .into_iter()
        .zip(results)
        .map(|(file, result)| FileOutcome {
            result,
            rel: file.rel,
            path: file.path,
            uri: file.uri,
            size: file.size,
        })
        .collect();
    TreeReport {
        files,
        cancelled: cancel.is_cancelled(),
        elapsed: started.elapsed(),
    }
}

/// Sets a file's final state on its row from how its work ended.
fn finish(row: &FileRow, result: Result<FileResult>) -> FileResult {
    let result = result.unwrap_or_else(|err| FileResult::Failed(Arc::new(err)));
    row.set(match &result {
        FileResult::Uploaded { .. } | FileResult::Downloaded { .. } => FileState::Done,
        FileResult::Skipped(reason) => FileState::Skipped(*reason),
        FileResult::Failed(err) => FileState::Failed(Arc::clone(err)),
    });
    result
}
