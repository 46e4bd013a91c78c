//! The Jobs tab: every re-encryption job of this computer, the ones this window runs (from
//! their handles, polled each frame: progress, rate, ETA, throttling, with pause, resume and
//! cancel) and the ones stored in the config dir (interrupted ones offered for resume or
//! discard, finished ones with their report) — and, below, the S3 Batch Operations jobs of the
//! account. Quitting the window interrupts the running jobs, so they stay resumable.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use egui::RichText;

use super::actions::Action;
use super::badges::{KmsNames, label_words, state_words};
use super::batch_jobs::{BatchJobs, batch_jobs_ui};
use super::format::{eta, human_size};
use super::job_report_view::ShownReport;
use super::notices::problem_ui;
use super::plan_view::objects;
use super::remedy::Problem;
use super::request::Requested;
use super::shared::Cx;
use super::tasks::Tasks;
use crate::error::Error;
use crate::jobs::progress::JobProgress;
use crate::jobs::{
    JobControls, JobHandle, JobListing, JobOutcome, JobState, JobStore, Plan, Report, RowStatus,
    RunOptions, RunState,
};

/// How long quitting waits for running jobs to stop (the objects in flight finish and the
/// journal is closed); a job still running then is picked up as in flight when resumed.
const QUIT_WAIT: Duration = Duration::from_secs(5);

/// Where a job this window runs is.
enum Phase {
    /// Stored and locked on the blocking pool, then started.
    Starting(Requested<JobHandle>),
    Running(JobHandle),
    /// The run ended; its outcome (and report) on the way, or here.
    Ending(Requested<JobOutcome>),
}

/// A job this window started or resumed.
struct LocalRun {
    id: String,
    /// `s3://bucket/prefix to target`.
    label: String,
    progress: Option<JobProgress>,
    controls: Option<JobControls>,
    phase: Phase,
}

impl LocalRun {
    fn new(id: String, label: String, request: super::request::Request<JobHandle>) -> Self {
        Self {
            id,
            label,
            progress: None,
            controls: None,
            phase: Phase::Starting(Requested::Pending(request)),
        }
    }

    /// Whether its run is under way (or about to be).
    fn is_live(&self) -> bool {
        match &self.phase {
            Phase::Starting(request) => request.is_pending(),
            Phase::Running(_) => true,
            Phase::Ending(outcome) => outcome.is_pending(),
        }
    }

    /// Moves it along: a handle that arrived starts being polled; a run that ended hands its
    /// handle to a task that collects the outcome. True when it just ended.
    fn poll(&mut self, tasks: &Tasks) -> bool {
        match &mut self.phase {
            Phase::Starting(request) => {
                if !request.poll() {
                    return false;
                }
                if let Requested::Ready(_) = request
                    && let Requested::Ready(handle) = std::mem::take(request)
                {
                    self.progress = Some(handle.progress());
                    self.controls = Some(handle.controls());
                    self.phase = Phase::Running(handle);
                }
                false
            }
            Phase::Running(handle) if handle.is_finished() => {
                let Phase::Running(handle) =
                    std::mem::replace(&mut self.phase, Phase::Ending(Requested::NotAsked))
                else {
                    return false;
                };
                self.phase = Phase::Ending(Requested::Pending(tasks.run(handle.wait())));
                false
            }
            Phase::Running(_) => false,
            Phase::Ending(outcome) => outcome.poll(),
        }
    }
}

/// What asks to be confirmed in place.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Confirm {
    /// Stop a job for good.
    Cancel(String),
}

/// The tab's state.
pub struct JobsPanel {
    store: Result<JobStore, Problem>,
    listed: Requested<Vec<JobListing>>,
    runs: Vec<LocalRun>,
    /// Interrupted jobs found at start, highlighted until handled.
    interrupted_at_start: BTreeSet<String>,
    offered: bool,
    confirm: Option<Confirm>,
    /// A cancel of a job this window does not run, and its answer.
    cancelling: Requested<JobState>,
    /// A stored report being read, to open in the audit view.
    opening: Requested<Report>,
    pub batch: BatchJobs,
}

