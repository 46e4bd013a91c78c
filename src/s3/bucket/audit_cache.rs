//! The audit's result cache: per object (key + ETag + last-modified), in the config dir, one
//! file per endpoint and bucket, so re-running an audit on an unchanged prefix sends no HEAD.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::Digest as _;

use super::audit::AuditRow;
use crate::crypto::{FormatVersion, WrapAlgorithm};
use crate::error::{Error, Result};
use crate::s3::connection::Connection;
use crate::s3::encryption::EncryptionMode;
use crate::s3::listing::ObjectEntry;

const CACHE_VERSION: u32 = 1;

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(super) struct Cache {
    version: u32,
    entries: BTreeMap<String, CachedRow>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct CachedRow {
    etag: String,
    last_modified: String,
    mode: String,
    kms_key_id: Option<String>,
    bucket_key_enabled: Option<bool>,
    local_key: Option<String>,
    key_known: Option<bool>,
    client_wrap: Option<WrapAlgorithm>,
    #[serde(default)]
    client_format: Option<FormatVersion>,
}

/// `<config>/audit-cache/<bucket>-<hash of endpoint, region, bucket>.json`.
pub(super) fn cache_path(dir: &Path, conn: &Connection, bucket: &str) -> PathBuf {
    let id = format!(
        "{}|{}|{bucket}",
        conn.s3_endpoint().unwrap_or("aws"),
        conn.region().unwrap_or("")
    );
    let digest = sha2::Sha256::digest(id.as_bytes());
    let short = hex::encode(&digest[..8]);
    dir.join("audit-cache")
        .join(format!("{bucket}-{short}.json"))
}

pub(super) fn load_cache(path: &Path) -> Cache {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Cache::default();
    };
    match serde_json::from_str::<Cache>(&text) {
        Ok(cache) if cache.version == CACHE_VERSION => cache,
        Ok(_) => Cache::default(),
        Err(err) => {
            tracing::warn!(path = %path.display(), error = %err, "audit cache unreadable; starting afresh");
            Cache::default()
        }
    }
}

pub(super) fn save_cache(path: &Path, cache: &Cache) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| Error::io("create", dir, e))?;
    let text = serde_json::to_vec(cache)
        .map_err(|e| Error::Internal(format!("cannot encode the audit cache: {e}")))?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| Error::io("create", dir, e))?;
    std::io::Write::write_all(&mut tmp, &text).map_err(|e| Error::io("write", path, e))?;
    tmp.persist(path)
        .map_err(|e| Error::io("write", path, e.error))?;
    Ok(())
}

/// Forgets what the cache in `config_dir` knows about `keys` of `bucket`, so the next audit asks
/// S3 again: for objects whose encryption changed without a new ETag or date
/// (UpdateObjectEncryption keeps both).
pub fn forget<'a>(
    config_dir: &Path,
    conn: &Connection,
    bucket: &str,
    keys: impl IntoIterator<Item = &'a str>,
) -> Result<()> {
    let path = cache_path(config_dir, conn, bucket);
    if !path.exists() {
        return Ok(());
    }
    let mut cache = load_cache(&path);
    let before = cache.entries.len();
    for key in keys {
        cache.entries.remove(key);
    }
    if cache.entries.len() == before {
        return Ok(());
    }
    save_cache(&path, &cache)
}

/// A cached row still valid for `entry` (same ETag and last-modified; an SSE-C key that
/// fitted is still a local key; nothing unknown or failed is ever cached).
pub(super) fn cached_row(
    cache: &Cache,
    entry: &ObjectEntry,
    names: &HashSet<String>,
) -> Option<AuditRow> {
    let hit = cache.entries.get(&entry.key)?;
    if Some(&hit.etag) != entry.etag.as_ref()
        || Some(&hit.last_modified) != entry.last_modified.as_ref()
    {
        return None;
    }
    let mode = EncryptionMode::from_name(&hit.mode)?;
    if mode == EncryptionMode::SseC && !hit.local_key.as_ref().is_some_and(|n| names.contains(n)) {
        return None;
    }
    Some(AuditRow {
        key: entry.key.clone(),
        size: entry.size,
        etag: entry.etag.clone(),
        last_modified: entry.last_modified.clone(),
        mode: Some(mode),
        kms_key_id: hit.kms_key_id.clone(),
        bucket_key_enabled: hit.bucket_key_enabled,
        local_key: hit.local_key.clone(),
        key_known: hit.key_known,
        client_wrap: hit.client_wrap,
        client_format: hit.client_format,
        error: None,
        cached: true,
    })
}

/// Replaces the cache's entries under `prefix` with this run's cacheable rows.
pub(super) fn store_rows(cache: &mut Cache, _bucket: &str, prefix: &str, rows: &[AuditRow]) {
    cache.version = CACHE_VERSION;
    cache.entries.retain(|k, _| !k.starts_with(prefix));
    for row in rows {
        let (Some(mode), Some(etag), Some(last_modified), None) =
            (row.mode, &row.etag, &row.last_modified, &row.error)
        else {
            continue;
        };
        if row.key_known == Some(false) {
            continue; // the key may be imported later: ask S3 again next time
        }
        cache.entries.insert(
            row.key.clone(),
            CachedRow {
                etag: etag.clone(),
                last_modified: last_modified.clone(),
                mode: mode.as_str().to_owned(),
                kms_key_id: row.kms_key_id.clone(),
                bucket_key_enabled: row.bucket_key_enabled,
                local_key: row.local_key.clone(),
                key_known: row.key_known,
                client_wrap: row.client_wrap,
                client_format: row.client_format,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::s3::bucket::audit::tests::row;

    #[test]
    fn cache_round_trip_and_invalidation() {
        let mut cache = Cache::default();
        let mut c = row("p/c", EncryptionMode::SseC);
        c.local_key = Some("k1".into());
        c.key_known = Some(true);
        let mut unknown = row("p/u", EncryptionMode::SseC);
        unknown.key_known = Some(false);
        store_rows(
            &mut cache,
            "b",
            "p/",
            &[row("p/a", EncryptionMode::SseS3), c, unknown],
        );
        assert_eq!(cache.entries.len(), 2);
        let entry = ObjectEntry {
            key: "p/a".into(),
            size: 1,
            last_modified: Some("2026-01-01T00:00:00Z".into()),
            etag: Some("\"e\"".into()),
            storage_class: None,
        };
        let names: HashSet<String> = ["k1".to_owned()].into();
        assert!(cached_row(&cache, &entry, &names).unwrap().cached);
        let changed = ObjectEntry {
            etag: Some("\"f\"".into()),
            ..entry.clone()
        };
        assert!(cached_row(&cache, &changed, &names).is_none());
        let c_entry = ObjectEntry {
            key: "p/c".into(),
            ..entry
        };
        assert!(cached_row(&cache, &c_entry, &names).is_some());
        assert!(cached_row(&cache, &c_entry, &HashSet::new()).is_none());
    }
}
