//! The content cipher an envelope prescribes: from an [`Envelope`] and its data key to the
//! streaming AES-256-GCM encryptor or decryptor, or the decryptor of independent ranges (V3
//! checks the key commitment first), and whole small bodies sealed or opened at once.

use super::commitment::{
    content_decryptor_v2, content_decryptor_v3, content_encryptor_v2, verify_and_derive,
};
use super::envelope::Envelope;
use super::error::{CryptoError, CryptoResult};
use super::gcm_ranges::GcmRanges;
use super::gcm_stream::{GcmDecryptor, GcmEncryptor, TAG_LEN};
use super::secret::Key256;
use super::suite::{SUITE_ID, V3_CONTENT_IV};

/// The content cipher of each format, from the data key.
impl Envelope {
    /// The content encryptor for this envelope and its data key. For V3 the data key is first
    /// checked against the stored commitment, so a mismatched pair cannot be written.
    pub fn encryptor(&self, data_key: &Key256) -> CryptoResult<GcmEncryptor> {
        match self {
            Self::V2(e) => Ok(content_encryptor_v2(data_key, &e.iv)),
            Self::V3(e) => {
                let dek = verify_and_derive(data_key, &e.message_id, &e.commitment)?;
                Ok(GcmEncryptor::new(&dek, &V3_CONTENT_IV, &SUITE_ID))
            }
        }
    }

    /// The content decryptor for this envelope and its data key. For V3 the key commitment is
    /// verified (constant time) before anything can be decrypted.
    pub fn decryptor(&self, data_key: &Key256) -> CryptoResult<GcmDecryptor> {
        match self {
            Self::V2(e) => Ok(content_decryptor_v2(data_key, &e.iv)),
            Self::V3(e) => content_decryptor_v3(data_key, &e.message_id, &e.commitment),
        }
    }
}

impl Envelope {
    /// The content decryption for this envelope and its data key as independent ranges (a
    /// ranged download's parts, in any order). For V3 the key commitment is verified first.
    pub fn range_decryptor(&self, data_key: &Key256) -> CryptoResult<GcmRanges> {
        match self {
            Self::V2(e) => Ok(GcmRanges::new(data_key, &e.iv, b"")),
            Self::V3(e) => {
                let dek = verify_and_derive(data_key, &e.message_id, &e.commitment)?;
                Ok(GcmRanges::new(&dek, &V3_CONTENT_IV, &SUITE_ID))
            }
        }
    }
}

/// Encrypts a whole (small) body: ciphertext followed by the 16-byte tag.
pub fn encrypt_body(env: &Envelope, data_key: &Key256, plaintext: &[u8]) -> CryptoResult<Vec<u8>> {
    let mut enc = env.encryptor(data_key)?;
    let mut out = Vec::with_capacity(plaintext.len() + TAG_LEN);
    out.extend_from_slice(plaintext);
    enc.encrypt_in_place(&mut out)?;
    out.extend_from_slice(&enc.finalize());
    Ok(out)
}

/// Decrypts and authenticates a whole (small) body; nothing is returned unless the tag (and,
/// for V3, the key commitment) verifies.
pub fn decrypt_body(env: &Envelope, data_key: &Key256, body: &[u8]) -> CryptoResult<Vec<u8>> {
    let split = body
        .len()
        .checked_sub(TAG_LEN)
        .ok_or(CryptoError::Truncated { len: body.len() })?;
    let mut dec = env.decryptor(data_key)?;
    let mut tag = [0u8; TAG_LEN];
    tag.copy_from_slice(&body[split..]);
    let mut out = body[..split].to_vec();
    dec.decrypt_in_place(&mut out)?;
    if let Err(e) = dec.verify(&tag) {
        zeroize::Zeroize::zeroize(&mut out);
        return Err(e);
    }
    Ok(out)
}
