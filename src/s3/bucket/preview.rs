//! Upload preview: before any byte is sent, what an object will really be encrypted with, and
//! whether the bucket (its SSE-C block or its policy) would refuse the upload.

use serde::Serialize;

use super::default_encryption::{EncryptionRule, get_encryption_rule};
use super::policy::{
    ConditionEntry, Effect, Known, Patterns, Principals, Tri, eval_entry, glob_matches,
    parse_statement, statements_of,
};
use super::{StoredPolicy, get_policy};
use crate::error::Result;
use crate::remedy::{Advice, Remedy};
use crate::s3::connection::Connection;
use crate::s3::encryption::{EncryptionMode, ServerSide};

/// What the uploader asks for (no key material; SSE-C is named only).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "mode", rename_all = "kebab-case")]
pub enum PlannedEncryption {
    /// No header: the bucket default applies.
    Default,
    SseS3,
    SseKms {
        key_id: Option<String>,
        bucket_key: bool,
    },
    DsseKms {
        key_id: Option<String>,
    },
    SseC {
        key_name: Option<String>,
    },
    /// Encrypted on this machine; S3 sees no encryption header and applies its default.
    Client {
        master: String,
    },
}

impl From<&ServerSide> for PlannedEncryption {
    fn from(s: &ServerSide) -> Self {
        match s {
            ServerSide::Default => Self::Default,
            ServerSide::SseS3 => Self::SseS3,
            ServerSide::SseKms { key_id, bucket_key } => Self::SseKms {
                key_id: key_id.clone(),
                bucket_key: *bucket_key,
            },
            ServerSide::DsseKms { key_id } => Self::DsseKms {
                key_id: key_id.clone(),
            },
            ServerSide::SseC(key) => Self::SseC {
                key_name: Some(key.name.clone()),
            },
        }
    }
}

impl PlannedEncryption {
    /// The `x-amz-server-side-encryption` value the upload sends, if any.
    fn sse_header(&self) -> Option<&'static str> {
        match self {
            Self::SseS3 => Some("AES256"),
            Self::SseKms { .. } => Some("aws:kms"),
            Self::DsseKms { .. } => Some("aws:kms:dsse"),
            Self::Default | Self::SseC { .. } | Self::Client { .. } => None,
        }
    }

    fn kms_key(&self) -> Option<&str> {
        match self {
            Self::SseKms { key_id, .. } | Self::DsseKms { key_id } => key_id.as_deref(),
            _ => None,
        }
    }
}

/// The preview.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UploadPreview {
    pub bucket: String,
    pub key: String,
    pub requested: PlannedEncryption,
    /// The mode the object will have (`client` for client-side; the server-side mode under it
    /// is in `server_side_mode`).
    pub mode: EncryptionMode,
    pub server_side_mode: EncryptionMode,
    pub kms_key_id: Option<String>,
    pub bucket_key_enabled: bool,
    /// True when the bucket's default decides the encryption (no header is sent).
    pub from_bucket_default: bool,
    /// One sentence: what the object will be encrypted with.
    pub summary: String,
    /// Reasons the upload would or might be refused, or surprises.
    pub warnings: Vec<Advice>,
    /// True when S3 will certainly refuse the upload.
    pub will_be_refused: bool,
}

/// What decides an upload's fate in a bucket: its encryption rule and its policy, read once
/// and asked about any number of planned uploads.
#[derive(Clone, Debug, PartialEq)]
pub struct UploadRules {
    pub bucket: String,
    pub rule: EncryptionRule,
    pub policy: Option<StoredPolicy>,
    pub plain_http: bool,
}

impl UploadRules {
    /// Reads the bucket's encryption rule and policy (nothing is written).
    pub async fn read(conn: &Connection, bucket: &str) -> Result<Self> {
        let (rule, policy) =
            futures::try_join!(get_encryption_rule(conn, bucket), get_policy(conn, bucket))?;
        Ok(Self {
            bucket: bucket.to_owned(),
            rule,
            policy,
            plain_http: conn.is_plain_http(),
        })
    }

    /// The preview of an upload of `key` with `planned` (pure).
    pub fn preview(&self, key: &str, planned: &PlannedEncryption) -> UploadPreview {
        preview_upload_with(
            &self.bucket,
            key,
            planned,
            &self.rule,
            self.policy.as_ref(),
            self.plain_http,
        )
    }
}

