//! The real binary killed (SIGKILL) in the middle of a job of a few hundred objects: the job is
//! listed as interrupted, `jobs resume` finishes it, every object ends in the target encryption
//! and appears once in the report. The bucket keeps versions, so "no object copied twice" is
//! checked on the server itself: every key has exactly two versions, the original and one copy.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ServerSideEncryption;
use futures::StreamExt as _;

use super::{audit, enable_versioning, json, kms_job, kms_key, rows_by_key, versions};
use crate::support::Sandbox;

const OBJECTS: usize = 300;

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_job_resumes_and_copies_each_object_once() {
    let sb = Sandbox::new();
    let b = sb.bucket("jobs-kill");
    let (kms, arn) = kms_key(&sb).await;
    let conn = sb.connection().await;
    enable_versioning(&sb, &b).await;
    futures::stream::iter(0..OBJECTS)
        .map(|i| {
            let (conn, b) = (conn.clone(), b.clone());
            async move {
                conn.s3()
                    .put_object()
                    .bucket(&b)
                    .key(format!("p/obj-{i:04}"))
                    .server_side_encryption(ServerSideEncryption::Aes256)
                    .body(ByteStream::from(format!("object {i}").into_bytes()))
                    .send()
                    .await
                    .unwrap();
            }
        })
        .buffer_unordered(16)
        .collect::<Vec<_>>()
        .await;

    let prefix = format!("s3://{b}/p/");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("s3seal"))
        .env("S3SEAL_CONFIG_DIR", sb.config_dir())
        .args(["--endpoint-url", &sb.env.endpoint, "--ca-bundle"])
        .arg(&sb.env.ca)
        .arg("-q")
        .args(kms_job(&prefix, &kms, &[]))
        .args(["--concurrency", "2"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Kill it once a good part is done, and well before the end.
    let deadline = Instant::now() + Duration::from_secs(120);
    let killed_at = loop {
        assert!(Instant::now() < deadline, "the job never got going");
        assert!(
            child.try_wait().unwrap().is_none(),
            "the job ended before it could be killed"
        );
        let jobs = json(&sb.ok(&["jobs", "list", "--json"]));
        if let Some(job) = jobs.as_array().and_then(|j| j.first())
            && job["done"].as_u64().unwrap() >= 40
        {
            child.kill().unwrap(); // SIGKILL: no cleanup runs
            child.wait().unwrap();
            break job["done"].as_u64().unwrap();
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let jobs = json(&sb.ok(&["jobs", "list", "--json"]));
    let job = &jobs[0];
    let id = job["id"].as_str().unwrap().to_owned();
    assert_eq!(job["state"], "interrupted", "{jobs}");
    assert_eq!(job["total"], OBJECTS, "{jobs}");
    let done_when_killed = job["done"].as_u64().unwrap();
    assert!(
        done_when_killed >= killed_at && done_when_killed < OBJECTS as u64,
        "{jobs}"
    );

    let out = sb.ok(&["jobs", "resume", &id]);
    assert!(out.contains("done"), "{out}");
    let jobs = json(&sb.ok(&["jobs", "list", "--json"]));
    assert_eq!(jobs[0]["state"], "done", "{jobs}");
    assert_eq!(jobs[0]["done"], OBJECTS, "{jobs}");

    let show = json(&sb.ok(&["jobs", "show", &id, "--json"]));
    let rows = rows_by_key(&show);
    assert_eq!(rows.len(), OBJECTS);
    assert!(rows.values().all(|r| r["status"] == "done"), "{show}");
    let after = audit(&sb, &prefix);
    assert_eq!(
        after["by_key"][format!("sse-kms:{arn}")],
        OBJECTS,
        "{after}"
    );

    // Exactly one copy of each object: two versions per key.
    let mut versions_per_key: BTreeMap<String, usize> = BTreeMap::new();
    for (key, _) in versions(&sb, &b).await {
        *versions_per_key.entry(key).or_default() += 1;
    }
    let versions = versions_per_key;
    assert_eq!(versions.len(), OBJECTS);
    let twice: Vec<_> = versions.iter().filter(|(_, n)| **n != 2).collect();
    assert!(twice.is_empty(), "keys not copied exactly once: {twice:?}");
    // And resuming a finished job is refused with one clear line.
    let err = sb.fails(&["jobs", "resume", &id]);
    assert!(err.contains("done already"), "{err}");
}
