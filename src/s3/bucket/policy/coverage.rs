//! How much of the S3 action space and of a bucket's resources (the bucket, its objects) a
//! statement covers.

use super::glob::{glob_covers_prefix, glob_matches, glob_touches_prefix};
use super::{PARTITIONS, Patterns, bucket_arn};

/// How much of the S3 action space a statement covers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ActionCoverage {
    All,
    /// Only these patterns (which match some S3 actions).
    Only(Vec<String>),
    /// All but these S3 actions.
    AllBut(Vec<String>),
    /// No S3 action at all.
    NoS3,
}

pub(crate) fn action_coverage(actions: &Patterns) -> ActionCoverage {
    match actions {
        Patterns::Only(list) => {
            if list.iter().any(|a| glob_covers_prefix(a, "s3:", true)) {
                ActionCoverage::All
            } else {
                let s3: Vec<String> = list
                    .iter()
                    .filter(|a| glob_touches_prefix(a, "s3:", true))
                    .cloned()
                    .collect();
                if s3.is_empty() {
                    ActionCoverage::NoS3
                } else {
                    ActionCoverage::Only(s3)
                }
            }
        }
        Patterns::AllExcept(list) => {
            let exempt: Vec<String> = list
                .iter()
                .filter(|a| glob_touches_prefix(a, "s3:", true))
                .cloned()
                .collect();
            if exempt.is_empty() {
                ActionCoverage::All
            } else if list.iter().any(|a| glob_covers_prefix(a, "s3:", true)) {
                ActionCoverage::NoS3
            } else {
                ActionCoverage::AllBut(exempt)
            }
        }
    }
}

/// Whether a statement's resources reach the bucket ARN and every object.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct ResourceCoverage {
    pub bucket: bool,
    /// Every object.
    pub all_objects: bool,
    /// At least some objects.
    pub some_objects: bool,
    /// `NotResource` patterns that exempt part of this bucket.
    pub exempt: Vec<String>,
}

impl ResourceCoverage {
    pub(super) fn touches_bucket(&self) -> bool {
        self.bucket || self.some_objects
    }
}

pub(crate) fn resource_coverage(resources: &Patterns, bucket: &str) -> ResourceCoverage {
    let hits_bucket = |p: &str| {
        PARTITIONS
            .iter()
            .any(|part| glob_matches(p, &bucket_arn(part, bucket), false))
    };
    let covers_objects = |p: &str| {
        PARTITIONS
            .iter()
            .any(|part| glob_covers_prefix(p, &format!("{}/", bucket_arn(part, bucket)), false))
    };
    let touches_objects = |p: &str| {
        PARTITIONS
            .iter()
            .any(|part| glob_touches_prefix(p, &format!("{}/", bucket_arn(part, bucket)), false))
    };
    match resources {
        Patterns::Only(list) => ResourceCoverage {
            bucket: list.iter().any(|p| hits_bucket(p)),
            all_objects: list.iter().any(|p| covers_objects(p)),
            some_objects: list.iter().any(|p| touches_objects(p)),
            exempt: Vec::new(),
        },
        Patterns::AllExcept(list) => {
            let exempt: Vec<String> = list
                .iter()
                .filter(|p| hits_bucket(p) || touches_objects(p))
                .cloned()
                .collect();
            ResourceCoverage {
                bucket: !list.iter().any(|p| hits_bucket(p)),
                all_objects: !list.iter().any(|p| touches_objects(p)),
                some_objects: !list.iter().any(|p| covers_objects(p)),
                exempt,
            }
        }
    }
}
