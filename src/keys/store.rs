//! Where secret key bytes live: the [`SecretStore`] trait, the OS-keyring implementation over
//! keyring-core, and an in-memory store for tests.
//!
//! Errors from the keyring are rewritten into [`Error::Keyring`] messages that name the entry
//! (service and id) and never carry secret bytes: keyring-core's `BadEncoding`/`BadDataFormat`
//! errors hold the raw secret, so their payloads are dropped.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use keyring_core::{CredentialStore, Entry};
use zeroize::Zeroizing;

use crate::crypto::{KEY_LEN, Key256};
use crate::error::{Error, Result};

/// The keyring service name s3seal stores its keys under.
pub const DEFAULT_SERVICE: &str = "s3seal";

/// A place that holds key bytes, addressed by the catalog record's `id`.
///
/// Implementations are synchronous and may block (an OS keyring can prompt the user or wait on
/// D-Bus). **Do not call them from inside a tokio async task**: the Linux Secret Service store
/// (zbus, tokio flavour) panics with "Cannot start a runtime from within a runtime". From async
/// code go through `tokio::task::spawn_blocking` (see `KeyManager::blocking`) or a plain thread.
pub trait SecretStore: Send + Sync {
    /// The key stored under `id`, or `None` when the store has no entry for it.
    fn get(&self, id: &str) -> Result<Option<Key256>>;
    /// Stores `key` under `id`, replacing any previous value.
    fn set(&self, id: &str, key: &Key256) -> Result<()>;
    /// Removes the entry for `id`; removing a missing entry is `Ok`.
    fn delete(&self, id: &str) -> Result<()>;
    /// A secret of any length (an access key's secret) stored under `id`.
    fn get_bytes(&self, id: &str) -> Result<Option<Zeroizing<Vec<u8>>>>;
    /// Stores a secret of any length under `id`.
    fn set_bytes(&self, id: &str, secret: &[u8]) -> Result<()>;
}

/// The OS keyring through keyring-core: one entry per key, service `s3seal`, account = id.
///
/// Blocking; see [`SecretStore`] about async callers.
pub struct KeyringStore {
    service: String,
    /// `None`: keyring-core's default store (see [`KeyringStore::use_platform_store`]).
    store: Option<Arc<CredentialStore>>,
}

impl std::fmt::Debug for KeyringStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyringStore")
            .field("service", &self.service)
            .field("explicit_store", &self.store.is_some())
            .finish()
    }
}

/// Serialises [`KeyringStore::use_platform_store`] so two threads never connect twice.
static INSTALL_LOCK: Mutex<()> = Mutex::new(());

impl KeyringStore {
    /// Entries under `service` in keyring-core's default store.
    pub fn new(service: &str) -> Self {
        Self {
            service: service.to_owned(),
            store: None,
        }
    }

    /// Entries under `service` in an explicit keyring-core store (e.g. its `mock` store in tests),
    /// bypassing the process-wide default.
    pub fn with_store(service: &str, store: Arc<CredentialStore>) -> Self {
        Self {
            service: service.to_owned(),
            store: Some(store),
        }
    }

    /// Installs the platform's keyring as keyring-core's default store: the Secret Service
    /// (zbus) on Linux, the login keychain on macOS, the Credential Manager on Windows.
    ///
    /// Safe to call more than once and from several threads: once a default store is set
    /// (by an earlier call, or by a test that installed keyring-core's mock) it is kept.
    /// It blocks while it connects (D-Bus on Linux), but it is safe to call from async code:
    /// the connection is made on a separate plain thread, because the zbus store panics when
    /// used on a tokio runtime thread.
    pub fn use_platform_store() -> Result<()> {
        let _guard = INSTALL_LOCK.lock().unwrap_or_else(PoisonError::into_inner);
        if keyring_core::get_default_store().is_some() {
            return Ok(());
        }
        let store =
            std::thread::scope(|scope| scope.spawn(platform_store).join()).map_err(|_| {
                Error::Keyring("connecting to the OS keyring failed unexpectedly".to_owned())
            })??;
        keyring_core::set_default_store(store);
        Ok(())
    }

