//! What several views read and none owns: the local keys and the KMS keys as listed, the KMS
//! aliases for badges, the connection's transport, the reading settings — and the context a
//! view's `*_ui` function gets: these, the [`Tasks`] to ask with, and the list of cross-view
//! [`Action`]s to push.

use super::actions::Action;
use super::badges::KmsNames;
use super::request::Requested;
use super::tasks::Tasks;
use crate::keys::KeyRecord;
use crate::s3::kms::KmsKeyChoice;
use crate::s3::{ReadKeys, ReadOptions};
use crate::transfer::journal::Journal;

/// Lists and settings several views show.
#[derive(Debug, Default)]
pub struct Shared {
    /// The local key catalog.
    pub keys: Requested<Vec<KeyRecord>>,
    /// The KMS keys and aliases the credentials can see.
    pub kms: Requested<Vec<KmsKeyChoice>>,
    /// KMS key ids and ARNs to aliases, for badges.
    pub kms_names: KmsNames,
    /// The connection is plain HTTP (SSE-C and client-side KMS are refused).
    pub plain_http: bool,
    /// Refuse client-side objects without key commitment when reading.
    pub require_commitment: bool,
    /// The journal of transfers in flight, beside the key catalog (`None`: no config dir).
    pub journal: Option<Journal>,
}

impl Shared {
    /// How the window reads objects: local keys at home, the settings applied.
    pub fn read_options(&self, keys: ReadKeys) -> ReadOptions {
        ReadOptions {
            keys,
            require_commitment: self.require_commitment,
            ..ReadOptions::default()
        }
    }
}

/// What a view's `*_ui` function is handed besides its own state.
pub struct Cx<'a> {
    pub tasks: &'a Tasks,
    pub shared: &'a Shared,
    pub actions: &'a mut Vec<Action>,
}
