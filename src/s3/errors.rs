//! Turning AWS SDK errors into s3seal errors: classified by the SDK's error kinds, HTTP status,
//! the service's error code and the types in the error's source chain — never by matching the
//! error's text. The SDK error itself is kept as the source, for a "details" view.

use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api::client::endpoint::error::ResolveEndpointError;

use crate::error::{ConnectionFailure, Error};

/// HTTP status of a service error, if the request reached the service.
pub fn status_of<E, R>(err: &SdkError<E, R>) -> Option<u16>
where
    R: HttpStatus,
{
    match err {
        SdkError::ServiceError(e) => Some(e.raw().status_u16()),
        SdkError::ResponseError(e) => Some(e.raw().status_u16()),
        _ => None,
    }
}

/// Lets [`status_of`] read the status (and [`clock_skew`] the `Date` header) of any raw
/// response type.
pub trait HttpStatus {
    fn status_u16(&self) -> u16;

    /// The response's `Date` header: the server's clock.
    fn date_header(&self) -> Option<&str> {
        None
    }
}

impl HttpStatus for aws_smithy_runtime_api::http::Response {
    fn status_u16(&self) -> u16 {
        self.status().as_u16()
    }

    fn date_header(&self) -> Option<&str> {
        self.headers().get("date")
    }
}

/// S3 refuses a request signed more than this far from its own clock.
const MAX_SKEW_SECS: i64 = 15 * 60;

/// How far (in seconds, server minus here) the server's clock is from this machine's, when it
/// is beyond what S3 accepts. A refusal of a HEAD carries no error code (a HEAD answer has no
/// body), so a 403 whose `Date` is that far off is how a wrong clock shows there.
pub fn clock_skew<E, R: HttpStatus>(err: &SdkError<E, R>) -> Option<i64> {
    let SdkError::ServiceError(service) = err else {
        return None;
    };
    let server = aws_smithy_types::DateTime::from_str(
        service.raw().date_header()?,
        aws_smithy_types::date_time::Format::HttpDate,
    )
    .ok()?;
    let here = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_secs();
    let skew = server.secs() - i64::try_from(here).ok()?;
    (skew.abs() > MAX_SKEW_SECS).then_some(skew)
}

/// The error for a request refused because this machine's clock is `skew` seconds off.
pub fn skewed_clock(
    operation: &'static str,
    skew: i64,
    source: Option<crate::error::Source>,
) -> Error {
    Error::Service {
        operation,
        code: "RequestTimeTooSkewed".to_owned(),
        message: format!(
            "this machine's clock is {} minutes {} the server's, and S3 refuses requests more than 15 minutes off",
            skew.abs() / 60,
            if skew > 0 { "behind" } else { "ahead of" }
        ),
        status: Some(403),
        source,
    }
}

/// The error a request interceptor returns when it stops an SSE-C request that would go out
/// over plain HTTP (see `connection.rs`); found again here by type.
#[derive(Debug, thiserror::Error)]
#[error("refusing to send an SSE-C key over plain HTTP")]
pub struct SseCRefusedOverHttp;

/// The same for KMS calls that carry plaintext data keys.
#[derive(Debug, thiserror::Error)]
#[error("refusing to send a KMS data-key request over plain HTTP")]
pub struct KmsRefusedOverHttp;

/// The first error of type `T` in `err`'s source chain (including `err` itself).
pub fn find_in_chain<'a, T: std::error::Error + 'static>(
    err: &'a (dyn std::error::Error + 'static),
) -> Option<&'a T> {
    let mut next = Some(err);
    while let Some(e) = next {
        if let Some(found) = e.downcast_ref::<T>() {
            return Some(found);
        }
        next = e.source();
    }
    None
}

