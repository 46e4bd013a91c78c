//! The window's re-encryption jobs against LocalStack over HTTPS and the real Secret Service:
//! the audit's filtered rows → "Re-encrypt N objects…" → the plan → a job in the Jobs tab →
//! its report in the Audit tab → the audit again, checked on the server too; pause, resume and
//! cancel from the job's row; a quit interrupts a job, the next start offers it and it resumes
//! to done. S3 Batch Operations (which no local server implements) go to a loopback peer that
//! answers S3 Control and STS as the API reference shows and passes S3 and KMS on to
//! LocalStack. Run with `scripts/test-env.sh cargo test --test integration ui_jobs::`.

use std::time::{Duration, Instant};

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ServerSideEncryption;
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use futures::StreamExt as _;
use s3seal::jobs::{JobState, JobStore};
use s3seal::ui::TestFileDialog;

use crate::jobs::{Put, audit, put_rich};
use crate::support::Sandbox;
use crate::ui_support::{
    App, click, harness, type_into, unique, wait_for, wait_for_label, wait_for_label_containing,
};

/// Scrolls the button labelled `label` into view (the dialogs scroll) and clicks it as assistive
/// technology does.
fn click_button(h: &mut Harness<'static, App>, label: &str) {
    h.get_by_role_and_label(Role::Button, label).scroll_to_me();
    h.step();
    h.step();
    h.get_by_role_and_label(Role::Button, label)
        .click_accesskit();
    h.step();
    h.step();
}

/// A KMS key with an alias of its own (the picker finds it by that); (alias, ARN).
async fn aliased_key(sb: &Sandbox) -> (String, String) {
    let (id, arn) = crate::jobs::kms_key(sb).await;
    let alias = format!("alias/ui-jobs-{}", unique());
    sb.connection()
        .await
        .kms()
        .create_alias()
        .alias_name(&alias)
        .target_key_id(&id)
        .send()
        .await
        .unwrap();
    (alias, arn)
}

/// `n` small objects `p/obj-NNNN` with `sse`, 16 at a time.
async fn put_many(sb: &Sandbox, bucket: &str, n: usize, kms: &str) {
    let conn = sb.connection().await;
    futures::stream::iter(0..n)
        .map(|i| {
            let (conn, bucket) = (conn.clone(), bucket.to_owned());
            async move {
                conn.s3()
                    .put_object()
                    .bucket(&bucket)
                    .key(format!("p/obj-{i:04}"))
                    .server_side_encryption(ServerSideEncryption::AwsKms)
                    .ssekms_key_id(kms)
                    .body(ByteStream::from(format!("object {i}").into_bytes()))
                    .send()
                    .await
                    .unwrap();
            }
        })
        .buffer_unordered(16)
        .collect::<Vec<_>>()
        .await;
}

/// The window at `s3://bucket/p/`.
fn open_at(
    sb: &Sandbox,
    endpoint: &str,
    bucket: &str,
    dialog: &TestFileDialog,
) -> Harness<'static, App> {
    harness(
        endpoint,
        sb.env.ca.clone(),
        sb.config_dir(),
        Some(&format!("s3://{bucket}/p/")),
        dialog,
    )
}

/// Audits `s3://bucket/p/` in the Audit tab and opens the plan dialog on its `n` objects.
fn audit_and_open_plan(h: &mut Harness<'static, App>, bucket: &str, n: usize) {
    wait_for_label(h, "Audit");
    click(h, "Audit");
    click_button(h, &format!("Audit s3://{bucket}/p/"));
    wait_for_label_containing(h, &format!(": {n} objects, 0 from the last audit"));
    click_button(h, &format!("Re-encrypt {n} objects…"));
    wait_for_label(h, "Re-encrypt objects");
}

