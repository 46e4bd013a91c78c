//! The journal of transfers in flight: one small JSON file per transfer in
//! `<config dir>/transfers/`, rewritten durably ([`crate::durable`]) as the transfer advances
//! and removed when it completes or is discarded, so that after a crash, a kill or a reboot
//! the same transfer can continue where it stopped (or its leftovers can be cleaned up).
//!
//! A running transfer holds an advisory lock on `<id>.lock` ([`EntryLock`]): another process,
//! or the window's list of interrupted transfers, can tell a transfer in progress from one that
//! was interrupted. The operating system drops the lock when the process dies, even by SIGKILL.
//!
//! Entries hold no secret: names, sizes, ids, checksums, and for SSE-C the key's MD5 only.
//! Multipart uploads ([`upload`]) and ranged downloads ([`download`]) are recorded, each a
//! variant of [`Transfer`] with an id constructor of [`EntryId`].

pub mod download;
pub mod upload;

use std::fmt;
use std::fs::File;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::Digest as _;

use crate::error::{Error, Result};
use crate::keys::KeyManager;
use crate::s3::S3Uri;

pub use download::{DownloadRecord, DownloadState, RangeDone, SseCRead};
pub use upload::{FileIdentity, JournalEncryption, JournalMaster, PartDone, UploadRecord};

/// The journal format this build reads and writes.
const JOURNAL_VERSION: u32 = 1;
/// The journal's folder inside the configuration directory.
const JOURNAL_DIR: &str = "transfers";
/// Attempts at claiming an entry whose lock file is being replaced by another process.
const CLAIM_ATTEMPTS: usize = 5;

/// One transfer in flight, as recorded.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Transfer {
    Upload(UploadRecord),
    Download(DownloadRecord),
}

#[derive(Serialize, Deserialize)]
struct EntryFile {
    version: u32,
    transfer: Transfer,
}

/// Which transfer an entry is: for an upload, its destination (endpoint, bucket, key), so the
/// same `put` finds its own entry again; for a download, its source (a download of the same
/// object elsewhere finds the entry, and starts over). 32 hex digits, safe as a file name.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EntryId(String);

impl EntryId {
    /// The entry of an upload to `dest` on `endpoint` ([`crate::s3::Connection::place`]).
    pub fn for_upload(endpoint: &str, dest: &S3Uri) -> Self {
        Self::digest(&["upload", endpoint, &dest.bucket, &dest.key])
    }

    /// The entry of a download of `source` on `endpoint`.
    pub fn for_download(endpoint: &str, source: &S3Uri) -> Self {
        Self::digest(&["download", endpoint, &source.bucket, &source.key])
    }

    fn digest(parts: &[&str]) -> Self {
        let mut hash = sha2::Sha256::new();
        for part in parts {
            hash.update((part.len() as u64).to_le_bytes());
            hash.update(part.as_bytes());
        }
        Self(hex::encode(&hash.finalize()[..16]))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EntryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for EntryId {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        if s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(Self(s.to_ascii_lowercase()))
        } else {
            Err(Error::InvalidInput(format!(
                "'{s}' is not a transfer id (32 hex digits)"
            )))
        }
    }
}

/// An entry of the journal and whether a running transfer holds it.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub id: EntryId,
    pub transfer: Transfer,
    /// A transfer in progress (in this or another process) holds its lock.
    pub busy: bool,
}

/// Where the journal lives.
#[derive(Clone, Debug)]
pub struct Journal {
    dir: PathBuf,
}

/// The outcome of [`Journal::claim`].
pub enum Claim {
    /// The entry is ours until the lock drops.
    Held(EntryLock),
    /// Another transfer (this process or another) holds it right now.
    Busy,
}

impl Journal {
    /// The journal inside `config_dir`.
    pub fn in_config_dir(config_dir: &Path) -> Self {
        Self {
            dir: config_dir.join(JOURNAL_DIR),
        }
    }

    /// The journal in the default configuration directory (`$S3SEAL_CONFIG_DIR` or the
    /// platform's).
    pub fn default_location() -> Result<Self> {
        Ok(Self::in_config_dir(&KeyManager::default_config_dir()?))
    }

