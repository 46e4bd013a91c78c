//! The connection bar: AWS profile, region, custom endpoint and CA bundle, a lock that says
//! whether the connection is HTTPS, and the remembered connections.

use egui::{Color32, RichText};

use super::actions::Action;
use super::backend::ConnectionInfo;
use super::state::{SavedConnection, Theme};

/// Where the connection stands.
#[derive(Debug, Default)]
pub enum ConnStatus {
    #[default]
    Disconnected,
    Connecting,
    Connected(ConnectionInfo),
    Failed(String),
}

/// The bar's runtime state (the fields themselves are persisted in [`SavedConnection`]).
#[derive(Debug, Default)]
pub struct ConnectionBar {
    pub profiles: Vec<String>,
    pub status: ConnStatus,
}

/// The lock line: HTTPS, or a loud warning on plain HTTP.
pub fn lock_text(info: &ConnectionInfo) -> (String, Color32) {
    let place = info
        .endpoint
        .clone()
        .unwrap_or_else(|| format!("AWS {}", info.region.as_deref().unwrap_or("(no region)")));
    if info.plain_http {
        (
            format!("⚠ PLAIN HTTP — not encrypted in transit; SSE-C refused ({place})"),
            Color32::from_rgb(0xe5, 0x39, 0x35),
        )
    } else {
        (
            format!("🔒 HTTPS · {place}"),
            Color32::from_rgb(0x43, 0xa0, 0x47),
        )
    }
}

pub fn connection_bar_ui(
    ui: &mut egui::Ui,
    conn: &mut SavedConnection,
    recent: &[SavedConnection],
    bar: &ConnectionBar,
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
                for profile in &bar.profiles {
                    ui.selectable_value(&mut conn.profile, profile.clone(), profile);
                }
            })
            .response
            .labelled_by(label.id);

        text_field(ui, "Region", &mut conn.region, "from profile", 90.0);
        text_field(ui, "Endpoint", &mut conn.endpoint_url, "AWS (https)", 200.0);
        text_field(ui, "CA bundle", &mut conn.ca_bundle, "system roots", 150.0);

        let connecting = matches!(bar.status, ConnStatus::Connecting);
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

        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            let icon = match theme {
                Theme::Dark => "🌙 Dark",
                Theme::Light => "☀ Light",
                Theme::System => "🖥 System",
            };
            if ui
                .button(icon)
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
    ui.horizontal(|ui| match &bar.status {
        ConnStatus::Disconnected => {
            ui.label(RichText::new("not connected").weak());
        }
        ConnStatus::Connecting => {
            ui.spinner();
            ui.label("connecting…");
        }
        ConnStatus::Connected(info) => {
            let (text, colour) = lock_text(info);
            ui.label(RichText::new(text).color(colour).strong());
        }
        ConnStatus::Failed(err) => {
            ui.label(RichText::new(err).color(ui.visuals().error_fg_color));
        }
    });
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
