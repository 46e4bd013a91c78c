//! Reading one data file of an inventory report, row by row, with memory that does not grow
//! with the file: CSV through a gzip stream (every gzip member, as S3 may write several),
//! Parquet one row group at a time with only the columns s3seal reads. Each row is handed to a
//! visitor and dropped; nothing is collected.

use std::borrow::Cow;
use std::io::BufReader;
use std::path::Path;
use std::sync::Arc;

use super::row::{Field, InventoryRow, Timestamp, decode_csv_key, parse_bool, parse_on_off};
use crate::error::{Error, Result};

/// What a visitor does with each row; an error stops the reading.
pub type Visit<'v> = dyn FnMut(&InventoryRow<'_>) -> Result<()> + 'v;

fn bad(path: &Path, what: impl std::fmt::Display) -> Error {
    Error::InvalidInput(format!(
        "inventory file {} cannot be read: {what}",
        path.display()
    ))
}

/// Reads a `.csv.gz` file whose columns are `columns` (from the manifest's `fileSchema`; no
/// header row). Returns the number of rows.
pub fn read_csv_gz(path: &Path, columns: &[Option<Field>], visit: &mut Visit<'_>) -> Result<u64> {
    let file = std::fs::File::open(path).map_err(|e| Error::io("open", path, e))?;
    let gz = flate2::read::MultiGzDecoder::new(BufReader::with_capacity(256 * 1024, file));
    read_csv(gz, path, columns, visit)
}

/// Reads headerless inventory CSV from `input` (already decompressed).
pub fn read_csv(
    input: impl std::io::Read,
    path: &Path,
    columns: &[Option<Field>],
    visit: &mut Visit<'_>,
) -> Result<u64> {
    let mut index = [None; Field::ALL.len()];
    for (i, column) in columns.iter().enumerate() {
        if let Some(field) = column {
            index[*field as usize] = Some(i);
        }
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .buffer_capacity(256 * 1024)
        .from_reader(input);
    let mut record = csv::ByteRecord::new();
    let mut rows = 0u64;
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(bad(path, e)),
        }
        let line = rows + 1;
        let get = |field: Field| -> Result<Option<&str>> {
            let Some(i) = index[field as usize] else {
                return Ok(None);
            };
            match record.get(i) {
                None | Some(b"") => Ok(None),
                Some(bytes) => std::str::from_utf8(bytes)
                    .map(Some)
                    .map_err(|_| bad(path, format!("row {line} is not UTF-8"))),
            }
        };
        let raw_key =
            get(Field::Key)?.ok_or_else(|| bad(path, format!("row {line} has no key")))?;
        let key = decode_csv_key(raw_key).ok_or_else(|| {
            bad(
                path,
                format!("row {line}: key '{raw_key}' does not URL-decode to UTF-8"),
            )
        })?;
        let row = InventoryRow {
            bucket: get(Field::Bucket)?.unwrap_or_default(),
            key,
            version_id: get(Field::VersionId)?,
            is_latest: get(Field::IsLatest)?.and_then(parse_bool),
            is_delete_marker: get(Field::IsDeleteMarker)?
                .and_then(parse_bool)
                .unwrap_or(false),
            size: get(Field::Size)?.and_then(|s| s.parse().ok()),
            last_modified: get(Field::LastModifiedDate)?.map(Timestamp::Text),
            storage_class: get(Field::StorageClass)?,
            encryption_status: get(Field::EncryptionStatus)?,
            bucket_key: get(Field::BucketKeyStatus)?.and_then(parse_on_off),
            object_lock_mode: get(Field::ObjectLockMode)?,
            legal_hold: get(Field::ObjectLockLegalHoldStatus)?.and_then(parse_on_off),
            retain_until: get(Field::ObjectLockRetainUntilDate)?.map(Timestamp::Text),
        };
        visit(&row)?;
        rows += 1;
    }
    Ok(rows)
}

