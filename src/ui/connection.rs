//! The connection bar: AWS profile, region (a picker, us-east-1 when nothing says otherwise),
//! custom endpoint and CA bundle; the connection request it owns (and the access key held for
//! this session only, if the connection was made with one); a lock that says whether the
//! connection is HTTPS; the remembered connections; and what this machine has configured.

use std::sync::Arc;

use egui::{Color32, RichText};

use super::actions::Action;
use super::notices::problem_ui;
use super::request::Requested;
use super::state::{SavedConnection, Theme};
use super::tasks::Tasks;
use crate::keys::access_keys::SessionAccessKey;
use crate::s3::Connection;
use crate::s3::discover::{COMMON_REGIONS, Discovery, ProfileKind, discover};

/// The region filled in when none is configured anywhere.
pub const DEFAULT_REGION: &str = "us-east-1";

/// What the connection turned out to be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectionInfo {
    pub region: Option<String>,
    pub endpoint: Option<String>,
    pub plain_http: bool,
}

/// The bar's runtime state (the fields themselves are persisted in [`SavedConnection`]).
#[derive(Debug, Default)]
pub struct ConnectionView {
    /// What this machine has configured, read once at start.
    pub discovery: Requested<Discovery>,
    /// The connection being made, or made.
    pub connect: Requested<Arc<Connection>>,
    /// No region anywhere: the person picks one before connecting.
    pub needs_region: bool,
    /// The access key held for this session only, with the connection it is for: used again
    /// when that same connection is made again, wiped once another one replaces it (and when
    /// the window closes).
    session: Option<Session>,
}

/// An access key held for this session only, and the connection it is for.
struct Session {
    saved: SavedConnection,
    key: SessionAccessKey,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("saved", &self.saved)
            .finish_non_exhaustive()
    }
}

impl ConnectionView {
    /// Starts reading the AWS configuration files (off the UI thread).
    pub fn discover(&mut self, tasks: &Tasks) {
        self.discovery = Requested::Pending(tasks.blocking(|| Ok(discover())));
    }

    /// Connects as `saved` says, unless no region can be known: then the region picker asks
    /// first (nothing is sent, no instance metadata is probed).
    pub fn start(&mut self, tasks: &Tasks, saved: &mut SavedConnection) {
        if self.region_unknown(saved) {
            saved.region = DEFAULT_REGION.to_owned();
            self.needs_region = true;
            self.connect = Requested::NotAsked;
            return;
        }
        self.needs_region = false;
        let options = saved.options();
        let keys = tasks.keys().clone();
        let session = match &self.session {
            Some(session) if session.saved == *saved => Some(session.key.access_key()),
            // Another connection replaces the one the key was for: it is wiped.
            _ => {
                self.session = None;
                None
            }
        };
        self.connect = Requested::Pending(tasks.run(async move {
            let connection = match session {
                Some(key) => Connection::connect_with(&options, Some(key)).await?,
                None => Connection::open(&options, &keys).await?,
            };
            Ok(Arc::new(connection))
        }));
    }

    /// Takes a connection made elsewhere (the welcome's endpoint form) as the current one,
    /// with the access key held for this session, if it was made with one.
    pub fn adopt(
        &mut self,
        saved: &SavedConnection,
        connection: Arc<Connection>,
        session: Option<SessionAccessKey>,
    ) {
        self.needs_region = false;
        self.connect = Requested::Ready(connection);
        self.session = session.map(|key| Session {
            saved: saved.clone(),
            key,
        });
    }

    /// Whether the connection's access key is held for this session only (nothing of it is
    /// remembered for the next run).
    pub fn is_session_only(&self) -> bool {
        self.session.is_some()
    }

    /// Whether nothing gives a region: not the field, an endpoint, the environment, nor the
    /// chosen (or default) profile.
    fn region_unknown(&self, saved: &SavedConnection) -> bool {
        if !saved.region.trim().is_empty() || !saved.endpoint_url.trim().is_empty() {
            return false;
        }
        let Some(found) = self.discovery.ready() else {
            return false;
        };
        let profile = if saved.profile.is_empty() {
            found.env_profile.as_deref().unwrap_or("default")
        } else {
            saved.profile.as_str()
        };
        found.env_region.is_none()
            && !found
                .profiles
                .iter()
                .any(|p| p.name == profile && p.region.is_some())
    }

    /// What the connection is, once made.
    pub fn info(&self) -> Option<ConnectionInfo> {
        self.connect.ready().map(|conn| ConnectionInfo {
            region: conn.region().map(str::to_owned),
            endpoint: conn.s3_endpoint().map(str::to_owned),
            plain_http: conn.is_plain_http(),
        })
    }
}

/// The lock line: HTTPS, or a loud warning on plain HTTP; its colour reads on `visuals`.
pub fn lock_text(info: &ConnectionInfo, visuals: &egui::Visuals) -> (String, Color32) {
    let place = info
        .endpoint
        .clone()
        .unwrap_or_else(|| format!("AWS {}", info.region.as_deref().unwrap_or("(no region)")));
    if info.plain_http {
        (
            format!("⚠ PLAIN HTTP — not encrypted in transit; SSE-C refused ({place})"),
            super::theme::bad(visuals),
        )
    } else {
        (format!("🔒 HTTPS · {place}"), super::theme::good(visuals))
    }
}

