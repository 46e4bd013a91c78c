//! Server-side encryption modes and the request headers each one puts on S3 calls.

use std::fmt;

use aws_sdk_s3::types::ServerSideEncryption;
use serde::{Deserialize, Serialize};

use crate::crypto::Key256;

/// The encryption an object has, as `info`, `ls` and the GUI report it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum EncryptionMode {
    /// No encryption at rest reported by S3.
    None,
    /// S3-managed keys (`AES256`).
    SseS3,
    /// KMS-managed key (`aws:kms`).
    SseKms,
    /// Dual-layer KMS (`aws:kms:dsse`).
    DsseKms,
    /// Customer-provided key (SSE-C).
    SseC,
    /// Client-side encryption in the S3 Encryption Client format.
    Client,
}

impl EncryptionMode {
    /// The stable machine name (`none`, `sse-s3`, …) used in JSON and the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::SseS3 => "sse-s3",
            Self::SseKms => "sse-kms",
            Self::DsseKms => "dsse-kms",
            Self::SseC => "sse-c",
            Self::Client => "client",
        }
    }

    /// The mode [`EncryptionMode::as_str`] names `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        [
            Self::None,
            Self::SseS3,
            Self::SseKms,
            Self::DsseKms,
            Self::SseC,
            Self::Client,
        ]
        .into_iter()
        .find(|m| m.as_str() == name)
    }

    /// Maps S3's `x-amz-server-side-encryption` value to a mode.
    pub fn from_server_side(sse: Option<&ServerSideEncryption>) -> Self {
        match sse {
            Some(ServerSideEncryption::Aes256) => Self::SseS3,
            Some(ServerSideEncryption::AwsKms) => Self::SseKms,
            Some(ServerSideEncryption::AwsKmsDsse) => Self::DsseKms,
            Some(other) if other.as_str() == "aws:kms:dsse" => Self::DsseKms,
            Some(_) => Self::SseS3,
            None => Self::None,
        }
    }
}

impl fmt::Display for EncryptionMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A customer-provided key ready to be sent as SSE-C headers, with the local name it has.
pub struct SseCKey {
    /// The key's name in the local catalog (for messages; never the key itself).
    pub name: String,
    key: Key256,
}

impl SseCKey {
    pub fn new(name: impl Into<String>, key: Key256) -> Self {
        Self {
            name: name.into(),
            key,
        }
    }

    /// An explicit copy (the key type has no `Clone`).
    pub fn duplicate(&self) -> Self {
        Self {
            name: self.name.clone(),
            key: self.key.duplicate(),
        }
    }

    /// Always `AES256`, the only SSE-C algorithm S3 has.
    pub fn algorithm(&self) -> &'static str {
        "AES256"
    }

    /// Base64 of the key for the key header. Zeroized when dropped.
    pub fn key_base64(&self) -> zeroize::Zeroizing<String> {
        self.key.to_base64()
    }

    /// Base64 MD5 of the key for the key-MD5 header (public).
    pub fn key_md5(&self) -> String {
        self.key.s3_md5_base64()
    }
}

/// Server-side encryption resolved to everything a request needs (keys fetched, ids chosen).
pub enum ServerSide {
    /// No header: bucket default.
    Default,
    SseS3,
    SseKms {
        key_id: Option<String>,
        bucket_key: bool,
    },
    DsseKms {
        key_id: Option<String>,
    },
    SseC(SseCKey),
}

impl ServerSide {
    /// The SSE-C key, if this is SSE-C.
    pub fn sse_c(&self) -> Option<&SseCKey> {
        match self {
            Self::SseC(key) => Some(key),
            _ => None,
        }
    }

    /// The `x-amz-server-side-encryption` value and the KMS key / Bucket Key settings.
    pub fn sse_header(&self) -> Option<(ServerSideEncryption, Option<&str>, Option<bool>)> {
        match self {
            Self::Default | Self::SseC(_) => None,
            Self::SseS3 => Some((ServerSideEncryption::Aes256, None, None)),
            Self::SseKms { key_id, bucket_key } => Some((
                ServerSideEncryption::AwsKms,
                key_id.as_deref(),
                bucket_key.then_some(true),
            )),
            Self::DsseKms { key_id } => {
                Some((ServerSideEncryption::AwsKmsDsse, key_id.as_deref(), None))
            }
        }
    }

