//! The audit from an S3 Inventory report instead of one HEAD per object: the same `total` and
//! `by_mode` as the HEAD-based audit, plus counts by `EncryptionStatus`, `BucketKeyStatus`,
//! storage class and Object Lock. An inventory does not name KMS keys, so on request only the
//! SSE-KMS / DSSE-KMS objects (all, or a random sample) are HEADed to break them down by key.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::PathBuf;

use futures::StreamExt as _;
use serde::Serialize;
use tokio::sync::mpsc;

use super::manifest::{InventoryManifest, ReportFormat};
use super::row::{EncryptionStatus, Field, InventoryRow};
use super::stream::{RowSink, read_manifest, stream_rows};
use super::tally::InventoryCounts;
use crate::csv::push_record;
use crate::error::{Error, Result};
use crate::progress::{CancellationToken, Progress};
use crate::remedy::Advice;
use crate::s3::bucket::audit::bucket_key_advice;
use crate::s3::errors::from_sdk;
use crate::s3::{Connection, EncryptionMode, S3Uri};

/// Which SSE-KMS / DSSE-KMS objects to HEAD to learn their KMS key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KmsKeyScope {
    /// None: the audit says how many there are and that the inventory cannot name keys.
    None,
    /// A uniform random sample of this many.
    Sample(u64),
    /// Every one of them (one HEAD each).
    All,
}

/// How to run an inventory audit.
#[derive(Clone, Debug)]
pub struct InventoryAuditOptions {
    /// Write one CSV line per object to this new file (it must not exist).
    pub csv: Option<PathBuf>,
    pub kms_keys: KmsKeyScope,
    /// HEAD requests in flight at once for the KMS breakdown.
    pub concurrency: usize,
}

impl Default for InventoryAuditOptions {
    fn default() -> Self {
        Self {
            csv: None,
            kms_keys: KmsKeyScope::None,
            concurrency: crate::s3::bucket::audit::DEFAULT_CONCURRENCY,
        }
    }
}

/// Where an audit's counts came from (the HEAD-based audit's report has no such field).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AuditSource {
    Inventory,
}

/// The KMS keys of the SSE-KMS / DSSE-KMS objects, learnt by HEAD.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct KmsKeyBreakdown {
    /// True when only a random sample was asked.
    pub sample: bool,
    /// Objects HEADed.
    pub asked: u64,
    /// SSE-KMS / DSSE-KMS objects in the report.
    pub of: u64,
    /// `sse-kms:KEY` / `dsse-kms:KEY` → objects, as in the HEAD-based audit.
    pub by_key: BTreeMap<String, u64>,
    /// Objects no longer KMS-encrypted (changed since the report).
    pub changed: u64,
    /// Objects that could not be HEADed (deleted since the report, no permission, …).
    pub errors: u64,
}

/// The inventory audit's result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InventoryAuditReport {
    /// Always `inventory`.
    pub source: AuditSource,
    /// The bucket the report lists.
    pub bucket: String,
    /// The manifest read (`s3://…/manifest.json`).
    pub manifest: String,
    /// When S3 began the report (RFC 3339): objects changed since are not in it.
    pub report_date: Option<String>,
    pub format: ReportFormat,
    /// Data files read.
    pub files: usize,
    #[serde(flatten)]
    pub counts: InventoryCounts,
    pub kms_keys: Option<KmsKeyBreakdown>,
    /// What the counts cannot say, and suggestions.
    pub notes: Vec<Advice>,
}

/// The CSV header of the inventory audit's `csv` file.
pub const INVENTORY_CSV_COLUMNS: [&str; 11] = [
    "bucket",
    "key",
    "version_id",
    "size",
    "last_modified",
    "mode",
    "bucket_key_enabled",
    "storage_class",
    "object_lock_mode",
    "legal_hold",
    "delete_marker",
];

/// Audits the report whose `manifest.json` is at `manifest_uri`.
pub async fn audit_inventory(
    conn: &Connection,
    manifest_uri: &S3Uri,
    options: &InventoryAuditOptions,
    progress: &Progress,
    cancel: &CancellationToken,
) -> Result<InventoryAuditReport> {
    let manifest = read_manifest(conn, manifest_uri).await?;
    audit_manifest(conn, &manifest, options, progress, cancel).await
}

