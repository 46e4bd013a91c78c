//! Bulk re-encryption jobs (`rekey --recursive`, `jobs …`) against LocalStack over HTTPS, and
//! loopback peers for what LocalStack does not implement (UpdateObjectEncryption, throttling).

mod changed;
mod every_mode;
mod refusals;
mod resume;
mod throttling;
mod uoe;
mod versions;

use aws_sdk_s3::primitives::ByteStream;
use base64::Engine as _;
use serde_json::Value;

use crate::support::Sandbox;

/// A fresh KMS key on LocalStack; returns (id, ARN).
pub async fn kms_key(sb: &Sandbox) -> (String, String) {
    let out = sb
        .connection()
        .await
        .kms()
        .create_key()
        .description("s3seal jobs test")
        .send()
        .await
        .unwrap();
    let meta = out.key_metadata().unwrap();
    (meta.key_id().to_owned(), meta.arn().unwrap().to_owned())
}

pub fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// `audit URI --json`.
pub fn audit(sb: &Sandbox, uri: &str) -> Value {
    json(&sb.ok(&["audit", uri, "--json"]))
}

/// An exported local SSE-C key, as the SDK's headers want it: (base64 key, base64 MD5).
pub fn sse_c_headers(sb: &Sandbox, name: &str) -> (String, String) {
    let file = sb.path(&format!("{name}.key"));
    sb.ok(&["keys", "export", name, "--file", file.to_str().unwrap()]);
    let raw = std::fs::read(&file).unwrap();
    let md5 = {
        use md5::Digest as _;
        md5::Md5::digest(&raw)
    };
    let b64 = base64::engine::general_purpose::STANDARD;
    (b64.encode(&raw), b64.encode(md5))
}

