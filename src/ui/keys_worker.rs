//! The background's key work: the key manager (made on first use, off the async workers),
//! the local SSE-C keys tried on SSE-C objects, and the key manager dialog's operations.

use std::sync::Arc;

use super::backend::{Emitter, Event, KeyOp};
use crate::error::Result;
use crate::keys::KeyManager;
use crate::s3::inspect::{self, ObjectInfo};
use crate::s3::{Connection, KeyAccess, ReadKeys, S3Uri};

/// The local keys as the window's background uses them.
pub(super) struct KeysSlot {
    pub(super) access: KeyAccess,
}

impl KeysSlot {
    pub(super) async fn manager(&self) -> Result<KeyManager> {
        self.access.manager().await
    }

    /// Inspects `uri` for a badge: one HEAD, and SSE-C keys only where they are at home.
    pub(super) async fn inspect(&self, conn: &Connection, uri: &S3Uri) -> Result<ObjectInfo> {
        let resolved = inspect::resolve(conn, &self.access, uri, &ReadKeys::AtHome).await?;
        Ok(inspect::object_info(uri, &resolved))
    }

    pub(super) async fn forget_candidates(&self) {
        self.access.forget().await;
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
