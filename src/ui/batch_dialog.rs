//! "Run on S3 Batch Operations…": the same re-encryption handed to the engine AWS runs for
//! it. The form takes the role, the completion report's location and the account (the target
//! comes from the plan dialog's form); "Review" plans the job and shows everything before it
//! exists: the exact CreateJob input (with Copy), what the manifest holds and leaves out (keys
//! over 5 GiB listed for a local job), the costs next to a local job's with the price table's
//! date and sources, the notes, and the role's trust and permissions policies (each with Copy).
//! "Create job" then uploads the manifest and sends CreateJob; the job waits for confirmation
//! in the Jobs tab.

use std::sync::Arc;

use egui::RichText;

use super::actions::Action;
use super::badges::{KmsNames, state_words};
use super::encryption_form::EncryptionForm;
use super::format::human_size;
use super::notices::problem_ui;
use super::plan_view::objects;
use super::remedy::{Problem, advice};
use super::request::Requested;
use super::shared::Cx;
use super::tasks::Tasks;
use crate::batch::{
    self, BatchPlan, BatchRequest, ObjectSource, RolePolicies, Selection, Submitted, TargetRequest,
    role_policies,
};
use crate::s3::S3Uri;
use crate::s3::bucket::AuditRow;
use crate::s3::bucket::filter::ObjectFilter;

use super::rekey_dialog::{RekeyScope, dialog_height};

/// What a review was made from, to tell one that no longer matches the form.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Asked {
    target: TargetRequest,
    from_audit: bool,
    role_arn: String,
    report: String,
    account_id: String,
}

/// A planned job and what is shown of it.
#[derive(Debug)]
pub struct Review {
    plan: BatchPlan,
    asked: Asked,
    input_json: String,
    policies: RolePolicies,
    trust_json: String,
    permissions_json: String,
}

/// The dialog's state.
#[derive(Debug)]
pub struct BatchDialog {
    source: S3Uri,
    filters: Vec<ObjectFilter>,
    rows: Arc<Vec<AuditRow>>,
    pub role_arn: String,
    /// `s3://BUCKET/PREFIX` for the completion report (and the manifest s3seal writes).
    pub report: String,
    /// Empty: the credentials' own account.
    pub account_id: String,
    /// The audit's rows in a CSV manifest (exactly what the audit kept), or S3's manifest
    /// generator (S3 lists the prefix itself).
    pub from_audit: bool,
    review: Requested<Arc<Review>>,
    submitted: Requested<Submitted>,
}

impl BatchDialog {
    pub fn new(scope: &RekeyScope) -> Self {
        Self {
            source: scope.uri.clone(),
            filters: scope.filters.clone(),
            rows: Arc::new(scope.rows.clone()),
            role_arn: String::new(),
            report: String::new(),
            account_id: String::new(),
            from_audit: !scope.rows.is_empty(),
            review: Requested::NotAsked,
            submitted: Requested::NotAsked,
        }
    }

    pub fn is_busy(&self) -> bool {
        self.review.is_pending() || self.submitted.is_pending()
    }

    /// The request the form makes, or what is missing.
    fn asked(&self, form: &EncryptionForm) -> Result<Asked, String> {
        let choice = form.choice()?;
        let target = TargetRequest::from_choice(&choice).map_err(|e| Problem::from(e).summary)?;
        if self.role_arn.trim().is_empty() {
            return Err("Give the ARN of the IAM role the job runs as (its policies are shown once reviewed)".to_owned());
        }
        if self.report.trim().is_empty() {
            return Err("Give where the completion report goes (s3://BUCKET/PREFIX)".to_owned());
        }
        Ok(Asked {
            target,
            from_audit: self.from_audit,
            role_arn: self.role_arn.trim().to_owned(),
            report: self.report.trim().to_owned(),
            account_id: self.account_id.trim().to_owned(),
        })
    }

    /// Plans the job (nothing is written anywhere).
    fn review(&mut self, tasks: &Tasks, asked: Asked) {
        let (source, filters, rows) =
            (self.source.clone(), self.filters.clone(), self.rows.clone());
        self.submitted = Requested::NotAsked;
        self.review = Requested::Pending(tasks.s3(move |conn, _, cancel| async move {
            let request = BatchRequest {
                source,
                target: asked.target.clone(),
                selection: Selection {
                    filters,
                    ..Selection::default()
                },
                role_arn: asked.role_arn.clone(),
                report: asked.report.parse()?,
                objects: if asked.from_audit {
                    ObjectSource::AuditRows(rows.as_ref().clone())
                } else {
                    ObjectSource::Generator
                },
                account_id: Some(asked.account_id.clone()).filter(|a| !a.is_empty()),
            };
            let plan =
                batch::plan_batch_job(&conn, &request, &crate::progress::Progress::new(), &cancel)
                    .await?;
            let policies = role_policies(&plan.spec);
            let json = |v: &serde_json::Value| serde_json::to_string_pretty(v).unwrap_or_default();
            Ok(Arc::new(Review {
                input_json: json(&plan.create_job_input),
                trust_json: json(&policies.trust_policy),
                permissions_json: json(&policies.permissions_policy),
                policies,
                plan,
                asked,
            }))
        }));
    }
}

