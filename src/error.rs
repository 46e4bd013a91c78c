//! The library's error type: one enum whose every message says what went wrong, in words that
//! suit any front end, and whose [`Error::remedy`] says what to do as data ([`Remedy`]) that
//! each front end words its own way (the CLI names flags, the window names buttons).
//!
//! Messages never contain key material: variants carry names, paths, MD5s and S3 error codes,
//! never key bytes or their encodings. Errors from the AWS SDK are kept as sources (for a
//! "details" view), classified by type and status, never by matching their text.

use std::path::PathBuf;

use crate::remedy::Remedy;

/// Result alias used across the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A boxed source error (an SDK error, an I/O error from a library) kept for details.
pub type Source = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Everything that can go wrong in s3seal's core.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Input that cannot be used as given (an address, a name, a value); the message says why
    /// and what a valid one looks like.
    #[error("{0}")]
    InvalidInput(String),

    /// s3seal itself went wrong (an invariant broke, an encoder failed). A bug to report.
    #[error("internal error: {0}")]
    Internal(String),

    /// What was about to be written changed since it was read; nothing was written.
    #[error("{what} changed since it was read; nothing was written")]
    Conflict { what: String },

    /// The bucket policy exists but cannot be read, so it cannot be changed safely.
    #[error("the policy of bucket {bucket} cannot be read ({reason}); it was left unchanged")]
    PolicyUnreadable { bucket: String, reason: String },

    /// An operation that does not apply to this object or bucket.
    #[error("{0}")]
    Unsupported(String),

    /// A local file could not be read or written.
    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The CA bundle could not be loaded.
    #[error("cannot use CA bundle {path}: {reason}")]
    CaBundle { path: PathBuf, reason: String },

    /// SSE-C must never travel over plain HTTP: the key would be sent in clear.
    #[error(
        "refusing SSE-C over plain HTTP ({endpoint}): the key would cross the network unencrypted"
    )]
    SseCOverHttp { endpoint: String },

    /// KMS calls that carry plaintext data keys (GenerateDataKey, Decrypt, Encrypt) must never
    /// travel over plain HTTP.
    #[error(
        "refusing client-side encryption with KMS over plain HTTP ({endpoint}): KMS would send the plaintext data key across the network unencrypted"
    )]
    KmsOverHttp { endpoint: String },

    /// A key name that is not in the catalog.
    #[error("no key named '{name}' in the key store")]
    UnknownKey { name: String },

    /// A key name that already exists.
    #[error("a key named '{name}' already exists")]
    KeyExists { name: String },

    /// The same key bytes are already in the store under another name.
    #[error("this key is already in the key store as '{existing}'")]
    DuplicateKey { existing: String, wanted: String },

    /// A key of the wrong kind for what it was named for.
    #[error("key '{name}' is a {kind} key, not a {wanted} key")]
    WrongKeyKind {
        name: String,
        kind: crate::keys::KeyKind,
        wanted: crate::keys::KeyKind,
    },

    /// Key text or file that is not a 256-bit key.
    #[error(
        "invalid key: {reason}. A key is 32 bytes: a raw 32-byte file, 44 characters of base64 or 64 hex digits"
    )]
    InvalidKey { reason: String },

    /// The catalog names a key that the OS keyring no longer holds.
    #[error("key '{name}' is listed in the catalog but missing from the OS keyring")]
    KeyMissingFromKeyring { name: String },

    /// A client-side encrypted object that cannot be opened or written (the envelope, the
    /// master key or the authentication tag).
    #[error("{uri}: {source}")]
    ClientSide {
        uri: String,
        #[source]
        source: crate::crypto::CryptoError,
    },

    /// No local client-side master key opens the object.
    #[error(
        "{uri} is client-side encrypted with a raw AES master key that none of your local keys opens"
    )]
    ClientKeyNeeded { uri: String },

    /// The local key the person named does not open the client-side object. No other key was
    /// used; `opens` is the local key that would (tried on this machine only, to say so).
    #[error(
        "{uri} is client-side encrypted, and the key '{name}' you named does not open it ({}); no other key was used and nothing was written",
        opens.as_deref().map_or_else(|| "nor does any other local key".to_owned(), |o| format!("your local key '{o}' does"))
    )]
    NamedClientKeyWrong {
        uri: String,
        name: String,
        opens: Option<String>,
    },

    /// A client-side object whose data key is wrapped by a KMS key this user does not trust.
    #[error(
        "{uri} is client-side encrypted with a KMS key you have not said you trust{}",
        tried_list(tried)
    )]
    KmsKeyNotTrusted { uri: String, tried: Vec<String> },

    /// A client-side object without key commitment (V2) where commitment is required.
    #[error(
        "{uri} uses the V2 client-side format, which has no key commitment, and key commitment is required"
    )]
    CommitmentRequired { uri: String },

    /// The operating system's random number generator failed (needed for new keys and ids).
    #[error("the operating system's random number generator failed: {0}")]
    Random(String),

    /// The OS keyring could not be reached or refused the operation.
    #[error("OS keyring: {0}")]
    Keyring(String),

    /// The key catalog file is unreadable.
    #[error("key catalog {path} is damaged: {reason}")]
    Catalog { path: PathBuf, reason: String },

    /// No directory to keep the key catalog and s3seal's state in.
    #[error("cannot find a home directory to keep s3seal's configuration in")]
    NoConfigDir,

    /// The object needs an SSE-C key and none was offered: either no local key fits, or the
    /// keys that might were not offered because this place is not one of their homes.
    #[error("s3://{bucket}/{key} is encrypted with SSE-C and {}", reason.phrase())]
    SseCKeyNeeded {
        bucket: String,
        key: String,
        reason: SseCKeyReason,
    },

    /// S3 refused the SSE-C key given.
    #[error(
        "s3://{bucket}/{key}: the SSE-C key '{name}' does not fit this object (S3 answered 403)"
    )]
    SseCWrongKey {
        bucket: String,
        key: String,
        name: String,
    },

    /// Not found (bucket or object).
    #[error("{what} not found")]
    NotFound { what: String },

    /// A KMS key that does not exist or cannot be used.
    #[error("KMS key {} cannot be used: {code}: {message}", key.as_deref().unwrap_or("given"))]
    KmsKey {
        key: Option<String>,
        code: String,
        message: String,
    },

    /// The local file already exists and we will not overwrite it implicitly.
    #[error("{path} already exists")]
    WouldOverwrite { path: PathBuf },

    /// The transfer was cancelled by the user.
    #[error("cancelled; nothing was left half-written")]
    Cancelled,

    /// Another transfer to the same destination is running (in this or another s3seal).
    #[error("another transfer to {uri} is in progress right now")]
    TransferBusy { uri: String },

    /// A multipart upload stopped because of something outside it (the network, the service,
    /// the credentials); the parts S3 confirmed are kept so that it can continue.
    #[error(
        "the upload to {uri} stopped after {parts_done} of {parts_total} parts ({source}); the parts already sent are kept so that it can continue"
    )]
    UploadInterrupted {
        uri: String,
        parts_done: usize,
        parts_total: usize,
        #[source]
        source: Box<Error>,
    },

    /// A ranged download stopped because of something outside it (the network, the service,
    /// the credentials, a kill); the ranges already written are kept so that it can continue.
    #[error(
        "the download of {uri} stopped with {bytes_done} of {size} bytes written ({source}); they are kept so that it can continue"
    )]
    DownloadInterrupted {
        uri: String,
        bytes_done: u64,
        size: u64,
        #[source]
        source: Box<Error>,
    },

    /// An interrupted SSE-C upload can only be finished with the key it was started with.
    #[error(
        "the SSE-C key '{name}' is not the key the interrupted upload to {uri} was started with; it can only be finished with that key"
    )]
    SseCKeyChanged { uri: String, name: String },
    /// Some files of a folder transfer failed; the others were transferred (each failure is
    /// reported with the file it concerns).
    #[error("{failed} of {total} files failed")]
    FilesFailed { failed: usize, total: usize },

    /// A downloaded object did not verify; the partial file was discarded.
    #[error("s3://{bucket}/{key} failed verification ({reason}); nothing was written to {dest}")]
    Verification {
        bucket: String,
        key: String,
        reason: String,
        dest: PathBuf,
    },

    /// The object was replaced on the server between HEAD and GET (an If-Match failed).
    #[error(
        "s3://{bucket}/{key} changed on the server while it was being read (its ETag no longer matches); nothing was kept"
    )]
    ObjectChanged { bucket: String, key: String },

    /// A file too large for what was asked (S3's object or copy limits).
    #[error("{what} is {size} bytes, more than {limit}")]
    TooLarge {
        what: String,
        size: u64,
        limit: &'static str,
    },

    /// Any other answer from S3 or KMS, with its code and the operation that failed.
    #[error("{operation} failed: {code}{}", if message.is_empty() { String::new() } else { format!(": {message}") })]
    Service {
        operation: &'static str,
        code: String,
        message: String,
        status: Option<u16>,
        #[source]
        source: Option<Source>,
    },

    /// The connection itself failed (DNS, TLS, refused, timeout).
    #[error("{operation}: cannot reach the endpoint ({})", kind.phrase())]
    Connection {
        operation: &'static str,
        kind: ConnectionFailure,
        #[source]
        source: Option<Source>,
    },

    /// Credentials are missing or invalid.
    #[error("{operation}: no usable AWS credentials{}", code.as_deref().map(|c| format!(" ({c})")).unwrap_or_default())]
    Credentials {
        operation: &'static str,
        /// The service's error code when it refused them (`InvalidAccessKeyId`, …).
        code: Option<String>,
        #[source]
        source: Option<Source>,
    },

    /// No AWS region is configured and none can be guessed.
    #[error("no AWS region is set")]
    NoRegion,

    /// A job stopped before every object was handled (interrupted, or a journal that could not
    /// be written); it can be resumed.
    #[error("job {id} stopped before every object was handled")]
    JobStopped { id: String },

    /// Another process (or this one) holds the job's lock: it is running the job right now.
    /// `pid` is the process it recorded, when it could be read.
    #[error(
        "job {id} is being run right now by {}; it was not started a second time",
        pid.map_or_else(|| "another process".to_owned(), |p| format!("process {p}"))
    )]
    JobRunning { id: String, pid: Option<u32> },

    /// A job ended with objects it could not change.
    #[error("job {id} ended, but {failed} object{} could not be changed: its report says why", if *failed == 1 { "" } else { "s" })]
    JobIncomplete { id: String, failed: u64 },

    /// Nothing to talk to yet.
    #[error("not connected")]
    NotConnected,

    /// The window cannot open (no display, no graphics).
    #[error("cannot open the window: {0}")]
    NoWindow(String),
}

