//! Bad input against the real servers: each case checks the message says what to do, and that
//! nothing was lost or left behind.

use std::time::{Duration, Instant};

use crate::support::{Sandbox, random_file, temp_leftovers};

async fn object_exists(sb: &Sandbox, bucket: &str, key: &str) -> bool {
    let conn = sb.connection().await;
    let listed = conn
        .s3()
        .list_objects_v2()
        .bucket(bucket)
        .prefix(key)
        .send()
        .await
        .unwrap();
    listed.contents().iter().any(|o| o.key() == Some(key))
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_and_missing_sse_c_keys() {
    let sb = Sandbox::new();
    let bucket = sb.bucket("ssec");
    sb.ok(&["keys", "new", "right"]);
    sb.ok(&["keys", "new", "wrong"]);
    let src = sb.path("a.bin");
    random_file(&src, 2048, 3);
    let uri = format!("s3://{bucket}/a.bin");
    sb.ok(&[
        "put",
        src.to_str().unwrap(),
        &uri,
        "--encryption",
        "sse-c",
        "--key",
        "right",
    ]);

    let dest = sb.path("out.bin");
    let err = sb.fails(&["get", &uri, dest.to_str().unwrap(), "--key", "wrong"]);
    assert!(err.contains("the SSE-C key 'wrong' does not fit"), "{err}");
    assert!(!dest.exists());
    assert!(temp_leftovers(sb.dir.path()).is_empty());

    let err = sb.fails(&["info", &uri, "--key", "wrong"]);
    assert!(err.contains("does not fit"), "{err}");

    // A user without the key: S3 answers 400, and no local key fits.
    let stranger = Sandbox::new();
    let err = stranger.fails(&["get", &uri, dest.to_str().unwrap()]);
    assert!(
        err.contains("encrypted with SSE-C and no local key fits"),
        "{err}"
    );
    assert!(err.contains("--key NAME"), "{err}");
    assert!(!dest.exists());
    let info = stranger.info(&uri);
    assert_eq!(info["mode"], "sse-c");
    assert!(info["matching_key"].is_null());
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_key_name_uploads_nothing() {
    let sb = Sandbox::new();
    let bucket = sb.bucket("nokey");
    let src = sb.path("a.bin");
    random_file(&src, 100, 4);
    let err = sb.fails(&[
        "put",
        src.to_str().unwrap(),
        &format!("s3://{bucket}/a.bin"),
        "--encryption",
        "sse-c",
        "--key",
        "nosuch",
    ]);
    assert!(err.contains("no key named 'nosuch'"), "{err}");
    assert!(err.contains("s3seal keys new nosuch"), "{err}");
    assert!(!object_exists(&sb, &bucket, "a.bin").await);

    let err = sb.fails(&[
        "put",
        src.to_str().unwrap(),
        &format!("s3://{bucket}/a.bin"),
        "--encryption",
        "sse-c",
    ]);
    assert!(err.contains("needs --key NAME"), "{err}");
    let err = sb.fails(&[
        "put",
        src.to_str().unwrap(),
        &format!("s3://{bucket}/a.bin"),
        "--encryption",
        "rot13",
    ]);
    assert!(err.contains("invalid value 'rot13'"), "{err}");
    assert!(
        err.contains("sse-kms"),
        "the possible values are listed: {err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn nonexistent_kms_key_is_refused() {
    let sb = Sandbox::new();
    let bucket = sb.bucket("nokms");
    let src = sb.path("a.bin");
    random_file(&src, 100, 5);
    let err = sb.fails(&[
        "put",
        src.to_str().unwrap(),
        &format!("s3://{bucket}/a.bin"),
        "--encryption",
        "sse-kms",
        "--kms-key",
        "11111111-2222-3333-4444-555555555555",
    ]);
    assert!(err.contains("KMS key"), "{err}");
    assert!(err.contains("s3seal kms"), "{err}");
    assert!(!object_exists(&sb, &bucket, "a.bin").await);
}

#[tokio::test(flavor = "multi_thread")]
async fn sse_c_over_plain_http_is_refused_before_sending() {
    let sb = Sandbox::new();
    let bucket = sb.bucket("http");
    sb.ok(&["keys", "new", "k"]);
    let src = sb.path("a.bin");
    random_file(&src, 100, 6);
    let uri = format!("s3://{bucket}/a.bin");
    let out = sb
        .bare_cmd()
        .args([
            "--endpoint-url",
            &sb.env.http_endpoint,
            "put",
            src.to_str().unwrap(),
            &uri,
        ])
        .args(["--encryption", "sse-c", "--key", "k"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("refusing SSE-C over plain HTTP"), "{err}");
    assert!(err.contains("https://"), "{err}");
    assert!(!object_exists(&sb, &bucket, "a.bin").await);

    // The same server over plain HTTP works for modes that send no key.
    let out = sb
        .bare_cmd()
        .args([
            "--endpoint-url",
            &sb.env.http_endpoint,
            "put",
            src.to_str().unwrap(),
            &uri,
        ])
        .args(["--encryption", "sse-s3"])
        .output()
        .unwrap();
    crate::support::assert_success(&out, &["put over http"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn interrupted_download_keeps_the_old_file() {
    let sb = Sandbox::new();
    let bucket = sb.bucket("intr");
    let src = sb.path("big.bin");
    random_file(&src, 96 * 1024 * 1024, 8);
    let uri = format!("s3://{bucket}/big.bin");
    sb.ok(&["put", src.to_str().unwrap(), &uri]);

    let out_dir = sb.path("downloads");
    std::fs::create_dir(&out_dir).unwrap();
    let dest = out_dir.join("big.bin");
    std::fs::write(&dest, b"the old, precious contents").unwrap();

    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("s3seal"))
        .env("S3SEAL_CONFIG_DIR", sb.config_dir())
        .args(["--endpoint-url", &sb.env.endpoint, "--ca-bundle"])
        .arg(&sb.env.ca)
        .args(["get", &uri, dest.to_str().unwrap()])
        .spawn()
        .unwrap();
    // Interrupt (Ctrl-C) once the download's file (its partial file: the object is ranged and
    // server-side, so resumable) has started to fill.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if crate::support::download_file_in(child.id(), &out_dir).is_some_and(|size| size > 0) {
            break;
        }
        assert!(Instant::now() < deadline, "download never started");
        assert!(
            child.try_wait().unwrap().is_none(),
            "download finished before it could be interrupted"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    assert!(
        !exit.success(),
        "an interrupted download must not report success"
    );
    assert_eq!(std::fs::read(&dest).unwrap(), b"the old, precious contents");
    assert!(
        temp_leftovers(&out_dir).is_empty(),
        "{:?}",
        temp_leftovers(&out_dir)
    );
    // Ctrl-C is no interruption to continue: the journal keeps nothing either.
    let journal = crate::faults::scene::names_in(&sb.config_dir().join("transfers"));
    assert!(!journal.iter().any(|n| n.ends_with(".json")), "{journal:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn cancelled_multipart_upload_leaves_no_upload_open() {
    let sb = Sandbox::new();
    let bucket = sb.bucket("cancel");
    let conn = sb.connection().await;
    let src = sb.path("big.bin");
    random_file(&src, 160 * 1024 * 1024, 9);
    let uri = format!("s3://{bucket}/big.bin");

    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("s3seal"))
        .env("S3SEAL_CONFIG_DIR", sb.config_dir())
        .args(["--endpoint-url", &sb.env.endpoint, "--ca-bundle"])
        .arg(&sb.env.ca)
        .args(["put", src.to_str().unwrap(), &uri])
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let open = conn
            .s3()
            .list_multipart_uploads()
            .bucket(&bucket)
            .send()
            .await
            .unwrap();
        if !open.uploads().is_empty() {
            break;
        }
        assert!(Instant::now() < deadline, "multipart upload never started");
        assert!(
            child.try_wait().unwrap().is_none(),
            "upload finished before it could be cancelled"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    assert!(!exit.success());
    let open = conn
        .s3()
        .list_multipart_uploads()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    assert!(open.uploads().is_empty(), "left open: {:?}", open.uploads());
    assert!(!object_exists(&sb, &bucket, "big.bin").await);
}

#[test]
fn bad_key_imports_are_rejected_without_echoing_input() {
    let sb = Sandbox::new();
    let short = sb.path("short.key");
    std::fs::write(&short, [7u8; 31]).unwrap();
    let err = sb.fails(&["keys", "import", "k", "--file", short.to_str().unwrap()]);
    assert!(err.contains("invalid key"), "{err}");
    assert!(err.contains("32 bytes"), "{err}");

    let err = sb.fails(&["keys", "import", "k", "--base64", "not*base64!!"]);
    assert!(err.contains("invalid key"), "{err}");
    assert!(
        !err.contains("not*base64!!"),
        "the input must not be echoed: {err}"
    );

    let err = sb.fails(&["keys", "import", "k", "--hex", "abcd"]);
    assert!(err.contains("invalid key"), "{err}");

    // Nothing was added to the catalog.
    let list: serde_json::Value =
        serde_json::from_str(&sb.ok(&["keys", "list", "--json"])).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 0);
}

#[test]
fn bad_uris_and_endpoints_say_what_to_write() {
    let sb = Sandbox::new();
    let err = sb.fails(&["info", "bucket/key"]);
    assert!(err.contains("s3://BUCKET/KEY"), "{err}");
    let out = sb
        .bare_cmd()
        .args(["--endpoint-url", "127.0.0.1:9", "ls"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("must start with https://"), "{err}");
}
