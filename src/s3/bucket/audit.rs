//! Encryption audit of a bucket or prefix: every object's mode, KMS key and SSE-C / client key
//! (known locally or not), collected with bounded concurrency, progress and cancel. Results are
//! cached per object ([`super::audit_cache`]), so re-running on an unchanged prefix sends no
//! HEAD at all.

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use futures::{StreamExt as _, TryStreamExt as _};
use serde::{Deserialize, Serialize};

pub use super::audit_cache::forget as forget_cached;
use super::audit_cache::{cache_path, cached_row, load_cache, save_cache, store_rows};
use crate::crypto::{FormatVersion, WrapAlgorithm};
use crate::csv::push_record;
use crate::error::{Error, Result};
use crate::progress::{CancellationToken, Progress};
use crate::remedy::{Advice, Remedy};
use crate::s3::client_envelope::{InstructionProbe, LoadedEnvelope, load_envelope};
use crate::s3::client_master::open_envelope;
use crate::s3::connection::Connection;
use crate::s3::encryption::EncryptionMode;
use crate::s3::in_flight::{Concurrency, InFlight};
use crate::s3::inspect;
use crate::s3::inspect::KeyStatus;
use crate::s3::listing::{self, ObjectEntry};
use crate::s3::local_keys::{KeyAccess, ReadKeys, ReadOptions};
use crate::s3::uri::S3Uri;

/// HEAD requests in flight at once where a fixed number is wanted (an inventory audit's HEADs of
/// its few SSE-C objects).
pub const DEFAULT_CONCURRENCY: usize = 32;

/// SSE-KMS objects without a Bucket Key from which on the audit suggests one.
pub const BUCKET_KEY_HINT_MIN: u64 = 10;

/// How to run an audit.
#[derive(Clone, Debug)]
pub struct AuditOptions {
    /// HEAD requests in flight at once.
    pub concurrency: Concurrency,
    /// Where to keep the result cache (usually the config dir); `None`: no cache.
    pub cache_dir: Option<PathBuf>,
    /// Suggest Bucket Keys when at least this many SSE-KMS objects lack one.
    pub bucket_key_hint_min: u64,
}

impl Default for AuditOptions {
    fn default() -> Self {
        Self {
            concurrency: Concurrency::Adaptive,
            cache_dir: None,
            bucket_key_hint_min: BUCKET_KEY_HINT_MIN,
        }
    }
}

/// One object in the audit (read back from an audit's JSON by S3 Batch Operations manifests).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRow {
    pub key: String,
    pub size: u64,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// `None` when the object could not be inspected (see `error`).
    pub mode: Option<EncryptionMode>,
    pub kms_key_id: Option<String>,
    pub bucket_key_enabled: Option<bool>,
    /// For SSE-C and client-side objects: the local key that fits, if any.
    pub local_key: Option<String>,
    /// For SSE-C and client-side (raw key) objects: whether a local key fits. `None` when the
    /// question does not apply (or a client-side object is wrapped with KMS).
    pub key_known: Option<bool>,
    /// Client-side key wrap (`AES/GCM`, `kms+context`).
    pub client_wrap: Option<WrapAlgorithm>,
    /// Client-side format (`v2`, `v3`).
    pub client_format: Option<FormatVersion>,
    pub error: Option<String>,
    /// True when this row came from the cache.
    #[serde(default)]
    pub cached: bool,
}

impl AuditRow {
    /// A row for a listed object, not inspected yet.
    pub fn new(key: impl Into<String>, size: u64) -> Self {
        Self {
            key: key.into(),
            size,
            etag: None,
            last_modified: None,
            mode: None,
            kms_key_id: None,
            bucket_key_enabled: None,
            local_key: None,
            key_known: None,
            client_wrap: None,
            client_format: None,
            error: None,
            cached: false,
        }
    }
}

/// The audit's result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AuditReport {
    pub bucket: String,
    pub prefix: String,
    pub total: u64,
    /// Counts by mode, with the same names `info` uses.
    pub by_mode: BTreeMap<String, u64>,
    /// Counts by key: `sse-kms:KEY`, `dsse-kms:KEY`, `sse-c:NAME`, `sse-c:unknown`,
    /// `client:NAME`, `client:unknown`, `client:kms`.
    pub by_key: BTreeMap<String, u64>,
    pub sse_c_unknown_key: u64,
    pub client_unknown_key: u64,
    pub kms_without_bucket_key: u64,
    pub errors: u64,
    pub from_cache: u64,
    pub suggestions: Vec<Advice>,
    pub objects: Vec<AuditRow>,
}

