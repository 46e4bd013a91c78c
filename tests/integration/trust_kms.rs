//! Client-side KMS: a data key planted under somebody else's KMS key is refused before KMS is
//! asked; Decrypt always names the trusted key (`KeyId`); calls that carry plaintext data keys
//! never cross plain HTTP; and no data key appears in a trace log.

use aws_sdk_kms::primitives::Blob;
use base64::Engine as _;
use s3seal::crypto::Envelope;
use s3seal::crypto::keywrap;

use crate::peer::{Peer, Reply};
use crate::support::{Sandbox, random_file, run};

/// Uploads `src` client-side under KMS key `kms` as `uri`, with `sb`'s config (which trusts it).
fn put_kms(sb: &Sandbox, src: &std::path::Path, uri: &str, kms: &str) {
    sb.ok(&[
        "put",
        src.to_str().unwrap(),
        uri,
        "--encryption",
        "client",
        "--kms-key",
        kms,
    ]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_data_key_planted_under_another_kms_key_is_refused() {
    let victim = Sandbox::new();
    let attacker = Sandbox::new();
    let mine = victim.kms_key().await;
    let theirs = attacker.kms_key().await;
    let bucket = victim.bucket("planted");
    let src = victim.path("a.bin");
    let data = random_file(&src, 5000, 81);
    let own = format!("s3://{bucket}/own.bin");
    let planted = format!("s3://{bucket}/planted.bin");
    put_kms(&victim, &src, &own, &mine);
    put_kms(&attacker, &src, &planted, &theirs);

    let dest = victim.path("out.bin");
    let out = victim.ok(&["get", &own, dest.to_str().unwrap()]);
    assert!(out.contains(&format!("KMS key {mine}")), "{out}");
    std::fs::remove_file(&dest).unwrap();

    let err = victim.fails(&["get", &planted, dest.to_str().unwrap()]);
    assert!(err.contains("you have not said you trust"), "{err}");
    assert!(err.contains(&mine), "the key tried is named: {err}");
    assert!(err.contains("--kms-key"), "{err}");
    assert!(!dest.exists(), "nothing written");

    // A re-wrap never takes the planted data key under the victim's key.
    let before = victim.info(&planted);
    let err = victim.fails(&[
        "rekey",
        &planted,
        "--encryption",
        "client",
        "--kms-key",
        &mine,
    ]);
    assert!(err.contains("you have not said you trust"), "{err}");
    let after = victim.info(&planted);
    assert_eq!(before["etag"], after["etag"]);
    assert_eq!(before["metadata"], after["metadata"]);

    // Named for this read, the other key opens it.
    victim.ok(&[
        "get",
        &planted,
        dest.to_str().unwrap(),
        "--kms-key",
        &theirs,
    ]);
    assert_eq!(std::fs::read(&dest).unwrap(), data);
    // And a context the reader expects must be there.
    std::fs::remove_file(&dest).unwrap();
    let err = victim.fails(&[
        "get",
        &own,
        dest.to_str().unwrap(),
        "--context",
        "team=payroll",
    ]);
    assert!(err.contains("encryption context does not match"), "{err}");
    assert!(!dest.exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn decrypt_names_the_trusted_key_and_nothing_is_asked_without_one() {
    let sb = Sandbox::new();
    let kms = sb.kms_key().await;
    let bucket = sb.bucket("pinned");
    let src = sb.path("a.bin");
    random_file(&src, 1000, 82);
    let uri = format!("s3://{bucket}/a.bin");
    put_kms(&sb, &src, &uri, &kms);

    // A KMS peer that refuses every Decrypt as KMS does for the wrong key, and records it.
    let peer = Peer::https(|_| {
        Reply::new(
            400,
            r#"{"__type":"IncorrectKeyException","message":"The key ID in the request does not identify a CMK that can perform this operation."}"#,
        )
        .header("content-type", "application/x-amz-json-1.1")
    });
    let get = |sandbox: &Sandbox| {
        let mut c = sandbox.cmd();
        c.args([
            "--kms-endpoint-url",
            &peer.url(),
            "get",
            &uri,
            sandbox.path("out.bin").to_str().unwrap(),
        ]);
        run(c)
    };
    let (ok, _, err) = get(&sb);
    assert!(!ok, "the peer refuses: {err}");
    let decrypts: Vec<_> = peer
        .requests()
        .into_iter()
        .filter(|r| r.header("x-amz-target") == Some("TrentService.Decrypt"))
        .collect();
    assert_eq!(decrypts.len(), 1, "one trusted key, one Decrypt");
    let body: serde_json::Value = serde_json::from_slice(&decrypts[0].body).unwrap();
    assert_eq!(
        body["KeyId"], kms,
        "Decrypt is pinned to the trusted key: {body}"
    );

    // Someone who trusts no KMS key sends nothing to KMS at all.
    let stranger = Sandbox::new();
    let before = peer.requests().len();
    let (ok, _, err) = get(&stranger);
    assert!(!ok);
    assert!(err.contains("no KMS key is trusted yet"), "{err}");
    assert_eq!(peer.requests().len(), before, "KMS was not asked");
}

#[tokio::test(flavor = "multi_thread")]
async fn kms_data_keys_never_cross_plain_http() {
    let sb = Sandbox::new();
    let kms = sb.kms_key().await;
    let bucket = sb.bucket("kms-http");
    let src = sb.path("a.bin");
    random_file(&src, 1000, 83);
    let uri = format!("s3://{bucket}/a.bin");
    let http_kms = sb.env.http_endpoint.clone();

    let mut put = sb.cmd();
    put.args([
        "--kms-endpoint-url",
        &http_kms,
        "put",
        src.to_str().unwrap(),
        &uri,
        "--encryption",
        "client",
        "--kms-key",
        &kms,
    ]);
    let (ok, _, err) = run(put);
    assert!(!ok);
    assert!(err.contains("plaintext data key"), "{err}");
    assert!(err.contains("https://"), "{err}");
    let conn = sb.connection().await;
    let head = conn
        .s3()
        .head_object()
        .bucket(&bucket)
        .key("a.bin")
        .send()
        .await;
    assert!(head.is_err(), "nothing was uploaded");

    put_kms(&sb, &src, &uri, &kms);
    let dest = sb.path("out.bin");
    let mut get = sb.cmd();
    get.args([
        "--kms-endpoint-url",
        &http_kms,
        "get",
        &uri,
        dest.to_str().unwrap(),
    ]);
    let (ok, _, err) = run(get);
    assert!(!ok);
    assert!(err.contains("plaintext data key"), "{err}");
    assert!(!dest.exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn trace_logs_of_client_side_kms_hold_no_data_key() {
    let sb = Sandbox::new();
    let first = sb.kms_key().await;
    let second = sb.kms_key().await;
    let bucket = sb.bucket("kms-trace");
    let src = sb.path("a.bin");
    random_file(&src, 17 * 1024 * 1024, 84);
    let uri = format!("s3://{bucket}/a.bin");
    let dest = sb.path("b.bin");

    let mut log = Vec::new();
    for args in [
        vec![
            "put",
            src.to_str().unwrap(),
            &uri,
            "--encryption",
            "client",
            "--kms-key",
            &first,
        ],
        vec!["get", &uri, dest.to_str().unwrap()],
        vec![
            "rekey",
            &uri,
            "--encryption",
            "client",
            "--kms-key",
            &second,
        ],
    ] {
        let out = sb
            .cmd()
            .env("S3SEAL_LOG", "trace")
            .args(&args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        log.extend_from_slice(&out.stdout);
        log.extend_from_slice(&out.stderr);
    }
    let text = String::from_utf8_lossy(&log);
    assert!(
        text.contains("TRACE") && text.len() > 10_000,
        "trace logging ran"
    );
    assert_eq!(std::fs::read(&dest).unwrap(), std::fs::read(&src).unwrap());

    // The data key, recovered from the stored envelope through KMS.
    let conn = sb.connection().await;
    let head = conn
        .s3()
        .head_object()
        .bucket(&bucket)
        .key("a.bin")
        .send()
        .await
        .unwrap();
    let envelope = Envelope::parse(head.metadata().unwrap().clone())
        .unwrap()
        .unwrap();
    let (blob, context) = keywrap::kms_decrypt_request(&envelope).unwrap();
    let out = conn
        .kms()
        .decrypt()
        .key_id(&second)
        .ciphertext_blob(Blob::new(blob.to_vec()))
        .set_encryption_context(Some(context.clone().into_iter().collect()))
        .send()
        .await
        .unwrap();
    let data_key = out.plaintext.unwrap().into_inner();
    assert_eq!(data_key.len(), 32);
    for needle in [
        hex::encode(&data_key),
        hex::encode_upper(&data_key),
        base64::engine::general_purpose::STANDARD.encode(&data_key),
    ] {
        assert!(!text.contains(&needle), "the data key is in the log");
    }
}
