//! Tests of the key manager over keyring-core's in-memory store.

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
            matches!(
                f.keys.generate(bad, KeyKind::SseC),
                Err(Error::InvalidInput(_))
            ),
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
        Err(err @ Error::DuplicateKey { .. }) => {
            let msg = err.to_string();
            assert!(msg.contains("as 'first'"), "{msg}");
        }
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
    assert!(matches!(
        f.keys.rename("new", "-bad"),
        Err(Error::InvalidInput(_))
    ));
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
    fn get_bytes(&self, id: &str) -> Result<Option<zeroize::Zeroizing<Vec<u8>>>> {
        self.inner.get_bytes(id)
    }
    fn set_bytes(&self, id: &str, secret: &[u8]) -> Result<()> {
        self.inner.set_bytes(id, secret)
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
