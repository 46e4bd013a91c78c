//! Dismissable notices: errors (and a few confirmations) shown above the table, in addition
//! to the error text shown where the thing happened.

use egui::RichText;

use super::actions::Action;

/// How loud a notice is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Info,
    Error,
}

/// One notice.
#[derive(Clone, Debug)]
pub struct Notice {
    pub level: Level,
    pub text: String,
}

/// Most notices kept; older ones drop off.
const MAX_NOTICES: usize = 5;

/// The notices not yet dismissed.
#[derive(Debug, Default)]
pub struct Notices {
    pub items: Vec<Notice>,
}

impl Notices {
    pub fn error(&mut self, text: impl Into<String>) {
        self.push(Level::Error, text.into());
    }

    pub fn info(&mut self, text: impl Into<String>) {
        self.push(Level::Info, text.into());
    }

    fn push(&mut self, level: Level, text: String) {
        if self.items.last().is_some_and(|n| n.text == text) {
            return;
        }
        self.items.push(Notice { level, text });
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
        let (fill, fg) = match notice.level {
            Level::Error => (
                ui.visuals().error_fg_color.gamma_multiply(0.15),
                ui.visuals().error_fg_color,
            ),
            Level::Info => (ui.visuals().faint_bg_color, ui.visuals().text_color()),
        };
        egui::Frame::new()
            .fill(fill)
            .corner_radius(4.0)
            .inner_margin(6.0)
            .show(ui, |ui| {
                ui.horizontal(|ui| {
                    if ui.small_button("Dismiss").clicked() {
                        actions.push(Action::DismissNotice(i));
                    }
                    ui.add(egui::Label::new(RichText::new(&notice.text).color(fg)).wrap());
                });
            });
    }
}
