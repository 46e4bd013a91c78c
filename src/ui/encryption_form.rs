//! Choosing an encryption for an upload or a rekey: the modes with one line explaining each,
//! the KMS key picker with Bucket Key, the local key picker with "New key…", and a line that
//! says what the object will end up with.

use egui::RichText;

use std::collections::BTreeMap;

use super::actions::Action;
use super::request::Requested;
use crate::crypto::FormatVersion;
use crate::keys::{KeyKind, KeyRecord};
use crate::s3::bucket::PlannedEncryption;
use crate::s3::kms::KmsKeyChoice;
use crate::transfer::write_mode::{EncryptionChoice, MasterChoice};

/// The modes offered, with what each means for a person.
const MODES: [(FormMode, &str, &str); 6] = [
    (
        FormMode::Default,
        "Bucket default",
        "Send no encryption header: whatever the bucket's default encryption is applies.",
    ),
    (
        FormMode::SseS3,
        "SSE-S3",
        "S3 encrypts with keys it manages. Nothing to keep; anyone allowed to read can read.",
    ),
    (
        FormMode::SseKms,
        "SSE-KMS",
        "S3 encrypts with a KMS key; reading also needs kms:Decrypt on that key, and is logged.",
    ),
    (
        FormMode::DsseKms,
        "DSSE-KMS",
        "Two layers of encryption with a KMS key, for rules that require dual-layer.",
    ),
    (
        FormMode::SseC,
        "SSE-C",
        "S3 encrypts with your key, sent with every request and never stored: lose it, lose the data.",
    ),
    (
        FormMode::Client,
        "Client-side",
        "Encrypted on this machine before upload (S3 Encryption Client format).",
    ),
];

/// The mode picked in the form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormMode {
    Default,
    SseS3,
    SseKms,
    DsseKms,
    SseC,
    Client,
}

/// What wraps a client-side object's data key.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ClientMasterKind {
    /// A local client key from the OS keyring.
    #[default]
    Local,
    /// An AWS KMS key.
    Kms,
}

/// A choice being edited: every field a mode may need, kept while the person switches modes.
/// [`EncryptionForm::choice`] is the one place the fields become an [`EncryptionChoice`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncryptionForm {
    pub mode: FormMode,
    /// KMS key id (SSE-KMS, DSSE-KMS, or the client-side KMS master key); `None`: `aws/s3`.
    pub kms_key: Option<String>,
    pub bucket_key: bool,
    /// Local key name (SSE-C, or the client-side local master key).
    pub key_name: Option<String>,
    pub master: ClientMasterKind,
    pub format: FormatVersion,
    /// Client-side KMS encryption context, `key=value` pairs separated by commas.
    pub context: String,
}

impl Default for EncryptionForm {
    fn default() -> Self {
        Self {
            mode: FormMode::SseS3,
            kms_key: None,
            bucket_key: false,
            key_name: None,
            master: ClientMasterKind::Local,
            format: FormatVersion::V3,
            context: String::new(),
        }
    }
}

impl EncryptionForm {
    /// The choice the fields make, or what is still missing, in the window's words.
    pub fn choice(&self) -> Result<EncryptionChoice, String> {
        Ok(match self.mode {
            FormMode::Default => EncryptionChoice::BucketDefault,
            FormMode::SseS3 => EncryptionChoice::SseS3,
            FormMode::SseKms => EncryptionChoice::SseKms {
                key: self.kms_key.clone(),
                bucket_key: self.bucket_key,
            },
            FormMode::DsseKms => EncryptionChoice::DsseKms {
                key: self.kms_key.clone(),
            },
            FormMode::SseC => EncryptionChoice::SseC {
                key: self
                    .key_name
                    .clone()
                    .ok_or("pick the local key to encrypt with, or create one")?,
            },
            FormMode::Client => EncryptionChoice::Client {
                master: match self.master {
                    ClientMasterKind::Local => MasterChoice::Local {
                        key: self
                            .key_name
                            .clone()
                            .ok_or("pick the local key to encrypt with, or create one")?,
                    },
                    ClientMasterKind::Kms => MasterChoice::Kms {
                        key: self
                            .kms_key
                            .clone()
                            .ok_or("pick the KMS key that wraps the data key")?,
                        context: parse_context(&self.context)?,
                    },
                },
                format: self.format,
            },
        })
    }

