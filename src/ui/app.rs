//! The application: owns the views, lays out the panels, hands each view its context, and
//! applies what views ask of each other after drawing. Views own and poll their requests
//! themselves; here is only what crosses views (navigation, dialogs, transfers, changes).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::actions::Action;
use super::audit_view::{AuditView, audit_view_ui};
use super::badges::{Badge, KmsNames};
use super::bucket_view::{BucketView, bucket_view_ui};
use super::buckets::{BucketsPanel, buckets_ui};
use super::connection::{ConnectionView, connection_bar_ui};
pub(super) use super::dialogs::DialogPurpose;
use super::file_dialog::{FileDialog, PendingDialog};
use super::inspector::{Inspector, inspector_ui};
use super::interrupted::{InterruptedView, interrupted_ui};
use super::job_report_view::{JobReportView, job_report_ui};
use super::jobs_panel::{JobsPanel, jobs_panel_ui};
use super::key_manager::{KeyManagerDialog, key_manager_ui};
use super::landmark::landmark_ui;
use super::notices::{Notices, notices_ui};
use super::object_rows::{BadgeEntry, Row};
use super::objects_table::{ObjectsView, breadcrumb_ui, objects_table_ui};
use super::rekey_dialog::{RekeyDialog, rekey_dialog_ui};
use super::remedy::Problem;
use super::request::Requested;
use super::shared::{Cx, Shared};
use super::state::{PersistedState, STORAGE_KEY, SavedConnection};
use super::tasks::{OwnedRuntime, Runtime, Tasks};
use super::transfers::{TransferKind, Transfers, transfers_ui};
use super::upload_dialog::{UploadDialog, upload_dialog_ui};
use super::welcome::{Welcome, WelcomeOutcome, welcome_ui};
use crate::error::Result;
use crate::s3::{ConnectOptions, KeyAccess, S3Uri, kms};
use crate::transfer::journal::Journal;

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
    /// What AWS configuration there is; `None`: read this machine's (files and environment).
    pub discovery: Option<crate::s3::discover::Discovery>,
}

/// What the centre of the window shows for the open bucket.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CentralView {
    #[default]
    Objects,
    /// Default encryption, SSE-C block, TLS policy, versioning.
    Security,
    Audit,
    /// Re-encryption jobs, local and S3 Batch Operations (shown with or without a bucket).
    Jobs,
}

/// Whether start-up still waits for the AWS configuration to decide how to begin.
#[derive(Debug, PartialEq, Eq)]
enum StartUp {
    /// Connect, or greet a person with nothing configured, once discovery answers.
    Deciding,
    Done,
}

/// The window.
pub struct S3SealApp {
    pub(super) state: PersistedState,
    pub(super) tasks: Tasks,
    _runtime: OwnedRuntime,
    pub(super) file_dialog: Box<dyn FileDialog>,
    pub(super) pending_dialog: Option<(DialogPurpose, PendingDialog)>,
    pub(super) connection: ConnectionView,
    pub(super) welcome: Option<Welcome>,
    start: StartUp,
    pub(super) buckets: BucketsPanel,
    pub(super) objects: ObjectsView,
    pub(super) inspector: Inspector,
    pub(super) transfers: Transfers,
    /// Uploads the journal recorded that stopped before they finished.
    pub(super) interrupted: InterruptedView,
    pub(super) upload: Option<UploadDialog>,
    pub(super) view: CentralView,
    pub(super) security: BucketView,
    pub(super) audit: AuditView,
    pub(super) key_dialog: Option<KeyManagerDialog>,
    pub(super) rekey: Option<RekeyDialog>,
    pub(super) jobs: JobsPanel,
    /// A job's report, shown in the Audit tab instead of the audit.
    pub(super) job_report: Option<JobReportView>,
    pub(super) shared: Shared,
    pub(super) notices: Notices,
    /// An audit CSV being written.
    pub(super) saving: Requested<PathBuf>,
    /// Where to go once connected.
    goto: Option<S3Uri>,
    pub(super) ctx: egui::Context,
    started: Instant,
    first_frame_logged: bool,
}

