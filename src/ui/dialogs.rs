//! The file dialogs of the window and files dropped on it: what each dialog was opened for,
//! opening one at a time, and where its answer goes.

use std::path::PathBuf;

use super::app::S3SealApp;
use super::file_dialog::DialogRequest;
use super::request::Requested;
use super::upload_dialog::UploadDialog;
use crate::keys::ExportFormat;
use crate::s3::S3Uri;

/// What a pending file dialog is for.
#[derive(Debug)]
pub enum DialogPurpose {
    UploadFiles,
    KeyFile,
    Download(S3Uri),
    /// A folder to download this prefix into.
    DownloadFolder(S3Uri),
    ExportKey {
        name: String,
        format: ExportFormat,
    },
    AuditCsv,
    JobReport,
}

impl S3SealApp {
    /// Files dropped on the window open the upload dialog with them.
    pub(super) fn take_dropped_files(&mut self, ctx: &egui::Context) {
        let dropped: Vec<PathBuf> = ctx.input(|i| {
            i.raw
                .dropped_files
                .iter()
                .map(|f| f.path().to_path_buf())
                .filter(|p| !p.as_os_str().is_empty())
                .collect()
        });
        if dropped.is_empty() {
            return;
        }
        if self.objects.bucket.is_none() {
            self.notices
                .info("Open a bucket first, then drop files to upload them there.");
            return;
        }
        match &mut self.upload {
            Some(dialog) => dialog.add_files(dropped),
            None => self.upload = Some(UploadDialog::new(&self.objects.prefix, dropped)),
        }
    }

    /// Delivers a file dialog's answer.
    pub(super) fn poll_dialog(&mut self) {
        let Some((_, pending)) = &self.pending_dialog else {
            return;
        };
        let Some(paths) = pending.poll() else {
            return;
        };
        let Some((purpose, _)) = self.pending_dialog.take() else {
            return;
        };
        self.dialog_answered(purpose, paths);
    }

    pub(super) fn open_dialog(&mut self, purpose: DialogPurpose, request: DialogRequest) {
        if self.pending_dialog.is_some() {
            self.notices.info("A file dialog is already open.");
            return;
        }
        let pending = self.file_dialog.open(request, &self.ctx);
        self.pending_dialog = Some((purpose, pending));
    }

    fn dialog_answered(&mut self, purpose: DialogPurpose, paths: Vec<PathBuf>) {
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
            DialogPurpose::Download(uri) => self.start_download(uri, first),
            DialogPurpose::DownloadFolder(uri) => {
                let read = self.shared.read_options(crate::s3::ReadKeys::AtHome);
                self.transfers
                    .folders
                    .download(&self.tasks, read, uri, first);
            }
            DialogPurpose::AuditCsv if self.audit.inventory.shown => {
                self.audit.inventory.export_csv(&self.tasks, first);
            }
            DialogPurpose::AuditCsv => {
                if let Some(report) = self.audit.report.ready() {
                    let csv = crate::s3::bucket::audit::to_csv(report);
                    self.saving = Requested::Pending(self.tasks.blocking(move || {
                        std::fs::write(&first, csv)
                            .map_err(|e| crate::Error::io("cannot write", &first, e))?;
                        Ok(first)
                    }));
                }
            }
            DialogPurpose::JobReport => {
                if let Some(report) = &mut self.job_report {
                    report.save(&self.tasks, first);
                }
            }
            DialogPurpose::ExportKey { name, format } => {
                if let Some(dialog) = &mut self.key_dialog {
                    dialog.export(&self.tasks, name, first, format);
                }
            }
        }
    }
}