    /// What is wrong with the choice, if anything (shown instead of the Upload button).
    pub fn problem(&self, plain_http: bool) -> Option<String> {
        if plain_http {
            if self.mode == FormMode::SseC {
                return Some(
                    "SSE-C is refused over plain HTTP: the key would travel in clear".to_owned(),
                );
            }
            if self.mode == FormMode::Client && self.master == ClientMasterKind::Kms {
                return Some(
                    "client-side encryption with KMS is refused over plain HTTP: the data key would travel in clear"
                        .to_owned(),
                );
            }
        }
        self.choice().err()
    }

    /// What the upload preview checks, even while the choice is incomplete.
    pub fn planned(&self) -> PlannedEncryption {
        match self.choice() {
            Ok(choice) => choice.planned(),
            Err(_) => match self.mode {
                FormMode::SseC => PlannedEncryption::SseC { key_name: None },
                _ => PlannedEncryption::Client {
                    master: "no master key yet".to_owned(),
                },
            },
        }
    }

    /// "The object will be encrypted with …".
    pub fn summary(&self, kms: &Requested<Vec<KmsKeyChoice>>) -> String {
        let kms_name = |key: Option<&str>| {
            key.map_or_else(
                || "the AWS-managed key aws/s3".to_owned(),
                |id| {
                    kms.ready()
                        .and_then(|keys| keys.iter().find(|k| k.key_id == id))
                        .map_or_else(|| id.to_owned(), |k| k.label().to_owned())
                },
            )
        };
        match self.choice() {
            Err(_) => match self.mode {
                FormMode::SseC => "Pick a local key for SSE-C.".to_owned(),
                _ => match self.master {
                    ClientMasterKind::Local => "Pick a local client key.".to_owned(),
                    ClientMasterKind::Kms => "Pick the KMS key that wraps the data key.".to_owned(),
                },
            },
            Ok(EncryptionChoice::BucketDefault) => {
                "It will get the bucket's default encryption.".to_owned()
            }
            Ok(EncryptionChoice::SseS3) => {
                "It will be encrypted by S3 with S3-managed keys (SSE-S3).".to_owned()
            }
            Ok(EncryptionChoice::SseKms { key, bucket_key }) => format!(
                "It will be encrypted by S3 with KMS key {}{} (SSE-KMS).",
                kms_name(key.as_deref()),
                if bucket_key {
                    ", using an S3 Bucket Key"
                } else {
                    ""
                }
            ),
            Ok(EncryptionChoice::DsseKms { key }) => format!(
                "It will be encrypted twice by S3 with KMS key {} (DSSE-KMS).",
                kms_name(key.as_deref())
            ),
            Ok(EncryptionChoice::SseC { key }) => format!(
                "It will be encrypted by S3 with your local key '{key}' (SSE-C); only that key can read it."
            ),
            Ok(EncryptionChoice::Client { master, format }) => format!(
                "It will be encrypted on this machine with {} (client-side {}); S3 only ever sees ciphertext.",
                match master {
                    MasterChoice::Local { key } => format!("your local key '{key}'"),
                    MasterChoice::Kms { key, .. } =>
                        format!("a data key from KMS key {}", kms_name(Some(&key))),
                },
                format.label()
            ),
        }
    }
}

/// `a=b, c=d` → {a: b, c: d}; empty is empty.
fn parse_context(text: &str) -> Result<BTreeMap<String, String>, String> {
    text.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|pair| {
            pair.split_once('=')
                .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
                .filter(|(k, _)| !k.is_empty())
                .ok_or_else(|| format!("the encryption context '{pair}' is not name=value"))
        })
        .collect()
}

