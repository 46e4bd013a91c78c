//! UpdateObjectEncryption, which no local server implements: the request s3seal sends is
//! checked against a loopback peer that answers as the AWS API reference documents (canned
//! answers in `tests/uoe/`, each with its source page); a whole job through that peer changes
//! objects in place and copies nothing; and a server that turns out not to implement it while
//! the job runs gets copies instead, detected once. (The fallback on LocalStack, which answers
//! 501 at once, is in `every_mode`.)

use std::collections::BTreeSet;

use s3seal::jobs::uoe::{Support, not_implemented, probe, update_object_encryption};
use s3seal::jobs::{Method, RowStatus, RunOptions, RunSettings};
use s3seal::s3::{ConnectOptions, Connection};
use s3seal::transfer::EncryptionChoice;

use super::{plan, plan_request, start};
use crate::peer::{Peer, Recorded as Request, Reply};
use crate::support::Sandbox;

const ARN: &str = "arn:aws:kms:us-east-1:111122223333:key/01234567-89ab-cdef-0123-456789abcdef";
const OTHER_ARN: &str =
    "arn:aws:kms:us-east-1:111122223333:key/fedcba98-7654-3210-fedc-ba9876543210";

fn canned(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/uoe/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// The canned 200 answer (`response-200.http`): its status and headers, its `#` source lines
/// left out.
fn ok_200() -> Reply {
    let text = String::from_utf8(canned("response-200.http")).unwrap();
    let mut lines = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty());
    let status = lines.next().unwrap().split_whitespace().nth(1).unwrap();
    let mut reply = Reply::new(status.parse().unwrap(), "");
    for line in lines {
        let (name, value) = line.split_once(':').unwrap();
        reply = reply.header(name.trim(), value.trim());
    }
    reply
}

fn xml(status: u16, file: &str) -> Reply {
    Reply::xml(status, &String::from_utf8(canned(file)).unwrap())
}

/// An S3 error body (the shape of https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html).
pub fn s3_error(status: u16, code: &str, message: &str) -> Reply {
    Reply::xml(
        status,
        &format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message><RequestId>PEER</RequestId></Error>"
        ),
    )
}

/// A HEAD answer: headers only, with the object's length.
fn head(headers: &[(&str, &str)]) -> Reply {
    let mut reply = Reply::new(200, "")
        .header("Content-Length", "3")
        .header("Last-Modified", "Wed, 28 Jan 2026 12:00:00 GMT");
    for (name, value) in headers {
        reply = reply.header(name, value);
    }
    reply
}

async fn connect(peer: &Peer) -> Connection {
    Connection::connect(&ConnectOptions {
        endpoint_url: Some(peer.url()),
        region: Some("us-east-1".into()),
        ..Default::default()
    })
    .await
    .unwrap()
}

