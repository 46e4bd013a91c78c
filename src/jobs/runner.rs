//! Running a job: objects in flight up to the plan's concurrency, within the KMS budget, paused
//! for everyone when S3 or KMS throttle (and the object retried), every start made durable
//! before its request is sent and every outcome journaled. The handle is what a front end
//! holds: progress to poll, pause, cancel (for good) and interrupt (stop; resume later).

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use futures::StreamExt as _;
use tokio::sync::watch;

use super::cost;
use super::execute::{Worker, execute};
use super::journal::Journal;
use super::method::Decision;
use super::pacing::{Backoff, Pacer};
use super::plan::{Plan, now_rfc3339};
use super::progress::{JobProgress, ProgressSnapshot, RunState};
use super::report::{Report, RowStatus};
use super::store::{Entry, JobLock, JobState, JobStore, Outcome, report};
use crate::error::{Error, Result};
use crate::progress::CancellationToken;
use crate::s3::bucket::audit::forget_cached;
use crate::s3::{Connection, KeyAccess, ReadKeys, ReadOptions};
use crate::transfer::CopyTuning;
use crate::transfer::write_mode::resolve_write_mode;

/// How often a run looks for a cancel asked by another process.
const CANCEL_POLL: Duration = Duration::from_millis(300);

/// How a run retries.
#[derive(Clone, Copy, Debug)]
pub struct RunOptions {
    pub backoff: Backoff,
    /// Attempts per object when throttled (the first included).
    pub throttled_attempts: u32,
    /// Start paused: nothing is sent until [`JobControls::unpause`].
    pub paused: bool,
}

impl RunOptions {
    /// Half a second after the first throttling answer (doubling to 20 s), ten attempts per
    /// object, not paused.
    pub const DEFAULT: Self = Self {
        backoff: Backoff::DEFAULT,
        throttled_attempts: 10,
        paused: false,
    };
}

impl Default for RunOptions {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// How a run ended.
#[derive(Clone, Debug)]
pub struct JobOutcome {
    pub state: JobState,
    pub report: Report,
}

/// A running job, for its front end.
#[derive(Debug)]
pub struct JobHandle {
    id: String,
    progress: JobProgress,
    controls: JobControls,
    task: tokio::task::JoinHandle<Result<JobOutcome>>,
}

/// Pause, cancel and interrupt for a running job; cheap to clone (e.g. into a Ctrl-C task).
#[derive(Clone, Debug)]
pub struct JobControls {
    paused: watch::Sender<bool>,
    /// Stops the run (no new object starts).
    stop: CancellationToken,
    /// Set with `stop` when the stop is for good.
    cancel: CancellationToken,
    progress: JobProgress,
}

impl JobControls {
    /// No new object starts until [`JobControls::unpause`]; those in flight finish.
    pub fn pause(&self) {
        self.paused.send_replace(true);
        if self.progress.state() == RunState::Running {
            self.progress.set_state(RunState::Paused);
        }
    }

    pub fn unpause(&self) {
        self.paused.send_replace(false);
        if self.progress.state() == RunState::Paused {
            self.progress.set_state(RunState::Running);
        }
    }

    /// Stops the job for good: it is marked cancelled once the objects in flight finish.
    pub fn cancel(&self) {
        self.cancel.cancel();
        self.interrupt();
    }

    /// Stops the job so that it can be resumed (a quit, Ctrl-C).
    pub fn interrupt(&self) {
        self.stop.cancel();
        if self.progress.state() != RunState::Finished {
            self.progress.set_state(RunState::Stopping);
        }
    }
}

impl JobHandle {
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The counters, to read from elsewhere (a progress bar's task).
    pub fn progress(&self) -> JobProgress {
        self.progress.clone()
    }

    /// The progress now (cheap: a few atomic reads).
    pub fn snapshot(&self) -> ProgressSnapshot {
        self.progress.snapshot()
    }

    /// Pause, cancel and interrupt, to keep apart from the handle.
    pub fn controls(&self) -> JobControls {
        self.controls.clone()
    }

    /// See [`JobControls::pause`].
    pub fn pause(&self) {
        self.controls.pause();
    }

    pub fn unpause(&self) {
        self.controls.unpause();
    }

    /// See [`JobControls::cancel`].
    pub fn cancel(&self) {
        self.controls.cancel();
    }

    /// See [`JobControls::interrupt`].
    pub fn interrupt(&self) {
        self.controls.interrupt();
    }

    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }

