//! Planning a Batch Operations job: the account, the KMS key's ARN, the objects (a manifest
//! generator, or a CSV manifest written from an audit or an inventory report), the operation,
//! the costs and what the reviewer should know — everything `batch create --dry-run` shows,
//! with nothing written. [`submit`] then uploads the manifest and sends CreateJob.

use std::path::PathBuf;

use serde::Serialize;
use serde_json::Value;

use super::costs::{CostEstimate, estimate};
use super::manifest::{ManifestSummary, ManifestWriter, WrittenManifest};
use super::selection::Selection;
use super::spec::{
    BatchOperation, BatchTarget, GeneratorFilter, JobSpec, MAX_BATCH_COPY, ManifestSpec,
};
use crate::error::{Error, Result};
use crate::progress::{CancellationToken, Progress};
use crate::remedy::{Advice, Remedy};
use crate::s3::bucket::AuditRow;
use crate::s3::errors::from_sdk;
use crate::s3::inventory::{read_manifest, stream_rows};
use crate::s3::{Connection, S3Uri};
use crate::transfer::write_mode::EncryptionChoice;

/// Where the objects come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ObjectSource {
    /// S3's manifest generator lists the bucket (or prefix) itself.
    Generator,
    /// The rows of an audit's JSON (`audit --json`).
    Audit(PathBuf),
    /// Audit rows already in hand (the window's audit, filtered), of the request's bucket.
    AuditRows(Vec<AuditRow>),
    /// An S3 Inventory report (its manifest.json).
    Inventory(S3Uri),
}

/// The encryption asked for, before the KMS key is resolved to its ARN.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TargetRequest {
    SseS3,
    SseKms { key: String, bucket_key: bool },
}

impl TargetRequest {
    /// The batch target for an encryption chosen in a form (the window's target picker).
    /// S3 Batch Operations writes SSE-S3 or SSE-KMS under a named key, nothing else.
    pub fn from_choice(choice: &EncryptionChoice) -> Result<Self> {
        match choice {
            EncryptionChoice::SseS3 => Ok(Self::SseS3),
            EncryptionChoice::SseKms {
                key: Some(key),
                bucket_key,
            } => Ok(Self::SseKms {
                key: key.clone(),
                bucket_key: *bucket_key,
            }),
            EncryptionChoice::SseKms { key: None, .. } => Err(Error::InvalidInput(
                "S3 Batch Operations needs the KMS key's ARN: name a KMS key rather than the AWS managed aws/s3".to_owned(),
            )),
            _ => Err(Error::InvalidInput(
                "S3 Batch Operations writes SSE-S3 or SSE-KMS only; other encryptions need a local job".to_owned(),
            )),
        }
    }
}

/// The account the job belongs to: the one given, or the credentials' own (STS).
pub async fn account_id(conn: &Connection, given: Option<&str>) -> Result<String> {
    match given.map(str::trim).filter(|id| !id.is_empty()) {
        Some(id) => Ok(id.to_owned()),
        None => conn.caller_account().await,
    }
}

/// What the user asked for.
#[derive(Clone, Debug)]
pub struct BatchRequest {
    /// The bucket and optional prefix.
    pub source: S3Uri,
    pub target: TargetRequest,
    pub selection: Selection,
    pub role_arn: String,
    /// Completion report location (bucket and prefix).
    pub report: S3Uri,
    pub objects: ObjectSource,
    /// `None`: the caller's account (STS).
    pub account_id: Option<String>,
}

/// A reviewed plan: the job, its input as the aws CLI takes it, costs and notes.
#[derive(Debug, Serialize)]
pub struct BatchPlan {
    pub spec: JobSpec,
    /// The exact CreateJob input (`aws s3control create-job --cli-input-json`).
    pub create_job_input: Value,
    /// For a CSV manifest: what it holds. `None`: the generator lists the objects when the job
    /// is prepared (the job then waits for confirmation with the count S3 found).
    pub manifest: Option<ManifestSummary>,
    pub costs: CostEstimate,
    pub notes: Vec<Advice>,
    /// The manifest file to upload (CSV manifests).
    #[serde(skip)]
    pub manifest_file: Option<WrittenManifest>,
}