pub fn connection_bar_ui(
    ui: &mut egui::Ui,
    conn: &mut SavedConnection,
    recent: &[SavedConnection],
    view: &ConnectionView,
    theme: Theme,
    actions: &mut Vec<Action>,
) {
    ui.horizontal(|ui| {
        let label = ui.label("Profile");
        let selected = if conn.profile.is_empty() {
            "(default)".to_owned()
        } else {
            conn.profile.clone()
        };
        egui::ComboBox::from_id_salt("profile")
            .selected_text(selected)
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut conn.profile, String::new(), "(default)");
                for profile in view
                    .discovery
                    .ready()
                    .map(|d| d.profiles.as_slice())
                    .unwrap_or(&[])
                {
                    let text = match profile.kind {
                        ProfileKind::Sso { .. } => format!("{} (SSO)", profile.name),
                        _ => profile.name.clone(),
                    };
                    ui.selectable_value(&mut conn.profile, profile.name.clone(), text);
                }
            })
            .response
            .labelled_by(label.id);

        region_picker_ui(ui, &mut conn.region, view.needs_region);
        // Narrower fields in a narrow window, so that the bar's buttons keep their place.
        let narrow = ui.available_width() < 900.0;
        let (endpoint_width, ca_width) = if narrow {
            (130.0, 95.0)
        } else {
            (200.0, 150.0)
        };
        text_field(
            ui,
            "Endpoint",
            &mut conn.endpoint_url,
            "AWS (https)",
            endpoint_width,
        );
        text_field(
            ui,
            "CA bundle",
            &mut conn.ca_bundle,
            "system roots",
            ca_width,
        );

        let connecting = view.connect.is_pending();
        if ui
            .add_enabled(!connecting, egui::Button::new("Connect"))
            .clicked()
        {
            actions.push(Action::Connect);
        }
        if !recent.is_empty() {
            ui.menu_button("Recent", |ui| {
                for saved in recent {
                    if ui.button(saved.label()).clicked() {
                        *conn = saved.clone();
                        actions.push(Action::Connect);
                        ui.close();
                    }
                }
            });
        }
        if ui
            .button("Set up…")
            .on_hover_text("Profiles, SSO sign-in, or an access key for an S3-compatible store")
            .clicked()
        {
            actions.push(Action::SetUpConnection);
        }

        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            let (icon, name) = match theme {
                Theme::Dark => ("🌙 Dark", "Theme: dark"),
                Theme::Light => ("☀ Light", "Theme: light"),
                Theme::System => ("🖥 System", "Theme: system"),
            };
            if ui
                .button(icon)
                .accessible_name(name)
                .on_hover_text("Theme: system, dark or light")
                .clicked()
            {
                actions.push(Action::ToggleTheme);
            }
            if ui
                .button("Keys")
                .on_hover_text("Key manager (Ctrl+K)")
                .clicked()
            {
                actions.push(Action::OpenKeys);
            }
        });
    });
    status_ui(ui, view);
}

fn status_ui(ui: &mut egui::Ui, view: &ConnectionView) {
    if view.needs_region {
        ui.label(
            RichText::new(
                "No region is configured on this machine: us-east-1 is filled in. Pick the region of your buckets and press Connect.",
            )
            .color(ui.visuals().warn_fg_color),
        );
        return;
    }
    match &view.connect {
        Requested::NotAsked => {
            ui.label(RichText::new("not connected").weak());
        }
        Requested::Pending(_) => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("connecting…");
            });
        }
        Requested::Ready(_) => {
            if let Some(info) = view.info() {
                let (text, colour) = lock_text(&info, ui.visuals());
                ui.label(RichText::new(text).color(colour).strong());
            }
        }
        Requested::Failed(problem) => problem_ui(ui, problem),
    }
}

/// "Region": a text field with the common regions to pick from.
pub fn region_picker_ui(ui: &mut egui::Ui, region: &mut String, highlight: bool) {
    let label = ui.label(if highlight {
        RichText::new("Region")
            .color(ui.visuals().warn_fg_color)
            .strong()
    } else {
        RichText::new("Region")
    });
    ui.add(
        egui::TextEdit::singleline(region)
            .hint_text("from profile")
            .desired_width(90.0),
    )
    .labelled_by(label.id);
    let picked = egui::ComboBox::from_id_salt(("region-pick", label.id))
        .selected_text("")
        .width(8.0)
        .show_ui(ui, |ui| {
            for r in COMMON_REGIONS {
                ui.selectable_value(region, r.to_owned(), r);
            }
        })
        .response;
    picked.widget_info(|| egui::WidgetInfo::labeled(egui::Role::ComboBox, true, "Pick a region"));
}

/// A label and a one-line text field labelled by it (for screen readers and tests).
pub fn text_field(ui: &mut egui::Ui, label: &str, value: &mut String, hint: &str, width: f32) {
    let label = ui.label(label);
    ui.add(
        egui::TextEdit::singleline(value)
            .hint_text(hint)
            .desired_width(width),
    )
    .labelled_by(label.id);
}
