//! `s3://BUCKET/KEY` addresses as the CLI and the window take them.

use std::fmt;
use std::str::FromStr;

use crate::error::Error;

/// A bucket and a key (or prefix; empty for the bucket itself).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct S3Uri {
    pub bucket: String,
    pub key: String,
}

impl S3Uri {
    pub fn new(bucket: impl Into<String>, key: impl Into<String>) -> Self {
        Self {
            bucket: bucket.into(),
            key: key.into(),
        }
    }

    /// Where a file uploaded "to" this URI lands: a bucket or folder (`s3://b/dir/`) gets the
    /// file's name appended; an object key is kept as given.
    pub fn upload_target(&self, file: &std::path::Path) -> Self {
        let mut dest = self.clone();
        if dest.key.is_empty() || dest.key.ends_with('/') {
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            dest.key.push_str(&name);
        }
        dest
    }

    /// Fails unless the URI names an object (a non-empty key that is not a folder).
    pub fn require_object(&self) -> Result<(), Error> {
        if self.key.is_empty() || self.key.ends_with('/') {
            Err(Error::InvalidInput(format!(
                "{self} names a bucket or folder, not an object: add the object key, e.g. s3://{}/file.txt",
                self.bucket
            )))
        } else {
            Ok(())
        }
    }
}

impl FromStr for S3Uri {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        let rest = s.strip_prefix("s3://").ok_or_else(|| {
            Error::InvalidInput(format!(
                "'{s}' is not an S3 address: write it as s3://BUCKET/KEY"
            ))
        })?;
        let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(Error::InvalidInput(format!(
                "'{s}' has no bucket name: write it as s3://BUCKET/KEY"
            )));
        }
        Ok(Self::new(bucket, key))
    }
}

/// As its text, `s3://BUCKET/KEY`.
impl serde::Serialize for S3Uri {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl fmt::Display for S3Uri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_bucket_key_and_prefix() {
        let u: S3Uri = "s3://b/a/b.txt".parse().unwrap();
        assert_eq!((u.bucket.as_str(), u.key.as_str()), ("b", "a/b.txt"));
        let u: S3Uri = "s3://b".parse().unwrap();
        assert_eq!((u.bucket.as_str(), u.key.as_str()), ("b", ""));
        assert!(u.require_object().is_err());
        let err = "b/k".parse::<S3Uri>().unwrap_err().to_string();
        assert!(err.contains("s3://BUCKET/KEY"), "{err}");
        assert!("s3:///k".parse::<S3Uri>().is_err());
        let file = std::path::Path::new("/tmp/photo.jpg");
        assert_eq!(
            S3Uri::new("b", "dir/").upload_target(file).key,
            "dir/photo.jpg"
        );
        assert_eq!(S3Uri::new("b", "").upload_target(file).key, "photo.jpg");
        assert_eq!(S3Uri::new("b", "x.jpg").upload_target(file).key, "x.jpg");
    }
}
