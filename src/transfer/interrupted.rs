//! Interrupted transfers for a front end to offer: listed from the journal (those no running
//! transfer holds), resumed (the same upload again: only the missing parts are sent, or it
//! starts over and says why), or discarded (the upload aborted on S3, the entry removed).

use std::path::PathBuf;

use serde::Serialize;

use super::journal::{Claim, EntryId, FileIdentity, Journal, Transfer, UploadRecord};
use super::resume::RestartReason;
use super::upload::UploadOutcome;
use super::write_mode::{WriteMode, resolve_write_mode, upload_with_journal};
use crate::error::{Error, Result};
use crate::progress::{CancellationToken, Progress};
use crate::s3::local_keys::KeyAccess;
use crate::s3::{Connection, ServerSide, uploads};

/// A transfer that stopped before it finished, as the journal recorded it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct InterruptedTransfer {
    /// Pass it to [`resume_transfer`] or [`discard_transfer`].
    #[serde(serialize_with = "as_display")]
    pub id: EntryId,
    /// The local file being uploaded.
    pub source: PathBuf,
    /// `s3://bucket/key`.
    pub dest: String,
    /// Where the bucket lives (`aws` or `host:port`); resuming needs a connection there.
    pub endpoint: String,
    /// What the object is being encrypted with.
    pub encryption: String,
    pub size: u64,
    pub bytes_done: u64,
    pub parts_done: usize,
    pub parts_total: u64,
    /// When the upload started (RFC 3339).
    pub started: String,
    /// What resuming would do, judged from the local file.
    pub outlook: Outlook,
}

/// What resuming an interrupted transfer would do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "outlook", content = "reason", rename_all = "kebab-case")]
pub enum Outlook {
    /// It continues with the missing parts (after S3 confirms the others).
    Continues,
    /// It starts from the beginning, for this reason.
    StartsOver(#[serde(serialize_with = "as_phrase")] RestartReason),
    /// The file is gone: it can only be discarded.
    SourceMissing,
}

fn as_display<S: serde::Serializer>(id: &EntryId, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(id.as_str())
}

fn as_phrase<S: serde::Serializer>(reason: &RestartReason, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(reason.phrase())
}

impl InterruptedTransfer {
    fn of(id: EntryId, record: &UploadRecord) -> Self {
        let outlook = if !record.encryption.resumable() {
            Outlook::StartsOver(RestartReason::ClientSide)
        } else {
            match FileIdentity::of(&record.source) {
                Err(_) => Outlook::SourceMissing,
                Ok(now) if now != record.file => Outlook::StartsOver(RestartReason::FileChanged),
                Ok(_) => Outlook::Continues,
            }
        };
        Self {
            id,
            source: record.source.clone(),
            dest: record.dest().to_string(),
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
}

/// The interrupted transfers in `journal`: every entry no running transfer holds, oldest
/// first. Reads only local files (no network), so a window can call it at start.
pub fn interrupted_transfers(journal: &Journal) -> Result<Vec<InterruptedTransfer>> {
    let mut list: Vec<_> = journal
        .entries()?
        .into_iter()
        .filter(|entry| !entry.busy)
        .filter_map(|entry| match &entry.transfer {
            Transfer::Upload(record) => Some(InterruptedTransfer::of(entry.id.clone(), record)),
            Transfer::Download(_) => None,
        })
        .collect();
    list.sort_by(|a, b| a.started.cmp(&b.started));
    Ok(list)
}

fn recorded_upload(journal: &Journal, id: &EntryId) -> Result<UploadRecord> {
    match journal.read(id)? {
        Some(Transfer::Upload(record)) => Ok(record),
        Some(Transfer::Download(_)) | None => Err(Error::NotFound {
            what: "interrupted transfer (it finished or was discarded meanwhile)".to_owned(),
        }),
    }
}

fn same_endpoint(conn: &Connection, record: &UploadRecord) -> Result<()> {
    let here = conn.place();
    if here == record.endpoint {
        Ok(())
    } else {
        Err(Error::InvalidInput(format!(
            "the upload to {} was started on {}, and this connection is to {here}: connect there to resume or discard it",
            record.dest(),
            record.endpoint
        )))
    }
}

/// Resumes an interrupted upload: its encryption is resolved again (local keys read from the
/// keyring, so `keys` is needed for SSE-C and local client keys) and the same upload runs:
/// only the missing parts are sent, or it starts over and [`UploadOutcome::continuation`]
/// says why. An SSE-C upload whose key (by name) is no longer the one it started with is
/// refused, never restarted: [`Error::SseCKeyChanged`].
pub async fn resume_transfer(
    conn: &Connection,
    keys: &KeyAccess,
    journal: &Journal,
    id: &EntryId,
    progress: &Progress,
    cancel: &CancellationToken,
) -> Result<UploadOutcome> {
    let record = recorded_upload(journal, id)?;
    same_endpoint(conn, &record)?;
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
}

/// Discards an interrupted upload: aborts it on S3 (its parts are freed) and removes its
/// entry. Refused while a transfer holds it.
pub async fn discard_transfer(conn: &Connection, journal: &Journal, id: &EntryId) -> Result<()> {
    let record = recorded_upload(journal, id)?;
    same_endpoint(conn, &record)?;
    let entry = match journal.claim(id)? {
        Claim::Held(entry) => entry,
        Claim::Busy => {
            return Err(Error::TransferBusy {
                uri: record.dest().to_string(),
            });
        }
    };
    uploads::abort(conn, &record.dest(), &record.upload_id).await?;
    entry.remove()
}