    /// The journal of the default configuration directory, or none (with a warning that
    /// interrupted transfers cannot continue) when there is no such directory.
    pub fn default_or_warn() -> Option<Self> {
        Self::default_location()
            .inspect_err(|err| tracing::warn!(error = %err, "no transfer journal; an interrupted transfer cannot be resumed"))
            .ok()
    }

    /// The journal inside `config_dir` when one is given (the window's, beside its key
    /// catalog), else in the default configuration directory.
    pub fn in_config_dir_or_default(config_dir: Option<&Path>) -> Result<Self> {
        config_dir.map_or_else(Self::default_location, |dir| Ok(Self::in_config_dir(dir)))
    }

    /// The journal's folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn entry_path(&self, id: &EntryId) -> PathBuf {
        self.dir.join(format!("{id}.json"))
    }

    fn lock_path(&self, id: &EntryId) -> PathBuf {
        self.dir.join(format!("{id}.lock"))
    }

    /// Takes the entry `id` for a transfer, without waiting.
    pub fn claim(&self, id: &EntryId) -> Result<Claim> {
        let io = |e| Error::io("cannot use the transfer journal in", &self.dir, e);
        crate::durable::create_private_dir(&self.dir).map_err(io)?;
        let path = self.lock_path(id);
        for _ in 0..CLAIM_ATTEMPTS {
            let file = File::options()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&path)
                .map_err(io)?;
            match file.try_lock() {
                Ok(()) => {}
                Err(std::fs::TryLockError::WouldBlock) => return Ok(Claim::Busy),
                Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
            }
            // The holder before us may have removed the entry (and its lock file) just before
            // we locked: then we hold a lock on a file nobody else will open. Try again.
            if same_file(&file, &path) {
                self.sweep_temp_files(id);
                return Ok(Claim::Held(EntryLock {
                    journal: self.clone(),
                    id: id.clone(),
                    _file: file,
                }));
            }
        }
        Ok(Claim::Busy)
    }

    /// Removes temporary files of `id`'s entry that a process killed mid-write left behind
    /// (only the entry's holder writes them, so none is being written now).
    fn sweep_temp_files(&self, id: &EntryId) {
        let prefix = temp_prefix(id);
        let Ok(listing) = std::fs::read_dir(&self.dir) else {
            return;
        };
        for item in listing.flatten() {
            let name = item.file_name();
            if name
                .to_str()
                .is_some_and(|n| n.starts_with(&prefix) && n.ends_with(".tmp"))
            {
                let _ = std::fs::remove_file(item.path());
            }
        }
    }

    /// Reads an entry without claiming it. `None`: no entry, or one this build cannot read
    /// (logged; its upload still shows among the bucket's incomplete uploads).
    pub fn read(&self, id: &EntryId) -> Result<Option<Transfer>> {
        let path = self.entry_path(id);
        let text = match std::fs::read(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io("cannot read", &path, e)),
        };
        match parse_entry(&text) {
            Ok(Ok(transfer)) => Ok(Some(transfer)),
            Ok(Err(version)) => {
                tracing::warn!(path = %path.display(), version, "transfer journal entry of another format version; ignored");
                Ok(None)
            }
            Err(err) => {
                tracing::warn!(path = %path.display(), error = %err, "unreadable transfer journal entry; ignored");
                Ok(None)
            }
        }
    }

    /// Every entry, each marked busy when a running transfer holds it.
    pub fn entries(&self) -> Result<Vec<Entry>> {
        let listing = match std::fs::read_dir(&self.dir) {
            Ok(listing) => listing,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(Error::io("cannot read", &self.dir, e)),
        };
        let mut entries = Vec::new();
        for item in listing {
            let item = item.map_err(|e| Error::io("cannot read", &self.dir, e))?;
            let name = item.file_name();
            let Some(id) = name
                .to_str()
                .and_then(|n| n.strip_suffix(".json"))
                .and_then(|n| n.parse::<EntryId>().ok())
            else {
                continue;
            };
            let Some(transfer) = self.read(&id)? else {
                continue;
            };
            let busy = match self.claim(&id)? {
                Claim::Busy => true,
                Claim::Held(_) => false,
            };
            entries.push(Entry { id, transfer, busy });
        }
        entries.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(entries)
    }
}

