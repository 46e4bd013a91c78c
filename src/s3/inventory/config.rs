//! Inventory configurations, pure: a plain summary of each (what `show` prints), the daily
//! inventory the audit needs, and the merge that adds it to whatever the bucket has — every
//! other configuration kept as it is, s3seal's own updated in place (fields only added) — with
//! a diff to show before anything is written, and the destination bucket policy statement S3
//! needs to deliver reports (printed, never applied).

use aws_sdk_s3::types::{
    InventoryConfiguration, InventoryDestination, InventoryEncryption, InventoryFormat,
    InventoryFrequency, InventoryIncludedObjectVersions, InventoryOptionalField,
    InventoryS3BucketDestination, InventorySchedule, Sses3,
};
use serde::Serialize;
use serde_json::{Value, json};

use super::manifest::reports_prefix;
use crate::error::{Error, Result};
use crate::s3::S3Uri;

/// The id of the configuration s3seal adds.
pub const S3SEAL_INVENTORY_ID: &str = "s3seal-audit";

/// Sid of the destination policy statement s3seal suggests.
pub const DELIVERY_SID: &str = "S3sealInventoryDelivery";

/// The optional fields the inventory audit reads.
pub const AUDIT_FIELDS: [InventoryOptionalField; 8] = [
    InventoryOptionalField::Size,
    InventoryOptionalField::LastModifiedDate,
    InventoryOptionalField::StorageClass,
    InventoryOptionalField::EncryptionStatus,
    InventoryOptionalField::BucketKeyStatus,
    InventoryOptionalField::ObjectLockMode,
    InventoryOptionalField::ObjectLockRetainUntilDate,
    InventoryOptionalField::ObjectLockLegalHoldStatus,
];

/// One inventory configuration, in plain data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InventorySummary {
    pub id: String,
    pub enabled: bool,
    /// `Daily` / `Weekly`.
    pub frequency: String,
    /// `CSV` / `Parquet` / `ORC`.
    pub format: String,
    /// `Current` / `All`.
    pub versions: String,
    /// Objects listed: those under this prefix (`None`: the whole bucket).
    pub prefix: Option<String>,
    /// `s3://BUCKET/PREFIX` where reports land.
    pub destination: String,
    pub destination_account: Option<String>,
    pub fields: Vec<String>,
    /// Fields the inventory audit reads that this configuration lacks.
    pub missing_for_audit: Vec<String>,
    /// Where this configuration's report folders are (`s3://DEST/PREFIX/SOURCE/ID/`).
    pub reports_at: String,
}

impl InventorySummary {
    /// Whether the audit can use this configuration's reports as they are.
    pub fn serves_audit(&self) -> bool {
        self.enabled
            && self.missing_for_audit.is_empty()
            && self.prefix.is_none()
            && matches!(self.format.as_str(), "CSV" | "Parquet")
    }
}

/// The bucket name in a destination `arn:aws:s3:::NAME` (or a bare name).
pub fn bucket_of_arn(arn: &str) -> &str {
    arn.rsplit(":::").next().unwrap_or(arn)
}

/// Summarises `config` of `source_bucket`.
pub fn summarize(source_bucket: &str, config: &InventoryConfiguration) -> InventorySummary {
    let dest = config.destination().and_then(|d| d.s3_bucket_destination());
    let dest_bucket = dest.map(|d| bucket_of_arn(d.bucket())).unwrap_or_default();
    let dest_prefix = dest.and_then(|d| d.prefix());
    let fields: Vec<String> = config
        .optional_fields()
        .iter()
        .map(|f| f.as_str().to_owned())
        .collect();
    InventorySummary {
        id: config.id().to_owned(),
        enabled: config.is_enabled(),
        frequency: config
            .schedule()
            .map(|s| s.frequency().as_str().to_owned())
            .unwrap_or_default(),
        format: dest
            .map(|d| d.format().as_str().to_owned())
            .unwrap_or_default(),
        versions: config.included_object_versions().as_str().to_owned(),
        prefix: config
            .filter()
            .map(|f| f.prefix().to_owned())
            .filter(|p| !p.is_empty()),
        destination: format!("s3://{dest_bucket}/{}", dest_prefix.unwrap_or_default()),
        destination_account: dest.and_then(|d| d.account_id()).map(str::to_owned),
        missing_for_audit: AUDIT_FIELDS
            .iter()
            .filter(|f| !config.optional_fields().contains(f))
            .map(|f| f.as_str().to_owned())
            .collect(),
        fields,
        reports_at: format!(
            "s3://{dest_bucket}/{}",
            reports_prefix(dest_prefix, source_bucket, config.id())
        ),
    }
}

