//! Cryptography: secret key types, and (for client-side encryption) the S3 Encryption Client
//! envelope formats and the streaming AES-256-GCM they use. No I/O lives here.

pub mod commitment;
pub mod content;
pub mod envelope;
pub mod error;
pub mod gcm_ranges;
pub mod gcm_stream;
pub mod ghash;
pub mod keywrap;
pub mod secret;
pub mod suite;

pub use content::{decrypt_body, encrypt_body};
pub use envelope::{Envelope, FormatVersion, V2Envelope, V3Envelope, WrapAlgorithm};
pub use error::{CryptoError, CryptoResult};
pub use gcm_stream::{GcmDecryptor, GcmEncryptor};
pub use secret::{KEY_LEN, Key256};
