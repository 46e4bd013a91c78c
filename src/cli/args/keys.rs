//! Local key commands: create, import, export, homes, trusted KMS keys, rename, delete.

use std::path::PathBuf;

use clap::{Subcommand, ValueEnum};

use crate::keys::{ExportFormat, KeyKind};

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
