//! The background's bucket work for the window: the security report, planning and applying a
//! TLS policy change, default encryption, the SSE-C block, the rules the upload preview is
//! computed from, the audit, and
//! saving the audit's CSV. Each task answers with one [`BucketEvent`]; nothing here draws.

use std::path::PathBuf;
use std::sync::Arc;

use super::backend::{Emitter, Event};
use super::keys_worker::KeysSlot;
use crate::error::{Error, Result};
use crate::progress::or_cancelled;
use crate::progress::{CancellationToken, Progress};
use crate::s3::bucket::audit::{AuditOptions, AuditReport, audit};
use crate::s3::bucket::{
    self, BucketSecurity, DefaultEncryptionRequest, PolicyChange, TlsVersion, UploadRules,
};
use crate::s3::{Connection, S3Uri};

/// Bucket-level operations the window asks for.
pub enum BucketOp {
    Security {
        bucket: String,
        cancel: CancellationToken,
    },
    /// Plan (never write) the change that enforces or relaxes TLS.
    PlanTls {
        bucket: String,
        enforce: bool,
        min_tls: Option<TlsVersion>,
    },
    /// Write a planned change (refused if the stored policy changed since it was planned).
    ApplyPolicy {
        bucket: String,
        change: PolicyChange,
    },
    SetDefault {
        bucket: String,
        request: DefaultEncryptionRequest,
    },
    SetSseCBlock {
        bucket: String,
        block: bool,
    },
    /// The bucket's encryption rule and policy, for the upload dialog's preview.
    UploadRules {
        bucket: String,
        cancel: CancellationToken,
    },
    Audit {
        uri: S3Uri,
        progress: Progress,
        cancel: CancellationToken,
    },
}

/// Their answers.
pub enum BucketEvent {
    Security {
        bucket: String,
        result: Result<Box<BucketSecurity>>,
    },
    Planned {
        bucket: String,
        result: Result<PolicyChange>,
    },
    /// A change was written (or refused); `result` says what S3 now reports.
    Changed {
        bucket: String,
        what: String,
        result: Result<String>,
    },
    UploadRules {
        bucket: String,
        result: Result<UploadRules>,
    },
    Audited {
        uri: S3Uri,
        result: Result<AuditReport>,
    },
    Saved {
        path: PathBuf,
        result: Result<()>,
    },
}

/// Runs one operation and emits its answer (unless it was cancelled).
pub(super) async fn run(conn: Arc<Connection>, keys: Arc<KeysSlot>, op: BucketOp, emit: Emitter) {
    let event = match op {
        BucketOp::Security { bucket, cancel } => {
            let result = or_cancelled(&cancel, bucket::bucket_security(&conn, &bucket))
                .await
                .map(Box::new);
            if cancel.is_cancelled() {
                return;
            }
            BucketEvent::Security { bucket, result }
        }
        BucketOp::PlanTls {
            bucket,
            enforce,
            min_tls,
        } => {
            let result = if enforce {
                bucket::plan_enforce_tls(&conn, &bucket, min_tls).await
            } else {
                bucket::plan_relax_tls(&conn, &bucket).await
            };
            BucketEvent::Planned { bucket, result }
        }
        BucketOp::ApplyPolicy { bucket, change } => {
            let result = bucket::apply_policy_change(&conn, &bucket, &change)
                .await
                .map(|()| format!("the policy of {bucket} was updated"));
            BucketEvent::Changed {
                bucket,
                what: "policy change".to_owned(),
                result,
            }
        }
        BucketOp::SetDefault { bucket, request } => {
            let result = bucket::set_default_encryption(&conn, &bucket, &request)
                .await
                .map(|rule| format!("new uploads to {bucket} now get {}", rule.default));
            BucketEvent::Changed {
                bucket,
                what: "default encryption".to_owned(),
                result,
            }
        }
        BucketOp::SetSseCBlock { bucket, block } => {
            let result = if block {
                bucket::block_sse_c(&conn, &bucket).await
            } else {
                bucket::unblock_sse_c(&conn, &bucket).await
            };
            BucketEvent::Changed {
                bucket,
                what: if block {
                    "block SSE-C"
                } else {
                    "unblock SSE-C"
                }
                .to_owned(),
                result: result.map(|outcome| outcome.message),
            }
        }
        BucketOp::UploadRules { bucket, cancel } => {
            let result = or_cancelled(&cancel, UploadRules::read(&conn, &bucket)).await;
            if cancel.is_cancelled() {
                return;
            }
            BucketEvent::UploadRules { bucket, result }
        }
        BucketOp::Audit {
            uri,
            progress,
            cancel,
        } => {
            let result = run_audit(&conn, &keys, &uri, &progress, &cancel).await;
            if cancel.is_cancelled() {
                return;
            }
            BucketEvent::Audited { uri, result }
        }
    };
    emit.emit(Event::Bucket(event)).await;
}

/// Writes the audit's rows as CSV to `path` (chosen in a save dialog, which asked before
/// replacing a file), off the async workers.
pub(super) async fn save_csv(path: PathBuf, report: Arc<AuditReport>, emit: Emitter) {
    let target = path.clone();
    let result = tokio::task::spawn_blocking(move || {
        std::fs::write(&target, bucket::audit::to_csv(&report))
    })
    .await
    .map_err(std::io::Error::other)
    .and_then(|written| written)
    .map_err(|e| Error::io("cannot write", &path, e));
    emit.emit(Event::Bucket(BucketEvent::Saved { path, result }))
        .await;
}

/// The audit with the local keys (for SSE-C and client-side objects) and the result cache in
/// the key catalog's folder.
async fn run_audit(
    conn: &Connection,
    keys: &KeysSlot,
    uri: &S3Uri,
    progress: &Progress,
    cancel: &CancellationToken,
) -> Result<AuditReport> {
    let manager = keys.manager().await.ok();
    let options = AuditOptions {
        cache_dir: manager
            .as_ref()
            .and_then(|m| m.catalog_path().parent().map(PathBuf::from)),
        ..AuditOptions::default()
    };
    audit(conn, &keys.access, uri, &options, progress, cancel).await
}

/// The answer to an operation that could not start (not connected).
pub(super) fn failed(op: BucketOp, err: Error) -> BucketEvent {
    match op {
        BucketOp::Security { bucket, .. } => BucketEvent::Security {
            bucket,
            result: Err(err),
        },
        BucketOp::PlanTls { bucket, .. } => BucketEvent::Planned {
            bucket,
            result: Err(err),
        },
        BucketOp::ApplyPolicy { bucket, .. }
        | BucketOp::SetDefault { bucket, .. }
        | BucketOp::SetSseCBlock { bucket, .. } => BucketEvent::Changed {
            bucket,
            what: "bucket change".to_owned(),
            result: Err(err),
        },
        BucketOp::UploadRules { bucket, .. } => BucketEvent::UploadRules {
            bucket,
            result: Err(err),
        },
        BucketOp::Audit { uri, .. } => BucketEvent::Audited {
            uri,
            result: Err(err),
        },
    }
}
