//! Which local SSE-C key opened which object, remembered (`<config_dir>/openers.json`) so that
//! the next look at the object offers that key first, and no other key needlessly. An object
//! is named by place, bucket and key; the entry holds the key's catalog id, never key bytes.
//! The file keeps the most recent [`MAX_OPENERS`] entries.

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// File name inside the configuration directory.
pub const OPENERS_FILE: &str = "openers.json";

/// Entries kept at most (oldest dropped first).
pub const MAX_OPENERS: usize = 10_000;

/// Serialises read-modify-write cycles in this process.
static LOCK: Mutex<()> = Mutex::new(());

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Opener {
    place: String,
    bucket: String,
    key: String,
    /// Catalog id of the SSE-C key that opened it.
    key_id: String,
}

#[derive(Default, Serialize, Deserialize)]
struct OpenersFile {
    openers: VecDeque<Opener>,
}

/// The openers file in `config_dir`.
pub fn openers_path(config_dir: &Path) -> PathBuf {
    config_dir.join(OPENERS_FILE)
}

fn load(path: &Path) -> OpenersFile {
    // A missing or damaged file only means nothing is remembered: keys are offered by their
    // homes as if for the first time.
    std::fs::read(path)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

/// Every remembered opener: `(place, bucket, key)` → catalog id of the key.
pub fn all(path: &Path) -> HashMap<(String, String, String), String> {
    load(path)
        .openers
        .into_iter()
        .map(|o| ((o.place, o.bucket, o.key), o.key_id))
        .collect()
}

/// The catalog id of the key that last opened `bucket`/`key` at `place`, if remembered (the
/// lookups go through [`all`]; this is what the tests ask).
#[cfg(test)]
pub fn remembered(path: &Path, place: &str, bucket: &str, key: &str) -> Option<String> {
    load(path)
        .openers
        .iter()
        .rev()
        .find(|o| o.place == place && o.bucket == bucket && o.key == key)
        .map(|o| o.key_id.clone())
}

/// Remembers that the key with catalog id `key_id` opened `bucket`/`key` at `place`.
pub fn remember(path: &Path, place: &str, bucket: &str, key: &str, key_id: &str) -> Result<()> {
    let _guard = LOCK.lock().unwrap_or_else(PoisonError::into_inner);
    let mut file = load(path);
    file.openers
        .retain(|o| !(o.place == place && o.bucket == bucket && o.key == key));
    file.openers.push_back(Opener {
        place: place.to_owned(),
        bucket: bucket.to_owned(),
        key: key.to_owned(),
        key_id: key_id.to_owned(),
    });
    while file.openers.len() > MAX_OPENERS {
        file.openers.pop_front();
    }
    let json = serde_json::to_vec(&file)
        .map_err(|e| Error::Internal(format!("cannot encode the openers file: {e}")))?;
    super::catalog::write_atomically(path, &json)
}

/// Forgets every object key `key_id` opened inside `home` (its place, bucket and prefix).
pub fn forget_within(path: &Path, key_id: &str, home: &super::KeyHome) -> Result<()> {
    let _guard = LOCK.lock().unwrap_or_else(PoisonError::into_inner);
    let mut file = load(path);
    let before = file.openers.len();
    file.openers
        .retain(|o| !(o.key_id == key_id && home.contains(&o.place, &o.bucket, &o.key)));
    if file.openers.len() == before {
        return Ok(());
    }
    let json = serde_json::to_vec(&file)
        .map_err(|e| Error::Internal(format!("cannot encode the openers file: {e}")))?;
    super::catalog::write_atomically(path, &json)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_the_latest_opener_per_object() {
        let dir = tempfile::tempdir().unwrap();
        let path = openers_path(dir.path());
        assert_eq!(remembered(&path, "aws", "b", "k"), None);
        remember(&path, "aws", "b", "k", "id1").unwrap();
        remember(&path, "aws", "b", "k", "id2").unwrap();
        remember(&path, "host:1", "b", "k", "id3").unwrap();
        assert_eq!(remembered(&path, "aws", "b", "k").as_deref(), Some("id2"));
        assert_eq!(
            remembered(&path, "host:1", "b", "k").as_deref(),
            Some("id3")
        );
        assert_eq!(all(&path).len(), 2);
        std::fs::write(&path, b"not json").unwrap();
        assert_eq!(remembered(&path, "aws", "b", "k"), None);
    }
}
