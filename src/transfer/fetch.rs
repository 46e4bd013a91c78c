//! Downloading an object the way a person means it, for every front end: the SSE-C key found
//! as the key-trust rules allow, a client-side envelope opened (a trusted KMS key, a local key)
//! and decrypted, and the file put in place only once everything verified.

use std::path::Path;

use std::collections::BTreeMap;

use aws_sdk_s3::types::ChecksumMode;

use super::download::{
    DownloadOutcome, DownloadRequest, ObjectVersion, download_answered, download_decrypted,
    download_file,
};
use super::journal::Journal;
use super::ranged::{DownloadTuning, get_error};
use crate::error::{Error, Result};
use crate::progress::{CancellationToken, Progress};
use crate::s3::client_envelope::{InstructionProbe, load_envelope};
use crate::s3::client_master::{Opener, open_envelope};
use crate::s3::inspect::{self, Resolved};
use crate::s3::{Connection, KeyAccess, ReadOptions, S3Uri};

/// A finished download and how it was opened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fetched {
    pub outcome: DownloadOutcome,
    /// The SSE-C key used, by local name.
    pub sse_c_key: Option<String>,
    /// Client-side: what opened the data key.
    pub client_key: Option<Opener>,
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
            Some(Opener::LocalKey(name)) => {
                notes.push(format!("decrypted with local key '{name}', tag verified"));
            }
            Some(Opener::Kms(key)) => {
                notes.push(format!("decrypted with KMS, tag verified (KMS key {key})"));
            }
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

/// HEADs `uri` with the SSE-C key it needs, if it needs one and one may be sent; an SSE-C object
/// whose key is not at hand is an error that says why.
pub async fn resolve_readable(
    conn: &Connection,
    keys: &KeyAccess,
    uri: &S3Uri,
    read: &ReadOptions,
) -> Result<Resolved> {
    let resolved = inspect::resolve(conn, keys, uri, &read.keys).await?;
    readable(conn, uri, resolved)
}

/// A resolved object, or why it cannot be read: an SSE-C object without its key.
fn readable(conn: &Connection, uri: &S3Uri, resolved: Resolved) -> Result<Resolved> {
    if resolved.sse_c.is_none() && resolved.sse_c_status.is_some() {
        conn.ensure_sse_c_allowed()?;
    }
    resolved.require_sse_c(uri)?;
    Ok(resolved)
}

/// Downloads `uri` to `dest`, decrypting a client-side object.
pub async fn fetch_object(
    conn: &Connection,
    keys: &KeyAccess,
    uri: &S3Uri,
    dest: &Path,
    read: &ReadOptions,
    progress: &Progress,
    cancel: &CancellationToken,
) -> Result<Fetched> {
    let how = FetchHow::default();
    fetch_object_as(conn, keys, uri, dest, read, &how, progress, cancel).await
}

/// How a download goes beyond what the person asked: range sizes and parallelism (a folder
/// download shares its pool out), what a listing already told about instruction files, and the
/// journal that lets an interrupted ranged download continue.
#[derive(Clone, Debug)]
pub struct FetchHow {
    pub tuning: DownloadTuning,
    pub instruction: InstructionProbe,
    /// `None`: an interrupted download starts over.
    pub journal: Option<Journal>,
}

impl Default for FetchHow {
    /// The journal in the default configuration directory.
    fn default() -> Self {
        Self {
            tuning: DownloadTuning::default(),
            instruction: InstructionProbe::Ask,
            journal: Journal::default_or_warn(),
        }
    }
}

/// [`fetch_object`], done `how` says.
#[allow(
    clippy::too_many_arguments,
    reason = "fetch_object's arguments and how"
)]
pub async fn fetch_object_as(
    conn: &Connection,
    keys: &KeyAccess,
    uri: &S3Uri,
    dest: &Path,
    read: &ReadOptions,
    how: &FetchHow,
    progress: &Progress,
    cancel: &CancellationToken,
) -> Result<Fetched> {
    uri.require_object()?;
    let resolved = resolve_readable(conn, keys, uri, read).await?;
    fetch_resolved(conn, keys, uri, dest, read, how, resolved, progress, cancel).await
}