    fn entry(&self, id: &str) -> Result<Entry> {
        let entry = match &self.store {
            Some(store) => Entry::new_in_store(store, &self.service, id),
            None => Entry::new(&self.service, id),
        };
        entry.map_err(|e| keyring_error(&e, "open", &self.service, id))
    }
}

#[cfg(target_os = "linux")]
fn platform_store() -> Result<Arc<CredentialStore>> {
    let store = zbus_secret_service_keyring_store::Store::new()
        .map_err(|e| keyring_error(&e, "connect to the Secret Service for", DEFAULT_SERVICE, ""))?;
    Ok(store)
}

#[cfg(target_os = "macos")]
fn platform_store() -> Result<Arc<CredentialStore>> {
    let store = apple_native_keyring_store::keychain::Store::new()
        .map_err(|e| keyring_error(&e, "open the macOS keychain for", DEFAULT_SERVICE, ""))?;
    Ok(store)
}

#[cfg(windows)]
fn platform_store() -> Result<Arc<CredentialStore>> {
    let store = windows_native_keyring_store::Store::new().map_err(|e| {
        keyring_error(
            &e,
            "open the Windows Credential Manager for",
            DEFAULT_SERVICE,
            "",
        )
    })?;
    Ok(store)
}

#[cfg(not(any(target_os = "linux", target_os = "macos", windows)))]
fn platform_store() -> Result<Arc<CredentialStore>> {
    Err(Error::Keyring(
        "s3seal has no OS keyring support on this platform".to_owned(),
    ))
}

/// Rewrites a keyring-core error without any secret payload.
fn keyring_error(err: &keyring_core::Error, op: &str, service: &str, id: &str) -> Error {
    use keyring_core::Error as K;
    let what = if id.is_empty() {
        format!("cannot {op} service '{service}'")
    } else {
        format!("cannot {op} entry '{id}' of service '{service}'")
    };
    let detail = match err {
        K::PlatformFailure(inner) => format!("platform failure: {inner}"),
        K::NoStorageAccess(inner) => format!("the keyring is locked or unreachable: {inner}"),
        K::NoEntry => "no such entry".to_owned(),
        // These two carry the raw secret: never print their payload.
        K::BadEncoding(_) | K::BadDataFormat(..) => {
            "the stored data is not in the expected format".to_owned()
        }
        K::BadStoreFormat(reason) => format!("the keyring store is malformed: {reason}"),
        K::TooLong(attr, limit) => format!("'{attr}' is longer than the platform limit of {limit}"),
        K::Invalid(attr, reason) => format!("'{attr}' is invalid: {reason}"),
        K::Ambiguous(entries) => format!("{} keyring entries match it", entries.len()),
        K::NoDefaultStore => {
            "no keyring store was selected (KeyringStore::use_platform_store was not called)"
                .to_owned()
        }
        K::NotSupportedByStore(what) => format!("not supported by this keyring: {what}"),
        _ => "unexpected keyring error".to_owned(),
    };
    Error::Keyring(format!("{what}: {detail}"))
}

impl SecretStore for KeyringStore {
    fn get(&self, id: &str) -> Result<Option<Key256>> {
        let entry = self.entry(id)?;
        let secret = match entry.get_secret() {
            Ok(secret) => Zeroizing::new(secret),
            Err(keyring_core::Error::NoEntry) => return Ok(None),
            Err(e) => return Err(keyring_error(&e, "read", &self.service, id)),
        };
        match Key256::from_slice(&secret) {
            Some(key) => Ok(Some(key)),
            None => Err(Error::Keyring(format!(
                "entry '{id}' of service '{}' does not hold a {KEY_LEN}-byte key",
                self.service
            ))),
        }
    }

    fn set(&self, id: &str, key: &Key256) -> Result<()> {
        self.entry(id)?
            .set_secret(key.expose())
            .map_err(|e| keyring_error(&e, "write", &self.service, id))
    }

