//! Where an SSE-C key belongs: its *homes*, each a place (an S3 endpoint's host, or `aws`), a
//! bucket and optionally a prefix. s3seal offers a key to S3 on its own only for objects inside
//! one of its homes; anywhere else the key is sent only when the person names it. A home is
//! recorded when s3seal uploads or re-encrypts with the key, and can be edited.

use std::fmt;

use serde::{Deserialize, Serialize};

/// One place a key belongs.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct KeyHome {
    /// `aws` for AWS S3 itself, else the custom endpoint's `host[:port]`.
    pub place: String,
    pub bucket: String,
    /// Empty: the whole bucket. Otherwise a key prefix (usually ending in `/`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub prefix: String,
}

impl KeyHome {
    /// The home of `bucket` and `prefix` (empty: the whole bucket) at `place`.
    pub fn new(place: &str, bucket: &str, prefix: &str) -> Self {
        Self {
            place: place.to_owned(),
            bucket: bucket.to_owned(),
            prefix: prefix.to_owned(),
        }
    }

    /// Whether the object `bucket`/`key` at `place` lies inside this home.
    pub fn contains(&self, place: &str, bucket: &str, key: &str) -> bool {
        self.place == place && self.bucket == bucket && key.starts_with(&self.prefix)
    }

    /// Whether every object of `other` lies inside this home too.
    pub fn covers(&self, other: &KeyHome) -> bool {
        self.place == other.place
            && self.bucket == other.bucket
            && other.prefix.starts_with(&self.prefix)
    }
}

impl fmt::Display for KeyHome {
    /// `s3://bucket/prefix`, with ` at host` when the place is not AWS.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.prefix)?;
        if self.place != "aws" {
            write!(f, " at {}", self.place)?;
        }
        Ok(())
    }
}

/// Adds `home` to `homes` unless an existing home already covers it; drops homes it covers.
/// Returns whether anything changed.
pub fn add_home(homes: &mut Vec<KeyHome>, home: KeyHome) -> bool {
    if homes.iter().any(|h| h.covers(&home)) {
        return false;
    }
    homes.retain(|h| !home.covers(h));
    homes.push(home);
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn home(place: &str, bucket: &str, prefix: &str) -> KeyHome {
        KeyHome {
            place: place.into(),
            bucket: bucket.into(),
            prefix: prefix.into(),
        }
    }

    #[test]
    fn a_home_contains_its_bucket_and_prefix_at_its_place_only() {
        let h = home("127.0.0.1:4566", "b", "team/");
        assert!(h.contains("127.0.0.1:4566", "b", "team/x"));
        assert!(!h.contains("127.0.0.1:4566", "b", "other/x"));
        assert!(!h.contains("aws", "b", "team/x"));
        assert!(!h.contains("127.0.0.1:4566", "b2", "team/x"));
        assert_eq!(h.to_string(), "s3://b/team/ at 127.0.0.1:4566");
        assert_eq!(home("aws", "b", "").to_string(), "s3://b/");
    }

    #[test]
    fn adding_keeps_the_widest_homes() {
        let mut homes = vec![home("aws", "b", "a/"), home("aws", "c", "")];
        assert!(!add_home(&mut homes, home("aws", "c", "x/")));
        assert!(add_home(&mut homes, home("aws", "b", "")));
        assert_eq!(homes, vec![home("aws", "c", ""), home("aws", "b", "")]);
        assert!(add_home(&mut homes, home("host:1", "b", "")));
        assert_eq!(homes.len(), 3);
    }
}