impl S3SealApp {
    /// Builds the app and starts connecting (or greeting). Fails only if the background
    /// runtime cannot start.
    pub fn new(ctx: &egui::Context, options: AppOptions) -> Result<Self> {
        // The transfer journal lives beside the key catalog, as for the command line.
        let journal = Journal::in_config_dir_or_default(options.config_dir.as_deref())
            .inspect_err(|err| tracing::warn!(error = %err, "no transfer journal"))
            .ok();
        let keys = KeyAccess::platform(options.config_dir);
        let (tasks, runtime) = Tasks::start(options.runtime, ctx.clone(), keys)?;
        let mut state = options.persisted.unwrap_or_default();
        let mut flags_given = false;
        if let Some(connect) = &options.connect {
            let from_flags = SavedConnection::from_options(connect);
            // Flags preselect the connection; an empty set of flags keeps the remembered one.
            if !from_flags.is_default() {
                state.current = from_flags;
                flags_given = true;
            }
        }
        let goto = options.location.or_else(|| {
            state
                .last_bucket
                .clone()
                .map(|b| S3Uri::new(b, state.last_prefix.clone()))
        });
        super::theme::apply(ctx);
        ctx.set_theme(state.theme.preference());
        let shared = Shared {
            require_commitment: state.require_commitment,
            journal,
            ..Shared::default()
        };
        let jobs = JobsPanel::new(&tasks);
        let mut app = Self {
            state,
            tasks,
            _runtime: runtime,
            file_dialog: options.file_dialog,
            pending_dialog: None,
            connection: ConnectionView::default(),
            welcome: None,
            start: StartUp::Deciding,
            buckets: BucketsPanel::default(),
            objects: ObjectsView::default(),
            inspector: Inspector::default(),
            transfers: Transfers::default(),
            interrupted: InterruptedView::default(),
            upload: None,
            view: CentralView::default(),
            security: BucketView::default(),
            audit: AuditView::default(),
            key_dialog: None,
            rekey: None,
            jobs,
            job_report: None,
            shared,
            notices: Notices::default(),
            saving: Requested::NotAsked,
            goto,
            ctx: ctx.clone(),
            started: Instant::now(),
            first_frame_logged: false,
        };
        app.apply(Action::JournalChanged);
        match options.discovery {
            Some(found) => app.connection.discovery = Requested::Ready(found),
            None => app.connection.discover(&app.tasks),
        }
        if app.connection.discovery.ready().is_some() && !flags_given {
            app.decide_start();
        }
        if flags_given {
            app.start = StartUp::Done;
            app.apply(Action::Connect);
        }
        Ok(app)
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
    }

    /// Adds a page to the listing shown, as a page of a listing that streams in would be.
    pub fn add_listing_page(&mut self, page: crate::s3::listing::ListPage) {
        self.objects.add_page(page);
    }

    /// True while a listing, inspection, transfer or other request is still under way.
    pub fn is_busy(&self) -> bool {
        self.objects.is_listing()
            || self.objects.badges_asked() > 0
            || self.inspector.is_busy()
            || self.transfers.any_running()
            || self.connection.connect.is_pending()
            || self.connection.discovery.is_pending()
            || self.buckets.buckets.is_pending()
            || self.security.is_busy()
            || self.audit.is_running()
            || self.jobs.is_busy()
            || self.rekey.as_ref().is_some_and(RekeyDialog::is_busy)
    }

    /// Draws one frame: what arrived first, then the panels (views poll their own requests),
    /// then what views asked of each other.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        self.poll();
        let ctx = ui.ctx().clone();
        let mut actions = Vec::new();
        self.jobs.poll(&self.tasks, &mut actions);
        shortcuts(&ctx, self.objects.bucket.is_some(), &mut actions);
        self.take_dropped_files(&ctx);
        let bucket = self.objects.bucket.clone();

