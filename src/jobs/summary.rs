//! A plan summed up for a person to judge before anything changes: objects and bytes by current
//! → target encryption, by method, skips by reason, requests and KMS calls, their cost at list
//! prices, a time estimate, and the warnings (versions left behind, Object Lock, huge objects).

use std::collections::BTreeMap;

use serde::Serialize;

use super::cost::{self, AWS_US_EAST_1, Cost, Pace, Requests};
use super::method::{Method, SkipReason};
use super::plan::Plan;
use super::target::Target;
use super::uoe::Support;
use crate::remedy::{Advice, Remedy};
use crate::s3::bucket::Versioning;
use crate::units::human_size;

/// Objects from one encryption to the target by one method.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Transition {
    /// The encryption now, as a report label (`sse-s3`, `sse-kms:KEY`, …).
    pub from: String,
    pub to: String,
    pub method: Method,
    pub objects: u64,
    pub bytes: u64,
}

/// The summary of a plan: everything a person needs to decide whether to run it.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct PlanSummary {
    /// Objects (and versions) selected.
    pub total: u64,
    pub bytes: u64,
    /// Listed before the filters.
    pub listed: u64,
    /// Older versions among `total`.
    pub noncurrent_versions: u64,
    /// Counts keyed by method name, every method present.
    pub by_method: BTreeMap<Method, u64>,
    pub bytes_by_method: BTreeMap<Method, u64>,
    /// Skips keyed by reason.
    pub skipped: BTreeMap<SkipReason, u64>,
    /// What changes, from what to what.
    pub transitions: Vec<Transition>,
    pub requests: Requests,
    /// KMS requests the job causes (S3's on its behalf, and s3seal's own for re-wraps): an
    /// estimate (see [`cost::kms_calls`]).
    pub kms_calls: u64,
    pub cost: Option<Cost>,
    pub estimate_seconds: f64,
    pub pace: Option<Pace>,
    /// Versions the copies replace, and their bytes: what `delete replaced versions` deletes
    /// (0 in an unversioned bucket).
    pub replaced_versions: u64,
    pub replaced_bytes: u64,
    pub warnings: Vec<Advice>,
    pub notes: Vec<Advice>,
}

/// Sums up `plan`.
pub fn summarize(plan: &Plan) -> PlanSummary {
    let mut s = PlanSummary {
        listed: plan.planning.listed,
        by_method: Method::ALL.iter().map(|m| (*m, 0)).collect(),
        bytes_by_method: Method::ALL.iter().map(|m| (*m, 0)).collect(),
        ..PlanSummary::default()
    };
    s.requests.planning_head = plan.planning.heads;
    s.requests.planning_list = plan.planning.listed.div_ceil(1000).max(1);
    let pace = Pace {
        round_trip_ms: plan.planning.round_trip_ms,
        concurrency: plan.settings.concurrency,
        kms_rate: plan.settings.kms_rate,
    };
    let versioned = plan.versioning != Versioning::Disabled;
    let target_label = plan.target.state().to_string();
    let mut transitions: BTreeMap<(String, Method), (u64, u64)> = BTreeMap::new();
    let (mut locked, mut huge, mut work_seconds) = (0u64, 0u64, 0.0f64);
    let (mut uoe_fits_but_copied, mut rewraps_versioned) = (0u64, 0u64);
    for object in &plan.objects {
        let method = object.decision.method();
        s.total += 1;
        // A stored plan is input: sizes that add up past u64 stop at its ceiling, not wrap.
        s.bytes = s.bytes.saturating_add(object.size);
        *s.by_method.entry(method).or_insert(0) += 1;
        let bytes = s.bytes_by_method.entry(method).or_insert(0);
        *bytes = bytes.saturating_add(object.size);
        if let Some(reason) = object.decision.skip_reason() {
            *s.skipped.entry(reason).or_insert(0) += 1;
        }
        let Some(facts) = &object.facts else { continue };
        s.noncurrent_versions += u64::from(!facts.is_latest);
        if method == Method::Skip {
            continue;
        }
        let parts = object.size.div_ceil(plan.settings.part_size.max(1));
        let r = cost::requests_for(
            object.decision,
            object.size,
            plan.settings.part_size,
            plan.delete_replaced_versions && versioned,
        );
        add(&mut s.requests, &r);
        s.kms_calls += cost::kms_calls(&facts.before, object.decision, &plan.target, parts);
        work_seconds += cost::object_seconds(method, object.size, &pace, 8);
        let entry = transitions
            .entry((facts.before.to_string(), method))
            .or_insert((0, 0));
        entry.0 += 1;
        entry.1 = entry.1.saturating_add(object.size);
        locked += u64::from(facts.locked);
        huge += u64::from(method == Method::MultipartCopy);
        if matches!(method, Method::Copy | Method::MultipartCopy) {
            if versioned {
                s.replaced_versions += 1;
                s.replaced_bytes += object.size;
            }
            uoe_fits_but_copied += u64::from(object.note.is_some() && !facts.locked);
        }
        rewraps_versioned += u64::from(method == Method::Rewrap && versioned);
    }
    s.transitions = transitions
        .into_iter()
        .map(|((from, method), (objects, bytes))| Transition {
            from,
            to: target_label.clone(),
            method,
            objects,
            bytes,
        })
        .collect();
    s.cost = Some(cost::cost(&s.requests, s.kms_calls, AWS_US_EAST_1));
    s.estimate_seconds = cost::job_seconds(work_seconds, s.kms_calls, &pace);
    s.pace = Some(pace);
    warn(plan, &mut s, locked, huge, rewraps_versioned);
    note(plan, &mut s, uoe_fits_but_copied);
    s
}

