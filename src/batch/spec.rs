//! An S3 Batch Operations job as s3seal plans it, in plain data, and the two forms of its
//! CreateJob input built from that one value: the request the SDK sends, and the JSON that
//! `aws s3control create-job --cli-input-json` takes (model member names, so an administrator
//! can review it or run it elsewhere). The client request token is a digest of that JSON, so
//! sending the same job twice never creates two.

use aws_sdk_s3control::types::{
    DssekmsFilter, GeneratedManifestFormat, JobManifest, JobManifestFieldName, JobManifestFormat,
    JobManifestGenerator, JobManifestGeneratorFilter, JobManifestLocation, JobManifestSpec,
    JobOperation, JobReport, JobReportFormat, JobReportScope, KeyNameConstraint, NotSseFilter,
    ObjectEncryption, ObjectEncryptionFilter, S3CopyObjectOperation, S3JobManifestGenerator,
    S3ManifestOutputLocation, S3MetadataDirective, S3ObjectMetadata, S3SseAlgorithm,
    S3UpdateObjectEncryptionOperation, S3UpdateObjectEncryptionSsekms, SsecFilter, SsekmsFilter,
    Sses3Filter,
};
use serde::Serialize;
use serde_json::{Map, Value, json};
use sha2::{Digest as _, Sha256};

use crate::error::{Error, Result};
use crate::jobs::method::Method;
use crate::jobs::report::EncryptionState;
use crate::s3::{EncryptionMode, S3Uri};

/// The largest object S3 Batch Operations copies (5 GiB); larger ones need a local
/// multipart copy.
pub const MAX_BATCH_COPY: u64 = 5 * 1024 * 1024 * 1024;

/// The job's priority (any; s3seal's jobs do not compete with each other).
pub const PRIORITY: i32 = 10;

/// What the objects become.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "mode", rename_all = "kebab-case")]
pub enum BatchTarget {
    SseS3,
    /// SSE-KMS under this key (a full key ARN).
    SseKms {
        key_arn: String,
        bucket_key: bool,
    },
}

impl BatchTarget {
    /// As the jobs report labels encryption.
    pub fn state(&self) -> EncryptionState {
        match self {
            Self::SseS3 => EncryptionState::mode(EncryptionMode::SseS3),
            Self::SseKms {
                key_arn,
                bucket_key,
            } => EncryptionState::sse_kms(Some(key_arn.clone()), *bucket_key),
        }
    }

    /// The KMS key, if any.
    pub fn kms_key(&self) -> Option<&str> {
        match self {
            Self::SseS3 => None,
            Self::SseKms { key_arn, .. } => Some(key_arn),
        }
    }
}

/// The operation S3 runs on each object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum BatchOperation {
    /// `S3UpdateObjectEncryption`: SSE-S3 / SSE-KMS → SSE-KMS, no copy, no new version.
    UpdateObjectEncryption,
    /// `S3PutObjectCopy` onto itself with the target encryption (objects up to 5 GiB).
    PutObjectCopy,
}

impl BatchOperation {
    /// The method the jobs report names.
    pub fn method(self) -> Method {
        match self {
            Self::UpdateObjectEncryption => Method::UpdateObjectEncryption,
            Self::PutObjectCopy => Method::Copy,
        }
    }

    /// The cheapest operation that brings objects in `sources` (their possible modes; `None`
    /// when unknown) to `target`.
    pub fn choose(target: &BatchTarget, sources: Option<&[EncryptionMode]>) -> Self {
        let updatable =
            |m: &EncryptionMode| matches!(m, EncryptionMode::SseS3 | EncryptionMode::SseKms);
        match (target, sources) {
            (BatchTarget::SseKms { .. }, Some(modes))
                if !modes.is_empty() && modes.iter().all(updatable) =>
            {
                Self::UpdateObjectEncryption
            }
            _ => Self::PutObjectCopy,
        }
    }
}

/// What the manifest generator selects, besides the bucket.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct GeneratorFilter {
    pub prefix: Option<String>,
    /// The one encryption to match (S3 takes one `MatchAnyObjectEncryption` entry).
    pub encryption: Option<EncryptionMode>,
    pub larger_than: Option<u64>,
    pub smaller_than: Option<u64>,
    /// RFC 3339.
    pub created_after: Option<String>,
    pub created_before: Option<String>,
}

/// Where the job's list of objects comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ManifestSpec {
    /// S3 lists the objects itself (`S3JobManifestGenerator`) and keeps the list at `output`.
    Generator {
        filter: GeneratorFilter,
        output: S3Uri,
    },
    /// A CSV manifest s3seal wrote and uploaded (`bucket,key[,version]`).
    Csv {
        location: S3Uri,
        etag: String,
        with_versions: bool,
    },
}