/// Why an SSE-C object's key was not found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SseCKeyReason {
    /// Every local key that may be offered here was tried, and none fits.
    NoneFits,
    /// Local SSE-C keys exist, but none has this bucket (and endpoint) among its homes, so none
    /// was sent.
    NotHome,
    /// The local key store could not be opened.
    KeysUnavailable,
}

impl SseCKeyReason {
    fn phrase(self) -> &'static str {
        match self {
            Self::NoneFits => "no local key fits",
            Self::NotHome => {
                "none of your local keys belongs to this bucket, so none was sent to the server"
            }
            Self::KeysUnavailable => "the local key store is unavailable",
        }
    }
}

/// How a connection failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnectionFailure {
    TimedOut,
    /// Refused, reset, DNS, TLS: the transport failed.
    Transport,
    /// The response could not be read.
    BadResponse,
    /// The request could not be built (e.g. no region for the endpoint).
    Construction,
    /// Any other dispatch failure.
    Other,
}

impl ConnectionFailure {
    fn phrase(self) -> &'static str {
        match self {
            Self::TimedOut => "timed out",
            Self::Transport => "the connection failed",
            Self::BadResponse => "the response could not be read",
            Self::Construction => "the request could not be built",
            Self::Other => "the request could not be sent",
        }
    }
}

