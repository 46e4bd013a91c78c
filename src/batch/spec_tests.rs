//! Unit tests of `spec.rs`.
use super::*;

pub(crate) fn spec(operation: BatchOperation, manifest: ManifestSpec) -> JobSpec {
    JobSpec {
        account_id: "111122223333".into(),
        bucket: "src".into(),
        target: BatchTarget::SseKms {
            key_arn: "arn:aws:kms:us-east-1:111122223333:key/k1".into(),
            bucket_key: true,
        },
        operation,
        manifest,
        report: S3Uri::new("reports", "batch/"),
        role_arn: "arn:aws:iam::111122223333:role/r".into(),
        description: "d".into(),
    }
}

fn generator(encryption: Option<EncryptionMode>) -> ManifestSpec {
    ManifestSpec::Generator {
        filter: GeneratorFilter {
            prefix: Some("photos/".into()),
            encryption,
            smaller_than: Some(MAX_BATCH_COPY + 1),
            created_before: Some("2026-01-01T00:00:00Z".into()),
            ..GeneratorFilter::default()
        },
        output: S3Uri::new("reports", "batch/s3seal-manifests"),
    }
}

#[test]
fn the_cli_input_uses_model_member_names() {
    let s = spec(
        BatchOperation::UpdateObjectEncryption,
        generator(Some(EncryptionMode::SseS3)),
    );
    let input = s.cli_input().unwrap();
    assert_eq!(input["ConfirmationRequired"], true);
    assert_eq!(
        input["Operation"]["S3UpdateObjectEncryption"]["ObjectEncryption"]["SSEKMS"]["KMSKeyArn"],
        "arn:aws:kms:us-east-1:111122223333:key/k1"
    );
    let generator = &input["ManifestGenerator"]["S3JobManifestGenerator"];
    assert_eq!(generator["SourceBucket"], "arn:aws:s3:::src");
    assert_eq!(
        generator["Filter"]["MatchAnyObjectEncryption"][0],
        json!({"SSES3": {}})
    );
    assert_eq!(
        generator["Filter"]["KeyNameConstraint"]["MatchAnyPrefix"][0],
        "photos/"
    );
    assert_eq!(
        generator["ManifestOutputLocation"]["ManifestPrefix"],
        "batch/s3seal-manifests"
    );
    assert_eq!(input["Report"]["Prefix"], "batch");
    assert_eq!(input["Report"]["ReportScope"], "AllTasks");
    let token = input["ClientRequestToken"].as_str().unwrap();
    assert_eq!(token.len(), 64);
    // The same job gives the same token; any change gives another.
    assert_eq!(s.cli_input().unwrap()["ClientRequestToken"], token);
    let mut other = s.clone();
    other.target = BatchTarget::SseKms {
        key_arn: "arn:aws:kms:us-east-1:111122223333:key/k2".into(),
        bucket_key: true,
    };
    assert_ne!(other.client_request_token().unwrap(), token);
    // The SDK's parts say the same.
    let parts = s.sdk_parts().unwrap();
    assert!(parts.manifest.is_none());
    let Some(JobManifestGenerator::S3JobManifestGenerator(g)) = parts.generator else {
        panic!("a generator")
    };
    let filter = g.filter().unwrap();
    assert_eq!(
        filter.object_size_less_than_bytes(),
        Some(MAX_BATCH_COPY as i64 + 1)
    );
    assert!(matches!(
        filter.match_any_object_encryption(),
        [ObjectEncryptionFilter::Sses3(_)]
    ));
}

#[test]
fn copies_and_csv_manifests() {
    let s = spec(
        BatchOperation::PutObjectCopy,
        ManifestSpec::Csv {
            location: S3Uri::new("reports", "m/abc.csv"),
            etag: "0123".into(),
            with_versions: false,
        },
    );
    let input = s.cli_input().unwrap();
    let copy = &input["Operation"]["S3PutObjectCopy"];
    assert_eq!(copy["TargetResource"], "arn:aws:s3:::src");
    assert_eq!(copy["NewObjectMetadata"]["SSEAlgorithm"], "KMS");
    assert_eq!(copy["BucketKeyEnabled"], true);
    assert_eq!(
        input["Manifest"]["Location"]["ObjectArn"],
        "arn:aws:s3:::reports/m/abc.csv"
    );
    assert_eq!(
        input["Manifest"]["Spec"]["Fields"],
        json!(["Bucket", "Key"])
    );
    assert!(input.get("ManifestGenerator").is_none());
    let mut sse_s3 = s.clone();
    sse_s3.target = BatchTarget::SseS3;
    assert!(
        sse_s3.cli_input().unwrap()["Operation"]["S3PutObjectCopy"]
            .get("SSEAwsKmsKeyId")
            .is_none()
    );
    sse_s3.operation = BatchOperation::UpdateObjectEncryption;
    assert!(
        sse_s3.cli_input().is_err(),
        "UpdateObjectEncryption cannot write SSE-S3"
    );
}

#[test]
fn the_cheapest_operation() {
    let kms = BatchTarget::SseKms {
        key_arn: "k".into(),
        bucket_key: false,
    };
    let uoe = BatchOperation::UpdateObjectEncryption;
    let copy = BatchOperation::PutObjectCopy;
    assert_eq!(
        BatchOperation::choose(&kms, Some(&[EncryptionMode::SseS3])),
        uoe
    );
    assert_eq!(
        BatchOperation::choose(&kms, Some(&[EncryptionMode::SseS3, EncryptionMode::SseKms])),
        uoe
    );
    assert_eq!(
        BatchOperation::choose(&kms, Some(&[EncryptionMode::None])),
        copy
    );
    assert_eq!(BatchOperation::choose(&kms, None), copy);
    assert_eq!(
        BatchOperation::choose(&BatchTarget::SseS3, Some(&[EncryptionMode::SseKms])),
        copy
    );
}
