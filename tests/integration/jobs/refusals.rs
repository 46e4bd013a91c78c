//! Bad input gets one clear line and changes nothing: no job is stored, no object touched.

use s3seal::jobs::{JobStore, RunSettings};
use s3seal::transfer::EncryptionChoice;

use super::{Put, json, kms_job, kms_key, plan, plan_request, put_rich};
use crate::support::Sandbox;

#[tokio::test(flavor = "multi_thread")]
async fn bad_jobs_are_refused_before_anything_happens() {
    let sb = Sandbox::new();
    let b = sb.bucket("jobs-refuse");
    let (kms, _) = kms_key(&sb).await;
    put_rich(&sb, &b, "p/a.txt", b"a", Put::SseS3).await;
    let prefix = format!("s3://{b}/p/");
    let job = |extra: &[&str]| {
        let mut args = vec!["rekey", prefix.as_str(), "--recursive"];
        args.extend_from_slice(extra);
        sb.fails(&args)
    };
    let err = job(&["--encryption", "default"]);
    assert!(err.contains("definite encryption"), "{err}");
    let err = sb.fails(&kms_job(&prefix, &kms, &["--where", "encrypted"]));
    assert!(err.contains("unknown filter 'encrypted'"), "{err}");
    let err = sb.fails(&kms_job(&prefix, &kms, &["--report", "out.txt"]));
    assert!(err.contains("FILE.csv or FILE.json"), "{err}");
    let existing = sb.path("old.csv");
    std::fs::write(&existing, "keep me").unwrap();
    let err = sb.fails(&kms_job(
        &prefix,
        &kms,
        &["--report", existing.to_str().unwrap()],
    ));
    assert!(err.contains("already exists"), "{err}");
    assert_eq!(std::fs::read_to_string(&existing).unwrap(), "keep me");
    let err = job(&["--encryption", "sse-kms", "--kms-key", "alias/nosuch"]);
    assert!(err.contains("alias/nosuch"), "{err}");
    let err = job(&["--encryption", "sse-c", "--key", "nosuch"]);
    assert!(err.contains("no key named 'nosuch'"), "{err}");
    // Job flags belong to --recursive; one object has one current key.
    let object = format!("s3://{b}/p/a.txt");
    let one = |extra: &[&str]| {
        let mut args = vec!["rekey", object.as_str(), "--encryption", "sse-s3"];
        args.extend_from_slice(extra);
        sb.fails(&args)
    };
    let err = one(&["--dry-run"]);
    assert!(err.contains("--recursive"), "{err}");
    let err = one(&["--source-key", "x", "--source-key", "y"]);
    assert!(err.contains("--source-key once"), "{err}");
    assert_eq!(
        json(&sb.ok(&["jobs", "list", "--json"])),
        serde_json::json!([])
    );
    assert_eq!(sb.info(&format!("s3://{b}/p/a.txt"))["mode"], "sse-s3");

    let err = sb.fails(&["jobs", "show", "20260101-000000-abcd"]);
    assert!(err.contains("job 20260101-000000-abcd not found"), "{err}");
    let err = sb.fails(&["jobs", "resume", "../../keys"]);
    assert!(err.contains("is not a job id"), "{err}");

    // A job is resumed only where it was planned.
    let conn = sb.connection().await;
    let target = EncryptionChoice::SseKms {
        key: Some(kms),
        bucket_key: false,
    };
    let plan = plan(
        &sb,
        &conn,
        &plan_request(&b, target, RunSettings::default()),
    )
    .await;
    JobStore::new(&sb.config_dir()).create(&plan).unwrap();
    let listed = json(&sb.ok(&["jobs", "list", "--json"]));
    assert_eq!(listed[0]["state"], "interrupted", "{listed}");
    let out = sb
        .bare_cmd()
        .args([
            "--endpoint-url",
            "https://127.0.0.1:9",
            "jobs",
            "resume",
            &plan.id,
        ])
        .output()
        .unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(!out.status.success());
    assert!(err.contains("was planned for objects at"), "{err}");
    assert_eq!(sb.info(&format!("s3://{b}/p/a.txt"))["mode"], "sse-s3");

    // A job another process runs is not run twice: the refusal says which process runs it and
    // what to do, not to look at a diff.
    let held = JobStore::new(&sb.config_dir()).lock(&plan.id).unwrap();
    let err = sb.fails(&["jobs", "resume", &plan.id]);
    let pid = std::process::id();
    assert!(
        err.contains(&format!("run right now by process {pid}")),
        "{err}"
    );
    assert!(
        err.contains(&format!("`s3seal jobs cancel {}`", plan.id)),
        "{err}"
    );
    assert!(!err.contains("diff"), "{err}");
    drop(held);
    assert_eq!(sb.info(&format!("s3://{b}/p/a.txt"))["mode"], "sse-s3");
}
