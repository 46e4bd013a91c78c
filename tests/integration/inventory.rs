//! `s3seal audit --inventory` and `s3seal bucket inventory` against LocalStack over HTTPS:
//! reports of a few thousand rows written in S3's documented layout (CSV.gz and Parquet),
//! uploaded, and counted; the KMS key breakdown by HEAD of real objects; a damaged report; and
//! `bucket inventory enable`, which keeps the bucket's other configurations.

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    InventoryConfiguration, InventoryDestination, InventoryFormat, InventoryFrequency,
    InventoryIncludedObjectVersions, InventoryOptionalField, InventoryS3BucketDestination,
    InventorySchedule,
};
use s3seal::s3::inventory::write::{
    ReportObject, manifest_json, md5_of, sample_objects, write_csv_gz, write_parquet,
};
use s3seal::s3::inventory::{EncryptionStatus, ReportFormat};
use s3seal::s3::{Connection, S3Uri};
use serde_json::Value;

use crate::bucket_audit::python_csv;
use crate::support::Sandbox;

/// 2026-01-02T03:04:05Z.
const REPORT_MILLIS: i64 = 1_767_323_045_000;

pub(crate) async fn put(conn: &Connection, bucket: &str, key: &str, body: Vec<u8>) {
    conn.s3()
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from(body))
        .send()
        .await
        .unwrap();
}

/// Uploads `files` (each a list of objects) as one report of `source` in `dest`, laid out as
/// S3 lays it out; returns the manifest's URI.
pub(crate) async fn upload_report(
    conn: &Connection,
    dest: &str,
    source: &str,
    format: ReportFormat,
    files: Vec<Vec<ReportObject>>,
) -> String {
    let mut listed = Vec::new();
    for (i, objects) in files.into_iter().enumerate() {
        let mut bytes = Vec::new();
        let ext = match format {
            ReportFormat::Parquet => {
                write_parquet(source, objects.into_iter(), 1000, &mut bytes).unwrap();
                "parquet"
            }
            _ => {
                write_csv_gz(source, objects.into_iter(), &mut bytes).unwrap();
                "csv.gz"
            }
        };
        let key = format!("inv/{source}/s3seal-audit/data/file-{i}.{ext}");
        listed.push((key.clone(), bytes.len() as u64, md5_of(&bytes)));
        put(conn, dest, &key, bytes).await;
    }
    let manifest = manifest_json(source, dest, format, REPORT_MILLIS, &listed);
    let key = format!("inv/{source}/s3seal-audit/2026-01-02T03-04Z/manifest.json");
    put(conn, dest, &key, manifest.into_bytes()).await;
    format!("s3://{dest}/{key}")
}

fn audit_json(sb: &Sandbox, manifest: &str, extra: &[&str]) -> Value {
    let mut args = vec!["audit", "--inventory", manifest, "--json"];
    args.extend_from_slice(extra);
    serde_json::from_str(&sb.ok(&args)).unwrap()
}

