//! `s3-memory-server HOST:PORT ACCESS_KEY SECRET_KEY [CERT_PEM KEY_PEM]`: an S3 endpoint whose
//! objects live in memory, for measuring S3 clients; over HTTPS when given a certificate (what
//! clients meet at AWS), plain HTTP otherwise. It speaks what a transfer needs — buckets,
//! PutObject, multipart uploads, HeadObject, GetObject with ranges and If-Match, ListObjects (v1
//! and v2), DeleteObject(s) — through the s3s crate, which parses requests and checks SigV4
//! signatures as S3 does. Bodies are kept as the chunks they arrived in and served as slices of
//! them: no copies, no MD5 (ETags are counters, shaped like multipart ETags so that no client
//! takes one for an MD5), so the server costs little next to the client it serves. Like S3 since
//! 2025 it keeps a CRC64NVME full-object checksum of every new object (single or multipart) and
//! returns it to a HEAD or whole GET that asks (`x-amz-checksum-mode: ENABLED`), so that the
//! clients verify their downloads here as they do against AWS.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

use bytes::Bytes;
use futures::TryStreamExt as _;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder as ConnBuilder;
use s3s::auth::SimpleAuth;
use s3s::dto::*;
use s3s::service::S3ServiceBuilder;
use s3s::{S3, S3Request, S3Response, S3Result, s3_error};

/// An object: its bytes as received (in pieces), and what HEAD reports.
#[derive(Clone)]
struct Object {
    pieces: Vec<Bytes>,
    len: u64,
    etag: String,
    metadata: Option<Metadata>,
    content_type: Option<ContentType>,
    modified: SystemTime,
    /// CRC64NVME of the whole object, base64 of its 8 big-endian bytes, as S3 writes it.
    crc64nvme: String,
}

/// The CRC64NVME of `pieces` in order, as S3 reports it.
fn crc64nvme(pieces: &[Bytes]) -> String {
    use base64::Engine as _;
    let mut digest = crc_fast::Digest::new(crc_fast::CrcAlgorithm::Crc64Nvme);
    for piece in pieces {
        digest.update(piece);
    }
    base64::engine::general_purpose::STANDARD.encode(digest.finalize().to_be_bytes())
}

/// The checksum fields of an answer to a request that asked for them.
fn checksum_fields(
    object: &Object,
    mode: Option<&ChecksumMode>,
) -> (Option<String>, Option<ChecksumType>) {
    if mode.is_some_and(|m| m.as_str() == ChecksumMode::ENABLED) {
        (
            Some(object.crc64nvme.clone()),
            Some(ChecksumType::from_static(ChecksumType::FULL_OBJECT)),
        )
    } else {
        (None, None)
    }
}

impl Object {
    /// The bytes `range` (half-open) as slices of the stored pieces.
    fn slices(&self, range: std::ops::Range<u64>) -> Vec<Bytes> {
        let mut out = Vec::new();
        let mut offset = 0u64;
        for piece in &self.pieces {
            let end = offset + piece.len() as u64;
            if end > range.start && offset < range.end {
                let from = range.start.saturating_sub(offset) as usize;
                let to = (range.end.min(end) - offset) as usize;
                out.push(piece.slice(from..to));
            }
            offset = end;
        }
        out
    }
}

struct Upload {
    bucket: String,
    key: String,
    metadata: Option<Metadata>,
    content_type: Option<ContentType>,
    parts: BTreeMap<i32, Vec<Bytes>>,
}

#[derive(Default)]
struct Memory {
    buckets: Mutex<HashMap<String, BTreeMap<String, Object>>>,
    uploads: Mutex<HashMap<String, Upload>>,
    counter: AtomicU64,
}

impl Memory {
    fn next(&self) -> String {
        format!("{:032x}", self.counter.fetch_add(1, Ordering::Relaxed) + 1)
    }

