//! Streaming a whole inventory report: its manifest, then each data file downloaded to a
//! temporary file (MD5 checked), read on a blocking thread, row by row, into a [`RowSink`]
//! that moves to the thread and back. One file on disk at a time; memory does not grow with
//! the rows.

use super::manifest::{InventoryManifest, ReportFormat, parse_manifest};
use super::read::{read_csv_gz, read_parquet};
use super::row::InventoryRow;
use crate::error::{Error, Result};
use crate::progress::{CancellationToken, Progress};
use crate::s3::report_files::{download_checked, get_text};
use crate::s3::{Connection, S3Uri};

/// Rows between two looks at the cancel token and two progress updates.
const CHECK_EVERY: u64 = 8192;

/// Whatever consumes the rows (counts, a CSV being written, a manifest being written).
pub trait RowSink: Send + 'static {
    fn row(&mut self, row: &InventoryRow<'_>) -> Result<()>;
}

/// Reads and parses `manifest.json` at `uri`.
pub async fn read_manifest(conn: &Connection, uri: &S3Uri) -> Result<InventoryManifest> {
    if !uri.key.ends_with("manifest.json") {
        return Err(Error::InvalidInput(format!(
            "{uri} is not an inventory report's manifest.json (it is named …/YYYY-MM-DDTHH-MMZ/manifest.json)"
        )));
    }
    let text = get_text(conn, uri).await?;
    parse_manifest(uri, &text)
}

/// Feeds every row of every data file of `manifest` to `sink` and returns it with the number
/// of rows read. `progress` counts rows (its total stays unknown).
pub async fn stream_rows<S: RowSink>(
    conn: &Connection,
    manifest: &InventoryManifest,
    mut sink: S,
    progress: &Progress,
    cancel: &CancellationToken,
) -> Result<(S, u64)> {
    if manifest.format == ReportFormat::Orc {
        return Err(Error::Unsupported(format!(
            "{} is an ORC report, which s3seal does not read: configure the inventory with CSV or Parquet",
            manifest.location
        )));
    }
    let mut rows = 0u64;
    for file in &manifest.files {
        let uri = S3Uri::new(&manifest.destination_bucket, &file.key);
        let (temp, _) = download_checked(conn, &uri, Some(&file.md5), cancel).await?;
        let format = manifest.format;
        let columns = manifest.csv_columns.clone();
        let progress = progress.clone();
        let cancel = cancel.clone();
        let (back, read) = tokio::task::spawn_blocking(move || {
            let mut seen = 0u64;
            let mut visit = |row: &InventoryRow<'_>| -> Result<()> {
                sink.row(row)?;
                seen += 1;
                if seen.is_multiple_of(CHECK_EVERY) {
                    progress.add(CHECK_EVERY);
                    if cancel.is_cancelled() {
                        return Err(Error::Cancelled);
                    }
                }
                Ok(())
            };
            let read = match format {
                ReportFormat::Parquet => read_parquet(temp.path(), &mut visit),
                _ => read_csv_gz(temp.path(), &columns, &mut visit),
            };
            progress.add(seen % CHECK_EVERY);
            read.map(|n| (sink, n))
        })
        .await
        .map_err(|e| Error::Internal(format!("the inventory reader stopped: {e}")))??;
        sink = back;
        rows += read;
    }
    Ok((sink, rows))
}
