//! What the window remembers between runs (eframe persistence), kept apart from the runtime
//! handles: connections used, the theme, and the last place visited.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::s3::ConnectOptions;

/// Key under which the state is stored by eframe.
pub const STORAGE_KEY: &str = "s3seal-ui";

/// Connections remembered at most.
const MAX_REMEMBERED: usize = 10;

/// One connection as the connection bar edits it. Empty strings mean "not set".
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SavedConnection {
    pub profile: String,
    pub region: String,
    pub endpoint_url: String,
    pub ca_bundle: String,
    /// The name of an access key s3seal keeps in the OS keyring (empty: the default chain).
    pub access_key: String,
}

impl SavedConnection {
    /// The library's options for this connection.
    pub fn options(&self) -> ConnectOptions {
        let opt = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        ConnectOptions {
            profile: opt(&self.profile),
            region: opt(&self.region),
            endpoint_url: opt(&self.endpoint_url),
            kms_endpoint_url: None,
            ca_bundle: opt(&self.ca_bundle).map(PathBuf::from),
            access_key: opt(&self.access_key),
        }
    }

    /// Whether nothing is set: the default credential chain, region and endpoint.
    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }

    /// From command-line options.
    pub fn from_options(options: &ConnectOptions) -> Self {
        Self {
            profile: options.profile.clone().unwrap_or_default(),
            region: options.region.clone().unwrap_or_default(),
            endpoint_url: options.endpoint_url.clone().unwrap_or_default(),
            ca_bundle: options
                .ca_bundle
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            access_key: options.access_key.clone().unwrap_or_default(),
        }
    }

    /// A one-line name for menus.
    pub fn label(&self) -> String {
        let mut parts = Vec::new();
        if !self.profile.is_empty() {
            parts.push(format!("profile {}", self.profile));
        }
        if !self.endpoint_url.is_empty() {
            parts.push(self.endpoint_url.clone());
        }
        if !self.access_key.is_empty() {
            parts.push(format!("key {}", self.access_key));
        }
        if !self.region.is_empty() {
            parts.push(self.region.clone());
        }
        if parts.is_empty() {
            "default credentials".to_owned()
        } else {
            parts.join(" · ")
        }
    }
}

/// Dark, light, or whatever the system says.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Theme {
    #[default]
    System,
    Dark,
    Light,
}

impl Theme {
    pub fn preference(self) -> egui::ThemePreference {
        match self {
            Self::System => egui::ThemePreference::System,
            Self::Dark => egui::ThemePreference::Dark,
            Self::Light => egui::ThemePreference::Light,
        }
    }
}

/// Everything persisted. `#[serde(default)]` so older or newer files still load.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PersistedState {
    /// The connection in the bar.
    pub current: SavedConnection,
    /// Connections used before, most recent first.
    pub recent: Vec<SavedConnection>,
    pub theme: Theme,
    pub last_bucket: Option<String>,
    pub last_prefix: String,
    /// Refuse client-side objects without key commitment (V2) when reading.
    pub require_commitment: bool,
}

impl PersistedState {
    /// Remembers `conn` as the most recent connection.
    pub fn remember(&mut self, conn: &SavedConnection) {
        self.recent.retain(|c| c != conn);
        self.recent.insert(0, conn.clone());
        self.recent.truncate(MAX_REMEMBERED);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_or_partial_state_still_loads() {
        let state: PersistedState = serde_json::from_str(r#"{"theme":"Dark"}"#).unwrap();
        assert_eq!(state.theme, Theme::Dark);
        assert!(state.recent.is_empty());
    }

    #[test]
    fn remember_dedups_and_caps() {
        let mut state = PersistedState::default();
        for i in 0..15 {
            state.remember(&SavedConnection {
                region: format!("r{i}"),
                ..Default::default()
            });
        }
        state.remember(&SavedConnection {
            region: "r14".into(),
            ..Default::default()
        });
        assert_eq!(state.recent.len(), MAX_REMEMBERED);
        assert_eq!(state.recent[0].region, "r14");
        assert_eq!(state.recent[1].region, "r13");
    }

    #[test]
    fn options_trim_and_drop_empty() {
        let conn = SavedConnection {
            endpoint_url: " https://x ".into(),
            ..Default::default()
        };
        let o = conn.options();
        assert_eq!(o.endpoint_url.as_deref(), Some("https://x"));
        assert!(o.profile.is_none() && o.ca_bundle.is_none());
    }
}
