//! The application: owns the window's state, lays out the panels, turns keyboard shortcuts
//! and dropped files into actions, and implements `eframe::App`.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::actions::Action;
use super::audit_view::{AuditView, audit_view_ui};
use super::backend::{Backend, Command, Requested, Runtime};
use super::badges::KmsNames;
use super::bucket_view::{BucketView, bucket_view_ui};
use super::buckets::{BucketsPanel, buckets_ui};
use super::connection_bar::{ConnStatus, ConnectionBar, connection_bar_ui};
use super::file_dialog::{FileDialog, PendingDialog};
use super::inspector::{Inspector, InspectorContext, inspector_ui};
use super::key_manager::{KeyManagerDialog, key_manager_ui};
use super::notices::{Notices, notices_ui};
use super::objects_table::{ObjectsView, breadcrumb_ui, objects_table_ui};
use super::state::{PersistedState, STORAGE_KEY, SavedConnection};
use super::transfers::{Transfers, transfers_ui};
use super::upload_dialog::{UploadContext, UploadDialog, upload_dialog_ui};
use crate::error::Result;
use crate::keys::{ExportFormat, KeyRecord};
use crate::s3::kms::KmsKeyChoice;
use crate::s3::{ConnectOptions, S3Uri};

/// How the window starts.
pub struct AppOptions {
    /// Connection from the command line; replaces the remembered one.
    pub connect: Option<ConnectOptions>,
    /// Where to open once connected (`s3seal open s3://…`).
    pub location: Option<S3Uri>,
    /// Key catalog directory (default: `$S3SEAL_CONFIG_DIR` or the platform's).
    pub config_dir: Option<PathBuf>,
    pub file_dialog: Box<dyn FileDialog>,
    pub runtime: Runtime,
    /// State remembered from the last run.
    pub persisted: Option<PersistedState>,
}

/// What a pending file dialog is for.
#[derive(Debug)]
pub(super) enum DialogPurpose {
    UploadFiles,
    KeyFile,
    Download(S3Uri),
    ExportKey { name: String, format: ExportFormat },
    AuditCsv,
}

/// What the centre of the window shows for the open bucket.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CentralView {
    #[default]
    Objects,
    /// Default encryption, SSE-C block, TLS policy, versioning.
    Security,
    Audit,
}

/// The window.
pub struct S3SealApp {
    pub(super) state: PersistedState,
    pub(super) backend: Backend,
    pub(super) file_dialog: Box<dyn FileDialog>,
    pub(super) pending_dialog: Option<(DialogPurpose, PendingDialog)>,
    pub(super) bar: ConnectionBar,
    pub(super) buckets: BucketsPanel,
    pub(super) objects: ObjectsView,
    pub(super) inspector: Inspector,
    pub(super) transfers: Transfers,
    pub(super) upload: Option<UploadDialog>,
    pub(super) view: CentralView,
    pub(super) bucket_view: BucketView,
    pub(super) audit: AuditView,
    pub(super) key_dialog: Option<KeyManagerDialog>,
    pub(super) keys: Requested<Vec<KeyRecord>>,
    pub(super) kms: Requested<Vec<KmsKeyChoice>>,
    pub(super) kms_names: KmsNames,
    pub(super) notices: Notices,
    pub(super) plain_http: bool,
    /// Where to go once connected.
    pub(super) goto: Option<S3Uri>,
    pub(super) ctx: egui::Context,
    started: Instant,
    first_frame_logged: bool,
}

