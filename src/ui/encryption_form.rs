//! Choosing an encryption for an upload or a rekey: the modes with one line explaining each,
//! the KMS key picker with Bucket Key, the local key picker with "New key…", and a line that
//! says what the object will end up with.

use egui::RichText;

use super::actions::Action;
use super::backend::Requested;
use super::ops::EncryptionChoice;
use crate::crypto::keywrap::FormatVersion;
use crate::keys::{KeyKind, KeyRecord};
use crate::s3::RequestedMode;
use crate::s3::kms::KmsKeyChoice;

/// The modes offered, with what each means for a person.
const MODES: [(RequestedMode, &str, &str); 6] = [
    (
        RequestedMode::Default,
        "Bucket default",
        "Send no encryption header: whatever the bucket's default encryption is applies.",
    ),
    (
        RequestedMode::SseS3,
        "SSE-S3",
        "S3 encrypts with keys it manages. Nothing to keep; anyone allowed to read can read.",
    ),
    (
        RequestedMode::SseKms,
        "SSE-KMS",
        "S3 encrypts with a KMS key; reading also needs kms:Decrypt on that key, and is logged.",
    ),
    (
        RequestedMode::DsseKms,
        "DSSE-KMS",
        "Two layers of encryption with a KMS key, for rules that require dual-layer.",
    ),
    (
        RequestedMode::SseC,
        "SSE-C",
        "S3 encrypts with your key, sent with every request and never stored: lose it, lose the data.",
    ),
    (
        RequestedMode::Client,
        "Client-side",
        "Encrypted on this machine before upload (S3 Encryption Client format).",
    ),
];

/// A choice being edited.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncryptionForm {
    pub choice: EncryptionChoice,
}

impl Default for EncryptionForm {
    fn default() -> Self {
        Self {
            choice: EncryptionChoice {
                mode: RequestedMode::SseS3,
                ..Default::default()
            },
        }
    }
}

impl EncryptionForm {
    /// What is wrong with the choice, if anything (shown instead of the Upload button).
    pub fn problem(&self, plain_http: bool) -> Option<String> {
        let c = &self.choice;
        if c.mode == RequestedMode::SseC && plain_http {
            return Some(
                "SSE-C is refused over plain HTTP: the key would travel in clear".to_owned(),
            );
        }
        if matches!(c.mode, RequestedMode::SseC | RequestedMode::Client) && c.key_name.is_none() {
            return Some("pick the local key to encrypt with, or create one".to_owned());
        }
        None
    }

    /// "The object will be encrypted with …".
    pub fn summary(&self, kms: &Requested<Vec<KmsKeyChoice>>) -> String {
        let c = &self.choice;
        let kms_name = || {
            c.kms_key.as_deref().map_or_else(
                || "the AWS-managed key aws/s3".to_owned(),
                |id| {
                    kms.ready()
                        .and_then(|keys| keys.iter().find(|k| k.key_id == id))
                        .map_or_else(|| id.to_owned(), |k| k.label().to_owned())
                },
            )
        };
        match c.mode {
            RequestedMode::Default => "It will get the bucket's default encryption.".to_owned(),
            RequestedMode::SseS3 => {
                "It will be encrypted by S3 with S3-managed keys (SSE-S3).".to_owned()
            }
            RequestedMode::SseKms => format!(
                "It will be encrypted by S3 with KMS key {}{} (SSE-KMS).",
                kms_name(),
                if c.bucket_key {
                    ", using an S3 Bucket Key"
                } else {
                    ""
                }
            ),
            RequestedMode::DsseKms => {
                format!(
                    "It will be encrypted twice by S3 with KMS key {} (DSSE-KMS).",
                    kms_name()
                )
            }
            RequestedMode::SseC => match &c.key_name {
                Some(name) => format!(
                    "It will be encrypted by S3 with your local key '{name}' (SSE-C); only that key can read it."
                ),
                None => "Pick a local key for SSE-C.".to_owned(),
            },
            RequestedMode::Client => match &c.key_name {
                Some(name) => format!(
                    "It will be encrypted on this machine with your local key '{name}' (client-side {}); S3 only ever sees ciphertext.",
                    match c.format {
                        FormatVersion::V2 => "V2",
                        FormatVersion::V3 => "V3",
                    }
                ),
                None => "Pick a local client key.".to_owned(),
            },
        }
    }
}

