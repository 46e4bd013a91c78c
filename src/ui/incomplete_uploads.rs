//! The bucket security view's Incomplete uploads section: "N incomplete uploads, X" with its
//! verdict, the list (key, start, parts, bytes, and what s3seal's journal knows: resumable,
//! being uploaded now), aborting the selected ones or those older than N days — confirmed in
//! place with counts and bytes, never one being uploaded — and the lifecycle rule that has S3
//! abort them, planned as a diff of the lifecycle configuration (other rules untouched) and
//! applied only when asked, then read back.

use std::collections::BTreeSet;

use egui::RichText;

use super::actions::Action;
use super::bucket_view::{diff_ui, verdict_ui};
use super::format::{human_size, utc_minute};
use super::notices::problem_ui;
use super::planned_change::{Ask, PlannedChange, Words, planned_change_ui};
use super::request::Requested;
use super::shared::Cx;
use super::tasks::Tasks;
use crate::s3::bucket::lifecycle::{self, AbortRule, LifecycleChange};
use crate::transfer::orphans::{
    self, AbortReport, AbortSelection, IncompleteUpload, IncompleteUploads,
};

/// Days offered by default, for both the age filter and the rule.
const DEFAULT_DAYS: u32 = 7;

/// The section's state.
#[derive(Debug)]
pub struct IncompleteSection {
    uploads: Requested<IncompleteUploads>,
    /// The list is unfolded.
    show_list: bool,
    /// Upload ids ticked in the list.
    selected: BTreeSet<String>,
    older_than_days: u32,
    /// The uploads about to be aborted, waiting for the person's yes.
    confirm: Option<Vec<IncompleteUpload>>,
    aborting: Requested<AbortReport>,
    rule_days: u32,
    rule: PlannedChange<LifecycleChange>,
}

impl Default for IncompleteSection {
    fn default() -> Self {
        Self {
            uploads: Requested::NotAsked,
            show_list: false,
            selected: BTreeSet::new(),
            older_than_days: DEFAULT_DAYS,
            confirm: None,
            aborting: Requested::NotAsked,
            rule_days: DEFAULT_DAYS,
            rule: PlannedChange::default(),
        }
    }
}

impl IncompleteSection {
    /// Lists the uploads again when next drawn.
    pub fn forget(&mut self) {
        self.uploads = Requested::NotAsked;
    }

    /// Takes `uploads` as the bucket's incomplete uploads, without asking S3 (a preview).
    pub(super) fn show_uploads(&mut self, uploads: IncompleteUploads) {
        self.uploads = Requested::Ready(uploads);
    }

    pub fn is_busy(&self) -> bool {
        self.uploads.is_pending() || self.aborting.is_pending() || self.rule.is_busy()
    }

    fn load(&mut self, cx: &Cx<'_>, bucket: &str) {
        let (bucket, journal) = (bucket.to_owned(), cx.shared.journal.clone());
        self.uploads = Requested::Pending(cx.tasks.s3(move |conn, _, _| async move {
            orphans::incomplete_uploads(&conn, journal.as_ref(), &bucket).await
        }));
        self.confirm = None;
    }

    fn plan_rule(&mut self, tasks: &Tasks, bucket: &str) {
        let (bucket, days) = (bucket.to_owned(), self.rule_days);
        self.rule.plan(tasks.s3(move |conn, _, _| async move {
            let days = i32::try_from(days).unwrap_or(i32::MAX);
            lifecycle::plan_abort_rule(&conn, &bucket, days).await
        }));
    }
}

