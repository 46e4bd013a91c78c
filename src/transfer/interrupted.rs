//! Interrupted transfers for a front end to offer: listed from the journal (those no running
//! transfer holds), resumed (the same upload or download again: only the missing parts or
//! ranges are sent, or it starts over and says why), or discarded (an upload aborted on S3, a
//! download's partial file removed; the entry removed).

use std::path::PathBuf;

use serde::Serialize;

use super::download_resume::{self, DownloadRestart};
use super::fetch::{FetchHow, Fetched, fetch_object_as};
use super::journal::{
    Claim, DownloadRecord, EntryId, FileIdentity, Journal, Transfer, UploadRecord,
};
use super::resume::RestartReason;
use super::upload::UploadOutcome;
use super::write_mode::{WriteMode, resolve_write_mode, upload_with_journal};
use crate::error::{Error, Result};
use crate::progress::{CancellationToken, Progress};
use crate::s3::local_keys::KeyAccess;
use crate::s3::{Connection, ReadOptions, ServerSide, uploads};

/// A transfer that stopped before it finished, as the journal recorded it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct InterruptedTransfer {
    /// Pass it to [`resume_transfer`] or [`discard_transfer`].
    #[serde(serialize_with = "as_display")]
    pub id: EntryId,
    pub direction: Direction,
    /// The local file: being uploaded, or downloaded to.
    pub file: PathBuf,
    /// `s3://bucket/key`: uploaded to, or downloaded from.
    pub object: String,
    /// Where the bucket lives (`aws` or `host:port`); resuming needs a connection there.
    pub endpoint: String,
    /// What the object is being encrypted with.
    pub encryption: String,
    pub size: u64,
    pub bytes_done: u64,
    /// Parts (upload) or ranges (download) done, and of the whole.
    pub parts_done: usize,
    pub parts_total: u64,
    /// When the transfer started (RFC 3339).
    pub started: String,
    /// What resuming would do, judged from the local file.
    pub outlook: Outlook,
}

/// Which way a transfer goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Direction {
    Upload,
    Download,
}

/// Why an interrupted transfer would start over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StartOver {
    Upload(RestartReason),
    Download(DownloadRestart),
}

impl StartOver {
    pub fn phrase(self) -> &'static str {
        match self {
            Self::Upload(reason) => reason.phrase(),
            Self::Download(reason) => reason.phrase(),
        }
    }
}

/// What resuming an interrupted transfer would do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "outlook", content = "reason", rename_all = "kebab-case")]
pub enum Outlook {
    /// It continues with the missing parts (after S3 confirms the others) or ranges (after
    /// the partial file's are checked).
    Continues,
    /// It starts from the beginning, for this reason.
    StartsOver(#[serde(serialize_with = "as_phrase")] StartOver),
    /// The file to upload is gone: it can only be discarded.
    SourceMissing,
}

fn as_display<S: serde::Serializer>(id: &EntryId, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(id.as_str())
}

fn as_phrase<S: serde::Serializer>(reason: &StartOver, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(reason.phrase())
}

impl InterruptedTransfer {
    fn of(id: EntryId, record: &UploadRecord) -> Self {
        let restart = |reason| Outlook::StartsOver(StartOver::Upload(reason));
        let outlook = if !record.encryption.resumable() {
            restart(RestartReason::ClientSide)
        } else {
            match FileIdentity::of(&record.source) {
                Err(_) => Outlook::SourceMissing,
                Ok(now) if now != record.file => restart(RestartReason::FileChanged),
                Ok(_) => Outlook::Continues,
            }
        };
        Self {
            id,
            direction: Direction::Upload,
            file: record.source.clone(),
            object: record.dest().to_string(),
            endpoint: record.endpoint.clone(),
            encryption: record.encryption.describe(),
            size: record.file.size,
            bytes_done: record.bytes_done(),
            parts_done: record.parts.len(),
            parts_total: record.parts_total(),
            started: record
                .started
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
            outlook,
        }
    }