/// [`fetch_object_as`] once the object is resolved (HEADed, with its SSE-C key if it needs one).
#[allow(
    clippy::too_many_arguments,
    reason = "fetch_object_as's arguments and what resolving found"
)]
async fn fetch_resolved(
    conn: &Connection,
    keys: &KeyAccess,
    uri: &S3Uri,
    dest: &Path,
    read: &ReadOptions,
    how: &FetchHow,
    resolved: Resolved,
    progress: &Progress,
    cancel: &CancellationToken,
) -> Result<Fetched> {
    let metadata = resolved.metadata();
    let opened = match load_envelope(conn, uri, &metadata, how.instruction).await? {
        Some(loaded) => Some(open_envelope(conn, keys, uri, loaded.envelope, read).await?),
        None => None,
    };
    let sse_c = resolved.sse_c;
    let version = ObjectVersion::from_head(&resolved.head);
    let request = DownloadRequest {
        uri,
        dest,
        version: &version,
        sse_c: sse_c.as_ref(),
        journal: how.journal.as_ref(),
    };
    let tuning = how.tuning;
    let outcome = match &opened {
        Some(opened) => {
            download_decrypted(conn, &request, opened, tuning, progress, cancel).await?
        }
        None => download_file(conn, &request, tuning, progress, cancel).await?,
    };
    Ok(Fetched {
        outcome,
        sse_c_key: sse_c.map(|k| k.name),
        client_key: opened.map(|o| o.opener),
    })
}

/// What a listing said of an object: enough to fetch a small one with a single request.
#[derive(Clone, Copy, Debug)]
pub struct Listed<'a> {
    pub size: u64,
    pub etag: &'a str,
}

/// [`fetch_object_as`] for an object a listing just showed (`listed`, when the listing gave its
/// ETag). A small one (below the ranged threshold) costs one request, not two: a GET pinned to the listed ETag, asked for its
/// checksum, whose own headers say what the object is (its envelope in the metadata for a
/// client-side object) — no HEAD first. An SSE-C object answers that GET "key needed"; it then
/// goes the usual way, its key found as the key-trust rules allow (so a key is still never
/// guessed at it), as does an object that changed since the listing or a large one.
#[allow(
    clippy::too_many_arguments,
    reason = "fetch_object_as's arguments and what was listed"
)]
pub async fn fetch_listed(
    conn: &Connection,
    keys: &KeyAccess,
    uri: &S3Uri,
    dest: &Path,
    read: &ReadOptions,
    how: &FetchHow,
    listed: Option<Listed<'_>>,
    progress: &Progress,
    cancel: &CancellationToken,
) -> Result<Fetched> {
    let usual = || fetch_object_as(conn, keys, uri, dest, read, how, progress, cancel);
    let Some(listed) = listed.filter(|l| l.size < how.tuning.ranged_threshold) else {
        return usual().await;
    };
    uri.require_object()?;
    let sent = conn
        .s3()
        .get_object()
        .bucket(&uri.bucket)
        .key(&uri.key)
        .if_match(listed.etag)
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .map_err(|err| get_error(uri, None, err));
    let mut answer = match sent {
        Ok(answer) => answer,
        Err(Error::SseCKeyNeeded { .. }) => {
            // S3 said why (InvalidRequest): the object is SSE-C, so no keyless HEAD is needed
            // to learn it; its key is looked for as for any SSE-C object.
            let resolved = inspect::resolve_sse_c(conn, keys, uri, &read.keys).await?;
            let resolved = readable(conn, uri, resolved)?;
            let fetched =
                fetch_resolved(conn, keys, uri, dest, read, how, resolved, progress, cancel);
            return fetched.await;
        }
        Err(Error::ObjectChanged { .. }) => return usual().await,
        Err(err) => return Err(err),
    };
    let metadata: BTreeMap<String, String> = answer
        .metadata()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    let opened = match load_envelope(conn, uri, &metadata, how.instruction).await? {
        Some(loaded) => Some(open_envelope(conn, keys, uri, loaded.envelope, read).await?),
        None => None,
    };
    let version = ObjectVersion::from_get(&answer);
    let body = std::mem::take(&mut answer.body);
    let request = DownloadRequest {
        uri,
        dest,
        version: &version,
        sse_c: None,
        journal: how.journal.as_ref(),
    };
    let outcome =
        download_answered(conn, &request, opened.as_ref(), body, progress, cancel).await?;
    Ok(Fetched {
        outcome,
        sse_c_key: None,
        client_key: opened.map(|o| o.opener),
    })
}