/// Reads the bucket's rule and policy and previews an upload of `key` (nothing is sent).
pub async fn preview_upload(
    conn: &Connection,
    bucket: &str,
    key: &str,
    planned: &PlannedEncryption,
) -> Result<UploadPreview> {
    Ok(UploadRules::read(conn, bucket).await?.preview(key, planned))
}

/// The preview from what was already read (pure).
pub fn preview_upload_with(
    bucket: &str,
    key: &str,
    planned: &PlannedEncryption,
    rule: &EncryptionRule,
    policy: Option<&StoredPolicy>,
    plain_http: bool,
) -> UploadPreview {
    let default = &rule.default;
    let mut warnings = Vec::new();
    let mut refused = false;

    let server_from_default = || {
        if default.configured && default.mode != EncryptionMode::None {
            (
                default.mode,
                default.kms_key_id.clone(),
                default.bucket_key_enabled,
                format!("the bucket default, {default}"),
            )
        } else {
            (
                EncryptionMode::SseS3,
                None,
                false,
                "SSE-S3 (the bucket has no default encryption configured; AWS S3 applies SSE-S3 to every new object)".to_owned(),
            )
        }
    };
    let (mode, server_side_mode, kms_key_id, bucket_key_enabled, from_default, summary) =
        match planned {
            PlannedEncryption::Default => {
                let (m, k, bk, words) = server_from_default();
                (m, m, k, bk, true, format!("will be encrypted with {words}"))
            }
            PlannedEncryption::SseS3 => (
                EncryptionMode::SseS3,
                EncryptionMode::SseS3,
                None,
                false,
                false,
                "will be encrypted with SSE-S3 (keys managed by S3)".to_owned(),
            ),
            PlannedEncryption::SseKms { key_id, bucket_key } => (
                EncryptionMode::SseKms,
                EncryptionMode::SseKms,
                key_id.clone(),
                *bucket_key,
                false,
                format!(
                    "will be encrypted with SSE-KMS using {}{}",
                    key_id.as_deref().unwrap_or("the AWS managed key aws/s3"),
                    if *bucket_key { " and a Bucket Key" } else { "" }
                ),
            ),
            PlannedEncryption::DsseKms { key_id } => (
                EncryptionMode::DsseKms,
                EncryptionMode::DsseKms,
                key_id.clone(),
                false,
                false,
                format!(
                    "will be encrypted with DSSE-KMS using {}",
                    key_id.as_deref().unwrap_or("the AWS managed key aws/s3")
                ),
            ),
            PlannedEncryption::SseC { key_name } => (
                EncryptionMode::SseC,
                EncryptionMode::SseC,
                None,
                false,
                false,
                format!(
                    "will be encrypted with SSE-C using the local key {}",
                    key_name
                        .as_deref()
                        .map_or("given".to_owned(), |n| format!("'{n}'"))
                ),
            ),
            PlannedEncryption::Client { master } => {
                let (m, k, bk, words) = server_from_default();
                (
                    EncryptionMode::Client,
                    m,
                    k,
                    bk,
                    true,
                    format!(
                        "will be encrypted on this machine with {master}, and S3 adds {words} on top"
                    ),
                )
            }
        };

    if matches!(planned, PlannedEncryption::SseC { .. }) && rule.sse_c_blocked() {
        refused = true;
        warnings.push(Advice::new(
            format!(
                "SSE-C uploads are blocked on {bucket} (BlockedEncryptionTypes), so S3 will answer 403. Choose another mode, or unblock SSE-C."
            ),
            Some(Remedy::UnblockSseC {
                bucket: bucket.to_owned(),
            }),
        ));
    }
    if let Some(stored) = policy {
        match &stored.parsed {
            Ok(value) => {
                if let Ok(raw) = statements_of(value) {
                    for (i, raw) in raw.iter().enumerate() {
                        if let Ok(st) = parse_statement(i, raw)
                            && let Some((certain, advice)) =
                                deny_for_upload(&st, bucket, key, planned, plain_http)
                        {
                            refused |= certain;
                            warnings.push(advice);
                        }
                    }
                }
            }
            Err(reason) => warnings.push(Advice::note(format!(
                "the bucket policy cannot be read ({reason}), so whether it allows this upload is unknown"
            ))),
        }
    }

    UploadPreview {
        bucket: bucket.to_owned(),
        key: key.to_owned(),
        requested: planned.clone(),
        mode,
        server_side_mode,
        kms_key_id,
        bucket_key_enabled,
        from_bucket_default: from_default,
        summary: format!("s3://{bucket}/{key} {summary}"),
        warnings,
        will_be_refused: refused,
    }
}

