//! Uploading a file with server-side encryption: one PutObject for small files, a multipart
//! upload with several parts in flight for large ones, streamed from disk either way.

use std::collections::HashMap;
use std::path::Path;

use aws_sdk_s3::primitives::{ByteStream, Length};
use futures::{StreamExt as _, TryStreamExt as _};

use super::journal::{FileIdentity, Journal, JournalEncryption, PartDone, UploadRecord};
use super::multipart::{
    MultipartGuard, PartPlan, PayloadSigning, UPLOAD_CHECKSUM, UPLOAD_CHECKSUM_TYPE, complete,
    upload_part,
};
use super::resume::{self, Continuation, Tracker, UploadIdentity};
use crate::error::{Error, Result};
use crate::progress::{CancellationToken, Progress, or_cancelled};
use crate::s3::connection::body_timeouts;
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
    /// Where multipart uploads in flight are recorded, so an interrupted one can continue
    /// (`None`: not recorded; an interrupted upload is aborted).
    pub journal: Option<&'a Journal>,
}

/// What S3 answered for a finished upload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadOutcome {
    pub etag: Option<String>,
    pub size: u64,
    pub parts: usize,
    /// Whether an interrupted upload continued (or was discarded to start over).
    pub continuation: Continuation,
}

/// Uploads `request.path` to `request.dest`. A multipart upload is recorded in the journal as
/// parts complete: when the network, the service or the credentials fail it stops with
/// [`Error::UploadInterrupted`] and keeps what was sent (as it does when the process dies), and
/// the same upload later continues with the missing parts. On cancellation or any other failure
/// it is aborted, so no parts are left behind to be billed.
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
    let file = tokio::fs::metadata(request.path)
        .await
        .map(|meta| FileIdentity::from_metadata(&meta))
        .map_err(|e| Error::io("cannot read", request.path, e))?;
    progress.set_total(file.size);
    if file.size < tuning.multipart_threshold {
        let continuation = resume::discard_stale(conn, request.journal, request.dest).await?;
        let mut outcome =
            or_cancelled(cancel, put_single(conn, request, file.size, progress)).await?;
        outcome.continuation = continuation;
        Ok(outcome)
    } else {
        upload_multipart(conn, request, file, tuning, progress, cancel).await
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
        .customize()
        .config_override(body_timeouts(size))
        .send()
        .await
        .map_err(|e| from_sdk("PutObject", e))?;
    progress.add(size);
    Ok(UploadOutcome {
        etag: out.e_tag().map(str::to_owned),
        size,
        parts: 1,
        continuation: Continuation::Fresh,
    })
}

async fn upload_multipart(
    conn: &Connection,
    request: &UploadRequest<'_>,
    file: FileIdentity,
    tuning: UploadTuning,
    progress: &Progress,
    cancel: &CancellationToken,
) -> Result<UploadOutcome> {
    let identity = UploadIdentity {
        source: request.path,
        dest: request.dest,
        file,
        encryption: JournalEncryption::of_server(request.server_side),
        sse_c: request.server_side.sse_c(),
    };
    let prepared = resume::prepare(conn, request.journal, &identity).await?;
    let (upload_id, plan, done) = match prepared.resume {
        Some(resume) => resume,
        None => {
            let plan = PartPlan::new(file.size, tuning.min_part_size)?;
            (create(conn, request).await?, plan, Vec::new())
        }
    };
    let tracker = Tracker::start(
        prepared.entry,
        UploadRecord {
            endpoint: conn.place(),
            bucket: request.dest.bucket.clone(),
            key: request.dest.key.clone(),
            upload_id: upload_id.clone(),
            source: resume::recorded_path(request.path),
            file,
            part_size: plan.part_size,
            encryption: identity.encryption.clone(),
            started: time::OffsetDateTime::now_utc(),
            parts: done.clone(),
        },
    )
    .await;
    let mut guard = MultipartGuard::new(conn, request.dest, &upload_id);
    if tracker.is_recorded() {
        // Dropped mid-way (the task or the process ends): keep what was sent for a resume.
        guard.keep_on_drop();
    }
    progress.add(done.iter().map(|p| p.size).sum());
    let parts_total = plan.parts().count();
    let missing: Vec<_> = plan
        .parts()
        .filter(|(number, ..)| !done.iter().any(|p| p.number == *number))
        .collect();
    let sent = or_cancelled(
        cancel,
        futures::stream::iter(missing)
            .map(|(number, offset, length)| {
                let tracker = &tracker;
                let upload_id = &upload_id;
                async move {
                    let part =
                        upload_one_part(conn, request, upload_id, number, offset, length).await?;
                    tracker.part_done(part.clone()).await;
                    progress.add(length);
                    Ok::<_, Error>(part)
                }
            })
            .buffer_unordered(tuning.concurrency.max(1))
            .try_collect::<Vec<PartDone>>(),
    )
    .await;
    let result = match sent {
        Ok(sent) => {
            let parts = done.iter().chain(&sent).map(PartDone::completed).collect();
            or_cancelled(
                cancel,
                complete(conn, request.dest, &upload_id, parts, identity.sse_c),
            )
            .await
        }
        Err(err) => Err(err),
    };
    match result {
        Ok(etag) => {
            guard.disarm();
            tracker.finish().await;
            Ok(UploadOutcome {
                etag,
                size: file.size,
                parts: parts_total,
                continuation: prepared.continuation,
            })
        }
        Err(err) if err.is_interruption() && tracker.is_recorded() => {
            guard.disarm();
            Err(Error::UploadInterrupted {
                uri: request.dest.to_string(),
                parts_done: tracker.parts_done().await,
                parts_total,
                source: Box::new(err),
            })
        }
        Err(err) => {
            guard.abort().await;
            tracker.finish().await;
            Err(err)
        }
    }
}

async fn create(conn: &Connection, request: &UploadRequest<'_>) -> Result<String> {
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
    created
        .upload_id()
        .filter(|id| !id.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| Error::Service {
            operation: "CreateMultipartUpload",
            code: "NoUploadId".to_owned(),
            message: "S3 answered without an upload id".to_owned(),
            status: None,
            source: None,
        })
}

async fn upload_one_part(
    conn: &Connection,
    request: &UploadRequest<'_>,
    upload_id: &str,
    number: i32,
    offset: u64,
    length: u64,
) -> Result<PartDone> {
    let body = ByteStream::read_from()
        .path(request.path)
        .offset(offset)
        .length(Length::Exact(length))
        .buffer_size(READ_BUFFER)
        .build()
        .await
        .map_err(|e| Error::io("cannot read", request.path, std::io::Error::other(e)))?;
    upload_part(
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
    .await
}
