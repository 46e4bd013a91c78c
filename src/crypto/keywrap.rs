//! Data-key wrapping: the wrap algorithms and format versions, the raw-AES `AES/GCM` wrap under
//! a master key (EDK = nonce ‖ ciphertext ‖ tag, 60 bytes), building and opening raw-AES
//! envelopes, and the network-free half of `kms+context` (encryption context, checks,
//! commitment). The KMS calls themselves live elsewhere.

use aes::cipher::Array;
use aes_gcm::Aes256Gcm;
use aes_gcm::aead::{AeadInOut, KeyInit};
use zeroize::Zeroize;

use super::commitment;
use super::envelope::{Envelope, StringMap, V2Envelope, V3Envelope, check_context_alg};
use super::error::{CryptoError, CryptoResult};
use super::gcm_stream::IV_LEN;
use super::secret::{KEY_LEN, Key256};
pub use super::suite::{
    CONTEXT_CEK_ALG_KEY, FormatVersion, MESSAGE_ID_LEN, SUITE_ID_STR, V2_CEK_ALG, V2_WRAP_AAD,
    V3_WRAP_AAD, WRAP_NONCE_LEN, WRAPPED_KEY_LEN, WrapAlgorithm,
};

/// Name the KMS keyrings of official clients also treat as reserved (legacy `kms` mode).
const KMS_V1_CONTEXT_KEY: &str = "kms_cmk_id";

/// The AAD of the raw-AES wrap for a format version.
pub fn wrap_aad(version: FormatVersion) -> &'static [u8] {
    match version {
        FormatVersion::V2 => V2_WRAP_AAD,
        FormatVersion::V3 => V3_WRAP_AAD,
    }
}

fn wrap_cipher(master: &Key256) -> Aes256Gcm {
    Aes256Gcm::new(<&Array<u8, _>>::from(master.expose()))
}

/// Wraps `data_key` under `master` with the given nonce (deterministic; for tests and vectors).
pub fn wrap_data_key_with_nonce(
    master: &Key256,
    data_key: &Key256,
    nonce: &[u8; WRAP_NONCE_LEN],
    version: FormatVersion,
) -> CryptoResult<[u8; WRAPPED_KEY_LEN]> {
    let mut out = [0u8; WRAPPED_KEY_LEN];
    out[..WRAP_NONCE_LEN].copy_from_slice(nonce);
    let body = &mut out[WRAP_NONCE_LEN..WRAP_NONCE_LEN + KEY_LEN];
    body.copy_from_slice(data_key.expose());
    let result = wrap_cipher(master).encrypt_inout_detached(
        &Array::from(*nonce),
        wrap_aad(version),
        body.into(),
    );
    match result {
        Ok(tag) => {
            out[WRAP_NONCE_LEN + KEY_LEN..].copy_from_slice(&tag);
            Ok(out)
        }
        Err(_) => {
            out.zeroize();
            Err(CryptoError::UnwrapFailed)
        }
    }
}

/// Wraps `data_key` under `master` with a fresh random nonce.
pub fn wrap_data_key(
    master: &Key256,
    data_key: &Key256,
    version: FormatVersion,
) -> CryptoResult<[u8; WRAPPED_KEY_LEN]> {
    let mut nonce = [0u8; WRAP_NONCE_LEN];
    getrandom::fill(&mut nonce)?;
    wrap_data_key_with_nonce(master, data_key, &nonce, version)
}

/// Unwraps an `AES/GCM` EDK. Any failure (length, tag, AAD) gives the same error, which names
/// no key material.
pub fn unwrap_data_key(
    master: &Key256,
    edk: &[u8],
    version: FormatVersion,
) -> CryptoResult<Key256> {
    if edk.len() != WRAPPED_KEY_LEN {
        return Err(CryptoError::UnwrapFailed);
    }
    let (nonce, rest) = edk.split_at(WRAP_NONCE_LEN);
    let (ciphertext, tag) = rest.split_at(KEY_LEN);
    let mut key = [0u8; KEY_LEN];
    key.copy_from_slice(ciphertext);
    let nonce = <&Array<u8, _>>::try_from(nonce).map_err(|_| CryptoError::UnwrapFailed)?;
    let tag = <&Array<u8, _>>::try_from(tag).map_err(|_| CryptoError::UnwrapFailed)?;
    let result = wrap_cipher(master).decrypt_inout_detached(
        nonce,
        wrap_aad(version),
        key.as_mut_slice().into(),
        tag,
    );
    let out = result.map(|()| Key256::from_bytes(key));
    key.zeroize();
    out.map_err(|_| CryptoError::UnwrapFailed)
}

fn random<const N: usize>() -> CryptoResult<[u8; N]> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b)?;
    Ok(b)
}

