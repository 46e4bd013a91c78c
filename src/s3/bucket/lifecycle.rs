//! The lifecycle rule that has S3 abort incomplete multipart uploads some days after they
//! started (`AbortIncompleteMultipartUpload`), merged into whatever lifecycle configuration the
//! bucket already has: every other rule, and the configuration's other settings, are written
//! back exactly as they were read. The merge is pure ([`merge_abort_rule`]); the write checks
//! that the stored configuration is still the one the merge started from.

use aws_sdk_s3::error::ProvideErrorMetadata as _;
use aws_sdk_s3::types::{
    AbortIncompleteMultipartUpload, BucketLifecycleConfiguration, ExpirationStatus, LifecycleRule,
    LifecycleRuleFilter, TransitionDefaultMinimumObjectSize,
};
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::error::{Error, Result};
use crate::s3::connection::Connection;
use crate::s3::errors::from_sdk;

/// ID of the rule s3seal adds (and later replaces, never any other).
pub const ABORT_RULE_ID: &str = "S3sealAbortIncompleteUploads";
/// S3 takes at most this many rules in one configuration.
const MAX_RULES: usize = 1000;

/// A bucket's lifecycle configuration as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct LifecycleConfig {
    pub rules: Vec<LifecycleRule>,
    /// The configuration-wide minimum object size for transitions (a header, not a rule).
    pub transition_default_minimum_object_size: Option<TransitionDefaultMinimumObjectSize>,
}

/// Whether, and how, the bucket's lifecycle rules abort incomplete uploads.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum AbortRule {
    /// An enabled rule aborts every incomplete upload in the bucket after `days`.
    WholeBucket { rule_id: String, days: i32 },
    /// Only some uploads are covered (rules scoped to a prefix, tags or sizes), or the rules
    /// that would cover all are disabled.
    Partial { rule_ids: Vec<String> },
    /// No rule aborts incomplete uploads.
    None,
}

/// A proposed change to the lifecycle configuration, to show before applying.
#[derive(Clone, Debug, PartialEq)]
pub struct LifecycleChange {
    /// As read (`None`: the bucket had no lifecycle configuration).
    pub before: Option<LifecycleConfig>,
    pub after: LifecycleConfig,
    pub changed: bool,
    /// s3seal's rule as it was, if it was there and changes.
    pub removed: Option<LifecycleRule>,
    /// s3seal's rule as it will be stored, if it changes.
    pub added: Option<LifecycleRule>,
    /// The IDs of the other rules, kept exactly as they were.
    pub kept: Vec<String>,
    /// Plain-words notes (e.g. "already done by rule X").
    pub notes: Vec<String>,
}

impl LifecycleChange {
    /// A human-readable diff: the rule removed with `-`, the rule added with `+`.
    pub fn diff(&self) -> String {
        let mut out = String::new();
        if !self.changed {
            out.push_str("no change to the lifecycle configuration\n");
        }
        let mut lines = |sign: &str, rule: &LifecycleRule| {
            let text = serde_json::to_string_pretty(&rule_json(rule)).unwrap_or_default();
            for line in text.lines() {
                out.push_str(sign);
                out.push_str(line);
                out.push('\n');
            }
        };
        if let Some(rule) = &self.removed {
            lines("- ", rule);
        }
        if let Some(rule) = &self.added {
            lines("+ ", rule);
        }
        if self.changed {
            let n = self.kept.len();
            out.push_str(&format!(
                "  ({n} other rule{} kept unchanged{})\n",
                if n == 1 { "" } else { "s" },
                if n == 0 {
                    String::new()
                } else {
                    format!(": {}", self.kept.join(", "))
                }
            ));
        }
        for note in &self.notes {
            out.push_str("note: ");
            out.push_str(note);
            out.push('\n');
        }
        out
    }
}

/// s3seal's rule: abort every incomplete upload in the bucket `days` after it started.
pub fn abort_rule(days: i32) -> Result<LifecycleRule> {
    LifecycleRule::builder()
        .id(ABORT_RULE_ID)
        .status(ExpirationStatus::Enabled)
        .filter(LifecycleRuleFilter::builder().build())
        .abort_incomplete_multipart_upload(
            AbortIncompleteMultipartUpload::builder()
                .days_after_initiation(days)
                .build(),
        )
        .build()
        .map_err(|e| Error::Internal(format!("cannot build the lifecycle rule: {e}")))
}

