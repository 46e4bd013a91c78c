//! What a job brings every object to: one definite encryption, resolved before the plan is made
//! (the KMS key's full ARN looked up, the local key checked) and kept in the plan, so a job
//! resumed tomorrow writes exactly what was planned today.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::report::EncryptionState;
use crate::crypto::FormatVersion;
use crate::error::{Error, Result};
use crate::keys::KeyKind;
use crate::s3::bucket::filter::same_kms_key;
use crate::s3::{Connection, EncryptionMode, KeyAccess, kms};
use crate::transfer::write_mode::{EncryptionChoice, MasterChoice};

/// The AWS managed key S3 uses for SSE-KMS when no key is named.
const AWS_MANAGED_S3_KEY: &str = "alias/aws/s3";

/// Why a job refuses the bucket's default as its target (front ends say it before asking).
pub const BUCKET_DEFAULT_REFUSED: &str = "a re-encryption job needs a definite encryption, not the bucket's default (which can change, or be none, and is not something the job can check each object against): choose SSE-S3, SSE-KMS, DSSE-KMS, SSE-C or client-side";

/// The encryption a job brings objects to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "kebab-case")]
pub enum Target {
    SseS3,
    SseKms {
        /// The key as the person named it (`None`: the AWS managed key `aws/s3`).
        key: Option<String>,
        /// Its full ARN (KMS DescribeKey), which UpdateObjectEncryption requires. `None` when
        /// no key was named and the AWS managed key could not be described.
        key_arn: Option<String>,
        bucket_key: bool,
    },
    DsseKms {
        key: Option<String>,
        key_arn: Option<String>,
    },
    /// SSE-C with a local key, by name (read from the keyring when the job runs).
    SseC {
        key_name: String,
    },
    /// Client-side objects get their data key re-wrapped under this master key.
    Client {
        master: ClientTarget,
    },
}

/// The master key of a client-side target.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ClientTarget {
    /// A local client key: its name and catalog id (which s3seal's envelopes record).
    Local { key_name: String, key_id: String },
    /// An AWS KMS key with the caller's encryption context.
    Kms {
        key: String,
        context: BTreeMap<String, String>,
    },
}

impl Target {
    /// Checks `choice` and looks up what the job will need: the KMS key's ARN, the local key's
    /// catalog entry. Refuses the bucket default, which is no definite encryption.
    pub async fn resolve(
        conn: &Connection,
        keys: &KeyAccess,
        choice: &EncryptionChoice,
    ) -> Result<Self> {
        let record = |name: &String| {
            let name = name.clone();
            async move {
                keys.manager()
                    .await?
                    .blocking(move |keys| keys.record(&name))
                    .await
            }
        };
        Ok(match choice {
            EncryptionChoice::BucketDefault => {
                return Err(Error::InvalidInput(BUCKET_DEFAULT_REFUSED.to_owned()));
            }
            EncryptionChoice::SseS3 => Self::SseS3,
            EncryptionChoice::SseKms { key, bucket_key } => Self::SseKms {
                key_arn: match key {
                    Some(key) => Some(kms::key_arn(conn, key).await?),
                    None => kms::key_arn(conn, AWS_MANAGED_S3_KEY).await.ok(),
                },
                key: key.clone(),
                bucket_key: *bucket_key,
            },
            EncryptionChoice::DsseKms { key } => Self::DsseKms {
                key_arn: match key {
                    Some(key) => Some(kms::key_arn(conn, key).await?),
                    None => None,
                },
                key: key.clone(),
            },
            EncryptionChoice::SseC { key } => {
                conn.ensure_sse_c_allowed()?;
                let record = record(key).await?;
                if record.kind != KeyKind::SseC {
                    return Err(Error::WrongKeyKind {
                        name: record.name,
                        kind: record.kind,
                        wanted: KeyKind::SseC,
                    });
                }
                Self::SseC {
                    key_name: record.name,
                }
            }
            EncryptionChoice::Client { master, .. } => Self::Client {
                master: match master {
                    MasterChoice::Local { key } => {
                        let record = record(key).await?;
                        if record.kind != KeyKind::Client {
                            return Err(Error::WrongKeyKind {
                                name: record.name,
                                kind: record.kind,
                                wanted: KeyKind::Client,
                            });
                        }
                        ClientTarget::Local {
                            key_name: record.name,
                            key_id: record.id,
                        }
                    }
                    MasterChoice::Kms { key, context } => {
                        conn.ensure_kms_data_keys_allowed()?;
                        ClientTarget::Kms {
                            key: key.clone(),
                            context: context.clone(),
                        }
                    }
                },
            },
        })
    }

    /// The choice a write needs at run time (keys are read from the keyring then).
    pub fn choice(&self) -> EncryptionChoice {
        match self {
            Self::SseS3 => EncryptionChoice::SseS3,
            Self::SseKms {
                key,
                key_arn,
                bucket_key,
            } => EncryptionChoice::SseKms {
                key: key_arn.clone().or_else(|| key.clone()),
                bucket_key: *bucket_key,
            },
            Self::DsseKms { key, key_arn } => EncryptionChoice::DsseKms {
                key: key_arn.clone().or_else(|| key.clone()),
            },
            Self::SseC { key_name } => EncryptionChoice::SseC {
                key: key_name.clone(),
            },
            Self::Client { master } => EncryptionChoice::Client {
                master: match master {
                    ClientTarget::Local { key_name, .. } => MasterChoice::Local {
                        key: key_name.clone(),
                    },
                    ClientTarget::Kms { key, context } => MasterChoice::Kms {
                        key: key.clone(),
                        context: context.clone(),
                    },
                },
                // A re-wrap keeps each object's own format.
                format: FormatVersion::V3,
            },
        }
    }