/// A new raw-AES envelope: a fresh data key wrapped under `master`, a fresh IV (V2) or message
/// id and commitment (V3). `matdesc` is stored unauthenticated as the material description;
/// put the key's s3seal id under [`super::envelope::MATDESC_KEY_ID`] so downloads find the key.
/// Returns the envelope and the data key for [`Envelope::encryptor`].
pub fn new_raw_aes_envelope(
    master: &Key256,
    version: FormatVersion,
    matdesc: StringMap,
) -> CryptoResult<(Envelope, Key256)> {
    let data_key = Key256::generate()?;
    let encrypted_key = wrap_data_key(master, &data_key, version)?.to_vec();
    let env = match version {
        FormatVersion::V2 => Envelope::V2(V2Envelope {
            encrypted_key,
            iv: random::<IV_LEN>()?,
            wrap: WrapAlgorithm::AesGcm,
            matdesc,
            unencrypted_length: None,
        }),
        FormatVersion::V3 => {
            let message_id = random::<MESSAGE_ID_LEN>()?;
            Envelope::V3(V3Envelope {
                encrypted_key,
                message_id,
                commitment: commitment::derive_commitment(&data_key, &message_id)?,
                wrap: WrapAlgorithm::AesGcm,
                material_description: matdesc,
                encryption_context: StringMap::new(),
                unencrypted_length: None,
            })
        }
    };
    Ok((env, data_key))
}

/// Opens a raw-AES envelope with `master`. For V3 the key commitment is verified before the
/// data key is returned.
pub fn open_raw_aes(env: &Envelope, master: &Key256) -> CryptoResult<Key256> {
    if env.wrap_algorithm() != WrapAlgorithm::AesGcm {
        return Err(CryptoError::WrongWrapAlgorithm {
            expected: "a raw AES master key (AES/GCM)",
            found: "AWS KMS (kms+context)",
        });
    }
    let data_key = unwrap_data_key(master, env.encrypted_key(), env.version())?;
    check_commitment(env, &data_key)?;
    Ok(data_key)
}

fn check_commitment(env: &Envelope, data_key: &Key256) -> CryptoResult<()> {
    if let Envelope::V3(e) = env {
        let derived = commitment::derive_commitment(data_key, &e.message_id)?;
        if !commitment::commitments_equal(&derived, &e.commitment) {
            return Err(CryptoError::CommitmentMismatch);
        }
    }
    Ok(())
}

/// The value of `aws:x-amz-cek-alg` a KMS context must carry for a format version.
pub fn kms_context_cek_alg(version: FormatVersion) -> &'static str {
    match version {
        FormatVersion::V2 => V2_CEK_ALG,
        FormatVersion::V3 => SUITE_ID_STR,
    }
}

/// The encryption context to send with KMS GenerateDataKey: the caller's context plus
/// `aws:x-amz-cek-alg`. The caller may not set the reserved names.
pub fn kms_encryption_context(version: FormatVersion, user: &StringMap) -> CryptoResult<StringMap> {
    for reserved in [CONTEXT_CEK_ALG_KEY, KMS_V1_CONTEXT_KEY] {
        if user.contains_key(reserved) {
            return Err(CryptoError::ReservedContextKey {
                name: reserved.to_string(),
            });
        }
    }
    let mut ctx = user.clone();
    ctx.insert(
        CONTEXT_CEK_ALG_KEY.to_string(),
        kms_context_cek_alg(version).to_string(),
    );
    Ok(ctx)
}

/// A `kms+context` envelope from the result of KMS GenerateDataKey: the plaintext data key,
/// its CiphertextBlob, and the context sent (from [`kms_encryption_context`]).
pub fn new_kms_envelope(
    version: FormatVersion,
    data_key: &Key256,
    ciphertext_blob: Vec<u8>,
    context: StringMap,
) -> CryptoResult<Envelope> {
    check_context_alg(&context, kms_context_cek_alg(version))?;
    Ok(match version {
        FormatVersion::V2 => Envelope::V2(V2Envelope {
            encrypted_key: ciphertext_blob,
            iv: random::<IV_LEN>()?,
            wrap: WrapAlgorithm::KmsContext,
            matdesc: context,
            unencrypted_length: None,
        }),
        FormatVersion::V3 => {
            let message_id = random::<MESSAGE_ID_LEN>()?;
            Envelope::V3(V3Envelope {
                encrypted_key: ciphertext_blob,
                message_id,
                commitment: commitment::derive_commitment(data_key, &message_id)?,
                wrap: WrapAlgorithm::KmsContext,
                material_description: StringMap::new(),
                encryption_context: context,
                unencrypted_length: None,
            })
        }
    })
}

/// What KMS Decrypt needs for a `kms+context` envelope: the CiphertextBlob and the stored
/// encryption context (whose `aws:x-amz-cek-alg` was checked when the envelope was parsed).
pub fn kms_decrypt_request(env: &Envelope) -> CryptoResult<(&[u8], &StringMap)> {
    if env.wrap_algorithm() != WrapAlgorithm::KmsContext {
        return Err(CryptoError::WrongWrapAlgorithm {
            expected: "AWS KMS (kms+context)",
            found: "a raw AES master key (AES/GCM)",
        });
    }
    let ctx = env.encryption_context();
    check_context_alg(ctx, kms_context_cek_alg(env.version()))?;
    Ok((env.encrypted_key(), ctx))
}

