//! Through the library, as the window calls it: an object replaced between the plan and its
//! copy is reported `changed` and keeps its new content (the copy was conditional on the
//! planned ETag); an object above the multipart threshold is copied part by part and keeps its
//! metadata, tags and content type; a job can be paused, and a cancelled one is not resumed.

use aws_sdk_s3::primitives::ByteStream;
use s3seal::jobs::{JobState, JobStore, PlanRequest, RowStatus, RunOptions, RunSettings};
use s3seal::transfer::EncryptionChoice;

use super::{Put, kept, kms_key, local_keys, plan, plan_request, put_rich, start};
use crate::support::{Sandbox, random_file};

/// Started paused: nothing is sent until it is let go.
const PAUSED: RunOptions = RunOptions {
    paused: true,
    ..RunOptions::DEFAULT
};

fn request(bucket: &str, key: &str, settings: RunSettings) -> PlanRequest {
    let target = EncryptionChoice::SseKms {
        key: Some(key.to_owned()),
        bucket_key: true,
    };
    plan_request(bucket, target, settings)
}

#[tokio::test(flavor = "multi_thread")]
async fn an_object_replaced_after_the_plan_is_changed_not_overwritten() {
    let sb = Sandbox::new();
    let b = sb.bucket("jobs-changed");
    let (kms, arn) = kms_key(&sb).await;
    let conn = sb.connection().await;
    put_rich(&sb, &b, "p/stays.txt", b"as planned", Put::SseS3).await;
    put_rich(&sb, &b, "p/replaced.txt", b"old content", Put::SseS3).await;
    let plan = plan(&sb, &conn, &request(&b, &kms, RunSettings::default())).await;
    assert_eq!(plan.summary.total, 2);
    // Someone writes a new object over one of them after the plan was made.
    conn.s3()
        .put_object()
        .bucket(&b)
        .key("p/replaced.txt")
        .body(ByteStream::from_static(b"NEW content"))
        .send()
        .await
        .unwrap();

    let store = JobStore::new(&sb.config_dir());
    let handle = start(&sb, conn.clone(), plan, RunOptions::default());
    let outcome = handle.wait().await.unwrap();
    assert_eq!(outcome.state, JobState::Done);
    let rows = &outcome.report.rows;
    let replaced = rows.iter().find(|r| r.key == "p/replaced.txt").unwrap();
    assert_eq!(replaced.status, RowStatus::Changed, "{replaced:?}");
    let stays = rows.iter().find(|r| r.key == "p/stays.txt").unwrap();
    assert_eq!(stays.status, RowStatus::Done, "{stays:?}");
    assert_eq!(
        stays.after.as_ref().unwrap().kms_key_id.as_deref(),
        Some(arn.as_str())
    );
    // The new content is there, as its writer left it.
    let got = conn
        .s3()
        .get_object()
        .bucket(&b)
        .key("p/replaced.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(
        got.server_side_encryption().map(|s| s.as_str()),
        Some("AES256")
    );
    let body = got.body.collect().await.unwrap().into_bytes();
    assert_eq!(&body[..], b"NEW content");
    // What the store says afterwards is what the run said.
    let listed = store.list().unwrap();
    assert_eq!(
        (listed[0].state, listed[0].done, listed[0].total),
        (JobState::Done, 2, 2)
    );
    let err = s3seal::jobs::resume(
        &tokio::runtime::Handle::current(),
        conn,
        local_keys(&sb),
        store,
        &listed[0].id,
        RunOptions::default(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("done already"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn large_objects_are_copied_part_by_part_and_keep_what_they_had() {
    let sb = Sandbox::new();
    let b = sb.bucket("jobs-multipart");
    let (kms, arn) = kms_key(&sb).await;
    let conn = sb.connection().await;
    let data = random_file(&sb.path("big.bin"), 11 * 1024 * 1024 + 5, 5);
    put_rich(&sb, &b, "p/big.bin", &data, Put::SseS3).await;
    put_rich(&sb, &b, "p/small.txt", b"small", Put::SseS3).await;
    let settings = RunSettings {
        multipart_threshold: 8 * 1024 * 1024,
        part_size: 5 * 1024 * 1024,
        concurrency: 2,
        kms_rate: Some(50),
    };
    let plan = plan(&sb, &conn, &request(&b, &kms, settings)).await;
    let by_method = &plan.summary.by_method;
    assert_eq!(
        by_method[&s3seal::jobs::Method::MultipartCopy],
        1,
        "{by_method:?}"
    );
    assert_eq!(by_method[&s3seal::jobs::Method::Copy], 1, "{by_method:?}");
    assert!(
        plan.summary
            .warnings
            .iter()
            .any(|w| w.text.contains("part by part"))
    );

    let handle = start(&sb, conn.clone(), plan, PAUSED);
    // Started paused: nothing moves until it is let go.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let paused = handle.snapshot();
    assert_eq!(paused.state, s3seal::jobs::RunState::Paused);
    assert_eq!(paused.done, 0);
    assert_eq!(sb.info(&format!("s3://{b}/p/small.txt"))["mode"], "sse-s3");
    handle.unpause();
    let outcome = handle.wait().await.unwrap();
    assert_eq!(
        outcome.report.summary.count(RowStatus::Done),
        2,
        "{:?}",
        outcome.report.rows
    );

    let (owner, content_type, tags) = kept(&sb, &b, "p/big.bin", None).await;
    assert_eq!(owner.as_deref(), Some("p/big.bin"));
    assert_eq!(content_type.as_deref(), Some("text/x-s3seal-test"));
    assert_eq!(
        tags,
        vec![
            ("kind".to_owned(), "p-big.bin".to_owned()),
            ("team".to_owned(), "blue".to_owned())
        ]
    );
    let info = sb.info(&format!("s3://{b}/p/big.bin"));
    assert_eq!(info["mode"], "sse-kms", "{info}");
    assert_eq!(info["kms_key_id"], arn, "{info}");
    assert_eq!(info["bucket_key_enabled"], true, "{info}");
    let out = sb.path("big.out");
    sb.ok(&["get", &format!("s3://{b}/p/big.bin"), out.to_str().unwrap()]);
    assert!(std::fs::read(&out).unwrap() == data);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cancelled_job_stays_cancelled() {
    let sb = Sandbox::new();
    let b = sb.bucket("jobs-cancel");
    let (kms, _) = kms_key(&sb).await;
    let conn = sb.connection().await;
    for i in 0..5 {
        put_rich(&sb, &b, &format!("p/{i}.txt"), b"x", Put::SseS3).await;
    }
    let plan = plan(&sb, &conn, &request(&b, &kms, RunSettings::default())).await;
    let store = JobStore::new(&sb.config_dir());
    let handle = start(&sb, conn.clone(), plan, PAUSED);
    handle.cancel();
    let outcome = handle.wait().await.unwrap();
    assert_eq!(outcome.state, JobState::Cancelled);
    // Nothing started after the cancel: every object is still pending, unchanged.
    assert_eq!(
        outcome.report.summary.count(RowStatus::Pending),
        5,
        "{:?}",
        outcome.report.rows
    );
    assert_eq!(sb.info(&format!("s3://{b}/p/0.txt"))["mode"], "sse-s3");
    let id = outcome.report.job_id.clone();
    assert_eq!(store.state(&id).unwrap(), JobState::Cancelled);
    let err = sb.fails(&["jobs", "resume", &id]);
    assert!(err.contains("was cancelled"), "{err}");
}
