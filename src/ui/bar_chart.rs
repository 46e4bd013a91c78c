//! A bar chart of counts (objects by mode, by key): one row per bar with its label, bar and
//! count, fitted to the column it is drawn in, each bar announced as a meter "label: count".

use egui::Color32;

use super::one_line::one_line_in_ui;

/// Horizontal bars, longest for the largest count, in the width the column has: a label that
/// does not fit is shortened in the middle (whole on hover), and the bar narrows before the
/// count would leave the column. Past ten bars or so the chart scrolls on its own.
pub fn bar_chart_ui(ui: &mut egui::Ui, id: &str, bars: &[(String, u64, Color32)]) {
    const ROW: f32 = 18.0;
    let max = bars.iter().map(|b| b.1).max().unwrap_or(0).max(1);
    let spacing = ui.spacing().item_spacing.x;
    let room = ui.available_width();
    let count_width = 8.0 * (max.to_string().len() as f32 + 1.0);
    let bar_width = (room * 0.3).clamp(40.0, 160.0);
    // As wide as the longest label needs, no wider than the room left beside bar and count.
    let font = egui::TextStyle::Body.resolve(ui.style());
    let needed = bars
        .iter()
        .map(|(label, ..)| {
            ui.ctx().fonts_mut(|f| {
                f.layout_no_wrap(label.clone(), font.clone(), Color32::PLACEHOLDER)
                    .size()
                    .x
            })
        })
        .fold(0.0_f32, f32::max);
    const LEAST_LABEL: f32 = 60.0;
    // In a narrow column the bar gives way first, so that label, bar and count stay inside.
    let bar_width = bar_width
        .min(room - LEAST_LABEL - count_width - 3.0 * spacing)
        .max(16.0);
    let label_width = needed
        .min(room - bar_width - count_width - 3.0 * spacing)
        .max(LEAST_LABEL);
    egui::ScrollArea::vertical()
        .id_salt(id)
        .max_height(12.5 * ROW)
        .auto_shrink([false, true])
        .show(ui, |ui| {
            for (label, count, fill) in bars {
                ui.horizontal(|ui| {
                    ui.allocate_ui_with_layout(
                        egui::vec2(label_width, ROW),
                        egui::Layout::left_to_right(egui::Align::Center),
                        |ui| {
                            ui.set_min_width(label_width);
                            one_line_in_ui(ui, label, label, label_width);
                        },
                    );
                    let width = bar_width * (*count as f32 / max as f32);
                    let (rect, response) =
                        ui.allocate_exact_size(egui::vec2(bar_width, 12.0), egui::Sense::hover());
                    let bar = egui::Rect::from_min_size(
                        rect.min,
                        egui::vec2(width.max(1.0), rect.height()),
                    );
                    ui.painter().rect_filled(bar, 2.0, *fill);
                    // Announced as one item, "label: count", as the tooltip says it.
                    let text = format!("{label}: {count}");
                    response.widget_info(|| {
                        egui::WidgetInfo::labeled(egui::Role::Meter, true, text.clone())
                    });
                    response.on_hover_text(text);
                    ui.label(count.to_string());
                });
            }
        });
}

/// One chart of a pair: its title, id and bars.
pub type Chart<'a> = (&'a str, &'a str, &'a [(String, u64, Color32)]);

/// Two charts side by side (the first, by mode, as wide as it needs), or one above the other
/// when the view is too narrow for the second one's labels.
pub fn chart_pair_ui(ui: &mut egui::Ui, first: Chart<'_>, second: Chart<'_>) {
    const SIDE_BY_SIDE: f32 = 760.0;
    let chart = |ui: &mut egui::Ui, (title, id, bars): Chart<'_>| {
        ui.label(egui::RichText::new(title).strong());
        bar_chart_ui(ui, id, bars);
    };
    let room = ui.available_width();
    if room < SIDE_BY_SIDE {
        chart(ui, first);
        ui.add_space(6.0);
        chart(ui, second);
        return;
    }
    let first_width = (room * 0.34).min(320.0);
    ui.horizontal_top(|ui| {
        // As tall as the view allows: the chart's own scrolling bounds it.
        let height = ui.available_height();
        ui.allocate_ui_with_layout(
            egui::vec2(first_width, height),
            egui::Layout::top_down(egui::Align::Min),
            |ui| {
                ui.set_width(first_width);
                chart(ui, first);
            },
        );
        ui.vertical(|ui| chart(ui, second));
    });
}