    fn object(&self, bucket: &str, key: &str) -> S3Result<Object> {
        let buckets = self.buckets.lock().map_err(|_| s3_error!(InternalError))?;
        let objects = buckets.get(bucket).ok_or_else(|| s3_error!(NoSuchBucket))?;
        objects
            .get(key)
            .cloned()
            .ok_or_else(|| s3_error!(NoSuchKey))
    }

    /// One page of keys under `prefix` after `after` (exclusive), with keys folded into common
    /// prefixes at `delimiter`: `(objects, common prefixes, last entry returned if truncated)`.
    fn page(
        &self,
        bucket: &str,
        prefix: &str,
        delimiter: Option<&str>,
        after: Option<&str>,
        max: usize,
    ) -> S3Result<(Vec<s3s::dto::Object>, Vec<CommonPrefix>, Option<String>)> {
        let buckets = self.buckets.lock().map_err(|_| s3_error!(InternalError))?;
        let objects = buckets.get(bucket).ok_or_else(|| s3_error!(NoSuchBucket))?;
        let start = match after {
            Some(after) => std::ops::Bound::Excluded(after.to_owned()),
            None => std::ops::Bound::Included(prefix.to_owned()),
        };
        let (mut contents, mut prefixes) = (Vec::new(), Vec::<CommonPrefix>::new());
        let mut last: Option<String> = None;
        for (key, object) in objects.range((start, std::ops::Bound::Unbounded)) {
            if !key.starts_with(prefix) {
                if key.as_str() > prefix {
                    break;
                }
                continue;
            }
            // Keys inside the common prefix returned last are already covered by it.
            if let Some(last) = &last
                && delimiter.is_some_and(|d| last.ends_with(d))
                && key.starts_with(last.as_str())
            {
                continue;
            }
            if contents.len() + prefixes.len() == max {
                return Ok((contents, prefixes, last));
            }
            let folded = delimiter.and_then(|d| {
                key[prefix.len()..]
                    .find(d)
                    .map(|i| key[..prefix.len() + i + d.len()].to_owned())
            });
            match folded {
                Some(common) => {
                    prefixes.push(CommonPrefix {
                        prefix: Some(common.clone()),
                    });
                    last = Some(common);
                }
                None => {
                    contents.push(s3s::dto::Object {
                        key: Some(key.clone()),
                        size: Some(object.len as i64),
                        e_tag: Some(ETag::Strong(object.etag.clone())),
                        last_modified: Some(Timestamp::from(object.modified)),
                        ..Default::default()
                    });
                    last = Some(key.clone());
                }
            }
        }
        Ok((contents, prefixes, None))
    }

    fn store(&self, bucket: &str, key: String, object: Object) -> S3Result<()> {
        let mut buckets = self.buckets.lock().map_err(|_| s3_error!(InternalError))?;
        let objects = buckets
            .get_mut(bucket)
            .ok_or_else(|| s3_error!(NoSuchBucket))?;
        objects.insert(key, object);
        Ok(())
    }
}

async fn collect(body: Option<StreamingBlob>) -> S3Result<(Vec<Bytes>, u64)> {
    let body = body.ok_or_else(|| s3_error!(IncompleteBody))?;
    let pieces: Vec<Bytes> = body
        .try_collect()
        .await
        .map_err(|_| s3_error!(IncompleteBody))?;
    let len = pieces.iter().map(|p| p.len() as u64).sum();
    Ok((pieces, len))
}

fn etag_matches(condition: Option<&ETagCondition>, etag: &str) -> bool {
    match condition {
        None | Some(ETagCondition::Any) => true,
        Some(ETagCondition::ETag(expected)) => expected.value() == etag,
    }
}

#[async_trait::async_trait]
impl S3 for Memory {
    async fn create_bucket(
        &self,
        req: S3Request<CreateBucketInput>,
    ) -> S3Result<S3Response<CreateBucketOutput>> {
        let mut buckets = self.buckets.lock().map_err(|_| s3_error!(InternalError))?;
        buckets.entry(req.input.bucket).or_default();
        Ok(S3Response::new(CreateBucketOutput::default()))
    }