/// A whole job, ready to be sent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct JobSpec {
    pub account_id: String,
    pub bucket: String,
    pub target: BatchTarget,
    pub operation: BatchOperation,
    pub manifest: ManifestSpec,
    /// Completion report of every task goes under this bucket and prefix.
    pub report: S3Uri,
    pub role_arn: String,
    pub description: String,
}

fn bucket_arn(bucket: &str) -> String {
    format!("arn:aws:s3:::{bucket}")
}

fn object_arn(uri: &S3Uri) -> String {
    format!("arn:aws:s3:::{}/{}", uri.bucket, uri.key)
}

fn prefix_of(uri: &S3Uri) -> Option<String> {
    let p = uri.key.trim_end_matches('/');
    (!p.is_empty()).then(|| p.to_owned())
}

/// The model member name of a filter's encryption (`SSES3`, `SSEKMS`, …).
fn filter_member(mode: EncryptionMode) -> Result<&'static str> {
    Ok(match mode {
        EncryptionMode::None => "NOTSSE",
        EncryptionMode::SseS3 => "SSES3",
        EncryptionMode::SseKms => "SSEKMS",
        EncryptionMode::DsseKms => "DSSEKMS",
        EncryptionMode::SseC => "SSEC",
        EncryptionMode::Client => {
            return Err(Error::InvalidInput(
                "S3 cannot tell client-side objects apart: select them from an audit".to_owned(),
            ));
        }
    })
}

impl JobSpec {
    /// The CreateJob input as `aws s3control create-job --cli-input-json` takes it, with its
    /// client request token.
    pub fn cli_input(&self) -> Result<Value> {
        let mut input = self.cli_input_without_token()?;
        let token = client_request_token(&input);
        if let Some(map) = input.as_object_mut() {
            map.insert("ClientRequestToken".to_owned(), Value::String(token));
        }
        Ok(input)
    }

    /// The token: a digest of everything else in the input, so the same job sent twice is
    /// one job (S3 answers the second with the first's id).
    pub fn client_request_token(&self) -> Result<String> {
        Ok(client_request_token(&self.cli_input_without_token()?))
    }

    fn cli_input_without_token(&self) -> Result<Value> {
        let operation = match (&self.operation, &self.target) {
            (
                BatchOperation::UpdateObjectEncryption,
                BatchTarget::SseKms {
                    key_arn,
                    bucket_key,
                },
            ) => json!({
                "S3UpdateObjectEncryption": {"ObjectEncryption": {"SSEKMS": {
                    "KMSKeyArn": key_arn, "BucketKeyEnabled": bucket_key
                }}}
            }),
            (BatchOperation::UpdateObjectEncryption, BatchTarget::SseS3) => {
                return Err(Error::InvalidInput(
                    "UpdateObjectEncryption only changes objects to SSE-KMS".to_owned(),
                ));
            }
            (BatchOperation::PutObjectCopy, target) => {
                let mut copy = Map::new();
                copy.insert("TargetResource".into(), json!(bucket_arn(&self.bucket)));
                copy.insert("MetadataDirective".into(), json!("COPY"));
                match target {
                    BatchTarget::SseS3 => {
                        copy.insert(
                            "NewObjectMetadata".into(),
                            json!({"SSEAlgorithm": "AES256"}),
                        );
                    }
                    BatchTarget::SseKms {
                        key_arn,
                        bucket_key,
                    } => {
                        copy.insert("NewObjectMetadata".into(), json!({"SSEAlgorithm": "KMS"}));
                        copy.insert("SSEAwsKmsKeyId".into(), json!(key_arn));
                        copy.insert("BucketKeyEnabled".into(), json!(bucket_key));
                    }
                }
                json!({"S3PutObjectCopy": copy})
            }
        };
        let mut report = json!({
            "Bucket": bucket_arn(&self.report.bucket),
            "Format": "Report_CSV_20180820",
            "Enabled": true,
            "ReportScope": "AllTasks",
        });
        if let Some(prefix) = prefix_of(&self.report) {
            report["Prefix"] = json!(prefix);
        }
        let mut input = json!({
            "AccountId": self.account_id,
            "ConfirmationRequired": true,
            "Operation": operation,
            "Report": report,
            "Description": self.description,
            "Priority": PRIORITY,
            "RoleArn": self.role_arn,
        });
        match &self.manifest {
            ManifestSpec::Csv {
                location,
                etag,
                with_versions,
            } => {
                let mut fields = vec!["Bucket", "Key"];
                if *with_versions {
                    fields.push("VersionId");
                }
                input["Manifest"] = json!({
                    "Spec": {"Format": "S3BatchOperations_CSV_20180820", "Fields": fields},
                    "Location": {"ObjectArn": object_arn(location), "ETag": etag},
                });
            }
            ManifestSpec::Generator { filter, output } => {
                let mut f = Map::new();
                if let Some(after) = &filter.created_after {
                    f.insert("CreatedAfter".into(), json!(after));
                }
                if let Some(before) = &filter.created_before {
                    f.insert("CreatedBefore".into(), json!(before));
                }
                if let Some(prefix) = filter.prefix.as_deref().filter(|p| !p.is_empty()) {
                    f.insert(
                        "KeyNameConstraint".into(),
                        json!({"MatchAnyPrefix": [prefix]}),
                    );
                }
                if let Some(n) = filter.larger_than {
                    f.insert("ObjectSizeGreaterThanBytes".into(), json!(n));
                }
                if let Some(n) = filter.smaller_than {
                    f.insert("ObjectSizeLessThanBytes".into(), json!(n));
                }
                if let Some(mode) = filter.encryption {
                    f.insert(
                        "MatchAnyObjectEncryption".into(),
                        json!([{ filter_member(mode)?: {} }]),
                    );
                }
                let mut out = json!({
                    "ExpectedManifestBucketOwner": self.account_id,
                    "Bucket": bucket_arn(&output.bucket),
                    "ManifestFormat": "S3InventoryReport_CSV_20211130",
                });
                if let Some(prefix) = prefix_of(output) {
                    out["ManifestPrefix"] = json!(prefix);
                }
                let mut generator = json!({
                    "ExpectedBucketOwner": self.account_id,
                    "SourceBucket": bucket_arn(&self.bucket),
                    "ManifestOutputLocation": out,
                    "EnableManifestOutput": true,
                });
                if !f.is_empty() {
                    generator["Filter"] = Value::Object(f);
                }
                input["ManifestGenerator"] = json!({"S3JobManifestGenerator": generator});
            }
        }
        Ok(input)
    }

