//! The welcome's way in for an S3-compatible endpoint: an access key, checked with one request
//! before the form lets go of it; then kept in the OS keyring, or — with no keyring, or when
//! asked — held for this session only (in memory, never written). The typed secret stays in its
//! field through a failed attempt and is wiped when the dialog closes.

use std::sync::Arc;

use egui::RichText;
use zeroize::{Zeroize as _, Zeroizing};

use super::connection::{region_picker_ui, text_field};
use super::notices::problem_ui;
use super::remedy::Problem;
use super::request::Requested;
use super::state::SavedConnection;
use super::tasks::Tasks;
use crate::error::Error;
use crate::keys::access_keys::{AccessKeyRecord, SessionAccessKey};
use crate::s3::Connection;

/// What a keyring adds, said wherever the key is held for this session only.
const KEYRING_WOULD: &str =
    "With a keyring (Secret Service) s3seal would remember this key for next time.";

/// A connection the form made and checked, for the window to adopt.
pub struct Made {
    pub saved: SavedConnection,
    pub connection: Arc<Connection>,
    /// The access key, when it is held for this session only.
    pub session: Option<SessionAccessKey>,
}

/// What one attempt came to.
enum Attempt {
    Made(Made),
    /// The connection worked but the keyring would not keep the key: nothing is kept, and the
    /// form offers the session instead.
    NotKept(Problem),
}

/// The form's fields and what it asked for. No `Debug`: it holds the typed secret.
pub struct EndpointForm {
    pub endpoint: String,
    pub ca_bundle: String,
    pub access_key_id: String,
    /// The typed secret: kept through a failed attempt, wiped when the form is dropped.
    secret: Zeroizing<String>,
    pub key_name: String,
    /// Whether the OS keyring answers (asked when the form is first drawn).
    keyring: Requested<()>,
    /// The connection being made and checked.
    attempt: Requested<Attempt>,
}

impl Default for EndpointForm {
    fn default() -> Self {
        Self {
            endpoint: String::new(),
            ca_bundle: String::new(),
            access_key_id: String::new(),
            secret: Zeroizing::default(),
            key_name: "my-s3".to_owned(),
            keyring: Requested::NotAsked,
            attempt: Requested::NotAsked,
        }
    }
}

impl EndpointForm {
    /// Wipes the typed secret and what egui's text field remembers of it (its undo history).
    pub fn forget_secret(&mut self, ctx: &egui::Context) {
        self.secret.zeroize();
        if let Some(mut state) = egui::text_edit::TextEditState::load(ctx, secret_id()) {
            state.clear_undoer();
            state.store(ctx, secret_id());
        }
    }

    /// What is missing before an attempt, in a few words.
    fn missing(&self, keep: bool) -> Option<&'static str> {
        let endpoint = self.endpoint.trim();
        if !endpoint.starts_with("https://") && !endpoint.starts_with("http://") {
            Some("the endpoint starts with https:// (or http:// for a local test server)")
        } else if self.access_key_id.trim().is_empty() || self.secret.is_empty() {
            Some("the access key ID and its secret are both needed")
        } else if keep && self.key_name.trim().is_empty() {
            Some("give the key a name to keep it under")
        } else {
            None
        }
    }

    /// The connection as remembered: `access_key` names the keyring's key, or is empty for a
    /// key held for this session only.
    fn saved(&self, region: &str, access_key: &str) -> SavedConnection {
        SavedConnection {
            region: region.trim().to_owned(),
            endpoint_url: self.endpoint.trim().to_owned(),
            ca_bundle: self.ca_bundle.trim().to_owned(),
            access_key: access_key.to_owned(),
            ..SavedConnection::default()
        }
    }

    /// Connects with the typed key and checks it; then keeps it in the keyring (`keep`), or
    /// holds it for this session. The field keeps its text whatever the answer.
    fn attempt(&mut self, tasks: &Tasks, region: &str, keep: bool) {
        let key = match SessionAccessKey::new(&self.access_key_id, &self.secret) {
            Ok(key) => key,
            Err(err) => {
                self.attempt = Requested::Failed(Problem::from(err));
                return;
            }
        };
        let keys = tasks.keys().clone();
        if !keep {
            let saved = self.saved(region, "");
            self.attempt = Requested::Pending(tasks.run(async move {
                let connection = connect_and_check(&saved, &key).await?;
                Ok(Attempt::Made(Made {
                    saved,
                    connection,
                    session: Some(key),
                }))
            }));
            return;
        }
        let record = AccessKeyRecord {
            name: self.key_name.trim().to_owned(),
            access_key_id: key.access_key_id().to_owned(),
            endpoint: self.endpoint.trim().to_owned(),
        };
        let saved = self.saved(region, &record.name);
        self.attempt = Requested::Pending(tasks.run(async move {
            let connection = connect_and_check(&saved, &key).await?;
            let manager = keys.manager().await;
            let kept = match manager {
                Ok(manager) => {
                    let secret = key.access_key().secret;
                    manager
                        .blocking(move |k| k.save_access_key(record, &secret))
                        .await
                }
                Err(err) => Err(err),
            };
            match kept {
                Ok(()) => Ok(Attempt::Made(Made {
                    saved,
                    connection,
                    session: None,
                })),
                Err(err @ Error::Keyring(_)) => Ok(Attempt::NotKept(Problem::from(err))),
                Err(err) => Err(err),
            }
        }));
    }
}