        egui::Panel::top("connection-bar").show(ui, |ui| {
            landmark_ui(ui, "Connection", |ui| {
                ui.add_space(2.0);
                connection_bar_ui(
                    ui,
                    &mut self.state.current,
                    &self.state.recent,
                    &self.connection,
                    self.state.theme,
                    &mut actions,
                );
                ui.add_space(2.0);
            });
        });
        let mut cx = Cx {
            tasks: &self.tasks,
            shared: &self.shared,
            actions: &mut actions,
        };
        egui::Panel::bottom("transfers")
            .resizable(true)
            .default_size(130.0)
            .show(ui, |ui| {
                landmark_ui(ui, "Transfers", |ui| {
                    interrupted_ui(ui, &mut self.interrupted, &mut self.transfers, &mut cx);
                    transfers_ui(ui, &mut self.transfers);
                });
            });
        egui::Panel::left("buckets")
            .resizable(true)
            .default_size(200.0)
            .show(ui, |ui| {
                landmark_ui(ui, "Buckets", |ui| {
                    let here = bucket.as_deref();
                    buckets_ui(ui, &mut self.buckets, cx.tasks, here, cx.actions);
                });
            });
        // About a quarter of the window at first: 276 points at 1024, 340 at 1280 and more.
        let inspector_width = (ctx.content_rect().width() * 0.27).clamp(240.0, 340.0);
        egui::Panel::right("inspector")
            .resizable(true)
            .default_size(inspector_width)
            .show(ui, |ui| {
                // The panel keeps its width (its default at first, then what the person drags
                // it to) rather than shrinking to its content, which left identifiers little room.
                ui.set_min_width(ui.available_width());
                landmark_ui(ui, "Inspector", |ui| {
                    inspector_ui(ui, &mut self.inspector, &mut cx);
                });
            });
        egui::CentralPanel::default_margins().show(ui, |ui| {
            landmark_ui(ui, "Main view", |ui| {
                notices_ui(ui, &self.notices, cx.actions);
                view_tabs_ui(
                    ui,
                    self.view,
                    bucket.is_some(),
                    self.jobs.running(),
                    cx.actions,
                );
                match (self.view, &bucket) {
                    (CentralView::Jobs, _) => jobs_panel_ui(ui, &mut self.jobs, &mut cx),
                    (CentralView::Audit, Some(_)) if self.job_report.is_some() => {
                        if let Some(report) = &mut self.job_report {
                            job_report_ui(ui, report, &mut cx);
                        }
                    }
                    (CentralView::Security, Some(bucket)) => {
                        bucket_view_ui(ui, &mut self.security, bucket, &mut cx);
                    }
                    (CentralView::Audit, Some(bucket)) => {
                        let here = S3Uri::new(bucket, &self.objects.prefix);
                        audit_view_ui(ui, &mut self.audit, Some(&here), &mut cx);
                    }
                    _ => {
                        breadcrumb_ui(ui, &self.objects, cx.actions);
                        ui.separator();
                        objects_table_ui(ui, &mut self.objects, &mut cx);
                    }
                }
            });
        });
        if let (Some(dialog), Some(bucket)) = (&mut self.upload, &bucket) {
            upload_dialog_ui(&ctx, dialog, bucket, &mut cx);
        }
        if let Some(dialog) = &mut self.key_dialog {
            key_manager_ui(&ctx, dialog, &mut cx);
        }
        if let Some(dialog) = &mut self.rekey {
            rekey_dialog_ui(&ctx, dialog, &mut cx);
        }
        if let Some(welcome) = &mut self.welcome {
            match welcome_ui(&ctx, welcome, &self.connection.discovery, &self.tasks) {
                Some(WelcomeOutcome::Connect(saved)) => {
                    self.state.current = saved;
                    self.welcome = None;
                    actions.push(Action::Connect);
                }
                Some(WelcomeOutcome::Connected(made)) => {
                    self.welcome = None;
                    self.forget_connection_views();
                    self.connection
                        .adopt(&made.saved, made.connection, made.session);
                    self.state.current = made.saved;
                    self.connected();
                }
                Some(WelcomeOutcome::Close) => self.welcome = None,
                None => {}
            }
        }

