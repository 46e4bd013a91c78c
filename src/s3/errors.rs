//! Turning AWS SDK errors into s3seal errors that say what went wrong and what to do.

use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

use crate::error::Error;

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

/// Lets [`status_of`] read the status of any raw response type.
pub trait HttpStatus {
    fn status_u16(&self) -> u16;
}

impl HttpStatus for aws_smithy_runtime_api::http::Response {
    fn status_u16(&self) -> u16 {
        self.status().as_u16()
    }
}

/// Maps an SDK error from `operation` to an [`Error`] with a hint.
pub fn from_sdk<E, R>(operation: &'static str, err: SdkError<E, R>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: HttpStatus + std::fmt::Debug + Send + Sync + 'static,
{
    match &err {
        SdkError::ServiceError(service) => {
            let status = service.raw().status_u16();
            let inner = service.err();
            let code = inner
                .code()
                .map(str::to_owned)
                .unwrap_or_else(|| format!("HTTP {status}"));
            let message = inner.message().unwrap_or("").to_owned();
            classify(operation, status, code, message)
        }
        SdkError::TimeoutError(_) => Error::Connection {
            operation,
            message: "timed out".to_owned(),
        },
        SdkError::DispatchFailure(_)
        | SdkError::ResponseError(_)
        | SdkError::ConstructionFailure(_) => {
            let message = DisplayErrorContext(&err).to_string();
            if message.contains("credential") {
                Error::Credentials { operation, message }
            } else if message.contains("SSE-C key over plain HTTP") {
                Error::SseCOverHttp {
                    endpoint: "an http:// endpoint".to_owned(),
                }
            } else {
                Error::Connection { operation, message }
            }
        }
        _ => Error::Connection {
            operation,
            message: DisplayErrorContext(&err).to_string(),
        },
    }
}

fn classify(operation: &'static str, status: u16, code: String, message: String) -> Error {
    let hint = match code.as_str() {
        "NoSuchBucket" => {
            return Error::NotFound {
                what: format!("bucket ({operation}: {message})"),
            };
        }
        "NoSuchKey" | "NotFound" => {
            return Error::NotFound {
                what: format!("object ({operation})"),
            };
        }
        "InvalidAccessKeyId"
        | "SignatureDoesNotMatch"
        | "ExpiredToken"
        | "InvalidToken"
        | "UnrecognizedClientException" => {
            return Error::Credentials {
                operation,
                message: format!("{code}: {message}"),
            };
        }
        c if c.starts_with("KMS.") || c == "NotFoundException" || c == "DisabledException" => {
            return Error::KmsKey {
                key: "given".to_owned(),
                message: format!("{code}: {message}"),
            };
        }
        "AccessDenied" => {
            ". Check the permissions of your credentials, whether the bucket policy denies this \
             encryption mode or requires TLS (`s3seal bucket show`), and for SSE-C whether the bucket \
             blocks it (`s3seal bucket unblock-ssec`)"
        }
        "BucketAlreadyOwnedByYou" | "BucketAlreadyExists" => ". Choose another bucket name",
        "SlowDown" | "ThrottlingException" | "RequestLimitExceeded" => {
            ". The service kept throttling after several retries; try again later or lower the load"
        }
        _ if status == 404 => {
            return Error::NotFound {
                what: format!("{operation} target"),
            };
        }
        _ => "",
    };
    Error::Service {
        operation,
        code,
        message,
        hint: hint.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_common_codes() {
        assert!(matches!(
            classify("GetObject", 404, "NoSuchKey".into(), String::new()),
            Error::NotFound { .. }
        ));
        assert!(matches!(
            classify("PutObject", 400, "KMS.NotFoundException".into(), "x".into()),
            Error::KmsKey { .. }
        ));
        let denied = classify("PutObject", 403, "AccessDenied".into(), "no".into()).to_string();
        assert!(denied.contains("bucket policy"), "{denied}");
        assert!(matches!(
            classify(
                "ListBuckets",
                403,
                "InvalidAccessKeyId".into(),
                String::new()
            ),
            Error::Credentials { .. }
        ));
    }
}
