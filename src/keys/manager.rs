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

use super::access_keys::{self, AccessKey, AccessKeyRecord};
use super::catalog::{self, KeyKind, KeyRecord};
use super::homes::{self, KeyHome};
use super::import::{ExportFormat, KeySource, encode_key, parse_key};
use super::openers;
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
            .ok_or(Error::NoConfigDir)
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

    /// Adds `home` to the homes of SSE-C key `name` (a wider home already there covers it;
    /// narrower ones it covers are dropped). Returns the record as saved.
    pub fn add_home(&self, name: &str, home: KeyHome) -> Result<KeyRecord> {
        self.update(name, |record| {
            homes::add_home(&mut record.homes, home);
        })
    }

    /// Removes `home` (exactly as listed) from the homes of key `name`.
    pub fn remove_home(&self, name: &str, home: &KeyHome) -> Result<KeyRecord> {
        let record = self.record(name)?;
        if !record.homes.contains(home) {
            return Err(Error::InvalidInput(format!(
                "key '{name}' has no home {home}; its homes are: {}",
                list_or_none(&record.homes)
            )));
        }
        // The objects it opened there are no longer offered it either.
        openers::forget_within(&self.openers_path(), &record.id, home)?;
        self.update(name, |record| record.homes.retain(|h| h != home))
    }

    /// Remembers that key `record` opened `bucket`/`key` at `place` (best effort: a failure
    /// to write only means the key is looked for by its homes next time).
    pub fn remember_opener(&self, place: &str, bucket: &str, key: &str, record: &KeyRecord) {
        if let Err(err) = openers::remember(&self.openers_path(), place, bucket, key, &record.id) {
            tracing::debug!(error = %err, "could not remember which key opened an object");
        }
    }

    /// Every remembered opener: `(place, bucket, key)` → the catalog id of the key.
    pub fn openers(&self) -> std::collections::HashMap<(String, String, String), String> {
        openers::all(&self.openers_path())
    }

    /// The KMS keys trusted to wrap client-side data keys.
    pub fn trusted_kms_keys(&self) -> Result<Vec<String>> {
        Ok(catalog::load_all(&self.catalog_path)?.trusted_kms_keys)
    }

    /// Trusts KMS key `key` (an ARN, id or alias) to wrap client-side data keys. Returns false
    /// when it was trusted already.
    pub fn trust_kms_key(&self, key: &str) -> Result<bool> {
        let key = key.trim();
        if key.is_empty() {
            return Err(Error::InvalidInput("a KMS key cannot be empty".to_owned()));
        }
        let _guard = lock_catalog();
        let mut all = catalog::load_all(&self.catalog_path)?;
        if all.trusted_kms_keys.iter().any(|k| k == key) {
            return Ok(false);
        }
        all.trusted_kms_keys.push(key.to_owned());
        catalog::save_all(&self.catalog_path, &all)?;
        Ok(true)
    }

    /// Stops trusting KMS key `key`.
    pub fn untrust_kms_key(&self, key: &str) -> Result<()> {
        let _guard = lock_catalog();
        let mut all = catalog::load_all(&self.catalog_path)?;
        let before = all.trusted_kms_keys.len();
        all.trusted_kms_keys.retain(|k| k != key);
        if all.trusted_kms_keys.len() == before {
            return Err(Error::InvalidInput(format!(
                "KMS key {key} is not trusted; the trusted ones are: {}",
                list_or_none(&all.trusted_kms_keys)
            )));
        }
        catalog::save_all(&self.catalog_path, &all)
    }

    /// Keeps an access key: the secret in the keyring, the rest in the catalog. Replaces an
    /// access key of the same name.
    pub fn save_access_key(&self, record: AccessKeyRecord, secret: &str) -> Result<()> {
        validate_name(&record.name)?;
        if record.access_key_id.trim().is_empty() || secret.is_empty() {
            return Err(Error::InvalidInput(
                "an access key needs its id and its secret".to_owned(),
            ));
        }
        let _guard = lock_catalog();
        let mut all = catalog::load_all(&self.catalog_path)?;
        self.store
            .set_bytes(&access_keys::secret_id(&record.name), secret.as_bytes())?;
        all.access_keys.retain(|k| k.name != record.name);
        all.access_keys.push(record);
        catalog::save_all(&self.catalog_path, &all)
    }

    /// The access keys kept (no secrets).
    pub fn access_keys(&self) -> Result<Vec<AccessKeyRecord>> {
        Ok(catalog::load_all(&self.catalog_path)?.access_keys)
    }

    /// Access key `name` with its secret.
    pub fn access_key(&self, name: &str) -> Result<AccessKey> {
        let record = self
            .access_keys()?
            .into_iter()
            .find(|k| k.name == name)
            .ok_or_else(|| unknown(name))?;
        let secret = self
            .store
            .get_bytes(&access_keys::secret_id(name))?
            .ok_or_else(|| Error::KeyMissingFromKeyring {
                name: name.to_owned(),
            })?;
        // Checked in place: a failed String::from_utf8 would drop an unwiped copy of it.
        let secret = std::str::from_utf8(&secret).map_err(|_| {
            Error::Keyring(format!("the secret of access key '{name}' is not text"))
        })?;
        Ok(AccessKey {
            access_key_id: record.access_key_id,
            secret: Zeroizing::new(secret.to_owned()),
        })
    }

    /// Forgets access key `name` (catalog first, then its secret).
    pub fn delete_access_key(&self, name: &str) -> Result<()> {
        let _guard = lock_catalog();
        let mut all = catalog::load_all(&self.catalog_path)?;
        let before = all.access_keys.len();
        all.access_keys.retain(|k| k.name != name);
        if all.access_keys.len() == before {
            return Err(unknown(name));
        }
        catalog::save_all(&self.catalog_path, &all)?;
        self.store.delete(&access_keys::secret_id(name))
    }

    fn openers_path(&self) -> PathBuf {
        match self.catalog_path.parent() {
            Some(dir) => openers::openers_path(dir),
            None => PathBuf::from(openers::OPENERS_FILE),
        }
    }

    /// Changes record `name` with `change` and saves the catalog.
    fn update(&self, name: &str, change: impl FnOnce(&mut KeyRecord)) -> Result<KeyRecord> {
        let _guard = lock_catalog();
        let mut keys = catalog::load(&self.catalog_path)?;
        let record = keys
            .iter_mut()
            .find(|k| k.name == name)
            .ok_or_else(|| unknown(name))?;
        change(record);
        let updated = record.clone();
        catalog::save(&self.catalog_path, &keys)?;
        Ok(updated)
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
            return Err(Error::DuplicateKey {
                existing: existing.name.clone(),
                wanted: name.to_owned(),
            });
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

fn list_or_none<T: std::fmt::Display>(items: &[T]) -> String {
    if items.is_empty() {
        "none".to_owned()
    } else {
        items
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    }
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
    Err(Error::InvalidInput(problem))
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
#[path = "manager_tests.rs"]
mod tests;
