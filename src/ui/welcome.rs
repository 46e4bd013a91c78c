//! The ways in, for a person with nothing configured (or who asks): what s3seal found on this
//! machine, and three ways to a working connection — pick a profile; sign in with an SSO
//! profile (what to run, with a copy button); or connect to an S3-compatible endpoint with an
//! access key that s3seal keeps in the OS keyring, never in a file.

use egui::RichText;
use zeroize::{Zeroize as _, Zeroizing};

use super::connection::{DEFAULT_REGION, region_picker_ui, text_field};
use super::notices::problem_ui;
use super::request::Requested;
use super::state::SavedConnection;
use super::tasks::Tasks;
use crate::keys::access_keys::AccessKeyRecord;
use crate::s3::discover::{Discovery, ProfileKind};

/// Which way in is shown.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum WayIn {
    #[default]
    Profile,
    Sso,
    Endpoint,
}

/// The dialog's state.
#[derive(Default)]
pub struct Welcome {
    pub way: WayIn,
    pub profile: String,
    pub region: String,
    pub endpoint: String,
    pub ca_bundle: String,
    pub access_key_id: String,
    /// Typed secret; wiped once it is handed to the key store, and when the dialog closes.
    secret: String,
    pub key_name: String,
    /// The access key being kept in the keyring; then the connection it is for.
    saving: Requested<SavedConnection>,
}

impl std::fmt::Debug for Welcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Welcome")
            .field("way", &self.way)
            .finish_non_exhaustive()
    }
}

impl Drop for Welcome {
    fn drop(&mut self) {
        self.secret.zeroize();
    }
}

/// What the person chose.
pub enum WelcomeOutcome {
    /// Connect with this.
    Connect(SavedConnection),
    Close,
}

impl Welcome {
    /// Opens on the way in that suits what was found.
    pub fn new(found: Option<&Discovery>) -> Self {
        let way = match found {
            Some(d)
                if d.profiles.iter().any(|p| {
                    p.kind != ProfileKind::SettingsOnly
                        && !matches!(p.kind, ProfileKind::Sso { .. })
                }) =>
            {
                WayIn::Profile
            }
            Some(d) if d.sso_profiles().next().is_some() => WayIn::Sso,
            _ => WayIn::Endpoint,
        };
        Self {
            way,
            profile: String::new(),
            region: found
                .and_then(|d| d.env_region.clone())
                .unwrap_or_else(|| DEFAULT_REGION.to_owned()),
            endpoint: String::new(),
            ca_bundle: String::new(),
            access_key_id: String::new(),
            secret: String::new(),
            key_name: "my-s3".to_owned(),
            saving: Requested::NotAsked,
        }
    }
}

/// The id of the secret field, for clearing what egui remembers of it (its undo history).
fn secret_id() -> egui::Id {
    egui::Id::unique("welcome-secret")
}

pub fn welcome_ui(
    ctx: &egui::Context,
    w: &mut Welcome,
    found: &Requested<Discovery>,
    tasks: &Tasks,
) -> Option<WelcomeOutcome> {
    if w.saving.poll()
        && let Some(saved) = w.saving.ready()
    {
        return Some(WelcomeOutcome::Connect(saved.clone()));
    }
    let mut outcome = None;
    let mut open = true;
    egui::Window::new("Welcome to s3seal")
        .open(&mut open)
        .collapsible(false)
        .resizable(true)
        .default_width(620.0)
        .anchor(egui::Align2::CENTER_TOP, [0.0, 60.0])
        .show(ctx, |ui| {
            found_ui(ui, found);
            ui.separator();
            ui.horizontal(|ui| {
                ui.selectable_value(&mut w.way, WayIn::Profile, "Use a profile");
                ui.selectable_value(&mut w.way, WayIn::Sso, "Sign in with SSO");
                ui.selectable_value(&mut w.way, WayIn::Endpoint, "S3-compatible endpoint");
            });
            ui.separator();
            outcome = match w.way {
                WayIn::Profile => profile_ui(ui, w, found.ready()),
                WayIn::Sso => sso_ui(ui, w, found.ready()),
                WayIn::Endpoint => endpoint_ui(ui, w, tasks),
            };
        });
    if !open {
        outcome = Some(WelcomeOutcome::Close);
    }
    if outcome.is_some() {
        forget_secret(ctx, w);
    }
    outcome
}

