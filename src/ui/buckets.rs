//! The bucket list on the left: filterable, click to open. It owns its listing request.

use egui::RichText;

use super::actions::Action;
use super::notices::problem_ui;
use super::request::Requested;
use super::tasks::Tasks;
use crate::s3::listing::{self, BucketEntry};

/// Buckets as listed, and the filter typed above them.
#[derive(Debug, Default)]
pub struct BucketsPanel {
    pub buckets: Requested<Vec<BucketEntry>>,
    pub filter: String,
}

impl BucketsPanel {
    /// Lists the buckets (again).
    pub fn load(&mut self, tasks: &Tasks) {
        self.buckets = Requested::Pending(
            tasks.s3(|conn, _, _| async move { listing::list_buckets(&conn).await }),
        );
    }
}

pub fn buckets_ui(
    ui: &mut egui::Ui,
    panel: &mut BucketsPanel,
    tasks: &Tasks,
    current: Option<&str>,
    actions: &mut Vec<Action>,
) {
    panel.buckets.poll();
    ui.horizontal(|ui| {
        ui.heading("Buckets");
        if ui
            .small_button("⟳")
            .accessible_name("Reload buckets")
            .on_hover_text("Reload buckets")
            .clicked()
        {
            panel.load(tasks);
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
        Requested::Pending(_) => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("listing buckets…");
            });
        }
        Requested::Failed(problem) => {
            problem_ui(ui, problem);
            if ui.button("Retry").clicked() {
                panel.load(tasks);
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
