//! A versioned bucket: `--versions all` counts the older versions (LocalStack has no
//! UpdateObjectEncryption, so they are listed as keeping their encryption); a job deletes no
//! version unless asked, and with `--delete-replaced-versions` deletes exactly the versions its
//! copies replaced, after checking the new ones.

use std::collections::BTreeSet;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ServerSideEncryption;

use super::{enable_versioning, json, kms_job, kms_key, rows_by_key, versions};
use crate::support::Sandbox;

#[tokio::test(flavor = "multi_thread")]
async fn older_versions_are_counted_and_only_replaced_ones_deleted_when_asked() {
    let sb = Sandbox::new();
    let b = sb.bucket("jobs-versions");
    let (kms, arn) = kms_key(&sb).await;
    let (kms2, arn2) = kms_key(&sb).await;
    let conn = sb.connection().await;
    enable_versioning(&sb, &b).await;
    let put = |key: &'static str, body: &'static str| {
        let (conn, b) = (conn.clone(), b.clone());
        async move {
            conn.s3()
                .put_object()
                .bucket(&b)
                .key(key)
                .server_side_encryption(ServerSideEncryption::Aes256)
                .body(ByteStream::from_static(body.as_bytes()))
                .send()
                .await
                .unwrap();
        }
    };
    put("p/a", "a1").await;
    put("p/a", "a2").await;
    put("p/b", "b1").await;
    put("p/b", "b2").await;
    put("p/c", "c1").await;
    let original = versions(&sb, &b).await;
    assert_eq!(original.len(), 5);
    let prefix = format!("s3://{b}/p/");

    let dry = json(&sb.ok(&kms_job(
        &prefix,
        &kms,
        &["--versions", "all", "--dry-run", "--json"],
    )));
    assert_eq!(dry["total"], 5, "{dry}");
    assert_eq!(dry["plan"]["noncurrent_versions"], 2, "{dry}");
    assert_eq!(dry["by_method"]["copy"], 3, "{dry}");
    assert_eq!(dry["plan"]["skipped"]["old-version-kept"], 2, "{dry}");
    assert_eq!(dry["plan"]["replaced_versions"], 3, "{dry}");
    let warnings = dry["plan"]["warnings"].to_string();
    assert!(warnings.contains("keep their old encryption"), "{warnings}");

    // Without --delete-replaced-versions nothing is deleted: 3 copies add 3 versions.
    let run = json(&sb.ok(&kms_job(&prefix, &kms, &["--versions", "all", "--json"])));
    assert_eq!(run["by_status"]["done"], 3, "{run}");
    assert_eq!(run["by_status"]["skipped"], 2, "{run}");
    let after_first = versions(&sb, &b).await;
    assert_eq!(after_first.len(), 8);
    assert!(
        original.is_subset(&after_first),
        "a version was deleted without asking"
    );
    let show = json(&sb.ok(&["jobs", "show", run["job_id"].as_str().unwrap(), "--json"]));
    let rows = rows_by_key(&show);
    assert_eq!(rows.len(), 5, "every version once: {show}");
    let old: Vec<_> = rows.values().filter(|r| r["status"] == "skipped").collect();
    assert!(
        old.iter().all(|r| r["message"]
            .as_str()
            .unwrap()
            .contains("old version keeps its encryption")),
        "{old:?}"
    );
    assert_eq!(sb.info(&format!("s3://{b}/p/a"))["kms_key_id"], arn);

    // With it, the versions the copies replace go, and only those.
    let current: BTreeSet<(String, String)> = {
        let conn = sb.connection().await;
        let mut out = BTreeSet::new();
        for key in ["p/a", "p/b", "p/c"] {
            let head = conn
                .s3()
                .head_object()
                .bucket(&b)
                .key(key)
                .send()
                .await
                .unwrap();
            out.insert((key.to_owned(), head.version_id().unwrap().to_owned()));
        }
        out
    };
    let second = json(&sb.ok(&kms_job(
        &prefix,
        &kms2,
        &["--delete-replaced-versions", "--json"],
    )));
    assert_eq!(second["by_status"]["done"], 3, "{second}");
    let after_second = versions(&sb, &b).await;
    assert_eq!(after_second.len(), 8, "three added, three deleted");
    assert!(
        current.is_disjoint(&after_second),
        "the replaced versions are gone"
    );
    let kept_before: BTreeSet<_> = after_first.difference(&current).cloned().collect();
    assert!(
        kept_before.is_subset(&after_second),
        "only replaced versions were deleted"
    );
    let show = json(&sb.ok(&["jobs", "show", second["job_id"].as_str().unwrap(), "--json"]));
    for row in rows_by_key(&show).values() {
        let message = row["message"].as_str().unwrap_or_default();
        assert!(message.contains("deleted"), "{row}");
    }
    assert_eq!(sb.info(&format!("s3://{b}/p/c"))["kms_key_id"], arn2);
}

#[tokio::test(flavor = "multi_thread")]
async fn object_lock_is_restated_on_the_new_version() {
    use aws_sdk_s3::types::{ObjectLockLegalHoldStatus, ObjectLockMode};
    let sb = Sandbox::new();
    let b = format!("s3seal-jobs-lock-{}", crate::support::unique());
    let conn = sb.connection().await;
    conn.s3()
        .create_bucket()
        .bucket(&b)
        .object_lock_enabled_for_bucket(true)
        .send()
        .await
        .unwrap();
    let (kms, arn) = kms_key(&sb).await;
    let until = aws_smithy_types::DateTime::from_secs(
        aws_smithy_types::DateTime::from(std::time::SystemTime::now()).secs() + 86_400,
    );
    conn.s3()
        .put_object()
        .bucket(&b)
        .key("p/locked.txt")
        .body(ByteStream::from_static(b"kept for a day"))
        .server_side_encryption(ServerSideEncryption::Aes256)
        .object_lock_mode(ObjectLockMode::Governance)
        .object_lock_retain_until_date(until)
        .object_lock_legal_hold_status(ObjectLockLegalHoldStatus::On)
        .checksum_algorithm(aws_sdk_s3::types::ChecksumAlgorithm::Crc32)
        .send()
        .await
        .unwrap();
    let prefix = format!("s3://{b}/p/");
    let run = json(&sb.ok(&kms_job(&prefix, &kms, &["--json"])));
    let warnings = run["plan"]["warnings"].to_string();
    assert!(
        warnings.contains("1 object is under Object Lock"),
        "{warnings}"
    );
    assert_eq!(run["by_status"]["done"], 1, "{run}");
    let head = conn
        .s3()
        .head_object()
        .bucket(&b)
        .key("p/locked.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(head.ssekms_key_id(), Some(arn.as_str()));
    assert_eq!(head.object_lock_mode(), Some(&ObjectLockMode::Governance));
    assert_eq!(
        head.object_lock_retain_until_date().map(|d| d.secs()),
        Some(until.secs())
    );
    assert_eq!(
        head.object_lock_legal_hold_status(),
        Some(&ObjectLockLegalHoldStatus::On)
    );
    // The locked old version is still there (Object Lock buckets keep versions).
    assert_eq!(versions(&sb, &b).await.len(), 2);
}
