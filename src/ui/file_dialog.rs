//! Native file dialogs behind a small trait, so tests can hand in paths.
//!
//! The real dialog (rfd) runs on a plain thread of its own — never on the UI thread, and not
//! on a tokio worker — and delivers its answer through a channel, waking the UI.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};

/// Which dialog to show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DialogRequest {
    /// Files to upload (several).
    OpenFiles,
    /// One file to read a key from.
    OpenFile,
    /// One folder (to upload, or to download a folder into).
    OpenFolder,
    /// Where to save, suggesting a file name.
    SaveFile { suggested_name: String },
}

/// An answer that will arrive later: `None` inside means the user cancelled.
#[derive(Debug)]
pub struct PendingDialog {
    rx: mpsc::Receiver<Vec<PathBuf>>,
}

impl PendingDialog {
    /// `Some(paths)` once answered (empty when cancelled); `None` while still open.
    pub fn poll(&self) -> Option<Vec<PathBuf>> {
        match self.rx.try_recv() {
            Ok(paths) => Some(paths),
            Err(mpsc::TryRecvError::Empty) => None,
            Err(mpsc::TryRecvError::Disconnected) => Some(Vec::new()),
        }
    }

    /// An already-answered dialog.
    pub fn ready(paths: Vec<PathBuf>) -> Self {
        let (tx, rx) = mpsc::channel();
        let _ = tx.send(paths);
        Self { rx }
    }
}

/// Shows file dialogs without blocking the caller.
pub trait FileDialog: Send {
    fn open(&mut self, request: DialogRequest, ctx: &egui::Context) -> PendingDialog;
}

/// The platform's dialogs through rfd (xdg-desktop-portal on Linux).
#[derive(Debug, Default)]
pub struct NativeFileDialog;

impl FileDialog for NativeFileDialog {
    fn open(&mut self, request: DialogRequest, ctx: &egui::Context) -> PendingDialog {
        let (tx, rx) = mpsc::channel();
        let ctx = ctx.clone();
        let spawned = std::thread::Builder::new()
            .name("s3seal-dialog".to_owned())
            .spawn(move || {
                let dialog = rfd::FileDialog::new();
                let paths = match request {
                    DialogRequest::OpenFiles => dialog.pick_files().unwrap_or_default(),
                    DialogRequest::OpenFile => dialog.pick_file().into_iter().collect(),
                    DialogRequest::OpenFolder => dialog.pick_folder().into_iter().collect(),
                    DialogRequest::SaveFile { suggested_name } => dialog
                        .set_file_name(suggested_name)
                        .save_file()
                        .into_iter()
                        .collect(),
                };
                let _ = tx.send(paths);
                ctx.request_repaint();
            });
        if let Err(err) = spawned {
            tracing::warn!(error = %err, "cannot start the file dialog thread");
        }
        PendingDialog { rx }
    }
}

/// Hands in prepared answers, first in first out; an empty queue answers "cancelled".
/// Clones share the queue, so a test can keep one and give the other to the app.
#[derive(Clone, Debug, Default)]
pub struct TestFileDialog {
    answers: Arc<Mutex<VecDeque<Vec<PathBuf>>>>,
    asked: Arc<Mutex<Vec<DialogRequest>>>,
}

impl TestFileDialog {
    pub fn new() -> Self {
        Self::default()
    }

    /// The next dialog shown answers `paths`.
    pub fn answer(&self, paths: Vec<PathBuf>) {
        self.answers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push_back(paths);
    }

    /// Every dialog asked for so far.
    pub fn asked(&self) -> Vec<DialogRequest> {
        self.asked
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl FileDialog for TestFileDialog {
    fn open(&mut self, request: DialogRequest, _ctx: &egui::Context) -> PendingDialog {
        self.asked
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(request);
        let paths = self
            .answers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop_front()
            .unwrap_or_default();
        PendingDialog::ready(paths)
    }
}
