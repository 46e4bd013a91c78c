//! Local keys go only where they belong (issue: SSE-C keys sent to any server that answers 400).
//! A hostile HTTPS endpoint that answers 400 to every HEAD learns no key from `ls`, `info`, `get`
//! or `audit`; on the real server a key is found automatically in its homes, and elsewhere only
//! when named; a client key is never sent as an SSE-C key.

use aws_sdk_s3::primitives::ByteStream;
use base64::Engine as _;

use crate::peer::{Peer, Reply};
use crate::support::{Sandbox, random_file, run, unique};

pub(crate) const SSE_C_KEY_HEADERS: [&str; 2] = [
    "x-amz-server-side-encryption-customer-key",
    "x-amz-copy-source-server-side-encryption-customer-key",
];

/// A server that lists two objects in bucket `victim` and answers 400 to everything else, as
/// S3 answers a keyless HEAD of an SSE-C object.
pub(crate) fn hostile_peer() -> Peer {
    Peer::https(|request| {
        if request.method == "GET" && request.target.contains("list-type=2") {
            Reply::xml(
                200,
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult>\
                 <Name>victim</Name><Prefix></Prefix><KeyCount>2</KeyCount><MaxKeys>1000</MaxKeys>\
                 <IsTruncated>false</IsTruncated>\
                 <Contents><Key>secret.bin</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified>\
                 <ETag>\"aa\"</ETag><Size>5</Size><StorageClass>STANDARD</StorageClass></Contents>\
                 <Contents><Key>plans.bin</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified>\
                 <ETag>\"bb\"</ETag><Size>5</Size><StorageClass>STANDARD</StorageClass></Contents>\
                 </ListBucketResult>",
            )
        } else {
            Reply::xml(
                400,
                "<Error><Code>InvalidRequest</Code><Message>no</Message></Error>",
            )
        }
    })
}

