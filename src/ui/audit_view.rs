//! The encryption audit in the window: every object under the open bucket and prefix, counted
//! by mode and by key as bar charts, a filter for what needs attention (unencrypted, not under
//! a given KMS key, SSE-C or client-side with a key nobody here holds), the rows, the
//! suggestions (Bucket Keys), and CSV export. The audit itself runs in the background with
//! progress and cancel; re-running reuses the cached answers for unchanged objects.

use egui::{Color32, RichText};
use egui_extras::{Column, TableBuilder};

use super::actions::Action;
use super::badges::{KmsNames, colour, mode_name, pill_ui};
use super::bar_chart::chart_pair_ui;
use super::format::{fraction, human_size};
use super::inventory_audit::{InventoryAudit, inventory_offer_ui, inventory_report_ui};
use super::notices::problem_ui;
use super::one_line::{one_line_in_ui, one_line_ui};
use super::rekey_dialog::RekeyScope;
use super::remedy::Problem;
use super::request::Requested;
use super::shared::Cx;
use super::tasks::Tasks;
use crate::progress::Progress;
use crate::s3::bucket::audit::{AuditOptions, AuditReport, AuditRow, audit};
use crate::s3::bucket::filter::ObjectFilter;
use crate::s3::{EncryptionMode, S3Uri};

/// Which rows the table shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuditFilter {
    All,
    /// No encryption at rest reported.
    Unencrypted,
    /// Anything that is not SSE-KMS under the chosen key.
    NotKmsWithKey,
    /// SSE-C objects none of the local keys opens.
    SseCUnknownKey,
    /// Client-side objects (raw key) none of the local keys opens.
    ClientUnknownKey,
    /// Objects that could not be inspected.
    Errors,
}

impl AuditFilter {
    const ALL: [Self; 6] = [
        Self::All,
        Self::Unencrypted,
        Self::NotKmsWithKey,
        Self::SseCUnknownKey,
        Self::ClientUnknownKey,
        Self::Errors,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Self::All => "all objects",
            Self::Unencrypted => "unencrypted",
            Self::NotKmsWithKey => "not SSE-KMS with key…",
            Self::SseCUnknownKey => "SSE-C with an unknown key",
            Self::ClientUnknownKey => "client-side with an unknown key",
            Self::Errors => "could not be inspected",
        }
    }

    /// Whether `row` passes; `kms_key` is the key for [`AuditFilter::NotKmsWithKey`].
    pub fn keeps(self, row: &AuditRow, kms_key: Option<&str>) -> bool {
        self.filter(kms_key).is_none_or(|f| f.keeps(row))
    }

    /// The core filter this choice stands for (`None`: every object).
    pub fn filter(self, kms_key: Option<&str>) -> Option<ObjectFilter> {
        match self {
            Self::All => None,
            Self::Unencrypted => Some(ObjectFilter::Unencrypted),
            // With no key picked yet, nothing is SSE-KMS "with that key".
            Self::NotKmsWithKey => Some(ObjectFilter::NotKmsKey(
                kms_key.unwrap_or_default().to_owned(),
            )),
            Self::SseCUnknownKey => Some(ObjectFilter::SseCUnknownKey),
            Self::ClientUnknownKey => Some(ObjectFilter::ClientUnknownKey),
            Self::Errors => Some(ObjectFilter::Errors),
        }
    }
}

/// The KMS keys that SSE-KMS objects of the report use, for the filter's key picker.
pub fn kms_keys_in(report: &AuditReport) -> Vec<String> {
    report
        .by_key
        .keys()
        .filter_map(|k| k.strip_prefix("sse-kms:"))
        .map(str::to_owned)
        .collect()
}

/// An audit under way.
/// The view's state.
#[derive(Debug)]
pub struct AuditView {
    /// The bucket and prefix audited (or being audited).
    pub target: Option<S3Uri>,
    /// Objects listed and inspected, while the audit runs.
    progress: Progress,
    pub report: Requested<AuditReport>,
    pub filter: AuditFilter,
    pub kms_key: Option<String>,
    /// The audit from the bucket's S3 Inventory report.
    pub inventory: InventoryAudit,
}

impl Default for AuditView {
    fn default() -> Self {
        Self {
            target: None,
            progress: Progress::new(),
            report: Requested::NotAsked,
            filter: AuditFilter::All,
            kms_key: None,
            inventory: InventoryAudit::default(),
        }
    }
}