/// Draws the dialog; false once it is closed.
pub fn batch_dialog_ui(
    ctx: &egui::Context,
    dialog: &mut BatchDialog,
    form: &EncryptionForm,
    cx: &mut Cx<'_>,
) -> bool {
    dialog.review.poll();
    if dialog.submitted.poll()
        && let (Some(done), Some(review)) = (dialog.submitted.ready(), dialog.review.ready())
    {
        cx.actions.push(Action::BatchJobCreated {
            account_id: review.plan.spec.account_id.clone(),
            job_id: done.job_id.clone(),
        });
    }
    let mut open = true;
    egui::Window::new("S3 Batch Operations")
        .open(&mut open)
        .collapsible(false)
        .resizable(true)
        .default_width(760.0)
        .default_height(680.0)
        .show(ctx, |ui| {
            egui::ScrollArea::vertical()
                .id_salt("batch-scroll")
                .max_height(dialog_height(ctx))
                .auto_shrink([false, true])
                .show(ui, |ui| body_ui(ui, dialog, form, cx));
        });
    open
}

fn body_ui(ui: &mut egui::Ui, dialog: &mut BatchDialog, form: &EncryptionForm, cx: &mut Cx<'_>) {
    ui.label(
        RichText::new(
            "AWS runs the job inside S3, for any number of objects. s3seal plans it and shows what it sends; it never creates IAM roles or policies.",
        )
        .weak(),
    );
    ui.label(format!(
        "Target: {} (from the encryption chosen in Re-encrypt objects)",
        form.summary(&cx.shared.kms)
    ));
    ui.horizontal(|ui| {
        ui.label("Objects");
        ui.radio_value(
            &mut dialog.from_audit,
            true,
            format!("the audit's {} (a manifest s3seal writes)", objects(dialog.rows.len() as u64)),
        );
        ui.radio_value(
            &mut dialog.from_audit,
            false,
            format!("every match S3 finds under {}", dialog.source),
        )
        .on_hover_text("S3's manifest generator lists the prefix when the job is prepared; the audit's filter must be one it can express");
    });
    let field = |ui: &mut egui::Ui, name: &str, text: &mut String, hint: &str| {
        ui.horizontal(|ui| {
            let label = ui.label(name);
            ui.add(
                egui::TextEdit::singleline(text)
                    .hint_text(hint)
                    .desired_width(420.0),
            )
            .labelled_by(label.id);
        });
    };
    field(
        ui,
        "Role ARN",
        &mut dialog.role_arn,
        "arn:aws:iam::ACCOUNT:role/NAME",
    );
    field(
        ui,
        "Completion report",
        &mut dialog.report,
        "s3://BUCKET/PREFIX",
    );
    field(
        ui,
        "Account ID",
        &mut dialog.account_id,
        "your credentials' account",
    );
    let asked = dialog.asked(form);
    if let Err(missing) = &asked {
        ui.label(RichText::new(missing).color(ui.visuals().warn_fg_color));
    }
    ui.horizontal(|ui| {
        let reviewing = dialog.review.is_pending();
        if ui
            .add_enabled(
                asked.is_ok() && !reviewing,
                egui::Button::new("Review batch job"),
            )
            .on_hover_text(
                "Plans the job and shows its CreateJob input; nothing is sent to S3 Control",
            )
            .clicked()
            && let Ok(asked) = asked.clone()
        {
            dialog.review(cx.tasks, asked);
        }
        if reviewing {
            ui.spinner();
        }
    });
    if let Some(problem) = dialog.review.failed() {
        problem_ui(ui, problem);
    }
    let Some(review) = dialog.review.ready().cloned() else {
        return;
    };
    ui.separator();
    review_ui(ui, &review, &cx.shared.kms_names, cx.actions);
    ui.separator();
    let stale = asked.as_ref().ok() != Some(&review.asked);
    if stale {
        ui.label(
            RichText::new("The form changed since this review: press Review batch job again.")
                .color(ui.visuals().warn_fg_color),
        );
    }
    match &dialog.submitted {
        Requested::Ready(done) => {
            ui.label(
                RichText::new(format!(
                    "Created job {}. Once S3 has counted the objects it waits for your confirmation: follow it in the Jobs tab.",
                    done.job_id
                ))
                .strong(),
            );
        }
        Requested::Pending(_) => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Uploading the manifest and creating the job…");
            });
        }
        Requested::Failed(_) | Requested::NotAsked => {
            if let Some(problem) = dialog.submitted.failed() {
                problem_ui(ui, problem);
            }
            if ui
                .add_enabled(!stale, egui::Button::new("Create job"))
                .on_hover_text("Uploads the manifest (if any) and sends CreateJob; the job waits for your confirmation")
                .clicked()
            {
                let review = review.clone();
                dialog.submitted = Requested::Pending(cx.tasks.s3(move |conn, _, _| async move {
                    batch::submit(&conn, &review.plan).await
                }));
            }
        }
    }
}

