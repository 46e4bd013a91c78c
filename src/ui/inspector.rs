//! The inspector on the right: everything `info` knows about the selected object, laid out for
//! a person, with actions — download, change encryption, copy the URI, delete (confirmed).

use egui::RichText;

use super::actions::Action;
use super::backend::{RequestHandle, Requested};
use super::badges::{Badge, KmsNames, badge_ui};
use super::encryption_form::{EncryptionForm, encryption_form_ui};
use super::format::human_size;
use crate::keys::KeyRecord;
use crate::s3::inspect::ObjectInfo;
use crate::s3::kms::KmsKeyChoice;
use crate::s3::{EncryptionMode, S3Uri};

/// The inspector's state.
#[derive(Debug, Default)]
pub struct Inspector {
    pub target: Option<S3Uri>,
    pub info: Requested<ObjectInfo>,
    pub handle: Option<RequestHandle>,
    pub confirm_delete: bool,
    /// The "change encryption" form, when open.
    pub rekey: Option<EncryptionForm>,
}

impl Inspector {
    /// Shows `uri`; returns true when it is a new target that needs inspecting.
    pub fn show(&mut self, uri: S3Uri) -> bool {
        if self.target.as_ref() == Some(&uri) {
            return false;
        }
        self.clear();
        self.target = Some(uri);
        true
    }

    pub fn clear(&mut self) {
        *self = Self::default();
    }
}

/// The data the inspector draws besides its own state.
pub struct InspectorContext<'a> {
    pub kms_names: &'a KmsNames,
    pub kms: &'a Requested<Vec<KmsKeyChoice>>,
    pub keys: &'a Requested<Vec<KeyRecord>>,
    pub plain_http: bool,
}

pub fn inspector_ui(
    ui: &mut egui::Ui,
    inspector: &mut Inspector,
    cx: &InspectorContext<'_>,
    actions: &mut Vec<Action>,
) {
    ui.heading("Inspector");
    let Some(uri) = inspector.target.clone() else {
        ui.label(RichText::new("Select an object to see its encryption").weak());
        return;
    };
    let name = uri.key.rsplit('/').next().unwrap_or(&uri.key).to_owned();
    ui.label(RichText::new(name).strong().size(16.0));
    ui.separator();
    match &inspector.info {
        Requested::NotAsked | Requested::Loading => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("reading the object's headers…");
            });
        }
        Requested::Failed(err) => {
            ui.label(RichText::new(err).color(ui.visuals().error_fg_color));
        }
        Requested::Ready(info) => {
            egui::ScrollArea::vertical()
                .id_salt("inspector-scroll")
                .max_height(ui.available_height() - 140.0)
                .show(ui, |ui| details_ui(ui, info, cx));
        }
    }
    ui.separator();
    actions_ui(ui, inspector, &uri, cx, actions);
}

fn details_ui(ui: &mut egui::Ui, info: &ObjectInfo, cx: &InspectorContext<'_>) {
    let badge = Badge::from_info(info, cx.kms_names);
    ui.horizontal(|ui| {
        ui.label("Encryption");
        badge_ui(ui, &badge);
    });
    ui.label(RichText::new(explain(info, cx.kms_names)).small());
    ui.add_space(6.0);
    egui::Grid::new("inspector-grid")
        .num_columns(2)
        .striped(true)
        .spacing([12.0, 4.0])
        .show(ui, |ui| {
            let row = |ui: &mut egui::Ui, name: &str, value: Option<String>| {
                if let Some(value) = value {
                    ui.label(RichText::new(name).weak());
                    ui.add(egui::Label::new(value).wrap());
                    ui.end_row();
                }
            };
            row(
                ui,
                "Object",
                Some(format!("s3://{}/{}", info.bucket, info.key)),
            );
            if let Some(id) = &info.kms_key_id {
                row(ui, "KMS key", Some(cx.kms_names.name_of(id).to_owned()));
                row(ui, "KMS key ARN", Some(id.clone()));
            }
            row(
                ui,
                "Bucket Key",
                info.bucket_key_enabled
                    .map(|b| if b { "enabled" } else { "off" }.to_owned()),
            );
            row(ui, "SSE-C algorithm", info.sse_c_algorithm.clone());
            row(ui, "SSE-C key MD5", info.sse_c_key_md5.clone());
            if info.mode == EncryptionMode::SseC {
                row(
                    ui,
                    "Local key",
                    Some(info.matching_key.as_ref().map_or_else(
                        || "none of the local keys fits".to_owned(),
                        |k| format!("'{k}' fits"),
                    )),
                );
            }
            if let Some(client) = &info.client {
                row(
                    ui,
                    "Server side",
                    Some(super::badges::mode_name(info.server_side_mode).to_owned()),
                );
                row(ui, "Client format", Some(client.format.label().to_owned()));
                row(
                    ui,
                    "Key commitment",
                    Some(if client.committing { "yes" } else { "no (V2)" }.to_owned()),
                );
                row(ui, "Key wrap", Some(client.wrap.v2_name().to_owned()));
                row(
                    ui,
                    "Envelope in",
                    Some(
                        match client.location {
                            crate::s3::client_envelope::EnvelopeLocation::Metadata => {
                                "object metadata"
                            }
                            crate::s3::client_envelope::EnvelopeLocation::InstructionFile => {
                                "instruction file"
                            }
                        }
                        .to_owned(),
                    ),
                );
                if client.wrap == crate::crypto::WrapAlgorithm::AesGcm {
                    row(
                        ui,
                        "Local key",
                        Some(info.matching_key.as_ref().map_or_else(
                            || "none of the local keys opens it".to_owned(),
                            |k| format!("'{k}' opens it"),
                        )),
                    );
                }
                if let Some(context) = &client.kms_context {
                    row(
                        ui,
                        "KMS context",
                        Some(
                            context
                                .iter()
                                .map(|(k, v)| format!("{k}={v}"))
                                .collect::<Vec<_>>()
                                .join(", "),
                        ),
                    );
                }
            }
            row(
                ui,
                "Size",
                info.size.map(|s| format!("{} ({s} bytes)", human_size(s))),
            );
            row(ui, "Modified", info.last_modified.clone());
            row(ui, "Content type", info.content_type.clone());
            row(ui, "ETag", info.etag.clone());
            row(ui, "Checksum", info.checksum.clone());
            row(ui, "Version", info.version_id.clone());
            for (key, value) in &info.metadata {
                let title = if key.starts_with("x-amz-") {
                    format!("Envelope {key}")
                } else {
                    format!("meta {key}")
                };
                row(ui, &title, Some(value.clone()));
            }
        });
}