/// Audits every object under `uri` (a bucket, or a bucket and prefix). SSE-C objects are tried
/// with the local keys at home there; client-side objects wrapped with a raw key with the local
/// client keys. Local keys that cannot be opened leave those questions unanswered.
pub async fn audit(
    conn: &Connection,
    keys: &KeyAccess,
    uri: &S3Uri,
    options: &AuditOptions,
    progress: &Progress,
    cancel: &CancellationToken,
) -> Result<AuditReport> {
    let bucket = uri.bucket.as_str();
    let prefix = uri.key.as_str();
    let cache_file = options
        .cache_dir
        .as_deref()
        .map(|dir| cache_path(dir, conn, bucket));
    let mut cache = cache_file.as_deref().map(load_cache).unwrap_or_default();
    let candidate_names: HashSet<String> = match keys.sse_c_keys().await {
        Ok(local) => local.names().into_iter().collect(),
        Err(_) => HashSet::new(),
    };

    let listed = Arc::new(AtomicU64::new(0));
    let entries = {
        let listed = listed.clone();
        let progress = progress.clone();
        listing::list_objects(conn, bucket, prefix, None, None)
            .map_ok(|page| futures::stream::iter(page.objects.into_iter().map(Ok)))
            .try_flatten()
            .inspect_ok(move |_| {
                let n = listed.fetch_add(1, Ordering::Relaxed) + 1;
                progress.set_total(n);
            })
    };
    let cache_ref = &cache;
    let names_ref = &candidate_names;
    let window = InFlight::new(options.concurrency, conn.throttles().clone());
    let window_ref = &window;
    let mut rows = Vec::new();
    {
        let mut rows_stream = std::pin::pin!(
            entries
                .map(|entry: Result<ObjectEntry>| async move {
                    let entry = entry?;
                    if let Some(row) = cached_row(cache_ref, &entry, names_ref) {
                        return Ok(row);
                    }
                    Ok(window_ref.run(audit_one(conn, keys, bucket, &entry)).await)
                })
                .buffer_unordered(window.max())
        );
        loop {
            let next = tokio::select! {
                biased;
                () = cancel.cancelled() => return Err(Error::Cancelled),
                next = rows_stream.next() => next,
            };
            match next {
                Some(Ok(row)) => {
                    progress.add(1);
                    rows.push(row);
                }
                Some(Err(err)) => return Err(err),
                None => break,
            }
        }
    }
    rows.sort_by(|a, b| a.key.cmp(&b.key));

    if let Some(path) = &cache_file {
        store_rows(&mut cache, bucket, prefix, &rows);
        if let Err(err) = save_cache(path, &cache) {
            tracing::warn!(error = %err, "audit cache not written; the next audit will HEAD every object again");
        }
    }
    Ok(summarize(bucket, prefix, rows, options.bucket_key_hint_min))
}

async fn audit_one(
    conn: &Connection,
    keys: &KeyAccess,
    bucket: &str,
    entry: &ObjectEntry,
) -> AuditRow {
    let uri = S3Uri::new(bucket, &entry.key);
    let mut row = AuditRow {
        etag: entry.etag.clone(),
        last_modified: entry.last_modified.clone(),
        ..AuditRow::new(&entry.key, entry.size)
    };
    let info = match inspect::resolve(conn, keys, &uri, &ReadKeys::AtHome).await {
        Ok(resolved) => inspect::object_info(&uri, &resolved),
        Err(err) => {
            row.error = Some(err.to_string());
            return row;
        }
    };
    row.mode = Some(info.mode);
    row.kms_key_id = info.kms_key_id.clone();
    row.bucket_key_enabled = info.bucket_key_enabled;
    match info.mode {
        EncryptionMode::SseC => {
            row.local_key = info.matching_key.clone();
            // A key not at home here was not tried: for this audit it is not known.
            row.key_known = Some(info.key_status == Some(KeyStatus::Fits));
        }
        EncryptionMode::Client => {
            let facts = client_facts(conn, keys, &uri, &info.metadata).await;
            row.client_wrap = facts.wrap;
            row.client_format = facts.format;
            row.key_known = facts.key_known;
            row.local_key = facts.local_key;
            row.error = facts.error;
        }
        _ => {}
    }
    row
}

