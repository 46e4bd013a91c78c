//! The library's error type: one enum whose every message says what went wrong and what to do.
//!
//! Messages never contain key material: variants carry names, paths, MD5s and S3 error codes,
//! never key bytes or their encodings.

use std::path::PathBuf;

/// Result alias used across the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in s3seal's core, worded for the person using it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad command-line or dialog input.
    #[error("{0}")]
    Usage(String),

    /// A local file could not be read or written.
    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The CA bundle could not be loaded.
    #[error(
        "cannot use CA bundle {path}: {reason}. Point --ca-bundle (or AWS_CA_BUNDLE) at a PEM file of CA certificates"
    )]
    CaBundle { path: PathBuf, reason: String },

    /// SSE-C must never travel over plain HTTP: the key would be sent in clear.
    #[error(
        "refusing SSE-C over plain HTTP ({endpoint}): the key would cross the network unencrypted. Use an https:// endpoint"
    )]
    SseCOverHttp { endpoint: String },

    /// A key name that is not in the catalog.
    #[error(
        "no key named '{name}' in the key store. Run `s3seal keys list` to see the names, or `s3seal keys new {name}` to create it"
    )]
    UnknownKey { name: String },

    /// A key name that already exists.
    #[error("a key named '{name}' already exists. Pick another name or delete the old key first")]
    KeyExists { name: String },

    /// Key text or file that is not a 256-bit key.
    #[error(
        "invalid key: {reason}. A key is 32 bytes: a raw 32-byte file, 44 characters of base64 or 64 hex digits"
    )]
    InvalidKey { reason: String },

    /// The catalog names a key that the OS keyring no longer holds.
    #[error(
        "key '{name}' is listed in the catalog but missing from the OS keyring. Import it again from a backup, or delete it with `s3seal keys rm {name}`"
    )]
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
        "{uri} is client-side encrypted with a raw AES master key that none of your local keys opens. Import that key (`s3seal keys import NAME --kind client …`) and try again"
    )]
    ClientKeyNeeded { uri: String },

    /// The operating system's random number generator failed (needed for new keys and ids).
    #[error("the operating system's random number generator failed: {0}")]
    Random(String),

    /// The OS keyring could not be reached or refused the operation.
    #[error(
        "OS keyring: {0}. On Linux, make sure a Secret Service (e.g. gnome-keyring) is running and unlocked"
    )]
    Keyring(String),

    /// The key catalog file is unreadable.
    #[error(
        "key catalog {path} is damaged: {reason}. Restore it from a backup; the keys themselves are still in the OS keyring"
    )]
    Catalog { path: PathBuf, reason: String },

    /// The object needs an SSE-C key and none of the local ones fits.
    #[error(
        "s3://{bucket}/{key} is encrypted with SSE-C and no local key fits. Pass --key NAME with the key it was uploaded with, or import that key"
    )]
    SseCKeyNeeded { bucket: String, key: String },

    /// S3 refused the SSE-C key given.
    #[error(
        "s3://{bucket}/{key}: the SSE-C key '{name}' does not fit this object (S3 answered 403). Use the key it was uploaded with"
    )]
    SseCWrongKey {
        bucket: String,
        key: String,
        name: String,
    },

    /// Not found (bucket or object).
    #[error("{what} not found. Check the name and the region (--region)")]
    NotFound { what: String },

    /// A KMS key that does not exist or cannot be used.
    #[error(
        "KMS key {key} cannot be used: {message}. Run `s3seal kms` to list the keys you can use, or check --region"
    )]
    KmsKey { key: String, message: String },

    /// The local file already exists and we will not overwrite it implicitly.
    #[error("{path} already exists. Choose another path, or remove the file first")]
    WouldOverwrite { path: PathBuf },

    /// The transfer was cancelled by the user.
    #[error("cancelled; nothing was left half-written")]
    Cancelled,

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
        "s3://{bucket}/{key} changed on the server while it was being downloaded (its ETag no longer matches); nothing was kept. Download it again"
    )]
    ObjectChanged { bucket: String, key: String },

    /// Any other answer from S3 or KMS, with its code and the operation that failed.
    #[error("{operation} failed: {code}: {message}{hint}")]
    Service {
        operation: &'static str,
        code: String,
        message: String,
        hint: String,
    },

    /// The connection itself failed (DNS, TLS, refused, timeout).
    #[error(
        "{operation}: cannot reach the endpoint: {message}. Check --endpoint-url, the network, and --ca-bundle for a private CA"
    )]
    Connection {
        operation: &'static str,
        message: String,
    },

    /// Credentials are missing or invalid.
    #[error(
        "{operation}: no usable AWS credentials ({message}). Run `aws configure`, `aws sso login`, or pass --profile"
    )]
    Credentials {
        operation: &'static str,
        message: String,
    },
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
}
