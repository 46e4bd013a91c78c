//! The inspector on the right: everything `info` knows about the selected object, laid out for
//! a person, with actions — download, change encryption, copy the URI, delete (confirmed).

use egui::RichText;

use super::actions::Action;
use super::badges::{Badge, KmsNames, badge_ui};
use super::encryption_form::{EncryptionForm, encryption_form_ui};
use super::format::{etag_text, human_size};
use super::notices::problem_ui;
use super::one_line::one_line_ui;
use super::request::Requested;
use super::shared::{Cx, Shared};
use super::tasks::Tasks;
use crate::keys::{KeyHome, KeyKind};
use crate::s3::inspect::{KeyStatus, ObjectInfo};
use crate::s3::{EncryptionMode, ReadKeys, S3Uri, inspect_fully};

/// "Try my keys…": asking first, then trying.
#[derive(Debug)]
pub enum TryKeys {
    /// Shows which keys would be sent where, waiting for a yes.
    Confirm,
    Trying(Box<Requested<ObjectInfo>>),
    /// A key fitted: offer to make the bucket its home.
    Found {
        name: String,
        home: Requested<()>,
    },
}

/// The inspector's state: the object shown and the requests about it.
#[derive(Debug, Default)]
pub struct Inspector {
    pub target: Option<S3Uri>,
    pub info: Requested<ObjectInfo>,
    pub confirm_delete: bool,
    delete: Requested<()>,
    /// The "change encryption" form, when open.
    pub rekey: Option<EncryptionForm>,
    try_keys: Option<TryKeys>,
}

impl Inspector {
    /// Shows `uri` (inspecting it afresh unless it is already shown).
    pub fn show(&mut self, tasks: &Tasks, shared: &Shared, uri: S3Uri) {
        if self.target.as_ref() == Some(&uri) {
            return;
        }
        self.clear();
        self.target = Some(uri);
        self.reload(tasks, shared);
    }

    /// Inspects the shown object again.
    pub fn reload(&mut self, tasks: &Tasks, shared: &Shared) {
        let Some(uri) = self.target.clone() else {
            return;
        };
        let read = shared.read_options(ReadKeys::AtHome);
        self.info = Requested::Pending(tasks.s3(move |conn, keys, _| async move {
            inspect_fully(&conn, &keys, &uri, &read).await
        }));
        self.try_keys = None;
    }

    pub fn clear(&mut self) {
        *self = Self::default();
    }

    /// Whether something is under way.
    pub fn is_busy(&self) -> bool {
        self.info.is_pending() || self.delete.is_pending()
    }
}

pub fn inspector_ui(ui: &mut egui::Ui, inspector: &mut Inspector, cx: &mut Cx<'_>) {
    if inspector.info.poll()
        && let (Some(uri), Some(info)) = (&inspector.target, inspector.info.ready())
    {
        // What the inspector learnt also fixes the row's badge.
        cx.actions
            .push(Action::ObjectInspected(uri.clone(), Box::new(info.clone())));
    }
    if inspector.delete.poll()
        && let Some(uri) = inspector.target.clone()
    {
        match &inspector.delete {
            Requested::Ready(()) => {
                cx.actions.push(Action::Info(format!("deleted {uri}")));
                cx.actions.push(Action::ObjectDeleted(uri));
                inspector.clear();
            }
            Requested::Failed(problem) => cx.actions.push(Action::Notice(problem.clone())),
            _ => {}
        }
    }
    ui.heading("Inspector");
    let Some(uri) = inspector.target.clone() else {
        ui.label(RichText::new("Select an object to see its encryption").weak());
        return;
    };
    let name = uri.key.rsplit('/').next().unwrap_or(&uri.key).to_owned();
    ui.label(RichText::new(name).strong().size(16.0));
    ui.separator();
    match &inspector.info {
        Requested::NotAsked | Requested::Pending(_) => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("reading the object's headers…");
            });
        }
        Requested::Failed(problem) => problem_ui(ui, problem),
        Requested::Ready(info) => {
            egui::ScrollArea::vertical()
                .id_salt("inspector-scroll")
                .max_height(ui.available_height() - 160.0)
                .show(ui, |ui| details_ui(ui, info, &cx.shared.kms_names));
        }
    }
    ui.separator();
    try_keys_ui(ui, inspector, &uri, cx);
    actions_ui(ui, inspector, &uri, cx);
}

