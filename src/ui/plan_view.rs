//! A re-encryption plan summed up for a person to judge before anything changes: objects and
//! bytes, methods (and whether UpdateObjectEncryption is used, or why not), current to target
//! transitions, skips and why, requests, KMS calls, the cost with its price table, the time
//! estimate with what it assumes, and the warnings and notes with what to do. Draws only.

use egui::RichText;

use super::format::human_size;
use super::remedy::advice;
use super::report_table::method_label;
use crate::jobs::uoe::Support;
use crate::jobs::{Method, Plan};
use crate::units::human_duration;

/// `n object` / `n objects`.
pub fn objects(n: u64) -> String {
    format!("{n} object{}", if n == 1 { "" } else { "s" })
}

/// The whole summary of `plan`.
pub fn plan_summary_ui(ui: &mut egui::Ui, plan: &Plan) {
    let s = &plan.summary;
    ui.label(
        RichText::new(format!(
            "{} ({}) selected of {} listed under s3://{}/{}{} to {}",
            objects(s.total),
            human_size(s.bytes),
            s.listed,
            plan.bucket,
            plan.prefix,
            if s.noncurrent_versions > 0 {
                format!(", {} of them older versions", s.noncurrent_versions)
            } else {
                String::new()
            },
            plan.target.state()
        ))
        .strong(),
    );
    ui.label(uoe_line(plan));
    ui.columns(2, |columns| {
        methods_ui(&mut columns[0], plan);
        transitions_ui(&mut columns[1], plan);
    });
    if !s.skipped.is_empty() {
        ui.label(RichText::new("Skipped").strong());
        egui::Grid::new("plan-skips")
            .num_columns(2)
            .striped(true)
            .show(ui, |ui| {
                for (reason, n) in &s.skipped {
                    ui.label(n.to_string());
                    ui.label(reason.text());
                    ui.end_row();
                }
            });
    }
    let r = &s.requests;
    ui.label(format!(
        "Requests: {} UpdateObjectEncryption, {} CopyObject, {} for multipart copies, {} reads, {} deletes (planning sent {} listings and {} HEADs already); about {} KMS calls.",
        r.update_object_encryption,
        r.copy_object,
        r.multipart,
        r.reads,
        r.delete,
        r.planning_list,
        r.planning_head,
        s.kms_calls
    ));
    if let Some(cost) = &s.cost {
        ui.label(format!(
            "Cost: about ${:.4} (S3 ${:.4}, KMS ${:.4}, planning included) at {} (as of {}).",
            cost.total_usd,
            cost.s3_usd,
            cost.kms_usd,
            cost.price_table.name,
            cost.price_table.as_of
        ));
    }
    if let Some(pace) = &s.pace {
        ui.label(format!(
            "Time: about {} — {} objects in flight{}, with the {:.0} ms round trip measured while planning and an assumed server-side copy speed of 100 MiB/s.",
            human_duration(s.estimate_seconds),
            pace.concurrency,
            pace.kms_rate
                .map(|r| format!(", at most {r} KMS requests a second"))
                .unwrap_or_default(),
            pace.round_trip_ms
        ));
    }
    for warning in &s.warnings {
        ui.label(RichText::new(format!("⚠ {}", advice(warning))).color(ui.visuals().warn_fg_color));
    }
    for note in &s.notes {
        ui.label(RichText::new(advice(note)).weak());
    }
}

/// Whether UpdateObjectEncryption is used, and if not, why.
fn uoe_line(plan: &Plan) -> String {
    let in_place = plan
        .summary
        .by_method
        .get(&Method::UpdateObjectEncryption)
        .copied()
        .unwrap_or(0);
    match &plan.update_object_encryption {
        Support::Available => format!(
            "UpdateObjectEncryption: this server implements it; {} change in place.",
            objects(in_place)
        ),
        Support::Unavailable { reason } => format!(
            "UpdateObjectEncryption is not used: {reason}. The objects it would change are copied instead."
        ),
        Support::NotNeeded => {
            "UpdateObjectEncryption is not needed: no selected object could change in place."
                .to_owned()
        }
    }
}

fn methods_ui(ui: &mut egui::Ui, plan: &Plan) {
    let s = &plan.summary;
    ui.label(RichText::new("Methods").strong());
    egui::Grid::new("plan-methods")
        .num_columns(3)
        .striped(true)
        .show(ui, |ui| {
            for method in Method::ALL {
                let n = s.by_method.get(&method).copied().unwrap_or(0);
                if n == 0 {
                    continue;
                }
                ui.label(method_label(method));
                ui.label(objects(n));
                ui.label(human_size(
                    s.bytes_by_method.get(&method).copied().unwrap_or(0),
                ));
                ui.end_row();
            }
        });
}

fn transitions_ui(ui: &mut egui::Ui, plan: &Plan) {
    ui.label(RichText::new("Changes").strong());
    if plan.summary.transitions.is_empty() {
        ui.label(RichText::new("Nothing to change.").weak());
        return;
    }
    egui::Grid::new("plan-transitions")
        .num_columns(3)
        .striped(true)
        .show(ui, |ui| {
            for t in &plan.summary.transitions {
                ui.add(egui::Label::new(format!("{} to {}", t.from, t.to)).truncate())
                    .on_hover_text(format!("{} to {}", t.from, t.to));
                ui.label(method_label(t.method));
                ui.label(format!("{} ({})", objects(t.objects), human_size(t.bytes)));
                ui.end_row();
            }
        });
}
