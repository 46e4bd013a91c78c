//! "Re-encrypt N objects…": the plan dialog the Audit tab opens on its filtered rows. The
//! target encryption (the upload form; the bucket default is refused, and the form says why),
//! which versions, whether to delete the versions copies replace, the job's pace and the SSE-C
//! keys to offer; then "Plan" — a dry run that lists and inspects every object again (in the
//! background, cancellable) — shows what the job will do, object by object, before "Start job".
//! Big selections are offered to S3 Batch Operations instead.

use std::collections::BTreeSet;

use egui::RichText;

use super::actions::Action;
use super::batch_dialog::{BatchDialog, batch_dialog_ui};
use super::encryption_form::{EncryptionForm, FormMode, encryption_form_ui};
use super::format::{fraction, human_size};
use super::notices::problem_ui;
use super::plan_view::{objects, plan_summary_ui};
use super::remedy::capitalise;
use super::report_table::{RowChoice, RowFilter, choice_ui, rows_table_ui};
use super::request::Requested;
use super::shared::Cx;
use super::tasks::Tasks;
use crate::batch::suggests_batch;
use crate::jobs::target::BUCKET_DEFAULT_REFUSED;
use crate::jobs::{Method, Plan, PlanRequest, ReportRow, RunSettings, Versions};
use crate::keys::KeyKind;
use crate::progress::Progress;
use crate::s3::S3Uri;
use crate::s3::bucket::AuditRow;
use crate::s3::bucket::filter::ObjectFilter;
use crate::transfer::write_mode::EncryptionChoice;

/// What the audit hands over: where, its filter, and the rows it kept.
#[derive(Clone, Debug)]
pub struct RekeyScope {
    pub uri: S3Uri,
    pub filters: Vec<ObjectFilter>,
    /// The filter in the audit's words ("unencrypted", "all objects", …).
    pub what: String,
    pub rows: Vec<AuditRow>,
}

/// The choices a plan was made with, to tell a plan that no longer matches them.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Choices {
    target: EncryptionChoice,
    versions: Versions,
    delete_replaced: bool,
    source_keys: Vec<String>,
    concurrency: usize,
    kms_rate: Option<u32>,
}

/// A plan and its rows as the preview shows them (made in the background: 100,000 rows take
/// a while).
#[derive(Debug)]
pub struct Planned {
    pub plan: Plan,
    rows: Vec<ReportRow>,
    choices: Choices,
}

/// The dialog's state.
#[derive(Debug)]
pub struct RekeyDialog {
    pub scope: RekeyScope,
    pub form: EncryptionForm,
    pub versions: Versions,
    pub delete_replaced: bool,
    pub concurrency: usize,
    pub kms_rate: Option<u32>,
    pub source_keys: BTreeSet<String>,
    /// Objects inspected of objects listed, while planning.
    progress: Progress,
    plan: Requested<Planned>,
    filter: RowFilter,
    confirm_delete: bool,
    pub batch: Option<BatchDialog>,
}

impl RekeyDialog {
    pub fn new(scope: RekeyScope) -> Self {
        Self {
            scope,
            form: EncryptionForm::default(),
            versions: Versions::Current,
            delete_replaced: false,
            concurrency: RunSettings::default().concurrency,
            kms_rate: None,
            source_keys: BTreeSet::new(),
            progress: Progress::new(),
            plan: Requested::NotAsked,
            filter: RowFilter::default(),
            confirm_delete: false,
            batch: None,
        }
    }

    /// The choices as they stand, or what is missing (in the window's words).
    fn choices(&self) -> Result<Choices, String> {
        if self.form.mode == FormMode::Default {
            return Err(capitalise(BUCKET_DEFAULT_REFUSED));
        }
        Ok(Choices {
            target: self.form.choice()?,
            versions: self.versions,
            delete_replaced: self.delete_replaced,
            source_keys: self.source_keys.iter().cloned().collect(),
            concurrency: self.concurrency,
            kms_rate: self.kms_rate,
        })
    }

    /// Plans the job: lists and inspects the objects again, in the background.
    fn plan(&mut self, tasks: &Tasks, choices: Choices) {
        let request = PlanRequest {
            uri: self.scope.uri.clone(),
            filters: self.scope.filters.clone(),
            target: choices.target.clone(),
            versions: choices.versions,
            delete_replaced_versions: choices.delete_replaced,
            source_keys: choices.source_keys.clone(),
            trusted_kms: Vec::new(),
            settings: RunSettings {
                concurrency: choices.concurrency,
                kms_rate: choices.kms_rate,
                ..RunSettings::default()
            },
        };
        self.progress = Progress::new();
        self.confirm_delete = false;
        let progress = self.progress.clone();
        self.plan = Requested::Pending(tasks.s3(move |conn, keys, cancel| async move {
            let plan = crate::jobs::plan(&conn, &keys, &request, &progress, &cancel).await?;
            let rows = plan.rows();
            Ok(Planned {
                plan,
                rows,
                choices,
            })
        }));
    }

