//! A job's journal (`journal.jsonl`), appended by one writer thread: lines in order, made
//! durable in batches (one fsync for every line that queued up meanwhile), each `start`
//! acknowledged only once it is on disk.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write as _};
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use tokio::sync::oneshot;

use super::store::{Entry, JOURNAL_FILE, JobLock};
use crate::error::{Error, Result};

/// The job's journal, written by one thread: lines are appended in order and made durable in
/// batches (one fsync for every line that queued up meanwhile).
pub struct Journal {
    tx: Option<mpsc::Sender<Message>>,
    thread: Option<std::thread::JoinHandle<std::result::Result<(), String>>>,
    file: Option<File>,
    path: PathBuf,
    _lock: JobLock,
}

enum Message {
    Entry(
        Entry,
        Option<oneshot::Sender<std::result::Result<(), String>>>,
    ),
}

impl Journal {
    /// Opens the journal of the locked job for appending (no writer thread yet: see
    /// [`Journal::start_writer`]).
    pub(super) fn open(dir: &Path, lock: JobLock) -> Result<Self> {
        let path = dir.join(JOURNAL_FILE);
        let file = OpenOptions::new()
            .append(true)
            .open(&path)
            .map_err(|e| Error::io("cannot open", &path, e))?;
        Ok(Self {
            tx: None,
            thread: None,
            file: Some(file),
            path,
            _lock: lock,
        })
    }

    /// Opens the journal of the job `lock` holds, with its writer thread.
    pub fn writer(lock: JobLock) -> Result<Self> {
        let dir = lock.dir.clone();
        let mut journal = Self::open(&dir, lock)?;
        journal.start_writer()?;
        Ok(journal)
    }

    fn start_writer(&mut self) -> Result<()> {
        let Some(file) = self.file.take() else {
            return Err(Error::Internal("journal writer started twice".to_owned()));
        };
        let (tx, rx) = mpsc::channel::<Message>();
        let path = self.path.clone();
        let thread = std::thread::Builder::new()
            .name("s3seal-journal".to_owned())
            .spawn(move || write_loop(file, &path, &rx))
            .map_err(|e| Error::Internal(format!("cannot start the journal writer: {e}")))?;
        self.tx = Some(tx);
        self.thread = Some(thread);
        Ok(())
    }

    /// Appends `entry` from this thread and fsyncs (no writer thread running).
    pub(super) fn append_now(&mut self, entry: &Entry) -> Result<()> {
        let file = self
            .file
            .as_mut()
            .ok_or_else(|| Error::Internal("journal already has a writer".to_owned()))?;
        let mut line = serde_json::to_vec(entry)
            .map_err(|e| Error::Internal(format!("cannot encode a journal line: {e}")))?;
        line.push(b'\n');
        file.write_all(&line)
            .and_then(|()| file.sync_data())
            .map_err(|e| Error::io("cannot write", &self.path, e))
    }

    fn send(
        &self,
        entry: Entry,
        ack: Option<oneshot::Sender<std::result::Result<(), String>>>,
    ) -> Result<()> {
        self.tx
            .as_ref()
            .and_then(|tx| tx.send(Message::Entry(entry, ack)).ok())
            .ok_or_else(|| self.stopped())
    }

    fn stopped(&self) -> Error {
        Error::Internal(format!(
            "the journal writer of {} stopped",
            self.path.display()
        ))
    }

    /// Appends `entry` and waits until it is on disk.
    pub async fn durable(&self, entry: Entry) -> Result<()> {
        let (ack, done) = oneshot::channel();
        self.send(entry, Some(ack))?;
        match done.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(reason)) => Err(Error::io(
                "cannot write",
                &self.path,
                std::io::Error::other(reason),
            )),
            Err(_) => Err(self.stopped()),
        }
    }

    /// Appends `entry`; it reaches the disk with the next batch.
    pub fn queue(&self, entry: Entry) -> Result<()> {
        self.send(entry, None)
    }

    /// Flushes everything queued, stops the writer and releases the job.
    pub async fn close(mut self) -> Result<()> {
        drop(self.tx.take());
        let Some(thread) = self.thread.take() else {
            return Ok(());
        };
        let path = self.path.clone();
        let joined = tokio::task::spawn_blocking(move || thread.join())
            .await
            .map_err(|e| Error::Internal(format!("journal writer: {e}")))?;
        match joined {
            Ok(Ok(())) => Ok(()),
            Ok(Err(reason)) => Err(Error::io(
                "cannot write",
                &path,
                std::io::Error::other(reason),
            )),
            Err(_) => Err(Error::Internal("the journal writer panicked".to_owned())),
        }
    }
}

/// The writer thread: takes every message that is waiting, writes them, fsyncs once, then
/// acknowledges them. After a write error every later entry is refused with it.
fn write_loop(
    file: File,
    path: &Path,
    rx: &mpsc::Receiver<Message>,
) -> std::result::Result<(), String> {
    let mut out = BufWriter::new(file);
    let mut failed: Option<String> = None;
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        batch.extend(rx.try_iter());
        let mut acks = Vec::new();
        if failed.is_none() {
            for Message::Entry(entry, _) in &batch {
                let written = serde_json::to_writer(&mut out, entry)
                    .map_err(|e| e.to_string())
                    .and_then(|()| out.write_all(b"\n").map_err(|e| e.to_string()));
                if let Err(e) = written {
                    failed = Some(e);
                    break;
                }
            }
            if failed.is_none()
                && let Err(e) = out.flush().and_then(|()| out.get_ref().sync_data())
            {
                failed = Some(e.to_string());
            }
            if let Some(reason) = &failed {
                tracing::error!(path = %path.display(), %reason, "job journal not written");
            }
        }
        for Message::Entry(_, ack) in batch {
            acks.extend(ack);
        }
        for ack in acks {
            let _ = ack.send(failed.clone().map_or(Ok(()), Err));
        }
    }
    failed.map_or(Ok(()), Err)
}
