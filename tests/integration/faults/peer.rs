//! An HTTPS peer on 127.0.0.1 in front of LocalStack (forwarding to its plain-HTTP side) that
//! answers what LocalStack cannot be made to: bursts of `503 SlowDown` and `500 InternalError`,
//! `RequestTimeTooSkewed` when a request's signing time is more than 15 minutes from the peer's
//! clock (which can run ahead of this machine's), and `ExpiredToken` for requests signed with
//! temporary credentials past their expiry — each with S3's own body (`tests/faults/*.xml`,
//! beside the page each follows). TLS with the test CA's server certificate, so SSE-C may pass.
//! It can also take a request and never answer. One request per connection (every answer says
//! `Connection: close`). Bounded and
//! self-stopping: dropped, or after [`super::proxy::MAX_LIFETIME`].

use std::collections::HashMap;
use std::io::{BufRead as _, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

const SLOW_DOWN: &str = include_str!("../../faults/slowdown.503.xml");
const INTERNAL_ERROR: &str = include_str!("../../faults/internal-error.500.xml");
const SKEWED: &str = include_str!("../../faults/request-time-too-skewed.403.xml");
const EXPIRED: &str = include_str!("../../faults/expired-token.400.xml");
/// S3 refuses a signing time more than this far from its clock.
const MAX_SKEW_SECS: i64 = 15 * 60;

/// Which S3 operation a request is (path-style requests).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Any,
    CreateMultipartUpload,
    UploadPart,
    CompleteMultipartUpload,
    PutObject,
    CopyObject,
    GetObject,
    HeadObject,
    Other,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    SlowDown,
    InternalError,
    /// Take the request and say nothing (for [`MAX_SILENCE`]), as a server that hangs.
    Silence,
}

/// The longest the peer keeps a request waiting without an answer.
pub const MAX_SILENCE: Duration = Duration::from_secs(90);

/// Answer `count` requests of `op` with `answer`, after letting `skip` of them through.
#[derive(Clone, Copy, Debug)]
pub struct Burst {
    pub op: Op,
    pub skip: usize,
    pub count: usize,
    pub answer: Answer,
}

/// When each temporary access key expires (shared with the credentials endpoint).
pub type Expiry = Arc<Mutex<HashMap<String, SystemTime>>>;

#[derive(Clone, Default)]
pub struct Plan {
    pub bursts: Vec<Burst>,
    /// The peer's clock runs this many seconds ahead of this machine's (negative: behind).
    pub clock_offset: i64,
    pub expiry: Option<Expiry>,
    /// Wait this long before forwarding each request (to make a transfer outlast something).
    pub delay: Duration,
}

#[derive(Debug, Default)]
pub struct Stats {
    pub requests: AtomicUsize,
    pub faults: AtomicUsize,
    pub skewed: AtomicUsize,
    pub expired: AtomicUsize,
    /// Faults off: the peer only forwards (the next run, "after the fault").
    pub healed: AtomicBool,
    /// Distinct access keys seen.
    pub keys: Mutex<Vec<String>>,
}

