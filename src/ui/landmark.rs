//! Named regions: each panel of the window is announced to assistive technology by name and
//! with its bounds (an AccessKit `Region`), so a screen reader can move between them, and a
//! test can tell which panel a control belongs to and whether it stays inside it.

use egui::accesskit;

/// Draws `add` inside a region called `name` that covers the visible part of `ui`.
pub fn landmark_ui<R>(ui: &mut egui::Ui, name: &str, add: impl FnOnce(&mut egui::Ui) -> R) -> R {
    let bounds = ui.clip_rect();
    let builder = egui::UiBuilder::new()
        .accessibility_role(accesskit::Role::Region)
        .accessibility_label(name);
    ui.scope_builder(builder, |ui| {
        ui.ctx().accesskit_node_builder(ui.unique_id(), |node| {
            node.set_bounds(accesskit::Rect {
                x0: bounds.min.x.into(),
                y0: bounds.min.y.into(),
                x1: bounds.max.x.into(),
                y1: bounds.max.y.into(),
            });
        });
        add(ui)
    })
    .inner
}
