//! The non-secret key catalog `<config_dir>/keys.json`: key names, ids, kinds and fingerprints.
//!
//! The catalog never holds key bytes: those live in the OS keyring under the record's `id`.
//! It is written atomically (temporary file in the same directory, then rename) so a crash
//! leaves either the old or the new catalog, never a torn one.

use std::fmt;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::access_keys::AccessKeyRecord;
use super::homes::KeyHome;
use crate::crypto::Key256;
use crate::error::{Error, Result};

/// File name of the catalog inside the configuration directory.
pub const CATALOG_FILE: &str = "keys.json";

/// The catalog format version this build reads and writes.
pub const CATALOG_VERSION: u32 = 1;

/// What a key is used for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeyKind {
    /// A customer-provided key sent to S3 with each request (SSE-C).
    SseC,
    /// A client-side master key that wraps per-object data keys; never leaves this machine.
    Client,
}

impl KeyKind {
    /// The name used in the catalog, on the command line and in the GUI.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SseC => "sse-c",
            Self::Client => "client",
        }
    }
}

impl fmt::Display for KeyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for KeyKind {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "sse-c" => Ok(Self::SseC),
            "client" => Ok(Self::Client),
            other => Err(Error::InvalidInput(format!(
                "unknown key kind '{other}': use 'sse-c' or 'client'"
            ))),
        }
    }
}

/// One key in the catalog. Holds only public values: never the key itself.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct KeyRecord {
    /// User-facing, unique name; renaming changes only this.
    pub name: String,
    /// Stable random id (32 hex characters): the keyring account name.
    pub id: String,
    /// What the key is for.
    pub kind: KeyKind,
    /// When the key was generated or imported.
    #[serde(with = "time::serde::rfc3339")]
    pub created: time::OffsetDateTime,
    /// Base64 MD5 of the key, as S3 reports it for SSE-C objects.
    pub md5: String,
    /// Hex SHA-256 fingerprint of the key.
    pub sha256: String,
    /// Where an SSE-C key belongs: the only places s3seal offers it without being asked.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub homes: Vec<KeyHome>,
}

impl KeyRecord {
    /// A record for `key` under `name`, with a fresh random id and the current time.
    pub fn new(name: &str, kind: KeyKind, key: &Key256) -> Result<Self> {
        Ok(Self {
            name: name.to_owned(),
            id: new_id()?,
            kind,
            created: time::OffsetDateTime::now_utc(),
            md5: key.s3_md5_base64(),
            sha256: key.sha256_fingerprint(),
            homes: Vec::new(),
        })
    }
}

/// A fresh record id: 16 random bytes as 32 lowercase hex characters.
pub fn new_id() -> Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| Error::Random(e.to_string()))?;
    Ok(hex::encode(bytes))
}

/// The on-disk shape of the catalog.
#[derive(Serialize, Deserialize)]
struct CatalogFile {
    version: u32,
    keys: Vec<KeyRecord>,
    /// KMS keys (ARNs, ids or aliases) this user trusts to wrap client-side data keys: the
    /// keys of their own client-side uploads, and those they added.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    trusted_kms_keys: Vec<String>,
    /// Access keys for S3-compatible stores (their secrets are in the keyring).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    access_keys: Vec<AccessKeyRecord>,
}

/// Everything the catalog holds.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Catalog {
    pub keys: Vec<KeyRecord>,
    pub trusted_kms_keys: Vec<String>,
    pub access_keys: Vec<AccessKeyRecord>,
}

/// The catalog's path inside `config_dir`.
pub fn catalog_path(config_dir: &Path) -> PathBuf {
    config_dir.join(CATALOG_FILE)
}

/// Reads the keys of the catalog at `path` (see [`load_all`]).
pub fn load(path: &Path) -> Result<Vec<KeyRecord>> {
    Ok(load_all(path)?.keys)
}

/// Writes `keys` to the catalog at `path`, keeping what else it holds (see [`save_all`]).
pub fn save(path: &Path, keys: &[KeyRecord]) -> Result<()> {
    let mut catalog = load_all(path)?;
    catalog.keys = keys.to_vec();
    save_all(path, &catalog)
}

/// Reads the catalog at `path`. A missing file (or directory) is an empty catalog; unreadable
/// JSON, an unknown version or duplicate names/ids are [`Error::Catalog`].
pub fn load_all(path: &Path) -> Result<Catalog> {
    let text = match std::fs::read(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Catalog::default()),
        Err(e) => return Err(Error::io("cannot read key catalog", path, e)),
    };
    let damaged = |reason: String| Error::Catalog {
        path: path.to_owned(),
        reason,
    };
    let file: CatalogFile =
        serde_json::from_slice(&text).map_err(|e| damaged(format!("not valid JSON ({e})")))?;
    if file.version != CATALOG_VERSION {
        return Err(damaged(format!(
            "it has format version {}, and this s3seal reads version {CATALOG_VERSION}",
            file.version
        )));
    }
    for (i, record) in file.keys.iter().enumerate() {
        let earlier = &file.keys[..i];
        if earlier.iter().any(|r| r.name == record.name) {
            return Err(damaged(format!("the name '{}' appears twice", record.name)));
        }
        if earlier.iter().any(|r| r.id == record.id) {
            return Err(damaged(format!("the id {} appears twice", record.id)));
        }
    }
    Ok(Catalog {
        keys: file.keys,
        trusted_kms_keys: file.trusted_kms_keys,
        access_keys: file.access_keys,
    })
}

