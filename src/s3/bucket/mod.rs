//! Bucket protection: the bucket policy (does it force TLS?), default encryption, the SSE-C
//! block, versioning, an upload preview and an encryption audit.
//!
//! The policy analysis ([`policy`]) and the merge of s3seal's deny statements ([`tls_policy`])
//! are pure; everything else talks to S3 through a [`Connection`].

pub mod audit;
mod audit_cache;
pub mod default_encryption;
pub mod filter;
pub mod lifecycle;
pub mod policy;
pub mod preview;
pub mod ssec_block;
pub mod tls_policy;

use aws_sdk_s3::error::ProvideErrorMetadata as _;
use serde::Serialize;
use serde_json::Value;

pub use audit::{AuditOptions, AuditReport, AuditRow, audit};
pub use default_encryption::{
    DefaultEncryption, DefaultEncryptionRequest, DefaultMode, EncryptionRule, get_encryption_rule,
    set_default_encryption,
};
pub use policy::{FindingKind, PolicyAnalysis, PolicyFinding, Severity, analyze_policy};
pub use preview::{
    PlannedEncryption, UploadPreview, UploadRules, preview_upload, preview_upload_with,
};
pub use ssec_block::{SseCBlockOutcome, block_sse_c, unblock_sse_c};
pub use tls_policy::{PolicyChange, TlsVersion, enforce_tls, enforce_tls_in, relax_tls};

use crate::error::{Error, Result};
use crate::remedy::Remedy;
use crate::s3::connection::Connection;
use crate::s3::encryption::EncryptionMode;
use crate::s3::errors::from_sdk;

/// The bucket policy as stored: its text, and the parsed value when it parses.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredPolicy {
    pub text: String,
    pub parsed: std::result::Result<Value, String>,
}

/// Reads the bucket policy; `None` when the bucket has none.
pub async fn get_policy(conn: &Connection, bucket: &str) -> Result<Option<StoredPolicy>> {
    match conn.s3().get_bucket_policy().bucket(bucket).send().await {
        Ok(out) => Ok(out
            .policy()
            .filter(|p| !p.trim().is_empty())
            .map(|text| StoredPolicy {
                text: text.to_owned(),
                parsed: policy::parse_policy(text),
            })),
        Err(err) if err.code() == Some("NoSuchBucketPolicy") => Ok(None),
        Err(err) => Err(from_sdk("GetBucketPolicy", err)),
    }
}

/// Stores `policy` as the bucket policy (replacing the whole policy).
pub async fn put_policy(conn: &Connection, bucket: &str, policy: &Value) -> Result<()> {
    let text = serde_json::to_string(policy)
        .map_err(|e| Error::Internal(format!("cannot encode the policy: {e}")))?;
    conn.s3()
        .put_bucket_policy()
        .bucket(bucket)
        .policy(text)
        .send()
        .await
        .map_err(|e| from_sdk("PutBucketPolicy", e))?;
    Ok(())
}

/// Deletes the bucket policy.
pub async fn delete_policy(conn: &Connection, bucket: &str) -> Result<()> {
    conn.s3()
        .delete_bucket_policy()
        .bucket(bucket)
        .send()
        .await
        .map_err(|e| from_sdk("DeleteBucketPolicy", e))?;
    Ok(())
}

/// Reads the policy and refuses to go on when it exists but cannot be read.
async fn policy_for_change(conn: &Connection, bucket: &str) -> Result<Option<Value>> {
    match get_policy(conn, bucket).await? {
        None => Ok(None),
        Some(StoredPolicy { parsed: Ok(v), .. }) => Ok(Some(v)),
        Some(StoredPolicy {
            parsed: Err(reason),
            ..
        }) => Err(Error::PolicyUnreadable {
            bucket: bucket.to_owned(),
            reason,
        }),
    }
}

/// The change `enforce-tls` would make, computed from the stored policy (nothing is written).
pub async fn plan_enforce_tls(
    conn: &Connection,
    bucket: &str,
    min_tls: Option<TlsVersion>,
) -> Result<PolicyChange> {
    let existing = policy_for_change(conn, bucket).await?;
    let partition = policy::partition_for_region(conn.region());
    enforce_tls_in(existing.as_ref(), partition, bucket, min_tls)
}

/// The change `relax-tls` would make (nothing is written).
pub async fn plan_relax_tls(conn: &Connection, bucket: &str) -> Result<PolicyChange> {
    let existing = policy_for_change(conn, bucket).await?;
    relax_tls(existing.as_ref(), bucket)
}

