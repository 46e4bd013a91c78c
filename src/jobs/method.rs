//! How a job changes one object's encryption, cheapest first: UpdateObjectEncryption (no data
//! moves), a copy onto itself (CopyObject up to 5 GiB, UploadPartCopy above), a client-side
//! envelope re-wrap, or nothing (skipped, with the reason).

use std::fmt;

use serde::{Deserialize, Serialize};

use super::report::EncryptionState;
use super::target::Target;
use crate::s3::EncryptionMode;

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

/// Why an object is left as it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SkipReason {
    /// It already has the target encryption.
    AlreadyCompliant,
    /// SSE-C, and none of the local keys offered opens it: S3 cannot copy it without the key.
    SseCKeyUnknown,
    /// In an archive storage class (Glacier Flexible Retrieval, Deep Archive, an archive tier
    /// of Intelligent-Tiering) and not restored: a copy needs a restore first.
    Archived,
    /// Deleted or replaced between the listing and its inspection.
    Gone,
    /// Client-side encrypted, and the target is server-side: S3 cannot decrypt it, and only
    /// its master key can be changed without a download.
    ClientSide,
    /// Server-side encrypted, and the target is client-side: that needs a download and an
    /// upload, which a job does not do.
    NotClientSide,
    /// An older version that only a copy could change: a copy makes a new current version,
    /// so the old version keeps its encryption.
    OldVersionKept,
    /// It could not be inspected (the message says why).
    NotInspected,
}

impl SkipReason {
    /// Every reason, in the order plans list them.
    pub const ALL: [Self; 8] = [
        Self::AlreadyCompliant,
        Self::SseCKeyUnknown,
        Self::Archived,
        Self::Gone,
        Self::ClientSide,
        Self::NotClientSide,
        Self::OldVersionKept,
        Self::NotInspected,
    ];

    /// The stable machine name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AlreadyCompliant => "already-compliant",
            Self::SseCKeyUnknown => "sse-c-key-unknown",
            Self::Archived => "archived",
            Self::Gone => "gone",
            Self::ClientSide => "client-side",
            Self::NotClientSide => "not-client-side",
            Self::OldVersionKept => "old-version-kept",
            Self::NotInspected => "not-inspected",
        }
    }

    /// Why, in words for any front end.
    pub fn text(self) -> &'static str {
        match self {
            Self::AlreadyCompliant => "already has the target encryption",
            Self::SseCKeyUnknown => {
                "SSE-C, and none of the local keys offered opens it, so S3 cannot copy it"
            }
            Self::Archived => {
                "in an archive storage class and not restored: a copy needs a restore first"
            }
            Self::Gone => "deleted or replaced since it was listed",
            Self::ClientSide => {
                "client-side encrypted: S3 cannot re-encrypt what it cannot read; only its master key can be changed (client-side target)"
            }
            Self::NotClientSide => {
                "not client-side encrypted: encrypting it on this machine needs a download and an upload, which a job does not do"
            }
            Self::OldVersionKept => {
                "an older version: only a copy could change it, and a copy makes a new version, so the old version keeps its encryption"
            }
            Self::NotInspected => "could not be inspected",
        }
    }
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the plan does with one object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Decision {
    /// Changed with this method (never [`Method::Skip`]).
    Process(Method),
    Skip(SkipReason),
}

impl Decision {
    /// The method a report shows ([`Method::Skip`] for a skip).
    pub fn method(self) -> Method {
        match self {
            Self::Process(method) => method,
            Self::Skip(_) => Method::Skip,
        }
    }

    pub fn skip_reason(self) -> Option<SkipReason> {
        match self {
            Self::Skip(reason) => Some(reason),
            Self::Process(_) => None,
        }
    }
}

