//! Key derivation and key commitment of the V3 format (algorithm suite 0x0073,
//! ALG_AES_256_GCM_HKDF_SHA512_COMMIT_KEY): HKDF-SHA512 with the message id as salt and the
//! data key as input keying material.

use hkdf::Hkdf;
use sha2::Sha512;
use subtle::ConstantTimeEq as _;
use zeroize::Zeroize;

use super::error::{CryptoError, CryptoResult};
use super::secret::{KEY_LEN, Key256};

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

const DERIVE_INFO: [u8; 11] = *b"\x00\x73DERIVEKEY";
const COMMIT_INFO: [u8; 11] = *b"\x00\x73COMMITKEY";

/// The two values V3 derives from one data key and message id.
pub struct DerivedKeys {
    /// The derived encryption key (DEK) that actually encrypts the content.
    pub dek: Key256,
    /// The key commitment stored in `x-amz-d` (public).
    pub commitment: [u8; COMMITMENT_LEN],
}

/// Derives the content key and the commitment for `data_key` and `message_id`.
pub fn derive(data_key: &Key256, message_id: &[u8; MESSAGE_ID_LEN]) -> DerivedKeys {
    let hk = Hkdf::<Sha512>::new(Some(message_id), data_key.expose());
    let mut dek = [0u8; KEY_LEN];
    let mut commitment = [0u8; COMMITMENT_LEN];
    // Both lengths are far below HKDF-SHA512's 255 * 64-byte limit, so expand cannot fail;
    // should it ever, the outputs stay zero and the commitment check below fails closed.
    let _ = hk.expand(&DERIVE_INFO, &mut dek);
    let _ = hk.expand(&COMMIT_INFO, &mut commitment);
    let keys = DerivedKeys {
        dek: Key256::from_bytes(dek),
        commitment,
    };
    dek.zeroize();
    keys
}

/// Derives only the key commitment.
pub fn derive_commitment(
    data_key: &Key256,
    message_id: &[u8; MESSAGE_ID_LEN],
) -> [u8; COMMITMENT_LEN] {
    derive(data_key, message_id).commitment
}

/// Derives the keys and checks, in constant time, that the commitment equals `stored`.
/// Returns the content key only when it does.
pub fn verify_and_derive(
    data_key: &Key256,
    message_id: &[u8; MESSAGE_ID_LEN],
    stored: &[u8; COMMITMENT_LEN],
) -> CryptoResult<Key256> {
    let keys = derive(data_key, message_id);
    if commitments_equal(&keys.commitment, stored) {
        Ok(keys.dek)
    } else {
        Err(CryptoError::CommitmentMismatch)
    }
}

/// Constant-time comparison of two commitments.
pub fn commitments_equal(a: &[u8; COMMITMENT_LEN], b: &[u8; COMMITMENT_LEN]) -> bool {
    a.ct_eq(b).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derivation_matches_rfc5869_construction() {
        // Independent HKDF: HMAC-SHA512 written out from SHA-512, extract then one expand block.
        use sha2::Digest as _;
        fn hmac(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
            let mut k = [0u8; 128];
            k[..key.len()].copy_from_slice(key);
            let mut inner = Sha512::new();
            inner.update(k.map(|b| b ^ 0x36));
            for p in parts {
                inner.update(p);
            }
            let mut outer = Sha512::new();
            outer.update(k.map(|b| b ^ 0x5c));
            outer.update(inner.finalize());
            outer.finalize().to_vec()
        }
        let data_key = [0x11u8; 32];
        let msg_id = [0x22u8; 28];
        let prk = hmac(&msg_id, &[&data_key]);
        let keys = derive(&Key256::from_bytes(data_key), &msg_id);
        assert_eq!(
            keys.dek.expose()[..],
            hmac(&prk, &[&DERIVE_INFO, &[1]])[..32]
        );
        assert_eq!(keys.commitment[..], hmac(&prk, &[&COMMIT_INFO, &[1]])[..28]);
    }

    #[test]
    fn commitment_check() {
        let k = Key256::from_bytes([5u8; 32]);
        let id = [9u8; 28];
        let c = derive_commitment(&k, &id);
        assert!(verify_and_derive(&k, &id, &c).is_ok());
        let mut bad = c;
        bad[27] ^= 1;
        assert!(matches!(
            verify_and_derive(&k, &id, &bad),
            Err(CryptoError::CommitmentMismatch)
        ));
        let other = Key256::from_bytes([6u8; 32]);
        assert!(verify_and_derive(&other, &id, &c).is_err());
        assert_ne!(derive_commitment(&k, &[8u8; 28]), c);
    }
}
