//! What a write does with the data, chosen once for every front end: an [`EncryptionChoice`]
//! (what the person picked) is checked and resolved into a [`WriteMode`] (server-side headers,
//! or a client-side master key and format), and [`upload`] carries it out.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use super::client_upload::{ClientUploadRequest, upload_client_side};
use super::upload::{UploadOutcome, UploadRequest, UploadTuning, upload_file};
use crate::crypto::Key256;
use crate::crypto::keywrap::FormatVersion;
use crate::error::{Error, Result};
use crate::keys::{KeyKind, KeyManager, KeyRecord};
use crate::progress::{CancellationToken, Progress};
use crate::s3::bucket::PlannedEncryption;
use crate::s3::client_envelope::ClientMaster;
use crate::s3::{Connection, RequestedMode, S3Uri, ServerSide, SseCKey};

/// What the person picked for an upload or a rekey.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncryptionChoice {
    pub mode: RequestedMode,
    /// KMS key id, alias or ARN (SSE-KMS, DSSE-KMS, or client-side with KMS); `None` is the
    /// AWS-managed key for the server-side modes.
    pub kms_key: Option<String>,
    /// S3 Bucket Key (SSE-KMS only).
    pub bucket_key: bool,
    /// Local key name (SSE-C, or client-side with a local master key).
    pub key_name: Option<String>,
    /// Client-side format.
    pub format: FormatVersion,
    /// Client-side KMS encryption context.
    pub context: BTreeMap<String, String>,
}

impl Default for EncryptionChoice {
    fn default() -> Self {
        Self {
            mode: RequestedMode::Default,
            kms_key: None,
            bucket_key: false,
            key_name: None,
            format: FormatVersion::V3,
            context: BTreeMap::new(),
        }
    }
}

impl EncryptionChoice {
    /// Whether resolving needs the local key store (so front ends open it only then).
    pub fn needs_local_key(&self) -> bool {
        matches!(self.mode, RequestedMode::SseC | RequestedMode::Client) && self.key_name.is_some()
    }

    /// Rejects flag combinations that make no sense, with what to do instead.
    pub fn validate(&self) -> Result<()> {
        let usage = |m: &str| Err(Error::Usage(m.to_owned()));
        let client = self.mode == RequestedMode::Client;
        let kms_mode = matches!(self.mode, RequestedMode::SseKms | RequestedMode::DsseKms);
        if self.kms_key.is_some() && !kms_mode && !client {
            return usage("a KMS key goes with sse-kms, dsse-kms or client");
        }
        if self.bucket_key && self.mode != RequestedMode::SseKms {
            return usage("a Bucket Key goes with sse-kms");
        }
        if self.key_name.is_some() && self.mode != RequestedMode::SseC && !client {
            return usage("a local key goes with sse-c or client");
        }
        if !client && (!self.context.is_empty() || self.format != FormatVersion::V3) {
            return usage("a client-side format or encryption context goes with client");
        }
        if client && self.key_name.is_some() == self.kms_key.is_some() {
            return usage(
                "client-side encryption needs exactly one master key: a local client key or a KMS key",
            );
        }
        if client && self.key_name.is_some() && !self.context.is_empty() {
            return usage("an encryption context goes with a KMS master key");
        }
        if self.mode == RequestedMode::SseC && self.key_name.is_none() {
            return usage(
                "SSE-C needs a local key: pick one (see `s3seal keys list`) or create one",
            );
        }
        Ok(())
    }

    /// What the upload preview checks, without reading any key: the local key by name only.
    pub fn planned(&self) -> PlannedEncryption {
        match self.mode {
            RequestedMode::Default => PlannedEncryption::Default,
            RequestedMode::SseS3 => PlannedEncryption::SseS3,
            RequestedMode::SseKms => PlannedEncryption::SseKms {
                key_id: self.kms_key.clone(),
                bucket_key: self.bucket_key,
            },
            RequestedMode::DsseKms => PlannedEncryption::DsseKms {
                key_id: self.kms_key.clone(),
            },
            RequestedMode::SseC => PlannedEncryption::SseC {
                key_name: self.key_name.clone(),
            },
            RequestedMode::Client => PlannedEncryption::Client {
                master: match (&self.key_name, &self.kms_key) {
                    (Some(name), _) => format!("local key '{name}'"),
                    (None, Some(key)) => format!("KMS key {key}"),
                    (None, None) => "no master key yet".to_owned(),
                },
            },
        }
    }
}

/// What a write does with the data.
pub enum WriteMode {
    Server(ServerSide),
    Client {
        master: ClientMaster,
        version: FormatVersion,
    },
}

