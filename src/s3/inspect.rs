//! Inspecting one object: its encryption, which local key fits, size and checksum.
//!
//! S3 answers a HEAD on an SSE-C object without its key with a bare 400, and never reveals the
//! key's MD5 to someone who lacks the key. So finding "which local key fits" means asking S3
//! with each local SSE-C key in turn: 200 is a match, 403 is a wrong key.

use std::collections::BTreeMap;

use aws_sdk_s3::operation::head_object::HeadObjectOutput;
use aws_sdk_s3::types::ChecksumMode;
use serde::Serialize;

use super::connection::Connection;
use super::encryption::{EncryptionMode, SseCKey, apply_sse_c};
use super::errors::{clock_skew, from_sdk, status_of};
use super::listing::datetime_string;
use super::uri::S3Uri;
use crate::error::{Error, Result};
use crate::keys::{KeyKind, KeyManager};

/// Metadata names that mark a client-side (S3 Encryption Client) envelope on the object.
const CLIENT_ENVELOPE_MARKERS: [&str; 4] = ["x-amz-key-v2", "x-amz-3", "x-amz-key", "x-amz-i"];

/// Everything s3seal can tell about one object's encryption, as `info` prints it.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ObjectInfo {
    pub bucket: String,
    pub key: String,
    pub mode: EncryptionMode,
    /// The server-side mode underneath a client-side object (S3 may add SSE-S3 to it).
    pub server_side_mode: EncryptionMode,
    pub kms_key_id: Option<String>,
    pub bucket_key_enabled: Option<bool>,
    pub sse_c_algorithm: Option<String>,
    pub sse_c_key_md5: Option<String>,
    /// Name of the local key that fits (SSE-C), if any.
    pub matching_key: Option<String>,
    pub size: Option<u64>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub content_type: Option<String>,
    /// `ALGORITHM:value` of the object's stored checksum, when S3 has one.
    pub checksum: Option<String>,
    pub version_id: Option<String>,
    pub metadata: BTreeMap<String, String>,
    /// Client-side envelope version (`v2` / `v3`), when the object is client-side encrypted.
    pub client_format: Option<String>,
    /// Client-side key wrap (`AES/GCM` / `kms+context`).
    pub client_wrap: Option<String>,
    /// Where the envelope lives (`metadata` / `instruction-file`).
    pub client_envelope: Option<super::client_envelope::EnvelopeLocation>,
    /// The KMS encryption context of a `kms+context` envelope (public; stored with the object).
    pub client_kms_context: Option<BTreeMap<String, String>>,
}

/// A successful HEAD and the SSE-C key it needed, if any.
pub struct Resolved {
    pub head: HeadObjectOutput,
    pub sse_c: Option<SseCKey>,
    /// True when the object needs SSE-C but no available key fitted.
    pub sse_c_unresolved: bool,
}

/// Inspects `uri`. With `key` the SSE-C key is taken from it; otherwise local SSE-C keys are
/// tried when the object turns out to need one.
pub async fn inspect(
    conn: &Connection,
    candidates: &[SseCKey],
    uri: &S3Uri,
    key: Option<SseCKey>,
) -> Result<ObjectInfo> {
    let resolved = resolve(conn, candidates, uri, key).await?;
    Ok(object_info(uri, &resolved))
}

/// HEADs the object, finding the SSE-C key it needs if it needs one. A given key that does not
/// fit is an error; with no key given, an SSE-C object that no local key fits is reported with
/// `sse_c_unresolved` and a synthetic head.
pub async fn resolve(
    conn: &Connection,
    candidates: &[SseCKey],
    uri: &S3Uri,
    key: Option<SseCKey>,
) -> Result<Resolved> {
    if let Some(key) = key {
        conn.ensure_sse_c_allowed()?;
        return match head(conn, uri, Some(&key)).await? {
            HeadAnswer::Found(head) => Ok(Resolved {
                head: *head,
                sse_c: Some(key),
                sse_c_unresolved: false,
            }),
            HeadAnswer::WrongKey | HeadAnswer::NeedsKey => Err(Error::SseCWrongKey {
                bucket: uri.bucket.clone(),
                key: uri.key.clone(),
                name: key.name,
            }),
        };
    }
    resolve_lazily(conn, uri, || async { Ok(candidates) }).await
}

/// Like [`resolve`] with no key given, but the local SSE-C keys are loaded (by `load`) only
/// when the object turns out to need one, and the keyless HEAD is made once either way.
pub async fn resolve_lazily<C, K, F, Fut>(
    conn: &Connection,
    uri: &S3Uri,
    load: F,
) -> Result<Resolved>
where
    C: std::ops::Deref<Target = K>,
    K: AsRef<[SseCKey]> + ?Sized,
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<C>>,
{
    if let HeadAnswer::Found(head) = head(conn, uri, None).await? {
        return Ok(Resolved {
            head: *head,
            sse_c: None,
            sse_c_unresolved: false,
        });
    }
    if !conn.is_plain_http() {
        let candidates = load().await?;
        for candidate in candidates.deref().as_ref() {
            if let HeadAnswer::Found(head) = head(conn, uri, Some(candidate)).await? {
                return Ok(Resolved {
                    head: *head,
                    sse_c: Some(candidate.duplicate()),
                    sse_c_unresolved: false,
                });
            }
        }
    }
    Ok(Resolved {
        head: HeadObjectOutput::builder()
            .sse_customer_algorithm("AES256")
            .build(),
        sse_c: None,
        sse_c_unresolved: true,
    })
}

