//! Where the window's work runs: every request is a task on the background tokio runtime (the
//! binary's `s3seal-io` threads, or one started for the window), with the connection and the
//! local keys it needs, cancelled when the view drops its [`Request`], and waking the window
//! when it answers. Nothing here draws.

use std::future::Future;
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use super::request::{Request, Streamed};
use crate::error::{Error, Result};
use crate::progress::CancellationToken;
use crate::s3::{Connection, KeyAccess};

/// Where the background work runs.
pub enum Runtime {
    /// A runtime the caller already runs (the binary's `s3seal-io` threads).
    Handle(tokio::runtime::Handle),
    /// Start one owned by the window (tests, benches).
    Own,
}

/// A runtime the window started, shut down (without waiting) when the window goes.
pub struct OwnedRuntime(Option<tokio::runtime::Runtime>);

impl Drop for OwnedRuntime {
    fn drop(&mut self) {
        if let Some(rt) = self.0.take() {
            rt.shutdown_background();
        }
    }
}

/// Starts work for the window's views. Cheap to clone; a clone made after connecting carries
/// the connection.
#[derive(Clone)]
pub struct Tasks {
    rt: tokio::runtime::Handle,
    ctx: egui::Context,
    keys: Arc<KeyAccess>,
    conn: Option<Arc<Connection>>,
}

impl Tasks {
    /// Tasks on `runtime`, waking `ctx`; the local keys in `keys`.
    pub fn start(
        runtime: Runtime,
        ctx: egui::Context,
        keys: KeyAccess,
    ) -> Result<(Self, OwnedRuntime)> {
        let (handle, owned) = match runtime {
            Runtime::Handle(handle) => (handle, OwnedRuntime(None)),
            Runtime::Own => {
                let rt = tokio::runtime::Builder::new_multi_thread()
                    .enable_all()
                    .worker_threads(2)
                    .thread_name("s3seal-io")
                    .max_blocking_threads(crate::transfer::BLOCKING_THREADS)
                    .build()
                    .map_err(|e| Error::Internal(format!("cannot start the I/O runtime: {e}")))?;
                (rt.handle().clone(), OwnedRuntime(Some(rt)))
            }
        };
        Ok((
            Self {
                rt: handle,
                ctx,
                keys: Arc::new(keys),
                conn: None,
            },
            owned,
        ))
    }

    /// The same tasks, with this connection.
    pub fn with_connection(&self, conn: Arc<Connection>) -> Self {
        Self {
            conn: Some(conn),
            ..self.clone()
        }
    }

    /// The connection, once connected.
    pub fn connection(&self) -> Option<&Arc<Connection>> {
        self.conn.as_ref()
    }

    /// The local keys.
    pub fn keys(&self) -> &Arc<KeyAccess> {
        &self.keys
    }

    /// Runs `work` in the background. The answer wakes the window; dropping the request
    /// cancels the work (at its next await).
    pub fn run<T, Fut>(&self, work: Fut) -> Request<T>
    where
        T: Send + 'static,
        Fut: Future<Output = Result<T>> + Send + 'static,
    {
        self.run_with(|_| work)
    }

    /// Like [`Tasks::run`], handing the work its cancellation token (for work that stops
    /// cleanly on its own, such as transfers, which abort what they started).
    pub fn run_with<T, F, Fut>(&self, work: F) -> Request<T>
    where
        T: Send + 'static,
        F: FnOnce(CancellationToken) -> Fut,
        Fut: Future<Output = Result<T>> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        // Dropped, the request cancels `token`: the work is dropped at its next await. Asked
        // to stop (`Request::stop`), only the work's own token is cancelled and it ends itself.
        let token = CancellationToken::new();
        let stop = token.child_token();
        let future = work(stop.clone());
        let ctx = self.ctx.clone();
        let cancel = token.clone();
        self.rt.spawn(async move {
            let answer = crate::progress::or_cancelled(&cancel, future).await;
            // Nobody waits any more when the view dropped the request: nothing to tell.
            let _ = tx.send(answer);
            ctx.request_repaint();
        });
        Request::new(rx, stop, token.drop_guard())
    }

    /// The runtime the work runs on, for long-lived work the core starts itself and hands
    /// back as a handle (a re-encryption job).
    pub fn runtime(&self) -> &tokio::runtime::Handle {
        &self.rt
    }

    /// Runs blocking work (files, locks) on the runtime's blocking pool, never on the UI
    /// thread nor on an async worker.
    pub fn blocking<T, F>(&self, work: F) -> Request<T>
    where
        T: Send + 'static,
        F: FnOnce() -> Result<T> + Send + 'static,
    {
        self.run(async move {
            tokio::task::spawn_blocking(work)
                .await
                .map_err(|e| Error::Internal(format!("a background task failed: {e}")))?
        })
    }

    /// Runs work that needs the connection; fails at once when there is none.
    pub fn s3<T, F, Fut>(&self, work: F) -> Request<T>
    where
        T: Send + 'static,
        F: FnOnce(Arc<Connection>, Arc<KeyAccess>, CancellationToken) -> Fut,
        Fut: Future<Output = Result<T>> + Send + 'static,
    {
        match &self.conn {
            Some(conn) => {
                let (conn, keys) = (conn.clone(), self.keys.clone());
                self.run_with(move |cancel| work(conn, keys, cancel))
            }
            None => self.run(async { Err(Error::NotConnected) }),
        }
    }

    /// Runs work that sends many answers (at most `capacity` waiting), with the connection.
    pub fn s3_stream<T, F, Fut>(&self, capacity: usize, work: F) -> Streamed<T>
    where
        T: Send + 'static,
        F: FnOnce(Arc<Connection>, mpsc::Sender<Result<T>>) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        let token = CancellationToken::new();
        let cancel = token.clone();
        let ctx = self.ctx.clone();
        match &self.conn {
            Some(conn) => {
                // The work sends into its own channel; a forwarder passes each item on and
                // wakes the window, so items are drawn as they come.
                let (item_tx, mut item_rx) = mpsc::channel(1);
                let future = work(conn.clone(), item_tx);
                self.rt.spawn(async move {
                    let forward = async {
                        while let Some(item) = item_rx.recv().await {
                            if tx.send(item).await.is_err() {
                                return;
                            }
                            ctx.request_repaint();
                        }
                        ctx.request_repaint();
                    };
                    tokio::select! {
                        () = cancel.cancelled() => {}
                        _ = futures::future::join(future, forward) => {}
                    }
                });
            }
            None => {
                let _ = tx.try_send(Err(Error::NotConnected));
                ctx.request_repaint();
            }
        }
        Streamed::new(rx, token.drop_guard())
    }

    /// Wakes the window (after state it shows changed outside a request, e.g. progress).
    pub fn repaint_after(&self, after: std::time::Duration) {
        self.ctx.request_repaint_after(after);
    }
}
