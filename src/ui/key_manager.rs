//! The key manager dialog: the local key catalog as a table (name, kind, S3 MD5, SHA-256
//! fingerprint, created) with new, import (file / base64 / hex, validated as you type),
//! export, rename and delete; and, in [`super::key_trust`], where SSE-C keys may be sent, the
//! KMS keys trusted for client-side objects, and how objects are read. Destructive actions
//! confirm and say what becomes unreadable. The dialog owns its one operation in flight.

use std::path::PathBuf;

use egui::RichText;
use zeroize::{Zeroize as _, Zeroizing};

use super::actions::Action;
use super::key_trust::{KeyTrust, key_trust_ui};
use super::notices::problem_ui;
use super::request::Requested;
use super::shared::Cx;
use super::tasks::Tasks;
use crate::error::Result;
use crate::keys::{ExportFormat, KeyKind, KeyManager, KeyRecord, KeySource, parse_key};

/// Where an imported key comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImportFrom {
    File,
    Base64,
    Hex,
}

/// The dialog's state while open. No `Debug`: it holds the key text being typed.
pub struct KeyManagerDialog {
    pub new_name: String,
    pub new_kind: KeyKind,
    pub import_name: String,
    pub import_kind: KeyKind,
    pub import_from: ImportFrom,
    /// Key text being typed. Zeroized (with what egui remembers of it) when the key is
    /// imported and when the dialog closes.
    import_text: String,
    pub import_file: Option<PathBuf>,
    /// (old name, new name being typed).
    pub rename: Option<(String, String)>,
    pub confirm_delete: Option<String>,
    pub export_format: ExportFormat,
    /// The operation under way or done: its message.
    op: Requested<String>,
    /// Homes, trusted KMS keys, access keys, reading settings.
    pub trust: KeyTrust,
}

impl Default for KeyManagerDialog {
    fn default() -> Self {
        Self {
            new_name: String::new(),
            new_kind: KeyKind::SseC,
            import_name: String::new(),
            import_kind: KeyKind::SseC,
            import_from: ImportFrom::Base64,
            import_text: String::new(),
            import_file: None,
            rename: None,
            confirm_delete: None,
            export_format: ExportFormat::Raw,
            op: Requested::NotAsked,
            trust: KeyTrust::default(),
        }
    }
}

impl Drop for KeyManagerDialog {
    fn drop(&mut self) {
        self.import_text.zeroize();
    }
}

