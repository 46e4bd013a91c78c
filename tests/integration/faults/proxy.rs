//! A TCP proxy on 127.0.0.1 in front of LocalStack: TLS passes through untouched, and the N-th
//! connection is reset (RST) or stalled after B bytes in one direction. It can also throttle
//! (so a kill lands mid-transfer), and counts the bytes it carried. Bounded and self-stopping:
//! it runs on its own thread until dropped, and never longer than [`MAX_LIFETIME`].

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken;

/// The longest a proxy lives, whatever happens to the test.
pub const MAX_LIFETIME: Duration = Duration::from_secs(600);
/// The longest a stalled connection is held before it is closed.
pub const MAX_STALL: Duration = Duration::from_secs(120);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Client to server (requests, upload bodies).
    Up,
    /// Server to client (responses, download bodies).
    Down,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Close both sides with a TCP reset.
    Reset,
    /// Stop forwarding for this long, then reset (at most [`MAX_STALL`]).
    Stall(Duration),
}

/// What to do to one connection.
#[derive(Clone, Copy, Debug)]
pub struct Fault {
    /// Which accepted connection, counting from 1.
    pub connection: usize,
    pub direction: Direction,
    /// After this many bytes in `direction` on that connection.
    pub after: u64,
    pub action: Action,
}

/// Bytes and connections seen.
#[derive(Debug, Default)]
pub struct Stats {
    pub up: AtomicU64,
    pub down: AtomicU64,
    pub connections: AtomicUsize,
    pub fired: AtomicUsize,
    /// Faults off: the proxy only forwards (the next run, "after the fault").
    pub healed: AtomicBool,
    /// Bytes per second across all connections; 0 is unlimited.
    pub rate: AtomicU64,
}