/// Picks SSE-KMS with the key called `alias` in the plan dialog's form.
fn pick_kms(h: &mut Harness<'static, App>, alias: &str) {
    h.get_by_role_and_label(Role::RadioButton, "SSE-KMS")
        .click();
    h.step();
    wait_for_label(h, "KMS key");
    h.get_by_label("KMS key").click();
    h.step();
    wait_for_label(h, "Find a key");
    type_into(h, "Find a key", alias);
    wait_for_label(h, alias);
    click(h, alias);
    let summary = wait_for_label_containing(h, "It will be encrypted by S3 with KMS key");
    assert!(summary.contains(alias), "{summary}");
}

/// The objects done so far, read from the job's progress bar (`STATE: N of M objects, …`).
fn objects_done(h: &Harness<'static, App>, state: &str) -> Option<u64> {
    let text = h
        .query_all_by_label_contains(&format!("{state}: "))
        .find(|n| n.accesskit_node().role() == Role::ProgressIndicator)?
        .accesskit_node()
        .label()?;
    text.split_once(": ")?.1.split(' ').next()?.parse().ok()
}

#[tokio::test(flavor = "multi_thread")]
async fn audit_plan_job_report_and_audit_again() {
    let sb = Sandbox::new();
    let b = sb.bucket("uijobs");
    let (alias, arn) = aliased_key(&sb).await;
    let (old_key, _) = crate::jobs::kms_key(&sb).await;
    let key_name = format!("uijobs-{}", unique());
    sb.ok(&["keys", "new", &key_name]);
    // Make the key at home in the bucket: a put with it names the bucket among its homes.
    let file = sb.path("c.txt");
    std::fs::write(&file, b"sse-c object").unwrap();
    sb.ok(&[
        "put",
        file.to_str().unwrap(),
        &format!("s3://{b}/p/c.txt"),
        "--encryption",
        "sse-c",
        "--key",
        &key_name,
    ]);
    put_rich(&sb, &b, "p/a.txt", b"one", Put::SseS3).await;
    put_rich(&sb, &b, "p/b.txt", b"two", Put::SseS3).await;
    put_rich(&sb, &b, "p/k.txt", b"three", Put::Kms(&old_key)).await;
    // Outside the audited folder: left alone.
    put_rich(&sb, &b, "q/other.txt", b"elsewhere", Put::SseS3).await;

    let dialog = TestFileDialog::new();
    let csv = sb.path("report.csv");
    let mut h = tokio::task::block_in_place(|| open_at(&sb, &sb.env.endpoint, &b, &dialog));
    tokio::task::block_in_place(|| {
        wait_for_label(&mut h, "a.txt");
        audit_and_open_plan(&mut h, &b, 4);
        // The bucket default is no target for a job, and the form says why.
        h.get_by_role_and_label(Role::RadioButton, "Bucket default")
            .click();
        h.step();
        wait_for_label_containing(&mut h, "needs a definite encryption");
        pick_kms(&mut h, &alias);
        click_button(&mut h, "Plan");
        let head = wait_for_label_containing(&mut h, "selected of 4 listed");
        assert!(head.starts_with("4 objects"), "{head}");
        // LocalStack has no UpdateObjectEncryption: the plan says so and copies.
        wait_for_label_containing(&mut h, "UpdateObjectEncryption is not used");
        wait_for_label(&mut h, "copy onto itself");
        wait_for_label_containing(&mut h, "Cost: about $");
        wait_for_label_containing(&mut h, "Time: about");
        // The preview has a row per object.
        wait_for_label(&mut h, "4 of 4 objects");

        click_button(&mut h, "Start job");
        let ended = wait_for_label_containing(&mut h, "Ended: done");
        assert!(
            ended.contains("4 done, 0 skipped, 0 failed, 0 changed"),
            "{ended}"
        );

        click_button(&mut h, "Open report");
        wait_for_label_containing(&mut h, "Report of job");
        wait_for_label_containing(&mut h, "4 objects: 4 done");
        h.get_by_role_and_label(Role::ComboBox, "Show").click();
        h.step();
        wait_for_label(&mut h, "failed");
        click(&mut h, "failed");
        wait_for_label(&mut h, "0 of 4 objects");
        dialog.answer(vec![csv.clone()]);
        click_button(&mut h, "Save report…");
        wait_for_label_containing(&mut h, "Saved to");

        click_button(&mut h, &format!("Audit s3://{b}/p/ again"));
        wait_for_label_containing(&mut h, ": 4 objects");
        // The chart names the key by its alias.
        wait_for_label(&mut h, &format!("sse-kms:{alias}"));
    });
    let text = std::fs::read_to_string(&csv).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 5, "a header and one row per object: {text}");
    assert!(lines[1..].iter().all(|l| l.contains(",done,")), "{text}");
    // On the server: every object under p/ is SSE-KMS with the new key, the rest untouched.
    let after = audit(&sb, &format!("s3://{b}/p/"));
    assert_eq!(after["by_key"][format!("sse-kms:{arn}")], 4, "{after}");
    let other = audit(&sb, &format!("s3://{b}/q/"));
    assert_eq!(other["by_mode"]["sse-s3"], 1, "{other}");
    // The SSE-C object was read with its local key and now needs none.
    let info = sb.info(&format!("s3://{b}/p/c.txt"));
    assert_eq!(info["mode"], "sse-kms", "{info}");
}