fn found_ui(ui: &mut egui::Ui, found: &Requested<Discovery>) {
    ui.label(RichText::new("What s3seal found on this machine").strong());
    let Some(d) = found.ready() else {
        ui.spinner();
        return;
    };
    let mut lines = Vec::new();
    let with_keys: Vec<&str> = d
        .profiles
        .iter()
        .filter(|p| {
            p.kind != ProfileKind::SettingsOnly && !matches!(p.kind, ProfileKind::Sso { .. })
        })
        .map(|p| p.name.as_str())
        .collect();
    if !with_keys.is_empty() {
        lines.push(format!(
            "profiles with credentials: {}",
            with_keys.join(", ")
        ));
    }
    let sso: Vec<&str> = d.sso_profiles().map(|p| p.name.as_str()).collect();
    if !sso.is_empty() {
        lines.push(format!("SSO profiles: {}", sso.join(", ")));
    }
    if !d.sso_sessions.is_empty() {
        lines.push(format!("SSO sessions: {}", d.sso_sessions.join(", ")));
    }
    if d.env_credentials {
        lines.push("credentials in the environment (AWS_ACCESS_KEY_ID)".to_owned());
    }
    if let Some(region) = &d.env_region {
        lines.push(format!("region in the environment: {region}"));
    }
    if lines.is_empty() {
        ui.label("No AWS configuration: no profiles in ~/.aws, no credentials in the environment. Choose a way in below.");
    }
    for line in lines {
        ui.label(format!("• {line}"));
    }
}

fn profile_ui(
    ui: &mut egui::Ui,
    w: &mut Welcome,
    found: Option<&Discovery>,
) -> Option<WelcomeOutcome> {
    let profiles: Vec<&str> = found
        .map(|d| {
            d.profiles
                .iter()
                .filter(|p| p.kind != ProfileKind::SettingsOnly)
                .map(|p| p.name.as_str())
                .collect()
        })
        .unwrap_or_default();
    if profiles.is_empty() {
        ui.label("There is no profile with credentials yet. Create one with `aws configure`, or use another way in.");
        return None;
    }
    for name in &profiles {
        ui.radio_value(&mut w.profile, (*name).to_owned(), *name);
    }
    ui.horizontal(|ui| region_picker_ui(ui, &mut w.region, false));
    let ready = !w.profile.is_empty();
    ui.add_enabled(ready, egui::Button::new("Connect with this profile"))
        .clicked()
        .then(|| {
            WelcomeOutcome::Connect(SavedConnection {
                profile: w.profile.clone(),
                region: w.region.clone(),
                ..SavedConnection::default()
            })
        })
}

fn sso_ui(ui: &mut egui::Ui, w: &mut Welcome, found: Option<&Discovery>) -> Option<WelcomeOutcome> {
    let sso: Vec<String> = found
        .map(|d| d.sso_profiles().map(|p| p.name.clone()).collect())
        .unwrap_or_default();
    if sso.is_empty() {
        ui.label("No SSO profile is configured. Set one up in a terminal with:");
        command_ui(ui, "aws configure sso");
        ui.label("then open this dialog again.");
        return None;
    }
    for name in &sso {
        ui.radio_value(&mut w.profile, name.clone(), name);
    }
    if w.profile.is_empty() || !sso.contains(&w.profile) {
        return None;
    }
    ui.label("Sign in first, in a terminal (it opens your browser for the device code):");
    command_ui(ui, &format!("aws sso login --profile {}", w.profile));
    ui.label("When the browser says you are signed in, connect:");
    ui.horizontal(|ui| region_picker_ui(ui, &mut w.region, false));
    ui.button("Connect with this profile").clicked().then(|| {
        WelcomeOutcome::Connect(SavedConnection {
            profile: w.profile.clone(),
            region: w.region.clone(),
            ..SavedConnection::default()
        })
    })
}