/// What the envelope of a client-side object tells: its wrap and format, the local key that
/// opens it (AES/GCM wraps, tried only with `keys`), and the catalog id s3seal recorded in it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientFacts {
    pub wrap: Option<WrapAlgorithm>,
    pub format: Option<FormatVersion>,
    pub local_key: Option<String>,
    pub key_known: Option<bool>,
    /// The local master key's catalog id, as s3seal records it in its envelopes.
    pub master_id: Option<String>,
    pub error: Option<String>,
}

/// Reads the envelope of the client-side object at `uri` (metadata, or its instruction file
/// when the metadata points there) and, for a raw-key wrap, tries the local client keys on it.
pub async fn client_facts(
    conn: &Connection,
    keys: &KeyAccess,
    uri: &S3Uri,
    metadata: &BTreeMap<String, String>,
) -> ClientFacts {
    let mut facts = ClientFacts::default();
    match load_envelope(conn, uri, metadata, InstructionProbe::HintOnly).await {
        Ok(Some(LoadedEnvelope { envelope, .. })) => {
            facts.wrap = Some(envelope.wrap_algorithm());
            facts.format = Some(envelope.version());
            facts.master_id = envelope.s3seal_key_id().map(str::to_owned);
            if envelope.wrap_algorithm() == WrapAlgorithm::AesGcm {
                let read = ReadOptions::default();
                match open_envelope(conn, keys, uri, envelope, &read).await {
                    Ok(opened) => {
                        facts.key_known = Some(true);
                        facts.local_key = opened.local_key().map(str::to_owned);
                    }
                    Err(Error::ClientKeyNeeded { .. }) => facts.key_known = Some(false),
                    // Local keys unavailable: whether one fits is not known.
                    Err(Error::Keyring(_)) => {}
                    Err(err) => facts.error = Some(err.to_string()),
                }
            }
        }
        Ok(None) => {}
        Err(err) => facts.error = Some(err.to_string()),
    }
    facts
}

impl AuditReport {
    /// The report of rows found some other way (an inventory, a preview): counted and
    /// advised on as [`audit`] does, with its default bucket-key hint threshold.
    pub fn from_rows(bucket: &str, prefix: &str, mut rows: Vec<AuditRow>) -> Self {
        rows.sort_by(|a, b| a.key.cmp(&b.key));
        summarize(bucket, prefix, rows, BUCKET_KEY_HINT_MIN)
    }
}

fn summarize(bucket: &str, prefix: &str, objects: Vec<AuditRow>, hint_min: u64) -> AuditReport {
    let mut by_mode = BTreeMap::new();
    let mut by_key = BTreeMap::new();
    let mut sse_c_unknown_key = 0;
    let mut client_unknown_key = 0;
    let mut kms_without_bucket_key = 0;
    let mut errors = 0;
    let mut from_cache = 0;
    for row in &objects {
        from_cache += u64::from(row.cached);
        if row.error.is_some() {
            errors += 1;
        }
        let Some(mode) = row.mode else { continue };
        *by_mode.entry(mode.as_str().to_owned()).or_insert(0) += 1;
        let key_label = match mode {
            EncryptionMode::SseKms | EncryptionMode::DsseKms => Some(format!(
                "{}:{}",
                mode.as_str(),
                row.kms_key_id.as_deref().unwrap_or("(key not reported)")
            )),
            EncryptionMode::SseC => Some(format!(
                "sse-c:{}",
                row.local_key.as_deref().unwrap_or("unknown")
            )),
            EncryptionMode::Client => Some(match (&row.client_wrap, &row.local_key) {
                (Some(WrapAlgorithm::KmsContext), _) => "client:kms".to_owned(),
                (_, Some(name)) => format!("client:{name}"),
                _ => "client:unknown".to_owned(),
            }),
            _ => None,
        };
        if let Some(label) = key_label {
            *by_key.entry(label).or_insert(0) += 1;
        }
        match mode {
            EncryptionMode::SseC if row.key_known == Some(false) => sse_c_unknown_key += 1,
            EncryptionMode::Client if row.key_known == Some(false) => client_unknown_key += 1,
            EncryptionMode::SseKms if row.bucket_key_enabled != Some(true) => {
                kms_without_bucket_key += 1;
            }
            _ => {}
        }
    }
    let mut suggestions = Vec::new();
    if kms_without_bucket_key >= hint_min.max(1) {
        suggestions.push(bucket_key_advice(bucket, kms_without_bucket_key));
    }
    if sse_c_unknown_key > 0 {
        suggestions.push(Advice::new(
            format!(
                "{sse_c_unknown_key} SSE-C object{} open with none of your local keys: without the key they cannot be read by anyone.",
                if sse_c_unknown_key == 1 { "" } else { "s" }
            ),
            Some(Remedy::ImportKey {
                kind: crate::keys::KeyKind::SseC,
            }),
        ));
    }
    AuditReport {
        bucket: bucket.to_owned(),
        prefix: prefix.to_owned(),
        total: objects.len() as u64,
        by_mode,
        by_key,
        sse_c_unknown_key,
        client_unknown_key,
        kms_without_bucket_key,
        errors,
        from_cache,
        suggestions,
        objects,
    }
}