    /// Waits for the run to end.
    pub async fn wait(self) -> Result<JobOutcome> {
        self.task
            .await
            .map_err(|e| Error::Internal(format!("the job's task failed: {e}")))?
    }
}

/// Stores `plan` as a new job and starts running it on `runtime`.
pub fn start(
    runtime: &tokio::runtime::Handle,
    conn: Connection,
    keys: Arc<KeyAccess>,
    store: JobStore,
    plan: Plan,
    options: RunOptions,
) -> Result<JobHandle> {
    store.create(&plan)?;
    launch(runtime, conn, keys, store, plan, options)
}

/// Resumes job `id` (interrupted, or stopped by a crash) on `runtime`: objects with an outcome
/// are left alone; those in flight when it stopped are looked at first.
pub fn resume(
    runtime: &tokio::runtime::Handle,
    conn: Connection,
    keys: Arc<KeyAccess>,
    store: JobStore,
    id: &str,
    options: RunOptions,
) -> Result<JobHandle> {
    let plan = store.load(id)?;
    if plan.place != conn.place() {
        return Err(Error::InvalidInput(format!(
            "job {id} was planned for objects at {}, and this connection goes to {}: connect there to resume it",
            plan.place,
            conn.place()
        )));
    }
    match store.state(id)? {
        JobState::Done => {
            return Err(Error::InvalidInput(format!("job {id} is done already")));
        }
        JobState::Cancelled => {
            return Err(Error::InvalidInput(format!(
                "job {id} was cancelled; plan a new one to finish its objects"
            )));
        }
        JobState::Running | JobState::Interrupted => {}
    }
    launch(runtime, conn, keys, store, plan, options)
}

/// Takes the job's lock (refused if another process runs it) and starts the run.
fn launch(
    runtime: &tokio::runtime::Handle,
    conn: Connection,
    keys: Arc<KeyAccess>,
    store: JobStore,
    plan: Plan,
    options: RunOptions,
) -> Result<JobHandle> {
    let lock = store.lock(&plan.id)?;
    let job = Job {
        conn,
        keys,
        store,
        plan,
        options,
    };
    spawn(runtime, job, lock)
}

/// What a run is given.
struct Job {
    conn: Connection,
    keys: Arc<KeyAccess>,
    store: JobStore,
    plan: Plan,
    options: RunOptions,
}

/// What the objects of a run share while it goes.
struct Run<'a> {
    worker: Worker<'a>,
    pacer: Pacer,
    journal: &'a Journal,
    options: RunOptions,
    progress: &'a JobProgress,
    control: &'a JobControls,
}

fn spawn(runtime: &tokio::runtime::Handle, job: Job, lock: JobLock) -> Result<JobHandle> {
    let plan = &job.plan;
    let journal_state = job.store.journal(&plan.id)?;
    let mut outcomes: Vec<(RowStatus, u64)> = vec![(RowStatus::Skipped, plan.planning.skipped)];
    let mut bytes_before = 0;
    for (i, object) in plan.objects.iter().enumerate() {
        if let Some(outcome) = journal_state.ended.get(&i) {
            outcomes.push((outcome.status, 1));
            bytes_before += object.size;
        } else if object.decision.skip_reason().is_some() {
            bytes_before += object.size;
        }
    }
    let progress = JobProgress::new(
        plan.summary.total,
        plan.summary.bytes,
        &outcomes,
        bytes_before,
    );
    let (paused, _) = watch::channel(job.options.paused);
    if job.options.paused {
        progress.set_state(RunState::Paused);
    }
    let controls = JobControls {
        paused,
        stop: CancellationToken::new(),
        cancel: CancellationToken::new(),
        progress: progress.clone(),
    };
    let id = plan.id.clone();
    let task = runtime.spawn(run(job, lock, progress.clone(), controls.clone()));
    Ok(JobHandle {
        id,
        progress,
        controls,
        task,
    })
}