/// An entry file's text: its transfer, or (inner `Err`) the format version it has when that is
/// not the one this build reads.
pub fn parse_entry(text: &[u8]) -> serde_json::Result<std::result::Result<Transfer, u32>> {
    let file = serde_json::from_slice::<EntryFile>(text)?;
    Ok(if file.version == JOURNAL_VERSION {
        Ok(file.transfer)
    } else {
        Err(file.version)
    })
}

/// How the temporary files of an entry's writes begin.
fn temp_prefix(id: &EntryId) -> String {
    format!(".{id}.")
}

#[cfg(unix)]
fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt as _;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(_file: &File, path: &Path) -> bool {
    path.exists()
}

/// A claimed journal entry: while it lives, no other transfer works on the same one.
pub struct EntryLock {
    journal: Journal,
    id: EntryId,
    _file: File,
}

impl EntryLock {
    pub fn id(&self) -> &EntryId {
        &self.id
    }

    /// The entry as recorded (see [`Journal::read`]).
    pub fn read(&self) -> Result<Option<Transfer>> {
        self.journal.read(&self.id)
    }

    /// Records `transfer` durably, replacing what the entry held.
    pub fn write(&self, transfer: &Transfer) -> Result<()> {
        let path = self.journal.entry_path(&self.id);
        let file = EntryFile {
            version: JOURNAL_VERSION,
            transfer: transfer.clone(),
        };
        let json = serde_json::to_vec_pretty(&file)
            .map_err(|e| Error::Internal(format!("cannot encode a journal entry: {e}")))?;
        crate::durable::write_atomic(&path, &temp_prefix(&self.id), &json)
            .map_err(|e| Error::io("cannot write", &path, e))
    }

    /// Removes what the entry recorded, keeping the claim (a transfer that starts over).
    pub fn clear(&self) -> Result<()> {
        let path = self.journal.entry_path(&self.id);
        crate::durable::remove(&path).map_err(|e| Error::io("cannot remove", &path, e))
    }

    /// Removes the entry (the transfer completed or was discarded), then its lock.
    pub fn remove(self) -> Result<()> {
        self.clear()?;
        let lock = self.journal.lock_path(&self.id);
        crate::durable::remove(&lock).map_err(|e| Error::io("cannot remove", &lock, e))
    }
}

/// What the tasks of one transfer share: its claimed entry and what they record in it.
pub trait HoldsEntry {
    fn entry(&self) -> &EntryLock;
    fn into_entry(self) -> EntryLock;
}

