//! The bucket security view: the open bucket's default encryption, SSE-C block, TLS enforcement
//! by its policy and versioning, each with a green / amber / red verdict in plain words, and
//! the actions that change them. Every change is confirmed first with what it changes: the
//! policy diff, or what new uploads will get. The view owns its requests: the report, the
//! planned policy change, and the change being written.

use egui::{Color32, RichText};

use super::actions::Action;
use super::badges::KmsNames;
use super::encryption_form::kms_key_picker_ui;
use super::incomplete_uploads::{IncompleteSection, incomplete_uploads_ui};
use super::inventory_setup::{InventorySection, inventory_section_ui};
use super::notices::problem_ui;
use super::request::Requested;
use super::shared::Cx;
use super::tasks::Tasks;
use crate::s3::EncryptionMode;
use crate::s3::bucket;
use crate::s3::bucket::{
    BucketSecurity, DefaultEncryptionRequest, DefaultMode, Level, PolicyChange, TlsVersion, Verdict,
};
use crate::s3::kms::KmsKeyChoice;

/// The default encryption being chosen in the form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DefaultForm {
    pub mode: DefaultMode,
    pub kms_key: Option<String>,
    pub bucket_key: bool,
}

impl Default for DefaultForm {
    fn default() -> Self {
        Self {
            mode: DefaultMode::SseKms,
            kms_key: None,
            bucket_key: true,
        }
    }
}

impl DefaultForm {
    /// The request the form describes (the form keeps its fields consistent, so it is valid).
    pub fn request(&self) -> Option<DefaultEncryptionRequest> {
        Some(DefaultEncryptionRequest::new(
            self.mode,
            self.kms_key.clone(),
            self.bucket_key,
        ))
    }
}

/// A change waiting for the person's yes.
#[derive(Debug)]
pub enum Confirm {
    /// A policy change planned from the stored policy: its diff is shown before applying.
    Policy {
        title: String,
        change: Box<Requested<PolicyChange>>,
    },
    Default(DefaultEncryptionRequest),
    SseC {
        block: bool,
    },
}

/// The view's state.
#[derive(Debug)]
pub struct BucketView {
    /// The bucket the report is about.
    pub bucket: Option<String>,
    pub security: Requested<Box<BucketSecurity>>,
    /// Minimum TLS version for "Enforce TLS" (`None`: only deny plain HTTP).
    pub min_tls: Option<TlsVersion>,
    pub default_form: DefaultForm,
    pub confirm: Option<Confirm>,
    /// A change being written; its answer is what S3 now reports.
    change: Requested<String>,
    pub inventory: InventorySection,
    pub incomplete: IncompleteSection,
}

impl Default for BucketView {
    fn default() -> Self {
        Self {
            bucket: None,
            security: Requested::NotAsked,
            min_tls: Some(TlsVersion::V1_2),
            default_form: DefaultForm::default(),
            confirm: None,
            change: Requested::NotAsked,
            inventory: InventorySection::default(),
            incomplete: IncompleteSection::default(),
        }
    }
}

impl BucketView {
    /// The view for `bucket`, its report asked for.
    pub fn load(&mut self, tasks: &Tasks, bucket: &str) {
        if self.bucket.as_deref() != Some(bucket) {
            *self = Self {
                bucket: Some(bucket.to_owned()),
                ..Self::default()
            };
        }
        let bucket = bucket.to_owned();
        self.security = Requested::Pending(tasks.s3(move |conn, _, _| async move {
            bucket::bucket_security(&conn, &bucket).await.map(Box::new)
        }));
    }

    /// Whether a change is being written or the report read.
    pub fn is_busy(&self) -> bool {
        self.change.is_pending()
            || self.security.is_pending()
            || self.inventory.is_busy()
            || self.incomplete.is_busy()
    }

    /// Writes `change`; the message after it names a KMS key by alias (`kms`).
    fn write(&mut self, tasks: &Tasks, bucket: &str, change: Change, kms: &KmsNames) {
        let bucket = bucket.to_owned();
        let kms = kms.clone();
        self.change = Requested::Pending(tasks.s3(move |conn, _, _| async move {
            match change {
                Change::Policy(change) => bucket::apply_policy_change(&conn, &bucket, &change)
                    .await
                    .map(|()| format!("the policy of {bucket} was updated")),
                Change::Default(request) => {
                    bucket::set_default_encryption(&conn, &bucket, &request)
                        .await
                        .map(|rule| {
                            let words = rule.default.to_string();
                            let words = match &rule.default.kms_key_id {
                                Some(id) => words.replace(id.as_str(), kms.name_of(id)),
                                None => words,
                            };
                            format!("new uploads to {bucket} now get {words}")
                        })
                }
                Change::SseC(block) => if block {
                    bucket::block_sse_c(&conn, &bucket).await
                } else {
                    bucket::unblock_sse_c(&conn, &bucket).await
                }
                .map(|outcome| outcome.message),
            }
        }));
    }
}