/// Writes a planned change, after checking the stored policy is still the one it was planned
/// from (so a policy edited in between is never overwritten).
pub async fn apply_policy_change(
    conn: &Connection,
    bucket: &str,
    change: &PolicyChange,
) -> Result<()> {
    if !change.changed {
        return Ok(());
    }
    let now = policy_for_change(conn, bucket).await?;
    if now != change.before {
        return Err(Error::Conflict {
            what: format!("the policy of bucket {bucket}"),
        });
    }
    match &change.after {
        Some(policy) => put_policy(conn, bucket, policy).await,
        None => delete_policy(conn, bucket).await,
    }
}

/// Versioning as GetBucketVersioning reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Versioning {
    Enabled,
    Suspended,
    /// Never enabled.
    Disabled,
}

/// Reads the bucket's versioning state.
pub async fn get_versioning(conn: &Connection, bucket: &str) -> Result<Versioning> {
    let out = conn
        .s3()
        .get_bucket_versioning()
        .bucket(bucket)
        .send()
        .await
        .map_err(|e| from_sdk("GetBucketVersioning", e))?;
    Ok(match out.status().map(|s| s.as_str()) {
        Some("Enabled") => Versioning::Enabled,
        Some("Suspended") => Versioning::Suspended,
        _ => Versioning::Disabled,
    })
}

/// Green, amber, red.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Level {
    Green,
    Amber,
    Red,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Green => "green",
            Self::Amber => "amber",
            Self::Red => "red",
        }
    }
}

/// A verdict on one item, with the reason in plain words and what to do about it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Verdict {
    pub level: Level,
    pub reason: String,
    /// What would improve it (or undo it), worded by each front end.
    #[serde(skip)]
    pub remedy: Option<Remedy>,
}

impl Verdict {
    fn new(level: Level, reason: impl Into<String>, remedy: Option<Remedy>) -> Self {
        Self {
            level,
            reason: reason.into(),
            remedy,
        }
    }
}

/// One verdict per item of the bucket view.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Verdicts {
    pub default_encryption: Verdict,
    pub sse_c: Verdict,
    pub tls: Verdict,
    pub versioning: Verdict,
}

/// Everything `bucket show` reports.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BucketSecurity {
    pub bucket: String,
    pub default_encryption: DefaultEncryption,
    pub sse_c_blocked: bool,
    /// Whether S3 reported `BlockedEncryptionTypes` at all (false on servers without it).
    pub sse_c_block_reported: bool,
    pub tls_enforced: bool,
    pub min_tls_version: Option<String>,
    pub has_policy: bool,
    /// Plain-words problems found in the policy.
    pub policy_findings: Vec<String>,
    /// The same findings with kind, severity and statement.
    pub policy_finding_details: Vec<PolicyFinding>,
    /// The statements that deny plain HTTP.
    pub tls_statements: Vec<String>,
    pub versioning: Versioning,
    pub verdicts: Verdicts,
}

/// Reads the bucket's default encryption, SSE-C block, policy and versioning and judges each.
pub async fn bucket_security(conn: &Connection, bucket: &str) -> Result<BucketSecurity> {
    let (rule, policy, versioning) = futures::try_join!(
        get_encryption_rule(conn, bucket),
        get_policy(conn, bucket),
        get_versioning(conn, bucket)
    )?;
    Ok(assess(bucket, &rule, policy.as_ref(), versioning))
}

