//! A re-encryption report: one row per object (bucket, key, version, encryption before and
//! after, method, status, message) and a summary, as CSV or JSON. Local jobs write it; S3 Batch
//! Operations completion reports are read into the same rows, so the audit view shows either.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::method::Method;
use crate::csv::push_record;
use crate::error::{Error, Result};
use crate::remedy::Advice;
use crate::s3::EncryptionMode;

/// What an object is (or will be) encrypted with, as far as it is known.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct EncryptionState {
    pub mode: EncryptionMode,
    /// SSE-KMS / DSSE-KMS: the KMS key (id, alias or ARN as S3 reports it); client-side: the
    /// KMS key that wraps the data key, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<String>,
    /// SSE-KMS with an S3 Bucket Key.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub bucket_key: bool,
    /// SSE-C or client-side with a local key: its name; `None` when no local key is known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_name: Option<String>,
}

impl EncryptionState {
    /// A mode with nothing more known.
    pub fn mode(mode: EncryptionMode) -> Self {
        Self {
            mode,
            kms_key_id: None,
            bucket_key: false,
            key_name: None,
        }
    }

    /// SSE-KMS under `key` (`None`: the AWS managed key), with or without a Bucket Key.
    pub fn sse_kms(key: Option<String>, bucket_key: bool) -> Self {
        Self {
            kms_key_id: key,
            bucket_key,
            ..Self::mode(EncryptionMode::SseKms)
        }
    }
}

/// `none`, `sse-s3`, `sse-kms:KEY+bucket-key`, `dsse-kms:KEY`, `sse-c:NAME`, `client:NAME`,
/// `client:kms:KEY` — the audit's key labels, so a report cell reads like the audit.
impl fmt::Display for EncryptionState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.mode.as_str())?;
        match (self.mode, &self.kms_key_id, &self.key_name) {
            (EncryptionMode::Client, Some(kms), _) => write!(f, ":kms:{kms}")?,
            (EncryptionMode::SseKms | EncryptionMode::DsseKms, Some(kms), _) => {
                write!(f, ":{kms}")?;
            }
            (EncryptionMode::SseC | EncryptionMode::Client, _, Some(name)) => {
                write!(f, ":{name}")?;
            }
            _ => {}
        }
        if self.bucket_key {
            f.write_str(BUCKET_KEY_SUFFIX)?;
        }
        Ok(())
    }
}

const BUCKET_KEY_SUFFIX: &str = "+bucket-key";

impl FromStr for EncryptionState {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let bad = || Error::InvalidInput(format!("'{s}' is not an encryption label"));
        let (body, bucket_key) = match s.strip_suffix(BUCKET_KEY_SUFFIX) {
            Some(body) => (body, true),
            None => (s, false),
        };
        let (mode, rest) = match body.split_once(':') {
            Some((mode, rest)) if !rest.is_empty() => (mode, Some(rest)),
            Some(_) => return Err(bad()),
            None => (body, None),
        };
        let mode = EncryptionMode::from_name(mode).ok_or_else(bad)?;
        let mut state = Self {
            bucket_key,
            ..Self::mode(mode)
        };
        match (mode, rest) {
            (_, None) => {}
            (EncryptionMode::SseKms | EncryptionMode::DsseKms, Some(key)) => {
                state.kms_key_id = Some(key.to_owned());
            }
            (EncryptionMode::Client, Some(rest)) => match rest.strip_prefix("kms:") {
                Some(key) if !key.is_empty() => state.kms_key_id = Some(key.to_owned()),
                Some(_) => return Err(bad()),
                None => state.key_name = Some(rest.to_owned()),
            },
            (EncryptionMode::SseC, Some(name)) => state.key_name = Some(name.to_owned()),
            _ => return Err(bad()),
        }
        if bucket_key && mode != EncryptionMode::SseKms {
            return Err(bad());
        }
        Ok(state)
    }
}

/// What happened to one object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RowStatus {
    /// Now in the target encryption.
    Done,
    /// Left as it was, on purpose (the message says why).
    Skipped,
    /// The change was refused or could not be made (the message says what went wrong).
    Failed,
    /// The object was replaced by someone else after it was planned; it was not overwritten.
    Changed,
    /// Not processed yet (a dry run, or a job that was interrupted or cancelled).
    Pending,
}

