//! S3 Batch Operations: when a plan is too big for this machine, hand it to the engine AWS
//! runs for exactly this. s3seal plans (what to select, which operation, the manifest, the
//! costs, the role's policies), shows the exact CreateJob input, creates the job waiting for
//! confirmation, follows it, and reads its completion report into the jobs report's rows.
//!
//! `selection` (the `--where` filters, sizes, dates) → `plan` (account, KMS key ARN,
//! `manifest` from an audit or inventory, or the generator) → `spec` (the job as data, its
//! CreateJob input as the aws CLI and the SDK take it, the token) → `jobs` (create, list,
//! describe, confirm, cancel) → `completion` (the report's rows). `costs` and `role_policy`
//! are pure.

pub mod completion;
pub mod costs;
pub mod jobs;
pub mod manifest;
pub mod plan;
pub mod role_policy;
pub mod selection;
pub mod spec;

pub use completion::{BatchReport, ReportSource, read_report, render_report};
pub use costs::{BATCH_THRESHOLD_OBJECTS, CostEstimate, suggests_batch};
pub use jobs::{JobInfo, StatusChange, cancel_job, confirm_job, create_job, list_jobs, show_job};
pub use plan::{
    BatchPlan, BatchRequest, ObjectSource, Submitted, TargetRequest, account_id, plan_batch_job,
    submit,
};
pub use role_policy::{RolePolicies, role_policies};
pub use selection::{Selection, parse_date};
pub use spec::{BatchOperation, BatchTarget, JobSpec};
