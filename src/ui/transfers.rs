//! The transfers panel at the bottom: every upload, download and rekey with a progress bar,
//! speed, ETA and cancel; finished ones keep their outcome, failures their problem. Each row
//! owns its request: Cancel asks the transfer to stop, and it aborts what it started (a
//! multipart upload is aborted, as Ctrl-C does on the command line) before the row says so.

use std::time::{Duration, Instant};

use egui::RichText;

use super::folder_transfers::{FolderTransfers, folder_rows_ui};
use super::format::{eta, fraction, human_size, speed};
use super::notices::problem_ui;
use super::remedy::Problem;
use super::request::Requested;
use crate::progress::Progress;
use crate::s3::S3Uri;

/// Identifies one transfer row.
pub type TransferId = u64;

/// What a transfer does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransferKind {
    Upload,
    Download,
    Rekey,
}

impl TransferKind {
    fn label(self) -> &'static str {
        match self {
            Self::Upload => "⬆ upload",
            Self::Download => "⬇ download",
            Self::Rekey => "🔁 rekey",
        }
    }
}

/// One row.
#[derive(Debug)]
pub struct Transfer {
    pub id: TransferId,
    pub kind: TransferKind,
    /// The object transferred.
    pub uri: S3Uri,
    pub what: String,
    pub progress: Progress,
    pub state: Requested<String>,
    /// Cancel was pressed: the transfer is cleaning up.
    stopping: bool,
    started: Instant,
    /// Smoothed bytes per second, and the last sample it was updated from.
    rate: f64,
    last: (Instant, u64),
}

impl Transfer {
    pub fn is_running(&self) -> bool {
        self.state.is_pending()
    }

    /// Updates the speed estimate from the progress counters.
    fn sample(&mut self, now: Instant) {
        let (done, _) = self.progress.snapshot();
        update_rate(&mut self.rate, &mut self.last, now, done);
    }
}

/// Smooths a transfer's speed: `done` bytes at `now`, against the `last` sample.
pub(super) fn update_rate(rate: &mut f64, last: &mut (Instant, u64), now: Instant, done: u64) {
    let dt = now.duration_since(last.0).as_secs_f64();
    if dt >= 0.25 {
        let instant_rate = done.saturating_sub(last.1) as f64 / dt;
        *rate = if *rate == 0.0 {
            instant_rate
        } else {
            0.7 * *rate + 0.3 * instant_rate
        };
        *last = (now, done);
    }
}

/// A transfer that ended this frame.
pub struct Finished {
    pub kind: TransferKind,
    pub uri: S3Uri,
    pub what: String,
    pub outcome: Result<String, Problem>,
}

/// All transfers of this session.
#[derive(Debug, Default)]
pub struct Transfers {
    pub rows: Vec<Transfer>,
    /// Folder transfers, one row each.
    pub folders: FolderTransfers,
    next_id: TransferId,
}

impl Transfers {
    /// Adds a running transfer; returns its id.
    pub fn start(
        &mut self,
        kind: TransferKind,
        uri: S3Uri,
        what: String,
        progress: Progress,
        request: super::request::Request<String>,
    ) -> TransferId {
        self.next_id += 1;
        let now = Instant::now();
        self.rows.push(Transfer {
            id: self.next_id,
            kind,
            uri,
            what,
            progress,
            state: Requested::Pending(request),
            stopping: false,
            started: now,
            rate: 0.0,
            last: (now, 0),
        });
        self.next_id
    }

    /// The transfers that ended since the last poll.
    pub fn poll(&mut self) -> Vec<Finished> {
        let mut finished = Vec::new();
        for t in &mut self.rows {
            if t.state.poll() {
                let outcome = match &t.state {
                    Requested::Ready(text) => Ok(text.clone()),
                    Requested::Failed(problem) => Err(problem.clone()),
                    _ => continue,
                };
                finished.push(Finished {
                    kind: t.kind,
                    uri: t.uri.clone(),
                    what: t.what.clone(),
                    outcome,
                });
            }
        }
        finished.extend(self.folders.poll());
        finished
    }

    /// Asks a transfer to stop; its answer (cancelled) comes once it cleaned up.
    pub fn cancel(&mut self, id: TransferId) {
        if let Some(t) = self.rows.iter_mut().find(|t| t.id == id)
            && let Requested::Pending(request) = &t.state
        {
            request.stop();
            t.stopping = true;
        }
    }

    pub fn clear_finished(&mut self) {
        self.rows.retain(Transfer::is_running);
        self.folders.clear_finished();
    }

    pub fn any_running(&self) -> bool {
        self.rows.iter().any(Transfer::is_running) || self.folders.any_running()
    }
}

pub fn transfers_ui(ui: &mut egui::Ui, transfers: &mut Transfers) {
    let mut cancel = None;
    let mut clear = false;
    ui.horizontal(|ui| {
        ui.label(RichText::new("Transfers").strong());
        let running =
            transfers.rows.iter().filter(|t| t.is_running()).count() + transfers.folders.running();
        ui.label(RichText::new(format!("{running} running")).weak());
        if (transfers.rows.iter().any(|t| !t.is_running())
            || transfers.folders.rows.len() > transfers.folders.running())
            && ui.small_button("Clear finished").clicked()
        {
            clear = true;
        }
    });
    if transfers.rows.is_empty() && transfers.folders.rows.is_empty() {
        ui.label(RichText::new("No transfers yet").weak());
        return;
    }
    let now = Instant::now();
    egui::ScrollArea::vertical()
        .id_salt("transfers-scroll")
        .auto_shrink([false, true])
        .stick_to_bottom(true)
        .show(ui, |ui| {
            egui::Grid::new("transfers-grid")
                .num_columns(4)
                .spacing([10.0, 4.0])
                .show(ui, |ui| {
                    for t in &mut transfers.rows {
                        t.sample(now);
                        ui.label(t.kind.label());
                        ui.add(egui::Label::new(&t.what).truncate())
                            .on_hover_text(&t.what);
                        let (done, total) = t.progress.snapshot();
                        match &t.state {
                            Requested::Pending(_) | Requested::NotAsked => {
                                let fraction = fraction(done, total);
                                let remaining = total.saturating_sub(done);
                                let eta_text = if t.rate > 0.0 {
                                    eta(Duration::from_secs_f64(remaining as f64 / t.rate))
                                } else {
                                    "—".to_owned()
                                };
                                ui.add(egui::ProgressBar::new(fraction).desired_width(220.0).text(
                                    format!(
                                        "{} of {} · {} · ETA {eta_text}",
                                        human_size(done),
                                        human_size(total),
                                        speed(t.rate)
                                    ),
                                ));
                                if t.stopping {
                                    ui.label(RichText::new("cancelling…").weak());
                                } else if ui.small_button("Cancel").clicked() {
                                    cancel = Some(t.id);
                                }
                            }
                            Requested::Ready(text) => {
                                let secs = t.started.elapsed().as_secs_f32();
                                ui.label(
                                    RichText::new(format!("✔ {text}"))
                                        .color(super::theme::good(ui.visuals())),
                                )
                                .on_hover_text(format!("started {secs:.0} s ago"));
                                ui.label("");
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
                                ui.label("");
                            }
                        }
                        ui.end_row();
                    }
                });
            folder_rows_ui(ui, &mut transfers.folders);
        });
    if let Some(id) = cancel {
        transfers.cancel(id);
    }
    if clear {
        transfers.clear_finished();
    }
}
