//! Encryption badges: each mode gets a colour and a short label ("SSE-C · backup-key",
//! "SSE-KMS · alias/app" with the key's ARN on hover), as large as the table's text.

use egui::{Color32, RichText};

use super::one_line::fitted;
use crate::jobs::EncryptionState;
use crate::s3::EncryptionMode;
use crate::s3::inspect::{KeyStatus, ObjectInfo};
pub use crate::s3::kms::KmsNames;

/// What a badge says about one object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Badge {
    pub mode: EncryptionMode,
    /// Second half of the label: KMS alias, local key name, client format…
    pub detail: Option<String>,
    /// Said on hover: the KMS key's id or ARN, or why a key is not known.
    pub tooltip: Option<String>,
    /// No local key opens it (or none was tried): ask again when the keys change.
    pub key_unknown: bool,
}

impl Badge {
    /// The badge for an inspected object. `kms` maps key ids and ARNs to aliases.
    pub fn from_info(info: &ObjectInfo, kms: &KmsNames) -> Self {
        let mut tooltip = None;
        let detail = match info.mode {
            // S3 names the key; when it does not (some S3-compatible stores), say nothing
            // rather than guess.
            EncryptionMode::SseKms | EncryptionMode::DsseKms => {
                info.kms_key_id.as_deref().map(|id| {
                    tooltip = Some(id.to_owned());
                    kms.name_of(id).to_owned()
                })
            }
            EncryptionMode::SseC => Some(match (&info.matching_key, info.key_status) {
                (Some(name), _) => name.clone(),
                (None, Some(KeyStatus::NotHome)) => {
                    tooltip = Some("None of your local keys has this bucket among its homes, so none was sent. Select the object and press Try my keys….".to_owned());
                    "key not known here".to_owned()
                }
                (None, Some(KeyStatus::Unavailable)) => "local keys unavailable".to_owned(),
                (None, Some(KeyStatus::NotTried)) => "key not sent over HTTP".to_owned(),
                (None, _) => "unknown key".to_owned(),
            }),
            EncryptionMode::Client => Some(client_format(info).to_owned()),
            EncryptionMode::None | EncryptionMode::SseS3 => None,
        };
        Self {
            mode: info.mode,
            detail,
            tooltip,
            key_unknown: info.key_status.is_some_and(|s| s != KeyStatus::Fits),
        }
    }

    /// `SSE-KMS · alias/app`, `SSE-S3`, `none`.
    pub fn label(&self) -> String {
        match &self.detail {
            Some(detail) => format!("{} · {detail}", mode_name(self.mode)),
            None => mode_name(self.mode).to_owned(),
        }
    }
}

/// An encryption as the window words it, keys by alias: `SSE-KMS · alias/app + Bucket Key`,
/// `SSE-C · board-archive`, `client-side · KMS alias/wrap`, `SSE-S3`.
pub fn state_words(state: &EncryptionState, kms: &KmsNames) -> String {
    let mut out = mode_name(state.mode).to_owned();
    match (state.mode, &state.kms_key_id, &state.key_name) {
        (EncryptionMode::SseKms | EncryptionMode::DsseKms, Some(id), _) => {
            out.push_str(" · ");
            out.push_str(kms.name_of(id));
        }
        (EncryptionMode::Client, Some(id), _) => {
            out.push_str(" · KMS ");
            out.push_str(kms.name_of(id));
        }
        (EncryptionMode::SseC | EncryptionMode::Client, None, Some(name)) => {
            out.push_str(" · ");
            out.push_str(name);
        }
        _ => {}
    }
    if state.bucket_key {
        out.push_str(" + Bucket Key");
    }
    out
}

/// [`state_words`] of a report label (`sse-kms:ARN+bucket-key`); the label itself when it is
/// not one.
pub fn label_words(label: &str, kms: &KmsNames) -> String {
    label
        .parse::<EncryptionState>()
        .map_or_else(|_| label.to_owned(), |state| state_words(&state, kms))
}

/// How the window names a mode.
pub fn mode_name(mode: EncryptionMode) -> &'static str {
    match mode {
        EncryptionMode::None => "none",
        EncryptionMode::SseS3 => "SSE-S3",
        EncryptionMode::SseKms => "SSE-KMS",
        EncryptionMode::DsseKms => "DSSE-KMS",
        EncryptionMode::SseC => "SSE-C",
        EncryptionMode::Client => "client-side",
    }
}

