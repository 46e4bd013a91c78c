//! Downloading an object the way a person means it, for every front end: the SSE-C key found
//! as the key-trust rules allow, a client-side envelope opened (a trusted KMS key, a local key)
//! and decrypted, and the file put in place only once everything verified.

use std::path::Path;

use super::download::{
    DownloadOutcome, DownloadRequest, ObjectVersion, download_decrypted, download_file,
};
use super::journal::Journal;
use super::ranged::DownloadTuning;
use crate::error::Result;
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