/// Builds the report from what was read (pure; the window can call it on cached reads).
pub fn assess(
    bucket: &str,
    rule: &EncryptionRule,
    policy: Option<&StoredPolicy>,
    versioning: Versioning,
) -> BucketSecurity {
    let analysis = match policy {
        None => None,
        Some(StoredPolicy { parsed: Ok(v), .. }) => Some(analyze_policy(v, bucket)),
        Some(StoredPolicy {
            parsed: Err(reason),
            ..
        }) => Some(PolicyAnalysis {
            tls_enforced: false,
            denies_insecure_bucket: false,
            denies_insecure_objects: false,
            min_tls_version: None,
            enforcing_statements: Vec::new(),
            findings: vec![PolicyFinding {
                kind: FindingKind::Malformed,
                severity: Severity::Problem,
                statement: None,
                message: format!("The bucket policy cannot be read: {reason}."),
            }],
        }),
    };
    let tls_enforced = analysis.as_ref().is_some_and(|a| a.tls_enforced);
    let min_tls_version = analysis.as_ref().and_then(|a| a.min_tls_version.clone());
    let findings = analysis
        .as_ref()
        .map(|a| a.findings.clone())
        .unwrap_or_default();
    let tls_statements = analysis
        .as_ref()
        .map(|a| a.enforcing_statements.clone())
        .unwrap_or_default();

    let d = &rule.default;
    let b = || bucket.to_owned();
    let default_encryption = match d.mode {
        EncryptionMode::SseKms | EncryptionMode::DsseKms => {
            let no_bucket_key = d.mode == EncryptionMode::SseKms && !d.bucket_key_enabled;
            Verdict::new(
                Level::Green,
                format!(
                    "New objects are encrypted with {d} by default; reading them also needs permission on the KMS key, and every use is logged in CloudTrail.{}",
                    if no_bucket_key {
                        " Without a Bucket Key every upload and download is a KMS call (cost, quota)."
                    } else {
                        ""
                    }
                ),
                no_bucket_key.then(|| Remedy::UseBucketKey { bucket: b() }),
            )
        }
        EncryptionMode::SseS3 => Verdict::new(
            Level::Amber,
            "New objects are encrypted at rest with keys S3 manages. Anyone allowed to read an object gets it decrypted; choose SSE-KMS for a separate key permission and an audit trail.",
            Some(Remedy::SetDefaultEncryption { bucket: b() }),
        ),
        _ => Verdict::new(
            Level::Red,
            "The bucket reports no default encryption: uploads without an encryption header may be stored unencrypted on this server.",
            Some(Remedy::SetDefaultEncryption { bucket: b() }),
        ),
    };
    let sse_c = if rule.sse_c_blocked() {
        Verdict::new(
            Level::Green,
            "SSE-C uploads are refused: an SSE-C upload answers 403. Nobody can store objects here under a key you do not hold.",
            Some(Remedy::UnblockSseC { bucket: b() }),
        )
    } else if rule.blocked_types_reported {
        Verdict::new(
            Level::Amber,
            "SSE-C uploads are allowed: anyone allowed to upload can encrypt objects with a key you never see (a known ransomware pattern).",
            Some(Remedy::BlockSseC { bucket: b() }),
        )
    } else {
        Verdict::new(
            Level::Amber,
            "The server does not report an SSE-C block, so SSE-C uploads are allowed: anyone allowed to upload can encrypt objects with a key you never see.",
            Some(Remedy::BlockSseC { bucket: b() }),
        )
    };
    let tls = match (&analysis, tls_enforced) {
        (None, _) => Verdict::new(
            Level::Red,
            "The bucket has no policy, so nothing denies requests made over plain HTTP.",
            Some(Remedy::EnforceTls { bucket: b() }),
        ),
        (Some(_), true) => Verdict::new(
            if min_tls_version.as_deref().is_some_and(|v| v < "1.2") {
                Level::Amber
            } else {
                Level::Green
            },
            format!(
                "The bucket policy denies every request made without TLS, to the bucket and its objects, from anyone ({}).{}",
                tls_statements.join(", "),
                match &min_tls_version {
                    Some(v) => format!(" TLS {v} or newer is required."),
                    None => " No minimum TLS version is set.".to_owned(),
                }
            ),
            match &min_tls_version {
                Some(v) if v.as_str() >= "1.2" => None,
                _ => Some(Remedy::AddMinTls { bucket: b() }),
            },
        ),
        (Some(a), false) => Verdict::new(
            Level::Red,
            format!(
                "The bucket policy does not deny every plain-HTTP request{}.",
                a.findings
                    .first()
                    .map(|f| format!(": {}", f.message.trim_end_matches('.')))
                    .unwrap_or_default()
            ),
            Some(Remedy::EnforceTls { bucket: b() }),
        ),
    };
    let versioning_verdict = match versioning {
        Versioning::Enabled => Verdict::new(
            Level::Green,
            "Versioning is on: an overwritten or deleted object (or one re-encrypted by someone else) can be recovered from an older version.",
            None,
        ),
        Versioning::Suspended => Verdict::new(
            Level::Amber,
            "Versioning is suspended: older versions are kept, but new overwrites and deletes cannot be undone.",
            None,
        ),
        Versioning::Disabled => Verdict::new(
            Level::Amber,
            "Versioning is off: an overwritten or deleted object cannot be recovered.",
            None,
        ),
    };
    BucketSecurity {
        bucket: bucket.to_owned(),
        default_encryption: rule.default.clone(),
        sse_c_blocked: rule.sse_c_blocked(),
        sse_c_block_reported: rule.blocked_types_reported,
        tls_enforced,
        min_tls_version,
        has_policy: policy.is_some(),
        policy_findings: findings.iter().map(|f| f.message.clone()).collect(),
        policy_finding_details: findings,
        tls_statements,
        versioning,
        verdicts: Verdicts {
            default_encryption,
            sse_c,
            tls,
            versioning: versioning_verdict,
        },
    }
}