/// [`audit_inventory`] with its CSV written to `path`, which may exist (a save dialog already
/// asked whether to replace it): the rows go to a new file beside it, renamed over `path` only
/// once the whole report was read. A failed or abandoned audit leaves `path` as it was and
/// removes the new file, even when its future is dropped mid-way.
pub async fn audit_inventory_replacing_csv(
    conn: &Connection,
    manifest_uri: &S3Uri,
    path: &std::path::Path,
    kms_keys: KmsKeyScope,
    progress: &Progress,
    cancel: &CancellationToken,
) -> Result<InventoryAuditReport> {
    let part = PartFile::beside(path)?;
    let options = InventoryAuditOptions {
        csv: Some(part.0.clone()),
        kms_keys,
        ..InventoryAuditOptions::default()
    };
    let report = audit_inventory(conn, manifest_uri, &options, progress, cancel).await?;
    part.persist(path)?;
    Ok(report)
}

/// A file being written beside its destination; removed when dropped unless persisted.
struct PartFile(PathBuf);

impl PartFile {
    fn beside(path: &std::path::Path) -> Result<Self> {
        let mut tag = [0u8; 6];
        getrandom::fill(&mut tag).map_err(|e| Error::Random(e.to_string()))?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let dir = path.parent().unwrap_or_else(|| std::path::Path::new("."));
        Ok(Self(
            dir.join(format!(".{name}.s3seal-{}.part", hex::encode(tag))),
        ))
    }

    fn persist(self, path: &std::path::Path) -> Result<()> {
        // Once renamed, the drop that follows finds nothing left to remove.
        std::fs::rename(&self.0, path).map_err(|e| Error::io("write", path, e))
    }
}

impl Drop for PartFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// [`audit_inventory`] for a manifest already read.
pub async fn audit_manifest(
    conn: &Connection,
    manifest: &InventoryManifest,
    options: &InventoryAuditOptions,
    progress: &Progress,
    cancel: &CancellationToken,
) -> Result<InventoryAuditReport> {
    let csv = match &options.csv {
        Some(path) => Some(CsvOut::create(path.clone())?),
        None => None,
    };
    let (all_tx, heads) = match options.kms_keys {
        KmsKeyScope::All => {
            let (tx, rx) = mpsc::channel(1024);
            let task = tokio::spawn(head_kms_objects(
                conn.clone(),
                manifest.source_bucket.clone(),
                rx,
                options.concurrency.max(1),
            ));
            (Some(tx), Some(task))
        }
        _ => (None, None),
    };
    let sample = match options.kms_keys {
        KmsKeyScope::Sample(n) => Some(Reservoir::new(n)?),
        _ => None,
    };
    let sink = AuditSink {
        counts: InventoryCounts::default(),
        csv,
        sample,
        all_tx,
    };
    let streamed = stream_rows(conn, manifest, sink, progress, cancel).await;
    let (mut sink, _rows) = match streamed {
        Ok(done) => done,
        Err(err) => {
            if let Some(task) = heads {
                task.abort();
            }
            // The CSV was created by this audit (never an existing file): a half of it is
            // worth nothing.
            if let Some(path) = &options.csv {
                let _ = std::fs::remove_file(path);
            }
            return Err(err);
        }
    };
    if let Some(csv) = sink.csv.take() {
        csv.finish()?;
    }
    drop(sink.all_tx.take());
    let kms_objects = sink.counts.kms_objects();
    let breakdown = match (heads, sink.sample.take()) {
        (Some(task), _) => Some(
            task.await
                .map_err(|e| Error::Internal(format!("the KMS key lookups stopped: {e}")))?,
        ),
        (None, Some(reservoir)) => {
            let (tx, rx) = mpsc::channel(reservoir.items.len().max(1));
            let task = head_kms_objects(
                conn.clone(),
                manifest.source_bucket.clone(),
                rx,
                options.concurrency.max(1),
            );
            let feed = async move {
                for item in reservoir.items {
                    if tx.send(item).await.is_err() {
                        break;
                    }
                }
            };
            let (mut breakdown, ()) = tokio::join!(task, feed);
            breakdown.sample = breakdown.asked < kms_objects;
            Some(breakdown)
        }
        (None, None) => None,
    };
    let breakdown = breakdown.map(|b| KmsKeyBreakdown {
        of: kms_objects,
        ..b
    });
    let notes = notes(manifest, &sink.counts, breakdown.is_some());
    Ok(InventoryAuditReport {
        source: AuditSource::Inventory,
        bucket: manifest.source_bucket.clone(),
        manifest: manifest.location.to_string(),
        report_date: manifest.report_date.clone(),
        format: manifest.format,
        files: manifest.files.len(),
        counts: sink.counts,
        kms_keys: breakdown,
        notes,
    })
}

