//! Following jobs: list, show, confirm, cancel; completion reports read into rows; role
//! policies that name only this job's resources.

use serde_json::Value;

use super::*;

#[tokio::test(flavor = "multi_thread")]
async fn jobs_are_listed_shown_confirmed_and_cancelled() {
    let sb = Sandbox::new();
    let peer = control_peer("unused");
    let list: Value = serde_json::from_str(&ok(&sb, &peer, &["batch", "list", "--json"])).unwrap();
    let jobs = list.as_array().unwrap();
    assert_eq!(jobs.len(), 4, "two pages of two jobs: {list}");
    assert_eq!(jobs[0]["id"], JOB_ID);
    assert_eq!(jobs[0]["succeeded"], 1197);
    assert!(
        peer.requests()
            .iter()
            .any(|r| r.target.contains("nextToken=eyJ")),
        "paged"
    );
    let lists: Vec<Recorded> = peer
        .requests()
        .into_iter()
        .filter(|r| r.path() == "/v20180820/jobs")
        .collect();
    assert!(
        lists
            .iter()
            .all(|r| r.header("x-amz-account-id") == Some("123456789012"))
    );

    let shown: Value = serde_json::from_str(&ok(
        &sb,
        &peer,
        &["batch", "show", "suspended-job", "--json"],
    ))
    .unwrap();
    assert_eq!(shown["status"], "Suspended");
    assert_eq!(shown["total"], 1200);
    assert_eq!(shown["operation"], "S3UpdateObjectEncryption");
    let text = ok(&sb, &peer, &["batch", "show", "suspended-job"]);
    assert!(text.contains("it waits for confirmation"), "{text}");

    let confirmed = ok(
        &sb,
        &peer,
        &["batch", "confirm", JOB_ID, "--account-id", "111122223333"],
    );
    assert!(confirmed.contains("Ready"), "{confirmed}");
    let cancelled = ok(
        &sb,
        &peer,
        &["batch", "cancel", JOB_ID, "--account-id", "111122223333"],
    );
    assert!(cancelled.contains("Cancelled"), "{cancelled}");
    let status: Vec<Recorded> = peer
        .requests()
        .into_iter()
        .filter(|r| r.path().ends_with("/status"))
        .collect();
    assert_eq!(status.len(), 2);
    assert!(
        status[0].target.contains("requestedJobStatus=Ready"),
        "{}",
        status[0].target
    );
    assert!(
        status[1].target.contains("requestedJobStatus=Cancelled"),
        "{}",
        status[1].target
    );
    assert_eq!(status[0].header("x-amz-account-id"), Some("111122223333"));

    let err = fails(&sb, &peer, &["batch", "show", "no-such-job"]);
    assert!(
        err.contains("job no-such-job") && err.contains("not found"),
        "{err}"
    );
    let err = fails(&sb, &peer, &["batch", "confirm", "finished-job"]);
    assert!(
        err.contains("cannot do that in its current status"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_completion_report_reads_into_rows() {
    let sb = Sandbox::new();
    let rep = sb.bucket("brrep");
    let peer = control_peer(&rep);
    // The results as S3 writes them: the constructed file (HTTP status before the error code,
    // as the User Guide's rows show) and one in the documented schema's order.
    let first: String = canned("report-results.constructed.csv");
    let second =
        "amzn-s3-demo-bucket,photos/d.jpg,,failed,AccessDenied,403,\"Object Lock, governance\"\n";
    let prefix = format!("s3seal-reports/job-{JOB_ID}");
    let mut results = Vec::new();
    for (i, body) in [first.as_str(), second].iter().enumerate() {
        let key = format!("{prefix}/results/{i}.csv");
        put(&sb, &rep, &key, body.as_bytes().to_vec()).await;
        results.push(serde_json::json!({
            "TaskExecutionStatus": if i == 0 { "succeeded" } else { "failed" },
            "Bucket": rep, "MD5Checksum": hex::encode(md5_of(body.as_bytes())), "Key": key,
        }));
    }
    let mut manifest: Value =
        serde_json::from_str(&canned("report-manifest.example.json")).unwrap();
    manifest["Results"] = Value::Array(results);
    put(
        &sb,
        &rep,
        &format!("{prefix}/manifest.json"),
        manifest.to_string().into_bytes(),
    )
    .await;

    let csv = sb.path("rows.csv");
    let report: Value = serde_json::from_str(&ok(
        &sb,
        &peer,
        &[
            "batch",
            "report",
            JOB_ID,
            "--json",
            "--csv",
            csv.to_str().unwrap(),
        ],
    ))
    .unwrap();
    assert_eq!(report["total"], 3, "{report}");
    assert_eq!(report["by_status"]["succeeded"], 1, "{report}");
    assert_eq!(report["by_status"]["failed"], 2, "{report}");
    assert_eq!(report["by_error_code"]["InvalidRequest"], 1, "{report}");
    assert_eq!(report["by_error_code"]["AccessDenied"], 1, "{report}");
    assert_eq!(report["operation"], "S3UpdateObjectEncryption");
    let rows = report["rows"].as_array().unwrap();
    assert_eq!(rows[0]["status"], "done");
    assert_eq!(rows[0]["method"], "update-object-encryption");
    assert_eq!(
        rows[0]["after"]["kms_key_id"],
        "arn:aws:kms:us-east-1:111122223333:key/01234567-89ab-cdef-0123-456789abcdef"
    );
    assert_eq!(rows[1]["key"], "photos/b c.jpg", "URL-decoded");
    assert_eq!(
        rows[2]["message"],
        "AccessDenied (HTTP 403): Object Lock, governance"
    );
    let lines = crate::bucket_audit::python_csv(&csv);
    assert_eq!(lines.len(), 4, "a header and the three rows: {lines:?}");
    assert_eq!(lines[0][0], "bucket");

    // Read from the manifest alone: the same rows, and a note that the job was not described.
    let uri = format!("s3://{rep}/{prefix}/manifest.json");
    let direct: Value = serde_json::from_str(&ok(
        &sb,
        &peer,
        &["batch", "report", "--manifest", &uri, "--json"],
    ))
    .unwrap();
    assert_eq!(direct["total"], 3);
    assert_eq!(direct["job_id"], JOB_ID);
    assert!(
        direct["notes"].to_string().contains("not described"),
        "{direct}"
    );

    // A results file that no longer matches the manifest's MD5.
    put(
        &sb,
        &rep,
        &format!("{prefix}/results/1.csv"),
        b"changed".to_vec(),
    )
    .await;
    let err = fails(&sb, &peer, &["batch", "report", "--manifest", &uri]);
    assert!(err.contains("does not match its manifest"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn role_policy_names_this_job_s_resources_only() {
    let Fixture {
        sb,
        src,
        rep,
        key_id,
        key_arn,
        peer,
    } = fixture("br").await;
    let source = format!("s3://{src}/photos/");
    let report = format!("s3://{rep}/reports");
    let args = [
        "batch",
        "role-policy",
        &source,
        "--encryption",
        "sse-kms",
        "--kms-key",
        &key_id,
        "--report",
        &report,
        "--json",
    ];
    let policies: Value = serde_json::from_str(&ok(&sb, &peer, &args)).unwrap();
    assert_eq!(
        policies["trust_policy"]["Statement"][0]["Principal"]["Service"],
        "batchoperations.s3.amazonaws.com"
    );
    let statements = policies["permissions_policy"]["Statement"]
        .as_array()
        .unwrap();
    let resources: Vec<&str> = statements
        .iter()
        .flat_map(|s| s["Resource"].as_array().unwrap())
        .map(|r| r.as_str().unwrap())
        .collect();
    assert!(
        resources.contains(&format!("arn:aws:s3:::{src}/photos/*").as_str()),
        "{resources:?}"
    );
    assert!(
        resources.contains(&format!("arn:aws:s3:::{rep}/reports/*").as_str()),
        "{resources:?}"
    );
    assert!(resources.contains(&key_arn.as_str()), "{resources:?}");
    assert!(resources.iter().all(|r| *r != "*"), "{resources:?}");
    assert!(
        create_requests(&peer).is_empty(),
        "printing policies creates nothing"
    );
    let text = ok(&sb, &peer, &args[..args.len() - 1]);
    assert!(
        text.contains("trust policy") && text.contains("iam:PassRole"),
        "{text}"
    );
}
