//! The IAM role a Batch Operations job runs as, made plain: the trust policy that lets S3
//! Batch Operations assume it, and the least-privilege permissions for this one job (its
//! objects, its KMS key, its manifest and its report). s3seal prints them; it never creates
//! IAM resources.

use serde::Serialize;
use serde_json::{Value, json};

use super::spec::{BatchOperation, BatchTarget, JobSpec, ManifestSpec};

/// The two policies of the job's role.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RolePolicies {
    pub trust_policy: Value,
    pub permissions_policy: Value,
    /// What the policies cannot know (source KMS keys, bucket policies that deny).
    pub notes: Vec<String>,
}

fn objects_under(bucket: &str, prefix: &str) -> String {
    format!("arn:aws:s3:::{bucket}/{prefix}*")
}

/// The role's policies for `spec`.
pub fn role_policies(spec: &JobSpec) -> RolePolicies {
    let trust_policy = json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": "batchoperations.s3.amazonaws.com"},
            "Action": "sts:AssumeRole"
        }]
    });
    let source_prefix = match &spec.manifest {
        ManifestSpec::Generator { filter, .. } => filter.prefix.clone().unwrap_or_default(),
        ManifestSpec::Csv { .. } => String::new(),
    };
    let objects = objects_under(&spec.bucket, &source_prefix);
    let mut statements = Vec::new();
    match spec.operation {
        BatchOperation::UpdateObjectEncryption => statements.push(json!({
            "Sid": "UpdateObjectEncryption",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:UpdateObjectEncryption"],
            "Resource": [objects]
        })),
        BatchOperation::PutObjectCopy => {
            statements.push(json!({
                "Sid": "CopyObjectsOntoThemselves",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectAcl", "s3:GetObjectTagging",
                           "s3:PutObject", "s3:PutObjectAcl", "s3:PutObjectTagging"],
                "Resource": [objects]
            }));
            statements.push(json!({
                "Sid": "ListSourceBucket",
                "Effect": "Allow",
                "Action": ["s3:ListBucket"],
                "Resource": [format!("arn:aws:s3:::{}", spec.bucket)]
            }));
        }
    }
    match &spec.manifest {
        ManifestSpec::Generator { output, .. } => {
            statements.push(json!({
                "Sid": "GenerateManifest",
                "Effect": "Allow",
                "Action": ["s3:PutInventoryConfiguration"],
                "Resource": [format!("arn:aws:s3:::{}", spec.bucket)]
            }));
            statements.push(json!({
                "Sid": "WriteAndReadGeneratedManifest",
                "Effect": "Allow",
                "Action": ["s3:PutObject", "s3:GetObject", "s3:GetObjectVersion"],
                "Resource": [objects_under(&output.bucket, &format!("{}/", output.key.trim_end_matches('/')))]
            }));
        }
        ManifestSpec::Csv { location, .. } => statements.push(json!({
            "Sid": "ReadManifest",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:GetObjectVersion"],
            "Resource": [format!("arn:aws:s3:::{}/{}", location.bucket, location.key)]
        })),
    }
    let report_prefix = spec.report.key.trim_end_matches('/');
    statements.push(json!({
        "Sid": "WriteCompletionReport",
        "Effect": "Allow",
        "Action": ["s3:PutObject"],
        "Resource": [if report_prefix.is_empty() {
            format!("arn:aws:s3:::{}/*", spec.report.bucket)
        } else {
            format!("arn:aws:s3:::{}/{report_prefix}/*", spec.report.bucket)
        }]
    }));
    if let BatchTarget::SseKms { key_arn, .. } = &spec.target {
        let actions: &[&str] = match spec.operation {
            BatchOperation::UpdateObjectEncryption => &[
                "kms:Decrypt",
                "kms:Encrypt",
                "kms:GenerateDataKey",
                "kms:ReEncrypt*",
            ],
            BatchOperation::PutObjectCopy => &["kms:Decrypt", "kms:GenerateDataKey"],
        };
        statements.push(json!({
            "Sid": "UseTargetKmsKey",
            "Effect": "Allow",
            "Action": actions,
            "Resource": [key_arn]
        }));
    }
    let notes = vec![
        "Objects now encrypted under other KMS keys also need kms:Decrypt (and, for UpdateObjectEncryption, kms:ReEncrypt*) on those keys: add them to the last statement's resources.".to_owned(),
        "You also need s3:CreateJob and iam:PassRole on this role to create the job, and s3:DescribeJob, s3:ListJobs and s3:UpdateJobStatus to follow, confirm or cancel it.".to_owned(),
        "A bucket policy or KMS key policy that denies the role wins over these permissions.".to_owned(),
    ];
    RolePolicies {
        trust_policy,
        permissions_policy: json!({"Version": "2012-10-17", "Statement": statements}),
        notes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::spec::{GeneratorFilter, ManifestSpec};
    use crate::s3::S3Uri;

    #[test]
    fn least_privilege_for_the_job() {
        let spec = JobSpec {
            account_id: "111122223333".into(),
            bucket: "src".into(),
            target: BatchTarget::SseKms {
                key_arn: "arn:aws:kms:us-east-1:111122223333:key/k1".into(),
                bucket_key: false,
            },
            operation: BatchOperation::UpdateObjectEncryption,
            manifest: ManifestSpec::Generator {
                filter: GeneratorFilter {
                    prefix: Some("photos/".into()),
                    ..GeneratorFilter::default()
                },
                output: S3Uri::new("rep", "b/s3seal-manifests"),
            },
            report: S3Uri::new("rep", "b/"),
            role_arn: "arn:aws:iam::111122223333:role/r".into(),
            description: "d".into(),
        };
        let p = role_policies(&spec);
        assert_eq!(
            p.trust_policy["Statement"][0]["Principal"]["Service"],
            "batchoperations.s3.amazonaws.com"
        );
        let statements = p.permissions_policy["Statement"].as_array().unwrap();
        let by_sid = |sid: &str| statements.iter().find(|s| s["Sid"] == sid).unwrap();
        assert_eq!(
            by_sid("UpdateObjectEncryption")["Resource"][0],
            "arn:aws:s3:::src/photos/*"
        );
        assert!(
            by_sid("UpdateObjectEncryption")["Action"]
                .as_array()
                .unwrap()
                .contains(&json!("s3:UpdateObjectEncryption"))
        );
        assert_eq!(
            by_sid("GenerateManifest")["Resource"][0],
            "arn:aws:s3:::src"
        );
        assert_eq!(
            by_sid("WriteCompletionReport")["Resource"][0],
            "arn:aws:s3:::rep/b/*"
        );
        assert_eq!(
            by_sid("UseTargetKmsKey")["Resource"][0],
            "arn:aws:kms:us-east-1:111122223333:key/k1"
        );
        assert!(
            statements.iter().all(|s| s["Resource"] != "*"),
            "nothing on every resource"
        );
    }
}