    fn of_download(id: EntryId, record: &DownloadRecord) -> Self {
        let restart = |reason| Outlook::StartsOver(StartOver::Download(reason));
        let outlook = match record.partial() {
            None => restart(DownloadRestart::ClientSide),
            Some(partial) if !partial.is_file() => restart(DownloadRestart::PartialMissing),
            Some(_) => Outlook::Continues,
        };
        let (parts_done, parts_total) = record.ranges();
        Self {
            id,
            direction: Direction::Download,
            file: record.dest.clone(),
            object: record.source().to_string(),
            endpoint: record.endpoint.clone(),
            encryption: record.describe(),
            size: record.size,
            bytes_done: record.bytes_done(),
            parts_done,
            parts_total,
            started: record
                .started
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
            outlook,
        }
    }
}

/// The interrupted transfers in `journal`: every entry no running transfer holds, oldest
/// first. Reads only local files (no network), so a window can call it at start.
pub fn interrupted_transfers(journal: &Journal) -> Result<Vec<InterruptedTransfer>> {
    let mut list: Vec<_> = journal
        .entries()?
        .into_iter()
        .filter(|entry| !entry.busy)
        .map(|entry| match &entry.transfer {
            Transfer::Upload(record) => InterruptedTransfer::of(entry.id.clone(), record),
            Transfer::Download(record) => {
                InterruptedTransfer::of_download(entry.id.clone(), record)
            }
        })
        .collect();
    list.sort_by(|a, b| a.started.cmp(&b.started));
    Ok(list)
}

fn recorded(journal: &Journal, id: &EntryId) -> Result<Transfer> {
    journal.read(id)?.ok_or_else(|| Error::NotFound {
        what: "interrupted transfer (it finished or was discarded meanwhile)".to_owned(),
    })
}

fn same_endpoint(conn: &Connection, recorded: &str, what: &str) -> Result<()> {
    let here = conn.place();
    if here == recorded {
        Ok(())
    } else {
        Err(Error::InvalidInput(format!(
            "the {what} was started on {recorded}, and this connection is to {here}: connect there to resume or discard it"
        )))
    }
}

/// What resuming did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resumed {
    Upload(UploadOutcome),
    /// See [`crate::transfer::DownloadOutcome::start`] for what was reused.
    Download(Box<Fetched>),
}

/// Resumes an interrupted transfer. An upload's encryption is resolved again (local keys read
/// from the keyring, so `keys` is needed for SSE-C and local client keys) and the same upload
/// runs: only the missing parts are sent, or it starts over and
/// [`UploadOutcome::continuation`] says why. An SSE-C upload whose key (by name) is no longer
/// the one it started with is refused, never restarted: [`Error::SseCKeyChanged`]. A download
/// runs again to the same file: only the missing ranges are fetched, or it starts over and
/// [`crate::transfer::DownloadOutcome::start`] says why.
pub async fn resume_transfer(
    conn: &Connection,
    keys: &KeyAccess,
    journal: &Journal,
    id: &EntryId,
    progress: &Progress,
    cancel: &CancellationToken,
) -> Result<Resumed> {
    let record = match recorded(journal, id)? {
        Transfer::Upload(record) => record,
        Transfer::Download(record) => {
            same_endpoint(
                conn,
                &record.endpoint,
                &format!("download of {}", record.source()),
            )?;
            let how = FetchHow {
                journal: Some(journal.clone()),
                ..FetchHow::default()
            };
            let fetched = fetch_object_as(
                conn,
                keys,
                &record.source(),
                &record.dest,
                &ReadOptions::default(),
                &how,
                progress,
                cancel,
            )
            .await?;
            return Ok(Resumed::Download(Box::new(fetched)));
        }
    };
    same_endpoint(
        conn,
        &record.endpoint,
        &format!("upload to {}", record.dest()),
    )?;
    let dest = record.dest();
    let mode = resolve_write_mode(conn, keys, &record.encryption.choice(), &dest.bucket).await?;
    if let (
        WriteMode::Server(ServerSide::SseC(key)),
        super::journal::JournalEncryption::SseC { key_md5, .. },
    ) = (&mode, &record.encryption)
        && key.key_md5() != *key_md5
    {
        return Err(Error::SseCKeyChanged {
            uri: record.dest().to_string(),
            name: key.name.clone(),
        });
    }
    upload_with_journal(
        conn,
        &record.source,
        &record.dest(),
        &mode,
        Some(journal),
        progress,
        cancel,
    )
    .await
    .map(Resumed::Upload)
}

/// Discards an interrupted transfer: an upload is aborted on S3 (its parts are freed), a
/// download's partial file removed; then its entry goes. Refused while a transfer holds it.
pub async fn discard_transfer(conn: &Connection, journal: &Journal, id: &EntryId) -> Result<()> {
    let transfer = recorded(journal, id)?;
    let busy = |uri: String| Error::TransferBusy { uri };
    match transfer {
        Transfer::Upload(record) => {
            same_endpoint(
                conn,
                &record.endpoint,
                &format!("upload to {}", record.dest()),
            )?;
            let Claim::Held(entry) = journal.claim(id)? else {
                return Err(busy(record.dest().to_string()));
            };
            uploads::abort(conn, &record.dest(), &record.upload_id).await?;
            entry.remove()
        }
        Transfer::Download(record) => {
            let Claim::Held(entry) = journal.claim(id)? else {
                return Err(busy(record.source().to_string()));
            };
            download_resume::discard_partial(&record);
            entry.remove()
        }
    }
}
