//! Folder transfers in the transfers panel: one row per folder (files done of all, bytes, rate,
//! ETA, cancel) that expands into its files, each with where it stands; the files that failed
//! are listed under the row with their problem. Each row owns its request, a core
//! [`upload_tree`] or [`download_tree`]: cancelling drops it, which stops every file at once.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use egui::RichText;

use super::format::{eta, human_size, speed};
use super::notices::problem_ui;
use super::remedy::Problem;
use super::request::Requested;
use super::tasks::Tasks;
use super::transfers::{Finished, TransferKind, update_rate};
use crate::error::Error;
use crate::s3::{ReadOptions, S3Uri};
use crate::transfer::tree::{
    self, FileState, TreeDownload, TreeOptions, TreeProgress, TreeReport, TreeSnapshot, TreeUpload,
    download_tree, upload_tree,
};
use crate::transfer::write_mode::{EncryptionChoice, resolve_write_mode};

/// Files listed when a row is expanded, and failures listed under a finished row.
const FILES_SHOWN: usize = 500;
const FAILURES_SHOWN: usize = 20;

/// One folder transfer.
#[derive(Debug)]
pub struct FolderTransfer {
    id: u64,
    kind: TransferKind,
    /// The prefix transferred.
    prefix: S3Uri,
    what: String,
    progress: TreeProgress,
    state: Requested<String>,
    /// Smoothed bytes per second, and the last sample it was updated from.
    rate: f64,
    last: (Instant, u64),
}

impl FolderTransfer {
    fn is_running(&self) -> bool {
        self.state.is_pending()
    }

    fn sample(&mut self, now: Instant, done: u64) {
        update_rate(&mut self.rate, &mut self.last, now, done);
    }
}

/// Every folder transfer of this session.
#[derive(Debug, Default)]
pub struct FolderTransfers {
    pub rows: Vec<FolderTransfer>,
    next_id: u64,
}

impl FolderTransfers {
    fn push(&mut self, kind: TransferKind, prefix: S3Uri, what: String) -> &mut FolderTransfer {
        self.next_id += 1;
        let now = Instant::now();
        self.rows.push(FolderTransfer {
            id: self.next_id,
            kind,
            prefix,
            what,
            progress: TreeProgress::new(),
            state: Requested::NotAsked,
            rate: 0.0,
            last: (now, 0),
        });
        let last = self.rows.len() - 1;
        &mut self.rows[last]
    }

    /// Uploads every file of `root` that `options` choose under `prefix` of `bucket`.
    pub fn upload(
        &mut self,
        tasks: &Tasks,
        bucket: &str,
        root: PathBuf,
        prefix: String,
        encryption: EncryptionChoice,
        options: TreeOptions,
    ) {
        let dest = S3Uri::new(bucket, prefix);
        let what = format!("{} to {dest}", root.display());
        let row = self.push(TransferKind::Upload, dest.clone(), what);
        let progress = row.progress.clone();
        row.state = Requested::Pending(tasks.s3(move |conn, keys, cancel| async move {
            let mode = resolve_write_mode(&conn, &keys, &encryption, &dest.bucket).await?;
            let request = TreeUpload {
                root: &root,
                dest: &dest,
                mode: &mode,
                options: &options,
            };
            let report = upload_tree(&conn, &request, &progress, &cancel).await?;
            outcome(&report, "uploaded", &format!(" with {}", mode.describe()))
        }));
    }

    /// Downloads every object under `source` (a prefix) into `into`, in a folder named after
    /// the prefix's last part.
    pub fn download(&mut self, tasks: &Tasks, read: ReadOptions, source: S3Uri, into: PathBuf) {
        let root = into.join(prefix_name(&source.key));
        let what = format!("{source} to {}", root.display());
        let row = self.push(TransferKind::Download, source.clone(), what);
        let progress = row.progress.clone();
        row.state = Requested::Pending(tasks.s3(move |conn, keys, cancel| async move {
            let request = TreeDownload {
                source: &source,
                root: &root,
                read: &read,
                options: &TreeOptions::default(),
            };
            let report = download_tree(&conn, &keys, &request, &progress, &cancel).await?;
            outcome(&report, "saved", "")
        }));
    }

