//! The local keys as reads and writes on S3 use them: the key store opened on first use (the
//! platform keyring, off the async workers; or a given manager in tests), the SSE-C keys read
//! once, and which of them may be offered for an object — the one that opened it before, then
//! those whose homes contain it. A key is never offered anywhere else unless named.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::Mutex;

use super::encryption::SseCKey;
use crate::error::{Error, Result};
use crate::keys::{KeyHome, KeyKind, KeyManager, KeyRecord, KeyringStore};

/// Which local keys a read may use.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum ReadKeys {
    /// The SSE-C keys at home here (and the key that opened the object before); the local
    /// client keys for client-side objects.
    #[default]
    AtHome,
    /// The person named this local key (of either kind): use it here, wherever that is.
    Named(String),
    /// Every local SSE-C key: the person asked for it ("Try my keys…").
    AllMine,
}

/// What a read of an object may use and must require.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReadOptions {
    pub keys: ReadKeys,
    /// KMS keys trusted for this read, besides those in the key catalog.
    pub trusted_kms: Vec<String>,
    /// Pairs a client-side object's KMS encryption context must hold.
    pub expected_context: std::collections::BTreeMap<String, String>,
    /// Refuse client-side objects without key commitment (V2).
    pub require_commitment: bool,
}

impl ReadOptions {
    /// The default read with these keys.
    pub fn with_keys(keys: ReadKeys) -> Self {
        Self {
            keys,
            ..Self::default()
        }
    }
}

/// The local key store, opened when first needed and kept.
pub struct KeyAccess {
    source: Source,
    manager: Mutex<Option<KeyManager>>,
    sse_c: Mutex<Option<Arc<LocalSseCKeys>>>,
}

enum Source {
    /// The platform keyring with the catalog in this directory (`None`: the default one).
    Platform(Option<PathBuf>),
    /// A manager made by the caller (tests, in-memory stores).
    Given(KeyManager),
}

impl std::fmt::Debug for KeyAccess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyAccess").finish_non_exhaustive()
    }
}

impl KeyAccess {
    /// The platform keyring (Secret Service, Keychain, Credential Manager), with the catalog in
    /// `config_dir` or the default configuration directory. Nothing is opened yet.
    pub fn platform(config_dir: Option<PathBuf>) -> Self {
        Self::new(Source::Platform(config_dir))
    }

    /// A manager the caller made.
    pub fn with_manager(manager: KeyManager) -> Self {
        Self::new(Source::Given(manager))
    }

    fn new(source: Source) -> Self {
        Self {
            source,
            manager: Mutex::new(None),
            sse_c: Mutex::new(None),
        }
    }

    /// The configuration directory the key catalog lives in (jobs and caches live beside it),
    /// known without opening the keyring.
    pub fn config_dir(&self) -> Result<PathBuf> {
        match &self.source {
            Source::Platform(Some(dir)) => Ok(dir.clone()),
            Source::Platform(None) => KeyManager::default_config_dir(),
            Source::Given(manager) => manager
                .catalog_path()
                .parent()
                .map(PathBuf::from)
                .ok_or(Error::NoConfigDir),
        }
    }

    /// The key manager, opening the keyring on first use (on a plain thread: the Linux Secret
    /// Service store must not start on an async worker).
    pub async fn manager(&self) -> Result<KeyManager> {
        let mut slot = self.manager.lock().await;
        if let Some(manager) = slot.as_ref() {
            return Ok(manager.clone());
        }
        let manager = match &self.source {
            Source::Given(manager) => manager.clone(),
            Source::Platform(config_dir) => {
                let config_dir = config_dir.clone();
                tokio::task::spawn_blocking(move || {
                    KeyringStore::use_platform_store()?;
                    let dir = match config_dir {
                        Some(dir) => dir,
                        None => KeyManager::default_config_dir()?,
                    };
                    Ok::<_, Error>(KeyManager::new(dir, Arc::new(KeyringStore::new("s3seal"))))
                })
                .await
                .map_err(|_| {
                    Error::Keyring("opening the key store stopped unexpectedly".to_owned())
                })??
            }
        };
        *slot = Some(manager.clone());
        Ok(manager)
    }

    /// The local SSE-C keys with their homes and remembered openers, read once and kept until
    /// [`KeyAccess::forget`].
    pub async fn sse_c_keys(&self) -> Result<Arc<LocalSseCKeys>> {
        let mut slot = self.sse_c.lock().await;
        if let Some(keys) = slot.as_ref() {
            return Ok(keys.clone());
        }
        let keys = Arc::new(LocalSseCKeys::load(&self.manager().await?).await?);
        *slot = Some(keys.clone());
        Ok(keys)
    }

    /// Forgets the SSE-C keys read, after the catalog changed.
    pub async fn forget(&self) {
        *self.sse_c.lock().await = None;
    }
}

/// One local SSE-C key, ready to send, with its record (homes, id).
pub struct LocalSseCKey {
    pub record: KeyRecord,
    pub key: SseCKey,
}