impl KeyManagerDialog {
    /// Runs one key operation off the async workers; its message shows in the dialog.
    pub fn run<F>(&mut self, tasks: &Tasks, what: &'static str, op: F)
    where
        F: FnOnce(&KeyManager) -> Result<String> + Send + 'static,
    {
        let keys = tasks.keys().clone();
        self.op = Requested::Pending(tasks.run(async move {
            let manager = keys.manager().await?;
            manager.blocking(op).await.map_err(|e| {
                tracing::debug!(operation = what, error = %e, "key operation failed");
                e
            })
        }));
    }

    /// Exports key `name` to `path` (chosen in a save dialog, which asked before replacing).
    pub fn export(&mut self, tasks: &Tasks, name: String, path: PathBuf, format: ExportFormat) {
        self.run(tasks, "export", move |k| {
            k.export_to_file(&name, &path, format)?;
            Ok(format!("exported key '{name}' to {}", path.display()))
        });
    }

    fn busy(&self) -> bool {
        self.op.is_pending()
    }
}

/// The id of the key text field, for clearing what egui remembers of it.
fn key_text_id() -> egui::Id {
    egui::Id::unique("key-import-text")
}

/// Wipes the typed key and egui's undo history of the field.
fn forget_key_text(ctx: &egui::Context, dialog: &mut KeyManagerDialog) {
    dialog.import_text.zeroize();
    if let Some(mut state) = egui::text_edit::TextEditState::load(ctx, key_text_id()) {
        state.clear_undoer();
        state.store(ctx, key_text_id());
    }
}

/// Whether the typed text is a key: `Ok(md5)` or the reason it is not. Pure (no I/O).
pub fn validate_text(from: ImportFrom, text: &str) -> Option<std::result::Result<String, String>> {
    if text.trim().is_empty() {
        return None;
    }
    let source = match from {
        ImportFrom::Base64 => KeySource::Base64(Zeroizing::new(text.to_owned())),
        ImportFrom::Hex => KeySource::Hex(Zeroizing::new(text.to_owned())),
        ImportFrom::File => return None,
    };
    Some(
        parse_key(&source)
            .map(|key| key.s3_md5_base64())
            .map_err(|e| e.to_string()),
    )
}

pub fn key_manager_ui(ctx: &egui::Context, dialog: &mut KeyManagerDialog, cx: &mut Cx<'_>) {
    if dialog.op.poll() && dialog.op.ready().is_some() {
        // The catalog changed: the list, the keys offered, the badges of unknown keys.
        cx.actions.push(Action::KeysChanged);
        dialog.rename = None;
        dialog.new_name.clear();
        dialog.import_name.clear();
        dialog.import_file = None;
    }
    let mut open = true;
    egui::Window::new("Keys")
        .open(&mut open)
        .collapsible(false)
        .resizable(true)
        .default_width(820.0)
        .show(ctx, |ui| {
            ui.label(
                RichText::new("Local keys live in the OS keyring; this list holds only their names and fingerprints.")
                    .weak(),
            );
            match &dialog.op {
                Requested::Ready(text) => {
                    ui.label(RichText::new(format!("✔ {text}")).color(super::theme::good(ui.visuals())));
                }
                Requested::Failed(problem) => problem_ui(ui, problem),
                Requested::Pending(_) => {
                    ui.spinner();
                }
                Requested::NotAsked => {}
            }
            ui.separator();
            match &cx.shared.keys {
                Requested::NotAsked | Requested::Pending(_) => {
                    ui.horizontal(|ui| {
                        ui.spinner();
                        ui.label("reading the key catalog…");
                    });
                }
                Requested::Failed(problem) => {
                    problem_ui(ui, problem);
                    if ui.button("Retry").clicked() {
                        cx.actions.push(Action::KeysChanged);
                    }
                }
                Requested::Ready(list) => key_table_ui(ui, dialog, list, cx),
            }
            ui.separator();
            new_key_ui(ui, dialog, cx.tasks);
            ui.separator();
            import_ui(ui, dialog, cx);
            ui.separator();
            key_trust_ui(ui, &mut dialog.trust, cx);
        });
    if !open {
        forget_key_text(ctx, dialog);
        cx.actions.push(Action::CloseKeys);
    }
}

fn kind_combo(ui: &mut egui::Ui, id: &str, kind: &mut KeyKind) {
    let label = ui.label("Kind");
    egui::ComboBox::from_id_salt(id)
        .selected_text(kind.as_str())
        .show_ui(ui, |ui| {
            ui.selectable_value(kind, KeyKind::SseC, "sse-c");
            ui.selectable_value(kind, KeyKind::Client, "client");
        })
        .response
        .labelled_by(label.id);
}

fn key_table_ui(
    ui: &mut egui::Ui,
    dialog: &mut KeyManagerDialog,
    list: &[KeyRecord],
    cx: &mut Cx<'_>,
) {
    if list.is_empty() {
        ui.label(RichText::new("No local keys yet: create or import one below.").weak());
        return;
    }
    ui.horizontal(|ui| {
        let label = ui.label("Export format");
        egui::ComboBox::from_id_salt("export-format")
            .selected_text(dialog.export_format.as_str())
            .show_ui(ui, |ui| {
                for f in [ExportFormat::Raw, ExportFormat::Base64, ExportFormat::Hex] {
                    ui.selectable_value(&mut dialog.export_format, f, f.as_str());
                }
            })
            .response
            .labelled_by(label.id);
    });
    egui::ScrollArea::vertical()
        .id_salt("keys-scroll")
        .max_height(260.0)
        .show(ui, |ui| {
            egui::Grid::new("keys-grid")
                .num_columns(6)
                .striped(true)
                .spacing([12.0, 4.0])
                .show(ui, |ui| {
                    for title in ["Name", "Kind", "S3 MD5", "SHA-256", "Created", ""] {
                        ui.label(RichText::new(title).strong());
                    }
                    ui.end_row();
                    for record in list {
                        key_row_ui(ui, dialog, record, cx);
                        ui.end_row();
                    }
                });
        });
    if let Some(name) = dialog.confirm_delete.clone() {
        let kind = list.iter().find(|r| r.name == name).map(|r| r.kind);
        let consequence = match kind {
            Some(KeyKind::Client) => {
                "Client-side objects whose data key it wraps become unreadable"
            }
            _ => "Every SSE-C object uploaded with it becomes unreadable",
        };
        ui.group(|ui| {
            ui.label(
                RichText::new(format!(
                    "Delete key '{name}'? {consequence} unless you have a copy of the key (Export it first)."
                ))
                .color(ui.visuals().warn_fg_color),
            );
            ui.horizontal(|ui| {
                if ui.button("Delete key").clicked() {
                    let name = name.clone();
                    dialog.run(cx.tasks, "delete", move |k| {
                        k.delete(&name).map(|r| format!("deleted key '{}'", r.name))
                    });
                    dialog.confirm_delete = None;
                }
                if ui.button("Keep key").clicked() {
                    dialog.confirm_delete = None;
                }
            });
        });
    }
}

fn key_row_ui(
    ui: &mut egui::Ui,
    dialog: &mut KeyManagerDialog,
    record: &KeyRecord,
    cx: &mut Cx<'_>,
) {
    let renaming = dialog
        .rename
        .as_ref()
        .is_some_and(|(old, _)| *old == record.name);
    if renaming {
        let mut save = None;
        if let Some((old, new)) = &mut dialog.rename {
            ui.horizontal(|ui| {
                let label = ui.label("New name");
                ui.add(egui::TextEdit::singleline(new).desired_width(120.0))
                    .labelled_by(label.id);
                if ui.small_button("Save").clicked() {
                    save = Some((old.clone(), new.trim().to_owned()));
                }
            });
        }
        if let Some((old, new)) = save {
            dialog.run(cx.tasks, "rename", move |k| {
                k.rename(&old, &new)
                    .map(|r| format!("renamed to '{}'", r.name))
            });
        }
    } else {
        ui.label(&record.name);
    }
    ui.label(record.kind.as_str());
    ui.label(RichText::new(&record.md5).monospace());
    let short = record.sha256.get(..16).unwrap_or(&record.sha256);
    ui.label(RichText::new(format!("{short}…")).monospace())
        .on_hover_text(&record.sha256);
    let created = record
        .created
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    ui.label(created.get(..10).unwrap_or(&created));
    ui.horizontal(|ui| {
        if ui.small_button("Export…").clicked() {
            cx.actions.push(Action::ExportKey {
                name: record.name.clone(),
                format: dialog.export_format,
            });
        }
        if renaming {
            if ui.small_button("Cancel").clicked() {
                dialog.rename = None;
            }
        } else if ui.small_button("Rename").clicked() {
            dialog.rename = Some((record.name.clone(), record.name.clone()));
        }
        if ui.small_button("Delete…").clicked() {
            dialog.confirm_delete = Some(record.name.clone());
        }
    });
}

fn new_key_ui(ui: &mut egui::Ui, dialog: &mut KeyManagerDialog, tasks: &Tasks) {
    ui.label(RichText::new("New key").strong());
    ui.horizontal(|ui| {
        let label = ui.label("Name");
        ui.add(
            egui::TextEdit::singleline(&mut dialog.new_name)
                .hint_text("e.g. backups-2025")
                .desired_width(180.0),
        )
        .labelled_by(label.id);
        kind_combo(ui, "new-kind", &mut dialog.new_kind);
        let ok = !dialog.new_name.trim().is_empty() && !dialog.busy();
        if ui
            .add_enabled(ok, egui::Button::new("Create key"))
            .clicked()
        {
            let (name, kind) = (dialog.new_name.trim().to_owned(), dialog.new_kind);
            dialog.run(tasks, "create", move |k| {
                k.generate(&name, kind)
                    .map(|r| format!("created {} key '{}'", r.kind, r.name))
            });
        }
    });
}

fn import_ui(ui: &mut egui::Ui, dialog: &mut KeyManagerDialog, cx: &mut Cx<'_>) {
    ui.label(RichText::new("Import a key").strong());
    ui.horizontal(|ui| {
        let label = ui.label("Import name");
        ui.add(egui::TextEdit::singleline(&mut dialog.import_name).desired_width(180.0))
            .labelled_by(label.id);
        kind_combo(ui, "import-kind", &mut dialog.import_kind);
    });
    ui.horizontal(|ui| {
        ui.radio_value(&mut dialog.import_from, ImportFrom::Base64, "base64");
        ui.radio_value(&mut dialog.import_from, ImportFrom::Hex, "hex");
        ui.radio_value(&mut dialog.import_from, ImportFrom::File, "file");
    });
    let validation = match dialog.import_from {
        ImportFrom::File => {
            ui.horizontal(|ui| {
                if ui.button("Choose key file…").clicked() {
                    cx.actions.push(Action::PickKeyFile);
                }
                match &dialog.import_file {
                    Some(path) => ui.label(path.display().to_string()),
                    None => {
                        ui.label(RichText::new("a raw 32-byte file, or base64 / hex text").weak())
                    }
                };
            });
            dialog.import_file.as_ref().map(|_| Ok(String::new()))
        }
        ImportFrom::Base64 | ImportFrom::Hex => {
            ui.horizontal(|ui| {
                let label = ui.label("Key text");
                ui.add(
                    egui::TextEdit::singleline(&mut dialog.import_text)
                        .id(key_text_id())
                        .password(true)
                        .hint_text(if dialog.import_from == ImportFrom::Hex {
                            "64 hex digits"
                        } else {
                            "44 characters of base64"
                        })
                        .desired_width(360.0),
                )
                .labelled_by(label.id);
            });
            let validation = validate_text(dialog.import_from, &dialog.import_text);
            match &validation {
                Some(Ok(md5)) => {
                    ui.label(
                        RichText::new(format!("✔ a valid 256-bit key (S3 MD5 {md5})"))
                            .color(super::theme::good(ui.visuals())),
                    );
                }
                Some(Err(err)) => {
                    ui.label(RichText::new(err).color(ui.visuals().error_fg_color));
                }
                None => {}
            }
            validation
        }
    };
    let ok = matches!(validation, Some(Ok(_)))
        && !dialog.import_name.trim().is_empty()
        && !dialog.busy();
    if ui
        .add_enabled(ok, egui::Button::new("Import key"))
        .clicked()
    {
        let source = match dialog.import_from {
            ImportFrom::File => dialog.import_file.clone().map(KeySource::File),
            ImportFrom::Base64 => Some(KeySource::Base64(Zeroizing::new(
                dialog.import_text.clone(),
            ))),
            ImportFrom::Hex => Some(KeySource::Hex(Zeroizing::new(dialog.import_text.clone()))),
        };
        if let Some(source) = source {
            let (name, kind) = (dialog.import_name.trim().to_owned(), dialog.import_kind);
            dialog.run(cx.tasks, "import", move |k| {
                k.import(&name, kind, &source)
                    .map(|r| format!("imported {} key '{}'", r.kind, r.name))
            });
            forget_key_text(ui.ctx(), dialog);
        }
    }
}