async fn run(
    job: Job,
    lock: JobLock,
    progress: JobProgress,
    control: JobControls,
) -> Result<JobOutcome> {
    let journal = Journal::writer(lock)?;
    let result = run_objects(&job, &journal, &progress, &control).await;
    let end = match &result {
        Ok(RunEnd::Finished) => Some(Entry::Finished { at: now_rfc3339() }),
        Ok(RunEnd::Cancelled) => Some(Entry::Cancelled { at: now_rfc3339() }),
        Ok(RunEnd::Interrupted) | Err(_) => None,
    };
    if let Some(end) = end {
        journal.durable(end).await?;
    }
    journal.close().await?;
    progress.set_state(RunState::Finished);
    result?;
    let Job {
        conn, store, plan, ..
    } = job;
    let journal_state = store.journal(&plan.id)?;
    let report = report(&plan, &journal_state);
    if let Some(config_dir) = store.config_dir() {
        // UpdateObjectEncryption keeps ETag and dates, which the audit's cache trusts.
        let changed = report
            .rows
            .iter()
            .filter(|r| r.status == RowStatus::Done)
            .map(|r| r.key.as_str());
        if let Err(err) = forget_cached(config_dir, &conn, &plan.bucket, changed) {
            tracing::warn!(error = %err, "the audit cache was not updated; the next audit may show old encryption for objects changed in place");
        }
    }
    Ok(JobOutcome {
        state: store.state(&plan.id)?,
        report,
    })
}

enum RunEnd {
    Finished,
    Interrupted,
    Cancelled,
}

/// What became of one object in this run.
enum Step {
    Ended(Outcome),
    /// Not started (the run stopped first).
    NotStarted,
    /// Started, and stopped before an outcome: the next run looks at it again.
    LeftInFlight,
}

async fn run_objects(
    job: &Job,
    journal: &Journal,
    progress: &JobProgress,
    control: &JobControls,
) -> Result<RunEnd> {
    let (conn, keys, plan) = (&job.conn, job.keys.as_ref(), &job.plan);
    let read = ReadOptions {
        keys: ReadKeys::AtHome,
        trusted_kms: plan.trusted_kms.clone(),
        ..ReadOptions::default()
    };
    journal.durable(Entry::Run { at: now_rfc3339() }).await?;
    let previous = job.store.journal(&plan.id)?;
    let write = resolve_write_mode(conn, keys, &plan.target.choice(), &plan.bucket).await?;
    let copy_instead = OnceLock::new();
    let run = Run {
        worker: Worker {
            conn,
            keys,
            plan,
            read: &read,
            write: &write,
            tuning: CopyTuning {
                multipart_threshold: plan.settings.multipart_threshold,
                part_size: plan.settings.part_size,
                ..CopyTuning::default()
            },
            copy_instead: &copy_instead,
            stop: &control.stop,
        },
        pacer: Pacer::new(plan.settings.kms_rate, job.options.backoff),
        journal,
        options: job.options,
        progress,
        control,
    };
    let todo: Vec<(usize, bool)> = plan
        .objects
        .iter()
        .enumerate()
        .filter(|(i, o)| {
            matches!(o.decision, Decision::Process(_)) && !previous.ended.contains_key(i)
        })
        .map(|(i, _)| (i, previous.in_flight.contains(&i)))
        .collect();

    let watcher = cancel_watcher(job.store.clone(), plan.id.clone(), control.clone());
    let mut steps = std::pin::pin!(
        futures::stream::iter(todo)
            .map(|(i, recheck)| {
                let run = &run;
                async move {
                    let step = one(run, i, recheck).await;
                    if step.is_err() {
                        control.stop.cancel();
                    }
                    (i, step)
                }
            })
            .buffer_unordered(plan.settings.concurrency.max(1))
    );
    let mut failure = None;
    while let Some((i, step)) = steps.next().await {
        match step {
            Ok(Step::Ended(outcome)) => {
                let size = plan.objects.get(i).map_or(0, |o| o.size);
                progress.record(outcome.status, size);
                if let Err(err) = journal.queue(Entry::End { i, outcome }) {
                    failure.get_or_insert(err);
                    control.stop.cancel();
                }
            }
            Ok(Step::NotStarted | Step::LeftInFlight) => {}
            Err(err) => {
                failure.get_or_insert(err);
            }
        }
    }
    watcher.abort();
    if let Some(note) = copy_instead.get() {
        journal.queue(Entry::Note {
            text: format!("UpdateObjectEncryption turned out not to be available ({note}); the objects planned for it were copied instead."),
        })?;
    }
    if let Some(err) = failure {
        return Err(err);
    }
    Ok(if control.cancel.is_cancelled() {
        RunEnd::Cancelled
    } else if control.stop.is_cancelled() {
        RunEnd::Interrupted
    } else {
        RunEnd::Finished
    })
}

