//! Counting an inventory report as it streams past: by mode (the names the HEAD-based audit
//! uses), by `EncryptionStatus`, `BucketKeyStatus`, storage class and Object Lock. A few
//! counters and small maps, whatever the number of rows.

use std::collections::BTreeMap;

use serde::Serialize;

use super::row::InventoryRow;
use crate::s3::EncryptionMode;

/// What the report said of Object Lock.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ObjectLockCounts {
    /// Objects under a governance-mode retention.
    pub governance: u64,
    /// Objects under a compliance-mode retention (S3 refuses to re-encrypt them in place
    /// until it ends).
    pub compliance: u64,
    /// Objects under a legal hold.
    pub legal_hold: u64,
}

/// The counts of one report (or of several files of it, added up).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct InventoryCounts {
    /// Objects (and object versions) counted; delete markers are not objects.
    pub total: u64,
    pub bytes: u64,
    /// By mode, with the names `info` and the HEAD-based audit use (`none`, `sse-s3`, …).
    pub by_mode: BTreeMap<String, u64>,
    /// By `EncryptionStatus` as the report writes it (`SSE-S3`, `NOT-SSE`, …).
    pub by_encryption_status: BTreeMap<String, u64>,
    /// By `BucketKeyStatus` (`ENABLED`, `DISABLED`).
    pub by_bucket_key_status: BTreeMap<String, u64>,
    pub by_storage_class: BTreeMap<String, u64>,
    pub object_lock: ObjectLockCounts,
    /// SSE-KMS objects without an S3 Bucket Key.
    pub kms_without_bucket_key: u64,
    /// Objects whose row has no (or an unknown) `EncryptionStatus`.
    pub encryption_unreported: u64,
    pub delete_markers: u64,
    /// Versions that are not the current one (reports of all versions).
    pub noncurrent_versions: u64,
}

fn bump(map: &mut BTreeMap<String, u64>, key: &str) {
    match map.get_mut(key) {
        Some(n) => *n += 1,
        None => {
            map.insert(key.to_owned(), 1);
        }
    }
}

impl InventoryCounts {
    /// Counts one row.
    pub fn add(&mut self, row: &InventoryRow<'_>) {
        if row.is_delete_marker {
            self.delete_markers += 1;
            return;
        }
        self.total += 1;
        // A report is input: sizes that add up past u64 stop at its ceiling, not wrap.
        self.bytes = self.bytes.saturating_add(row.size.unwrap_or(0));
        if row.is_latest == Some(false) {
            self.noncurrent_versions += 1;
        }
        match row.encryption() {
            Some(status) => {
                let mode = status.mode();
                bump(&mut self.by_mode, mode.as_str());
                bump(&mut self.by_encryption_status, status.as_str());
                if mode == EncryptionMode::SseKms && row.bucket_key != Some(true) {
                    self.kms_without_bucket_key += 1;
                }
            }
            None => {
                self.encryption_unreported += 1;
                if let Some(raw) = row.encryption_status {
                    bump(&mut self.by_encryption_status, raw);
                }
            }
        }
        match row.bucket_key {
            Some(true) => bump(&mut self.by_bucket_key_status, "ENABLED"),
            Some(false) => bump(&mut self.by_bucket_key_status, "DISABLED"),
            None => {}
        }
        if let Some(class) = row.storage_class {
            bump(&mut self.by_storage_class, class);
        }
        match row.object_lock_mode {
            Some(m) if m.eq_ignore_ascii_case("governance") => self.object_lock.governance += 1,
            Some(m) if m.eq_ignore_ascii_case("compliance") => self.object_lock.compliance += 1,
            _ => {}
        }
        if row.legal_hold == Some(true) {
            self.object_lock.legal_hold += 1;
        }
    }

    /// SSE-KMS and DSSE-KMS objects: the ones whose key an inventory cannot name.
    pub fn kms_objects(&self) -> u64 {
        [EncryptionMode::SseKms, EncryptionMode::DsseKms]
            .iter()
            .filter_map(|m| self.by_mode.get(m.as_str()))
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::*;

    fn row(status: &'static str) -> InventoryRow<'static> {
        InventoryRow {
            bucket: "b",
            key: Cow::Borrowed("k"),
            version_id: None,
            is_latest: Some(true),
            is_delete_marker: false,
            size: Some(10),
            last_modified: None,
            storage_class: Some("STANDARD"),
            encryption_status: Some(status),
            bucket_key: None,
            object_lock_mode: None,
            legal_hold: None,
            retain_until: None,
        }
    }

    #[test]
    fn fail_sizes_past_u64_saturate() {
        let mut c = InventoryCounts::default();
        let huge = InventoryRow {
            size: Some(u64::MAX - 1),
            ..row("SSE-S3")
        };
        c.add(&huge);
        c.add(&huge);
        assert_eq!((c.total, c.bytes), (2, u64::MAX));
    }

    #[test]
    fn counts_by_every_dimension() {
        let mut c = InventoryCounts::default();
        c.add(&row("SSE-S3"));
        c.add(&InventoryRow {
            bucket_key: Some(true),
            ..row("SSE-KMS")
        });
        c.add(&InventoryRow {
            bucket_key: Some(false),
            object_lock_mode: Some("COMPLIANCE"),
            legal_hold: Some(true),
            storage_class: Some("GLACIER"),
            ..row("SSE-KMS")
        });
        c.add(&InventoryRow {
            is_latest: Some(false),
            ..row("NOT-SSE")
        });
        c.add(&InventoryRow {
            is_delete_marker: true,
            ..row("NOT-SSE")
        });
        c.add(&row("SSE-FUTURE"));
        assert_eq!(c.total, 5);
        assert_eq!(c.bytes, 50);
        assert_eq!(c.by_mode["sse-s3"], 1);
        assert_eq!(c.by_mode["sse-kms"], 2);
        assert_eq!(c.by_mode["none"], 1);
        assert_eq!(c.by_encryption_status["SSE-FUTURE"], 1);
        assert_eq!(c.encryption_unreported, 1);
        assert_eq!(c.by_bucket_key_status["ENABLED"], 1);
        assert_eq!(c.by_bucket_key_status["DISABLED"], 1);
        assert_eq!(c.kms_without_bucket_key, 1);
        assert_eq!(c.by_storage_class["GLACIER"], 1);
        assert_eq!(c.object_lock.compliance, 1);
        assert_eq!(c.object_lock.legal_hold, 1);
        assert_eq!(c.delete_markers, 1);
        assert_eq!(c.noncurrent_versions, 1);
        assert_eq!(c.kms_objects(), 2);
    }
}
