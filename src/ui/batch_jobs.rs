//! The S3 Batch Operations part of the Jobs tab: the account's jobs (ListJobs), one in detail
//! (DescribeJob: status, objects done and failed, why it failed or waits), Confirm — which says
//! how many objects S3 found — and Cancel for a job that waits, and its completion report opened
//! in the audit view like a local job's.

use egui::RichText;

use super::actions::Action;
use super::job_report_view::ShownReport;
use super::notices::problem_ui;
use super::plan_view::objects;
use super::request::Requested;
use super::shared::Cx;
use super::tasks::Tasks;
use crate::batch::{self, BatchReport, JobInfo, ReportSource, StatusChange};

/// One job looked at closely.
#[derive(Debug)]
struct Detail {
    account: String,
    id: String,
    info: Requested<JobInfo>,
    change: Requested<StatusChange>,
    confirm_cancel: bool,
    report: Requested<BatchReport>,
}

/// The section's state.
#[derive(Debug, Default)]
pub struct BatchJobs {
    /// The account as typed (empty: the credentials' own, from STS).
    pub account: String,
    /// The account asked and its jobs.
    jobs: Requested<(String, Vec<JobInfo>)>,
    detail: Option<Detail>,
}

impl BatchJobs {
    /// Lists the account's jobs.
    pub fn load(&mut self, tasks: &Tasks) {
        let given = self.account.clone();
        self.jobs = Requested::Pending(tasks.s3(move |conn, _, _| async move {
            let account = batch::account_id(&conn, Some(&given)).await?;
            let jobs = batch::list_jobs(&conn, &account).await?;
            Ok((account, jobs))
        }));
    }

    /// Describes job `id` of `account`.
    fn show(&mut self, tasks: &Tasks, account: String, id: String) {
        let (a, j) = (account.clone(), id.clone());
        self.detail = Some(Detail {
            info: Requested::Pending(
                tasks.s3(move |conn, _, _| async move { batch::show_job(&conn, &a, &j).await }),
            ),
            account,
            id,
            change: Requested::NotAsked,
            confirm_cancel: false,
            report: Requested::NotAsked,
        });
    }

    /// A job was just created: list the jobs and show it.
    pub fn follow(&mut self, tasks: &Tasks, account: String, id: String) {
        self.account.clone_from(&account);
        self.load(tasks);
        self.show(tasks, account, id);
    }

    pub fn poll(&mut self, tasks: &Tasks, actions: &mut Vec<Action>) {
        self.jobs.poll();
        let Some(detail) = &mut self.detail else {
            return;
        };
        detail.info.poll();
        if detail.change.poll() && detail.change.ready().is_some() {
            // Confirmed or cancelled: show where it stands now.
            let (account, id) = (detail.account.clone(), detail.id.clone());
            self.show(tasks, account, id);
            self.load(tasks);
            return;
        }
        if detail.report.poll()
            && let Requested::Ready(report) = std::mem::take(&mut detail.report)
        {
            actions.push(Action::OpenJobReport(Box::new(ShownReport::Batch(report))));
        }
    }

    pub fn is_busy(&self) -> bool {
        self.jobs.is_pending()
            || self.detail.as_ref().is_some_and(|d| {
                d.info.is_pending() || d.change.is_pending() || d.report.is_pending()
            })
    }
}

/// What a click asks for, applied after drawing.
enum Clicked {
    Load,
    Show(String, String),
    Confirm,
    AskCancel,
    KeepIt,
    Cancel,
    Report,
}

