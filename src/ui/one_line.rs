//! One line of text that never pushes its neighbours away: shortened in the middle to the room
//! it has (both ends stay readable: a URI's bucket and file name, an alias's prefix and its
//! last words), the whole value on hover, to screen readers, and in a right-click "Copy".

use super::format::elide_middle;

/// `text` as it fits in `room` points of body text: itself, or shortened in the middle.
pub fn fitted(ui: &egui::Ui, text: &str, room: f32) -> String {
    let font = egui::TextStyle::Body.resolve(ui.style());
    let width = |text: &str| {
        ui.ctx().fonts_mut(|f| {
            f.layout_no_wrap(text.to_owned(), font.clone(), egui::Color32::PLACEHOLDER)
                .size()
                .x
        })
    };
    if width(text) <= room {
        return text.to_owned();
    }
    // The most characters that fit with the ellipsis.
    let (mut fits, mut over) = (0, text.chars().count());
    while over - fits > 1 {
        let mid = usize::midpoint(fits, over);
        if width(&elide_middle(text, mid)) <= room {
            fits = mid;
        } else {
            over = mid;
        }
    }
    elide_middle(text, fits)
}

/// `shown` on one line in the space left, shortened in the middle if it does not fit; `whole`
/// on hover (when shortened) and in a right-click "Copy".
pub fn one_line_ui(ui: &mut egui::Ui, shown: &str, whole: &str) -> egui::Response {
    let room = ui.available_width().max(40.0);
    one_line_in_ui(ui, shown, whole, room)
}

/// [`one_line_ui`] in `room` points, whatever the space left.
pub fn one_line_in_ui(ui: &mut egui::Ui, shown: &str, whole: &str, room: f32) -> egui::Response {
    let text = fitted(ui, shown, room);
    let shortened = text != whole;
    let mut response = ui.add(egui::Label::new(text).extend());
    if shortened {
        // A screen reader reads the shown (shortened) text as the name and the whole value as
        // the description, as a sighted person reads the label and then the tooltip.
        ui.ctx().accesskit_node_builder(response.id, |node| {
            node.set_description(whole.to_owned());
        });
        response = response.on_hover_text(whole);
    }
    response.context_menu(|ui| {
        if ui.button("Copy").clicked() {
            ui.ctx().copy_text(whole.to_owned());
            ui.close();
        }
    });
    response
}
