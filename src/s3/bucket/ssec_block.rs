//! Blocking and unblocking SSE-C uploads for a bucket (`BlockedEncryptionTypes` in the default
//! encryption rule). The default encryption itself is kept as it is.

use aws_sdk_s3::types::EncryptionType;
use serde::Serialize;

use super::default_encryption::{get_encryption_rule, put_rule, request_of};
use crate::error::Result;
use crate::remedy::Remedy;
use crate::s3::connection::Connection;

/// What happened when the SSE-C block was changed, as S3 reports it afterwards.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SseCBlockOutcome {
    /// Blocked before the change.
    pub was_blocked: bool,
    /// Blocked after the change, as read back from S3.
    pub blocked: bool,
    /// Whether the server reported the setting back; false means it ignored it (some
    /// S3-compatible servers and local emulators do not implement `BlockedEncryptionTypes`).
    pub server_reports_setting: bool,
    /// Plain words for the person who asked.
    pub message: String,
    /// How to undo it, when it took effect.
    #[serde(skip)]
    pub undo: Option<Remedy>,
}

/// Refuses new SSE-C uploads to `bucket` (existing SSE-C objects stay readable with their key).
pub async fn block_sse_c(conn: &Connection, bucket: &str) -> Result<SseCBlockOutcome> {
    set_sse_c_blocked(conn, bucket, true).await
}

/// Allows SSE-C uploads to `bucket` again.
pub async fn unblock_sse_c(conn: &Connection, bucket: &str) -> Result<SseCBlockOutcome> {
    set_sse_c_blocked(conn, bucket, false).await
}

async fn set_sse_c_blocked(
    conn: &Connection,
    bucket: &str,
    block: bool,
) -> Result<SseCBlockOutcome> {
    let before = get_encryption_rule(conn, bucket).await?;
    let types = if block {
        vec![EncryptionType::SseC]
    } else {
        vec![EncryptionType::None]
    };
    put_rule(conn, bucket, &request_of(&before.default), Some(&types)).await?;
    let after = get_encryption_rule(conn, bucket).await?;
    let blocked = after.sse_c_blocked();
    let message = match (block, blocked, after.blocked_types_reported) {
        (true, true, _) => format!(
            "SSE-C uploads to {bucket} are now refused (S3 answers 403). Objects already encrypted with SSE-C stay readable with their key."
        ),
        (false, false, _) => format!(
            "SSE-C uploads to {bucket} are allowed again. Anyone allowed to upload can now encrypt objects with a key you do not hold."
        ),
        (true, false, false) => format!(
            "the server accepted the request but does not report BlockedEncryptionTypes back, so SSE-C is NOT known to be blocked on {bucket} (this server probably does not implement the setting; AWS S3 does)"
        ),
        (true, false, true) => {
            format!("the server kept the bucket's rule but SSE-C is still not blocked on {bucket}")
        }
        (false, true, _) => format!(
            "the server still reports SSE-C as blocked on {bucket}; SSE-C uploads will keep failing with 403"
        ),
    };
    let undo = (block && blocked).then(|| Remedy::UnblockSseC {
        bucket: bucket.to_owned(),
    });
    Ok(SseCBlockOutcome {
        undo,
        was_blocked: before.sse_c_blocked(),
        blocked,
        server_reports_setting: after.blocked_types_reported,
        message,
    })
}