pub fn batch_jobs_ui(ui: &mut egui::Ui, jobs: &mut BatchJobs, cx: &mut Cx<'_>) {
    let mut clicked = None;
    ui.heading("S3 Batch Operations jobs");
    ui.horizontal(|ui| {
        let label = ui.label("Account");
        ui.add(
            egui::TextEdit::singleline(&mut jobs.account)
                .hint_text("your credentials' account")
                .desired_width(160.0),
        )
        .labelled_by(label.id);
        let text = if jobs.jobs.is_not_asked() {
            "Load batch jobs"
        } else {
            "Refresh batch jobs"
        };
        if ui
            .add_enabled(!jobs.jobs.is_pending(), egui::Button::new(text))
            .clicked()
        {
            clicked = Some(Clicked::Load);
        }
    });
    match &jobs.jobs {
        Requested::NotAsked => {
            ui.label(
                RichText::new("The account's jobs of the last 90 days, as S3 Control lists them.")
                    .weak(),
            );
        }
        Requested::Pending(_) => {
            ui.spinner();
        }
        Requested::Failed(problem) => problem_ui(ui, problem),
        Requested::Ready((account, list)) => {
            if list.is_empty() {
                ui.label(RichText::new(format!("Account {account} has no jobs.")).weak());
            }
            egui::Grid::new("batch-jobs")
                .num_columns(8)
                .striped(true)
                .show(ui, |ui| {
                    for title in [
                        "Job",
                        "Status",
                        "Operation",
                        "Succeeded",
                        "Failed",
                        "Total",
                        "Created",
                        "",
                    ] {
                        ui.strong(title);
                    }
                    ui.end_row();
                    let n = |v: Option<i64>| v.map_or_else(|| "—".to_owned(), |v| v.to_string());
                    for job in list {
                        ui.label(RichText::new(&job.id).monospace());
                        ui.label(&job.status);
                        ui.label(job.operation.as_deref().unwrap_or(""));
                        ui.label(n(job.succeeded));
                        ui.label(n(job.failed));
                        ui.label(n(job.total));
                        ui.label(job.created.as_deref().map_or("", super::format::short_time));
                        if ui
                            .push_id(&job.id, |ui| ui.small_button("Details"))
                            .inner
                            .clicked()
                        {
                            clicked = Some(Clicked::Show(account.clone(), job.id.clone()));
                        }
                        ui.end_row();
                    }
                });
        }
    }
    if let Some(detail) = &jobs.detail {
        ui.separator();
        detail_ui(ui, detail, &mut clicked);
    }
    let tasks = cx.tasks;
    match clicked {
        None => {}
        Some(Clicked::Load) => jobs.load(tasks),
        Some(Clicked::Show(account, id)) => jobs.show(tasks, account, id),
        Some(other) => {
            if let Some(detail) = &mut jobs.detail {
                let (account, id) = (detail.account.clone(), detail.id.clone());
                match other {
                    Clicked::Confirm => {
                        detail.change =
                            Requested::Pending(tasks.s3(move |conn, _, _| async move {
                                batch::confirm_job(&conn, &account, &id).await
                            }));
                    }
                    Clicked::AskCancel => detail.confirm_cancel = true,
                    Clicked::KeepIt => detail.confirm_cancel = false,
                    Clicked::Cancel => {
                        detail.confirm_cancel = false;
                        detail.change =
                            Requested::Pending(tasks.s3(move |conn, _, _| async move {
                                batch::cancel_job(&conn, &account, &id).await
                            }));
                    }
                    Clicked::Report => {
                        let source = ReportSource::Job {
                            account_id: account,
                            job_id: id,
                        };
                        detail.report =
                            Requested::Pending(tasks.s3(move |conn, _, cancel| async move {
                                batch::read_report(&conn, &source, &cancel).await
                            }));
                    }
                    Clicked::Load | Clicked::Show(..) => {}
                }
            }
        }
    }
}

fn detail_ui(ui: &mut egui::Ui, detail: &Detail, clicked: &mut Option<Clicked>) {
    ui.label(RichText::new(format!("Batch job {}", detail.id)).strong());
    let info = match &detail.info {
        Requested::Ready(info) => info,
        Requested::Failed(problem) => {
            problem_ui(ui, problem);
            return;
        }
        Requested::Pending(_) | Requested::NotAsked => {
            ui.spinner();
            return;
        }
    };
    let n = |v: Option<i64>| v.map_or_else(|| "not counted yet".to_owned(), |v| v.to_string());
    egui::Grid::new("batch-job-detail")
        .num_columns(2)
        .show(ui, |ui| {
            let mut row = |name: &str, value: String| {
                ui.label(name);
                ui.label(value);
                ui.end_row();
            };
            row("Status", info.status.clone());
            row("Operation", info.operation.clone().unwrap_or_default());
            row("Objects", n(info.total));
            row("Succeeded", n(info.succeeded));
            row("Failed", n(info.failed));
            row("Created", info.created.clone().unwrap_or_default());
            if let Some(finished) = &info.finished {
                row("Finished", finished.clone());
            }
            if let Some(report) = &info.report {
                row("Completion report", report.clone());
            }
            if let Some(reason) = &info.status_reason {
                row("Why", reason.clone());
            }
        });
    for failure in &info.failure_reasons {
        ui.label(RichText::new(failure).color(ui.visuals().error_fg_color));
    }
    if let Some(problem) = detail.change.failed() {
        problem_ui(ui, problem);
    }
    if info.awaits_confirmation() {
        ui.label(match info.total {
            Some(total) => format!(
                "It waits for your confirmation: S3 found {} to change.",
                objects(total.max(0) as u64)
            ),
            None => "It waits for your confirmation; S3 has not said how many objects it found."
                .to_owned(),
        });
    }
    ui.horizontal(|ui| {
        let busy = detail.change.is_pending();
        if info.awaits_confirmation() {
            let text = match info.total {
                Some(total) => format!("Confirm: run on {}", objects(total.max(0) as u64)),
                None => "Confirm: run it".to_owned(),
            };
            if ui.add_enabled(!busy, egui::Button::new(text)).clicked() {
                *clicked = Some(Clicked::Confirm);
            }
        }
        if !info.finished() {
            if detail.confirm_cancel {
                ui.label(
                    RichText::new("Cancel it? Objects already changed stay changed.")
                        .color(ui.visuals().warn_fg_color),
                );
                if ui.button("Yes, cancel the batch job").clicked() {
                    *clicked = Some(Clicked::Cancel);
                }
                if ui.button("Keep it").clicked() {
                    *clicked = Some(Clicked::KeepIt);
                }
            } else if ui
                .add_enabled(!busy, egui::Button::new("Cancel batch job…"))
                .clicked()
            {
                *clicked = Some(Clicked::AskCancel);
            }
        }
        if info.finished() && info.report.is_some() {
            if detail.report.is_pending() {
                ui.spinner();
            } else if ui.button("Open completion report").clicked() {
                *clicked = Some(Clicked::Report);
            }
        }
    });
    if let Some(problem) = detail.report.failed() {
        problem_ui(ui, problem);
    }
}