pub struct Proxy {
    pub port: u16,
    pub stats: Arc<Stats>,
    stop: CancellationToken,
    generation: Arc<std::sync::Mutex<CancellationToken>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Proxy {
    /// Forwards to 127.0.0.1:`upstream`, applying `faults`; `rate` caps the bytes per second
    /// across all connections.
    pub fn start(upstream: u16, faults: Vec<Fault>, rate: Option<u64>) -> Self {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        std_listener.set_nonblocking(true).unwrap();
        let port = std_listener.local_addr().unwrap().port();
        let stats = Arc::new(Stats::default());
        stats.rate.store(rate.unwrap_or(0), Ordering::SeqCst);
        let stop = CancellationToken::new();
        let generation = Arc::new(std::sync::Mutex::new(stop.child_token()));
        let (stats2, stop2, generation2) = (stats.clone(), stop.clone(), generation.clone());
        let thread = std::thread::Builder::new()
            .name(format!("fault-proxy-{port}"))
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async move {
                    let listener = TcpListener::from_std(std_listener).unwrap();
                    let shared = Arc::new(Shared {
                        upstream,
                        faults,
                        generation: generation2,
                        next_slot: Mutex::new(Instant::now()),
                        stats: stats2,
                    });
                    let deadline = tokio::time::sleep(MAX_LIFETIME);
                    tokio::pin!(deadline);
                    loop {
                        tokio::select! {
                            () = stop2.cancelled() => break,
                            () = &mut deadline => break,
                            accepted = listener.accept() => {
                                let Ok((client, _)) = accepted else { continue };
                                let n = shared.stats.connections.fetch_add(1, Ordering::SeqCst) + 1;
                                let token = shared.generation.lock().unwrap().child_token();
                                tokio::spawn(serve(client, n, shared.clone(), token));
                            }
                        }
                    }
                    stop2.cancel();
                });
            })
            .unwrap();
        Self {
            port,
            stats,
            stop,
            generation,
            thread: Some(thread),
        }
    }

    pub fn endpoint(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }

    pub fn up(&self) -> u64 {
        self.stats.up.load(Ordering::SeqCst)
    }

    pub fn down(&self) -> u64 {
        self.stats.down.load(Ordering::SeqCst)
    }

    pub fn fired(&self) -> usize {
        self.stats.fired.load(Ordering::SeqCst)
    }

    /// From now on: no faults, no throttle, byte counts from zero (for the next run); the
    /// connections still open are dropped.
    pub fn heal(&self) {
        self.stats.healed.store(true, Ordering::SeqCst);
        let mut current = self.generation.lock().unwrap();
        current.cancel();
        *current = self.stop.child_token();
        self.stats.rate.store(0, Ordering::SeqCst);
        self.stats.up.store(0, Ordering::SeqCst);
        self.stats.down.store(0, Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.cancel();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

struct Shared {
    upstream: u16,
    faults: Vec<Fault>,
    /// Cancelled when the proxy heals: connections of the run before (a killed process) stop
    /// being forwarded and counted.
    generation: Arc<std::sync::Mutex<CancellationToken>>,
    /// When the rate limit lets the next chunk through.
    next_slot: Mutex<Instant>,
    stats: Arc<Stats>,
}

impl Shared {
    async fn throttle(&self, bytes: usize) {
        let rate = self.stats.rate.load(Ordering::SeqCst);
        if rate == 0 {
            return;
        }
        let wait = {
            let mut slot = self.next_slot.lock().await;
            let now = Instant::now();
            let start = (*slot).max(now);
            *slot = start + Duration::from_secs_f64(bytes as f64 / rate as f64);
            start - now
        };
        tokio::time::sleep(wait).await;
    }
}

async fn serve(client: TcpStream, n: usize, shared: Arc<Shared>, stop: CancellationToken) {
    let Ok(server) = TcpStream::connect(("127.0.0.1", shared.upstream)).await else {
        return;
    };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    let healed = shared.stats.healed.load(Ordering::SeqCst);
    let fault_for = |d| {
        shared
            .faults
            .iter()
            .find(|f| !healed && f.connection == n && f.direction == d)
            .copied()
    };
    let up = pump(
        client_read,
        server_write,
        fault_for(Direction::Up),
        Direction::Up,
        &shared,
        &stop,
    );
    let down = pump(
        server_read,
        client_write,
        fault_for(Direction::Down),
        Direction::Down,
        &shared,
        &stop,
    );
    let (up, down) = tokio::join!(up, down);
    // Whichever pump fired a reset set SO_LINGER 0 on both sockets; dropping the halves here
    // closes them (with a RST when so set).
    drop((up, down));
}

type Halves = (
    tokio::net::tcp::OwnedReadHalf,
    tokio::net::tcp::OwnedWriteHalf,
);

async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    fault: Option<Fault>,
    direction: Direction,
    shared: &Shared,
    stop: &CancellationToken,
) -> Halves {
    let mut buf = vec![0u8; 64 * 1024];
    let mut carried = 0u64;
    loop {
        let read = tokio::select! {
            () = stop.cancelled() => break,
            read = from.read(&mut buf) => read,
        };
        let Ok(len) = read else { break };
        if len == 0 {
            let _ = to.shutdown().await;
            break;
        }
        let mut chunk = &buf[..len];
        let mut fire = None;
        if let Some(f) = fault
            && carried < f.after
            && carried + len as u64 >= f.after
        {
            chunk = &buf[..usize::try_from(f.after - carried).unwrap()];
            fire = Some(f.action);
        }
        shared.throttle(chunk.len()).await;
        if to.write_all(chunk).await.is_err() {
            break;
        }
        carried += chunk.len() as u64;
        let counter = match direction {
            Direction::Up => &shared.stats.up,
            Direction::Down => &shared.stats.down,
        };
        counter.fetch_add(chunk.len() as u64, Ordering::SeqCst);
        if let Some(action) = fire {
            shared.stats.fired.fetch_add(1, Ordering::SeqCst);
            if let Action::Stall(how_long) = action {
                tokio::select! {
                    () = stop.cancelled() => {}
                    () = tokio::time::sleep(how_long.min(MAX_STALL)) => {}
                }
            }
            reset(&from, &to);
            stop.cancel();
            break;
        }
    }
    (from, to)
}

/// Makes both sockets of the connection close with a RST.
fn reset(from: &tokio::net::tcp::OwnedReadHalf, to: &tokio::net::tcp::OwnedWriteHalf) {
    let _ = AsRef::<TcpStream>::as_ref(from).set_zero_linger();
    let _ = AsRef::<TcpStream>::as_ref(to).set_zero_linger();
}
