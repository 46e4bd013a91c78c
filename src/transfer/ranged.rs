//! Fetching one object's bytes in order: a single GET stream for small objects, or several
//! ranged GETs in flight at once for large ones, each pinned to the ETag that HEAD saw so that
//! every range comes from the same version of the object. Bytes are handed on in order.

use aws_sdk_s3::operation::get_object::GetObjectOutput;
use aws_sdk_s3::operation::get_object::builders::GetObjectFluentBuilder;
use futures::StreamExt as _;
use tokio::sync::mpsc;
use tokio_util::task::AbortOnDropHandle;

use super::sink::Piece;
use crate::error::{ConnectionFailure, Error, Result};
use crate::progress::Progress;
use crate::s3::encryption::{SseCKey, apply_sse_c};
use crate::s3::errors::{from_sdk, status_of};
use crate::s3::{Connection, S3Uri};

/// Sizes and parallelism of a download.
#[derive(Clone, Copy, Debug)]
pub struct DownloadTuning {
    /// Objects at least this large are fetched as ranges.
    pub ranged_threshold: u64,
    /// Bytes per ranged GET.
    pub part_size: u64,
    /// Ranged GETs in flight at once. Memory: about `concurrency × part_size`.
    pub concurrency: usize,
}

impl Default for DownloadTuning {
    fn default() -> Self {
        Self {
            ranged_threshold: 16 * 1024 * 1024,
            part_size: 8 * 1024 * 1024,
            concurrency: 8,
        }
    }
}

/// The single-GET path hands pieces of about this size to the sink.
const PIECE: usize = 1024 * 1024;

/// One object, as HEAD described it.
pub struct Fetch<'a> {
    pub conn: &'a Connection,
    pub uri: &'a S3Uri,
    pub sse_c: Option<&'a SseCKey>,
    pub size: u64,
    pub etag: Option<&'a str>,
}

/// Sends the object's bytes, in order, into `sink`. Fails on the first error; dropping the
/// future stops every request in flight.
pub async fn fetch_in_order(
    fetch: &Fetch<'_>,
    tuning: DownloadTuning,
    progress: &Progress,
    sink: &mpsc::Sender<Piece>,
) -> Result<()> {
    if fetch.size < tuning.ranged_threshold.max(1) || fetch.etag.is_none() {
        return fetch_whole(fetch, progress, sink).await;
    }
    let part = tuning.part_size.max(1);
    let ranges = (0..fetch.size.div_ceil(part)).map(move |i| {
        let start = i * part;
        (start, (start + part).min(fetch.size) - 1)
    });
    let mut parts = futures::stream::iter(ranges)
        .map(|(first, last)| {
            // Each range runs as its own task, so requests keep going while the sink writes;
            // the handle aborts it when the download stops early.
            let request = range_request(fetch, first, last);
            AbortOnDropHandle::new(tokio::spawn(request))
        })
        .buffered(tuning.concurrency.max(1));
    while let Some(joined) = parts.next().await {
        let bytes = joined
            .map_err(|e| Error::Internal(format!("a ranged download task stopped: {e}")))??;
        progress.add(bytes.len() as u64);
        send(sink, bytes).await?;
    }
    Ok(())
}

/// A GET of the object, pinned to its ETag, with its SSE-C key.
fn get_request(fetch: &Fetch<'_>) -> GetObjectFluentBuilder {
    let request = fetch
        .conn
        .s3()
        .get_object()
        .bucket(&fetch.uri.bucket)
        .key(&fetch.uri.key)
        .set_if_match(fetch.etag.map(str::to_owned));
    match fetch.sse_c {
        Some(key) => apply_sse_c!(request, key),
        None => request,
    }
}

/// The GET for bytes `first..=last`, collected into one buffer.
fn range_request(
    fetch: &Fetch<'_>,
    first: u64,
    last: u64,
) -> impl std::future::Future<Output = Result<Vec<u8>>> + Send + 'static {
    let request = get_request(fetch).range(format!("bytes={first}-{last}"));
    let uri = fetch.uri.clone();
    let key_name = fetch.sse_c.map(|k| k.name.clone());
    async move {
        let out = request
            .send()
            .await
            .map_err(|err| get_error(&uri, key_name.as_deref(), err))?;
        let expected = usize::try_from(last - first + 1).unwrap_or(usize::MAX);
        let mut buf = Vec::with_capacity(expected);
        let mut body = out.body;
        while let Some(chunk) = body.try_next().await.map_err(body_error)? {
            buf.extend_from_slice(&chunk);
        }
        if buf.len() != expected {
            return Err(Error::Connection {
                operation: "GetObject",
                kind: ConnectionFailure::BadResponse,
                source: Some(Box::new(std::io::Error::other(format!(
                    "bytes {first}-{last} of {uri} came back as {} bytes; the server does not honour ranges as S3 does",
                    buf.len()
                )))),
            });
        }
        Ok(buf)
    }
}

/// One GET for the whole object, streamed to the sink in pieces of about [`PIECE`] bytes.
async fn fetch_whole(
    fetch: &Fetch<'_>,
    progress: &Progress,
    sink: &mpsc::Sender<Piece>,
) -> Result<()> {
    let out: GetObjectOutput = get_request(fetch)
        .send()
        .await
        .map_err(|err| get_error(fetch.uri, fetch.sse_c.map(|k| k.name.as_str()), err))?;
    let mut body = out.body;
    let mut buf = Vec::with_capacity(PIECE);
    while let Some(chunk) = body.try_next().await.map_err(body_error)? {
        progress.add(chunk.len() as u64);
        buf.extend_from_slice(&chunk);
        if buf.len() >= PIECE {
            send(sink, std::mem::replace(&mut buf, Vec::with_capacity(PIECE))).await?;
        }
    }
    if !buf.is_empty() {
        send(sink, buf).await?;
    }
    Ok(())
}

async fn send(sink: &mpsc::Sender<Piece>, bytes: Vec<u8>) -> Result<()> {
    // The sink only goes away after failing; its own error is the one to report.
    sink.send(Piece::Data(bytes))
        .await
        .map_err(|_| Error::Cancelled)
}

fn body_error(e: aws_smithy_types::byte_stream::error::Error) -> Error {
    Error::Connection {
        operation: "GetObject",
        kind: ConnectionFailure::Transport,
        source: Some(Box::new(e)),
    }
}

fn get_error(
    uri: &S3Uri,
    key_name: Option<&str>,
    err: aws_sdk_s3::error::SdkError<
        aws_sdk_s3::operation::get_object::GetObjectError,
        aws_smithy_runtime_api::http::Response,
    >,
) -> Error {
    match (status_of(&err), key_name) {
        (Some(400), None) => Error::SseCKeyNeeded {
            bucket: uri.bucket.clone(),
            key: uri.key.clone(),
            reason: crate::error::SseCKeyReason::NoneFits,
        },
        (Some(403), Some(name)) => Error::SseCWrongKey {
            bucket: uri.bucket.clone(),
            key: uri.key.clone(),
            name: name.to_owned(),
        },
        (Some(412), _) => Error::ObjectChanged {
            bucket: uri.bucket.clone(),
            key: uri.key.clone(),
        },
        _ => from_sdk("GetObject", err),
    }
}
