//! Dismissable notices above the table (problems, and a few confirmations), and how any
//! problem is drawn: one plain sentence, the technical detail behind "Details".

use egui::RichText;

use super::actions::Action;
use super::remedy::Problem;

/// How loud a notice is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Notice {
    Info(String),
    Problem(Problem),
}

/// Most notices kept; older ones drop off.
const MAX_NOTICES: usize = 5;

/// The notices not yet dismissed.
#[derive(Debug, Default)]
pub struct Notices {
    pub items: Vec<Notice>,
}

impl Notices {
    pub fn problem(&mut self, problem: Problem) {
        self.push(Notice::Problem(problem));
    }

    pub fn info(&mut self, text: impl Into<String>) {
        self.push(Notice::Info(text.into()));
    }

    fn push(&mut self, notice: Notice) {
        if self.items.last() == Some(&notice) {
            return;
        }
        self.items.push(notice);
        if self.items.len() > MAX_NOTICES {
            self.items.remove(0);
        }
    }

    pub fn dismiss(&mut self, index: usize) {
        if index < self.items.len() {
            self.items.remove(index);
        }
    }
}

pub fn notices_ui(ui: &mut egui::Ui, notices: &Notices, actions: &mut Vec<Action>) {
    for (i, notice) in notices.items.iter().enumerate() {
        let error = matches!(notice, Notice::Problem(_));
        let fill = if error {
            ui.visuals().error_fg_color.gamma_multiply(0.15)
        } else {
            ui.visuals().faint_bg_color
        };
        ui.push_id(("notice", i), |ui| {
            egui::Frame::new()
                .fill(fill)
                .corner_radius(4.0)
                .inner_margin(6.0)
                .show(ui, |ui| {
                    ui.horizontal(|ui| {
                        if ui.small_button("Dismiss").clicked() {
                            actions.push(Action::DismissNotice(i));
                        }
                        ui.vertical(|ui| match notice {
                            Notice::Info(text) => {
                                ui.add(egui::Label::new(text).wrap());
                            }
                            Notice::Problem(problem) => problem_ui(ui, problem),
                        });
                    });
                });
        });
    }
}

/// A problem where it happened: its sentence in the error colour, and "Details" that unfold
/// the technical cause, when there is one.
pub fn problem_ui(ui: &mut egui::Ui, problem: &Problem) {
    ui.add(
        egui::Label::new(RichText::new(&problem.summary).color(ui.visuals().error_fg_color)).wrap(),
    );
    if let Some(details) = &problem.details {
        egui::CollapsingHeader::new("Details")
            .id_salt(("details", &problem.summary))
            .default_open(false)
            .show(ui, |ui| {
                ui.add(egui::Label::new(RichText::new(details).monospace().small()).wrap());
            });
    }
}
