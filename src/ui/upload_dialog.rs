//! The upload dialog: files or a folder (from the native dialog or dropped on the window),
//! destination prefix, the encryption choice, and — before any byte is sent — what the objects will really
//! be encrypted with (the bucket default when "default" is chosen) and whether the bucket's
//! SSE-C block or policy would refuse them, read from the bucket itself.

use std::path::PathBuf;

use egui::RichText;

use super::actions::Action;
use super::badges::KmsNames;
use super::encryption_form::{EncryptionForm, FormMode, encryption_form_ui};
use super::request::Requested;
use super::shared::Cx;
use super::tasks::Tasks;
use super::upload_folder::{FolderSource, folder_source_ui};
use crate::s3::S3Uri;
use crate::s3::bucket::audit::BUCKET_KEY_HINT_MIN;
use crate::s3::bucket::{PlannedEncryption, UploadPreview, UploadRules};

/// What the dialog uploads: files, each to an object under the prefix, or one folder, every
/// file in it to an object under the prefix and the folder's name.
#[derive(Debug)]
pub enum UploadSource {
    Files(Vec<PathBuf>),
    Folder(FolderSource),
}

impl Default for UploadSource {
    fn default() -> Self {
        Self::Files(Vec::new())
    }
}

/// The dialog's state while open.
#[derive(Debug, Default)]
pub struct UploadDialog {
    pub source: UploadSource,
    pub prefix: String,
    pub form: EncryptionForm,
    /// The bucket's encryption rule and policy, read once while the dialog is open.
    pub rules: Requested<UploadRules>,
    /// The preview of the current key and choice, computed from `rules` when they change.
    pub preview: Option<((String, PlannedEncryption), UploadPreview)>,
}

impl UploadDialog {
    pub fn new(prefix: &str, paths: Vec<PathBuf>) -> Self {
        let mut dialog = Self {
            prefix: prefix.to_owned(),
            ..Default::default()
        };
        dialog.add_files(paths);
        dialog
    }

    /// The object key the preview is asked for: the first file under the prefix (a file of
    /// the folder's prefix for a folder).
    fn preview_key(&self) -> String {
        let prefix = normalise_prefix(&self.prefix);
        match &self.source {
            UploadSource::Files(files) => {
                let name = files.first().and_then(|f| f.file_name()).map_or_else(
                    || "new-object".to_owned(),
                    |n| n.to_string_lossy().into_owned(),
                );
                format!("{prefix}{name}")
            }
            UploadSource::Folder(folder) => format!("{}file", folder.dest_prefix(&prefix)),
        }
    }

    /// Adds paths (chosen or dropped): files join the list, skipping ones already listed; a
    /// folder replaces what was there, and files replace a folder. Asks the file system
    /// which paths are folders (called on input, never while drawing).
    pub fn add_files(&mut self, paths: Vec<PathBuf>) {
        if let Some(folder) = paths.iter().find(|p| p.is_dir()) {
            self.source = UploadSource::Folder(FolderSource::new(folder.clone()));
            return;
        }
        if matches!(self.source, UploadSource::Folder(_)) && !paths.is_empty() {
            self.source = UploadSource::Files(Vec::new());
        }
        if let UploadSource::Files(files) = &mut self.source {
            for file in paths {
                if !files.contains(&file) {
                    files.push(file);
                }
            }
        }
    }

    /// How many objects the upload makes, when known (a folder's files are counted first).
    fn objects(&self) -> Option<usize> {
        match &self.source {
            UploadSource::Files(files) => Some(files.len()),
            UploadSource::Folder(folder) => folder.counted().map(|c| c.files),
        }
    }
}

impl UploadDialog {
    /// Reads the bucket's rules for the preview (again, after the bucket changed).
    pub fn load_rules(&mut self, tasks: &Tasks, bucket: &str) {
        let bucket = bucket.to_owned();
        self.rules = Requested::Pending(
            tasks.s3(move |conn, _, _| async move { UploadRules::read(&conn, &bucket).await }),
        );
        self.preview = None;
    }
}

