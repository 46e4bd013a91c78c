//! Where keys may go, in the key manager: the homes of each SSE-C key (the only buckets s3seal
//! sends it to unasked), the KMS keys trusted to open client-side objects, the access keys kept
//! for S3-compatible stores, and whether V2 client-side objects (no key commitment) are read.

use egui::RichText;

use super::actions::Action;
use super::encryption_form::kms_key_picker_ui;
use super::notices::problem_ui;
use super::request::Requested;
use super::shared::Cx;
use super::tasks::Tasks;
use crate::error::Result;
use crate::keys::access_keys::AccessKeyRecord;
use crate::keys::{KeyHome, KeyKind, KeyManager};
use crate::s3::S3Uri;

/// The section's state.
#[derive(Debug, Default)]
pub struct KeyTrust {
    /// The SSE-C key whose homes are shown.
    pub home_key: Option<String>,
    /// `s3://BUCKET[/PREFIX]` being typed.
    pub new_home: String,
    /// The KMS key being added to the trusted ones.
    pub new_kms: Option<String>,
    trusted: Requested<Vec<String>>,
    access: Requested<Vec<AccessKeyRecord>>,
    op: Requested<String>,
}

impl KeyTrust {
    fn load(&mut self, tasks: &Tasks) {
        let keys = tasks.keys().clone();
        self.trusted = Requested::Pending(tasks.run(async move {
            let manager = keys.manager().await?;
            manager.blocking(|k| k.trusted_kms_keys()).await
        }));
        let keys = tasks.keys().clone();
        self.access = Requested::Pending(tasks.run(async move {
            let manager = keys.manager().await?;
            manager.blocking(|k| k.access_keys()).await
        }));
    }

    fn run<F>(&mut self, tasks: &Tasks, op: F)
    where
        F: FnOnce(&KeyManager) -> Result<String> + Send + 'static,
    {
        let keys = tasks.keys().clone();
        self.op = Requested::Pending(tasks.run(async move {
            let manager = keys.manager().await?;
            manager.blocking(op).await
        }));
    }
}

pub fn key_trust_ui(ui: &mut egui::Ui, trust: &mut KeyTrust, cx: &mut Cx<'_>) {
    if trust.trusted.is_not_asked() {
        trust.load(cx.tasks);
    }
    trust.trusted.poll();
    trust.access.poll();
    if trust.op.poll() && trust.op.ready().is_some() {
        cx.actions.push(Action::KeysChanged);
        trust.load(cx.tasks);
        trust.new_home.clear();
        trust.new_kms = None;
    }
    match &trust.op {
        Requested::Ready(text) => {
            ui.label(RichText::new(format!("✔ {text}")).color(super::theme::good(ui.visuals())));
        }
        Requested::Failed(problem) => problem_ui(ui, problem),
        _ => {}
    }
    egui::CollapsingHeader::new("Where SSE-C keys are sent (homes)")
        .default_open(false)
        .show(ui, |ui| homes_ui(ui, trust, cx));
    egui::CollapsingHeader::new("KMS keys trusted for client-side objects")
        .default_open(false)
        .show(ui, |ui| trusted_kms_ui(ui, trust, cx));
    egui::CollapsingHeader::new("Access keys for S3-compatible stores")
        .default_open(false)
        .show(ui, |ui| access_keys_ui(ui, trust, cx.tasks));
    let mut require = cx.shared.require_commitment;
    if ui
        .checkbox(
            &mut require,
            "Require key commitment: refuse V2 client-side objects when reading",
        )
        .on_hover_text("V2 does not bind the data key to the content; V3 does")
        .changed()
    {
        cx.actions.push(Action::SetRequireCommitment(require));
    }
}

