//! Bulk re-encryption jobs: bring every object under a prefix to one encryption, planned before
//! anything changes, run as a durable job that survives a crash, and reported per object.
//!
//! - [`report`]: the per-object report rows and summary (also what S3 Batch Operations
//!   completion reports are read into).
//! - [`method`]: how one object is changed (UpdateObjectEncryption, copy, re-wrap) or why not.

pub mod method;
pub mod report;

pub use method::Method;
pub use report::{EncryptionState, Report, ReportRow, ReportSummary, RowStatus};
