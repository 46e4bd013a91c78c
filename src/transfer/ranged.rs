//! Fetching one object's bytes into a [`FileSink`]: one GET for a small object, or several
//! ranged GETs in flight at once for a large one, every GET pinned to the ETag that HEAD saw
//! so that all bytes come from the same version of the object. Each range streams into the file
//! at its own offset as it arrives, a batch at a time: nothing waits for the ranges before it,
//! and memory is a few batches per range in flight, however large the parts. A resumed download
//! skips the ranges an interrupted run wrote ([`Continue`]), and each new range is reported
//! once written, so that the journal can record it.

use std::sync::Arc;

use aws_sdk_s3::operation::get_object::builders::GetObjectFluentBuilder;
use bytes::Bytes;
use futures::StreamExt as _;
use tokio::task::JoinHandle;
use tokio_util::task::AbortOnDropHandle;

use super::sink::{Done, FileSink, Part, SinkError, SinkOutcome};
use crate::error::{ConnectionFailure, Error, Result};
use crate::progress::Progress;
use crate::s3::encryption::{SseCKey, apply_sse_c};
use crate::s3::errors::{from_sdk, status_of};
use crate::s3::{Connection, S3Uri};

/// Bytes a range collects before handing them to the file (one batch written while the next
/// arrives).
const BATCH: usize = 512 * 1024;

/// Sizes and parallelism of a download.
#[derive(Clone, Copy, Debug)]
pub struct DownloadTuning {
    /// Objects at least this large are fetched as ranges.
    pub ranged_threshold: u64,
    /// Bytes per ranged GET.
    pub part_size: u64,
    /// Ranged GETs in flight at once.
    pub concurrency: usize,
}

impl Default for DownloadTuning {
    fn default() -> Self {
        Self {
            ranged_threshold: 16 * 1024 * 1024,
            part_size: 8 * 1024 * 1024,
            // 16 were measured through the delay proxy (scripts/bench, distance): no faster at
            // 0 or 40 ms (1.97 vs 1.79 s, 2.25 vs 2.25 s for 1 GiB), 9% faster at 100 ms, and
            // 13 MiB more memory; 8 it stays.
            concurrency: 8,
        }
    }
}

impl DownloadTuning {
    /// Bytes a download holds at most, whatever the object's size: per range in flight, the
    /// batch being written, the one arriving, and a copy to decrypt (client-side).
    pub fn memory(&self) -> u64 {
        (self.concurrency.max(1) * 3 * BATCH) as u64
    }
}

impl DownloadTuning {
    /// Bytes per range: whole GCM blocks, so a client-side range decrypts from its first byte.
    pub fn range_size(&self) -> u64 {
        self.part_size.max(1).next_multiple_of(16)
    }

    /// Whether an object of `size` bytes comes as ranges (given an ETag to pin them to, and a
    /// checksum that combines range by range, see [`FileSink::needs_one_stream`]).
    pub fn is_ranged(&self, size: u64, has_etag: bool, one_stream_checksum: bool) -> bool {
        size >= self.ranged_threshold.max(1) && has_etag && !one_stream_checksum
    }
}

/// Called on a blocking thread with each range once written (a resumable download records it).
pub type OnRange = Arc<dyn Fn(&Done) + Send + Sync>;

/// What a download continues from: the ranges an interrupted run wrote and that checked out
/// (not fetched again), and whom to tell of each new range.
#[derive(Default)]
pub struct Continue {
    pub done: Vec<Done>,
    pub on_range: Option<OnRange>,
}

/// One object, as HEAD described it.
pub struct Fetch<'a> {
    pub conn: &'a Connection,
    pub uri: &'a S3Uri,
    pub sse_c: Option<&'a SseCKey>,
    pub size: u64,
    pub etag: Option<&'a str>,
}

