//! One row of an S3 Inventory report, as both readers (CSV and Parquet) hand it over: borrowed
//! from the reader's buffers, never collected. The fields s3seal reads, the names they have in
//! each format, and the values S3 writes (`EncryptionStatus`: `SSE-S3`, `SSE-KMS`, `DSSE-KMS`,
//! `SSE-C`, `NOT-SSE`; `BucketKeyStatus`: `ENABLED`, `DISABLED`).

use std::borrow::Cow;

use crate::s3::EncryptionMode;

/// The report columns s3seal reads. Every other column is skipped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    Bucket,
    Key,
    VersionId,
    IsLatest,
    IsDeleteMarker,
    Size,
    LastModifiedDate,
    StorageClass,
    EncryptionStatus,
    BucketKeyStatus,
    ObjectLockMode,
    ObjectLockLegalHoldStatus,
    ObjectLockRetainUntilDate,
}

impl Field {
    pub const ALL: [Self; 13] = [
        Self::Bucket,
        Self::Key,
        Self::VersionId,
        Self::IsLatest,
        Self::IsDeleteMarker,
        Self::Size,
        Self::LastModifiedDate,
        Self::StorageClass,
        Self::EncryptionStatus,
        Self::BucketKeyStatus,
        Self::ObjectLockMode,
        Self::ObjectLockLegalHoldStatus,
        Self::ObjectLockRetainUntilDate,
    ];

    /// The name in a CSV report's `fileSchema` (`Bucket, Key, …`).
    pub fn csv_name(self) -> &'static str {
        match self {
            Self::Bucket => "Bucket",
            Self::Key => "Key",
            Self::VersionId => "VersionId",
            Self::IsLatest => "IsLatest",
            Self::IsDeleteMarker => "IsDeleteMarker",
            Self::Size => "Size",
            Self::LastModifiedDate => "LastModifiedDate",
            Self::StorageClass => "StorageClass",
            Self::EncryptionStatus => "EncryptionStatus",
            Self::BucketKeyStatus => "BucketKeyStatus",
            Self::ObjectLockMode => "ObjectLockMode",
            Self::ObjectLockLegalHoldStatus => "ObjectLockLegalHoldStatus",
            Self::ObjectLockRetainUntilDate => "ObjectLockRetainUntilDate",
        }
    }

    /// The column name in a Parquet (or ORC) report.
    pub fn column_name(self) -> &'static str {
        match self {
            Self::Bucket => "bucket",
            Self::Key => "key",
            Self::VersionId => "version_id",
            Self::IsLatest => "is_latest",
            Self::IsDeleteMarker => "is_delete_marker",
            Self::Size => "size",
            Self::LastModifiedDate => "last_modified_date",
            Self::StorageClass => "storage_class",
            Self::EncryptionStatus => "encryption_status",
            Self::BucketKeyStatus => "bucket_key_status",
            Self::ObjectLockMode => "object_lock_mode",
            Self::ObjectLockLegalHoldStatus => "object_lock_legal_hold_status",
            Self::ObjectLockRetainUntilDate => "object_lock_retain_until_date",
        }
    }

    /// The field a CSV schema name or a Parquet column name stands for (`DeleteMarker` is
    /// how the API reference spells the CSV column; reports write `IsDeleteMarker`).
    pub fn from_name(name: &str) -> Option<Self> {
        if name == "DeleteMarker" {
            return Some(Self::IsDeleteMarker);
        }
        Self::ALL
            .into_iter()
            .find(|f| f.csv_name() == name || f.column_name() == name)
    }
}

/// A timestamp as the report holds it: text in CSV, milliseconds since the epoch in Parquet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timestamp<'a> {
    Text(&'a str),
    Millis(i64),
}

impl Timestamp<'_> {
    /// Milliseconds since the epoch (`None` when CSV text does not parse as RFC 3339).
    pub fn millis(&self) -> Option<i64> {
        match self {
            Self::Millis(ms) => Some(*ms),
            Self::Text(text) => {
                time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
                    .ok()
                    .map(|t| (t.unix_timestamp_nanos() / 1_000_000) as i64)
            }
        }
    }

    /// RFC 3339 text, as the HEAD-based audit shows dates.
    pub fn to_text(&self) -> String {
        match self {
            Self::Text(text) => (*text).to_owned(),
            Self::Millis(ms) => millis_to_rfc3339(*ms),
        }
    }
}

/// `2026-01-02T03:04:05.678Z` for milliseconds since the epoch.
pub fn millis_to_rfc3339(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| ms.to_string())
}

/// The value of `EncryptionStatus`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum EncryptionStatus {
    NotSse,
    SseS3,
    SseKms,
    DsseKms,
    SseC,
}

impl EncryptionStatus {
    /// Parses the report's value (case-insensitive; `None` for a value S3 did not document).
    pub fn parse(value: &str) -> Option<Self> {
        [
            Self::NotSse,
            Self::SseS3,
            Self::SseKms,
            Self::DsseKms,
            Self::SseC,
        ]
        .into_iter()
        .find(|s| s.as_str().eq_ignore_ascii_case(value))
    }

