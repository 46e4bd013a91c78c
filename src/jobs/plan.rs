//! The plan of a job (what `--dry-run` prints and the window shows before anything changes):
//! the objects under a prefix that the filters keep, each with its encryption now and the
//! method that will change it (or why it is skipped), whether UpdateObjectEncryption can be
//! used here, and the summary (counts, requests, cost, time, warnings).

use std::sync::Arc;

use futures::StreamExt as _;
use serde::{Deserialize, Serialize};

use super::method::{
    Capabilities, Decision, ObjectFacts, SkipReason, decide, update_object_encryption_fits,
};
use super::report::{ReportRow, RowStatus};
use super::select::{Inspected, Listed, RoundTrips, inspect_one, list};
use super::summary::{PlanSummary, summarize};
use super::target::Target;
use super::uoe::{self, Support};
use crate::error::{Error, Result};
use crate::keys::KeyKind;
use crate::progress::{CancellationToken, Progress};
use crate::s3::bucket::audit::AuditRow;
use crate::s3::bucket::filter::ObjectFilter;
use crate::s3::bucket::{Versioning, get_versioning};
use crate::s3::in_flight::{Concurrency, InFlight};
use crate::s3::{Connection, KeyAccess, S3Uri};
use crate::transfer::Restated;
use crate::transfer::write_mode::EncryptionChoice;

/// Which versions a job covers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Versions {
    /// The current version of each object.
    #[default]
    Current,
    /// Every version: older ones are changed where UpdateObjectEncryption can, else listed.
    All,
}

/// How a job runs; kept in the plan, so a resumed job runs the same way.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunSettings {
    /// Objects in flight at once.
    pub concurrency: usize,
    /// KMS requests per second the job may cause (`None`: no budget).
    pub kms_rate: Option<u32>,
    /// Objects larger than this are copied part by part (S3 caps CopyObject at 5 GiB).
    pub multipart_threshold: u64,
    /// Part size of those copies.
    pub part_size: u64,
}

impl Default for RunSettings {
    fn default() -> Self {
        let copy = crate::transfer::CopyTuning::default();
        Self {
            concurrency: 16,
            kms_rate: None,
            multipart_threshold: copy.multipart_threshold,
            part_size: copy.part_size,
        }
    }
}

/// What to plan.
#[derive(Clone, Debug)]
pub struct PlanRequest {
    /// The bucket and prefix (every object under it, at any depth).
    pub uri: S3Uri,
    /// Keep only objects every filter keeps (the audit's filters).
    pub filters: Vec<ObjectFilter>,
    pub target: EncryptionChoice,
    pub versions: Versions,
    /// Delete the versions this job replaces by copying, once the new version is verified.
    pub delete_replaced_versions: bool,
    /// Local SSE-C keys to offer S3 for the SSE-C objects their homes do not cover, by name.
    pub source_keys: Vec<String>,
    /// KMS keys trusted to open the data keys of KMS-wrapped client-side objects (a re-wrap),
    /// besides those the key catalog trusts.
    pub trusted_kms: Vec<String>,
    pub settings: RunSettings,
}

/// One object (or version) in a plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedObject {
    pub key: String,
    pub version_id: Option<String>,
    /// The ETag the copy is conditional on.
    pub etag: Option<String>,
    pub size: u64,
    /// What inspecting it found (`None`: it was gone or could not be inspected).
    pub facts: Option<ObjectFacts>,
    pub decision: Decision,
    /// What a copy must restate.
    #[serde(default)]
    pub restated: Restated,
    /// More about the decision (the copy used instead of UpdateObjectEncryption and why, the
    /// error that stopped the inspection).
    pub note: Option<String>,
}

impl PlannedObject {
    /// Its report row before the job has done anything: skipped, or pending.
    pub fn row(&self, bucket: &str) -> ReportRow {
        let before = self.facts.as_ref().map(|f| f.before.clone());
        let (status, message) = match self.decision {
            Decision::Skip(reason) => (
                RowStatus::Skipped,
                Some(match &self.note {
                    Some(note) => format!("{}: {note}", reason.text()),
                    None => reason.text().to_owned(),
                }),
            ),
            Decision::Process(_) => (RowStatus::Pending, self.note.clone()),
        };
        ReportRow {
            bucket: bucket.to_owned(),
            key: self.key.clone(),
            version_id: self.version_id.clone(),
            size: Some(self.size),
            after: (status == RowStatus::Skipped)
                .then(|| before.clone())
                .flatten(),
            before,
            method: self.decision.method(),
            status,
            message,
        }
    }
}

