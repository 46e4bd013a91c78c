//! What a folder download asks S3, counted from the SDK's own log of each attempt: a small
//! object costs one request (a GET pinned to the listed ETag, no HEAD first), whatever its
//! server-side mode; an SSE-C object still gets only its own key, after its keyless GET answered
//! "key needed"; a client-side object is opened from the GET's own metadata.

use std::collections::BTreeMap;

use super::*;

/// The log filter that shows every attempt with its operation.
const ATTEMPTS: &str = "aws_sdk_s3::operation=debug,aws_smithy_runtime::client::orchestrator=debug";

/// Requests per S3 operation in a log made with [`ATTEMPTS`]: one "beginning attempt" line per
/// attempt, inside its operation's span (`S3.GetObject{rpc.method="GetObject" …}`).
fn attempts(log: &str) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for line in log.lines().filter(|l| l.contains("beginning attempt")) {
        let operation = line
            .split("rpc.method=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or("?");
        *counts.entry(operation.to_owned()).or_insert(0) += 1;
    }
    counts
}

#[tokio::test(flavor = "multi_thread")]
async fn a_small_object_costs_one_request() {
    let sb = Sandbox::new();
    let bucket = sb.bucket("onereq");
    sb.ok(&["keys", "new", "one-ssec"]);
    sb.ok(&["keys", "new", "one-client", "--kind", "client"]);
    let src = sb.path("src");
    let files = make_tree(&src, 20, false);
    let n = files.len();
    let plain = format!("s3://{bucket}/plain/");
    sb.ok(&["put", s(&src), &plain, "--recursive"]);
    let ssec = format!("s3://{bucket}/ssec/");
    sb.ok(&[
        "put",
        s(&src),
        &ssec,
        "--recursive",
        "--encryption",
        "sse-c",
        "--key",
        "one-ssec",
    ]);
    let client = format!("s3://{bucket}/client/");
    sb.ok(&[
        "put",
        s(&src),
        &client,
        "--recursive",
        "--encryption",
        "client",
        "--key",
        "one-client",
    ]);

    let get = |prefix: &str, name: &str| {
        let dest = sb.path(name);
        let out = sb
            .cmd()
            .env("S3SEAL_LOG", ATTEMPTS)
            .args(["get", prefix, s(&dest), "--recursive"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "{name}: {stderr}");
        assert_same_tree(&files, &read_tree(&dest), name);
        assert!(temp_leftovers(&dest).is_empty(), "{name}");
        attempts(&stderr)
    };

    // Server-side: the listing, then one GET each.
    let counts = get(&plain, "plain");
    assert_eq!(counts.get("GetObject"), Some(&n), "{counts:?}");
    assert_eq!(counts.get("HeadObject"), None, "{counts:?}");
    assert_eq!(counts.get("ListObjectsV2"), Some(&1), "{counts:?}");

    // SSE-C: the keyless GET answers "key needed" (S3 names the reason, so no keyless HEAD is
    // needed to learn it); then the key at home, proven by a HEAD, and the GET with it.
    let counts = get(&ssec, "ssec");
    assert_eq!(counts.get("GetObject"), Some(&(2 * n)), "{counts:?}");
    assert_eq!(counts.get("HeadObject"), Some(&n), "{counts:?}");

    // Client-side: the envelope is in the GET's metadata; no HEAD, no second GET.
    let counts = get(&client, "client");
    assert_eq!(counts.get("GetObject"), Some(&n), "{counts:?}");
    assert_eq!(counts.get("HeadObject"), None, "{counts:?}");
}