impl RowStatus {
    /// The four outcomes a finished job reports, in order (pending is not an outcome).
    pub const OUTCOMES: [Self; 4] = [Self::Done, Self::Skipped, Self::Failed, Self::Changed];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Done => "done",
            Self::Skipped => "skipped",
            Self::Failed => "failed",
            Self::Changed => "changed",
            Self::Pending => "pending",
        }
    }
}

impl fmt::Display for RowStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One object in a report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportRow {
    pub bucket: String,
    pub key: String,
    /// The version the row is about (`None`: unversioned bucket, or not reported).
    pub version_id: Option<String>,
    /// Size in bytes, when known (S3 Batch Operations reports do not carry it).
    #[serde(default)]
    pub size: Option<u64>,
    /// The encryption it had when planned, when known.
    pub before: Option<EncryptionState>,
    /// The encryption it has now, when known (skipped and failed rows keep `before`).
    pub after: Option<EncryptionState>,
    pub method: Method,
    pub status: RowStatus,
    /// Why it was skipped, what went wrong, or what else happened (a replaced version deleted).
    #[serde(default)]
    pub message: Option<String>,
}

/// Counts over a report's rows.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ReportSummary {
    pub total: u64,
    pub bytes: u64,
    /// Every outcome, zeros included (`pending` only when some row is pending).
    pub by_status: BTreeMap<RowStatus, u64>,
    /// Every method, zeros included.
    pub by_method: BTreeMap<Method, u64>,
}

impl ReportSummary {
    /// Counts `rows`.
    pub fn of(rows: &[ReportRow]) -> Self {
        let mut summary = Self {
            by_status: RowStatus::OUTCOMES.iter().map(|s| (*s, 0)).collect(),
            by_method: Method::ALL.iter().map(|m| (*m, 0)).collect(),
            ..Self::default()
        };
        for row in rows {
            summary.total += 1;
            summary.bytes += row.size.unwrap_or(0);
            *summary.by_status.entry(row.status).or_insert(0) += 1;
            *summary.by_method.entry(row.method).or_insert(0) += 1;
        }
        summary
    }

    /// How many rows have `status`.
    pub fn count(&self, status: RowStatus) -> u64 {
        self.by_status.get(&status).copied().unwrap_or(0)
    }
}

/// A whole report: where, what to, notes that apply to every row, the counts and the rows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The local job id, or the S3 Batch Operations job id.
    pub job_id: String,
    pub bucket: String,
    pub prefix: String,
    pub target: EncryptionState,
    /// Things the reader should know about the whole job (e.g. why copies were used instead of
    /// UpdateObjectEncryption).
    pub notes: Vec<Advice>,
    pub summary: ReportSummary,
    pub rows: Vec<ReportRow>,
}

/// The CSV header of [`to_csv`].
pub const CSV_COLUMNS: [&str; 9] = [
    "bucket",
    "key",
    "version_id",
    "size",
    "before",
    "after",
    "method",
    "status",
    "message",
];

/// The rows as CSV (RFC 4180, formula cells guarded; see [`crate::csv`]).
pub fn to_csv(rows: &[ReportRow]) -> String {
    let mut out = String::new();
    push_record(&mut out, &CSV_COLUMNS);
    let label = |s: &Option<EncryptionState>| s.as_ref().map(ToString::to_string);
    for row in rows {
        push_record(
            &mut out,
            &[
                row.bucket.clone(),
                row.key.clone(),
                row.version_id.clone().unwrap_or_default(),
                row.size.map(|s| s.to_string()).unwrap_or_default(),
                label(&row.before).unwrap_or_default(),
                label(&row.after).unwrap_or_default(),
                row.method.to_string(),
                row.status.to_string(),
                row.message.clone().unwrap_or_default(),
            ],
        );
    }
    out
}

/// The format a report file is written in, from its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportFormat {
    Csv,
    Json,
}

impl ReportFormat {
    /// `.csv` or `.json` (any case); anything else is refused.
    pub fn of_path(path: &Path) -> Result<Self> {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("csv") => Ok(Self::Csv),
            Some("json") => Ok(Self::Json),
            _ => Err(Error::InvalidInput(format!(
                "a report file is written as CSV or JSON: name it FILE.csv or FILE.json, not {}",
                path.display()
            ))),
        }
    }
}

/// The report in `format`: CSV rows, or the whole report as pretty JSON.
pub fn render(report: &Report, format: ReportFormat) -> Result<String> {
    match format {
        ReportFormat::Csv => Ok(to_csv(&report.rows)),
        ReportFormat::Json => pretty_json(report),
    }
}