/// The store of the sandbox's config dir.
fn store(sb: &Sandbox) -> JobStore {
    JobStore::new(&sb.config_dir())
}

/// Objects under `p/` whose mode is `mode`, per the audit.
fn count_mode(sb: &Sandbox, bucket: &str, mode: &str) -> u64 {
    audit(sb, &format!("s3://{bucket}/p/"))["by_mode"][mode]
        .as_u64()
        .unwrap_or(0)
}

/// Starts a job of `n` SSE-KMS objects to SSE-S3, one object in flight, from the window.
fn start_slow_job(h: &mut Harness<'static, App>, bucket: &str, n: usize) {
    wait_for_label(h, "obj-0000");
    audit_and_open_plan(h, bucket, n);
    // SSE-S3 is the form's first choice; one object at a time keeps the job long enough.
    h.get_by_label("Objects in flight").set_value_accesskit(1.0);
    h.step();
    click_button(h, "Plan");
    wait_for_label_containing(h, &format!("selected of {n} listed"));
    click_button(h, "Start job");
    wait_for(h, "the job to run", |h| {
        h.query_by_role_and_label(Role::Button, "Pause").is_some()
    });
}

/// A bucket of `n` SSE-KMS objects under `p/` and the window running a slow job on them;
/// (bucket, file dialog, window).
async fn window_with_slow_job(
    sb: &Sandbox,
    name: &str,
    n: usize,
) -> (String, TestFileDialog, Harness<'static, App>) {
    let b = sb.bucket(name);
    let (kms, _) = crate::jobs::kms_key(sb).await;
    put_many(sb, &b, n, &kms).await;
    let dialog = TestFileDialog::new();
    let h = tokio::task::block_in_place(|| {
        let mut h = open_at(sb, &sb.env.endpoint, &b, &dialog);
        start_slow_job(&mut h, &b, n);
        h
    });
    (b, dialog, h)
}

/// Pauses the job and checks that it stays where it is once the object in flight finished.
fn pause(h: &mut Harness<'static, App>) -> u64 {
    click_button(h, "Pause");
    wait_for_label_containing(h, "paused: ");
    let settle = Instant::now() + Duration::from_millis(800);
    while Instant::now() < settle {
        h.step();
        std::thread::sleep(Duration::from_millis(20));
    }
    let first = objects_done(h, "paused").unwrap();
    let later = Instant::now() + Duration::from_millis(600);
    while Instant::now() < later {
        h.step();
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        objects_done(h, "paused"),
        Some(first),
        "a paused job starts nothing"
    );
    first
}