/// One object: wait for the pause, the budget and the backoff; journal its start; send it;
/// retry it while throttled. `recheck`: it was in flight when an earlier run stopped.
async fn one(run: &Run<'_>, i: usize, recheck: bool) -> Result<Step> {
    let (worker, pacer, control) = (&run.worker, &run.pacer, run.control);
    let Some(object) = worker.plan.objects.get(i) else {
        return Err(Error::Internal(format!("object {i} is not in the plan")));
    };
    let Some(facts) = &object.facts else {
        return Err(Error::Internal(format!("object {i} was not inspected")));
    };
    if wait_while_paused(control).await.is_err() {
        return Ok(Step::NotStarted);
    }
    let parts = object.size.div_ceil(worker.plan.settings.part_size.max(1));
    let kms = cost::kms_calls(&facts.before, object.decision, &worker.plan.target, parts);
    if pacer.admit(kms, &control.stop).await.is_err() {
        return Ok(Step::NotStarted);
    }
    run.journal.durable(Entry::Start { i }).await?;
    let mut attempt = 1;
    loop {
        // A throttled request was refused, not carried out: a retry needs no second look.
        match execute(worker, object, recheck).await {
            Ok(outcome) => {
                pacer.succeeded();
                return Ok(Step::Ended(outcome));
            }
            Err(Error::Cancelled) => return Ok(Step::LeftInFlight),
            Err(err) if err.is_throttling() && attempt < run.options.throttled_attempts => {
                run.progress.record_throttle();
                let pause = pacer.throttled();
                tracing::debug!(key = %object.key, ?pause, "throttled; pausing the job");
                // Started already: a stop leaves it in flight, for the next run to look at.
                if pacer.admit(kms, &control.stop).await.is_err() {
                    return Ok(Step::LeftInFlight);
                }
                attempt += 1;
            }
            Err(err) => {
                return Ok(Step::Ended(Outcome {
                    status: RowStatus::Failed,
                    after: Some(facts.before.clone()),
                    message: Some(err.to_string()),
                    method: None,
                }));
            }
        }
    }
}

async fn wait_while_paused(control: &JobControls) -> std::result::Result<(), ()> {
    let mut paused = control.paused.subscribe();
    loop {
        if control.stop.is_cancelled() {
            return Err(());
        }
        if !*paused.borrow_and_update() {
            return Ok(());
        }
        tokio::select! {
            () = control.stop.cancelled() => return Err(()),
            changed = paused.changed() => if changed.is_err() { return Err(()) },
        }
    }
}

/// Cancels the run when another process asks (`jobs cancel ID` writes the job's cancel file).
fn cancel_watcher(
    store: JobStore,
    id: String,
    control: JobControls,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            if store.cancel_requested(&id) {
                control.cancel.cancel();
                control.stop.cancel();
                return;
            }
            tokio::select! {
                () = control.stop.cancelled() => return,
                () = tokio::time::sleep(CANCEL_POLL) => {}
            }
        }
    })
}
