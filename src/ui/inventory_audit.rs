//! The audit tab's "From inventory": when the bucket has an S3 Inventory report, the audit can
//! read it instead of asking S3 once per object — free to read and covering the whole bucket,
//! but as old as the report. Counted by mode, EncryptionStatus, BucketKeyStatus, storage class
//! and Object Lock, with the notes; an inventory does not name KMS keys, so the SSE-KMS objects
//! (all, or a sample) can be HEADed to break them down by key. CSV export re-reads the report
//! into the file chosen. Without an inventory, the tab points to the bucket view's setup.

use std::path::PathBuf;

use egui::{Color32, RichText};

use super::actions::Action;
use super::app::CentralView;
use super::audit_view::{key_label, mode_bars};
use super::badges::KmsNames;
use super::bar_chart::bar_chart_ui;
use super::format::{human_size, utc_minute};
use super::notices::problem_ui;
use super::remedy::Problem;
use super::request::Requested;
use super::shared::Cx;
use super::tasks::Tasks;
use crate::progress::Progress;
use crate::s3::S3Uri;
use crate::s3::inventory::{
    self, InventoryAuditOptions, InventoryAuditReport, InventoryStatus, KmsKeyScope, LatestReport,
};

/// Objects HEADed by default when only a sample of the SSE-KMS ones is asked.
const DEFAULT_SAMPLE: u64 = 100;

/// The inventory side of the audit tab.
#[derive(Debug)]
pub struct InventoryAudit {
    /// The bucket the status is about.
    bucket: Option<String>,
    status: Requested<InventoryStatus>,
    /// The inventory report is what the tab shows (rather than the HEAD audit's).
    pub shown: bool,
    /// Rows read, while the audit runs.
    progress: Progress,
    /// The manifest audited, and the KMS keys asked with it.
    manifest: Option<(S3Uri, KmsKeyScope)>,
    pub report: Requested<InventoryAuditReport>,
    sample: u64,
    /// A CSV export under way, and where it goes.
    export: Requested<PathBuf>,
    export_progress: Progress,
}

impl Default for InventoryAudit {
    fn default() -> Self {
        Self {
            bucket: None,
            status: Requested::NotAsked,
            shown: false,
            progress: Progress::new(),
            manifest: None,
            report: Requested::NotAsked,
            sample: DEFAULT_SAMPLE,
            export: Requested::NotAsked,
            export_progress: Progress::new(),
        }
    }
}

impl InventoryAudit {
    /// Looks for reports again when next drawn (the bucket's configurations changed).
    pub fn forget_status(&mut self) {
        self.status = Requested::NotAsked;
    }

    pub fn is_running(&self) -> bool {
        self.report.is_pending() || self.export.is_pending()
    }

    /// Takes `status` as the bucket's inventories, without asking S3 (a preview).
    pub(super) fn show_status(&mut self, status: InventoryStatus) {
        self.bucket = Some(status.bucket.clone());
        self.status = Requested::Ready(status);
    }

    fn load_status(&mut self, tasks: &Tasks, bucket: &str) {
        self.bucket = Some(bucket.to_owned());
        let bucket = bucket.to_owned();
        self.status = Requested::Pending(tasks.s3(move |conn, _, _| async move {
            inventory::inventory_status(&conn, &bucket).await
        }));
    }

    /// Audits the report at `manifest`, HEADing the SSE-KMS objects `kms_keys` says.
    fn run(&mut self, tasks: &Tasks, manifest: S3Uri, kms_keys: KmsKeyScope) {
        self.shown = true;
        self.progress = Progress::new();
        self.manifest = Some((manifest.clone(), kms_keys));
        let progress = self.progress.clone();
        self.report = Requested::Pending(tasks.s3(move |conn, _, cancel| async move {
            let options = InventoryAuditOptions {
                kms_keys,
                ..InventoryAuditOptions::default()
            };
            inventory::audit_inventory(&conn, &manifest, &options, &progress, &cancel).await
        }));
    }

