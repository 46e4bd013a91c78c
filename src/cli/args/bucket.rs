//! Bucket commands: protection, incomplete uploads, inventory configurations.

use clap::{Subcommand, ValueEnum};

#[derive(Subcommand)]
pub(crate) enum BucketCommand {
    /// Default encryption, SSE-C block, TLS policy and versioning, each with a verdict.
    Show {
        uri: String,
        #[arg(long)]
        json: bool,
    },
    /// Add a deny of every plain-HTTP request to the bucket policy (merged; shows the diff).
    EnforceTls {
        uri: String,
        /// Also deny TLS versions below this one (1.2 recommended).
        #[arg(long)]
        min_tls: Option<String>,
        /// Show the diff, change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Remove s3seal's TLS statements from the bucket policy (and nothing else).
    RelaxTls {
        uri: String,
        #[arg(long)]
        dry_run: bool,
    },
    /// Set the default encryption for new uploads (existing objects keep theirs).
    SetDefault {
        uri: String,
        #[arg(long, value_enum)]
        encryption: DefaultModeArg,
        /// KMS key id, alias (alias/NAME) or ARN, for sse-kms or dsse-kms.
        #[arg(long)]
        kms_key: Option<String>,
        /// Use an S3 Bucket Key with sse-kms (fewer KMS calls).
        #[arg(long)]
        bucket_key: bool,
    },
    /// Refuse new SSE-C uploads to the bucket (BlockedEncryptionTypes).
    BlockSsec { uri: String },
    /// Allow SSE-C uploads to the bucket again.
    UnblockSsec { uri: String },
    /// Have S3 abort incomplete multipart uploads DAYS after they start (a lifecycle rule,
    /// merged into the bucket's lifecycle configuration; shows the diff).
    AbortIncompleteUploads {
        uri: String,
        #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
        days: u16,
        /// Show the diff, change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// S3 Inventory: the bucket's inventory configurations and newest reports, or set up the
    /// daily inventory that `audit --inventory` reads.
    Inventory {
        #[command(subcommand)]
        command: InventoryCommand,
    },
}

#[derive(Subcommand)]
pub(crate) enum UploadsCommand {
    /// List incomplete multipart uploads under s3://BUCKET[/PREFIX]: key, start, parts, bytes.
    List {
        uri: String,
        #[arg(long)]
        json: bool,
    },
    /// Abort incomplete multipart uploads under s3://BUCKET[/PREFIX]. Without --all or
    /// --older-than it only says what it would abort.
    #[command(group = clap::ArgGroup::new("which").args(["all", "older_than"]))]
    Abort {
        uri: String,
        /// Only those started at least DAYS days ago.
        #[arg(long, value_name = "DAYS")]
        older_than: Option<u32>,
        /// Every one of them.
        #[arg(long)]
        all: bool,
    },
}

#[derive(Subcommand)]
pub(crate) enum InventoryCommand {
    /// The bucket's inventory configurations and the newest report of each.
    Show {
        uri: String,
        #[arg(long)]
        json: bool,
    },
    /// Add a daily inventory with the fields the audit reads (other configurations are kept;
    /// the change is shown first).
    Enable {
        uri: String,
        /// Where reports go: s3://BUCKET[/PREFIX] (same region; its bucket policy must let S3
        /// deliver, as printed).
        #[arg(long)]
        destination: String,
        /// Show the change, write nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

/// `--encryption` of `bucket set-default`: SSE-C and client-side need a key per request, so
/// they cannot be a default.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum DefaultModeArg {
    SseS3,
    SseKms,
    DsseKms,
}
