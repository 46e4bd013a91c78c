//! Reading a Batch Operations completion report back: `PREFIX/job-ID/manifest.json` lists the
//! result CSVs (succeeded and failed tasks), each checked against its MD5 and read into the
//! per-object rows local jobs write ([`crate::jobs::report::ReportRow`]), so the audit view
//! shows either. Result columns are `Bucket, Key, VersionId, TaskStatus, ErrorCode,
//! HTTPStatusCode, ResultMessage` as documented — but S3's own examples put the HTTP status
//! before the error code, so those two are told apart by content.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::jobs::descriptor;
use crate::error::{Error, Result};
use crate::jobs::method::Method;
use crate::jobs::report::{
    EncryptionState, ReportFormat, ReportRow, ReportSummary, RowStatus, pretty_json, to_csv,
};
use crate::progress::CancellationToken;
use crate::remedy::Advice;
use crate::s3::inventory::row::decode_csv_key;
use crate::s3::report_files::{download_checked, get_text};
use crate::s3::{Connection, S3Uri};

/// Which report to read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReportSource {
    /// A job of this account: its report location and operation come from DescribeJob.
    Job { account_id: String, job_id: String },
    /// A report's `manifest.json`, read directly.
    Manifest(S3Uri),
}

/// A completion report read back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BatchReport {
    pub job_id: String,
    /// `S3UpdateObjectEncryption` / `S3PutObjectCopy`, when the job could be described.
    pub operation: Option<String>,
    /// The encryption the job applied, when known.
    pub target: Option<EncryptionState>,
    pub manifest: String,
    pub report_date: Option<String>,
    pub total: u64,
    /// `succeeded` and `failed` (S3's words), always both.
    pub by_status: BTreeMap<String, u64>,
    /// Failed tasks by S3's error code.
    pub by_error_code: BTreeMap<String, u64>,
    /// The same counts as a local job's report (`done`, `failed`, …).
    pub summary: ReportSummary,
    pub notes: Vec<Advice>,
    pub rows: Vec<ReportRow>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawManifest {
    #[serde(default)]
    report_creation_date: Option<String>,
    results: Vec<RawResult>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawResult {
    bucket: String,
    #[serde(rename = "MD5Checksum", default)]
    md5: String,
    key: String,
}

/// The job id in a report key (`…/job-ID/manifest.json`).
pub fn job_id_of(key: &str) -> Option<&str> {
    key.split('/')
        .rev()
        .find_map(|part| part.strip_prefix("job-"))
}

/// Reads the report `source` names.
pub async fn read_report(
    conn: &Connection,
    source: &ReportSource,
    cancel: &CancellationToken,
) -> Result<BatchReport> {
    let mut notes = Vec::new();
    let (manifest_uri, job_id, job) = match source {
        ReportSource::Job { account_id, job_id } => {
            let job = descriptor(conn, account_id, job_id).await?;
            let report = job.report().filter(|r| r.enabled()).ok_or_else(|| {
                Error::Unsupported(format!(
                    "Batch Operations job {job_id} writes no completion report"
                ))
            })?;
            let bucket = report.bucket().unwrap_or_default();
            let bucket = bucket.rsplit(":::").next().unwrap_or(bucket);
            let prefix = report
                .prefix()
                .map(|p| p.trim_end_matches('/'))
                .unwrap_or("");
            let key = if prefix.is_empty() {
                format!("job-{job_id}/manifest.json")
            } else {
                format!("{prefix}/job-{job_id}/manifest.json")
            };
            (S3Uri::new(bucket, key), job_id.clone(), Some(job))
        }
        ReportSource::Manifest(uri) => {
            let id = job_id_of(&uri.key).unwrap_or_default().to_owned();
            (uri.clone(), id, None)
        }
    };
    let (operation, target) = match &job {
        Some(job) => operation_and_target(job),
        None => (None, None),
    };
    if operation.is_none() {
        notes.push(Advice::note(
            "The job was not described, so its operation is not known: the rows' method says copy and their encryption after is left empty.",
        ));
    }
    let method = match operation.as_deref() {
        Some("S3UpdateObjectEncryption") => Method::UpdateObjectEncryption,
        _ => Method::Copy,
    };
    let text = get_text(conn, &manifest_uri).await?;
    let manifest = parse_report_manifest(&manifest_uri, &text)?;
    let mut rows = Vec::new();
    let mut by_error_code = BTreeMap::new();
    for (uri, md5) in &manifest.results {
        let (file, _) = download_checked(conn, uri, Some(md5), cancel).await?;
        let csv = std::fs::File::open(file.path())
            .map_err(|e| Error::io("cannot read", file.path(), e))?;
        let mut found = read_result_rows(csv, uri, method, target.as_ref())?;
        for row in &found {
            if row.status == RowStatus::Failed {
                let code = row
                    .message
                    .as_deref()
                    .and_then(|m| m.split(' ').next())
                    .unwrap_or("?")
                    .to_owned();
                *by_error_code.entry(code).or_insert(0) += 1;
            }
        }
        rows.append(&mut found);
    }
    let summary = ReportSummary::of(&rows);
    let by_status = BTreeMap::from([
        ("succeeded".to_owned(), summary.count(RowStatus::Done)),
        ("failed".to_owned(), summary.count(RowStatus::Failed)),
    ]);
    Ok(BatchReport {
        job_id,
        operation,
        target,
        manifest: manifest_uri.to_string(),
        report_date: manifest.report_date,
        total: rows.len() as u64,
        by_status,
        by_error_code,
        summary,
        notes,
        rows,
    })
}

/// A completion report read back, as a file: its rows as CSV (the columns of a local job's
/// report), or the whole report as pretty JSON (what `batch report --json` prints).
pub fn render_report(report: &BatchReport, format: ReportFormat) -> Result<String> {
    match format {
        ReportFormat::Csv => Ok(to_csv(&report.rows)),
        ReportFormat::Json => pretty_json(report),
    }
}

/// A completion report's `manifest.json`: when it was written, and its result files, each
/// with the MD5 it must have.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportManifest {
    pub report_date: Option<String>,
    pub results: Vec<(S3Uri, String)>,
}

