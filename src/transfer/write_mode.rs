//! What a write does with the data, chosen once for every front end: an [`EncryptionChoice`]
//! (what the person picked) is checked and resolved into a [`WriteMode`] (server-side headers,
//! or a client-side master key and format), and [`upload`] carries it out.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use super::client_upload::{ClientUploadRequest, upload_client_side};
use super::journal::Journal;
use super::upload::{UploadOutcome, UploadRequest, UploadTuning, upload_file};
use crate::crypto::Key256;
use crate::crypto::keywrap::FormatVersion;
use crate::error::{Error, Result};
use crate::keys::{KeyKind, KeyManager, KeyRecord};
use crate::progress::{CancellationToken, Progress};
use crate::s3::bucket::PlannedEncryption;
use crate::s3::client_master::ClientMaster;
use crate::s3::local_keys::record_home;
use crate::s3::{Connection, EncryptionMode, KeyAccess, S3Uri, ServerSide, SseCKey};

/// What the person picked for an upload or a rekey: each mode with exactly the fields it
/// needs, so a choice that cannot be carried out cannot be built. Front ends turn their flags
/// or form fields into one of these and word their own complaints on the way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EncryptionChoice {
    /// Send no encryption header: the bucket's default encryption applies.
    BucketDefault,
    SseS3,
    SseKms {
        /// KMS key id, alias or ARN; `None` is the AWS-managed key `aws/s3`.
        key: Option<String>,
        bucket_key: bool,
    },
    DsseKms {
        key: Option<String>,
    },
    /// SSE-C with the named local key.
    SseC {
        key: String,
    },
    /// Encrypted on this machine in the S3 Encryption Client format.
    Client {
        master: MasterChoice,
        format: FormatVersion,
    },
}

/// The master key of a client-side choice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MasterChoice {
    /// A local client key, by name.
    Local { key: String },
    /// An AWS KMS key with the caller's encryption context.
    Kms {
        key: String,
        context: BTreeMap<String, String>,
    },
}

impl EncryptionChoice {
    /// Whether resolving needs the local key store (so front ends open it only then).
    pub fn needs_local_key(&self) -> bool {
        matches!(
            self,
            Self::SseC { .. }
                | Self::Client {
                    master: MasterChoice::Local { .. },
                    ..
                }
        )
    }

    /// The local key named by this choice, if any.
    pub fn local_key(&self) -> Option<&str> {
        match self {
            Self::SseC { key }
            | Self::Client {
                master: MasterChoice::Local { key },
                ..
            } => Some(key),
            _ => None,
        }
    }

    /// The mode a stored object will report.
    pub fn mode(&self) -> EncryptionMode {
        match self {
            Self::BucketDefault => EncryptionMode::None,
            Self::SseS3 => EncryptionMode::SseS3,
            Self::SseKms { .. } => EncryptionMode::SseKms,
            Self::DsseKms { .. } => EncryptionMode::DsseKms,
            Self::SseC { .. } => EncryptionMode::SseC,
            Self::Client { .. } => EncryptionMode::Client,
        }
    }

