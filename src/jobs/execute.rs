//! Changing one planned object: UpdateObjectEncryption, a conditional copy onto itself, or a
//! client-side re-wrap; deleting the version a copy replaced when asked; and, for an object
//! that was in flight when an earlier run stopped, looking at it first to tell whether that
//! run's request took effect.

use std::sync::{Arc, OnceLock};

use super::method::{Decision, Method, ObjectFacts, SkipReason};
use super::plan::{Plan, PlannedObject};
use super::report::{EncryptionState, RowStatus};
use super::select::{
    Inspected, Listed, RoundTrips, head_version, inspect_one, resolve_current, sse_c_key_named,
};
use super::store::Outcome;
use super::uoe;
use crate::error::{Error, Result};
use crate::progress::{CancellationToken, Progress};
use crate::s3::bucket::Versioning;
use crate::s3::inspect::object_info;
use crate::s3::{Connection, EncryptionMode, KeyAccess, ReadOptions, S3Uri, ServerSide};
use crate::transfer::rekey::{CopyInPlace, copy_multipart, copy_single};
use crate::transfer::write_mode::WriteMode;
use crate::transfer::{CopyTuning, client_rekey};

/// What every object of a run shares.
pub struct Worker<'a> {
    pub conn: &'a Connection,
    pub keys: &'a KeyAccess,
    pub plan: &'a Plan,
    /// How a client-side object's current envelope may be opened (a re-wrap).
    pub read: &'a ReadOptions,
    /// The target, with its keys read.
    pub write: &'a WriteMode,
    pub tuning: CopyTuning,
    /// Set once when UpdateObjectEncryption turns out not to be implemented after all: why.
    pub copy_instead: &'a OnceLock<String>,
    /// Cancels multipart copies in flight (single requests are let finish).
    pub stop: &'a CancellationToken,
}

fn outcome(status: RowStatus, after: Option<EncryptionState>, message: Option<String>) -> Outcome {
    Outcome {
        status,
        after,
        message,
        method: None,
    }
}

fn changed(what: &str) -> Outcome {
    outcome(
        RowStatus::Changed,
        None,
        Some(format!("{what} since it was planned; left as it is")),
    )
}

/// Changes `object` as planned. `recheck`: its request may have been sent by a run that
/// stopped, so it is inspected first. Throttling and cancellation come back as errors (the
/// runner retries or leaves it in flight); every other result is an [`Outcome`].
pub async fn execute(w: &Worker<'_>, object: &PlannedObject, recheck: bool) -> Result<Outcome> {
    let (Decision::Process(method), Some(facts)) = (object.decision, &object.facts) else {
        return Err(Error::Internal(format!(
            "{} was planned as skipped",
            object.key
        )));
    };
    let uri = S3Uri::new(&w.plan.bucket, &object.key);
    if recheck && let Some(found) = recheck_outcome(w, object, facts).await? {
        return Ok(found);
    }
    match method {
        Method::UpdateObjectEncryption => update(w, object, facts, &uri).await,
        Method::Copy => copy(w, object, facts, &uri, false).await,
        Method::MultipartCopy => copy(w, object, facts, &uri, true).await,
        Method::Rewrap => rewrap(w, object, &uri).await,
        Method::Skip => Err(Error::Internal(format!("{} has no method", object.key))),
    }
}

/// An object in flight when the last run stopped: done already (the request took effect), still
/// as planned (send it), or replaced by someone else.
async fn recheck_outcome(
    w: &Worker<'_>,
    object: &PlannedObject,
    facts: &ObjectFacts,
) -> Result<Option<Outcome>> {
    let listed = Listed {
        key: object.key.clone(),
        version_id: object.version_id.clone(),
        is_latest: facts.is_latest,
        size: object.size,
        etag: object.etag.clone(),
    };
    let trips = Arc::new(RoundTrips::default());
    let inspected = inspect_one(
        w.conn,
        &w.plan.bucket,
        &listed,
        w.keys,
        &w.plan.source_keys,
        &trips,
    )
    .await?;
    Ok(match inspected {
        Inspected::Gone => Some(changed("deleted")),
        Inspected::Failed(error) => Some(outcome(RowStatus::Failed, None, Some(error))),
        Inspected::Found(found) => {
            let target = &w.plan.target;
            if target.complies(&found.facts.before, found.facts.client_master_id.as_deref()) {
                Some(outcome(
                    RowStatus::Done,
                    Some(target.state()),
                    Some("found in the target encryption when the job resumed: the stopped run had changed it".to_owned()),
                ))
            } else if !facts.is_latest || found.etag == object.etag {
                None
            } else {
                Some(changed("replaced"))
            }
        }
    })
}

