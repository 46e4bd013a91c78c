//! The bucket list on the left: filterable, click to open.

use egui::RichText;

use super::actions::Action;
use super::backend::Requested;
use crate::s3::listing::BucketEntry;

/// Buckets as listed, and the filter typed above them.
#[derive(Debug, Default)]
pub struct BucketsPanel {
    pub buckets: Requested<Vec<BucketEntry>>,
    pub filter: String,
}

pub fn buckets_ui(
    ui: &mut egui::Ui,
    panel: &mut BucketsPanel,
    current: Option<&str>,
    actions: &mut Vec<Action>,
) {
    ui.horizontal(|ui| {
        ui.heading("Buckets");
        if ui
            .small_button("⟳")
            .on_hover_text("Reload buckets")
            .clicked()
        {
            actions.push(Action::RefreshBuckets);
        }
    });
    let label = ui.label("Filter");
    ui.add(
        egui::TextEdit::singleline(&mut panel.filter)
            .hint_text("filter buckets")
            .desired_width(f32::INFINITY),
    )
    .labelled_by(label.id);
    ui.separator();
    match &panel.buckets {
        Requested::NotAsked => {
            ui.label(RichText::new("Connect to see buckets").weak());
        }
        Requested::Loading => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("listing buckets…");
            });
        }
        Requested::Failed(err) => {
            ui.label(RichText::new(err).color(ui.visuals().error_fg_color));
            if ui.button("Retry").clicked() {
                actions.push(Action::RefreshBuckets);
            }
        }
        Requested::Ready(buckets) => {
            let filter = panel.filter.trim().to_lowercase();
            egui::ScrollArea::vertical()
                .auto_shrink([false, false])
                .show(ui, |ui| {
                    let mut shown = 0;
                    for bucket in buckets
                        .iter()
                        .filter(|b| filter.is_empty() || b.name.to_lowercase().contains(&filter))
                    {
                        shown += 1;
                        let selected = current == Some(bucket.name.as_str());
                        let response = ui.selectable_label(selected, &bucket.name);
                        let response = match &bucket.created {
                            Some(created) => response.on_hover_text(format!("created {created}")),
                            None => response,
                        };
                        if response.clicked() {
                            actions.push(Action::OpenBucket(bucket.name.clone()));
                        }
                    }
                    if shown == 0 {
                        ui.label(
                            RichText::new(if buckets.is_empty() {
                                "No buckets"
                            } else {
                                "No bucket matches the filter"
                            })
                            .weak(),
                        );
                    }
                });
        }
    }
}
