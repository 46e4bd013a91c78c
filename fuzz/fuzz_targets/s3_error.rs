//! Fuzzes how s3seal reads a refusal from S3 or KMS: the HTTP status, the error code and
//! message the SDK took from the XML (or JSON) error body, and the `Date` header, through
//! `s3::errors::from_sdk`, then everything that interprets the resulting error (its message,
//! remedy, throttling and interruption tests, UpdateObjectEncryption's "not implemented").
//! None may panic.
#![no_main]

use aws_sdk_s3::operation::head_object::HeadObjectError;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::http::{Response, StatusCode};
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::error::ErrorMetadata;
use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use s3seal::jobs::uoe::not_implemented;
use s3seal::s3::errors::{THROTTLING_CODES, from_sdk};

const CODES: &[&str] = &[
    "NoSuchBucket",
    "NoSuchKey",
    "NotFound",
    "AccessDenied",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "KMS.NotFoundException",
    "KMS.DisabledException",
    "NotFoundException",
    "KMSInvalidStateException",
    "RequestTimeTooSkewed",
    "RequestTimeout",
    "NotImplemented",
    "InternalError",
];

#[derive(Debug, Arbitrary)]
enum Code {
    None,
    Known(u8),
    Throttling(u8),
    Other(String),
}

#[derive(Debug, Arbitrary)]
struct Input {
    status: u16,
    code: Code,
    message: Option<String>,
    /// Seconds from now the server's `Date` says, or any text.
    date: Option<Result<i32, String>>,
}

fuzz_target!(|input: Input| {
    let Ok(status) = StatusCode::try_from(input.status) else {
        return;
    };
    let mut raw = Response::new(status, SdkBody::empty());
    match &input.date {
        Some(Ok(offset)) => {
            let now = std::time::SystemTime::now();
            let secs = std::time::Duration::from_secs(u64::from(offset.unsigned_abs()));
            let at = if *offset >= 0 { now.checked_add(secs) } else { now.checked_sub(secs) };
            if let Some(at) = at
                && let Ok(text) = aws_smithy_types::DateTime::from(at)
                    .fmt(aws_smithy_types::date_time::Format::HttpDate)
            {
                raw.headers_mut().insert("date", text);
            }
        }
        Some(Err(text)) => {
            let _ = raw.headers_mut().try_insert("date", text.clone());
        }
        None => {}
    }
    let mut meta = ErrorMetadata::builder();
    match &input.code {
        Code::None => {}
        Code::Known(i) => meta = meta.code(CODES[usize::from(*i) % CODES.len()]),
        Code::Throttling(i) => {
            meta = meta.code(THROTTLING_CODES[usize::from(*i) % THROTTLING_CODES.len()])
        }
        Code::Other(code) => meta = meta.code(code),
    }
    if let Some(message) = &input.message {
        meta = meta.message(message);
    }
    let err = SdkError::service_error(HeadObjectError::generic(meta.build()), raw);
    let err = from_sdk("HeadObject", err);
    let _ = err.to_string();
    let _ = err.remedy();
    let _ = err.is_throttling();
    let _ = err.is_interruption();
    let _ = err.details();
    let _ = not_implemented(&err);
});