    /// Writes one CSV row per object of the report shown to `path` (read again from S3).
    pub fn export_csv(&mut self, tasks: &Tasks, path: PathBuf) {
        let Some((manifest, _)) = self.manifest.clone() else {
            return;
        };
        self.export_progress = Progress::new();
        let progress = self.export_progress.clone();
        self.export = Requested::Pending(tasks.s3(move |conn, _, cancel| async move {
            inventory::audit_inventory_replacing_csv(
                &conn,
                &manifest,
                &path,
                KmsKeyScope::None,
                &progress,
                &cancel,
            )
            .await?;
            Ok(path)
        }));
    }
}

/// What each audit costs, and "From inventory (report of DATE)" when the bucket has one (or
/// where to set one up).
pub fn inventory_offer_ui(
    ui: &mut egui::Ui,
    audit: &mut InventoryAudit,
    bucket: &str,
    head_running: bool,
    cx: &mut Cx<'_>,
) {
    if audit.bucket.as_deref() != Some(bucket) || audit.status.is_not_asked() {
        audit.load_status(cx.tasks, bucket);
    }
    audit.status.poll();
    let running = head_running || audit.is_running();
    ui.label(
        RichText::new(
            "The audit above asks S3 about every object under this folder: current, but one request per object.",
        )
        .weak()
        .small(),
    );
    match &audit.status {
        Requested::Ready(status) => match status.best_report() {
            Some(report) => {
                let report: LatestReport = report.clone();
                ui.horizontal_wrapped(|ui| {
                    let label = format!(
                        "From inventory (report of {})",
                        utc_minute(&report.report_date)
                    );
                    let button = ui
                        .add_enabled(!running, egui::Button::new(label))
                        .on_hover_text(&report.manifest);
                    if button.clicked() {
                        match report.manifest.parse::<S3Uri>() {
                            Ok(manifest) => audit.run(cx.tasks, manifest, KmsKeyScope::None),
                            Err(err) => audit.report = Requested::Failed(Problem::from(err)),
                        }
                    }
                    ui.label(
                        RichText::new(
                            "free to read and covers the whole bucket, but only as of the report (S3 writes one a day or a week)",
                        )
                        .weak()
                        .small(),
                    );
                });
                if !report.serves_audit {
                    ui.label(
                        RichText::new(
                            "This report lacks fields the audit reads: set up s3seal's daily inventory in Bucket security for a complete one.",
                        )
                        .color(ui.visuals().warn_fg_color),
                    );
                }
            }
            None if status.configurations.is_empty() => {
                no_inventory_ui(
                    ui,
                    "This bucket has no S3 Inventory: set up a daily inventory in Bucket security to audit the whole bucket from its report, without one request per object.",
                    cx.actions,
                );
            }
            None => {
                no_inventory_ui(
                    ui,
                    "This bucket's inventory has not delivered a report yet (the first can take up to 48 hours); see Bucket security.",
                    cx.actions,
                );
            }
        },
        Requested::Failed(problem) => {
            ui.label(
                RichText::new(format!(
                    "The bucket's inventory cannot be read: {}",
                    problem.summary
                ))
                .weak()
                .small(),
            );
        }
        Requested::Pending(_) | Requested::NotAsked => {
            ui.label(
                RichText::new("Looking for an inventory report…")
                    .weak()
                    .small(),
            );
        }
    }
}

fn no_inventory_ui(ui: &mut egui::Ui, text: &str, actions: &mut Vec<Action>) {
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new(text).weak().small());
        if ui.small_button("Open Bucket security").clicked() {
            actions.push(Action::ShowView(CentralView::Security));
        }
    });
}