fn details_ui(ui: &mut egui::Ui, info: &ObjectInfo, kms_names: &KmsNames) {
    let badge = Badge::from_info(info, kms_names);
    ui.horizontal(|ui| {
        ui.label("Encryption");
        badge_ui(ui, &badge);
    });
    ui.label(RichText::new(explain(info, kms_names)).small());
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
            // Identifiers stay on one line, shortened in the middle, whole on hover.
            let id_row = |ui: &mut egui::Ui, name: &str, shown: &str, whole: &str| {
                ui.label(RichText::new(name).weak());
                one_line_ui(ui, shown, whole);
                ui.end_row();
            };
            let uri = format!("s3://{}/{}", info.bucket, info.key);
            id_row(ui, "Object", &uri, &uri);
            if let Some(id) = &info.kms_key_id {
                row(ui, "KMS key", Some(kms_names.name_of(id).to_owned()));
                id_row(ui, "KMS key ARN", id, id);
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
                    Some(match (&info.matching_key, info.key_status) {
                        (Some(k), _) => format!("'{k}' fits"),
                        (None, Some(KeyStatus::NotHome)) => {
                            "not known here: no local key has this bucket among its homes, so none was sent".to_owned()
                        }
                        (None, Some(KeyStatus::Unavailable)) => "local keys unavailable".to_owned(),
                        (None, Some(KeyStatus::NotTried)) => {
                            "not tried: SSE-C is never sent over plain HTTP".to_owned()
                        }
                        (None, _) => "none of the local keys fits".to_owned(),
                    }),
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
            if let Some(etag) = &info.etag {
                id_row(ui, "ETag", etag_text(etag), etag);
            }
            if let Some(checksum) = &info.checksum {
                id_row(ui, "Checksum", checksum, checksum);
            }
            if let Some(version) = &info.version_id {
                id_row(ui, "Version", version, version);
            }
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
        EncryptionMode::SseC => match (&info.matching_key, info.key_status) {
            (Some(key), _) => format!("Encrypted with your key '{key}'; s3seal sends it when reading."),
            (None, Some(KeyStatus::NotHome)) => "Encrypted with a customer key. Your keys are only sent to their homes: press Try my keys… to offer them here.".to_owned(),
            (None, _) => "Encrypted with a customer key that none of your local keys matches: import that key to read it.".to_owned(),
        },
        EncryptionMode::Client => "Encrypted on the client before upload; S3 never saw the plaintext.".to_owned(),
    }
}