/// The audit JSON's parts a manifest needs.
#[derive(serde::Deserialize)]
struct AuditFile {
    bucket: String,
    #[serde(default)]
    prefix: String,
    objects: Vec<AuditRow>,
}

/// Resolves an SSE-KMS key to its full ARN (UpdateObjectEncryption takes nothing else).
async fn key_arn(conn: &Connection, key: &str) -> Result<String> {
    if key.starts_with("arn:") && key.contains(":key/") {
        return Ok(key.to_owned());
    }
    let out = conn
        .kms()
        .describe_key()
        .key_id(key)
        .send()
        .await
        .map_err(|e| from_sdk("DescribeKey", e))?;
    out.key_metadata()
        .and_then(|m| m.arn())
        .map(str::to_owned)
        .ok_or_else(|| Error::KmsKey {
            key: Some(key.to_owned()),
            code: "NoArn".to_owned(),
            message: "KMS described the key without its ARN".to_owned(),
        })
}

/// Plans the job; nothing is written anywhere.
pub async fn plan_batch_job(
    conn: &Connection,
    request: &BatchRequest,
    progress: &Progress,
    cancel: &CancellationToken,
) -> Result<BatchPlan> {
    let account_id = account_id(conn, request.account_id.as_deref()).await?;
    if account_id.len() != 12 || !account_id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::InvalidInput(format!(
            "'{account_id}' is not an AWS account id (12 digits)"
        )));
    }
    if !request.role_arn.starts_with("arn:") || !request.role_arn.contains(":role/") {
        return Err(Error::InvalidInput(format!(
            "'{}' is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)",
            request.role_arn
        )));
    }
    let target = match &request.target {
        TargetRequest::SseS3 => BatchTarget::SseS3,
        TargetRequest::SseKms { key, bucket_key } => BatchTarget::SseKms {
            key_arn: key_arn(conn, key).await?,
            bucket_key: *bucket_key,
        },
    };
    let bucket = request.source.bucket.clone();
    let prefix = request.source.key.clone();
    let mut notes = Vec::new();
    let (operation, manifest, written) = match &request.objects {
        ObjectSource::Generator => {
            let encryption = request.selection.generator_encryption()?;
            let operation =
                BatchOperation::choose(&target, encryption.as_ref().map(std::slice::from_ref));
            let mut filter = GeneratorFilter {
                prefix: (!prefix.is_empty()).then(|| prefix.clone()),
                encryption,
                larger_than: request.selection.larger_than,
                smaller_than: request.selection.smaller_than,
                created_after: request.selection.created_after.clone(),
                created_before: request.selection.created_before.clone(),
            };
            if operation == BatchOperation::PutObjectCopy {
                let limit = MAX_BATCH_COPY + 1;
                filter.smaller_than = Some(filter.smaller_than.map_or(limit, |n| n.min(limit)));
                notes.push(Advice::new(
                    "S3 Batch Operations copies objects of up to 5 GiB: the job leaves larger ones out. Re-encrypt those with a local job (multipart copy).",
                    Some(Remedy::ReencryptExisting { bucket: bucket.clone() }),
                ));
            }
            if encryption.is_none() {
                notes.push(Advice::note(
                    "No encryption filter: the job takes every object under the prefix, including any already in the target encryption; objects with SSE-C fail (S3 Batch Operations cannot send their key).",
                ));
            }
            let output = S3Uri::new(&request.report.bucket, manifest_prefix(&request.report));
            (operation, ManifestSpec::Generator { filter, output }, None)
        }
        ObjectSource::Audit(_) | ObjectSource::AuditRows(_) => {
            let loaded;
            let objects = match &request.objects {
                ObjectSource::Audit(path) => {
                    loaded = read_audit(path, &request.source)?;
                    &loaded
                }
                ObjectSource::AuditRows(rows) => rows,
                _ => return Err(Error::Internal("not an audit source".to_owned())),
            };
            let rows: Vec<&AuditRow> = objects
                .iter()
                .filter(|r| r.key.starts_with(&prefix) && request.selection.keeps_audit_row(r))
                .collect();
            let modes: Vec<_> = rows.iter().filter_map(|r| r.mode).collect();
            let mut dedup = modes.clone();
            dedup.sort();
            dedup.dedup();
            dedup.retain(|m| {
                !matches!(
                    m,
                    crate::s3::EncryptionMode::SseC | crate::s3::EncryptionMode::Client
                )
            });
            let operation = BatchOperation::choose(&target, Some(&dedup));
            let mut writer = ManifestWriter::new(
                &bucket,
                target.clone(),
                request.selection.clone(),
                operation == BatchOperation::PutObjectCopy,
            )?;
            for row in rows {
                writer.offer_audit_row(row)?;
            }
            let written = writer.finish()?;
            (
                operation,
                csv_spec(&request.report, &written),
                Some(written),
            )
        }
        ObjectSource::Inventory(uri) => {
            let encryption = request.selection.generator_encryption()?;
            let operation =
                BatchOperation::choose(&target, encryption.as_ref().map(std::slice::from_ref));
            let inventory = read_manifest(conn, uri).await?;
            if inventory.source_bucket != bucket {
                return Err(Error::InvalidInput(format!(
                    "{uri} is an inventory of {}, not of {bucket}",
                    inventory.source_bucket
                )));
            }
            let writer = ManifestWriter::new(
                &bucket,
                target.clone(),
                request.selection.clone(),
                operation == BatchOperation::PutObjectCopy,
            )?;
            let writer = PrefixSink {
                prefix: prefix.clone(),
                writer,
            };
            let (sink, _) = stream_rows(conn, &inventory, writer, progress, cancel).await?;
            let written = sink.writer.finish()?;
            notes.push(Advice::note(format!(
                "Objects are taken from the inventory report of {}: objects written since are not in the job.",
                inventory.report_date.as_deref().unwrap_or("an unknown date")
            )));
            (
                operation,
                csv_spec(&request.report, &written),
                Some(written),
            )
        }
    };
    if let Some(w) = &written {
        if w.summary.objects == 0 {
            return Err(Error::InvalidInput(format!(
                "no object to re-encrypt under {} with these filters ({} left out)",
                request.source,
                w.summary.left_out.values().sum::<u64>()
            )));
        }
        if w.summary.too_large > 0 {
            notes.push(Advice::new(
                format!(
                    "{} object(s) over 5 GiB are left out (S3 Batch Operations copies up to 5 GiB): re-encrypt them with a local job (multipart copy).",
                    w.summary.too_large
                ),
                Some(Remedy::ReencryptExisting { bucket: bucket.clone() }),
            ));
        }
    }
    if operation == BatchOperation::UpdateObjectEncryption {
        notes.push(Advice::note(
            "UpdateObjectEncryption changes the encryption of each object in place: no data is copied, no version is created; ETag, checksum, storage class and dates stay. S3 refuses objects under Object Lock retention or legal hold (they fail in the report).",
        ));
    } else {
        notes.push(Advice::note(
            "Each object is copied onto itself with the new encryption (metadata kept): in a versioned bucket the old version keeps its old encryption.",
        ));
    }
    notes.push(Advice::note(
        "The job waits for confirmation once S3 has listed the objects: look at the count it found, then confirm it (or cancel it).",
    ));
    let spec = JobSpec {
        account_id,
        description: format!(
            "s3seal: {} s3://{}/{} to {}",
            match operation {
                BatchOperation::UpdateObjectEncryption => "update encryption of",
                BatchOperation::PutObjectCopy => "re-encrypt by copy",
            },
            bucket,
            prefix,
            target.state()
        )
        .chars()
        .take(256)
        .collect(),
        bucket,
        target,
        operation,
        manifest,
        report: request.report.clone(),
        role_arn: request.role_arn.clone(),
    };
    let create_job_input = spec.cli_input()?;
    let costs = estimate(&spec, written.as_ref().map(|w| w.summary.objects));
    Ok(BatchPlan {
        spec,
        create_job_input,
        manifest: written.as_ref().map(|w| w.summary.clone()),
        costs,
        notes,
        manifest_file: written,
    })
}