    /// The same input as the SDK's types, for [`crate::batch::create_job`].
    pub fn sdk_parts(&self) -> Result<SdkParts> {
        let built = |e: aws_sdk_s3control::error::BuildError| {
            Error::Internal(format!("cannot build the CreateJob request: {e}"))
        };
        let operation = match (&self.operation, &self.target) {
            (
                BatchOperation::UpdateObjectEncryption,
                BatchTarget::SseKms {
                    key_arn,
                    bucket_key,
                },
            ) => JobOperation::builder()
                .s3_update_object_encryption(
                    S3UpdateObjectEncryptionOperation::builder()
                        .object_encryption(
                            ObjectEncryption::builder()
                                .ssekms(
                                    S3UpdateObjectEncryptionSsekms::builder()
                                        .kms_key_arn(key_arn)
                                        .bucket_key_enabled(*bucket_key)
                                        .build()
                                        .map_err(built)?,
                                )
                                .build(),
                        )
                        .build(),
                )
                .build(),
            (BatchOperation::UpdateObjectEncryption, BatchTarget::SseS3) => {
                return Err(Error::InvalidInput(
                    "UpdateObjectEncryption only changes objects to SSE-KMS".to_owned(),
                ));
            }
            (BatchOperation::PutObjectCopy, target) => {
                let copy = S3CopyObjectOperation::builder()
                    .target_resource(bucket_arn(&self.bucket))
                    .metadata_directive(S3MetadataDirective::Copy);
                let copy = match target {
                    BatchTarget::SseS3 => copy.new_object_metadata(
                        S3ObjectMetadata::builder()
                            .sse_algorithm(S3SseAlgorithm::Aes256)
                            .build(),
                    ),
                    BatchTarget::SseKms {
                        key_arn,
                        bucket_key,
                    } => copy
                        .new_object_metadata(
                            S3ObjectMetadata::builder()
                                .sse_algorithm(S3SseAlgorithm::Kms)
                                .build(),
                        )
                        .sse_aws_kms_key_id(key_arn)
                        .bucket_key_enabled(*bucket_key),
                };
                JobOperation::builder()
                    .s3_put_object_copy(copy.build())
                    .build()
            }
        };
        let report = JobReport::builder()
            .bucket(bucket_arn(&self.report.bucket))
            .format(JobReportFormat::ReportCsv20180820)
            .enabled(true)
            .report_scope(JobReportScope::AllTasks)
            .set_prefix(prefix_of(&self.report))
            .build();
        let (manifest, generator) = match &self.manifest {
            ManifestSpec::Csv {
                location,
                etag,
                with_versions,
            } => {
                let mut fields = vec![JobManifestFieldName::Bucket, JobManifestFieldName::Key];
                if *with_versions {
                    fields.push(JobManifestFieldName::VersionId);
                }
                let manifest = JobManifest::builder()
                    .spec(
                        JobManifestSpec::builder()
                            .format(JobManifestFormat::S3BatchOperationsCsv20180820)
                            .set_fields(Some(fields))
                            .build()
                            .map_err(built)?,
                    )
                    .location(
                        JobManifestLocation::builder()
                            .object_arn(object_arn(location))
                            .e_tag(etag)
                            .build()
                            .map_err(built)?,
                    )
                    .build();
                (Some(manifest), None)
            }
            ManifestSpec::Generator { filter, output } => {
                let date = |text: &str| {
                    aws_smithy_types::DateTime::from_str(
                        text,
                        aws_smithy_types::date_time::Format::DateTime,
                    )
                    .map_err(|e| Error::InvalidInput(format!("'{text}' is not a date: {e}")))
                };
                let mut f = JobManifestGeneratorFilter::builder()
                    .set_object_size_greater_than_bytes(
                        filter.larger_than.and_then(|n| i64::try_from(n).ok()),
                    )
                    .set_object_size_less_than_bytes(
                        filter.smaller_than.and_then(|n| i64::try_from(n).ok()),
                    );
                if let Some(after) = &filter.created_after {
                    f = f.created_after(date(after)?);
                }
                if let Some(before) = &filter.created_before {
                    f = f.created_before(date(before)?);
                }
                if let Some(prefix) = filter.prefix.as_deref().filter(|p| !p.is_empty()) {
                    f = f.key_name_constraint(
                        KeyNameConstraint::builder()
                            .match_any_prefix(prefix)
                            .build(),
                    );
                }
                if let Some(mode) = filter.encryption {
                    f = f.match_any_object_encryption(encryption_filter(mode)?);
                }
                let output_location = S3ManifestOutputLocation::builder()
                    .expected_manifest_bucket_owner(&self.account_id)
                    .bucket(bucket_arn(&output.bucket))
                    .set_manifest_prefix(prefix_of(output))
                    .manifest_format(GeneratedManifestFormat::S3InventoryReportCsv20211130)
                    .build()
                    .map_err(built)?;
                let generator = S3JobManifestGenerator::builder()
                    .expected_bucket_owner(&self.account_id)
                    .source_bucket(bucket_arn(&self.bucket))
                    .manifest_output_location(output_location)
                    .enable_manifest_output(true)
                    .filter(f.build())
                    .build()
                    .map_err(built)?;
                (
                    None,
                    Some(JobManifestGenerator::S3JobManifestGenerator(generator)),
                )
            }
        };
        Ok(SdkParts {
            operation,
            report,
            manifest,
            generator,
        })
    }
}

