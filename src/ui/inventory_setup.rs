//! The bucket security view's Inventory section: the bucket's S3 Inventory configurations and
//! the newest report of each, and "Set up a daily inventory…" — a destination, the planned
//! change as a diff with the statement the destination bucket's policy needs (copied, never
//! applied by s3seal), then Apply, refused if the configurations changed since the plan.

use egui::RichText;

use super::actions::Action;
use super::bucket_view::diff_ui;
use super::format::utc_minute;
use super::notices::problem_ui;
use super::planned_change::{Ask, PlannedChange, Words, planned_change_ui};
use super::remedy::Problem;
use super::request::Requested;
use super::shared::Cx;
use super::tasks::Tasks;
use crate::s3::S3Uri;
use crate::s3::inventory::{self, InventoryChange, InventoryStatus, S3SEAL_INVENTORY_ID};

/// The section's state.
#[derive(Debug, Default)]
pub struct InventorySection {
    status: Requested<InventoryStatus>,
    /// The destination form, while it is open.
    form: Option<DestinationForm>,
    change: PlannedChange<InventoryChange>,
}

/// Where the reports should go, as typed.
#[derive(Debug, Default)]
struct DestinationForm {
    destination: String,
    /// What is wrong with the destination typed.
    problem: Option<Problem>,
    /// The destination the change was planned for (asked again by "Review again").
    planned: Option<S3Uri>,
}

impl InventorySection {
    /// Reads the configurations again when next drawn.
    pub fn forget(&mut self) {
        self.status = Requested::NotAsked;
    }

    /// Takes `status` as the bucket's inventories, without asking S3 (a preview).
    pub(super) fn show_status(&mut self, status: InventoryStatus) {
        self.status = Requested::Ready(status);
    }

    pub fn is_busy(&self) -> bool {
        self.status.is_pending() || self.change.is_busy()
    }

    fn load(&mut self, tasks: &Tasks, bucket: &str) {
        let bucket = bucket.to_owned();
        self.status = Requested::Pending(tasks.s3(move |conn, _, _| async move {
            inventory::inventory_status(&conn, &bucket).await
        }));
    }

    fn plan(&mut self, tasks: &Tasks, bucket: &str, destination: S3Uri) {
        let bucket = bucket.to_owned();
        let to = destination.clone();
        self.change.plan(tasks.s3(move |conn, _, _| async move {
            inventory::plan_enable_inventory(&conn, &bucket, &to).await
        }));
        if let Some(form) = &mut self.form {
            form.planned = Some(destination);
        }
    }
}

pub fn inventory_section_ui(
    ui: &mut egui::Ui,
    section: &mut InventorySection,
    bucket: &str,
    cx: &mut Cx<'_>,
) {
    if section.status.is_not_asked() {
        section.load(cx.tasks, bucket);
    }
    section.status.poll();
    if section.change.poll() {
        // Written: show what the bucket has now; the audit tab looks for reports again.
        section.load(cx.tasks, bucket);
        section.form = None;
        cx.actions.push(Action::BucketChanged);
    }
    ui.add_space(4.0);
    ui.label(RichText::new("Inventory").strong());
    ui.label(
        RichText::new(
            "An S3 Inventory report lists every object with its encryption, once a day or a week: the audit can read it for free instead of asking S3 once per object.",
        )
        .weak()
        .small(),
    );
    let has_ours = match &section.status {
        Requested::Ready(status) => {
            status_ui(ui, status);
            status
                .configurations
                .iter()
                .any(|c| c.id == S3SEAL_INVENTORY_ID)
        }
        Requested::Failed(problem) => {
            problem_ui(ui, problem);
            false
        }
        Requested::Pending(_) | Requested::NotAsked => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Reading the inventory configurations…");
            });
            return;
        }
    };
    if section.form.is_none() && section.change.settled() {
        let label = if has_ours {
            "Change s3seal's daily inventory…"
        } else {
            "Set up a daily inventory…"
        };
        if ui.button(label).clicked() {
            section.form = Some(DestinationForm::default());
            section.change.reset();
        }
    }
    if section.change.is_idle()
        && let Some(form) = &mut section.form
    {
        match destination_form_ui(ui, form) {
            Some(FormAsk::Review(destination)) => section.plan(cx.tasks, bucket, destination),
            Some(FormAsk::Close) => section.form = None,
            None => {}
        }
    }
    let words = Words {
        reading: "Reading the inventory configurations…",
        apply: "Apply inventory configuration",
    };
    let actions = &mut *cx.actions;
    let ask = planned_change_ui(ui, &mut section.change, &words, |ui, change| {
        review_ui(ui, change, bucket, actions)
    });
    match ask {
        Some(Ask::Apply(change)) => section.change.apply(cx.tasks, move |conn| async move {
            inventory::apply_inventory_change(&conn, &change).await?;
            Ok(format!(
                "S3 will write a {} {} inventory of {} to {}; the first report can take up to 48 hours.",
                change.after.frequency.to_lowercase(),
                change.after.format,
                change.bucket,
                change.after.destination
            ))
        }),
        Some(Ask::ReviewAgain) => {
            if let Some(destination) = section.form.as_ref().and_then(|f| f.planned.clone()) {
                section.plan(cx.tasks, bucket, destination);
            }
        }
        None => {}
    }
}

