//! `delay-proxy LISTEN_PORT TARGET_HOST:TARGET_PORT --one-way-ms D [--mbit R] [--max-seconds S]
//! [--ready-file F]`: a loopback TCP proxy that puts distance between a client and a server, for
//! scripts/bench.
//!
//! Every chunk that arrives in either direction is held D milliseconds before it is passed on (a
//! queue per direction and connection, in order), so a round trip costs 2·D, as it does between a
//! person and an S3 Region; TLS passes through untouched. With `--mbit`, each direction is also a
//! link of R megabits per second shared by every connection (a chunk waits for the link, then for
//! the distance). The kernel here has no netem (`tc qdisc … netem` is refused), hence user space;
//! in Rust because a proxy in Python was itself the limit of a 1 GiB transfer (~400 MB/s).
//!
//! Bounded and self-stopping: at most 4096 connections at once, and it exits after
//! `--max-seconds` (3600) or as soon as the process that started it is gone.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::time::Instant;

const CHUNK: usize = 256 * 1024;
const MAX_CONNECTIONS: usize = 4096;

/// One direction of the link: when it is next free to carry a byte.
struct Link {
    bytes_per_s: Option<f64>,
    free_at: Mutex<Instant>,
}

impl Link {
    /// When a chunk of `size` bytes arriving at `now` has gone through the link.
    fn departs(&self, now: Instant, size: usize) -> Instant {
        let Some(rate) = self.bytes_per_s else {
            return now;
        };
        let mut free_at = self.free_at.lock().unwrap_or_else(|e| e.into_inner());
        let start = (*free_at).max(now);
        *free_at = start + Duration::from_secs_f64(size as f64 / rate);
        *free_at
    }
}

struct Args {
    listen_port: u16,
    target: String,
    delay: Duration,
    mbit: Option<f64>,
    max_seconds: f64,
    ready_file: Option<String>,
}

fn parse() -> Result<Args, String> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: delay-proxy LISTEN_PORT HOST:PORT --one-way-ms D [--mbit R] [--max-seconds S] [--ready-file F]";
    let listen_port = args.next().and_then(|p| p.parse().ok()).ok_or(usage)?;
    let target = args.next().ok_or(usage)?;
    let (mut delay, mut mbit, mut max_seconds, mut ready_file) = (None, None, 3600.0, None);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or(usage)?;
        let number = || value.parse::<f64>().map_err(|_| format!("{flag}: not a number"));
        match flag.as_str() {
            "--one-way-ms" => delay = Some(Duration::from_secs_f64(number()? / 1000.0)),
            "--mbit" => mbit = Some(number()?),
            "--max-seconds" => max_seconds = number()?,
            "--ready-file" => ready_file = Some(value),
            _ => return Err(usage.to_owned()),
        }
    }
    Ok(Args {
        listen_port,
        target,
        delay: delay.ok_or(usage)?,
        mbit,
        max_seconds,
        ready_file,
    })
}

/// Carries `from` → `to`, every chunk (and the end of the stream) delayed.
async fn pipe(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    delay: Duration,
    link: Arc<Link>,
) {
    let (tx, mut rx) = mpsc::unbounded_channel::<(Instant, Option<Bytes>)>();
    let reading = tokio::spawn(async move {
        loop {
            let mut buf = BytesMut::with_capacity(CHUNK);
            let read = from.read_buf(&mut buf).await;
            let now = Instant::now();
            match read {
                Ok(n) if n > 0 => {
                    let at = link.departs(now, n) + delay;
                    if tx.send((at, Some(buf.freeze()))).is_err() {
                        return;
                    }
                }
                _ => {
                    let _ = tx.send((now + delay, None));
                    return;
                }
            }
        }
    });
    while let Some((at, data)) = rx.recv().await {
        tokio::time::sleep_until(at).await;
        match data {
            Some(bytes) => {
                if to.write_all(&bytes).await.is_err() {
                    break;
                }
            }
            None => {
                let _ = to.shutdown().await;
                break;
            }
        }
    }
    reading.abort();
}

async fn handle(client: TcpStream, target: Arc<String>, delay: Duration, links: [Arc<Link>; 2]) {
    let Ok(server) = TcpStream::connect(target.as_str()).await else {
        return;
    };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    let [up, down] = links;
    tokio::join!(
        pipe(client_read, server_write, delay, up),
        pipe(server_read, client_write, delay, down),
    );
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse()?;
    let listener = TcpListener::bind(("127.0.0.1", args.listen_port)).await?;
    if let Some(path) = &args.ready_file {
        std::fs::write(path, "ready\n")?;
    }
    let link = || {
        Arc::new(Link {
            bytes_per_s: args.mbit.map(|m| m * 1_000_000.0 / 8.0),
            free_at: Mutex::new(Instant::now()),
        })
    };
    let links = [link(), link()];
    let target = Arc::new(args.target.clone());
    let open = Arc::new(AtomicUsize::new(0));
    let parent = std::os::unix::process::parent_id();
    let deadline = Instant::now() + Duration::from_secs_f64(args.max_seconds);
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((client, _)) = accepted else { continue };
                if open.load(Ordering::Relaxed) >= MAX_CONNECTIONS {
                    continue;
                }
                open.fetch_add(1, Ordering::Relaxed);
                let (target, links, open) = (Arc::clone(&target), links.clone(), Arc::clone(&open));
                let delay = args.delay;
                tokio::spawn(async move {
                    handle(client, target, delay, links).await;
                    open.fetch_sub(1, Ordering::Relaxed);
                });
            }
            _ = tick.tick() => {
                if Instant::now() >= deadline || std::os::unix::process::parent_id() != parent {
                    return Ok(());
                }
            }
        }
    }
}