    /// The folder transfers that ended since the last poll. An upload is told as a change of
    /// its folder (the key without its last `/`), so the listing that shows it lists again.
    pub fn poll(&mut self) -> Vec<Finished> {
        let mut finished = Vec::new();
        for row in &mut self.rows {
            if row.state.poll() {
                let outcome = match &row.state {
                    Requested::Ready(text) => Ok(text.clone()),
                    Requested::Failed(problem) => Err(problem.clone()),
                    _ => continue,
                };
                let key = row.prefix.key.trim_end_matches('/');
                finished.push(Finished {
                    kind: row.kind,
                    uri: S3Uri::new(&row.prefix.bucket, key),
                    what: row.what.clone(),
                    outcome,
                });
            }
        }
        finished
    }

    /// Stops a folder transfer, every file of it: dropping its request cancels it.
    fn cancel(&mut self, id: u64) {
        if let Some(row) = self.rows.iter_mut().find(|r| r.id == id && r.is_running()) {
            row.state = Requested::Failed(Problem::from(Error::Cancelled));
        }
    }

    pub fn clear_finished(&mut self) {
        self.rows.retain(FolderTransfer::is_running);
    }

    pub fn any_running(&self) -> bool {
        self.rows.iter().any(FolderTransfer::is_running)
    }

    pub fn running(&self) -> usize {
        self.rows.iter().filter(|r| r.is_running()).count()
    }
}

/// The last part of a prefix: `a/photos/` → `photos`; the bucket's root → `download`.
fn prefix_name(prefix: &str) -> String {
    prefix
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .filter(|name| !name.is_empty())
        .unwrap_or("download")
        .to_owned()
}

/// The row's final words, or the failure of some files (listed under the row).
fn outcome(report: &TreeReport, verb: &str, how: &str) -> crate::Result<String> {
    let counts = report.verdict()?;
    let mut text = format!(
        "{verb} {} file{} ({}){how}",
        counts.transferred,
        if counts.transferred == 1 { "" } else { "s" },
        human_size(counts.transferred_bytes)
    );
    if counts.skipped > 0 {
        text.push_str(&format!(", {} skipped", counts.skipped));
    }
    Ok(text)
}

/// The folder rows, below the single transfers.
pub fn folder_rows_ui(ui: &mut egui::Ui, folders: &mut FolderTransfers) {
    let now = Instant::now();
    let mut cancel = None;
    for row in &mut folders.rows {
        let snap = row.progress.snapshot();
        row.sample(now, snap.bytes_done);
        ui.push_id(("folder-transfer", row.id), |ui| {
            ui.horizontal(|ui| {
                ui.label(match row.kind {
                    TransferKind::Upload => "⬆ folder upload",
                    TransferKind::Download | TransferKind::Rekey => "⬇ folder download",
                });
                ui.add(egui::Label::new(&row.what).truncate())
                    .on_hover_text(&row.what);
                match &row.state {
                    Requested::Pending(_) | Requested::NotAsked => {
                        progress_ui(ui, &snap, row.rate);
                        if ui.small_button("Cancel").clicked() {
                            cancel = Some(row.id);
                        }
                    }
                    Requested::Ready(text) => {
                        ui.label(
                            RichText::new(format!("✔ {text}"))
                                .color(super::theme::good(ui.visuals())),
                        );
                    }
                    Requested::Failed(problem) => {
                        ui.vertical(|ui| {
                            problem_ui(
                                ui,
                                &Problem {
                                    summary: format!("✖ {}", problem.summary),
                                    details: problem.details.clone(),
                                },
                            );
                        });
                    }
                }
            });
            if !row.is_running() {
                failures_ui(ui, &row.progress, snap.files_failed);
            }
            files_ui(ui, row, &snap);
        });
    }
    if let Some(id) = cancel {
        folders.cancel(id);
    }
}