impl WriteMode {
    /// For messages: what the object ends up encrypted with.
    pub fn describe(&self) -> String {
        match self {
            Self::Server(s) => s.describe(),
            Self::Client { master, version } => format!(
                "client-side {} ({})",
                match version {
                    FormatVersion::V2 => "V2",
                    FormatVersion::V3 => "V3",
                },
                master.describe()
            ),
        }
    }
}

/// Loads the named key of `kind` from the keyring (off the async workers).
pub async fn named_key(
    keys: &KeyManager,
    name: String,
    kind: KeyKind,
) -> Result<(KeyRecord, Key256)> {
    keys.blocking(move |keys| {
        let (record, secret) = keys.secret(&name)?;
        if record.kind != kind {
            return Err(Error::Usage(format!(
                "key '{name}' is a {} key, not a {kind} key: pick a {kind} key (`s3seal keys list`) or create one with `s3seal keys new NAME --kind {kind}`",
                record.kind
            )));
        }
        Ok((record, secret))
    })
    .await
}

/// Loads the named SSE-C key.
pub async fn sse_c_key(keys: &KeyManager, name: String) -> Result<SseCKey> {
    let (record, secret) = named_key(keys, name, KeyKind::SseC).await?;
    Ok(SseCKey::new(record.name, secret))
}

/// Checks `choice` and fetches what the write needs. `keys` is required only when
/// [`EncryptionChoice::needs_local_key`].
pub async fn resolve_write_mode(
    conn: &Connection,
    keys: Option<&KeyManager>,
    choice: &EncryptionChoice,
) -> Result<WriteMode> {
    choice.validate()?;
    let keys =
        || keys.ok_or_else(|| Error::Usage("the local key store is not available".to_owned()));
    Ok(WriteMode::Server(match choice.mode {
        RequestedMode::Default => ServerSide::Default,
        RequestedMode::SseS3 => ServerSide::SseS3,
        RequestedMode::SseKms => ServerSide::SseKms {
            key_id: choice.kms_key.clone(),
            bucket_key: choice.bucket_key,
        },
        RequestedMode::DsseKms => ServerSide::DsseKms {
            key_id: choice.kms_key.clone(),
        },
        RequestedMode::SseC => {
            // Refuse plain HTTP before the key is even read from the keyring.
            conn.ensure_sse_c_allowed()?;
            let name = choice.key_name.clone().unwrap_or_default();
            ServerSide::SseC(sse_c_key(keys()?, name).await?)
        }
        RequestedMode::Client => {
            let master = match (&choice.key_name, &choice.kms_key) {
                (Some(name), _) => {
                    let (record, key) = named_key(keys()?, name.clone(), KeyKind::Client).await?;
                    ClientMaster::Raw { record, key }
                }
                (None, Some(key_id)) => ClientMaster::Kms {
                    key_id: key_id.clone(),
                    context: choice.context.clone(),
                },
                (None, None) => return Err(Error::Usage("no master key".to_owned())),
            };
            return Ok(WriteMode::Client {
                master,
                version: choice.format,
            });
        }
    }))
}

/// Uploads `path` to `dest` as `mode` says.
pub async fn upload(
    conn: &Connection,
    path: &Path,
    dest: &S3Uri,
    mode: &WriteMode,
    progress: &Progress,
    cancel: &CancellationToken,
) -> Result<UploadOutcome> {
    let tuning = UploadTuning::default();
    match mode {
        WriteMode::Server(server_side) => {
            let request = UploadRequest {
                path,
                dest,
                server_side,
                metadata: HashMap::new(),
            };
            upload_file(conn, &request, tuning, progress, cancel).await
        }
        WriteMode::Client { master, version } => {
            let request = ClientUploadRequest {
                path,
                dest,
                master,
                version: *version,
            };
            upload_client_side(conn, &request, tuning, progress, cancel).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choice(mode: RequestedMode) -> EncryptionChoice {
        EncryptionChoice {
            mode,
            ..Default::default()
        }
    }

    #[test]
    fn combinations_are_checked() {
        assert!(choice(RequestedMode::SseS3).validate().is_ok());
        let mut c = choice(RequestedMode::SseS3);
        c.kms_key = Some("k".into());
        assert!(c.validate().is_err());
        let mut c = choice(RequestedMode::Client);
        assert!(
            c.validate()
                .unwrap_err()
                .to_string()
                .contains("exactly one master key")
        );
        c.key_name = Some("m".into());
        assert!(c.validate().is_ok());
        assert!(c.needs_local_key());
        c.context.insert("a".into(), "b".into());
        assert!(c.validate().is_err());
        let mut c = choice(RequestedMode::SseC);
        assert!(c.validate().is_err());
        c.key_name = Some("k".into());
        assert!(c.validate().is_ok());
        let mut c = choice(RequestedMode::SseKms);
        c.format = FormatVersion::V2;
        assert!(c.validate().is_err());
    }
}