pub fn upload_dialog_ui(
    ctx: &egui::Context,
    dialog: &mut UploadDialog,
    bucket: &str,
    cx: &mut Cx<'_>,
) {
    if dialog.rules.poll() {
        // Worked out again from the new rules.
        dialog.preview = None;
    }
    if dialog.rules.is_not_asked() {
        dialog.load_rules(cx.tasks, bucket);
    }
    let actions = &mut *cx.actions;
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
                if ui
                    .button("Choose folder…")
                    .on_hover_text("Upload every file in a folder, keeping its subfolders")
                    .clicked()
                {
                    actions.push(Action::PickUploadFolder);
                }
            });
            let mut folder_problem = None;
            match &mut dialog.source {
                UploadSource::Files(files) => files_ui(ui, files),
                UploadSource::Folder(folder) => {
                    let dest = S3Uri::new(bucket, normalise_prefix(&dialog.prefix));
                    let dest = S3Uri::new(bucket, folder.dest_prefix(&dest.key));
                    folder_problem = ui
                        .push_id("folder", |ui| folder_source_ui(ui, folder, &dest, cx.tasks))
                        .inner;
                }
            }
            ui.separator();
            ui.horizontal(|ui| {
                let label = ui.label("Destination prefix");
                ui.label(RichText::new(format!("s3://{bucket}/")).monospace());
                ui.add(
                    egui::TextEdit::singleline(&mut dialog.prefix)
                        .hint_text("folder/")
                        .desired_width(220.0),
                )
                .labelled_by(label.id);
            });
            ui.separator();
            encryption_form_ui(ui, &mut dialog.form, &cx.shared.kms, &cx.shared.keys, actions);
            ui.separator();
            ui.label(dialog.form.summary(&cx.shared.kms));
            // What comes and goes here (the bucket's answer, the KMS hint) sits in scopes of
            // its own, so the buttons below keep their ids while it changes: a click in flight
            // must not land on another button.
            let refused = ui
                .push_id("preview", |ui| {
                    preview_ui(ui, dialog, bucket, &cx.shared.kms_names)
                })
                .inner;
            ui.push_id("kms-hint", |ui| {
                let form = &dialog.form;
                if form.mode == FormMode::SseKms
                    && !form.bucket_key
                    && let Some(n) = dialog.objects()
                    && n as u64 >= BUCKET_KEY_HINT_MIN
                {
                    ui.label(
                        RichText::new(format!(
                            "{n} uploads with SSE-KMS and no Bucket Key are {n} KMS GenerateDataKey calls, each billed and counted against the account's KMS request quota; a Bucket Key needs far fewer.",
                        ))
                        .color(ui.visuals().warn_fg_color),
                    );
                }
            });
            let problem = if matches!(&dialog.source, UploadSource::Files(f) if f.is_empty()) {
                Some("add at least one file or a folder".to_owned())
            } else {
                folder_problem.or_else(|| dialog.form.problem(cx.shared.plain_http)).or(refused)
            };
            ui.push_id("problem", |ui| {
                if let Some(problem) = &problem {
                    ui.label(RichText::new(problem).color(ui.visuals().warn_fg_color));
                }
            });
            ui.push_id("buttons", |ui| ui.horizontal(|ui| {
                let n = dialog.objects().unwrap_or_default();
                let plural = if n == 1 { "" } else { "s" };
                let label = match &dialog.source {
                    UploadSource::Files(_) => format!("Upload {n} file{plural}"),
                    UploadSource::Folder(_) => format!("Upload folder ({n} file{plural})"),
                };
                if ui
                    .add_enabled(problem.is_none(), egui::Button::new(label))
                    .clicked()
                    && let Ok(encryption) = dialog.form.choice()
                {
                    actions.push(start_action(dialog, encryption));
                }
                if ui.button("Cancel").clicked() {
                    actions.push(Action::CloseUpload);
                }
            }));
        });
    if !open {
        actions.push(Action::CloseUpload);
    }
}