fn encryption_filter(mode: EncryptionMode) -> Result<ObjectEncryptionFilter> {
    filter_member(mode)?;
    Ok(match mode {
        EncryptionMode::None => ObjectEncryptionFilter::Notsse(NotSseFilter::builder().build()),
        EncryptionMode::SseS3 => ObjectEncryptionFilter::Sses3(Sses3Filter::builder().build()),
        EncryptionMode::SseKms => ObjectEncryptionFilter::Ssekms(SsekmsFilter::builder().build()),
        EncryptionMode::DsseKms => {
            ObjectEncryptionFilter::Dssekms(DssekmsFilter::builder().build())
        }
        EncryptionMode::SseC | EncryptionMode::Client => {
            ObjectEncryptionFilter::Ssec(SsecFilter::builder().build())
        }
    })
}

/// The CreateJob parts in the SDK's types.
#[derive(Clone, Debug)]
pub struct SdkParts {
    pub operation: JobOperation,
    pub report: JobReport,
    pub manifest: Option<JobManifest>,
    pub generator: Option<JobManifestGenerator>,
}

/// SHA-256 of the canonical JSON (serde_json keeps the insertion order, which is fixed
/// here), as 64 hex digits: the most S3 accepts.
fn client_request_token(input: &Value) -> String {
    hex::encode(Sha256::digest(input.to_string().as_bytes()))
}

#[cfg(test)]
#[path = "spec_tests.rs"]
mod tests;