impl AuditView {
    /// Audits `uri`: every object HEADed (as many at a time as the link rewards), unchanged ones from the cache kept in
    /// the key catalog's folder.
    pub fn run(&mut self, tasks: &Tasks, uri: S3Uri) {
        self.target = Some(uri.clone());
        self.progress = Progress::new();
        let progress = self.progress.clone();
        self.report = Requested::Pending(tasks.s3(move |conn, keys, cancel| async move {
            let cache_dir = match keys.manager().await {
                Ok(manager) => manager
                    .catalog_path()
                    .parent()
                    .map(std::path::PathBuf::from),
                Err(_) => None,
            };
            let options = AuditOptions {
                cache_dir,
                ..AuditOptions::default()
            };
            audit(&conn, &keys, &uri, &options, &progress, &cancel).await
        }));
    }

    pub fn is_running(&self) -> bool {
        self.report.is_pending() || self.inventory.is_running()
    }
}

pub fn audit_view_ui(
    ui: &mut egui::Ui,
    view: &mut AuditView,
    here: Option<&S3Uri>,
    cx: &mut Cx<'_>,
) {
    if view.report.poll()
        && let Some(problem) = view.report.failed()
    {
        cx.actions.push(Action::Notice(problem.clone()));
    }
    let Some(here) = here else {
        ui.label("Open a bucket to audit the encryption of its objects.");
        return;
    };
    ui.horizontal(|ui| {
        ui.heading("Encryption audit");
        let running = view.is_running();
        if ui
            .add_enabled(!running, egui::Button::new(format!("Audit {here}")))
            .on_hover_text("HEAD every object under this folder, as many at a time as the link rewards; unchanged objects come from the last audit")
            .clicked()
        {
            view.run(cx.tasks, here.clone());
            view.inventory.shown = false;
        }
        // Nothing the audit found so far is kept: dropping the request stops it.
        if view.report.is_pending() && ui.button("Cancel audit").clicked() {
            view.report = Requested::Failed(Problem::from(crate::Error::Cancelled));
        }
    });
    let head_running = view.report.is_pending();
    inventory_offer_ui(ui, &mut view.inventory, &here.bucket, head_running, cx);
    if view.inventory.shown {
        return inventory_report_ui(ui, &mut view.inventory, cx);
    }
    if view.report.is_pending() {
        let (done, total) = view.progress.snapshot();
        ui.add(
            egui::ProgressBar::new(fraction(done, total))
                .text(format!("{done} of {total} objects listed so far"))
                .animate(true),
        );
    }
    // Disjoint borrows: the report is read while the filter is edited, without a copy of
    // every row each frame.
    let AuditView {
        report,
        filter,
        kms_key,
        ..
    } = view;
    match report {
        Requested::NotAsked => {
            ui.label(RichText::new("No audit yet for this bucket.").weak());
        }
        Requested::Pending(_) => {}
        Requested::Failed(problem) => problem_ui(ui, problem),
        Requested::Ready(report) => {
            report_ui(
                ui,
                filter,
                kms_key,
                report,
                &cx.shared.kms_names,
                cx.actions,
            );
        }
    }
}

