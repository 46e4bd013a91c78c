//! Applying what views asked of each other, after a frame was drawn: navigation, dialogs,
//! starting transfers (each a row that owns its request), and showing changes.

use std::path::PathBuf;

use super::actions::Action;
use super::app::{CentralView, DialogPurpose, S3SealApp};
use super::file_dialog::DialogRequest;
use super::job_report_view::JobReportView;
use super::key_manager::KeyManagerDialog;
use super::object_rows::Row;
use super::rekey_dialog::RekeyDialog;
use super::state::Theme;
use super::transfers::TransferKind;
use super::upload_dialog::UploadDialog;
use crate::progress::Progress;
use crate::s3::{ReadKeys, S3Uri};
use crate::transfer::write_mode::{resolve_write_mode, upload_with_journal};
use crate::transfer::{fetch_object, reencrypt};

impl S3SealApp {
    pub(super) fn apply(&mut self, action: Action) {
        match action {
            Action::Connect => {
                self.forget_connection_views();
                self.connection.start(&self.tasks, &mut self.state.current);
            }
            Action::SetUpConnection => {
                self.open_welcome();
            }
            Action::OpenBucket(bucket) => {
                self.state.last_bucket = Some(bucket.clone());
                if self.objects.bucket.as_deref() != Some(bucket.as_str()) {
                    // Another bucket: its security and audit are not this one's.
                    self.security = Default::default();
                    self.audit = Default::default();
                    self.job_report = None;
                    self.view = CentralView::Objects;
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
                if let Some(prefix) = self.selected_folder() {
                    self.apply(Action::OpenPrefix(prefix));
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
                self.open_dialog(DialogPurpose::UploadFiles, DialogRequest::OpenFiles);
            }
            Action::StartUpload {
                files,
                prefix,
                encryption,
            } => {
                self.start_uploads(files, &prefix, encryption);
                self.upload = None;
            }
            Action::PickUploadFolder => {
                self.open_dialog(DialogPurpose::UploadFiles, DialogRequest::OpenFolder);
            }
            Action::StartFolderUpload {
                root,
                prefix,
                encryption,
                options,
            } => {
                if let Some(bucket) = &self.objects.bucket {
                    let (tasks, folders) = (&self.tasks, &mut self.transfers.folders);
                    folders.upload(tasks, bucket, root, prefix, encryption, options);
                }
                self.upload = None;
            }
            Action::DownloadFolder(uri) => {
                self.open_dialog(
                    DialogPurpose::DownloadFolder(uri),
                    DialogRequest::OpenFolder,
                );
            }
            Action::Download(uri) => {
                let suggested_name = uri.key.rsplit('/').next().unwrap_or("download").to_owned();
                self.open_dialog(
                    DialogPurpose::Download(uri),
                    DialogRequest::SaveFile { suggested_name },
                );
            }
            Action::Rekey { uri, target, read } => {
                let progress = Progress::new();
                let (p, u) = (progress.clone(), uri.clone());
                let request = self.tasks.s3(move |conn, keys, cancel| async move {
                    let done = reencrypt(&conn, &keys, &u, &target, &read, &p, &cancel).await?;
                    Ok(done.summary())
                });
                let what = uri.to_string();
                self.transfers
                    .start(TransferKind::Rekey, uri, what, progress, request);
            }
            Action::ConfirmDeleteSelected => {
                if matches!(self.objects.selected_row(), Some(Row::Object { .. })) {
                    self.inspector.confirm_delete = true;
                }
            }
            Action::ObjectChanged(uri) => {
                // An upload or rekey changed an object in this folder: list again, re-ask.
                if self.objects.bucket.as_deref() == Some(uri.bucket.as_str()) {
                    self.objects.forget_badge(&uri.key);
                    let folder = uri.key.rfind('/').map_or("", |i| &uri.key[..=i]);
                    if folder == self.objects.prefix && !self.objects.is_listing() {
                        self.refresh_listing();
                    }
                    if self.inspector.target.as_ref() == Some(&uri) {
                        self.inspector.clear();
                        self.apply(Action::Select(uri.key.clone()));
                    }
                }
            }
            Action::ObjectDeleted(uri) => {
                if self.objects.bucket.as_deref() == Some(uri.bucket.as_str()) {
                    self.objects.remove_object(&uri.key);
                }
            }
            Action::ObjectInspected(uri, info) => self.inspected(&uri, &info),
            Action::CopyText(text) => {
                self.ctx.copy_text(text.clone());
                self.notices.info(format!("copied {text}"));
            }
            Action::OpenKeys => {
                if self.key_dialog.is_none() {
                    self.key_dialog = Some(KeyManagerDialog::default());
                }
                self.keys_changed();
            }
            Action::CloseKeys => self.key_dialog = None,
            Action::KeysChanged => self.keys_changed(),
            Action::PickKeyFile => {
                self.open_dialog(DialogPurpose::KeyFile, DialogRequest::OpenFile);
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
            Action::ExportAuditCsv => {
                let name = format!(
                    "{}-audit.csv",
                    self.objects.bucket.as_deref().unwrap_or("bucket")
                );
                self.open_dialog(
                    DialogPurpose::AuditCsv,
                    DialogRequest::SaveFile {
                        suggested_name: name,
                    },
                );
            }
            Action::BucketChanged => {
                // The bucket's rules changed: the upload preview reads them again.
                if let (Some(dialog), Some(bucket)) = (&mut self.upload, &self.objects.bucket) {
                    dialog.load_rules(&self.tasks, bucket);
                }
                // The audit looks for inventory reports again.
                self.audit.inventory.forget_status();
            }
            Action::JournalChanged => {
                self.interrupted
                    .load(&self.tasks, self.shared.journal.as_ref());
            }
            Action::LoadKms => self.load_kms(),
            Action::ShowView(view) => self.view = view,
            Action::Notice(problem) => self.notices.problem(problem),
            Action::Info(text) => self.notices.info(text),
            Action::DismissNotice(i) => self.notices.dismiss(i),
            Action::ToggleTheme => {
                self.state.theme = match self.state.theme {
                    Theme::System => Theme::Dark,
                    Theme::Dark => Theme::Light,
                    Theme::Light => Theme::System,
                };
                self.ctx.set_theme(self.state.theme.preference());
            }
            Action::SetRequireCommitment(on) => {
                self.state.require_commitment = on;
                self.shared.require_commitment = on;
            }
            Action::OpenRekeyPlan(scope) => {
                self.rekey = Some(RekeyDialog::new(*scope));
                self.ensure_keys_listed();
            }
            Action::CloseRekeyPlan => self.rekey = None,
            Action::StartJob => {
                if let Some(plan) = self.rekey.as_mut().and_then(RekeyDialog::take_plan) {
                    self.jobs.start(&self.tasks, plan, &self.shared.kms_names);
                    self.rekey = None;
                    self.view = CentralView::Jobs;
                }
            }
            Action::BatchJobCreated { account_id, job_id } => {
                self.jobs.batch.follow(&self.tasks, account_id, job_id);
            }
            Action::OpenJobReport(report) => {
                let view = JobReportView::new(*report);
                if let Some(bucket) = view.bucket().map(str::to_owned)
                    && self.objects.bucket.as_deref() != Some(bucket.as_str())
                {
                    self.apply(Action::OpenBucket(bucket));
                }
                self.job_report = Some(view);
                self.view = CentralView::Audit;
            }
            Action::CloseJobReport => self.job_report = None,
            Action::SaveJobReport => {
                if let Some(report) = &self.job_report {
                    let suggested_name = report.suggested_name();
                    self.open_dialog(
                        DialogPurpose::JobReport,
                        DialogRequest::SaveFile { suggested_name },
                    );
                }
            }
            Action::AuditAgain(uri) => {
                self.job_report = None;
                self.audit.run(&self.tasks, uri);
                self.view = CentralView::Audit;
            }
        }
    }

    /// Lists `bucket`/`prefix` afresh; the previous listing is dropped (and so cancelled).
    fn open_listing(&mut self, bucket: &str, prefix: &str) {
        self.objects.open(&self.tasks, bucket, prefix);
        self.inspector.clear();
        self.state.last_prefix = prefix.to_owned();
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
        self.inspector
            .show(&self.tasks, &self.shared, S3Uri::new(bucket, id));
        self.ensure_keys_listed();
    }

    fn ensure_keys_listed(&mut self) {
        if self.shared.keys.is_not_asked() || self.shared.keys.failed().is_some() {
            self.keys_changed();
        }
    }

    /// Forgets what the views showed of the connection being replaced.
    pub(super) fn forget_connection_views(&mut self) {
        self.buckets = Default::default();
        self.objects = Default::default();
        self.inspector.clear();
    }

    fn open_welcome(&mut self) {
        self.welcome = Some(super::welcome::Welcome::new(
            self.connection.discovery.ready(),
        ));
    }

    /// One transfer row per file, each uploading with `encryption` under `prefix`.
    fn start_uploads(
        &mut self,
        files: Vec<PathBuf>,
        prefix: &str,
        encryption: crate::transfer::write_mode::EncryptionChoice,
    ) {
        let Some(bucket) = self.objects.bucket.clone() else {
            return;
        };
        let folder = S3Uri::new(&bucket, prefix);
        for path in files {
            let dest = folder.upload_target(&path);
            let progress = Progress::new();
            let what = format!("{} to {dest}", path.display());
            let (p, d, choice) = (progress.clone(), dest.clone(), encryption.clone());
            // Recorded in the journal beside the keys, like the command line's put: an upload
            // interrupted here is listed (and resumable) at the next start.
            let journal = self.shared.journal.clone();
            let request = self.tasks.s3(move |conn, keys, cancel| async move {
                let mode = resolve_write_mode(&conn, &keys, &choice, &d.bucket).await?;
                let outcome =
                    upload_with_journal(&conn, &path, &d, &mode, journal.as_ref(), &p, &cancel)
                        .await?;
                let done = format!(
                    "uploaded {} with {}",
                    crate::units::human_size(outcome.size),
                    mode.describe()
                );
                Ok(match outcome.continuation.note() {
                    Some(note) => format!("{done} ({note})"),
                    None => done,
                })
            });
            self.transfers
                .start(TransferKind::Upload, dest, what, progress, request);
        }
    }

    /// A transfer row downloading `uri` to `dest`; the file appears only once verified.
    pub(super) fn start_download(&mut self, uri: S3Uri, dest: PathBuf) {
        let progress = Progress::new();
        let what = format!("{uri} to {}", dest.display());
        let read = self.shared.read_options(ReadKeys::AtHome);
        let (p, u) = (progress.clone(), uri.clone());
        let request = self.tasks.s3(move |conn, keys, cancel| async move {
            let fetched = fetch_object(&conn, &keys, &u, &dest, &read, &p, &cancel).await?;
            Ok(format!("saved {}", fetched.summary()))
        });
        self.transfers
            .start(TransferKind::Download, uri, what, progress, request);
    }
}