/// Counts gathered while planning, kept for the summary.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Planning {
    /// Objects (or versions) listed, before the filters.
    pub listed: u64,
    /// Objects (or versions) in the plan, and how many of them it skips.
    pub selected: u64,
    pub skipped: u64,
    /// HEADs sent.
    pub heads: u64,
    /// Their average round trip.
    pub round_trip_ms: f64,
}

/// A whole plan. Stored as the job's definition; the summary is worked out again on load.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Plan {
    pub id: String,
    /// RFC 3339, UTC.
    pub created: String,
    pub bucket: String,
    pub prefix: String,
    /// The filters, in the `--where` grammar.
    pub filters: Vec<String>,
    pub versions: Versions,
    pub target: Target,
    pub delete_replaced_versions: bool,
    pub source_keys: Vec<String>,
    #[serde(default)]
    pub trusted_kms: Vec<String>,
    pub settings: RunSettings,
    /// Where the bucket lives (`aws`, or the endpoint's host): a job only runs there.
    pub place: String,
    pub versioning: Versioning,
    pub update_object_encryption: Support,
    pub planning: Planning,
    #[serde(skip)]
    pub objects: Vec<PlannedObject>,
    #[serde(skip)]
    pub summary: PlanSummary,
}

impl Plan {
    /// The plan's rows as a dry-run report shows them.
    pub fn rows(&self) -> Vec<ReportRow> {
        self.objects.iter().map(|o| o.row(&self.bucket)).collect()
    }

    /// Works the summary out from the objects (after loading).
    pub fn summarize(&mut self) {
        self.summary = summarize(self);
    }
}

/// Lists, inspects and filters the objects of `request`, picks a method for each and sums it
/// all up. Changes nothing (the UpdateObjectEncryption probe asks about a key that does not
/// exist). `progress` counts objects inspected of objects listed so far.
pub async fn plan(
    conn: &Connection,
    keys: &KeyAccess,
    request: &PlanRequest,
    progress: &Progress,
    cancel: &CancellationToken,
) -> Result<Plan> {
    let bucket = request.uri.bucket.clone();
    let prefix = request.uri.key.clone();
    if request.settings.concurrency == 0 {
        return Err(Error::InvalidInput(
            "a job needs at least one object in flight".to_owned(),
        ));
    }
    if request.settings.kms_rate == Some(0) {
        return Err(Error::InvalidInput(
            "a KMS request budget of 0 per second would never let the job start".to_owned(),
        ));
    }
    let target = Target::resolve(conn, keys, &request.target).await?;
    let versioning = get_versioning(conn, &bucket).await?;
    check_named_keys(conn, keys, &request.source_keys).await?;
    let trips = Arc::new(RoundTrips::default());
    let scope = Scope {
        conn,
        bucket: &bucket,
        prefix: &prefix,
        keys,
        named: &request.source_keys,
    };
    let found = inspect_all(&scope, request.versions, &trips, progress, cancel).await?;
    let listed = found.len() as u64;

    let kept: Vec<(Listed, Inspected)> = found
        .into_iter()
        .filter(|(listed, inspected)| {
            ObjectFilter::keeps_all(&request.filters, &audit_row(listed, inspected))
        })
        .collect();
    let support = match target.update_object_encryption() {
        Some((arn, bucket_key))
            if kept.iter().any(|(_, i)| {
                matches!(i, Inspected::Found(f)
                if update_object_encryption_fits(&f.facts.before, &target)
                    && !target.complies(&f.facts.before, None))
            }) =>
        {
            crate::progress::or_cancelled(
                cancel,
                uoe::probe(conn, &bucket, &prefix, arn, bucket_key),
            )
            .await?
        }
        _ => Support::NotNeeded,
    };
    let caps = Capabilities {
        update_object_encryption: support.is_available(),
        multipart_threshold: request.settings.multipart_threshold,
    };
    let objects: Vec<PlannedObject> = kept
        .into_iter()
        .map(|(listed, inspected)| planned(listed, inspected, &target, caps, &support))
        .collect();
    let skipped = objects
        .iter()
        .filter(|o| o.decision.skip_reason().is_some())
        .count() as u64;
    let mut plan = Plan {
        id: super::store::new_job_id()?,
        created: now_rfc3339(),
        bucket,
        prefix,
        filters: request.filters.iter().map(ToString::to_string).collect(),
        versions: request.versions,
        target,
        delete_replaced_versions: request.delete_replaced_versions,
        source_keys: request.source_keys.clone(),
        trusted_kms: request.trusted_kms.clone(),
        settings: request.settings.clone(),
        place: conn.place(),
        versioning,
        update_object_encryption: support,
        planning: Planning {
            listed,
            selected: objects.len() as u64,
            skipped,
            heads: trips.count(),
            round_trip_ms: trips.average_ms(),
        },
        objects,
        summary: PlanSummary::default(),
    };
    plan.summarize();
    Ok(plan)
}

