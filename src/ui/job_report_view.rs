//! A finished job's report in the Audit tab: a local job's or an S3 Batch Operations job's
//! rows (bucket, key, version, before and after, method, status, why), counted by outcome and
//! charted by the encryption they have now (the audit's mode and key, read from `after`),
//! narrowed by status; saved as CSV or JSON; and the audit of the job's prefix run again to see
//! the result on the server.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use egui::{Color32, RichText};

use super::actions::Action;
use super::badges::{KmsNames, colour, label_words, mode_name, state_words};
use super::bar_chart::chart_pair_ui;
use super::notices::problem_ui;
use super::plan_view::objects;
use super::remedy::advice;
use super::report_table::{RowChoice, RowFilter, choice_ui, rows_table_ui};
use super::request::Requested;
use super::shared::Cx;
use super::tasks::Tasks;
use crate::batch::{BatchReport, render_report};
use crate::error::Result;
use crate::jobs::report::{ReportFormat, render};
use crate::jobs::{Report, ReportRow, ReportSummary, RowStatus};
use crate::remedy::Advice;
use crate::s3::{EncryptionMode, S3Uri};

/// A report to show: a local job's, or one S3 Batch Operations wrote.
#[derive(Debug)]
pub enum ShownReport {
    Local(Report),
    Batch(BatchReport),
}

impl ShownReport {
    pub fn rows(&self) -> &[ReportRow] {
        match self {
            Self::Local(r) => &r.rows,
            Self::Batch(r) => &r.rows,
        }
    }

    fn summary(&self) -> &ReportSummary {
        match self {
            Self::Local(r) => &r.summary,
            Self::Batch(r) => &r.summary,
        }
    }

    fn notes(&self) -> &[Advice] {
        match self {
            Self::Local(r) => &r.notes,
            Self::Batch(r) => &r.notes,
        }
    }

    fn job_id(&self) -> &str {
        match self {
            Self::Local(r) => &r.job_id,
            Self::Batch(r) => &r.job_id,
        }
    }

    /// The bucket the report is about (a batch report names it in its rows).
    pub fn bucket(&self) -> Option<&str> {
        match self {
            Self::Local(r) => Some(&r.bucket),
            Self::Batch(r) => r.rows.first().map(|row| row.bucket.as_str()),
        }
    }

    /// The prefix a local job covered, to audit again.
    fn audited(&self) -> Option<S3Uri> {
        match self {
            Self::Local(r) => Some(S3Uri::new(&r.bucket, &r.prefix)),
            Self::Batch(_) => None,
        }
    }

    /// The heading, the target's KMS key by alias (`kms`).
    fn title(&self, kms: &KmsNames) -> String {
        match self {
            Self::Local(r) => format!(
                "Report of job {}: s3://{}/{} to {}",
                r.job_id,
                r.bucket,
                r.prefix,
                state_words(&r.target, kms)
            ),
            Self::Batch(r) => format!(
                "Report of S3 Batch Operations job {}{}{}",
                r.job_id,
                r.operation
                    .as_deref()
                    .map(|op| format!(" ({op})"))
                    .unwrap_or_default(),
                r.report_date
                    .as_deref()
                    .map(|d| format!(", written {d}"))
                    .unwrap_or_default()
            ),
        }
    }

    /// The report as a file in `format`.
    fn render(&self, format: ReportFormat) -> Result<String> {
        match self {
            Self::Local(r) => render(r, format),
            Self::Batch(r) => render_report(r, format),
        }
    }
}

/// The view's state.
#[derive(Debug)]
pub struct JobReportView {
    report: Arc<ShownReport>,
    filter: RowFilter,
    /// Rows by the encryption they have now: mode, and mode with key.
    by_mode: Vec<(String, u64, Color32)>,
    by_key: Vec<(String, u64, Color32)>,
    saving: Requested<PathBuf>,
}

impl JobReportView {
    pub fn new(report: ShownReport) -> Self {
        let (mut modes, mut keys) = (BTreeMap::new(), BTreeMap::new());
        for row in report.rows() {
            let Some(after) = &row.after else { continue };
            *modes.entry(after.mode).or_insert(0u64) += 1;
            if !matches!(after.mode, EncryptionMode::None | EncryptionMode::SseS3) {
                *keys.entry(after.to_string()).or_insert(0u64) += 1;
            }
        }
        let by_mode = modes
            .into_iter()
            .map(|(mode, n)| (mode_name(mode).to_owned(), n, colour(mode)))
            .collect();
        let by_key = keys
            .into_iter()
            .map(|(label, n)| (label, n, Color32::from_rgb(0x4a, 0x6f, 0xa5)))
            .collect();
        Self {
            filter: RowFilter::new(report.rows()),
            report: Arc::new(report),
            by_mode,
            by_key,
            saving: Requested::NotAsked,
        }
    }

