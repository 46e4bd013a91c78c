//! Incomplete multipart uploads as S3 keeps them, from any tool: listed (ListMultipartUploads,
//! following both markers), their parts (ListParts), and aborted. Parts of an upload that was
//! never completed or aborted are billed storage that no object listing shows.

use aws_sdk_s3::error::ProvideErrorMetadata as _;
use serde::Serialize;

use super::connection::Connection;
use super::encryption::{SseCKey, apply_sse_c};
use super::errors::from_sdk;
use super::uri::S3Uri;
use crate::error::Result;

/// An upload S3 reports as started and neither completed nor aborted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MultipartUpload {
    pub key: String,
    pub upload_id: String,
    /// When it was started (RFC 3339), and the same as seconds since the Unix epoch.
    pub initiated: Option<String>,
    #[serde(skip)]
    pub initiated_epoch: Option<i64>,
}

/// One part S3 holds for an upload.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StoredPart {
    pub number: i32,
    pub size: u64,
    pub etag: String,
    /// Base64 CRC64NVME, when the upload was started with that checksum.
    pub crc64nvme: Option<String>,
}

/// Every incomplete upload in `bucket` whose key starts with `prefix`, oldest marker first as
/// S3 lists them (by key, then by start time).
pub async fn list_incomplete(
    conn: &Connection,
    bucket: &str,
    prefix: &str,
) -> Result<Vec<MultipartUpload>> {
    let mut uploads = Vec::new();
    let mut key_marker: Option<String> = None;
    let mut upload_id_marker: Option<String> = None;
    loop {
        let mut request = conn
            .s3()
            .list_multipart_uploads()
            .bucket(bucket)
            .set_key_marker(key_marker.take())
            .set_upload_id_marker(upload_id_marker.take());
        if !prefix.is_empty() {
            request = request.prefix(prefix);
        }
        let page = request
            .send()
            .await
            .map_err(|e| from_sdk("ListMultipartUploads", e))?;
        uploads.extend(page.uploads().iter().map(|u| MultipartUpload {
            key: u.key().unwrap_or_default().to_owned(),
            upload_id: u.upload_id().unwrap_or_default().to_owned(),
            initiated: u.initiated().map(super::listing::datetime_string),
            initiated_epoch: u.initiated().map(|t| t.secs()),
        }));
        let next_key = page.next_key_marker().filter(|m| !m.is_empty());
        if page.is_truncated() != Some(true) || next_key.is_none() {
            break;
        }
        key_marker = next_key.map(str::to_owned);
        upload_id_marker = page
            .next_upload_id_marker()
            .filter(|m| !m.is_empty())
            .map(str::to_owned);
    }
    Ok(uploads)
}

/// The parts S3 holds for an upload; `None` when S3 no longer knows the upload (completed or
/// aborted meanwhile). SSE-C uploads list their checksums only when given the key.
pub async fn list_parts(
    conn: &Connection,
    uri: &S3Uri,
    upload_id: &str,
    sse_c: Option<&SseCKey>,
) -> Result<Option<Vec<StoredPart>>> {
    let request = conn
        .s3()
        .list_parts()
        .bucket(&uri.bucket)
        .key(&uri.key)
        .upload_id(upload_id);
    let request = match sse_c {
        Some(key) => apply_sse_c!(request, key),
        None => request,
    };
    let mut pages = request.into_paginator().send();
    let mut parts = Vec::new();
    while let Some(page) = pages.next().await {
        let page = match page {
            Ok(page) => page,
            Err(err) if err.code() == Some("NoSuchUpload") => return Ok(None),
            Err(err) => return Err(from_sdk("ListParts", err)),
        };
        parts.extend(page.parts().iter().map(|p| StoredPart {
            number: p.part_number().unwrap_or_default(),
            size: p.size().and_then(|s| u64::try_from(s).ok()).unwrap_or(0),
            etag: p.e_tag().unwrap_or_default().to_owned(),
            crc64nvme: p.checksum_crc64_nvme().map(str::to_owned),
        }));
    }
    parts.sort_by_key(|p| p.number);
    Ok(Some(parts))
}

/// What became of an abort.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Aborted {
    /// S3 removed the upload and its parts.
    Now,
    /// S3 no longer knew the upload (completed or aborted before).
    AlreadyGone,
}

/// Aborts an upload, freeing its parts.
pub async fn abort(conn: &Connection, uri: &S3Uri, upload_id: &str) -> Result<Aborted> {
    match conn
        .s3()
        .abort_multipart_upload()
        .bucket(&uri.bucket)
        .key(&uri.key)
        .upload_id(upload_id)
        .send()
        .await
    {
        Ok(_) => Ok(Aborted::Now),
        Err(err) if err.code() == Some("NoSuchUpload") => Ok(Aborted::AlreadyGone),
        Err(err) => Err(from_sdk("AbortMultipartUpload", err)),
    }
}