/// What the plan learnt about one object (or version) that the choice of method depends on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectFacts {
    pub before: EncryptionState,
    /// The current version (always true when only current versions are planned).
    pub is_latest: bool,
    pub size: u64,
    /// In an archive storage class or tier, and not restored.
    pub archived: bool,
    /// Under Object Lock (a retention date in the future, or a legal hold).
    pub locked: bool,
    /// A client-side object wrapped under a local key: that key's catalog id (s3seal records
    /// it in the envelope).
    pub client_master_id: Option<String>,
}

/// What the job can use on this server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Capabilities {
    /// The server implements UpdateObjectEncryption (probed once per job).
    pub update_object_encryption: bool,
    /// Objects larger than this are copied part by part (CopyObject takes at most 5 GiB).
    pub multipart_threshold: u64,
}

/// Whether UpdateObjectEncryption could bring `before` to `target` (whatever the server): SSE-S3
/// or SSE-KMS to SSE-KMS with a known key ARN.
pub fn update_object_encryption_fits(before: &EncryptionState, target: &Target) -> bool {
    target.update_object_encryption().is_some()
        && matches!(before.mode, EncryptionMode::SseS3 | EncryptionMode::SseKms)
}

/// The cheapest way to bring the object to `target`, or why it is left alone.
pub fn decide(facts: &ObjectFacts, target: &Target, caps: Capabilities) -> Decision {
    let complies = target.complies(&facts.before, facts.client_master_id.as_deref());
    // UpdateObjectEncryption refuses objects under Object Lock (AccessDenied): they are copied
    // to a new version instead, which restates their retention and legal hold.
    let update = caps.update_object_encryption
        && !facts.locked
        && update_object_encryption_fits(&facts.before, target);
    if complies {
        return Decision::Skip(SkipReason::AlreadyCompliant);
    }
    if !facts.is_latest {
        return if update {
            Decision::Process(Method::UpdateObjectEncryption)
        } else {
            Decision::Skip(SkipReason::OldVersionKept)
        };
    }
    let client_source = facts.before.mode == EncryptionMode::Client;
    if target.is_client_side() {
        return if client_source {
            Decision::Process(Method::Rewrap)
        } else {
            Decision::Skip(SkipReason::NotClientSide)
        };
    }
    if client_source {
        return Decision::Skip(SkipReason::ClientSide);
    }
    if update {
        return Decision::Process(Method::UpdateObjectEncryption);
    }
    if facts.before.mode == EncryptionMode::SseC && facts.before.key_name.is_none() {
        return Decision::Skip(SkipReason::SseCKeyUnknown);
    }
    if facts.archived {
        return Decision::Skip(SkipReason::Archived);
    }
    if facts.size > caps.multipart_threshold {
        Decision::Process(Method::MultipartCopy)
    } else {
        Decision::Process(Method::Copy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::target::ClientTarget;

    const ARN: &str = "arn:aws:kms:us-east-1:111122223333:key/0a1b";
    const GIB: u64 = 1024 * 1024 * 1024;

    fn kms_target() -> Target {
        Target::SseKms {
            key: Some(ARN.into()),
            key_arn: Some(ARN.into()),
            bucket_key: false,
        }
    }

    fn facts(mode: EncryptionMode) -> ObjectFacts {
        ObjectFacts {
            before: EncryptionState::mode(mode),
            is_latest: true,
            size: 10,
            archived: false,
            locked: false,
            client_master_id: None,
        }
    }

    fn caps(uoe: bool) -> Capabilities {
        Capabilities {
            update_object_encryption: uoe,
            multipart_threshold: 5 * GIB,
        }
    }

    #[test]
    fn cheapest_method_first() {
        let t = kms_target();
        let d = |f: &ObjectFacts, uoe| decide(f, &t, caps(uoe));
        assert_eq!(
            d(&facts(EncryptionMode::SseS3), true),
            Decision::Process(Method::UpdateObjectEncryption)
        );
        assert_eq!(
            d(&facts(EncryptionMode::SseS3), false),
            Decision::Process(Method::Copy)
        );
        // Unencrypted, DSSE-KMS and SSE-C sources are beyond UpdateObjectEncryption.
        assert_eq!(
            d(&facts(EncryptionMode::None), true),
            Decision::Process(Method::Copy)
        );
        assert_eq!(
            d(&facts(EncryptionMode::DsseKms), true),
            Decision::Process(Method::Copy)
        );
        let mut ssec = facts(EncryptionMode::SseC);
        assert_eq!(d(&ssec, true), Decision::Skip(SkipReason::SseCKeyUnknown));
        ssec.before.key_name = Some("old".into());
        assert_eq!(d(&ssec, true), Decision::Process(Method::Copy));
        let mut big = facts(EncryptionMode::None);
        big.size = 6 * GIB;
        assert_eq!(d(&big, true), Decision::Process(Method::MultipartCopy));
        // UpdateObjectEncryption does not care about size.
        big.before.mode = EncryptionMode::SseS3;
        assert_eq!(
            d(&big, true),
            Decision::Process(Method::UpdateObjectEncryption)
        );
    }

    #[test]
    fn compliant_locked_archived_and_client_objects() {
        let t = kms_target();
        let mut done = facts(EncryptionMode::SseKms);
        done.before.kms_key_id = Some(ARN.into());
        assert_eq!(
            decide(&done, &t, caps(true)),
            Decision::Skip(SkipReason::AlreadyCompliant)
        );
        let mut locked = facts(EncryptionMode::SseS3);
        locked.locked = true;
        assert_eq!(
            decide(&locked, &t, caps(true)),
            Decision::Process(Method::Copy)
        );
        let mut archived = facts(EncryptionMode::SseS3);
        archived.archived = true;
        assert_eq!(
            decide(&archived, &t, caps(true)),
            Decision::Process(Method::UpdateObjectEncryption)
        );
        assert_eq!(
            decide(&archived, &t, caps(false)),
            Decision::Skip(SkipReason::Archived)
        );
        let client = facts(EncryptionMode::Client);
        assert_eq!(
            decide(&client, &t, caps(true)),
            Decision::Skip(SkipReason::ClientSide)
        );
    }

    #[test]
    fn client_targets_rewrap_client_objects_only() {
        let t = Target::Client {
            master: ClientTarget::Local {
                key_name: "new".into(),
                key_id: "id-new".into(),
            },
        };
        let mut client = facts(EncryptionMode::Client);
        client.client_master_id = Some("id-old".into());
        assert_eq!(
            decide(&client, &t, caps(true)),
            Decision::Process(Method::Rewrap)
        );
        client.client_master_id = Some("id-new".into());
        assert_eq!(
            decide(&client, &t, caps(true)),
            Decision::Skip(SkipReason::AlreadyCompliant)
        );
        assert_eq!(
            decide(&facts(EncryptionMode::SseS3), &t, caps(true)),
            Decision::Skip(SkipReason::NotClientSide)
        );
    }

    #[test]
    fn old_versions_change_only_in_place() {
        let t = kms_target();
        let mut old = facts(EncryptionMode::SseS3);
        old.is_latest = false;
        assert_eq!(
            decide(&old, &t, caps(true)),
            Decision::Process(Method::UpdateObjectEncryption)
        );
        assert_eq!(
            decide(&old, &t, caps(false)),
            Decision::Skip(SkipReason::OldVersionKept)
        );
        old.before.mode = EncryptionMode::None;
        assert_eq!(
            decide(&old, &t, caps(true)),
            Decision::Skip(SkipReason::OldVersionKept)
        );
        old.before.mode = EncryptionMode::SseS3;
        old.locked = true;
        assert_eq!(
            decide(&old, &t, caps(true)),
            Decision::Skip(SkipReason::OldVersionKept)
        );
        for reason in SkipReason::ALL {
            let json = serde_json::to_string(&Decision::Skip(reason)).unwrap();
            assert!(json.contains(reason.as_str()), "{json}");
        }
    }

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
