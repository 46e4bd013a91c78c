//! Access keys for S3-compatible stores, kept so a connection needs no credentials file: the
//! key id and where it is for are public and live in the catalog; the secret lives in the OS
//! keyring only, and is held here zeroizing, never printed.

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

/// An access key as the catalog lists it (no secret).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessKeyRecord {
    /// The name the person gave it (usually the connection's).
    pub name: String,
    /// The access key id (public: it names the key, it does not open anything).
    pub access_key_id: String,
    /// The endpoint it is for, as typed.
    pub endpoint: String,
}

/// An access key with its secret, as a connection needs it.
pub struct AccessKey {
    pub access_key_id: String,
    pub secret: Zeroizing<String>,
}

/// The keyring id under which an access key's secret is stored.
pub fn secret_id(name: &str) -> String {
    format!("access-key:{name}")
}
