//! The command line's grammar: clap definitions of every command and flag, with fixed sets of
//! values as `ValueEnum`s. Private to the CLI; the library never sees these types.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::crypto::FormatVersion;
use crate::keys::{ExportFormat, KeyKind};
use crate::s3::ConnectOptions;

/// s3seal — manage the encryption of your data in Amazon S3 and S3-compatible stores.
#[derive(Parser)]
#[command(name = "s3seal", version, about, long_about = None)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Connection and output flags shared by every command.
#[derive(Args, Clone, Default)]
pub(crate) struct GlobalArgs {
    /// AWS profile from ~/.aws/config.
    #[arg(long, global = true, env = "AWS_PROFILE", hide_env_values = true)]
    pub profile: Option<String>,
    /// AWS region (defaults to the profile's).
    #[arg(long, global = true)]
    pub region: Option<String>,
    /// Custom endpoint for S3 and KMS (path-style). https:// unless you mean plain HTTP.
    #[arg(long, global = true)]
    pub endpoint_url: Option<String>,
    /// Custom endpoint for KMS alone.
    #[arg(long, global = true)]
    pub kms_endpoint_url: Option<String>,
    /// PEM bundle of CA certificates to trust (wins over AWS_CA_BUNDLE).
    #[arg(long, global = true)]
    pub ca_bundle: Option<PathBuf>,
    /// No progress bars or informational lines.
    #[arg(long, short, global = true)]
    pub quiet: bool,
}

impl GlobalArgs {
    /// The connection these flags describe.
    pub fn connect_options(&self) -> ConnectOptions {
        ConnectOptions {
            profile: self.profile.clone(),
            region: self.region.clone(),
            endpoint_url: self.endpoint_url.clone(),
            kms_endpoint_url: self.kms_endpoint_url.clone(),
            ca_bundle: self.ca_bundle.clone(),
            access_key: None,
        }
    }
}