/// The transfer is over: the last holder of `shared` removes the entry with its lock file; while
/// others still hold it, only the entry goes. Runs on a blocking thread; `what` names the
/// transfer in a warning.
pub async fn release<T: HoldsEntry + Send + 'static>(
    shared: std::sync::Arc<std::sync::Mutex<T>>,
    what: &'static str,
) {
    use std::sync::PoisonError;
    let _ = tokio::task::spawn_blocking(move || {
        let removed = match std::sync::Arc::try_unwrap(shared) {
            Ok(state) => state
                .into_inner()
                .unwrap_or_else(PoisonError::into_inner)
                .into_entry()
                .remove(),
            Err(shared) => shared
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .entry()
                .clear(),
        };
        if let Err(err) = removed {
            tracing::warn!(error = %err, "cannot remove the finished {what} from the transfer journal");
        }
    })
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transfer::journal::upload::tests::sample_record;

    #[test]
    fn entries_round_trip_and_are_claimed_once() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::in_config_dir(dir.path());
        assert!(journal.entries().unwrap().is_empty());
        let dest = S3Uri::new("b", "k");
        let id = EntryId::for_upload("127.0.0.1:4566", &dest);
        assert_ne!(id, EntryId::for_upload("aws", &dest));
        assert_ne!(id, EntryId::for_download("127.0.0.1:4566", &dest));
        assert_ne!(
            id,
            EntryId::for_upload("127.0.0.1:4566", &S3Uri::new("bk", ""))
        );
        let Claim::Held(lock) = journal.claim(&id).unwrap() else {
            panic!("a fresh entry is free");
        };
        assert!(matches!(journal.claim(&id).unwrap(), Claim::Busy));
        let transfer = Transfer::Upload(sample_record());
        lock.write(&transfer).unwrap();
        let listed = journal.entries().unwrap();
        assert_eq!(listed.len(), 1);
        assert!(listed[0].busy);
        assert_eq!(listed[0].transfer, transfer);
        drop(lock);
        let listed = journal.entries().unwrap();
        assert!(!listed[0].busy, "the lock dies with its holder");
        // A write a kill interrupted leaves a temporary file; the next holder sweeps it.
        let torn = journal.dir().join(format!(".{id}.AbCdEf.tmp"));
        std::fs::write(&torn, b"{\"half").unwrap();
        let Claim::Held(lock) = journal.claim(&id).unwrap() else {
            panic!("free again");
        };
        assert!(!torn.exists());
        assert_eq!(lock.read().unwrap(), Some(transfer));
        lock.remove().unwrap();
        assert!(journal.entries().unwrap().is_empty());
        assert_eq!(std::fs::read_dir(journal.dir()).unwrap().count(), 0);
    }

    #[test]
    fn ids_are_file_safe() {
        assert!("../../etc/passwd".parse::<EntryId>().is_err());
        let id = EntryId::for_upload("aws", &S3Uri::new("b", "a/../k"));
        assert_eq!(id.as_str().parse::<EntryId>().unwrap(), id);
    }

    /// Found with the `transfer_journal` fuzz target: an entry edited (or damaged) to hold
    /// lengths whose sum overflows made `bytes_done` panic (debug) or wrap (release) where the
    /// list of interrupted transfers reads it.
    #[test]
    fn fail_overflowing_lengths_saturate() {
        const DOWNLOAD: &str = r#"{"version":1,"transfer":{"kind":"download","endpoint":"aws","bucket":"b","key":"k","etag":"e","size":100,"dest":"/d","started":"2026-01-01T00:00:00Z","state":{"resume":"ranges","sse_c":null,"partial":"/.s3seal-dl-x.part","range_size":16,"done":[{"start":0,"len":18446744073709551615,"crc64nvme":5},{"start":16,"len":16,"crc64nvme":6}]}}}"#;
        const UPLOAD: &str = r#"{"version":1,"transfer":{"kind":"upload","endpoint":"aws","bucket":"b","key":"k","upload_id":"u","source":"/f","file":{"size":1,"modified_secs":0,"modified_nanos":0},"part_size":5242880,"encryption":{"mode":"sse-s3"},"started":"2026-01-01T00:00:00Z","parts":[{"number":1,"size":18446744073709551615,"etag":"a"},{"number":2,"size":1,"etag":"b"}]}}"#;
        for text in [DOWNLOAD, UPLOAD] {
            let transfer = parse_entry(text.as_bytes()).unwrap().unwrap();
            let done = match &transfer {
                Transfer::Download(record) => record.bytes_done(),
                Transfer::Upload(record) => record.bytes_done(),
            };
            assert_eq!(done, u64::MAX, "{text}");
        }
    }

    #[test]
    fn unreadable_entries_are_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::in_config_dir(dir.path());
        std::fs::create_dir_all(journal.dir()).unwrap();
        let id = EntryId::for_upload("aws", &S3Uri::new("b", "k"));
        std::fs::write(journal.dir().join(format!("{id}.json")), b"{not json").unwrap();
        std::fs::write(journal.dir().join("notes.txt"), b"x").unwrap();
        assert!(journal.entries().unwrap().is_empty());
        assert_eq!(journal.read(&id).unwrap(), None);
    }
}