/// Where a plan looks, and with which keys.
struct Scope<'a> {
    conn: &'a Connection,
    bucket: &'a str,
    prefix: &'a str,
    keys: &'a KeyAccess,
    named: &'a [String],
}

/// The SSE-C keys named for the job exist (and SSE-C may be sent here at all).
async fn check_named_keys(conn: &Connection, keys: &KeyAccess, names: &[String]) -> Result<()> {
    if names.is_empty() {
        return Ok(());
    }
    conn.ensure_sse_c_allowed()?;
    let manager = keys.manager().await?;
    for name in names {
        let record = {
            let name = name.clone();
            manager.blocking(move |k| k.record(&name)).await?
        };
        if record.kind != KeyKind::SseC {
            return Err(Error::WrongKeyKind {
                name: record.name,
                kind: record.kind,
                wanted: KeyKind::SseC,
            });
        }
    }
    Ok(())
}

async fn inspect_all(
    scope: &Scope<'_>,
    versions: Versions,
    trips: &Arc<RoundTrips>,
    progress: &Progress,
    cancel: &CancellationToken,
) -> Result<Vec<(Listed, Inspected)>> {
    let Scope {
        conn,
        bucket,
        prefix,
        keys,
        named,
    } = *scope;
    let mut listed_count = 0u64;
    let entries = list(conn, bucket, prefix, versions == Versions::All).inspect(|_| {
        listed_count += 1;
        progress.set_total(listed_count);
    });
    let window = InFlight::new(Concurrency::Adaptive, conn.throttles().clone());
    let window = &window;
    let mut stream = std::pin::pin!(
        entries
            .map(|listed| async move {
                let listed = listed?;
                let inspected = window
                    .run(inspect_one(conn, bucket, &listed, keys, named, trips))
                    .await?;
                Ok::<_, Error>((listed, inspected))
            })
            .buffer_unordered(window.max())
    );
    let mut found = Vec::new();
    loop {
        let next = tokio::select! {
            biased;
            () = cancel.cancelled() => return Err(Error::Cancelled),
            next = stream.next() => next,
        };
        match next {
            Some(item) => {
                found.push(item?);
                progress.add(1);
            }
            None => break,
        }
    }
    // By key, the current version first, then older ones in listing order.
    found.sort_by(|(a, _), (b, _)| a.key.cmp(&b.key).then(b.is_latest.cmp(&a.is_latest)));
    Ok(found)
}

/// The audit's view of an inspected object (what the filters judge); gone or failed objects
/// are kept only by no filter, or the `errors` filter.
fn audit_row(listed: &Listed, inspected: &Inspected) -> AuditRow {
    match inspected {
        Inspected::Found(found) => found.row.clone(),
        Inspected::Gone => AuditRow::new(&listed.key, listed.size),
        Inspected::Failed(error) => AuditRow {
            error: Some(error.clone()),
            ..AuditRow::new(&listed.key, listed.size)
        },
    }
}

