//! The error type of client-side encryption: envelope parsing, key unwrapping and content
//! authentication. Messages name metadata fields and lengths, never key bytes.

/// Result alias for the client-side encryption primitives.
pub type CryptoResult<T> = std::result::Result<T, CryptoError>;

/// Everything that can go wrong while reading, building or using an S3 Encryption Client envelope.
///
/// Values quoted from object metadata are public (S3 returns them to anyone who may HEAD the
/// object) and are shortened before they are shown.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    /// The object uses the original (V1) format of the S3 Encryption Client.
    #[error(
        "the object uses the V1 S3 Encryption Client format (x-amz-key), which s3seal does not read. Decrypt it with an AWS S3 Encryption Client configured for legacy objects and upload it again"
    )]
    UnsupportedV1,

    /// Metadata of two format versions on one object.
    #[error(
        "the encryption envelope mixes V2 keys ({v2}) and V3 keys ({v3}); refusing ambiguous metadata"
    )]
    MixedVersions { v2: String, v3: String },

    /// A field required by the format version is absent.
    #[error("incomplete {version} encryption envelope: {field} is missing")]
    MissingField {
        version: &'static str,
        field: &'static str,
    },

    /// A metadata name appears twice once case and the `x-amz-meta-` prefix are ignored.
    #[error("encryption metadata {field} appears more than once with different values")]
    DuplicateField { field: String },

    /// An algorithm name this crate does not implement.
    #[error("unsupported {what} '{value}' in {field}; s3seal supports {supported}")]
    UnsupportedAlgorithm {
        what: &'static str,
        field: &'static str,
        value: String,
        supported: &'static str,
    },

    /// A GCM tag length other than 128 bits.
    #[error("unsupported tag length '{value}' in x-amz-tag-len; only 128-bit GCM tags are valid")]
    BadTagLength { value: String },

    /// A value that is not standard padded base64.
    #[error("{field} is not valid base64")]
    BadBase64 { field: &'static str },

    /// A decoded value of the wrong size.
    #[error("{field} has {actual} bytes, expected {expected}")]
    BadLength {
        field: &'static str,
        expected: usize,
        actual: usize,
    },

    /// A material description / encryption context that is not a JSON object of strings.
    #[error("{field} is not a JSON object of strings: {reason}")]
    BadJson { field: &'static str, reason: String },

    /// A malformed decimal length.
    #[error("{field} is not a decimal length: '{value}'")]
    BadNumber { field: &'static str, value: String },

    /// An instruction file that is not a JSON object of strings.
    #[error("the instruction file is not a JSON object of strings: {reason}")]
    BadInstructionFile { reason: String },

    /// The master key did not open the encrypted data key.
    #[error("cannot unwrap the data key: wrong master key or damaged envelope")]
    UnwrapFailed,

    /// The envelope is wrapped with a different mechanism than the caller asked for.
    #[error("the data key is wrapped with {found}, not {expected}")]
    WrongWrapAlgorithm {
        expected: &'static str,
        found: &'static str,
    },

    /// V3 key commitment did not match the data key.
    #[error(
        "key commitment check failed (x-amz-d): wrong key, or the envelope was tampered with. Nothing was decrypted"
    )]
    CommitmentMismatch,

    /// The KMS encryption context does not carry the content algorithm it must.
    #[error("the KMS encryption context has aws:x-amz-cek-alg = '{found}', expected '{expected}'")]
    ContextAlgorithmMismatch {
        expected: &'static str,
        found: String,
    },

    /// The stored KMS encryption context lacks a pair the reader expects, or has another value.
    #[error(
        "the object's KMS encryption context does not match: '{name}' is {} where '{expected}' was expected",
        found.as_deref().map_or_else(|| "missing".to_owned(), |f| format!("'{f}'"))
    )]
    ContextMismatch {
        name: String,
        expected: String,
        found: Option<String>,
    },

    /// The caller's encryption context uses a name reserved for the S3 Encryption Client.
    #[error("the encryption context name '{name}' is reserved for the S3 Encryption Client")]
    ReservedContextKey { name: String },

    /// A data key of the wrong size (e.g. from KMS).
    #[error("the data key has {actual} bytes, expected 32")]
    DataKeyLength { actual: usize },

    /// The GCM tag did not verify.
    #[error(
        "content authentication failed: the ciphertext or its tag is damaged, or the key is wrong"
    )]
    AuthenticationFailed,

    /// The body is shorter than a GCM tag.
    #[error("the encrypted body is truncated: {len} bytes, shorter than the 16-byte tag")]
    Truncated { len: usize },

    /// More plaintext than one GCM stream may carry.
    #[error("more than 2^36 - 32 bytes (about 64 GiB) in one AES-GCM stream")]
    TooLong,

    /// A range of a GCM stream that does not start or end on a 16-byte boundary (a ranged
    /// download cut the stream wrongly).
    #[error("a range of the encrypted body ends at byte {offset}, not on a 16-byte boundary")]
    RangeAlignment { offset: u64 },

    /// The operating system's random number generator failed.
    #[error("the system random number generator failed: {0}")]
    Random(String),

    /// HKDF refused to expand (cannot happen for the lengths V3 uses; reported, never ignored).
    #[error("the V3 key derivation (HKDF-SHA512) failed")]
    KeyDerivation,
}

/// Quotes a metadata value in an error message: printable ASCII only, at most 64 characters.
pub(crate) fn quote(value: &str) -> String {
    let mut out: String = value
        .chars()
        .take(64)
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .collect();
    if value.chars().count() > 64 {
        out.push('…');
    }
    out
}

impl From<getrandom::Error> for CryptoError {
    fn from(e: getrandom::Error) -> Self {
        Self::Random(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_shortens_and_sanitises() {
        assert_eq!(quote("AES/GCM"), "AES/GCM");
        assert_eq!(quote("a\nb"), "a?b");
        let long = "x".repeat(100);
        assert_eq!(quote(&long).chars().count(), 65);
    }

    #[test]
    fn unwrap_message_has_no_key_material() {
        let msg = CryptoError::UnwrapFailed.to_string();
        assert!(msg.contains("wrong master key or damaged envelope"));
    }
}