/// Every SSE-C key in the local catalog, read from the keyring off the async runtime: the
/// candidates that [`resolve`] tries on an SSE-C object.
pub async fn local_sse_c_keys(keys: &KeyManager) -> Result<Vec<SseCKey>> {
    keys.blocking(|keys| {
        let mut out = Vec::new();
        for record in keys.keys_of_kind(KeyKind::SseC)? {
            match keys.secret(&record.name) {
                Ok((record, secret)) => out.push(SseCKey::new(record.name, secret)),
                Err(Error::KeyMissingFromKeyring { name }) => {
                    tracing::warn!(key = %name, "catalog key missing from the OS keyring; skipped");
                }
                Err(other) => return Err(other),
            }
        }
        Ok(out)
    })
    .await
}

enum HeadAnswer {
    Found(Box<HeadObjectOutput>),
    /// 400 without a key: the object is SSE-C.
    NeedsKey,
    /// 403 with a key: the key does not fit (or access is denied).
    WrongKey,
}

async fn head(conn: &Connection, uri: &S3Uri, key: Option<&SseCKey>) -> Result<HeadAnswer> {
    let mut request = conn
        .s3()
        .head_object()
        .bucket(&uri.bucket)
        .key(&uri.key)
        .checksum_mode(ChecksumMode::Enabled);
    if let Some(key) = key {
        request = apply_sse_c!(request, key);
    }
    match request.send().await {
        Ok(out) => Ok(HeadAnswer::Found(Box::new(out))),
        Err(err) => match (status_of(&err), key.is_some()) {
            (Some(403), _) if clock_skew(&err).is_some() => Err(from_sdk("HeadObject", err)),
            (Some(400), false) => needs_key_or(conn, uri, err).await,
            (Some(403), true) => Ok(HeadAnswer::WrongKey),
            (Some(404), _) => Err(Error::NotFound {
                what: format!("{uri}"),
            }),
            _ => Err(from_sdk("HeadObject", err)),
        },
    }
}

/// A bare 400 to a HEAD without a key: the object is SSE-C — or the request itself was
/// refused (expired credentials answer 400 too, and a HEAD's answer has no body to say which).
/// A one-byte GET tells them apart: S3 names its reason there.
async fn needs_key_or(
    conn: &Connection,
    uri: &S3Uri,
    head_err: aws_sdk_s3::error::SdkError<
        aws_sdk_s3::operation::head_object::HeadObjectError,
        aws_smithy_runtime_api::http::Response,
    >,
) -> Result<HeadAnswer> {
    use aws_sdk_s3::error::ProvideErrorMetadata as _;
    let probe = conn
        .s3()
        .get_object()
        .bucket(&uri.bucket)
        .key(&uri.key)
        .range("bytes=0-0")
        .send()
        .await;
    match probe {
        Err(err) if err.code() == Some("InvalidRequest") => Ok(HeadAnswer::NeedsKey),
        Err(err) if err.code().is_some() => Err(from_sdk("GetObject", err)),
        _ => Err(from_sdk("HeadObject", head_err)),
    }
}

/// Builds the report from a resolved HEAD.
pub fn object_info(uri: &S3Uri, resolved: &Resolved) -> ObjectInfo {
    let head = &resolved.head;
    let metadata: BTreeMap<String, String> = head
        .metadata()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    let server_side_mode = if head.sse_customer_algorithm().is_some() {
        EncryptionMode::SseC
    } else {
        EncryptionMode::from_server_side(head.server_side_encryption())
    };
    let is_client = CLIENT_ENVELOPE_MARKERS
        .iter()
        .any(|m| metadata.contains_key(*m));
    ObjectInfo {
        bucket: uri.bucket.clone(),
        key: uri.key.clone(),
        mode: if is_client {
            EncryptionMode::Client
        } else {
            server_side_mode
        },
        server_side_mode,
        kms_key_id: head.ssekms_key_id().map(str::to_owned),
        bucket_key_enabled: head.bucket_key_enabled(),
        sse_c_algorithm: head.sse_customer_algorithm().map(str::to_owned),
        sse_c_key_md5: head.sse_customer_key_md5().map(str::to_owned),
        matching_key: resolved.sse_c.as_ref().map(|k| k.name.clone()),
        size: head.content_length().and_then(|n| u64::try_from(n).ok()),
        etag: head.e_tag().map(str::to_owned),
        last_modified: head.last_modified().map(datetime_string),
        content_type: head.content_type().map(str::to_owned),
        checksum: checksum_of(head),
        version_id: head.version_id().map(str::to_owned),
        metadata,
        client_format: None,
        client_wrap: None,
        client_envelope: None,
        client_kms_context: None,
    }
}

/// The checksums HEAD reported, by S3's algorithm names, strongest-kept first.
pub fn checksums(head: &HeadObjectOutput) -> [(&'static str, Option<&str>); 5] {
    [
        ("CRC64NVME", head.checksum_crc64_nvme()),
        ("CRC32", head.checksum_crc32()),
        ("CRC32C", head.checksum_crc32_c()),
        ("SHA1", head.checksum_sha1()),
        ("SHA256", head.checksum_sha256()),
    ]
}

fn checksum_of(head: &HeadObjectOutput) -> Option<String> {
    checksums(head)
        .into_iter()
        .find_map(|(name, value)| value.map(|v| format!("{name}:{v}")))
}