    /// What the upload preview checks, without reading any key: the local key by name only.
    pub fn planned(&self) -> PlannedEncryption {
        match self {
            Self::BucketDefault => PlannedEncryption::Default,
            Self::SseS3 => PlannedEncryption::SseS3,
            Self::SseKms { key, bucket_key } => PlannedEncryption::SseKms {
                key_id: key.clone(),
                bucket_key: *bucket_key,
            },
            Self::DsseKms { key } => PlannedEncryption::DsseKms {
                key_id: key.clone(),
            },
            Self::SseC { key } => PlannedEncryption::SseC {
                key_name: Some(key.clone()),
            },
            Self::Client { master, .. } => PlannedEncryption::Client {
                master: match master {
                    MasterChoice::Local { key } => format!("local key '{key}'"),
                    MasterChoice::Kms { key, .. } => format!("KMS key {key}"),
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
            return Err(Error::WrongKeyKind {
                name,
                kind: record.kind,
                wanted: kind,
            });
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

/// Fetches what a write into `bucket` needs: the local key from the keyring (off the async
/// workers; the store is opened only when [`EncryptionChoice::needs_local_key`]), and refuses
/// SSE-C or client-side KMS over plain HTTP before any key is read. Writing with an SSE-C key
/// makes the bucket one of the key's homes; a KMS master key of a client-side write becomes a
/// trusted one (best effort both: the write does not depend on it).
pub async fn resolve_write_mode(
    conn: &Connection,
    keys: &KeyAccess,
    choice: &EncryptionChoice,
    bucket: &str,
) -> Result<WriteMode> {
    // `resolve` refuses SSE-C over plain HTTP before it reads the key.
    let mode = resolve(conn, keys, choice).await?;
    match (&mode, keys.manager().await) {
        (WriteMode::Server(ServerSide::SseC(key)), Ok(manager)) => {
            record_home(&manager, &key.name, &conn.place(), bucket).await;
            keys.forget().await;
        }
        (
            WriteMode::Client {
                master: ClientMaster::Kms { key_id, .. },
                ..
            },
            Ok(manager),
        ) => {
            let key_id = key_id.clone();
            if let Err(err) = manager.blocking(move |k| k.trust_kms_key(&key_id)).await {
                tracing::warn!(error = %err, "could not record the KMS key as trusted");
            }
        }
        (_, Err(err)) if !choice.needs_local_key() => {
            tracing::info!(error = %err, "local key store unavailable; nothing recorded about this write");
        }
        _ => {}
    }
    Ok(mode)
}

async fn resolve(
    conn: &Connection,
    keys: &KeyAccess,
    choice: &EncryptionChoice,
) -> Result<WriteMode> {
    let manager = || keys.manager();
    Ok(WriteMode::Server(match choice {
        EncryptionChoice::BucketDefault => ServerSide::Default,
        EncryptionChoice::SseS3 => ServerSide::SseS3,
        EncryptionChoice::SseKms { key, bucket_key } => ServerSide::SseKms {
            key_id: key.clone(),
            bucket_key: *bucket_key,
        },
        EncryptionChoice::DsseKms { key } => ServerSide::DsseKms {
            key_id: key.clone(),
        },
        EncryptionChoice::SseC { key } => {
            // Refuse plain HTTP before the key is even read from the keyring.
            conn.ensure_sse_c_allowed()?;
            ServerSide::SseC(sse_c_key(&manager().await?, key.clone()).await?)
        }
        EncryptionChoice::Client { master, format } => {
            let master = match master {
                MasterChoice::Local { key } => {
                    let (record, key) =
                        named_key(&manager().await?, key.clone(), KeyKind::Client).await?;
                    ClientMaster::Raw { record, key }
                }
                MasterChoice::Kms { key, context } => {
                    conn.ensure_kms_data_keys_allowed()?;
                    ClientMaster::Kms {
                        key_id: key.clone(),
                        context: context.clone(),
                    }
                }
            };
            return Ok(WriteMode::Client {
                master,
                version: *format,
            });
        }
    }))
}

/// Uploads `path` to `dest` as `mode` says, recording a multipart upload in the journal of the
/// default configuration directory so that an interrupted one continues when the same upload
/// runs again (see [`upload_with_journal`]).
pub async fn upload(
    conn: &Connection,
    path: &Path,
    dest: &S3Uri,
    mode: &WriteMode,
    progress: &Progress,
    cancel: &CancellationToken,
) -> Result<UploadOutcome> {
    let journal = Journal::default_or_warn();
    upload_with_journal(conn, path, dest, mode, journal.as_ref(), progress, cancel).await
}

/// Uploads `path` to `dest` as `mode` says, recording a multipart upload in `journal` (none:
/// an interrupted upload is aborted). An interrupted server-side upload to the same object
/// continues with its missing parts; a changed file, another encryption or a client-side
/// upload aborts it and starts over. [`UploadOutcome::continuation`] says which.
pub async fn upload_with_journal(
    conn: &Connection,
    path: &Path,
    dest: &S3Uri,
    mode: &WriteMode,
    journal: Option<&Journal>,
    progress: &Progress,
    cancel: &CancellationToken,
) -> Result<UploadOutcome> {
    let tuning = UploadTuning::default();
    upload_tuned(conn, path, dest, mode, journal, tuning, progress, cancel).await
}

/// [`upload_with_journal`] with given part sizes and parallelism (a folder upload shares its
/// pool out).
#[allow(clippy::too_many_arguments)]
pub async fn upload_tuned(
    conn: &Connection,
    path: &Path,
    dest: &S3Uri,
    mode: &WriteMode,
    journal: Option<&Journal>,
    tuning: UploadTuning,
    progress: &Progress,
    cancel: &CancellationToken,
) -> Result<UploadOutcome> {
    match mode {
        WriteMode::Server(server_side) => {
            let request = UploadRequest {
                path,
                dest,
                server_side,
                metadata: HashMap::new(),
                journal,
            };
            upload_file(conn, &request, tuning, progress, cancel).await
        }
        WriteMode::Client { master, version } => {
            let request = ClientUploadRequest {
                path,
                dest,
                master,
                version: *version,
                journal,
            };
            upload_client_side(conn, &request, tuning, progress, cancel).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_say_what_they_need() {
        assert!(!EncryptionChoice::SseS3.needs_local_key());
        let ssec = EncryptionChoice::SseC { key: "k".into() };
        assert!(ssec.needs_local_key());
        assert_eq!(ssec.local_key(), Some("k"));
        let kms = EncryptionChoice::Client {
            master: MasterChoice::Kms {
                key: "alias/x".into(),
                context: BTreeMap::new(),
            },
            format: FormatVersion::V3,
        };
        assert!(!kms.needs_local_key());
        assert_eq!(kms.mode(), EncryptionMode::Client);
        assert_eq!(
            kms.planned(),
            PlannedEncryption::Client {
                master: "KMS key alias/x".into()
            }
        );
    }
}