/// The suggestion to use S3 Bucket Keys, for `count` SSE-KMS objects that have none (the
/// HEAD-based audit and the inventory audit give the same one).
pub fn bucket_key_advice(bucket: &str, count: u64) -> Advice {
    Advice::new(
        format!(
            "{count} SSE-KMS object{} have no S3 Bucket Key: every upload of such an object cost a KMS GenerateDataKey call and every download costs a KMS Decrypt call, which adds to the bill and counts against the account's KMS request quota (throttling). Turn Bucket Keys on for new uploads and re-encrypt the existing objects with one.",
            if count == 1 { "" } else { "s" }
        ),
        Some(Remedy::UseBucketKey {
            bucket: bucket.to_owned(),
        }),
    )
}

/// The CSV header of [`to_csv`].
pub const CSV_COLUMNS: [&str; 12] = [
    "key",
    "size",
    "last_modified",
    "etag",
    "mode",
    "kms_key_id",
    "bucket_key_enabled",
    "local_key",
    "key_known",
    "client_wrap",
    "client_format",
    "error",
];

/// The rows as CSV (see [`crate::csv`]: RFC 4180, formula cells guarded).
pub fn to_csv(report: &AuditReport) -> String {
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    let opt_bool = |v: Option<bool>| v.map(|b| b.to_string()).unwrap_or_default();
    let mut out = String::new();
    push_record(&mut out, &CSV_COLUMNS);
    for r in &report.objects {
        push_record(
            &mut out,
            &[
                r.key.clone(),
                r.size.to_string(),
                opt(&r.last_modified),
                opt(&r.etag),
                r.mode.map(|m| m.as_str().to_owned()).unwrap_or_default(),
                opt(&r.kms_key_id),
                opt_bool(r.bucket_key_enabled),
                opt(&r.local_key),
                opt_bool(r.key_known),
                r.client_wrap
                    .map(|w| w.v2_name().to_owned())
                    .unwrap_or_default(),
                r.client_format
                    .map(|f| f.label().to_lowercase())
                    .unwrap_or_default(),
                opt(&r.error),
            ],
        );
    }
    out
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// A listed, inspected row (shared with the cache's tests).
    pub(in crate::s3::bucket) fn row(key: &str, mode: EncryptionMode) -> AuditRow {
        AuditRow {
            etag: Some("\"e\"".into()),
            last_modified: Some("2026-01-01T00:00:00Z".into()),
            mode: Some(mode),
            ..AuditRow::new(key, 1)
        }
    }

    #[test]
    fn csv_quotes() {
        let mut r = row("a,\"b\"\nc", EncryptionMode::SseS3);
        r.error = Some("x".into());
        let report = summarize("b", "", vec![r], 10);
        let csv = to_csv(&report);
        assert!(csv.contains("\"a,\"\"b\"\"\nc\""), "{csv}");
        assert!(csv.starts_with("key,size,"));
    }

    #[test]
    fn csv_cells_never_start_a_formula() {
        let r = row("=HYPERLINK(\"http://x\")", EncryptionMode::SseS3);
        let report = summarize("b", "", vec![r], 10);
        let csv = to_csv(&report);
        assert!(csv.contains("\"'=HYPERLINK(\"\"http://x\"\")\""), "{csv}");
        assert!(!csv.contains("\r\n=HYPERLINK"), "{csv}");
    }

    #[test]
    fn counts_and_hint() {
        let mut rows: Vec<AuditRow> = (0..3)
            .map(|i| row(&format!("k{i}"), EncryptionMode::SseKms))
            .collect();
        let mut c = row("c", EncryptionMode::SseC);
        c.key_known = Some(false);
        rows.push(c);
        let report = summarize("b", "", rows, 3);
        assert_eq!(report.total, 4);
        assert_eq!(report.by_mode["sse-kms"], 3);
        assert_eq!(report.by_key["sse-c:unknown"], 1);
        assert_eq!(report.suggestions.len(), 2);
    }
}