/// "Try my keys…" for an SSE-C object whose key is not at home here: says which keys it will
/// send where, and only then sends them.
fn try_keys_ui(ui: &mut egui::Ui, inspector: &mut Inspector, uri: &S3Uri, cx: &mut Cx<'_>) {
    let unknown = inspector.info.ready().is_some_and(|i| {
        i.mode == EncryptionMode::SseC
            && matches!(i.key_status, Some(KeyStatus::NotHome | KeyStatus::NoneFits))
    });
    if !unknown && inspector.try_keys.is_none() {
        return;
    }
    let names: Vec<String> = cx
        .shared
        .keys
        .ready()
        .map(|keys| {
            keys.iter()
                .filter(|k| k.kind == KeyKind::SseC)
                .map(|k| k.name.clone())
                .collect()
        })
        .unwrap_or_default();
    let place = cx
        .tasks
        .connection()
        .map_or_else(|| "the server".to_owned(), |c| c.place());
    match &mut inspector.try_keys {
        None => {
            if !names.is_empty() && ui.button("Try my keys…").clicked() {
                inspector.try_keys = Some(TryKeys::Confirm);
            }
        }
        Some(TryKeys::Confirm) => {
            ui.group(|ui| {
                ui.label(format!(
                    "This sends each of your SSE-C keys ({}) to {place}, with a request about {uri}, until one fits. Send them only to a server you trust.",
                    names.join(", ")
                ));
                ui.horizontal(|ui| {
                    if ui.button("Send my keys").clicked() {
                        let (uri, read) = (uri.clone(), cx.shared.read_options(ReadKeys::AllMine));
                        inspector.try_keys = Some(TryKeys::Trying(Box::new(Requested::Pending(
                            cx.tasks.s3(move |conn, keys, _| async move {
                                inspect_fully(&conn, &keys, &uri, &read).await
                            }),
                        ))));
                    }
                    if ui.button("Don't").clicked() {
                        inspector.try_keys = None;
                    }
                });
            });
        }
        Some(TryKeys::Trying(tried)) => {
            tried.poll();
            match tried.as_ref() {
                Requested::Pending(_) | Requested::NotAsked => {
                    ui.spinner();
                }
                Requested::Failed(problem) => problem_ui(ui, problem),
                Requested::Ready(info) => match info.matching_key.clone() {
                    Some(name) => {
                        cx.actions
                            .push(Action::ObjectInspected(uri.clone(), Box::new(info.clone())));
                        inspector.info = Requested::Ready(info.clone());
                        inspector.try_keys = Some(TryKeys::Found {
                            name,
                            home: Requested::NotAsked,
                        });
                    }
                    None => {
                        ui.label("None of your keys fits this object.");
                    }
                },
            }
        }
        Some(TryKeys::Found { name, home }) => {
            if home.poll() && home.ready().is_some() {
                cx.actions.push(Action::KeysChanged);
            }
            let bucket_home = KeyHome::new(&place, &uri.bucket, "");
            match home {
                Requested::NotAsked => {
                    ui.label(format!("'{name}' fits."));
                    if ui
                        .button(format!("Make {bucket_home} a home of '{name}'"))
                        .on_hover_text("Then s3seal offers this key here without asking")
                        .clicked()
                    {
                        let name = name.clone();
                        let keys = cx.tasks.keys().clone();
                        *home = Requested::Pending(cx.tasks.run(async move {
                            let manager = keys.manager().await?;
                            manager
                                .blocking(move |k| k.add_home(&name, bucket_home).map(|_| ()))
                                .await
                        }));
                    }
                }
                Requested::Pending(_) => {
                    ui.spinner();
                }
                Requested::Ready(()) => {
                    ui.label(format!("{bucket_home} is now a home of '{name}'."));
                }
                Requested::Failed(problem) => problem_ui(ui, problem),
            }
        }
    }
}

fn actions_ui(ui: &mut egui::Ui, inspector: &mut Inspector, uri: &S3Uri, cx: &mut Cx<'_>) {
    let actions = &mut *cx.actions;
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
                    let uri = uri.clone();
                    inspector.delete = Requested::Pending(cx.tasks.s3(|conn, _, _| async move {
                        crate::s3::listing::delete_object(&conn, &uri).await
                    }));
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
            encryption_form_ui(ui, form, &cx.shared.kms, &cx.shared.keys, cx.actions);
            ui.label(form.summary(&cx.shared.kms));
            let problem = form.problem(cx.shared.plain_http);
            if let Some(problem) = &problem {
                ui.label(RichText::new(problem).color(ui.visuals().warn_fg_color));
            }
            ui.horizontal(|ui| {
                if ui
                    .add_enabled(problem.is_none(), egui::Button::new("Re-encrypt"))
                    .clicked()
                    && let Ok(target) = form.choice()
                {
                    cx.actions.push(Action::Rekey {
                        uri: uri.clone(),
                        target,
                        read: cx.shared.read_options(ReadKeys::AtHome),
                    });
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