fn notes(manifest: &InventoryManifest, c: &InventoryCounts, keys_asked: bool) -> Vec<Advice> {
    let mut notes = Vec::new();
    let plural = |n: u64| if n == 1 { "" } else { "s" };
    if !manifest.has_field(Field::EncryptionStatus) {
        notes.push(Advice::note(
            "This report has no EncryptionStatus field, so it cannot tell how objects are encrypted; add the field to the inventory configuration (s3seal's daily inventory has it).",
        ));
    }
    let kms = c.kms_objects();
    if kms > 0 && !keys_asked {
        notes.push(Advice::note(format!(
            "An S3 Inventory does not name KMS keys: {kms} object{} use SSE-KMS or DSSE-KMS under keys it does not show. HEAD only those objects (all of them, or a sample) to break them down by key.",
            plural(kms)
        )));
    }
    notes.push(Advice::note(
        "An inventory sees only server-side encryption: objects encrypted on the client (S3 Encryption Client) count under the mode S3 stored them with.",
    ));
    if c.kms_without_bucket_key >= crate::s3::bucket::audit::BUCKET_KEY_HINT_MIN {
        notes.push(bucket_key_advice(
            &manifest.source_bucket,
            c.kms_without_bucket_key,
        ));
    }
    if c.object_lock.compliance > 0 {
        let n = c.object_lock.compliance;
        notes.push(Advice::note(format!(
            "{n} object{} under a compliance-mode Object Lock retention: S3 refuses to change their encryption in place until the retention ends.",
            plural(n)
        )));
    }
    if let Some(date) = &manifest.report_date {
        notes.push(Advice::note(format!(
            "The report was started on {date}; objects written or changed since are not in it."
        )));
    }
    notes
}

/// The state that rides along the rows.
struct AuditSink {
    counts: InventoryCounts,
    csv: Option<CsvOut>,
    sample: Option<Reservoir>,
    all_tx: Option<mpsc::Sender<(String, Option<String>)>>,
}

impl RowSink for AuditSink {
    fn row(&mut self, row: &InventoryRow<'_>) -> Result<()> {
        self.counts.add(row);
        if let Some(csv) = &mut self.csv {
            csv.row(row)?;
        }
        let kms = !row.is_delete_marker
            && matches!(
                row.encryption(),
                Some(EncryptionStatus::SseKms | EncryptionStatus::DsseKms)
            );
        if kms {
            let item = || (row.key.to_string(), row.version_id.map(str::to_owned));
            if let Some(sample) = &mut self.sample {
                sample.offer(item);
            }
            if let Some(tx) = &self.all_tx {
                // A closed channel means the lookups failed; their task reports why.
                let _ = tx.blocking_send(item());
            }
        }
        Ok(())
    }
}

/// The CSV file, written as rows pass.
struct CsvOut {
    path: PathBuf,
    file: std::io::BufWriter<std::fs::File>,
    line: String,
}

impl CsvOut {
    fn create(path: PathBuf) -> Result<Self> {
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| {
                if e.kind() == std::io::ErrorKind::AlreadyExists {
                    Error::WouldOverwrite { path: path.clone() }
                } else {
                    Error::io("create", &path, e)
                }
            })?;
        let mut out = Self {
            path,
            file: std::io::BufWriter::with_capacity(256 * 1024, file),
            line: String::new(),
        };
        push_record(&mut out.line, &INVENTORY_CSV_COLUMNS);
        out.flush_line()?;
        Ok(out)
    }

    fn row(&mut self, r: &InventoryRow<'_>) -> Result<()> {
        let flag = |b: Option<bool>| b.map(|b| b.to_string()).unwrap_or_default();
        let mode = r
            .encryption()
            .map(|s| s.mode().as_str())
            .unwrap_or_default();
        push_record(
            &mut self.line,
            &[
                r.bucket,
                &r.key,
                r.version_id.unwrap_or_default(),
                &r.size.map(|s| s.to_string()).unwrap_or_default(),
                &r.last_modified.map(|t| t.to_text()).unwrap_or_default(),
                mode,
                &flag(r.bucket_key),
                r.storage_class.unwrap_or_default(),
                r.object_lock_mode.unwrap_or_default(),
                &flag(r.legal_hold),
                &r.is_delete_marker.to_string(),
            ],
        );
        self.flush_line()
    }

    fn flush_line(&mut self) -> Result<()> {
        let written = self.file.write_all(self.line.as_bytes());
        self.line.clear();
        written.map_err(|e| Error::io("write", &self.path, e))
    }

    fn finish(mut self) -> Result<()> {
        self.file
            .flush()
            .map_err(|e| Error::io("write", &self.path, e))
    }
}

