//! Changing an object's server-side encryption in place: S3 copies it onto itself with the new
//! encryption, so the data never comes down to this machine. Metadata, tags, storage class and
//! Object Lock settings are kept, and the copy is conditional on the ETag that was seen, so an
//! object replaced meanwhile is never overwritten.

use aws_sdk_s3::error::SdkError;
use aws_sdk_s3::operation::head_object::HeadObjectOutput;
use aws_sdk_s3::types::{
    ChecksumAlgorithm, CompletedMultipartUpload, CompletedPart, MetadataDirective,
    ObjectLockLegalHoldStatus, ObjectLockMode, StorageClass, TaggingDirective,
};
use futures::{StreamExt as _, TryStreamExt as _};
use serde::{Deserialize, Serialize};

use super::fetch::resolve_readable;
use super::multipart::{MultipartGuard, PartPlan};
use crate::error::{Error, Result};
use crate::progress::{CancellationToken, Progress, or_cancelled};
use crate::s3::encryption::{
    ServerSide, SseCKey, apply_copy_source_sse_c, apply_sse_c, apply_write_encryption,
};
use crate::s3::errors::{from_sdk, status_of};
use crate::s3::inspect::{self, Resolved};
use crate::s3::listing::datetime_string;
use crate::s3::{Connection, KeyAccess, ReadOptions, S3Uri};

/// Sizes of a copy.
#[derive(Clone, Copy, Debug)]
pub struct CopyTuning {
    /// Objects larger than this are copied part by part (CopyObject's limit is 5 GiB).
    pub multipart_threshold: u64,
    pub part_size: u64,
    pub concurrency: usize,
}

impl Default for CopyTuning {
    fn default() -> Self {
        Self {
            multipart_threshold: 5 * 1024 * 1024 * 1024,
            part_size: 512 * 1024 * 1024,
            concurrency: 8,
        }
    }
}

/// What to re-encrypt and how.
pub struct RekeyRequest<'a> {
    pub uri: &'a S3Uri,
    /// The local keys that may open the object as it is (an SSE-C source).
    pub keys: &'a KeyAccess,
    pub read: &'a ReadOptions,
    /// The new encryption.
    pub target: &'a ServerSide,
}

/// Re-encrypts an object in place with `request.target`, keeping its metadata, tags, storage
/// class and Object Lock settings; the copy is conditional on the ETag HEAD saw, so an object
/// replaced meanwhile is not overwritten ([`Error::ObjectChanged`]).
pub async fn rekey(
    conn: &Connection,
    request: RekeyRequest<'_>,
    tuning: CopyTuning,
    progress: &Progress,
    cancel: &CancellationToken,
) -> Result<()> {
    let RekeyRequest {
        uri,
        keys,
        read,
        target,
    } = request;
    uri.require_object()?;
    if target.sse_c().is_some() {
        conn.ensure_sse_c_allowed()?;
    }
    let Resolved {
        head,
        sse_c: source,
        ..
    } = resolve_readable(conn, keys, uri, read).await?;
    let size = head
        .content_length()
        .and_then(|n| u64::try_from(n).ok())
        .unwrap_or(0);
    let restated = Restated::from_head(&head);
    let copy = CopyInPlace {
        uri,
        size,
        if_match: head.e_tag(),
        source_key: source.as_ref(),
        target,
        restated: &restated,
    };
    progress.set_total(size);
    if size <= tuning.multipart_threshold {
        or_cancelled(cancel, copy_single(conn, &copy)).await?;
    } else {
        copy_multipart(conn, &copy, &head, tuning, progress, cancel).await?;
    }
    progress.add(size.saturating_sub(progress.snapshot().0));
    Ok(())
}

/// What a copy onto itself must restate, because S3 would not carry it to the new version
/// (storage class, Object Lock, website redirect) or would choose it afresh (checksum).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Restated {
    /// `None`: STANDARD (S3 omits it).
    pub storage_class: Option<String>,
    /// Object Lock retention and legal hold, while they are in force.
    pub lock: Option<ObjectLock>,
    pub website_redirect: Option<String>,
    /// The algorithm of the object's stored checksum (`CRC64NVME`, …), kept on the copy.
    pub checksum_algorithm: Option<String>,
}