        for action in actions {
            self.apply(action);
        }
        if self.transfers.any_running() || self.audit.is_running() || self.jobs.is_busy() {
            // Progress bars move without answers: redraw a few times a second.
            self.tasks.repaint_after(Duration::from_millis(200));
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

    /// What arrived for the app itself: the configuration, the connection, the shared lists,
    /// finished transfers, file dialogs, a saved CSV.
    fn poll(&mut self) {
        if self.connection.discovery.poll() {
            self.decide_start();
        }
        if self.connection.connect.poll() {
            self.connected();
        }
        if self.shared.keys.poll()
            && let Some(problem) = self.shared.keys.failed()
        {
            tracing::info!(problem = %problem, "local keys cannot be listed");
        }
        if self.shared.kms.poll()
            && let Some(keys) = self.shared.kms.ready()
        {
            self.shared.kms_names = KmsNames::new(keys);
            // Badges made before the aliases were known show bare key ids.
            self.objects.forget_kms_badges();
        }
        let finished = self.transfers.poll();
        if finished.iter().any(|f| f.kind == TransferKind::Upload) {
            // An upload that stopped is listed as interrupted; one that ended is not.
            self.apply(Action::JournalChanged);
        }
        for finished in finished {
            match &finished.outcome {
                Err(problem) => self.notices.problem(Problem {
                    summary: format!("{}: {}", finished.what, problem.summary),
                    details: problem.details.clone(),
                }),
                Ok(_) if finished.kind != TransferKind::Download => {
                    self.apply(Action::ObjectChanged(finished.uri.clone()));
                }
                Ok(_) => {}
            }
        }
        if self.saving.poll() {
            match &self.saving {
                Requested::Ready(path) => self
                    .notices
                    .info(format!("saved the audit to {}", path.display())),
                Requested::Failed(problem) => self.notices.problem(problem.clone()),
                _ => {}
            }
        }
        self.poll_dialog();
    }

    /// Once the AWS configuration is known: connect, or greet a person with nothing
    /// configured instead of failing (and probing the network).
    fn decide_start(&mut self) {
        if self.start != StartUp::Deciding {
            return;
        }
        self.start = StartUp::Done;
        let found = self.connection.discovery.ready();
        if self.state.current.is_default() && !found.is_some_and(|d| d.has_credentials()) {
            self.welcome = Some(Welcome::new(found));
        } else {
            self.apply(Action::Connect);
        }
    }

    /// The connection answered.
    fn connected(&mut self) {
        let Some(conn) = self.connection.connect.ready().cloned() else {
            return;
        };
        self.tasks = self.tasks.with_connection(conn.clone());
        self.shared.plain_http = conn.is_plain_http();
        if self.shared.plain_http {
            self.notices.problem(Problem {
                summary: "This connection is plain HTTP: data and credentials travel unencrypted, and SSE-C is refused.".to_owned(),
                details: None,
            });
        }
        let current = self.state.current.clone();
        if !self.connection.is_session_only() {
            // A connection whose key is held for this session only could not be made again.
            self.state.remember(&current);
        }
        self.buckets.load(&self.tasks);
        // Which interrupted uploads this connection can resume.
        self.apply(Action::JournalChanged);
        // Aliases name the KMS keys in badges; a failure shows where keys are picked.
        self.apply(Action::LoadKms);
        self.apply(Action::KeysChanged);
        if let Some(uri) = self.goto.take() {
            self.apply(Action::OpenBucket(uri.bucket.clone()));
            if !uri.key.is_empty() {
                let prefix = match uri.key.rfind('/') {
                    Some(i) => uri.key[..=i].to_owned(),
                    None => String::new(),
                };
                self.apply(Action::OpenPrefix(prefix));
            }
        }
    }

    /// Badges and rows that depended on the local keys are asked again.
    pub(super) fn keys_changed(&mut self) {
        let keys = self.tasks.keys().clone();
        self.shared.keys = Requested::Pending(self.tasks.run(async move {
            keys.forget().await;
            let manager = keys.manager().await?;
            manager.blocking(|k| k.list()).await
        }));
        self.objects.forget_unresolved_badges();
    }

    /// The inspector learnt about an object: its badge shows the same.
    pub(super) fn inspected(&mut self, uri: &S3Uri, info: &crate::s3::ObjectInfo) {
        if self.objects.bucket.as_deref() == Some(uri.bucket.as_str()) {
            let etag = self.objects.listed(&uri.key).and_then(|e| e.etag.clone());
            let badge = Badge::from_info(info, &self.shared.kms_names);
            self.objects
                .set_badge(&uri.key, BadgeEntry::Known { badge, etag });
        }
    }

    /// The selected folder, if a folder row is selected.
    pub(super) fn selected_folder(&self) -> Option<String> {
        match self.objects.selected_row() {
            Some(Row::Folder { prefix, .. }) => Some(prefix.clone()),
            _ => None,
        }
    }

    /// Lists the KMS keys and aliases (for pickers and badges), once.
    pub(super) fn load_kms(&mut self) {
        if self.shared.kms.is_pending() || self.tasks.connection().is_none() {
            return;
        }
        self.shared.kms = Requested::Pending(
            self.tasks
                .s3(|conn, _, _| async move { kms::list_kms_keys(&conn).await }),
        );
    }
}

/// The three views of an open bucket, and the jobs (with or without a bucket).
fn view_tabs_ui(
    ui: &mut egui::Ui,
    current: CentralView,
    in_bucket: bool,
    jobs_running: usize,
    actions: &mut Vec<Action>,
) {
    ui.horizontal(|ui| {
        let tabs: &[(CentralView, &str)] = if in_bucket {
            &[
                (CentralView::Objects, "Objects"),
                (CentralView::Security, "Bucket security"),
                (CentralView::Audit, "Audit"),
                (CentralView::Jobs, "Jobs"),
            ]
        } else {
            &[
                (CentralView::Objects, "Objects"),
                (CentralView::Jobs, "Jobs"),
            ]
        };
        for &(view, label) in tabs {
            if ui.selectable_label(current == view, label).clicked() && current != view {
                actions.push(Action::ShowView(view));
            }
        }
        if jobs_running > 0 {
            ui.label(egui::RichText::new(format!("{jobs_running} running")).weak());
        }
    });
    ui.separator();
}

fn shortcuts(ctx: &egui::Context, in_bucket: bool, actions: &mut Vec<Action>) {
    use egui::{Key, KeyboardShortcut, Modifiers};
    let typing = ctx.text_edit_focused();
    // Enter and Space activate the control that has keyboard focus: Enter opens the selected
    // row only when no control has it.
    let focused = ctx.memory(|m| m.focused().is_some());
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
            if !focused && i.consume_key(Modifiers::NONE, Key::Enter) {
                actions.push(Action::OpenSelected);
            }
            if i.consume_key(Modifiers::NONE, Key::Delete) {
                actions.push(Action::ConfirmDeleteSelected);
            }
        }
    });
}

impl Drop for S3SealApp {
    /// Quitting interrupts the jobs this window runs, so that they stay resumable.
    fn drop(&mut self) {
        self.jobs.interrupt_all();
    }
}

impl eframe::App for S3SealApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        S3SealApp::ui(self, ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        if self.connection.is_session_only() {
            // Its key is forgotten with the window: the next run starts from the welcome.
            let mut state = self.state.clone();
            state.current = SavedConnection::default();
            eframe::set_value(storage, STORAGE_KEY, &state);
        } else {
            eframe::set_value(storage, STORAGE_KEY, &self.state);
        }
    }
}
