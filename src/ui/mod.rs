//! The desktop window: an egui/eframe front end over the library. It browses buckets and
//! objects, shows each object's encryption at a glance, uploads, downloads, re-encrypts, and
//! manages local keys. Each view owns the requests it made ([`request`]): tasks on the
//! background tokio runtime ([`tasks`]) that call whole flows of the core; a view polls them
//! each frame, and dropping one cancels it. Drawing code (`*_ui` functions) draws and asks;
//! it does no I/O. What crosses views is an [`actions::Action`], applied after drawing.

mod actions;
mod app;
mod apply;
mod audit_view;
mod badges;
mod bar_chart;
mod batch_dialog;
mod batch_jobs;
mod bucket_view;
mod buckets;
mod connection;
mod dialogs;
mod encryption_form;
mod endpoint_form;
pub mod file_dialog;
mod folder_transfers;
mod format;
mod incomplete_uploads;
mod inspector;
mod interrupted;
mod inventory_audit;
mod inventory_setup;
mod job_report_view;
mod jobs_panel;
mod key_manager;
mod key_trust;
mod landmark;
mod notices;
mod object_rows;
mod objects_table;
mod one_line;
mod plan_view;
mod planned_change;
pub mod preview;
mod rekey_dialog;
mod remedy;
mod report_table;
mod request;
mod shared;
pub mod state;
mod tasks;
mod theme;
mod transfers;
mod upload_dialog;
mod upload_folder;
mod welcome;

pub use app::{AppOptions, S3SealApp};
pub use file_dialog::{DialogRequest, FileDialog, NativeFileDialog, TestFileDialog};
pub use state::PersistedState;
pub use tasks::Runtime;

use crate::error::{Error, Result};
use crate::s3::{ConnectOptions, S3Uri};

/// The application id: window class on X11/Wayland, and the persistence folder name.
pub const APP_ID: &str = "s3seal";

/// The app icon (PNG), also installed by `assets/s3seal.desktop`.
const ICON_PNG: &[u8] = include_bytes!("../../assets/s3seal.png");

/// Opens the window on the calling thread (which must be the main thread) and returns when it
/// closes. Background work runs on the current tokio runtime if there is one (the binary's
/// `s3seal-io` threads), otherwise on a runtime started here.
pub fn open(connect: ConnectOptions, location: Option<S3Uri>) -> Result<()> {
    let runtime = match tokio::runtime::Handle::try_current() {
        Ok(handle) => Runtime::Handle(handle),
        Err(_) => Runtime::Own,
    };
    let mut viewport = egui::ViewportBuilder::default()
        .with_title("s3seal")
        .with_app_id(APP_ID)
        .with_inner_size([1280.0, 800.0])
        .with_min_inner_size([720.0, 420.0]);
    match eframe::icon_data::from_png_bytes(ICON_PNG) {
        Ok(icon) => viewport = viewport.with_icon(icon),
        Err(err) => tracing::warn!(error = %err, "app icon unreadable"),
    }
    let options = eframe::NativeOptions {
        viewport,
        persist_window: true,
        ..Default::default()
    };
    eframe::run_native(
        APP_ID,
        options,
        Box::new(move |cc| {
            let persisted = cc
                .storage
                .and_then(|s| eframe::get_value::<PersistedState>(s, state::STORAGE_KEY));
            let app = S3SealApp::new(
                &cc.egui_ctx,
                AppOptions {
                    connect: Some(connect),
                    location,
                    config_dir: None,
                    file_dialog: Box::new(NativeFileDialog),
                    runtime,
                    persisted,
                    discovery: None,
                },
            )?;
            Ok(Box::new(app))
        }),
    )
    .map_err(|e| Error::NoWindow(e.to_string()))
}
