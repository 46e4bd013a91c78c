//! The window's bucket-scale views against LocalStack over HTTPS, with the real Secret Service:
//! the audit tab offers "From inventory" with the report's date and counts the report (tables by
//! mode, EncryptionStatus, BucketKeyStatus, storage class, Object Lock; KMS keys by HEAD of
//! only the KMS objects; CSV export over a file the save dialog chose); the bucket view sets up
//! a daily inventory (diff and destination statement first, a conflict reviewed again), counts
//! incomplete uploads and aborts the selected ones (until none is left open), and adds the
//! lifecycle abort rule with every other rule kept.
//! Run with `scripts/test-env.sh cargo test --test integration ui_bucket_scale::`.

use aws_sdk_s3::types::{
    BucketLifecycleConfiguration, ExpirationStatus, LifecycleExpiration, LifecycleRule,
    LifecycleRuleFilter, ServerSideEncryption,
};
use egui::accesskit::Role;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use s3seal::s3::inventory::write::{ReportObject, sample_objects};
use s3seal::s3::inventory::{self, EncryptionStatus, ReportFormat};
use s3seal::s3::{Connection, S3Uri};
use s3seal::ui::TestFileDialog;

use crate::inventory::{configurations, finance_config, put_finance_config, upload_report};
use crate::support::Sandbox;
use crate::ui_support::{
    click, click_role, open_bucket, type_into, wait_for, wait_for_label, wait_for_label_containing,
};

const MIB: usize = 1024 * 1024;

/// Presses the button labelled `label`, scrolled into view (the bucket view is long).
fn press(h: &mut egui_kittest::Harness<'static, crate::ui_support::App>, label: &str) {
    click_role(h, Role::Button, label);
}

