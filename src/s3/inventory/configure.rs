//! Inventory configurations on a bucket: read them all, find the newest report each has
//! delivered ("the bucket has an inventory, latest report dated X"), and add s3seal's daily
//! inventory — planned first (a diff), written only if the configurations are still the ones
//! the plan was made from.

use aws_sdk_s3::types::InventoryConfiguration;
use serde::Serialize;

use super::config::{InventoryChange, InventorySummary, bucket_of_arn, plan_inventory, summarize};
use super::manifest::{date_from_key, newest_report_folder, reports_prefix};
use crate::error::{Error, Result};
use crate::s3::errors::from_sdk;
use crate::s3::listing::list_objects;
use crate::s3::{Connection, S3Uri};

/// The newest report of one configuration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LatestReport {
    /// The configuration that delivered it.
    pub id: String,
    /// `s3://…/YYYY-MM-DDTHH-MMZ/manifest.json`, to audit from.
    pub manifest: String,
    /// When S3 began it (RFC 3339).
    pub report_date: String,
    /// Whether it carries every field the inventory audit reads.
    pub serves_audit: bool,
}

/// A bucket's inventories: what `bucket inventory show` prints, and what the window needs to
/// offer "audit from inventory" with the report's date.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InventoryStatus {
    pub bucket: String,
    pub configurations: Vec<InventorySummary>,
    /// The newest report of each configuration that has delivered one, newest first.
    pub reports: Vec<LatestReport>,
}

impl InventoryStatus {
    /// The report to audit from: the newest one that has the audit's fields, else the newest.
    pub fn best_report(&self) -> Option<&LatestReport> {
        self.reports
            .iter()
            .find(|r| r.serves_audit)
            .or_else(|| self.reports.first())
    }
}

/// Every inventory configuration of `bucket` (following continuation tokens).
pub async fn list_configurations(
    conn: &Connection,
    bucket: &str,
) -> Result<Vec<InventoryConfiguration>> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = conn
            .s3()
            .list_bucket_inventory_configurations()
            .bucket(bucket)
            .set_continuation_token(token.take())
            .send()
            .await
            .map_err(|e| from_sdk("ListBucketInventoryConfigurations", e))?;
        out.extend(page.inventory_configuration_list().iter().cloned());
        match (page.is_truncated(), page.next_continuation_token()) {
            (Some(true), Some(next)) => token = Some(next.to_owned()),
            _ => break,
        }
    }
    Ok(out)
}

/// The bucket's inventory configurations and the newest report of each.
pub async fn inventory_status(conn: &Connection, bucket: &str) -> Result<InventoryStatus> {
    let configs = list_configurations(conn, bucket).await?;
    let mut reports = Vec::new();
    for config in &configs {
        if let Some(report) = latest_report(conn, bucket, config).await? {
            reports.push(report);
        }
    }
    reports.sort_by(|a, b| b.report_date.cmp(&a.report_date));
    Ok(InventoryStatus {
        bucket: bucket.to_owned(),
        configurations: configs.iter().map(|c| summarize(bucket, c)).collect(),
        reports,
    })
}

/// The newest delivered report of `config`: the greatest `YYYY-MM-DDTHH-MMZ/` folder under
/// `PREFIX/SOURCE/ID/` that holds a `manifest.json`. `None` when none was delivered yet or the
/// destination cannot be listed with these credentials.
async fn latest_report(
    conn: &Connection,
    source: &str,
    config: &InventoryConfiguration,
) -> Result<Option<LatestReport>> {
    use futures::TryStreamExt as _;
    let Some(dest) = config.destination().and_then(|d| d.s3_bucket_destination()) else {
        return Ok(None);
    };
    let dest_bucket = bucket_of_arn(dest.bucket());
    let prefix = reports_prefix(dest.prefix(), source, config.id());
    let listed: Result<Vec<_>> = list_objects(conn, dest_bucket, &prefix, Some("/"), None)
        .try_collect()
        .await;
    let folders: Vec<String> = match listed {
        Ok(pages) => pages.into_iter().flat_map(|p| p.prefixes).collect(),
        Err(err @ (Error::Service { .. } | Error::NotFound { .. })) => {
            tracing::info!(error = %err, "inventory destination not readable; its reports are not shown");
            return Ok(None);
        }
        Err(err) => return Err(err),
    };
    let mut candidates = folders;
    // Newest first; a folder still being written has no manifest.json yet.
    candidates.sort();
    while let Some(folder) = newest_report_folder(&candidates).cloned() {
        candidates.retain(|f| *f != folder);
        let key = format!("{folder}manifest.json");
        let head = conn
            .s3()
            .head_object()
            .bucket(dest_bucket)
            .key(&key)
            .send()
            .await;
        if head.is_ok() {
            return Ok(Some(LatestReport {
                id: config.id().to_owned(),
                manifest: S3Uri::new(dest_bucket, key).to_string(),
                report_date: date_from_key(folder.trim_end_matches('/')).unwrap_or_default(),
                serves_audit: summarize(source, config).serves_audit(),
            }));
        }
    }
    Ok(None)
}

/// Plans s3seal's daily inventory of `bucket` to `destination`. The account that owns the
/// buckets comes from STS; without it the plan says so and leaves the owner check out.
pub async fn plan_enable_inventory(
    conn: &Connection,
    bucket: &str,
    destination: &S3Uri,
) -> Result<InventoryChange> {
    let existing = list_configurations(conn, bucket).await?;
    let account = match conn.caller_account().await {
        Ok(account) => Some(account),
        Err(err) => {
            tracing::info!(error = %err, "account id unknown; the inventory destination's owner is not pinned");
            None
        }
    };
    let mut change = plan_inventory(bucket, &existing, destination, account.as_deref())?;
    if account.is_none() && change.changed {
        change.notes.push("The account id could not be read (STS GetCallerIdentity), so the configuration does not pin the destination bucket's owner and the policy statement has a placeholder for it.".to_owned());
    }
    Ok(change)
}

/// Writes a planned change, after checking the bucket's inventory configurations are still
/// the ones it was planned from. Only s3seal's configuration is written.
pub async fn apply_inventory_change(conn: &Connection, change: &InventoryChange) -> Result<()> {
    let Some(config) = &change.write else {
        return Ok(());
    };
    let now = list_configurations(conn, &change.bucket).await?;
    if !same_configurations(&now, &change.before) {
        return Err(Error::Conflict {
            what: format!("the inventory configurations of bucket {}", change.bucket),
        });
    }
    conn.s3()
        .put_bucket_inventory_configuration()
        .bucket(&change.bucket)
        .id(config.id())
        .inventory_configuration(config.clone())
        .send()
        .await
        .map_err(|e| from_sdk("PutBucketInventoryConfiguration", e))?;
    Ok(())
}

/// The same configurations, in any order.
fn same_configurations(a: &[InventoryConfiguration], b: &[InventoryConfiguration]) -> bool {
    a.len() == b.len() && a.iter().all(|c| b.contains(c))
}