/// Fetches the object into `sink` and has it verify the whole. Fails on the first error (the
/// outer `Err`: a request or the connection; the inner: the file or the verification);
/// dropping the future stops every request in flight. Ranges in `from.done` are not fetched.
pub async fn fetch_into(
    fetch: &Fetch<'_>,
    tuning: DownloadTuning,
    progress: &Progress,
    sink: &Arc<FileSink>,
    from: Continue,
) -> Result<Result<SinkOutcome, SinkError>> {
    let one_stream = !tuning.is_ranged(fetch.size, fetch.etag.is_some(), sink.needs_one_stream());
    let part = tuning.range_size();
    let Continue { mut done, on_range } = from;
    let ranges: Vec<Option<(u64, u64)>> = if one_stream {
        vec![None]
    } else {
        (0..fetch.size.div_ceil(part))
            .map(|i| i * part)
            .filter(|first| !done.iter().any(|d| d.start() == *first))
            .map(|first| Some((first, (first + part).min(fetch.size) - 1)))
            .collect()
    };
    let task = |range: Option<(u64, u64)>| {
        let (request, first, expected) = match range {
            None => (get_request(fetch), 0, None),
            Some((first, last)) => (
                get_request(fetch).range(format!("bytes={first}-{last}")),
                first,
                Some(last - first + 1),
            ),
        };
        // Where a broken body may continue from: only a GET pinned to the ETag can be asked
        // again for the rest of its bytes without stitching two versions together.
        let resumable = fetch.etag.is_some() && fetch.size > 0;
        let last = range.map_or(fetch.size.saturating_sub(1), |(_, last)| last);
        let task = RangeTask {
            uri: fetch.uri.clone(),
            key_name: fetch.sse_c.map(|k| k.name.clone()),
            expected,
            progress: progress.clone(),
            rest: resumable.then_some((first, last)),
        };
        (task, request, sink.part(first))
    };
    if one_stream {
        let (task, request, part) = task(None);
        return one_stream_into(task, request, None, part, sink).await;
    }
    let mut running = futures::stream::iter(ranges)
        .map(|range| {
            let (task, request, part) = task(range);
            let on_range = on_range.clone();
            // Each range runs as its own task, so requests keep going while files are written;
            // the handle aborts it when the download stops early.
            AbortOnDropHandle::new(tokio::spawn(async move {
                let (mut part, last) = task.stream(request, part?).await?;
                let written = tokio::task::spawn_blocking(move || {
                    part.write(&last)?;
                    let done = part.finish();
                    if let Some(on_range) = on_range {
                        on_range(&done);
                    }
                    Ok::<_, SinkError>(done)
                });
                Ok::<_, RangeError>(written.await.map_err(writer_stopped)??)
            }))
        })
        .buffer_unordered(tuning.concurrency.max(1));
    while let Some(joined) = running.next().await {
        let result =
            joined.map_err(|e| Error::Internal(format!("a ranged download task stopped: {e}")))?;
        match result {
            Ok(part) => done.push(part),
            Err(RangeError::Fetch(err)) => return Err(err),
            Err(RangeError::Sink(err)) => return Ok(Err(err)),
        }
    }
    let sink = Arc::clone(sink);
    tokio::task::spawn_blocking(move || sink.finish(done))
        .await
        .map_err(|e| Error::Internal(format!("a download's verification stopped: {e}")))
}

/// Streams a small object's GET that was already sent, and answered with `answer`, into `sink`
/// (a download that asked no HEAD first: the GET's own headers said what the object is), and
/// has it verify the whole, as [`fetch_into`] does.
pub async fn fetch_answered(
    fetch: &Fetch<'_>,
    answer: aws_sdk_s3::primitives::ByteStream,
    progress: &Progress,
    sink: &Arc<FileSink>,
) -> Result<Result<SinkOutcome, SinkError>> {
    let task = RangeTask {
        uri: fetch.uri.clone(),
        key_name: fetch.sse_c.map(|k| k.name.clone()),
        expected: None,
        progress: progress.clone(),
        rest: (fetch.etag.is_some() && fetch.size > 0).then(|| (0, fetch.size - 1)),
    };
    one_stream_into(task, get_request(fetch), Some(answer), sink.part(0), sink).await
}

/// One GET into the sink: its last batch is written and the whole verified in one blocking call.
async fn one_stream_into(
    task: RangeTask,
    request: GetObjectFluentBuilder,
    answered: Option<aws_sdk_s3::primitives::ByteStream>,
    part: std::result::Result<Part, SinkError>,
    sink: &Arc<FileSink>,
) -> Result<Result<SinkOutcome, SinkError>> {
    let part = match part {
        Ok(part) => part,
        Err(err) => return Ok(Err(err)),
    };
    let streamed = match answered {
        Some(body) => task.receive(body, request, part).await,
        None => task.stream(request, part).await,
    };
    let (mut part, last) = match streamed {
        Ok(streamed) => streamed,
        Err(RangeError::Fetch(err)) => return Err(err),
        Err(RangeError::Sink(err)) => return Ok(Err(err)),
    };
    let sink = Arc::clone(sink);
    tokio::task::spawn_blocking(move || {
        part.write(&last)?;
        sink.finish(vec![part.finish()])
    })
    .await
    .map_err(writer_stopped)
}

fn writer_stopped(e: tokio::task::JoinError) -> Error {
    Error::Internal(format!("a download's writer stopped: {e}"))
}

/// How one range can fail: the request, or the file.
enum RangeError {
    Fetch(Error),
    Sink(SinkError),
}

impl From<SinkError> for RangeError {
    fn from(err: SinkError) -> Self {
        Self::Sink(err)
    }
}

impl From<Error> for RangeError {
    fn from(err: Error) -> Self {
        Self::Fetch(err)
    }
}

