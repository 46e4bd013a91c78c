//! Throttling is retried with backoff, not surfaced: a loopback HTTP peer answers
//! `503 SlowDown` twice, then a real ListBuckets response.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::peer::{Peer, Reply};

const SLOW_DOWN: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SlowDown</Code>\
<Message>Please reduce your request rate.</Message></Error>";
const BUCKETS: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListAllMyBucketsResult>\
<Owner><ID>1</ID></Owner><Buckets><Bucket><Name>after-throttling</Name>\
<CreationDate>2026-01-01T00:00:00.000Z</CreationDate></Bucket></Buckets></ListAllMyBucketsResult>";

/// Serves `throttled` SlowDown answers, then successes.
fn throttling_server(throttled: usize) -> (Peer, Arc<AtomicUsize>) {
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    let peer = Peer::http(move |_| {
        if seen.fetch_add(1, Ordering::SeqCst) < throttled {
            Reply::xml(503, SLOW_DOWN)
        } else {
            Reply::xml(200, BUCKETS)
        }
    });
    (peer, count)
}

#[test]
fn slow_down_is_retried_until_it_succeeds() {
    let (peer, count) = throttling_server(2);
    let out = assert_cmd::Command::cargo_bin("s3seal")
        .unwrap()
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .args(["--endpoint-url", &peer.url(), "ls", "--json"])
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