fn rule_id(rule: &LifecycleRule) -> String {
    rule.id()
        .filter(|id| !id.is_empty())
        .map_or_else(|| "(a rule without ID)".to_owned(), |id| format!("'{id}'"))
}

/// Whether a rule applies to every object of the bucket: no filter, an empty one, or an empty
/// prefix (in the filter or, deprecated, on the rule itself).
#[expect(
    deprecated,
    reason = "older configurations still scope rules with the rule-level Prefix"
)]
fn covers_whole_bucket(rule: &LifecycleRule) -> bool {
    match rule.filter() {
        Some(f) => {
            f.prefix().is_none_or(str::is_empty)
                && f.tag().is_none()
                && f.and().is_none()
                && f.object_size_greater_than().is_none()
                && f.object_size_less_than().is_none()
        }
        None => rule.prefix().is_none_or(str::is_empty),
    }
}

fn abort_days(rule: &LifecycleRule) -> Option<i32> {
    rule.abort_incomplete_multipart_upload()
        .and_then(|a| a.days_after_initiation())
}

/// What the configuration does about incomplete uploads.
pub fn abort_rule_state(config: Option<&LifecycleConfig>) -> AbortRule {
    let rules = config.map(|c| c.rules.as_slice()).unwrap_or_default();
    let whole = rules
        .iter()
        .filter(|r| *r.status() == ExpirationStatus::Enabled && covers_whole_bucket(r))
        .filter_map(|r| abort_days(r).map(|d| (r, d)))
        .min_by_key(|(_, d)| *d);
    if let Some((rule, days)) = whole {
        return AbortRule::WholeBucket {
            rule_id: rule.id().unwrap_or_default().to_owned(),
            days,
        };
    }
    let some: Vec<String> = rules
        .iter()
        .filter(|r| abort_days(r).is_some())
        .map(|r| r.id().unwrap_or_default().to_owned())
        .collect();
    if some.is_empty() {
        AbortRule::None
    } else {
        AbortRule::Partial { rule_ids: some }
    }
}

/// Adds (or updates) s3seal's rule aborting incomplete uploads `days` after they started,
/// keeping every other rule and setting as it is. Nothing changes when an enabled rule of the
/// bucket's own already aborts every incomplete upload within `days`.
pub fn merge_abort_rule(existing: Option<&LifecycleConfig>, days: i32) -> Result<LifecycleChange> {
    if days < 1 {
        return Err(Error::InvalidInput(format!(
            "{days} days: incomplete uploads can be aborted 1 day after they started at the earliest"
        )));
    }
    let before_rules = existing.map(|c| c.rules.clone()).unwrap_or_default();
    let ours_at = before_rules
        .iter()
        .position(|r| r.id() == Some(ABORT_RULE_ID));
    let kept: Vec<String> = before_rules
        .iter()
        .filter(|r| r.id() != Some(ABORT_RULE_ID))
        .map(rule_id)
        .collect();
    let mut notes = Vec::new();
    for rule in before_rules
        .iter()
        .filter(|r| r.id() != Some(ABORT_RULE_ID))
    {
        let Some(d) = abort_days(rule) else { continue };
        let enabled = *rule.status() == ExpirationStatus::Enabled;
        let whole = covers_whole_bucket(rule);
        if enabled && whole && d <= days && ours_at.is_none() {
            return Ok(LifecycleChange {
                before: existing.cloned(),
                after: existing.cloned().unwrap_or(LifecycleConfig {
                    rules: before_rules.clone(),
                    transition_default_minimum_object_size: None,
                }),
                changed: false,
                removed: None,
                added: None,
                kept,
                notes: vec![format!(
                    "rule {} already aborts every incomplete upload {d} day{} after it started",
                    rule_id(rule),
                    if d == 1 { "" } else { "s" }
                )],
            });
        }
        notes.push(format!(
            "rule {} also aborts incomplete uploads after {d} days{}; it is left as it is",
            rule_id(rule),
            match (enabled, whole) {
                (false, _) => ", but it is disabled",
                (true, false) => ", for part of the bucket only",
                (true, true) => "",
            }
        ));
    }
    let wanted = abort_rule(days)?;
    let mut rules = before_rules.clone();
    let removed = match ours_at {
        Some(i) if rules[i] == wanted => None,
        Some(i) => Some(std::mem::replace(&mut rules[i], wanted.clone())),
        None => {
            if rules.len() >= MAX_RULES {
                return Err(Error::Unsupported(format!(
                    "the bucket already has {} lifecycle rules, the most S3 allows; no rule can be added",
                    rules.len()
                )));
            }
            rules.push(wanted.clone());
            None
        }
    };
    let changed = existing.is_none() || rules != before_rules;
    let after = LifecycleConfig {
        rules,
        transition_default_minimum_object_size: existing
            .and_then(|c| c.transition_default_minimum_object_size.clone()),
    };
    Ok(LifecycleChange {
        before: existing.cloned(),
        after,
        changed,
        added: changed.then_some(wanted),
        removed,
        kept,
        notes,
    })
}

