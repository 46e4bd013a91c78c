//! Applying the actions collected while drawing: state changes and backend commands.

use std::path::PathBuf;

use super::actions::Action;
use super::app::{DialogPurpose, S3SealApp};
use super::backend::{Command, KeyOp, RequestHandle, Requested};
use super::connection_bar::ConnStatus;
use super::file_dialog::DialogRequest;
use super::key_manager::KeyManagerDialog;
use super::objects_table::Row;
use super::state::Theme;
use super::transfers::TransferKind;
use super::upload_dialog::UploadDialog;
use crate::progress::Progress;
use crate::s3::S3Uri;

impl S3SealApp {
    pub(super) fn apply(&mut self, action: Action) {
        match action {
            Action::Connect => {
                self.bar.status = ConnStatus::Connecting;
                self.buckets.buckets = Requested::NotAsked;
                self.objects = Default::default();
                self.inspector.clear();
                let options = self.state.current.options();
                self.send(Command::Connect(options));
            }
            Action::RefreshBuckets => {
                self.buckets.buckets = Requested::Loading;
                self.send(Command::ListBuckets);
            }
            Action::OpenBucket(bucket) => {
                self.state.last_bucket = Some(bucket.clone());
                if self.objects.bucket.as_deref() != Some(bucket.as_str()) {
                    // Another bucket: its security and audit are not this one's.
                    self.bucket_view = Default::default();
                    self.audit = Default::default();
                    self.view = super::app::CentralView::Objects;
                }
                self.open_listing(&bucket, "");
            }
            Action::OpenPrefix(prefix) => {
                if let Some(bucket) = self.objects.bucket.clone() {
                    self.open_listing(&bucket, &prefix);
                }
            }
            Action::Up => {
                if let Some(bucket) = self.objects.bucket.clone()
                    && !self.objects.prefix.is_empty()
                {
                    let trimmed = self.objects.prefix.trim_end_matches('/');
                    let parent = trimmed.rfind('/').map_or("", |i| &trimmed[..=i]).to_owned();
                    self.open_listing(&bucket, &parent);
                }
            }
            Action::Refresh => self.refresh_listing(),
            Action::Select(id) => self.select(id),
            Action::OpenSelected => {
                if let Some(Row::Folder { prefix, .. }) = self.objects.selected_row() {
                    let prefix = prefix.clone();
                    self.apply(Action::OpenPrefix(prefix));
                }
            }
            Action::WantBadges(keys) => {
                let Some(bucket) = self.objects.bucket.clone() else {
                    return;
                };
                for key in keys {
                    let (handle, cancel) = RequestHandle::new();
                    self.objects.badge_requests.insert(key.clone(), handle);
                    self.send(Command::Head {
                        uri: S3Uri::new(&bucket, key),
                        cancel,
                    });
                }
            }
            Action::OpenUpload => {
                if self.objects.bucket.is_some() && self.upload.is_none() {
                    self.upload = Some(UploadDialog::new(&self.objects.prefix, Vec::new()));
                    self.ensure_keys_listed();
                }
            }
            Action::CloseUpload => self.upload = None,
            Action::PickUploadFiles => {
                self.open_dialog(DialogPurpose::UploadFiles, DialogRequest::OpenFiles)
            }
            Action::StartUpload {
                files,
                prefix,
                encryption,
            } => {
                let Some(bucket) = self.objects.bucket.clone() else {
                    return;
                };
                for path in files {
                    let name = path
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    let dest = S3Uri::new(&bucket, format!("{prefix}{name}"));
                    let (handle, cancel) = RequestHandle::new();
                    let progress = Progress::new();
                    let what = format!("{} to {dest}", path.display());
                    let id = self.transfers.start(
                        TransferKind::Upload,
                        dest.clone(),
                        what,
                        progress.clone(),
                        handle,
                    );
                    self.send(Command::Upload {
                        id,
                        path,
                        dest,
                        encryption: encryption.clone(),
                        progress,
                        cancel,
                    });
                }
                self.upload = None;
            }
            Action::Download(uri) => {
                let suggested_name = uri.key.rsplit('/').next().unwrap_or("download").to_owned();
                self.open_dialog(
                    DialogPurpose::Download(uri),
                    DialogRequest::SaveFile { suggested_name },
                );
            }
            Action::Rekey(uri, encryption) => {
                let (handle, cancel) = RequestHandle::new();
                let progress = Progress::new();
                let what = format!("{uri}");
                let id = self.transfers.start(
                    TransferKind::Rekey,
                    uri.clone(),
                    what,
                    progress.clone(),
                    handle,
                );
                self.send(Command::Rekey {
                    id,
                    uri,
                    encryption,
                    progress,
                    cancel,
                });
            }
            Action::Delete(uri) => self.send(Command::Delete { uri }),
            Action::ConfirmDeleteSelected => {
                if matches!(self.objects.selected_row(), Some(Row::Object { .. })) {
                    self.inspector.confirm_delete = true;
                }
            }
            Action::CopyText(text) => {
                self.ctx.copy_text(text.clone());
                self.notices.info(format!("copied {text}"));
            }
            Action::CancelTransfer(id) => self.transfers.cancel(id),
            Action::ClearFinishedTransfers => self.transfers.clear_finished(),
            Action::OpenKeys => {
                if self.key_dialog.is_none() {
                    self.key_dialog = Some(KeyManagerDialog::default());
                }
                self.keys = Requested::Loading;
                self.send(Command::Keys(KeyOp::List));
            }
            Action::CloseKeys => self.key_dialog = None,
            Action::Key(op) => self.send(Command::Keys(op)),
            Action::PickKeyFile => {
                self.open_dialog(DialogPurpose::KeyFile, DialogRequest::OpenFile)
            }
            Action::ExportKey { name, format } => {
                let suggested_name = format!(
                    "{name}.{}",
                    match format {
                        crate::keys::ExportFormat::Raw => "key",
                        crate::keys::ExportFormat::Base64 => "b64",
                        crate::keys::ExportFormat::Hex => "hex",
                    }
                );
                self.open_dialog(
                    DialogPurpose::ExportKey { name, format },
                    DialogRequest::SaveFile { suggested_name },
                );
            }
            Action::LoadKms => {
                if !self.kms.is_loading() {
                    self.kms = Requested::Loading;
                    self.send(Command::ListKms);
                }
            }
            Action::DismissNotice(i) => self.notices.dismiss(i),
            Action::ShowView(_)
            | Action::LoadBucketSecurity
            | Action::PlanTls { .. }
            | Action::ApplyPolicy(_)
            | Action::SetDefaultEncryption(_)
            | Action::SetSseCBlock(_)
            | Action::LoadUploadRules
            | Action::RunAudit
            | Action::CancelAudit
            | Action::ExportAuditCsv => self.apply_bucket(action),
            Action::ToggleTheme => {
                self.state.theme = match self.state.theme {
                    Theme::System => Theme::Dark,
                    Theme::Dark => Theme::Light,
                    Theme::Light => Theme::System,
                };
                self.ctx.set_theme(self.state.theme.preference());
            }
        }
    }

