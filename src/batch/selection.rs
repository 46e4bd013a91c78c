//! Which objects a Batch Operations job takes: the `--where` filters of the audit and local
//! jobs, plus size and creation-date bounds. The manifest generator can express some of them
//! (one encryption type, sizes, dates, a prefix); the rest need a manifest s3seal writes from an
//! audit, where every filter applies row by row.

use crate::error::{Error, Result};
use crate::s3::EncryptionMode;
use crate::s3::bucket::AuditRow;
use crate::s3::bucket::filter::ObjectFilter;
use crate::s3::inventory::InventoryRow;

/// The objects to take, besides the bucket and prefix.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    /// ANDed, as everywhere.
    pub filters: Vec<ObjectFilter>,
    /// Only objects larger than this many bytes.
    pub larger_than: Option<u64>,
    /// Only objects smaller than this many bytes.
    pub smaller_than: Option<u64>,
    /// Only objects created (last written) after this time, RFC 3339.
    pub created_after: Option<String>,
    pub created_before: Option<String>,
}

fn millis(text: &str) -> Option<i64> {
    crate::s3::inventory::row::Timestamp::Text(text).millis()
}

/// `2026-01-31` (midnight UTC) or RFC 3339, as RFC 3339.
pub fn parse_date(text: &str) -> Result<String> {
    let full = if text.len() == 10 {
        format!("{text}T00:00:00Z")
    } else {
        text.to_owned()
    };
    if millis(&full).is_some() {
        Ok(full)
    } else {
        Err(Error::InvalidInput(format!(
            "'{text}' is not a date: write 2026-01-31 or 2026-01-31T12:00:00Z"
        )))
    }
}

impl Selection {
    /// The one encryption type the manifest generator should match, if the filters name one;
    /// an error naming the filter when the generator cannot express it.
    pub fn generator_encryption(&self) -> Result<Option<EncryptionMode>> {
        let needs_audit = |f: &ObjectFilter, why: &str| {
            Err(Error::InvalidInput(format!(
                "S3's manifest generator cannot select '{f}' ({why}); write the manifest from an audit instead"
            )))
        };
        let mut mode: Option<EncryptionMode> = None;
        for f in &self.filters {
            let this = match f {
                ObjectFilter::Unencrypted => EncryptionMode::None,
                ObjectFilter::SseS3 => EncryptionMode::SseS3,
                ObjectFilter::Mode(EncryptionMode::Client)
                | ObjectFilter::ClientV2
                | ObjectFilter::ClientUnknownKey => {
                    return needs_audit(
                        f,
                        "S3 does not know which objects were encrypted on the client",
                    );
                }
                ObjectFilter::Mode(m) => *m,
                ObjectFilter::SseC => EncryptionMode::SseC,
                ObjectFilter::NotKmsKey(_) => {
                    return needs_audit(
                        f,
                        "it matches one encryption type at a time and never 'not'",
                    );
                }
                ObjectFilter::SseCUnknownKey | ObjectFilter::Errors => {
                    return needs_audit(f, "only a HEAD from here can tell");
                }
            };
            match mode {
                Some(m) if m != this => {
                    return Err(Error::InvalidInput(format!(
                        "no object is both {} and {}: the filters contradict each other",
                        m.as_str(),
                        this.as_str()
                    )));
                }
                _ => mode = Some(this),
            }
        }
        Ok(mode)
    }

    fn keeps_size_and_date(&self, size: Option<u64>, created: Option<i64>) -> bool {
        let size_ok = match size {
            Some(s) => {
                self.larger_than.is_none_or(|n| s > n) && self.smaller_than.is_none_or(|n| s < n)
            }
            None => self.larger_than.is_none() && self.smaller_than.is_none(),
        };
        let after = self.created_after.as_deref().and_then(millis);
        let before = self.created_before.as_deref().and_then(millis);
        let date_ok = match created {
            Some(t) => after.is_none_or(|a| t > a) && before.is_none_or(|b| t < b),
            None => after.is_none() && before.is_none(),
        };
        size_ok && date_ok
    }

    /// Whether an audited object is taken.
    pub fn keeps_audit_row(&self, row: &AuditRow) -> bool {
        ObjectFilter::keeps_all(&self.filters, row)
            && self.keeps_size_and_date(
                Some(row.size),
                row.last_modified.as_deref().and_then(millis),
            )
    }

    /// Whether an inventory row is taken (filters that need a HEAD were refused earlier by
    /// [`Selection::generator_encryption`]).
    pub fn keeps_inventory_row(
        &self,
        row: &InventoryRow<'_>,
        mode: Option<EncryptionMode>,
    ) -> bool {
        !row.is_delete_marker
            && mode.is_none_or(|m| row.encryption().map(|s| s.mode()) == Some(m))
            && self.keeps_size_and_date(row.size, row.last_modified.and_then(|t| t.millis()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn selection(filters: &[&str]) -> Selection {
        Selection {
            filters: filters.iter().map(|f| f.parse().unwrap()).collect(),
            ..Selection::default()
        }
    }

    #[test]
    fn the_generator_takes_one_encryption_type() {
        assert_eq!(selection(&[]).generator_encryption().unwrap(), None);
        assert_eq!(
            selection(&["sse-s3"]).generator_encryption().unwrap(),
            Some(EncryptionMode::SseS3)
        );
        assert_eq!(
            selection(&["unencrypted", "mode=none"])
                .generator_encryption()
                .unwrap(),
            Some(EncryptionMode::None)
        );
        let err = selection(&["sse-s3", "unencrypted"])
            .generator_encryption()
            .unwrap_err();
        assert!(err.to_string().contains("contradict"), "{err}");
        let err = selection(&["not-kms-key=k"])
            .generator_encryption()
            .unwrap_err();
        assert!(err.to_string().contains("from an audit"), "{err}");
        assert!(selection(&["client-v2"]).generator_encryption().is_err());
        assert!(
            selection(&["sse-c-unknown-key"])
                .generator_encryption()
                .is_err()
        );
    }

    #[test]
    fn sizes_and_dates_bound_audit_rows() {
        let mut s = selection(&["sse-s3"]);
        s.larger_than = Some(10);
        s.created_before = Some(parse_date("2026-01-02").unwrap());
        let mut row = AuditRow::new("k", 11);
        row.mode = Some(EncryptionMode::SseS3);
        row.last_modified = Some("2026-01-01T00:00:00Z".into());
        assert!(s.keeps_audit_row(&row));
        row.size = 10;
        assert!(!s.keeps_audit_row(&row), "larger than is strict");
        row.size = 11;
        row.last_modified = Some("2026-01-03T00:00:00Z".into());
        assert!(!s.keeps_audit_row(&row));
        row.last_modified = Some("2026-01-01T00:00:00Z".into());
        row.mode = Some(EncryptionMode::SseKms);
        assert!(!s.keeps_audit_row(&row));
        assert!(parse_date("31/01/2026").is_err());
    }
}
