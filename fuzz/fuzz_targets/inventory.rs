//! Fuzzes the S3 Inventory readers with untrusted report files: `manifest.json` text, and
//! headerless CSV rows read through the columns a manifest declares (or every column), and
//! URL-encoded CSV keys. None may panic: bad input is an error.
#![no_main]

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use s3seal::s3::S3Uri;
use s3seal::s3::inventory::manifest::parse_manifest;
use s3seal::s3::inventory::read::read_csv;
use s3seal::s3::inventory::row::{Field, decode_csv_key};

#[derive(Debug, Arbitrary)]
enum Input {
    Manifest(String),
    Csv { manifest: Option<String>, body: Vec<u8> },
    Key(String),
}

fuzz_target!(|input: Input| {
    let location = S3Uri::new("dest", "inv/src/id/2026-01-01T00-00Z/manifest.json");
    match input {
        Input::Manifest(text) => {
            let _ = parse_manifest(&location, &text);
        }
        Input::Csv { manifest, body } => {
            let columns = manifest
                .and_then(|text| parse_manifest(&location, &text).ok())
                .map(|m| m.csv_columns)
                .unwrap_or_else(|| Field::ALL.iter().copied().map(Some).collect());
            let mut visit = |row: &s3seal::s3::inventory::InventoryRow<'_>| {
                let _ = row.encryption();
                Ok(())
            };
            let _ = read_csv(body.as_slice(), std::path::Path::new("fuzz.csv"), &columns, &mut visit);
        }
        Input::Key(raw) => {
            let _ = decode_csv_key(&raw);
        }
    }
});
