//! A bucket's default encryption (GetBucketEncryption / PutBucketEncryption), including the
//! SSE-C block (`BlockedEncryptionTypes`) that lives in the same rule.

use std::fmt;

use aws_sdk_s3::error::ProvideErrorMetadata as _;
use aws_sdk_s3::types::{
    BlockedEncryptionTypes, EncryptionType, ServerSideEncryption, ServerSideEncryptionByDefault,
    ServerSideEncryptionConfiguration, ServerSideEncryptionRule,
};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::s3::connection::Connection;
use crate::s3::encryption::EncryptionMode;
use crate::s3::errors::from_sdk;

/// What a bucket applies to new objects that arrive without an encryption header.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DefaultEncryption {
    /// `none` (no rule reported), `sse-s3`, `sse-kms` or `dsse-kms`.
    pub mode: EncryptionMode,
    pub kms_key_id: Option<String>,
    pub bucket_key_enabled: bool,
    /// Whether the bucket has an encryption configuration at all (false: S3 answered
    /// `ServerSideEncryptionConfigurationNotFoundError`).
    pub configured: bool,
}

/// The full rule as read: default encryption plus the blocked types.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EncryptionRule {
    pub default: DefaultEncryption,
    /// Encryption types S3 refuses for new objects (`SSE-C`), as S3 names them.
    pub blocked_types: Vec<String>,
    /// Whether S3 returned a `BlockedEncryptionTypes` element at all.
    pub blocked_types_reported: bool,
}

impl EncryptionRule {
    /// Whether SSE-C uploads are refused.
    pub fn sse_c_blocked(&self) -> bool {
        self.blocked_types.iter().any(|t| t == "SSE-C")
    }
}

/// The default encryption to set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DefaultEncryptionRequest {
    SseS3,
    SseKms {
        key_id: Option<String>,
        bucket_key: bool,
    },
    DsseKms {
        key_id: Option<String>,
    },
}

/// The three modes a default can have (SSE-C and client-side need a key per request), for
/// forms that pick the mode first and the key after.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DefaultMode {
    SseS3,
    SseKms,
    DsseKms,
}

impl DefaultEncryptionRequest {
    /// The request for `mode`; a KMS key and Bucket Key are kept only where the mode has them
    /// (SSE-KMS both, DSSE-KMS the key).
    pub fn new(mode: DefaultMode, kms_key: Option<String>, bucket_key: bool) -> Self {
        match mode {
            DefaultMode::SseS3 => Self::SseS3,
            DefaultMode::SseKms => Self::SseKms {
                key_id: kms_key,
                bucket_key,
            },
            DefaultMode::DsseKms => Self::DsseKms { key_id: kms_key },
        }
    }

    pub fn mode(&self) -> EncryptionMode {
        match self {
            Self::SseS3 => EncryptionMode::SseS3,
            Self::SseKms { .. } => EncryptionMode::SseKms,
            Self::DsseKms { .. } => EncryptionMode::DsseKms,
        }
    }

    /// What changes, in plain words, for a confirmation.
    pub fn consequences(&self, bucket: &str) -> String {
        format!(
            "New objects uploaded to {bucket} without an encryption header will be encrypted with {self}. Objects already in the bucket keep the encryption they have (re-encrypt them to change it). Uploads that name their own encryption are not affected."
        )
    }
}

impl fmt::Display for DefaultEncryptionRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::SseS3 => f.write_str("SSE-S3 (keys managed by S3)"),
            Self::SseKms { key_id, bucket_key } => write!(
                f,
                "SSE-KMS with {}{}",
                key_id.as_deref().unwrap_or("the AWS managed key aws/s3"),
                if *bucket_key {
                    " and an S3 Bucket Key"
                } else {
                    ""
                }
            ),
            Self::DsseKms { key_id } => write!(
                f,
                "DSSE-KMS with {}",
                key_id.as_deref().unwrap_or("the AWS managed key aws/s3")
            ),
        }
    }
}

impl fmt::Display for DefaultEncryption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.mode {
            EncryptionMode::SseKms | EncryptionMode::DsseKms => write!(
                f,
                "{} with {}{}",
                self.mode.as_str().to_uppercase(),
                self.kms_key_id
                    .as_deref()
                    .unwrap_or("the AWS managed key aws/s3"),
                if self.bucket_key_enabled {
                    " and an S3 Bucket Key"
                } else {
                    ""
                }
            ),
            EncryptionMode::SseS3 => f.write_str("SSE-S3 (keys managed by S3)"),
            _ => f.write_str("none"),
        }
    }
}

