//! KMS throttling, which LocalStack never does: a loopback proxy in front of LocalStack answers
//! the first copies the way S3 passes on KMS's throttling (400 `KMS.ThrottlingException`,
//! "You have exceeded the rate at which you may call KMS", which the SDK does not retry) and
//! forwards everything else. The job pauses, retries and finishes: paced, not failed.

use std::time::Duration;

use s3seal::jobs::pacing::Backoff;
use s3seal::jobs::{RowStatus, RunOptions, RunSettings};
use s3seal::s3::{ConnectOptions, Connection};
use s3seal::transfer::EncryptionChoice;

use std::sync::atomic::{AtomicUsize, Ordering};

use super::uoe::s3_error;
use super::{Put, kms_key, plan, plan_request, put_rich, start};
use crate::peer::Peer;
use crate::support::Sandbox;

const THROTTLED: usize = 4;

#[tokio::test(flavor = "multi_thread")]
async fn kms_throttling_is_paced_not_failed() {
    let sb = Sandbox::new();
    let b = sb.bucket("jobs-throttle");
    let (kms, _) = kms_key(&sb).await;
    for i in 0..6 {
        put_rich(&sb, &b, &format!("p/{i}.txt"), b"pace me", Put::SseS3).await;
    }
    let upstream = sb
        .env
        .http_endpoint
        .trim_start_matches("http://")
        .to_owned();
    let copies_seen = AtomicUsize::new(0);
    let proxy = Peer::forwarding(&upstream, move |request| {
        // Everything but a copy goes through to LocalStack.
        request.header("x-amz-copy-source")?;
        (copies_seen.fetch_add(1, Ordering::SeqCst) < THROTTLED).then(|| {
            s3_error(
                400,
                "KMS.ThrottlingException",
                "You have exceeded the rate at which you may call KMS. Reduce the frequency of your calls.",
            )
        })
    });
    let conn = Connection::connect(&ConnectOptions {
        endpoint_url: Some(proxy.url()),
        ..Default::default()
    })
    .await
    .unwrap();
    let target = EncryptionChoice::SseKms {
        key: Some(kms),
        bucket_key: false,
    };
    let settings = RunSettings {
        concurrency: 1,
        kms_rate: Some(100),
        ..RunSettings::default()
    };
    let plan = plan(&sb, &conn, &plan_request(&b, target, settings)).await;
    let base = Duration::from_millis(200);
    let max = Duration::from_millis(800);
    let handle = start(
        &sb,
        conn,
        plan,
        RunOptions {
            backoff: Backoff { base, max },
            ..RunOptions::default()
        },
    );
    let progress = handle.progress();
    let outcome = handle.wait().await.unwrap();
    let summary = &outcome.report.summary;
    assert_eq!(
        summary.count(RowStatus::Done),
        6,
        "{:?}",
        outcome.report.rows
    );
    assert_eq!(summary.count(RowStatus::Failed), 0);
    assert_eq!(progress.snapshot().throttled, THROTTLED as u64);

    // Every throttling answer paused the job: the next copy came at least half the (growing)
    // backoff later. One object in flight, so nothing else was on its way meanwhile.
    let seen = proxy.requests();
    let copies: Vec<_> = seen
        .iter()
        .filter(|r| r.header("x-amz-copy-source").is_some())
        .collect();
    assert_eq!(copies.len(), 6 + THROTTLED);
    for (n, pair) in copies.windows(2).take(THROTTLED).enumerate() {
        let gap = pair[1].at.duration_since(pair[0].at);
        let least = (base * (1 << n)).min(max) / 2;
        assert!(
            gap >= least,
            "after throttling answer {n}: next copy {gap:?} later, wanted at least {least:?}"
        );
    }
}
