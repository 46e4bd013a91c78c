//! Changing an object's server-side encryption in place: S3 copies it onto itself with the new
//! encryption, so the data never comes down to this machine. Metadata is preserved.

use aws_sdk_s3::operation::head_object::HeadObjectOutput;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart, MetadataDirective};
use futures::{StreamExt as _, TryStreamExt as _};

use super::fetch::resolve_readable;
use super::multipart::{MultipartGuard, PartPlan};
use crate::error::{Error, Result};
use crate::progress::{CancellationToken, Progress, or_cancelled};
use crate::s3::encryption::{
    ServerSide, SseCKey, apply_copy_source_sse_c, apply_sse_c, apply_write_encryption,
};
use crate::s3::errors::{from_sdk, status_of};
use crate::s3::inspect::Resolved;
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

/// Re-encrypts an object in place with `request.target`.
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
    progress.set_total(size);
    if size <= tuning.multipart_threshold {
        let etag = head.e_tag().map(str::to_owned);
        or_cancelled(
            cancel,
            copy_single(conn, uri, etag, source.as_ref(), target),
        )
        .await?;
    } else {
        copy_multipart(
            conn,
            uri,
            &head,
            source.as_ref(),
            target,
            size,
            tuning,
            progress,
            cancel,
        )
        .await?;
    }
    progress.add(size.saturating_sub(progress.snapshot().0));
    Ok(())
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

/// Copies the object onto itself with `target`, only if it still has the ETag that was read
/// (an object replaced meanwhile is reported, never overwritten).
async fn copy_single(
    conn: &Connection,
    uri: &S3Uri,
    etag: Option<String>,
    source: Option<&SseCKey>,
    target: &ServerSide,
) -> Result<()> {
    let copy = conn
        .s3()
        .copy_object()
        .bucket(&uri.bucket)
        .key(&uri.key)
        .copy_source(copy_source(uri))
        .set_copy_source_if_match(etag)
        .metadata_directive(MetadataDirective::Copy);
    let mut copy = apply_write_encryption!(copy, target);
    if let Some(key) = source {
        copy = apply_copy_source_sse_c!(copy, key);
    }
    match copy.send().await {
        Ok(_) => Ok(()),
        Err(err) if status_of(&err) == Some(412) => Err(Error::ObjectChanged {
            bucket: uri.bucket.clone(),
            key: uri.key.clone(),
        }),
        Err(err) => Err(from_sdk("CopyObject", err)),
    }
}

#[allow(
    clippy::too_many_arguments,
    reason = "one call site; a struct would only rename them"
)]
async fn copy_multipart(
    conn: &Connection,
    uri: &S3Uri,
    head: &HeadObjectOutput,
    source: Option<&SseCKey>,
    target: &ServerSide,
    size: u64,
    tuning: CopyTuning,
    progress: &Progress,
    cancel: &CancellationToken,
) -> Result<()> {
    let plan = PartPlan::new(size, tuning.part_size)?;
    // UploadPartCopy does not carry metadata over: restate it on the new upload.
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
        .set_storage_class(head.storage_class().cloned());
    let created = apply_write_encryption!(create, target)
        .send()
        .await
        .map_err(|e| from_sdk("CreateMultipartUpload", e))?;
    let upload_id = created.upload_id().unwrap_or_default().to_owned();
    let guard = MultipartGuard::new(conn, uri, &upload_id);
    let source_name = copy_source(uri);
    let etag = head.e_tag().map(str::to_owned);

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
                if let Some(key) = source {
                    part = apply_copy_source_sse_c!(part, key);
                }
                async move {
                    let out = part
                        .send()
                        .await
                        .map_err(|e| from_sdk("UploadPartCopy", e))?;
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
        Ok(_) => {
            guard.disarm();
            Ok(())
        }
        Err(err) => {
            guard.abort().await;
            Err(from_sdk("CompleteMultipartUpload", err))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_source_is_url_encoded() {
        let uri = S3Uri::new("b", "dir/a file+é.txt");
        assert_eq!(copy_source(&uri), "b/dir/a%20file%2B%C3%A9.txt");
    }
}