/// Reads the bucket's encryption rule. A bucket without a configuration reports mode `none`.
pub async fn get_encryption_rule(conn: &Connection, bucket: &str) -> Result<EncryptionRule> {
    let answer = conn
        .s3()
        .get_bucket_encryption()
        .bucket(bucket)
        .send()
        .await;
    let out = match answer {
        Ok(out) => out,
        Err(err) if err.code() == Some("ServerSideEncryptionConfigurationNotFoundError") => {
            return Ok(EncryptionRule {
                default: DefaultEncryption {
                    mode: EncryptionMode::None,
                    kms_key_id: None,
                    bucket_key_enabled: false,
                    configured: false,
                },
                blocked_types: Vec::new(),
                blocked_types_reported: false,
            });
        }
        Err(err) => return Err(from_sdk("GetBucketEncryption", err)),
    };
    let rule = out
        .server_side_encryption_configuration()
        .and_then(|c| c.rules().first());
    let by_default = rule.and_then(|r| r.apply_server_side_encryption_by_default());
    let mode = by_default.map_or(EncryptionMode::None, |d| {
        EncryptionMode::from_server_side(Some(d.sse_algorithm()))
    });
    let blocked = rule.and_then(|r| r.blocked_encryption_types());
    Ok(EncryptionRule {
        default: DefaultEncryption {
            mode,
            kms_key_id: by_default
                .and_then(|d| d.kms_master_key_id())
                .map(str::to_owned),
            bucket_key_enabled: rule.and_then(|r| r.bucket_key_enabled()).unwrap_or(false),
            configured: rule.is_some(),
        },
        blocked_types: blocked
            .map(|b| {
                b.encryption_type()
                    .iter()
                    .map(|t| t.as_str().to_owned())
                    .filter(|t| t != "NONE")
                    .collect()
            })
            .unwrap_or_default(),
        blocked_types_reported: blocked.is_some(),
    })
}

/// Writes one rule: the default encryption and, when `blocked` is given, the blocked types
/// (`None` keeps whatever S3 does when the element is omitted).
pub(crate) async fn put_rule(
    conn: &Connection,
    bucket: &str,
    default: &DefaultEncryptionRequest,
    blocked: Option<&[EncryptionType]>,
) -> Result<()> {
    let (sse, key_id, bucket_key) = match default {
        DefaultEncryptionRequest::SseS3 => (ServerSideEncryption::Aes256, None, false),
        DefaultEncryptionRequest::SseKms { key_id, bucket_key } => {
            (ServerSideEncryption::AwsKms, key_id.clone(), *bucket_key)
        }
        DefaultEncryptionRequest::DsseKms { key_id } => {
            (ServerSideEncryption::AwsKmsDsse, key_id.clone(), false)
        }
    };
    let by_default = ServerSideEncryptionByDefault::builder()
        .sse_algorithm(sse)
        .set_kms_master_key_id(key_id)
        .build()
        .map_err(|e| Error::Internal(format!("cannot build the encryption rule: {e}")))?;
    let mut rule = ServerSideEncryptionRule::builder()
        .apply_server_side_encryption_by_default(by_default)
        .bucket_key_enabled(bucket_key);
    if let Some(types) = blocked {
        rule = rule.blocked_encryption_types(
            BlockedEncryptionTypes::builder()
                .set_encryption_type(Some(types.to_vec()))
                .build(),
        );
    }
    let config = ServerSideEncryptionConfiguration::builder()
        .rules(rule.build())
        .build()
        .map_err(|e| Error::Internal(format!("cannot build the encryption configuration: {e}")))?;
    conn.s3()
        .put_bucket_encryption()
        .bucket(bucket)
        .server_side_encryption_configuration(config)
        .send()
        .await
        .map_err(|e| from_sdk("PutBucketEncryption", e))?;
    Ok(())
}

/// The blocked types currently in force, to carry over when only the default changes.
pub(crate) fn blocked_of(rule: &EncryptionRule) -> Option<Vec<EncryptionType>> {
    rule.blocked_types_reported.then(|| {
        if rule.blocked_types.is_empty() {
            vec![EncryptionType::None]
        } else {
            rule.blocked_types
                .iter()
                .map(|t| EncryptionType::from(t.as_str()))
                .collect()
        }
    })
}

/// The request that reproduces what a bucket has now (SSE-S3 when nothing is configured:
/// that is what S3 applies to every new object anyway).
pub(crate) fn request_of(default: &DefaultEncryption) -> DefaultEncryptionRequest {
    match default.mode {
        EncryptionMode::SseKms => DefaultEncryptionRequest::SseKms {
            key_id: default.kms_key_id.clone(),
            bucket_key: default.bucket_key_enabled,
        },
        EncryptionMode::DsseKms => DefaultEncryptionRequest::DsseKms {
            key_id: default.kms_key_id.clone(),
        },
        _ => DefaultEncryptionRequest::SseS3,
    }
}

/// Sets the bucket's default encryption, keeping its SSE-C block as it is, and returns what S3
/// reports afterwards.
pub async fn set_default_encryption(
    conn: &Connection,
    bucket: &str,
    request: &DefaultEncryptionRequest,
) -> Result<EncryptionRule> {
    let current = get_encryption_rule(conn, bucket).await?;
    put_rule(conn, bucket, request, blocked_of(&current).as_deref()).await?;
    get_encryption_rule(conn, bucket).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_keep_only_what_their_mode_has() {
        assert_eq!(
            DefaultEncryptionRequest::new(DefaultMode::SseS3, Some("k".into()), true),
            DefaultEncryptionRequest::SseS3
        );
        assert_eq!(
            DefaultEncryptionRequest::new(DefaultMode::DsseKms, None, true),
            DefaultEncryptionRequest::DsseKms { key_id: None }
        );
        let r = DefaultEncryptionRequest::new(DefaultMode::SseKms, Some("alias/x".into()), true);
        assert_eq!(r.to_string(), "SSE-KMS with alias/x and an S3 Bucket Key");
        assert!(
            r.consequences("b")
                .contains("keep the encryption they have")
        );
    }
}
