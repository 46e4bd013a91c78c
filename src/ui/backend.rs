//! The bridge between the window and the library: the UI sends [`Command`]s over a bounded
//! channel to tasks on the background tokio runtime; results come back as [`Event`]s over a
//! bounded channel, each followed by `request_repaint()`. Nothing here draws.
//!
//! Work that can be abandoned carries a [`CancellationToken`]: the UI keeps the matching
//! [`RequestHandle`], and dropping the handle cancels the work.

use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::{Semaphore, mpsc};

use super::bucket_tasks::{self, BucketEvent, BucketOp};
use super::keys_worker::{KeysSlot, key_op};
use super::ops::{self, EncryptionChoice};
pub use super::request::{RequestHandle, Requested};
use crate::error::{Error, Result};
use crate::keys::{ExportFormat, KeyKind, KeyRecord, KeySource};
use crate::progress::or_cancelled;
use crate::progress::{CancellationToken, Progress};
use crate::s3::bucket::audit::AuditReport;
use crate::s3::inspect::ObjectInfo;
use crate::s3::kms::{self, KmsKeyChoice};
use crate::s3::listing::{self, BucketEntry, ListPage};
use crate::s3::{ConnectOptions, Connection, S3Uri};
use crate::transfer::write_mode::resolve_write_mode;

/// Commands queued but not yet picked up; beyond this the UI is told the app is busy.
const COMMAND_CAPACITY: usize = 512;
/// Events not yet drawn; tasks wait (not the UI) when the window falls behind.
const EVENT_CAPACITY: usize = 1024;
/// HEAD requests for encryption badges in flight at once.
pub const HEAD_CONCURRENCY: usize = 8;
/// Objects per listing page (S3's maximum).
const LIST_PAGE_SIZE: i32 = 1000;

/// Identifies one transfer row.
pub type TransferId = u64;

/// Operations on the local key catalog and keyring.
pub enum KeyOp {
    List,
    Generate {
        name: String,
        kind: KeyKind,
    },
    Import {
        name: String,
        kind: KeyKind,
        source: KeySource,
    },
    Export {
        name: String,
        path: PathBuf,
        format: ExportFormat,
    },
    Rename {
        old: String,
        new: String,
    },
    Delete {
        name: String,
    },
}

/// What the UI asks the background to do.
pub enum Command {
    Connect(ConnectOptions),
    ListProfiles,
    ListBuckets,
    ListObjects {
        bucket: String,
        prefix: String,
        generation: u64,
        cancel: CancellationToken,
    },
    /// HEAD for an encryption badge (bounded concurrency).
    Head {
        uri: S3Uri,
        cancel: CancellationToken,
    },
    /// HEAD for the inspector.
    Inspect {
        uri: S3Uri,
        cancel: CancellationToken,
    },
    ListKms,
    Upload {
        id: TransferId,
        path: PathBuf,
        dest: S3Uri,
        encryption: EncryptionChoice,
        progress: Progress,
        cancel: CancellationToken,
    },
    Download {
        id: TransferId,
        uri: S3Uri,
        dest: PathBuf,
        progress: Progress,
        cancel: CancellationToken,
    },
    Rekey {
        id: TransferId,
        uri: S3Uri,
        encryption: EncryptionChoice,
        progress: Progress,
        cancel: CancellationToken,
    },
    Delete {
        uri: S3Uri,
    },
    Keys(KeyOp),
    /// Bucket security, policy changes, upload preview, audit.
    Bucket(BucketOp),
    /// Write an audit's rows as CSV (no connection needed).
    SaveAuditCsv {
        path: PathBuf,
        report: Arc<AuditReport>,
    },
}

/// What the connection turned out to be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectionInfo {
    pub region: Option<String>,
    pub endpoint: Option<String>,
    pub plain_http: bool,
}