/// The change `bucket inventory enable` would make.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct InventoryChange {
    pub bucket: String,
    /// The configurations as read (compared again just before writing).
    #[serde(skip)]
    pub before: Vec<InventoryConfiguration>,
    /// s3seal's configuration as it will be written; `None` when nothing changes.
    #[serde(skip)]
    pub write: Option<InventoryConfiguration>,
    /// s3seal's configuration before, if it existed.
    pub replaces: Option<InventorySummary>,
    /// s3seal's configuration after.
    pub after: InventorySummary,
    /// Other configurations, kept untouched.
    pub kept: Vec<InventorySummary>,
    pub changed: bool,
    /// The statement the destination bucket's policy needs so S3 may deliver the reports.
    pub destination_policy_statement: Value,
    pub notes: Vec<String>,
}

impl InventoryChange {
    /// The change as `-`/`+` lines, then the configurations kept.
    pub fn diff(&self) -> String {
        let mut out = String::new();
        let after = pretty(&self.after);
        match &self.replaces {
            _ if !self.changed => out.push_str("no change to the inventory configurations\n"),
            None => {
                for line in after.lines() {
                    out.push_str("+ ");
                    out.push_str(line);
                    out.push('\n');
                }
            }
            Some(before) => out.push_str(&line_diff(&pretty(before), &after)),
        }
        for kept in &self.kept {
            out.push_str(&format!(
                "  (kept unchanged: inventory '{}', {} {} to {})\n",
                kept.id, kept.frequency, kept.format, kept.destination
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

/// One line per setting and per field, so a diff shows exactly what changes.
fn pretty(s: &InventorySummary) -> String {
    let mut out = format!(
        "inventory '{}'\n  enabled: {}\n  frequency: {}\n  format: {}\n  versions: {}\n  objects: {}\n  destination: {}\n  destination account: {}\n",
        s.id,
        s.enabled,
        s.frequency,
        s.format,
        s.versions,
        s.prefix
            .as_deref()
            .map_or("the whole bucket".to_owned(), |p| format!("under {p}")),
        s.destination,
        s.destination_account.as_deref().unwrap_or("(not pinned)"),
    );
    for field in &s.fields {
        out.push_str(&format!("  field: {field}\n"));
    }
    out
}

/// A line diff (longest common subsequence; the texts are a few dozen lines).
fn line_diff(before: &str, after: &str) -> String {
    let a: Vec<&str> = before.lines().collect();
    let b: Vec<&str> = after.lines().collect();
    let mut lcs = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, String::new());
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            out.push_str(&format!("  {}\n", a[i]));
            i += 1;
            j += 1;
        } else if j < b.len() && (i == a.len() || lcs[i][j + 1] >= lcs[i + 1][j]) {
            out.push_str(&format!("+ {}\n", b[j]));
            j += 1;
        } else {
            out.push_str(&format!("- {}\n", a[i]));
            i += 1;
        }
    }
    out
}

/// Plans the daily inventory for `source_bucket` delivered to `destination`, merged with the
/// configurations the bucket has (`existing`). `account` owns the buckets (when known).
pub fn plan_inventory(
    source_bucket: &str,
    existing: &[InventoryConfiguration],
    destination: &S3Uri,
    account: Option<&str>,
) -> Result<InventoryChange> {
    let mut notes = Vec::new();
    let prefix = destination.key.trim_end_matches('/');
    if prefix.len() != destination.key.len() {
        notes.push(
            "The destination prefix is used without its trailing '/' (S3 would otherwise write report files under a '//' path that the manifest does not name)."
                .to_owned(),
        );
    }
    if destination.bucket.is_empty() {
        return Err(Error::InvalidInput(
            "the inventory destination needs a bucket: s3://BUCKET/PREFIX".to_owned(),
        ));
    }
    let ours = existing.iter().find(|c| c.id() == S3SEAL_INVENTORY_ID);
    let kept: Vec<InventorySummary> = existing
        .iter()
        .filter(|c| c.id() != S3SEAL_INVENTORY_ID)
        .map(|c| summarize(source_bucket, c))
        .collect();
    let mut fields: Vec<InventoryOptionalField> = ours
        .map(|c| c.optional_fields().to_vec())
        .unwrap_or_default();
    for f in AUDIT_FIELDS {
        if !fields.contains(&f) {
            fields.push(f);
        }
    }
    let build_err = |e: aws_sdk_s3::error::BuildError| {
        Error::Internal(format!("cannot build the inventory configuration: {e}"))
    };
    let dest = InventoryS3BucketDestination::builder()
        .bucket(format!("arn:aws:s3:::{}", destination.bucket))
        .set_account_id(account.map(str::to_owned))
        .format(InventoryFormat::Csv)
        .set_prefix((!prefix.is_empty()).then(|| prefix.to_owned()))
        .encryption(
            InventoryEncryption::builder()
                .sses3(Sses3::builder().build())
                .build(),
        )
        .build()
        .map_err(build_err)?;
    let config = InventoryConfiguration::builder()
        .id(S3SEAL_INVENTORY_ID)
        .is_enabled(true)
        .included_object_versions(InventoryIncludedObjectVersions::Current)
        .destination(
            InventoryDestination::builder()
                .s3_bucket_destination(dest)
                .build(),
        )
        .schedule(
            InventorySchedule::builder()
                .frequency(InventoryFrequency::Daily)
                .build()
                .map_err(build_err)?,
        )
        .set_optional_fields(Some(fields))
        .build()
        .map_err(build_err)?;
    let after = summarize(source_bucket, &config);
    let serving = kept.iter().find(|k| k.serves_audit());
    let changed = ours != Some(&config) && (ours.is_some() || serving.is_none());
    if let (Some(other), None) = (serving, ours) {
        notes.push(format!(
            "Inventory '{}' already delivers a {} {} report with every field the audit reads ({}); nothing to add.",
            other.id, other.frequency, other.format, other.reports_at
        ));
    }
    if changed {
        notes.push(format!(
            "The first report can take up to 48 hours; then one a day, at {}.",
            after.reports_at
        ));
        notes.push("S3 delivers reports only if the destination bucket's policy allows it: add the statement below to it (s3seal does not change that policy).".to_owned());
    }
    let destination_policy_statement =
        delivery_statement(source_bucket, &destination.bucket, prefix, account);
    Ok(InventoryChange {
        bucket: source_bucket.to_owned(),
        before: existing.to_vec(),
        write: changed.then_some(config),
        replaces: ours.map(|c| summarize(source_bucket, c)),
        after,
        kept,
        changed,
        destination_policy_statement,
        notes,
    })
}

/// The destination bucket policy statement that lets S3 write `source`'s inventory reports
/// under `prefix` (the User Guide's "Grant permissions for S3 Inventory" statement).
pub fn delivery_statement(
    source: &str,
    destination: &str,
    prefix: &str,
    account: Option<&str>,
) -> Value {
    let resource = if prefix.is_empty() {
        format!("arn:aws:s3:::{destination}/*")
    } else {
        format!("arn:aws:s3:::{destination}/{prefix}/*")
    };
    json!({
        "Sid": DELIVERY_SID,
        "Effect": "Allow",
        "Principal": {"Service": "s3.amazonaws.com"},
        "Action": "s3:PutObject",
        "Resource": [resource],
        "Condition": {
            "ArnLike": {"aws:SourceArn": format!("arn:aws:s3:::{source}")},
            "StringEquals": {
                "aws:SourceAccount": account.unwrap_or("SOURCE-ACCOUNT-ID"),
                "s3:x-amz-acl": "bucket-owner-full-control"
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn other(id: &str, fields: &[InventoryOptionalField]) -> InventoryConfiguration {
        let dest = InventoryS3BucketDestination::builder()
            .bucket("arn:aws:s3:::elsewhere")
            .format(InventoryFormat::Orc)
            .build()
            .unwrap();
        InventoryConfiguration::builder()
            .id(id)
            .is_enabled(true)
            .included_object_versions(InventoryIncludedObjectVersions::All)
            .destination(
                InventoryDestination::builder()
                    .s3_bucket_destination(dest)
                    .build(),
            )
            .schedule(
                InventorySchedule::builder()
                    .frequency(InventoryFrequency::Weekly)
                    .build()
                    .unwrap(),
            )
            .set_optional_fields(Some(fields.to_vec()))
            .build()
            .unwrap()
    }

    #[test]
    fn adds_ours_and_keeps_the_others() {
        let existing = [other("finance", &[InventoryOptionalField::Size])];
        let dest = S3Uri::new("reports", "inv/");
        let change = plan_inventory("src", &existing, &dest, Some("111122223333")).unwrap();
        assert!(change.changed);
        assert!(change.replaces.is_none());
        assert_eq!(change.kept.len(), 1);
        assert_eq!(change.kept[0].id, "finance");
        let written = change.write.as_ref().unwrap();
        assert_eq!(written.id(), S3SEAL_INVENTORY_ID);
        for f in AUDIT_FIELDS {
            assert!(written.optional_fields().contains(&f), "{f:?}");
        }
        assert_eq!(change.after.frequency, "Daily");
        assert_eq!(change.after.destination, "s3://reports/inv");
        assert_eq!(
            change.after.reports_at,
            "s3://reports/inv/src/s3seal-audit/"
        );
        assert_eq!(
            change.after.destination_account.as_deref(),
            Some("111122223333")
        );
        let diff = change.diff();
        assert!(diff.contains("+ inventory 's3seal-audit'"), "{diff}");
        assert!(diff.contains("+   field: BucketKeyStatus"), "{diff}");
        assert!(
            diff.contains("kept unchanged: inventory 'finance'"),
            "{diff}"
        );
        assert!(diff.contains("trailing '/'"), "{diff}");
        let statement = &change.destination_policy_statement;
        assert_eq!(statement["Resource"][0], "arn:aws:s3:::reports/inv/*");
        assert_eq!(
            statement["Condition"]["ArnLike"]["aws:SourceArn"],
            "arn:aws:s3:::src"
        );
    }

    #[test]
    fn updates_ours_keeping_its_extra_fields_and_is_idempotent() {
        let dest = S3Uri::new("reports", "");
        let first = plan_inventory("src", &[], &dest, None).unwrap();
        let mut ours = first.write.clone().unwrap();
        ours.optional_fields = Some(vec![
            InventoryOptionalField::ETag,
            InventoryOptionalField::Size,
        ]);
        let change = plan_inventory("src", &[ours], &dest, None).unwrap();
        assert!(change.changed);
        let fields = change.write.as_ref().unwrap().optional_fields().to_vec();
        assert!(
            fields.contains(&InventoryOptionalField::ETag),
            "extra field kept"
        );
        assert!(fields.contains(&InventoryOptionalField::EncryptionStatus));
        let diff = change.diff();
        assert!(diff.contains("+   field: EncryptionStatus"), "{diff}");
        assert!(diff.contains("    field: ETag"), "{diff}");
        assert!(!diff.contains("- "), "nothing removed: {diff}");
        // Applying the plan again changes nothing.
        let again = plan_inventory("src", &[change.write.clone().unwrap()], &dest, None).unwrap();
        assert!(!again.changed);
        assert!(again.write.is_none());
        assert!(again.diff().starts_with("no change"));
        assert_eq!(
            again.destination_policy_statement["Condition"]["StringEquals"]["aws:SourceAccount"],
            "SOURCE-ACCOUNT-ID"
        );
    }

    #[test]
    fn an_existing_inventory_that_serves_the_audit_is_enough() {
        let mut fine = plan_inventory("src", &[], &S3Uri::new("r", "p"), None)
            .unwrap()
            .write
            .unwrap();
        fine.id = "theirs".into();
        let change = plan_inventory("src", &[fine], &S3Uri::new("r", "p"), None).unwrap();
        assert!(!change.changed);
        assert!(
            change
                .notes
                .iter()
                .any(|n| n.contains("'theirs' already delivers"))
        );
    }
}
