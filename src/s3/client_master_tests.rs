//! Unit tests of `client_master.rs`: which local keys open a raw-AES envelope.
use std::sync::Arc;

use super::*;
use crate::keys::MemoryStore;
use crate::remedy::Remedy;

fn manager() -> (tempfile::TempDir, KeyManager) {
    let dir = tempfile::tempdir().unwrap();
    let keys = KeyManager::new(dir.path().to_owned(), Arc::new(MemoryStore::new()));
    (dir, keys)
}

/// An envelope wrapped by `master`, naming `id` in its material description.
fn envelope(master: &Key256, id: &str) -> Envelope {
    let matdesc = StringMap::from([(MATDESC_KEY_ID.to_owned(), id.to_owned())]);
    keywrap::new_raw_aes_envelope(master, FormatVersion::V3, matdesc)
        .unwrap()
        .0
}

fn opener(opened: Result<OpenedEnvelope>) -> Result<Opener> {
    opened.map(|o| o.opener)
}

#[tokio::test]
async fn a_named_client_key_is_the_only_key_used() {
    let (_dir, keys) = manager();
    keys.generate("cm", KeyKind::Client).unwrap();
    keys.generate("other", KeyKind::Client).unwrap();
    let (cm, master) = keys.secret("cm").unwrap();
    let env = envelope(&master, &cm.id);
    let uri = S3Uri::new("b", "o");
    let named = |name: &str| ReadKeys::Named(name.to_owned());

    // Unnamed, the key that fits is found.
    let found = opener(open_raw(&keys, &uri, env.clone(), &ReadKeys::AtHome).await).unwrap();
    assert_eq!(found, Opener::LocalKey("cm".into()));
    let found = opener(open_raw(&keys, &uri, env.clone(), &named("cm")).await).unwrap();
    assert_eq!(found, Opener::LocalKey("cm".into()));

    // Named, a key that does not fit is refused, and the one that would is said by name.
    match opener(open_raw(&keys, &uri, env.clone(), &named("other")).await) {
        Err(Error::NamedClientKeyWrong { uri, name, opens }) => {
            assert_eq!(
                (uri.as_str(), name.as_str(), opens.as_deref()),
                ("s3://b/o", "other", Some("cm"))
            );
        }
        other => panic!("the named key alone must be used: {other:?}"),
    }

    // No local key opens it: none is named as the one that would.
    let stranger = Key256::generate().unwrap();
    let env = envelope(&stranger, "not-here");
    match opener(open_raw(&keys, &uri, env.clone(), &named("other")).await) {
        Err(err @ Error::NamedClientKeyWrong { opens: None, .. }) => {
            assert!(err.to_string().contains("nor does any other"), "{err}");
            assert!(matches!(err.remedy(), Some(Remedy::ImportKey { .. })));
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        opener(open_raw(&keys, &uri, env, &ReadKeys::AtHome).await),
        Err(Error::ClientKeyNeeded { .. })
    ));
}
