//! Flags of single-file and folder transfers: the encryption to write, the keys a read may use,
//! and `--recursive` with its folder flags.

use clap::{Args, ValueEnum};

use crate::crypto::FormatVersion;

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
    /// Requests in flight across all files of the folder (default: as many as the link
    /// rewards, found as the transfer runs).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub concurrency: Option<u16>,
    /// Print every file's outcome as JSON.
    #[arg(long)]
    pub json: bool,
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