    /// The encryption objects end up with, as reports show it.
    pub fn state(&self) -> EncryptionState {
        match self {
            Self::SseS3 => EncryptionState::mode(EncryptionMode::SseS3),
            Self::SseKms {
                key,
                key_arn,
                bucket_key,
            } => EncryptionState::sse_kms(key_arn.clone().or_else(|| key.clone()), *bucket_key),
            Self::DsseKms { key, key_arn } => EncryptionState {
                kms_key_id: key_arn.clone().or_else(|| key.clone()),
                ..EncryptionState::mode(EncryptionMode::DsseKms)
            },
            Self::SseC { key_name } => EncryptionState {
                key_name: Some(key_name.clone()),
                ..EncryptionState::mode(EncryptionMode::SseC)
            },
            Self::Client {
                master: ClientTarget::Local { key_name, .. },
            } => EncryptionState {
                key_name: Some(key_name.clone()),
                ..EncryptionState::mode(EncryptionMode::Client)
            },
            Self::Client {
                master: ClientTarget::Kms { key, .. },
            } => EncryptionState {
                kms_key_id: Some(key.clone()),
                ..EncryptionState::mode(EncryptionMode::Client)
            },
        }
    }

    /// Whether an object encrypted as `before` (a client-side one wrapped under the local key
    /// with catalog id `client_master_id`) already is what this target asks for.
    pub fn complies(&self, before: &EncryptionState, client_master_id: Option<&str>) -> bool {
        let same_key = |wanted: &[&Option<String>]| {
            before.kms_key_id.as_deref().is_some_and(|have| {
                wanted
                    .iter()
                    .filter_map(|w| w.as_deref())
                    .any(|w| same_kms_key(have, w))
            })
        };
        match self {
            Self::SseS3 => before.mode == EncryptionMode::SseS3,
            Self::SseKms {
                key,
                key_arn,
                bucket_key,
            } => {
                before.mode == EncryptionMode::SseKms
                    && same_key(&[key_arn, key])
                    && (!bucket_key || before.bucket_key)
            }
            Self::DsseKms { key, key_arn } => {
                before.mode == EncryptionMode::DsseKms && same_key(&[key_arn, key])
            }
            Self::SseC { key_name } => {
                before.mode == EncryptionMode::SseC
                    && before.key_name.as_deref() == Some(key_name.as_str())
            }
            Self::Client {
                master: ClientTarget::Local { key_id, .. },
            } => before.mode == EncryptionMode::Client && client_master_id == Some(key_id.as_str()),
            // The KMS key inside a KMS-wrapped envelope is not readable without asking KMS:
            // such objects are always re-wrapped (a metadata-only copy).
            Self::Client {
                master: ClientTarget::Kms { .. },
            } => false,
        }
    }

    /// The KMS key ARN and Bucket Key setting UpdateObjectEncryption would apply, when this
    /// target is one it can reach (SSE-KMS with a known ARN).
    pub fn update_object_encryption(&self) -> Option<(&str, bool)> {
        match self {
            Self::SseKms {
                key_arn: Some(arn),
                bucket_key,
                ..
            } => Some((arn.as_str(), *bucket_key)),
            _ => None,
        }
    }

    /// Whether objects are re-wrapped (client-side) rather than re-encrypted by S3.
    pub fn is_client_side(&self) -> bool {
        matches!(self, Self::Client { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str = "arn:aws:kms:us-east-1:111122223333:key/0a1b";

    fn kms(bucket_key: bool) -> Target {
        Target::SseKms {
            key: Some("alias/app".into()),
            key_arn: Some(ARN.into()),
            bucket_key,
        }
    }

    #[test]
    fn compliance_follows_key_and_bucket_key() {
        let have = EncryptionState::sse_kms(Some(ARN.into()), false);
        assert!(kms(false).complies(&have, None));
        assert!(!kms(true).complies(&have, None));
        let with_bk = EncryptionState::sse_kms(Some("0a1b".into()), true);
        assert!(kms(true).complies(&with_bk, None));
        let other = EncryptionState::sse_kms(Some("arn:aws:kms:us-east-1:1:key/zz".into()), true);
        assert!(!kms(false).complies(&other, None));
        assert!(!kms(false).complies(&EncryptionState::mode(EncryptionMode::SseS3), None));
        assert!(Target::SseS3.complies(&EncryptionState::mode(EncryptionMode::SseS3), None));
    }

    #[test]
    fn client_compliance_uses_the_catalog_id() {
        let target = Target::Client {
            master: ClientTarget::Local {
                key_name: "new".into(),
                key_id: "id-new".into(),
            },
        };
        let before = EncryptionState::mode(EncryptionMode::Client);
        assert!(target.complies(&before, Some("id-new")));
        assert!(!target.complies(&before, Some("id-old")));
        assert!(!target.complies(
            &EncryptionState::mode(EncryptionMode::SseS3),
            Some("id-new")
        ));
    }

    #[test]
    fn only_sse_kms_with_an_arn_can_use_update_object_encryption() {
        assert_eq!(kms(true).update_object_encryption(), Some((ARN, true)));
        let unresolved = Target::SseKms {
            key: None,
            key_arn: None,
            bucket_key: false,
        };
        assert_eq!(unresolved.update_object_encryption(), None);
        assert_eq!(Target::SseS3.update_object_encryption(), None);
    }

    #[test]
    fn targets_keep_their_shape_on_disk() {
        let json = serde_json::to_value(kms(true)).unwrap();
        assert_eq!(json["mode"], "sse-kms");
        let back: Target = serde_json::from_value(json).unwrap();
        assert_eq!(back, kms(true));
        assert_eq!(
            kms(true).state().to_string(),
            format!("sse-kms:{ARN}+bucket-key")
        );
    }
}