/// An object's Object Lock settings as HEAD reports them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectLock {
    /// `GOVERNANCE` or `COMPLIANCE`, with the date the retention ends (RFC 3339).
    pub retention: Option<(String, String)>,
    pub legal_hold: bool,
}

impl Restated {
    /// What `head` says must be restated. A retention that has ended is not restated.
    pub fn from_head(head: &HeadObjectOutput) -> Self {
        let now = aws_smithy_types::DateTime::from(std::time::SystemTime::now());
        let retention = match (
            head.object_lock_mode(),
            head.object_lock_retain_until_date(),
        ) {
            (Some(mode), Some(until)) if until.secs() > now.secs() => {
                Some((mode.as_str().to_owned(), datetime_string(until)))
            }
            _ => None,
        };
        let legal_hold =
            head.object_lock_legal_hold_status() == Some(&ObjectLockLegalHoldStatus::On);
        Self {
            storage_class: head
                .storage_class()
                .map(|c| c.as_str().to_owned())
                .filter(|c| c != "STANDARD"),
            lock: (retention.is_some() || legal_hold).then_some(ObjectLock {
                retention,
                legal_hold,
            }),
            website_redirect: head.website_redirect_location().map(str::to_owned),
            checksum_algorithm: inspect::checksums(head)
                .into_iter()
                .find_map(|(name, value)| value.map(|_| name.to_owned())),
        }
    }
}

/// One copy of an object onto itself.
pub struct CopyInPlace<'a> {
    pub uri: &'a S3Uri,
    pub size: u64,
    /// Copy only if the object still has this ETag (`x-amz-copy-source-if-match`).
    pub if_match: Option<&'a str>,
    /// The SSE-C key the object is encrypted with now, if any.
    pub source_key: Option<&'a SseCKey>,
    pub target: &'a ServerSide,
    pub restated: &'a Restated,
}

/// The version a copy made.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Copied {
    /// The new version's id (versioned buckets).
    pub version_id: Option<String>,
}

/// `bucket/key` URL-encoded, as the `x-amz-copy-source` header wants it.
pub(crate) fn copy_source(uri: &S3Uri) -> String {
    use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
    const KEEP: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'/')
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    format!("{}/{}", uri.bucket, utf8_percent_encode(&uri.key, KEEP))
}

/// Restates `restated` on a request builder with the usual S3 setter names (CopyObject,
/// CreateMultipartUpload).
macro_rules! apply_restated {
    ($builder:expr, $restated:expr) => {{
        let restated: &Restated = $restated;
        let mut b = $builder
            .set_storage_class(restated.storage_class.as_deref().map(StorageClass::from))
            .set_website_redirect_location(restated.website_redirect.clone());
        if let Some(lock) = &restated.lock {
            if let Some((mode, until)) = &lock.retention {
                b = b
                    .object_lock_mode(ObjectLockMode::from(mode.as_str()))
                    .object_lock_retain_until_date(parse_datetime(until)?);
            }
            if lock.legal_hold {
                b = b.object_lock_legal_hold_status(ObjectLockLegalHoldStatus::On);
            }
        }
        b
    }};
}

/// CopyObject onto itself (up to 5 GiB): metadata, content headers and tags are copied by S3;
/// storage class, Object Lock, website redirect and the checksum algorithm are restated.
pub async fn copy_single(conn: &Connection, copy: &CopyInPlace<'_>) -> Result<Copied> {
    let uri = copy.uri;
    let request = conn
        .s3()
        .copy_object()
        .bucket(&uri.bucket)
        .key(&uri.key)
        .copy_source(copy_source(uri))
        .set_copy_source_if_match(copy.if_match.map(str::to_owned))
        .metadata_directive(MetadataDirective::Copy)
        .tagging_directive(TaggingDirective::Copy)
        .set_checksum_algorithm(
            copy.restated
                .checksum_algorithm
                .as_deref()
                .map(ChecksumAlgorithm::from),
        );
    let request = apply_restated!(request, copy.restated);
    let mut request = apply_write_encryption!(request, copy.target);
    if let Some(key) = copy.source_key {
        request = apply_copy_source_sse_c!(request, key);
    }
    let out = request
        .send()
        .await
        .map_err(|e| changed_or(uri, "CopyObject", e))?;
    Ok(Copied {
        version_id: out.version_id().map(str::to_owned),
    })
}