impl S3SealApp {
    /// Builds the app and starts connecting. Fails only if the background runtime cannot start.
    pub fn new(ctx: &egui::Context, options: AppOptions) -> Result<Self> {
        let backend = Backend::start(options.runtime, ctx.clone(), options.config_dir)?;
        let mut state = options.persisted.unwrap_or_default();
        if let Some(connect) = &options.connect {
            let from_flags = SavedConnection::from_options(connect);
            // Flags preselect the connection; an empty set of flags keeps the remembered one.
            if from_flags != SavedConnection::default() {
                state.current = from_flags;
            }
        }
        let goto = options.location.or_else(|| {
            state
                .last_bucket
                .clone()
                .map(|b| S3Uri::new(b, state.last_prefix.clone()))
        });
        ctx.set_theme(state.theme.preference());
        let mut app = Self {
            state,
            backend,
            file_dialog: options.file_dialog,
            pending_dialog: None,
            bar: ConnectionBar::default(),
            buckets: BucketsPanel::default(),
            objects: ObjectsView::default(),
            inspector: Inspector::default(),
            transfers: Transfers::default(),
            upload: None,
            view: CentralView::default(),
            bucket_view: BucketView::default(),
            audit: AuditView::default(),
            key_dialog: None,
            keys: Requested::NotAsked,
            kms: Requested::NotAsked,
            kms_names: KmsNames::default(),
            notices: Notices::default(),
            plain_http: false,
            goto,
            ctx: ctx.clone(),
            started: Instant::now(),
            first_frame_logged: false,
        };
        app.send(Command::ListProfiles);
        app.apply(Action::Connect);
        Ok(app)
    }

    /// Queues a command; a full queue becomes a notice.
    pub(super) fn send(&mut self, command: Command) {
        if let Err(err) = self.backend.send(command) {
            self.notices.error(err);
        }
    }

    /// The persisted part of the state (what `save` writes).
    pub fn persisted(&self) -> &PersistedState {
        &self.state
    }

    /// Number of rows in the objects table (folders and objects).
    pub fn object_rows(&self) -> usize {
        self.objects.row_count()
    }

    /// Shows a listing that did not come from S3 (benchmarks, previews): the table holds
    /// `pages` as if `bucket`/`prefix` had been listed.
    pub fn load_listing(
        &mut self,
        bucket: &str,
        prefix: &str,
        pages: Vec<crate::s3::listing::ListPage>,
    ) {
        self.objects.reset(bucket, prefix);
        for page in pages {
            self.objects.add_page(page);
        }
        self.objects.listing.loading = false;
    }

    /// True while a listing, inspection or transfer is still under way.
    pub fn is_busy(&self) -> bool {
        self.objects.listing.loading
            || self.inspector.info.is_loading()
            || self.transfers.any_running()
            || !self.objects.badge_requests.is_empty()
            || matches!(self.bar.status, ConnStatus::Connecting)
            || self.buckets.buckets.is_loading()
            || self.key_dialog.as_ref().is_some_and(|d| d.busy)
            || self.bucket_view.security.is_loading()
            || self.bucket_view.busy
            || self.audit.running.is_some()
    }

    /// Draws one frame. Everything that is not drawing happens before (events) or after
    /// (actions).
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        self.poll_backend();
        self.poll_dialog();
        let ctx = ui.ctx().clone();
        let mut actions = Vec::new();
        shortcuts(&ctx, self.objects.bucket.is_some(), &mut actions);
        self.take_dropped_files(&ctx);

        egui::Panel::top("connection-bar").show(ui, |ui| {
            ui.add_space(2.0);
            connection_bar_ui(
                ui,
                &mut self.state.current,
                &self.state.recent,
                &self.bar,
                self.state.theme,
                &mut actions,
            );
            ui.add_space(2.0);
        });
        egui::Panel::bottom("transfers")
            .resizable(true)
            .default_size(130.0)
            .show(ui, |ui| transfers_ui(ui, &mut self.transfers, &mut actions));
        egui::Panel::left("buckets")
            .resizable(true)
            .default_size(200.0)
            .show(ui, |ui| {
                buckets_ui(
                    ui,
                    &mut self.buckets,
                    self.objects.bucket.as_deref(),
                    &mut actions,
                );
            });
        egui::Panel::right("inspector")
            .resizable(true)
            .default_size(340.0)
            .show(ui, |ui| {
                let cx = InspectorContext {
                    kms_names: &self.kms_names,
                    kms: &self.kms,
                    keys: &self.keys,
                    plain_http: self.plain_http,
                };
                inspector_ui(ui, &mut self.inspector, &cx, &mut actions);
            });
        egui::CentralPanel::default_margins().show(ui, |ui| {
            notices_ui(ui, &self.notices, &mut actions);
            if self.objects.bucket.is_some() {
                view_tabs_ui(ui, self.view, &mut actions);
            }
            match self.view {
                CentralView::Objects => {
                    breadcrumb_ui(ui, &self.objects, &mut actions);
                    ui.separator();
                    objects_table_ui(ui, &mut self.objects, &mut actions);
                }
                CentralView::Security => {
                    bucket_view_ui(ui, &mut self.bucket_view, &self.kms, &mut actions);
                }
                CentralView::Audit => {
                    let here = self
                        .objects
                        .bucket
                        .as_ref()
                        .map(|b| S3Uri::new(b, &self.objects.prefix));
                    audit_view_ui(ui, &mut self.audit, here.as_ref(), &mut actions);
                }
            }
        });

