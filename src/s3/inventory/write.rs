//! Writing inventory reports the way S3 does — CSV (every field quoted, keys URL-encoded with
//! `+` for a space, no header, gzip) or Parquet (Snappy, the documented schema), and the
//! `manifest.json` that lists them — so the readers can be tested on reports of any size without
//! an AWS account. Rows come from an iterator and are written as they come.

use std::io::Write;
use std::sync::Arc;

use md5::{Digest as _, Md5};

use super::row::EncryptionStatus;
use crate::error::{Error, Result};

/// One object as a report lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportObject {
    pub key: String,
    pub size: u64,
    /// Milliseconds since the epoch.
    pub last_modified: i64,
    pub storage_class: &'static str,
    pub encryption: EncryptionStatus,
    pub bucket_key: Option<bool>,
    /// `GOVERNANCE` / `COMPLIANCE`.
    pub lock_mode: Option<&'static str>,
}

/// The CSV columns written, as the manifest's `fileSchema` names them.
pub const CSV_SCHEMA: &str = "Bucket, Key, Size, LastModifiedDate, StorageClass, EncryptionStatus, BucketKeyStatus, ObjectLockMode, ObjectOwner";

/// The Parquet schema written (the documented names and types; `object_owner` stands for a
/// column s3seal does not read).
pub const PARQUET_SCHEMA: &str = "message s3.inventory { required binary bucket (UTF8); required binary key (UTF8); optional int64 size; optional int64 last_modified_date (TIMESTAMP_MILLIS); optional binary storage_class (UTF8); optional binary encryption_status (UTF8); optional binary bucket_key_status (UTF8); optional binary object_lock_mode (UTF8); optional binary object_owner (UTF8); }";

fn failed(what: impl std::fmt::Display) -> Error {
    Error::Internal(format!("cannot write the inventory report: {what}"))
}

/// A key as CSV reports write it: URL-encoded, `+` for a space, `/` kept.
pub fn encode_csv_key(key: &str) -> String {
    const KEEP: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'/')
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~')
        .remove(b' ');
    percent_encoding::utf8_percent_encode(key, KEEP)
        .to_string()
        .replace(' ', "+")
}

fn bucket_key_text(b: Option<bool>) -> &'static str {
    match b {
        Some(true) => "ENABLED",
        Some(false) => "DISABLED",
        None => "",
    }
}

/// Writes `objects` of `bucket` as gzip-compressed CSV ([`CSV_SCHEMA`]) to `out`.
pub fn write_csv_gz(
    bucket: &str,
    objects: impl Iterator<Item = ReportObject>,
    out: impl Write,
) -> Result<()> {
    let mut gz = flate2::write::GzEncoder::new(
        std::io::BufWriter::with_capacity(256 * 1024, out),
        flate2::Compression::fast(),
    );
    for o in objects {
        writeln!(
            gz,
            "\"{bucket}\",\"{}\",\"{}\",\"{}\",\"{}\",\"{}\",\"{}\",\"{}\",\"\"",
            encode_csv_key(&o.key),
            o.size,
            super::row::millis_to_rfc3339(o.last_modified),
            o.storage_class,
            o.encryption.as_str(),
            bucket_key_text(o.bucket_key),
            o.lock_mode.unwrap_or_default(),
        )
        .map_err(failed)?;
    }
    gz.finish().map_err(failed)?.flush().map_err(failed)
}