    pub fn is_busy(&self) -> bool {
        self.plan.is_pending() || self.batch.as_ref().is_some_and(BatchDialog::is_busy)
    }

    /// The plan, to start it as a job (the dialog is done with it).
    pub fn take_plan(&mut self) -> Option<Plan> {
        match std::mem::take(&mut self.plan) {
            Requested::Ready(planned) => Some(planned.plan),
            other => {
                self.plan = other;
                None
            }
        }
    }
}

/// The preview's choices: every method.
const PREVIEW: [RowChoice; 6] = [
    RowChoice::All,
    RowChoice::Method(Method::UpdateObjectEncryption),
    RowChoice::Method(Method::Copy),
    RowChoice::Method(Method::MultipartCopy),
    RowChoice::Method(Method::Rewrap),
    RowChoice::Method(Method::Skip),
];

/// The height a dialog's scrolling body may take, so that its last buttons stay on screen.
pub(super) fn dialog_height(ctx: &egui::Context) -> f32 {
    (ctx.content_rect().height() - 140.0).max(240.0)
}

pub fn rekey_dialog_ui(ctx: &egui::Context, dialog: &mut RekeyDialog, cx: &mut Cx<'_>) {
    if dialog.plan.poll()
        && let Some(planned) = dialog.plan.ready()
    {
        dialog.filter = RowFilter::new(&planned.rows);
    }
    let mut open = true;
    egui::Window::new("Re-encrypt objects")
        .open(&mut open)
        .collapsible(false)
        .resizable(true)
        .default_width(860.0)
        .default_height(720.0)
        .show(ctx, |ui| {
            egui::ScrollArea::vertical()
                .id_salt("rekey-scroll")
                .max_height(dialog_height(ctx))
                .auto_shrink([false, true])
                .show(ui, |ui| dialog_body_ui(ui, dialog, cx));
        });
    if let Some(batch) = &mut dialog.batch
        && !batch_dialog_ui(ctx, batch, &dialog.form, cx)
    {
        dialog.batch = None;
    }
    if !open {
        cx.actions.push(Action::CloseRekeyPlan);
    }
}

fn dialog_body_ui(ui: &mut egui::Ui, dialog: &mut RekeyDialog, cx: &mut Cx<'_>) {
    let scope = &dialog.scope;
    ui.label(format!(
        "{} of the audit of {} ({}). The plan lists and inspects them again, so it sees them as they are now; nothing changes until you start the job.",
        objects(scope.rows.len() as u64),
        scope.uri,
        scope.what
    ));
    if suggests_batch(scope.rows.len() as u64) {
        ui.label(
            RichText::new(format!(
                "{} is a lot for one computer: S3 Batch Operations does it inside AWS (from {} objects on, s3seal suggests it).",
                objects(scope.rows.len() as u64),
                crate::batch::BATCH_THRESHOLD_OBJECTS
            ))
            .color(ui.visuals().warn_fg_color),
        );
    }
    ui.separator();
    encryption_form_ui(
        ui,
        &mut dialog.form,
        &cx.shared.kms,
        &cx.shared.keys,
        cx.actions,
    );
    ui.label(dialog.form.summary(&cx.shared.kms));
    ui.separator();
    ui.push_id("job-options", |ui| options_ui(ui, dialog, cx));
    let choices = dialog.choices();
    let problem = match &choices {
        Err(problem) => Some(problem.clone()),
        Ok(_) => dialog.form.problem(cx.shared.plain_http),
    };
    ui.push_id("problem", |ui| {
        if let Some(problem) = &problem {
            ui.label(RichText::new(problem).color(ui.visuals().warn_fg_color));
        }
    });
    ui.push_id("plan-buttons", |ui| {
        ui.horizontal(|ui| {
            let planning = dialog.plan.is_pending();
            if ui
                .add_enabled(problem.is_none() && !planning, egui::Button::new("Plan"))
                .on_hover_text("A dry run: lists and inspects every object, changes nothing")
                .clicked()
                && let Ok(choices) = choices.clone()
            {
                dialog.plan(cx.tasks, choices);
            }
            // Dropping the request stops the planning.
            if planning && ui.button("Cancel planning").clicked() {
                dialog.plan = Requested::NotAsked;
            }
            if ui
                .button("Run on S3 Batch Operations…")
                .on_hover_text("Hand the work to S3 Batch Operations: AWS runs it, s3seal plans, reviews and reads the report")
                .clicked()
                && dialog.batch.is_none()
            {
                dialog.batch = Some(BatchDialog::new(&dialog.scope));
            }
        });
    });
    if dialog.plan.is_pending() {
        let (done, total) = dialog.progress.snapshot();
        ui.add(
            egui::ProgressBar::new(fraction(done, total))
                .text(format!("{done} of {total} objects listed so far inspected"))
                .animate(true),
        );
    }
    if let Some(problem) = dialog.plan.failed() {
        problem_ui(ui, problem);
    }
    let current = choices.ok();
    let RekeyDialog {
        plan,
        filter,
        confirm_delete,
        ..
    } = dialog;
    if let Requested::Ready(planned) = plan {
        ui.separator();
        ui.push_id("plan", |ui| {
            plan_summary_ui(ui, &planned.plan, &cx.shared.kms_names);
            ui.separator();
            choice_ui(ui, "plan-preview-choice", filter, &planned.rows, &PREVIEW);
            rows_table_ui(
                ui,
                "plan-preview",
                &planned.rows,
                filter,
                260.0,
                &cx.shared.kms_names,
            );
        });
        ui.separator();
        let stale = current.as_ref() != Some(&planned.choices);
        if stale {
            ui.label(
                RichText::new("The choices changed since this plan: press Plan again.")
                    .color(ui.visuals().warn_fg_color),
            );
        }
        ui.push_id("start", |ui| {
            start_ui(ui, planned, confirm_delete, stale, cx.actions);
        });
    }
}

