//! The per-object rows of a re-encryption job — a plan's preview, a local job's report, an S3
//! Batch Operations completion report — as one virtualised table (only the rows on screen are
//! laid out, so 100,000 rows draw as fast as 100), narrowed by method or status.

use egui::RichText;
use egui_extras::{Column, TableBuilder};

use super::badges::{KmsNames, colour, pill_ui, state_words};
use super::format::human_size;
use crate::jobs::{EncryptionState, Method, ReportRow, RowStatus};

/// A method as a person reads it.
pub fn method_label(method: Method) -> &'static str {
    match method {
        Method::UpdateObjectEncryption => "UpdateObjectEncryption (in place)",
        Method::Copy => "copy onto itself",
        Method::MultipartCopy => "multipart copy",
        Method::Rewrap => "envelope re-wrap",
        Method::Skip => "skipped",
    }
}

/// The colour of an outcome.
pub fn status_colour(ui: &egui::Ui, status: RowStatus) -> egui::Color32 {
    match status {
        RowStatus::Done => super::theme::good(ui.visuals()),
        RowStatus::Failed => ui.visuals().error_fg_color,
        RowStatus::Changed => ui.visuals().warn_fg_color,
        RowStatus::Skipped | RowStatus::Pending => ui.visuals().weak_text_color(),
    }
}

/// What the table shows of the rows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RowChoice {
    #[default]
    All,
    Status(RowStatus),
    Method(Method),
}

impl RowChoice {
    fn keeps(self, row: &ReportRow) -> bool {
        match self {
            Self::All => true,
            Self::Status(status) => row.status == status,
            Self::Method(method) => row.method == method,
        }
    }

    pub fn label(self) -> String {
        match self {
            Self::All => "all objects".to_owned(),
            Self::Status(status) => status.as_str().to_owned(),
            Self::Method(method) => method_label(method).to_owned(),
        }
    }
}

/// Which rows to show, worked out when the choice changes rather than every frame.
#[derive(Debug, Default)]
pub struct RowFilter {
    choice: RowChoice,
    shown: Vec<usize>,
}

impl RowFilter {
    /// Every row of `rows`.
    pub fn new(rows: &[ReportRow]) -> Self {
        Self {
            choice: RowChoice::All,
            shown: (0..rows.len()).collect(),
        }
    }

    pub fn choice(&self) -> RowChoice {
        self.choice
    }

    pub fn choose(&mut self, choice: RowChoice, rows: &[ReportRow]) {
        if choice != self.choice {
            self.choice = choice;
            self.shown = rows
                .iter()
                .enumerate()
                .filter(|(_, r)| choice.keeps(r))
                .map(|(i, _)| i)
                .collect();
        }
    }

    pub fn shown(&self) -> usize {
        self.shown.len()
    }
}

/// "Show" and a picker of `choices`, then "N of M objects".
pub fn choice_ui(
    ui: &mut egui::Ui,
    id: &str,
    filter: &mut RowFilter,
    rows: &[ReportRow],
    choices: &[RowChoice],
) {
    ui.horizontal(|ui| {
        let label = ui.label("Show");
        let mut choice = filter.choice();
        egui::ComboBox::from_id_salt(id)
            .selected_text(choice.label())
            .show_ui(ui, |ui| {
                for c in choices {
                    ui.selectable_value(&mut choice, *c, c.label());
                }
            })
            .response
            .labelled_by(label.id);
        filter.choose(choice, rows);
        ui.label(format!("{} of {} objects", filter.shown(), rows.len()));
    });
}

/// The rows `filter` shows, virtualised, with the encryption before and after, method, status
/// and why.
pub fn rows_table_ui(
    ui: &mut egui::Ui,
    id: &str,
    rows: &[ReportRow],
    filter: &RowFilter,
    height: f32,
    kms: &KmsNames,
) {
    TableBuilder::new(ui)
        .id_salt(id)
        .striped(true)
        .max_scroll_height(height)
        .min_scrolled_height(height.min(120.0))
        .column(
            Column::initial(260.0)
                .at_least(120.0)
                .clip(true)
                .resizable(true),
        )
        .column(Column::initial(80.0).clip(true))
        .column(Column::initial(150.0).clip(true).resizable(true))
        .column(Column::initial(150.0).clip(true).resizable(true))
        .column(Column::initial(150.0).clip(true))
        .column(Column::initial(70.0))
        .column(Column::remainder().at_least(120.0).clip(true))
        .header(20.0, |mut header| {
            for title in [
                "Key", "Version", "Before", "After", "Method", "Status", "Message",
            ] {
                header.col(|ui| {
                    ui.strong(title);
                });
            }
        })
        .body(|body| {
            body.rows(18.0, filter.shown.len(), |mut row| {
                let Some(r) = filter.shown.get(row.index()).and_then(|&i| rows.get(i)) else {
                    return;
                };
                row.col(|ui| {
                    ui.label(&r.key).on_hover_text(match r.size {
                        Some(size) => format!("{} ({})", r.key, human_size(size)),
                        None => r.key.clone(),
                    });
                });
                row.col(|ui| {
                    ui.label(RichText::new(r.version_id.as_deref().unwrap_or("")).small());
                });
                row.col(|ui| encryption_ui(ui, r.before.as_ref(), kms));
                row.col(|ui| encryption_ui(ui, r.after.as_ref(), kms));
                row.col(|ui| {
                    ui.label(method_label(r.method));
                });
                row.col(|ui| {
                    ui.label(RichText::new(r.status.as_str()).color(status_colour(ui, r.status)));
                });
                row.col(|ui| {
                    if let Some(message) = &r.message {
                        ui.label(message).on_hover_text(message);
                    }
                });
            });
        });
}

/// An encryption state as a coloured mode and its key by alias (`SSE-KMS · alias/app`), as S3
/// names it (the ARN) on hover.
fn encryption_ui(ui: &mut egui::Ui, state: Option<&EncryptionState>, kms: &KmsNames) {
    let Some(state) = state else {
        ui.label(RichText::new("—").weak());
        return;
    };
    pill_ui(ui, &state_words(state, kms), colour(state.mode)).on_hover_text(state.to_string());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(key: &str, status: RowStatus, method: Method) -> ReportRow {
        ReportRow {
            bucket: "b".into(),
            key: key.into(),
            version_id: None,
            size: Some(1),
            before: None,
            after: None,
            method,
            status,
            message: None,
        }
    }

    #[test]
    fn a_choice_narrows_the_rows_once() {
        let rows = vec![
            row("a", RowStatus::Done, Method::Copy),
            row("b", RowStatus::Failed, Method::Copy),
            row("c", RowStatus::Skipped, Method::Skip),
        ];
        let mut filter = RowFilter::new(&rows);
        assert_eq!(filter.shown(), 3);
        filter.choose(RowChoice::Status(RowStatus::Failed), &rows);
        assert_eq!(filter.shown(), 1);
        filter.choose(RowChoice::Method(Method::Copy), &rows);
        assert_eq!(filter.shown(), 2);
        filter.choose(RowChoice::All, &rows);
        assert_eq!(filter.shown(), 3);
    }
}
