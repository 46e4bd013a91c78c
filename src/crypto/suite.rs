//! The S3 Encryption Client's named constants: format versions, key-wrap algorithms, the V3
//! algorithm suite and the lengths every layer agrees on. Imported by the primitives
//! ([`super::commitment`]), the format ([`super::envelope`]) and the protocol
//! ([`super::keywrap`]) alike, so none of them imports another for a constant.

use super::gcm_stream::TAG_LEN;
use super::secret::KEY_LEN;

/// Envelope format version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FormatVersion {
    /// `x-amz-key-v2`, AES-256-GCM under the data key (read by every current client).
    V2,
    /// `x-amz-3`, key-committing suite 0x0073 (the newest clients' default).
    V3,
}

impl FormatVersion {
    /// `V2` / `V3`, as people write it.
    pub fn label(self) -> &'static str {
        match self {
            Self::V2 => "V2",
            Self::V3 => "V3",
        }
    }

    /// Whether the format binds the data key to the content (key commitment): V3 does, V2 does
    /// not, so a V2 envelope could be paired with a second data key that decrypts to other text.
    pub fn is_committing(self) -> bool {
        matches!(self, Self::V3)
    }
}

/// How the data key is wrapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum WrapAlgorithm {
    /// `AES/GCM` (V3 `02`): AES-256-GCM under a raw master key.
    #[serde(rename = "AES/GCM")]
    AesGcm,
    /// `kms+context` (V3 `12`): AWS KMS with an encryption context.
    #[serde(rename = "kms+context")]
    KmsContext,
}

impl WrapAlgorithm {
    /// The V2 name (`x-amz-wrap-alg`), also how s3seal reports the wrap.
    pub fn v2_name(self) -> &'static str {
        match self {
            Self::AesGcm => "AES/GCM",
            Self::KmsContext => "kms+context",
        }
    }

    /// The V3 code (`x-amz-w`).
    pub fn v3_code(self) -> &'static str {
        match self {
            Self::AesGcm => "02",
            Self::KmsContext => "12",
        }
    }
}

/// The algorithm suite id 0x0073 as bytes; also the AAD of V3 content encryption.
pub const SUITE_ID: [u8; 2] = [0x00, 0x73];
/// The algorithm suite id as V3 metadata writes it (`x-amz-c`).
pub const SUITE_ID_STR: &str = "115";
/// Length of the V3 message id (`x-amz-i`), the HKDF salt.
pub const MESSAGE_ID_LEN: usize = 28;
/// Length of the V3 key commitment (`x-amz-d`).
pub const COMMITMENT_LEN: usize = 28;
/// The fixed content nonce of V3: twelve 0x01 bytes (each message has its own derived key).
pub const V3_CONTENT_IV: [u8; 12] = [0x01; 12];

/// Content algorithm name of V2 (`x-amz-cek-alg`).
pub const V2_CEK_ALG: &str = "AES/GCM/NoPadding";
/// Name of the content algorithm inside a KMS encryption context.
pub const CONTEXT_CEK_ALG_KEY: &str = "aws:x-amz-cek-alg";

/// Length of the nonce that starts an `AES/GCM`-wrapped data key.
pub const WRAP_NONCE_LEN: usize = 12;
/// Length of an `AES/GCM`-wrapped 32-byte data key: nonce (12) ‖ ciphertext (32) ‖ tag (16).
pub const WRAPPED_KEY_LEN: usize = WRAP_NONCE_LEN + KEY_LEN + TAG_LEN;
/// AAD of the V2 wrap (the content cipher name).
pub const V2_WRAP_AAD: &[u8] = b"AES/GCM/NoPadding";
/// AAD of the V3 wrap (the algorithm suite id in decimal), as the Java v4 and .NET v4 clients use.
pub const V3_WRAP_AAD: &[u8] = b"115";