/// The rows of the audit JSON at `path`, which must be of `source`'s bucket and prefix.
fn read_audit(path: &std::path::Path, source: &S3Uri) -> Result<Vec<AuditRow>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io("read", path, e))?;
    let audit: AuditFile = serde_json::from_str(&text).map_err(|e| {
        Error::InvalidInput(format!(
            "{} is not the JSON of an s3seal audit ({e})",
            path.display()
        ))
    })?;
    let prefix = &source.key;
    if audit.bucket != source.bucket
        || !audit.prefix.starts_with(prefix.as_str()) && !prefix.starts_with(&audit.prefix)
    {
        return Err(Error::InvalidInput(format!(
            "{} is an audit of s3://{}/{}, not of {source}",
            path.display(),
            audit.bucket,
            audit.prefix,
        )));
    }
    Ok(audit.objects)
}

/// Keeps only the inventory rows under the job's prefix.
struct PrefixSink {
    prefix: String,
    writer: ManifestWriter,
}

impl crate::s3::inventory::RowSink for PrefixSink {
    fn row(&mut self, row: &crate::s3::inventory::InventoryRow<'_>) -> Result<()> {
        if row.key.starts_with(&self.prefix) {
            self.writer.row(row)?;
        }
        Ok(())
    }
}

/// `PREFIX/s3seal-manifests` of the report location.
fn manifest_prefix(report: &S3Uri) -> String {
    let base = report.key.trim_end_matches('/');
    if base.is_empty() {
        "s3seal-manifests".to_owned()
    } else {
        format!("{base}/s3seal-manifests")
    }
}