#[tokio::test(flavor = "multi_thread")]
async fn audit_from_inventory_counts_the_report_and_learns_kms_keys_by_head() {
    let sb = Sandbox::new();
    let conn = sb.connection().await;
    let src = sb.bucket("uiinv");
    let dest = sb.bucket("uiinvto");
    let plain = sb.bucket("uinoinv");
    // Two real SSE-KMS objects (S3's managed key), listed with 300 others that exist only in
    // the report.
    let mut objects: Vec<ReportObject> = sample_objects(300).collect();
    for key in ["kms/a", "kms/b"] {
        conn.s3()
            .put_object()
            .bucket(&src)
            .key(key)
            .server_side_encryption(ServerSideEncryption::AwsKms)
            .body(b"x".to_vec().into())
            .send()
            .await
            .unwrap();
        objects.push(ReportObject {
            key: key.to_owned(),
            size: 1,
            last_modified: 1_767_323_045_000,
            storage_class: "STANDARD",
            encryption: EncryptionStatus::SseKms,
            bucket_key: Some(false),
            lock_mode: None,
        });
    }
    let change = inventory::plan_enable_inventory(&conn, &src, &S3Uri::new(&dest, "inv"))
        .await
        .unwrap();
    inventory::apply_inventory_change(&conn, &change)
        .await
        .unwrap();
    let manifest = upload_report(&conn, &dest, &src, ReportFormat::Csv, vec![objects]).await;
    assert!(
        manifest.ends_with("2026-01-02T03-04Z/manifest.json"),
        "{manifest}"
    );
    let csv = sb.path("inventory.csv");
    std::fs::write(&csv, "an older export").unwrap();

    let dialog = TestFileDialog::new();
    tokio::task::block_in_place(|| {
        // A bucket without an inventory points to the setup.
        let mut h = open_bucket(&sb, &plain, &dialog);
        wait_for_label_containing(&mut h, "This folder is empty");
        click(&mut h, "Audit");
        wait_for_label_containing(&mut h, "This bucket has no S3 Inventory");
        press(&mut h, "Open Bucket security");
        wait_for_label(&mut h, &format!("Security of {plain}"));
    });
    let mut h = tokio::task::block_in_place(|| open_bucket(&sb, &src, &dialog));
    tokio::task::block_in_place(|| {
        wait_for_label_containing(&mut h, "kms/");
        click(&mut h, "Audit");
        let offer = "From inventory (report of 2026-01-02 03:04 UTC)";
        wait_for_label(&mut h, offer);
        wait_for_label_containing(&mut h, "free to read and covers the whole bucket");
        wait_for_label_containing(&mut h, "one request per object");
        press(&mut h, offer);
        wait_for_label(
            &mut h,
            &format!(
                "s3://{src} from its inventory report of 2026-01-02 03:04 UTC: 302 objects, 43.8 KiB (1 file)"
            ),
        );
        // Counted by this test independently: 60 of each status, the two real objects SSE-KMS
        // without a Bucket Key, every third object STANDARD_IA, every eleventh under compliance.
        for bar in [
            "SSE-S3: 60",
            "SSE-KMS: 62",
            "none: 60",
            "DSSE-KMS: 60",
            "SSE-C: 60",
            "NOT-SSE: 60",
            "ENABLED: 30",
            "DISABLED: 32",
            "STANDARD_IA: 100",
            "STANDARD: 202",
            "compliance: 28",
        ] {
            wait_for_label(&mut h, bar);
        }
        wait_for_label_containing(&mut h, "does not name KMS keys: 122 objects");

        // Only the 122 KMS objects are HEADed: two answer with their key, the rest are gone.
        press(&mut h, "HEAD all 122 KMS-encrypted objects");
        wait_for_label(
            &mut h,
            "KMS keys, by HEAD of 122 of the 122 SSE-KMS / DSSE-KMS objects",
        );
        wait_for(&mut h, "the two real objects under their key", |h| {
            h.query_all_by_role(Role::Meter).any(|n| {
                n.accesskit_node()
                    .label()
                    // Named by alias (S3's managed key), or by key id: never by its whole ARN.
                    .is_some_and(|l| {
                        l.starts_with("sse-kms:") && !l.contains("arn:") && l.ends_with(": 2")
                    })
            })
        });
        wait_for_label(&mut h, "(could not HEAD): 120");

        // CSV export replaces the file the save dialog chose, once the report was read again.
        dialog.answer(vec![csv.clone()]);
        press(&mut h, "Export CSV…");
        wait_for_label_containing(&mut h, &format!("saved the audit to {}", csv.display()));
    });
    let rows = crate::bucket_audit::python_csv(&csv);
    assert_eq!(rows.len(), 303, "a header and one row per object");
    assert_eq!(rows[0][1], "key");
    assert!(
        rows.iter().any(|r| r[1] == "kms/a" && r[5] == "sse-kms"),
        "{:?}",
        &rows[..3]
    );
    let leftovers: Vec<_> = std::fs::read_dir(sb.dir.path())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(".part"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn inventory_setup_shows_the_change_first_and_reviews_a_conflict_again() {
    let sb = Sandbox::new();
    let conn = sb.connection().await;
    let src = sb.bucket("uiinvcfg");
    let dest = sb.bucket("uiinvdst");
    put_finance_config(&conn, &src).await;

    let dialog = TestFileDialog::new();
    let mut h = tokio::task::block_in_place(|| open_bucket(&sb, &src, &dialog));
    tokio::task::block_in_place(|| {
        wait_for_label_containing(&mut h, "This folder is empty");
        click(&mut h, "Bucket security");
        wait_for_label(&mut h, "finance");
        wait_for_label(
            &mut h,
            "lacks LastModifiedDate, StorageClass, EncryptionStatus, BucketKeyStatus, ObjectLockMode, ObjectLockRetainUntilDate, ObjectLockLegalHoldStatus",
        );
        press(&mut h, "Set up a daily inventory…");
        type_into(&mut h, "Destination", &format!("s3://{dest}/inv"));
        press(&mut h, "Review change");
        wait_for_label(
            &mut h,
            &format!("The inventory configurations of {src} will change like this:"),
        );
        wait_for_label(&mut h, "+ inventory 's3seal-audit'");
        wait_for_label(&mut h, "+   field: EncryptionStatus");
        wait_for_label_containing(&mut h, "(kept unchanged: inventory 'finance'");
        wait_for_label_containing(&mut h, &format!("\"arn:aws:s3:::{dest}/inv/*\""));
        press(&mut h, "Copy statement");
        wait_for_label_containing(&mut h, "copied {");
    });
    assert_eq!(
        configurations(&conn, &src).await.len(),
        1,
        "written before Apply"
    );

    tokio::task::block_in_place(|| {
        press(&mut h, "Apply inventory configuration");
        wait_for_label_containing(
            &mut h,
            &format!("S3 will write a daily CSV inventory of {src} to s3://{dest}/inv"),
        );
        wait_for_label(&mut h, "s3seal-audit");
    });
    let after = configurations(&conn, &src).await;
    assert_eq!(after.len(), 2, "{after:?}");
    assert_eq!(
        after.iter().find(|c| c.id() == "finance"),
        Some(&finance_config()),
        "the other configuration is kept as it was"
    );
    let ours = after.iter().find(|c| c.id() == "s3seal-audit").unwrap();
    assert!(
        ours.optional_fields()
            .contains(&aws_sdk_s3::types::InventoryOptionalField::EncryptionStatus)
    );

    // Moved elsewhere; the other configuration is removed between the plan and Apply.
    tokio::task::block_in_place(|| {
        press(&mut h, "Change s3seal's daily inventory…");
        type_into(&mut h, "Destination", &format!("s3://{dest}/elsewhere"));
        press(&mut h, "Review change");
        wait_for_label(&mut h, &format!("+   destination: s3://{dest}/elsewhere"));
    });
    conn.s3()
        .delete_bucket_inventory_configuration()
        .bucket(&src)
        .id("finance")
        .send()
        .await
        .unwrap();
    tokio::task::block_in_place(|| {
        press(&mut h, "Apply inventory configuration");
        wait_for_label_containing(
            &mut h,
            &format!(
                "inventory configurations of bucket {src} changed since it was read; nothing was written"
            ),
        );
        press(&mut h, "Review again");
        wait_for(&mut h, "the plan without the removed configuration", |h| {
            h.query_all_by_label(&format!("+   destination: s3://{dest}/elsewhere"))
                .next()
                .is_some()
                && h.query_all_by_label_contains("kept unchanged: inventory 'finance'")
                    .next()
                    .is_none()
        });
    });
    let unchanged = configurations(&conn, &src).await;
    assert_eq!(
        unchanged.len(),
        1,
        "a conflict writes nothing: {unchanged:?}"
    );
    tokio::task::block_in_place(|| {
        press(&mut h, "Apply inventory configuration");
        wait_for_label_containing(&mut h, &format!("to s3://{dest}/elsewhere"));
    });
    let now = configurations(&conn, &src).await;
    let ours = now.iter().find(|c| c.id() == "s3seal-audit").unwrap();
    let to = ours.destination().unwrap().s3_bucket_destination().unwrap();
    assert_eq!(to.prefix(), Some("elsewhere"), "{ours:?}");
}

/// Starts an upload of `key` with one part of `len` bytes, as another tool would leave it.
async fn leave_incomplete(conn: &Connection, bucket: &str, key: &str, len: usize) {
    let s3 = conn.s3();
    let id = s3
        .create_multipart_upload()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .unwrap()
        .upload_id()
        .unwrap()
        .to_owned();
    s3.upload_part()
        .bucket(bucket)
        .key(key)
        .upload_id(&id)
        .part_number(1)
        .body(vec![7u8; len].into())
        .send()
        .await
        .unwrap();
}

async fn open_uploads(conn: &Connection, bucket: &str) -> Vec<String> {
    let listed = conn
        .s3()
        .list_multipart_uploads()
        .bucket(bucket)
        .send()
        .await
        .unwrap();
    let mut keys: Vec<String> = listed
        .uploads()
        .iter()
        .filter_map(|u| u.key().map(str::to_owned))
        .collect();
    keys.sort();
    keys
}

async fn rules(conn: &Connection, bucket: &str) -> Vec<LifecycleRule> {
    s3seal::s3::bucket::lifecycle::get_lifecycle(conn, bucket)
        .await
        .unwrap()
        .map(|c| c.rules)
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn incomplete_uploads_counted_aborted_and_the_abort_rule_added() {
    let sb = Sandbox::new();
    let conn = sb.connection().await;
    let b = sb.bucket("uiorph");
    let logs = LifecycleRule::builder()
        .id("expire-logs")
        .status(ExpirationStatus::Enabled)
        .filter(LifecycleRuleFilter::builder().prefix("logs/").build())
        .expiration(LifecycleExpiration::builder().days(30).build())
        .build()
        .unwrap();
    conn.s3()
        .put_bucket_lifecycle_configuration()
        .bucket(&b)
        .lifecycle_configuration(
            BucketLifecycleConfiguration::builder()
                .rules(logs.clone())
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    leave_incomplete(&conn, &b, "big.bin", 5 * MIB).await;
    leave_incomplete(&conn, &b, "a.bin", MIB).await;
    leave_incomplete(&conn, &b, "c.bin", MIB).await;

    let dialog = TestFileDialog::new();
    let mut h = tokio::task::block_in_place(|| open_bucket(&sb, &b, &dialog));
    tokio::task::block_in_place(|| {
        wait_for_label_containing(&mut h, "This folder is empty");
        click(&mut h, "Bucket security");
        wait_for_label(&mut h, "3 incomplete uploads, 7.0 MiB");
        wait_for_label_containing(
            &mut h,
            "3 incomplete uploads hold 7.0 MiB of parts you pay for",
        );
        wait_for_label(&mut h, "Lifecycle: no rule aborts incomplete uploads.");
        press(&mut h, "Show…");
        for key in ["a.bin", "c.bin"] {
            click_role(&mut h, Role::CheckBox, key);
        }
        press(&mut h, "Abort selected (2)…");
        wait_for_label_containing(&mut h, "Abort 2 incomplete uploads (2.0 MiB)?");
    });
    assert_eq!(
        open_uploads(&conn, &b).await.len(),
        3,
        "aborted before the yes"
    );
    tokio::task::block_in_place(|| {
        press(&mut h, "Abort 2 uploads");
        wait_for_label(&mut h, "Aborted 2 uploads, 2.0 MiB freed");
        wait_for_label(&mut h, "1 incomplete upload, 5.0 MiB");
    });
    assert_eq!(open_uploads(&conn, &b).await, ["big.bin"]);

    // The abort rule: the lifecycle diff first, the other rule kept.
    tokio::task::block_in_place(|| {
        press(&mut h, "Add abort rule…");
        wait_for_label(
            &mut h,
            &format!("The lifecycle configuration of {b} will change like this:"),
        );
        wait_for_label_containing(&mut h, "\"ID\": \"S3sealAbortIncompleteUploads\"");
        wait_for_label_containing(&mut h, "\"DaysAfterInitiation\": 7");
        wait_for_label(&mut h, "  (1 other rule kept unchanged: 'expire-logs')");
    });
    assert_eq!(
        rules(&conn, &b).await,
        std::slice::from_ref(&logs),
        "written before Apply"
    );
    tokio::task::block_in_place(|| {
        press(&mut h, "Apply lifecycle rule");
        wait_for_label_containing(
            &mut h,
            &format!(
                "S3 now aborts incomplete uploads in {b} 7 days after they start (rule 'S3sealAbortIncompleteUploads')."
            ),
        );
        wait_for_label_containing(&mut h, "S3 removes each 7 days after it started");
        wait_for_label(
            &mut h,
            "Lifecycle: rule 'S3sealAbortIncompleteUploads' aborts every incomplete upload 7 days after it starts.",
        );
    });
    let now = rules(&conn, &b).await;
    assert_eq!(now.len(), 2, "{now:?}");
    assert_eq!(now[0], logs, "the other rule is written back as it was");
    assert_eq!(
        now[1]
            .abort_incomplete_multipart_upload()
            .and_then(|a| a.days_after_initiation()),
        Some(7)
    );
    assert!(
        !h.get_by_role_and_label(Role::Button, "Add abort rule…")
            .accesskit_node()
            .is_disabled()
    );

    // The last one too: nothing is left open.
    tokio::task::block_in_place(|| {
        click_role(&mut h, Role::CheckBox, "big.bin");
        press(&mut h, "Abort selected (1)…");
        wait_for_label_containing(&mut h, "Abort 1 incomplete upload (5.0 MiB)?");
        press(&mut h, "Abort 1 upload");
        wait_for_label(&mut h, "Aborted 1 upload, 5.0 MiB freed");
        wait_for_label(&mut h, "0 incomplete uploads, 0 B");
    });
    assert_eq!(open_uploads(&conn, &b).await, Vec::<String>::new());
}
