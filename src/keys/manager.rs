//! The key operations the CLI and GUI call: list, generate, import, export, rename, delete,
//! look up. Synchronous (they touch the keyring); async callers use [`KeyManager::blocking`].
//!
//! Durability order: a new key is written to the secret store first and the catalog second
//! (rolled back from the store if the catalog write fails); deleting removes the catalog
//! record first and the secret second. Catalog read-modify-write cycles are serialised by a
//! process-wide lock.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use zeroize::Zeroizing;

use super::catalog::{self, KeyKind, KeyRecord};
use super::import::{ExportFormat, KeySource, encode_key, parse_key};
use super::store::SecretStore;
use crate::crypto::Key256;
use crate::error::{Error, Result};

/// Environment variable that overrides the configuration directory.
pub const CONFIG_DIR_ENV: &str = "S3SEAL_CONFIG_DIR";

/// Longest key name accepted, in characters.
pub const MAX_NAME_CHARS: usize = 64;

/// Serialises catalog read-modify-write cycles across every `KeyManager` in the process.
static CATALOG_LOCK: Mutex<()> = Mutex::new(());

/// Keys by name: the catalog file plus a secret store.
#[derive(Clone)]
pub struct KeyManager {
    catalog_path: PathBuf,
    store: Arc<dyn SecretStore>,
}

impl std::fmt::Debug for KeyManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyManager")
            .field("catalog_path", &self.catalog_path)
            .finish_non_exhaustive()
    }
}

impl KeyManager {
    /// Keys catalogued in `<config_dir>/keys.json`, secrets in `store`.
    pub fn new(config_dir: PathBuf, store: Arc<dyn SecretStore>) -> Self {
        Self {
            catalog_path: catalog::catalog_path(&config_dir),
            store,
        }
    }

    /// `$S3SEAL_CONFIG_DIR` if set and non-empty, else the platform's configuration directory
    /// for s3seal (e.g. `~/.config/s3seal` on Linux).
    pub fn default_config_dir() -> Result<PathBuf> {
        if let Some(dir) = std::env::var_os(CONFIG_DIR_ENV).filter(|d| !d.is_empty()) {
            return Ok(PathBuf::from(dir));
        }
        directories::ProjectDirs::from("", "", "s3seal")
            .map(|dirs| dirs.config_dir().to_owned())
            .ok_or_else(|| {
                Error::Usage(format!(
                    "cannot find a home directory to keep the key catalog in; set \
                     {CONFIG_DIR_ENV} to a directory"
                ))
            })
    }

    /// Path of the catalog file.
    pub fn catalog_path(&self) -> &Path {
        &self.catalog_path
    }

    /// Every key, sorted by name.
    pub fn list(&self) -> Result<Vec<KeyRecord>> {
        let mut keys = catalog::load(&self.catalog_path)?;
        keys.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(keys)
    }

    /// Creates a fresh random key named `name`.
    pub fn generate(&self, name: &str, kind: KeyKind) -> Result<KeyRecord> {
        validate_name(name)?;
        let key = Key256::generate().map_err(|e| Error::Random(e.to_string()))?;
        self.add(name, kind, &key)
    }

    /// Imports the key in `source` under `name`. Refuses a key already present under
    /// another name.
    pub fn import(&self, name: &str, kind: KeyKind, source: &KeySource) -> Result<KeyRecord> {
        validate_name(name)?;
        let key = parse_key(source)?;
        self.add(name, kind, &key)
    }

    /// Writes key `name` to a new file at `path` (never overwrites: [`Error::WouldOverwrite`]).
    /// On unix the file is created with mode 0600.
    pub fn export_to_file(&self, name: &str, path: &Path, format: ExportFormat) -> Result<()> {
        let bytes = self.export_text(name, format)?;
        write_new_private_file(path, &bytes)
    }

    /// Key `name` encoded in `format` (text formats end with '\n'); zeroized on drop.
    pub fn export_text(&self, name: &str, format: ExportFormat) -> Result<Zeroizing<Vec<u8>>> {
        let (_, key) = self.secret(name)?;
        Ok(encode_key(&key, format))
    }