#[derive(Subcommand)]
pub(crate) enum Command {
    /// Open the desktop window (the default with no command), optionally at s3://BUCKET/PREFIX.
    Open {
        /// s3://BUCKET[/PREFIX] to show first.
        uri: Option<String>,
    },
    /// List buckets, or objects under s3://BUCKET/PREFIX with their encryption.
    Ls {
        /// s3://BUCKET[/PREFIX]; omit to list buckets.
        uri: Option<String>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Show one object's encryption in detail.
    Info {
        uri: String,
        #[command(flatten)]
        read: ReadKeyArgs,
        #[arg(long)]
        json: bool,
    },
    /// Upload a file (or with --recursive a folder) with the chosen encryption.
    Put {
        file: PathBuf,
        uri: String,
        #[command(flatten)]
        enc: EncryptionArgs,
        /// Upload nothing: say what the object would be encrypted with, and whether the bucket
        /// (its policy or its SSE-C block) would refuse it.
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        tree: TreeArgs,
    },
    /// Download (and decrypt) an object to a file, or with --recursive every object under a
    /// prefix to a folder.
    Get {
        uri: String,
        file: PathBuf,
        #[command(flatten)]
        read: ReadKeyArgs,
        #[command(flatten)]
        tree: TreeArgs,
    },
    /// Change an object's encryption in place (server-side copy), or with --recursive every
    /// object under a prefix, as a job that is planned first and can be resumed.
    Rekey {
        /// s3://BUCKET/KEY, or with --recursive s3://BUCKET/PREFIX/.
        uri: String,
        #[command(flatten)]
        enc: EncryptionArgs,
        /// The object's current key: an SSE-C key, or the local client key of a client-side
        /// object (otherwise found automatically among the keys whose homes include the bucket).
        /// With --recursive, repeatable: SSE-C keys offered first for the SSE-C objects.
        #[arg(long = "source-key", value_name = "NAME")]
        source_key: Vec<String>,
        /// KMS key trusted to open a client-side object's data key (repeatable).
        #[arg(long = "source-kms-key", value_name = "KEY")]
        source_kms_key: Vec<String>,
        /// Every object under the prefix: planned, then run as a job (see `s3seal jobs`).
        #[arg(long)]
        recursive: bool,
        /// Only objects this filter keeps (repeatable, all must keep it): unencrypted, sse-s3,
        /// not-kms-key=KEY, sse-c, sse-c-unknown-key, client-v2, client-unknown-key, mode=MODE.
        #[arg(long = "where", value_name = "FILTER", requires = "recursive")]
        filters: Vec<String>,
        /// current: each object's current version; all: older versions too (changed in place
        /// where UpdateObjectEncryption can, else listed as keeping their encryption).
        #[arg(long, value_enum, default_value_t = VersionsArg::Current, requires = "recursive")]
        versions: VersionsArg,
        /// Delete the versions this job's copies replace, each once its new version shows the
        /// target encryption.
        #[arg(long, requires = "recursive")]
        delete_replaced_versions: bool,
        /// Objects in flight at once.
        #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..), requires = "recursive")]
        concurrency: u16,
        /// KMS requests per second the job may cause (S3's on its behalf included).
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..), requires = "recursive")]
        kms_rate: Option<u32>,
        /// Plan only: print what would be done, change nothing.
        #[arg(long, requires = "recursive")]
        dry_run: bool,
        /// Write the per-object report to FILE.csv or FILE.json (must not exist yet).
        #[arg(long, value_name = "FILE", requires = "recursive")]
        report: Option<PathBuf>,
        /// Print the plan and the outcome as JSON.
        #[arg(long, requires = "recursive")]
        json: bool,
    },
    /// Create a bucket.
    Mb { uri: String },
    /// List the KMS keys and aliases you can use.
    Kms {
        #[arg(long)]
        json: bool,
    },
    /// Manage local SSE-C and client-side keys (kept in the OS keyring).
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Bucket protection: TLS-only policy, default encryption, SSE-C block, versioning.
    Bucket {
        #[command(subcommand)]
        command: BucketCommand,
    },
    /// Incomplete multipart uploads (from any tool): billed parts no object listing shows.
    Uploads {
        #[command(subcommand)]
        command: UploadsCommand,
    },
    /// Re-encryption jobs (`rekey --recursive`): list them, show one, resume or cancel it.
    Jobs {
        #[command(subcommand)]
        command: JobsCommand,
    },
    /// S3 Batch Operations: hand bucket-sized re-encryption to AWS, follow it, read its report.
    Batch {
        #[command(subcommand)]
        command: BatchCommand,
    },
    /// Audit the encryption of every object in s3://BUCKET[/PREFIX] (one HEAD per object), or
    /// from an S3 Inventory report with --inventory.
    Audit {
        /// s3://BUCKET[/PREFIX] to audit by HEAD.
        #[arg(required_unless_present = "inventory")]
        uri: Option<String>,
        /// Count from this S3 Inventory report instead (s3://BUCKET/PATH/manifest.json; see
        /// `s3seal bucket inventory show`): no HEAD per object.
        #[arg(long, value_name = "MANIFEST", conflicts_with = "uri")]
        inventory: Option<String>,
        /// With --inventory: HEAD the SSE-KMS / DSSE-KMS objects to count them by KMS key
        /// (an inventory does not name keys): `all`, or a random sample of N.
        #[arg(long, value_name = "N|all", value_parser = parse_kms_keys)]
        kms_keys: Option<KmsKeysArg>,
        /// Also write every object's row to this CSV file (must not exist yet).
        #[arg(long)]
        csv: Option<PathBuf>,
        /// Print JSON (total, by_mode, by_key, objects) instead of a summary.
        #[arg(long)]
        json: bool,
        /// HEAD requests in flight at once.
        #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u16).range(1..))]
        concurrency: u16,
        /// Ignore and do not update the result cache.
        #[arg(long)]
        no_cache: bool,
    },
}

/// `--kms-keys` of `audit --inventory`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KmsKeysArg {
    All,
    Sample(u64),
}

fn parse_kms_keys(s: &str) -> Result<KmsKeysArg, String> {
    if s == "all" {
        return Ok(KmsKeysArg::All);
    }
    match s.parse::<u64>() {
        Ok(n) if n > 0 => Ok(KmsKeysArg::Sample(n)),
        _ => Err(format!(
            "'{s}' is neither `all` nor a number of objects (1 or more)"
        )),
    }
}

