//! The window's calls into the library's transfer engine, summarised for the transfers panel,
//! and DeleteObject. Async, no drawing; called from backend tasks only.

use std::path::Path;

use crate::error::Result;
use crate::keys::KeyManager;
use crate::progress::{CancellationToken, Progress};
use crate::s3::errors::from_sdk;
use crate::s3::{Connection, S3Uri, SseCKey};
use crate::transfer::write_mode::{WriteMode, resolve_write_mode};
use crate::transfer::{self, CopyTuning};

pub use crate::transfer::write_mode::EncryptionChoice;

/// Resolves the choice to what the write needs, reading a local key from the keyring.
pub async fn write_mode(
    conn: &Connection,
    keys: &KeyManager,
    choice: &EncryptionChoice,
) -> Result<WriteMode> {
    resolve_write_mode(conn, Some(keys), choice).await
}

/// Uploads one file; the answer is the line the transfers panel keeps.
pub async fn upload(
    conn: &Connection,
    path: &Path,
    dest: &S3Uri,
    mode: &WriteMode,
    progress: &Progress,
    cancel: &CancellationToken,
) -> Result<String> {
    let outcome = transfer::write_mode::upload(conn, path, dest, mode, progress, cancel).await?;
    Ok(format!(
        "uploaded {} with {}",
        super::format::human_size(outcome.size),
        mode.describe()
    ))
}

/// Downloads one object to `dest`, decrypting a client-side object; the file appears only
/// once verified.
pub async fn download(
    conn: &Connection,
    keys: &KeyManager,
    uri: &S3Uri,
    dest: &Path,
    progress: &Progress,
    cancel: &CancellationToken,
) -> Result<String> {
    let keys = keys.clone();
    let provider = move || Ok(keys.clone());
    let fetched =
        transfer::fetch_object(conn, &provider, uri, dest, None, progress, cancel).await?;
    Ok(format!("saved {}", fetched.summary()))
}

/// Re-encrypts one object in place: a server-side copy, or for client-side a new envelope.
pub async fn rekey(
    conn: &Connection,
    keys: &KeyManager,
    uri: &S3Uri,
    candidates: &[SseCKey],
    target: &WriteMode,
    progress: &Progress,
    cancel: &CancellationToken,
) -> Result<String> {
    match target {
        WriteMode::Server(server_side) => {
            let request = transfer::RekeyRequest {
                uri,
                source_key: None,
                candidates,
                target: server_side,
            };
            transfer::rekey(conn, request, CopyTuning::default(), progress, cancel).await?;
        }
        WriteMode::Client { master, .. } => {
            let provider = {
                let keys = keys.clone();
                move || Ok(keys.clone())
            };
            let resolved = transfer::fetch::resolve_readable(conn, &provider, uri, None).await?;
            transfer::client_rekey::rewrap_object(
                conn,
                keys,
                uri,
                &resolved.head,
                resolved.sse_c.as_ref(),
                master,
            )
            .await?;
        }
    }
    Ok(format!("now uses {}", target.describe()))
}

/// Deletes one object (DeleteObject).
pub async fn delete_object(conn: &Connection, uri: &S3Uri) -> Result<()> {
    uri.require_object()?;
    conn.s3()
        .delete_object()
        .bucket(&uri.bucket)
        .key(&uri.key)
        .send()
        .await
        .map_err(|e| from_sdk("DeleteObject", e))?;
    Ok(())
}
