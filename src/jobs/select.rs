//! Selecting what a job covers: every object (or every version) under the prefix, inspected with
//! a HEAD, turned into the facts the method depends on and an audit row the `--where` filters
//! judge. Also the one place a job asks which local SSE-C key opens an object.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use aws_sdk_s3::operation::head_object::HeadObjectOutput;
use aws_sdk_s3::types::ChecksumMode;
use futures::{Stream, StreamExt as _, TryStreamExt as _};

use super::method::ObjectFacts;
use super::report::EncryptionState;
use crate::error::{Error, Result};
use crate::s3::bucket::audit::{AuditRow, client_facts};
use crate::s3::errors::{from_sdk, status_of};
use crate::s3::inspect::{self, KeyStatus, Resolved};
use crate::s3::listing::{self, VersionEntry};
use crate::s3::{Connection, EncryptionMode, KeyAccess, ReadKeys, S3Uri, SseCKey};
use crate::transfer::Restated;
use crate::transfer::write_mode::sse_c_key;

/// HEADs the current version of `uri` with the SSE-C key it needs: the local keys the key-trust
/// rules offer for it (at home here, or the one that opened it before), then the keys named for
/// the job (`named`, sent even outside their homes, since the person named them). The one
/// call site through which a job offers local SSE-C keys to S3.
pub async fn resolve_current(
    conn: &Connection,
    keys: &KeyAccess,
    uri: &S3Uri,
    named: &[String],
) -> Result<Resolved> {
    let at_home = inspect::resolve(conn, keys, uri, &ReadKeys::AtHome).await?;
    if at_home.sse_c_status.is_none() || at_home.sse_c.is_some() {
        return Ok(at_home);
    }
    for name in named {
        match inspect::resolve(conn, keys, uri, &ReadKeys::Named(name.clone())).await {
            Ok(resolved) => return Ok(resolved),
            Err(Error::SseCWrongKey { .. }) => {}
            Err(err) => return Err(err),
        }
    }
    Ok(at_home)
}

/// The local SSE-C key called `name` (one the plan found to open an object).
pub async fn sse_c_key_named(keys: &KeyAccess, name: &str) -> Result<SseCKey> {
    sse_c_key(&keys.manager().await?, name.to_owned()).await
}

/// An object or version found by listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listed {
    pub key: String,
    /// Set when versions are listed.
    pub version_id: Option<String>,
    pub is_latest: bool,
    pub size: u64,
    pub etag: Option<String>,
}

/// Objects (`versions == false`) or every version under `prefix`, as one stream.
pub fn list(
    conn: &Connection,
    bucket: &str,
    prefix: &str,
    versions: bool,
) -> impl Stream<Item = Result<Listed>> + Send + 'static {
    if versions {
        listing::list_versions(conn, bucket, prefix)
            .map_ok(|page| {
                futures::stream::iter(page.into_iter().map(|v: VersionEntry| {
                    Ok(Listed {
                        key: v.key,
                        version_id: v.version_id,
                        is_latest: v.is_latest,
                        size: v.size,
                        etag: v.etag,
                    })
                }))
            })
            .try_flatten()
            .boxed()
    } else {
        listing::list_objects(conn, bucket, prefix, None, None)
            .map_ok(|page| {
                futures::stream::iter(page.objects.into_iter().map(|o| {
                    Ok(Listed {
                        key: o.key,
                        version_id: None,
                        is_latest: true,
                        size: o.size,
                        etag: o.etag,
                    })
                }))
            })
            .try_flatten()
            .boxed()
    }
}

/// What inspecting one listed object found.
#[derive(Clone, Debug)]
pub enum Inspected {
    Found(Box<Found>),
    /// Deleted (or, for a version, removed) between the listing and the HEAD.
    Gone,
    /// The HEAD failed for this object (the message says how).
    Failed(String),
}

/// An inspected object.
#[derive(Clone, Debug)]
pub struct Found {
    pub version_id: Option<String>,
    pub etag: Option<String>,
    pub facts: ObjectFacts,
    pub restated: Restated,
    /// The audit's view of it, which the filters judge.
    pub row: AuditRow,
}

/// Sums HEAD round trips while planning, for the time estimate.
#[derive(Debug, Default)]
pub struct RoundTrips {
    count: AtomicU64,
    micros: AtomicU64,
}

impl RoundTrips {
    fn record(&self, started: Instant) {
        let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        self.count.fetch_add(1, Ordering::Relaxed);
        self.micros.fetch_add(micros, Ordering::Relaxed);
    }

    /// The average in milliseconds (50 ms when nothing was measured).
    pub fn average_ms(&self) -> f64 {
        match self.count.load(Ordering::Relaxed) {
            0 => 50.0,
            n => self.micros.load(Ordering::Relaxed) as f64 / n as f64 / 1000.0,
        }
    }

    pub fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }
}

