//! The ways in, for a person with nothing configured (or who asks): what s3seal found on this
//! machine, and three ways to a working connection — pick a profile; sign in with an SSO
//! profile (what to run, with a copy button); or connect to an S3-compatible endpoint with an
//! access key that s3seal keeps in the OS keyring, never in a file, or holds for this session
//! only (endpoint_form.rs).

use egui::RichText;

use super::connection::{DEFAULT_REGION, region_picker_ui};
use super::endpoint_form::{EndpointForm, Made, endpoint_ui};
use super::request::Requested;
use super::state::SavedConnection;
use super::tasks::Tasks;
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
    /// The endpoint way in (its typed secret is wiped when the dialog closes or is dropped).
    endpoint: EndpointForm,
}

impl std::fmt::Debug for Welcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Welcome")
            .field("way", &self.way)
            .finish_non_exhaustive()
    }
}

/// What the person chose.
pub enum WelcomeOutcome {
    /// Connect with this.
    Connect(SavedConnection),
    /// Adopt this connection, made and checked by the endpoint form.
    Connected(Made),
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
            endpoint: EndpointForm::default(),
        }
    }
}

pub fn welcome_ui(
    ctx: &egui::Context,
    w: &mut Welcome,
    found: &Requested<Discovery>,
    tasks: &Tasks,
) -> Option<WelcomeOutcome> {
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
                WayIn::Endpoint => endpoint_ui(ui, &mut w.endpoint, &mut w.region, tasks)
                    .map(WelcomeOutcome::Connected),
            };
        });
    if !open {
        outcome = Some(WelcomeOutcome::Close);
    }
    if outcome.is_some() {
        w.endpoint.forget_secret(ctx);
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
