//! Adding and removing s3seal's "deny plain HTTP" statements in a bucket policy, merged into
//! whatever the policy already holds: every other statement and every other top-level field is
//! kept exactly as it was. A policy that cannot be read is an error, never overwritten.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;
use serde_json::{Map, Value, json};

use super::policy::{analyze_policy, bucket_arn, objects_arn, statements_of};
use crate::error::{Error, Result};

/// Sid of the statement that denies every request made without TLS.
pub const SID_DENY_INSECURE: &str = "S3sealDenyInsecureTransport";
/// Sid of the statement that denies TLS versions below a minimum.
pub const SID_DENY_OLD_TLS: &str = "S3sealDenyOldTls";

/// A minimum TLS version for `s3:TlsVersion`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum TlsVersion {
    #[serde(rename = "1.1")]
    V1_1,
    #[serde(rename = "1.2")]
    V1_2,
    #[serde(rename = "1.3")]
    V1_3,
}

impl TlsVersion {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::V1_1 => "1.1",
            Self::V1_2 => "1.2",
            Self::V1_3 => "1.3",
        }
    }
}

impl fmt::Display for TlsVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TlsVersion {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s.trim() {
            "1.1" => Ok(Self::V1_1),
            "1.2" => Ok(Self::V1_2),
            "1.3" => Ok(Self::V1_3),
            other => Err(Error::InvalidInput(format!(
                "unknown minimum TLS version '{other}': use 1.2 (recommended), 1.3 or 1.1"
            ))),
        }
    }
}

/// A proposed change to a bucket policy, to show before applying.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PolicyChange {
    /// The policy before (None: the bucket has no policy).
    pub before: Option<Value>,
    /// The policy after (None: delete the bucket policy, no statement is left).
    pub after: Option<Value>,
    /// Whether anything changes.
    pub changed: bool,
    /// Statements added (as they will be stored).
    pub added: Vec<Value>,
    /// Statements removed.
    pub removed: Vec<Value>,
    /// How many other statements are kept untouched.
    pub kept: usize,
    /// Plain-words notes (e.g. "already enforced by statement X").
    pub notes: Vec<String>,
}

