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

/// Runs `work` on every unsettled file of `plan` in `pool`, `cost` saying what each file takes
/// from it; one result per file of the plan, in its order.
pub async fn carry_out<'p, C, W, Fut>(
    plan: &'p [Planned],
    pool: Pool,
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

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::s3::in_flight::{Concurrency, Throttles};
    use crate::transfer::tree::outcome::{SkipReason, TreeCounts};

    fn plan(n: usize, settled_at: Option<usize>) -> Vec<Planned> {
        (0..n)
            .map(|i| Planned {
                rel: format!("f{i:02}"),
                path: PathBuf::from(format!("/nowhere/f{i:02}")),
                uri: S3Uri::new("b", format!("p/f{i:02}")),
                size: 100 + i as u64,
                settled: (Some(i) == settled_at)
                    .then_some(FileResult::Skipped(SkipReason::SameContent)),
            })
            .collect()
    }

    fn uploaded() -> FileResult {
        FileResult::Uploaded {
            etag: Some("\"e\"".into()),
            parts: 1,
        }
    }

    #[tokio::test]
    async fn one_failure_stops_no_other_file_and_results_keep_plan_order() {
        let plan = plan(12, Some(3));
        let progress = TreeProgress::new();
        let cancel = CancellationToken::new();
        let ran = AtomicUsize::new(0);
        let results = carry_out(
            &plan,
            Pool::new(Concurrency::Fixed(4), Throttles::default()),
            &progress,
            &cancel,
            |pool, _| pool.cost(false, |_| 0),
            |file, _, _| {
                ran.fetch_add(1, Ordering::Relaxed);
                let fails = file.rel == "f07";
                async move {
                    if fails {
                        Err(Error::InvalidInput("unreadable".into()))
                    } else {
                        Ok(uploaded())
                    }
                }
            },
        )
        .await
        .unwrap();
        // The settled file is not worked on; every other one is, once.
        assert_eq!(ran.load(Ordering::Relaxed), 11);
        let report = report(plan, results, &cancel, Instant::now());
        let failed: Vec<&str> = report.failures().map(|(f, _)| f.rel.as_str()).collect();
        assert_eq!(failed, ["f07"]);
        assert!(matches!(report.files[3].result, FileResult::Skipped(_)));
        assert_eq!(
            report.counts(),
            TreeCounts {
                transferred: 10,
                transferred_bytes: (0..12)
                    .filter(|i| *i != 3 && *i != 7)
                    .map(|i| 100 + i)
                    .sum(),
                skipped: 1,
                failed: 1,
            }
        );
        assert!(!report.succeeded());
        // The live rows end in the same states.
        let states: Vec<FileState> = progress.files().iter().map(FileRow::state).collect();
        assert!(matches!(states[7], FileState::Failed(_)));
        assert!(matches!(states[3], FileState::Skipped(_)));
        assert_eq!(
            states
                .iter()
                .filter(|s| matches!(s, FileState::Done))
                .count(),
            10
        );
        let snap = progress.snapshot();
        assert_eq!((snap.files_total, snap.planned), (12, true));
    }

    #[tokio::test]
    async fn a_cancelled_transfer_starts_no_file_and_reports_each_as_cancelled() {
        let plan = plan(5, None);
        let progress = TreeProgress::new();
        let cancel = CancellationToken::new();
        cancel.cancel();
        let ran = AtomicUsize::new(0);
        let results = carry_out(
            &plan,
            Pool::new(Concurrency::Fixed(2), Throttles::default()),
            &progress,
            &cancel,
            |pool, _| pool.cost(false, |_| 0),
            |_, _, _| {
                ran.fetch_add(1, Ordering::Relaxed);
                async { Ok(uploaded()) }
            },
        )
        .await
        .unwrap();
        assert_eq!(ran.load(Ordering::Relaxed), 0);
        let report = report(plan, results, &cancel, Instant::now());
        assert!(report.cancelled && !report.succeeded());
        assert!(
            report
                .failures()
                .all(|(_, err)| matches!(err, Error::Cancelled))
        );
        assert_eq!(report.counts().failed, 5);
    }
}