pub fn incomplete_uploads_ui(
    ui: &mut egui::Ui,
    section: &mut IncompleteSection,
    bucket: &str,
    cx: &mut Cx<'_>,
) {
    if section.uploads.is_not_asked() {
        section.load(cx, bucket);
    }
    if section.uploads.poll()
        && let Some(found) = section.uploads.ready()
    {
        // Ticks of uploads that are gone are dropped.
        let ids: BTreeSet<&str> = found.uploads.iter().map(|u| u.upload_id.as_str()).collect();
        section.selected.retain(|id| ids.contains(id.as_str()));
    }
    if section.aborting.poll() {
        if let Some(report) = section.aborting.ready()
            && report.aborted + report.already_gone > 0
        {
            // Journal entries of s3seal's own uploads may be gone with them.
            cx.actions.push(Action::JournalChanged);
        }
        section.load(cx, bucket);
    }
    if section.rule.poll() {
        section.load(cx, bucket);
    }
    let found = match &section.uploads {
        Requested::Ready(found) => found,
        Requested::Failed(problem) => {
            ui.label(RichText::new("Incomplete uploads").strong());
            problem_ui(ui, problem);
            return;
        }
        Requested::Pending(_) | Requested::NotAsked => {
            ui.label(RichText::new("Incomplete uploads").strong());
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Listing incomplete uploads…");
            });
            return;
        }
    };
    let summary = &found.summary;
    verdict_ui(ui, "Incomplete uploads", &summary.verdict);
    ui.horizontal(|ui| {
        ui.label(
            RichText::new(format!(
                "{} incomplete upload{}, {}",
                summary.count,
                plural(summary.count),
                human_size(summary.bytes)
            ))
            .strong(),
        );
        if let Some(oldest) = &summary.oldest {
            ui.label(RichText::new(format!("oldest started {}", utc_minute(oldest))).weak());
        }
        if summary.resumable > 0 {
            ui.label(
                RichText::new(format!(
                    "{} of them interrupted s3seal uploads that Resume can continue",
                    summary.resumable
                ))
                .weak(),
            );
        }
        if summary.count > 0 {
            let label = if section.show_list {
                "Hide list"
            } else {
                "Show…"
            };
            if ui.button(label).clicked() {
                section.show_list = !section.show_list;
            }
        }
    });
    ui.label(RichText::new(rule_words(&summary.abort_rule)).small());
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    if section.show_list && summary.count > 0 {
        list_ui(ui, &found.uploads, &mut section.selected);
        if section.confirm.is_none() && !section.aborting.is_pending() {
            section.confirm = abort_buttons_ui(
                ui,
                &found.uploads,
                &section.selected,
                &mut section.older_than_days,
                now,
            );
        }
    }
    if let Some(chosen) = &section.confirm {
        match confirm_ui(ui, chosen) {
            Some(true) => {
                let (bucket, journal) = (bucket.to_owned(), cx.shared.journal.clone());
                let chosen = chosen.clone();
                section.aborting = Requested::Pending(cx.tasks.s3(move |conn, _, _| async move {
                    orphans::abort_uploads(&conn, journal.as_ref(), &bucket, &chosen).await
                }));
                section.confirm = None;
            }
            Some(false) => section.confirm = None,
            None => {}
        }
    }
    aborted_ui(ui, &section.aborting);
    ui.add_space(4.0);
    ui.horizontal(|ui| {
        let label = ui.label("Have S3 abort incomplete uploads after");
        ui.add(egui::DragValue::new(&mut section.rule_days).range(1..=3650))
            .labelled_by(label.id);
        ui.label("days");
        if ui
            .add_enabled(section.rule.settled(), egui::Button::new("Add abort rule…"))
            .on_hover_text("Show the lifecycle change first; other rules are kept as they are")
            .clicked()
        {
            section.plan_rule(cx.tasks, bucket);
        }
    });
    let words = Words {
        reading: "Reading the lifecycle configuration…",
        apply: "Apply lifecycle rule",
    };
    let ask = planned_change_ui(ui, &mut section.rule, &words, |ui, change| {
        ui.label(format!(
            "The lifecycle configuration of {bucket} will change like this:"
        ));
        diff_ui(ui, &change.diff());
        change.changed
    });
    match ask {
        Some(Ask::Apply(change)) => {
            let bucket = bucket.to_owned();
            section.rule.apply(cx.tasks, move |conn| async move {
                let rule = lifecycle::apply_abort_rule(&conn, &bucket, &change).await?;
                Ok(format!(
                    "S3 now aborts incomplete uploads in {bucket} {} days after they start (rule '{}').",
                    rule.days, rule.rule_id
                ))
            });
        }
        Some(Ask::ReviewAgain) => section.plan_rule(cx.tasks, bucket),
        None => {}
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Whether a lifecycle rule removes incomplete uploads, in words.
fn rule_words(rule: &AbortRule) -> String {
    match rule {
        AbortRule::WholeBucket { rule_id, days } => format!(
            "Lifecycle: rule '{rule_id}' aborts every incomplete upload {days} days after it starts."
        ),
        AbortRule::Partial { rule_ids } => format!(
            "Lifecycle: {} abort{} incomplete uploads for part of the bucket only, or {} disabled.",
            rule_ids
                .iter()
                .map(|id| format!("rule '{id}'"))
                .collect::<Vec<_>>()
                .join(", "),
            if rule_ids.len() == 1 { "s" } else { "" },
            if rule_ids.len() == 1 { "is" } else { "are" }
        ),
        AbortRule::None => "Lifecycle: no rule aborts incomplete uploads.".to_owned(),
    }
}

/// The uploads, each with a tick box (none for one being uploaded now).
fn list_ui(ui: &mut egui::Ui, uploads: &[IncompleteUpload], selected: &mut BTreeSet<String>) {
    egui::ScrollArea::vertical()
        .id_salt("incomplete-list")
        .max_height(260.0)
        .show(ui, |ui| {
            egui::Grid::new("incomplete-grid")
                .num_columns(5)
                .striped(true)
                .show(ui, |ui| {
                    for title in ["Key", "Started", "Parts", "Size", "s3seal"] {
                        ui.label(RichText::new(title).strong());
                    }
                    ui.end_row();
                    for upload in uploads {
                        let running = upload.s3seal.as_ref().is_some_and(|k| k.in_progress);
                        let mut ticked = selected.contains(&upload.upload_id);
                        let tick =
                            ui.add_enabled(!running, egui::Checkbox::new(&mut ticked, &upload.key));
                        if tick.changed() {
                            if ticked {
                                selected.insert(upload.upload_id.clone());
                            } else {
                                selected.remove(&upload.upload_id);
                            }
                        }
                        ui.label(
                            upload
                                .initiated
                                .as_deref()
                                .map_or_else(|| "?".to_owned(), utc_minute),
                        );
                        ui.label(
                            upload
                                .parts
                                .map_or_else(|| "?".to_owned(), |p| p.to_string()),
                        );
                        ui.label(upload.bytes.map_or_else(|| "?".to_owned(), human_size));
                        ui.label(known_words(upload));
                        ui.end_row();
                    }
                });
        });
}

/// What s3seal's journal knows about an upload.
fn known_words(upload: &IncompleteUpload) -> String {
    match &upload.s3seal {
        None => String::new(),
        Some(k) if k.in_progress => "being uploaded now".to_owned(),
        Some(k) if k.resumable => format!(
            "interrupted upload of {}: Resume can continue it",
            k.source.display()
        ),
        Some(k) => format!(
            "interrupted upload of {} (it would start over)",
            k.source.display()
        ),
    }
}

/// "Abort selected…" and "Abort older uploads…"; the uploads to confirm, once one is pressed.
fn abort_buttons_ui(
    ui: &mut egui::Ui,
    uploads: &[IncompleteUpload],
    selected: &BTreeSet<String>,
    older_than_days: &mut u32,
    now: i64,
) -> Option<Vec<IncompleteUpload>> {
    let ticked: Vec<IncompleteUpload> = orphans::select(uploads, AbortSelection::All, now)
        .into_iter()
        .filter(|u| selected.contains(&u.upload_id))
        .collect();
    let older = orphans::select(
        uploads,
        AbortSelection::OlderThan {
            days: *older_than_days,
        },
        now,
    );
    let mut chosen = None;
    ui.horizontal(|ui| {
        if ui
            .add_enabled(
                !ticked.is_empty(),
                egui::Button::new(format!("Abort selected ({})…", ticked.len())),
            )
            .clicked()
        {
            chosen = Some(ticked.clone());
        }
        ui.separator();
        let label = ui.label("Started at least");
        ui.add(egui::DragValue::new(older_than_days).range(0..=3650))
            .labelled_by(label.id);
        ui.label(format!("days ago: {}", older.len()));
        if ui
            .add_enabled(!older.is_empty(), egui::Button::new("Abort older uploads…"))
            .clicked()
        {
            chosen = Some(older.clone());
        }
    });
    chosen
}

/// The confirmation, in place: `Some(true)` to abort, `Some(false)` to keep them.
fn confirm_ui(ui: &mut egui::Ui, chosen: &[IncompleteUpload]) -> Option<bool> {
    let n = chosen.len();
    let bytes: u64 = chosen.iter().filter_map(|u| u.bytes).sum();
    let resumable = chosen
        .iter()
        .filter(|u| u.s3seal.as_ref().is_some_and(|k| k.resumable))
        .count();
    let mut answer = None;
    egui::Frame::new()
        .fill(ui.visuals().warn_fg_color.gamma_multiply(0.12))
        .corner_radius(4.0)
        .inner_margin(6.0)
        .show(ui, |ui| {
            ui.label(format!(
                "Abort {n} incomplete upload{} ({})? S3 deletes the parts they hold, and nobody can complete them afterwards.",
                plural(n),
                human_size(bytes)
            ));
            if resumable > 0 {
                ui.label(
                    RichText::new(format!(
                        "{resumable} of them {} interrupted s3seal upload{} that Resume could still continue: aborting discards what {} sent.",
                        if resumable == 1 { "is an" } else { "are" },
                        plural(resumable),
                        if resumable == 1 { "it" } else { "they" }
                    ))
                    .color(ui.visuals().warn_fg_color),
                );
            }
            ui.horizontal(|ui| {
                if ui
                    .button(format!("Abort {n} upload{}", plural(n)))
                    .clicked()
                {
                    answer = Some(true);
                }
                if ui.button("Keep them").clicked() {
                    answer = Some(false);
                }
            });
        });
    answer
}

/// What the last abort did.
fn aborted_ui(ui: &mut egui::Ui, aborting: &Requested<AbortReport>) {
    match aborting {
        Requested::NotAsked => {}
        Requested::Pending(_) => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Aborting…");
            });
        }
        Requested::Failed(problem) => problem_ui(ui, problem),
        Requested::Ready(report) => {
            let mut text = format!(
                "Aborted {} upload{}, {} freed",
                report.aborted,
                plural(report.aborted),
                human_size(report.bytes_freed)
            );
            if report.already_gone > 0 {
                text.push_str(&format!(" ({} had gone already)", report.already_gone));
            }
            ui.label(text);
            for (key, why) in &report.failed {
                ui.label(
                    RichText::new(format!("Not aborted: {key}: {why}"))
                        .color(ui.visuals().error_fg_color),
                );
            }
        }
    }
}
