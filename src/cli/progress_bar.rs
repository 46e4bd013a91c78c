//! Terminal progress bars (bytes with speed and ETA, object counts, or a folder's files and
//! bytes on one line), and Ctrl-C as cancellation.

use std::io::IsTerminal as _;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::progress::{CancellationToken, Progress};
use crate::transfer::tree::TreeProgress;

const OBJECTS_TEMPLATE: &str = "{msg:>8} [{bar:30}] {pos}/{len} objects {per_sec}";

/// A bar redrawn from a [`Progress`] until dropped. Only on a terminal and without `--quiet`.
pub struct ProgressBarTask {
    bar: ProgressBar,
    task: tokio::task::JoinHandle<()>,
}

impl ProgressBarTask {
    /// A bytes bar (speed, ETA) for a transfer labelled `label`.
    pub fn start(progress: &Progress, quiet: bool, label: &'static str) -> Option<Self> {
        let progress = progress.clone();
        Self::labelled(
            move || progress.snapshot(),
            quiet,
            label,
            "{msg:>8} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}",
        )
    }

    /// A count bar ("N/M objects") for work measured in objects.
    pub fn start_objects(progress: &Progress, quiet: bool, label: &'static str) -> Option<Self> {
        let progress = progress.clone();
        Self::labelled(move || progress.snapshot(), quiet, label, OBJECTS_TEMPLATE)
    }

    /// A count bar read from any `(done, total)` source (a job's progress).
    pub fn start_counting(
        read: impl Fn() -> (u64, u64) + Send + 'static,
        quiet: bool,
        label: &'static str,
    ) -> Option<Self> {
        Self::labelled(read, quiet, label, OBJECTS_TEMPLATE)
    }

    /// A running count of rows whose total is not known ahead (an inventory report).
    pub fn start_rows(progress: &Progress, quiet: bool, label: &'static str) -> Option<Self> {
        let progress = progress.clone();
        Self::labelled(
            move || progress.snapshot(),
            quiet,
            label,
            "{msg:>8} {pos} rows {per_sec}",
        )
    }

    /// One line for a folder transfer: files done of all, bytes, speed and ETA.
    pub fn start_tree(progress: &TreeProgress, quiet: bool, label: &'static str) -> Option<Self> {
        let progress = progress.clone();
        Self::with_template(
            quiet,
            "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}",
            move || {
                let snap = progress.snapshot();
                let files = if snap.planned {
                    format!("{label} {}/{} files", snap.files_done, snap.files_total)
                } else {
                    format!("{label}: listing, {} files so far", snap.files_total)
                };
                (snap.bytes_done, snap.bytes_total, files)
            },
        )
    }

    /// A bar whose message is a fixed label, redrawn from a `(done, total)` source.
    fn labelled(
        read: impl Fn() -> (u64, u64) + Send + 'static,
        quiet: bool,
        label: &'static str,
        template: &str,
    ) -> Option<Self> {
        Self::with_template(quiet, template, move || {
            let (done, total) = read();
            (done, total, label.to_owned())
        })
    }

    /// Redraws the bar every 100 ms from `sample`: (position, length, message).
    fn with_template(
        quiet: bool,
        template: &str,
        sample: impl Fn() -> (u64, u64, String) + Send + 'static,
    ) -> Option<Self> {
        if quiet || !std::io::stderr().is_terminal() {
            return None;
        }
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template(template)
            .map(|s| s.progress_chars("=> "))
            .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        let shown = bar.clone();
        let task = tokio::spawn(async move {
            loop {
                let (done, total, message) = sample();
                shown.set_length(total);
                shown.set_position(done);
                shown.set_message(message);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        });
        Some(Self { bar, task })
    }
}

impl Drop for ProgressBarTask {
    fn drop(&mut self) {
        self.task.abort();
        self.bar.finish_and_clear();
    }
}

/// Cancels `cancel` on Ctrl-C until the returned guard drops, so an interrupted transfer
/// cleans up (temp file removed, multipart upload aborted) instead of dying mid-way.
pub fn cancel_on_ctrl_c(cancel: &CancellationToken) -> tokio_util::sync::DropGuard {
    let token = cancel.clone();
    let watcher = CancellationToken::new();
    let stop = watcher.clone();
    tokio::spawn(async move {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => token.cancel(),
            () = stop.cancelled() => {}
        }
    });
    watcher.drop_guard()
}
