//! The upload dialog: files (from the native dialog or dropped on the window), destination
//! prefix, the encryption choice, and a line saying what the objects will end up with.

use std::path::PathBuf;

use egui::RichText;

use super::actions::Action;
use super::backend::Requested;
use super::encryption_form::{EncryptionForm, encryption_form_ui};
use crate::keys::KeyRecord;
use crate::s3::kms::KmsKeyChoice;

/// The dialog's state while open.
#[derive(Debug, Default)]
pub struct UploadDialog {
    pub files: Vec<PathBuf>,
    pub prefix: String,
    pub form: EncryptionForm,
}

impl UploadDialog {
    pub fn new(prefix: &str, files: Vec<PathBuf>) -> Self {
        Self {
            files,
            prefix: prefix.to_owned(),
            form: EncryptionForm::default(),
        }
    }

    /// Adds files, skipping ones already listed.
    pub fn add_files(&mut self, files: Vec<PathBuf>) {
        for file in files {
            if !self.files.contains(&file) {
                self.files.push(file);
            }
        }
    }
}

/// What the dialog needs besides its own state.
pub struct UploadContext<'a> {
    pub bucket: &'a str,
    pub kms: &'a Requested<Vec<KmsKeyChoice>>,
    pub keys: &'a Requested<Vec<KeyRecord>>,
    pub plain_http: bool,
}

pub fn upload_dialog_ui(
    ctx: &egui::Context,
    dialog: &mut UploadDialog,
    cx: &UploadContext<'_>,
    actions: &mut Vec<Action>,
) {
    let mut open = true;
    egui::Window::new("Upload")
        .open(&mut open)
        .collapsible(false)
        .resizable(true)
        .default_width(560.0)
        .show(ctx, |ui| {
            ui.horizontal(|ui| {
                ui.label(RichText::new("Files").strong());
                if ui.button("Add files…").clicked() {
                    actions.push(Action::PickUploadFiles);
                }
            });
            if dialog.files.is_empty() {
                ui.label(
                    RichText::new("No files yet: add some, or drop them on the window").weak(),
                );
            }
            let mut remove = None;
            for (i, file) in dialog.files.iter().enumerate() {
                ui.horizontal(|ui| {
                    if ui
                        .small_button("×")
                        .on_hover_text("Remove from the list")
                        .clicked()
                    {
                        remove = Some(i);
                    }
                    ui.label(file.display().to_string());
                });
            }
            if let Some(i) = remove {
                dialog.files.remove(i);
            }
            ui.separator();
            ui.horizontal(|ui| {
                let label = ui.label("Destination prefix");
                ui.label(RichText::new(format!("s3://{}/", cx.bucket)).monospace());
                ui.add(
                    egui::TextEdit::singleline(&mut dialog.prefix)
                        .hint_text("folder/")
                        .desired_width(220.0),
                )
                .labelled_by(label.id);
            });
            ui.separator();
            encryption_form_ui(ui, &mut dialog.form, cx.kms, cx.keys, actions);
            ui.separator();
            ui.label(dialog.form.summary(cx.kms));
            let problem = if dialog.files.is_empty() {
                Some("add at least one file".to_owned())
            } else {
                dialog.form.problem(cx.plain_http)
            };
            if let Some(problem) = &problem {
                ui.label(RichText::new(problem).color(ui.visuals().warn_fg_color));
            }
            ui.horizontal(|ui| {
                let label = format!(
                    "Upload {} file{}",
                    dialog.files.len(),
                    if dialog.files.len() == 1 { "" } else { "s" }
                );
                if ui
                    .add_enabled(problem.is_none(), egui::Button::new(label))
                    .clicked()
                {
                    actions.push(Action::StartUpload {
                        files: dialog.files.clone(),
                        prefix: normalise_prefix(&dialog.prefix),
                        encryption: dialog.form.choice.clone(),
                    });
                }
                if ui.button("Cancel").clicked() {
                    actions.push(Action::CloseUpload);
                }
            });
        });
    if !open {
        actions.push(Action::CloseUpload);
    }
}

/// `a/b` → `a/b/`; empty stays empty; leading slashes dropped.
pub fn normalise_prefix(prefix: &str) -> String {
    let p = prefix.trim().trim_start_matches('/');
    if p.is_empty() || p.ends_with('/') {
        p.to_owned()
    } else {
        format!("{p}/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes() {
        assert_eq!(normalise_prefix(""), "");
        assert_eq!(normalise_prefix(" /a/b "), "a/b/");
        assert_eq!(normalise_prefix("a/"), "a/");
    }
}
