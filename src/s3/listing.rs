//! Browsing: buckets, and objects under a prefix streamed page by page.

use futures::Stream;
use serde::Serialize;

use super::connection::Connection;
use super::errors::from_sdk;
use crate::error::Result;

/// A bucket as ListBuckets reports it.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct BucketEntry {
    pub name: String,
    /// RFC 3339 creation time, when S3 gives one.
    pub created: Option<String>,
}

/// An object in a listing. Listings carry no encryption information: that needs a HEAD.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ObjectEntry {
    pub key: String,
    pub size: u64,
    /// RFC 3339 last-modified time.
    pub last_modified: Option<String>,
    pub etag: Option<String>,
    pub storage_class: Option<String>,
}

/// One page of a listing: the "folders" (common prefixes) and objects it holds.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct ListPage {
    pub prefixes: Vec<String>,
    pub objects: Vec<ObjectEntry>,
}

/// Every bucket the credentials can see, following continuation tokens.
pub async fn list_buckets(conn: &Connection) -> Result<Vec<BucketEntry>> {
    let mut pages = conn.s3().list_buckets().into_paginator().send();
    let mut buckets = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| from_sdk("ListBuckets", e))?;
        buckets.extend(page.buckets().iter().map(|b| BucketEntry {
            name: b.name().unwrap_or_default().to_owned(),
            created: b.creation_date().map(datetime_string),
        }));
    }
    Ok(buckets)
}

/// Objects under `prefix`, one page at a time, so a caller can show the first page at once.
/// With a `delimiter` (usually `/`) deeper keys are folded into prefixes ("folders").
/// `page_size` caps each page (S3's default and maximum is 1,000).
pub fn list_objects(
    conn: &Connection,
    bucket: &str,
    prefix: &str,
    delimiter: Option<&str>,
    page_size: Option<i32>,
) -> impl Stream<Item = Result<ListPage>> + Send + 'static {
    let mut request = conn
        .s3()
        .list_objects_v2()
        .bucket(bucket)
        .set_max_keys(page_size);
    if !prefix.is_empty() {
        request = request.prefix(prefix);
    }
    if let Some(delimiter) = delimiter {
        request = request.delimiter(delimiter);
    }
    let pages = request.into_paginator().send();
    futures::stream::unfold(pages, |mut pages| async move {
        let page = pages.next().await?;
        let page = page
            .map_err(|e| from_sdk("ListObjectsV2", e))
            .map(|out| ListPage {
                prefixes: out
                    .common_prefixes()
                    .iter()
                    .filter_map(|p| p.prefix().map(str::to_owned))
                    .collect(),
                objects: out
                    .contents()
                    .iter()
                    .map(|o| ObjectEntry {
                        key: o.key().unwrap_or_default().to_owned(),
                        size: o.size().and_then(|s| u64::try_from(s).ok()).unwrap_or(0),
                        last_modified: o.last_modified().map(datetime_string),
                        etag: o.e_tag().map(str::to_owned),
                        storage_class: o.storage_class().map(|c| c.as_str().to_owned()),
                    })
                    .collect(),
            });
        Some((page, pages))
    })
}

/// Creates a bucket in the connection's region.
pub async fn make_bucket(conn: &Connection, bucket: &str) -> Result<()> {
    use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};
    let mut request = conn.s3().create_bucket().bucket(bucket);
    if let Some(region) = conn.region().filter(|r| *r != "us-east-1") {
        request = request.create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from(region))
                .build(),
        );
    }
    request
        .send()
        .await
        .map_err(|e| from_sdk("CreateBucket", e))?;
    Ok(())
}

/// Deletes one object (DeleteObject).
pub async fn delete_object(conn: &Connection, uri: &crate::s3::S3Uri) -> Result<()> {
    uri.require_object()?;
    conn.s3()
        .delete_object()
        .bucket(&uri.bucket)
        .key(&uri.key)
        .send()
        .await
        .map_err(|e| from_sdk("DeleteObject", e))?;
    Ok(())
}

pub(crate) fn datetime_string(dt: &aws_smithy_types::DateTime) -> String {
    dt.fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_else(|_| dt.to_string())
}