impl JobsPanel {
    /// The jobs stored in the config dir of `tasks`' keys, listed in the background.
    pub fn new(tasks: &Tasks) -> Self {
        let store = tasks
            .keys()
            .config_dir()
            .map(|dir| JobStore::new(&dir))
            .map_err(Problem::from);
        let mut panel = Self {
            store,
            listed: Requested::NotAsked,
            runs: Vec::new(),
            interrupted_at_start: BTreeSet::new(),
            offered: false,
            confirm: None,
            cancelling: Requested::NotAsked,
            opening: Requested::NotAsked,
            batch: BatchJobs::default(),
        };
        panel.refresh(tasks);
        panel
    }

    /// Lists the stored jobs again.
    pub fn refresh(&mut self, tasks: &Tasks) {
        match &self.store {
            Ok(store) => {
                let store = store.clone();
                self.listed = Requested::Pending(tasks.blocking(move || store.list()));
            }
            Err(problem) => self.listed = Requested::Failed(problem.clone()),
        }
    }

    /// Stores `plan` as a new job and runs it.
    pub fn start(&mut self, tasks: &Tasks, plan: Plan, kms: &KmsNames) {
        let label = format!(
            "s3://{}/{} to {}",
            plan.bucket,
            plan.prefix,
            state_words(&plan.target.state(), kms)
        );
        let id = plan.id.clone();
        let request = match (&self.store, tasks.connection()) {
            (Ok(store), Some(conn)) => {
                let (store, conn, keys) = (store.clone(), (**conn).clone(), tasks.keys().clone());
                let runtime = tasks.runtime().clone();
                tasks.blocking(move || {
                    crate::jobs::start(&runtime, conn, keys, store, plan, RunOptions::default())
                })
            }
            (Err(_), _) => tasks.run(async { Err(Error::NoConfigDir) }),
            (_, None) => tasks.run(async { Err(Error::NotConnected) }),
        };
        self.runs.insert(0, LocalRun::new(id, label, request));
    }

    /// Resumes stored job `listing`.
    fn resume(&mut self, tasks: &Tasks, listing: &JobListing, kms: &KmsNames) {
        let id = listing.id.clone();
        let label = format!(
            "s3://{}/{} to {}",
            listing.bucket,
            listing.prefix,
            label_words(&listing.target, kms)
        );
        let request = match (&self.store, tasks.connection()) {
            (Ok(store), Some(conn)) => {
                let (store, conn, keys) = (store.clone(), (**conn).clone(), tasks.keys().clone());
                let (runtime, job) = (tasks.runtime().clone(), id.clone());
                tasks.blocking(move || {
                    crate::jobs::resume(&runtime, conn, keys, store, &job, RunOptions::default())
                })
            }
            (Err(_), _) => tasks.run(async { Err(Error::NoConfigDir) }),
            (_, None) => tasks.run(async { Err(Error::NotConnected) }),
        };
        self.interrupted_at_start.remove(&id);
        self.runs.retain(|r| r.id != id);
        self.runs.insert(0, LocalRun::new(id, label, request));
    }

    /// Stops stored job `id` for good (asks the process running it, if another one does).
    fn cancel_stored(&mut self, tasks: &Tasks, id: &str) {
        if let Ok(store) = &self.store {
            let (store, id) = (store.clone(), id.to_owned());
            self.interrupted_at_start.remove(&id);
            self.cancelling = Requested::Pending(tasks.blocking(move || store.cancel(&id)));
        }
    }

    /// Reads job `id`'s report as it stands, to open it in the audit view.
    fn open_report(&mut self, tasks: &Tasks, id: &str) {
        if let Ok(store) = &self.store {
            let (store, id) = (store.clone(), id.to_owned());
            self.opening = Requested::Pending(tasks.blocking(move || store.report(&id)));
        }
    }

