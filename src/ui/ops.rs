//! The window's calls into the library's transfer engine, summarised for the transfers panel,
//! and DeleteObject. Async, no drawing; called from backend tasks only.

use std::path::Path;

use crate::error::Result;
use crate::progress::{CancellationToken, Progress};
use crate::s3::errors::from_sdk;
use crate::s3::{Connection, KeyAccess, ReadOptions, S3Uri};
use crate::transfer;
use crate::transfer::write_mode::WriteMode;

pub use crate::transfer::write_mode::EncryptionChoice;

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
    keys: &KeyAccess,
    uri: &S3Uri,
    dest: &Path,
    progress: &Progress,
    cancel: &CancellationToken,
) -> Result<String> {
    let read = ReadOptions::default();
    let fetched = transfer::fetch_object(conn, keys, uri, dest, &read, progress, cancel).await?;
    Ok(format!("saved {}", fetched.summary()))
}

/// Re-encrypts one object in place: a server-side copy, or for client-side a new envelope.
pub async fn rekey(
    conn: &Connection,
    keys: &KeyAccess,
    uri: &S3Uri,
    target: &EncryptionChoice,
    progress: &Progress,
    cancel: &CancellationToken,
) -> Result<String> {
    let read = ReadOptions::default();
    let done = transfer::reencrypt(conn, keys, uri, target, &read, progress, cancel).await?;
    Ok(done.summary())
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