/// The keys a read may use: named explicitly, or found among the local keys whose homes
/// include the bucket.
#[derive(Args, Clone, Default)]
pub(crate) struct ReadKeyArgs {
    /// A local key to use: the SSE-C key, or the client key of a client-side object written
    /// by another client (sent or used even outside the key's homes, since you named it).
    #[arg(long = "key")]
    pub key: Option<String>,
    /// A KMS key trusted to open a client-side object's data key (repeatable; the KMS keys
    /// you used for client-side uploads are trusted already).
    #[arg(long = "kms-key", value_name = "KEY")]
    pub kms_key: Vec<String>,
    /// A pair the client-side object's KMS encryption context must hold, KEY=VALUE
    /// (repeatable).
    #[arg(long = "context", value_name = "KEY=VALUE")]
    pub context: Vec<String>,
    /// Refuse client-side objects without key commitment (the V2 format).
    #[arg(long)]
    pub require_commitment: bool,
}

/// Folders: `--recursive` and the flags that go with it.
#[derive(Args, Clone)]
pub(crate) struct TreeArgs {
    /// A whole folder: every file under FILE to the prefix (put), or every object under the
    /// prefix to the folder FILE (get).
    #[arg(long, short = 'r')]
    pub recursive: bool,
    /// Only paths (relative to the folder, written with /) that match this glob: * matches
    /// any run of characters, across folders too; ? matches one (repeatable).
    #[arg(long, value_name = "GLOB")]
    pub include: Vec<String>,
    /// Leave out paths that match this glob (repeatable; wins over --include).
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Leave out files the destination already has: same size and checksum (and, for put,
    /// already the encryption asked for).
    #[arg(long)]
    pub skip_existing: bool,
    /// put: follow symbolic links (they are skipped otherwise).
    #[arg(long)]
    pub follow_symlinks: bool,
    /// Requests in flight across all files of the folder.
    #[arg(long, default_value_t = DEFAULT_SLOTS, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub concurrency: u16,
    /// Print every file's outcome as JSON.
    #[arg(long)]
    pub json: bool,
}

/// [`crate::transfer::tree::DEFAULT_SLOTS`] as the flag's type.
const DEFAULT_SLOTS: u16 = {
    assert!(crate::transfer::tree::DEFAULT_SLOTS <= 1024);
    crate::transfer::tree::DEFAULT_SLOTS as u16
};

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

/// How to encrypt what is written.
#[derive(Args, Clone)]
pub(crate) struct EncryptionArgs {
    /// What to encrypt with: the bucket's default (no header), S3-managed, KMS, dual-layer
    /// KMS, your key (SSE-C), or on this machine (client, S3 Encryption Client format).
    #[arg(long, value_enum, default_value_t = ModeArg::Default)]
    pub encryption: ModeArg,
    /// KMS key id, alias (alias/NAME) or ARN, for sse-kms, dsse-kms or client.
    #[arg(long)]
    pub kms_key: Option<String>,
    /// Use an S3 Bucket Key with sse-kms (fewer KMS calls).
    #[arg(long)]
    pub bucket_key: bool,
    /// Local key name, for sse-c or client.
    #[arg(long = "key")]
    pub key: Option<String>,
    /// Client-side format: v3 (key commitment; newest official clients) or v2 (older clients).
    #[arg(long, value_enum, default_value_t = FormatArg::V3)]
    pub format: FormatArg,
    /// Encryption context for client-side KMS, KEY=VALUE (repeatable).
    #[arg(long = "context", value_name = "KEY=VALUE")]
    pub context: Vec<String>,
}

/// `--encryption` of `put` and `rekey`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum ModeArg {
    /// No encryption header: the bucket's default encryption applies.
    Default,
    SseS3,
    SseKms,
    DsseKms,
    SseC,
    /// Encrypted on this machine (S3 Encryption Client format).
    Client,
}

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

/// `--format` of client-side writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum FormatArg {
    V3,
    V2,
}