    /// What arrived: the list (and, the first time, the interrupted jobs to offer), handles,
    /// outcomes, reports. Called every frame, whichever tab is shown.
    pub fn poll(&mut self, tasks: &Tasks, actions: &mut Vec<Action>) {
        if self.listed.poll()
            && !self.offered
            && let Some(listed) = self.listed.ready()
        {
            self.offered = true;
            self.interrupted_at_start = listed
                .iter()
                .filter(|j| j.state == JobState::Interrupted)
                .map(|j| j.id.clone())
                .collect();
            let n = self.interrupted_at_start.len();
            if n > 0 {
                actions.push(Action::Info(format!(
                    "{} stopped before the end (a quit or a crash): resume or discard {} in the Jobs tab.",
                    if n == 1 {
                        "A re-encryption job".to_owned()
                    } else {
                        format!("{n} re-encryption jobs")
                    },
                    if n == 1 { "it" } else { "them" }
                )));
            }
        }
        let mut ended = false;
        for run in &mut self.runs {
            if run.poll(tasks) {
                ended = true;
                if let Phase::Ending(Requested::Ready(outcome)) = &run.phase {
                    actions.push(Action::Info(format!(
                        "job {}: {}",
                        run.id,
                        outcome_text(outcome)
                    )));
                }
            }
        }
        if self.cancelling.poll() {
            ended = true;
        }
        if ended {
            self.refresh(tasks);
        }
        if self.opening.poll()
            && let Requested::Ready(report) = std::mem::take(&mut self.opening)
        {
            actions.push(Action::OpenJobReport(Box::new(ShownReport::Local(report))));
        }
        self.batch.poll(tasks, actions);
    }

    /// Whether a job runs here, or something is asked: the window keeps redrawing.
    pub fn is_busy(&self) -> bool {
        self.runs.iter().any(LocalRun::is_live)
            || self.listed.is_pending()
            || self.cancelling.is_pending()
            || self.opening.is_pending()
            || self.batch.is_busy()
    }

    /// Jobs running in this window.
    pub fn running(&self) -> usize {
        self.runs.iter().filter(|r| r.is_live()).count()
    }

    /// Stops every job this window runs so that it can be resumed, and waits (at most
    /// [`QUIT_WAIT`]) for the objects in flight to finish and the journals to close.
    pub fn interrupt_all(&mut self) {
        let mut waiting = Vec::new();
        for run in &self.runs {
            if let (Some(controls), Phase::Running(handle)) = (&run.controls, &run.phase) {
                controls.interrupt();
                waiting.push(handle);
            }
        }
        let deadline = Instant::now() + QUIT_WAIT;
        while waiting.iter().any(|h| !h.is_finished()) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// "done — 5 objects: 5 done, 0 skipped, 0 failed, 0 changed".
fn outcome_text(outcome: &JobOutcome) -> String {
    let s = &outcome.report.summary;
    format!(
        "{} — {}: {} done, {} skipped, {} failed, {} changed",
        outcome.state.as_str(),
        objects(s.total),
        s.count(RowStatus::Done),
        s.count(RowStatus::Skipped),
        s.count(RowStatus::Failed),
        s.count(RowStatus::Changed)
    )
}

/// What a click in the tab asks for, applied after drawing.
enum Clicked {
    Refresh,
    Resume(JobListing),
    AskCancel(String),
    CancelRun(String),
    CancelStored(String),
    KeepGoing,
    Report(String),
    ReportOf(Box<Report>),
}

pub fn jobs_panel_ui(ui: &mut egui::Ui, panel: &mut JobsPanel, cx: &mut Cx<'_>) {
    let mut clicked = None;
    egui::ScrollArea::vertical()
        .id_salt("jobs-scroll")
        .auto_shrink([false, false])
        .show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.heading("Re-encryption jobs");
                if ui.button("Refresh").clicked() {
                    clicked = Some(Clicked::Refresh);
                }
            });
            ui.label(
                RichText::new(
                    "Start a job from the Audit tab (\"Re-encrypt N objects…\"). Jobs are kept in the configuration folder: a quit or a crash loses nothing, and an interrupted job resumes where it stopped.",
                )
                .weak(),
            );
            if let Some(problem) = panel.opening.failed() {
                problem_ui(ui, problem);
            }
            if let Some(problem) = panel.cancelling.failed() {
                problem_ui(ui, problem);
            }
            for run in &panel.runs {
                ui.push_id(("run", &run.id), |ui| {
                    run_ui(ui, run, panel.confirm.as_ref(), &mut clicked);
                });
                ui.separator();
            }
            match &panel.listed {
                Requested::Failed(problem) => problem_ui(ui, problem),
                Requested::Ready(listed) => {
                    let shown: Vec<&JobListing> = listed
                        .iter()
                        .filter(|j| !panel.runs.iter().any(|r| r.id == j.id))
                        .collect();
                    if shown.is_empty() && panel.runs.is_empty() {
                        ui.label(RichText::new("No jobs yet.").weak());
                    }
                    for job in shown {
                        ui.push_id(("stored", &job.id), |ui| {
                            let highlight = panel.interrupted_at_start.contains(&job.id);
                            stored_ui(
                                ui,
                                job,
                                highlight,
                                panel.confirm.as_ref(),
                                &mut clicked,
                                &cx.shared.kms_names,
                            );
                        });
                        ui.separator();
                    }
                }
                Requested::Pending(_) | Requested::NotAsked => {
                    ui.spinner();
                }
            }
            ui.add_space(12.0);
            batch_jobs_ui(ui, &mut panel.batch, cx);
        });
    match clicked {
        None => {}
        Some(Clicked::Refresh) => panel.refresh(cx.tasks),
        Some(Clicked::Resume(listing)) => panel.resume(cx.tasks, &listing, &cx.shared.kms_names),
        Some(Clicked::AskCancel(id)) => panel.confirm = Some(Confirm::Cancel(id)),
        Some(Clicked::KeepGoing) => panel.confirm = None,
        Some(Clicked::CancelRun(id)) => {
            panel.confirm = None;
            if let Some(controls) = panel
                .runs
                .iter()
                .find(|r| r.id == id)
                .and_then(|r| r.controls.as_ref())
            {
                controls.cancel();
            }
        }
        Some(Clicked::CancelStored(id)) => {
            panel.confirm = None;
            panel.cancel_stored(cx.tasks, &id);
        }
        Some(Clicked::Report(id)) => panel.open_report(cx.tasks, &id),
        Some(Clicked::ReportOf(report)) => {
            cx.actions
                .push(Action::OpenJobReport(Box::new(ShownReport::Local(*report))));
        }
    }
}

