//! Inspecting one object: its encryption, which local key fits, size and checksum.
//!
//! S3 answers a HEAD on an SSE-C object without its key with a bare 400, and never reveals the
//! key's MD5 to someone who lacks the key: finding "which local key fits" means asking S3 with
//! a key (200: it fits, 403: it does not). Since a key sent is a key given away, a local key is
//! offered only for objects inside its homes (or the one object it opened before), or when the
//! person names it ([`ReadKeys`]); a server that answers 400 to everything learns no key.

use std::collections::BTreeMap;

use aws_sdk_s3::operation::head_object::HeadObjectOutput;
use aws_sdk_s3::types::ChecksumMode;
use serde::Serialize;

use super::client_envelope::EnvelopeLocation;
use super::connection::Connection;
use super::encryption::{EncryptionMode, SseCKey, apply_sse_c};
use super::errors::{clock_skew, from_sdk, status_of};
use super::listing::datetime_string;
use super::local_keys::{KeyAccess, ReadKeys, remember_opener};
use super::uri::S3Uri;
use crate::crypto::{FormatVersion, WrapAlgorithm};
use crate::error::{Error, Result, SseCKeyReason};
use crate::keys::KeyKind;

/// Metadata names that mark a client-side (S3 Encryption Client) envelope on the object.
const CLIENT_ENVELOPE_MARKERS: [&str; 4] = ["x-amz-key-v2", "x-amz-3", "x-amz-key", "x-amz-i"];

/// Whether a local key opens the object (SSE-C, or a client-side object wrapped with a raw
/// key), as far as s3seal could tell without sending a key it should not.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeyStatus {
    /// The local key in `matching_key` opens it.
    Fits,
    /// Every local key that could be tried was, and none opens it.
    NoneFits,
    /// SSE-C: local keys exist, but none has this bucket among its homes, so none was sent.
    NotHome,
    /// The local key store could not be opened.
    Unavailable,
    /// Nothing was tried (SSE-C over plain HTTP).
    NotTried,
}

/// What a client-side envelope says (all public data).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClientSideInfo {
    #[serde(rename = "client_format")]
    pub format: FormatVersion,
    #[serde(rename = "client_wrap")]
    pub wrap: WrapAlgorithm,
    #[serde(rename = "client_envelope")]
    pub location: EnvelopeLocation,
    /// Whether the format binds the data key to the content (V3 does, V2 does not).
    #[serde(rename = "client_committing")]
    pub committing: bool,
    /// The KMS encryption context of a `kms+context` envelope (stored with the object).
    #[serde(rename = "client_kms_context", skip_serializing_if = "Option::is_none")]
    pub kms_context: Option<BTreeMap<String, String>>,
}

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
    /// Name of the local key that opens it (SSE-C, or client-side with a raw key), if any.
    pub matching_key: Option<String>,
    /// Whether a local key opens it; `None` when no local key applies.
    pub key_status: Option<KeyStatus>,
    pub size: Option<u64>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub content_type: Option<String>,
    /// `ALGORITHM:value` of the object's stored checksum, when S3 has one.
    pub checksum: Option<String>,
    pub version_id: Option<String>,
    pub metadata: BTreeMap<String, String>,
    /// The client-side envelope, when the object is client-side encrypted and it was read.
    #[serde(flatten)]
    pub client: Option<ClientSideInfo>,
}

/// A successful HEAD and the SSE-C key it needed, if any.
pub struct Resolved {
    pub head: HeadObjectOutput,
    /// The SSE-C key that opened it.
    pub sse_c: Option<SseCKey>,
    /// For SSE-C objects: whether a local key fits (`Fits` exactly when `sse_c` is set).
    pub sse_c_status: Option<KeyStatus>,
}

impl Resolved {
    /// The object's user metadata.
    pub fn metadata(&self) -> BTreeMap<String, String> {
        self.head
            .metadata()
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default()
    }

    /// The SSE-C key, or the error that says why there is none for an SSE-C object.
    pub fn require_sse_c(&self, uri: &S3Uri) -> Result<()> {
        let reason = match self.sse_c_status {
            None | Some(KeyStatus::Fits) => return Ok(()),
            Some(KeyStatus::NoneFits | KeyStatus::NotTried) => SseCKeyReason::NoneFits,
            Some(KeyStatus::NotHome) => SseCKeyReason::NotHome,
            Some(KeyStatus::Unavailable) => SseCKeyReason::KeysUnavailable,
        };
        Err(Error::SseCKeyNeeded {
            bucket: uri.bucket.clone(),
            key: uri.key.clone(),
            reason,
        })
    }
}

/// HEADs `uri`. When the object turns out to be SSE-C, offers the local keys `read` allows (and
/// only over HTTPS); a named key that does not fit is an error, while an SSE-C object no offered
/// key opens comes back with its [`KeyStatus`] and no key.
pub async fn resolve(
    conn: &Connection,
    keys: &KeyAccess,
    uri: &S3Uri,
    read: &ReadKeys,
) -> Result<Resolved> {
    // A key goes to this object only if it needs one.
    if let HeadAnswer::Found(head) = head(conn, uri, None).await? {
        return Ok(found(*head, None, None));
    }
    resolve_sse_c(conn, keys, uri, read).await
}

