//! Inspecting one object fully, as `info` and the window's inspector show it: the HEAD with the
//! SSE-C key found as the key-trust rules allow, and, for a client-side object, what its
//! envelope says and whether a local key opens it. One call for every front end.

use super::client_envelope::{InstructionProbe, load_envelope};
use super::client_master::open_envelope;
use super::connection::Connection;
use super::inspect::{ClientSideInfo, KeyStatus, ObjectInfo, object_info, resolve};
use super::local_keys::{KeyAccess, ReadOptions};
use super::uri::S3Uri;
use crate::crypto::WrapAlgorithm;
use crate::error::{Error, Result};
use crate::s3::EncryptionMode;

/// Everything s3seal can tell about `uri`. Sends an SSE-C key only as `read` allows; asks KMS
/// nothing (a KMS-wrapped envelope is described, not opened).
pub async fn inspect_fully(
    conn: &Connection,
    keys: &KeyAccess,
    uri: &S3Uri,
    read: &ReadOptions,
) -> Result<ObjectInfo> {
    uri.require_object()?;
    let resolved = resolve(conn, keys, uri, &read.keys).await?;
    let mut info = object_info(uri, &resolved);
    if resolved.sse_c_status.is_some() && resolved.sse_c.is_none() {
        // An SSE-C object whose key is not at hand: its metadata (and envelope) stay unseen.
        return Ok(info);
    }
    let Some(loaded) = load_envelope(conn, uri, &info.metadata, InstructionProbe::Ask).await?
    else {
        return Ok(info);
    };
    let envelope = &loaded.envelope;
    let wrap = envelope.wrap_algorithm();
    info.mode = EncryptionMode::Client;
    info.client = Some(ClientSideInfo {
        format: envelope.version(),
        wrap,
        location: loaded.location,
        committing: envelope.version().is_committing(),
        kms_context: (wrap == WrapAlgorithm::KmsContext)
            .then(|| envelope.encryption_context().clone()),
    });
    match wrap {
        WrapAlgorithm::AesGcm => {
            // The SSE-C key (if any) is not the client key: report the client key that opens it.
            let opened = open_envelope(conn, keys, uri, loaded.envelope, read).await;
            (info.matching_key, info.key_status) = match opened {
                Ok(opened) => (opened.local_key().map(str::to_owned), Some(KeyStatus::Fits)),
                Err(Error::ClientKeyNeeded { .. }) => (None, Some(KeyStatus::NoneFits)),
                Err(Error::Keyring(_)) => (None, Some(KeyStatus::Unavailable)),
                Err(other) => return Err(other),
            };
        }
        WrapAlgorithm::KmsContext => {
            info.matching_key = None;
            info.key_status = None;
        }
    }
    Ok(info)
}