fn homes_ui(ui: &mut egui::Ui, trust: &mut KeyTrust, cx: &mut Cx<'_>) {
    ui.label(
        RichText::new("s3seal offers an SSE-C key to the server on its own only for objects in the key's homes. Elsewhere it is sent only when you ask (Try my keys…). Uploads with a key add their bucket.")
            .weak(),
    );
    let Some(list) = cx.shared.keys.ready() else {
        return;
    };
    let sse_c: Vec<_> = list.iter().filter(|k| k.kind == KeyKind::SseC).collect();
    if sse_c.is_empty() {
        ui.label(RichText::new("No SSE-C keys.").weak());
        return;
    }
    ui.horizontal(|ui| {
        let label = ui.label("Key");
        egui::ComboBox::from_id_salt("home-key")
            .selected_text(
                trust
                    .home_key
                    .clone()
                    .unwrap_or_else(|| "pick a key".to_owned()),
            )
            .show_ui(ui, |ui| {
                for record in &sse_c {
                    ui.selectable_value(
                        &mut trust.home_key,
                        Some(record.name.clone()),
                        &record.name,
                    );
                }
            })
            .response
            .labelled_by(label.id);
    });
    let Some(record) = sse_c
        .iter()
        .find(|k| Some(&k.name) == trust.home_key.as_ref())
    else {
        return;
    };
    if record.homes.is_empty() {
        ui.label(RichText::new("No homes: this key is sent only where you name it.").weak());
    }
    let mut remove = None;
    for home in &record.homes {
        ui.horizontal(|ui| {
            ui.label(home.to_string());
            if ui.small_button("Remove").clicked() {
                remove = Some(home.clone());
            }
        });
    }
    let place = cx
        .tasks
        .connection()
        .map_or_else(|| "aws".to_owned(), |c| c.place());
    let name = record.name.clone();
    if let Some(home) = remove {
        let name = name.clone();
        trust.run(cx.tasks, move |k| {
            k.remove_home(&name, &home)
                .map(|_| format!("'{name}' is no longer sent to {home}"))
        });
    }
    ui.horizontal(|ui| {
        let label = ui.label("Add home");
        ui.add(
            egui::TextEdit::singleline(&mut trust.new_home)
                .hint_text("s3://bucket/prefix/")
                .desired_width(220.0),
        )
        .labelled_by(label.id);
        ui.label(RichText::new(format!("at {place}")).weak());
        let parsed = trust.new_home.trim().parse::<S3Uri>();
        if ui
            .add_enabled(parsed.is_ok(), egui::Button::new("Add"))
            .clicked()
            && let Ok(uri) = parsed
        {
            let home = KeyHome::new(&place, &uri.bucket, &uri.key);
            trust.run(cx.tasks, move |k| {
                k.add_home(&name, home.clone())
                    .map(|_| format!("'{name}' may now be offered to {home}"))
            });
        }
    });
}

fn trusted_kms_ui(ui: &mut egui::Ui, trust: &mut KeyTrust, cx: &mut Cx<'_>) {
    ui.label(
        RichText::new("A client-side object's data key is opened with KMS only under these keys (and those you name for one download). The keys of your own client-side uploads are added for you.")
            .weak(),
    );
    let mut remove = None;
    match &trust.trusted {
        Requested::Ready(keys) if keys.is_empty() => {
            ui.label(RichText::new("None yet.").weak());
        }
        Requested::Ready(keys) => {
            for key in keys {
                ui.horizontal(|ui| {
                    ui.label(RichText::new(cx.shared.kms_names.name_of(key)).monospace())
                        .on_hover_text(key);
                    if ui.small_button("Stop trusting").clicked() {
                        remove = Some(key.clone());
                    }
                });
            }
        }
        Requested::Failed(problem) => problem_ui(ui, problem),
        _ => {
            ui.spinner();
        }
    }
    if let Some(key) = remove {
        trust.run(cx.tasks, move |k| {
            k.untrust_kms_key(&key)
                .map(|()| format!("KMS key {key} is no longer trusted"))
        });
    }
    ui.horizontal(|ui| {
        kms_key_picker_ui(ui, "trust-kms", &mut trust.new_kms, &cx.shared.kms);
        if cx.shared.kms.is_not_asked() {
            cx.actions.push(Action::LoadKms);
        }
        if ui
            .add_enabled(trust.new_kms.is_some(), egui::Button::new("Trust"))
            .clicked()
            && let Some(key) = trust.new_kms.clone()
        {
            // Trust the key's ARN when KMS named it: the ciphertext names the key, not an alias.
            let key = cx
                .shared
                .kms
                .ready()
                .and_then(|keys| keys.iter().find(|k| k.key_id == key))
                .and_then(|k| k.arn.clone())
                .unwrap_or(key);
            trust.run(cx.tasks, move |k| {
                k.trust_kms_key(&key)
                    .map(|_| format!("KMS key {key} now opens client-side objects"))
            });
        }
    });
}

fn access_keys_ui(ui: &mut egui::Ui, trust: &mut KeyTrust, tasks: &Tasks) {
    let mut remove = None;
    match &trust.access {
        Requested::Ready(keys) if keys.is_empty() => {
            ui.label(RichText::new("None. Set up… in the connection bar adds one.").weak());
        }
        Requested::Ready(keys) => {
            for key in keys {
                ui.horizontal(|ui| {
                    ui.label(format!(
                        "{} · {} · {}",
                        key.name, key.access_key_id, key.endpoint
                    ));
                    if ui.small_button("Forget").clicked() {
                        remove = Some(key.name.clone());
                    }
                });
            }
        }
        Requested::Failed(problem) => problem_ui(ui, problem),
        _ => {
            ui.spinner();
        }
    }
    if let Some(name) = remove {
        trust.run(tasks, move |k| {
            k.delete_access_key(&name)
                .map(|()| format!("forgot access key '{name}'"))
        });
    }
}