#[tokio::test(flavor = "multi_thread")]
async fn pause_resume_and_cancel_from_the_job_row() {
    const N: usize = 150;
    let sb = Sandbox::new();
    let (b, _dialog, mut h) = window_with_slow_job(&sb, "uijobs-pause", N).await;
    let paused_at = tokio::task::block_in_place(|| {
        let paused_at = pause(&mut h);
        assert!(paused_at < N as u64, "paused before the end");
        click_button(&mut h, "Resume");
        wait_for(&mut h, "the job to move on", |h| {
            objects_done(h, "running").is_some_and(|n| n > paused_at)
        });
        click_button(&mut h, "Cancel…");
        wait_for_label_containing(&mut h, "for good?");
        click_button(&mut h, "Yes, cancel the job");
        let ended = wait_for_label_containing(&mut h, "Ended: cancelled");
        assert!(!ended.contains(&format!("{N} done")), "{ended}");
        paused_at
    });
    drop(h);
    let listed = store(&sb).list().unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].state, JobState::Cancelled);
    let report = store(&sb).report(&listed[0].id).unwrap();
    let done = report.summary.count(s3seal::jobs::RowStatus::Done);
    assert!(done > paused_at && done < N as u64, "done {done}");
    // On the server: exactly the objects the report calls done changed.
    assert_eq!(count_mode(&sb, &b, "sse-s3"), done);
    assert_eq!(count_mode(&sb, &b, "sse-kms"), N as u64 - done);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_quit_interrupts_the_job_and_the_next_start_resumes_it() {
    const N: usize = 120;
    let sb = Sandbox::new();
    let (b, dialog, mut h) = window_with_slow_job(&sb, "uijobs-quit", N).await;
    let paused_at = tokio::task::block_in_place(|| pause(&mut h));
    // Quitting the window interrupts the job: it stays resumable.
    tokio::task::block_in_place(|| drop(h));
    let listed = store(&sb).list().unwrap();
    assert_eq!(listed[0].state, JobState::Interrupted, "{listed:?}");
    assert_eq!(listed[0].done, paused_at);

    let mut h = tokio::task::block_in_place(|| open_at(&sb, &sb.env.endpoint, &b, &dialog));
    tokio::task::block_in_place(|| {
        wait_for_label_containing(&mut h, "stopped before the end (a quit or a crash)");
        click(&mut h, "Jobs");
        wait_for_label_containing(
            &mut h,
            &format!("interrupted: {paused_at} of {N} objects handled"),
        );
        click_button(&mut h, "Resume");
        let ended = wait_for_label_containing(&mut h, "Ended: done");
        assert!(ended.contains(&format!("{N} done")), "{ended}");
    });
    drop(h);
    let listed = store(&sb).list().unwrap();
    assert_eq!(listed[0].state, JobState::Done);
    let report = store(&sb).report(&listed[0].id).unwrap();
    let mut keys: Vec<&str> = report.rows.iter().map(|r| r.key.as_str()).collect();
    keys.dedup();
    assert_eq!(keys.len(), N, "each object once in the report");
    assert_eq!(count_mode(&sb, &b, "sse-s3"), N as u64);
}