/// A change to write.
enum Change {
    Policy(PolicyChange),
    Default(DefaultEncryptionRequest),
    SseC(bool),
}

/// The colour of a verdict.
pub fn level_colour(level: Level) -> Color32 {
    match level {
        Level::Green => Color32::from_rgb(0x2e, 0x7d, 0x32),
        Level::Amber => Color32::from_rgb(0xe6, 0x8a, 0x00),
        Level::Red => Color32::from_rgb(0xc6, 0x28, 0x28),
    }
}

/// The colour of a verdict's words: the verdict's colour, in the shade that reads as text on
/// this theme's background.
fn level_text_colour(visuals: &egui::Visuals, level: Level) -> Color32 {
    match level {
        Level::Green => super::theme::good(visuals),
        Level::Amber => super::theme::caution(visuals),
        Level::Red => super::theme::bad(visuals),
    }
}

fn level_word(level: Level) -> &'static str {
    match level {
        Level::Green => "good",
        Level::Amber => "take a look",
        Level::Red => "at risk",
    }
}

pub fn bucket_view_ui(ui: &mut egui::Ui, view: &mut BucketView, bucket: &str, cx: &mut Cx<'_>) {
    if view.bucket.as_deref() != Some(bucket) || view.security.is_not_asked() {
        view.load(cx.tasks, bucket);
    }
    view.security.poll();
    if view.change.poll() {
        match &view.change {
            Requested::Ready(message) => cx.actions.push(Action::Info(message.clone())),
            Requested::Failed(problem) => cx.actions.push(Action::Notice(problem.clone())),
            _ => {}
        }
        // Show what S3 reports now, whichever way it went; the upload preview reads it again.
        view.load(cx.tasks, bucket);
        cx.actions.push(Action::BucketChanged);
    }
    let busy = view.is_busy();
    ui.horizontal(|ui| {
        ui.heading(format!("Security of {bucket}"));
        if ui.button("Reload").clicked() {
            view.load(cx.tasks, bucket);
            view.inventory.forget();
            view.incomplete.forget();
        }
        if busy {
            ui.spinner();
        }
    });
    let security = match &view.security {
        Requested::Ready(security) => security.clone(),
        Requested::Failed(problem) => {
            problem_ui(ui, problem);
            return;
        }
        Requested::Pending(_) | Requested::NotAsked => {
            ui.label("Reading the bucket's encryption, policy and versioning…");
            return;
        }
    };
    let shared = cx.shared;
    let kms = &shared.kms;
    egui::ScrollArea::vertical()
        .auto_shrink([false, false])
        .show(ui, |ui| {
            // Each section in a scope of its own: its buttons keep their ids when another
            // section's text changes.
            let v = &security.verdicts;
            ui.push_id("default-encryption", |ui| {
                verdict_ui(ui, "Default encryption", &v.default_encryption);
                default_encryption_ui(ui, view, &security, kms, busy);
            });
            ui.separator();
            ui.push_id("sse-c", |ui| {
                verdict_ui(ui, "SSE-C uploads", &v.sse_c);
                let (label, block) = if security.sse_c_blocked {
                    ("Unblock SSE-C…", false)
                } else {
                    ("Block SSE-C…", true)
                };
                if ui.add_enabled(!busy, egui::Button::new(label)).clicked() {
                    view.confirm = Some(Confirm::SseC { block });
                }
            });
            ui.separator();
            ui.push_id("tls", |ui| {
                verdict_ui(ui, "Encryption in transit", &v.tls);
                tls_ui(ui, view, &security, cx.tasks, bucket, busy);
            });
            ui.separator();
            ui.push_id("versioning", |ui| {
                verdict_ui(ui, "Versioning", &v.versioning);
            });
            ui.separator();
            ui.push_id("incomplete-uploads", |ui| {
                incomplete_uploads_ui(ui, &mut view.incomplete, bucket, cx);
            });
            ui.separator();
            ui.push_id("inventory", |ui| {
                inventory_section_ui(ui, &mut view.inventory, bucket, cx);
            });
        });
    confirm_ui(ui, view, bucket, cx);
}

