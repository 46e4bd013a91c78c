//! Turning the encryption flags of `put` and `rekey` into the library's [`EncryptionChoice`]
//! and resolving it; the rules themselves live in `transfer::write_mode`.

use super::EncryptionArgs;
use super::objects::key_manager;
use crate::crypto::keywrap::FormatVersion;
use crate::error::{Error, Result};
use crate::s3::{Connection, RequestedMode};
use crate::transfer::write_mode::{EncryptionChoice, WriteMode, resolve_write_mode};

/// The choice the flags describe.
pub fn choice(enc: &EncryptionArgs) -> Result<EncryptionChoice> {
    let format = match enc.format.as_str() {
        "v3" => FormatVersion::V3,
        "v2" => FormatVersion::V2,
        other => {
            return Err(Error::Usage(format!(
                "unknown client-side format '{other}': use v3 (default) or v2"
            )));
        }
    };
    let context = enc
        .context
        .iter()
        .map(|pair| {
            pair.split_once('=')
                .filter(|(k, _)| !k.is_empty())
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .ok_or_else(|| Error::Usage(format!("--context '{pair}' must be KEY=VALUE")))
        })
        .collect::<Result<_>>()?;
    Ok(EncryptionChoice {
        mode: enc.encryption.parse()?,
        kms_key: enc.kms_key.clone(),
        bucket_key: enc.bucket_key,
        key_name: enc.key.clone(),
        format,
        context,
    })
}

/// Checks the flags and fetches what the write needs; the keyring is opened only when a local
/// key is named.
pub async fn write_mode(conn: &Connection, enc: &EncryptionArgs) -> Result<WriteMode> {
    let choice = choice(enc)?;
    if choice.mode == RequestedMode::SseC {
        // Refuse plain HTTP before anything else, even before the keyring is opened.
        conn.ensure_sse_c_allowed()?;
        if choice.key_name.is_none() {
            return Err(Error::Usage(
                "--encryption sse-c needs --key NAME (see `s3seal keys list`)".to_owned(),
            ));
        }
    }
    if choice.mode == RequestedMode::Client && choice.key_name.is_some() == choice.kms_key.is_some()
    {
        return Err(Error::Usage(
            "--encryption client needs exactly one master key: --key NAME (a local client key) or --kms-key ID"
                .to_owned(),
        ));
    }
    let keys = if choice.needs_local_key() {
        Some(key_manager()?)
    } else {
        None
    };
    resolve_write_mode(conn, keys.as_ref(), &choice).await
}
