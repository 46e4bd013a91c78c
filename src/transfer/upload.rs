//! Uploading a file with server-side encryption: one PutObject for small files, a multipart
//! upload with several parts in flight for large ones, streamed from disk either way.

use std::collections::HashMap;
use std::path::Path;

use aws_sdk_s3::primitives::{ByteStream, Length};
use aws_sdk_s3::types::CompletedPart;
use futures::{StreamExt as _, TryStreamExt as _};

use super::multipart::{
    MultipartGuard, PartPlan, PayloadSigning, UPLOAD_CHECKSUM, UPLOAD_CHECKSUM_TYPE, complete,
    upload_part,
};
use crate::error::{Error, Result};
use crate::progress::{CancellationToken, Progress, or_cancelled};
use crate::s3::encryption::{ServerSide, apply_write_encryption};
use crate::s3::errors::from_sdk;
use crate::s3::{Connection, S3Uri};

/// Bytes read from the file at a time for each part in flight.
const READ_BUFFER: usize = 256 * 1024;

/// Sizes and parallelism of an upload.
#[derive(Clone, Copy, Debug)]
pub struct UploadTuning {
    /// Files at least this large go multipart.
    pub multipart_threshold: u64,
    /// Smallest part size (S3 requires ≥ 5 MiB for all parts but the last).
    pub min_part_size: u64,
    /// Parts in flight at once. Memory stays bounded because parts stream from disk.
    pub concurrency: usize,
}

impl Default for UploadTuning {
    fn default() -> Self {
        Self {
            multipart_threshold: 16 * 1024 * 1024,
            min_part_size: 8 * 1024 * 1024,
            concurrency: 8,
        }
    }
}

/// What an upload writes: where, with which encryption, and the object's metadata.
pub struct UploadRequest<'a> {
    pub path: &'a Path,
    pub dest: &'a S3Uri,
    pub server_side: &'a ServerSide,
    /// User metadata (`x-amz-meta-*` without the prefix).
    pub metadata: HashMap<String, String>,
}

/// What S3 answered for a finished upload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadOutcome {
    pub etag: Option<String>,
    pub size: u64,
    pub parts: usize,
}

/// Uploads `request.path` to `request.dest`. On failure or cancellation a multipart upload is
/// aborted, so no parts are left behind to be billed.
pub async fn upload_file(
    conn: &Connection,
    request: &UploadRequest<'_>,
    tuning: UploadTuning,
    progress: &Progress,
    cancel: &CancellationToken,
) -> Result<UploadOutcome> {
    request.dest.require_object()?;
    if request.server_side.sse_c().is_some() {
        conn.ensure_sse_c_allowed()?;
    }
    let size = tokio::fs::metadata(request.path)
        .await
        .map_err(|e| Error::io("cannot read", request.path, e))?
        .len();
    progress.set_total(size);
    if size < tuning.multipart_threshold {
        or_cancelled(cancel, put_single(conn, request, size, progress)).await
    } else {
        upload_multipart(conn, request, size, tuning, progress, cancel).await
    }
}

fn content_type(path: &Path) -> String {
    mime_guess::from_path(path)
        .first_or_octet_stream()
        .essence_str()
        .to_owned()
}

async fn put_single(
    conn: &Connection,
    request: &UploadRequest<'_>,
    size: u64,
    progress: &Progress,
) -> Result<UploadOutcome> {
    let body = ByteStream::from_path(request.path)
        .await
        .map_err(|e| Error::io("cannot read", request.path, std::io::Error::other(e)))?;
    let put = conn
        .s3()
        .put_object()
        .bucket(&request.dest.bucket)
        .key(&request.dest.key)
        .content_type(content_type(request.path))
        .set_metadata(Some(request.metadata.clone()))
        .checksum_algorithm(UPLOAD_CHECKSUM)
        .body(body);
    let out = apply_write_encryption!(put, request.server_side)
        .send()
        .await
        .map_err(|e| from_sdk("PutObject", e))?;
    progress.add(size);
    Ok(UploadOutcome {
        etag: out.e_tag().map(str::to_owned),
        size,
        parts: 1,
    })
}

async fn upload_multipart(
    conn: &Connection,
    request: &UploadRequest<'_>,
    size: u64,
    tuning: UploadTuning,
    progress: &Progress,
    cancel: &CancellationToken,
) -> Result<UploadOutcome> {
    let plan = PartPlan::new(size, tuning.min_part_size)?;
    let create = conn
        .s3()
        .create_multipart_upload()
        .bucket(&request.dest.bucket)
        .key(&request.dest.key)
        .content_type(content_type(request.path))
        .set_metadata(Some(request.metadata.clone()))
        .checksum_algorithm(UPLOAD_CHECKSUM)
        .checksum_type(UPLOAD_CHECKSUM_TYPE);
    let created = apply_write_encryption!(create, request.server_side)
        .send()
        .await
        .map_err(|e| from_sdk("CreateMultipartUpload", e))?;
    let upload_id = created.upload_id().unwrap_or_default().to_owned();
    let guard = MultipartGuard::new(conn, request.dest, &upload_id);

    let parts = or_cancelled(
        cancel,
        futures::stream::iter(plan.parts())
            .map(|(number, offset, length)| {
                upload_one_part(conn, request, &upload_id, number, offset, length, progress)
            })
            .buffer_unordered(tuning.concurrency.max(1))
            .try_collect::<Vec<CompletedPart>>(),
    )
    .await;
    let parts = match parts {
        Ok(parts) => parts,
        Err(err) => {
            guard.abort().await;
            return Err(err);
        }
    };
    let count = parts.len();
    let sse_c = request.server_side.sse_c();
    match or_cancelled(
        cancel,
        complete(conn, request.dest, &upload_id, parts, sse_c),
    )
    .await
    {
        Ok(etag) => {
            guard.disarm();
            Ok(UploadOutcome {
                etag,
                size,
                parts: count,
            })
        }
        Err(err) => {
            guard.abort().await;
            Err(err)
        }
    }
}

async fn upload_one_part(
    conn: &Connection,
    request: &UploadRequest<'_>,
    upload_id: &str,
    number: i32,
    offset: u64,
    length: u64,
    progress: &Progress,
) -> Result<CompletedPart> {
    let body = ByteStream::read_from()
        .path(request.path)
        .offset(offset)
        .length(Length::Exact(length))
        .buffer_size(READ_BUFFER)
        .build()
        .await
        .map_err(|e| Error::io("cannot read", request.path, std::io::Error::other(e)))?;
    let part = upload_part(
        conn,
        request.dest,
        upload_id,
        number,
        body,
        request.server_side.sse_c(),
        // Over HTTPS the SDK sends the part unsigned with its CRC64NVME trailer; over plain
        // HTTP it signs every chunk, the only guard against tampering on the way there.
        PayloadSigning::Default,
    )
    .await?;
    progress.add(length);
    Ok(part)
}