fn query_set(request: &Request) -> BTreeSet<String> {
    request.query().split('&').map(str::to_owned).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_request_is_the_one_the_api_reference_documents() {
    let peer = Peer::http(|request| {
        if request.path().ends_with("locked.jpg") {
            xml(403, "error-accessdenied-objectlock.xml")
        } else {
            ok_200()
        }
    });
    let conn = connect(&peer).await;
    update_object_encryption(
        &conn,
        "amzn-s3-demo-bucket",
        "photos/b c.jpg",
        Some("3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY"),
        ARN,
        true,
    )
    .await
    .unwrap();
    let seen = peer.requests();
    let r = &seen[0];
    assert_eq!(r.method, "PUT");
    // Path-style, as s3seal addresses custom endpoints; the key URL-encoded.
    assert_eq!(r.path(), "/amzn-s3-demo-bucket/photos/b%20c.jpg");
    assert_eq!(
        query_set(r),
        BTreeSet::from([
            "encryption".to_owned(),
            "versionId=3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY".to_owned()
        ])
    );
    assert_eq!(r.header("content-type"), Some("application/xml"));
    // The operation requires a body checksum; the SDK sends CRC32 rather than Content-MD5.
    assert!(
        r.headers
            .iter()
            .any(|(n, _)| n.starts_with("x-amz-checksum-"))
            || r.header("content-md5").is_some(),
        "{:?}",
        r.headers
    );
    assert_eq!(
        String::from_utf8_lossy(&r.body),
        String::from_utf8_lossy(&canned("request-body.xml")).trim_end()
    );

    // Object Lock refuses it (403 AccessDenied): a refusal for this object, not a missing API.
    let err =
        update_object_encryption(&conn, "amzn-s3-demo-bucket", "locked.jpg", None, ARN, false)
            .await
            .unwrap_err();
    assert!(!not_implemented(&err), "{err:?}");
    assert!(err.to_string().contains("AccessDenied"), "{err}");
    let seen = peer.requests();
    assert_eq!(
        query_set(&seen[1]),
        BTreeSet::from(["encryption".to_owned()]),
        "no version: the current one"
    );
    assert!(
        String::from_utf8_lossy(&seen[1].body)
            .contains("<BucketKeyEnabled>false</BucketKeyEnabled>")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_probe_trusts_only_the_documented_answer() {
    let peer = Peer::http(|request| {
        if request.path().starts_with("/yes/") {
            xml(404, "error-nosuchkey.xml")
        } else if request.path().starts_with("/no/") {
            xml(501, "error-not-implemented.xml")
        } else {
            s3_error(405, "MethodNotAllowed", "no")
        }
    });
    let conn = connect(&peer).await;
    assert_eq!(
        probe(&conn, "yes", "p/", ARN, true).await.unwrap(),
        Support::Available
    );
    let no = probe(&conn, "no", "p/", ARN, true).await.unwrap();
    let Support::Unavailable { reason } = no else {
        panic!("{no:?}")
    };
    assert!(reason.contains("501 NotImplemented"), "{reason}");
    assert!(matches!(
        probe(&conn, "other", "", ARN, true).await.unwrap(),
        Support::Unavailable { .. }
    ));
    // The probe names a key that does not exist, under the prefix.
    let seen = peer.requests();
    assert!(
        seen[0].path().starts_with("/yes/p/.s3seal-probe-"),
        "{}",
        seen[0].path()
    );
}

/// A server with two objects (one SSE-S3, one SSE-KMS under another key), KMS DescribeKey, and
/// UpdateObjectEncryption answered by `uoe` for the real objects.
fn s3_and_kms(uoe: fn() -> Reply) -> Peer {
    Peer::http(move |r| {
        if r.header("x-amz-target") == Some("TrentService.DescribeKey") {
            return Reply::new(200, canned("kms-describe-key.json"))
                .header("Content-Type", "application/x-amz-json-1.1");
        }
        // Bucket-level requests come as `/BUCKET/?…` (path-style).
        let path = r.path().trim_end_matches('/');
        match (r.method.as_str(), path) {
            ("GET", "/amzn-s3-demo-bucket") if r.query().contains("versioning") => {
                xml(200, "get-bucket-versioning.xml")
            }
            ("GET", "/amzn-s3-demo-bucket") if r.query().contains("list-type=2") => {
                xml(200, "list-objects-v2.xml")
            }
            ("HEAD", "/amzn-s3-demo-bucket/p/one.txt") => head(&[
                ("ETag", "\"9b2cf535f27731c974343645a3985328\""),
                ("x-amz-server-side-encryption", "AES256"),
            ]),
            ("HEAD", "/amzn-s3-demo-bucket/p/two.txt") => head(&[
                ("ETag", "\"b8a9f715dbb64fd5c56e7783c6820a61\""),
                ("x-amz-server-side-encryption", "aws:kms"),
                ("x-amz-server-side-encryption-aws-kms-key-id", OTHER_ARN),
            ]),
            ("PUT", p) if r.query() == "encryption" && p.contains(".s3seal-probe-") => {
                xml(404, "error-nosuchkey.xml")
            }
            ("PUT", _) if r.query() == "encryption" => uoe(),
            ("PUT", _) if r.header("x-amz-copy-source").is_some() => {
                xml(200, "copy-object-result.xml")
            }
            _ => s3_error(
                400,
                "Unexpected",
                "the test peer did not expect this request",
            ),
        }
    })
}

async fn plan_and_run(peer: &Peer, sb: &Sandbox) -> (s3seal::jobs::Plan, s3seal::jobs::JobOutcome) {
    let conn = connect(peer).await;
    let target = EncryptionChoice::SseKms {
        key: Some("alias/app".into()),
        bucket_key: true,
    };
    let settings = RunSettings {
        concurrency: 1,
        ..RunSettings::default()
    };
    let plan = plan(
        sb,
        &conn,
        &plan_request("amzn-s3-demo-bucket", target, settings),
    )
    .await;
    let handle = start(sb, conn, plan.clone(), RunOptions::default());
    (plan, handle.wait().await.unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_job_changes_objects_in_place_where_the_server_has_it() {
    let sb = Sandbox::new();
    let peer = s3_and_kms(ok_200);
    let (plan, outcome) = plan_and_run(&peer, &sb).await;
    assert_eq!(plan.update_object_encryption, Support::Available);
    assert_eq!(plan.summary.by_method[&Method::UpdateObjectEncryption], 2);
    assert!(
        plan.summary
            .notes
            .iter()
            .any(|n| n.text.contains("change in place"))
    );
    assert_eq!(
        outcome.report.summary.count(RowStatus::Done),
        2,
        "{:?}",
        outcome.report.rows
    );
    assert!(
        outcome
            .report
            .rows
            .iter()
            .all(|r| r.method == Method::UpdateObjectEncryption)
    );
    let seen = peer.requests();
    assert!(
        seen.iter().all(|r| r.header("x-amz-copy-source").is_none()),
        "nothing copied"
    );
    let changed: Vec<&Request> = seen
        .iter()
        .filter(|r| r.query() == "encryption" && !r.path().contains(".s3seal-probe-"))
        .collect();
    assert_eq!(changed.len(), 2);
    for r in changed {
        let body = String::from_utf8_lossy(&r.body);
        // The alias was resolved to the full ARN, which the API requires.
        assert!(
            body.contains(&format!("<KMSKeyArn>{ARN}</KMSKeyArn>")),
            "{body}"
        );
        assert!(
            body.contains("<BucketKeyEnabled>true</BucketKeyEnabled>"),
            "{body}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_that_lacks_it_after_all_gets_copies_detected_once() {
    let sb = Sandbox::new();
    let peer = s3_and_kms(|| xml(501, "error-not-implemented.xml"));
    let (_, outcome) = plan_and_run(&peer, &sb).await;
    let report = &outcome.report;
    assert_eq!(
        report.summary.count(RowStatus::Done),
        2,
        "{:?}",
        report.rows
    );
    assert!(
        report.rows.iter().all(|r| r.method == Method::Copy),
        "{:?}",
        report.rows
    );
    assert!(
        report.rows.iter().all(|r| r
            .message
            .as_deref()
            .unwrap_or("")
            .contains("copied instead")),
        "{:?}",
        report.rows
    );
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.text.contains("turned out not to be available"))
    );
    let seen = peer.requests();
    let asked = seen
        .iter()
        .filter(|r| r.query() == "encryption" && !r.path().contains(".s3seal-probe-"))
        .count();
    assert_eq!(asked, 1, "asked once, then copies");
    let copies: Vec<&Request> = seen
        .iter()
        .filter(|r| r.header("x-amz-copy-source").is_some())
        .collect();
    assert_eq!(copies.len(), 2);
    assert!(
        copies
            .iter()
            .all(|c| c.header("x-amz-copy-source-if-match").is_some())
    );
}