fn tried_list(tried: &[String]) -> String {
    if tried.is_empty() {
        " (no KMS key is trusted yet, so KMS was not asked to decrypt it)".to_owned()
    } else {
        format!(
            " (KMS opened it with none of the trusted keys: {})",
            tried.join(", ")
        )
    }
}

impl Error {
    /// Shorthand for a local I/O failure.
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            action,
            path: path.into(),
            source,
        }
    }

    /// What the person can do about it, if anything: data that each front end words its own
    /// way.
    pub fn remedy(&self) -> Option<Remedy> {
        Some(match self {
            Self::InvalidInput(_)
            | Self::Unsupported(_)
            | Self::Cancelled
            | Self::ClientSide { .. }
            | Self::Random(_)
            | Self::Verification { .. }
            | Self::JobIncomplete { .. }
            | Self::FilesFailed { .. } => return None,
            Self::JobStopped { id } => Remedy::ResumeJob { id: id.clone() },
            Self::JobRunning { id, .. } => Remedy::WaitForJob { id: id.clone() },
            Self::Internal(_) => Remedy::ReportBug,
            Self::Conflict { .. } => Remedy::ReviewAgain,
            Self::PolicyUnreadable { bucket, .. } => Remedy::FixPolicyElsewhere {
                bucket: bucket.clone(),
            },
            Self::Io { source, .. } => match source.kind() {
                std::io::ErrorKind::PermissionDenied => Remedy::CheckFilePermissions,
                std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded => {
                    Remedy::FreeDiskSpace
                }
                _ => return None,
            },
            Self::CaBundle { .. } => Remedy::UseCaBundle,
            Self::SseCOverHttp { .. } | Self::KmsOverHttp { .. } => Remedy::UseHttps,
            Self::UnknownKey { name } => Remedy::CreateOrListKeys { name: name.clone() },
            Self::KeyExists { .. } => Remedy::ChooseAnotherKeyName,
            Self::DuplicateKey { existing, wanted } => Remedy::UseExistingKey {
                existing: existing.clone(),
                wanted: wanted.clone(),
            },
            Self::WrongKeyKind { wanted, .. } => Remedy::PickKeyOfKind { kind: *wanted },
            Self::InvalidKey { .. } => return None,
            Self::KeyMissingFromKeyring { name } => {
                Remedy::ReimportOrRemoveKey { name: name.clone() }
            }
            Self::ClientKeyNeeded { .. } => Remedy::ImportKey {
                kind: crate::keys::KeyKind::Client,
            },
            Self::NamedClientKeyWrong { opens, .. } => match opens {
                Some(name) => Remedy::NameKey { name: name.clone() },
                None => Remedy::ImportKey {
                    kind: crate::keys::KeyKind::Client,
                },
            },
            Self::KmsKeyNotTrusted { .. } => Remedy::TrustKmsKey,
            Self::CommitmentRequired { .. } => Remedy::AllowUncommitted,
            Self::Keyring(_) => Remedy::StartSecretService,
            Self::Catalog { .. } => Remedy::RestoreCatalog,
            Self::NoConfigDir => Remedy::SetConfigDir,
            Self::SseCKeyNeeded { reason, .. } => match reason {
                SseCKeyReason::NoneFits => Remedy::NameSseCKey,
                SseCKeyReason::NotHome => Remedy::TryKeysHere,
                SseCKeyReason::KeysUnavailable => Remedy::StartSecretService,
            },
            Self::SseCWrongKey { .. } => Remedy::UseUploadKey,
            Self::NotFound { .. } => Remedy::CheckNameAndRegion,
            Self::KmsKey { .. } => Remedy::PickKmsKey,
            Self::WouldOverwrite { .. } => Remedy::ChooseAnotherPath,
            Self::TransferBusy { .. } => Remedy::WaitForTransfer,
            Self::UploadInterrupted { source, .. } => Remedy::ResumeUpload {
                first: source.remedy().map(Box::new),
            },
            Self::DownloadInterrupted { source, .. } => Remedy::ResumeDownload {
                first: source.remedy().map(Box::new),
            },
            Self::SseCKeyChanged { .. } => Remedy::UseUploadKey,
            Self::ObjectChanged { .. } => Remedy::TryAgain,
            Self::TooLarge { .. } => return None,
            Self::Service { code, .. } => match code.as_str() {
                "AccessDenied" => Remedy::CheckPermissions,
                c if crate::s3::errors::THROTTLING_CODES.contains(&c) => Remedy::TryLater,
                "BucketAlreadyOwnedByYou" | "BucketAlreadyExists" => {
                    Remedy::ChooseAnotherBucketName
                }
                "RequestTimeTooSkewed" => Remedy::FixClock,
                _ => return None,
            },
            Self::Connection { kind, .. } => match kind {
                ConnectionFailure::Construction => Remedy::ChooseRegion,
                _ => Remedy::CheckConnection,
            },
            Self::Credentials { .. } => Remedy::SetUpCredentials,
            Self::NoRegion => Remedy::ChooseRegion,
            Self::NoWindow(_) => Remedy::UseCommandLine,
            Self::NotConnected => Remedy::Connect,
        })
    }

    /// Whether this stopped a transfer from outside (the network, the service, expired
    /// credentials, a clock off) rather than because of what was asked: an interrupted upload
    /// keeps what it sent so that it can continue once this is over.
    pub fn is_interruption(&self) -> bool {
        match self {
            Self::Connection { kind, .. } => *kind != ConnectionFailure::Construction,
            Self::Credentials { .. } => true,
            Self::Service { code, status, .. } => {
                self.is_throttling()
                    || status.is_some_and(|s| s >= 500)
                    || matches!(code.as_str(), "RequestTimeout" | "RequestTimeTooSkewed")
            }
            Self::UploadInterrupted { .. } | Self::DownloadInterrupted { .. } => true,
            _ => false,
        }
    }

    /// Whether S3 or KMS refused the request because too many were sent (throttling), so the
    /// same request may succeed after a pause.
    pub fn is_throttling(&self) -> bool {
        match self {
            Self::Service { code, status, .. } => {
                crate::s3::errors::THROTTLING_CODES.contains(&code.as_str()) || *status == Some(503)
            }
            _ => false,
        }
    }

    /// The technical detail behind the message: the chain of source errors (an SDK error's
    /// own words), for a "Details" view. `None` when there is nothing more to say.
    pub fn details(&self) -> Option<String> {
        let mut parts = Vec::new();
        let mut next = std::error::Error::source(self);
        while let Some(source) = next {
            let text = source.to_string();
            if !text.is_empty() && parts.last() != Some(&text) {
                parts.push(text);
            }
            next = source.source();
        }
        (!parts.is_empty()).then(|| parts.join(": "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_no_front_end() {
        // The core's words suit the CLI and the window alike: no flags, no commands.
        let errors = [
            Error::UnknownKey { name: "k".into() },
            Error::SseCKeyNeeded {
                bucket: "b".into(),
                key: "o".into(),
                reason: SseCKeyReason::NotHome,
            },
            Error::Connection {
                operation: "ListBuckets",
                kind: ConnectionFailure::Transport,
                source: None,
            },
            Error::Credentials {
                operation: "ListBuckets",
                code: None,
                source: None,
            },
            Error::KmsKeyNotTrusted {
                uri: "s3://b/o".into(),
                tried: vec!["alias/mine".into()],
            },
            Error::NoRegion,
            Error::NamedClientKeyWrong {
                uri: "s3://b/o".into(),
                name: "other".into(),
                opens: Some("cm".into()),
            },
            Error::JobRunning {
                id: "20260101-000000-abcd".into(),
                pid: Some(42),
            },
        ];
        for err in errors {
            let text = err.to_string();
            assert!(!text.contains("--"), "{text}");
            assert!(!text.contains("s3seal "), "{text}");
            assert!(err.remedy().is_some(), "{text}");
        }
    }

    #[test]
    fn details_walk_the_sources() {
        let err = Error::Connection {
            operation: "GetObject",
            kind: ConnectionFailure::Transport,
            source: Some(Box::new(std::io::Error::other("connection reset by peer"))),
        };
        assert_eq!(err.details().as_deref(), Some("connection reset by peer"));
        assert!(Error::NoRegion.details().is_none());
    }
}
