//! Interrupted transfers, at the top of the transfers panel: uploads the journal recorded that
//! stopped before they finished (a crash, a kill, a lost network), listed at start and after
//! connecting. "Resume" continues one as a transfer row (only the missing parts are sent, or it
//! starts over and says why); "Discard…" aborts it on S3 and forgets it, confirmed in place.
//! An upload started on another endpoint can only be resumed or discarded when connected there.

use egui::RichText;

use super::actions::Action;
use super::format::{human_size, utc_minute};
use super::notices::problem_ui;
use super::remedy::Problem;
use super::request::{Request, Requested};
use super::shared::Cx;
use super::tasks::Tasks;
use super::transfers::{TransferKind, Transfers};
use crate::progress::Progress;
use crate::s3::S3Uri;
use crate::transfer::interrupted::{
    Direction, InterruptedTransfer, Outlook, Resumed, discard_transfer, interrupted_transfers,
    resume_transfer,
};
use crate::transfer::journal::{EntryId, Journal};

/// The interrupted transfers and what is being done to them.
#[derive(Debug, Default)]
pub struct InterruptedView {
    list: Requested<Vec<InterruptedTransfer>>,
    /// The entry whose discard waits for the person's yes.
    confirm_discard: Option<EntryId>,
    /// A discard under way: the entry and what it said.
    discarding: Option<(EntryId, Request<String>)>,
    /// What went wrong with the last discard.
    problem: Option<super::remedy::Problem>,
}

impl InterruptedView {
    /// Reads the journal (local files only) for interrupted transfers.
    pub fn load(&mut self, tasks: &Tasks, journal: Option<&Journal>) {
        let Some(journal) = journal.cloned() else {
            return;
        };
        self.list = Requested::Pending(tasks.blocking(move || interrupted_transfers(&journal)));
    }
}

/// Why an entry cannot be resumed or discarded from here, if it cannot.
fn elsewhere(entry: &InterruptedTransfer, here: Option<&str>) -> Option<String> {
    match here {
        None => Some("connect to resume or discard it".to_owned()),
        Some(place) if place != entry.endpoint => Some(format!(
            "started on {}: connect there to resume",
            entry.endpoint
        )),
        Some(_) => None,
    }
}

/// The outcome of a resumed upload, in a sentence.
fn resumed_words(resumed: &Resumed) -> String {
    let (done, note) = match resumed {
        Resumed::Upload(outcome) => (
            format!("uploaded {}", human_size(outcome.size)),
            outcome.continuation.note(),
        ),
        Resumed::Download(fetched) => (fetched.summary(), fetched.outcome.start.note()),
    };
    match note {
        Some(note) => format!("{note}; {done}"),
        None => done,
    }
}

/// An entry as a row says it: which way, and from where to where.
fn direction_words(entry: &InterruptedTransfer) -> (&'static str, String) {
    match entry.direction {
        Direction::Upload => (
            "⏸ upload",
            format!("{} to {}", entry.file.display(), entry.object),
        ),
        Direction::Download => (
            "⏸ download",
            format!("{} to {}", entry.object, entry.file.display()),
        ),
    }
}

/// What resuming would do, in words.
fn outlook_words(outlook: &Outlook, direction: Direction) -> String {
    match outlook {
        Outlook::Continues => match direction {
            Direction::Upload => "Resume sends only the missing parts".to_owned(),
            Direction::Download => "Resume fetches only the missing ranges".to_owned(),
        },
        Outlook::StartsOver(reason) => format!("Resume starts over: {}", reason.phrase()),
        Outlook::SourceMissing => "the file is gone: it can only be discarded".to_owned(),
    }
}

pub fn interrupted_ui(
    ui: &mut egui::Ui,
    view: &mut InterruptedView,
    transfers: &mut Transfers,
    cx: &mut Cx<'_>,
) {
    if view.list.poll()
        && let Some(problem) = view.list.failed()
    {
        tracing::info!(problem = %problem, "interrupted transfers cannot be listed");
    }
    if let Some((_, request)) = &mut view.discarding
        && let Some(answer) = request.try_take()
    {
        match answer {
            Ok(done) => cx.actions.push(Action::Info(done)),
            Err(err) => view.problem = Some(super::remedy::Problem::from(err)),
        }
        view.discarding = None;
        view.load(cx.tasks, cx.shared.journal.as_ref());
    }
    let Requested::Ready(list) = &view.list else {
        return;
    };
    if list.is_empty() && view.problem.is_none() {
        return;
    }
    let here = cx.tasks.connection().map(|c| c.place());
    let mut resume = None;
    let mut discard = None;
    ui.horizontal(|ui| {
        ui.label(RichText::new("Interrupted transfers").strong());
        ui.label(
            RichText::new(format!(
                "{} upload{} stopped before {} finished",
                list.len(),
                if list.len() == 1 { "" } else { "s" },
                if list.len() == 1 { "it" } else { "they" }
            ))
            .weak(),
        );
    });
    if let Some(problem) = &view.problem {
        problem_ui(ui, problem);
    }
    egui::Grid::new("interrupted-grid")
        .num_columns(4)
        .spacing([10.0, 4.0])
        .show(ui, |ui| {
            for entry in list {
                let (label, what) = direction_words(entry);
                ui.label(label);
                ui.add(egui::Label::new(&what).truncate())
                    .on_hover_text(&what);
                ui.label(format!(
                    "{} of {} done ({} of {} {}) · {} · started {}",
                    human_size(entry.bytes_done),
                    human_size(entry.size),
                    entry.parts_done,
                    entry.parts_total,
                    match entry.direction {
                        Direction::Upload => "parts",
                        Direction::Download => "ranges",
                    },
                    entry.encryption,
                    utc_minute(&entry.started)
                ));
                ui.push_id(entry.id.as_str(), |ui| {
                    ui.horizontal(|ui| {
                        entry_actions_ui(
                            ui,
                            view_state(&view.confirm_discard, &view.discarding, entry),
                            entry,
                            here.as_deref(),
                            &mut resume,
                            &mut discard,
                        );
                    });
                });
                ui.end_row();
            }
        });
    ui.separator();
    if let Some(entry) = resume {
        start_resume(view, transfers, cx, &entry);
    }
    match discard {
        Some(DiscardAsk::Confirm(id)) => view.confirm_discard = Some(id),
        Some(DiscardAsk::Keep) => view.confirm_discard = None,
        Some(DiscardAsk::Discard(entry)) => {
            view.confirm_discard = None;
            view.problem = None;
            let journal = cx.shared.journal.clone();
            let id = entry.id.clone();
            let request = cx.tasks.s3(move |conn, _, _| async move {
                let journal = journal.ok_or(crate::Error::NoConfigDir)?;
                discard_transfer(&conn, &journal, &entry.id).await?;
                Ok(match entry.direction {
                    Direction::Upload => format!(
                        "discarded the interrupted upload to {}: S3 deleted its parts",
                        entry.object
                    ),
                    Direction::Download => format!(
                        "discarded the interrupted download of {}: its partial file is deleted",
                        entry.object
                    ),
                })
            });
            view.discarding = Some((id, request));
        }
        None => {}
    }
}

