//! Changing one object's encryption, the whole flow every front end calls: a server-side target
//! is a copy onto itself (the data never comes down); a client-side target re-wraps the data key
//! of a client-side object (only the envelope changes).

use super::fetch::resolve_readable;
use super::rekey::{CopyTuning, RekeyRequest, rekey};
use super::write_mode::{EncryptionChoice, WriteMode, resolve_write_mode};
use crate::error::Result;
use crate::progress::{CancellationToken, Progress};
use crate::s3::client_envelope::EnvelopeLocation;
use crate::s3::{Connection, KeyAccess, ReadOptions, S3Uri};

/// What a re-encryption did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reencrypted {
    /// Copied onto itself with this encryption (described for a person).
    Copied { now: String },
    /// The envelope was rewritten where it lives; the data is untouched.
    Rewrapped {
        now: String,
        location: EnvelopeLocation,
    },
}

impl Reencrypted {
    /// One line for a person.
    pub fn summary(&self) -> String {
        match self {
            Self::Copied { now } => format!("now uses {now}"),
            Self::Rewrapped { now, location } => format!(
                "now opens with {now} (envelope rewritten in the {}; data untouched)",
                match location {
                    EnvelopeLocation::Metadata => "object's metadata",
                    EnvelopeLocation::InstructionFile => "instruction file",
                }
            ),
        }
    }
}

/// Re-encrypts `uri` as `target` says. `read` says which keys may open it as it is now (an
/// SSE-C source key, a client-side object's current master key).
pub async fn reencrypt(
    conn: &Connection,
    keys: &KeyAccess,
    uri: &S3Uri,
    target: &EncryptionChoice,
    read: &ReadOptions,
    progress: &Progress,
    cancel: &CancellationToken,
) -> Result<Reencrypted> {
    uri.require_object()?;
    let mode = resolve_write_mode(conn, keys, target, &uri.bucket).await?;
    match &mode {
        WriteMode::Client { master, .. } => {
            let resolved = resolve_readable(conn, keys, uri, read).await?;
            let location = super::client_rekey::rewrap_object(
                conn,
                keys,
                uri,
                &resolved.head,
                resolved.sse_c.as_ref(),
                read,
                master,
            )
            .await?;
            Ok(Reencrypted::Rewrapped {
                now: master.describe(),
                location,
            })
        }
        WriteMode::Server(server_side) => {
            let request = RekeyRequest {
                uri,
                keys,
                read,
                target: server_side,
            };
            rekey(conn, request, CopyTuning::default(), progress, cancel).await?;
            Ok(Reencrypted::Copied {
                now: server_side.describe(),
            })
        }
    }
}
