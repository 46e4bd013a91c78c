//! Incomplete multipart uploads of a bucket, from any tool, with what s3seal's journal knows
//! about them (an interrupted s3seal upload that `put` can continue, or one running now):
//! listed with their parts and bytes, aborted by age or all at once, and summed up for the
//! bucket's security view with whether a lifecycle rule removes them.

use futures::StreamExt as _;
use serde::Serialize;

use super::journal::{Journal, Transfer};
use crate::error::{Error, Result};
use crate::remedy::Remedy;
use crate::s3::bucket::lifecycle::{AbortRule, abort_rule_state, get_lifecycle};
use crate::s3::bucket::{Level, Verdict};
use crate::s3::uploads::{self, Aborted, MultipartUpload};
use crate::s3::{Connection, S3Uri};

/// ListParts requests in flight while sizing the uploads.
const LIST_PARTS_CONCURRENCY: usize = 8;

/// An incomplete multipart upload.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IncompleteUpload {
    pub key: String,
    pub upload_id: String,
    /// When it started (RFC 3339).
    pub initiated: Option<String>,
    #[serde(skip)]
    pub initiated_epoch: Option<i64>,
    /// Parts and bytes S3 holds (`None`: S3 would not list them).
    pub parts: Option<usize>,
    pub bytes: Option<u64>,
    /// What s3seal's journal says about it, if it started it.
    pub s3seal: Option<Known>,
}

/// An upload s3seal's journal records.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Known {
    /// The file being uploaded.
    pub source: std::path::PathBuf,
    /// A transfer is sending it right now.
    pub in_progress: bool,
    /// The same `put` would continue it (server-side encryption); client-side ones restart.
    pub resumable: bool,
}

impl IncompleteUpload {
    pub fn uri(&self, bucket: &str) -> S3Uri {
        S3Uri::new(bucket, &self.key)
    }

    /// Whole days since it started, at `now` (seconds since the Unix epoch).
    pub fn age_days(&self, now: i64) -> Option<i64> {
        self.initiated_epoch.map(|t| (now - t).max(0) / 86_400)
    }
}

/// Every incomplete upload under `uri` (a bucket, or a bucket and prefix), sized with ListParts
/// and matched against `journal`.
pub async fn list_incomplete_uploads(
    conn: &Connection,
    journal: Option<&Journal>,
    uri: &S3Uri,
) -> Result<Vec<IncompleteUpload>> {
    let listed = uploads::list_incomplete(conn, &uri.bucket, &uri.key).await?;
    let entries = match journal.map(Journal::entries).transpose() {
        Ok(entries) => entries.unwrap_or_default(),
        Err(err) => {
            tracing::warn!(error = %err, "transfer journal unreadable; s3seal's own uploads are not marked");
            Vec::new()
        }
    };
    let place = conn.place();
    let known = |upload: &MultipartUpload| {
        entries.iter().find_map(|entry| match &entry.transfer {
            Transfer::Upload(r)
                if r.endpoint == place
                    && r.bucket == uri.bucket
                    && r.upload_id == upload.upload_id =>
            {
                Some(Known {
                    source: r.source.clone(),
                    in_progress: entry.busy,
                    resumable: r.encryption.resumable(),
                })
            }
            Transfer::Upload(_) | Transfer::Download(_) => None,
        })
    };
    let sized = futures::stream::iter(listed)
        .map(|upload| async move {
            let parts = uploads::list_parts(
                conn,
                &S3Uri::new(&uri.bucket, &upload.key),
                &upload.upload_id,
                None,
            )
            .await;
            (upload, parts)
        })
        .buffered(LIST_PARTS_CONCURRENCY)
        .collect::<Vec<_>>()
        .await;
    let mut out = Vec::with_capacity(sized.len());
    for (upload, parts) in sized {
        let parts = match parts {
            Ok(Some(parts)) => Some(parts),
            // Completed or aborted between the two listings: no longer incomplete.
            Ok(None) => continue,
            Err(err) if err.is_interruption() => return Err(err),
            Err(err) => {
                tracing::debug!(key = %upload.key, error = %err, "ListParts refused");
                None
            }
        };
        out.push(IncompleteUpload {
            s3seal: known(&upload),
            key: upload.key,
            upload_id: upload.upload_id,
            initiated: upload.initiated,
            initiated_epoch: upload.initiated_epoch,
            parts: parts.as_ref().map(Vec::len),
            bytes: parts.map(|p| p.iter().map(|p| p.size).sum()),
        });
    }
    Ok(out)
}

/// Which incomplete uploads to abort.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AbortSelection {
    All,
    /// Started at least this many whole days ago.
    OlderThan {
        days: u32,
    },
}