/// Reads the completion report manifest `text` found at `uri`.
pub fn parse_report_manifest(uri: &S3Uri, text: &str) -> Result<ReportManifest> {
    let raw: RawManifest = serde_json::from_str(text).map_err(|e| {
        Error::InvalidInput(format!(
            "{uri} is not a Batch Operations completion report manifest ({e})"
        ))
    })?;
    Ok(ReportManifest {
        report_date: raw.report_creation_date,
        results: raw
            .results
            .into_iter()
            .map(|r| (S3Uri::new(r.bucket, r.key), r.md5))
            .collect(),
    })
}

/// The rows of one result CSV (headerless), read from `csv` (the file of `uri`, named in
/// errors), for a job of `method` that applied `target`.
pub fn read_result_rows(
    csv: impl std::io::Read,
    uri: &S3Uri,
    method: Method,
    target: Option<&EncryptionState>,
) -> Result<Vec<ReportRow>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(csv);
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| bad(uri, e))?;
        let row = parse_row(&record, method, target).ok_or_else(|| {
            bad(
                uri,
                format!(
                    "line {:?} has too few columns",
                    record.position().map(|p| p.line())
                ),
            )
        })?;
        rows.push(row);
    }
    Ok(rows)
}

fn bad(uri: &S3Uri, e: impl std::fmt::Display) -> Error {
    Error::InvalidInput(format!(
        "{uri} is not a readable completion report file: {e}"
    ))
}