#[test]
fn a_server_that_answers_400_to_everything_learns_no_key() {
    let sb = Sandbox::new();
    // Two SSE-C keys; one even has a home in a bucket named `victim` — on the real server.
    sb.ok(&["keys", "new", "alpha"]);
    sb.ok(&["keys", "new", "beta"]);
    sb.ok(&["keys", "homes", "beta", "--add", "s3://victim"]);
    let peer = hostile_peer();
    let url = peer.url();
    let dest = sb.path("stolen.bin");

    let (ok, out, _) = run({
        let mut c = sb.cmd_at(&url);
        c.args(["ls", "s3://victim/"]);
        c
    });
    assert!(ok, "ls lists what it can: {out}");
    assert!(out.contains("sse-c (key not known here)"), "{out}");

    let (ok, out, _) = run({
        let mut c = sb.cmd_at(&url);
        c.args(["info", "s3://victim/secret.bin", "--json"]);
        c
    });
    assert!(ok);
    let info: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(info["mode"], "sse-c", "{info}");
    assert_eq!(info["key_status"], "not-home", "{info}");

    let (ok, _, err) = run({
        let mut c = sb.cmd_at(&url);
        c.args(["get", "s3://victim/secret.bin", dest.to_str().unwrap()]);
        c
    });
    assert!(!ok);
    assert!(
        err.contains("none of your local keys belongs to this bucket"),
        "{err}"
    );
    assert!(err.contains("--key NAME"), "the CLI names the flag: {err}");
    assert!(!dest.exists(), "nothing written");

    let (ok, out, _) = run({
        let mut c = sb.cmd_at(&url);
        c.args(["audit", "s3://victim/", "--json", "--no-cache"]);
        c
    });
    assert!(ok);
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["by_mode"]["sse-c"], 2, "{report}");

    let requests = peer.requests();
    assert!(
        requests.iter().filter(|r| r.method == "HEAD").count() >= 4,
        "the commands did ask the peer: {requests:?}"
    );
    for request in &requests {
        for header in SSE_C_KEY_HEADERS {
            assert!(
                request.header(header).is_none(),
                "{} {} carried {header}",
                request.method,
                request.target
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_key_is_offered_in_its_homes_and_elsewhere_only_when_named() {
    let sb = Sandbox::new();
    sb.ok(&["keys", "new", "k"]);
    let home = sb.bucket("home");
    let away = sb.bucket("away");
    let src = sb.path("a.bin");
    let data = random_file(&src, 4096, 71);

    // An upload with the key makes its bucket a home: found again without naming it.
    let at_home = format!("s3://{home}/a.bin");
    sb.ok(&[
        "put",
        src.to_str().unwrap(),
        &at_home,
        "--encryption",
        "sse-c",
        "--key",
        "k",
    ]);
    assert_eq!(sb.info(&at_home)["matching_key"], "k");
    let homes = sb.ok(&["keys", "homes", "k"]);
    assert!(homes.contains(&format!("s3://{home}/")), "{homes}");

    // The same key used by another tool in another bucket: not offered there unasked.
    let keys_json: serde_json::Value =
        serde_json::from_str(&sb.ok(&["keys", "list", "--json"])).unwrap();
    assert_eq!(keys_json[0]["name"], "k");
    let key_b64 = sb.ok(&["keys", "export", "k", "--stdout", "--format", "base64"]);
    let key = base64::engine::general_purpose::STANDARD
        .decode(key_b64.trim())
        .unwrap();
    let conn = sb.connection().await;
    for name in ["one.bin", "two.bin"] {
        conn.s3()
            .put_object()
            .bucket(&away)
            .key(name)
            .sse_customer_algorithm("AES256")
            .sse_customer_key(base64::engine::general_purpose::STANDARD.encode(&key))
            .sse_customer_key_md5(keys_json[0]["md5"].as_str().unwrap())
            .body(ByteStream::from(data.clone()))
            .send()
            .await
            .unwrap();
    }
    let one = format!("s3://{away}/one.bin");
    let two = format!("s3://{away}/two.bin");
    let info = sb.info(&one);
    assert_eq!(info["key_status"], "not-home", "{info}");
    let dest = sb.path("one.out");
    let err = sb.fails(&["get", &one, dest.to_str().unwrap()]);
    assert!(err.contains("belongs to this bucket"), "{err}");
    assert!(!dest.exists());

    // Named, it is sent; and the object it opened is remembered.
    sb.ok(&["get", &one, dest.to_str().unwrap(), "--key", "k"]);
    assert_eq!(std::fs::read(&dest).unwrap(), data);
    assert_eq!(sb.info(&one)["matching_key"], "k");
    assert_eq!(sb.info(&two)["key_status"], "not-home");

    // Made a home, the whole bucket is.
    sb.ok(&["keys", "homes", "k", "--add", &format!("s3://{away}")]);
    assert_eq!(sb.info(&two)["matching_key"], "k");
    sb.ok(&["keys", "homes", "k", "--remove", &format!("s3://{away}/")]);
    assert_eq!(sb.info(&two)["key_status"], "not-home");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_key_opens_a_foreign_client_side_object_and_is_never_sent_as_sse_c() {
    use s3seal::crypto::envelope::StringMap;
    use s3seal::crypto::{FormatVersion, Key256, encrypt_body, keywrap};

    let sb = Sandbox::new();
    let master_hex = "5e".repeat(32);
    sb.ok(&[
        "keys",
        "import",
        "cm",
        "--hex",
        &master_hex,
        "--kind",
        "client",
    ]);
    sb.ok(&["keys", "new", "cm2", "--kind", "client"]);
    let bucket = sb.bucket("foreign");
    // Written by another client: an empty material description, so nothing names the key.
    let master = Key256::from_slice(&hex::decode(&master_hex).unwrap()).unwrap();
    let (envelope, data_key) =
        keywrap::new_raw_aes_envelope(&master, FormatVersion::V3, StringMap::new()).unwrap();
    let plaintext = b"written by someone else's client".to_vec();
    let body = encrypt_body(&envelope, &data_key, &plaintext).unwrap();
    let conn = sb.connection().await;
    conn.s3()
        .put_object()
        .bucket(&bucket)
        .key("foreign.bin")
        .set_metadata(Some(envelope.to_metadata().into_iter().collect()))
        .body(ByteStream::from(body))
        .send()
        .await
        .unwrap();
    let uri = format!("s3://{bucket}/foreign.bin");
    let dest = sb.path("foreign.out");
    let out = sb.ok(&["get", &uri, dest.to_str().unwrap(), "--key", "cm"]);
    assert!(out.contains("local key 'cm'"), "{out}");
    assert_eq!(std::fs::read(&dest).unwrap(), plaintext);
    let info: serde_json::Value =
        serde_json::from_str(&sb.ok(&["info", &uri, "--key", "cm", "--json"])).unwrap();
    assert_eq!(info["matching_key"], "cm", "{info}");
    sb.ok(&[
        "rekey",
        &uri,
        "--source-key",
        "cm",
        "--encryption",
        "client",
        "--key",
        "cm2",
    ]);
    assert_eq!(sb.info(&uri)["matching_key"], "cm2");

    // An SSE-C object and a client key named for it: refused, nothing sent.
    let src = sb.path("s.bin");
    random_file(&src, 100, 5);
    sb.ok(&["keys", "new", "s"]);
    let ssec = format!("s3://{bucket}/ssec.bin");
    sb.ok(&[
        "put",
        src.to_str().unwrap(),
        &ssec,
        "--encryption",
        "sse-c",
        "--key",
        "s",
    ]);
    let err = sb.fails(&["get", &ssec, sb.path("x").to_str().unwrap(), "--key", "cm"]);
    assert!(err.contains("is a client key, not a sse-c key"), "{err}");
}

#[test]
fn keys_import_reads_the_key_from_standard_input() {
    let sb = Sandbox::new();
    let help = sb.ok(&["keys", "import", "--help"]);
    assert!(help.contains("standard input"), "{help}");
    let name = format!("piped-{}", unique());
    let key_b64 = base64::engine::general_purpose::STANDARD.encode([0x42u8; 32]);
    let out = sb
        .bare_cmd()
        .args(["keys", "import", &name, "--base64", "-"])
        .write_stdin(format!("{key_b64}\n"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listed: serde_json::Value =
        serde_json::from_str(&sb.ok(&["keys", "list", "--json"])).unwrap();
    assert_eq!(listed[0]["name"], name);
    let exported = sb.ok(&["keys", "export", &name, "--stdout", "--format", "base64"]);
    assert_eq!(exported.trim(), key_b64);
}
