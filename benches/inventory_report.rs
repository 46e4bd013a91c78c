//! Writes an S3 Inventory report of N rows in S3's layout for `scripts/bench` (not a timed
//! benchmark itself): `OUT/data/file-0.{csv.gz|parquet}` and `OUT/manifest.json`, whose file
//! keys start with KEY_PREFIX (where the bench uploads `OUT/data/`).
//!
//! `cargo bench --bench inventory_report -- OUT ROWS csv|parquet SOURCE DEST KEY_PREFIX`

use std::io::Write as _;

use s3seal::s3::inventory::ReportFormat;
use s3seal::s3::inventory::write::{
    manifest_json, md5_of, sample_objects, write_csv_gz, write_parquet,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let [out, rows, format, source, dest, key_prefix] = args.as_slice() else {
        return Err("usage: OUT ROWS csv|parquet SOURCE DEST KEY_PREFIX".into());
    };
    let rows: u64 = rows.parse()?;
    let out = std::path::Path::new(out);
    std::fs::create_dir_all(out.join("data"))?;
    let (format, name) = match format.as_str() {
        "parquet" => (ReportFormat::Parquet, "file-0.parquet"),
        _ => (ReportFormat::Csv, "file-0.csv.gz"),
    };
    let path = out.join("data").join(name);
    {
        let file = std::io::BufWriter::new(std::fs::File::create(&path)?);
        match format {
            ReportFormat::Parquet => write_parquet(source, sample_objects(rows), 100_000, file)?,
            _ => write_csv_gz(source, sample_objects(rows), file)?,
        }
    }
    let bytes = std::fs::read(&path)?;
    let key = format!("{}/data/{name}", key_prefix.trim_end_matches('/'));
    let manifest = manifest_json(
        source,
        dest,
        format,
        1_767_323_045_000,
        &[(key, bytes.len() as u64, md5_of(&bytes))],
    );
    std::fs::File::create(out.join("manifest.json"))?.write_all(manifest.as_bytes())?;
    println!("{} rows, {} bytes", rows, bytes.len());
    Ok(())
}
