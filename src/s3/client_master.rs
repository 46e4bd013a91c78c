//! The master keys of client-side objects: making a fresh data key for an upload (a local key
//! wraps it, or KMS GenerateDataKey), opening an object's data key, and re-wrapping it.
//!
//! Opening follows the S3 Encryption Client specification's trust rules: a local key opens it
//! (the named one and no other; unnamed, the one its material description names, then any
//! local client key — none leaves this machine), or KMS Decrypt is called **with `KeyId`** set to a key the person trusts, so a
//! data key planted under somebody else's KMS key is refused before KMS is asked; the stored
//! encryption context must hold the reserved algorithm and what the reader expects; V2 (no key
//! commitment) can be refused. KMS calls that carry plaintext data keys never go over plain HTTP.

use aws_sdk_kms::error::ProvideErrorMetadata as _;
use aws_sdk_kms::primitives::Blob;
use zeroize::Zeroizing;

use super::connection::Connection;
use super::errors::from_sdk;
use super::kms::naming_key as kms_error;
use super::local_keys::{KeyAccess, ReadKeys, ReadOptions};
use super::uri::S3Uri;
use crate::crypto::envelope::{MATDESC_KEY_ID, StringMap};
use crate::crypto::keywrap::{self, FormatVersion, WrapAlgorithm};
use crate::crypto::{CryptoError, Envelope, Key256};
use crate::error::{Error, Result};
use crate::keys::{KeyKind, KeyManager, KeyRecord};

/// The master key a client-side upload wraps its data key with.
pub enum ClientMaster {
    /// A 256-bit key from the OS keyring (`AES/GCM` wrap).
    Raw { record: KeyRecord, key: Key256 },
    /// An AWS KMS key (`kms+context` wrap) with the caller's encryption context.
    Kms { key_id: String, context: StringMap },
}

impl ClientMaster {
    /// For messages: which master key.
    pub fn describe(&self) -> String {
        match self {
            Self::Raw { record, .. } => format!("local key '{}'", record.name),
            Self::Kms { key_id, .. } => format!("KMS key {key_id}"),
        }
    }
}

/// What opened a data key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Opener {
    /// This local client key.
    LocalKey(String),
    /// This trusted KMS key.
    Kms(String),
}

/// A data key and what opened it.
pub struct OpenedEnvelope {
    pub envelope: Envelope,
    pub data_key: Key256,
    pub opener: Opener,
}

impl OpenedEnvelope {
    /// The local key name, when a local key opened it.
    pub fn local_key(&self) -> Option<&str> {
        match &self.opener {
            Opener::LocalKey(name) => Some(name),
            Opener::Kms(_) => None,
        }
    }
}

fn crypto(uri: &S3Uri, source: CryptoError) -> Error {
    Error::ClientSide {
        uri: uri.to_string(),
        source,
    }
}

/// A fresh envelope and data key for an upload.
pub async fn new_envelope(
    conn: &Connection,
    uri: &S3Uri,
    master: &ClientMaster,
    version: FormatVersion,
) -> Result<(Envelope, Key256)> {
    match master {
        ClientMaster::Raw { record, key } => {
            let matdesc = StringMap::from([(MATDESC_KEY_ID.to_owned(), record.id.clone())]);
            keywrap::new_raw_aes_envelope(key, version, matdesc).map_err(|e| crypto(uri, e))
        }
        ClientMaster::Kms { key_id, context } => {
            conn.ensure_kms_data_keys_allowed()?;
            let context =
                keywrap::kms_encryption_context(version, context).map_err(|e| crypto(uri, e))?;
            let out = conn
                .kms()
                .generate_data_key()
                .key_id(key_id)
                .key_spec(aws_sdk_kms::types::DataKeySpec::Aes256)
                .set_encryption_context(Some(context.clone().into_iter().collect()))
                .send()
                .await
                .map_err(|e| kms_error(key_id, from_sdk("KMS GenerateDataKey", e)))?;
            let plaintext = Zeroizing::new(out.plaintext.map(Blob::into_inner).unwrap_or_default());
            let data_key = Key256::from_slice(&plaintext).ok_or_else(|| {
                crypto(
                    uri,
                    CryptoError::DataKeyLength {
                        actual: plaintext.len(),
                    },
                )
            })?;
            let blob = out
                .ciphertext_blob
                .map(Blob::into_inner)
                .unwrap_or_default();
            let env = keywrap::new_kms_envelope(version, &data_key, blob, context)
                .map_err(|e| crypto(uri, e))?;
            Ok((env, data_key))
        }
    }
}