impl PolicyChange {
    /// A human-readable diff: removed statements with `-`, added with `+`.
    pub fn diff(&self) -> String {
        let mut out = String::new();
        if !self.changed {
            out.push_str("no change to the bucket policy\n");
        }
        for statement in &self.removed {
            for line in pretty(statement).lines() {
                out.push_str("- ");
                out.push_str(line);
                out.push('\n');
            }
        }
        for statement in &self.added {
            for line in pretty(statement).lines() {
                out.push_str("+ ");
                out.push_str(line);
                out.push('\n');
            }
        }
        if self.changed {
            out.push_str(&format!(
                "  ({} other statement{} kept unchanged{})\n",
                self.kept,
                if self.kept == 1 { "" } else { "s" },
                if self.after.is_none() {
                    "; no statement is left, so the bucket policy will be deleted"
                } else {
                    ""
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

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
}

fn malformed(bucket: &str, reason: String) -> Error {
    Error::PolicyUnreadable {
        bucket: bucket.to_owned(),
        reason,
    }
}

/// The statement denying every request made without TLS, to the bucket and its objects.
pub fn insecure_transport_statement(partition: &str, bucket: &str) -> Value {
    json!({
        "Sid": SID_DENY_INSECURE,
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [bucket_arn(partition, bucket), objects_arn(partition, bucket)],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}}
    })
}

/// The statement denying TLS versions below `min`.
pub fn old_tls_statement(partition: &str, bucket: &str, min: TlsVersion) -> Value {
    json!({
        "Sid": SID_DENY_OLD_TLS,
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [bucket_arn(partition, bucket), objects_arn(partition, bucket)],
        "Condition": {"NumericLessThan": {"s3:TlsVersion": min.as_str()}}
    })
}

fn is_ours(statement: &Value) -> bool {
    matches!(
        statement.get("Sid").and_then(Value::as_str),
        Some(SID_DENY_INSECURE | SID_DENY_OLD_TLS)
    )
}

/// Splits an existing policy into its other top-level fields and its statements.
fn split(existing: Option<&Value>, bucket: &str) -> Result<(Map<String, Value>, Vec<Value>)> {
    match existing {
        None => {
            let mut top = Map::new();
            top.insert("Version".to_owned(), Value::String("2012-10-17".to_owned()));
            Ok((top, Vec::new()))
        }
        Some(policy) => {
            let statements = statements_of(policy)
                .map_err(|reason| malformed(bucket, reason))?
                .into_iter()
                .cloned()
                .collect();
            let mut top = policy
                .as_object()
                .cloned()
                .ok_or_else(|| malformed(bucket, "the policy is not a JSON object".to_owned()))?;
            top.remove("Statement");
            Ok((top, statements))
        }
    }
}

fn assemble(mut top: Map<String, Value>, statements: Vec<Value>) -> Option<Value> {
    if statements.is_empty() {
        return None;
    }
    top.insert("Statement".to_owned(), Value::Array(statements));
    Some(Value::Object(top))
}

/// Adds s3seal's deny statement(s) to `existing` (in the `aws` partition). See
/// [`enforce_tls_in`].
pub fn enforce_tls(
    existing: Option<&Value>,
    bucket: &str,
    min_tls: Option<TlsVersion>,
) -> Result<PolicyChange> {
    enforce_tls_in(existing, "aws", bucket, min_tls)
}

/// Adds a deny of every plain-HTTP request (and, with `min_tls`, of older TLS versions) to
/// `existing`, replacing earlier s3seal statements with the same Sids and keeping every other
/// statement as it is. When the policy already denies plain HTTP completely through statements
/// of its own, nothing is added for that part.
pub fn enforce_tls_in(
    existing: Option<&Value>,
    partition: &str,
    bucket: &str,
    min_tls: Option<TlsVersion>,
) -> Result<PolicyChange> {
    let (top, statements) = split(existing, bucket)?;
    let (ours, others): (Vec<Value>, Vec<Value>) = statements.into_iter().partition(is_ours);
    let mut notes = Vec::new();

    // What the other statements already do on their own.
    let others_policy = assemble(top.clone(), others.clone());
    let others_analysis = others_policy.as_ref().map(|p| analyze_policy(p, bucket));
    let mut wanted = Vec::new();
    match &others_analysis {
        Some(a) if a.tls_enforced => notes.push(format!(
            "plain HTTP is already denied by {}; no s3seal statement is needed for it",
            a.enforcing_statements.join(", ")
        )),
        _ => wanted.push(insecure_transport_statement(partition, bucket)),
    }
    if let Some(min) = min_tls {
        let have = others_analysis
            .as_ref()
            .and_then(|a| a.min_tls_version.clone());
        match have {
            Some(v) if v.as_str() >= min.as_str() => notes.push(format!(
                "TLS {v} or newer is already required by the policy's own statements"
            )),
            _ => wanted.push(old_tls_statement(partition, bucket, min)),
        }
    }

    let kept = others.len();
    let removed: Vec<Value> = ours
        .iter()
        .filter(|s| !wanted.contains(s))
        .cloned()
        .collect();
    let added: Vec<Value> = wanted
        .iter()
        .filter(|s| !ours.contains(s))
        .cloned()
        .collect();
    if added.is_empty() && removed.is_empty() && existing.is_some() {
        return Ok(PolicyChange {
            before: existing.cloned(),
            after: existing.cloned(),
            changed: false,
            added,
            removed,
            kept,
            notes,
        });
    }
    let mut merged = others;
    merged.extend(wanted);
    let after = assemble(top, merged);
    let changed = after.as_ref() != existing;
    Ok(PolicyChange {
        before: existing.cloned(),
        after,
        changed,
        added,
        removed,
        kept,
        notes,
    })
}

/// Removes s3seal's statements (and only those) from `existing`. When no statement is left,
/// `after` is `None`: the bucket policy is to be deleted.
pub fn relax_tls(existing: Option<&Value>, bucket: &str) -> Result<PolicyChange> {
    let Some(policy) = existing else {
        return Ok(PolicyChange {
            before: None,
            after: None,
            changed: false,
            added: Vec::new(),
            removed: Vec::new(),
            kept: 0,
            notes: vec!["the bucket has no policy".to_owned()],
        });
    };
    let (top, statements) = split(Some(policy), bucket)?;
    let (removed, others): (Vec<Value>, Vec<Value>) = statements.into_iter().partition(is_ours);
    let kept = others.len();
    let mut notes = Vec::new();
    let after = if removed.is_empty() {
        notes.push("the policy holds no s3seal statement; nothing to remove".to_owned());
        Some(policy.clone())
    } else {
        assemble(top, others)
    };
    if let Some(after) = &after {
        let analysis = analyze_policy(after, bucket);
        if analysis.tls_enforced {
            notes.push(format!(
                "plain HTTP stays denied by {}, which s3seal did not add and leaves alone",
                analysis.enforcing_statements.join(", ")
            ));
        }
    }
    Ok(PolicyChange {
        before: Some(policy.clone()),
        changed: !removed.is_empty(),
        after,
        added: Vec::new(),
        removed,
        kept,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn existing() -> Value {
        json!({
            "Version": "2012-10-17",
            "Id": "keep-me",
            "Statement": [
                {"Sid": "ReadOnly", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
                 "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::b/*",
                 "Condition": {"StringEquals": {"aws:PrincipalTag/team": "x"}}, "x-unknown": [1, 2]},
                {"Effect": "Deny", "Principal": "*", "Action": "s3:DeleteBucket", "Resource": "arn:aws:s3:::b"}
            ]
        })
    }

    #[test]
    fn enforce_keeps_everything_else() {
        let before = existing();
        let change = enforce_tls(Some(&before), "b", Some(TlsVersion::V1_2)).unwrap();
        assert!(change.changed);
        let after = change.after.clone().unwrap();
        assert_eq!(after["Id"], "keep-me");
        assert_eq!(after["Version"], "2012-10-17");
        let stmts = after["Statement"].as_array().unwrap();
        assert_eq!(stmts.len(), 4);
        assert_eq!(stmts[0], before["Statement"][0]);
        assert_eq!(stmts[1], before["Statement"][1]);
        assert_eq!(stmts[2]["Sid"], SID_DENY_INSECURE);
        assert_eq!(stmts[3]["Sid"], SID_DENY_OLD_TLS);
        let a = analyze_policy(&after, "b");
        assert!(a.tls_enforced, "{a:?}");
        assert_eq!(a.min_tls_version.as_deref(), Some("1.2"));
        assert_eq!(change.kept, 2);
        assert!(
            change
                .diff()
                .contains("+   \"Sid\": \"S3sealDenyInsecureTransport\"")
        );

        // Idempotent.
        let again = enforce_tls(Some(&after), "b", Some(TlsVersion::V1_2)).unwrap();
        assert!(!again.changed, "{}", again.diff());

        // Relax removes exactly ours and gives back the original.
        let relaxed = relax_tls(Some(&after), "b").unwrap();
        assert_eq!(relaxed.after.as_ref(), Some(&before));
        assert_eq!(relaxed.removed.len(), 2);
    }

    #[test]
    fn single_statement_object_and_no_policy() {
        let one = json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}});
        let change = enforce_tls(Some(&one), "b", None).unwrap();
        let after = change.after.unwrap();
        assert_eq!(after["Statement"][0], one["Statement"]);
        let fresh = enforce_tls(None, "b", None).unwrap();
        let fresh_after = fresh.after.unwrap();
        assert_eq!(fresh_after["Statement"].as_array().unwrap().len(), 1);
        let relaxed = relax_tls(Some(&fresh_after), "b").unwrap();
        assert!(relaxed.changed);
        assert!(relaxed.after.is_none(), "empty policy is deleted");
    }

    #[test]
    fn already_enforced_by_own_statement_adds_nothing() {
        let p = json!({"Version":"2012-10-17","Statement":[{"Sid":"AllowSSLRequestsOnly","Effect":"Deny","Principal":"*","Action":"s3:*",
            "Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]});
        let change = enforce_tls(Some(&p), "b", None).unwrap();
        assert!(!change.changed);
        assert!(
            change.notes[0].contains("AllowSSLRequestsOnly"),
            "{:?}",
            change.notes
        );
        let relaxed = relax_tls(Some(&p), "b").unwrap();
        assert!(!relaxed.changed);
    }

    #[test]
    fn malformed_is_an_error() {
        for bad in [
            json!([1]),
            json!({"Version": "2012-10-17"}),
            json!({"Statement": "x"}),
        ] {
            let err = enforce_tls(Some(&bad), "b", None).unwrap_err().to_string();
            assert!(err.contains("left unchanged"), "{err}");
            assert!(relax_tls(Some(&bad), "b").is_err());
        }
    }
}