    pub fn bucket(&self) -> Option<&str> {
        self.report.bucket()
    }

    /// The file name the save dialog suggests.
    pub fn suggested_name(&self) -> String {
        format!("{}-report.csv", self.report.job_id())
    }

    /// Writes the report to `path`, as CSV or JSON by its extension.
    pub fn save(&mut self, tasks: &Tasks, path: PathBuf) {
        let report = self.report.clone();
        self.saving = Requested::Pending(tasks.blocking(move || {
            let text = report.render(ReportFormat::of_path(&path)?)?;
            std::fs::write(&path, text).map_err(|e| crate::Error::io("cannot write", &path, e))?;
            Ok(path)
        }));
    }
}

/// The status choices of the table.
const CHOICES: [RowChoice; 6] = [
    RowChoice::All,
    RowChoice::Status(RowStatus::Done),
    RowChoice::Status(RowStatus::Skipped),
    RowChoice::Status(RowStatus::Failed),
    RowChoice::Status(RowStatus::Changed),
    RowChoice::Status(RowStatus::Pending),
];

pub fn job_report_ui(ui: &mut egui::Ui, view: &mut JobReportView, cx: &mut Cx<'_>) {
    view.saving.poll();
    let report = view.report.clone();
    ui.horizontal(|ui| {
        ui.heading(report.title(&cx.shared.kms_names));
    });
    ui.horizontal(|ui| {
        if ui
            .button("Save report…")
            .on_hover_text("As CSV or JSON, by the file name's extension")
            .clicked()
        {
            cx.actions.push(Action::SaveJobReport);
        }
        if let Some(uri) = report.audited()
            && ui
                .button(format!("Audit {uri} again"))
                .on_hover_text("See on the server what every object is encrypted with now")
                .clicked()
        {
            cx.actions.push(Action::AuditAgain(uri));
        }
        if ui.button("Close report").clicked() {
            cx.actions.push(Action::CloseJobReport);
        }
        match &view.saving {
            Requested::Pending(_) => {
                ui.spinner();
            }
            Requested::Ready(path) => {
                ui.label(format!("Saved to {}", path.display()));
            }
            Requested::Failed(_) | Requested::NotAsked => {}
        }
    });
    if let Some(problem) = view.saving.failed() {
        problem_ui(ui, problem);
    }
    let s = report.summary();
    ui.label(
        RichText::new(format!(
            "{}: {} done, {} skipped, {} failed, {} changed{}",
            objects(s.total),
            s.count(RowStatus::Done),
            s.count(RowStatus::Skipped),
            s.count(RowStatus::Failed),
            s.count(RowStatus::Changed),
            match s.count(RowStatus::Pending) {
                0 => String::new(),
                n => format!(", {n} not handled yet"),
            }
        ))
        .strong(),
    );
    if let ShownReport::Batch(batch) = report.as_ref()
        && !batch.by_error_code.is_empty()
    {
        let codes: Vec<String> = batch
            .by_error_code
            .iter()
            .map(|(code, n)| format!("{code}: {n}"))
            .collect();
        ui.label(format!("Failed tasks by error: {}", codes.join(", ")));
    }
    for note in report.notes() {
        ui.label(RichText::new(advice(note)).weak());
    }
    // Keys by alias, as everywhere else; the report keeps what S3 said (ARNs).
    let kms = &cx.shared.kms_names;
    let by_key: Vec<(String, u64, Color32)> = view
        .by_key
        .iter()
        .map(|(label, n, fill)| (label_words(label, kms), *n, *fill))
        .collect();
    chart_pair_ui(
        ui,
        ("Encryption now, by mode", "report-by-mode", &view.by_mode),
        ("Encryption now, by key", "report-by-key", &by_key),
    );
    ui.separator();
    choice_ui(
        ui,
        "report-status",
        &mut view.filter,
        report.rows(),
        &CHOICES,
    );
    let height = ui.available_height() - 30.0;
    rows_table_ui(
        ui,
        "report-rows",
        report.rows(),
        &view.filter,
        height.max(120.0),
        kms,
    );
}
