//! Bucket protection against LocalStack over HTTPS: the TLS deny merged into a stored policy
//! and removed again, a malformed policy left alone, default encryption observed on a plain
//! upload, the upload preview warning about a policy that requires KMS, and the SSE-C block.
//!
//! LocalStack stores policies but does not evaluate `aws:SecureTransport`; what is tested here
//! is what s3seal writes and reads back (the analysis itself is tested on tests/policy_corpus).

use crate::support::{Sandbox, kms_required_policy};
use s3seal::s3::bucket::{self, StoredPolicy};
use serde_json::{Value, json};

fn show(sb: &Sandbox, bucket: &str) -> Value {
    serde_json::from_str(&sb.ok(&["bucket", "show", &format!("s3://{bucket}"), "--json"])).unwrap()
}

async fn stored(sb: &Sandbox, bucket: &str) -> Option<StoredPolicy> {
    bucket::get_policy(&sb.connection().await, bucket)
        .await
        .unwrap()
}

fn statements(policy: &Value) -> Vec<Value> {
    match &policy["Statement"] {
        Value::Array(a) => a.clone(),
        one => vec![one.clone()],
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn enforce_and_relax_tls_merge_into_the_stored_policy() {
    let sb = Sandbox::new();
    let b = sb.bucket("tls");
    let uri = format!("s3://{b}");
    let conn = sb.connection().await;

    // No policy: red, nothing enforced.
    let report = show(&sb, &b);
    assert_eq!(report["tls_enforced"], false, "{report}");
    assert_eq!(report["verdicts"]["tls"]["level"], "red", "{report}");
    assert_eq!(report["min_tls_version"], Value::Null);

    // An existing policy with an unrelated statement (and an unknown top-level field).
    let original = json!({
        "Version": "2012-10-17",
        "Id": "team-policy",
        "Statement": [{
            "Sid": "ReadForAnalytics",
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::000000000000:root"},
            "Action": ["s3:GetObject", "s3:ListBucket"],
            "Resource": [format!("arn:aws:s3:::{b}"), format!("arn:aws:s3:::{b}/*")],
            "Condition": {"StringEquals": {"aws:PrincipalTag/team": "analytics"}}
        }]
    });
    bucket::put_policy(&conn, &b, &original).await.unwrap();

    // Dry run: the diff is shown, nothing is written.
    let out = sb.ok(&[
        "bucket",
        "enforce-tls",
        &uri,
        "--min-tls",
        "1.2",
        "--dry-run",
    ]);
    assert!(
        out.contains("+   \"Sid\": \"S3sealDenyInsecureTransport\""),
        "{out}"
    );
    assert!(out.contains("S3sealDenyOldTls"), "{out}");
    assert!(out.contains("1 other statement kept unchanged"), "{out}");
    assert!(out.contains("dry run"), "{out}");
    let after_dry = stored(&sb, &b).await.unwrap().parsed.unwrap();
    assert_eq!(after_dry, original);

    // Apply: stored, read back, analysed as enforced; the other statement equal in meaning.
    let out = sb.ok(&["bucket", "enforce-tls", &uri, "--min-tls", "1.2"]);
    assert!(out.contains("TLS is now enforced"), "{out}");
    let policy = stored(&sb, &b).await.unwrap().parsed.unwrap();
    let st = statements(&policy);
    assert_eq!(st.len(), 3, "{policy}");
    assert_eq!(st[0], original["Statement"][0]);
    assert_eq!(policy["Id"], "team-policy");
    assert_eq!(st[1]["Sid"], "S3sealDenyInsecureTransport");
    assert_eq!(st[1]["Condition"]["Bool"]["aws:SecureTransport"], "false");
    assert_eq!(
        st[2]["Condition"]["NumericLessThan"]["s3:TlsVersion"],
        "1.2"
    );
    let report = show(&sb, &b);
    assert_eq!(report["tls_enforced"], true, "{report}");
    assert_eq!(report["min_tls_version"], "1.2", "{report}");
    assert_eq!(report["verdicts"]["tls"]["level"], "green", "{report}");
    assert_eq!(report["policy_findings"], json!([]), "{report}");

    // Enforcing again changes nothing.
    let out = sb.ok(&["bucket", "enforce-tls", &uri, "--min-tls", "1.2"]);
    assert!(out.contains("no change"), "{out}");

    // Relax: only s3seal's statements go; the original comes back.
    let out = sb.ok(&["bucket", "relax-tls", &uri]);
    assert!(out.contains("- "), "{out}");
    let back = stored(&sb, &b).await.unwrap().parsed.unwrap();
    assert_eq!(back, original);
    assert_eq!(show(&sb, &b)["tls_enforced"], false);

    // With no other statement, enforce then relax deletes the policy again.
    bucket::delete_policy(&conn, &b).await.unwrap();
    sb.ok(&["bucket", "enforce-tls", &uri]);
    assert_eq!(show(&sb, &b)["tls_enforced"], true);
    let out = sb.ok(&["bucket", "relax-tls", &uri]);
    assert!(out.contains("will be deleted"), "{out}");
    assert!(stored(&sb, &b).await.is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_malformed_policy_is_reported_and_never_overwritten() {
    let sb = Sandbox::new();
    let b = sb.bucket("badpol");
    let conn = sb.connection().await;
    // Valid JSON, not a policy document: Statement is a string.
    let text = r#"{"Version":"2012-10-17","Statement":"s3:*"}"#;
    conn.s3()
        .put_bucket_policy()
        .bucket(&b)
        .policy(text)
        .send()
        .await
        .unwrap();

    let report = show(&sb, &b);
    assert_eq!(report["tls_enforced"], false);
    let findings = report["policy_findings"].to_string();
    assert!(findings.contains("cannot be read"), "{report}");

    for args in [
        vec!["bucket", "enforce-tls"],
        vec!["bucket", "enforce-tls", "--dry-run"],
        vec!["bucket", "relax-tls"],
    ] {
        let mut args = args.clone();
        let uri = format!("s3://{b}");
        args.push(&uri);
        let err = sb.fails(&args);
        assert!(err.contains("left unchanged"), "{err}");
        let now = stored(&sb, &b).await.unwrap();
        assert_eq!(now.text, text, "the malformed policy was touched");
    }
}

async fn create_kms_key(sb: &Sandbox) -> String {
    let out = sb
        .connection()
        .await
        .kms()
        .create_key()
        .description("s3seal bucket default")
        .send()
        .await
        .unwrap();
    out.key_metadata().unwrap().key_id().to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn default_encryption_is_set_and_applies_to_a_plain_put() {
    let sb = Sandbox::new();
    let b = sb.bucket("default");
    let uri = format!("s3://{b}");
    let key = create_kms_key(&sb).await;
    let file = sb.path("plain.txt");
    std::fs::write(&file, b"hello").unwrap();

    let out = sb.ok(&[
        "bucket",
        "set-default",
        &uri,
        "--encryption",
        "sse-kms",
        "--kms-key",
        &key,
        "--bucket-key",
    ]);
    assert!(out.contains("keep the encryption they have"), "{out}");
    let report = show(&sb, &b);
    let d = &report["default_encryption"];
    assert_eq!(d["mode"], "sse-kms", "{report}");
    assert!(d["kms_key_id"].as_str().unwrap().contains(&key), "{report}");
    assert_eq!(d["bucket_key_enabled"], true, "{report}");
    assert_eq!(report["verdicts"]["default_encryption"]["level"], "green");

    // The preview says the bucket default decides, and which key.
    let out = sb.ok(&[
        "put",
        "--dry-run",
        file.to_str().unwrap(),
        &format!("{uri}/a.txt"),
    ]);
    assert!(out.contains("bucket default"), "{out}");
    assert!(out.contains(&key), "{out}");
    assert!(!out.contains("warning:"), "{out}");
    sb.fails(&["info", &format!("{uri}/a.txt")]); // dry run uploaded nothing

    // A plain put (no header) gets the bucket default.
    sb.ok(&["put", file.to_str().unwrap(), &format!("{uri}/a.txt")]);
    let info = sb.info(&format!("{uri}/a.txt"));
    assert_eq!(info["mode"], "sse-kms", "{info}");
    assert!(
        info["kms_key_id"].as_str().unwrap().contains(&key),
        "{info}"
    );
    assert_eq!(info["bucket_key_enabled"], true, "{info}");

    // Back to SSE-S3: the next plain put is SSE-S3, the first object keeps SSE-KMS.
    sb.ok(&["bucket", "set-default", &uri, "--encryption", "sse-s3"]);
    assert_eq!(show(&sb, &b)["default_encryption"]["mode"], "sse-s3");
    sb.ok(&["put", file.to_str().unwrap(), &format!("{uri}/b.txt")]);
    assert_eq!(sb.info(&format!("{uri}/b.txt"))["mode"], "sse-s3");
    assert_eq!(sb.info(&format!("{uri}/a.txt"))["mode"], "sse-kms");

    // Bad flag combinations are refused before any call.
    let err = sb.fails(&["bucket", "set-default", &uri, "--encryption", "sse-c"]);
    assert!(
        err.contains("possible values: sse-s3, sse-kms, dsse-kms"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_policy_requiring_kms_makes_the_preview_warn() {
    let sb = Sandbox::new();
    let b = sb.bucket("needkms");
    let uri = format!("s3://{b}");
    let conn = sb.connection().await;
    bucket::put_policy(&conn, &b, &kms_required_policy(&b))
        .await
        .unwrap();
    let file = sb.path("f.bin");
    std::fs::write(&file, b"data").unwrap();
    let f = file.to_str().unwrap();

    for mode in ["default", "sse-s3"] {
        let out = sb.ok(&[
            "put",
            "--dry-run",
            f,
            &format!("{uri}/x"),
            "--encryption",
            mode,
        ]);
        assert!(
            out.contains("warning: the bucket policy (DenyNonKmsUploads) will deny"),
            "{mode}: {out}"
        );
        assert!(out.contains("S3 would refuse this upload"), "{mode}: {out}");
    }
    let out = sb.ok(&[
        "put",
        "--dry-run",
        f,
        &format!("{uri}/x"),
        "--encryption",
        "sse-kms",
    ]);
    assert!(!out.contains("warning:"), "{out}");
    assert!(out.contains("SSE-KMS"), "{out}");
    // Nothing was uploaded by any dry run.
    sb.fails(&["info", &format!("{uri}/x")]);

    // The library preview says the same.
    let pv = bucket::preview_upload(&conn, &b, "x", &bucket::PlannedEncryption::Default)
        .await
        .unwrap();
    assert!(pv.will_be_refused, "{pv:?}");
    assert!(pv.from_bucket_default);
}

#[tokio::test(flavor = "multi_thread")]
async fn sse_c_block_and_unblock_are_read_back_and_the_preview_warns() {
    let sb = Sandbox::new();
    let b = sb.bucket("ssec");
    let uri = format!("s3://{b}");
    let before = show(&sb, &b);
    assert_eq!(before["sse_c_blocked"], false, "{before}");
    assert_eq!(before["verdicts"]["sse_c"]["level"], "amber", "{before}");

    // LocalStack 4.14 stores BlockedEncryptionTypes and reports it back (like AWS S3), though it
    // does not enforce it: an SSE-C PutObject to a blocked bucket still answers 200 there.
    let out = sb.ok(&["bucket", "block-ssec", &uri]);
    assert!(out.contains("now refused"), "{out}");
    let after = show(&sb, &b);
    assert_eq!(after["sse_c_blocked"], true, "{after}");
    assert_eq!(after["sse_c_block_reported"], true, "{after}");
    assert_eq!(after["verdicts"]["sse_c"]["level"], "green", "{after}");
    // The default encryption is kept when only the block changes.
    assert_eq!(
        after["default_encryption"], before["default_encryption"],
        "{after}"
    );

    let f = sb.path("c.bin");
    std::fs::write(&f, b"x").unwrap();
    sb.ok(&["keys", "new", "blk"]);
    let preview = |sb: &Sandbox| {
        sb.ok(&[
            "put",
            "--dry-run",
            f.to_str().unwrap(),
            &format!("{uri}/c"),
            "--encryption",
            "sse-c",
            "--key",
            "blk",
        ])
    };
    let out = preview(&sb);
    assert!(out.contains("SSE-C uploads are blocked"), "{out}");
    assert!(out.contains("unblock-ssec"), "{out}");
    assert!(out.contains("S3 would refuse this upload"), "{out}");

    let out = sb.ok(&["bucket", "unblock-ssec", &uri]);
    assert!(out.contains("allowed again"), "{out}");
    let again = show(&sb, &b);
    assert_eq!(again["sse_c_blocked"], false, "{again}");
    assert_eq!(again["verdicts"]["sse_c"]["level"], "amber", "{again}");
    let out = preview(&sb);
    assert!(!out.contains("warning:"), "{out}");
}
