//! Reading the files S3 itself writes for s3seal to read back (S3 Inventory reports, S3 Batch
//! Operations completion reports): a small JSON document into memory, and data files streamed
//! to a temporary file, checked against the MD5 their manifest states, so memory stays flat
//! however large the file.

use md5::{Digest as _, Md5};
use tokio::io::AsyncWriteExt as _;

use super::S3Uri;
use super::connection::Connection;
use super::errors::from_sdk;
use crate::error::{ConnectionFailure, Error, Result};
use crate::progress::CancellationToken;

/// Largest document [`get_text`] reads (manifests are a few KiB; this is a guard).
pub const MAX_DOCUMENT: usize = 16 * 1024 * 1024;

fn body_error(operation: &'static str, e: impl std::error::Error + Send + Sync + 'static) -> Error {
    Error::Connection {
        operation,
        kind: ConnectionFailure::Transport,
        source: Some(Box::new(e)),
    }
}

/// GetObject of `uri`; a missing object is named as `what`.
async fn get(
    conn: &Connection,
    uri: &S3Uri,
    what: String,
) -> Result<aws_sdk_s3::operation::get_object::GetObjectOutput> {
    conn.s3()
        .get_object()
        .bucket(&uri.bucket)
        .key(&uri.key)
        // The manifest's MD5 is what these files are checked against; the SDK cannot check the
        // part-level checksum of a multipart upload and would only warn about it.
        .customize()
        .config_override(
            aws_sdk_s3::config::Builder::default().response_checksum_validation(
                aws_sdk_s3::config::ResponseChecksumValidation::WhenRequired,
            ),
        )
        .send()
        .await
        .map_err(|e| match from_sdk("GetObject", e) {
            Error::NotFound { .. } => Error::NotFound { what },
            other => other,
        })
}

/// The whole object as UTF-8 text (a manifest.json).
pub async fn get_text(conn: &Connection, uri: &S3Uri) -> Result<String> {
    let mut body = get(conn, uri, uri.to_string()).await?.body;
    let mut bytes = Vec::new();
    while let Some(chunk) = body
        .try_next()
        .await
        .map_err(|e| body_error("GetObject", e))?
    {
        bytes.extend_from_slice(&chunk);
        if bytes.len() > MAX_DOCUMENT {
            return Err(Error::InvalidInput(format!(
                "{uri} is larger than {} MiB: not a manifest",
                MAX_DOCUMENT >> 20
            )));
        }
    }
    String::from_utf8(bytes)
        .map_err(|_| Error::InvalidInput(format!("{uri} is not UTF-8 text: not a manifest")))
}

/// Streams the object to a new temporary file and checks it against `md5_hex` when that is
/// a real MD5 (32 hex digits). Returns the file (deleted when dropped) and its size.
pub async fn download_checked(
    conn: &Connection,
    uri: &S3Uri,
    md5_hex: Option<&str>,
    cancel: &CancellationToken,
) -> Result<(tempfile::NamedTempFile, u64)> {
    let temp =
        tempfile::NamedTempFile::new().map_err(|e| Error::io("create", "a temporary file", e))?;
    let path = temp.path().to_path_buf();
    let file = temp.reopen().map_err(|e| Error::io("open", &path, e))?;
    let mut file = tokio::io::BufWriter::with_capacity(1 << 20, tokio::fs::File::from_std(file));
    let mut body = get(
        conn,
        uri,
        format!("{uri}, listed in the report's manifest,"),
    )
    .await?
    .body;
    let mut hash = Md5::new();
    let mut size = 0u64;
    loop {
        let chunk = tokio::select! {
            biased;
            () = cancel.cancelled() => return Err(Error::Cancelled),
            chunk = body.try_next() => chunk.map_err(|e| body_error("GetObject", e))?,
        };
        let Some(chunk) = chunk else { break };
        hash.update(&chunk);
        size += chunk.len() as u64;
        file.write_all(&chunk)
            .await
            .map_err(|e| Error::io("write", &path, e))?;
    }
    file.flush()
        .await
        .map_err(|e| Error::io("write", &path, e))?;
    if let Some(expected) =
        md5_hex.filter(|m| m.len() == 32 && m.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        let got = hex::encode(hash.finalize());
        if !got.eq_ignore_ascii_case(expected) {
            return Err(Error::InvalidInput(format!(
                "{uri} does not match its manifest (MD5 {got}, the manifest says {expected}): the report is incomplete or was changed"
            )));
        }
    }
    Ok((temp, size))
}
