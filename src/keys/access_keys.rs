//! Access keys for S3-compatible stores, kept so a connection needs no credentials file: the
//! key id and where it is for are public and live in the catalog; the secret lives in the OS
//! keyring only, and is held here zeroizing, never printed. Without a keyring (or when asked),
//! a [`SessionAccessKey`] holds one for this session only, in memory.

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::{Error, Result};

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

/// An access key held for this session only: in process memory, its secret zeroized when the
/// value is dropped, never written to a file or a keyring. A front end keeps it as long as the
/// connection made with it; each connection gets its own zeroizing copy
/// ([`SessionAccessKey::access_key`]). No `Debug`, no `Clone`: it is never printed, and it is
/// not copied by accident.
pub struct SessionAccessKey {
    access_key_id: String,
    secret: Zeroizing<String>,
}

impl SessionAccessKey {
    /// The key `access_key_id` with `secret` (both needed; the id is trimmed).
    pub fn new(access_key_id: &str, secret: &str) -> Result<Self> {
        let access_key_id = access_key_id.trim();
        if access_key_id.is_empty() || secret.is_empty() {
            return Err(Error::InvalidInput(
                "an access key needs its id and its secret".to_owned(),
            ));
        }
        Ok(Self {
            access_key_id: access_key_id.to_owned(),
            secret: Zeroizing::new(secret.to_owned()),
        })
    }

    /// The access key id (public).
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    /// A copy for one connection, zeroized when that copy is dropped.
    pub fn access_key(&self) -> AccessKey {
        AccessKey {
            access_key_id: self.access_key_id.clone(),
            secret: Zeroizing::new(self.secret.as_str().to_owned()),
        }
    }
}

/// The keyring id under which an access key's secret is stored.
pub fn secret_id(name: &str) -> String {
    format!("access-key:{name}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_key_needs_both_parts_and_hands_out_copies() {
        assert!(SessionAccessKey::new(" ", "s").is_err());
        assert!(SessionAccessKey::new("id", "").is_err());
        let key = SessionAccessKey::new(" id ", "secret").unwrap();
        assert_eq!(key.access_key_id(), "id");
        let copy = key.access_key();
        assert_eq!(copy.access_key_id, "id");
        assert_eq!(copy.secret.as_str(), "secret");
    }
}
