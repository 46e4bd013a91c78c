//! Which objects need attention: the filters the audit view shows and that bulk jobs and S3
//! Batch Operations select with (`--where unencrypted`, `--where not-kms-key=KEY`, …). Several
//! filters together keep an object only when every one does (AND).

use std::fmt;
use std::str::FromStr;

use super::audit::AuditRow;
use crate::crypto::FormatVersion;
use crate::error::Error;
use crate::s3::EncryptionMode;
use crate::s3::kms::short_kms;

/// One condition on an audited object.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ObjectFilter {
    /// No encryption at rest reported.
    Unencrypted,
    /// SSE-S3 (keys S3 manages).
    SseS3,
    /// Anything that is not SSE-KMS under this key (id, alias or ARN).
    NotKmsKey(String),
    /// SSE-C, with any key.
    SseC,
    /// SSE-C objects that none of the local keys offered opens.
    SseCUnknownKey,
    /// Client-side objects in the V2 format (no key commitment).
    ClientV2,
    /// Client-side objects (raw key) that none of the local keys opens.
    ClientUnknownKey,
    /// Objects in this mode.
    Mode(EncryptionMode),
    /// Objects that could not be inspected.
    Errors,
}

impl ObjectFilter {
    /// Whether `row` passes.
    pub fn keeps(&self, row: &AuditRow) -> bool {
        match self {
            Self::Unencrypted => row.mode == Some(EncryptionMode::None),
            Self::SseS3 => row.mode == Some(EncryptionMode::SseS3),
            Self::NotKmsKey(key) => {
                !(row.mode == Some(EncryptionMode::SseKms)
                    && row
                        .kms_key_id
                        .as_deref()
                        .is_some_and(|id| same_kms_key(id, key)))
            }
            Self::SseC => row.mode == Some(EncryptionMode::SseC),
            Self::SseCUnknownKey => {
                row.mode == Some(EncryptionMode::SseC) && row.key_known == Some(false)
            }
            Self::ClientV2 => {
                row.mode == Some(EncryptionMode::Client)
                    && row.client_format == Some(FormatVersion::V2)
            }
            Self::ClientUnknownKey => {
                row.mode == Some(EncryptionMode::Client) && row.key_known == Some(false)
            }
            Self::Mode(mode) => row.mode == Some(*mode),
            Self::Errors => row.error.is_some(),
        }
    }

    /// Whether `row` passes every filter in `filters` (an empty list keeps everything).
    pub fn keeps_all(filters: &[Self], row: &AuditRow) -> bool {
        filters.iter().all(|f| f.keeps(row))
    }
}

/// A key id, an alias-less ARN and the short id name the same key when their last path parts
/// agree (`arn:…:key/ID` and `ID`).
pub fn same_kms_key(a: &str, b: &str) -> bool {
    a == b || short_kms(a) == short_kms(b)
}

impl FromStr for ObjectFilter {
    type Err = Error;

    /// The `--where` grammar: `unencrypted`, `sse-s3`, `not-kms-key=KEY`, `sse-c`,
    /// `sse-c-unknown-key`, `client-v2`, `client-unknown-key`, `mode=MODE`, `errors`.
    fn from_str(s: &str) -> Result<Self, Error> {
        let bad = || {
            Error::InvalidInput(format!(
                "unknown filter '{s}': use unencrypted, sse-s3, not-kms-key=KEY, sse-c, sse-c-unknown-key, client-v2, client-unknown-key, mode=MODE or errors"
            ))
        };
        Ok(match s.split_once('=') {
            None => match s {
                "unencrypted" => Self::Unencrypted,
                "sse-s3" => Self::SseS3,
                "sse-c" => Self::SseC,
                "sse-c-unknown-key" => Self::SseCUnknownKey,
                "client-v2" => Self::ClientV2,
                "client-unknown-key" => Self::ClientUnknownKey,
                "errors" => Self::Errors,
                _ => return Err(bad()),
            },
            Some(("not-kms-key", key)) if !key.is_empty() => Self::NotKmsKey(key.to_owned()),
            Some(("mode", mode)) => Self::Mode(EncryptionMode::from_name(mode).ok_or_else(|| {
                Error::InvalidInput(format!(
                    "unknown mode '{mode}' in '{s}': use none, sse-s3, sse-kms, dsse-kms, sse-c or client"
                ))
            })?),
            Some(_) => return Err(bad()),
        })
    }
}

impl fmt::Display for ObjectFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unencrypted => f.write_str("unencrypted"),
            Self::SseS3 => f.write_str("sse-s3"),
            Self::NotKmsKey(key) => write!(f, "not-kms-key={key}"),
            Self::SseC => f.write_str("sse-c"),
            Self::SseCUnknownKey => f.write_str("sse-c-unknown-key"),
            Self::ClientV2 => f.write_str("client-v2"),
            Self::ClientUnknownKey => f.write_str("client-unknown-key"),
            Self::Mode(mode) => write!(f, "mode={mode}"),
            Self::Errors => f.write_str("errors"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(mode: EncryptionMode) -> AuditRow {
        let mut row = AuditRow::new("k", 1);
        row.mode = Some(mode);
        row
    }

    #[test]
    fn the_grammar_round_trips() {
        for text in [
            "unencrypted",
            "sse-s3",
            "not-kms-key=alias/app",
            "sse-c",
            "sse-c-unknown-key",
            "client-v2",
            "client-unknown-key",
            "mode=dsse-kms",
            "errors",
        ] {
            let filter: ObjectFilter = text.parse().unwrap();
            assert_eq!(filter.to_string(), text);
        }
        assert!("not-kms-key=".parse::<ObjectFilter>().is_err());
        assert!("mode=rot13".parse::<ObjectFilter>().is_err());
        assert!("encrypted".parse::<ObjectFilter>().is_err());
    }

    #[test]
    fn filters_and_together() {
        let mut kms = row(EncryptionMode::SseKms);
        kms.kms_key_id = Some("arn:aws:kms:us-east-1:1:key/abc".into());
        let want_abc = ObjectFilter::NotKmsKey("abc".into());
        assert!(!want_abc.keeps(&kms));
        assert!(ObjectFilter::NotKmsKey("def".into()).keeps(&kms));
        assert!(want_abc.keeps(&row(EncryptionMode::SseS3)));
        let mut v2 = row(EncryptionMode::Client);
        v2.client_format = Some(FormatVersion::V2);
        assert!(ObjectFilter::ClientV2.keeps(&v2));
        let both = [ObjectFilter::ClientV2, ObjectFilter::ClientUnknownKey];
        assert!(!ObjectFilter::keeps_all(&both, &v2));
        v2.key_known = Some(false);
        assert!(ObjectFilter::keeps_all(&both, &v2));
        assert!(ObjectFilter::keeps_all(&[], &kms));
        assert_eq!(short_kms("arn:aws:kms:r:1:alias/app"), "alias/app");
    }
}