const SSE_KEYS: [&str; 3] = [
    "s3:x-amz-server-side-encryption",
    "s3:x-amz-server-side-encryption-aws-kms-key-id",
    "s3:x-amz-server-side-encryption-customer-algorithm",
];

fn is_encryption_key(key: &str) -> bool {
    SSE_KEYS.iter().any(|k| k.eq_ignore_ascii_case(key))
}

/// Whether a Deny statement refuses this PutObject: `Some((certain, words))`.
fn deny_for_upload(
    st: &super::policy::Statement,
    bucket: &str,
    key: &str,
    planned: &PlannedEncryption,
    plain_http: bool,
) -> Option<(bool, Advice)> {
    if st.effect != Effect::Deny {
        return None;
    }
    let acts_on_put = match &st.actions {
        Patterns::Only(list) => list.iter().any(|a| glob_matches(a, "s3:PutObject", true)),
        Patterns::AllExcept(list) => !list.iter().any(|a| glob_matches(a, "s3:PutObject", true)),
    };
    if !acts_on_put {
        return None;
    }
    let object = super::policy::PARTITIONS
        .iter()
        .map(|p| format!("arn:{p}:s3:::{bucket}/{key}"))
        .collect::<Vec<_>>();
    let on_object = match &st.resources {
        Patterns::Only(list) => list
            .iter()
            .any(|r| object.iter().any(|o| glob_matches(r, o, false))),
        Patterns::AllExcept(list) => !list
            .iter()
            .any(|r| object.iter().any(|o| glob_matches(r, o, false))),
    };
    if !on_object {
        return None;
    }
    let know = |k: &str, tls: &str| -> Known {
        let lower = k.to_ascii_lowercase();
        let present = |v: Option<&str>| v.map_or(Known::Absent, |v| Known::Value(v.to_owned()));
        match lower.as_str() {
            "s3:x-amz-server-side-encryption" => present(planned.sse_header()),
            "s3:x-amz-server-side-encryption-aws-kms-key-id" => present(planned.kms_key()),
            "s3:x-amz-server-side-encryption-customer-algorithm" => {
                present(matches!(planned, PlannedEncryption::SseC { .. }).then_some("AES256"))
            }
            "aws:securetransport" => Known::Value((!plain_http).to_string()),
            "s3:tlsversion" if plain_http => Known::Absent,
            "s3:tlsversion" => Known::Value(tls.to_owned()),
            _ => Known::Unknown,
        }
    };
    // rustls negotiates TLS 1.2 or 1.3: a condition must hold for both to be certain.
    let eval = |entry: &ConditionEntry| {
        let a = eval_entry(entry, &know(&entry.key, "1.2"));
        let b = eval_entry(entry, &know(&entry.key, "1.3"));
        if a == b { a } else { Tri::Unknown }
    };
    let mut overall = Tri::True;
    let mut encryption_true = Vec::new();
    let mut unknown = Vec::new();
    for entry in &st.conditions {
        match eval(entry) {
            Tri::False => return None,
            Tri::Unknown => {
                overall = Tri::Unknown;
                unknown.push(format!("{} {}", entry.operator, entry.key));
            }
            Tri::True => {
                if is_encryption_key(&entry.key)
                    || entry.key.eq_ignore_ascii_case("aws:SecureTransport")
                {
                    encryption_true.push(format!(
                        "{} {} {}",
                        entry.operator,
                        entry.key,
                        entry.values.join(" or ")
                    ));
                }
            }
        }
    }
    // Only warn about denials that hinge on how the upload is encrypted (or on transport);
    // a blanket deny is not this preview's business.
    let about_encryption = !encryption_true.is_empty();
    if !about_encryption {
        return None;
    }
    let who_certain = st.principals == Principals::Everyone;
    let certain = overall == Tri::True && who_certain;
    let label = &st.label;
    let requested = match planned {
        PlannedEncryption::Default | PlannedEncryption::Client { .. } => {
            "no encryption header (the bucket default does not count: the policy sees only the request)".to_owned()
        }
        PlannedEncryption::SseS3 => "SSE-S3 (AES256)".to_owned(),
        PlannedEncryption::SseKms { key_id, .. } => format!(
            "SSE-KMS{}",
            key_id.as_deref().map(|k| format!(" with key {k}")).unwrap_or_default()
        ),
        PlannedEncryption::DsseKms { .. } => "DSSE-KMS".to_owned(),
        PlannedEncryption::SseC { .. } => "SSE-C".to_owned(),
    };
    let mut words = format!(
        "the bucket policy ({label}) {} this upload: it denies PutObject when {}, and this upload sends {requested}",
        if certain { "will deny" } else { "may deny" },
        encryption_true.join(" and "),
    );
    if !unknown.is_empty() {
        words.push_str(&format!(
            " (also depends on {}, which cannot be known before sending)",
            unknown.join(", ")
        ));
    }
    if !who_certain {
        words.push_str(" (it applies only to some principals)");
    }
    let mut remedy = None;
    if let Some(k) = planned.kms_key()
        && !k.starts_with("arn:")
        && st
            .conditions
            .iter()
            .any(|c| c.key.eq_ignore_ascii_case(SSE_KEYS[1]))
    {
        words.push_str(". The policy compares the key id as sent");
        remedy = Some(Remedy::UseKmsKeyArn);
    }
    Some((certain, Advice::new(words, remedy)))
}

