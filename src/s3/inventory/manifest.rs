//! An S3 Inventory report's `manifest.json`: the source bucket, the date, the format, the
//! schema and the data files (keys taken verbatim, never rebuilt), and where reports land
//! (`PREFIX/SOURCE-BUCKET/CONFIG-ID/YYYY-MM-DDTHH-MMZ/manifest.json`).

use serde::Deserialize;

use super::row::{Field, millis_to_rfc3339};
use crate::error::{Error, Result};
use crate::s3::S3Uri;

/// The format of the data files.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ReportFormat {
    /// CSV compressed with gzip (`.csv.gz`).
    Csv,
    /// Apache Parquet compressed with Snappy.
    Parquet,
    /// Apache ORC (not read by s3seal).
    Orc,
}

/// One data file of the report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataFile {
    pub key: String,
    pub size: u64,
    /// Hex MD5 of the file, as the manifest states it.
    pub md5: String,
}

/// A parsed `manifest.json`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InventoryManifest {
    /// Where the manifest was read from.
    pub location: S3Uri,
    /// The bucket the report lists.
    pub source_bucket: String,
    /// The bucket holding the data files (a name, from the manifest's ARN).
    pub destination_bucket: String,
    pub format: ReportFormat,
    /// CSV: the columns in order (`None` for a column s3seal does not read). Parquet: empty
    /// (the file's own schema names the columns).
    pub csv_columns: Vec<Option<Field>>,
    /// The manifest's `fileSchema` as written (column list, or Parquet message).
    pub file_schema: String,
    /// When S3 began the report, RFC 3339.
    pub report_date: Option<String>,
    pub files: Vec<DataFile>,
}