    async fn head_bucket(
        &self,
        req: S3Request<HeadBucketInput>,
    ) -> S3Result<S3Response<HeadBucketOutput>> {
        let buckets = self.buckets.lock().map_err(|_| s3_error!(InternalError))?;
        if !buckets.contains_key(&req.input.bucket) {
            return Err(s3_error!(NoSuchBucket));
        }
        Ok(S3Response::new(HeadBucketOutput::default()))
    }

    async fn put_object(
        &self,
        req: S3Request<PutObjectInput>,
    ) -> S3Result<S3Response<PutObjectOutput>> {
        let input = req.input;
        let (pieces, len) = collect(input.body).await?;
        // Shaped like a multipart ETag, so that clients which take a plain ETag for the body's
        // MD5 and check it (rclone) do not: this server computes no MD5.
        let etag = format!("{}-1", self.next());
        let crc64nvme = crc64nvme(&pieces);
        self.store(
            &input.bucket,
            input.key,
            Object {
                pieces,
                len,
                etag: etag.clone(),
                metadata: input.metadata,
                content_type: input.content_type,
                modified: SystemTime::now(),
                crc64nvme,
            },
        )?;
        Ok(S3Response::new(PutObjectOutput {
            e_tag: Some(ETag::Strong(etag)),
            ..Default::default()
        }))
    }

    async fn head_object(
        &self,
        req: S3Request<HeadObjectInput>,
    ) -> S3Result<S3Response<HeadObjectOutput>> {
        let object = self.object(&req.input.bucket, &req.input.key)?;
        let (checksum_crc64nvme, checksum_type) =
            checksum_fields(&object, req.input.checksum_mode.as_ref());
        Ok(S3Response::new(HeadObjectOutput {
            checksum_crc64nvme,
            checksum_type,
            content_length: Some(object.len as i64),
            e_tag: Some(ETag::Strong(object.etag)),
            metadata: object.metadata,
            content_type: object.content_type,
            last_modified: Some(Timestamp::from(object.modified)),
            ..Default::default()
        }))
    }

    async fn get_object(
        &self,
        req: S3Request<GetObjectInput>,
    ) -> S3Result<S3Response<GetObjectOutput>> {
        let input = req.input;
        let object = self.object(&input.bucket, &input.key)?;
        if !etag_matches(input.if_match.as_ref(), &object.etag) {
            return Err(s3_error!(PreconditionFailed));
        }
        let (range, content_range) = match input.range {
            None => (0..object.len, None),
            Some(range) => {
                let r = range
                    .check(object.len)
                    .map_err(|_| s3_error!(InvalidRange))?;
                let content_range = format!("bytes {}-{}/{}", r.start, r.end - 1, object.len);
                (r, Some(content_range))
            }
        };
        let length = range.end - range.start;
        // A full-object checksum describes the whole object only.
        let (checksum_crc64nvme, checksum_type) = if content_range.is_none() {
            checksum_fields(&object, input.checksum_mode.as_ref())
        } else {
            (None, None)
        };
        let slices = object.slices(range);
        let body = futures::stream::iter(slices.into_iter().map(Ok::<_, std::io::Error>));
        Ok(S3Response::new(GetObjectOutput {
            checksum_crc64nvme,
            checksum_type,
            body: Some(StreamingBlob::wrap(body)),
            content_length: Some(length as i64),
            content_range,
            e_tag: Some(ETag::Strong(object.etag)),
            metadata: object.metadata,
            content_type: object.content_type,
            last_modified: Some(Timestamp::from(object.modified)),
            ..Default::default()
        }))
    }

