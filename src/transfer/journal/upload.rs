//! What the journal keeps about a multipart upload in flight: where it goes, its upload id and
//! part size, the parts S3 confirmed (with their ETag and CRC64NVME), the source file's identity
//! (size, modification time, inode) and the encryption — for SSE-C the key's name and MD5 only.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::crypto::FormatVersion;
use crate::s3::client_master::ClientMaster;
use crate::s3::{S3Uri, ServerSide};
use crate::transfer::write_mode::{EncryptionChoice, MasterChoice, WriteMode};

/// A multipart upload in flight.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UploadRecord {
    /// Where the bucket lives ([`crate::s3::Connection::place`]): `aws` or `host:port`.
    pub endpoint: String,
    pub bucket: String,
    pub key: String,
    pub upload_id: String,
    /// The file being uploaded, as an absolute path.
    pub source: PathBuf,
    pub file: FileIdentity,
    pub part_size: u64,
    pub encryption: JournalEncryption,
    #[serde(with = "time::serde::rfc3339")]
    pub started: time::OffsetDateTime,
    /// Parts S3 confirmed, in part-number order.
    pub parts: Vec<PartDone>,
}

impl UploadRecord {
    pub fn dest(&self) -> S3Uri {
        S3Uri::new(&self.bucket, &self.key)
    }

    /// Bytes of the parts S3 confirmed. Saturating: an entry is a file on disk, and an edited
    /// or damaged one may hold any sizes.
    pub fn bytes_done(&self) -> u64 {
        self.parts
            .iter()
            .fold(0, |sum: u64, p| sum.saturating_add(p.size))
    }

    /// How many parts the whole file takes.
    pub fn parts_total(&self) -> u64 {
        self.file.size.div_ceil(self.part_size.max(1)).max(1)
    }

    /// Records a confirmed part (replacing an earlier record of the same number).
    pub fn add_part(&mut self, part: PartDone) {
        match self.parts.binary_search_by_key(&part.number, |p| p.number) {
            Ok(i) => self.parts[i] = part,
            Err(i) => self.parts.insert(i, part),
        }
    }
}

/// One part S3 confirmed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartDone {
    pub number: i32,
    pub size: u64,
    pub etag: String,
    /// Base64 CRC64NVME of the part, as S3 reported it.
    #[serde(default)]
    pub crc64nvme: Option<String>,
}

/// What tells a file apart from a changed one: size, modification time (to the nanosecond the
/// file system keeps) and, on unix, device and inode (a file replaced by another, even with the
/// same size and time, is a different file).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileIdentity {
    pub size: u64,
    /// Seconds and nanoseconds of the modification time since the Unix epoch (negative seconds
    /// before it).
    pub modified_secs: i64,
    pub modified_nanos: u32,
    #[serde(default)]
    pub device: Option<u64>,
    #[serde(default)]
    pub inode: Option<u64>,
}

impl FileIdentity {
    pub fn of(path: &Path) -> std::io::Result<Self> {
        Ok(Self::from_metadata(&std::fs::metadata(path)?))
    }

    pub fn from_metadata(meta: &std::fs::Metadata) -> Self {
        let (modified_secs, modified_nanos) = match meta.modified() {
            Ok(time) => match time.duration_since(std::time::UNIX_EPOCH) {
                Ok(after) => (
                    i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
                    after.subsec_nanos(),
                ),
                Err(before) => {
                    let d = before.duration();
                    (
                        -i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
                        d.subsec_nanos(),
                    )
                }
            },
            Err(_) => (0, 0),
        };
        #[cfg(unix)]
        let (device, inode) = {
            use std::os::unix::fs::MetadataExt as _;
            (Some(meta.dev()), Some(meta.ino()))
        };
        #[cfg(not(unix))]
        let (device, inode) = (None, None);
        Self {
            size: meta.len(),
            modified_secs,
            modified_nanos,
            device,
            inode,
        }
    }
}

/// The encryption an upload was started with, without any secret: enough to tell whether a new
/// `put` asks for the same, and to resolve it again (the key read anew from the keyring).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "kebab-case")]
pub enum JournalEncryption {
    BucketDefault,
    SseS3,
    SseKms {
        key: Option<String>,
        bucket_key: bool,
    },
    DsseKms {
        key: Option<String>,
    },
    /// The local key's name and the base64 MD5 S3 knows it by — never the key.
    SseC {
        key_name: String,
        key_md5: String,
    },
    /// Client-side uploads never resume (the cipher state would have to be kept on disk); the
    /// entry only lets the next run abort the upload left behind.
    Client {
        master: JournalMaster,
        format: FormatVersion,
    },
}

/// The master key of a client-side upload.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "wrap", rename_all = "kebab-case")]
pub enum JournalMaster {
    Local {
        key_name: String,
    },
    Kms {
        key: String,
        context: BTreeMap<String, String>,
    },
}

impl JournalEncryption {
    /// The encryption `mode` carries out.
    pub fn of(mode: &WriteMode) -> Self {
        match mode {
            WriteMode::Server(server_side) => Self::of_server(server_side),
            WriteMode::Client { master, version } => Self::of_client(master, *version),
        }
    }

    /// A client-side upload with `master` in format `version`.
    pub fn of_client(master: &ClientMaster, version: FormatVersion) -> Self {
        Self::Client {
            master: match master {
                ClientMaster::Raw { record, .. } => JournalMaster::Local {
                    key_name: record.name.clone(),
                },
                ClientMaster::Kms { key_id, context } => JournalMaster::Kms {
                    key: key_id.clone(),
                    context: context.clone(),
                },
            },
            format: version,
        }
    }