/// "KMS key" and a picker of the keys ListAliases named, AWS-managed `aws/s3` first (`None`).
pub fn kms_key_picker_ui(
    ui: &mut egui::Ui,
    id: &str,
    key: &mut Option<String>,
    kms: &Requested<Vec<KmsKeyChoice>>,
) {
    const MANAGED: &str = "aws/s3 (AWS managed)";
    let label = ui.label("KMS key");
    let selected = key
        .as_deref()
        .and_then(|id| kms.ready()?.iter().find(|k| k.key_id == id))
        .map_or_else(
            || key.clone().unwrap_or_else(|| MANAGED.to_owned()),
            |k| k.label().to_owned(),
        );
    egui::ComboBox::from_id_salt(id)
        .selected_text(selected)
        .width(260.0)
        .show_ui(ui, |ui| {
            ui.selectable_value(key, None, MANAGED);
            for choice in kms.ready().into_iter().flatten() {
                ui.selectable_value(key, Some(choice.key_id.clone()), choice.label())
                    .on_hover_text(choice.arn.as_deref().unwrap_or(&choice.key_id));
            }
        })
        .response
        .labelled_by(label.id);
}

pub fn encryption_form_ui(
    ui: &mut egui::Ui,
    form: &mut EncryptionForm,
    kms: &Requested<Vec<KmsKeyChoice>>,
    keys: &Requested<Vec<KeyRecord>>,
    actions: &mut Vec<Action>,
) {
    let choice = &mut form.choice;
    ui.label(RichText::new("Encryption").strong());
    for (mode, label, explanation) in MODES {
        ui.horizontal(|ui| {
            ui.radio_value(&mut choice.mode, mode, label);
            ui.label(RichText::new(explanation).weak().small());
        });
    }
    ui.add_space(4.0);
    match choice.mode {
        RequestedMode::SseKms | RequestedMode::DsseKms => {
            ui.horizontal(|ui| {
                kms_key_picker_ui(ui, "kms-key", &mut choice.kms_key, kms);
                match kms {
                    Requested::Loading => {
                        ui.spinner();
                    }
                    Requested::Failed(err) => {
                        ui.label(
                            RichText::new(err)
                                .color(ui.visuals().error_fg_color)
                                .small(),
                        );
                        if ui.small_button("Retry").clicked() {
                            actions.push(Action::LoadKms);
                        }
                    }
                    Requested::NotAsked => actions.push(Action::LoadKms),
                    Requested::Ready(_) => {}
                }
            });
            if choice.mode == RequestedMode::SseKms {
                ui.checkbox(
                    &mut choice.bucket_key,
                    "Use an S3 Bucket Key (fewer KMS calls, lower cost)",
                );
            }
        }
        RequestedMode::SseC | RequestedMode::Client => {
            let kind = if choice.mode == RequestedMode::SseC {
                KeyKind::SseC
            } else {
                KeyKind::Client
            };
            ui.horizontal(|ui| {
                let label = ui.label("Local key");
                let sse_c_keys: Vec<&KeyRecord> = keys
                    .ready()
                    .map(|k| k.iter().filter(|r| r.kind == kind).collect())
                    .unwrap_or_default();
                // A key of the other kind (left from switching modes) is not a valid pick.
                if choice.key_name.as_ref().is_some_and(|n| {
                    keys.ready().is_some() && !sse_c_keys.iter().any(|r| &r.name == n)
                }) {
                    choice.key_name = None;
                }
                egui::ComboBox::from_id_salt("sse-c-key")
                    .selected_text(
                        choice
                            .key_name
                            .clone()
                            .unwrap_or_else(|| "pick a key".to_owned()),
                    )
                    .width(200.0)
                    .show_ui(ui, |ui| {
                        for record in &sse_c_keys {
                            ui.selectable_value(
                                &mut choice.key_name,
                                Some(record.name.clone()),
                                &record.name,
                            )
                            .on_hover_text(format!("S3 MD5 {}", record.md5));
                        }
                    })
                    .response
                    .labelled_by(label.id);
                if ui.button("New key…").clicked() {
                    actions.push(Action::OpenKeys);
                }
                if let Requested::Failed(err) = keys {
                    ui.label(
                        RichText::new(err)
                            .color(ui.visuals().error_fg_color)
                            .small(),
                    );
                }
            });
        }
        RequestedMode::Default | RequestedMode::SseS3 => {}
    }
    if choice.mode == RequestedMode::Client {
        ui.horizontal(|ui| {
            ui.label("Format");
            ui.radio_value(&mut choice.format, FormatVersion::V3, "V3 (key commitment)")
                .on_hover_text("The default of the newest official S3 Encryption Clients");
            ui.radio_value(&mut choice.format, FormatVersion::V2, "V2")
                .on_hover_text("For older official clients that cannot read V3");
        });
    } else {
        choice.format = FormatVersion::V3;
    }
    if choice.mode != RequestedMode::SseKms {
        choice.bucket_key = false;
    }
    if !matches!(choice.mode, RequestedMode::SseKms | RequestedMode::DsseKms) {
        choice.kms_key = None;
    }
    if !matches!(choice.mode, RequestedMode::SseC | RequestedMode::Client) {
        choice.key_name = None;
    }
}