    async fn list_objects_v2(
        &self,
        req: S3Request<ListObjectsV2Input>,
    ) -> S3Result<S3Response<ListObjectsV2Output>> {
        let input = req.input;
        let prefix = input.prefix.clone().unwrap_or_default();
        let max = input.max_keys.unwrap_or(1000).clamp(1, 1000) as usize;
        let after = input
            .continuation_token
            .clone()
            .or(input.start_after.clone());
        let (contents, prefixes, next) = self.page(
            &input.bucket,
            &prefix,
            input.delimiter.as_deref(),
            after.as_deref(),
            max,
        )?;
        Ok(S3Response::new(ListObjectsV2Output {
            name: Some(input.bucket),
            prefix: input.prefix,
            delimiter: input.delimiter,
            max_keys: Some(max as i32),
            key_count: Some((contents.len() + prefixes.len()) as i32),
            continuation_token: input.continuation_token,
            is_truncated: Some(next.is_some()),
            next_continuation_token: next,
            contents: Some(contents),
            common_prefixes: Some(prefixes),
            ..Default::default()
        }))
    }

    async fn list_objects(
        &self,
        req: S3Request<ListObjectsInput>,
    ) -> S3Result<S3Response<ListObjectsOutput>> {
        let input = req.input;
        let prefix = input.prefix.clone().unwrap_or_default();
        let max = input.max_keys.unwrap_or(1000).clamp(1, 1000) as usize;
        let (contents, prefixes, next) = self.page(
            &input.bucket,
            &prefix,
            input.delimiter.as_deref(),
            input.marker.as_deref(),
            max,
        )?;
        Ok(S3Response::new(ListObjectsOutput {
            name: Some(input.bucket),
            prefix: input.prefix,
            delimiter: input.delimiter,
            marker: input.marker,
            max_keys: Some(max as i32),
            is_truncated: Some(next.is_some()),
            next_marker: next,
            contents: Some(contents),
            common_prefixes: Some(prefixes),
            ..Default::default()
        }))
    }

    async fn delete_object(
        &self,
        req: S3Request<DeleteObjectInput>,
    ) -> S3Result<S3Response<DeleteObjectOutput>> {
        let mut buckets = self.buckets.lock().map_err(|_| s3_error!(InternalError))?;
        if let Some(objects) = buckets.get_mut(&req.input.bucket) {
            objects.remove(&req.input.key);
        }
        Ok(S3Response::new(DeleteObjectOutput::default()))
    }

    async fn delete_objects(
        &self,
        req: S3Request<DeleteObjectsInput>,
    ) -> S3Result<S3Response<DeleteObjectsOutput>> {
        let input = req.input;
        let mut buckets = self.buckets.lock().map_err(|_| s3_error!(InternalError))?;
        let objects = buckets
            .get_mut(&input.bucket)
            .ok_or_else(|| s3_error!(NoSuchBucket))?;
        let deleted = input
            .delete
            .objects
            .into_iter()
            .map(|id| {
                objects.remove(&id.key);
                DeletedObject {
                    key: Some(id.key),
                    ..Default::default()
                }
            })
            .collect();
        Ok(S3Response::new(DeleteObjectsOutput {
            deleted: Some(deleted),
            ..Default::default()
        }))
    }

    async fn create_multipart_upload(
        &self,
        req: S3Request<CreateMultipartUploadInput>,
    ) -> S3Result<S3Response<CreateMultipartUploadOutput>> {
        let input = req.input;
        let id = self.next();
        let mut uploads = self.uploads.lock().map_err(|_| s3_error!(InternalError))?;
        uploads.insert(
            id.clone(),
            Upload {
                bucket: input.bucket.clone(),
                key: input.key.clone(),
                metadata: input.metadata,
                content_type: input.content_type,
                parts: BTreeMap::new(),
            },
        );
        Ok(S3Response::new(CreateMultipartUploadOutput {
            bucket: Some(input.bucket),
            key: Some(input.key),
            upload_id: Some(id),
            ..Default::default()
        }))
    }

    async fn upload_part(
        &self,
        req: S3Request<UploadPartInput>,
    ) -> S3Result<S3Response<UploadPartOutput>> {
        let input = req.input;
        let (pieces, _) = collect(input.body).await?;
        let mut uploads = self.uploads.lock().map_err(|_| s3_error!(InternalError))?;
        let upload = uploads
            .get_mut(&input.upload_id)
            .ok_or_else(|| s3_error!(NoSuchUpload))?;
        upload.parts.insert(input.part_number, pieces);
        Ok(S3Response::new(UploadPartOutput {
            e_tag: Some(ETag::Strong(format!("part{}", input.part_number))),
            ..Default::default()
        }))
    }