/// Reads the lifecycle configuration; `None` when the bucket has none.
pub async fn get_lifecycle(conn: &Connection, bucket: &str) -> Result<Option<LifecycleConfig>> {
    match conn
        .s3()
        .get_bucket_lifecycle_configuration()
        .bucket(bucket)
        .send()
        .await
    {
        Ok(out) => Ok(Some(LifecycleConfig {
            rules: out.rules().to_vec(),
            transition_default_minimum_object_size: out
                .transition_default_minimum_object_size()
                .cloned(),
        })),
        Err(err) if err.code() == Some("NoSuchLifecycleConfiguration") => Ok(None),
        Err(err) => Err(from_sdk("GetBucketLifecycleConfiguration", err)),
    }
}

/// The change `bucket abort-incomplete-uploads` would make (nothing is written).
pub async fn plan_abort_rule(
    conn: &Connection,
    bucket: &str,
    days: i32,
) -> Result<LifecycleChange> {
    let existing = get_lifecycle(conn, bucket).await?;
    merge_abort_rule(existing.as_ref(), days)
}

/// Writes a planned change after checking the stored configuration is still the one it was
/// planned from, so a configuration edited meanwhile is never overwritten.
pub async fn apply_lifecycle_change(
    conn: &Connection,
    bucket: &str,
    change: &LifecycleChange,
) -> Result<()> {
    if !change.changed {
        return Ok(());
    }
    if get_lifecycle(conn, bucket).await? != change.before {
        return Err(Error::Conflict {
            what: format!("the lifecycle configuration of bucket {bucket}"),
        });
    }
    let config = BucketLifecycleConfiguration::builder()
        .set_rules(Some(change.after.rules.clone()))
        .build()
        .map_err(|e| Error::Internal(format!("cannot build the lifecycle configuration: {e}")))?;
    conn.s3()
        .put_bucket_lifecycle_configuration()
        .bucket(bucket)
        .lifecycle_configuration(config)
        .set_transition_default_minimum_object_size(
            change.after.transition_default_minimum_object_size.clone(),
        )
        .send()
        .await
        .map_err(|e| from_sdk("PutBucketLifecycleConfiguration", e))?;
    Ok(())
}

/// A rule in the JSON shape of the S3 API (`aws s3api get-bucket-lifecycle-configuration`),
/// for showing only: every field a rule can have, absent ones left out.
/// The whole-bucket rule S3 reports after [`apply_abort_rule`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ActiveAbortRule {
    pub rule_id: String,
    /// Incomplete uploads are aborted this many days after they start.
    pub days: i32,
}

/// Writes a planned abort rule ([`apply_lifecycle_change`]), then reads the configuration back
/// and returns the rule S3 now applies to the whole bucket. S3 accepting the configuration but
/// not reporting such a rule is an error, not a success.
pub async fn apply_abort_rule(
    conn: &Connection,
    bucket: &str,
    change: &LifecycleChange,
) -> Result<ActiveAbortRule> {
    apply_lifecycle_change(conn, bucket, change).await?;
    let now = get_lifecycle(conn, bucket).await?;
    match abort_rule_state(now.as_ref()) {
        AbortRule::WholeBucket { rule_id, days } => Ok(ActiveAbortRule { rule_id, days }),
        AbortRule::Partial { .. } | AbortRule::None => Err(Error::Unsupported(format!(
            "S3 accepted the lifecycle configuration of {bucket} but does not report a rule that aborts its incomplete uploads"
        ))),
    }
}