    /// Renames key `old` to `new` (catalog only; the keyring entry is keyed by id).
    pub fn rename(&self, old: &str, new: &str) -> Result<KeyRecord> {
        validate_name(new)?;
        let _guard = lock_catalog();
        let mut keys = catalog::load(&self.catalog_path)?;
        if old != new && keys.iter().any(|k| k.name == new) {
            return Err(Error::KeyExists {
                name: new.to_owned(),
            });
        }
        let record = keys
            .iter_mut()
            .find(|k| k.name == old)
            .ok_or_else(|| unknown(old))?;
        if old == new {
            return Ok(record.clone());
        }
        record.name = new.to_owned();
        let renamed = record.clone();
        catalog::save(&self.catalog_path, &keys)?;
        Ok(renamed)
    }

    /// Deletes key `name`: first from the catalog, then from the secret store.
    /// Returns the record that was removed.
    pub fn delete(&self, name: &str) -> Result<KeyRecord> {
        let _guard = lock_catalog();
        let mut keys = catalog::load(&self.catalog_path)?;
        let index = keys
            .iter()
            .position(|k| k.name == name)
            .ok_or_else(|| unknown(name))?;
        let record = keys.remove(index);
        catalog::save(&self.catalog_path, &keys)?;
        self.store.delete(&record.id).map_err(|e| match e {
            Error::Keyring(why) => Error::Keyring(format!(
                "key '{name}' was removed from the catalog, but its keyring entry '{}' could \
                 not be deleted ({why}); remove it with your keyring tool",
                record.id
            )),
            other => other,
        })?;
        Ok(record)
    }

    /// The catalog record of key `name` ([`Error::UnknownKey`] if there is none).
    pub fn record(&self, name: &str) -> Result<KeyRecord> {
        catalog::load(&self.catalog_path)?
            .into_iter()
            .find(|k| k.name == name)
            .ok_or_else(|| unknown(name))
    }

    /// Key `name` with its bytes. [`Error::KeyMissingFromKeyring`] when the catalog lists it
    /// but the secret store has no entry.
    pub fn secret(&self, name: &str) -> Result<(KeyRecord, Key256)> {
        let record = self.record(name)?;
        let key = self.fetch(&record)?;
        Ok((record, key))
    }

    /// The key whose record id is `id`, or `None` when the catalog has no such id.
    /// [`Error::KeyMissingFromKeyring`] when the catalog has it but the store does not.
    pub fn secret_by_id(&self, id: &str) -> Result<Option<(KeyRecord, Key256)>> {
        let Some(record) = catalog::load(&self.catalog_path)?
            .into_iter()
            .find(|k| k.id == id)
        else {
            return Ok(None);
        };
        let key = self.fetch(&record)?;
        Ok(Some((record, key)))
    }

    /// The key whose SSE-C MD5 (base64, as S3 reports it) is `md5_base64`.
    pub fn find_by_md5(&self, md5_base64: &str) -> Result<Option<KeyRecord>> {
        Ok(self.list()?.into_iter().find(|k| k.md5 == md5_base64))
    }

    /// The keys of one kind, sorted by name.
    pub fn keys_of_kind(&self, kind: KeyKind) -> Result<Vec<KeyRecord>> {
        let mut keys = self.list()?;
        keys.retain(|k| k.kind == kind);
        Ok(keys)
    }

    /// Runs `f` on tokio's blocking pool: the keyring must not be used from async tasks
    /// (the Linux Secret Service store panics there). Must be called within a tokio runtime.
    pub async fn blocking<T, F>(&self, f: F) -> Result<T>
    where
        F: FnOnce(&KeyManager) -> Result<T> + Send + 'static,
        T: Send + 'static,
    {
        let this = self.clone();
        match tokio::task::spawn_blocking(move || f(&this)).await {
            Ok(result) => result,
            Err(e) if e.is_cancelled() => Err(Error::Cancelled),
            Err(_) => Err(Error::Keyring(
                "the key store task stopped unexpectedly".to_owned(),
            )),
        }
    }

