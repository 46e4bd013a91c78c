//! Applying the bucket security, audit and upload-preview actions after drawing, and the
//! answers that come back for them: backend commands out, state changes in.

use std::sync::Arc;

use super::actions::Action;
use super::app::{CentralView, DialogPurpose, S3SealApp};
use super::audit_view::AuditRun;
use super::backend::{Command, RequestHandle, Requested};
use super::bucket_tasks::{BucketEvent, BucketOp};
use super::bucket_view::{BucketView, Confirm};
use super::file_dialog::DialogRequest;
use crate::progress::Progress;
use crate::s3::S3Uri;

impl S3SealApp {
    /// The bucket-level actions (the rest are in `apply`).
    pub(super) fn apply_bucket(&mut self, action: Action) {
        let Some(bucket) = self.objects.bucket.clone() else {
            return;
        };
        match action {
            Action::ShowView(view) => {
                self.view = view;
                if view == CentralView::Security && !self.bucket_view.shows(&bucket) {
                    self.load_bucket_security(&bucket);
                }
            }
            Action::LoadBucketSecurity => self.load_bucket_security(&bucket),
            Action::PlanTls { enforce } => {
                let min_tls = if enforce {
                    self.bucket_view.min_tls
                } else {
                    None
                };
                self.send(Command::Bucket(BucketOp::PlanTls {
                    bucket,
                    enforce,
                    min_tls,
                }));
            }
            Action::ApplyPolicy(change) => {
                self.bucket_view.busy = true;
                self.send(Command::Bucket(BucketOp::ApplyPolicy { bucket, change }));
            }
            Action::SetDefaultEncryption(request) => {
                self.bucket_view.busy = true;
                self.send(Command::Bucket(BucketOp::SetDefault { bucket, request }));
            }
            Action::SetSseCBlock(block) => {
                self.bucket_view.busy = true;
                self.send(Command::Bucket(BucketOp::SetSseCBlock { bucket, block }));
            }
            Action::LoadUploadRules => {
                let Some(dialog) = &mut self.upload else {
                    return;
                };
                let (handle, cancel) = RequestHandle::new();
                dialog.rules_handle = Some(handle);
                dialog.rules = Requested::Loading;
                self.send(Command::Bucket(BucketOp::UploadRules { bucket, cancel }));
            }
            Action::RunAudit => {
                let uri = S3Uri::new(&bucket, &self.objects.prefix);
                let (handle, cancel) = RequestHandle::new();
                let progress = Progress::new();
                self.audit.target = Some(uri.clone());
                self.audit.report = Requested::Loading;
                self.audit.running = Some(AuditRun {
                    progress: progress.clone(),
                    handle,
                });
                self.send(Command::Bucket(BucketOp::Audit {
                    uri,
                    progress,
                    cancel,
                }));
            }
            Action::CancelAudit => {
                // Nothing the audit found so far is kept.
                if let Some(run) = self.audit.running.take() {
                    run.handle.cancel();
                }
                self.audit.report = Requested::Failed("audit cancelled".to_owned());
            }
            Action::ExportAuditCsv => {
                let name = format!("{bucket}-audit.csv");
                self.open_dialog(
                    DialogPurpose::AuditCsv,
                    DialogRequest::SaveFile {
                        suggested_name: name,
                    },
                );
            }
            _ => {}
        }
    }

    fn load_bucket_security(&mut self, bucket: &str) {
        let (handle, cancel) = RequestHandle::new();
        if self.bucket_view.bucket.as_deref() != Some(bucket) {
            self.bucket_view = BucketView {
                bucket: Some(bucket.to_owned()),
                ..BucketView::default()
            };
        }
        self.bucket_view.handle = Some(handle);
        self.bucket_view.security = Requested::Loading;
        self.send(Command::Bucket(BucketOp::Security {
            bucket: bucket.to_owned(),
            cancel,
        }));
    }

    /// The save dialog for the audit CSV answered.
    pub(super) fn save_audit_csv(&mut self, path: std::path::PathBuf) {
        if let Requested::Ready(report) = &self.audit.report {
            self.send(Command::SaveAuditCsv {
                path,
                report: Arc::new(report.clone()),
            });
        }
    }

    pub(super) fn handle_bucket_event(&mut self, event: BucketEvent) {
        match event {
            BucketEvent::Security { bucket, result } => {
                if self.bucket_view.bucket.as_deref() == Some(bucket.as_str()) {
                    self.bucket_view.handle = None;
                    self.bucket_view.security.set(result.map(|b| *b));
                }
            }
            BucketEvent::Planned { bucket, result } => {
                if self.bucket_view.bucket.as_deref() != Some(bucket.as_str()) {
                    return;
                }
                if let Some(Confirm::Policy { change, .. }) = &mut self.bucket_view.confirm {
                    change.set(result);
                }
            }
            BucketEvent::Changed {
                bucket,
                what,
                result,
            } => {
                self.bucket_view.busy = false;
                match result {
                    Ok(message) => self.notices.info(message),
                    Err(err) => self.notices.error(format!("{what} on {bucket}: {err}")),
                }
                // Show what S3 reports now, whichever way it went.
                if self.objects.bucket.as_deref() == Some(bucket.as_str()) {
                    self.load_bucket_security(&bucket);
                }
                // The bucket changed: the preview reads its rules again.
                if let Some(dialog) = &mut self.upload {
                    dialog.rules = Requested::NotAsked;
                }
            }
            BucketEvent::UploadRules { bucket, result } => {
                if let Some(dialog) = &mut self.upload
                    && self.objects.bucket.as_deref() == Some(bucket.as_str())
                {
                    dialog.rules_handle = None;
                    dialog.rules.set(result);
                    // Worked out again from the new rules.
                    dialog.preview = None;
                }
            }
            BucketEvent::Audited { uri, result } => {
                if self.audit.target.as_ref() != Some(&uri) {
                    return;
                }
                self.audit.running = None;
                if let Err(err) = &result {
                    self.notices.error(format!("audit of {uri}: {err}"));
                }
                self.audit.report.set(result);
            }
            BucketEvent::Saved { path, result } => match result {
                Ok(()) => self
                    .notices
                    .info(format!("saved the audit to {}", path.display())),
                Err(err) => self.notices.error(format!("save the audit: {err}")),
            },
        }
    }
}