/// The inventory audit: running (rows read, Cancel), failed, or its report.
pub fn inventory_report_ui(ui: &mut egui::Ui, audit: &mut InventoryAudit, cx: &mut Cx<'_>) {
    if audit.report.poll()
        && let Some(problem) = audit.report.failed()
    {
        cx.actions.push(Action::Notice(problem.clone()));
    }
    if audit.export.poll() {
        match &audit.export {
            Requested::Ready(path) => cx.actions.push(Action::Info(format!(
                "saved the audit to {}",
                path.display()
            ))),
            Requested::Failed(problem) => cx.actions.push(Action::Notice(problem.clone())),
            _ => {}
        }
    }
    ui.horizontal(|ui| {
        ui.label(RichText::new("Audit from the inventory report").strong());
        if ui.button("Close").clicked() {
            audit.shown = false;
        }
    });
    match &audit.report {
        Requested::NotAsked => {}
        Requested::Pending(_) => {
            let (rows, _) = audit.progress.snapshot();
            ui.horizontal(|ui| {
                ui.spinner();
                let heads = match audit.manifest.as_ref().map(|m| m.1) {
                    Some(KmsKeyScope::All | KmsKeyScope::Sample(_)) => {
                        ", then HEAD of the SSE-KMS objects asked for"
                    }
                    _ => "",
                };
                ui.label(format!("{rows} rows of the report read so far{heads}"));
                // Dropping the request stops the audit.
                if ui.button("Cancel inventory audit").clicked() {
                    audit.report = Requested::Failed(Problem::from(crate::Error::Cancelled));
                }
            });
        }
        Requested::Failed(problem) => problem_ui(ui, problem),
        Requested::Ready(_) => {
            let mut rerun = None;
            if let Requested::Ready(report) = &audit.report {
                let kms = &cx.shared.kms_names;
                rerun = report_ui(ui, report, &mut audit.sample, kms, cx.actions);
            }
            if audit.export.is_pending() {
                let (rows, _) = audit.export_progress.snapshot();
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label(format!("Writing the CSV: {rows} rows"));
                });
            }
            if let (Some(scope), Some((manifest, _))) = (rerun, audit.manifest.clone()) {
                audit.run(cx.tasks, manifest, scope);
            }
        }
    }
}

/// The report; returns the KMS key scope to audit again with, when asked.
fn report_ui(
    ui: &mut egui::Ui,
    r: &InventoryAuditReport,
    sample: &mut u64,
    kms: &KmsNames,
    actions: &mut Vec<Action>,
) -> Option<KmsKeyScope> {
    let c = &r.counts;
    ui.horizontal(|ui| {
        ui.label(
            RichText::new(format!(
                "s3://{} from its inventory report of {}: {} object{}, {} ({} file{})",
                r.bucket,
                r.report_date
                    .as_deref()
                    .map_or_else(|| "an unknown date".to_owned(), utc_minute),
                c.total,
                if c.total == 1 { "" } else { "s" },
                human_size(c.bytes),
                r.files,
                if r.files == 1 { "" } else { "s" },
            ))
            .strong(),
        )
        .on_hover_text(&r.manifest);
        if ui.button("Export CSV…").clicked() {
            actions.push(Action::ExportAuditCsv);
        }
    });
    let plain = |map: &std::collections::BTreeMap<String, u64>| -> Vec<(String, u64, Color32)> {
        map.iter()
            .map(|(k, n)| (k.clone(), *n, Color32::from_rgb(0x4a, 0x6f, 0xa5)))
            .collect()
    };
    let modes = mode_bars(&c.by_mode);
    let lock = &c.object_lock;
    let locks = vec![
        (
            "governance".to_owned(),
            lock.governance,
            Color32::from_rgb(0xe6, 0x8a, 0x00),
        ),
        (
            "compliance".to_owned(),
            lock.compliance,
            Color32::from_rgb(0xc6, 0x28, 0x28),
        ),
        (
            "legal hold".to_owned(),
            lock.legal_hold,
            Color32::from_rgb(0x4a, 0x6f, 0xa5),
        ),
    ];
    let tables = [
        ("By mode", "inv-by-mode", modes),
        (
            "By EncryptionStatus",
            "inv-by-status",
            plain(&c.by_encryption_status),
        ),
        (
            "By BucketKeyStatus",
            "inv-by-bucket-key",
            plain(&c.by_bucket_key_status),
        ),
        (
            "By storage class",
            "inv-by-class",
            plain(&c.by_storage_class),
        ),
        ("Object Lock", "inv-object-lock", locks),
    ];
    // Three tables a row, each a third of the view wide: a chart fits the room it is given
    // (a grid's cells would give it only what the last frame used).
    for row in tables.chunks(3) {
        ui.columns(3, |columns| {
            for ((title, id, bars), ui) in row.iter().zip(columns.iter_mut()) {
                ui.label(RichText::new(*title).strong());
                if bars.is_empty() {
                    ui.label(RichText::new("not in the report").weak());
                } else {
                    bar_chart_ui(ui, id, bars);
                }
            }
        });
        ui.add_space(8.0);
    }
    if c.encryption_unreported + c.delete_markers + c.noncurrent_versions > 0 {
        ui.label(format!(
            "{} object{} without an EncryptionStatus; {} noncurrent version{} counted; {} delete marker{} not counted",
            c.encryption_unreported,
            if c.encryption_unreported == 1 { "" } else { "s" },
            c.noncurrent_versions,
            if c.noncurrent_versions == 1 { "" } else { "s" },
            c.delete_markers,
            if c.delete_markers == 1 { "" } else { "s" },
        ));
    }
    ui.separator();
    let rerun = kms_keys_ui(ui, r, sample, kms);
    for note in &r.notes {
        ui.label(RichText::new(format!("Note: {}", super::remedy::advice(note))).small());
    }
    rerun
}