        if let (Some(dialog), Some(bucket)) = (&mut self.upload, &self.objects.bucket) {
            let cx = UploadContext {
                bucket,
                kms: &self.kms,
                keys: &self.keys,
                plain_http: self.plain_http,
            };
            upload_dialog_ui(&ctx, dialog, &cx, &mut actions);
        }
        if let Some(dialog) = &mut self.key_dialog {
            key_manager_ui(&ctx, dialog, &self.keys, &mut actions);
        }

        for action in actions {
            self.apply(action);
        }
        if self.transfers.any_running() || self.audit.running.is_some() {
            // Progress bars move without events: redraw a few times a second.
            ctx.request_repaint_after(Duration::from_millis(200));
        }
        if !self.first_frame_logged {
            self.first_frame_logged = true;
            tracing::info!(
                target: "s3seal::ui",
                elapsed_ms = self.started.elapsed().as_millis() as u64,
                "first frame drawn"
            );
        }
    }

    /// Files dropped on the window open the upload dialog with them.
    fn take_dropped_files(&mut self, ctx: &egui::Context) {
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
                .error("open a bucket first, then drop files to upload them there");
            return;
        }
        match &mut self.upload {
            Some(dialog) => dialog.add_files(dropped),
            None => self.upload = Some(UploadDialog::new(&self.objects.prefix, dropped)),
        }
    }

    /// Delivers a file dialog's answer.
    fn poll_dialog(&mut self) {
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
}

/// The three views of an open bucket.
fn view_tabs_ui(ui: &mut egui::Ui, current: CentralView, actions: &mut Vec<Action>) {
    ui.horizontal(|ui| {
        for (view, label) in [
            (CentralView::Objects, "Objects"),
            (CentralView::Security, "Bucket security"),
            (CentralView::Audit, "Audit"),
        ] {
            if ui.selectable_label(current == view, label).clicked() && current != view {
                actions.push(Action::ShowView(view));
            }
        }
    });
    ui.separator();
}

fn shortcuts(ctx: &egui::Context, in_bucket: bool, actions: &mut Vec<Action>) {
    use egui::{Key, KeyboardShortcut, Modifiers};
    let typing = ctx.text_edit_focused();
    ctx.input_mut(|i| {
        if i.consume_shortcut(&KeyboardShortcut::new(Modifiers::COMMAND, Key::U)) && in_bucket {
            actions.push(Action::OpenUpload);
        }
        if i.consume_shortcut(&KeyboardShortcut::new(Modifiers::COMMAND, Key::K)) {
            actions.push(Action::OpenKeys);
        }
        if i.consume_key(Modifiers::NONE, Key::F5) {
            actions.push(Action::Refresh);
        }
        if !typing {
            if i.consume_key(Modifiers::NONE, Key::Backspace) {
                actions.push(Action::Up);
            }
            if i.consume_key(Modifiers::NONE, Key::Enter) {
                actions.push(Action::OpenSelected);
            }
            if i.consume_key(Modifiers::NONE, Key::Delete) {
                actions.push(Action::ConfirmDeleteSelected);
            }
        }
    });
}

impl eframe::App for S3SealApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        S3SealApp::ui(self, ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, STORAGE_KEY, &self.state);
    }
}