async fn update(
    w: &Worker<'_>,
    object: &PlannedObject,
    facts: &ObjectFacts,
    uri: &S3Uri,
) -> Result<Outcome> {
    let Some((arn, bucket_key)) = w.plan.target.update_object_encryption() else {
        return Err(Error::Internal(
            "UpdateObjectEncryption planned without a KMS key ARN".to_owned(),
        ));
    };
    if let Some(reason) = w.copy_instead.get() {
        return copy_instead(w, object, facts, uri, reason).await;
    }
    // The current version is whatever is current now (a newer object gets the target
    // encryption too; nothing is overwritten); an older version is named.
    let version = (!facts.is_latest)
        .then_some(object.version_id.as_deref())
        .flatten();
    match uoe::update_object_encryption(w.conn, &uri.bucket, &uri.key, version, arn, bucket_key)
        .await
    {
        Ok(()) => Ok(outcome(RowStatus::Done, Some(w.plan.target.state()), None)),
        Err(err) if uoe::not_implemented(&err) => {
            let reason = w
                .copy_instead
                .get_or_init(|| format!("the server answered: {err}"))
                .clone();
            copy_instead(w, object, facts, uri, &reason).await
        }
        Err(Error::NotFound { .. }) => Ok(changed("deleted")),
        Err(err) => Err(err),
    }
}

/// UpdateObjectEncryption was planned but the server does not implement it: the current
/// version is copied instead; an older one keeps its encryption.
async fn copy_instead(
    w: &Worker<'_>,
    object: &PlannedObject,
    facts: &ObjectFacts,
    uri: &S3Uri,
    reason: &str,
) -> Result<Outcome> {
    let because = format!("UpdateObjectEncryption is not available here ({reason})");
    if !facts.is_latest || facts.archived {
        let why = if facts.archived {
            SkipReason::Archived
        } else {
            SkipReason::OldVersionKept
        };
        return Ok(Outcome {
            method: Some(Method::Skip),
            ..outcome(
                RowStatus::Skipped,
                Some(facts.before.clone()),
                Some(format!("{}: {because}", why.text())),
            )
        });
    }
    let multipart = object.size > w.plan.settings.multipart_threshold;
    let mut done = copy(w, object, facts, uri, multipart).await?;
    done.method = Some(if multipart {
        Method::MultipartCopy
    } else {
        Method::Copy
    });
    done.message = Some(match done.message {
        Some(more) => format!("copied instead: {because}; {more}"),
        None => format!("copied instead: {because}"),
    });
    Ok(done)
}