    fn delete(&self, id: &str) -> Result<()> {
        match self.entry(id)?.delete_credential() {
            Ok(()) | Err(keyring_core::Error::NoEntry) => Ok(()),
            Err(e) => Err(keyring_error(&e, "delete", &self.service, id)),
        }
    }

    fn get_bytes(&self, id: &str) -> Result<Option<Zeroizing<Vec<u8>>>> {
        match self.entry(id)?.get_secret() {
            Ok(secret) => Ok(Some(Zeroizing::new(secret))),
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(e) => Err(keyring_error(&e, "read", &self.service, id)),
        }
    }

    fn set_bytes(&self, id: &str, secret: &[u8]) -> Result<()> {
        self.entry(id)?
            .set_secret(secret)
            .map_err(|e| keyring_error(&e, "write", &self.service, id))
    }
}

/// A [`SecretStore`] in process memory, for tests (of this module and of others): it keeps
/// secrets in process memory only and forgets them when dropped. Never use it for real keys.
#[derive(Default)]
pub struct MemoryStore {
    keys: Mutex<HashMap<String, Key256>>,
    bytes: Mutex<HashMap<String, Zeroizing<Vec<u8>>>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of entries held.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether the store holds no entry.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Key256>> {
        self.keys.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl SecretStore for MemoryStore {
    fn get(&self, id: &str) -> Result<Option<Key256>> {
        Ok(self.lock().get(id).map(Key256::duplicate))
    }

    fn set(&self, id: &str, key: &Key256) -> Result<()> {
        self.lock().insert(id.to_owned(), key.duplicate());
        Ok(())
    }

    fn delete(&self, id: &str) -> Result<()> {
        self.lock().remove(id);
        self.bytes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(id);
        Ok(())
    }

    fn get_bytes(&self, id: &str) -> Result<Option<Zeroizing<Vec<u8>>>> {
        Ok(self
            .bytes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(id)
            .cloned())
    }

    fn set_bytes(&self, id: &str, secret: &[u8]) -> Result<()> {
        self.bytes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id.to_owned(), Zeroizing::new(secret.to_vec()));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyring_core::mock;

    fn mock_store() -> (Arc<CredentialStore>, KeyringStore) {
        let store: Arc<CredentialStore> = mock::Store::new().unwrap();
        let keyring = KeyringStore::with_store(DEFAULT_SERVICE, store.clone());
        (store, keyring)
    }

    /// Makes the next operation on (service, id) in the mock fail with `err`.
    fn inject(store: &Arc<CredentialStore>, id: &str, err: keyring_core::Error) {
        let entry = Entry::new_in_store(store, DEFAULT_SERVICE, id).unwrap();
        let cred: &mock::Cred = entry.as_any().downcast_ref().unwrap();
        cred.set_error(err);
    }

    #[test]
    fn keyring_round_trip_on_mock() {
        let (_, keyring) = mock_store();
        assert!(keyring.get("abc").unwrap().is_none());
        let key = Key256::from_bytes([0x42; KEY_LEN]);
        keyring.set("abc", &key).unwrap();
        let back = keyring.get("abc").unwrap().unwrap();
        assert_eq!(back.expose(), &[0x42; KEY_LEN]);
        // Other ids are separate entries.
        assert!(keyring.get("abd").unwrap().is_none());
        keyring.delete("abc").unwrap();
        assert!(keyring.get("abc").unwrap().is_none());
        // Deleting again (no entry) is fine.
        keyring.delete("abc").unwrap();
    }

    #[test]
    fn wrong_length_secret_is_a_keyring_error() {
        let (store, keyring) = mock_store();
        let entry = Entry::new_in_store(&store, DEFAULT_SERVICE, "short").unwrap();
        entry.set_secret(&[0xAB; 31]).unwrap();
        match keyring.get("short") {
            Err(Error::Keyring(msg)) => {
                assert!(msg.contains("does not hold a 32-byte key"), "{msg}");
                assert!(msg.contains("'short'"), "{msg}");
            }
            other => panic!("expected Keyring error, got {:?}", other.err()),
        }
    }

    #[test]
    fn injected_failures_map_to_keyring_errors_without_secrets() {
        let (store, keyring) = mock_store();
        let key = Key256::from_bytes([0x5A; KEY_LEN]);
        keyring.set("id1", &key).unwrap();

        let locked = std::io::Error::other("collection is locked");
        inject(
            &store,
            "id1",
            keyring_core::Error::NoStorageAccess(Box::new(locked)),
        );
        let msg = keyring.get("id1").err().unwrap().to_string();
        assert!(
            msg.starts_with("OS keyring: cannot read entry 'id1'"),
            "{msg}"
        );
        assert!(msg.contains("collection is locked"), "{msg}");

        // BadDataFormat carries the raw secret: it must not reach the message.
        let secret_hex = hex::encode([0x5A; KEY_LEN]);
        let bad = keyring_core::Error::BadDataFormat(
            vec![0x5A; KEY_LEN],
            Box::new(std::io::Error::other(secret_hex.clone())),
        );
        inject(&store, "id1", bad);
        let err = keyring.get("id1").err().unwrap();
        let shown = format!("{err} {err:?}");
        assert!(!shown.contains(&secret_hex), "{shown}");
        assert!(!shown.contains("90, 90"), "{shown}");
        assert!(shown.contains("not in the expected format"), "{shown}");

        inject(
            &store,
            "id1",
            keyring_core::Error::PlatformFailure(Box::new(std::io::Error::other("dbus down"))),
        );
        let msg = keyring.set("id1", &key).err().unwrap().to_string();
        assert!(
            msg.contains("cannot write entry 'id1'") && msg.contains("dbus down"),
            "{msg}"
        );

        inject(
            &store,
            "id1",
            keyring_core::Error::PlatformFailure(Box::new(std::io::Error::other("no"))),
        );
        assert!(matches!(keyring.delete("id1"), Err(Error::Keyring(_))));
        // The failures did not disturb the stored value.
        assert_eq!(keyring.get("id1").unwrap().unwrap().expose(), key.expose());
    }

    #[test]
    fn no_default_store_is_reported() {
        // Checked on the mapping directly: unsetting the process-wide default store here
        // would race with other tests.
        let err = keyring_error(&keyring_core::Error::NoDefaultStore, "read", "s3seal", "x");
        assert!(err.to_string().contains("use_platform_store"));
    }

    /// The real OS keyring. Ignored by default: it installs the process-wide default store and
    /// needs an unlocked Secret Service on Linux (see shared/notes/desktop-headless.md), e.g.
    /// `dbus-run-session -- sh -c 'eval "$(printf pw | gnome-keyring-daemon --unlock
    /// --components=secrets)"; cargo test --lib keys::store -- --ignored'`.
    #[tokio::test(flavor = "multi_thread")]
    #[ignore = "needs an unlocked OS keyring"]
    async fn platform_keyring_round_trip() {
        // Called from inside an async task on purpose: it must not panic.
        KeyringStore::use_platform_store().unwrap();
        KeyringStore::use_platform_store().unwrap();
        let id = crate::keys::catalog::new_id().unwrap();
        let checked = tokio::task::spawn_blocking(move || {
            let keyring = KeyringStore::new("s3seal-test");
            let key = Key256::from_bytes([0xF0; KEY_LEN]); // not valid UTF-8
            keyring.set(&id, &key).unwrap();
            let back = keyring.get(&id).unwrap().unwrap();
            keyring.delete(&id).unwrap();
            keyring.delete(&id).unwrap();
            let gone = keyring.get(&id).unwrap().is_none();
            back == key && gone
        })
        .await
        .unwrap();
        assert!(checked);
    }

    #[test]
    fn memory_store_round_trip() {
        let store = MemoryStore::new();
        assert!(store.is_empty());
        store.set("a", &Key256::from_bytes([1; KEY_LEN])).unwrap();
        assert_eq!(store.len(), 1);
        assert_eq!(store.get("a").unwrap().unwrap().expose(), &[1; KEY_LEN]);
        assert!(store.get("b").unwrap().is_none());
        store.delete("a").unwrap();
        store.delete("a").unwrap();
        assert!(store.is_empty());
    }
}