/// Everything the review shows, before anything exists.
fn review_ui(ui: &mut egui::Ui, review: &Review, kms: &KmsNames, actions: &mut Vec<Action>) {
    let spec = &review.plan.spec;
    ui.label(
        RichText::new(format!(
            "{} on s3://{} (account {}) to {}",
            match spec.operation {
                batch::BatchOperation::UpdateObjectEncryption => "UpdateObjectEncryption in place",
                batch::BatchOperation::PutObjectCopy => "copy onto itself",
            },
            spec.bucket,
            spec.account_id,
            state_words(&spec.target.state(), kms)
        ))
        .strong(),
    );
    match &review.plan.manifest {
        Some(m) => {
            ui.label(format!(
                "{} ({}) in a CSV manifest s3seal writes and uploads.",
                objects(m.objects),
                human_size(m.bytes)
            ));
            for (reason, n) in &m.left_out {
                ui.label(format!("Left out: {} — {reason}", objects(*n)));
            }
            if m.too_large > 0 {
                egui::CollapsingHeader::new(format!(
                    "{} over 5 GiB, for a local job",
                    objects(m.too_large)
                ))
                .id_salt("too-large")
                .show(ui, |ui| {
                    for key in &m.too_large_keys {
                        ui.label(RichText::new(key).monospace());
                    }
                });
            }
        }
        None => {
            ui.label("S3's manifest generator lists the objects when the job is prepared; the job then waits with the count it found.");
        }
    }
    costs_ui(ui, &review.plan.costs);
    for note in &review.plan.notes {
        ui.label(RichText::new(advice(note)).weak());
    }
    json_ui(
        ui,
        "CreateJob input (aws s3control create-job --cli-input-json)",
        "Copy CreateJob input",
        &review.input_json,
        actions,
    );
    ui.label(RichText::new("The job's IAM role").strong());
    json_ui(
        ui,
        "Trust policy",
        "Copy trust policy",
        &review.trust_json,
        actions,
    );
    json_ui(
        ui,
        "Permissions policy",
        "Copy permissions policy",
        &review.permissions_json,
        actions,
    );
    for note in &review.policies.notes {
        ui.label(RichText::new(note).weak());
    }
}

/// A JSON document, selectable, with a Copy button.
fn json_ui(ui: &mut egui::Ui, title: &str, copy: &str, json: &str, actions: &mut Vec<Action>) {
    ui.horizontal(|ui| {
        ui.label(RichText::new(title).strong());
        if ui.button(copy).clicked() {
            actions.push(Action::CopyText(json.to_owned()));
        }
    });
    egui::ScrollArea::vertical()
        .id_salt(title)
        .max_height(220.0)
        .show(ui, |ui| {
            ui.add(egui::Label::new(RichText::new(json).monospace()).selectable(true));
        });
}

/// Batch and local side by side, with the price table's region, date and sources.
fn costs_ui(ui: &mut egui::Ui, c: &batch::CostEstimate) {
    ui.label(RichText::new(format!(
        "Cost{}: S3 Batch Operations ${:.2}, the same work as a local job ${:.2} (list prices, {}, gathered {})",
        if c.per_million { " per million objects" } else { "" },
        c.batch_total,
        c.local_total,
        c.prices.region,
        c.prices.date
    )).strong());
    ui.columns(2, |columns| {
        for (ui, (title, lines)) in columns
            .iter_mut()
            .zip([("S3 Batch Operations", &c.batch), ("Local job", &c.local)])
        {
            ui.label(RichText::new(title).strong());
            egui::Grid::new(title).num_columns(2).show(ui, |ui| {
                for line in lines {
                    ui.label(format!("${:.4}", line.usd));
                    ui.label(&line.item);
                    ui.end_row();
                }
            });
        }
    });
    ui.label(RichText::new(&c.note).weak());
    egui::CollapsingHeader::new("Prices and their sources")
        .id_salt("batch-prices")
        .show(ui, |ui| {
            for p in &c.prices.prices {
                ui.label(p.to_string());
            }
        });
}