/// Opens `envelope` as `read` allows: with a local client key, or with KMS under a trusted key.
/// For V3 the key commitment is checked before the data key is handed out.
pub async fn open_envelope(
    conn: &Connection,
    keys: &KeyAccess,
    uri: &S3Uri,
    envelope: Envelope,
    read: &ReadOptions,
) -> Result<OpenedEnvelope> {
    if read.require_commitment && !envelope.version().is_committing() {
        return Err(Error::CommitmentRequired {
            uri: uri.to_string(),
        });
    }
    match envelope.wrap_algorithm() {
        WrapAlgorithm::AesGcm => open_raw(&keys.manager().await?, uri, envelope, &read.keys).await,
        WrapAlgorithm::KmsContext => open_with_kms(conn, keys, uri, envelope, read).await,
    }
}

/// Opens a raw-AES envelope. A key the person named is the only key used: when it does not open
/// the envelope, the other local keys are tried on this machine only to say which one would.
/// Unnamed, the key the envelope names comes first, then every local client key.
async fn open_raw(
    keys: &KeyManager,
    uri: &S3Uri,
    envelope: Envelope,
    read: &ReadKeys,
) -> Result<OpenedEnvelope> {
    let wanted = envelope.s3seal_key_id().map(str::to_owned);
    if let ReadKeys::Named(name) = read {
        let name = name.clone();
        // A named key may be of either kind: the bytes are what matter.
        let (record, master) = keys.blocking(move |keys| keys.secret(&name)).await?;
        if let Some(data_key) = try_open(uri, &envelope, &master)? {
            return Ok(opened_by(envelope, data_key, record));
        }
        let except = record.id.clone();
        let others = keys
            .blocking(move |keys| local_candidates(keys, wanted.as_deref(), Some(&except)))
            .await?;
        let opens = others
            .iter()
            .find(|(_, other)| keywrap::open_raw_aes(&envelope, other).is_ok())
            .map(|(record, _)| record.name.clone());
        return Err(Error::NamedClientKeyWrong {
            uri: uri.to_string(),
            name: record.name,
            opens,
        });
    }
    let candidates = keys
        .blocking(move |keys| local_candidates(keys, wanted.as_deref(), None))
        .await?;
    for (record, master) in candidates {
        if let Some(data_key) = try_open(uri, &envelope, &master)? {
            return Ok(opened_by(envelope, data_key, record));
        }
    }
    Err(Error::ClientKeyNeeded {
        uri: uri.to_string(),
    })
}

/// The local keys that may open a raw-AES envelope, in the order to try them: the one whose
/// catalog id it names, then every client key; `except` (a key tried already) left out.
fn local_candidates(
    keys: &KeyManager,
    wanted: Option<&str>,
    except: Option<&str>,
) -> Result<Vec<(KeyRecord, Key256)>> {
    let mut out: Vec<(KeyRecord, Key256)> = Vec::new();
    let fresh = |out: &[(KeyRecord, Key256)], id: &str| {
        except != Some(id) && out.iter().all(|(r, _)| r.id != id)
    };
    if let Some(id) = wanted
        && let Some(found) = keys.secret_by_id(id)?
        && fresh(&out, &found.0.id)
    {
        out.push(found);
    }
    for record in keys.keys_of_kind(KeyKind::Client)? {
        if fresh(&out, &record.id)
            && let Ok(found) = keys.secret(&record.name)
        {
            out.push(found);
        }
    }
    Ok(out)
}

/// The data key if `master` opens `envelope`; `None` if it does not. A key that unwraps but
/// does not match the commitment is an error: the envelope is forged.
fn try_open(uri: &S3Uri, envelope: &Envelope, master: &Key256) -> Result<Option<Key256>> {
    match keywrap::open_raw_aes(envelope, master) {
        Ok(data_key) => Ok(Some(data_key)),
        Err(e @ CryptoError::CommitmentMismatch) => Err(crypto(uri, e)),
        Err(_) => Ok(None),
    }
}

/// `envelope` opened by the local key `record`.
fn opened_by(envelope: Envelope, data_key: Key256, record: KeyRecord) -> OpenedEnvelope {
    OpenedEnvelope {
        envelope,
        data_key,
        opener: Opener::LocalKey(record.name),
    }
}