/// The configurations and their newest reports.
fn status_ui(ui: &mut egui::Ui, status: &InventoryStatus) {
    if status.configurations.is_empty() {
        ui.label("This bucket has no inventory configuration.");
        return;
    }
    egui::Grid::new("inventory-configurations")
        .num_columns(6)
        .striped(true)
        .show(ui, |ui| {
            for title in [
                "Inventory",
                "Schedule",
                "Format",
                "Objects",
                "Delivered to",
                "For the audit",
            ] {
                ui.label(RichText::new(title).strong());
            }
            ui.end_row();
            for c in &status.configurations {
                ui.label(&c.id);
                ui.label(if c.enabled {
                    c.frequency.clone()
                } else {
                    format!("{} (disabled)", c.frequency)
                });
                ui.label(&c.format);
                ui.label(format!(
                    "{} versions, {}",
                    c.versions.to_lowercase(),
                    c.prefix
                        .as_deref()
                        .map_or("the whole bucket".to_owned(), |p| format!("under {p}"))
                ));
                ui.label(&c.destination);
                ui.label(if c.serves_audit() {
                    "usable".to_owned()
                } else if c.missing_for_audit.is_empty() {
                    "not usable (format or prefix)".to_owned()
                } else {
                    format!("lacks {}", c.missing_for_audit.join(", "))
                });
                ui.end_row();
            }
        });
    if status.reports.is_empty() {
        ui.label("No report delivered yet (the first can take up to 48 hours).");
    }
    for report in &status.reports {
        ui.label(format!(
            "Newest report of '{}': {}",
            report.id,
            utc_minute(&report.report_date)
        ))
        .on_hover_text(&report.manifest);
    }
}

/// What the destination form asks.
enum FormAsk {
    Review(S3Uri),
    Close,
}

/// The destination field, with "Review change" (once the destination is valid) and "Cancel".
fn destination_form_ui(ui: &mut egui::Ui, form: &mut DestinationForm) -> Option<FormAsk> {
    ui.label(
        "S3 will write a CSV report of every current object, with the fields the audit reads, once a day to this bucket and prefix (the bucket must be in the same region). Nothing is written until you apply the change.",
    );
    let mut ask = None;
    ui.horizontal(|ui| {
        let label = ui.label("Destination");
        ui.add(
            egui::TextEdit::singleline(&mut form.destination)
                .hint_text("s3://BUCKET/PREFIX")
                .desired_width(320.0),
        )
        .labelled_by(label.id);
        if ui.button("Review change").clicked() {
            match form.destination.trim().parse::<S3Uri>() {
                Ok(uri) => {
                    form.problem = None;
                    ask = Some(FormAsk::Review(uri));
                }
                Err(err) => form.problem = Some(Problem::from(err)),
            }
        }
        if ui.button("Cancel").clicked() {
            ask = Some(FormAsk::Close);
        }
    });
    if let Some(problem) = &form.problem {
        problem_ui(ui, problem);
    }
    ask
}

/// The plan: its diff, and the destination policy statement with a copy button.
fn review_ui(
    ui: &mut egui::Ui,
    change: &InventoryChange,
    bucket: &str,
    actions: &mut Vec<Action>,
) -> bool {
    ui.label(format!(
        "The inventory configurations of {bucket} will change like this:"
    ));
    diff_ui(ui, &change.diff());
    if change.changed {
        let statement =
            serde_json::to_string_pretty(&change.destination_policy_statement).unwrap_or_default();
        ui.label(
            "The policy of the destination bucket needs this statement so S3 may deliver the reports (s3seal does not change that policy; add it there):",
        );
        egui::ScrollArea::vertical()
            .id_salt("inventory-statement")
            .max_height(200.0)
            .show(ui, |ui| {
                ui.label(RichText::new(&statement).monospace());
            });
        if ui.button("Copy statement").clicked() {
            actions.push(Action::CopyText(statement));
        }
    }
    change.changed
}
