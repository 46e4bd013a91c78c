//! A bucket setting changed the careful way, in place: the change is planned from what the
//! bucket has (nothing written), shown for review (a diff), written only when the person
//! applies it, and refused by the core if the setting changed since the plan — then shown with
//! "Review again". The view that owns it says how to plan, what to show and how to apply.

use std::future::Future;
use std::sync::Arc;

use egui::RichText;

use super::notices::problem_ui;
use super::remedy::Problem;
use super::request::Request;
use super::tasks::Tasks;
use crate::error::{Error, Result};
use crate::s3::Connection;

/// How applying a plan ended.
#[derive(Debug)]
pub enum Applied {
    /// Written; what S3 now reports, in words.
    Done(String),
    /// The setting changed since the plan: nothing was written.
    Conflict(Problem),
}

/// Where a planned change stands.
#[derive(Debug)]
enum Stage<P> {
    Idle,
    Planning(Request<P>),
    Review(Box<P>),
    Applying(Request<Applied>),
    Done(String),
    Conflict(Problem),
    Failed(Problem),
}

/// One change of one setting, from plan to outcome.
#[derive(Debug)]
pub struct PlannedChange<P> {
    stage: Stage<P>,
}

impl<P> Default for PlannedChange<P> {
    fn default() -> Self {
        Self { stage: Stage::Idle }
    }
}

/// What the person asked for, for the owning view to do.
pub enum Ask<P> {
    /// Write this plan.
    Apply(Box<P>),
    /// Plan again from what the bucket has now.
    ReviewAgain,
}

/// The words of one kind of change.
pub struct Words<'a> {
    /// While the plan is made: what is read.
    pub reading: &'a str,
    /// The button that writes the change.
    pub apply: &'a str,
}

impl<P: Send + 'static> PlannedChange<P> {
    /// Starts planning (whatever stood before is dropped, and so cancelled).
    pub fn plan(&mut self, plan: Request<P>) {
        self.stage = Stage::Planning(plan);
    }

    /// Writes the reviewed plan: `work` returns what S3 reports afterwards; a
    /// [`Error::Conflict`] is kept apart so the person can review again.
    pub fn apply<F, Fut>(&mut self, tasks: &Tasks, work: F)
    where
        F: FnOnce(Arc<Connection>) -> Fut,
        Fut: Future<Output = Result<String>> + Send + 'static,
    {
        self.stage = Stage::Applying(tasks.s3(move |conn, _, _| {
            let work = work(conn);
            async move {
                match work.await {
                    Ok(done) => Ok(Applied::Done(done)),
                    Err(err @ Error::Conflict { .. }) => Ok(Applied::Conflict(Problem::from(err))),
                    Err(err) => Err(err),
                }
            }
        }));
    }

    /// Nothing planned or shown.
    pub fn is_idle(&self) -> bool {
        matches!(self.stage, Stage::Idle)
    }

    /// Nothing waits for the person (idle, or the last change ended): a new one may start.
    pub fn settled(&self) -> bool {
        matches!(self.stage, Stage::Idle | Stage::Done(_) | Stage::Failed(_))
    }

    /// Forgets how the last change ended.
    pub fn reset(&mut self) {
        self.stage = Stage::Idle;
    }

    /// A plan or a write under way.
    pub fn is_busy(&self) -> bool {
        matches!(self.stage, Stage::Planning(_) | Stage::Applying(_))
    }

    /// Takes what arrived. True on the frame a change was written (read the setting again).
    pub fn poll(&mut self) -> bool {
        let answer = match &mut self.stage {
            Stage::Planning(request) => request
                .try_take()
                .map(|a| a.map(|p| Stage::Review(Box::new(p)))),
            Stage::Applying(request) => request.try_take().map(|a| {
                a.map(|applied| match applied {
                    Applied::Done(text) => Stage::Done(text),
                    Applied::Conflict(problem) => Stage::Conflict(problem),
                })
            }),
            _ => None,
        };
        let Some(answer) = answer else {
            return false;
        };
        self.stage = answer.unwrap_or_else(|err| Stage::Failed(Problem::from(err)));
        matches!(self.stage, Stage::Done(_))
    }
}

/// Draws the change where it stands. `review` draws the plan and returns whether it changes
/// anything (if not, there is nothing to apply).
pub fn planned_change_ui<P>(
    ui: &mut egui::Ui,
    change: &mut PlannedChange<P>,
    words: &Words<'_>,
    review: impl FnOnce(&mut egui::Ui, &P) -> bool,
) -> Option<Ask<P>> {
    let mut close = false;
    let mut ask = None;
    match &change.stage {
        Stage::Idle => {}
        Stage::Planning(_) => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(words.reading);
            });
            close = ui.button("Cancel").clicked();
        }
        Stage::Review(plan) => {
            let changes = review(ui, plan);
            ui.horizontal(|ui| {
                if changes && ui.button(words.apply).clicked() {
                    ask = Some(());
                }
                close = ui
                    .button(if changes { "Cancel" } else { "Close" })
                    .clicked();
            });
        }
        Stage::Applying(_) => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Writing the change…");
            });
        }
        Stage::Done(text) => {
            ui.label(RichText::new(format!("✔ {text}")).color(super::theme::good(ui.visuals())));
        }
        Stage::Conflict(problem) => {
            problem_ui(ui, problem);
            ui.horizontal(|ui| {
                if ui.button("Review again").clicked() {
                    ask = Some(());
                }
                close = ui.button("Cancel").clicked();
            });
        }
        Stage::Failed(problem) => {
            problem_ui(ui, problem);
            close = ui.button("Close").clicked();
        }
    }
    if close {
        change.stage = Stage::Idle;
    }
    ask.and_then(
        |()| match std::mem::replace(&mut change.stage, Stage::Idle) {
            Stage::Review(plan) => Some(Ask::Apply(plan)),
            Stage::Conflict(_) => Some(Ask::ReviewAgain),
            other => {
                change.stage = other;
                None
            }
        },
    )
}