    /// A short phrase for messages: what the object will be encrypted with.
    pub fn describe(&self) -> String {
        match self {
            Self::Default => "the bucket's default encryption".to_owned(),
            Self::SseS3 => "SSE-S3".to_owned(),
            Self::SseKms { key_id, bucket_key } => format!(
                "SSE-KMS ({}{})",
                key_id.as_deref().unwrap_or("aws/s3 managed key"),
                if *bucket_key { ", Bucket Key" } else { "" }
            ),
            Self::DsseKms { key_id } => format!(
                "DSSE-KMS ({})",
                key_id.as_deref().unwrap_or("aws/s3 managed key")
            ),
            Self::SseC(key) => format!("SSE-C (key '{}')", key.name),
        }
    }
}

/// Applies the write-side encryption headers (SSE, KMS key, Bucket Key, SSE-C) to a request
/// builder that has the usual S3 setter names (PutObject, CreateMultipartUpload, CopyObject).
macro_rules! apply_write_encryption {
    ($builder:expr, $server_side:expr) => {{
        let mut b = $builder;
        if let Some((sse, key_id, bucket_key)) = $server_side.sse_header() {
            b = b.server_side_encryption(sse);
            if let Some(key_id) = key_id {
                b = b.ssekms_key_id(key_id);
            }
            if let Some(enabled) = bucket_key {
                b = b.bucket_key_enabled(enabled);
            }
        }
        if let Some(key) = $server_side.sse_c() {
            b = $crate::s3::encryption::apply_sse_c!(b, key);
        }
        b
    }};
}

/// Applies the three SSE-C headers to any builder that has the `sse_customer_*` setters
/// (PutObject, UploadPart, GetObject, HeadObject, CreateMultipartUpload, CopyObject, …).
macro_rules! apply_sse_c {
    ($builder:expr, $key:expr) => {{
        let key: &$crate::s3::encryption::SseCKey = $key;
        $builder
            .sse_customer_algorithm(key.algorithm())
            .sse_customer_key(key.key_base64().as_str())
            .sse_customer_key_md5(key.key_md5())
    }};
}

/// Applies the copy-source SSE-C headers (CopyObject, UploadPartCopy).
macro_rules! apply_copy_source_sse_c {
    ($builder:expr, $key:expr) => {{
        let key: &$crate::s3::encryption::SseCKey = $key;
        $builder
            .copy_source_sse_customer_algorithm(key.algorithm())
            .copy_source_sse_customer_key(key.key_base64().as_str())
            .copy_source_sse_customer_key_md5(key.key_md5())
    }};
}

pub(crate) use {apply_copy_source_sse_c, apply_sse_c, apply_write_encryption};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_side_header_values() {
        assert!(ServerSide::Default.sse_header().is_none());
        let kms = ServerSide::SseKms {
            key_id: Some("alias/x".into()),
            bucket_key: true,
        };
        let (sse, key, bk) = kms.sse_header().unwrap();
        assert_eq!(sse, ServerSideEncryption::AwsKms);
        assert_eq!(key, Some("alias/x"));
        assert_eq!(bk, Some(true));
        let dsse = ServerSide::DsseKms { key_id: None };
        assert_eq!(dsse.sse_header().unwrap().0.as_str(), "aws:kms:dsse");
    }

    #[test]
    fn mode_names_round_trip_through_json() {
        let json = serde_json::to_string(&EncryptionMode::DsseKms).unwrap();
        assert_eq!(json, "\"dsse-kms\"");
        assert_eq!(EncryptionMode::SseC.as_str(), "sse-c");
        assert_eq!(
            EncryptionMode::from_server_side(Some(&ServerSideEncryption::Aes256)),
            EncryptionMode::SseS3
        );
    }
}