/// The caller-visible part of a stored KMS context (reserved names removed), to compare with
/// the context a user expects.
pub fn kms_user_context(env: &Envelope) -> StringMap {
    let mut ctx = env.encryption_context().clone();
    ctx.remove(CONTEXT_CEK_ALG_KEY);
    ctx.remove(KMS_V1_CONTEXT_KEY);
    ctx
}

/// Checks that the stored KMS context holds every pair of `expected` (the reader's context).
pub fn check_expected_context(env: &Envelope, expected: &StringMap) -> CryptoResult<()> {
    let stored = kms_user_context(env);
    for (name, value) in expected {
        if stored.get(name) != Some(value) {
            return Err(CryptoError::ContextMismatch {
                name: name.clone(),
                expected: value.clone(),
                found: stored.get(name).cloned(),
            });
        }
    }
    Ok(())
}

/// Accepts the plaintext data key KMS Decrypt returned: checks its length and, for V3, the
/// key commitment, before handing it out.
pub fn open_kms(env: &Envelope, plaintext_data_key: &[u8]) -> CryptoResult<Key256> {
    kms_decrypt_request(env)?;
    let data_key = Key256::from_slice(plaintext_data_key).ok_or(CryptoError::DataKeyLength {
        actual: plaintext_data_key.len(),
    })?;
    check_commitment(env, &data_key)?;
    Ok(data_key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_round_trip_and_aad_binding() {
        let master = Key256::from_bytes([1u8; 32]);
        let dk = Key256::from_bytes([2u8; 32]);
        for v in [FormatVersion::V2, FormatVersion::V3] {
            let edk = wrap_data_key(&master, &dk, v).unwrap();
            assert!(unwrap_data_key(&master, &edk, v).unwrap() == dk);
        }
        let edk = wrap_data_key(&master, &dk, FormatVersion::V2).unwrap();
        // A V2 wrap does not open as V3 (different AAD), nor under another key.
        assert_eq!(
            unwrap_data_key(&master, &edk, FormatVersion::V3).err(),
            Some(CryptoError::UnwrapFailed)
        );
        let other = Key256::from_bytes([3u8; 32]);
        assert!(unwrap_data_key(&other, &edk, FormatVersion::V2).is_err());
        assert!(unwrap_data_key(&master, &edk[..59], FormatVersion::V2).is_err());
    }

    #[test]
    fn raw_envelopes_open_and_reject() {
        let master = Key256::from_bytes([7u8; 32]);
        for v in [FormatVersion::V2, FormatVersion::V3] {
            let md: StringMap = [("s3seal-key-id".to_string(), "k1".to_string())].into();
            let (env, dk) = new_raw_aes_envelope(&master, v, md).unwrap();
            let parsed = Envelope::parse(&env.to_metadata()).unwrap().unwrap();
            assert_eq!(parsed, env);
            assert_eq!(parsed.s3seal_key_id(), Some("k1"));
            assert!(open_raw_aes(&parsed, &master).unwrap() == dk);
            assert!(open_raw_aes(&parsed, &Key256::from_bytes([8u8; 32])).is_err());
            assert!(kms_decrypt_request(&parsed).is_err());
        }
    }

    #[test]
    fn kms_context_rules() {
        let user: StringMap = [("dept".to_string(), "x".to_string())].into();
        let ctx = kms_encryption_context(FormatVersion::V3, &user).unwrap();
        assert_eq!(ctx[CONTEXT_CEK_ALG_KEY], "115");
        let bad: StringMap = [(CONTEXT_CEK_ALG_KEY.to_string(), "x".to_string())].into();
        assert!(kms_encryption_context(FormatVersion::V2, &bad).is_err());
        let dk = Key256::from_bytes([4u8; 32]);
        let env = new_kms_envelope(FormatVersion::V3, &dk, vec![9; 100], ctx.clone()).unwrap();
        assert!(new_kms_envelope(FormatVersion::V2, &dk, vec![9; 100], ctx).is_err());
        let parsed = Envelope::parse(&env.to_metadata()).unwrap().unwrap();
        assert_eq!(kms_decrypt_request(&parsed).unwrap().0, &[9u8; 100][..]);
        assert_eq!(kms_user_context(&parsed), user);
        assert!(open_kms(&parsed, &[4u8; 32]).is_ok());
        assert_eq!(
            open_kms(&parsed, &[5u8; 32]).err(),
            Some(CryptoError::CommitmentMismatch)
        );
        assert!(open_kms(&parsed, &[4u8; 16]).is_err());
    }
}
