//! V3 key derivation and key commitment (algorithm suite 0x0073,
//! ALG_AES_256_GCM_HKDF_SHA512_COMMIT_KEY: HKDF-SHA512, message id as salt, data key as input
//! keying material), and the content cipher of each format version from its parameters. A
//! primitive: it knows nothing of envelopes (see [`super::content`] for that).

use hkdf::Hkdf;
use sha2::Sha512;
use subtle::ConstantTimeEq as _;
use zeroize::Zeroize;

use super::error::{CryptoError, CryptoResult};
use super::gcm_stream::{GcmDecryptor, GcmEncryptor, IV_LEN};
use super::secret::{KEY_LEN, Key256};
use super::suite::{COMMITMENT_LEN, MESSAGE_ID_LEN, SUITE_ID, V3_CONTENT_IV};

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
///
/// Both lengths are far below HKDF-SHA512's limit of 255 × 64 bytes, so expanding cannot fail;
/// if it ever did, this is an error, never a zero key to encrypt under.
pub fn derive(data_key: &Key256, message_id: &[u8; MESSAGE_ID_LEN]) -> CryptoResult<DerivedKeys> {
    let hk = Hkdf::<Sha512>::new(Some(message_id), data_key.expose());
    let mut dek = [0u8; KEY_LEN];
    let mut commitment = [0u8; COMMITMENT_LEN];
    let expanded = hk
        .expand(&DERIVE_INFO, &mut dek)
        .and_then(|()| hk.expand(&COMMIT_INFO, &mut commitment));
    let keys = DerivedKeys {
        dek: Key256::from_bytes(dek),
        commitment,
    };
    dek.zeroize();
    expanded.map_err(|_| CryptoError::KeyDerivation)?;
    Ok(keys)
}

/// Derives only the key commitment.
pub fn derive_commitment(
    data_key: &Key256,
    message_id: &[u8; MESSAGE_ID_LEN],
) -> CryptoResult<[u8; COMMITMENT_LEN]> {
    Ok(derive(data_key, message_id)?.commitment)
}

/// Derives the keys and checks, in constant time, that the commitment equals `stored`.
/// Returns the content key only when it does.
pub fn verify_and_derive(
    data_key: &Key256,
    message_id: &[u8; MESSAGE_ID_LEN],
    stored: &[u8; COMMITMENT_LEN],
) -> CryptoResult<Key256> {
    let keys = derive(data_key, message_id)?;
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

/// V2 content encryption: AES-256-GCM(data key, IV), no AAD.
pub fn content_encryptor_v2(data_key: &Key256, iv: &[u8; IV_LEN]) -> GcmEncryptor {
    GcmEncryptor::new(data_key, iv, b"")
}

/// V2 content decryption.
pub fn content_decryptor_v2(data_key: &Key256, iv: &[u8; IV_LEN]) -> GcmDecryptor {
    GcmDecryptor::new(data_key, iv, b"")
}

/// V3 content encryption: AES-256-GCM(HKDF DEK, twelve 0x01 bytes, AAD 00 73). Returns the
/// encryptor and the key commitment to store in `x-amz-d`.
pub fn content_encryptor_v3(
    data_key: &Key256,
    message_id: &[u8; MESSAGE_ID_LEN],
) -> CryptoResult<(GcmEncryptor, [u8; COMMITMENT_LEN])> {
    let keys = derive(data_key, message_id)?;
    Ok((
        GcmEncryptor::new(&keys.dek, &V3_CONTENT_IV, &SUITE_ID),
        keys.commitment,
    ))
}

/// V3 content decryption, after checking `stored_commitment` in constant time.
pub fn content_decryptor_v3(
    data_key: &Key256,
    message_id: &[u8; MESSAGE_ID_LEN],
    stored_commitment: &[u8; COMMITMENT_LEN],
) -> CryptoResult<GcmDecryptor> {
    let dek = verify_and_derive(data_key, message_id, stored_commitment)?;
    Ok(GcmDecryptor::new(&dek, &V3_CONTENT_IV, &SUITE_ID))
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
        let keys = derive(&Key256::from_bytes(data_key), &msg_id).unwrap();
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
        let c = derive_commitment(&k, &id).unwrap();
        assert!(verify_and_derive(&k, &id, &c).is_ok());
        let mut bad = c;
        bad[27] ^= 1;
        assert!(matches!(
            verify_and_derive(&k, &id, &bad),
            Err(CryptoError::CommitmentMismatch)
        ));
        let other = Key256::from_bytes([6u8; 32]);
        assert!(verify_and_derive(&other, &id, &c).is_err());
        assert_ne!(derive_commitment(&k, &[8u8; 28]).unwrap(), c);
    }
}