/// One item: a coloured marker, the title, the verdict in a word, and the reason.
pub(super) fn verdict_ui(ui: &mut egui::Ui, title: &str, verdict: &Verdict) {
    ui.add_space(4.0);
    ui.horizontal(|ui| {
        let colour = level_colour(verdict.level);
        let (rect, _) = ui.allocate_exact_size(egui::vec2(12.0, 12.0), egui::Sense::hover());
        ui.painter().circle_filled(rect.center(), 6.0, colour);
        ui.label(RichText::new(title).strong());
        ui.label(
            RichText::new(format!(
                "{}: {}",
                verdict.level.as_str(),
                level_word(verdict.level)
            ))
            .color(level_text_colour(ui.visuals(), verdict.level)),
        );
    });
    ui.label(&verdict.reason);
    if let Some(remedy) = &verdict.remedy {
        ui.label(RichText::new(super::remedy::words(remedy)).weak());
    }
}

fn default_encryption_ui(
    ui: &mut egui::Ui,
    view: &mut BucketView,
    security: &BucketSecurity,
    kms: &Requested<Vec<KmsKeyChoice>>,
    busy: bool,
) {
    ui.label(
        RichText::new(format!("Now: {}", security.default_encryption))
            .weak()
            .small(),
    );
    let form = &mut view.default_form;
    ui.horizontal(|ui| {
        ui.label("Set to");
        ui.radio_value(&mut form.mode, DefaultMode::SseS3, "SSE-S3");
        ui.radio_value(&mut form.mode, DefaultMode::SseKms, "SSE-KMS");
        ui.radio_value(&mut form.mode, DefaultMode::DsseKms, "DSSE-KMS");
    });
    if form.mode != DefaultMode::SseS3 {
        ui.horizontal(|ui| kms_key_picker_ui(ui, "default-kms-key", &mut form.kms_key, kms));
    } else {
        form.kms_key = None;
    }
    if form.mode == DefaultMode::SseKms {
        ui.checkbox(
            &mut form.bucket_key,
            "Use an S3 Bucket Key (one KMS call per bucket key, not per object: cost and quota)",
        );
    } else {
        form.bucket_key = false;
    }
    let request = form.request();
    let unchanged = request.as_ref().is_some_and(|r| same_default(r, security));
    ui.horizontal(|ui| {
        let button = ui.add_enabled(
            !busy && request.is_some() && !unchanged,
            egui::Button::new("Set default encryption…"),
        );
        if button.clicked()
            && let Some(request) = request
        {
            view.confirm = Some(Confirm::Default(request));
        }
        if unchanged {
            ui.label(RichText::new("already the bucket's default").weak().small());
        }
    });
}

/// Whether `request` is what the bucket already has.
fn same_default(request: &DefaultEncryptionRequest, security: &BucketSecurity) -> bool {
    let d = &security.default_encryption;
    match request {
        DefaultEncryptionRequest::SseS3 => d.mode == EncryptionMode::SseS3,
        DefaultEncryptionRequest::SseKms { key_id, bucket_key } => {
            d.mode == EncryptionMode::SseKms
                && &d.kms_key_id == key_id
                && d.bucket_key_enabled == *bucket_key
        }
        DefaultEncryptionRequest::DsseKms { key_id } => {
            d.mode == EncryptionMode::DsseKms && &d.kms_key_id == key_id
        }
    }
}

fn tls_ui(
    ui: &mut egui::Ui,
    view: &mut BucketView,
    security: &BucketSecurity,
    tasks: &Tasks,
    bucket: &str,
    busy: bool,
) {
    if let Some(version) = &security.min_tls_version {
        ui.label(RichText::new(format!("Minimum TLS version: {version}")).small());
    }
    for finding in &security.policy_findings {
        ui.label(RichText::new(format!("• {finding}")).small());
    }
    ui.horizontal(|ui| {
        let label = ui.label("Minimum TLS");
        egui::ComboBox::from_id_salt("min-tls")
            .selected_text(
                view.min_tls
                    .map_or("any (deny only plain HTTP)", |v| v.as_str()),
            )
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut view.min_tls, None, "any (deny only plain HTTP)");
                for v in [TlsVersion::V1_2, TlsVersion::V1_3] {
                    ui.selectable_value(&mut view.min_tls, Some(v), v.as_str());
                }
            })
            .response
            .labelled_by(label.id);
        let enforce = (
            "Enforce TLS",
            "Show the policy change that denies requests without TLS, then apply it",
            true,
        );
        let relax = (
            "Relax TLS",
            "Show the change that removes only s3seal's TLS statements",
            false,
        );
        let offered = if security.has_policy {
            vec![enforce, relax]
        } else {
            vec![enforce]
        };
        for (title, hover, enforce) in offered {
            let button = egui::Button::new(format!("{title}…"));
            if ui.add_enabled(!busy, button).on_hover_text(hover).clicked() {
                // The window opens at once; the plan (diff) arrives from the stored policy.
                let (bucket, min_tls) = (bucket.to_owned(), view.min_tls.filter(|_| enforce));
                let plan = tasks.s3(move |conn, _, _| async move {
                    if enforce {
                        bucket::plan_enforce_tls(&conn, &bucket, min_tls).await
                    } else {
                        bucket::plan_relax_tls(&conn, &bucket).await
                    }
                });
                view.confirm = Some(Confirm::Policy {
                    title: title.to_owned(),
                    change: Box::new(Requested::Pending(plan)),
                });
            }
        }
    });
}

