//! Turning the encryption flags of `put` and `rekey` into the library's [`EncryptionChoice`]:
//! the one place flag combinations are checked, with messages that name the flags.

use std::collections::BTreeMap;

use super::args::{EncryptionArgs, ModeArg};
use crate::error::{Error, Result};
use crate::s3::{Connection, KeyAccess};
use crate::transfer::write_mode::{EncryptionChoice, MasterChoice, WriteMode, resolve_write_mode};

/// The choice the flags describe, or what is wrong with them.
pub fn choice(enc: &EncryptionArgs) -> Result<EncryptionChoice> {
    let bad = |m: &str| Err(Error::InvalidInput(m.to_owned()));
    let mode = enc.encryption;
    let client = mode == ModeArg::Client;
    if enc.kms_key.is_some()
        && !matches!(mode, ModeArg::SseKms | ModeArg::DsseKms | ModeArg::Client)
    {
        return bad("--kms-key goes with --encryption sse-kms, dsse-kms or client");
    }
    if enc.bucket_key && mode != ModeArg::SseKms {
        return bad("--bucket-key goes with --encryption sse-kms");
    }
    if enc.key.is_some() && !matches!(mode, ModeArg::SseC | ModeArg::Client) {
        return bad("--key goes with --encryption sse-c or client");
    }
    if !client && (!enc.context.is_empty() || enc.format != super::args::FormatArg::V3) {
        return bad("--format and --context go with --encryption client");
    }
    Ok(match mode {
        ModeArg::Default => EncryptionChoice::BucketDefault,
        ModeArg::SseS3 => EncryptionChoice::SseS3,
        ModeArg::SseKms => EncryptionChoice::SseKms {
            key: enc.kms_key.clone(),
            bucket_key: enc.bucket_key,
        },
        ModeArg::DsseKms => EncryptionChoice::DsseKms {
            key: enc.kms_key.clone(),
        },
        ModeArg::SseC => match &enc.key {
            Some(key) => EncryptionChoice::SseC { key: key.clone() },
            None => return bad("--encryption sse-c needs --key NAME (see `s3seal keys list`)"),
        },
        ModeArg::Client => {
            let master = match (&enc.key, &enc.kms_key) {
                (Some(key), None) if enc.context.is_empty() => {
                    MasterChoice::Local { key: key.clone() }
                }
                (Some(_), None) => {
                    return bad("--context goes with a KMS master key (--kms-key)");
                }
                (None, Some(key)) => MasterChoice::Kms {
                    key: key.clone(),
                    context: context(&enc.context)?,
                },
                _ => {
                    return bad(
                        "--encryption client needs exactly one master key: --key NAME (a local client key) or --kms-key ID",
                    );
                }
            };
            EncryptionChoice::Client {
                master,
                format: enc.format.into(),
            }
        }
    })
}

/// `KEY=VALUE` flags as a map.
pub fn context(pairs: &[String]) -> Result<BTreeMap<String, String>> {
    pairs
        .iter()
        .map(|pair| {
            pair.split_once('=')
                .filter(|(k, _)| !k.is_empty())
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .ok_or_else(|| Error::InvalidInput(format!("--context '{pair}' must be KEY=VALUE")))
        })
        .collect()
}

/// Checks the flags and fetches what a write into `bucket` needs; the keyring is opened only
/// when a local key is named (or, best effort, to record what the write used).
pub async fn write_mode(
    conn: &Connection,
    keys: &KeyAccess,
    enc: &EncryptionArgs,
    bucket: &str,
) -> Result<WriteMode> {
    if enc.encryption == ModeArg::SseC {
        // Refuse plain HTTP before anything else, even before the flags are judged.
        conn.ensure_sse_c_allowed()?;
    }
    let choice = choice(enc)?;
    resolve_write_mode(conn, keys, &choice, bucket).await
}
