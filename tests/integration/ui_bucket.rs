//! The window's bucket protection against LocalStack over HTTPS: the security view shows a
//! verdict for each item; "Enforce TLS" shows the policy diff and writes nothing until applied,
//! then merges the deny into the stored policy; default encryption and the SSE-C block are set
//! after a confirmation; the upload dialog warns before sending when the policy would refuse the
//! upload; the audit counts, filters and exports CSV.
//! Run with `scripts/test-env.sh cargo test --test integration ui_bucket::`.

use egui::accesskit::Role;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use s3seal::s3::bucket::{self, StoredPolicy};
use s3seal::ui::TestFileDialog;
use serde_json::{Value, json};

use crate::support::{Sandbox, kms_required_policy, random_file};
use crate::ui_support::{
    click, click_button, open_bucket, type_into, unique, wait_for, wait_for_label,
    wait_for_label_containing,
};

fn statements(policy: &Value) -> Vec<Value> {
    match &policy["Statement"] {
        Value::Array(a) => a.clone(),
        one => vec![one.clone()],
    }
}

async fn stored_policy(sb: &Sandbox, bucket: &str) -> Option<Value> {
    match bucket::get_policy(&sb.connection().await, bucket)
        .await
        .unwrap()
    {
        Some(StoredPolicy { parsed: Ok(v), .. }) => Some(v),
        other => other.map(|p| panic!("stored policy unreadable: {}", p.text)),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn security_view_verdicts_and_changes_confirmed_first() {
    let sb = Sandbox::new();
    let b = sb.bucket("uisec");
    let conn = sb.connection().await;
    let (_, alias) = sb.kms_key_with_alias("uisec").await;
    // A policy that grants something unrelated and enforces nothing.
    let keep = json!({
        "Sid": "ReadForAuditors",
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::123456789012:role/auditor"},
        "Action": "s3:GetObject",
        "Resource": format!("arn:aws:s3:::{b}/*")
    });
    let original = json!({"Version": "2012-10-17", "Statement": [keep.clone()]});
    bucket::put_policy(&conn, &b, &original).await.unwrap();

    let dialog = TestFileDialog::new();
    let mut h = tokio::task::block_in_place(|| open_bucket(&sb, &b, &dialog));
    tokio::task::block_in_place(|| {
        wait_for_label_containing(&mut h, "This folder is empty");
        click(&mut h, "Bucket security");
        wait_for_label(&mut h, &format!("Security of {b}"));
        // Each item has its verdict, in plain words.
        for title in [
            "Default encryption",
            "SSE-C uploads",
            "Encryption in transit",
            "Versioning",
        ] {
            wait_for_label(&mut h, title);
        }
        wait_for_label_containing(&mut h, "does not deny every plain-HTTP request");
        wait_for_label_containing(&mut h, "red: at risk");
        wait_for_label_containing(&mut h, "Versioning is off");

        // Enforce TLS: the diff comes first, and nothing is written yet.
        click_button(&mut h, "Enforce TLS…");
        wait_for_label(&mut h, &format!("The policy of {b} will change like this:"));
        wait_for_label_containing(&mut h, "\"Sid\": \"S3sealDenyInsecureTransport\"");
        wait_for_label_containing(&mut h, "1 other statement kept unchanged");
    });
    assert_eq!(
        stored_policy(&sb, &b).await,
        Some(original.clone()),
        "written before Apply"
    );

    tokio::task::block_in_place(|| {
        click_button(&mut h, "Apply policy change");
        wait_for_label_containing(&mut h, &format!("the policy of {b} was updated"));
        wait_for_label_containing(&mut h, "denies every request made without TLS");
    });
    let after = stored_policy(&sb, &b).await.unwrap();
    let kept = statements(&after);
    assert!(
        kept.contains(&keep),
        "the unrelated statement changed: {after}"
    );
    assert!(
        kept.iter()
            .any(|s| s["Sid"] == "S3sealDenyInsecureTransport"),
        "{after}"
    );

    tokio::task::block_in_place(|| {
        // Default encryption: SSE-KMS under a customer-managed key, with a Bucket Key (the
        // form's default), confirmed first.
        h.get_by_role_and_label(Role::RadioButton, "SSE-KMS")
            .click();
        h.step();
        h.get_by_label("KMS key").click();
        h.step();
        wait_for_label(&mut h, "Find a key");
        type_into(&mut h, "Find a key", &alias);
        wait_for_label(&mut h, &alias);
        click(&mut h, &alias);
        click_button(&mut h, "Set default encryption…");
        wait_for_label_containing(
            &mut h,
            "Objects already in the bucket keep the encryption they have",
        );
        click_button(&mut h, "Set default encryption");
        let done =
            wait_for_label_containing(&mut h, &format!("new uploads to {b} now get SSE-KMS"));
        // The key is named as people know it, not by the ARN S3 answers with.
        assert!(done.contains(&alias), "{done}");
        assert!(!done.contains("arn:aws:kms"), "{done}");

        // The SSE-C block, confirmed with what it means (once the view has reloaded).
        wait_for_label(&mut h, "Block SSE-C…");
        click_button(&mut h, "Block SSE-C…");
        wait_for_label_containing(&mut h, "will be refused (S3 answers 403)");
        click_button(&mut h, "Block SSE-C");
        wait_for(&mut h, "the security view to reload", |h| {
            h.query_all_by_label("Block SSE-C").next().is_none()
                && !h.state().as_ref().is_some_and(|a| a.is_busy())
        });
    });
    let shown: Value =
        serde_json::from_str(&sb.ok(&["bucket", "show", &format!("s3://{b}"), "--json"])).unwrap();
    assert_eq!(shown["default_encryption"]["mode"], "sse-kms", "{shown}");
    assert_eq!(
        shown["default_encryption"]["bucket_key_enabled"], true,
        "{shown}"
    );
    assert_eq!(shown["tls_enforced"], true, "{shown}");
}

#[tokio::test(flavor = "multi_thread")]
async fn upload_dialog_warns_before_sending_when_the_policy_refuses() {
    let sb = Sandbox::new();
    let b = sb.bucket("uiprev");
    let conn = sb.connection().await;
    bucket::put_policy(&conn, &b, &kms_required_policy(&b))
        .await
        .unwrap();
    random_file(&sb.path("report.pdf"), 100, 5);

    let dialog = TestFileDialog::new();
    let mut h = tokio::task::block_in_place(|| open_bucket(&sb, &b, &dialog));
    tokio::task::block_in_place(|| {
        wait_for_label_containing(&mut h, "This folder is empty");
        click(&mut h, "Upload…");
        wait_for_label(&mut h, "Add files…");
        dialog.answer(vec![sb.path("report.pdf")]);
        click(&mut h, "Add files…");
        // SSE-S3 (the dialog's default choice) is refused by the policy: said before sending,
        // and the Upload button stays disabled.
        let warning = wait_for_label_containing(&mut h, "DenyNonKmsUploads");
        assert!(warning.contains("will deny"), "{warning}");
        wait_for_label_containing(&mut h, "Checked with the bucket: the object s3://");
        let upload = h.get_by_role_and_label(Role::Button, "Upload 1 file");
        assert!(
            upload.accesskit_node().is_disabled(),
            "Upload is enabled despite the refusal"
        );
        // SSE-KMS satisfies the policy: the warning goes away.
        h.get_by_role_and_label(Role::RadioButton, "SSE-KMS")
            .click();
        h.step();
        wait_for(&mut h, "the warning to go", |h| {
            h.query_all_by_label_contains("DenyNonKmsUploads")
                .next()
                .is_none()
                && h.query_all_by_label_contains("will be encrypted with SSE-KMS")
                    .next()
                    .is_some()
        });
        let upload = h.get_by_role_and_label(Role::Button, "Upload 1 file");
        assert!(!upload.accesskit_node().is_disabled());
    });
    // Nothing was sent by previewing.
    sb.fails(&["info", &format!("s3://{b}/report.pdf")]);
}

#[tokio::test(flavor = "multi_thread")]
async fn audit_counts_filters_and_exports_csv() {
    let sb = Sandbox::new();
    let b = sb.bucket("uiaudit");
    let file = sb.path("f.txt");
    random_file(&file, 300, 9);
    let f = file.to_str().unwrap();
    let key_name = format!("audit-{}", unique());
    sb.ok(&["keys", "new", &key_name]);
    for (name, args) in [
        ("a.txt", vec!["--encryption", "sse-s3"]),
        ("b.txt", vec!["--encryption", "sse-s3"]),
        ("kms.txt", vec!["--encryption", "sse-kms"]),
        (
            "mine.txt",
            vec!["--encryption", "sse-c", "--key", &key_name],
        ),
    ] {
        let uri = format!("s3://{b}/{name}");
        let mut all = vec!["put", f, &uri];
        all.extend(args);
        sb.ok(&all);
    }
    // An SSE-C object under a key this catalog does not have.
    let other = Sandbox::new();
    other.ok(&["keys", "new", "elsewhere"]);
    other.ok(&[
        "put",
        f,
        &format!("s3://{b}/theirs.txt"),
        "--encryption",
        "sse-c",
        "--key",
        "elsewhere",
    ]);

    let dialog = TestFileDialog::new();
    let csv_path = sb.path("audit.csv");
    let mut h = tokio::task::block_in_place(|| open_bucket(&sb, &b, &dialog));
    tokio::task::block_in_place(|| {
        wait_for_label(&mut h, "theirs.txt");
        click(&mut h, "Audit");
        click_button(&mut h, &format!("Audit s3://{b}/"));
        wait_for_label_containing(&mut h, ": 5 objects, 0 from the last audit");
        // The chart's bars carry the counts per mode and per key.
        wait_for_label(&mut h, "sse-c:unknown");
        wait_for_label(&mut h, &format!("sse-c:{key_name}"));
        // The filter narrows the rows to the object nobody here can read.
        h.get_by_label("Show").click();
        h.step();
        wait_for_label(&mut h, "SSE-C with an unknown key");
        click(&mut h, "SSE-C with an unknown key");
        wait_for_label(&mut h, "1 of 5 objects");
        assert!(h.query_by_label("theirs.txt").is_some());
        assert!(h.query_by_label("mine.txt").is_none());

        dialog.answer(vec![csv_path.clone()]);
        click_button(&mut h, "Export CSV…");
        wait_for_label_containing(&mut h, "saved the audit to");

        // Again: the unchanged objects come from the cache, except the SSE-C object no local
        // key opened (a key imported since would open it, so it is asked again).
        click_button(&mut h, &format!("Audit s3://{b}/"));
        wait_for_label_containing(&mut h, ": 5 objects, 4 from the last audit");
    });
    let csv = std::fs::read_to_string(&csv_path).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 6, "{csv}");
    assert!(lines[0].starts_with("key,size,"), "{csv}");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("theirs.txt,") && l.contains(",sse-c,")),
        "{csv}"
    );
}