/// Results coming back to the UI.
pub enum Event {
    Connected(Result<ConnectionInfo>),
    Profiles(Vec<String>),
    Buckets(Result<Vec<BucketEntry>>),
    ListPage {
        generation: u64,
        page: ListPage,
    },
    ListDone {
        generation: u64,
        result: Result<()>,
    },
    Head {
        uri: S3Uri,
        result: Result<ObjectInfo>,
    },
    Inspected {
        uri: S3Uri,
        result: Result<ObjectInfo>,
    },
    KmsKeys(Result<Vec<KmsKeyChoice>>),
    TransferDone {
        id: TransferId,
        result: Result<String>,
    },
    Deleted {
        uri: S3Uri,
        result: Result<()>,
    },
    KeysListed(Result<Vec<KeyRecord>>),
    KeyOpDone {
        what: String,
        result: Result<String>,
    },
    Bucket(BucketEvent),
}

/// Where the background work runs.
pub enum Runtime {
    /// A runtime the caller already runs (the binary's `s3seal-io` threads).
    Handle(tokio::runtime::Handle),
    /// Start one owned by the backend (tests, benches).
    Own,
}

/// The UI's end of the bridge.
pub struct Backend {
    commands: mpsc::Sender<Command>,
    events: mpsc::Receiver<Event>,
    shutdown: CancellationToken,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Backend {
    /// Starts the dispatcher. `config_dir` overrides where the key catalog lives.
    pub fn start(
        runtime: Runtime,
        ctx: egui::Context,
        config_dir: Option<PathBuf>,
    ) -> Result<Self> {
        let (owned, handle) = match runtime {
            Runtime::Handle(handle) => (None, handle),
            Runtime::Own => {
                let rt = tokio::runtime::Builder::new_multi_thread()
                    .enable_all()
                    .worker_threads(2)
                    .thread_name("s3seal-io")
                    .build()
                    .map_err(|e| Error::Internal(format!("cannot start the I/O runtime: {e}")))?;
                let handle = rt.handle().clone();
                (Some(rt), handle)
            }
        };
        let (commands, command_rx) = mpsc::channel(COMMAND_CAPACITY);
        let (event_tx, events) = mpsc::channel(EVENT_CAPACITY);
        let shutdown = CancellationToken::new();
        let worker = Worker {
            emit: Emitter { tx: event_tx, ctx },
            conn: None,
            keys: Arc::new(KeysSlot {
                access: crate::s3::KeyAccess::platform(config_dir),
            }),
            heads: Arc::new(Semaphore::new(HEAD_CONCURRENCY)),
            shutdown: shutdown.clone(),
        };
        handle.spawn(worker.run(command_rx));
        Ok(Self {
            commands,
            events,
            shutdown,
            runtime: owned,
        })
    }

    /// Queues a command without waiting. Fails only when the queue is full or closed.
    pub fn send(&self, command: Command) -> std::result::Result<(), String> {
        self.commands.try_send(command).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => {
                "too many requests are waiting; try again in a moment".to_owned()
            }
            mpsc::error::TrySendError::Closed(_) => {
                "the background worker stopped; restart s3seal".to_owned()
            }
        })
    }

    /// The next result, if one has arrived.
    pub fn try_recv(&mut self) -> Option<Event> {
        self.events.try_recv().ok()
    }
}

