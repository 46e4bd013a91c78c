//! The command-line interface: argument definitions and dispatch to the commands in `cli/`.
//!
//! Every command returns the library's [`Error`](crate::Error); `main` prints it as one line and
//! exits non-zero. Nothing here prints key material except `keys export` to a file or, when
//! explicitly asked, to standard output.

mod audit_cmd;
mod bucket_cmd;
mod keys_cmd;
mod objects;
mod output;
mod progress_bar;
mod write_mode;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::error::Result;
use crate::s3::ConnectOptions;

/// s3seal — manage the encryption of your data in Amazon S3 and S3-compatible stores.
#[derive(Debug, Parser)]
#[command(name = "s3seal", version, about, long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Connection and output flags shared by every command.
#[derive(Debug, Args, Clone, Default)]
pub struct GlobalArgs {
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
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
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
        /// SSE-C key to use (otherwise local keys are tried).
        #[arg(long = "key")]
        key: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Upload a file with the chosen encryption.
    Put {
        file: PathBuf,
        uri: String,
        #[command(flatten)]
        enc: EncryptionArgs,
        /// Upload nothing: say what the object would be encrypted with, and whether the bucket
        /// (its policy or its SSE-C block) would refuse it.
        #[arg(long)]
        dry_run: bool,
    },
    /// Download (and decrypt) an object to a file.
    Get {
        uri: String,
        file: PathBuf,
        /// SSE-C key (otherwise the local key that fits is found automatically).
        #[arg(long = "key")]
        key: Option<String>,
    },
    /// Change an object's encryption in place (server-side copy).
    Rekey {
        uri: String,
        #[command(flatten)]
        enc: EncryptionArgs,
        /// The object's current SSE-C key (otherwise found automatically).
        #[arg(long)]
        source_key: Option<String>,
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
    /// Audit the encryption of every object in s3://BUCKET[/PREFIX].
    Audit {
        uri: String,
        /// Also write every object's row to this CSV file (must not exist yet).
        #[arg(long)]
        csv: Option<PathBuf>,
        /// Print JSON (total, by_mode, by_key, objects) instead of a summary.
        #[arg(long)]
        json: bool,
        /// HEAD requests in flight at once.
        #[arg(long, default_value_t = 32)]
        concurrency: usize,
        /// Ignore and do not update the result cache.
        #[arg(long)]
        no_cache: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum BucketCommand {
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
        /// sse-s3, sse-kms or dsse-kms.
        #[arg(long)]
        encryption: String,
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
}

/// How to encrypt what is written.
#[derive(Debug, Args, Clone)]
pub struct EncryptionArgs {
    /// default (bucket default, no header), sse-s3, sse-kms, dsse-kms, sse-c, or client
    /// (encrypted on this machine, S3 Encryption Client format).
    #[arg(long, default_value = "default")]
    pub encryption: String,
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
    #[arg(long, default_value = "v3")]
    pub format: String,
    /// Encryption context for client-side KMS, KEY=VALUE (repeatable).
    #[arg(long = "context", value_name = "KEY=VALUE")]
    pub context: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// List local keys (never their bytes).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Generate a new random 256-bit key.
    New {
        name: String,
        /// sse-c (sent to S3 with each request) or client (never leaves this machine).
        #[arg(long, default_value = "sse-c")]
        kind: String,
    },
    /// Import an existing key.
    #[command(group = clap::ArgGroup::new("source").required(true).args(["file", "base64", "hex"]))]
    Import {
        name: String,
        /// Raw 32-byte file, or a file holding base64 or hex text.
        #[arg(long)]
        file: Option<PathBuf>,
        /// The key as base64 (44 characters).
        #[arg(long)]
        base64: Option<String>,
        /// The key as hex (64 digits).
        #[arg(long)]
        hex: Option<String>,
        #[arg(long, default_value = "sse-c")]
        kind: String,
    },
    /// Export a key to a new file (mode 0600), or to standard output with --stdout.
    Export {
        name: String,
        #[arg(long, conflicts_with = "stdout")]
        file: Option<PathBuf>,
        /// Print the key to standard output (be careful where it goes).
        #[arg(long)]
        stdout: bool,
        /// raw (default for files; usable as `aws --sse-c-key fileb://FILE`), base64 or hex
        /// (default for --stdout).
        #[arg(long)]
        format: Option<String>,
    },
    /// Rename a key (objects keep working: they are matched by key, not by name).
    Rename { old: String, new: String },
    /// Delete a key. Objects encrypted with it become unreadable unless you have a copy.
    Rm { name: String },
}

/// Runs a parsed command line. `Ok(())` means success; errors are for the caller to print.
pub async fn run(cli: Cli) -> Result<()> {
    let global = cli.global;
    match cli.command {
        #[cfg(feature = "gui")]
        None => crate::ui::open(&global, None),
        #[cfg(feature = "gui")]
        Some(Command::Open { uri }) => crate::ui::open(&global, uri),
        #[cfg(not(feature = "gui"))]
        None | Some(Command::Open { .. }) => Err(crate::Error::Usage(
            "this s3seal was built without the window (feature `gui`): use a subcommand, see --help"
                .to_owned(),
        )),
        Some(Command::Keys { command }) => keys_cmd::run(&global, command).await,
        Some(Command::Bucket { command }) => bucket_cmd::run(&global, command).await,
        Some(Command::Audit {
            uri,
            csv,
            json,
            concurrency,
            no_cache,
        }) => {
            let options = audit_cmd::AuditArgs {
                uri,
                csv,
                json,
                concurrency,
                no_cache,
            };
            audit_cmd::run(&global, options).await
        }
        Some(command) => objects::run(&global, command).await,
    }
}
