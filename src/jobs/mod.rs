//! Bulk re-encryption jobs: bring every object under a prefix to one encryption, planned before
//! anything changes, run as a durable job that survives a crash, and reported per object.
//!
//! - [`target`]: the one encryption a job brings objects to, resolved before planning.
//! - [`select`]: listing, inspecting (HEAD) and filtering the objects; the one place local
//!   SSE-C keys are offered to S3.
//! - [`method`]: how one object is changed (UpdateObjectEncryption, copy, re-wrap) or why not.
//! - [`uoe`]: UpdateObjectEncryption, and the probe that tells whether a server implements it.
//! - [`plan`]: the plan (dry run); [`summary`] sums it up; [`cost`] prices it.
//! - [`store`]: the job on disk (plan, journal, lock), list, state, report.
//! - [`runner`]: runs or resumes a job; [`execute`] changes one object; [`pacing`] keeps to the
//!   KMS budget and backs off when throttled; [`progress`] is what a front end polls.
//! - [`report`]: the per-object report rows and summary (also what S3 Batch Operations
//!   completion reports are read into).

pub mod cost;
pub mod execute;
pub mod journal;
pub mod method;
pub mod pacing;
pub mod plan;
pub mod progress;
pub mod report;
pub mod runner;
pub mod select;
pub mod store;
pub mod summary;
pub mod target;
pub mod uoe;

pub use method::Method;
pub use plan::{Plan, PlanRequest, RunSettings, Versions, plan};
pub use progress::{ProgressSnapshot, RunState};
pub use report::{EncryptionState, Report, ReportRow, ReportSummary, RowStatus};
pub use runner::{JobControls, JobHandle, JobOutcome, RunOptions, resume, start};
pub use store::{JobListing, JobState, JobStore};
pub use summary::PlanSummary;