/// The badge colour of a mode: warm for none, cool and distinct for the rest.
pub fn colour(mode: EncryptionMode) -> Color32 {
    match mode {
        EncryptionMode::None => Color32::from_rgb(0xc6, 0x28, 0x28),
        EncryptionMode::SseS3 => Color32::from_rgb(0x4a, 0x6f, 0xa5),
        EncryptionMode::SseKms => Color32::from_rgb(0x2e, 0x7d, 0x32),
        EncryptionMode::DsseKms => Color32::from_rgb(0x00, 0x69, 0x5c),
        EncryptionMode::SseC => Color32::from_rgb(0x6a, 0x1b, 0x9a),
        EncryptionMode::Client => Color32::from_rgb(0xad, 0x14, 0x57),
    }
}

/// `V2` or `V3`: from the envelope when it was read, else from the metadata names.
fn client_format(info: &ObjectInfo) -> &'static str {
    if let Some(client) = &info.client {
        return client.format.label();
    }
    if info.metadata.contains_key("x-amz-3") {
        "V3"
    } else if info.metadata.contains_key("x-amz-key-v2") {
        "V2"
    } else {
        "V1"
    }
}

/// Draws a badge: white text on the mode's colour, what it stands for on hover.
pub fn badge_ui(ui: &mut egui::Ui, badge: &Badge) -> egui::Response {
    let response = pill_ui(ui, &badge.label(), colour(badge.mode));
    match &badge.tooltip {
        Some(tip) => response.on_hover_text(tip),
        None => response,
    }
}

/// A rounded, coloured label, its text as large as the table's; shortened in the middle to the
/// room it has (a narrow column), the whole text then on hover and to screen readers.
pub fn pill_ui(ui: &mut egui::Ui, text: &str, fill: Color32) -> egui::Response {
    const MARGIN: i8 = 6;
    let room = ui.available_width() - 2.0 * f32::from(MARGIN);
    let shown = fitted(ui, text, room.max(24.0));
    let response = egui::Frame::new()
        .fill(fill)
        .corner_radius(6.0)
        .inner_margin(egui::Margin::symmetric(MARGIN, 1))
        .show(ui, |ui| {
            ui.label(RichText::new(&shown).color(Color32::WHITE))
        })
        .inner;
    if shown == text {
        return response;
    }
    ui.ctx().accesskit_node_builder(response.id, |node| {
        node.set_description(text.to_owned());
    });
    response.on_hover_text(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::s3::kms::KmsKeyChoice;
    use crate::ui::theme::{MIN_CONTRAST, contrast};

    #[test]
    fn states_are_worded_with_aliases() {
        let kms = KmsNames::new(&[KmsKeyChoice {
            key_id: "k1".into(),
            arn: Some("arn:aws:kms:r:1:key/k1".into()),
            aliases: vec!["alias/app".into()],
        }]);
        assert_eq!(
            label_words("sse-kms:arn:aws:kms:r:1:key/k1+bucket-key", &kms),
            "SSE-KMS · alias/app + Bucket Key"
        );
        assert_eq!(label_words("sse-s3", &kms), "SSE-S3");
        assert_eq!(label_words("sse-c:board", &kms), "SSE-C · board");
        assert_eq!(
            label_words("client:kms:arn:aws:kms:r:1:key/k1", &kms),
            "client-side · KMS alias/app"
        );
        assert_eq!(label_words("not a state", &kms), "not a state");
    }

    #[test]
    fn badge_text_reads_on_every_mode_colour() {
        for mode in [
            EncryptionMode::None,
            EncryptionMode::SseS3,
            EncryptionMode::SseKms,
            EncryptionMode::DsseKms,
            EncryptionMode::SseC,
            EncryptionMode::Client,
        ] {
            let ratio = contrast(Color32::WHITE, colour(mode));
            assert!(ratio >= MIN_CONTRAST, "{mode:?}: {ratio:.2}");
        }
    }

    #[test]
    fn labels() {
        let kms = KmsNames::new(&[KmsKeyChoice {
            key_id: "k1".into(),
            arn: Some("arn:aws:kms:r:1:key/k1".into()),
            aliases: vec!["alias/app".into()],
        }]);
        assert_eq!(kms.name_of("arn:aws:kms:r:1:key/k1"), "alias/app");
        assert_eq!(kms.name_of("arn:aws:kms:r:1:key/zz"), "zz");
        let b = Badge {
            mode: EncryptionMode::SseC,
            detail: Some("unknown key".into()),
            tooltip: None,
            key_unknown: true,
        };
        assert_eq!(b.label(), "SSE-C · unknown key");
        assert_eq!(
            Badge {
                mode: EncryptionMode::None,
                detail: None,
                tooltip: None,
                key_unknown: false,
            }
            .label(),
            "none"
        );
    }
}