struct RangeTask {
    uri: S3Uri,
    key_name: Option<String>,
    /// The length a ranged GET must return.
    expected: Option<u64>,
    progress: Progress,
    /// The first and last byte this GET covers, when a body that breaks off may be continued
    /// by asking for the bytes still missing (the request is pinned to the ETag).
    rest: Option<(u64, u64)>,
}

/// How many times a body that broke off (a reset, a stall) is continued from where it stopped.
const BODY_RETRIES: u32 = 3;

impl RangeTask {
    /// Streams the body into `part` a batch at a time (each written while the next arrives);
    /// returns the part and the last batch, not yet written, for the caller to write with
    /// whatever ends the range.
    async fn stream(
        self,
        request: GetObjectFluentBuilder,
        part: Part,
    ) -> Result<(Part, Vec<Bytes>), RangeError> {
        let out = request
            .clone()
            .send()
            .await
            .map_err(|err| get_error(&self.uri, self.key_name.as_deref(), err))?;
        self.receive(out.body, request, part).await
    }

    /// [`RangeTask::stream`] from a GET already answered with `body`; `request` asks again for
    /// the rest if the body breaks off.
    async fn receive(
        self,
        mut body: aws_sdk_s3::primitives::ByteStream,
        request: GetObjectFluentBuilder,
        part: Part,
    ) -> Result<(Part, Vec<Bytes>), RangeError> {
        let mut received = 0u64;
        let mut retries = 0;
        let mut batch: Vec<Bytes> = Vec::new();
        let mut batch_len = 0;
        // The part travels to a blocking thread with each batch and comes back after it.
        let mut writing: Writing = Writing::Idle(Box::new(part));
        loop {
            let chunk = match body.try_next().await {
                Ok(Some(chunk)) => chunk,
                Ok(None) => break,
                Err(err) => match self.rest {
                    Some((first, last)) if retries < BODY_RETRIES && first + received <= last => {
                        retries += 1;
                        tracing::debug!(uri = %self.uri, error = %err, from = first + received, "the body broke off; asking for the rest");
                        tokio::time::sleep(std::time::Duration::from_millis(200 << retries)).await;
                        let from = first + received;
                        body = request
                            .clone()
                            .range(format!("bytes={from}-{last}"))
                            .send()
                            .await
                            .map_err(|err| get_error(&self.uri, self.key_name.as_deref(), err))?
                            .body;
                        continue;
                    }
                    _ => return Err(body_error(err).into()),
                },
            };
            received += chunk.len() as u64;
            self.progress.add(chunk.len() as u64);
            batch_len += chunk.len();
            batch.push(chunk);
            if batch_len < BATCH {
                continue;
            }
            let mut part = writing.part().await?;
            let chunks = std::mem::take(&mut batch);
            batch_len = 0;
            writing = Writing::Busy(tokio::task::spawn_blocking(move || {
                part.write(&chunks).map(|()| part)
            }));
        }
        let part = writing.part().await?;
        if let Some(expected) = self.expected
            && received != expected
        {
            return Err(RangeError::Fetch(Error::Connection {
                operation: "GetObject",
                kind: ConnectionFailure::BadResponse,
                source: Some(Box::new(std::io::Error::other(format!(
                    "a range of {expected} bytes of {} came back as {received} bytes; the server does not honour ranges as S3 does",
                    self.uri
                )))),
            }));
        }
        Ok((part, batch))
    }
}

/// A range's part: free, or away on a blocking thread writing a batch.
enum Writing {
    Idle(Box<Part>),
    Busy(JoinHandle<Result<Part, SinkError>>),
}

impl Writing {
    /// The part, once its last batch is written.
    async fn part(self) -> Result<Part, RangeError> {
        match self {
            Self::Idle(part) => Ok(*part),
            Self::Busy(handle) => Ok(handle.await.map_err(writer_stopped)??),
        }
    }
}

/// A GET of the object, pinned to its ETag, with its SSE-C key.
pub(super) fn get_request(fetch: &Fetch<'_>) -> GetObjectFluentBuilder {
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

fn body_error(e: aws_smithy_types::byte_stream::error::Error) -> Error {
    Error::Connection {
        operation: "GetObject",
        kind: ConnectionFailure::Transport,
        source: Some(Box::new(e)),
    }
}

pub(super) fn get_error(
    uri: &S3Uri,
    key_name: Option<&str>,
    err: aws_sdk_s3::error::SdkError<
        aws_sdk_s3::operation::get_object::GetObjectError,
        aws_smithy_runtime_api::http::Response,
    >,
) -> Error {
    use aws_sdk_s3::error::ProvideErrorMetadata as _;
    // A GET's error has a body: S3 answers a keyless GET of an SSE-C object 400
    // InvalidRequest. Any other 400 (an expired token, a bad request) is what it says.
    let sse_c_refusal = err.code() == Some("InvalidRequest");
    match (status_of(&err), key_name) {
        (Some(400), None) if sse_c_refusal => Error::SseCKeyNeeded {
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
