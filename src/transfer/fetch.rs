//! Downloading an object the way a person means it, for every front end: the SSE-C key found
//! among the local keys, a client-side envelope opened and decrypted, and the file put in
//! place only once everything verified.

use std::path::Path;

use super::download::{
    DownloadOutcome, DownloadRequest, ObjectVersion, download_decrypted, download_file,
};
use super::ranged::DownloadTuning;
use super::write_mode::sse_c_key;
use crate::error::{Error, Result};
use crate::keys::KeyManager;
use crate::progress::{CancellationToken, Progress};
use crate::s3::client_envelope::{load_envelope, open_envelope};
use crate::s3::inspect::{self, Resolved, local_sse_c_keys};
use crate::s3::{Connection, S3Uri};

/// Opens the local key store when (and only when) a download needs it.
pub type KeysProvider<'a> = &'a (dyn Fn() -> Result<KeyManager> + Send + Sync);

/// A finished download and how it was opened.
pub struct Fetched {
    pub outcome: DownloadOutcome,
    /// The SSE-C key used, by local name.
    pub sse_c_key: Option<String>,
    /// Client-side: `Some(Some(name))` opened with that local key, `Some(None)` with KMS.
    pub client_key: Option<Option<String>>,
}

impl Fetched {
    /// One line for a person: size, where, and what was verified.
    pub fn summary(&self) -> String {
        let mut notes = Vec::new();
        if self.outcome.checksum_verified {
            notes.push("checksum verified".to_owned());
        }
        if let Some(name) = &self.sse_c_key {
            notes.push(format!("SSE-C key '{name}'"));
        }
        match &self.client_key {
            Some(Some(name)) => {
                notes.push(format!("decrypted with local key '{name}', tag verified"))
            }
            Some(None) => notes.push("decrypted with KMS, tag verified".to_owned()),
            None => {}
        }
        let size = self.outcome.size;
        let notes = if notes.is_empty() {
            String::new()
        } else {
            format!(", {}", notes.join(", "))
        };
        format!("{} ({size} bytes{notes})", self.outcome.path.display())
    }
}

/// HEADs `uri`; with `key_name` uses that SSE-C key, otherwise finds the local key that fits
/// when the object needs one.
pub async fn resolve_readable(
    conn: &Connection,
    keys: KeysProvider<'_>,
    uri: &S3Uri,
    key_name: Option<String>,
) -> Result<Resolved> {
    if let Some(name) = key_name {
        conn.ensure_sse_c_allowed()?;
        let key = sse_c_key(&keys()?, name).await?;
        return inspect::resolve(conn, &[], uri, Some(key)).await;
    }
    let resolved =
        inspect::resolve_lazily(conn, uri, || async { local_sse_c_keys(&keys()?).await }).await?;
    if resolved.sse_c_unresolved {
        conn.ensure_sse_c_allowed()?;
        return Err(Error::SseCKeyNeeded {
            bucket: uri.bucket.clone(),
            key: uri.key.clone(),
            reason: crate::error::SseCKeyReason::NoneFits,
        });
    }
    Ok(resolved)
}

/// Downloads `uri` to `dest`, decrypting a client-side object.
pub async fn fetch_object(
    conn: &Connection,
    keys: KeysProvider<'_>,
    uri: &S3Uri,
    dest: &Path,
    key_name: Option<String>,
    progress: &Progress,
    cancel: &CancellationToken,
) -> Result<Fetched> {
    let tuning = DownloadTuning::default();
    fetch_object_tuned(conn, keys, uri, dest, key_name, tuning, progress, cancel).await
}

/// [`fetch_object`] with given range sizes and parallelism (a folder download shares its pool
/// out).
#[allow(
    clippy::too_many_arguments,
    reason = "fetch_object's arguments and the tuning"
)]
pub async fn fetch_object_tuned(
    conn: &Connection,
    keys: KeysProvider<'_>,
    uri: &S3Uri,
    dest: &Path,
    key_name: Option<String>,
    tuning: DownloadTuning,
    progress: &Progress,
    cancel: &CancellationToken,
) -> Result<Fetched> {
    uri.require_object()?;
    let resolved = resolve_readable(conn, keys, uri, key_name).await?;
    let metadata = resolved
        .head
        .metadata()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    let opened = match load_envelope(conn, uri, &metadata, true).await? {
        Some((envelope, _)) => Some(open_envelope(conn, &keys()?, uri, envelope).await?),
        None => None,
    };
    let sse_c = resolved.sse_c;
    let version = ObjectVersion::from_head(&resolved.head);
    let request = DownloadRequest {
        uri,
        dest,
        version: &version,
        sse_c: sse_c.as_ref(),
    };
    let outcome = match &opened {
        Some(opened) => {
            download_decrypted(conn, &request, opened, tuning, progress, cancel).await?
        }
        None => download_file(conn, &request, tuning, progress, cancel).await?,
    };
    Ok(Fetched {
        outcome,
        sse_c_key: sse_c.map(|k| k.name),
        client_key: opened.map(|o| o.matching_key),
    })
}
