//! Turning the encryption flags of `put` and `rekey` into what a write needs: server-side
//! headers, or a client-side master key and format. Keys are read from the keyring here.

use std::collections::BTreeMap;

use super::EncryptionArgs;
use super::objects::key_manager;
use crate::crypto::keywrap::FormatVersion;
use crate::error::{Error, Result};
use crate::keys::{KeyKind, KeyManager};
use crate::s3::client_envelope::ClientMaster;
use crate::s3::{Connection, RequestedMode, ServerSide, SseCKey};

/// What a write does with the data.
pub enum WriteMode {
    Server(ServerSide),
    Client {
        master: ClientMaster,
        version: FormatVersion,
    },
}

impl WriteMode {
    pub fn describe(&self) -> String {
        match self {
            Self::Server(s) => s.describe(),
            Self::Client { master, version } => format!(
                "client-side {} ({})",
                match version {
                    FormatVersion::V2 => "V2",
                    FormatVersion::V3 => "V3",
                },
                master.describe()
            ),
        }
    }
}

/// Loads a named key of `kind` from the keyring.
pub async fn named_key(
    keys: &KeyManager,
    name: String,
    kind: KeyKind,
) -> Result<(crate::keys::KeyRecord, crate::crypto::Key256)> {
    keys.blocking(move |keys| {
        let (record, secret) = keys.secret(&name)?;
        if record.kind != kind {
            return Err(Error::Usage(format!(
                "key '{name}' is a {} key, not a {kind} key: pick a {kind} key (`s3seal keys list`) or create one with `s3seal keys new NAME --kind {kind}`",
                record.kind
            )));
        }
        Ok((record, secret))
    })
    .await
}

/// Loads a named SSE-C key.
pub async fn sse_c_key(keys: &KeyManager, name: String) -> Result<SseCKey> {
    let (record, secret) = named_key(keys, name, KeyKind::SseC).await?;
    Ok(SseCKey::new(record.name, secret))
}

fn parse_context(pairs: &[String]) -> Result<BTreeMap<String, String>> {
    pairs
        .iter()
        .map(|pair| {
            pair.split_once('=')
                .filter(|(k, _)| !k.is_empty())
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .ok_or_else(|| Error::Usage(format!("--context '{pair}' must be KEY=VALUE")))
        })
        .collect()
}

/// Checks the flag combination and fetches what the write needs.
pub async fn write_mode(conn: &Connection, enc: &EncryptionArgs) -> Result<WriteMode> {
    let mode: RequestedMode = enc.encryption.parse()?;
    let usage = |m: &str| Err(Error::Usage(m.to_owned()));
    let client = mode == RequestedMode::Client;
    let kms_mode = matches!(mode, RequestedMode::SseKms | RequestedMode::DsseKms);
    if enc.kms_key.is_some() && !kms_mode && !client {
        return usage("--kms-key goes with --encryption sse-kms, dsse-kms or client");
    }
    if enc.bucket_key && mode != RequestedMode::SseKms {
        return usage("--bucket-key goes with --encryption sse-kms");
    }
    if enc.key.is_some() && mode != RequestedMode::SseC && !client {
        return usage("--key goes with --encryption sse-c or client");
    }
    if !client && (!enc.context.is_empty() || enc.format != "v3") {
        return usage("--format and --context go with --encryption client");
    }
    Ok(WriteMode::Server(match mode {
        RequestedMode::Default => ServerSide::Default,
        RequestedMode::SseS3 => ServerSide::SseS3,
        RequestedMode::SseKms => ServerSide::SseKms {
            key_id: enc.kms_key.clone(),
            bucket_key: enc.bucket_key,
        },
        RequestedMode::DsseKms => ServerSide::DsseKms {
            key_id: enc.kms_key.clone(),
        },
        RequestedMode::SseC => {
            // Refuse plain HTTP before the key is even read from the keyring.
            conn.ensure_sse_c_allowed()?;
            let name = enc.key.clone().ok_or_else(|| {
                Error::Usage(
                    "--encryption sse-c needs --key NAME (see `s3seal keys list`)".to_owned(),
                )
            })?;
            ServerSide::SseC(sse_c_key(&key_manager()?, name).await?)
        }
        RequestedMode::Client => {
            let version = match enc.format.as_str() {
                "v3" => FormatVersion::V3,
                "v2" => FormatVersion::V2,
                other => {
                    return Err(Error::Usage(format!(
                        "unknown client-side format '{other}': use v3 (default) or v2"
                    )));
                }
            };
            let master = match (&enc.key, &enc.kms_key) {
                (Some(name), None) => {
                    if !enc.context.is_empty() {
                        return usage("--context goes with a KMS master key (--kms-key)");
                    }
                    let (record, key) =
                        named_key(&key_manager()?, name.clone(), KeyKind::Client).await?;
                    ClientMaster::Raw { record, key }
                }
                (None, Some(key_id)) => ClientMaster::Kms {
                    key_id: key_id.clone(),
                    context: parse_context(&enc.context)?,
                },
                _ => {
                    return usage(
                        "--encryption client needs exactly one master key: --key NAME (a local client key) or --kms-key ID",
                    );
                }
            };
            return Ok(WriteMode::Client { master, version });
        }
    }))
}
