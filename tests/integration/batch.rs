//! `s3seal batch …`. No local server implements S3 Control jobs, so S3 Control and STS are a
//! loopback peer that records what s3seal sends and answers with the canned responses in
//! tests/batch/ (each beside the reference page it follows); S3 and KMS are LocalStack (the
//! manifest s3seal uploads, the KMS key it resolves, the completion report it reads). The
//! `--dry-run` JSON is checked with the aws CLI's own parameter validation.

use std::process::Output;

use serde_json::Value;

use crate::peer::{Peer, Recorded, Reply};
use crate::support::Sandbox;

pub const JOB_ID: &str = "5f2d9a5e-0b1c-4e6a-9f3b-2d8c7e1a4b60";
const ROLE: &str = "arn:aws:iam::111122223333:role/s3seal-batch";

pub fn canned(name: &str) -> String {
    std::fs::read_to_string(format!("{}/tests/batch/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// Answers as S3 Control and STS do, from the canned files. `report_bucket` replaces the
/// example bucket in DescribeJob answers, so the report the job names is one LocalStack holds.
fn control_peer(report_bucket: &str) -> Peer {
    let report_bucket = report_bucket.to_owned();
    Peer::http(move |r: &Recorded| {
        let body = String::from_utf8_lossy(&r.body);
        let path = r.path().to_owned();
        if r.method == "POST" && path == "/" && body.contains("Action=GetCallerIdentity") {
            return Reply::xml(200, &canned("sts-getcalleridentity.response.xml"));
        }
        match (r.method.as_str(), path.as_str()) {
            ("POST", "/v20180820/jobs") => {
                Reply::xml(200, &canned("s3control-createjob.response.xml"))
            }
            ("GET", "/v20180820/jobs") => {
                let list = canned("s3control-listjobs.response.xml");
                // The second page: the same jobs' list without a next token.
                if r.target.contains("nextToken=") {
                    let start = list.find("<NextToken>").unwrap();
                    let end = list.find("</NextToken>").unwrap() + "</NextToken>".len();
                    Reply::xml(200, &format!("{}{}", &list[..start], &list[end..]))
                } else {
                    Reply::xml(200, &list)
                }
            }
            ("GET", p) if p == format!("/v20180820/jobs/{JOB_ID}") => Reply::xml(
                200,
                &canned("s3control-describejob.response.complete.xml")
                    .replace("amzn-s3-demo-completion-report-bucket", &report_bucket),
            ),
            ("GET", "/v20180820/jobs/suspended-job") => {
                Reply::xml(200, &canned("s3control-describejob.response.suspended.xml"))
            }
            ("POST", p) if p.ends_with("/status") && p.contains(JOB_ID) => {
                if r.target.contains("requestedJobStatus=Ready") {
                    Reply::xml(200, &canned("s3control-updatejobstatus.response.ready.xml"))
                } else {
                    Reply::xml(
                        200,
                        &canned("s3control-updatejobstatus.response.cancelled.xml"),
                    )
                }
            }
            ("POST", p) if p.ends_with("/status") => {
                Reply::xml(400, &canned("s3control-error.jobstatus.xml"))
            }
            _ => Reply::xml(400, &canned("s3control-error.notfound.xml")),
        }
    })
}

/// `s3seal ARGS…` with S3 and KMS at LocalStack and S3 Control and STS at `peer`.
fn run<S: AsRef<str>>(sb: &Sandbox, peer: &Peer, args: &[S]) -> Output {
    sb.cmd()
        .env("AWS_ENDPOINT_URL_S3_CONTROL", peer.url())
        .env("AWS_ENDPOINT_URL_STS", peer.url())
        .args(args.iter().map(AsRef::as_ref))
        .output()
        .unwrap()
}

fn ok<S: AsRef<str>>(sb: &Sandbox, peer: &Peer, args: &[S]) -> String {
    let out = run(sb, peer, args);
    let words: Vec<&str> = args.iter().map(AsRef::as_ref).collect();
    crate::support::assert_success(&out, &words);
    String::from_utf8(out.stdout).unwrap()
}

fn fails<S: AsRef<str>>(sb: &Sandbox, peer: &Peer, args: &[S]) -> String {
    let out = run(sb, peer, args);
    let words: Vec<&str> = args.iter().map(AsRef::as_ref).collect();
    assert!(!out.status.success(), "`{}` should fail", words.join(" "));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.starts_with("s3seal: error: "), "{err}");
    err
}

/// `batch create SOURCE --role ROLE --report REPORT MORE…` (MORE split at spaces).
fn create_args(source: &str, report: &str, more: &str) -> Vec<String> {
    format!("batch create {source} --role {ROLE} --report {report} {more}")
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

/// `args` and then `more` (split at spaces).
fn with(args: &[String], more: &str) -> Vec<String> {
    let mut out = args.to_vec();
    out.extend(more.split_whitespace().map(str::to_owned));
    out
}

/// The text of every `<name>…</name>` in `xml`.
pub fn elements(xml: &str, name: &str) -> Vec<String> {
    let (open, close) = (format!("<{name}>"), format!("</{name}>"));
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(i) = rest.find(&open) {
        let after = &rest[i + open.len()..];
        let Some(j) = after.find(&close) else { break };
        out.push(after[..j].to_owned());
        rest = &after[j + close.len()..];
    }
    out
}

fn create_requests(peer: &Peer) -> Vec<Recorded> {
    peer.requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path() == "/v20180820/jobs")
        .collect()
}

/// A KMS key id and its ARN.
async fn key_and_arn(sb: &Sandbox, key_id: String) -> (String, String) {
    let out = sb
        .connection()
        .await
        .kms()
        .describe_key()
        .key_id(&key_id)
        .send()
        .await
        .unwrap();
    let arn = out.key_metadata().unwrap().arn().unwrap().to_owned();
    (key_id, arn)
}

/// One KMS key for all the batch tests: every key made in the shared LocalStack lengthens the
/// key list the window tests pick from.
static SHARED_KEY: tokio::sync::OnceCell<(String, String)> = tokio::sync::OnceCell::const_new();

async fn kms_key(sb: &Sandbox) -> (String, String) {
    SHARED_KEY
        .get_or_init(|| async { key_and_arn(sb, sb.kms_key().await).await })
        .await
        .clone()
}

/// A sandbox, a source and a report bucket, a KMS key, and the S3 Control peer.
struct Fixture {
    sb: Sandbox,
    src: String,
    rep: String,
    key_id: String,
    key_arn: String,
    peer: Peer,
}

async fn fixture(tag: &str) -> Fixture {
    let sb = Sandbox::new();
    let src = sb.bucket(&format!("{tag}src"));
    let rep = sb.bucket(&format!("{tag}rep"));
    let (key_id, key_arn) = kms_key(&sb).await;
    let peer = control_peer(&rep);
    Fixture {
        sb,
        src,
        rep,
        key_id,
        key_arn,
        peer,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn create_sends_the_planned_job_once_per_content() {
    let Fixture {
        sb,
        src,
        rep,
        key_id,
        key_arn,
        peer,
    } = fixture("bc").await;
    let report = format!("s3://{rep}/batch/");
    let source = format!("s3://{src}/photos/");
    let args = create_args(
        &source,
        &report,
        &format!(
            "--encryption sse-kms --kms-key {key_id} --bucket-key --where sse-s3 --created-before 2026-01-01"
        ),
    );
    let input: Value = serde_json::from_str(&ok(&sb, &peer, &with(&args, "--dry-run"))).unwrap();
    assert_eq!(input["AccountId"], "123456789012", "from STS: {input}");
    assert_eq!(input["ConfirmationRequired"], true);
    let sse_kms = &input["Operation"]["S3UpdateObjectEncryption"]["ObjectEncryption"]["SSEKMS"];
    assert_eq!(
        sse_kms["KMSKeyArn"],
        key_arn.as_str(),
        "the key id resolved to its ARN"
    );
    assert_eq!(sse_kms["BucketKeyEnabled"], true);
    let filter = &input["ManifestGenerator"]["S3JobManifestGenerator"]["Filter"];
    assert_eq!(
        filter["MatchAnyObjectEncryption"],
        serde_json::json!([{"SSES3": {}}])
    );
    assert_eq!(filter["KeyNameConstraint"]["MatchAnyPrefix"][0], "photos/");
    assert_eq!(filter["CreatedBefore"], "2026-01-01T00:00:00Z");
    assert!(
        create_requests(&peer).is_empty(),
        "a dry run creates nothing"
    );
    let token = input["ClientRequestToken"].as_str().unwrap().to_owned();

    let created = ok(&sb, &peer, &args);
    assert!(
        created.contains(&format!("created job {JOB_ID}")),
        "{created}"
    );
    assert!(created.contains("s3seal batch confirm"), "{created}");
    ok(&sb, &peer, &args);
    let sent = create_requests(&peer);
    assert_eq!(sent.len(), 2);
    let body = String::from_utf8(sent[0].body.clone()).unwrap();
    assert_eq!(sent[0].header("x-amz-account-id"), Some("123456789012"));
    assert_eq!(
        elements(&body, "ClientRequestToken"),
        std::slice::from_ref(&token),
        "the dry run's token"
    );
    assert_eq!(elements(&body, "ConfirmationRequired"), ["true"]);
    assert_eq!(elements(&body, "KMSKeyArn"), std::slice::from_ref(&key_arn));
    assert_eq!(elements(&body, "BucketKeyEnabled"), ["true"]);
    assert!(
        body.contains("<MatchAnyObjectEncryption><ObjectEncryption><SSE-S3"),
        "{body}"
    );
    assert!(
        body.contains("<MatchAnyPrefix><member>photos/</member></MatchAnyPrefix>"),
        "{body}"
    );
    assert_eq!(elements(&body, "CreatedBefore"), ["2026-01-01T00:00:00Z"]);
    assert_eq!(
        elements(&body, "SourceBucket"),
        [format!("arn:aws:s3:::{src}")]
    );
    assert_eq!(elements(&body, "ReportScope"), ["AllTasks"]);
    assert_eq!(elements(&body, "Prefix"), ["batch"]);
    assert_eq!(elements(&body, "RoleArn"), [ROLE]);
    assert!(elements(&body, "Manifest").is_empty());
    // A retry sends the same job with the same token: S3 answers it with the first job's id.
    assert_eq!(sent[0].body, sent[1].body);

    // What the generator cannot express is refused with the way out.
    let mut not_key = args.clone();
    not_key[13] = "not-kms-key=other".to_owned();
    let err = fails(&sb, &peer, &not_key);
    assert!(err.contains("from an audit"), "{err}");
    let mut dsse = args.clone();
    dsse[8] = "dsse-kms".to_owned();
    let err = fails(&sb, &peer, &dsse);
    assert!(err.contains("not DSSE-KMS"), "{err}");
    assert_eq!(create_requests(&peer).len(), 2, "nothing more was sent");
}

async fn put(sb: &Sandbox, bucket: &str, key: &str, body: Vec<u8>) {
    crate::inventory::put(&sb.connection().await, bucket, key, body).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_manifest_from_an_audit_is_uploaded_with_its_etag() {
    let Fixture {
        sb,
        src,
        rep,
        key_id: new_key,
        key_arn: new_arn,
        peer,
    } = fixture("bm").await;
    let old_key = sb.kms_key().await;
    let file = sb.path("f.txt");
    std::fs::write(&file, b"batch").unwrap();
    let f = file.to_str().unwrap();
    sb.ok(&["keys", "new", "c1"]);
    sb.ok(&[
        "put",
        f,
        &format!("s3://{src}/a b+c.txt"),
        "--encryption",
        "sse-s3",
    ]);
    sb.ok(&[
        "put",
        f,
        &format!("s3://{src}/kms-old"),
        "--encryption",
        "sse-kms",
        "--kms-key",
        &old_key,
    ]);
    sb.ok(&[
        "put",
        f,
        &format!("s3://{src}/ssec"),
        "--encryption",
        "sse-c",
        "--key",
        "c1",
    ]);
    let audit = sb.path("audit.json");
    std::fs::write(&audit, sb.ok(&["audit", &format!("s3://{src}/"), "--json"])).unwrap();
    let audit = audit.to_str().unwrap();
    let report = format!("s3://{rep}/r");
    let source = format!("s3://{src}");
    let base = create_args(
        &source,
        &report,
        &format!(
            "--encryption sse-kms --kms-key {new_key} --manifest-from-audit {audit} --account-id 111122223333"
        ),
    );

    let review = ok(&sb, &peer, &base);
    assert!(review.contains("objects: 2"), "{review}");
    assert!(
        review.contains("SSE-C: S3 Batch Operations cannot send the key"),
        "{review}"
    );
    let sent = create_requests(&peer);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].header("x-amz-account-id"), Some("111122223333"));
    let body = String::from_utf8(sent[0].body.clone()).unwrap();
    assert!(
        !peer.requests().iter().any(|r| r.path() == "/"),
        "no STS call with --account-id"
    );
    assert!(
        body.contains("<S3UpdateObjectEncryption>"),
        "SSE-S3 and SSE-KMS sources: {body}"
    );
    assert_eq!(elements(&body, "KMSKeyArn"), std::slice::from_ref(&new_arn));
    assert_eq!(
        elements(&body, "Format")[0],
        "S3BatchOperations_CSV_20180820"
    );
    assert!(
        body.contains("<Fields><member>Bucket</member><member>Key</member></Fields>"),
        "{body}"
    );
    let arn = elements(&body, "ObjectArn").pop().unwrap();
    let key = arn
        .strip_prefix(&format!("arn:aws:s3:::{rep}/"))
        .unwrap()
        .to_owned();
    assert!(
        key.starts_with("r/s3seal-manifests/") && key.ends_with(".csv"),
        "{key}"
    );
    let conn = sb.connection().await;
    let head = conn
        .s3()
        .head_object()
        .bucket(&rep)
        .key(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(
        elements(&body, "ETag"),
        [head.e_tag().unwrap().trim_matches('"').to_owned()],
        "the ETag S3 gave the uploaded manifest"
    );
    let manifest = conn
        .s3()
        .get_object()
        .bucket(&rep)
        .key(&key)
        .send()
        .await
        .unwrap();
    let manifest = manifest.body.collect().await.unwrap().into_bytes();
    assert_eq!(
        String::from_utf8(manifest.to_vec()).unwrap(),
        format!("{src},a%20b%2Bc.txt\n{src},kms-old\n"),
        "URL-encoded keys, no header, the SSE-C object left out"
    );

    // A dry run of another selection uploads nothing.
    let dry = with(&base, "--where sse-s3 --dry-run");
    let input: Value = serde_json::from_str(&ok(&sb, &peer, &dry)).unwrap();
    let location = &input["Manifest"]["Location"];
    let expected = format!("{src},a%20b%2Bc.txt\n");
    assert_eq!(location["ETag"], hex::encode(md5_of(expected.as_bytes())));
    let dry_key = location["ObjectArn"]
        .as_str()
        .unwrap()
        .split_once(&format!("{rep}/"))
        .unwrap()
        .1
        .to_owned();
    assert_ne!(dry_key, key);
    assert!(
        conn.s3()
            .head_object()
            .bucket(&rep)
            .key(&dry_key)
            .send()
            .await
            .is_err()
    );

    // To SSE-S3: only a copy can, and the SSE-S3 object is already there.
    let to_s3 = create_args(
        &source,
        &report,
        &format!(
            "--encryption sse-s3 --manifest-from-audit {audit} --account-id 111122223333 --dry-run"
        ),
    );
    let input: Value = serde_json::from_str(&ok(&sb, &peer, &to_s3)).unwrap();
    let copy = &input["Operation"]["S3PutObjectCopy"];
    assert_eq!(
        copy["NewObjectMetadata"]["SSEAlgorithm"], "AES256",
        "{input}"
    );
    assert_eq!(copy["TargetResource"], format!("arn:aws:s3:::{src}"));
    let plan: Value = serde_json::from_str(&ok(&sb, &peer, &with(&to_s3, "--json"))).unwrap();
    assert_eq!(plan["manifest"]["objects"], 1, "{plan}");
    assert_eq!(
        plan["manifest"]["left_out"]["already in the target encryption"], 1,
        "{plan}"
    );
    assert!(
        plan["costs"]["batch_total"].as_f64().unwrap() > 0.25,
        "{plan}"
    );
    assert_eq!(create_requests(&peer).len(), 1, "dry runs send nothing");
}

pub fn md5_of(bytes: &[u8]) -> [u8; 16] {
    s3seal::s3::inventory::write::md5_of(bytes)
}

/// The aws CLI's verdict on a `--cli-input-json` file: its parameter validation runs before
/// any connection, so an endpoint where nothing listens tells validation errors apart.
fn aws_cli_create_job(sb: &Sandbox, input: &str) -> String {
    let path = sb.path(&format!("job-{}.json", crate::support::unique()));
    std::fs::write(&path, input).unwrap();
    let aws = std::env::var("S3SEAL_TEST_AWS_CLI").expect("run through scripts/test-env.sh");
    let out = std::process::Command::new(aws)
        .args(["s3control", "create-job", "--region", "us-east-1"])
        .args([
            "--endpoint-url",
            "http://127.0.0.1:9",
            "--cli-read-timeout",
            "2",
        ])
        .args(["--cli-connect-timeout", "2"])
        .arg("--cli-input-json")
        .arg(format!("file://{}", path.display()))
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_MAX_ATTEMPTS", "1")
        .output()
        .unwrap();
    assert!(!out.status.success(), "nothing listens there");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn dry_run_json_passes_the_aws_cli_validation() {
    let Fixture {
        sb,
        src,
        rep,
        key_id,
        peer,
        ..
    } = fixture("bv").await;
    let file = sb.path("f.txt");
    std::fs::write(&file, b"v").unwrap();
    sb.ok(&[
        "put",
        file.to_str().unwrap(),
        &format!("s3://{src}/x"),
        "--encryption",
        "sse-s3",
    ]);
    let audit = sb.path("audit.json");
    std::fs::write(&audit, sb.ok(&["audit", &format!("s3://{src}/"), "--json"])).unwrap();
    let report = format!("s3://{rep}/batch");
    let source = format!("s3://{src}/p/");
    let audit = audit.to_str().unwrap();
    let whole = format!("s3://{src}");
    let variants = [
        (
            &source,
            format!(
                "--encryption sse-kms --kms-key {key_id} --where sse-s3 --bucket-key --larger-than 10 --created-after 2025-06-01"
            ),
        ),
        (
            &source,
            format!("--encryption sse-kms --kms-key {key_id} --where unencrypted"),
        ),
        (&source, "--encryption sse-s3".to_owned()),
        (
            &whole,
            format!("--encryption sse-kms --kms-key {key_id} --manifest-from-audit {audit}"),
        ),
    ];
    for (i, (uri, more)) in variants.iter().enumerate() {
        let args = create_args(
            uri,
            &report,
            &format!("{more} --account-id 111122223333 --dry-run"),
        );
        let input = ok(&sb, &peer, &args);
        let verdict = aws_cli_create_job(&sb, &input);
        assert!(
            !verdict.contains("Parameter validation failed"),
            "variant {i}: {verdict}\n{input}"
        );
        assert!(
            !verdict.contains("Unknown parameter"),
            "variant {i}: {verdict}"
        );
        assert!(
            verdict.contains("endpoint") || verdict.contains("connect"),
            "variant {i}: {verdict}"
        );
        if i == 0 {
            // The check can fail: the hyphenated wire name is not the model's member name.
            let wrong = input.replacen("\"SSEKMS\"", "\"SSE-KMS\"", 1);
            let verdict = aws_cli_create_job(&sb, &wrong);
            assert!(verdict.contains("Parameter validation failed"), "{verdict}");
        }
    }
}

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
async fn a_manifest_from_an_inventory_report_takes_its_rows() {
    use s3seal::s3::inventory::ReportFormat;
    use s3seal::s3::inventory::write::sample_objects;

    let Fixture {
        sb,
        src,
        rep,
        key_id,
        peer,
        ..
    } = fixture("bi").await;
    let conn = sb.connection().await;
    // 50 rows, 10 in each of SSE-S3, SSE-KMS, NOT-SSE, DSSE-KMS and SSE-C.
    let inventory = crate::inventory::upload_report(
        &conn,
        &rep,
        &src,
        ReportFormat::Csv,
        vec![sample_objects(50).collect()],
    )
    .await;
    let report = format!("s3://{rep}/r");
    let source = format!("s3://{src}");
    let base = create_args(
        &source,
        &report,
        &format!(
            "--encryption sse-kms --kms-key {key_id} --manifest-from-inventory {inventory} --account-id 111122223333 --dry-run --json"
        ),
    );
    let plan: Value =
        serde_json::from_str(&ok(&sb, &peer, &with(&base, "--where sse-s3"))).unwrap();
    assert_eq!(plan["manifest"]["objects"], 10, "{plan}");
    assert!(
        plan["create_job_input"]["Operation"]["S3UpdateObjectEncryption"].is_object(),
        "{plan}"
    );
    assert!(
        plan["notes"]
            .to_string()
            .contains("inventory report of 2026-01-02T03:04:05Z"),
        "{plan}"
    );

    let all: Value = serde_json::from_str(&ok(&sb, &peer, &base)).unwrap();
    assert_eq!(all["manifest"]["objects"], 40, "every row but SSE-C: {all}");
    assert_eq!(
        all["manifest"]["left_out"]["SSE-C: S3 Batch Operations cannot send the key"], 10,
        "{all}"
    );
    assert!(
        all["create_job_input"]["Operation"]["S3PutObjectCopy"].is_object(),
        "{all}"
    );

    let mut wrong = base.clone();
    wrong[2] = "s3://another-bucket".to_owned();
    let err = fails(&sb, &peer, &wrong);
    assert!(err.contains("is an inventory of"), "{err}");
    assert!(create_requests(&peer).is_empty());
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
