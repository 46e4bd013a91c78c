//! `s3seal batch …`. No local server implements S3 Control jobs, so S3 Control and STS are a
//! loopback peer that records what s3seal sends and answers with the canned responses in
//! tests/batch/ (each beside the reference page it follows); S3 and KMS are LocalStack (the
//! manifest s3seal uploads, the KMS key it resolves, the completion report it reads). The
//! `--dry-run` JSON is checked with the aws CLI's own parameter validation. Here: the shared
//! fixture and helpers; create.rs (plans sent, manifests), follow.rs (list, show, confirm,
//! cancel, reports, role policies).

mod create;
mod follow;

use std::process::Output;

use crate::peer::{Peer, Recorded, Reply};
use crate::support::Sandbox;

pub(crate) const JOB_ID: &str = "5f2d9a5e-0b1c-4e6a-9f3b-2d8c7e1a4b60";
pub(super) const ROLE: &str = "arn:aws:iam::111122223333:role/s3seal-batch";

pub(crate) fn canned(name: &str) -> String {
    std::fs::read_to_string(format!("{}/tests/batch/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// Answers as S3 Control and STS do, from the canned files. `report_bucket` replaces the
/// example bucket in DescribeJob answers, so the report the job names is one LocalStack holds.
pub(super) fn control_peer(report_bucket: &str) -> Peer {
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
pub(super) fn run<S: AsRef<str>>(sb: &Sandbox, peer: &Peer, args: &[S]) -> Output {
    sb.cmd()
        .env("AWS_ENDPOINT_URL_S3_CONTROL", peer.url())
        .env("AWS_ENDPOINT_URL_STS", peer.url())
        .args(args.iter().map(AsRef::as_ref))
        .output()
        .unwrap()
}

pub(super) fn ok<S: AsRef<str>>(sb: &Sandbox, peer: &Peer, args: &[S]) -> String {
    let out = run(sb, peer, args);
    let words: Vec<&str> = args.iter().map(AsRef::as_ref).collect();
    crate::support::assert_success(&out, &words);
    String::from_utf8(out.stdout).unwrap()
}

pub(super) fn fails<S: AsRef<str>>(sb: &Sandbox, peer: &Peer, args: &[S]) -> String {
    let out = run(sb, peer, args);
    let words: Vec<&str> = args.iter().map(AsRef::as_ref).collect();
    assert!(!out.status.success(), "`{}` should fail", words.join(" "));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.starts_with("s3seal: error: "), "{err}");
    err
}

/// `batch create SOURCE --role ROLE --report REPORT MORE…` (MORE split at spaces).
pub(super) fn create_args(source: &str, report: &str, more: &str) -> Vec<String> {
    format!("batch create {source} --role {ROLE} --report {report} {more}")
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

/// `args` and then `more` (split at spaces).
pub(super) fn with(args: &[String], more: &str) -> Vec<String> {
    let mut out = args.to_vec();
    out.extend(more.split_whitespace().map(str::to_owned));
    out
}

/// The text of every `<name>…</name>` in `xml`.
pub(crate) fn elements(xml: &str, name: &str) -> Vec<String> {
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

pub(super) fn create_requests(peer: &Peer) -> Vec<Recorded> {
    peer.requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path() == "/v20180820/jobs")
        .collect()
}

/// A KMS key id and its ARN.
pub(super) async fn key_and_arn(sb: &Sandbox, key_id: String) -> (String, String) {
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

pub(super) async fn kms_key(sb: &Sandbox) -> (String, String) {
    SHARED_KEY
        .get_or_init(|| async { key_and_arn(sb, sb.kms_key().await).await })
        .await
        .clone()
}

/// A sandbox, a source and a report bucket, a KMS key, and the S3 Control peer.
pub(super) struct Fixture {
    pub(super) sb: Sandbox,
    pub(super) src: String,
    pub(super) rep: String,
    pub(super) key_id: String,
    pub(super) key_arn: String,
    pub(super) peer: Peer,
}

pub(super) async fn fixture(tag: &str) -> Fixture {
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

pub(super) async fn put(sb: &Sandbox, bucket: &str, key: &str, body: Vec<u8>) {
    crate::inventory::put(&sb.connection().await, bucket, key, body).await;
}

pub(crate) fn md5_of(bytes: &[u8]) -> [u8; 16] {
    s3seal::s3::inventory::write::md5_of(bytes)
}

/// The aws CLI's verdict on a `--cli-input-json` file: its parameter validation runs before
/// any connection, so an endpoint where nothing listens tells validation errors apart.
pub(super) fn aws_cli_create_job(sb: &Sandbox, input: &str) -> String {
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
