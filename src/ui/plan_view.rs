//! A re-encryption plan summed up for a person to judge before anything changes: objects and
//! bytes, methods (and whether UpdateObjectEncryption is used, or why not), current to target
//! transitions, skips and why, requests, KMS calls, the cost with its price table, the time
//! estimate with what it assumes, and the warnings and notes with what to do. Draws only.

use egui::RichText;

use super::badges::{KmsNames, label_words, state_words};
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

/// The whole summary of `plan`, KMS keys named by alias through `kms`.
pub fn plan_summary_ui(ui: &mut egui::Ui, plan: &Plan, kms: &KmsNames) {
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
            state_words(&plan.target.state(), kms)
        ))
        .strong(),
    );
    ui.label(uoe_line(plan));
    // One above the other: a change names two encryptions, each perhaps a long alias.
    methods_ui(ui, plan);
    transitions_ui(ui, plan, kms);
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

fn transitions_ui(ui: &mut egui::Ui, plan: &Plan, kms: &KmsNames) {
    ui.label(RichText::new("Changes").strong());
    if plan.summary.transitions.is_empty() {
        ui.label(RichText::new("Nothing to change.").weak());
        return;
    }
    // Each change whole, wrapped if it must be (a from and a to can both be long aliases),
    // with how and how much on the line below; the stored labels (ARNs) on hover.
    for t in &plan.summary.transitions {
        ui.label(format!(
            "{} to {}",
            label_words(&t.from, kms),
            label_words(&t.to, kms)
        ))
        .on_hover_text(format!("{} to {}", t.from, t.to));
        ui.indent(("plan-transition", &t.from, &t.to), |ui| {
            ui.label(
                RichText::new(format!(
                    "{} · {} ({})",
                    method_label(t.method),
                    objects(t.objects),
                    human_size(t.bytes)
                ))
                .weak(),
            );
        });
    }
}

#[cfg(test)]
mod tests {
    use egui_kittest::Harness;
    use egui_kittest::kittest::{NodeT as _, Queryable as _};

    use super::*;
    use crate::jobs::EncryptionState;
    use crate::jobs::plan::tests::sample;
    use crate::jobs::target::Target;
    use crate::s3::EncryptionMode;
    use crate::s3::kms::KmsKeyChoice;

    const FROM: &str =
        "arn:aws:kms:eu-west-1:111122223333:key/0c9d8e7f-2a1b-4c3d-9e8f-7a6b5c4d3e2f";
    const TO: &str = "arn:aws:kms:eu-west-1:111122223333:key/6f1e2c4a-8b3d-4e59-a7c2-1d0f9b8e3a51";

    /// A plan from SSE-KMS under one customer key to another, both with long aliases.
    fn kms_to_kms() -> (Plan, KmsNames) {
        let mut plan = sample("j", 3);
        for object in &mut plan.objects {
            if let Some(facts) = &mut object.facts {
                facts.before = EncryptionState {
                    kms_key_id: Some(FROM.to_owned()),
                    ..EncryptionState::mode(EncryptionMode::SseKms)
                };
            }
        }
        plan.target = Target::SseKms {
            key: Some("alias/finance-ledger-eu-west-1-production-restricted".into()),
            key_arn: Some(TO.to_owned()),
            bucket_key: true,
        };
        plan.summarize();
        let kms = KmsNames::new(&[
            KmsKeyChoice {
                key_id: "0c9d8e7f-2a1b-4c3d-9e8f-7a6b5c4d3e2f".into(),
                arn: Some(FROM.into()),
                aliases: vec!["alias/finance-archive-eu-west-1-restricted".into()],
            },
            KmsKeyChoice {
                key_id: "6f1e2c4a-8b3d-4e59-a7c2-1d0f9b8e3a51".into(),
                arn: Some(TO.into()),
                aliases: vec!["alias/finance-ledger-eu-west-1-production-restricted".into()],
            },
        ]);
        (plan, kms)
    }

    #[test]
    fn changes_name_both_keys_by_alias_whole_in_a_narrow_dialog() {
        let (plan, kms) = kms_to_kms();
        assert!(!plan.summary.transitions.is_empty());
        let width = 420.0;
        let harness = Harness::builder()
            .with_size(egui::vec2(width, 700.0))
            .build_ui(|ui| plan_summary_ui(ui, &plan, &kms));
        let texts: Vec<(String, egui::Rect)> = harness
            .root()
            .children_recursive()
            .filter_map(|n| {
                let node = n.accesskit_node();
                let text = node.label().or_else(|| node.value())?;
                Some((text, n.rect()))
            })
            .collect();
        let change = texts
            .iter()
            .find(|(t, _)| t.starts_with("SSE-KMS · alias/finance-archive"))
            .unwrap_or_else(|| panic!("no change on screen: {texts:#?}"));
        assert_eq!(
            change.0,
            "SSE-KMS · alias/finance-archive-eu-west-1-restricted to SSE-KMS · \
             alias/finance-ledger-eu-west-1-production-restricted + Bucket Key"
        );
        assert!(
            change.1.max.x <= width,
            "the change runs off: {:?}",
            change.1
        );
        assert!(
            texts.iter().all(|(t, _)| !t.contains("arn:aws:kms")),
            "a key shown by its ARN: {texts:#?}"
        );
        assert!(
            harness
                .query_all_by_label_contains("alias/finance-ledger-eu-west-1-production-restricted")
                .count()
                >= 2,
            "the target by alias in the heading and in the change"
        );
    }

    /// `S3SEAL_PLAN_PICTURES=DIR` draws the summary at a dialog's two widths into DIR.
    #[test]
    fn pictures_on_request() {
        let Some(dir) = std::env::var_os("S3SEAL_PLAN_PICTURES") else {
            return;
        };
        let (plan, kms) = kms_to_kms();
        for width in [420.0, 760.0] {
            let mut harness = Harness::builder()
                .with_size(egui::vec2(width, 360.0))
                .wgpu()
                .build_ui(|ui| {
                    crate::ui::theme::apply(ui.ctx());
                    plan_summary_ui(ui, &plan, &kms);
                });
            harness.run();
            let path = std::path::Path::new(&dir).join(format!("plan-{width}.png"));
            harness.render().map(|image| image.save(path)).ok();
        }
    }
}