/// The uploads `selection` picks, never one a running transfer is sending.
pub fn select(
    uploads: &[IncompleteUpload],
    selection: AbortSelection,
    now: i64,
) -> Vec<IncompleteUpload> {
    uploads
        .iter()
        .filter(|u| !u.s3seal.as_ref().is_some_and(|k| k.in_progress))
        .filter(|u| match selection {
            AbortSelection::All => true,
            AbortSelection::OlderThan { days } => {
                u.age_days(now).is_some_and(|age| age >= i64::from(days))
            }
        })
        .cloned()
        .collect()
}

/// What aborting did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct AbortReport {
    pub aborted: usize,
    /// S3 no longer knew them (completed or aborted meanwhile).
    pub already_gone: usize,
    pub bytes_freed: u64,
    /// Keys whose abort failed, with why.
    pub failed: Vec<(String, String)>,
}

/// Aborts `selected` (uploads of `bucket`) and removes the journal entries of those s3seal
/// recorded. An upload a transfer started sending meanwhile is skipped (its entry is busy).
pub async fn abort_uploads(
    conn: &Connection,
    journal: Option<&Journal>,
    bucket: &str,
    selected: &[IncompleteUpload],
) -> Result<AbortReport> {
    let mut report = AbortReport::default();
    for upload in selected {
        let uri = upload.uri(bucket);
        let entry = match (journal, &upload.s3seal) {
            (Some(journal), Some(_)) => {
                let id = super::journal::EntryId::for_upload(&conn.place(), &uri);
                match journal.claim(&id)? {
                    super::journal::Claim::Held(entry) => Some(entry),
                    super::journal::Claim::Busy => {
                        report.failed.push((
                            upload.key.clone(),
                            Error::TransferBusy {
                                uri: uri.to_string(),
                            }
                            .to_string(),
                        ));
                        continue;
                    }
                }
            }
            _ => None,
        };
        match uploads::abort(conn, &uri, &upload.upload_id).await {
            Ok(Aborted::Now) => {
                report.aborted += 1;
                report.bytes_freed += upload.bytes.unwrap_or(0);
            }
            Ok(Aborted::AlreadyGone) => report.already_gone += 1,
            Err(err) if err.is_interruption() => return Err(err),
            Err(err) => {
                report.failed.push((upload.key.clone(), err.to_string()));
                continue;
            }
        }
        if let Some(entry) = entry {
            // Only the entry of this very upload (a newer one to the same key stays).
            if matches!(entry.read()?, Some(Transfer::Upload(r)) if r.upload_id == upload.upload_id)
            {
                entry.remove()?;
            }
        }
    }
    Ok(report)
}

/// The bucket security view's line on incomplete uploads.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IncompleteSummary {
    pub bucket: String,
    pub count: usize,
    /// Bytes of the parts S3 holds for them (those it would list).
    pub bytes: u64,
    /// How many s3seal's journal says `put` can continue.
    pub resumable: usize,
    /// Start time (RFC 3339) of the oldest.
    pub oldest: Option<String>,
    pub abort_rule: AbortRule,
    pub verdict: Verdict,
}

/// Counts the bucket's incomplete uploads and their bytes, and reads whether a lifecycle rule
/// aborts them.
pub async fn incomplete_summary(
    conn: &Connection,
    journal: Option<&Journal>,
    bucket: &str,
) -> Result<IncompleteSummary> {
    Ok(incomplete_uploads(conn, journal, bucket).await?.summary)
}

/// A bucket's incomplete uploads and their summary, from one listing: what the bucket
/// security view shows (the summary) and offers to abort (the list).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IncompleteUploads {
    pub uploads: Vec<IncompleteUpload>,
    pub summary: IncompleteSummary,
}

/// Lists every incomplete upload of `bucket` ([`list_incomplete_uploads`]), reads whether a
/// lifecycle rule aborts them, and sums them up ([`summarise`]).
pub async fn incomplete_uploads(
    conn: &Connection,
    journal: Option<&Journal>,
    bucket: &str,
) -> Result<IncompleteUploads> {
    let uri = S3Uri::new(bucket, "");
    let (uploads, lifecycle) = futures::try_join!(
        list_incomplete_uploads(conn, journal, &uri),
        get_lifecycle(conn, bucket)
    )?;
    let summary = summarise(bucket, &uploads, abort_rule_state(lifecycle.as_ref()));
    Ok(IncompleteUploads { uploads, summary })
}