fn report_ui(
    ui: &mut egui::Ui,
    filter: &mut AuditFilter,
    kms_key: &mut Option<String>,
    report: &AuditReport,
    kms: &KmsNames,
    actions: &mut Vec<Action>,
) {
    let target = S3Uri::new(&report.bucket, &report.prefix);
    ui.horizontal_wrapped(|ui| {
        ui.label(
            RichText::new(format!(
                "{target}: {} objects, {} from the last audit, {} could not be inspected",
                report.total, report.from_cache, report.errors
            ))
            .strong(),
        );
        if ui.button("Export CSV…").clicked() {
            actions.push(Action::ExportAuditCsv);
        }
    });
    for suggestion in &report.suggestions {
        ui.label(
            RichText::new(format!("Suggestion: {}", super::remedy::advice(suggestion)))
                .color(ui.visuals().warn_fg_color),
        );
    }
    let keys: Vec<(String, u64, Color32)> = report
        .by_key
        .iter()
        .map(|(label, n)| {
            let fill = if label.ends_with(":unknown") {
                Color32::from_rgb(0xc6, 0x28, 0x28)
            } else {
                Color32::from_rgb(0x4a, 0x6f, 0xa5)
            };
            (key_label(label, kms), *n, fill)
        })
        .collect();
    chart_pair_ui(
        ui,
        ("By mode", "audit-by-mode", &mode_bars(&report.by_mode)),
        ("By key", "audit-by-key", &keys),
    );
    ui.separator();
    ui.horizontal(|ui| {
        let label = ui.label("Show");
        egui::ComboBox::from_id_salt("audit-filter")
            .selected_text(filter.label())
            .show_ui(ui, |ui| {
                for choice in AuditFilter::ALL {
                    ui.selectable_value(filter, choice, choice.label());
                }
            })
            .response
            .labelled_by(label.id);
        if *filter == AuditFilter::NotKmsWithKey {
            let keys = kms_keys_in(report);
            if kms_key.is_none() {
                *kms_key = keys.first().cloned();
            }
            // Keys by alias; the ARN stays the value the filter compares.
            egui::ComboBox::from_id_salt("audit-kms-key")
                .selected_text(kms_key.as_deref().map_or_else(
                    || "no SSE-KMS objects".to_owned(),
                    |key| kms.name_of(key).to_owned(),
                ))
                .width(320.0)
                .show_ui(ui, |ui| {
                    for key in keys {
                        let name = kms.name_of(&key).to_owned();
                        ui.selectable_value(kms_key, Some(key), name);
                    }
                });
        }
    });
    let rows: Vec<&AuditRow> = report
        .objects
        .iter()
        .filter(|r| filter.keeps(r, kms_key.as_deref()))
        .collect();
    ui.horizontal(|ui| {
        ui.label(format!("{} of {} objects", rows.len(), report.total));
        let n = rows.len();
        if ui
            .add_enabled(
                n > 0,
                egui::Button::new(format!("Re-encrypt {n} object{}…", if n == 1 { "" } else { "s" })),
            )
            .on_hover_text("Plan a job that brings these objects to one encryption; nothing changes before you start it")
            .clicked()
        {
            actions.push(Action::OpenRekeyPlan(Box::new(RekeyScope {
                uri: target.clone(),
                filters: filter.filter(kms_key.as_deref()).into_iter().collect(),
                what: filter.label().to_owned(),
                rows: rows.iter().map(|r| (*r).clone()).collect(),
            })));
        }
    });
    rows_ui(ui, &rows, kms);
}

/// One bar per mode, named and coloured as the badges are (counts keyed by mode name).
pub(super) fn mode_bars(
    by_mode: &std::collections::BTreeMap<String, u64>,
) -> Vec<(String, u64, Color32)> {
    by_mode
        .iter()
        .map(|(name, n)| {
            let mode = EncryptionMode::from_name(name).unwrap_or(EncryptionMode::None);
            (mode_name(mode).to_owned(), *n, colour(mode))
        })
        .collect()
}

/// A "By key" label as people read it: a KMS key by its alias, as the badges name it
/// (`sse-kms:alias/app` rather than the key's ARN).
pub(super) fn key_label(label: &str, kms: &KmsNames) -> String {
    kms.relabel(label)
}

/// The rows, virtualised: only those on screen are laid out. The columns share the width
/// there is (the object key takes what the others leave); a key, an alias or an ARN too long
/// for its column is shortened in the middle, whole on hover.
fn rows_ui(ui: &mut egui::Ui, rows: &[&AuditRow], kms: &KmsNames) {
    let room = ui.available_width();
    let mode_width = 90.0;
    let size_width = 75.0;
    let used_width = (room * 0.3).clamp(110.0, 360.0);
    TableBuilder::new(ui)
        .id_salt("audit-rows")
        .striped(true)
        .column(Column::remainder().at_least(100.0).clip(true))
        .column(Column::exact(mode_width))
        .column(Column::exact(used_width).clip(true))
        .column(Column::exact(size_width))
        .header(20.0, |mut header| {
            for title in ["Key", "Mode", "Key used", "Size"] {
                header.col(|ui| {
                    ui.strong(title);
                });
            }
        })
        .body(|body| {
            body.rows(18.0, rows.len(), |mut row| {
                let r = rows[row.index()];
                row.col(|ui| {
                    one_line_ui(ui, &r.key, &r.key);
                });
                row.col(|ui| {
                    match (r.mode, &r.error) {
                        (_, Some(err)) => ui
                            .label(RichText::new("error").color(ui.visuals().error_fg_color))
                            .on_hover_text(err),
                        (Some(mode), None) => pill_ui(ui, mode_name(mode), colour(mode)),
                        (None, None) => ui.label("?"),
                    };
                });
                row.col(|ui| {
                    let used = key_used(r, kms);
                    // The KMS key's ARN on hover and in Copy; otherwise the words themselves.
                    let whole = r.kms_key_id.as_deref().unwrap_or(&used);
                    one_line_in_ui(ui, &used, whole, used_width - 8.0);
                });
                row.col(|ui| {
                    ui.label(human_size(r.size));
                });
            });
        });
}

