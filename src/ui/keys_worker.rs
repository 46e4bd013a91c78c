//! The background's key work: the key manager (made on first use, off the async workers),
//! the local SSE-C keys tried on SSE-C objects, and the key manager dialog's operations.

use std::sync::Arc;

use tokio::sync::Mutex;

use super::backend::{Emitter, Event, KeyOp};
use crate::error::{Error, Result};
use crate::keys::{KeyManager, KeyringStore};
use crate::s3::inspect::{self, ObjectInfo};
use crate::s3::{Connection, S3Uri, SseCKey};

/// The key manager, made on first use, and the SSE-C keys tried on SSE-C objects.
pub(super) struct KeysSlot {
    pub(super) config_dir: Option<std::path::PathBuf>,
    pub(super) manager: Mutex<Option<KeyManager>>,
    pub(super) candidates: Mutex<Option<Arc<Vec<SseCKey>>>>,
}

impl KeysSlot {
    pub(super) async fn manager(&self) -> Result<KeyManager> {
        let mut slot = self.manager.lock().await;
        if let Some(keys) = slot.as_ref() {
            return Ok(keys.clone());
        }
        let config_dir = self.config_dir.clone();
        let keys = tokio::task::spawn_blocking(move || {
            KeyringStore::use_platform_store()?;
            let dir = match config_dir {
                Some(dir) => dir,
                None => KeyManager::default_config_dir()?,
            };
            Ok::<_, Error>(KeyManager::new(dir, Arc::new(KeyringStore::new("s3seal"))))
        })
        .await
        .map_err(|_| Error::Keyring("opening the key store stopped unexpectedly".to_owned()))??;
        *slot = Some(keys.clone());
        Ok(keys)
    }

    /// Local SSE-C keys, loaded once and kept until the catalog changes.
    pub(super) async fn candidates(&self) -> Result<Arc<Vec<SseCKey>>> {
        let mut slot = self.candidates.lock().await;
        if let Some(keys) = slot.as_ref() {
            return Ok(keys.clone());
        }
        let keys = Arc::new(inspect::local_sse_c_keys(&self.manager().await?).await?);
        *slot = Some(keys.clone());
        Ok(keys)
    }

    /// Inspects `uri`, trying the local SSE-C keys only when the object turns out to need one.
    pub(super) async fn inspect(&self, conn: &Connection, uri: &S3Uri) -> Result<ObjectInfo> {
        let resolved = inspect::resolve_lazily(conn, uri, || async {
            Ok(self.candidates().await.unwrap_or_else(|err| {
                tracing::warn!(error = %err, "local SSE-C keys unavailable; shown as unknown key");
                Arc::new(Vec::new())
            }))
        })
        .await?;
        Ok(inspect::object_info(uri, &resolved))
    }

    pub(super) async fn forget_candidates(&self) {
        *self.candidates.lock().await = None;
    }
}

/// Runs one key operation; a changed catalog is listed again.
pub(super) async fn key_op(keys: Arc<KeysSlot>, op: KeyOp, emit: Emitter) {
    let manager = match keys.manager().await {
        Ok(manager) => manager,
        Err(err) => {
            emit.emit(Event::KeysListed(Err(err))).await;
            return;
        }
    };
    let (what, result) = match op {
        KeyOp::List => {
            let list = manager.blocking(|k| k.list()).await;
            emit.emit(Event::KeysListed(list)).await;
            return;
        }
        KeyOp::Generate { name, kind } => (
            format!("create key '{name}'"),
            manager
                .blocking(move |k| k.generate(&name, kind))
                .await
                .map(|r| format!("created {} key '{}'", r.kind, r.name)),
        ),
        KeyOp::Import { name, kind, source } => (
            format!("import key '{name}'"),
            manager
                .blocking(move |k| k.import(&name, kind, &source))
                .await
                .map(|r| format!("imported {} key '{}'", r.kind, r.name)),
        ),
        KeyOp::Export { name, path, format } => (
            format!("export key '{name}'"),
            manager
                .blocking(move |k| {
                    k.export_to_file(&name, &path, format)?;
                    Ok(format!("exported key '{name}' to {}", path.display()))
                })
                .await,
        ),
        KeyOp::Rename { old, new } => (
            format!("rename key '{old}'"),
            manager
                .blocking(move |k| k.rename(&old, &new))
                .await
                .map(|r| format!("renamed to '{}'", r.name)),
        ),
        KeyOp::Delete { name } => (
            format!("delete key '{name}'"),
            manager
                .blocking(move |k| k.delete(&name))
                .await
                .map(|r| format!("deleted key '{}'", r.name)),
        ),
    };
    keys.forget_candidates().await;
    emit.emit(Event::KeyOpDone { what, result }).await;
    let list = manager.blocking(|k| k.list()).await;
    emit.emit(Event::KeysListed(list)).await;
}
