//! Throttling is retried with backoff, not surfaced: a minimal HTTP peer on 127.0.0.1 answers
//! `503 SlowDown` twice, then a real ListBuckets response.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

const SLOW_DOWN: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SlowDown</Code>\
<Message>Please reduce your request rate.</Message></Error>";
const BUCKETS: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListAllMyBucketsResult>\
<Owner><ID>1</ID></Owner><Buckets><Bucket><Name>after-throttling</Name>\
<CreationDate>2026-01-01T00:00:00.000Z</CreationDate></Bucket></Buckets></ListAllMyBucketsResult>";

/// Serves `throttled` SlowDown answers, then successes; returns the port and a request counter.
fn throttling_server(throttled: usize) -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    std::thread::Builder::new()
        .name("slowdown-server".into())
        .spawn(move || {
            for stream in listener.incoming().take(10) {
                let mut stream = stream.unwrap();
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut content_length = 0usize;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap() == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        content_length = v.trim().parse().unwrap_or(0);
                    }
                }
                let mut body = vec![0; content_length];
                reader.read_exact(&mut body).unwrap();
                let n = seen.fetch_add(1, Ordering::SeqCst);
                let (status, body) =
                    if n < throttled { ("503 Slow Down", SLOW_DOWN) } else { ("200 OK", BUCKETS) };
                let response = format!(
                    "HTTP/1.1 {status}\r\nContent-Type: application/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                stream.write_all(response.as_bytes()).unwrap();
            }
        })
        .unwrap();
    (port, count)
}

#[test]
fn slow_down_is_retried_until_it_succeeds() {
    let (port, count) = throttling_server(2);
    let out = assert_cmd::Command::cargo_bin("s3seal")
        .unwrap()
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .args([
            "--endpoint-url",
            &format!("http://127.0.0.1:{port}"),
            "ls",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(listed[0]["name"], "after-throttling");
    assert_eq!(
        count.load(Ordering::SeqCst),
        3,
        "two throttled attempts, then success"
    );
}