/// "Cancel…", or the confirmation in its place: what stops and what stays.
fn cancel_ui(
    ui: &mut egui::Ui,
    id: &str,
    left: Option<u64>,
    confirm: Option<&Confirm>,
    running_here: bool,
    clicked: &mut Option<Clicked>,
) {
    if confirm == Some(&Confirm::Cancel(id.to_owned())) {
        ui.label(
            RichText::new(match left {
                Some(n) => format!(
                    "Stop job {id} for good? The {} not handled yet keep their encryption; it cannot be resumed.",
                    objects(n)
                ),
                None => format!(
                    "Stop job {id} for good? The objects not handled yet keep their encryption; it cannot be resumed."
                ),
            })
            .color(ui.visuals().warn_fg_color),
        );
        if ui.button("Yes, cancel the job").clicked() {
            *clicked = Some(if running_here {
                Clicked::CancelRun(id.to_owned())
            } else {
                Clicked::CancelStored(id.to_owned())
            });
        }
        if ui.button("Keep it").clicked() {
            *clicked = Some(Clicked::KeepGoing);
        }
    } else if ui.button("Cancel…").clicked() {
        *clicked = Some(Clicked::AskCancel(id.to_owned()));
    }
}

/// A job this window runs (or ran).
fn run_ui(
    ui: &mut egui::Ui,
    run: &LocalRun,
    confirm: Option<&Confirm>,
    clicked: &mut Option<Clicked>,
) {
    ui.horizontal(|ui| {
        ui.label(RichText::new(format!("Job {}", run.id)).strong());
        ui.label(&run.label);
    });
    let snapshot = run.progress.as_ref().map(JobProgress::snapshot);
    if let Some(s) = &snapshot {
        let fraction = if s.objects_total == 0 {
            1.0
        } else {
            s.objects_done as f32 / s.objects_total as f32
        };
        let state = match s.state {
            RunState::Running => "running",
            RunState::Paused => "paused",
            RunState::Stopping => "stopping",
            RunState::Finished => "finished",
        };
        ui.add(
            egui::ProgressBar::new(fraction)
                .desired_width(420.0)
                .text(format!(
                    "{state}: {} of {} objects, {} of {}",
                    s.objects_done,
                    s.objects_total,
                    human_size(s.bytes_done),
                    human_size(s.bytes_total)
                )),
        );
        ui.label(format!(
            "{} done, {} skipped, {} failed, {} changed · {:.1} objects/s · ETA {}{}",
            s.done,
            s.skipped,
            s.failed,
            s.changed,
            s.objects_per_second,
            s.eta_seconds
                .map_or_else(|| "—".to_owned(), |e| eta(Duration::from_secs_f64(e))),
            if s.throttled > 0 {
                format!(" · throttled {} times (paused and retried)", s.throttled)
            } else {
                String::new()
            }
        ));
    }
    match &run.phase {
        Phase::Starting(Requested::Failed(problem)) => problem_ui(ui, problem),
        Phase::Starting(_) => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Storing the job…");
            });
        }
        Phase::Running(_) => {
            let (Some(controls), Some(s)) = (&run.controls, &snapshot) else {
                return;
            };
            ui.horizontal(|ui| {
                match s.state {
                    RunState::Running => {
                        if ui.button("Pause").clicked() {
                            controls.pause();
                        }
                    }
                    RunState::Paused => {
                        if ui.button("Resume").clicked() {
                            controls.unpause();
                        }
                    }
                    RunState::Stopping | RunState::Finished => {}
                }
                if s.state != RunState::Stopping {
                    let left = s.objects_total.saturating_sub(s.objects_done);
                    cancel_ui(ui, &run.id, Some(left), confirm, true, clicked);
                }
            });
        }
        Phase::Ending(Requested::Ready(outcome)) => {
            ui.label(format!("Ended: {}", outcome_text(outcome)));
            if outcome.state == JobState::Interrupted {
                problem_ui(ui, &Problem::from(Error::JobStopped { id: run.id.clone() }));
            }
            if ui.button("Open report").clicked() {
                *clicked = Some(Clicked::ReportOf(Box::new(outcome.report.clone())));
            }
        }
        Phase::Ending(Requested::Failed(problem)) => problem_ui(ui, problem),
        Phase::Ending(_) => {
            ui.spinner();
        }
    }
}