/// Opens a connection with `key` (a zeroizing copy; the SDK keeps its own for signing) and
/// checks it with one request.
async fn connect_and_check(
    saved: &SavedConnection,
    key: &SessionAccessKey,
) -> crate::error::Result<Arc<Connection>> {
    let connection = Connection::connect_with(&saved.options(), Some(key.access_key())).await?;
    connection.check().await?;
    Ok(Arc::new(connection))
}

/// The id of the secret field, for clearing what egui remembers of it (its undo history).
fn secret_id() -> egui::Id {
    egui::Id::unique("welcome-secret")
}

/// The form. Returns the connection once it is made and checked.
pub fn endpoint_ui(
    ui: &mut egui::Ui,
    form: &mut EndpointForm,
    region: &mut String,
    tasks: &Tasks,
) -> Option<Made> {
    if matches!(form.keyring, Requested::NotAsked) {
        let keys = tasks.keys().clone();
        form.keyring = Requested::Pending(tasks.run(async move {
            keys.manager().await?;
            Ok(())
        }));
    }
    form.keyring.poll();
    if form.attempt.poll() {
        match std::mem::take(&mut form.attempt) {
            Requested::Ready(Attempt::Made(made)) => return Some(made),
            Requested::Ready(Attempt::NotKept(problem)) => {
                form.keyring = Requested::Failed(problem);
            }
            other => form.attempt = other,
        }
    }
    let no_keyring = form.keyring.failed().cloned();
    ui.label(if no_keyring.is_some() {
        "For MinIO, Ceph, Garage, LocalStack and other S3-compatible stores."
    } else {
        "For MinIO, Ceph, Garage, LocalStack and other S3-compatible stores. The secret is kept in the OS keyring, never in a file."
    });
    fields_ui(ui, form, region, no_keyring.is_none());
    let keep = no_keyring.is_none();
    if let Some(missing) = form.missing(keep) {
        ui.label(RichText::new(missing).weak());
    }
    if let Some(problem) = form.attempt.failed() {
        problem_ui(ui, problem);
    }
    if let Some(why) = &no_keyring {
        session_only_note_ui(ui, why);
    }
    let busy = form.attempt.is_pending();
    ui.horizontal(|ui| {
        if keep {
            // Not waiting for the keyring's answer: an attempt that finds none says so.
            let ready = form.missing(true).is_none() && !busy;
            if ui
                .add_enabled(ready, egui::Button::new("Keep the key and connect"))
                .clicked()
            {
                form.attempt(tasks, region, true);
            }
        }
        let ready = form.missing(false).is_none() && !busy;
        let session = ui
            .add_enabled(ready, egui::Button::new("Connect for this session only"))
            .on_hover_text(
                "The secret stays in memory and is forgotten when the window closes or the connection changes.",
            );
        if session.clicked() {
            form.attempt(tasks, region, false);
        }
        if busy || form.keyring.is_pending() {
            ui.spinner();
        }
    });
    None
}

fn fields_ui(ui: &mut egui::Ui, form: &mut EndpointForm, region: &mut String, keep: bool) {
    egui::Grid::new("endpoint-form")
        .num_columns(2)
        .show(ui, |ui| {
            text_field(
                ui,
                "Endpoint URL",
                &mut form.endpoint,
                "https://s3.example.com",
                280.0,
            );
            ui.end_row();
            ui.horizontal(|ui| region_picker_ui(ui, region, false));
            ui.end_row();
            text_field(ui, "Access key ID", &mut form.access_key_id, "", 280.0);
            ui.end_row();
            let label = ui.label("Secret access key");
            ui.add(
                egui::TextEdit::singleline(&mut *form.secret)
                    .id(secret_id())
                    .password(true)
                    .desired_width(280.0),
            )
            .labelled_by(label.id);
            ui.end_row();
            text_field(
                ui,
                "Private CA bundle",
                &mut form.ca_bundle,
                "system roots (optional)",
                280.0,
            );
            ui.end_row();
            if keep {
                text_field(ui, "Keep it as", &mut form.key_name, "a name", 160.0);
                ui.end_row();
            }
        });
}

/// No keyring answered: one sentence of what "this session only" means and what a keyring
/// would add; the keyring's own words behind "Details".
fn session_only_note_ui(ui: &mut egui::Ui, why: &Problem) {
    ui.add(
        egui::Label::new(
            RichText::new(format!(
                "No keyring answered, so s3seal can connect for this session only: the secret stays in memory and is forgotten when the window closes. {KEYRING_WOULD}"
            ))
            .color(ui.visuals().warn_fg_color),
        )
        .wrap(),
    );
    let details = match &why.details {
        Some(more) => format!("{}\n{more}", why.summary),
        None => why.summary.clone(),
    };
    egui::CollapsingHeader::new("Details")
        .id_salt("no-keyring-details")
        .default_open(false)
        .show(ui, |ui| {
            ui.add(egui::Label::new(RichText::new(details).monospace().small()).wrap());
        });
}
