//! Nothing unverified at a visible path, even after a SIGKILL; re-wraps that never land on a
//! replaced object; V2 refused where key commitment is required; instruction files read only
//! where an envelope is expected, and never beyond their cap.

use std::time::{Duration, Instant};

use aws_sdk_s3::primitives::ByteStream;
use s3seal::Error;
use s3seal::s3::client_master::ClientMaster;
use s3seal::s3::{KeyAccess, ReadOptions, S3Uri};

use crate::peer::{Peer, Reply};
use crate::support::{Sandbox, random_file, run, unnamed_file_in};

#[test]
fn a_download_killed_mid_way_leaves_nothing_in_the_destination_folder() {
    let sb = Sandbox::new();
    sb.ok(&["keys", "new", "m", "--kind", "client"]);
    let bucket = sb.bucket("killed");
    let src = sb.path("big.bin");
    random_file(&src, 80 * 1024 * 1024, 91);
    let uri = format!("s3://{bucket}/big.bin");
    sb.put_client(&src, &uri, "m", &[]);

    let out_dir = sb.path("downloads");
    std::fs::create_dir(&out_dir).unwrap();
    let dest = out_dir.join("big.bin");
    let bin = assert_cmd::cargo::cargo_bin("s3seal");
    let mut child = std::process::Command::new(bin)
        .env("S3SEAL_CONFIG_DIR", sb.config_dir())
        .args(["--endpoint-url", &sb.env.endpoint, "--ca-bundle"])
        .arg(&sb.env.ca)
        .args(["--quiet", "get", &uri])
        .arg(&dest)
        .spawn()
        .unwrap();
    // Kill it once it has written decrypted bytes (to its unnamed file).
    let start = Instant::now();
    loop {
        if unnamed_file_in(child.id(), &out_dir).is_some_and(|size| size > 1024 * 1024) {
            break;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the download ended before it could be killed"
        );
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no download started"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let left: Vec<_> = std::fs::read_dir(&out_dir).unwrap().flatten().collect();
    assert!(left.is_empty(), "files left behind: {left:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rewrap_never_lands_on_an_object_replaced_meanwhile() {
    let sb = Sandbox::new();
    sb.ok(&["keys", "new", "old", "--kind", "client"]);
    sb.ok(&["keys", "new", "new", "--kind", "client"]);
    let bucket = sb.bucket("race");
    let (a, b) = (sb.path("a.bin"), sb.path("b.bin"));
    random_file(&a, 3000, 92);
    let data_b = random_file(&b, 3000, 93);
    let uri = format!("s3://{bucket}/o.bin");
    let put = |src: &std::path::Path| {
        sb.put_client(src, &uri, "old", &[]);
    };
    put(&a);
    let conn = sb.connection().await;
    let object = S3Uri::new(&bucket, "o.bin");
    let stale = conn
        .s3()
        .head_object()
        .bucket(&bucket)
        .key("o.bin")
        .send()
        .await
        .unwrap();
    // Another writer replaces the object (its body and its own envelope) after our HEAD.
    put(&b);

    let keys = KeyAccess::platform(Some(sb.config_dir()));
    let manager = keys.manager().await.unwrap();
    let (record, key) = manager.blocking(|k| k.secret("new")).await.unwrap();
    let master = ClientMaster::Raw { record, key };
    let read = ReadOptions::default();
    let err = s3seal::transfer::client_rekey::rewrap_object(
        &conn, &keys, &object, &stale, None, &read, &master,
    )
    .await
    .unwrap_err();
    assert!(matches!(err, Error::ObjectChanged { .. }), "{err}");
    // The new body still opens with its own envelope.
    let dest = sb.path("check.bin");
    sb.ok(&["get", &uri, dest.to_str().unwrap()]);
    assert_eq!(std::fs::read(&dest).unwrap(), data_b);
    assert_eq!(sb.info(&uri)["matching_key"], "old");

    // The same for an envelope in an instruction file: a file rewritten meanwhile is kept.
    let instr = S3Uri::new(&bucket, "i.bin");
    let (envelope, data_key) = {
        let (record, key) = manager.blocking(|k| k.secret("old")).await.unwrap();
        let matdesc = [("s3seal-key-id".to_owned(), record.id.clone())].into();
        s3seal::crypto::keywrap::new_raw_aes_envelope(
            &key,
            s3seal::crypto::FormatVersion::V3,
            matdesc,
        )
        .unwrap()
    };
    let ciphertext = s3seal::crypto::encrypt_body(&envelope, &data_key, b"instruction").unwrap();
    let (file_json, on_object) = envelope.to_instruction_file();
    conn.s3()
        .put_object()
        .bucket(&bucket)
        .key("i.bin")
        .set_metadata(Some(on_object.into_iter().collect()))
        .body(ByteStream::from(ciphertext))
        .send()
        .await
        .unwrap();
    let put_instruction = |json: String| {
        let conn = conn.clone();
        let bucket = bucket.clone();
        async move {
            conn.s3()
                .put_object()
                .bucket(&bucket)
                .key("i.bin.instruction")
                .body(ByteStream::from(json.into_bytes()))
                .send()
                .await
                .unwrap()
                .e_tag()
                .map(str::to_owned)
        }
    };
    let first_etag = put_instruction(file_json.clone()).await;
    // Someone rewrites the instruction file (same content, new write) between read and write.
    let result = s3seal::s3::client_envelope::replace_instruction_file(
        &conn,
        &instr,
        file_json.clone(),
        first_etag.as_deref(),
    )
    .await;
    assert!(result.is_ok(), "an unchanged file is replaced: {result:?}");
    let second_etag = put_instruction(format!("{file_json} ")).await;
    assert_ne!(first_etag, second_etag, "a new write, a new ETag");
    let err = s3seal::s3::client_envelope::replace_instruction_file(
        &conn,
        &instr,
        file_json,
        first_etag.as_deref(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, Error::Conflict { .. }), "{err}");
}

#[test]
fn v2_objects_are_refused_where_key_commitment_is_required() {
    let sb = Sandbox::new();
    sb.ok(&["keys", "new", "m", "--kind", "client"]);
    let bucket = sb.bucket("v2");
    let src = sb.path("a.bin");
    random_file(&src, 2000, 94);
    let uri = format!("s3://{bucket}/a.bin");
    sb.put_client(&src, &uri, "m", &["--format", "v2"]);
    let info = sb.info(&uri);
    assert_eq!(info["client_format"], "v2", "{info}");
    assert_eq!(info["client_committing"], false, "{info}");
    let dest = sb.path("a.out");
    let err = sb.fails(&["get", &uri, dest.to_str().unwrap(), "--require-commitment"]);
    assert!(err.contains("no key commitment"), "{err}");
    assert!(!dest.exists());
    sb.ok(&["get", &uri, dest.to_str().unwrap()]);
    // Written without --format, client-side objects are V3.
    let v3 = format!("s3://{bucket}/b.bin");
    sb.put_client(&src, &v3, "m", &[]);
    assert_eq!(sb.info(&v3)["client_committing"], true);
}

#[tokio::test(flavor = "multi_thread")]
async fn instruction_files_are_read_only_where_expected_and_never_past_their_cap() {
    let sb = Sandbox::new();
    let bucket = sb.bucket("instr");
    let conn = sb.connection().await;
    // A plain object with an oversized `.instruction` beside it.
    for (key, body) in [
        ("plain.bin", b"plain".to_vec()),
        ("plain.bin.instruction", vec![b' '; 70 * 1024]),
    ] {
        conn.s3()
            .put_object()
            .bucket(&bucket)
            .key(key)
            .body(ByteStream::from(body))
            .send()
            .await
            .unwrap();
    }
    let dest = sb.path("plain.out");
    let err = sb.fails(&[
        "get",
        &format!("s3://{bucket}/plain.bin"),
        dest.to_str().unwrap(),
    ]);
    assert!(err.contains("never more than 65536"), "{err}");
    assert!(!dest.exists());

    // A server with plain objects and no instruction files: the audit asks for none, and a
    // single object's look only asks whether one exists (a HEAD), reading none.
    let peer = Peer::https(|r| {
        if r.method == "GET" && r.target.contains("list-type=2") {
            Reply::xml(
                200,
                "<ListBucketResult><Name>b</Name><IsTruncated>false</IsTruncated>\
                 <Contents><Key>x.bin</Key><Size>1</Size><ETag>\"e\"</ETag>\
                 <LastModified>2026-01-01T00:00:00.000Z</LastModified></Contents></ListBucketResult>",
            )
        } else if r.method == "HEAD" && r.path() == "/b/x.bin" {
            Reply::new(200, "")
                .header("content-length", "1")
                .header("etag", "\"e\"")
        } else {
            Reply::xml(
                404,
                "<Error><Code>NoSuchKey</Code><Message>no</Message></Error>",
            )
        }
    });
    let (ok, out, err) = run({
        let mut c = sb.cmd_at(&peer.url());
        c.args(["audit", "s3://b/", "--json", "--no-cache"]);
        c
    });
    assert!(ok, "{out}{err}");
    assert!(
        !peer
            .requests()
            .iter()
            .any(|r| r.target.contains(".instruction")),
        "the audit asked for an instruction file"
    );
    let (ok, _, err) = run({
        let mut c = sb.cmd_at(&peer.url());
        c.args(["info", "s3://b/x.bin"]);
        c
    });
    assert!(ok, "{err}");
    let instruction_requests: Vec<_> = peer
        .requests()
        .into_iter()
        .filter(|r| r.target.contains(".instruction"))
        .map(|r| r.method)
        .collect();
    assert_eq!(instruction_requests, ["HEAD"]);
}
