//! The command line's grammar: clap definitions of every command and flag, with fixed sets of
//! values as `ValueEnum`s. Private to the CLI; the library never sees these types. The
//! top-level commands are here, their flag groups and subcommands in a file per area.

mod bucket;
mod bulk;
mod keys;
mod transfer;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::s3::ConnectOptions;

pub(crate) use bucket::*;
pub(crate) use bulk::*;
pub(crate) use keys::*;
pub(crate) use transfer::*;

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
        /// HEAD requests in flight at once (default: as many as the link rewards, found as the
        /// audit runs).
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
        concurrency: Option<u16>,
        /// Ignore and do not update the result cache.
        #[arg(long)]
        no_cache: bool,
    },
    /// Print the shell completion script for SHELL (bash, zsh, fish, powershell, elvish).
    #[command(
        after_help = "bash:  s3seal completions bash > ~/.local/share/bash-completion/completions/s3seal\n\
                            zsh:   s3seal completions zsh > ~/.zfunc/_s3seal   (with fpath+=~/.zfunc)\n\
                            fish:  s3seal completions fish > ~/.config/fish/completions/s3seal.fish"
    )]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff; `s3seal man | man -l -`), or write one page per command
    /// into DIR.
    Man {
        /// Write s3seal.1, s3seal-put.1, … into this folder instead of printing s3seal.1.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
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