impl From<FormatArg> for FormatVersion {
    fn from(arg: FormatArg) -> Self {
        match arg {
            FormatArg::V3 => Self::V3,
            FormatArg::V2 => Self::V2,
        }
    }
}

/// `--encryption` of `bucket set-default`: SSE-C and client-side need a key per request, so
/// they cannot be a default.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum DefaultModeArg {
    SseS3,
    SseKms,
    DsseKms,
}

/// `--kind` of a local key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum KindArg {
    /// Sent to S3 with each request (SSE-C).
    SseC,
    /// Never leaves this machine: wraps client-side data keys.
    Client,
}

impl From<KindArg> for KeyKind {
    fn from(arg: KindArg) -> Self {
        match arg {
            KindArg::SseC => Self::SseC,
            KindArg::Client => Self::Client,
        }
    }
}

/// `--format` of `keys export`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum ExportFormatArg {
    Raw,
    Base64,
    Hex,
}

impl From<ExportFormatArg> for ExportFormat {
    fn from(arg: ExportFormatArg) -> Self {
        match arg {
            ExportFormatArg::Raw => Self::Raw,
            ExportFormatArg::Base64 => Self::Base64,
            ExportFormatArg::Hex => Self::Hex,
        }
    }
}

/// `keys …`. No `Debug`: `Import` can hold key text.
#[derive(Subcommand)]
pub(crate) enum KeysCommand {
    /// List local keys (never their bytes).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Generate a new random 256-bit key.
    New {
        name: String,
        #[arg(long, value_enum, default_value_t = KindArg::SseC)]
        kind: KindArg,
    },
    /// Import an existing key. Give `-` to --base64 or --hex to read the key from standard
    /// input, which keeps it out of shell history and the process list.
    #[command(group = clap::ArgGroup::new("source").required(true).args(["file", "base64", "hex"]))]
    Import {
        name: String,
        /// Raw 32-byte file, or a file holding base64 or hex text.
        #[arg(long)]
        file: Option<PathBuf>,
        /// The key as base64 (44 characters), or `-` to read it from standard input.
        #[arg(long)]
        base64: Option<String>,
        /// The key as hex (64 digits), or `-` to read it from standard input.
        #[arg(long)]
        hex: Option<String>,
        #[arg(long, value_enum, default_value_t = KindArg::SseC)]
        kind: KindArg,
    },
    /// Export a key to a new file (readable only by you), or to standard output with --stdout.
    Export {
        name: String,
        #[arg(long, conflicts_with = "stdout")]
        file: Option<PathBuf>,
        /// Print the key to standard output (be careful where it goes).
        #[arg(long)]
        stdout: bool,
        /// raw (default for files; usable as `aws --sse-c-key fileb://FILE`), base64 or hex
        /// (default for --stdout).
        #[arg(long, value_enum)]
        format: Option<ExportFormatArg>,
    },
    /// Show or change where an SSE-C key belongs: s3seal offers a key to S3 on its own only for
    /// buckets (and prefixes) among its homes, at the endpoint given (AWS by default). Uploads
    /// and rekeys with the key add their bucket.
    Homes {
        name: String,
        /// Add s3://BUCKET[/PREFIX] at this connection's endpoint (repeatable).
        #[arg(long, value_name = "S3_URI")]
        add: Vec<String>,
        /// Remove s3://BUCKET[/PREFIX] at this connection's endpoint (repeatable).
        #[arg(long, value_name = "S3_URI")]
        remove: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// Trust a KMS key (ARN, id or alias) to open client-side objects' data keys. The KMS keys
    /// of your own client-side uploads are trusted already.
    TrustKms { key: String },
    /// Stop trusting a KMS key for client-side objects.
    UntrustKms { key: String },
    /// List the KMS keys trusted to open client-side objects.
    TrustedKms {
        #[arg(long)]
        json: bool,
    },
    /// Rename a key (objects keep working: they are matched by key, not by name).
    Rename { old: String, new: String },
    /// Delete a key. Objects encrypted with it become unreadable unless you have a copy.
    Rm { name: String },
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