    /// Lists `bucket`/`prefix` afresh; the previous listing is cancelled.
    fn open_listing(&mut self, bucket: &str, prefix: &str) {
        let generation = self.objects.reset(bucket, prefix);
        self.inspector.clear();
        self.state.last_prefix = prefix.to_owned();
        let (handle, cancel) = RequestHandle::new();
        self.objects.listing.handle = Some(handle);
        self.send(Command::ListObjects {
            bucket: bucket.to_owned(),
            prefix: prefix.to_owned(),
            generation,
            cancel,
        });
    }

    pub(super) fn refresh_listing(&mut self) {
        if let Some(bucket) = self.objects.bucket.clone() {
            let prefix = self.objects.prefix.clone();
            self.open_listing(&bucket, &prefix);
        }
    }

    fn select(&mut self, id: String) {
        self.objects.select(id.clone());
        let Some(bucket) = self.objects.bucket.clone() else {
            return;
        };
        if id.ends_with('/') {
            self.inspector.clear();
            return;
        }
        let uri = S3Uri::new(bucket, id);
        if self.inspector.show(uri.clone()) {
            let (handle, cancel) = RequestHandle::new();
            self.inspector.handle = Some(handle);
            self.inspector.info = Requested::Loading;
            self.send(Command::Inspect { uri, cancel });
            self.ensure_keys_listed();
        }
    }

    fn ensure_keys_listed(&mut self) {
        if matches!(self.keys, Requested::NotAsked | Requested::Failed(_)) {
            self.keys = Requested::Loading;
            self.send(Command::Keys(KeyOp::List));
        }
    }

    pub(super) fn open_dialog(&mut self, purpose: DialogPurpose, request: DialogRequest) {
        if self.pending_dialog.is_some() {
            self.notices.error("a file dialog is already open");
            return;
        }
        let pending = self.file_dialog.open(request, &self.ctx);
        self.pending_dialog = Some((purpose, pending));
    }

    pub(super) fn dialog_answered(&mut self, purpose: DialogPurpose, paths: Vec<PathBuf>) {
        let Some(first) = paths.first().cloned() else {
            return; // cancelled
        };
        match purpose {
            DialogPurpose::UploadFiles => {
                if let Some(dialog) = &mut self.upload {
                    dialog.add_files(paths);
                }
            }
            DialogPurpose::KeyFile => {
                if let Some(dialog) = &mut self.key_dialog {
                    dialog.import_file = Some(first);
                }
            }
            DialogPurpose::Download(uri) => {
                let (handle, cancel) = RequestHandle::new();
                let progress = Progress::new();
                let what = format!("{uri} to {}", first.display());
                let id = self.transfers.start(
                    TransferKind::Download,
                    uri.clone(),
                    what,
                    progress.clone(),
                    handle,
                );
                self.send(Command::Download {
                    id,
                    uri,
                    dest: first,
                    progress,
                    cancel,
                });
            }
            DialogPurpose::AuditCsv => self.save_audit_csv(first),
            DialogPurpose::ExportKey { name, format } => {
                if let Some(dialog) = &mut self.key_dialog {
                    dialog.busy = true;
                }
                self.send(Command::Keys(KeyOp::Export {
                    name,
                    path: first,
                    format,
                }));
            }
        }
    }
}