/// A failed `x-amz-copy-source-if-match` (412) is the object changing under the copy.
pub(crate) fn changed_or<E, R>(uri: &S3Uri, operation: &'static str, err: SdkError<E, R>) -> Error
where
    E: aws_sdk_s3::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: crate::s3::errors::HttpStatus + std::fmt::Debug + Send + Sync + 'static,
{
    if status_of(&err) == Some(412) {
        Error::ObjectChanged {
            bucket: uri.bucket.clone(),
            key: uri.key.clone(),
        }
    } else {
        from_sdk(operation, err)
    }
}

fn parse_datetime(text: &str) -> Result<aws_smithy_types::DateTime> {
    aws_smithy_types::DateTime::from_str(text, aws_smithy_types::date_time::Format::DateTime)
        .map_err(|e| Error::Internal(format!("retention date '{text}': {e}")))
}

/// UploadPartCopy onto itself (above 5 GiB). UploadPartCopy carries no metadata and no tags, so
/// `head` (the object's HEAD, taken with its SSE-C key) supplies them, and the tags are read;
/// every part is conditional on the ETag.
pub async fn copy_multipart(
    conn: &Connection,
    copy: &CopyInPlace<'_>,
    head: &HeadObjectOutput,
    tuning: CopyTuning,
    progress: &Progress,
    cancel: &CancellationToken,
) -> Result<Copied> {
    let uri = copy.uri;
    let target = copy.target;
    let plan = PartPlan::new(copy.size, tuning.part_size)?;
    let tags = conn
        .s3()
        .get_object_tagging()
        .bucket(&uri.bucket)
        .key(&uri.key)
        .send()
        .await
        .map_err(|e| from_sdk("GetObjectTagging", e))?;
    let create = conn
        .s3()
        .create_multipart_upload()
        .bucket(&uri.bucket)
        .key(&uri.key)
        .set_metadata(head.metadata().cloned())
        .set_content_type(head.content_type().map(str::to_owned))
        .set_content_encoding(head.content_encoding().map(str::to_owned))
        .set_content_disposition(head.content_disposition().map(str::to_owned))
        .set_content_language(head.content_language().map(str::to_owned))
        .set_cache_control(head.cache_control().map(str::to_owned))
        .set_expires(head.expires_string().and_then(|text| {
            aws_smithy_types::DateTime::from_str(
                text,
                aws_smithy_types::date_time::Format::HttpDate,
            )
            .ok()
        }))
        .set_tagging(tagging_header(tags.tag_set()));
    let create = apply_restated!(create, copy.restated);
    let created = apply_write_encryption!(create, target)
        .send()
        .await
        .map_err(|e| from_sdk("CreateMultipartUpload", e))?;
    let upload_id = created.upload_id().unwrap_or_default().to_owned();
    let guard = MultipartGuard::new(conn, uri, &upload_id);
    let source_name = copy_source(uri);
    let etag = copy.if_match.map(str::to_owned);

    let parts = or_cancelled(
        cancel,
        futures::stream::iter(plan.parts())
            .map(|(number, offset, length)| {
                let mut part = conn
                    .s3()
                    .upload_part_copy()
                    .bucket(&uri.bucket)
                    .key(&uri.key)
                    .upload_id(&upload_id)
                    .part_number(number)
                    .copy_source(&source_name)
                    .set_copy_source_if_match(etag.clone())
                    .copy_source_range(format!("bytes={}-{}", offset, offset + length - 1));
                if let Some(key) = target.sse_c() {
                    part = apply_sse_c!(part, key);
                }
                if let Some(key) = copy.source_key {
                    part = apply_copy_source_sse_c!(part, key);
                }
                async move {
                    let out = part
                        .send()
                        .await
                        .map_err(|e| changed_or(uri, "UploadPartCopy", e))?;
                    progress.add(length);
                    Ok::<_, Error>(
                        CompletedPart::builder()
                            .part_number(number)
                            .set_e_tag(
                                out.copy_part_result()
                                    .and_then(|r| r.e_tag().map(str::to_owned)),
                            )
                            .build(),
                    )
                }
            })
            .buffer_unordered(tuning.concurrency.max(1))
            .try_collect::<Vec<_>>(),
    )
    .await;
    let mut parts = match parts {
        Ok(parts) => parts,
        Err(err) => {
            guard.abort().await;
            return Err(err);
        }
    };
    parts.sort_by_key(|p| p.part_number());
    let mut complete = conn
        .s3()
        .complete_multipart_upload()
        .bucket(&uri.bucket)
        .key(&uri.key)
        .upload_id(&upload_id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(parts))
                .build(),
        );
    if let Some(key) = target.sse_c() {
        complete = apply_sse_c!(complete, key);
    }
    match complete.send().await {
        Ok(out) => {
            guard.disarm();
            Ok(Copied {
                version_id: out.version_id().map(str::to_owned),
            })
        }
        Err(err) => {
            guard.abort().await;
            Err(from_sdk("CompleteMultipartUpload", err))
        }
    }
}

