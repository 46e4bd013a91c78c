//! Fuzzes the reading of an S3 Batch Operations completion report (written by S3 Control into
//! a bucket others may write to): its `manifest.json`, and the headerless result CSVs with
//! their two column orders and URL-encoded keys, then the rows rendered as CSV. None may
//! panic: bad files are errors. The first byte picks what the rest is: `M` a manifest, `R` the
//! rows of a copy job, anything else the rows of an UpdateObjectEncryption job to SSE-KMS.
#![no_main]

use libfuzzer_sys::fuzz_target;
use s3seal::batch::completion::{parse_report_manifest, read_result_rows};
use s3seal::jobs::method::Method;
use s3seal::jobs::report::{EncryptionState, to_csv};
use s3seal::s3::S3Uri;

fuzz_target!(|data: &[u8]| {
    let Some((&kind, body)) = data.split_first() else {
        return;
    };
    let uri = S3Uri::new("reports", "batch/job-0123/manifest.json");
    if kind == b'M' {
        if let Ok(text) = std::str::from_utf8(body) {
            let _ = parse_report_manifest(&uri, text);
        }
        return;
    }
    let (method, target) = if kind == b'R' {
        (Method::Copy, None)
    } else {
        let key = "arn:aws:kms:eu-west-1:111122223333:key/k".to_owned();
        (
            Method::UpdateObjectEncryption,
            Some(EncryptionState::sse_kms(Some(key), true)),
        )
    };
    if let Ok(rows) = read_result_rows(body, &uri, method, target.as_ref()) {
        let _ = to_csv(&rows);
    }
});
