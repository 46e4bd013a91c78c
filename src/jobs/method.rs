//! How a job changes one object's encryption, cheapest first: UpdateObjectEncryption (no data
//! moves), a copy onto itself (CopyObject up to 5 GiB, UploadPartCopy above), a client-side
//! envelope re-wrap, or nothing (skipped, with the reason).

use std::fmt;

use serde::{Deserialize, Serialize};

/// The way one object is brought to the target encryption.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// S3's UpdateObjectEncryption: SSE-S3 or SSE-KMS → SSE-KMS, per version; no data is
    /// copied and no version is created.
    UpdateObjectEncryption,
    /// CopyObject onto itself (up to 5 GiB), conditional on the planned ETag.
    Copy,
    /// CreateMultipartUpload + UploadPartCopy onto itself (above 5 GiB).
    MultipartCopy,
    /// A client-side object: only its envelope is re-wrapped under the new master key.
    Rewrap,
    /// Nothing is done to the object (already compliant, or it cannot be changed here).
    Skip,
}

impl Method {
    /// Every method, in the order plans and reports list them.
    pub const ALL: [Self; 5] = [
        Self::UpdateObjectEncryption,
        Self::Copy,
        Self::MultipartCopy,
        Self::Rewrap,
        Self::Skip,
    ];

    /// The stable machine name (`update-object-encryption`, `copy`, …) used in JSON and CSV.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::UpdateObjectEncryption => "update-object-encryption",
            Self::Copy => "copy",
            Self::MultipartCopy => "multipart-copy",
            Self::Rewrap => "rewrap",
            Self::Skip => "skip",
        }
    }

    /// The method [`Method::as_str`] names `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == name)
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for method in Method::ALL {
            assert_eq!(Method::from_name(method.as_str()), Some(method));
            let json = serde_json::to_string(&method).unwrap();
            assert_eq!(json, format!("\"{method}\""));
        }
        assert_eq!(Method::from_name("move"), None);
    }
}