/// What 3,000 of `sample_objects` hold, counted here independently of s3seal.
fn assert_sample_counts(r: &Value) {
    assert_eq!(r["source"], "inventory", "{r}");
    assert_eq!(r["report_date"], "2026-01-02T03:04:05Z", "{r}");
    assert_eq!(r["total"], 3000, "{r}");
    for mode in ["sse-s3", "sse-kms", "none", "dsse-kms", "sse-c"] {
        assert_eq!(r["by_mode"][mode], 600, "{mode}: {r}");
    }
    assert_eq!(r["by_encryption_status"]["NOT-SSE"], 600, "{r}");
    assert_eq!(r["by_bucket_key_status"]["ENABLED"], 300, "{r}");
    assert_eq!(r["by_bucket_key_status"]["DISABLED"], 300, "{r}");
    assert_eq!(r["kms_without_bucket_key"], 300, "{r}");
    assert_eq!(r["by_storage_class"]["STANDARD_IA"], 1000, "{r}");
    assert_eq!(r["by_storage_class"]["STANDARD"], 2000, "{r}");
    assert_eq!(r["object_lock"]["compliance"], 273, "{r}");
    assert_eq!(r["bytes"], 3000 * 2999 / 2, "{r}");
    let notes = r["notes"].to_string();
    assert!(
        notes.contains("does not name KMS keys: 1200 objects"),
        "{notes}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn csv_and_parquet_reports_are_counted_row_by_row() {
    let sb = Sandbox::new();
    let conn = sb.connection().await;
    let dest = sb.bucket("invdest");
    let objects: Vec<ReportObject> = sample_objects(3000).collect();

    let csv_manifest = upload_report(
        &conn,
        &dest,
        "src-csv",
        ReportFormat::Csv,
        vec![objects[..1200].to_vec(), objects[1200..].to_vec()],
    )
    .await;
    let csv_out = sb.path("inventory.csv");
    let report = audit_json(&sb, &csv_manifest, &["--csv", csv_out.to_str().unwrap()]);
    assert_sample_counts(&report);
    assert_eq!(report["bucket"], "src-csv");
    assert_eq!(report["files"], 2);
    assert_eq!(report["format"], "csv");

    let rows = python_csv(&csv_out);
    assert_eq!(rows.len(), 3001, "a header and one row per object");
    assert_eq!(rows[0][1], "key");
    let mode_col = rows[0].iter().position(|c| c == "mode").unwrap();
    let decoded = rows
        .iter()
        .find(|r| r[1] == "dir é/a b+c,\"7\".txt")
        .expect("CSV report keys are URL-decoded");
    assert_eq!(decoded[mode_col], "none", "object 7 is NOT-SSE");

    let parquet_manifest = upload_report(
        &conn,
        &dest,
        "src-parquet",
        ReportFormat::Parquet,
        vec![objects],
    )
    .await;
    let parquet = audit_json(&sb, &parquet_manifest, &[]);
    assert_sample_counts(&parquet);
    assert_eq!(parquet["format"], "parquet");
    assert_eq!(parquet["by_mode"], report["by_mode"]);

    let text = sb.ok(&["audit", "--inventory", &csv_manifest]);
    assert!(
        text.contains("from its inventory report of 2026-01-02T03:04:05Z"),
        "{text}"
    );
    assert!(text.contains("--kms-keys 100"), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn kms_keys_are_learnt_by_heading_only_the_kms_objects() {
    let sb = Sandbox::new();
    let conn = sb.connection().await;
    let src = sb.bucket("invsrc");
    let dest = sb.bucket("invdest");
    let kms = conn
        .kms()
        .create_key()
        .send()
        .await
        .unwrap()
        .key_metadata()
        .unwrap()
        .key_id()
        .to_owned();
    let file = sb.path("f.txt");
    std::fs::write(&file, b"x").unwrap();
    let f = file.to_str().unwrap();
    let object = |key: &str, encryption: EncryptionStatus| ReportObject {
        key: key.to_owned(),
        size: 1,
        last_modified: REPORT_MILLIS,
        storage_class: "STANDARD",
        encryption,
        bucket_key: None,
        lock_mode: None,
    };
    let mut listed = Vec::new();
    for i in 0..3 {
        let key = format!("k {i}+.txt");
        sb.ok(&[
            "put",
            f,
            &format!("s3://{src}/{key}"),
            "--encryption",
            "sse-kms",
            "--kms-key",
            &kms,
        ]);
        listed.push(object(&key, EncryptionStatus::SseKms));
    }
    sb.ok(&[
        "put",
        f,
        &format!("s3://{src}/plain.txt"),
        "--encryption",
        "sse-s3",
    ]);
    listed.push(object("plain.txt", EncryptionStatus::SseS3));
    // Deleted since the report: its HEAD fails and is counted as such.
    listed.push(object("gone.txt", EncryptionStatus::SseKms));
    let manifest = upload_report(&conn, &dest, &src, ReportFormat::Csv, vec![listed]).await;

    let all = audit_json(&sb, &manifest, &["--kms-keys", "all"]);
    let keys = &all["kms_keys"];
    assert_eq!(keys["asked"], 4, "only the SSE-KMS rows are HEADed: {all}");
    assert_eq!(keys["of"], 4, "{all}");
    assert_eq!(keys["errors"], 1, "{all}");
    assert_eq!(keys["sample"], false, "{all}");
    let by_key = keys["by_key"].as_object().unwrap();
    assert_eq!(by_key.len(), 1, "{all}");
    let (label, count) = by_key.iter().next().unwrap();
    assert!(
        label.starts_with("sse-kms:") && label.contains(&kms),
        "{label}"
    );
    assert_eq!(count, 3);
    assert!(
        !all["notes"].to_string().contains("does not name KMS keys"),
        "{all}"
    );

    let sample = audit_json(&sb, &manifest, &["--kms-keys", "2"]);
    assert_eq!(sample["kms_keys"]["asked"], 2, "{sample}");
    assert_eq!(sample["kms_keys"]["sample"], true, "{sample}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_damaged_or_wrong_report_is_one_clear_error() {
    let sb = Sandbox::new();
    let conn = sb.connection().await;
    let dest = sb.bucket("invbad");
    let manifest = upload_report(
        &conn,
        &dest,
        "src",
        ReportFormat::Csv,
        vec![sample_objects(10).collect()],
    )
    .await;
    // The data file replaced after the manifest was written.
    put(
        &conn,
        &dest,
        "inv/src/s3seal-audit/data/file-0.csv.gz",
        b"other".to_vec(),
    )
    .await;
    let csv = sb.path("half.csv");
    let err = sb.fails(&[
        "audit",
        "--inventory",
        &manifest,
        "--csv",
        csv.to_str().unwrap(),
    ]);
    assert!(err.contains("does not match its manifest"), "{err}");
    assert!(!csv.exists(), "no half-written CSV is left behind");

    let err = sb.fails(&["audit", "--inventory", &format!("s3://{dest}/inv/src/")]);
    assert!(
        err.contains("not an inventory report's manifest.json"),
        "{err}"
    );
    put(&conn, &dest, "x/manifest.json", b"{\"files\": 3}".to_vec()).await;
    let err = sb.fails(&[
        "audit",
        "--inventory",
        &format!("s3://{dest}/x/manifest.json"),
    ]);
    assert!(
        err.contains("is not an S3 Inventory manifest.json"),
        "{err}"
    );
    let err = sb.fails(&[
        "audit",
        "--inventory",
        &format!("s3://{dest}/none/manifest.json"),
    ]);
    assert!(err.contains("not found"), "{err}");
    let err = sb.fails(&["audit", "--kms-keys", "all", &format!("s3://{dest}/")]);
    assert!(err.contains("--inventory"), "{err}");
}

pub(crate) fn finance_config() -> InventoryConfiguration {
    let dest = InventoryS3BucketDestination::builder()
        .bucket("arn:aws:s3:::finance-reports")
        .format(InventoryFormat::Orc)
        .prefix("fin")
        .build()
        .unwrap();
    InventoryConfiguration::builder()
        .id("finance")
        .is_enabled(true)
        .included_object_versions(InventoryIncludedObjectVersions::All)
        .destination(
            InventoryDestination::builder()
                .s3_bucket_destination(dest)
                .build(),
        )
        .schedule(
            InventorySchedule::builder()
                .frequency(InventoryFrequency::Weekly)
                .build()
                .unwrap(),
        )
        .optional_fields(InventoryOptionalField::Size)
        .build()
        .unwrap()
}

/// Gives `bucket` the configuration another team set up ("finance", ORC, weekly).
pub(crate) async fn put_finance_config(conn: &Connection, bucket: &str) {
    conn.s3()
        .put_bucket_inventory_configuration()
        .bucket(bucket)
        .id("finance")
        .inventory_configuration(finance_config())
        .send()
        .await
        .unwrap();
}

pub(crate) async fn configurations(conn: &Connection, bucket: &str) -> Vec<InventoryConfiguration> {
    s3seal::s3::inventory::configure::list_configurations(conn, bucket)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn enable_merges_with_the_other_configurations_and_show_finds_the_report() {
    let sb = Sandbox::new();
    let conn = sb.connection().await;
    let src = sb.bucket("invcfg");
    let dest = sb.bucket("invto");
    put_finance_config(&conn, &src).await;
    let uri = format!("s3://{src}");
    let to = format!("s3://{dest}/inv/");

    let dry = sb.ok(&[
        "bucket",
        "inventory",
        "enable",
        &uri,
        "--destination",
        &to,
        "--dry-run",
    ]);
    assert!(dry.contains("+ inventory 's3seal-audit'"), "{dry}");
    assert!(dry.contains("+   field: EncryptionStatus"), "{dry}");
    assert!(dry.contains("kept unchanged: inventory 'finance'"), "{dry}");
    assert!(
        dry.contains(&format!("\"arn:aws:s3:::{dest}/inv/*\"")),
        "{dry}"
    );
    assert!(dry.contains("dry run"), "{dry}");
    assert_eq!(
        configurations(&conn, &src).await.len(),
        1,
        "a dry run writes nothing"
    );

    let applied = sb.ok(&["bucket", "inventory", "enable", &uri, "--destination", &to]);
    assert!(
        applied.contains("applied: inventory 's3seal-audit'"),
        "{applied}"
    );
    let after = configurations(&conn, &src).await;
    assert_eq!(after.len(), 2, "{after:?}");
    let finance = after.iter().find(|c| c.id() == "finance").unwrap();
    assert_eq!(
        finance,
        &finance_config(),
        "the other configuration is kept as it was"
    );
    let ours = after.iter().find(|c| c.id() == "s3seal-audit").unwrap();
    assert!(
        ours.optional_fields()
            .contains(&InventoryOptionalField::BucketKeyStatus)
    );

    let again = sb.ok(&["bucket", "inventory", "enable", &uri, "--destination", &to]);
    assert!(again.starts_with("no change"), "{again}");

    let shown: Value =
        serde_json::from_str(&sb.ok(&["bucket", "inventory", "show", &uri, "--json"])).unwrap();
    assert_eq!(
        shown["configurations"].as_array().unwrap().len(),
        2,
        "{shown}"
    );
    assert_eq!(shown["reports"].as_array().unwrap().len(), 0, "{shown}");
    let manifest = upload_report(
        &conn,
        &dest,
        &src,
        ReportFormat::Csv,
        vec![sample_objects(5).collect()],
    )
    .await;
    let shown: Value =
        serde_json::from_str(&sb.ok(&["bucket", "inventory", "show", &uri, "--json"])).unwrap();
    assert_eq!(
        shown["reports"][0]["manifest"],
        manifest.as_str(),
        "{shown}"
    );
    assert_eq!(
        shown["reports"][0]["report_date"], "2026-01-02T03:04:00Z",
        "{shown}"
    );
    assert_eq!(shown["reports"][0]["serves_audit"], true, "{shown}");

    // A configuration changed between plan and write: nothing is written.
    let moved = S3Uri::new(&dest, "elsewhere");
    let change = s3seal::s3::inventory::plan_enable_inventory(&conn, &src, &moved)
        .await
        .unwrap();
    assert!(change.changed);
    conn.s3()
        .delete_bucket_inventory_configuration()
        .bucket(&src)
        .id("finance")
        .send()
        .await
        .unwrap();
    let err = s3seal::s3::inventory::apply_inventory_change(&conn, &change)
        .await
        .unwrap_err();
    assert!(matches!(err, s3seal::Error::Conflict { .. }), "{err}");
    let ours = configurations(&conn, &src).await;
    assert_eq!(ours.len(), 1);
    assert!(
        ours[0]
            .destination()
            .unwrap()
            .s3_bucket_destination()
            .unwrap()
            .prefix()
            == Some("inv")
    );
}