/// A uniform random sample of fixed size over a stream of unknown length (algorithm R).
struct Reservoir {
    size: u64,
    seen: u64,
    state: u64,
    items: Vec<(String, Option<String>)>,
}

impl Reservoir {
    fn new(size: u64) -> Result<Self> {
        let mut seed = [0u8; 8];
        getrandom::fill(&mut seed).map_err(|e| Error::Random(e.to_string()))?;
        Ok(Self {
            size,
            seen: 0,
            state: u64::from_le_bytes(seed) | 1,
            items: Vec::new(),
        })
    }

    fn next_random(&mut self) -> u64 {
        // xorshift64*: plenty for picking a sample.
        self.state ^= self.state >> 12;
        self.state ^= self.state << 25;
        self.state ^= self.state >> 27;
        self.state.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn offer(&mut self, item: impl FnOnce() -> (String, Option<String>)) {
        self.seen += 1;
        if (self.items.len() as u64) < self.size {
            self.items.push(item());
            return;
        }
        let j = self.next_random() % self.seen;
        if let Some(slot) = usize::try_from(j).ok().and_then(|j| self.items.get_mut(j)) {
            *slot = item();
        }
    }
}

/// HEADs each object received and counts its KMS key.
async fn head_kms_objects(
    conn: Connection,
    bucket: String,
    rx: mpsc::Receiver<(String, Option<String>)>,
    concurrency: usize,
) -> KmsKeyBreakdown {
    let items = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    let conn = &conn;
    let bucket = bucket.as_str();
    let mut heads = std::pin::pin!(
        items
            .map(|(key, version)| async move {
                conn.s3()
                    .head_object()
                    .bucket(bucket)
                    .key(key)
                    .set_version_id(version.filter(|v| !v.is_empty()))
                    .send()
                    .await
                    .map_err(|e| from_sdk("HeadObject", e))
            })
            .buffer_unordered(concurrency)
    );
    let mut out = KmsKeyBreakdown::default();
    while let Some(head) = heads.next().await {
        out.asked += 1;
        match head {
            Ok(head) => {
                let mode = EncryptionMode::from_server_side(head.server_side_encryption());
                match (mode, head.ssekms_key_id()) {
                    (EncryptionMode::SseKms | EncryptionMode::DsseKms, key) => {
                        let label =
                            format!("{}:{}", mode.as_str(), key.unwrap_or("(key not reported)"));
                        *out.by_key.entry(label).or_insert(0) += 1;
                    }
                    _ => out.changed += 1,
                }
            }
            Err(err) => {
                tracing::debug!(error = %err, "HEAD of an SSE-KMS object from the inventory failed");
                out.errors += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reservoir_keeps_at_most_its_size_and_samples_everything() {
        let mut r = Reservoir::new(10).unwrap();
        let mut hits = [0u32; 100];
        for round in 0..200 {
            r.items.clear();
            r.seen = 0;
            for i in 0..100u32 {
                r.offer(|| (i.to_string(), None));
            }
            assert_eq!(r.items.len(), 10, "round {round}");
            for (k, _) in &r.items {
                hits[k.parse::<usize>().unwrap()] += 1;
            }
        }
        // Every item is picked sometimes (2000 picks over 100 items: ~20 each).
        assert!(hits.iter().all(|h| *h > 0), "{hits:?}");
        let mut small = Reservoir::new(5).unwrap();
        small.offer(|| ("only".into(), None));
        assert_eq!(small.items.len(), 1);
    }
}