/// Every local SSE-C key and the remembered openers, read from the keyring once.
#[derive(Default)]
pub struct LocalSseCKeys {
    keys: Vec<LocalSseCKey>,
    /// `(place, bucket, key)` → catalog id of the key that opened that object.
    openers: HashMap<(String, String, String), String>,
}

/// The SSE-C keys a read may send for one object, in the order to try them.
pub struct Offer<'a> {
    pub keys: Vec<&'a LocalSseCKey>,
    /// Local SSE-C keys not offered (none of their homes contains the object).
    pub held_back: usize,
}

impl LocalSseCKeys {
    /// Reads every SSE-C key from the keyring (off the async workers). A key the catalog lists
    /// but the keyring lacks is skipped with a warning.
    pub async fn load(keys: &KeyManager) -> Result<Self> {
        keys.blocking(|keys| {
            let mut out = Vec::new();
            for record in keys.keys_of_kind(KeyKind::SseC)? {
                match keys.secret(&record.name) {
                    Ok((record, secret)) => out.push(LocalSseCKey {
                        key: SseCKey::new(record.name.clone(), secret),
                        record,
                    }),
                    Err(Error::KeyMissingFromKeyring { name }) => {
                        tracing::warn!(key = %name, "catalog key missing from the OS keyring; skipped");
                    }
                    Err(other) => return Err(other),
                }
            }
            Ok(Self {
                keys: out,
                openers: keys.openers(),
            })
        })
        .await
    }

    /// The keys to offer, unasked, for `bucket`/`key` at `place`: the one that opened it
    /// before, then those whose homes contain it.
    pub fn at_home(&self, place: &str, bucket: &str, key: &str) -> Offer<'_> {
        let opener = self
            .openers
            .get(&(place.to_owned(), bucket.to_owned(), key.to_owned()));
        let mut offered: Vec<&LocalSseCKey> = Vec::new();
        if let Some(id) = opener
            && let Some(k) = self.keys.iter().find(|k| &k.record.id == id)
        {
            offered.push(k);
        }
        for k in &self.keys {
            if k.record
                .homes
                .iter()
                .any(|h| h.contains(place, bucket, key))
                && !offered.iter().any(|o| o.record.id == k.record.id)
            {
                offered.push(k);
            }
        }
        Offer {
            held_back: self.keys.len() - offered.len(),
            keys: offered,
        }
    }

    /// Every key, for an explicit "try my keys".
    pub fn all(&self) -> Offer<'_> {
        Offer {
            keys: self.keys.iter().collect(),
            held_back: 0,
        }
    }

    /// The keys' names.
    pub fn names(&self) -> Vec<String> {
        self.keys.iter().map(|k| k.record.name.clone()).collect()
    }
}

/// Records that the SSE-C key `record` opened `bucket`/`key` at `place`, off the async workers.
pub async fn remember_opener(
    keys: &KeyManager,
    place: &str,
    bucket: &str,
    key: &str,
    record: &KeyRecord,
) {
    let (place, bucket, key, record) = (
        place.to_owned(),
        bucket.to_owned(),
        key.to_owned(),
        record.clone(),
    );
    let _ = keys
        .blocking(move |keys| {
            keys.remember_opener(&place, &bucket, &key, &record);
            Ok(())
        })
        .await;
}

/// Makes `bucket` (at `place`) a home of the SSE-C key `name`, after s3seal wrote with it
/// there. A failure is logged, not returned: the write itself succeeded.
pub async fn record_home(keys: &KeyManager, name: &str, place: &str, bucket: &str) {
    let (name, home) = (name.to_owned(), KeyHome::new(place, bucket, ""));
    if let Err(err) = keys.blocking(move |keys| keys.add_home(&name, home)).await {
        tracing::warn!(error = %err, "could not record the bucket as a home of the key");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::MemoryStore;

    fn manager() -> (tempfile::TempDir, KeyManager) {
        let dir = tempfile::tempdir().unwrap();
        let keys = KeyManager::new(dir.path().to_owned(), Arc::new(MemoryStore::new()));
        (dir, keys)
    }

    #[tokio::test]
    async fn only_keys_at_home_are_offered_and_the_opener_comes_first() {
        let (_dir, keys) = manager();
        for name in ["home", "away", "opener"] {
            keys.generate(name, KeyKind::SseC).unwrap();
        }
        keys.add_home("home", KeyHome::new("h:1", "b", "")).unwrap();
        keys.add_home("opener", KeyHome::new("h:1", "other", ""))
            .unwrap();
        let opener = keys.record("opener").unwrap();
        keys.remember_opener("h:1", "b", "obj", &opener);
        let local = LocalSseCKeys::load(&keys).await.unwrap();
        let names = |offer: Offer<'_>| {
            offer
                .keys
                .iter()
                .map(|k| k.record.name.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(names(local.at_home("h:1", "b", "obj")), ["opener", "home"]);
        assert_eq!(names(local.at_home("h:1", "b", "x")), ["home"]);
        assert_eq!(local.at_home("h:1", "b", "x").held_back, 2);
        assert!(local.at_home("evil:443", "b", "obj").keys.is_empty());
        assert_eq!(local.all().keys.len(), 3);
    }
}