/// The summary of `list` (pure; the window can call it on what it listed).
pub fn summarise(
    bucket: &str,
    list: &[IncompleteUpload],
    abort_rule: AbortRule,
) -> IncompleteSummary {
    let count = list.len();
    let bytes: u64 = list.iter().filter_map(|u| u.bytes).sum();
    let resumable = list
        .iter()
        .filter(|u| u.s3seal.as_ref().is_some_and(|k| k.resumable))
        .count();
    let oldest = list
        .iter()
        .filter(|u| u.initiated_epoch.is_some())
        .min_by_key(|u| u.initiated_epoch)
        .and_then(|u| u.initiated.clone());
    let size = crate::units::human_size(bytes);
    let b = || bucket.to_owned();
    let verdict = match (&abort_rule, count) {
        (AbortRule::WholeBucket { rule_id, days }, 0) => Verdict {
            level: Level::Green,
            reason: format!("No incomplete uploads; S3 removes any left behind {days} days after they start (rule '{rule_id}')."),
            remedy: None,
        },
        (AbortRule::WholeBucket { rule_id, days }, n) => Verdict {
            level: Level::Green,
            reason: format!("{n} incomplete upload{} ({size}); S3 removes each {days} days after it started (rule '{rule_id}').", plural(n)),
            remedy: None,
        },
        (_, 0) => Verdict {
            level: Level::Amber,
            reason: "No incomplete uploads now, but no lifecycle rule removes the ones an interrupted upload leaves behind.".to_owned(),
            remedy: Some(Remedy::AddAbortRule { bucket: b() }),
        },
        (_, n) => Verdict {
            level: Level::Red,
            reason: format!(
                "{n} incomplete upload{} {} {size} of parts you pay for, which no object listing shows, and no lifecycle rule removes {}.",
                plural(n),
                if n == 1 { "holds" } else { "hold" },
                if n == 1 { "it" } else { "them" }
            ),
            remedy: Some(if resumable == n {
                Remedy::AddAbortRule { bucket: b() }
            } else {
                Remedy::AbortIncompleteUploads { bucket: b() }
            }),
        },
    };
    IncompleteSummary {
        bucket: bucket.to_owned(),
        count,
        bytes,
        resumable,
        oldest,
        abort_rule,
        verdict,
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upload(key: &str, age_days: i64, known: Option<Known>) -> IncompleteUpload {
        IncompleteUpload {
            key: key.into(),
            upload_id: format!("id-{key}"),
            initiated: Some(format!("{key}-time")),
            initiated_epoch: Some(1_000_000_000 - age_days * 86_400),
            parts: Some(2),
            bytes: Some(10 * 1024 * 1024),
            s3seal: known,
        }
    }

    #[test]
    fn selection_by_age_never_takes_a_running_upload() {
        let running = Known {
            source: "/f".into(),
            in_progress: true,
            resumable: true,
        };
        let list = [
            upload("old", 10, None),
            upload("new", 1, None),
            upload("busy", 30, Some(running)),
        ];
        let now = 1_000_000_000;
        let keys = |v: Vec<IncompleteUpload>| v.into_iter().map(|u| u.key).collect::<Vec<_>>();
        assert_eq!(
            keys(select(&list, AbortSelection::All, now)),
            ["old", "new"]
        );
        assert_eq!(
            keys(select(&list, AbortSelection::OlderThan { days: 7 }, now)),
            ["old"]
        );
        assert_eq!(
            keys(select(&list, AbortSelection::OlderThan { days: 0 }, now)),
            ["old", "new"]
        );
    }

    #[test]
    fn summary_words_and_levels() {
        let none = summarise("b", &[], AbortRule::None);
        assert_eq!(none.verdict.level, Level::Amber);
        assert_eq!(
            none.verdict.remedy,
            Some(Remedy::AddAbortRule { bucket: "b".into() })
        );
        let list = [upload("a", 3, None), upload("b", 9, None)];
        let red = summarise("b", &list, AbortRule::None);
        assert_eq!(red.verdict.level, Level::Red);
        assert_eq!((red.count, red.bytes), (2, 20 * 1024 * 1024));
        assert!(
            red.verdict
                .reason
                .starts_with("2 incomplete uploads hold 20.0 MiB"),
            "{}",
            red.verdict.reason
        );
        assert_eq!(red.oldest.as_deref(), Some("b-time"));
        let ruled = summarise(
            "b",
            &list,
            AbortRule::WholeBucket {
                rule_id: "r".into(),
                days: 7,
            },
        );
        assert_eq!(ruled.verdict.level, Level::Green);
        assert!(
            ruled.verdict.reason.contains("7 days"),
            "{}",
            ruled.verdict.reason
        );
    }
}