/// Answers S3 Control and STS from the canned responses and passes the rest (S3, KMS) on to
/// LocalStack. The job waits for confirmation until an UpdateJobStatus asks for Ready, then
/// is complete, with its report in `report_bucket`.
fn batch_peer(sb: &Sandbox, report_bucket: &str) -> crate::peer::Peer {
    use crate::batch::{JOB_ID, canned};
    use crate::peer::{Peer, Reply};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let upstream = sb
        .env
        .http_endpoint
        .trim_start_matches("http://")
        .to_owned();
    let confirmed = Arc::new(AtomicBool::new(false));
    let report_bucket = report_bucket.to_owned();
    Peer::forwarding(&upstream, move |r| {
        let body = String::from_utf8_lossy(&r.body);
        if r.method == "POST" && r.path() == "/" && body.contains("Action=GetCallerIdentity") {
            return Some(Reply::xml(
                200,
                &canned("sts-getcalleridentity.response.xml"),
            ));
        }
        let path = r.path().to_owned();
        if !path.starts_with("/v20180820/") {
            return None;
        }
        Some(match (r.method.as_str(), path.as_str()) {
            ("POST", "/v20180820/jobs") => {
                Reply::xml(200, &canned("s3control-createjob.response.xml"))
            }
            ("GET", "/v20180820/jobs") => {
                let list = canned("s3control-listjobs.response.xml");
                let start = list.find("<NextToken>").unwrap();
                let end = list.find("</NextToken>").unwrap() + "</NextToken>".len();
                Reply::xml(200, &format!("{}{}", &list[..start], &list[end..]))
            }
            ("GET", p) if p.ends_with(JOB_ID) => {
                if confirmed.load(Ordering::SeqCst) {
                    Reply::xml(
                        200,
                        &canned("s3control-describejob.response.complete.xml")
                            .replace("amzn-s3-demo-completion-report-bucket", &report_bucket),
                    )
                } else {
                    Reply::xml(200, &canned("s3control-describejob.response.suspended.xml"))
                }
            }
            ("POST", p)
                if p.ends_with("/status") && r.target.contains("requestedJobStatus=Ready") =>
            {
                confirmed.store(true, Ordering::SeqCst);
                Reply::xml(200, &canned("s3control-updatejobstatus.response.ready.xml"))
            }
            _ => Reply::xml(400, &canned("s3control-error.notfound.xml")),
        })
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn a_batch_job_is_reviewed_created_confirmed_and_its_report_opened() {
    use crate::batch::{JOB_ID, elements, md5_of};
    let sb = Sandbox::new();
    let src = sb.bucket("uijobs-bsrc");
    let rep = sb.bucket("uijobs-brep");
    let (alias, arn) = aliased_key(&sb).await;
    for key in ["p/a.txt", "p/b.txt", "p/c.txt"] {
        put_rich(&sb, &src, key, b"batch me", Put::SseS3).await;
    }
    // The completion report S3 would write once the job ran: one task succeeded, one failed.
    let prefix = format!("s3seal-reports/job-{JOB_ID}");
    let results = format!(
        "{src},p/a.txt,,succeeded,200,,Successful\n{src},p/b.txt,,failed,403,AccessDenied,Object Lock\n"
    );
    let conn = sb.connection().await;
    let results_key = format!("{prefix}/results/0.csv");
    crate::inventory::put(&conn, &rep, &results_key, results.clone().into_bytes()).await;
    let manifest = serde_json::json!({
        "Format": "Report_CSV_20180820",
        "ReportCreationDate": "2026-02-02T10:07:31.000Z",
        "Results": [{"TaskExecutionStatus": "succeeded", "Bucket": rep,
                     "MD5Checksum": hex::encode(md5_of(results.as_bytes())), "Key": results_key}],
        "ReportSchema": "Bucket, Key, VersionId, TaskStatus, ErrorCode, HTTPStatusCode, ResultMessage"
    });
    crate::inventory::put(
        &conn,
        &rep,
        &format!("{prefix}/manifest.json"),
        manifest.to_string().into_bytes(),
    )
    .await;

    let peer = batch_peer(&sb, &rep);
    let dialog = TestFileDialog::new();
    let mut h = tokio::task::block_in_place(|| open_at(&sb, &peer.url(), &src, &dialog));
    let shown = tokio::task::block_in_place(|| {
        wait_for_label(&mut h, "a.txt");
        audit_and_open_plan(&mut h, &src, 3);
        pick_kms(&mut h, &alias);
        click_button(&mut h, "Run on S3 Batch Operations…");
        wait_for_label(&mut h, "Role ARN");
        type_into(
            &mut h,
            "Role ARN",
            "arn:aws:iam::123456789012:role/s3seal-batch",
        );
        type_into(
            &mut h,
            "Completion report",
            &format!("s3://{rep}/s3seal-reports"),
        );
        click_button(&mut h, "Review batch job");
        let shown = wait_for_label_containing(&mut h, "\"ClientRequestToken\"");
        wait_for_label_containing(&mut h, "3 objects");
        wait_for_label_containing(&mut h, "S3 Batch Operations $");
        wait_for_label_containing(&mut h, "batchoperations.s3.amazonaws.com");
        click_button(&mut h, "Create job");
        wait_for_label_containing(&mut h, &format!("Created job {JOB_ID}"));
        shown
    });
    // What was sent is what was shown.
    let shown: serde_json::Value = serde_json::from_str(&shown).unwrap();
    let created: Vec<_> = peer
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path() == "/v20180820/jobs")
        .collect();
    assert_eq!(created.len(), 1);
    let body = String::from_utf8(created[0].body.clone()).unwrap();
    assert_eq!(
        elements(&body, "ClientRequestToken"),
        [shown["ClientRequestToken"].as_str().unwrap()]
    );
    assert_eq!(shown["AccountId"], "123456789012");
    assert_eq!(created[0].header("x-amz-account-id"), Some("123456789012"));
    assert_eq!(elements(&body, "KMSKeyArn"), [arn.as_str()]);
    let sse_kms = &shown["Operation"]["S3PutObjectCopy"]["SSEAwsKmsKeyId"];
    let uoe =
        &shown["Operation"]["S3UpdateObjectEncryption"]["ObjectEncryption"]["SSEKMS"]["KMSKeyArn"];
    assert!(sse_kms == arn.as_str() || uoe == arn.as_str(), "{shown}");
    let location = &shown["Manifest"]["Location"];
    assert_eq!(
        elements(&body, "ETag"),
        [location["ETag"].as_str().unwrap()],
        "the manifest uploaded is the one shown"
    );
    let manifest_key = location["ObjectArn"]
        .as_str()
        .unwrap()
        .trim_start_matches(&format!("arn:aws:s3:::{rep}/"))
        .to_owned();
    let uploaded = conn
        .s3()
        .get_object()
        .bucket(&rep)
        .key(&manifest_key)
        .send()
        .await
        .unwrap()
        .body
        .collect()
        .await
        .unwrap()
        .into_bytes();
    assert_eq!(String::from_utf8_lossy(&uploaded).lines().count(), 3);

    tokio::task::block_in_place(|| {
        // The job is followed in the Jobs tab: close the dialogs (the batch one, then the plan).
        for _ in 0..2 {
            h.query_all_by_role_and_label(Role::Button, "Close window")
                .last()
                .unwrap()
                .click_accesskit();
            h.step();
            h.step();
        }
        assert!(
            h.query_by_label("S3 Batch Operations").is_none(),
            "the dialogs are closed"
        );
        click(&mut h, "Jobs");
        let confirm = wait_for_label_containing(&mut h, "Confirm: run on 1200 objects");
        assert_eq!(confirm, "Confirm: run on 1200 objects");
        click_button(&mut h, "Confirm: run on 1200 objects");
        // Confirmed, S3 runs it and it completes: the detail offers its report.
        wait_for(&mut h, "the job's completion report", |h| {
            h.query_by_role_and_label(Role::Button, "Open completion report")
                .is_some()
        });
        click_button(&mut h, "Open completion report");
        wait_for_label_containing(&mut h, "Report of S3 Batch Operations job");
        wait_for_label_containing(&mut h, "2 objects: 1 done, 0 skipped, 1 failed");
        wait_for_label_containing(&mut h, "AccessDenied");
    });
    let status: Vec<_> = peer
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path().ends_with("/status"))
        .collect();
    assert_eq!(status.len(), 1, "one UpdateJobStatus");
    assert!(status[0].path().contains(JOB_ID));
    assert!(
        status[0].target.contains("requestedJobStatus=Ready"),
        "{}",
        status[0].target
    );
}
