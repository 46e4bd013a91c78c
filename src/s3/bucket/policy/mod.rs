//! Bucket policy analysis: pure, no I/O.
//!
//! The question answered is the one a careful reviewer asks: does this policy deny **every**
//! request made without TLS, to the bucket **and** to its objects, from **anyone**? A policy
//! that only looks like enforcement (an `Allow` with `aws:SecureTransport` = true, a deny
//! scoped to one action, to one principal, to the objects only, or weakened by an extra
//! condition) is reported with the reason in plain words.
//!
//! Conditions are evaluated three-valued against an abstract request: for a plain-HTTP request
//! `aws:SecureTransport` is `false` and `s3:TlsVersion` is absent; every other condition key is
//! unknown, so a statement that also depends on one of them does not deny *every* such request.

mod analysis;
mod conditions;
mod coverage;
mod glob;
mod statement;

use serde::Serialize;
use serde_json::Value;

pub use analysis::analyze_policy;
pub use conditions::{Known, Tri};
pub(crate) use conditions::{eval_conditions, eval_entry};
pub(crate) use coverage::{ActionCoverage, ResourceCoverage, action_coverage, resource_coverage};
pub use glob::{glob_covers_prefix, glob_matches, glob_touches_prefix};
pub(crate) use statement::{
    ConditionEntry, Effect, Patterns, Principals, Statement, parse_statement,
};

/// AWS partitions whose S3 ARNs are recognised for a bucket.
pub const PARTITIONS: [&str; 3] = ["aws", "aws-cn", "aws-us-gov"];

/// TLS versions S3 may negotiate, lowest first (for `s3:TlsVersion`).
pub const TLS_VERSIONS: [&str; 4] = ["1.0", "1.1", "1.2", "1.3"];

/// How bad a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// Worth knowing; not a gap.
    Info,
    /// Looks like protection but leaves a gap, or is likely a mistake.
    Warning,
    /// The policy cannot be read, or a statement is broken.
    Problem,
}

/// Machine-readable kind of a finding (stable names for tests and the window).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FindingKind {
    /// The policy text is not a JSON policy document.
    Malformed,
    /// One statement cannot be understood (missing Effect, Action, Resource, …).
    MalformedStatement,
    /// Nothing in the policy denies plain-HTTP requests.
    NoTlsDeny,
    /// A TLS deny that names specific principals instead of everyone.
    NotAllPrincipals,
    /// A TLS deny with `NotPrincipal`: the listed principals are exempt.
    NotPrincipalExemption,
    /// A TLS deny that covers only some actions.
    PartialActions,
    /// A TLS deny with `NotAction`: the listed S3 actions are exempt.
    NotActionExemption,
    /// A TLS deny with `NotResource`: the listed resources are exempt.
    NotResourceExemption,
    /// No TLS deny covers the bucket ARN itself.
    BucketNotCovered,
    /// No TLS deny covers every object (`arn:…:BUCKET/*`).
    ObjectsNotCovered,
    /// A TLS deny whose resources name another bucket.
    OtherBucket,
    /// A TLS deny that also depends on another condition key, so some plain-HTTP requests pass.
    ExtraCondition,
    /// An `Allow` conditioned on `aws:SecureTransport`: grants, never blocks.
    AllowLooksLikeEnforcement,
    /// A deny on `aws:SecureTransport` = true: it blocks TLS requests instead.
    ReversedCondition,
    /// A condition on `aws:SecureTransport` that never matches a plain-HTTP request (Null,
    /// a string operator, …).
    IneffectiveCondition,
    /// A deny with no condition on everyone: it blocks every request, TLS or not.
    BlanketDeny,
    /// An `s3:TlsVersion` minimum that does not cover everyone / every action / the bucket and
    /// its objects, or that is below TLS 1.2.
    WeakMinTls,
}

/// One thing a reviewer should know about the policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PolicyFinding {
    pub kind: FindingKind,
    pub severity: Severity,
    /// The statement's Sid, or `statement #N` (1-based) when it has none.
    pub statement: Option<String>,
    /// Plain words: what is wrong and what it means.
    pub message: String,
}

/// The verdict on a policy's transport protection.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PolicyAnalysis {
    /// True only when every non-TLS request to the bucket and to its objects, from anyone, is
    /// denied.
    pub tls_enforced: bool,
    /// Plain-HTTP requests to the bucket ARN itself are denied for everyone, every action.
    pub denies_insecure_bucket: bool,
    /// Plain-HTTP requests to every object are denied for everyone, every action.
    pub denies_insecure_objects: bool,
    /// The lowest TLS version every request must use (`"1.2"`), when a deny on
    /// `s3:TlsVersion` covers everyone, every action, the bucket and its objects.
    pub min_tls_version: Option<String>,
    /// Labels of the statements that deny plain HTTP completely on their own resources.
    pub enforcing_statements: Vec<String>,
    pub findings: Vec<PolicyFinding>,
}

impl PolicyAnalysis {
    /// The findings' messages, for a plain list.
    pub fn messages(&self) -> Vec<String> {
        self.findings.iter().map(|f| f.message.clone()).collect()
    }

    /// Whether a finding of `kind` is present.
    pub fn has(&self, kind: FindingKind) -> bool {
        self.findings.iter().any(|f| f.kind == kind)
    }
}

/// Parses policy text into a JSON value and checks it has the shape of a policy document.
/// Unknown fields are kept.
pub fn parse_policy(text: &str) -> Result<Value, String> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| format!("the policy is not valid JSON ({e})"))?;
    statements_of(&value)?;
    Ok(value)
}

/// The statements of a policy document (`Statement` may be one object or an array).
pub fn statements_of(policy: &Value) -> Result<Vec<&Value>, String> {
    let object = policy
        .as_object()
        .ok_or_else(|| "the policy is not a JSON object".to_owned())?;
    match object.get("Statement") {
        Some(Value::Array(items)) => {
            if let Some(bad) = items.iter().position(|s| !s.is_object()) {
                return Err(format!("Statement #{} is not a JSON object", bad + 1));
            }
            Ok(items.iter().collect())
        }
        Some(one @ Value::Object(_)) => Ok(vec![one]),
        Some(_) => Err("\"Statement\" is neither an object nor an array".to_owned()),
        None => Err("the policy has no \"Statement\"".to_owned()),
    }
}

/// The bucket's own ARN in `partition`.
pub fn bucket_arn(partition: &str, bucket: &str) -> String {
    format!("arn:{partition}:s3:::{bucket}")
}

/// The ARN pattern for every object of the bucket in `partition`.
pub fn objects_arn(partition: &str, bucket: &str) -> String {
    format!("arn:{partition}:s3:::{bucket}/*")
}

/// The AWS partition a region belongs to (`aws`, `aws-cn`, `aws-us-gov`).
pub fn partition_for_region(region: Option<&str>) -> &'static str {
    match region {
        Some(r) if r.starts_with("cn-") => "aws-cn",
        Some(r) if r.starts_with("us-gov-") => "aws-us-gov",
        _ => "aws",
    }
}
