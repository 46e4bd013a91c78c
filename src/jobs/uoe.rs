//! S3 UpdateObjectEncryption (`PUT /KEY?encryption[&versionId=V]`, an `<ObjectEncryption>`
//! body naming the full KMS key ARN): SSE-S3 or SSE-KMS → SSE-KMS without copying a byte or
//! making a version. Few servers besides AWS implement it (LocalStack answers 501), and one that
//! ignored the `?encryption` sub-resource might take the PUT for an upload of the XML body over
//! the object. So before a job sends it to any real object, it asks once about a key that does
//! not exist: only the documented answer (404 NoSuchKey) counts as "implemented".

use aws_sdk_s3::error::ProvideErrorMetadata as _;
use aws_sdk_s3::types::{ObjectEncryption, SsekmsEncryption};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::s3::Connection;
use crate::s3::errors::{from_sdk, status_of};

/// Whether a job may use UpdateObjectEncryption on this server, and if not, why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum Support {
    Available,
    /// The job copies instead, because of `reason` (words for any front end).
    Unavailable {
        reason: String,
    },
    /// Not asked: no object needed it.
    NotNeeded,
}

impl Support {
    pub fn is_available(&self) -> bool {
        matches!(self, Self::Available)
    }
}

/// Changes the encryption of `key` (the given version, or the current one) to SSE-KMS under
/// `key_arn`, with or without an S3 Bucket Key.
pub async fn update_object_encryption(
    conn: &Connection,
    bucket: &str,
    key: &str,
    version_id: Option<&str>,
    key_arn: &str,
    bucket_key: bool,
) -> Result<()> {
    conn.s3()
        .update_object_encryption()
        .bucket(bucket)
        .key(key)
        .set_version_id(version_id.map(str::to_owned))
        .object_encryption(encryption(key_arn, bucket_key)?)
        .send()
        .await
        .map_err(|e| from_sdk("UpdateObjectEncryption", e))?;
    Ok(())
}

fn encryption(key_arn: &str, bucket_key: bool) -> Result<ObjectEncryption> {
    let sse_kms = SsekmsEncryption::builder()
        .kms_key_arn(key_arn)
        .bucket_key_enabled(bucket_key)
        .build()
        .map_err(|e| Error::Internal(format!("UpdateObjectEncryption body: {e}")))?;
    Ok(ObjectEncryption::Ssekms(sse_kms))
}

/// Whether an UpdateObjectEncryption failure means the server does not implement it (so the
/// job should copy instead), as opposed to a refusal for this object.
pub fn not_implemented(err: &Error) -> bool {
    matches!(
        err,
        Error::Service { code, status, .. }
            if *status == Some(501) || code == "NotImplemented" || *status == Some(405)
    )
}

/// Asks the server once whether it implements UpdateObjectEncryption, with a request for a key
/// under `prefix` that does not exist. 404 NoSuchKey (what the API reference documents for a
/// missing key) means yes; any other answer means the job copies instead, and says why. A
/// server that stored the request as an object gets that object deleted again.
pub async fn probe(
    conn: &Connection,
    bucket: &str,
    prefix: &str,
    key_arn: &str,
    bucket_key: bool,
) -> Result<Support> {
    let probe_key = format!("{prefix}.s3seal-probe-{}", random_suffix()?);
    let sent = conn
        .s3()
        .update_object_encryption()
        .bucket(bucket)
        .key(&probe_key)
        .object_encryption(encryption(key_arn, bucket_key)?)
        .send()
        .await;
    let err = match sent {
        Ok(_) => return Ok(answered_ok(conn, bucket, &probe_key).await),
        Err(err) => err,
    };
    let status = status_of(&err);
    let code = err.code().map(str::to_owned);
    let message = err.message().map(str::to_owned).unwrap_or_default();
    match (status, code.as_deref()) {
        (Some(404), Some("NoSuchKey")) => Ok(Support::Available),
        (Some(404), Some("NoSuchBucket")) => Err(from_sdk("UpdateObjectEncryption", err)),
        (Some(status), code) => Ok(Support::Unavailable {
            reason: format!(
                "the server answered UpdateObjectEncryption with {status} {}{}",
                code.unwrap_or("(no error code)"),
                if message.is_empty() {
                    String::new()
                } else {
                    format!(" ({message})")
                }
            ),
        }),
        (None, _) => Err(from_sdk("UpdateObjectEncryption", err)),
    }
}

/// The probe of a missing key was accepted: if the server stored it as an object, delete that.
async fn answered_ok(conn: &Connection, bucket: &str, probe_key: &str) -> Support {
    let head = conn
        .s3()
        .head_object()
        .bucket(bucket)
        .key(probe_key)
        .send()
        .await;
    match head {
        Ok(out) => {
            let deleted = conn
                .s3()
                .delete_object()
                .bucket(bucket)
                .key(probe_key)
                .set_version_id(out.version_id().map(str::to_owned))
                .send()
                .await;
            if let Err(err) = deleted {
                tracing::warn!(bucket, key = probe_key, error = %aws_sdk_s3::error::DisplayErrorContext(&err), "could not delete the probe object");
            }
            Support::Unavailable {
                reason: format!(
                    "the server stored an UpdateObjectEncryption request as an object ({probe_key}, deleted again) instead of changing an encryption"
                ),
            }
        }
        Err(_) => Support::Unavailable {
            reason: "the server accepted UpdateObjectEncryption for an object that does not exist, which S3 refuses; it is not trusted with real objects".to_owned(),
        },
    }
}

fn random_suffix() -> Result<String> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).map_err(|e| Error::Random(e.to_string()))?;
    Ok(hex::encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_missing_implementation_means_copy_instead() {
        let service = |status: u16, code: &str| Error::Service {
            operation: "UpdateObjectEncryption",
            code: code.into(),
            message: String::new(),
            status: Some(status),
            source: None,
        };
        assert!(not_implemented(&service(501, "InternalFailure")));
        assert!(not_implemented(&service(400, "NotImplemented")));
        assert!(!not_implemented(&service(403, "AccessDenied")));
        assert!(!not_implemented(&service(400, "InvalidRequest")));
        let json = serde_json::to_value(Support::Unavailable { reason: "r".into() }).unwrap();
        assert_eq!(json["state"], "unavailable");
    }
}