    /// Stores `key` (secret store first, then catalog; rolls the store back on failure).
    fn add(&self, name: &str, kind: KeyKind, key: &Key256) -> Result<KeyRecord> {
        let _guard = lock_catalog();
        let mut keys = catalog::load(&self.catalog_path)?;
        if keys.iter().any(|k| k.name == name) {
            return Err(Error::KeyExists {
                name: name.to_owned(),
            });
        }
        let record = KeyRecord::new(name, kind, key)?;
        if let Some(existing) = keys.iter().find(|k| k.sha256 == record.sha256) {
            return Err(Error::Usage(format!(
                "this key is already in the key store as '{}'; use that name, or rename it with \
                 `s3seal keys rename {} {name}`",
                existing.name, existing.name
            )));
        }
        self.store.set(&record.id, key)?;
        keys.push(record.clone());
        if let Err(e) = catalog::save(&self.catalog_path, &keys) {
            if let Err(cleanup) = self.store.delete(&record.id) {
                tracing::warn!(
                    id = %record.id,
                    error = %cleanup,
                    "could not remove the keyring entry of a key whose catalog write failed"
                );
            }
            return Err(e);
        }
        Ok(record)
    }

    fn fetch(&self, record: &KeyRecord) -> Result<Key256> {
        self.store
            .get(&record.id)?
            .ok_or_else(|| Error::KeyMissingFromKeyring {
                name: record.name.clone(),
            })
    }
}

fn lock_catalog() -> MutexGuard<'static, ()> {
    CATALOG_LOCK.lock().unwrap_or_else(PoisonError::into_inner)
}

fn unknown(name: &str) -> Error {
    Error::UnknownKey {
        name: name.to_owned(),
    }
}

/// Key names: 1 to 64 characters, no control characters, no '/', not starting with '-'.
pub fn validate_name(name: &str) -> Result<()> {
    let problem = if name.is_empty() {
        "a key name cannot be empty".to_owned()
    } else if name.chars().count() > MAX_NAME_CHARS {
        format!("a key name is at most {MAX_NAME_CHARS} characters")
    } else if name.chars().any(char::is_control) {
        "a key name cannot contain control characters".to_owned()
    } else if name.contains('/') {
        format!("key name '{name}' cannot contain '/'")
    } else if name.starts_with('-') {
        format!("key name '{name}' cannot start with '-'")
    } else {
        return Ok(());
    };
    Err(Error::Usage(problem))
}