/// [`resolve`] for an object already known to be SSE-C (a keyless request was refused with
/// S3's "key needed"): only the keys `read` allows are offered, as there.
pub async fn resolve_sse_c(
    conn: &Connection,
    keys: &KeyAccess,
    uri: &S3Uri,
    read: &ReadKeys,
) -> Result<Resolved> {
    if let ReadKeys::Named(name) = read {
        conn.ensure_sse_c_allowed()?;
        let manager = keys.manager().await?;
        let (record, secret) = {
            let name = name.clone();
            manager.blocking(move |k| k.secret(&name)).await?
        };
        if record.kind != KeyKind::SseC {
            // A client key wraps data keys on this machine; it is never sent to a server.
            return Err(Error::WrongKeyKind {
                name: record.name,
                kind: record.kind,
                wanted: KeyKind::SseC,
            });
        }
        let key = SseCKey::new(record.name.clone(), secret);
        return match head(conn, uri, Some(&key)).await? {
            HeadAnswer::Found(head) => {
                remember_opener(&manager, &conn.place(), &uri.bucket, &uri.key, &record).await;
                Ok(found(*head, Some(key), Some(KeyStatus::Fits)))
            }
            HeadAnswer::WrongKey | HeadAnswer::NeedsKey => Err(Error::SseCWrongKey {
                bucket: uri.bucket.clone(),
                key: uri.key.clone(),
                name: record.name,
            }),
        };
    }
    let unresolved = |status| Ok(found(sse_c_head(), None, Some(status)));
    if conn.is_plain_http() {
        return unresolved(KeyStatus::NotTried);
    }
    let local = match keys.sse_c_keys().await {
        Ok(local) => local,
        Err(err) => {
            tracing::info!(error = %err, "local keys unavailable; the SSE-C object's key is not looked for");
            return unresolved(KeyStatus::Unavailable);
        }
    };
    let place = conn.place();
    let offer = match read {
        ReadKeys::AllMine => local.all(),
        _ => local.at_home(&place, &uri.bucket, &uri.key),
    };
    for candidate in &offer.keys {
        if let HeadAnswer::Found(head) = head(conn, uri, Some(&candidate.key)).await? {
            if let Ok(manager) = keys.manager().await {
                remember_opener(&manager, &place, &uri.bucket, &uri.key, &candidate.record).await;
            }
            return Ok(found(
                *head,
                Some(candidate.key.duplicate()),
                Some(KeyStatus::Fits),
            ));
        }
    }
    unresolved(if offer.held_back > 0 {
        KeyStatus::NotHome
    } else {
        KeyStatus::NoneFits
    })
}

fn found(head: HeadObjectOutput, sse_c: Option<SseCKey>, status: Option<KeyStatus>) -> Resolved {
    Resolved {
        head,
        sse_c,
        sse_c_status: status,
    }
}

/// What is known of an SSE-C object whose key is not at hand: only that it is SSE-C.
fn sse_c_head() -> HeadObjectOutput {
    HeadObjectOutput::builder()
        .sse_customer_algorithm("AES256")
        .build()
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
async fn needs_key_or(
    conn: &Connection,
    uri: &S3Uri,
    head_err: aws_sdk_s3::error::SdkError<
        aws_sdk_s3::operation::head_object::HeadObjectError,
        aws_smithy_runtime_api::http::Response,
    >,
) -> Result<HeadAnswer> {
    sse_c_or_refusal(conn, uri, None, head_err)
        .await
        .map(|()| HeadAnswer::NeedsKey)
}

/// Tells a keyless HEAD's bare 400 apart: `Ok` when the object (`version_id`, or the current
/// one) is SSE-C, else the error that refused the request. A one-byte GET does it: S3 names
/// its reason there (`InvalidRequest` for an SSE-C object without its key).
pub(crate) async fn sse_c_or_refusal(
    conn: &Connection,
    uri: &S3Uri,
    version_id: Option<&str>,
    head_err: aws_sdk_s3::error::SdkError<
        aws_sdk_s3::operation::head_object::HeadObjectError,
        aws_smithy_runtime_api::http::Response,
    >,
) -> Result<()> {
    use aws_sdk_s3::error::ProvideErrorMetadata as _;
    let probe = conn
        .s3()
        .get_object()
        .bucket(&uri.bucket)
        .key(&uri.key)
        .set_version_id(version_id.map(str::to_owned))
        .range("bytes=0-0")
        .send()
        .await;
    match probe {
        Err(err) if err.code() == Some("InvalidRequest") => Ok(()),
        Err(err) if err.code().is_some() => Err(from_sdk("GetObject", err)),
        _ => Err(from_sdk("HeadObject", head_err)),
    }
}

/// Builds the report from a resolved HEAD (the envelope, if any, is not read here).
pub fn object_info(uri: &S3Uri, resolved: &Resolved) -> ObjectInfo {
    let head = &resolved.head;
    let metadata = resolved.metadata();
    let server_side_mode = if head.sse_customer_algorithm().is_some() {
        EncryptionMode::SseC
    } else {
        EncryptionMode::from_server_side(head.server_side_encryption())
    };
    ObjectInfo {
        bucket: uri.bucket.clone(),
        key: uri.key.clone(),
        mode: if has_envelope_markers(&metadata) {
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
        key_status: resolved.sse_c_status,
        size: head.content_length().and_then(|n| u64::try_from(n).ok()),
        etag: head.e_tag().map(str::to_owned),
        last_modified: head.last_modified().map(datetime_string),
        content_type: head.content_type().map(str::to_owned),
        checksum: checksum_of(head),
        version_id: head.version_id().map(str::to_owned),
        metadata,
        client: None,
    }
}

/// Whether the metadata holds (part of) a client-side envelope.
pub fn has_envelope_markers(metadata: &BTreeMap<String, String>) -> bool {
    CLIENT_ENVELOPE_MARKERS
        .iter()
        .any(|m| metadata.contains_key(*m))
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