impl Drop for Backend {
    fn drop(&mut self) {
        self.shutdown.cancel();
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

/// The dispatcher: owns the connection, spawns one task per command.
struct Worker {
    emit: Emitter,
    conn: Option<Arc<Connection>>,
    keys: Arc<KeysSlot>,
    heads: Arc<Semaphore>,
    shutdown: CancellationToken,
}

impl Worker {
    async fn run(mut self, mut commands: mpsc::Receiver<Command>) {
        loop {
            let command = tokio::select! {
                () = self.shutdown.cancelled() => break,
                command = commands.recv() => command,
            };
            match command {
                Some(command) => self.handle(command).await,
                None => break,
            }
        }
    }

    fn connection(&self) -> Result<Arc<Connection>> {
        self.conn.clone().ok_or_else(|| {
            Error::InvalidInput("not connected: pick a connection and press Connect".to_owned())
        })
    }

    async fn handle(&mut self, command: Command) {
        let emit = self.emit.clone();
        match command {
            Command::Connect(options) => {
                // Connecting reads config files but does no network I/O: done in line so the
                // commands queued after it see the new connection.
                let result = Connection::connect(&options).await.map(|conn| {
                    let info = ConnectionInfo {
                        region: conn.region().map(str::to_owned),
                        endpoint: conn.s3_endpoint().map(str::to_owned),
                        plain_http: conn.is_plain_http(),
                    };
                    self.conn = Some(Arc::new(conn));
                    info
                });
                if result.is_err() {
                    self.conn = None;
                }
                emit.emit(Event::Connected(result)).await;
            }
            Command::ListProfiles => {
                tokio::spawn(async move {
                    let profiles = tokio::task::spawn_blocking(super::profiles::aws_profiles)
                        .await
                        .unwrap_or_default();
                    emit.emit(Event::Profiles(profiles)).await;
                });
            }
            Command::Keys(op) => {
                let keys = self.keys.clone();
                tokio::spawn(async move { key_op(keys, op, emit).await });
            }
            Command::SaveAuditCsv { path, report } => {
                tokio::spawn(bucket_tasks::save_csv(path, report, emit));
            }
            other => match self.connection() {
                Ok(conn) => self.spawn_s3(conn, other),
                Err(err) => fail(emit, other, err).await,
            },
        }
    }

    fn spawn_s3(&self, conn: Arc<Connection>, command: Command) {
        let emit = self.emit.clone();
        let keys = self.keys.clone();
        match command {
            Command::ListBuckets => {
                tokio::spawn(async move {
                    let result = listing::list_buckets(&conn).await;
                    emit.emit(Event::Buckets(result)).await;
                });
            }
            Command::ListObjects {
                bucket,
                prefix,
                generation,
                cancel,
            } => {
                tokio::spawn(async move {
                    let result =
                        list_objects(&conn, &bucket, &prefix, generation, &cancel, &emit).await;
                    if !cancel.is_cancelled() {
                        emit.emit(Event::ListDone { generation, result }).await;
                    }
                });
            }
            Command::Head { uri, cancel } => {
                let heads = self.heads.clone();
                tokio::spawn(async move {
                    let work = async {
                        let _permit = heads.acquire_owned().await.map_err(|_| Error::Cancelled)?;
                        keys.inspect(&conn, &uri).await
                    };
                    let result = or_cancelled(&cancel, work).await;
                    if !cancel.is_cancelled() {
                        emit.emit(Event::Head { uri, result }).await;
                    }
                });
            }
            Command::Inspect { uri, cancel } => {
                tokio::spawn(async move {
                    // The inspector also reads the client-side envelope (which may live in an
                    // instruction file); badges stay with one HEAD per row.
                    let read = crate::s3::ReadOptions::default();
                    let work = crate::s3::inspect_fully(&conn, &keys.access, &uri, &read);
                    let result = or_cancelled(&cancel, work).await;
                    if !cancel.is_cancelled() {
                        emit.emit(Event::Inspected { uri, result }).await;
                    }
                });
            }
            Command::ListKms => {
                tokio::spawn(async move {
                    let result = kms::list_kms_keys(&conn).await;
                    emit.emit(Event::KmsKeys(result)).await;
                });
            }
            Command::Upload {
                id,
                path,
                dest,
                encryption,
                progress,
                cancel,
            } => {
                tokio::spawn(async move {
                    let work = async {
                        let mode =
                            resolve_write_mode(&conn, &keys.access, &encryption, &dest.bucket)
                                .await?;
                        ops::upload(&conn, &path, &dest, &mode, &progress, &cancel).await
                    };
                    let result = or_cancelled(&cancel, work).await;
                    emit.emit(Event::TransferDone { id, result }).await;
                });
            }
            Command::Download {
                id,
                uri,
                dest,
                progress,
                cancel,
            } => {
                tokio::spawn(async move {
                    let work = ops::download(&conn, &keys.access, &uri, &dest, &progress, &cancel);
                    let result = or_cancelled(&cancel, work).await;
                    emit.emit(Event::TransferDone { id, result }).await;
                });
            }
            Command::Rekey {
                id,
                uri,
                encryption,
                progress,
                cancel,
            } => {
                tokio::spawn(async move {
                    let work =
                        ops::rekey(&conn, &keys.access, &uri, &encryption, &progress, &cancel);
                    let result = or_cancelled(&cancel, work).await;
                    emit.emit(Event::TransferDone { id, result }).await;
                });
            }
            Command::Delete { uri } => {
                tokio::spawn(async move {
                    let result = ops::delete_object(&conn, &uri).await;
                    emit.emit(Event::Deleted { uri, result }).await;
                });
            }
            Command::Bucket(op) => {
                tokio::spawn(bucket_tasks::run(conn, keys, op, emit));
            }
            Command::Connect(_)
            | Command::ListProfiles
            | Command::Keys(_)
            | Command::SaveAuditCsv { .. } => {}
        }
    }
}

/// Answers a command that could not start with the event the UI waits for.
async fn fail(emit: Emitter, command: Command, err: Error) {
    let event = match command {
        Command::ListBuckets => Event::Buckets(Err(err)),
        Command::ListObjects { generation, .. } => Event::ListDone {
            generation,
            result: Err(err),
        },
        Command::Head { uri, .. } => Event::Head {
            uri,
            result: Err(err),
        },
        Command::Inspect { uri, .. } => Event::Inspected {
            uri,
            result: Err(err),
        },
        Command::ListKms => Event::KmsKeys(Err(err)),
        Command::Upload { id, .. } | Command::Download { id, .. } | Command::Rekey { id, .. } => {
            Event::TransferDone {
                id,
                result: Err(err),
            }
        }
        Command::Delete { uri } => Event::Deleted {
            uri,
            result: Err(err),
        },
        Command::Connect(_) => Event::Connected(Err(err)),
        Command::ListProfiles => Event::Profiles(Vec::new()),
        Command::Keys(_) => Event::KeysListed(Err(err)),
        Command::Bucket(op) => Event::Bucket(bucket_tasks::failed(op, err)),
        Command::SaveAuditCsv { path, .. } => Event::Bucket(BucketEvent::Saved {
            path,
            result: Err(err),
        }),
    };
    emit.emit(event).await;
}

async fn list_objects(
    conn: &Connection,
    bucket: &str,
    prefix: &str,
    generation: u64,
    cancel: &CancellationToken,
    emit: &Emitter,
) -> Result<()> {
    use futures::StreamExt as _;
    let mut pages = std::pin::pin!(listing::list_objects(
        conn,
        bucket,
        prefix,
        Some("/"),
        Some(LIST_PAGE_SIZE)
    ));
    loop {
        let page = tokio::select! {
            () = cancel.cancelled() => return Err(Error::Cancelled),
            page = pages.next() => page,
        };
        match page {
            Some(page) => {
                emit.emit(Event::ListPage {
                    generation,
                    page: page?,
                })
                .await
            }
            None => return Ok(()),
        }
    }
}

/// Sends events and wakes the UI.
#[derive(Clone)]
pub(super) struct Emitter {
    pub(super) tx: mpsc::Sender<Event>,
    pub(super) ctx: egui::Context,
}

impl Emitter {
    pub(super) async fn emit(&self, event: Event) {
        // A closed channel means the window is gone: nothing left to tell.
        let _ = self.tx.send(event).await;
        self.ctx.request_repaint();
    }
}