    /// The server-side encryption `server_side` sends.
    pub fn of_server(server_side: &ServerSide) -> Self {
        match server_side {
            ServerSide::Default => Self::BucketDefault,
            ServerSide::SseS3 => Self::SseS3,
            ServerSide::SseKms { key_id, bucket_key } => Self::SseKms {
                key: key_id.clone(),
                bucket_key: *bucket_key,
            },
            ServerSide::DsseKms { key_id } => Self::DsseKms {
                key: key_id.clone(),
            },
            ServerSide::SseC(key) => Self::SseC {
                key_name: key.name.clone(),
                key_md5: key.key_md5(),
            },
        }
    }

    /// The choice that resolves to this encryption again (keys by name).
    pub fn choice(&self) -> EncryptionChoice {
        match self {
            Self::BucketDefault => EncryptionChoice::BucketDefault,
            Self::SseS3 => EncryptionChoice::SseS3,
            Self::SseKms { key, bucket_key } => EncryptionChoice::SseKms {
                key: key.clone(),
                bucket_key: *bucket_key,
            },
            Self::DsseKms { key } => EncryptionChoice::DsseKms { key: key.clone() },
            Self::SseC { key_name, .. } => EncryptionChoice::SseC {
                key: key_name.clone(),
            },
            Self::Client { master, format } => EncryptionChoice::Client {
                master: match master {
                    JournalMaster::Local { key_name } => MasterChoice::Local {
                        key: key_name.clone(),
                    },
                    JournalMaster::Kms { key, context } => MasterChoice::Kms {
                        key: key.clone(),
                        context: context.clone(),
                    },
                },
                format: *format,
            },
        }
    }

    /// Whether an upload with this encryption can continue where it stopped.
    pub fn resumable(&self) -> bool {
        !matches!(self, Self::Client { .. })
    }

    /// For a person: what the object is being encrypted with.
    pub fn describe(&self) -> String {
        match self {
            Self::BucketDefault => "the bucket's default encryption".to_owned(),
            Self::SseS3 => "SSE-S3".to_owned(),
            Self::SseKms { key, .. } => format!(
                "SSE-KMS ({})",
                key.as_deref().unwrap_or("aws/s3 managed key")
            ),
            Self::DsseKms { key } => format!(
                "DSSE-KMS ({})",
                key.as_deref().unwrap_or("aws/s3 managed key")
            ),
            Self::SseC { key_name, .. } => format!("SSE-C (key '{key_name}')"),
            Self::Client { master, .. } => match master {
                JournalMaster::Local { key_name } => {
                    format!("client-side (local key '{key_name}')")
                }
                JournalMaster::Kms { key, .. } => format!("client-side (KMS key {key})"),
            },
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::crypto::Key256;
    use crate::s3::SseCKey;

    pub(crate) fn sample_record() -> UploadRecord {
        UploadRecord {
            endpoint: "127.0.0.1:4566".into(),
            bucket: "b".into(),
            key: "dir/file.bin".into(),
            upload_id: "upload-1".into(),
            source: "/data/file.bin".into(),
            file: FileIdentity {
                size: 20 * 1024 * 1024,
                modified_secs: 1_700_000_000,
                modified_nanos: 5,
                device: Some(1),
                inode: Some(42),
            },
            part_size: 8 * 1024 * 1024,
            encryption: JournalEncryption::SseC {
                key_name: "mine".into(),
                key_md5: "md5==".into(),
            },
            started: time::OffsetDateTime::UNIX_EPOCH,
            parts: Vec::new(),
        }
    }

    #[test]
    fn no_key_byte_is_recorded() {
        let key = Key256::from_bytes([0xAB; 32]);
        let b64 = key.to_base64();
        let mode = WriteMode::Server(ServerSide::SseC(SseCKey::new("mine", key)));
        let enc = JournalEncryption::of(&mode);
        let json = serde_json::to_string(&enc).unwrap();
        assert!(!json.contains(b64.as_str()), "{json}");
        assert!(!json.contains(&hex::encode([0xABu8; 32])), "{json}");
        assert!(json.contains("\"key_md5\""), "{json}");
        assert_eq!(enc.choice(), EncryptionChoice::SseC { key: "mine".into() });
    }

    #[test]
    fn parts_stay_ordered_and_unique() {
        let mut record = sample_record();
        for n in [3, 1, 2, 1] {
            record.add_part(PartDone {
                number: n,
                size: 10,
                etag: format!("e{n}"),
                crc64nvme: None,
            });
        }
        let numbers: Vec<_> = record.parts.iter().map(|p| p.number).collect();
        assert_eq!(numbers, [1, 2, 3]);
        assert_eq!(record.bytes_done(), 30);
        assert_eq!(record.parts_total(), 3);
        let json = serde_json::to_string(&record).unwrap();
        let back: UploadRecord = serde_json::from_str(&json).unwrap();
        assert_eq!(back, record);
    }

    #[test]
    fn identity_sees_a_rewritten_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"one").unwrap();
        let first = FileIdentity::of(&path).unwrap();
        assert_eq!(first, FileIdentity::of(&path).unwrap());
        // Same size, replaced by another file (new inode).
        let other = dir.path().join("g");
        std::fs::write(&other, b"two").unwrap();
        std::fs::rename(&other, &path).unwrap();
        assert_ne!(first, FileIdentity::of(&path).unwrap());
    }
}