fn command_ui(ui: &mut egui::Ui, command: &str) {
    ui.horizontal(|ui| {
        ui.label(RichText::new(command).monospace().strong());
        if ui.small_button("Copy").clicked() {
            ui.ctx().copy_text(command.to_owned());
        }
    });
}

fn endpoint_ui(ui: &mut egui::Ui, w: &mut Welcome, tasks: &Tasks) -> Option<WelcomeOutcome> {
    ui.label("For MinIO, Ceph, Garage, LocalStack and other S3-compatible stores. The secret is kept in the OS keyring, never in a file.");
    egui::Grid::new("endpoint-form")
        .num_columns(2)
        .show(ui, |ui| {
            text_field(
                ui,
                "Endpoint URL",
                &mut w.endpoint,
                "https://s3.example.com",
                280.0,
            );
            ui.end_row();
            ui.horizontal(|ui| region_picker_ui(ui, &mut w.region, false));
            ui.end_row();
            text_field(ui, "Access key ID", &mut w.access_key_id, "", 280.0);
            ui.end_row();
            let label = ui.label("Secret access key");
            ui.add(
                egui::TextEdit::singleline(&mut w.secret)
                    .id(secret_id())
                    .password(true)
                    .desired_width(280.0),
            )
            .labelled_by(label.id);
            ui.end_row();
            text_field(
                ui,
                "Private CA bundle",
                &mut w.ca_bundle,
                "system roots (optional)",
                280.0,
            );
            ui.end_row();
            text_field(ui, "Keep it as", &mut w.key_name, "a name", 160.0);
            ui.end_row();
        });
    let problem = if !w.endpoint.trim().starts_with("https://")
        && !w.endpoint.trim().starts_with("http://")
    {
        Some("the endpoint starts with https:// (or http:// for a local test server)")
    } else if w.access_key_id.trim().is_empty() || w.secret.is_empty() {
        Some("the access key ID and its secret are both needed")
    } else if w.key_name.trim().is_empty() {
        Some("give the key a name to keep it under")
    } else {
        None
    };
    if let Some(problem) = problem {
        ui.label(RichText::new(problem).weak());
    }
    if let Some(problem) = w.saving.failed() {
        problem_ui(ui, problem);
    }
    let busy = w.saving.is_pending();
    if ui
        .add_enabled(
            problem.is_none() && !busy,
            egui::Button::new("Keep the key and connect"),
        )
        .clicked()
    {
        let secret = Zeroizing::new(std::mem::take(&mut w.secret));
        let record = AccessKeyRecord {
            name: w.key_name.trim().to_owned(),
            access_key_id: w.access_key_id.trim().to_owned(),
            endpoint: w.endpoint.trim().to_owned(),
        };
        let saved = SavedConnection {
            region: w.region.trim().to_owned(),
            endpoint_url: w.endpoint.trim().to_owned(),
            ca_bundle: w.ca_bundle.trim().to_owned(),
            access_key: record.name.clone(),
            ..SavedConnection::default()
        };
        let keys = tasks.keys().clone();
        w.saving = Requested::Pending(tasks.run(async move {
            let manager = keys.manager().await?;
            manager
                .blocking(move |k| k.save_access_key(record, &secret))
                .await?;
            Ok(saved)
        }));
        forget_secret(ui.ctx(), w);
    }
    if busy {
        ui.spinner();
    }
    None
}

/// Wipes the typed secret and what egui's text field remembers of it (its undo history).
fn forget_secret(ctx: &egui::Context, w: &mut Welcome) {
    w.secret.zeroize();
    if let Some(mut state) = egui::text_edit::TextEditState::load(ctx, secret_id()) {
        state.clear_undoer();
        state.store(ctx, secret_id());
    }
}