#[cfg(test)]
mod tests {
    use super::super::default_encryption::DefaultEncryption;
    use super::*;
    use serde_json::json;

    fn rule(mode: EncryptionMode, blocked: bool) -> EncryptionRule {
        EncryptionRule {
            default: DefaultEncryption {
                mode,
                kms_key_id: None,
                bucket_key_enabled: false,
                configured: true,
            },
            blocked_types: if blocked {
                vec!["SSE-C".into()]
            } else {
                Vec::new()
            },
            blocked_types_reported: true,
        }
    }

    fn stored(v: serde_json::Value) -> StoredPolicy {
        StoredPolicy {
            text: v.to_string(),
            parsed: Ok(v),
        }
    }

    #[test]
    fn requires_kms_policy_warns_for_default_and_sse_s3() {
        let p = stored(json!({"Version":"2012-10-17","Statement":[
            {"Sid":"RequireKms","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::b/*",
             "Condition":{"StringNotEquals":{"s3:x-amz-server-side-encryption":"aws:kms"}}}]}));
        let r = rule(EncryptionMode::SseKms, false);
        let pv = preview_upload_with("b", "k", &PlannedEncryption::Default, &r, Some(&p), false);
        assert!(pv.will_be_refused, "{pv:?}");
        assert_eq!(pv.mode, EncryptionMode::SseKms);
        assert!(pv.warnings[0].text.contains("RequireKms"), "{pv:?}");
        let pv = preview_upload_with("b", "k", &PlannedEncryption::SseS3, &r, Some(&p), false);
        assert!(pv.will_be_refused);
        let kms = PlannedEncryption::SseKms {
            key_id: None,
            bucket_key: false,
        };
        let pv = preview_upload_with("b", "k", &kms, &r, Some(&p), false);
        assert!(!pv.will_be_refused, "{pv:?}");
        assert!(pv.warnings.is_empty(), "{pv:?}");
    }

    #[test]
    fn sse_c_blocked_is_refused() {
        let r = rule(EncryptionMode::SseS3, true);
        let pv = preview_upload_with(
            "b",
            "k",
            &PlannedEncryption::SseC {
                key_name: Some("k1".into()),
            },
            &r,
            None,
            false,
        );
        assert!(pv.will_be_refused);
        assert!(pv.warnings[0].text.contains("unblock SSE-C"));
        assert!(matches!(
            pv.warnings[0].remedy,
            Some(Remedy::UnblockSseC { .. })
        ));
    }

    #[test]
    fn tls_deny_does_not_warn_over_https() {
        let p = stored(json!({"Version":"2012-10-17","Statement":[
            {"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"],
             "Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}));
        let r = rule(EncryptionMode::SseS3, false);
        let pv = preview_upload_with("b", "k", &PlannedEncryption::Default, &r, Some(&p), false);
        assert!(pv.warnings.is_empty() && !pv.will_be_refused, "{pv:?}");
        assert!(pv.summary.contains("bucket default"), "{pv:?}");
    }
}