#[expect(
    deprecated,
    reason = "older configurations still scope rules with the rule-level Prefix"
)]
pub fn rule_json(rule: &LifecycleRule) -> Value {
    let mut out = Map::new();
    let mut put = |name: &str, value: Option<Value>| {
        if let Some(value) = value {
            out.insert(name.to_owned(), value);
        }
    };
    let date = |d: &aws_smithy_types::DateTime| Value::String(d.to_string());
    let tag = |t: &aws_sdk_s3::types::Tag| json!({"Key": t.key(), "Value": t.value()});
    put("ID", rule.id().map(|s| json!(s)));
    put("Prefix", rule.prefix().map(|s| json!(s)));
    put(
        "Filter",
        rule.filter().map(|f| {
            let mut m = Map::new();
            if let Some(p) = f.prefix() {
                m.insert("Prefix".into(), json!(p));
            }
            if let Some(t) = f.tag() {
                m.insert("Tag".into(), tag(t));
            }
            if let Some(n) = f.object_size_greater_than() {
                m.insert("ObjectSizeGreaterThan".into(), json!(n));
            }
            if let Some(n) = f.object_size_less_than() {
                m.insert("ObjectSizeLessThan".into(), json!(n));
            }
            if let Some(a) = f.and() {
                let mut and = Map::new();
                if let Some(p) = a.prefix() {
                    and.insert("Prefix".into(), json!(p));
                }
                if !a.tags().is_empty() {
                    and.insert("Tags".into(), a.tags().iter().map(tag).collect());
                }
                if let Some(n) = a.object_size_greater_than() {
                    and.insert("ObjectSizeGreaterThan".into(), json!(n));
                }
                if let Some(n) = a.object_size_less_than() {
                    and.insert("ObjectSizeLessThan".into(), json!(n));
                }
                m.insert("And".into(), Value::Object(and));
            }
            Value::Object(m)
        }),
    );
    put("Status", Some(json!(rule.status().as_str())));
    put(
        "Expiration",
        rule.expiration().map(|e| {
            json!({"Days": e.days(), "Date": e.date().map(date), "ExpiredObjectDeleteMarker": e.expired_object_delete_marker()})
        }),
    );
    if !rule.transitions().is_empty() {
        put(
            "Transitions",
            Some(
                rule.transitions()
                    .iter()
                    .map(|t| json!({"Days": t.days(), "Date": t.date().map(date), "StorageClass": t.storage_class().map(|c| c.as_str())}))
                    .collect(),
            ),
        );
    }
    if !rule.noncurrent_version_transitions().is_empty() {
        put(
            "NoncurrentVersionTransitions",
            Some(
                rule.noncurrent_version_transitions()
                    .iter()
                    .map(|t| json!({"NoncurrentDays": t.noncurrent_days(), "StorageClass": t.storage_class().map(|c| c.as_str()), "NewerNoncurrentVersions": t.newer_noncurrent_versions()}))
                    .collect(),
            ),
        );
    }
    put(
        "NoncurrentVersionExpiration",
        rule.noncurrent_version_expiration().map(|e| {
            json!({"NoncurrentDays": e.noncurrent_days(), "NewerNoncurrentVersions": e.newer_noncurrent_versions()})
        }),
    );
    put(
        "AbortIncompleteMultipartUpload",
        rule.abort_incomplete_multipart_upload()
            .map(|a| json!({"DaysAfterInitiation": a.days_after_initiation()})),
    );
    Value::Object(strip_nulls(out))
}

fn strip_nulls(map: Map<String, Value>) -> Map<String, Value> {
    map.into_iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| match v {
            Value::Object(m) => (k, Value::Object(strip_nulls(m))),
            Value::Array(items) => (
                k,
                Value::Array(
                    items
                        .into_iter()
                        .map(|i| match i {
                            Value::Object(m) => Value::Object(strip_nulls(m)),
                            other => other,
                        })
                        .collect(),
                ),
            ),
            other => (k, other),
        })
        .collect()
}

#[cfg(test)]
#[path = "lifecycle_tests.rs"]
mod tests;