/// The KMS keys learnt by HEAD, or the offer to learn them.
fn kms_keys_ui(
    ui: &mut egui::Ui,
    r: &InventoryAuditReport,
    sample: &mut u64,
    names: &KmsNames,
) -> Option<KmsKeyScope> {
    let kms = r.counts.kms_objects();
    if let Some(keys) = &r.kms_keys {
        ui.label(
            RichText::new(format!(
                "KMS keys, by HEAD of {} of the {} SSE-KMS / DSSE-KMS object{}{}",
                keys.asked,
                keys.of,
                if keys.of == 1 { "" } else { "s" },
                if keys.sample {
                    " (a random sample)"
                } else {
                    ""
                }
            ))
            .strong(),
        );
        let mut bars: Vec<(String, u64, Color32)> = keys
            .by_key
            .iter()
            .map(|(k, n)| (key_label(k, names), *n, Color32::from_rgb(0x4a, 0x6f, 0xa5)))
            .collect();
        if keys.changed > 0 {
            bars.push(("(no longer KMS)".to_owned(), keys.changed, Color32::GRAY));
        }
        if keys.errors > 0 {
            bars.push((
                "(could not HEAD)".to_owned(),
                keys.errors,
                Color32::from_rgb(0xc6, 0x28, 0x28),
            ));
        }
        bar_chart_ui(ui, "inv-kms-keys", &bars);
    }
    if kms == 0 {
        return None;
    }
    let mut rerun = None;
    ui.horizontal(|ui| {
        ui.label(
            "An inventory does not name KMS keys. To break the SSE-KMS objects down by key, HEAD",
        );
        let label = ui.label("a sample of");
        ui.add(egui::DragValue::new(sample).range(1..=kms.max(1)))
            .labelled_by(label.id);
        if ui
            .button(format!("HEAD a sample of {}", (*sample).min(kms)))
            .clicked()
        {
            rerun = Some(KmsKeyScope::Sample(*sample));
        }
        if ui
            .button(format!("HEAD all {kms} KMS-encrypted objects"))
            .on_hover_text(format!("{kms} HEAD requests, and the report read again"))
            .clicked()
        {
            rerun = Some(KmsKeyScope::All);
        }
    });
    rerun
}