/// Where one entry's discard stands.
#[derive(Clone, Copy, PartialEq, Eq)]
enum RowState {
    Idle,
    Confirming,
    Discarding,
}

fn view_state(
    confirm: &Option<EntryId>,
    discarding: &Option<(EntryId, Request<String>)>,
    entry: &InterruptedTransfer,
) -> RowState {
    if discarding.as_ref().is_some_and(|(id, _)| *id == entry.id) {
        RowState::Discarding
    } else if confirm.as_ref() == Some(&entry.id) {
        RowState::Confirming
    } else {
        RowState::Idle
    }
}

/// What the person asked of a discard.
enum DiscardAsk {
    Confirm(EntryId),
    Keep,
    Discard(InterruptedTransfer),
}

/// One entry's outlook and buttons: Resume, Discard… (or the confirmation in its place).
fn entry_actions_ui(
    ui: &mut egui::Ui,
    state: RowState,
    entry: &InterruptedTransfer,
    here: Option<&str>,
    resume: &mut Option<InterruptedTransfer>,
    discard: &mut Option<DiscardAsk>,
) {
    let blocked = elsewhere(entry, here);
    match state {
        RowState::Discarding => {
            ui.spinner();
            ui.label("Discarding…");
        }
        RowState::Confirming => {
            ui.label(
                RichText::new(format!(
                    "Abort this upload on S3 and forget it? The {} part{} sent ({}) are deleted; the file stays as it is.",
                    entry.parts_done,
                    if entry.parts_done == 1 { "" } else { "s" },
                    human_size(entry.bytes_done)
                ))
                .color(ui.visuals().warn_fg_color),
            );
            if ui.button("Discard upload").clicked() {
                *discard = Some(DiscardAsk::Discard(entry.clone()));
            }
            if ui.button("Keep it").clicked() {
                *discard = Some(DiscardAsk::Keep);
            }
        }
        RowState::Idle => {
            let can = blocked.is_none();
            let resumable = can && entry.outlook != Outlook::SourceMissing;
            if ui
                .add_enabled(resumable, egui::Button::new("Resume"))
                .clicked()
            {
                *resume = Some(entry.clone());
            }
            if ui.add_enabled(can, egui::Button::new("Discard…")).clicked() {
                *discard = Some(DiscardAsk::Confirm(entry.id.clone()));
            }
            match blocked {
                Some(why) => ui.label(RichText::new(why).color(ui.visuals().warn_fg_color)),
                None => {
                    ui.label(RichText::new(outlook_words(&entry.outlook, entry.direction)).weak())
                }
            };
        }
    }
}

/// Resumes `entry` as a transfer row; it leaves the list (its entry is busy while it runs).
fn start_resume(
    view: &mut InterruptedView,
    transfers: &mut Transfers,
    cx: &mut Cx<'_>,
    entry: &InterruptedTransfer,
) {
    let Ok(object) = entry.object.parse::<S3Uri>() else {
        view.problem = Some(Problem::from(crate::Error::Internal(format!(
            "the journal names {} as the object, which is no s3:// address",
            entry.object
        ))));
        return;
    };
    let Some(journal) = cx.shared.journal.clone() else {
        view.problem = Some(Problem::from(crate::Error::NoConfigDir));
        return;
    };
    let progress = Progress::new();
    let (p, id) = (progress.clone(), entry.id.clone());
    let request = cx.tasks.s3(move |conn, keys, cancel| async move {
        let outcome = resume_transfer(&conn, &keys, &journal, &id, &p, &cancel).await?;
        Ok(resumed_words(&outcome))
    });
    let (_, what) = direction_words(entry);
    let kind = match entry.direction {
        Direction::Upload => TransferKind::Upload,
        Direction::Download => TransferKind::Download,
    };
    transfers.start(kind, object, format!("{what} (resumed)"), progress, request);
    if let Requested::Ready(list) = &mut view.list {
        list.retain(|e| e.id != entry.id);
    }
}