fn csv_spec(report: &S3Uri, written: &WrittenManifest) -> ManifestSpec {
    ManifestSpec::Csv {
        location: S3Uri::new(
            &report.bucket,
            format!("{}/{}.csv", manifest_prefix(report), &written.sha256[..32]),
        ),
        etag: written.md5.clone(),
        with_versions: written.with_versions,
    }
}

/// What sending the job gave.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Submitted {
    pub job_id: String,
    /// The token sent: the same job sent again gets the same id.
    pub client_request_token: String,
}

/// Uploads the CSV manifest (SSE-S3; S3 refuses SSE-KMS for manifests s3seal writes) and
/// sends CreateJob. A manifest whose upload gives another ETag than its MD5 is refused, so
/// the job sent is exactly the one planned.
pub async fn submit(conn: &Connection, plan: &BatchPlan) -> Result<Submitted> {
    if let (ManifestSpec::Csv { location, etag, .. }, Some(file)) =
        (&plan.spec.manifest, &plan.manifest_file)
    {
        let body = aws_sdk_s3::primitives::ByteStream::from_path(file.file.path())
            .await
            .map_err(|e| Error::Io {
                action: "read",
                path: file.file.path().to_path_buf(),
                source: std::io::Error::other(e),
            })?;
        let out = conn
            .s3()
            .put_object()
            .bucket(&location.bucket)
            .key(&location.key)
            .content_type("text/csv")
            .server_side_encryption(aws_sdk_s3::types::ServerSideEncryption::Aes256)
            .body(body)
            .send()
            .await
            .map_err(|e| from_sdk("PutObject (manifest)", e))?;
        let got = out.e_tag().unwrap_or_default().trim_matches('"');
        if !got.eq_ignore_ascii_case(etag) {
            return Err(Error::Conflict {
                what: format!(
                    "the manifest {location} (S3 gave it ETag {got}, not its MD5 {etag})"
                ),
            });
        }
    }
    super::jobs::create_job(conn, &plan.spec).await
}
