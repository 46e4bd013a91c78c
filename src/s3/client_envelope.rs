//! Client-side envelopes on S3: where an object's envelope lives (metadata or
//! `<key>.instruction`), and how its data key is made, opened or re-wrapped with a local master
//! key (OS keyring) or AWS KMS.

use std::collections::BTreeMap;

use aws_sdk_kms::primitives::Blob;
use serde::Serialize;
use zeroize::Zeroizing;

use super::connection::Connection;
use super::errors::{from_sdk, status_of};
use super::kms::naming_key as kms_error;
use super::uri::S3Uri;
use crate::crypto::envelope::{MATDESC_KEY_ID, StringMap};
use crate::crypto::keywrap::{self, FormatVersion, WrapAlgorithm};
use crate::crypto::{CryptoError, Envelope, Key256};
use crate::error::{Error, Result};
use crate::keys::{KeyKind, KeyManager, KeyRecord};

/// Suffix of the object that holds an envelope outside the object's metadata.
pub const INSTRUCTION_SUFFIX: &str = ".instruction";

/// Where an envelope was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EnvelopeLocation {
    Metadata,
    InstructionFile,
}

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

/// A data key and the local key name that opened it (raw AES), if any.
pub struct OpenedEnvelope {
    pub envelope: Envelope,
    pub data_key: Key256,
    pub matching_key: Option<String>,
}

fn crypto(uri: &S3Uri, source: CryptoError) -> Error {
    Error::ClientSide {
        uri: uri.to_string(),
        source,
    }
}

/// Reads the envelope from `metadata`, or from `<key>.instruction` when the metadata has none
/// and either points there or `probe_instruction` asks to look. `Ok(None)`: not client-side.
pub async fn load_envelope(
    conn: &Connection,
    uri: &S3Uri,
    metadata: &BTreeMap<String, String>,
    probe_instruction: bool,
) -> Result<Option<(Envelope, EnvelopeLocation)>> {
    if let Some(env) = Envelope::parse(metadata).map_err(|e| crypto(uri, e))? {
        return Ok(Some((env, EnvelopeLocation::Metadata)));
    }
    if !probe_instruction && !Envelope::instruction_file_hint(metadata) {
        return Ok(None);
    }
    let instruction_key = format!("{}{INSTRUCTION_SUFFIX}", uri.key);
    let got = conn
        .s3()
        .get_object()
        .bucket(&uri.bucket)
        .key(&instruction_key)
        .send()
        .await;
    let out = match got {
        Ok(out) => out,
        Err(err) if matches!(status_of(&err), Some(403 | 404)) => {
            return if Envelope::instruction_file_hint(metadata) {
                Err(crypto(
                    uri,
                    CryptoError::BadInstructionFile {
                        reason: format!("the object points to {instruction_key}, which is missing"),
                    },
                ))
            } else {
                Ok(None)
            };
        }
        Err(err) => return Err(from_sdk("GetObject (instruction file)", err)),
    };
    let body = out
        .body
        .collect()
        .await
        .map_err(|e| Error::Connection {
            operation: "GetObject (instruction file)",
            kind: crate::error::ConnectionFailure::Transport,
            source: Some(Box::new(e)),
        })?
        .into_bytes();
    let env = Envelope::parse_instruction_file(&body, metadata).map_err(|e| crypto(uri, e))?;
    Ok(Some((env, EnvelopeLocation::InstructionFile)))
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

/// Opens `envelope`: unwraps the data key with the local master key it names (or any local
/// client key that fits), or asks KMS. For V3 the key commitment is checked before returning.
pub async fn open_envelope(
    conn: &Connection,
    keys: &KeyManager,
    uri: &S3Uri,
    envelope: Envelope,
) -> Result<OpenedEnvelope> {
    match envelope.wrap_algorithm() {
        WrapAlgorithm::AesGcm => {
            let wanted = envelope.s3seal_key_id().map(str::to_owned);
            let candidates = keys
                .blocking(move |keys| {
                    let mut out = Vec::new();
                    if let Some(id) = wanted
                        && let Some(found) = keys.secret_by_id(&id)?
                    {
                        out.push(found);
                    }
                    for record in keys.keys_of_kind(KeyKind::Client)? {
                        if out.iter().all(|(r, _)| r.id != record.id)
                            && let Ok(found) = keys.secret(&record.name)
                        {
                            out.push(found);
                        }
                    }
                    Ok(out)
                })
                .await?;
            let mut last_error = None;
            for (record, master) in candidates {
                match keywrap::open_raw_aes(&envelope, &master) {
                    Ok(data_key) => {
                        return Ok(OpenedEnvelope {
                            envelope,
                            data_key,
                            matching_key: Some(record.name),
                        });
                    }
                    Err(e @ CryptoError::CommitmentMismatch) => return Err(crypto(uri, e)),
                    Err(e) => last_error = Some(e),
                }
            }
            tracing::debug!(?last_error, "no local client key unwrapped the data key");
            Err(Error::ClientKeyNeeded {
                uri: uri.to_string(),
            })
        }
        WrapAlgorithm::KmsContext => {
            let (blob, context) =
                keywrap::kms_decrypt_request(&envelope).map_err(|e| crypto(uri, e))?;
            let out = conn
                .kms()
                .decrypt()
                .ciphertext_blob(Blob::new(blob.to_vec()))
                .set_encryption_context(Some(context.clone().into_iter().collect()))
                .send()
                .await
                .map_err(|e| from_sdk("KMS Decrypt", e))?;
            let plaintext = Zeroizing::new(out.plaintext.map(Blob::into_inner).unwrap_or_default());
            let data_key = keywrap::open_kms(&envelope, &plaintext).map_err(|e| crypto(uri, e))?;
            Ok(OpenedEnvelope {
                envelope,
                data_key,
                matching_key: None,
            })
        }
    }
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
            let context =
                keywrap::kms_encryption_context(version, context).map_err(|e| crypto(uri, e))?;
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

/// Fills the client-side fields of `info` from the object's envelope, if it has one.
pub async fn describe_client_side(
    conn: &Connection,
    keys: &KeyManager,
    uri: &S3Uri,
    info: &mut crate::s3::inspect::ObjectInfo,
) -> Result<()> {
    let Some((envelope, location)) = load_envelope(conn, uri, &info.metadata, true).await? else {
        return Ok(());
    };
    info.mode = crate::s3::EncryptionMode::Client;
    info.client_envelope = Some(location);
    info.client_format = Some(
        match envelope.version() {
            FormatVersion::V2 => "v2",
            FormatVersion::V3 => "v3",
        }
        .to_owned(),
    );
    let wrap = envelope.wrap_algorithm();
    info.client_wrap = Some(
        match wrap {
            WrapAlgorithm::AesGcm => "AES/GCM",
            WrapAlgorithm::KmsContext => "kms+context",
        }
        .to_owned(),
    );
    match wrap {
        WrapAlgorithm::AesGcm => {
            // The SSE-C key (if any) is not the client key: report the client key that opens it.
            info.matching_key = match open_envelope(conn, keys, uri, envelope).await {
                Ok(opened) => opened.matching_key,
                Err(Error::ClientKeyNeeded { .. }) => None,
                Err(other) => return Err(other),
            };
        }
        WrapAlgorithm::KmsContext => {
            info.client_kms_context = Some(envelope.encryption_context().clone());
            info.matching_key = None;
        }
    }
    Ok(())
}