fn add(total: &mut Requests, r: &Requests) {
    total.update_object_encryption += r.update_object_encryption;
    total.copy_object += r.copy_object;
    total.multipart += r.multipart;
    total.reads += r.reads;
    total.delete += r.delete;
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn warn(plan: &Plan, s: &mut PlanSummary, locked: u64, huge: u64, rewraps_versioned: u64) {
    let versioned = plan.versioning != Versioning::Disabled;
    if versioned && s.replaced_versions > 0 {
        let versions = plural(s.replaced_versions, "version", "versions");
        let size = human_size(s.replaced_bytes);
        s.warnings.push(Advice::note(if plan.delete_replaced_versions {
            format!(
                "The bucket keeps versions: each copy makes a new version, and the {versions} they replace ({size}) are deleted, each once its new version shows the target encryption."
            )
        } else {
            format!(
                "The bucket keeps versions: each copy makes a new version, and the {versions} they replace ({size}) keep their old encryption, and are billed as storage, until someone deletes them. This job can delete them, each once its new version shows the target encryption."
            )
        }));
    }
    if rewraps_versioned > 0 {
        s.warnings.push(Advice::note(format!(
            "The bucket keeps versions: the {} re-wrapped here keep their data keys wrapped under the old master key in their older versions.",
            plural(rewraps_versioned, "client-side object", "client-side objects")
        )));
    }
    if locked > 0 {
        s.warnings.push(Advice::note(format!(
            "{} under Object Lock: UpdateObjectEncryption refuses them, so they are copied to a new version that keeps their retention and legal hold; the locked old versions stay until their retention ends.",
            plural(locked, "object is", "objects are")
        )));
    }
    if huge > 0 {
        s.warnings.push(Advice::note(format!(
            "{} larger than {}: copied part by part (UploadPartCopy), so the new version's ETag is a multipart ETag.",
            plural(huge, "object is", "objects are"),
            human_size(plan.settings.multipart_threshold)
        )));
    }
    if let Target::SseKms {
        bucket_key: false, ..
    } = plan.target
        && s.kms_calls > 0
    {
        s.warnings.push(Advice::new(
            format!(
                "This job causes about {} KMS requests, and every later read of these objects one more each: with an S3 Bucket Key, S3 reuses a bucket-level key and calls KMS far less.",
                s.kms_calls
            ),
            Some(Remedy::UseBucketKey {
                bucket: plan.bucket.clone(),
            }),
        ));
    }
}

fn note(plan: &Plan, s: &mut PlanSummary, uoe_fits_but_copied: u64) {
    let in_place = s
        .by_method
        .get(&Method::UpdateObjectEncryption)
        .copied()
        .unwrap_or(0);
    match &plan.update_object_encryption {
        Support::Unavailable { reason } if uoe_fits_but_copied > 0 => {
            s.notes.push(Advice::note(format!(
                "UpdateObjectEncryption is not used, because {reason}: the {} it would have changed in place {} copied instead.",
                plural(uoe_fits_but_copied, "object", "objects"),
                if uoe_fits_but_copied == 1 { "is" } else { "are" }
            )));
        }
        Support::Available if in_place > 0 => s.notes.push(Advice::note(format!(
            "{} change in place with UpdateObjectEncryption: no data moves and no version is made; ETag, checksum, storage class and dates stay.",
            plural(in_place, "object", "objects")
        ))),
        _ => {}
    }
    if let Some(kept) = s.skipped.get(&SkipReason::OldVersionKept) {
        s.notes.push(Advice::note(format!(
            "{} keep their encryption: only UpdateObjectEncryption could change an old version in place.",
            plural(*kept, "older version", "older versions")
        )));
    }
    if plan.delete_replaced_versions && plan.versioning == Versioning::Disabled {
        s.notes.push(Advice::note(
            "The bucket does not keep versions, so there are no replaced versions to delete.",
        ));
    }
    let cost = s.cost.as_ref().map_or(0.0, |c| c.total_usd);
    s.notes.push(Advice::note(format!(
        "Requests and KMS calls cost about ${cost:.4} at {}; KMS calls that S3 makes are an estimate.",
        AWS_US_EAST_1.name
    )));
}
