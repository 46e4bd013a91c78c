//! Fuzzes the transfer journal's entry files (`transfers/<id>.json`, rewritten as an upload or
//! a download advances and read back after a crash): `parse_entry`, then what the listing of
//! interrupted transfers and a resume work out of a record. None may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use s3seal::transfer::journal::{Transfer, parse_entry};

fuzz_target!(|text: &[u8]| {
    let Ok(Ok(transfer)) = parse_entry(text) else {
        return;
    };
    match transfer {
        Transfer::Upload(mut record) => {
            let _ = record.dest();
            let _ = record.bytes_done();
            let _ = record.parts_total();
            let _ = record.encryption.describe();
            let _ = record.encryption.resumable();
            let _ = record.encryption.choice();
            if let Some(part) = record.parts.first().cloned() {
                record.add_part(part);
            }
        }
        Transfer::Download(mut record) => {
            let _ = record.source();
            let _ = record.bytes_done();
            let _ = record.ranges();
            let _ = record.partial();
            let _ = record.describe();
            if let s3seal::transfer::journal::DownloadState::Ranges { done, .. } = &record.state
                && let Some(range) = done.first().copied()
            {
                record.add_range(range);
            }
        }
    }
});
