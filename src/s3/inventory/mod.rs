//! S3 Inventory: auditing a bucket from its inventory report instead of one HEAD per object,
//! and setting up the daily inventory that audit needs.
//!
//! `manifest` (manifest.json, report folders) → `stream` (data files downloaded one at a
//! time, MD5 checked) → `read` (CSV.gz or Parquet, row by row) → `row` (one row, borrowed) →
//! `tally` (counts) / `audit` (the report, the CSV, the KMS key breakdown by HEAD).
//! `config` (pure: summaries, the merge, the diff, the delivery policy statement) and
//! `configure` (reading and writing the bucket's configurations, the newest report).

pub mod audit;
pub mod config;
pub mod configure;
pub mod manifest;
pub mod read;
pub mod row;
pub mod stream;
pub mod tally;
pub mod write;

pub use audit::{
    AuditSource, InventoryAuditOptions, InventoryAuditReport, KmsKeyBreakdown, KmsKeyScope,
    audit_inventory, audit_inventory_replacing_csv, audit_manifest,
};
pub use config::{InventoryChange, InventorySummary, S3SEAL_INVENTORY_ID};
pub use configure::{
    InventoryStatus, LatestReport, apply_inventory_change, inventory_status, plan_enable_inventory,
};
pub use manifest::{InventoryManifest, ReportFormat};
pub use row::{EncryptionStatus, InventoryRow};
pub use stream::{RowSink, read_manifest, stream_rows};
pub use tally::InventoryCounts;