/// A stored job nobody runs in this window.
fn stored_ui(
    ui: &mut egui::Ui,
    job: &JobListing,
    highlight: bool,
    confirm: Option<&Confirm>,
    clicked: &mut Option<Clicked>,
    kms: &KmsNames,
) {
    let frame = if highlight {
        egui::Frame::new()
            .fill(ui.visuals().warn_fg_color.gamma_multiply(0.12))
            .corner_radius(4.0)
            .inner_margin(4.0)
    } else {
        egui::Frame::new()
    };
    frame.show(ui, |ui| {
        ui.horizontal(|ui| {
            ui.label(RichText::new(format!("Job {}", job.id)).strong());
            ui.label(format!(
                "s3://{}/{} to {}",
                job.bucket,
                job.prefix,
                label_words(&job.target, kms)
            ));
        });
        ui.label(format!(
            "{}: {} of {} objects handled · planned {}",
            job.state.as_str(),
            job.done,
            job.total,
            super::format::short_time(&job.created)
        ));
        ui.horizontal(|ui| {
            match job.state {
                JobState::Interrupted => {
                    if ui
                        .button("Resume")
                        .on_hover_text("Continue where it stopped: objects already handled are left alone, those in flight are looked at first")
                        .clicked()
                    {
                        *clicked = Some(Clicked::Resume(job.clone()));
                    }
                    let left = job.total.saturating_sub(job.done);
                    cancel_ui(ui, &job.id, Some(left), confirm, false, clicked);
                }
                JobState::Running => {
                    ui.label(RichText::new("run by another s3seal").weak());
                    cancel_ui(ui, &job.id, None, confirm, false, clicked);
                }
                JobState::Done | JobState::Cancelled => {}
            }
            if ui.button("Open report").clicked() {
                *clicked = Some(Clicked::Report(job.id.clone()));
            }
        });
    });
}
