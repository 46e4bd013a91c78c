//! Secret key material: a 256-bit key that zeroizes on drop and never prints.

use base64::Engine as _;
use md5::{Digest as _, Md5};
use sha2::Sha256;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// Length in bytes of every key s3seal handles (SSE-C keys and client-side master keys).
pub const KEY_LEN: usize = 32;

/// A 256-bit secret key.
///
/// Deliberately neither `Debug`, `Display`, `Clone` nor `Serialize`: the only ways to reach
/// the bytes are [`Key256::expose`] and the derived public values (MD5 for SSE-C, SHA-256
/// fingerprint), so a stray `{:?}` or log line cannot leak it.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct Key256([u8; KEY_LEN]);

impl Key256 {
    /// Wraps raw bytes; the caller's copy should be zeroized by the caller.
    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        Self(bytes)
    }

    /// Builds a key from a slice, or `None` when it is not exactly 32 bytes long.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        let arr: [u8; KEY_LEN] = bytes.try_into().ok()?;
        Some(Self(arr))
    }

    /// A fresh key from the operating system's random number generator.
    pub fn generate() -> Result<Self, getrandom::Error> {
        let mut bytes = [0u8; KEY_LEN];
        getrandom::fill(&mut bytes)?;
        let key = Self(bytes);
        bytes.zeroize();
        Ok(key)
    }

    /// The raw key bytes. Keep the borrow short and never log it.
    pub fn expose(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    /// Duplicates the key explicitly (no `Clone`, so copies are visible in the code).
    pub fn duplicate(&self) -> Self {
        Self(self.0)
    }

    /// The key as S3 wants it in `x-amz-server-side-encryption-customer-key`: base64.
    /// The returned string is zeroized on drop.
    pub fn to_base64(&self) -> zeroize::Zeroizing<String> {
        zeroize::Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(self.0))
    }

    /// Base64 of the key's MD5, as S3 reports it in `x-amz-server-side-encryption-customer-key-MD5`.
    /// Public: S3 returns it on every HEAD of an SSE-C object.
    pub fn s3_md5_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(Md5::digest(self.0))
    }

    /// Hex SHA-256 of the key: a fingerprint to compare keys across machines.
    pub fn sha256_fingerprint(&self) -> String {
        hex::encode(Sha256::digest(self.0))
    }
}

impl PartialEq for Key256 {
    fn eq(&self, other: &Self) -> bool {
        use subtle::ConstantTimeEq as _;
        self.0.ct_eq(&other.0).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md5_matches_s3_example() {
        // 32 bytes of 0x00: MD5 = 70bc8f4b72a86921468bf8e8441dce51.
        let key = Key256::from_bytes([0u8; KEY_LEN]);
        assert_eq!(
            key.s3_md5_base64(),
            base64::engine::general_purpose::STANDARD
                .encode(hex::decode("70bc8f4b72a86921468bf8e8441dce51").unwrap())
        );
    }

    #[test]
    fn from_slice_rejects_wrong_length() {
        assert!(Key256::from_slice(&[1u8; 31]).is_none());
        assert!(Key256::from_slice(&[1u8; 33]).is_none());
        assert!(Key256::from_slice(&[1u8; 32]).is_some());
    }

    #[test]
    fn generated_keys_differ() {
        let a = Key256::generate().unwrap();
        let b = Key256::generate().unwrap();
        assert!(a != b);
    }
}