    /// The value as S3 writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotSse => "NOT-SSE",
            Self::SseS3 => "SSE-S3",
            Self::SseKms => "SSE-KMS",
            Self::DsseKms => "DSSE-KMS",
            Self::SseC => "SSE-C",
        }
    }

    /// The mode the HEAD-based audit would report. An inventory sees only server-side
    /// encryption: a client-side object counts as whatever S3 stored it with.
    pub fn mode(self) -> EncryptionMode {
        match self {
            Self::NotSse => EncryptionMode::None,
            Self::SseS3 => EncryptionMode::SseS3,
            Self::SseKms => EncryptionMode::SseKms,
            Self::DsseKms => EncryptionMode::DsseKms,
            Self::SseC => EncryptionMode::SseC,
        }
    }
}

/// One object (or version, or delete marker) of the report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InventoryRow<'a> {
    pub bucket: &'a str,
    /// Decoded: CSV reports URL-encode keys, Parquet reports do not.
    pub key: Cow<'a, str>,
    /// Empty or absent for the null version.
    pub version_id: Option<&'a str>,
    pub is_latest: Option<bool>,
    pub is_delete_marker: bool,
    pub size: Option<u64>,
    pub last_modified: Option<Timestamp<'a>>,
    pub storage_class: Option<&'a str>,
    /// The raw `EncryptionStatus` (kept to count values s3seal does not know yet).
    pub encryption_status: Option<&'a str>,
    /// `ENABLED` → true, `DISABLED` → false.
    pub bucket_key: Option<bool>,
    pub object_lock_mode: Option<&'a str>,
    /// `On` → true, `Off` → false.
    pub legal_hold: Option<bool>,
    pub retain_until: Option<Timestamp<'a>>,
}

impl InventoryRow<'_> {
    /// The parsed `EncryptionStatus`.
    pub fn encryption(&self) -> Option<EncryptionStatus> {
        self.encryption_status.and_then(EncryptionStatus::parse)
    }
}

/// Decodes a CSV report's key: form encoding (`+` is a space), then percent-decoding, then
/// UTF-8. AWS says CSV keys are URL-encoded and not which variant; `+` for a space is what
/// reports were observed to write, and decoding it this way is right either way.
pub fn decode_csv_key(raw: &str) -> Option<Cow<'_, str>> {
    if !raw.contains(['+', '%']) {
        return Some(Cow::Borrowed(raw));
    }
    let plus = raw.replace('+', " ");
    percent_encoding::percent_decode_str(&plus)
        .decode_utf8()
        .ok()
        .map(|s| Cow::Owned(s.into_owned()))
}

/// `true`/`TRUE`/`True` and the like (reports and documentation disagree on the case).
pub fn parse_bool(value: &str) -> Option<bool> {
    if value.eq_ignore_ascii_case("true") {
        Some(true)
    } else if value.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// `ENABLED`/`DISABLED` of `BucketKeyStatus`, `On`/`Off` of the legal hold.
pub fn parse_on_off(value: &str) -> Option<bool> {
    if value.eq_ignore_ascii_case("enabled") || value.eq_ignore_ascii_case("on") {
        Some(true)
    } else if value.eq_ignore_ascii_case("disabled") || value.eq_ignore_ascii_case("off") {
        Some(false)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_keys_are_form_decoded() {
        assert_eq!(
            decode_csv_key("a+b%2Bc%2Fd/%C3%A9.txt").as_deref(),
            Some("a b+c/d/é.txt")
        );
        assert!(matches!(
            decode_csv_key("plain/key"),
            Some(Cow::Borrowed(_))
        ));
        assert_eq!(decode_csv_key("%FF"), None, "not UTF-8");
    }

    #[test]
    fn names_and_values() {
        assert_eq!(
            Field::from_name("EncryptionStatus"),
            Some(Field::EncryptionStatus)
        );
        assert_eq!(
            Field::from_name("bucket_key_status"),
            Some(Field::BucketKeyStatus)
        );
        assert_eq!(
            Field::from_name("DeleteMarker"),
            Some(Field::IsDeleteMarker)
        );
        assert_eq!(Field::from_name("ObjectOwner"), None);
        assert_eq!(
            EncryptionStatus::parse("dsse-kms"),
            Some(EncryptionStatus::DsseKms)
        );
        assert_eq!(EncryptionStatus::parse("SSE-X"), None);
        assert_eq!(EncryptionStatus::NotSse.mode(), EncryptionMode::None);
        assert_eq!(parse_bool("TRUE"), Some(true));
        assert_eq!(parse_on_off("Off"), Some(false));
        assert_eq!(parse_on_off("ENABLED"), Some(true));
        assert_eq!(millis_to_rfc3339(1_700_000_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(
            Timestamp::Text("2024-08-21T15:28:26.000Z").millis(),
            Some(1_724_254_106_000)
        );
    }
}