/// The key column of a row: KMS key (by alias; its ARN on hover), local key name, or that
/// nobody here holds it.
fn key_used(row: &AuditRow, kms: &KmsNames) -> String {
    match row.mode {
        Some(EncryptionMode::SseKms | EncryptionMode::DsseKms) => {
            row.kms_key_id.as_deref().map_or_else(
                || "(key not reported)".to_owned(),
                |id| kms.name_of(id).to_owned(),
            )
        }
        Some(EncryptionMode::SseC | EncryptionMode::Client) => {
            match (&row.local_key, row.key_known, &row.client_wrap) {
                (Some(name), _, _) => format!("local key '{name}'"),
                (None, _, Some(crate::crypto::WrapAlgorithm::KmsContext)) => {
                    "KMS (client-side)".to_owned()
                }
                (None, Some(false), _) => "unknown key".to_owned(),
                _ => String::new(),
            }
        }
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(mode: EncryptionMode) -> AuditRow {
        AuditRow {
            mode: Some(mode),
            ..AuditRow::new("k", 1)
        }
    }

    #[test]
    fn kms_keys_read_by_alias() {
        let arn = "arn:aws:kms:eu-west-1:111122223333:key/6f1e";
        let kms = KmsNames::new(&[crate::s3::kms::KmsKeyChoice {
            key_id: "6f1e".to_owned(),
            arn: Some(arn.to_owned()),
            aliases: vec!["alias/records".to_owned()],
        }]);
        assert_eq!(
            key_label(&format!("sse-kms:{arn}"), &kms),
            "sse-kms:alias/records"
        );
        assert_eq!(
            key_label("dsse-kms:arn:aws:kms:eu-west-1:1:key/77", &kms),
            "dsse-kms:77"
        );
        assert_eq!(key_label("sse-c:unknown", &kms), "sse-c:unknown");
        let mut used = row(EncryptionMode::SseKms);
        used.kms_key_id = Some(arn.to_owned());
        assert_eq!(key_used(&used, &kms), "alias/records");
    }

    #[test]
    fn filters_pick_what_needs_attention() {
        let arn = "arn:aws:kms:us-east-1:000000000000:key/1234";
        let mut kms = row(EncryptionMode::SseKms);
        kms.kms_key_id = Some(arn.to_owned());
        let mut other_kms = row(EncryptionMode::SseKms);
        other_kms.kms_key_id = Some("arn:aws:kms:us-east-1:000000000000:key/9999".to_owned());
        let mut ssec_unknown = row(EncryptionMode::SseC);
        ssec_unknown.key_known = Some(false);
        let mut ssec_known = row(EncryptionMode::SseC);
        ssec_known.key_known = Some(true);
        let none = row(EncryptionMode::None);
        let mut failed = row(EncryptionMode::SseS3);
        failed.error = Some("denied".to_owned());

        let f = AuditFilter::NotKmsWithKey;
        assert!(!f.keeps(&kms, Some(arn)));
        assert!(
            !f.keeps(&kms, Some("1234")),
            "a bare key id names the same key"
        );
        assert!(f.keeps(&other_kms, Some(arn)));
        assert!(f.keeps(&none, Some(arn)));
        assert!(AuditFilter::SseCUnknownKey.keeps(&ssec_unknown, None));
        assert!(!AuditFilter::SseCUnknownKey.keeps(&ssec_known, None));
        assert!(AuditFilter::Unencrypted.keeps(&none, None));
        assert!(!AuditFilter::Unencrypted.keeps(&kms, None));
        assert!(AuditFilter::Errors.keeps(&failed, None));
        assert!(!AuditFilter::Errors.keeps(&none, None));
        let names = KmsNames::default();
        assert_eq!(key_used(&ssec_unknown, &names), "unknown key");
        assert_eq!(key_used(&kms, &names), "1234", "no alias known: the key id");
    }
}