pub struct Peer {
    pub port: u16,
    pub stats: Arc<Stats>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

struct State {
    plan: Plan,
    upstream: u16,
    seen: Mutex<HashMap<usize, usize>>,
    stats: Arc<Stats>,
    tls: Arc<rustls::ServerConfig>,
}

impl Peer {
    /// Serves HTTPS with the test environment's server certificate, forwarding to
    /// 127.0.0.1:`upstream` over plain HTTP.
    pub fn start(upstream: u16, plan: Plan) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let stats = Arc::new(Stats::default());
        let stop = Arc::new(AtomicBool::new(false));
        let state = Arc::new(State {
            plan,
            upstream,
            seen: Mutex::new(HashMap::new()),
            stats: stats.clone(),
            tls: Arc::new(tls_config()),
        });
        let stop2 = stop.clone();
        let thread = std::thread::Builder::new()
            .name(format!("fault-peer-{port}"))
            .spawn(move || {
                let started = Instant::now();
                while !stop2.load(Ordering::SeqCst)
                    && started.elapsed() < super::proxy::MAX_LIFETIME
                {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            let state = state.clone();
                            std::thread::spawn(move || {
                                let _ = serve(stream, &state);
                            });
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(5)),
                    }
                }
            })
            .unwrap();
        Self {
            port,
            stats,
            stop,
            thread: Some(thread),
        }
    }

    pub fn endpoint(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }

    /// How many requests got a fault answer (burst, skew or expiry).
    pub fn struck(&self) -> usize {
        let s = &self.stats;
        s.faults.load(Ordering::SeqCst)
            + s.skewed.load(Ordering::SeqCst)
            + s.expired.load(Ordering::SeqCst)
    }

    /// From now on the peer forwards every request as it is.
    pub fn heal(&self) {
        self.stats.healed.store(true, Ordering::SeqCst);
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn tls_config() -> rustls::ServerConfig {
    use rustls::pki_types::pem::PemObject as _;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let work = std::path::PathBuf::from(std::env::var("S3SEAL_TEST_WORK").unwrap());
    let certs = CertificateDer::pem_file_iter(work.join("server.crt"))
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_file(work.join("server.key")).unwrap();
    rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .unwrap()
}

struct Request {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn op(&self) -> Op {
        let (path, query) = self.target.split_once('?').unwrap_or((&self.target, ""));
        let has = |k: &str| query.split('&').any(|p| p.split('=').next() == Some(k));
        // The AWS SDKs name the operation in the query (`x-id=GetObject`) where the method and
        // path alone are ambiguous.
        let named = query
            .split('&')
            .find_map(|p| p.strip_prefix("x-id="))
            .map(|id| match id {
                "PutObject" => Op::PutObject,
                "GetObject" => Op::GetObject,
                "HeadObject" => Op::HeadObject,
                "UploadPart" => Op::UploadPart,
                "CopyObject" => Op::CopyObject,
                "CompleteMultipartUpload" => Op::CompleteMultipartUpload,
                "CreateMultipartUpload" => Op::CreateMultipartUpload,
                _ => Op::Other,
            });
        if let Some(op) = named {
            return op;
        }
        let has_key = path
            .trim_start_matches('/')
            .split_once('/')
            .is_some_and(|(_, k)| !k.is_empty());
        let copy = self.header("x-amz-copy-source").is_some();
        match self.method.as_str() {
            "POST" if has("uploads") => Op::CreateMultipartUpload,
            "POST" if has("uploadId") => Op::CompleteMultipartUpload,
            "PUT" if has("partNumber") && !copy => Op::UploadPart,
            "PUT" if copy && !has("uploadId") => Op::CopyObject,
            "PUT" if has_key && query.is_empty() => Op::PutObject,
            "GET" if has_key && query.is_empty() || has("partNumber") => Op::GetObject,
            "HEAD" if has_key => Op::HeadObject,
            _ => Op::Other,
        }
    }

    fn access_key(&self) -> Option<&str> {
        let auth = self.header("authorization")?;
        let rest = auth.split("Credential=").nth(1)?;
        rest.split('/').next()
    }
}

type Tls = rustls::StreamOwned<rustls::ServerConnection, TcpStream>;

fn serve(stream: TcpStream, state: &State) -> std::io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    let conn = rustls::ServerConnection::new(state.tls.clone()).map_err(std::io::Error::other)?;
    let mut tls = rustls::StreamOwned::new(conn, stream);
    let Some(request) = read_request(&mut tls)? else {
        return Ok(());
    };
    state.stats.requests.fetch_add(1, Ordering::SeqCst);
    if let Some(key) = request.access_key() {
        let mut keys = state.stats.keys.lock().unwrap();
        if !keys.iter().any(|k| k == key) {
            keys.push(key.to_owned());
        }
    }
    let healed = state.stats.healed.load(Ordering::SeqCst);
    let answer = if healed {
        None
    } else {
        fault_for(&request, state)
    };
    if let Some(answer) = answer {
        if answer.is_empty() {
            let started = Instant::now();
            while started.elapsed() < MAX_SILENCE && !state.stats.healed.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(50));
            }
            return Ok(());
        }
        tls.write_all(&answer)?;
    } else {
        if !healed {
            std::thread::sleep(state.plan.delay);
        }
        forward(&request, &mut tls, state.upstream)?;
    }
    tls.conn.send_close_notify();
    tls.flush()
}

/// The canned answer this request gets, if any.
fn fault_for(request: &Request, state: &State) -> Option<Vec<u8>> {
    let peer_now = shifted_now(state.plan.clock_offset);
    if let Some(signed) = request.header("x-amz-date").and_then(parse_amz_date)
        && (signed - peer_now.unix_timestamp()).abs() > MAX_SKEW_SECS
    {
        state.stats.skewed.fetch_add(1, Ordering::SeqCst);
        let body = SKEWED
            .replace("{REQUEST_TIME}", request.header("x-amz-date").unwrap_or(""))
            .replace("{SERVER_TIME}", &iso8601(peer_now));
        return Some(response("403 Forbidden", &body, peer_now));
    }
    if let (Some(expiry), Some(key)) = (&state.plan.expiry, request.access_key()) {
        let expired = expiry
            .lock()
            .unwrap()
            .get(key)
            .is_some_and(|at| SystemTime::now() >= *at);
        if expired {
            state.stats.expired.fetch_add(1, Ordering::SeqCst);
            let body = EXPIRED.replace(
                "{TOKEN}",
                request.header("x-amz-security-token").unwrap_or(""),
            );
            return Some(response("400 Bad Request", &body, peer_now));
        }
    }
    let op = request.op();
    for (i, burst) in state.plan.bursts.iter().enumerate() {
        if burst.op != Op::Any && burst.op != op {
            continue;
        }
        let nth = {
            let mut seen = state.seen.lock().unwrap();
            let count = seen.entry(i).or_insert(0);
            *count += 1;
            *count
        };
        if nth > burst.skip && nth <= burst.skip + burst.count {
            state.stats.faults.fetch_add(1, Ordering::SeqCst);
            return Some(match burst.answer {
                Answer::SlowDown => response("503 Slow Down", SLOW_DOWN, peer_now),
                Answer::InternalError => {
                    response("500 Internal Server Error", INTERNAL_ERROR, peer_now)
                }
                // No bytes at all: the caller keeps the connection silent.
                Answer::Silence => Vec::new(),
            });
        }
    }
    None
}