/// The list of files, each removable.
fn files_ui(ui: &mut egui::Ui, files: &mut Vec<PathBuf>) {
    if files.is_empty() {
        ui.label(
            RichText::new("No files yet: add some or a folder, or drop them on the window").weak(),
        );
    }
    let mut remove = None;
    for (i, file) in files.iter().enumerate() {
        ui.horizontal(|ui| {
            if ui
                .small_button("×")
                .accessible_name(format!("Remove {} from the list", file_name(file)))
                .on_hover_text("Remove from the list")
                .clicked()
            {
                remove = Some(i);
            }
            ui.label(file.display().to_string());
        });
    }
    if let Some(i) = remove {
        files.remove(i);
    }
}

/// What the Upload button asks for.
fn start_action(
    dialog: &UploadDialog,
    encryption: crate::transfer::write_mode::EncryptionChoice,
) -> Action {
    let prefix = normalise_prefix(&dialog.prefix);
    match &dialog.source {
        UploadSource::Files(files) => Action::StartUpload {
            files: files.clone(),
            prefix,
            encryption,
        },
        UploadSource::Folder(folder) => match folder.options() {
            Ok(options) => Action::StartFolderUpload {
                root: folder.root.clone(),
                prefix: folder.dest_prefix(&prefix),
                encryption,
                options,
            },
            Err(err) => Action::Notice(err.into()),
        },
    }
}

/// Shows what the bucket's rules say about the current key and choice, its KMS key by alias
/// (`kms`): read from the bucket once, then worked out here whenever the choice changes (no
/// request per keystroke). Returns why S3 would refuse the upload, if it certainly would.
fn preview_ui(
    ui: &mut egui::Ui,
    dialog: &mut UploadDialog,
    bucket: &str,
    kms: &KmsNames,
) -> Option<String> {
    let rules = match &dialog.rules {
        Requested::Ready(rules) => rules,
        Requested::Failed(problem) => {
            ui.label(
                RichText::new(format!("The bucket's settings could not be read, so the upload is not checked beforehand: {problem}"))
                    .weak(),
            );
            return None;
        }
        Requested::Pending(_) | Requested::NotAsked => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(
                    RichText::new("Checking the bucket's default encryption and policy…").weak(),
                );
            });
            return None;
        }
    };
    let wanted = (dialog.preview_key(), dialog.form.planned());
    if dialog
        .preview
        .as_ref()
        .is_none_or(|(asked, _)| *asked != wanted)
    {
        let preview = rules.preview(&wanted.0, &wanted.1);
        dialog.preview = Some((wanted, preview));
    }
    let ((key, _), preview) = dialog.preview.as_ref()?;
    // A folder's files all go under one prefix: the sample key stands for each of them.
    let text = match &dialog.source {
        UploadSource::Folder(_) => {
            let sample = format!("s3://{bucket}/{key}");
            let prefix = sample.strip_suffix("file").unwrap_or(&sample);
            let how = preview
                .summary
                .strip_prefix(&sample)
                .unwrap_or(&preview.summary);
            format!("Checked with the bucket: each object under {prefix}{how}.")
        }
        UploadSource::Files(_) => {
            format!("Checked with the bucket: the object {}.", preview.summary)
        }
    };
    // The core's sentence names the key as S3 will see it (id or ARN); people know its alias.
    let text = match &preview.kms_key_id {
        Some(id) => text.replace(id.as_str(), kms.name_of(id)),
        None => text,
    };
    ui.label(RichText::new(text).strong());
    for warning in &preview.warnings {
        ui.label(
            RichText::new(format!("⚠ {}", super::remedy::advice(warning)))
                .color(ui.visuals().warn_fg_color),
        );
    }
    preview.will_be_refused.then(|| {
        preview
            .warnings
            .first()
            .map(super::remedy::advice)
            .unwrap_or_else(|| "S3 would refuse this upload".to_owned())
    })
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

/// A file's name as a screen reader says it in "Remove … from the list" (the path is read out
/// beside it).
fn file_name(path: &std::path::Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
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
