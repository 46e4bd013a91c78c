//! Work on many objects: re-encryption jobs (`jobs`) and S3 Batch Operations (`batch`).

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

/// `--versions` of `rekey --recursive`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum VersionsArg {
    Current,
    All,
}

impl From<VersionsArg> for crate::jobs::Versions {
    fn from(arg: VersionsArg) -> Self {
        match arg {
            VersionsArg::Current => Self::Current,
            VersionsArg::All => Self::All,
        }
    }
}

/// `jobs …`.
#[derive(Subcommand)]
pub(crate) enum JobsCommand {
    /// Every job, newest first: id, state (running, interrupted, done, cancelled), progress.
    List {
        #[arg(long)]
        json: bool,
    },
    /// One job: its plan, progress and per-object report.
    Show {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Continue an interrupted job (after Ctrl-C, a crash or a reboot).
    Resume { id: String },
    /// Stop a job for good (a running one stops after the objects in flight).
    Cancel { id: String },
}

/// `--encryption` of `batch create` and `batch role-policy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum BatchModeArg {
    SseKms,
    SseS3,
    /// Refused: S3 Batch Operations copies write SSE-S3 or SSE-KMS only.
    DsseKms,
}

/// The target encryption and the account, shared by `batch create` and `batch role-policy`.
#[derive(Args, Clone)]
pub(crate) struct BatchTargetArgs {
    /// s3://BUCKET[/PREFIX]: the objects to re-encrypt.
    pub uri: String,
    #[arg(long, value_enum)]
    pub encryption: BatchModeArg,
    /// KMS key id, alias or ARN for sse-kms (resolved to its ARN).
    #[arg(long)]
    pub kms_key: Option<String>,
    /// Use an S3 Bucket Key with sse-kms.
    #[arg(long)]
    pub bucket_key: bool,
    /// Only objects that pass this filter (repeatable, ANDed): unencrypted, sse-s3,
    /// not-kms-key=KEY, sse-c, sse-c-unknown-key, client-v2, client-unknown-key, mode=MODE, errors.
    #[arg(long = "where", value_name = "FILTER")]
    pub filters: Vec<String>,
    /// Only objects larger than this many bytes.
    #[arg(long, value_name = "BYTES")]
    pub larger_than: Option<u64>,
    /// Only objects smaller than this many bytes.
    #[arg(long, value_name = "BYTES")]
    pub smaller_than: Option<u64>,
    /// Only objects created after this date (2026-01-31 or RFC 3339).
    #[arg(long, value_name = "DATE")]
    pub created_after: Option<String>,
    /// Only objects created before this date.
    #[arg(long, value_name = "DATE")]
    pub created_before: Option<String>,
    /// Where the completion report (every task) goes: s3://BUCKET/PREFIX.
    #[arg(long)]
    pub report: String,
    /// The AWS account that runs the job (default: your credentials' account, from STS).
    #[arg(long)]
    pub account_id: Option<String>,
}

#[derive(Subcommand)]
pub(crate) enum BatchCommand {
    /// Create a job that re-encrypts objects (it waits for `batch confirm` once S3 has
    /// counted them). --dry-run prints only the CreateJob input JSON.
    Create {
        #[command(flatten)]
        target: BatchTargetArgs,
        /// The IAM role the job runs as (see `batch role-policy`).
        #[arg(long, value_name = "ROLE_ARN")]
        role: String,
        /// Take the objects from this audit (`s3seal audit --json` output) and upload a CSV
        /// manifest of them, instead of letting S3 list the bucket.
        #[arg(
            long,
            value_name = "FILE.json",
            conflicts_with = "manifest_from_inventory"
        )]
        manifest_from_audit: Option<PathBuf>,
        /// Take the objects from this S3 Inventory report (…/manifest.json).
        #[arg(long, value_name = "MANIFEST")]
        manifest_from_inventory: Option<String>,
        /// Print the exact CreateJob input (as `aws s3control create-job --cli-input-json`
        /// takes it) and change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Print the plan (input, manifest, costs, notes) as JSON.
        #[arg(long)]
        json: bool,
    },
    /// The account's jobs (current, and ended in the last 90 days).
    List {
        #[arg(long)]
        account_id: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// One job: status, objects done and failed, failure reasons.
    Show {
        id: String,
        #[arg(long)]
        account_id: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Let a job that waits for confirmation run.
    Confirm {
        id: String,
        #[arg(long)]
        account_id: Option<String>,
    },
    /// Cancel a job.
    Cancel {
        id: String,
        #[arg(long)]
        account_id: Option<String>,
    },
    /// Read a job's completion report into per-object rows.
    #[command(group = clap::ArgGroup::new("which").required(true).args(["id", "manifest"]))]
    Report {
        id: Option<String>,
        /// Read this report manifest (s3://BUCKET/PATH/job-ID/manifest.json) directly.
        #[arg(long)]
        manifest: Option<String>,
        #[arg(long)]
        account_id: Option<String>,
        #[arg(long)]
        json: bool,
        /// Also write the rows to this CSV file (must not exist yet).
        #[arg(long)]
        csv: Option<PathBuf>,
    },
    /// Print the trust policy and least-privilege permissions of the role a job needs.
    RolePolicy {
        #[command(flatten)]
        target: BatchTargetArgs,
        #[arg(long)]
        json: bool,
    },
}