/// Tags as the `x-amz-tagging` header wants them (`k=v&k2=v2`, URL-encoded); `None` for none.
fn tagging_header(tags: &[aws_sdk_s3::types::Tag]) -> Option<String> {
    use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
    let encode = |s: &str| utf8_percent_encode(s, NON_ALPHANUMERIC).to_string();
    (!tags.is_empty()).then(|| {
        tags.iter()
            .map(|t| format!("{}={}", encode(t.key()), encode(t.value())))
            .collect::<Vec<_>>()
            .join("&")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_become_one_header() {
        let tag = |k: &str, v: &str| {
            aws_sdk_s3::types::Tag::builder()
                .key(k)
                .value(v)
                .build()
                .unwrap()
        };
        assert_eq!(tagging_header(&[]), None);
        assert_eq!(
            tagging_header(&[tag("team", "a b"), tag("k&", "=")]).as_deref(),
            Some("team=a%20b&k%26=%3D")
        );
    }

    #[test]
    fn retention_is_restated_only_while_in_force() {
        use aws_smithy_types::DateTime;
        let future = DateTime::from_secs(4_102_444_800); // 2100-01-01
        let head = HeadObjectOutput::builder()
            .object_lock_mode(ObjectLockMode::Governance)
            .object_lock_retain_until_date(future)
            .storage_class(StorageClass::StandardIa)
            .checksum_crc64_nvme("AAAAAAAAAAA=")
            .build();
        let restated = Restated::from_head(&head);
        assert_eq!(restated.storage_class.as_deref(), Some("STANDARD_IA"));
        assert_eq!(restated.checksum_algorithm.as_deref(), Some("CRC64NVME"));
        let lock = restated.lock.unwrap();
        assert_eq!(lock.retention.unwrap().0, "GOVERNANCE");
        assert!(!lock.legal_hold);
        let past = HeadObjectOutput::builder()
            .object_lock_mode(ObjectLockMode::Governance)
            .object_lock_retain_until_date(DateTime::from_secs(1))
            .build();
        assert_eq!(Restated::from_head(&past).lock, None);
        let held = HeadObjectOutput::builder()
            .object_lock_legal_hold_status(ObjectLockLegalHoldStatus::On)
            .build();
        assert!(Restated::from_head(&held).lock.unwrap().legal_hold);
    }

    #[test]
    fn copy_source_is_url_encoded() {
        let uri = S3Uri::new("b", "dir/a file+é.txt");
        assert_eq!(copy_source(&uri), "b/dir/a%20file%2B%C3%A9.txt");
    }
}