/// "3 of 10 files · 1.2 MiB of 5 MiB · 2 MiB/s · ETA 3 s" on a bar.
fn progress_ui(ui: &mut egui::Ui, snap: &TreeSnapshot, rate: f64) {
    if !snap.planned {
        ui.spinner();
        ui.label(format!("{} files found…", snap.files_total));
        return;
    }
    let fraction = if snap.bytes_total > 0 {
        snap.bytes_done as f32 / snap.bytes_total as f32
    } else if snap.files_total > 0 {
        snap.files_done as f32 / snap.files_total as f32
    } else {
        0.0
    };
    let remaining = snap.bytes_total.saturating_sub(snap.bytes_done);
    let eta_text = if rate > 0.0 {
        eta(Duration::from_secs_f64(remaining as f64 / rate))
    } else {
        "—".to_owned()
    };
    ui.add(
        egui::ProgressBar::new(fraction)
            .desired_width(320.0)
            .text(format!(
                "{} of {} files · {} of {} · {} · ETA {eta_text}",
                snap.files_done,
                snap.files_total,
                human_size(snap.bytes_done),
                human_size(snap.bytes_total),
                speed(rate)
            )),
    );
}

/// The files that failed, each with its problem, under a finished row.
fn failures_ui(ui: &mut egui::Ui, progress: &TreeProgress, failed: u64) {
    if failed == 0 {
        return;
    }
    let failures = progress
        .files()
        .iter()
        .filter_map(|file| match file.state() {
            FileState::Failed(err) if !matches!(*err, Error::Cancelled) => Some((file, err)),
            _ => None,
        });
    for (file, err) in failures.take(FAILURES_SHOWN) {
        ui.horizontal(|ui| {
            ui.label(RichText::new(format!("✖ {}", file.rel)).strong());
            ui.vertical(|ui| problem_ui(ui, &Problem::from(err.as_ref())));
        });
    }
    if failed as usize > FAILURES_SHOWN {
        ui.label(
            RichText::new(format!(
                "and {} more: expand the files to see them all",
                failed as usize - FAILURES_SHOWN
            ))
            .weak(),
        );
    }
}

/// The row expanded: every file with where it stands.
fn files_ui(ui: &mut egui::Ui, row: &FolderTransfer, snap: &TreeSnapshot) {
    let files = row.progress.files();
    if files.is_empty() {
        return;
    }
    let name = prefix_name(&row.prefix.key);
    egui::CollapsingHeader::new(format!("{} files in {name}", snap.files_total))
        .id_salt(("folder-files", row.id))
        .show(ui, |ui| {
            egui::Grid::new(("folder-files-grid", row.id))
                .num_columns(3)
                .spacing([10.0, 2.0])
                .show(ui, |ui| {
                    for file in files.iter().take(FILES_SHOWN) {
                        ui.label(&file.rel);
                        ui.label(human_size(file.size));
                        ui.label(state_text(&file.state(), file, row.is_running()));
                        ui.end_row();
                    }
                });
            if files.len() > FILES_SHOWN {
                ui.label(RichText::new(format!("and {} more", files.len() - FILES_SHOWN)).weak());
            }
        });
}

/// Where one file stands, in words.
fn state_text(state: &FileState, file: &tree::FileRow, running: bool) -> String {
    match state {
        FileState::Queued if running => "waiting".to_owned(),
        FileState::Running if running => {
            let (done, _) = file.progress.snapshot();
            format!(
                "{} of {}",
                human_size(done.min(file.size)),
                human_size(file.size)
            )
        }
        FileState::Queued | FileState::Running => "stopped".to_owned(),
        FileState::Done => "✔ done".to_owned(),
        FileState::Skipped(reason) => format!("skipped: {}", reason.describe()),
        FileState::Failed(err) if matches!(**err, Error::Cancelled) => "stopped".to_owned(),
        FileState::Failed(err) => format!("✖ {}", Problem::from(err.as_ref()).summary),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_name_their_folder() {
        assert_eq!(prefix_name("a/photos/"), "photos");
        assert_eq!(prefix_name("photos"), "photos");
        assert_eq!(prefix_name(""), "download");
    }
}