/// Versions, deleting replaced versions, pace, and the SSE-C keys to offer.
fn options_ui(ui: &mut egui::Ui, dialog: &mut RekeyDialog, cx: &mut Cx<'_>) {
    ui.horizontal(|ui| {
        ui.label("Versions");
        ui.radio_value(&mut dialog.versions, Versions::Current, "Current versions");
        ui.radio_value(&mut dialog.versions, Versions::All, "Every version")
            .on_hover_text("Older versions change in place where UpdateObjectEncryption can; the others are listed as keeping their encryption");
    });
    ui.checkbox(
        &mut dialog.delete_replaced,
        "Delete the older versions this job's copies replace",
    )
    .on_hover_text("In a versioned bucket each copy makes a new version; the old one keeps its old encryption until deleted. Each is deleted only once its new version shows the target encryption.");
    ui.horizontal(|ui| {
        let label = ui.label("Objects in flight");
        ui.add(egui::DragValue::new(&mut dialog.concurrency).range(1..=256))
            .labelled_by(label.id);
        let mut limited = dialog.kms_rate.is_some();
        ui.checkbox(&mut limited, "Limit KMS requests to");
        if limited {
            let rate = dialog.kms_rate.get_or_insert(100);
            let label = ui.label("per second");
            ui.add(egui::DragValue::new(rate).range(1..=100_000))
                .labelled_by(label.id);
        } else {
            dialog.kms_rate = None;
        }
    });
    let sse_c: Vec<String> = cx
        .shared
        .keys
        .ready()
        .map(|keys| {
            keys.iter()
                .filter(|k| k.kind == KeyKind::SseC)
                .map(|k| k.name.clone())
                .collect()
        })
        .unwrap_or_default();
    if !sse_c.is_empty() {
        egui::CollapsingHeader::new("SSE-C keys to offer")
            .id_salt("source-keys")
            .show(ui, |ui| {
                ui.label(
                    RichText::new("SSE-C objects are read with the local key whose homes include this bucket; tick others to offer them too.")
                        .weak(),
                );
                for name in sse_c {
                    let mut on = dialog.source_keys.contains(&name);
                    if ui.checkbox(&mut on, &name).changed() {
                        if on {
                            dialog.source_keys.insert(name);
                        } else {
                            dialog.source_keys.remove(&name);
                        }
                    }
                }
            });
    }
}

/// "Start job", or — when it deletes versions — the confirmation that says how many.
fn start_ui(
    ui: &mut egui::Ui,
    planned: &Planned,
    confirm_delete: &mut bool,
    stale: bool,
    actions: &mut Vec<Action>,
) {
    let s = &planned.plan.summary;
    let deletes = planned.plan.delete_replaced_versions && s.replaced_versions > 0;
    let start = |actions: &mut Vec<Action>| actions.push(Action::StartJob);
    if *confirm_delete && deletes {
        ui.label(
            RichText::new(format!(
                "This job deletes {} ({}): the older versions its copies replace, each once its new version shows the target encryption. Deleted versions cannot be recovered.",
                if s.replaced_versions == 1 {
                    "1 version".to_owned()
                } else {
                    format!("{} versions", s.replaced_versions)
                },
                human_size(s.replaced_bytes)
            ))
            .color(ui.visuals().warn_fg_color),
        );
        ui.horizontal(|ui| {
            if ui
                .add_enabled(
                    !stale,
                    egui::Button::new(format!(
                        "Delete {} and start",
                        if s.replaced_versions == 1 {
                            "1 version".to_owned()
                        } else {
                            format!("{} versions", s.replaced_versions)
                        }
                    )),
                )
                .clicked()
            {
                start(actions);
            }
            if ui.button("Back").clicked() {
                *confirm_delete = false;
            }
        });
        return;
    }
    ui.horizontal(|ui| {
        if ui
            .add_enabled(!stale, egui::Button::new("Start job"))
            .on_hover_text(
                "Stored in the configuration folder as it goes: a quit or a crash loses nothing",
            )
            .clicked()
        {
            if deletes {
                *confirm_delete = true;
            } else {
                start(actions);
            }
        }
        ui.label(
            RichText::new(format!(
                "Job {} · follow it in the Jobs tab",
                planned.plan.id
            ))
            .weak(),
        );
    });
}