/// Creates `path` (never replacing a file; mode 0600 on unix from the start) holding `bytes`.
/// A partly written file is removed.
fn write_new_private_file(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = match options.open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(Error::WouldOverwrite {
                path: path.to_owned(),
            });
        }
        Err(e) => return Err(Error::io("cannot create", path, e)),
    };
    if let Err(e) = file.write_all(bytes).and_then(|()| file.sync_all()) {
        drop(file);
        let _ = std::fs::remove_file(path);
        return Err(Error::io("cannot write", path, e));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::store::{KeyringStore, MemoryStore};

    struct Fixture {
        dir: tempfile::TempDir,
        store: Arc<MemoryStore>,
        keys: KeyManager,
    }

    fn fixture() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(MemoryStore::new());
        let keys = KeyManager::new(dir.path().join("config"), store.clone());
        Fixture { dir, store, keys }
    }

    fn text(s: &str) -> Zeroizing<String> {
        Zeroizing::new(s.to_owned())
    }

    #[test]
    fn generate_list_record_secret_round_trip() {
        let f = fixture();
        assert!(f.keys.list().unwrap().is_empty());
        let b = f.keys.generate("backups", KeyKind::SseC).unwrap();
        let a = f.keys.generate("archive", KeyKind::Client).unwrap();
        assert_eq!(b.name, "backups");
        assert_eq!(b.kind, KeyKind::SseC);
        assert_eq!(b.id.len(), 32);
        assert_ne!(a.id, b.id);

        let names: Vec<_> = f.keys.list().unwrap().into_iter().map(|k| k.name).collect();
        assert_eq!(names, ["archive", "backups"]);
        assert_eq!(f.keys.record("backups").unwrap(), b);

        let (record, key) = f.keys.secret("backups").unwrap();
        assert_eq!(record, b);
        assert_eq!(record.md5, key.s3_md5_base64());
        assert_eq!(record.sha256, key.sha256_fingerprint());
        assert!(f.store.get(&b.id).unwrap().unwrap() == key);

        let (by_id, key2) = f.keys.secret_by_id(&a.id).unwrap().unwrap();
        assert_eq!(by_id, a);
        assert!(key2 != key);
        assert!(
            f.keys
                .secret_by_id("0".repeat(32).as_str())
                .unwrap()
                .is_none()
        );

        assert_eq!(
            f.keys.keys_of_kind(KeyKind::Client).unwrap(),
            vec![a.clone()]
        );
        assert_eq!(f.keys.keys_of_kind(KeyKind::SseC).unwrap(), vec![b.clone()]);
        assert_eq!(f.keys.find_by_md5(&b.md5).unwrap(), Some(b));
        assert_eq!(
            f.keys.find_by_md5("AAAAAAAAAAAAAAAAAAAAAA==").unwrap(),
            None
        );

        // A second manager over the same directory sees the same catalog.
        let again = KeyManager::new(f.dir.path().join("config"), f.store.clone());
        assert_eq!(again.list().unwrap(), f.keys.list().unwrap());
    }

    #[test]
    fn imports_from_raw_file_base64_and_hex() {
        let f = fixture();
        let raw = [0x11u8; 32];
        let path = f.dir.path().join("raw.key");
        std::fs::write(&path, raw).unwrap();
        let r = f
            .keys
            .import("raw", KeyKind::SseC, &KeySource::File(path))
            .unwrap();
        assert_eq!(f.keys.secret("raw").unwrap().1.expose(), &raw);
        assert_eq!(r.sha256, Key256::from_bytes(raw).sha256_fingerprint());

        let b64 = Key256::from_bytes([0x22; 32]).to_base64();
        f.keys
            .import("b64", KeyKind::Client, &KeySource::Base64(b64))
            .unwrap();
        assert_eq!(f.keys.secret("b64").unwrap().1.expose(), &[0x22; 32]);

        let hex = text(&"33".repeat(32));
        f.keys
            .import("hex", KeyKind::SseC, &KeySource::Hex(hex))
            .unwrap();
        assert_eq!(f.keys.secret("hex").unwrap().1.expose(), &[0x33; 32]);
        assert_eq!(f.store.len(), 3);
    }

    #[test]
    fn bad_imports_are_invalid_key_and_store_nothing() {
        let f = fixture();
        let short = f.dir.path().join("short.key");
        std::fs::write(&short, [0x44u8; 31]).unwrap();
        let b64_31 = Key256::from_bytes([0x55; 32]).to_base64()[..40].to_owned() + "VQ==";
        let cases = [
            (KeySource::File(short), "the file is 31 bytes"),
            (
                KeySource::Base64(text("!!not-base64!!")),
                "not valid base64",
            ),
            (KeySource::Base64(text(&b64_31)), "decodes to 31 bytes"),
            (KeySource::Hex(text(&"ab".repeat(32)[..63])), "63 digits"),
        ];
        for (source, expected) in &cases {
            match f.keys.import("k", KeyKind::SseC, source) {
                Err(Error::InvalidKey { reason }) => {
                    assert!(reason.contains(expected), "{reason}");
                    assert!(!reason.contains("not-base64") && !reason.contains("abab"));
                    assert!(!reason.contains(&b64_31[..8]), "{reason}");
                }
                other => panic!("{source:?}: expected InvalidKey, got {:?}", other.err()),
            }
        }
        assert!(f.store.is_empty());
        assert!(f.keys.list().unwrap().is_empty());
    }

    #[test]
    fn names_are_validated_and_unique() {
        let f = fixture();
        for bad in ["", "-x", "a/b", "tab\there", &"n".repeat(65)] {
            assert!(
                matches!(f.keys.generate(bad, KeyKind::SseC), Err(Error::Usage(_))),
                "{bad:?}"
            );
        }
        f.keys.generate(&"é".repeat(64), KeyKind::SseC).unwrap();
        f.keys.generate("dup", KeyKind::SseC).unwrap();
        match f.keys.generate("dup", KeyKind::Client) {
            Err(Error::KeyExists { name }) => assert_eq!(name, "dup"),
            other => panic!("expected KeyExists, got {:?}", other.err()),
        }
        assert_eq!(f.keys.list().unwrap().len(), 2);
        assert_eq!(f.store.len(), 2);
    }

    #[test]
    fn importing_the_same_bytes_twice_names_the_holder() {
        let f = fixture();
        let hex = "7a".repeat(32);
        f.keys
            .import("first", KeyKind::SseC, &KeySource::Hex(text(&hex)))
            .unwrap();
        match f
            .keys
            .import("second", KeyKind::Client, &KeySource::Hex(text(&hex)))
        {
            Err(Error::Usage(msg)) => assert!(msg.contains("as 'first'"), "{msg}"),
            other => panic!("expected Usage, got {:?}", other.err()),
        }
        assert_eq!(f.store.len(), 1);
    }

    #[test]
    fn rename_keeps_id_and_secret() {
        let f = fixture();
        let old = f.keys.generate("old", KeyKind::SseC).unwrap();
        f.keys.generate("other", KeyKind::SseC).unwrap();
        let (_, before) = f.keys.secret("old").unwrap();
        let renamed = f.keys.rename("old", "new").unwrap();
        assert_eq!(renamed.name, "new");
        assert_eq!(renamed.id, old.id);
        assert!(f.keys.secret("new").unwrap().1 == before);
        assert!(matches!(
            f.keys.record("old"),
            Err(Error::UnknownKey { .. })
        ));
        assert!(matches!(
            f.keys.rename("new", "other"),
            Err(Error::KeyExists { .. })
        ));
        assert!(matches!(
            f.keys.rename("nope", "x"),
            Err(Error::UnknownKey { .. })
        ));
        assert!(matches!(f.keys.rename("new", "-bad"), Err(Error::Usage(_))));
        assert_eq!(f.keys.rename("new", "new").unwrap(), renamed);
    }

    #[test]
    fn delete_removes_catalog_record_and_secret() {
        let f = fixture();
        let gone = f.keys.generate("gone", KeyKind::SseC).unwrap();
        f.keys.generate("kept", KeyKind::SseC).unwrap();
        assert_eq!(f.keys.delete("gone").unwrap(), gone);
        match f.keys.secret("gone") {
            Err(Error::UnknownKey { name }) => assert_eq!(name, "gone"),
            other => panic!("expected UnknownKey, got {:?}", other.err()),
        }
        assert!(f.store.get(&gone.id).unwrap().is_none());
        assert!(matches!(
            f.keys.delete("gone"),
            Err(Error::UnknownKey { .. })
        ));
        assert_eq!(f.store.len(), 1);
    }

    #[test]
    fn missing_keyring_entry_is_reported() {
        let f = fixture();
        let r = f.keys.generate("lost", KeyKind::SseC).unwrap();
        f.store.delete(&r.id).unwrap();
        match f.keys.secret("lost") {
            Err(Error::KeyMissingFromKeyring { name }) => assert_eq!(name, "lost"),
            other => panic!("expected KeyMissingFromKeyring, got {:?}", other.err()),
        }
        assert!(matches!(
            f.keys.secret_by_id(&r.id),
            Err(Error::KeyMissingFromKeyring { .. })
        ));
    }

    #[test]
    fn export_creates_private_files_and_never_overwrites() {
        let f = fixture();
        f.keys
            .import("k", KeyKind::SseC, &KeySource::Hex(text(&"0f".repeat(32))))
            .unwrap();
        let out = f.dir.path().join("k.hex");
        f.keys.export_to_file("k", &out, ExportFormat::Hex).unwrap();
        assert_eq!(
            std::fs::read(&out).unwrap(),
            format!("{}\n", "0f".repeat(32)).into_bytes()
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&out).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        match f.keys.export_to_file("k", &out, ExportFormat::Raw) {
            Err(Error::WouldOverwrite { path }) => assert_eq!(path, out),
            other => panic!("expected WouldOverwrite, got {:?}", other.err()),
        }
        assert_eq!(std::fs::read(&out).unwrap().len(), 65, "file untouched");

        let raw = f.dir.path().join("k.bin");
        f.keys.export_to_file("k", &raw, ExportFormat::Raw).unwrap();
        assert_eq!(std::fs::read(&raw).unwrap(), vec![0x0f; 32]);
        let b64 = f.keys.export_text("k", ExportFormat::Base64).unwrap();
        assert_eq!(
            &b64[..],
            format!("{}\n", *Key256::from_bytes([0x0f; 32]).to_base64()).as_bytes()
        );
        assert!(matches!(
            f.keys.export_text("nope", ExportFormat::Raw),
            Err(Error::UnknownKey { .. })
        ));
    }

    #[test]
    fn damaged_catalog_is_reported_and_left_alone() {
        let f = fixture();
        let config = f.dir.path().join("config");
        std::fs::create_dir_all(&config).unwrap();
        let path = config.join("keys.json");
        let damaged = b"{\"version\": 1, \"keys\": [ oops";
        std::fs::write(&path, damaged).unwrap();
        assert!(matches!(f.keys.list(), Err(Error::Catalog { .. })));
        match f.keys.generate("new", KeyKind::SseC) {
            Err(Error::Catalog { path: p, .. }) => assert_eq!(p, path),
            other => panic!("expected Catalog, got {:?}", other.err()),
        }
        assert!(matches!(f.keys.delete("x"), Err(Error::Catalog { .. })));
        assert!(matches!(
            f.keys.rename("x", "y"),
            Err(Error::Catalog { .. })
        ));
        assert_eq!(std::fs::read(&path).unwrap(), damaged);
        assert!(f.store.is_empty());
    }

    /// A store that runs a hook after each successful `set`.
    struct HookStore {
        inner: MemoryStore,
        after_set: Box<dyn Fn() + Send + Sync>,
    }

    impl SecretStore for HookStore {
        fn get(&self, id: &str) -> Result<Option<Key256>> {
            self.inner.get(id)
        }
        fn set(&self, id: &str, key: &Key256) -> Result<()> {
            self.inner.set(id, key)?;
            (self.after_set)();
            Ok(())
        }
        fn delete(&self, id: &str) -> Result<()> {
            self.inner.delete(id)
        }
    }

    #[test]
    fn catalog_failure_rolls_back_the_keyring_entry() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config");
        // After the secret is stored, a plain file takes the configuration directory's place,
        // so the catalog cannot be written.
        let blocker = config.clone();
        let store = Arc::new(HookStore {
            inner: MemoryStore::new(),
            after_set: Box::new(move || std::fs::write(&blocker, b"in the way").unwrap()),
        });
        let keys = KeyManager::new(config.clone(), store.clone());
        assert!(matches!(
            keys.generate("k", KeyKind::SseC),
            Err(Error::Io { .. })
        ));
        assert!(
            store.inner.is_empty(),
            "the fresh keyring entry was removed"
        );
        std::fs::remove_file(&config).unwrap();
        assert!(keys.list().unwrap().is_empty());
    }

    #[test]
    fn works_over_keyring_core_mock() {
        let mock: Arc<keyring_core::CredentialStore> = keyring_core::mock::Store::new().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(KeyringStore::with_store("s3seal-test", mock));
        let keys = KeyManager::new(dir.path().to_owned(), store.clone());
        let r = keys
            .import("m", KeyKind::SseC, &KeySource::Hex(text(&"5c".repeat(32))))
            .unwrap();
        assert_eq!(keys.secret("m").unwrap().1.expose(), &[0x5c; 32]);
        assert_eq!(store.get(&r.id).unwrap().unwrap().expose(), &[0x5c; 32]);
        keys.delete("m").unwrap();
        assert!(store.get(&r.id).unwrap().is_none());
    }

    #[tokio::test]
    async fn blocking_runs_on_the_blocking_pool() {
        let f = fixture();
        let r = f
            .keys
            .blocking(|k| k.generate("async", KeyKind::Client))
            .await
            .unwrap();
        let (record, _) = f.keys.blocking(|k| k.secret("async")).await.unwrap();
        assert_eq!(record, r);
        let err = f.keys.blocking(|k| k.record("none")).await.err().unwrap();
        assert!(matches!(err, Error::UnknownKey { .. }));
    }
}
