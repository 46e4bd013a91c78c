//! What the user asked for while a frame was drawn. Drawing code only pushes these; the app
//! applies them after drawing (sending backend commands, changing state).

use std::path::PathBuf;

use super::app::CentralView;
use super::backend::{KeyOp, TransferId};
use super::ops::EncryptionChoice;
use crate::keys::ExportFormat;
use crate::s3::S3Uri;
use crate::s3::bucket::{DefaultEncryptionRequest, PolicyChange};

/// One user intent.
#[derive(Debug)]
pub enum Action {
    Connect,
    RefreshBuckets,
    OpenBucket(String),
    /// Show this prefix of the current bucket.
    OpenPrefix(String),
    Up,
    Refresh,
    /// Select a row (object key or folder prefix).
    Select(String),
    /// Open the selected folder.
    OpenSelected,
    /// Visible objects whose badge is not known yet.
    WantBadges(Vec<String>),
    OpenUpload,
    CloseUpload,
    /// Ask a file dialog for files to upload.
    PickUploadFiles,
    StartUpload {
        files: Vec<PathBuf>,
        prefix: String,
        encryption: EncryptionChoice,
    },
    /// Ask where to save, then download.
    Download(S3Uri),
    Rekey(S3Uri, EncryptionChoice),
    Delete(S3Uri),
    /// Ask to confirm deleting the selected object (the Delete key).
    ConfirmDeleteSelected,
    CopyText(String),
    CancelTransfer(TransferId),
    ClearFinishedTransfers,
    OpenKeys,
    CloseKeys,
    Key(KeyOp),
    /// Ask a file dialog for a key file to import.
    PickKeyFile,
    /// Ask where to export key `name`, then export it.
    ExportKey {
        name: String,
        format: ExportFormat,
    },
    LoadKms,
    DismissNotice(usize),
    ToggleTheme,
    /// Objects, bucket security, or the audit in the centre.
    ShowView(CentralView),
    LoadBucketSecurity,
    /// Plan the policy change that enforces (or relaxes) TLS, to show its diff.
    PlanTls {
        enforce: bool,
    },
    /// Write a policy change that was shown.
    ApplyPolicy(PolicyChange),
    SetDefaultEncryption(DefaultEncryptionRequest),
    SetSseCBlock(bool),
    /// Read the bucket's encryption rule and policy for the upload dialog's preview.
    LoadUploadRules,
    RunAudit,
    CancelAudit,
    /// Ask where to save the audit's CSV, then write it.
    ExportAuditCsv,
}

impl std::fmt::Debug for KeyOp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key source's text.
        f.write_str(match self {
            Self::List => "List",
            Self::Generate { .. } => "Generate",
            Self::Import { .. } => "Import",
            Self::Export { .. } => "Export",
            Self::Rename { .. } => "Rename",
            Self::Delete { .. } => "Delete",
        })
    }
}