/// HEADs `listed` and learns what the plan needs. Errors that stop the whole plan (no
/// connection, no credentials) are returned; anything about this one object is reported in
/// [`Inspected`].
pub async fn inspect_one(
    conn: &Connection,
    bucket: &str,
    listed: &Listed,
    keys: &KeyAccess,
    named: &[String],
    trips: &Arc<RoundTrips>,
) -> Result<Inspected> {
    let uri = S3Uri::new(bucket, &listed.key);
    let started = Instant::now();
    let resolved = if listed.is_latest {
        resolve_current(conn, keys, &uri, named).await
    } else {
        head_version(conn, &uri, listed.version_id.as_deref(), None).await
    };
    trips.record(started);
    let resolved = match resolved {
        Ok(resolved) => resolved,
        Err(Error::NotFound { .. }) => return Ok(Inspected::Gone),
        Err(err @ (Error::Connection { .. } | Error::Credentials { .. } | Error::Cancelled)) => {
            return Err(err);
        }
        Err(err) => return Ok(Inspected::Failed(err.to_string())),
    };
    let info = inspect::object_info(&uri, &resolved);
    let head = &resolved.head;
    let mut before = EncryptionState {
        mode: info.mode,
        kms_key_id: info.kms_key_id.clone(),
        bucket_key: info.bucket_key_enabled == Some(true),
        key_name: info.matching_key.clone(),
    };
    let mut row = AuditRow {
        etag: info.etag.clone(),
        last_modified: info.last_modified.clone(),
        mode: Some(info.mode),
        kms_key_id: info.kms_key_id.clone(),
        bucket_key_enabled: info.bucket_key_enabled,
        local_key: info.matching_key.clone(),
        // A key not at home here was not tried: for this plan it is not known.
        key_known: (info.mode == EncryptionMode::SseC)
            .then_some(info.key_status == Some(KeyStatus::Fits)),
        ..AuditRow::new(&listed.key, info.size.unwrap_or(listed.size))
    };
    let mut client_master_id = None;
    if info.mode == EncryptionMode::Client {
        let client = client_facts(conn, keys, &uri, &info.metadata).await;
        row.client_wrap = client.wrap;
        row.client_format = client.format;
        row.key_known = client.key_known;
        row.local_key = client.local_key.clone();
        row.error = client.error;
        before.key_name = client.local_key;
        before.kms_key_id = None;
        before.bucket_key = false;
        client_master_id = client.master_id;
    }
    let restated = Restated::from_head(head);
    Ok(Inspected::Found(Box::new(Found {
        version_id: head
            .version_id()
            .map(str::to_owned)
            .or_else(|| listed.version_id.clone()),
        etag: info.etag.clone(),
        facts: ObjectFacts {
            before,
            is_latest: listed.is_latest,
            size: info.size.unwrap_or(listed.size),
            archived: archived(head),
            locked: restated.lock.is_some(),
            client_master_id,
        },
        restated,
        row,
    })))
}

/// HEADs one version, with `key` when it is SSE-C and the key is known. Without the key an
/// SSE-C version answers 400: it is reported as SSE-C with no key known (old versions are only
/// ever changed by UpdateObjectEncryption, which SSE-C objects are beyond).
pub async fn head_version(
    conn: &Connection,
    uri: &S3Uri,
    version_id: Option<&str>,
    key: Option<&SseCKey>,
) -> Result<Resolved> {
    let mut request = conn
        .s3()
        .head_object()
        .bucket(&uri.bucket)
        .key(&uri.key)
        .set_version_id(version_id.map(str::to_owned))
        .checksum_mode(ChecksumMode::Enabled);
    if let Some(key) = key {
        request = crate::s3::encryption::apply_sse_c!(request, key);
    }
    match request.send().await {
        Ok(head) => Ok(Resolved {
            head,
            sse_c: key.map(SseCKey::duplicate),
            sse_c_status: key.map(|_| KeyStatus::Fits),
        }),
        Err(err) => match status_of(&err) {
            Some(400) => {
                // Expired credentials answer a HEAD 400 too: only an SSE-C object is one.
                crate::s3::inspect::sse_c_or_refusal(conn, uri, version_id, err).await?;
                Ok(Resolved {
                    head: HeadObjectOutput::builder()
                        .sse_customer_algorithm("AES256")
                        .set_version_id(version_id.map(str::to_owned))
                        .build(),
                    sse_c: None,
                    sse_c_status: Some(KeyStatus::NotTried),
                })
            }
            Some(404) => Err(Error::NotFound {
                what: format!("{uri} version {}", version_id.unwrap_or("null")),
            }),
            _ => Err(from_sdk("HeadObject", err)),
        },
    }
}

/// In an archive storage class or Intelligent-Tiering archive tier, and not restored.
fn archived(head: &HeadObjectOutput) -> bool {
    let archive_class = matches!(
        head.storage_class().map(|c| c.as_str()),
        Some("GLACIER" | "DEEP_ARCHIVE")
    );
    // `x-amz-restore: ongoing-request="false", expiry-date="…"` marks a finished restore.
    let restored = head
        .restore()
        .is_some_and(|r| r.contains("ongoing-request=\"false\""));
    (archive_class || head.archive_status().is_some()) && !restored
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_s3::types::{ArchiveStatus, StorageClass};

    #[test]
    fn archived_until_restored() {
        let glacier = HeadObjectOutput::builder()
            .storage_class(StorageClass::Glacier)
            .build();
        assert!(archived(&glacier));
        let restored = HeadObjectOutput::builder()
            .storage_class(StorageClass::DeepArchive)
            .restore("ongoing-request=\"false\", expiry-date=\"Fri, 21 Dec 2012 00:00:00 GMT\"")
            .build();
        assert!(!archived(&restored));
        let restoring = HeadObjectOutput::builder()
            .storage_class(StorageClass::Glacier)
            .restore("ongoing-request=\"true\"")
            .build();
        assert!(archived(&restoring));
        let tiered = HeadObjectOutput::builder()
            .storage_class(StorageClass::IntelligentTiering)
            .archive_status(ArchiveStatus::DeepArchiveAccess)
            .build();
        assert!(archived(&tiered));
        let instant = HeadObjectOutput::builder()
            .storage_class(StorageClass::GlacierIr)
            .build();
        assert!(!archived(&instant));
    }
}