/// "KMS key" and a picker of the keys ListAliases named, AWS-managed `aws/s3` first (`None`).
/// Accounts hold hundreds of keys: the list is filtered by what is typed in "Find a key" (name,
/// id or ARN), and a key ARN of another account, which ListAliases never names, can be typed
/// and used as it is.
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
    let filter_id = ui.make_persistent_id((id, "find-kms-key"));
    egui::ComboBox::from_id_salt(id)
        .selected_text(selected)
        .width(260.0)
        .height(320.0)
        .show_ui(ui, |ui| {
            let mut filter: String = ui.data(|d| d.get_temp(filter_id)).unwrap_or_default();
            let find = ui.label("Find a key");
            ui.add(
                egui::TextEdit::singleline(&mut filter)
                    .hint_text("name, id or ARN")
                    .desired_width(240.0),
            )
            .labelled_by(find.id);
            ui.data_mut(|d| d.insert_temp(filter_id, filter.clone()));
            let needle = filter.trim().to_lowercase();
            let matches = |text: &str| text.to_lowercase().contains(&needle);
            if needle.is_empty() || matches(MANAGED) {
                ui.selectable_value(key, None, MANAGED);
            }
            let mut shown = 0;
            for choice in kms.ready().into_iter().flatten() {
                let arn = choice.arn.as_deref().unwrap_or(&choice.key_id);
                if needle.is_empty()
                    || matches(choice.label())
                    || matches(&choice.key_id)
                    || matches(arn)
                {
                    shown += 1;
                    ui.selectable_value(key, Some(choice.key_id.clone()), choice.label())
                        .on_hover_text(arn);
                }
            }
            let typed = filter.trim();
            if shown == 0 && typed.starts_with("arn:") && typed.contains(":key/") {
                ui.selectable_value(key, Some(typed.to_owned()), format!("Use {typed}"))
                    .on_hover_text("A key this account cannot list (another account's key)");
            } else if shown == 0 && !needle.is_empty() {
                ui.weak("No key matches; paste a key ARN to use a key of another account");
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
    ui.label(RichText::new("Encryption").strong());
    for (mode, label, explanation) in MODES {
        ui.horizontal(|ui| {
            ui.radio_value(&mut form.mode, mode, label);
            ui.label(RichText::new(explanation).weak().small());
        });
    }
    ui.add_space(4.0);
    if form.mode == FormMode::Client {
        ui.horizontal(|ui| {
            ui.label("Master key");
            ui.radio_value(&mut form.master, ClientMasterKind::Local, "On this machine")
                .on_hover_text("A client key from your OS keyring; it never leaves this machine");
            ui.radio_value(&mut form.master, ClientMasterKind::Kms, "In AWS KMS")
                .on_hover_text("AWS KMS makes and wraps each object's data key");
        });
    }
    let wants_kms = matches!(form.mode, FormMode::SseKms | FormMode::DsseKms)
        || (form.mode == FormMode::Client && form.master == ClientMasterKind::Kms);
    let wants_local = form.mode == FormMode::SseC
        || (form.mode == FormMode::Client && form.master == ClientMasterKind::Local);
    if wants_kms {
        ui.horizontal(|ui| {
            kms_key_picker_ui(ui, "kms-key", &mut form.kms_key, kms);
            kms_status_ui(ui, kms, actions);
        });
        if form.mode == FormMode::SseKms {
            ui.checkbox(
                &mut form.bucket_key,
                "Use an S3 Bucket Key (fewer KMS calls, lower cost)",
            );
        }
        if form.mode == FormMode::Client {
            ui.horizontal(|ui| {
                let label = ui.label("Encryption context");
                ui.add(
                    egui::TextEdit::singleline(&mut form.context)
                        .hint_text("team=a, app=b (optional)")
                        .desired_width(240.0),
                )
                .labelled_by(label.id);
            });
        }
    }
    if wants_local {
        let kind = if form.mode == FormMode::SseC {
            KeyKind::SseC
        } else {
            KeyKind::Client
        };
        local_key_picker_ui(ui, form, kind, keys, actions);
    }
    if form.mode == FormMode::Client {
        ui.horizontal(|ui| {
            ui.label("Format");
            ui.radio_value(&mut form.format, FormatVersion::V3, "V3 (key commitment)")
                .on_hover_text("The default of the newest official S3 Encryption Clients");
            ui.radio_value(&mut form.format, FormatVersion::V2, "V2")
                .on_hover_text("For older official clients that cannot read V3; no key commitment");
        });
    }
}

fn kms_status_ui(ui: &mut egui::Ui, kms: &Requested<Vec<KmsKeyChoice>>, actions: &mut Vec<Action>) {
    match kms {
        Requested::Pending(_) => {
            ui.spinner();
        }
        Requested::Failed(problem) => {
            ui.label(
                RichText::new(&problem.summary)
                    .color(ui.visuals().error_fg_color)
                    .small(),
            );
            if ui.small_button("Retry").clicked() {
                actions.push(Action::LoadKms);
            }
        }
        Requested::NotAsked => actions.push(Action::LoadKms),
        Requested::Ready(_) => {
            // Keys and aliases are listed once per connection; a key or alias made since
            // appears after this.
            if ui
                .small_button("Refresh keys")
                .on_hover_text("List the KMS keys and aliases again (ListKeys, ListAliases)")
                .clicked()
            {
                actions.push(Action::LoadKms);
            }
        }
    }
}

fn local_key_picker_ui(
    ui: &mut egui::Ui,
    form: &mut EncryptionForm,
    kind: KeyKind,
    keys: &Requested<Vec<KeyRecord>>,
    actions: &mut Vec<Action>,
) {
    ui.horizontal(|ui| {
        let label = ui.label("Local key");
        let of_kind: Vec<&KeyRecord> = keys
            .ready()
            .map(|k| k.iter().filter(|r| r.kind == kind).collect())
            .unwrap_or_default();
        // A key of the other kind (left from switching modes) is not a valid pick.
        if form
            .key_name
            .as_ref()
            .is_some_and(|n| keys.ready().is_some() && !of_kind.iter().any(|r| &r.name == n))
        {
            form.key_name = None;
        }
        egui::ComboBox::from_id_salt("sse-c-key")
            .selected_text(
                form.key_name
                    .clone()
                    .unwrap_or_else(|| "pick a key".to_owned()),
            )
            .width(200.0)
            .show_ui(ui, |ui| {
                for record in &of_kind {
                    ui.selectable_value(
                        &mut form.key_name,
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
        if let Requested::Failed(problem) = keys {
            ui.label(
                RichText::new(&problem.summary)
                    .color(ui.visuals().error_fg_color)
                    .small(),
            );
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_makes_only_whole_choices() {
        let mut form = EncryptionForm {
            mode: FormMode::SseC,
            ..Default::default()
        };
        assert!(form.choice().is_err());
        assert!(form.problem(true).unwrap().contains("plain HTTP"));
        form.key_name = Some("k".into());
        assert_eq!(
            form.choice(),
            Ok(EncryptionChoice::SseC { key: "k".into() })
        );
        form.mode = FormMode::Client;
        form.master = ClientMasterKind::Kms;
        assert!(form.choice().unwrap_err().contains("KMS key"));
        form.kms_key = Some("alias/app".into());
        form.context = "team=a, app = b".into();
        let Ok(EncryptionChoice::Client {
            master: MasterChoice::Kms { key, context },
            format,
        }) = form.choice()
        else {
            panic!("a client-side KMS choice");
        };
        assert_eq!(key, "alias/app");
        assert_eq!(context.get("app").map(String::as_str), Some("b"));
        assert_eq!(format, FormatVersion::V3);
        form.context = "oops".into();
        assert!(form.choice().is_err());
    }
}