/// Reads a Parquet report file (any row-group layout; columns found by name in the file's own
/// schema). Returns the number of rows.
pub fn read_parquet(path: &Path, visit: &mut Visit<'_>) -> Result<u64> {
    use parquet::file::reader::{FileReader as _, SerializedFileReader};
    use parquet::record::Field as Value;
    use parquet::schema::types::Type;

    let file = std::fs::File::open(path).map_err(|e| Error::io("open", path, e))?;
    let reader = SerializedFileReader::new(file).map_err(|e| bad(path, e))?;
    let root = reader.metadata().file_metadata().schema();
    let wanted: Vec<(Arc<Type>, Field)> = root
        .get_fields()
        .iter()
        .filter_map(|t| Field::from_name(t.name()).map(|f| (t.clone(), f)))
        .collect();
    if !wanted.iter().any(|(_, f)| *f == Field::Key) {
        return Err(bad(path, "the file has no key column"));
    }
    let fields: Vec<Field> = wanted.iter().map(|(_, f)| *f).collect();
    let projection = Type::group_type_builder(root.name())
        .with_fields(wanted.into_iter().map(|(t, _)| t).collect())
        .build()
        .map_err(|e| bad(path, e))?;
    let mut rows = 0u64;
    for row in reader
        .get_row_iter(Some(projection))
        .map_err(|e| bad(path, e))?
    {
        let row = row.map_err(|e| bad(path, e))?;
        let mut out = InventoryRow {
            bucket: "",
            key: Cow::Borrowed(""),
            version_id: None,
            is_latest: None,
            is_delete_marker: false,
            size: None,
            last_modified: None,
            storage_class: None,
            encryption_status: None,
            bucket_key: None,
            object_lock_mode: None,
            legal_hold: None,
            retain_until: None,
        };
        for ((_, value), field) in row.get_column_iter().zip(&fields) {
            let text = match value {
                Value::Str(s) if !s.is_empty() => Some(s.as_str()),
                _ => None,
            };
            let millis = match value {
                Value::TimestampMillis(ms) | Value::Long(ms) => Some(*ms),
                Value::TimestampMicros(us) => Some(us / 1000),
                _ => None,
            };
            let flag = match value {
                Value::Bool(b) => Some(*b),
                _ => None,
            };
            match field {
                Field::Bucket => out.bucket = text.unwrap_or_default(),
                Field::Key => out.key = Cow::Borrowed(text.unwrap_or_default()),
                Field::VersionId => out.version_id = text,
                Field::IsLatest => out.is_latest = flag,
                Field::IsDeleteMarker => out.is_delete_marker = flag.unwrap_or(false),
                Field::Size => out.size = millis.and_then(|n| u64::try_from(n).ok()),
                Field::LastModifiedDate => out.last_modified = millis.map(Timestamp::Millis),
                Field::StorageClass => out.storage_class = text,
                Field::EncryptionStatus => out.encryption_status = text,
                Field::BucketKeyStatus => out.bucket_key = text.and_then(parse_on_off),
                Field::ObjectLockMode => out.object_lock_mode = text,
                Field::ObjectLockLegalHoldStatus => out.legal_hold = text.and_then(parse_on_off),
                Field::ObjectLockRetainUntilDate => {
                    out.retain_until = millis.map(Timestamp::Millis)
                }
            }
        }
        if out.key.is_empty() {
            return Err(bad(path, format!("row {} has no key", rows + 1)));
        }
        visit(&out)?;
        rows += 1;
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::s3::inventory::write::{
        CSV_SCHEMA, ReportObject, sample_objects, write_csv_gz, write_parquet,
    };

    fn check(row: &InventoryRow<'_>, o: &ReportObject) {
        assert_eq!(row.key, o.key);
        assert_eq!(row.bucket, "b");
        assert_eq!(row.size, Some(o.size));
        assert_eq!(row.encryption(), Some(o.encryption));
        assert_eq!(row.bucket_key, o.bucket_key);
        assert_eq!(row.storage_class, Some(o.storage_class));
        assert_eq!(row.object_lock_mode, o.lock_mode);
        assert_eq!(
            row.last_modified.and_then(|t| t.millis()),
            Some(o.last_modified)
        );
    }

    fn columns() -> Vec<Option<Field>> {
        CSV_SCHEMA
            .split(',')
            .map(|c| Field::from_name(c.trim()))
            .collect()
    }

    #[test]
    fn csv_gz_rows_stream_with_decoded_keys() {
        let objs: Vec<ReportObject> = sample_objects(3000).collect();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.csv.gz");
        // Two gzip members, as S3 may write.
        let mut bytes = Vec::new();
        write_csv_gz("b", objs[..1000].iter().cloned(), &mut bytes).unwrap();
        write_csv_gz("b", objs[1000..].iter().cloned(), &mut bytes).unwrap();
        std::fs::write(&path, bytes).unwrap();
        let mut i = 0;
        let n = read_csv_gz(&path, &columns(), &mut |row| {
            check(row, &objs[i]);
            i += 1;
            Ok(())
        })
        .unwrap();
        assert_eq!(n, 3000, "both gzip members are read");
        let err = read_csv_gz(&path, &columns(), &mut |_| Err(Error::Cancelled)).unwrap_err();
        assert!(
            matches!(err, Error::Cancelled),
            "a visitor's error stops the reading"
        );
    }

    #[test]
    fn parquet_rows_stream_across_row_groups() {
        let objs: Vec<ReportObject> = sample_objects(2500).collect();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.parquet");
        let file = std::fs::File::create(&path).unwrap();
        write_parquet("b", objs.iter().cloned(), 1000, file).unwrap();
        let mut i = 0;
        let n = read_parquet(&path, &mut |row| {
            check(row, &objs[i]);
            i += 1;
            Ok(())
        })
        .unwrap();
        assert_eq!(n, 2500);
    }

    #[test]
    fn a_damaged_file_is_one_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"not gzip at all").unwrap();
        let err = read_csv_gz(&path, &columns(), &mut |_| Ok(()))
            .unwrap_err()
            .to_string();
        assert!(err.contains("cannot be read"), "{err}");
        std::fs::write(&path, b"PAR1 nonsense").unwrap();
        let err = read_parquet(&path, &mut |_| Ok(()))
            .unwrap_err()
            .to_string();
        assert!(err.contains("cannot be read"), "{err}");
        let mut gz = Vec::new();
        write_csv_gz("b", std::iter::empty(), &mut gz).unwrap();
        std::fs::write(&path, gz).unwrap();
        assert_eq!(read_csv_gz(&path, &columns(), &mut |_| Ok(())).unwrap(), 0);
    }
}