/// A report as a JSON file holds it: pretty, ending in a newline.
pub fn pretty_json<T: Serialize>(report: &T) -> Result<String> {
    serde_json::to_string_pretty(report)
        .map(|mut text| {
            text.push('\n');
            text
        })
        .map_err(|e| Error::Internal(format!("cannot encode the report as JSON: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(status: RowStatus, method: Method) -> ReportRow {
        ReportRow {
            bucket: "b".into(),
            key: "k".into(),
            version_id: None,
            size: Some(10),
            before: Some(EncryptionState::mode(EncryptionMode::SseS3)),
            after: Some(EncryptionState::sse_kms(
                Some("arn:aws:kms:r:1:key/abc".into()),
                true,
            )),
            method,
            status,
            message: None,
        }
    }

    #[test]
    fn labels_round_trip() {
        for label in [
            "none",
            "sse-s3",
            "sse-kms",
            "sse-kms+bucket-key",
            "sse-kms:arn:aws:kms:us-east-1:111122223333:key/0a1b+bucket-key",
            "sse-kms:alias/app",
            "dsse-kms:abc",
            "sse-c",
            "sse-c:old key",
            "client:mine",
            "client:kms:arn:aws:kms:us-east-1:1:key/x",
            "client",
        ] {
            let state: EncryptionState = label.parse().unwrap();
            assert_eq!(state.to_string(), label);
        }
        let arn: EncryptionState = "sse-kms:arn:aws:kms:r:1:key/k".parse().unwrap();
        assert_eq!(arn.kms_key_id.as_deref(), Some("arn:aws:kms:r:1:key/k"));
        for bad in [
            "rot13",
            "sse-s3+bucket-key",
            "sse-kms:",
            "none:x",
            "client:kms:",
        ] {
            assert!(bad.parse::<EncryptionState>().is_err(), "{bad}");
        }
    }

    #[test]
    fn summary_counts_every_outcome_and_method() {
        let rows = [
            row(RowStatus::Done, Method::UpdateObjectEncryption),
            row(RowStatus::Done, Method::Copy),
            row(RowStatus::Changed, Method::Copy),
        ];
        let summary = ReportSummary::of(&rows);
        assert_eq!(summary.total, 3);
        assert_eq!(summary.bytes, 30);
        assert_eq!(summary.count(RowStatus::Done), 2);
        assert_eq!(summary.count(RowStatus::Failed), 0);
        assert_eq!(summary.by_method[&Method::Copy], 2);
        assert_eq!(summary.by_method[&Method::Rewrap], 0);
        assert!(!summary.by_status.contains_key(&RowStatus::Pending));
        let json = serde_json::to_value(&summary).unwrap();
        assert_eq!(json["by_status"]["changed"], 1);
        assert_eq!(json["by_method"]["update-object-encryption"], 1);
        assert_eq!(json["by_method"]["multipart-copy"], 0);
    }

    #[test]
    fn csv_has_one_line_per_row_and_labels() {
        let mut r = row(RowStatus::Skipped, Method::Skip);
        r.key = "=cmd".into();
        r.message = Some("already SSE-KMS, with a comma".into());
        let csv = to_csv(&[r]);
        let lines: Vec<&str> = csv.split("\r\n").collect();
        assert_eq!(lines[0], CSV_COLUMNS.join(","));
        assert_eq!(
            lines[1],
            "b,'=cmd,,10,sse-s3,sse-kms:arn:aws:kms:r:1:key/abc+bucket-key,skip,skipped,\"already SSE-KMS, with a comma\""
        );
    }

    #[test]
    fn json_rows_read_back() {
        let r = row(RowStatus::Done, Method::MultipartCopy);
        let text = serde_json::to_string(&r).unwrap();
        assert!(text.contains("\"status\":\"done\""), "{text}");
        assert!(text.contains("\"method\":\"multipart-copy\""), "{text}");
        let back: ReportRow = serde_json::from_str(&text).unwrap();
        assert_eq!(back, r);
    }

    #[test]
    fn formats_follow_the_file_name() {
        assert_eq!(
            ReportFormat::of_path(Path::new("r.CSV")).unwrap(),
            ReportFormat::Csv
        );
        assert_eq!(
            ReportFormat::of_path(Path::new("a/r.json")).unwrap(),
            ReportFormat::Json
        );
        let err = ReportFormat::of_path(Path::new("r.txt"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("FILE.csv or FILE.json"), "{err}");
    }
}