fn shifted_now(offset: i64) -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc() + time::Duration::seconds(offset)
}

fn iso8601(t: time::OffsetDateTime) -> String {
    let f = time::format_description::parse_borrowed::<2>(
        "[year]-[month]-[day]T[hour]:[minute]:[second]Z",
    )
    .unwrap();
    t.format(&f).unwrap()
}

fn http_date(t: time::OffsetDateTime) -> String {
    let f = time::format_description::parse_borrowed::<2>(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT",
    )
    .unwrap();
    t.format(&f).unwrap()
}

/// `20261201T221423Z` as seconds since the Unix epoch.
fn parse_amz_date(s: &str) -> Option<i64> {
    let f =
        time::format_description::parse_borrowed::<2>("[year][month][day]T[hour][minute][second]Z")
            .ok()?;
    let t = time::PrimitiveDateTime::parse(s, &f).ok()?;
    Some(t.assume_utc().unix_timestamp())
}

fn response(status: &str, body: &str, now: time::OffsetDateTime) -> Vec<u8> {
    let body = body
        .replace("{REQUEST_ID}", "FAULTPEER0000001")
        .replace("{HOST_ID}", "fault-peer");
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/xml\r\nContent-Length: {}\r\nDate: {}\r\nx-amz-request-id: FAULTPEER0000001\r\nConnection: close\r\n\r\n{body}",
        body.len(),
        http_date(now)
    )
    .into_bytes()
}

fn read_request(tls: &mut Tls) -> std::io::Result<Option<Request>> {
    let mut reader = BufReader::new(tls);
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_owned();
    let target = parts.next().unwrap_or("").to_owned();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h == "\r\n" {
            break;
        }
        if let Some((n, v)) = h.trim_end().split_once(':') {
            headers.push((n.trim().to_owned(), v.trim().to_owned()));
        }
    }
    let mut request = Request {
        method,
        target,
        headers,
        body: Vec::new(),
    };
    if request
        .header("expect")
        .is_some_and(|e| e.eq_ignore_ascii_case("100-continue"))
    {
        reader
            .get_mut()
            .write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
    }
    if request
        .header("transfer-encoding")
        .is_some_and(|t| t.eq_ignore_ascii_case("chunked"))
    {
        // Kept as sent (chunk framing included), forwarded as it came.
        loop {
            let mut size_line = String::new();
            reader.read_line(&mut size_line)?;
            request.body.extend_from_slice(size_line.as_bytes());
            let size = usize::from_str_radix(size_line.trim().split(';').next().unwrap_or(""), 16)
                .map_err(std::io::Error::other)?;
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk)?;
            request.body.extend_from_slice(&chunk);
            if size == 0 {
                break;
            }
        }
    } else if let Some(len) = request.header("content-length") {
        let len: usize = len.parse().map_err(std::io::Error::other)?;
        request.body = vec![0; len];
        reader.read_exact(&mut request.body)?;
    }
    Ok(Some(request))
}

fn forward(request: &Request, tls: &mut Tls, upstream: u16) -> std::io::Result<()> {
    let mut up = TcpStream::connect(("127.0.0.1", upstream))?;
    up.set_read_timeout(Some(Duration::from_secs(120)))?;
    let mut head = format!("{} {} HTTP/1.1\r\n", request.method, request.target);
    for (n, v) in &request.headers {
        if n.eq_ignore_ascii_case("connection") || n.eq_ignore_ascii_case("expect") {
            continue;
        }
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    head.push_str("Connection: close\r\n\r\n");
    up.write_all(head.as_bytes())?;
    up.write_all(&request.body)?;
    let mut reader = BufReader::new(up);
    let mut status = String::new();
    reader.read_line(&mut status)?;
    let mut out = status.into_bytes();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h == "\r\n" {
            break;
        }
        if !h.to_ascii_lowercase().starts_with("connection:") {
            out.extend_from_slice(h.as_bytes());
        }
    }
    out.extend_from_slice(b"Connection: close\r\n\r\n");
    tls.write_all(&out)?;
    std::io::copy(&mut reader, tls)?;
    Ok(())
}