/// Writes the catalog to `path` atomically: a temporary file (mode 0600 on unix) in the same
/// directory, flushed to disk, then renamed over the old catalog. Creates the directory
/// (mode 0700 on unix) if needed.
pub fn save_all(path: &Path, catalog: &Catalog) -> Result<()> {
    let file = CatalogFile {
        version: CATALOG_VERSION,
        keys: catalog.keys.clone(),
        trusted_kms_keys: catalog.trusted_kms_keys.clone(),
        access_keys: catalog.access_keys.clone(),
    };
    let mut json = serde_json::to_vec_pretty(&file).map_err(|e| Error::Catalog {
        path: path.to_owned(),
        reason: format!("cannot encode the catalog ({e})"),
    })?;
    json.push(b'\n');
    write_atomically(path, &json)
}

/// Writes `bytes` to `path` atomically and durably: a temporary file (mode 0600 on unix) in
/// the same directory (created 0700 if needed), flushed to disk, renamed over the old file, and
/// the directory entry flushed. A crash leaves the old file or the new one, never a torn one.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    create_private_dir(dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // tempfile creates the file with mode 0600 on unix.
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| Error::io("cannot create a temporary file in", dir, e))?;
    tmp.write_all(bytes)
        .and_then(|()| tmp.as_file().sync_all())
        .map_err(|e| Error::io("cannot write", tmp.path().to_owned(), e))?;
    tmp.persist(path)
        .map_err(|e| Error::io("cannot replace", path, e.error))?;
    sync_dir(dir);
    Ok(())
}

/// Creates `dir` and its parents; new directories get mode 0700 on unix.
fn create_private_dir(dir: &Path) -> Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(0o700);
    }
    builder
        .create(dir)
        .map_err(|e| Error::io("cannot create configuration directory", dir, e))
}

/// Flushes the directory entry after a rename (best effort; unix only).
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = std::fs::File::open(dir) {
        // Best effort: the rename already happened; failing to fsync the directory only
        // weakens durability across a power cut.
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(name: &str) -> KeyRecord {
        let key = Key256::from_bytes([7u8; 32]);
        KeyRecord::new(name, KeyKind::SseC, &key).unwrap()
    }

    #[test]
    fn kind_names_round_trip() {
        for kind in [KeyKind::SseC, KeyKind::Client] {
            assert_eq!(kind.to_string().parse::<KeyKind>().unwrap(), kind);
        }
        assert_eq!(KeyKind::SseC.to_string(), "sse-c");
        assert_eq!(serde_json::to_string(&KeyKind::SseC).unwrap(), "\"sse-c\"");
        assert_eq!(
            serde_json::to_string(&KeyKind::Client).unwrap(),
            "\"client\""
        );
        assert!(matches!(
            "ssec".parse::<KeyKind>(),
            Err(Error::InvalidInput(_))
        ));
    }

    #[test]
    fn ids_are_32_hex_and_distinct() {
        let a = new_id().unwrap();
        let b = new_id().unwrap();
        assert_eq!(a.len(), 32);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }

    #[test]
    fn missing_file_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        assert!(load(&dir.path().join("nope/keys.json")).unwrap().is_empty());
    }

    #[test]
    fn save_then_load_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let path = catalog_path(&dir.path().join("sub"));
        let keys = vec![record("a"), record("b")];
        save(&path, &keys).unwrap();
        assert_eq!(load(&path).unwrap(), keys);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("\"version\": 1"));
        assert!(text.contains("\"kind\": \"sse-c\""));
        assert!(text.ends_with('\n'));
        // Only the catalog is left behind: no stray temporary files.
        let entries: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(entries, vec![std::ffi::OsString::from("keys.json")]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
            let mode = std::fs::metadata(path.parent().unwrap())
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o700);
        }
    }

    #[test]
    fn damaged_json_is_a_catalog_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = catalog_path(dir.path());
        std::fs::write(&path, b"{\"version\":1,\"keys\":[").unwrap();
        match load(&path) {
            Err(Error::Catalog { path: p, reason }) => {
                assert_eq!(p, path);
                assert!(reason.contains("not valid JSON"), "{reason}");
            }
            other => panic!("expected Catalog error, got {other:?}"),
        }
    }

    #[test]
    fn unknown_version_and_duplicates_are_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let path = catalog_path(dir.path());
        std::fs::write(&path, b"{\"version\":2,\"keys\":[]}").unwrap();
        assert!(
            matches!(load(&path), Err(Error::Catalog { reason, .. }) if reason.contains("version 2"))
        );

        let a = record("same");
        let mut b = record("same");
        b.id = new_id().unwrap();
        let text = serde_json::to_string(&CatalogFile {
            version: 1,
            keys: vec![a, b],
            trusted_kms_keys: Vec::new(),
            access_keys: Vec::new(),
        })
        .unwrap();
        std::fs::write(&path, text).unwrap();
        assert!(
            matches!(load(&path), Err(Error::Catalog { reason, .. }) if reason.contains("'same' appears twice"))
        );
    }
}
