//! A container-credentials endpoint on 127.0.0.1 (what ECS and EKS give a task through
//! `AWS_CONTAINER_CREDENTIALS_FULL_URI`, which the AWS SDK's default chain reads): every call
//! hands out new temporary credentials that expire after `lifetime`, recorded in an [`Expiry`]
//! that the fault peer enforces with `ExpiredToken`. In [`Mode::OnceThenFail`] only the first
//! call succeeds, as when the endpoint goes away. Bounded and self-stopping.

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};

use super::peer::Expiry;

#[derive(Clone, Copy, Debug)]
pub enum Mode {
    /// New credentials on every call.
    Refreshing,
    /// The first call only; later ones answer 500.
    OnceThenFail,
}

pub struct CredsServer {
    pub port: u16,
    pub calls: Arc<AtomicUsize>,
    pub expiry: Expiry,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl CredsServer {
    pub fn start(mode: Mode, lifetime: Duration) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let calls = Arc::new(AtomicUsize::new(0));
        let expiry: Expiry = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let (calls2, expiry2, stop2) = (calls.clone(), expiry.clone(), stop.clone());
        let thread = std::thread::Builder::new()
            .name(format!("fault-creds-{port}"))
            .spawn(move || {
                let started = Instant::now();
                while !stop2.load(Ordering::SeqCst) && started.elapsed() < super::proxy::MAX_LIFETIME
                {
                    let Ok((mut stream, _)) = listener.accept() else {
                        std::thread::sleep(Duration::from_millis(5));
                        continue;
                    };
                    let _ = stream.set_nonblocking(false);
                    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                    let mut reader = BufReader::new(stream.try_clone().unwrap());
                    loop {
                        let mut line = String::new();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                            break;
                        }
                    }
                    let n = calls2.fetch_add(1, Ordering::SeqCst) + 1;
                    let response = if n > 1 && matches!(mode, Mode::OnceThenFail) {
                        "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_owned()
                    } else {
                        let key = format!("ASIAFAULT{n:08}");
                        let expires = SystemTime::now() + lifetime;
                        expiry2.lock().unwrap().insert(key.clone(), expires);
                        let at = time::OffsetDateTime::from(expires);
                        let f = time::format_description::parse_borrowed::<2>(
                            "[year]-[month]-[day]T[hour]:[minute]:[second]Z",
                        )
                        .unwrap();
                        let body = serde_json::json!({
                            "AccessKeyId": key,
                            "SecretAccessKey": format!("fault-secret-{n}"),
                            "Token": format!("fault-token-{n}"),
                            "Expiration": at.format(&f).unwrap(),
                            "RoleArn": "arn:aws:iam::000000000000:role/fault-test",
                        })
                        .to_string();
                        format!(
                            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                            body.len()
                        )
                    };
                    let _ = stream.write_all(response.as_bytes());
                }
            })
            .unwrap();
        Self {
            port,
            calls,
            expiry,
            stop,
            thread: Some(thread),
        }
    }

    pub fn uri(&self) -> String {
        format!("http://127.0.0.1:{}/v2/credentials/fault", self.port)
    }

    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

impl Drop for CredsServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