/// How a test object is written.
pub enum Put<'a> {
    SseS3,
    Kms(&'a str),
    Dsse(&'a str),
    SseC(&'a (String, String)),
}

/// Puts `body` at `bucket/key` with metadata `owner=KEY`, tags `team=blue&kind=KEY`, a content
/// type of its own, encrypted as `how`.
pub async fn put_rich(sb: &Sandbox, bucket: &str, key: &str, body: &[u8], how: Put<'_>) {
    let conn = sb.connection().await;
    let req = conn
        .s3()
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from(body.to_vec()))
        .metadata("owner", key)
        .content_type("text/x-s3seal-test")
        .tagging(format!("team=blue&kind={}", key.replace('/', "-")));
    use aws_sdk_s3::types::ServerSideEncryption as Sse;
    let req = match how {
        Put::SseS3 => req.server_side_encryption(Sse::Aes256),
        Put::Kms(k) => req.server_side_encryption(Sse::AwsKms).ssekms_key_id(k),
        Put::Dsse(k) => req
            .server_side_encryption(Sse::from("aws:kms:dsse"))
            .ssekms_key_id(k),
        Put::SseC((key, md5)) => req
            .sse_customer_algorithm("AES256")
            .sse_customer_key(key)
            .sse_customer_key_md5(md5),
    };
    req.send().await.unwrap();
}

/// Metadata `owner`, content type and tags of `bucket/key` (with an SSE-C key if it needs one).
pub async fn kept(
    sb: &Sandbox,
    bucket: &str,
    key: &str,
    sse_c: Option<&(String, String)>,
) -> (Option<String>, Option<String>, Vec<(String, String)>) {
    let conn = sb.connection().await;
    let mut head = conn.s3().head_object().bucket(bucket).key(key);
    if let Some((k, md5)) = sse_c {
        head = head
            .sse_customer_algorithm("AES256")
            .sse_customer_key(k)
            .sse_customer_key_md5(md5);
    }
    let head = head.send().await.unwrap();
    let tags = conn
        .s3()
        .get_object_tagging()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .unwrap();
    let mut tags: Vec<(String, String)> = tags
        .tag_set()
        .iter()
        .map(|t| (t.key().to_owned(), t.value().to_owned()))
        .collect();
    tags.sort();
    (
        head.metadata().and_then(|m| m.get("owner").cloned()),
        head.content_type().map(str::to_owned),
        tags,
    )
}

/// The report rows of `jobs show ID --json`, by key; panics if a key appears twice.
pub fn rows_by_key(show: &Value) -> std::collections::BTreeMap<String, Value> {
    let mut rows = std::collections::BTreeMap::new();
    for row in show["report"]["rows"].as_array().unwrap() {
        let key = row["key"].as_str().unwrap().to_owned();
        let version = row["version_id"].as_str().unwrap_or("").to_owned();
        let id = if version.is_empty() {
            key
        } else {
            format!("{key}#{version}")
        };
        assert!(
            rows.insert(id.clone(), row.clone()).is_none(),
            "{id} twice in the report"
        );
    }
    rows
}

/// Turns versioning on.
pub async fn enable_versioning(sb: &Sandbox, bucket: &str) {
    use aws_sdk_s3::types::{BucketVersioningStatus, VersioningConfiguration};
    sb.connection()
        .await
        .s3()
        .put_bucket_versioning()
        .bucket(bucket)
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .unwrap();
}

/// Every (key, version id) in the bucket, all pages.
pub async fn versions(sb: &Sandbox, bucket: &str) -> std::collections::BTreeSet<(String, String)> {
    let conn = sb.connection().await;
    let mut all = std::collections::BTreeSet::new();
    let mut marker: (Option<String>, Option<String>) = (None, None);
    loop {
        let page = conn
            .s3()
            .list_object_versions()
            .bucket(bucket)
            .set_key_marker(marker.0.clone())
            .set_version_id_marker(marker.1.clone())
            .send()
            .await
            .unwrap();
        for v in page.versions() {
            all.insert((
                v.key().unwrap().to_owned(),
                v.version_id().unwrap().to_owned(),
            ));
        }
        if page.is_truncated() != Some(true) {
            return all;
        }
        marker = (
            page.next_key_marker().map(str::to_owned),
            page.next_version_id_marker().map(str::to_owned),
        );
    }
}

/// A plan request for everything under `p/` of `bucket`.
pub fn plan_request(
    bucket: &str,
    target: s3seal::transfer::EncryptionChoice,
    settings: s3seal::jobs::RunSettings,
) -> s3seal::jobs::PlanRequest {
    s3seal::jobs::PlanRequest {
        uri: s3seal::s3::S3Uri::new(bucket, "p/"),
        filters: Vec::new(),
        target,
        versions: s3seal::jobs::Versions::Current,
        delete_replaced_versions: false,
        source_keys: Vec::new(),
        trusted_kms: Vec::new(),
        settings,
    }
}

/// The sandbox's local keys (its own catalog and the test Secret Service), opened when needed.
pub fn local_keys(sb: &Sandbox) -> std::sync::Arc<s3seal::s3::KeyAccess> {
    std::sync::Arc::new(s3seal::s3::KeyAccess::platform(Some(sb.config_dir())))
}

/// Plans `request` through the library, as the window does.
pub async fn plan(
    sb: &Sandbox,
    conn: &s3seal::s3::Connection,
    request: &s3seal::jobs::PlanRequest,
) -> s3seal::jobs::Plan {
    s3seal::jobs::plan(
        conn,
        &local_keys(sb),
        request,
        &s3seal::progress::Progress::new(),
        &s3seal::progress::CancellationToken::new(),
    )
    .await
    .unwrap()
}

/// Stores and starts `plan` in the sandbox's config dir.
pub fn start(
    sb: &Sandbox,
    conn: s3seal::s3::Connection,
    plan: s3seal::jobs::Plan,
    options: s3seal::jobs::RunOptions,
) -> s3seal::jobs::JobHandle {
    s3seal::jobs::start(
        &tokio::runtime::Handle::current(),
        conn,
        local_keys(sb),
        s3seal::jobs::JobStore::new(&sb.config_dir()),
        plan,
        options,
    )
    .unwrap()
}

/// `rekey PREFIX --recursive --encryption sse-kms --kms-key KMS EXTRA…`.
pub fn kms_job<'a>(prefix: &'a str, kms: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "rekey",
        prefix,
        "--recursive",
        "--encryption",
        "sse-kms",
        "--kms-key",
        kms,
    ];
    args.extend_from_slice(extra);
    args
}