    async fn complete_multipart_upload(
        &self,
        req: S3Request<CompleteMultipartUploadInput>,
    ) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
        let input = req.input;
        let upload = {
            let mut uploads = self.uploads.lock().map_err(|_| s3_error!(InternalError))?;
            uploads
                .remove(&input.upload_id)
                .ok_or_else(|| s3_error!(NoSuchUpload))?
        };
        let listed: Vec<i32> = input
            .multipart_upload
            .and_then(|m| m.parts)
            .unwrap_or_default()
            .iter()
            .filter_map(|p| p.part_number)
            .collect();
        let mut parts = upload.parts;
        let mut pieces = Vec::new();
        for number in listed {
            pieces.extend(
                parts
                    .remove(&number)
                    .ok_or_else(|| s3_error!(InvalidPart))?,
            );
        }
        let len = pieces.iter().map(|p| p.len() as u64).sum();
        let etag = format!("{}-{}", self.next(), pieces.len());
        let crc64nvme = crc64nvme(&pieces);
        self.store(
            &upload.bucket,
            upload.key.clone(),
            Object {
                pieces,
                len,
                etag: etag.clone(),
                metadata: upload.metadata,
                content_type: upload.content_type,
                modified: SystemTime::now(),
                crc64nvme,
            },
        )?;
        Ok(S3Response::new(CompleteMultipartUploadOutput {
            bucket: Some(upload.bucket),
            key: Some(upload.key),
            e_tag: Some(ETag::Strong(etag)),
            ..Default::default()
        }))
    }

    async fn abort_multipart_upload(
        &self,
        req: S3Request<AbortMultipartUploadInput>,
    ) -> S3Result<S3Response<AbortMultipartUploadOutput>> {
        let mut uploads = self.uploads.lock().map_err(|_| s3_error!(InternalError))?;
        uploads.remove(&req.input.upload_id);
        Ok(S3Response::new(AbortMultipartUploadOutput::default()))
    }
}

/// TLS from a PEM certificate chain and a PEM private key.
fn tls_acceptor(
    cert: &str,
    key: &str,
) -> Result<tokio_rustls::TlsAcceptor, Box<dyn std::error::Error>> {
    use rustls_pki_types::pem::PemObject as _;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    let chain = CertificateDer::pem_file_iter(cert)?.collect::<Result<Vec<_>, _>>()?;
    let key = PrivateKeyDer::from_pem_file(key)?;
    let config = rustls::ServerConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_no_client_auth()
    .with_single_cert(chain, key)?;
    Ok(tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config)))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(addr), Some(access), Some(secret)) = (args.next(), args.next(), args.next()) else {
        return Err(
            "usage: s3-memory-server HOST:PORT ACCESS_KEY SECRET_KEY [CERT_PEM KEY_PEM]".into(),
        );
    };
    let tls = match (args.next(), args.next()) {
        (Some(cert), Some(key)) => Some(tls_acceptor(&cert, &key)?),
        _ => None,
    };
    let service = {
        let mut builder = S3ServiceBuilder::new(Memory::default());
        builder.set_auth(SimpleAuth::from_single(access, secret));
        builder.build()
    };
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    println!("listening on {scheme}://{}", listener.local_addr()?);
    let http = ConnBuilder::new(TokioExecutor::new());
    loop {
        let (socket, _) = listener.accept().await?;
        let (http, service, tls) = (http.clone(), service.clone(), tls.clone());
        tokio::spawn(async move {
            let _ = match tls {
                Some(tls) => match tls.accept(socket).await {
                    Ok(stream) => http.serve_connection(TokioIo::new(stream), service).await,
                    Err(_) => return,
                },
                None => http.serve_connection(TokioIo::new(socket), service).await,
            };
        });
    }
}