/// One sentence on what the encryption means for reading the object.
fn explain(info: &ObjectInfo, kms: &KmsNames) -> String {
    match info.mode {
        EncryptionMode::None => "Not encrypted at rest.".to_owned(),
        EncryptionMode::SseS3 => "Encrypted at rest by S3 with keys S3 manages.".to_owned(),
        EncryptionMode::SseKms | EncryptionMode::DsseKms => format!(
            "Encrypted by S3 with KMS key {}; reading needs kms:Decrypt on it.",
            info.kms_key_id.as_deref().map_or("aws/s3", |id| kms.name_of(id))
        ),
        EncryptionMode::SseC => match &info.matching_key {
            Some(key) => format!("Encrypted with your key '{key}'; s3seal sends it when reading."),
            None => "Encrypted with a customer key that none of your local keys matches: import that key to read it.".to_owned(),
        },
        EncryptionMode::Client => "Encrypted on the client before upload; S3 never saw the plaintext.".to_owned(),
    }
}

fn actions_ui(
    ui: &mut egui::Ui,
    inspector: &mut Inspector,
    uri: &S3Uri,
    cx: &InspectorContext<'_>,
    actions: &mut Vec<Action>,
) {
    ui.horizontal_wrapped(|ui| {
        if ui.button("Download…").clicked() {
            actions.push(Action::Download(uri.clone()));
        }
        if ui.button("Change encryption…").clicked() {
            inspector.rekey = Some(EncryptionForm::default());
        }
        if ui
            .button("Copy URI")
            .on_hover_text(uri.to_string())
            .clicked()
        {
            actions.push(Action::CopyText(uri.to_string()));
        }
        if ui.button("Delete…").on_hover_text("Delete (Del)").clicked() {
            inspector.confirm_delete = true;
        }
    });
    if inspector.confirm_delete {
        ui.group(|ui| {
            ui.label(
                RichText::new(format!("Delete {uri}? This cannot be undone."))
                    .color(ui.visuals().warn_fg_color),
            );
            ui.horizontal(|ui| {
                if ui.button("Delete object").clicked() {
                    actions.push(Action::Delete(uri.clone()));
                    inspector.confirm_delete = false;
                }
                if ui.button("Keep it").clicked() {
                    inspector.confirm_delete = false;
                }
            });
        });
    }
    let mut close = false;
    if let Some(form) = &mut inspector.rekey {
        ui.group(|ui| {
            encryption_form_ui(ui, form, cx.kms, cx.keys, actions);
            ui.label(form.summary(cx.kms));
            let problem = form.problem(cx.plain_http);
            if let Some(problem) = &problem {
                ui.label(RichText::new(problem).color(ui.visuals().warn_fg_color));
            }
            ui.horizontal(|ui| {
                if ui
                    .add_enabled(problem.is_none(), egui::Button::new("Re-encrypt"))
                    .clicked()
                    && let Ok(choice) = form.choice()
                {
                    actions.push(Action::Rekey(uri.clone(), choice));
                    close = true;
                }
                if ui.button("Cancel").clicked() {
                    close = true;
                }
            });
        });
    }
    if close {
        inspector.rekey = None;
    }
}