fn operation_and_target(
    job: &aws_sdk_s3control::types::JobDescriptor,
) -> (Option<String>, Option<EncryptionState>) {
    let Some(op) = job.operation() else {
        return (None, None);
    };
    if let Some(uoe) = op.s3_update_object_encryption() {
        let kms = uoe.object_encryption().and_then(|e| e.ssekms());
        let target = kms.map(|k| {
            EncryptionState::sse_kms(
                Some(k.kms_key_arn().to_owned()),
                k.bucket_key_enabled().unwrap_or(false),
            )
        });
        return (Some("S3UpdateObjectEncryption".to_owned()), target);
    }
    if let Some(copy) = op.s3_put_object_copy() {
        use aws_sdk_s3control::types::S3SseAlgorithm;
        let algorithm = copy.new_object_metadata().and_then(|m| m.sse_algorithm());
        let target = match algorithm {
            Some(S3SseAlgorithm::Kms) => Some(EncryptionState::sse_kms(
                copy.sse_aws_kms_key_id().map(str::to_owned),
                copy.bucket_key_enabled(),
            )),
            Some(S3SseAlgorithm::Aes256) => {
                Some(EncryptionState::mode(crate::s3::EncryptionMode::SseS3))
            }
            _ => None,
        };
        return (Some("S3PutObjectCopy".to_owned()), target);
    }
    (None, None)
}

/// One result line. `None` when it has too few columns.
fn parse_row(
    record: &csv::StringRecord,
    method: Method,
    target: Option<&EncryptionState>,
) -> Option<ReportRow> {
    let bucket = record.get(0)?;
    let raw_key = record.get(1)?;
    let key = decode_csv_key(raw_key).map_or_else(|| raw_key.to_owned(), |k| k.into_owned());
    let version = record.get(2).filter(|v| !v.is_empty()).map(str::to_owned);
    let status = record.get(3)?;
    let (a, b) = (record.get(4).unwrap_or(""), record.get(5).unwrap_or(""));
    // The HTTP status is the all-digit one of the two.
    let (code, http) = if !a.is_empty() && a.bytes().all(|c| c.is_ascii_digit()) {
        (b, a)
    } else {
        (a, b)
    };
    let message = record.get(6).unwrap_or("");
    let succeeded = status.eq_ignore_ascii_case("succeeded");
    Some(ReportRow {
        bucket: bucket.to_owned(),
        key,
        version_id: version,
        size: None,
        before: None,
        after: if succeeded { target.cloned() } else { None },
        method,
        status: if succeeded {
            RowStatus::Done
        } else {
            RowStatus::Failed
        },
        message: (!succeeded).then(|| {
            let code = if code.is_empty() { "?" } else { code };
            format!("{code} (HTTP {http}): {message}")
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_column_orders_and_encoded_keys() {
        let record = |line: &str| {
            csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(line.as_bytes())
                .records()
                .next()
                .unwrap()
                .unwrap()
        };
        let target = EncryptionState::sse_kms(Some("arn:k".into()), true);
        let ok = parse_row(
            &record("b,a%20b%2Bc.txt,,succeeded,200,,Successful"),
            Method::Copy,
            Some(&target),
        )
        .unwrap();
        assert_eq!(ok.key, "a b+c.txt");
        assert_eq!(ok.status, RowStatus::Done);
        assert_eq!(ok.after, Some(target.clone()));
        assert_eq!(ok.message, None);
        // As S3's examples write it: HTTP status before the error code.
        let failed = parse_row(
            &record("b,k,v1,failed,403,AccessDenied,\"Access Denied, object locked\""),
            Method::UpdateObjectEncryption,
            Some(&target),
        )
        .unwrap();
        assert_eq!(failed.status, RowStatus::Failed);
        assert_eq!(failed.version_id.as_deref(), Some("v1"));
        assert_eq!(failed.after, None);
        assert_eq!(
            failed.message.as_deref(),
            Some("AccessDenied (HTTP 403): Access Denied, object locked")
        );
        // As the schema documents it: error code first.
        let doc = parse_row(
            &record("b,k,,failed,PermanentFailure,500,x"),
            Method::Copy,
            None,
        )
        .unwrap();
        assert_eq!(
            doc.message.as_deref(),
            Some("PermanentFailure (HTTP 500): x")
        );
        assert!(parse_row(&record("b,k"), Method::Copy, None).is_none());
        assert_eq!(job_id_of("r/job-abc-123/manifest.json"), Some("abc-123"));
    }
}