/// Maps an SDK error from `operation` to an [`Error`], keeping the SDK error as its source.
pub fn from_sdk<E, R>(operation: &'static str, err: SdkError<E, R>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: HttpStatus + std::fmt::Debug + Send + Sync + 'static,
{
    let kind = match &err {
        SdkError::ServiceError(service) => {
            let status = service.raw().status_u16();
            let inner = service.err();
            if inner.code().is_none()
                && status == 403
                && let Some(skew) = clock_skew(&err)
            {
                return skewed_clock(operation, skew, Some(Box::new(err)));
            }
            let code = inner
                .code()
                .map(str::to_owned)
                .unwrap_or_else(|| format!("HTTP {status}"));
            let message = inner.message().unwrap_or("").to_owned();
            return classify(operation, status, code, message, Some(Box::new(err)));
        }
        SdkError::TimeoutError(_) => ConnectionFailure::TimedOut,
        SdkError::ResponseError(_) => ConnectionFailure::BadResponse,
        SdkError::ConstructionFailure(_) => ConnectionFailure::Construction,
        SdkError::DispatchFailure(failure) => {
            if failure.is_timeout() {
                ConnectionFailure::TimedOut
            } else if failure.is_io() {
                ConnectionFailure::Transport
            } else {
                ConnectionFailure::Other
            }
        }
        _ => ConnectionFailure::Other,
    };
    if find_in_chain::<SseCRefusedOverHttp>(&err).is_some() {
        return Error::SseCOverHttp {
            endpoint: "an http:// endpoint".to_owned(),
        };
    }
    if find_in_chain::<KmsRefusedOverHttp>(&err).is_some() {
        return Error::KmsOverHttp {
            endpoint: "an http:// endpoint".to_owned(),
        };
    }
    if find_in_chain::<aws_credential_types::provider::error::CredentialsError>(&err).is_some() {
        return Error::Credentials {
            operation,
            code: None,
            source: Some(Box::new(err)),
        };
    }
    let kind = if find_in_chain::<ResolveEndpointError>(&err).is_some() {
        // The endpoint cannot be worked out: with S3 that means no region.
        ConnectionFailure::Construction
    } else {
        kind
    };
    Error::Connection {
        operation,
        kind,
        source: Some(Box::new(err)),
    }
}

/// Codes with which S3 and KMS say "too many requests, slow down" — S3 passes on KMS's own
/// throttling as `KMS.ThrottlingException` when it calls KMS for an SSE-KMS object.
pub const THROTTLING_CODES: [&str; 7] = [
    "SlowDown",
    "ThrottlingException",
    "KMS.ThrottlingException",
    "Throttling",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "RequestThrottled",
];

fn classify(
    operation: &'static str,
    status: u16,
    code: String,
    message: String,
    source: Option<crate::error::Source>,
) -> Error {
    match code.as_str() {
        c if THROTTLING_CODES.contains(&c) => Error::Service {
            operation,
            code,
            message,
            status: Some(status),
            source,
        },
        "NoSuchBucket" => Error::NotFound {
            what: format!("bucket ({operation}: {message})"),
        },
        "NoSuchKey" | "NotFound" => Error::NotFound {
            what: format!("object ({operation})"),
        },
        "InvalidAccessKeyId"
        | "SignatureDoesNotMatch"
        | "ExpiredToken"
        | "InvalidToken"
        | "UnrecognizedClientException"
        | "InvalidClientTokenId" => Error::Credentials {
            operation,
            code: Some(if message.is_empty() {
                code
            } else {
                format!("{code}: {message}")
            }),
            source,
        },
        c if c.starts_with("KMS.")
            || c == "NotFoundException"
            || c == "DisabledException"
            || c == "KMSInvalidStateException"
            || c == "InvalidKeyUsageException" =>
        {
            Error::KmsKey {
                key: None,
                code,
                message,
            }
        }
        _ if status == 404 => Error::NotFound {
            what: format!("{operation} target"),
        },
        _ => Error::Service {
            operation,
            code,
            message,
            status: Some(status),
            source,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::remedy::Remedy;

    #[test]
    fn classifies_common_codes() {
        assert!(matches!(
            classify("GetObject", 404, "NoSuchKey".into(), String::new(), None),
            Error::NotFound { .. }
        ));
        assert!(matches!(
            classify(
                "PutObject",
                400,
                "KMS.NotFoundException".into(),
                "x".into(),
                None
            ),
            Error::KmsKey { .. }
        ));
        let denied = classify("PutObject", 403, "AccessDenied".into(), "no".into(), None);
        assert_eq!(denied.remedy(), Some(Remedy::CheckPermissions));
        assert!(matches!(
            classify(
                "ListBuckets",
                403,
                "InvalidAccessKeyId".into(),
                String::new(),
                None
            ),
            Error::Credentials { .. }
        ));
        let skewed = classify(
            "PutObject",
            403,
            "RequestTimeTooSkewed".into(),
            String::new(),
            None,
        );
        assert_eq!(skewed.remedy(), Some(Remedy::FixClock));
        // KMS throttling relayed by S3 is throttling, not a bad key.
        let throttled = classify(
            "CopyObject",
            400,
            "KMS.ThrottlingException".into(),
            "You have exceeded the rate at which you may call KMS.".into(),
            None,
        );
        assert!(throttled.is_throttling(), "{throttled:?}");
        assert_eq!(throttled.remedy(), Some(Remedy::TryLater));
        assert!(!denied.is_throttling());
    }

    #[test]
    fn a_bodiless_403_from_a_server_whose_clock_is_far_off_is_clock_skew() {
        use aws_sdk_s3::operation::head_object::HeadObjectError;
        use aws_smithy_runtime_api::http::{Response, StatusCode};
        use aws_smithy_types::body::SdkBody;
        use aws_smithy_types::date_time::Format;
        let refusal = |server: std::time::SystemTime| {
            let mut raw = Response::new(StatusCode::try_from(403).unwrap(), SdkBody::empty());
            let date = aws_smithy_types::DateTime::from(server)
                .fmt(Format::HttpDate)
                .unwrap();
            raw.headers_mut().insert("date", date);
            SdkError::service_error(
                HeadObjectError::generic(aws_smithy_types::error::ErrorMetadata::builder().build()),
                raw,
            )
        };
        let now = std::time::SystemTime::now();
        let ahead = refusal(now + std::time::Duration::from_secs(20 * 60));
        let skew = clock_skew(&ahead).unwrap();
        assert!((1190..=1210).contains(&skew), "{skew}");
        let err = from_sdk("HeadObject", ahead);
        assert_eq!(err.remedy(), Some(Remedy::FixClock));
        assert!(err.to_string().contains("20 minutes behind"), "{err}");
        // A plain refusal from a server with the right time stays what it is.
        let denied = from_sdk("HeadObject", refusal(now));
        assert!(
            matches!(&denied, Error::Service { code, .. } if code == "HTTP 403"),
            "{denied}"
        );
    }

    #[test]
    fn finds_a_type_deep_in_the_chain() {
        #[derive(Debug, thiserror::Error)]
        #[error("outer")]
        struct Outer(#[source] SseCRefusedOverHttp);
        let outer = Outer(SseCRefusedOverHttp);
        assert!(find_in_chain::<SseCRefusedOverHttp>(&outer).is_some());
        assert!(find_in_chain::<KmsRefusedOverHttp>(&outer).is_none());
    }
}
