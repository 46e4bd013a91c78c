//! A minimal HTTP/1.1 peer on 127.0.0.1 for what LocalStack does not do: it reads one request
//! per connection, answers with what its handler returns (`Connection: close`) and records
//! every request. Bounded: it stops after `limit` connections or when dropped.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// One request as the peer read it.
#[derive(Clone, Debug)]
pub struct Request {
    pub method: String,
    /// Path and query, as sent.
    pub target: String,
    /// Header names lower-cased.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub at: Instant,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }

    pub fn query(&self) -> &str {
        self.target.split_once('?').map_or("", |(_, q)| q)
    }
}

/// What the handler answers: raw bytes of a whole HTTP response, or "forward upstream".
pub enum Answer {
    Raw(Vec<u8>),
    Forward,
}

/// An HTTP response with `status`, `headers` and `body`, closing the connection.
pub fn response(status: &str, headers: &[(&str, &str)], body: &[u8]) -> Answer {
    let mut out = format!("HTTP/1.1 {status}\r\n");
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    ));
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    Answer::Raw(bytes)
}

/// An S3 error body (the shape of https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html).
pub fn s3_error(status: &str, code: &str, message: &str) -> Answer {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message><RequestId>PEER</RequestId></Error>"
    );
    response(
        status,
        &[("Content-Type", "application/xml")],
        body.as_bytes(),
    )
}

pub struct Peer {
    pub port: u16,
    pub requests: Arc<Mutex<Vec<Request>>>,
    stop: Arc<AtomicBool>,
}

impl Peer {
    /// Serves `handler`; `upstream` is where [`Answer::Forward`] goes (host:port, plain HTTP).
    pub fn start(
        limit: usize,
        upstream: Option<String>,
        handler: impl Fn(&Request, &[Request]) -> Answer + Send + 'static,
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (seen, stopped) = (requests.clone(), stop.clone());
        std::thread::Builder::new()
            .name("jobs-test-peer".into())
            .spawn(move || {
                for stream in listener.incoming().take(limit) {
                    if stopped.load(Ordering::SeqCst) {
                        return;
                    }
                    let Ok(mut stream) = stream else { continue };
                    let Some(request) = read_request(&mut stream) else {
                        continue;
                    };
                    let answer = {
                        let mut all = seen.lock().unwrap();
                        let answer = handler(&request, &all);
                        all.push(request.clone());
                        answer
                    };
                    match answer {
                        Answer::Raw(bytes) => {
                            let _ = stream.write_all(&bytes);
                        }
                        Answer::Forward => {
                            forward(&request, &mut stream, upstream.as_deref().unwrap());
                        }
                    }
                }
            })
            .unwrap();
        Self {
            port,
            requests,
            stop,
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn seen(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn read_request(stream: &mut TcpStream) -> Option<Request> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let target = parts.next()?.to_owned();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).ok()? == 0 || h == "\r\n" {
            break;
        }
        if let Some((name, value)) = h.split_once(':') {
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
        }
    }
    let length = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Request {
        method,
        target,
        headers,
        body,
        at: Instant::now(),
    })
}

/// Sends `request` to `upstream` (asking it to close after answering) and relays the whole
/// answer back.
fn forward(request: &Request, client: &mut TcpStream, upstream: &str) {
    let Ok(mut up) = TcpStream::connect(upstream) else {
        return;
    };
    let mut head = format!("{} {} HTTP/1.1\r\n", request.method, request.target);
    for (name, value) in &request.headers {
        if name != "connection" {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
    }
    head.push_str("connection: close\r\n\r\n");
    if up.write_all(head.as_bytes()).is_err() || up.write_all(&request.body).is_err() {
        return;
    }
    let mut answer = Vec::new();
    let _ = up.read_to_end(&mut answer);
    // Tell the client too that this connection ends here, so it opens a new one next time.
    let Some(end) = answer.windows(4).position(|w| w == b"\r\n\r\n") else {
        return;
    };
    let head = String::from_utf8_lossy(&answer[..end]);
    let mut relayed: String = head
        .split("\r\n")
        .filter(|line| !line.to_ascii_lowercase().starts_with("connection:"))
        .map(|line| format!("{line}\r\n"))
        .collect();
    relayed.push_str("Connection: close\r\n\r\n");
    let _ = client.write_all(relayed.as_bytes());
    let _ = client.write_all(&answer[end + 4..]);
}