/// KMS Decrypt with `KeyId` pinned to each trusted key in turn: the keys named for this read
/// first, then those in the catalog. A ciphertext under any other key is refused by KMS
/// (`IncorrectKeyException`) — or, with no trusted key, never sent at all.
async fn open_with_kms(
    conn: &Connection,
    keys: &KeyAccess,
    uri: &S3Uri,
    envelope: Envelope,
    read: &ReadOptions,
) -> Result<OpenedEnvelope> {
    let (blob, context) = keywrap::kms_decrypt_request(&envelope).map_err(|e| crypto(uri, e))?;
    keywrap::check_expected_context(&envelope, &read.expected_context)
        .map_err(|e| crypto(uri, e))?;
    let mut trusted = read.trusted_kms.clone();
    match keys.manager().await {
        Ok(manager) => {
            for key in manager.blocking(|k| k.trusted_kms_keys()).await? {
                if !trusted.contains(&key) {
                    trusted.push(key);
                }
            }
        }
        Err(err) => {
            tracing::info!(error = %err, "key catalog unavailable: only the KMS keys named are trusted")
        }
    }
    if trusted.is_empty() {
        return Err(Error::KmsKeyNotTrusted {
            uri: uri.to_string(),
            tried: Vec::new(),
        });
    }
    conn.ensure_kms_data_keys_allowed()?;
    let context: std::collections::HashMap<String, String> = context.clone().into_iter().collect();
    for key_id in &trusted {
        let answer = conn
            .kms()
            .decrypt()
            .key_id(key_id)
            .ciphertext_blob(Blob::new(blob.to_vec()))
            .set_encryption_context(Some(context.clone()))
            .send()
            .await;
        let out = match answer {
            Ok(out) => out,
            Err(err)
                if matches!(
                    err.code(),
                    Some("IncorrectKeyException" | "NotFoundException")
                ) =>
            {
                continue;
            }
            Err(err) => return Err(kms_error(key_id, from_sdk("KMS Decrypt", err))),
        };
        let plaintext = Zeroizing::new(out.plaintext.map(Blob::into_inner).unwrap_or_default());
        let data_key = keywrap::open_kms(&envelope, &plaintext).map_err(|e| crypto(uri, e))?;
        return Ok(OpenedEnvelope {
            envelope,
            data_key,
            opener: Opener::Kms(key_id.clone()),
        });
    }
    Err(Error::KmsKeyNotTrusted {
        uri: uri.to_string(),
        tried: trusted,
    })
}

/// The same envelope with its data key wrapped under `master` instead: the content (IV,
/// message id, commitment) is unchanged, so the ciphertext stays valid.
pub async fn rewrap(
    conn: &Connection,
    uri: &S3Uri,
    opened: &OpenedEnvelope,
    master: &ClientMaster,
) -> Result<Envelope> {
    let version = opened.envelope.version();
    let (edk, wrap, matdesc, context) = match master {
        ClientMaster::Raw { record, key } => {
            let edk = keywrap::wrap_data_key(key, &opened.data_key, version)
                .map_err(|e| crypto(uri, e))?
                .to_vec();
            let matdesc = StringMap::from([(MATDESC_KEY_ID.to_owned(), record.id.clone())]);
            (edk, WrapAlgorithm::AesGcm, matdesc, StringMap::new())
        }
        ClientMaster::Kms { key_id, context } => {
            conn.ensure_kms_data_keys_allowed()?;
            let context =
                keywrap::kms_encryption_context(version, context).map_err(|e| crypto(uri, e))?;
            // The SDK keeps this copy of the data key in the request until it is sent; it is
            // not s3seal's to zeroize.
            let out = conn
                .kms()
                .encrypt()
                .key_id(key_id)
                .plaintext(Blob::new(opened.data_key.expose().to_vec()))
                .set_encryption_context(Some(context.clone().into_iter().collect()))
                .send()
                .await
                .map_err(|e| kms_error(key_id, from_sdk("KMS Encrypt", e)))?;
            let edk = out
                .ciphertext_blob
                .map(Blob::into_inner)
                .unwrap_or_default();
            (edk, WrapAlgorithm::KmsContext, StringMap::new(), context)
        }
    };
    let mut envelope = opened.envelope.clone();
    match &mut envelope {
        Envelope::V2(e) => {
            e.encrypted_key = edk;
            e.wrap = wrap;
            e.matdesc = if wrap == WrapAlgorithm::KmsContext {
                context
            } else {
                matdesc
            };
        }
        Envelope::V3(e) => {
            e.encrypted_key = edk;
            e.wrap = wrap;
            e.material_description = matdesc;
            e.encryption_context = context;
        }
    }
    Ok(envelope)
}

#[cfg(test)]
#[path = "client_master_tests.rs"]
mod tests;