impl InventoryManifest {
    /// Whether the report has a column for `field`.
    pub fn has_field(&self, field: Field) -> bool {
        match self.format {
            ReportFormat::Csv => self.csv_columns.contains(&Some(field)),
            _ => self
                .file_schema
                .split_once('{')
                .map_or(self.file_schema.as_str(), |(_, fields)| fields)
                .split(';')
                .any(|decl| decl.split_whitespace().nth(2) == Some(field.column_name())),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Raw {
    source_bucket: String,
    destination_bucket: String,
    #[serde(default)]
    creation_timestamp: Option<serde_json::Value>,
    file_format: String,
    #[serde(default)]
    file_schema: String,
    files: Vec<RawFile>,
}

#[derive(Deserialize)]
struct RawFile {
    key: String,
    #[serde(default)]
    size: u64,
    #[serde(rename = "MD5checksum", default)]
    md5: String,
}

/// Parses `manifest.json` read from `location`.
pub fn parse_manifest(location: &S3Uri, text: &str) -> Result<InventoryManifest> {
    let raw: Raw = serde_json::from_str(text).map_err(|e| {
        Error::InvalidInput(format!(
            "{location} is not an S3 Inventory manifest.json ({e})"
        ))
    })?;
    let format = match raw.file_format.to_ascii_lowercase().as_str() {
        "csv" => ReportFormat::Csv,
        "parquet" => ReportFormat::Parquet,
        "orc" => ReportFormat::Orc,
        other => {
            return Err(Error::InvalidInput(format!(
                "{location}: unknown inventory file format '{other}' (expected CSV, Parquet or ORC)"
            )));
        }
    };
    let csv_columns = if format == ReportFormat::Csv {
        raw.file_schema
            .split(',')
            .map(|name| Field::from_name(name.trim()))
            .collect()
    } else {
        Vec::new()
    };
    if format == ReportFormat::Csv && !csv_columns.contains(&Some(Field::Key)) {
        return Err(Error::InvalidInput(format!(
            "{location}: the report's schema has no Key column ({})",
            raw.file_schema
        )));
    }
    let millis = raw.creation_timestamp.and_then(|v| match v {
        serde_json::Value::String(s) => s.trim().parse::<i64>().ok(),
        serde_json::Value::Number(n) => n.as_i64(),
        _ => None,
    });
    let report_date = millis
        .map(millis_to_rfc3339)
        .or_else(|| date_from_key(&location.key));
    let destination_bucket = raw
        .destination_bucket
        .strip_prefix("arn:aws:s3:::")
        .or_else(|| raw.destination_bucket.rsplit(":::").next())
        .unwrap_or(&raw.destination_bucket)
        .to_owned();
    Ok(InventoryManifest {
        location: location.clone(),
        source_bucket: raw.source_bucket,
        destination_bucket,
        format,
        csv_columns,
        file_schema: raw.file_schema,
        report_date,
        files: raw
            .files
            .into_iter()
            .map(|f| DataFile {
                key: f.key,
                size: f.size,
                md5: f.md5.trim().to_ascii_lowercase(),
            })
            .collect(),
    })
}

/// `2016-11-06T21:32:00Z` from a key holding the `2016-11-06T21-32Z/` folder of a report.
pub fn date_from_key(key: &str) -> Option<String> {
    key.split('/').rev().find_map(|part| {
        let b = part.as_bytes();
        let shaped = b.len() == 17
            && part.ends_with('Z')
            && b.get(10) == Some(&b'T')
            && b.get(13) == Some(&b'-')
            && part[..10].bytes().filter(|c| *c == b'-').count() == 2;
        shaped.then(|| format!("{}T{}:{}:00Z", &part[..10], &part[11..13], &part[14..16]))
    })
}

/// Where a configuration's reports land: `PREFIX/SOURCE/ID/` in the destination bucket.
pub fn reports_prefix(destination_prefix: Option<&str>, source_bucket: &str, id: &str) -> String {
    match destination_prefix
        .map(|p| p.trim_end_matches('/'))
        .filter(|p| !p.is_empty())
    {
        Some(prefix) => format!("{prefix}/{source_bucket}/{id}/"),
        None => format!("{source_bucket}/{id}/"),
    }
}

/// The newest report folder among `folders` (`…/YYYY-MM-DDTHH-MMZ/`): the timestamp sorts as
/// text. Folders of another shape (`hive/`, `data/`) are ignored.
pub fn newest_report_folder(folders: &[String]) -> Option<&String> {
    folders
        .iter()
        .filter(|f| date_from_key(f.trim_end_matches('/')).is_some())
        .max()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The User Guide's examples (see tests/inventory/*.source.txt).
    const CSV_MANIFEST: &str = include_str!("../../../tests/inventory/manifest-csv.json");
    const PARQUET_MANIFEST: &str = include_str!("../../../tests/inventory/manifest-parquet.json");

    #[test]
    fn reads_the_documented_manifest() {
        let at = S3Uri::new("dest", "inv/src/cfg/2016-11-06T21-32Z/manifest.json");
        let m = parse_manifest(&at, CSV_MANIFEST).unwrap();
        assert_eq!(m.format, ReportFormat::Csv);
        assert_eq!(m.source_bucket, "amzn-s3-demo-source-bucket");
        assert_eq!(m.destination_bucket, "example-inventory-destination-bucket");
        assert_eq!(m.csv_columns.len(), 20);
        assert_eq!(m.csv_columns[0], Some(Field::Bucket));
        assert_eq!(m.csv_columns[11], Some(Field::EncryptionStatus));
        assert_eq!(
            m.csv_columns[18], None,
            "ObjectAccessControlList is skipped"
        );
        assert_eq!(m.report_date.as_deref(), Some("2018-01-03T02:00:00Z"));
        assert_eq!(m.files.len(), 1);
        assert_eq!(m.files[0].md5, "f11166069f1990abeb9c97ace9cdfabc");
        assert!(m.has_field(Field::BucketKeyStatus));
        let parquet = parse_manifest(&at, PARQUET_MANIFEST).unwrap();
        assert_eq!(parquet.format, ReportFormat::Parquet);
        assert!(parquet.has_field(Field::Bucket));
        assert!(parquet.has_field(Field::EncryptionStatus));
        let narrow = PARQUET_MANIFEST.replace("optional binary bucket_key_status (UTF8); ", "");
        let narrow = parse_manifest(&at, &narrow).unwrap();
        assert!(!narrow.has_field(Field::BucketKeyStatus));
        assert!(narrow.has_field(Field::ObjectLockMode));
    }

    #[test]
    fn bad_manifests_say_why() {
        let at = S3Uri::new("b", "manifest.json");
        let err = parse_manifest(&at, "{}").unwrap_err().to_string();
        assert!(err.contains("not an S3 Inventory manifest"), "{err}");
        let no_key = r#"{"sourceBucket":"s","destinationBucket":"arn:aws:s3:::d","fileFormat":"CSV","fileSchema":"Bucket, Size","files":[]}"#;
        let err = parse_manifest(&at, no_key).unwrap_err().to_string();
        assert!(err.contains("no Key column"), "{err}");
    }

    #[test]
    fn report_folders() {
        assert_eq!(
            date_from_key("p/src/id/2016-11-06T21-32Z/manifest.json").as_deref(),
            Some("2016-11-06T21:32:00Z")
        );
        assert_eq!(
            date_from_key("p/src/id/hive/dt=2016-11-06-21-32/symlink.txt"),
            None
        );
        let folders = vec![
            "p/s/i/2026-01-02T00-00Z/".to_owned(),
            "p/s/i/hive/".to_owned(),
            "p/s/i/2026-01-10T00-00Z/".to_owned(),
            "p/s/i/data/".to_owned(),
        ];
        assert_eq!(
            newest_report_folder(&folders).map(String::as_str),
            Some("p/s/i/2026-01-10T00-00Z/")
        );
        assert_eq!(reports_prefix(Some("inv/"), "src", "cfg"), "inv/src/cfg/");
        assert_eq!(reports_prefix(None, "src", "cfg"), "src/cfg/");
    }
}