fn planned(
    listed: Listed,
    inspected: Inspected,
    target: &Target,
    caps: Capabilities,
    support: &Support,
) -> PlannedObject {
    let skipped = |reason, note| PlannedObject {
        key: listed.key.clone(),
        version_id: listed.version_id.clone(),
        etag: listed.etag.clone(),
        size: listed.size,
        facts: None,
        decision: Decision::Skip(reason),
        restated: Restated::default(),
        note,
    };
    let found = match inspected {
        Inspected::Found(found) => found,
        Inspected::Gone => return skipped(SkipReason::Gone, None),
        Inspected::Failed(error) => return skipped(SkipReason::NotInspected, Some(error)),
    };
    let decision = decide(&found.facts, target, caps);
    let fits = update_object_encryption_fits(&found.facts.before, target);
    let note = match (decision.method(), support) {
        (super::Method::Copy | super::Method::MultipartCopy, _) if fits && found.facts.locked => Some(
            "under Object Lock, which UpdateObjectEncryption refuses: copied to a new version that keeps its retention and legal hold".to_owned(),
        ),
        (super::Method::Copy | super::Method::MultipartCopy, Support::Unavailable { reason }) if fits => {
            Some(format!("copy used instead of UpdateObjectEncryption, because {reason}"))
        }
        _ => None,
    };
    PlannedObject {
        key: listed.key,
        version_id: found.version_id,
        etag: found.etag,
        size: found.facts.size,
        facts: Some(found.facts),
        decision,
        restated: found.restated,
        note,
    }
}

/// Now, as RFC 3339 UTC.
pub fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::jobs::method::Method;
    use crate::jobs::report::EncryptionState;
    use crate::s3::EncryptionMode;

    /// A plan of `n` SSE-S3 objects to copy and one skipped, as a store would hold it.
    pub(crate) fn sample(id: &str, n: usize) -> Plan {
        let facts = |size| ObjectFacts {
            before: EncryptionState::mode(EncryptionMode::SseS3),
            is_latest: true,
            size,
            archived: false,
            locked: false,
            client_master_id: None,
        };
        let mut objects: Vec<PlannedObject> = (0..n)
            .map(|i| PlannedObject {
                key: format!("p/{i}"),
                version_id: None,
                etag: Some(format!("\"e{i}\"")),
                size: 10,
                facts: Some(facts(10)),
                decision: Decision::Process(Method::Copy),
                restated: Restated::default(),
                note: None,
            })
            .collect();
        objects.push(PlannedObject {
            key: "p/done-already".into(),
            version_id: None,
            etag: None,
            size: 5,
            facts: Some(facts(5)),
            decision: Decision::Skip(SkipReason::AlreadyCompliant),
            restated: Restated::default(),
            note: None,
        });
        let mut plan = Plan {
            id: id.to_owned(),
            created: now_rfc3339(),
            bucket: "b".into(),
            prefix: "p/".into(),
            filters: vec!["sse-s3".into()],
            versions: Versions::Current,
            target: Target::SseS3,
            delete_replaced_versions: false,
            source_keys: Vec::new(),
            trusted_kms: Vec::new(),
            settings: RunSettings::default(),
            place: "aws".into(),
            versioning: Versioning::Disabled,
            update_object_encryption: Support::NotNeeded,
            planning: Planning {
                listed: n as u64 + 1,
                selected: n as u64 + 1,
                skipped: 1,
                heads: n as u64 + 1,
                round_trip_ms: 20.0,
            },
            objects,
            summary: PlanSummary::default(),
        };
        plan.summarize();
        plan
    }

    #[test]
    fn fail_sizes_past_u64_saturate_in_the_summary() {
        let mut plan = sample("j", 2);
        for object in &mut plan.objects {
            object.size = u64::MAX - 1;
        }
        plan.summarize();
        assert_eq!(plan.summary.total, 3);
        assert_eq!(plan.summary.bytes, u64::MAX);
        assert_eq!(plan.summary.bytes_by_method[&Method::Copy], u64::MAX);
    }

    #[test]
    fn rows_before_the_run_are_pending_or_skipped() {
        let plan = sample("j", 2);
        let rows = plan.rows();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].status, RowStatus::Pending);
        assert_eq!(rows[2].status, RowStatus::Skipped);
        assert_eq!(rows[2].after, rows[2].before);
        assert_eq!(plan.summary.by_method[&Method::Copy], 2);
        assert_eq!(plan.summary.skipped[&SkipReason::AlreadyCompliant], 1);
    }
}