async fn copy(
    w: &Worker<'_>,
    object: &PlannedObject,
    facts: &ObjectFacts,
    uri: &S3Uri,
    multipart: bool,
) -> Result<Outcome> {
    let WriteMode::Server(target) = w.write else {
        return Err(Error::Internal(
            "a copy planned for a client-side target".to_owned(),
        ));
    };
    let Some(etag) = object.etag.as_deref() else {
        return Ok(outcome(
            RowStatus::Failed,
            None,
            Some("S3 reported no ETag, so the copy could not be made conditional on it".to_owned()),
        ));
    };
    let source_key = match (facts.before.mode, &facts.before.key_name) {
        (EncryptionMode::SseC, Some(name)) => Some(sse_c_key_named(w.keys, name).await?),
        _ => None,
    };
    let copy = CopyInPlace {
        uri,
        size: object.size,
        if_match: Some(etag),
        source_key: source_key.as_ref(),
        target,
        restated: &object.restated,
    };
    let copied = if multipart {
        // UploadPartCopy carries no metadata: read it (and check the object is the planned one).
        let resolved = resolve_current(w.conn, w.keys, uri, &w.plan.source_keys).await?;
        if resolved.head.e_tag() != Some(etag) {
            return Ok(changed("replaced"));
        }
        copy_multipart(
            w.conn,
            &copy,
            &resolved.head,
            w.tuning,
            &Progress::new(),
            w.stop,
        )
        .await
    } else {
        copy_single(w.conn, &copy).await
    };
    let copied = match copied {
        Ok(copied) => copied,
        Err(Error::ObjectChanged { .. }) => return Ok(changed("replaced")),
        Err(Error::NotFound { .. }) => return Ok(changed("deleted")),
        Err(err) => return Err(err),
    };
    let message = if w.plan.delete_replaced_versions && w.plan.versioning != Versioning::Disabled {
        Some(
            delete_replaced(
                w,
                uri,
                object.version_id.as_deref(),
                copied.version_id.as_deref(),
                target,
            )
            .await,
        )
    } else {
        None
    };
    Ok(outcome(
        RowStatus::Done,
        Some(w.plan.target.state()),
        message,
    ))
}

/// Deletes the version a copy replaced, once the new version shows the target encryption.
/// Whatever happens, the copy stands; the message says what became of the old version.
async fn delete_replaced(
    w: &Worker<'_>,
    uri: &S3Uri,
    old: Option<&str>,
    new: Option<&str>,
    target: &ServerSide,
) -> String {
    let (Some(old), Some(new)) = (old, new) else {
        return "no replaced version to delete: the bucket kept none".to_owned();
    };
    if old == new || old == "null" {
        return "no replaced version to delete: the copy took the old version's place".to_owned();
    }
    let verified = match head_version(w.conn, uri, Some(new), target.sse_c()).await {
        Ok(resolved) => {
            let info = object_info(uri, &resolved);
            let now = EncryptionState {
                mode: info.mode,
                kms_key_id: info.kms_key_id,
                bucket_key: info.bucket_key_enabled == Some(true),
                key_name: info.matching_key,
            };
            w.plan.target.complies(&now, None)
        }
        Err(_) => false,
    };
    if !verified {
        return format!(
            "replaced version {old} kept: the new version {new} did not show the target encryption"
        );
    }
    let deleted = w
        .conn
        .s3()
        .delete_object()
        .bucket(&uri.bucket)
        .key(&uri.key)
        .version_id(old)
        .send()
        .await;
    match deleted {
        Ok(_) => format!("replaced version {old} deleted"),
        Err(err) => format!(
            "replaced version {old} kept: {}",
            crate::s3::errors::from_sdk("DeleteObject", err)
        ),
    }
}

async fn rewrap(w: &Worker<'_>, object: &PlannedObject, uri: &S3Uri) -> Result<Outcome> {
    let WriteMode::Client { master, .. } = w.write else {
        return Err(Error::Internal(
            "a re-wrap planned for a server-side target".to_owned(),
        ));
    };
    let resolved = resolve_current(w.conn, w.keys, uri, &w.plan.source_keys).await?;
    if resolved.sse_c.is_none() && resolved.sse_c_status.is_some() {
        return Ok(outcome(
            RowStatus::Skipped,
            None,
            Some(SkipReason::SseCKeyUnknown.text().to_owned()),
        ));
    }
    if resolved.head.e_tag() != object.etag.as_deref() {
        return Ok(changed("replaced"));
    }
    client_rekey::rewrap_object(
        w.conn,
        w.keys,
        uri,
        &resolved.head,
        resolved.sse_c.as_ref(),
        w.read,
        master,
    )
    .await?;
    Ok(outcome(RowStatus::Done, Some(w.plan.target.state()), None))
}