/// The confirmation window for the pending change, if any.
fn confirm_ui(ui: &mut egui::Ui, view: &mut BucketView, bucket: &str, cx: &Cx<'_>) {
    if let Some(Confirm::Policy { change, .. }) = &mut view.confirm {
        change.poll();
    }
    let Some(confirm) = &view.confirm else {
        return;
    };
    let mut close = false;
    let mut write = None;
    let title = match confirm {
        Confirm::Policy { title, .. } => title.clone(),
        Confirm::Default(_) => "Set default encryption".to_owned(),
        Confirm::SseC { block: true } => "Block SSE-C".to_owned(),
        Confirm::SseC { block: false } => "Unblock SSE-C".to_owned(),
    };
    egui::Window::new(title)
        .collapsible(false)
        .resizable(true)
        .default_width(560.0)
        .show(ui.ctx(), |ui| {
            match confirm {
                Confirm::Policy { change, .. } => match change.as_ref() {
                    Requested::Ready(change) => {
                        ui.label(format!("The policy of {bucket} will change like this:"));
                        diff_ui(ui, &change.diff());
                        ui.horizontal(|ui| {
                            if change.changed && ui.button("Apply policy change").clicked() {
                                write = Some(Change::Policy(change.clone()));
                                close = true;
                            }
                            if ui.button(if change.changed { "Cancel" } else { "Close" }).clicked() {
                                close = true;
                            }
                        });
                    }
                    Requested::Failed(problem) => {
                        problem_ui(ui, problem);
                        close = ui.button("Close").clicked();
                    }
                    Requested::Pending(_) | Requested::NotAsked => {
                        ui.horizontal(|ui| {
                            ui.spinner();
                            ui.label("Reading the bucket policy…");
                        });
                        close = ui.button("Cancel").clicked();
                    }
                },
                Confirm::Default(request) => {
                    ui.label(request.consequences(bucket));
                    ui.horizontal(|ui| {
                        if ui.button("Set default encryption").clicked() {
                            write = Some(Change::Default(request.clone()));
                            close = true;
                        }
                        close |= ui.button("Cancel").clicked();
                    });
                }
                Confirm::SseC { block } => {
                    ui.label(if *block {
                        format!(
                            "New SSE-C uploads to {bucket} will be refused (S3 answers 403). Objects already stored with SSE-C stay readable with their keys. The default encryption is kept as it is."
                        )
                    } else {
                        format!(
                            "SSE-C uploads to {bucket} will be accepted again: anyone allowed to upload can then store objects under a key you never see."
                        )
                    });
                    ui.horizontal(|ui| {
                        let label = if *block { "Block SSE-C" } else { "Unblock SSE-C" };
                        if ui.button(label).clicked() {
                            write = Some(Change::SseC(*block));
                            close = true;
                        }
                        close |= ui.button("Cancel").clicked();
                    });
                }
            }
        });
    if close {
        view.confirm = None;
    }
    if let Some(change) = write {
        view.write(cx.tasks, bucket, change, &cx.shared.kms_names);
    }
}

/// A policy diff, removed lines red and added lines green.
pub(super) fn diff_ui(ui: &mut egui::Ui, diff: &str) {
    egui::ScrollArea::vertical()
        .max_height(320.0)
        .show(ui, |ui| {
            for line in diff.lines() {
                let text = RichText::new(line).monospace();
                let text = if line.starts_with("+ ") {
                    text.color(super::theme::good(ui.visuals()))
                } else if line.starts_with("- ") {
                    text.color(super::theme::bad(ui.visuals()))
                } else {
                    text
                };
                ui.label(text);
            }
        });
}