/// Writes `objects` of `bucket` as Parquet ([`PARQUET_SCHEMA`]), `group` rows per row group.
pub fn write_parquet(
    bucket: &str,
    objects: impl Iterator<Item = ReportObject>,
    group: usize,
    out: impl Write + Send,
) -> Result<()> {
    use parquet::basic::Compression;
    use parquet::data_type::{ByteArray, ByteArrayType, Int64Type};
    use parquet::file::properties::WriterProperties;
    use parquet::file::writer::SerializedFileWriter;
    use parquet::schema::parser::parse_message_type;

    let schema = Arc::new(parse_message_type(PARQUET_SCHEMA).map_err(failed)?);
    let props = Arc::new(
        WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .build(),
    );
    let mut writer = SerializedFileWriter::new(out, schema.clone(), props).map_err(failed)?;
    let mut objects = objects.peekable();
    let mut chunk = Vec::with_capacity(group);
    while objects.peek().is_some() {
        chunk.clear();
        chunk.extend(objects.by_ref().take(group.max(1)));
        let mut rg = writer.next_row_group().map_err(failed)?;
        let present = vec![1i16; chunk.len()];
        let mut column = 0;
        while let Some(mut col) = rg.next_column().map_err(failed)? {
            let name = schema
                .get_fields()
                .get(column)
                .map(|f| f.name().to_owned())
                .unwrap_or_default();
            let strings = |f: &dyn Fn(&ReportObject) -> &str| {
                let values: Vec<ByteArray> = chunk
                    .iter()
                    .map(f)
                    .filter(|s| !s.is_empty())
                    .map(ByteArray::from)
                    .collect();
                let levels: Vec<i16> = chunk.iter().map(|o| i16::from(!f(o).is_empty())).collect();
                (values, levels)
            };
            let written = match name.as_str() {
                "bucket" => {
                    let values = vec![ByteArray::from(bucket); chunk.len()];
                    col.typed::<ByteArrayType>()
                        .write_batch(&values, None, None)
                }
                "key" => {
                    let values: Vec<ByteArray> = chunk
                        .iter()
                        .map(|o| ByteArray::from(o.key.as_str()))
                        .collect();
                    col.typed::<ByteArrayType>()
                        .write_batch(&values, None, None)
                }
                "size" | "last_modified_date" => {
                    let values: Vec<i64> = chunk
                        .iter()
                        .map(|o| {
                            if name == "size" {
                                i64::try_from(o.size).unwrap_or(i64::MAX)
                            } else {
                                o.last_modified
                            }
                        })
                        .collect();
                    col.typed::<Int64Type>()
                        .write_batch(&values, Some(&present), None)
                }
                other => {
                    let (values, levels) = strings(&|o| match other {
                        "storage_class" => o.storage_class,
                        "encryption_status" => o.encryption.as_str(),
                        "bucket_key_status" => bucket_key_text(o.bucket_key),
                        "object_lock_mode" => o.lock_mode.unwrap_or_default(),
                        _ => "",
                    });
                    col.typed::<ByteArrayType>()
                        .write_batch(&values, Some(&levels), None)
                }
            };
            written.map_err(failed)?;
            col.close().map_err(failed)?;
            column += 1;
        }
        rg.close().map_err(failed)?;
    }
    writer.close().map_err(failed)?;
    Ok(())
}

/// The `manifest.json` listing `files` (their MD5s computed here), in the documented shape.
pub fn manifest_json(
    source_bucket: &str,
    destination_bucket: &str,
    format: super::ReportFormat,
    creation_millis: i64,
    files: &[(String, u64, [u8; 16])],
) -> String {
    let (name, schema) = match format {
        super::ReportFormat::Parquet => ("Parquet", PARQUET_SCHEMA),
        super::ReportFormat::Orc => ("ORC", ""),
        super::ReportFormat::Csv => ("CSV", CSV_SCHEMA),
    };
    serde_json::json!({
        "sourceBucket": source_bucket,
        "destinationBucket": format!("arn:aws:s3:::{destination_bucket}"),
        "version": "2016-11-30",
        "creationTimestamp": creation_millis.to_string(),
        "fileFormat": name,
        "fileSchema": schema,
        "files": files.iter().map(|(key, size, md5)| serde_json::json!({
            "key": key, "size": size, "MD5checksum": hex::encode(md5)
        })).collect::<Vec<_>>(),
    })
    .to_string()
}

/// MD5 of `bytes`, as a manifest states it.
pub fn md5_of(bytes: &[u8]) -> [u8; 16] {
    Md5::digest(bytes).into()
}

/// `n` objects in every encryption status, some keys with spaces, `+`, commas, quotes and
/// non-ASCII letters; object `i` is the same whatever `n` (for reports of any size).
pub fn sample_objects(n: u64) -> impl Iterator<Item = ReportObject> {
    const STATUSES: [EncryptionStatus; 5] = [
        EncryptionStatus::SseS3,
        EncryptionStatus::SseKms,
        EncryptionStatus::NotSse,
        EncryptionStatus::DsseKms,
        EncryptionStatus::SseC,
    ];
    (0..n).map(|i| {
        let slot = usize::try_from(i % 5).unwrap_or(0);
        ReportObject {
            key: if i % 7 == 0 {
                format!("dir é/a b+c,\"{i}\".txt")
            } else {
                format!("dir/{i:08}")
            },
            size: i,
            last_modified: 1_700_000_000_000 + i64::try_from(i).unwrap_or(0),
            storage_class: if i % 3 == 0 {
                "STANDARD_IA"
            } else {
                "STANDARD"
            },
            encryption: STATUSES[slot],
            bucket_key: (slot == 1).then_some(i % 2 == 0),
            lock_mode: (i % 11 == 0).then_some("COMPLIANCE"),
        }
    })
}
