//! What one view asks of the others, collected while a frame is drawn and applied after it:
//! navigation, opening dialogs, starting transfers, telling that something changed. A view's
//! own requests are not here — it owns and polls them itself.

use std::path::PathBuf;

use super::app::CentralView;
use super::remedy::Problem;
use crate::s3::{ReadOptions, S3Uri};
use crate::transfer::write_mode::EncryptionChoice;

/// One intent that crosses views.
#[derive(Debug)]
pub enum Action {
    /// Connect with the connection in the bar.
    Connect,
    /// Show the ways to set up a connection.
    SetUpConnection,
    OpenBucket(String),
    /// Show this prefix of the current bucket.
    OpenPrefix(String),
    Up,
    Refresh,
    /// Select a row (object key or folder prefix).
    Select(String),
    /// Open the selected folder.
    OpenSelected,
    OpenUpload,
    CloseUpload,
    /// Ask the file dialog for files to upload.
    PickUploadFiles,
    StartUpload {
        files: Vec<PathBuf>,
        prefix: String,
        encryption: EncryptionChoice,
    },
    /// Ask the file dialog for a folder to upload.
    PickUploadFolder,
    /// Upload every file of the folder `root` (as `options` choose them) under `prefix`.
    StartFolderUpload {
        root: PathBuf,
        prefix: String,
        encryption: EncryptionChoice,
        options: crate::transfer::tree::TreeOptions,
    },
    /// Ask for a local folder, then download every object under the prefix into it.
    DownloadFolder(S3Uri),
    /// Ask where to save, then download.
    Download(S3Uri),
    /// Change an object's encryption (a transfer row).
    Rekey {
        uri: S3Uri,
        target: EncryptionChoice,
        read: ReadOptions,
    },
    /// Ask to confirm deleting the selected object (the Delete key).
    ConfirmDeleteSelected,
    /// An object changed (re-encrypted, uploaded): list and inspect it afresh.
    ObjectChanged(S3Uri),
    /// An object was deleted.
    ObjectDeleted(S3Uri),
    /// The inspector learnt this about an object (its badge shows it too).
    ObjectInspected(S3Uri, Box<crate::s3::ObjectInfo>),
    CopyText(String),
    OpenKeys,
    CloseKeys,
    /// The key catalog changed: list it again, forget what was derived from it.
    KeysChanged,
    /// Ask the file dialog for a key file to import.
    PickKeyFile,
    /// Ask where to export key `name`, then export it.
    ExportKey {
        name: String,
        format: crate::keys::ExportFormat,
    },
    /// Ask where to save the audit's CSV.
    ExportAuditCsv,
    /// The bucket's settings changed (default encryption, SSE-C block, policy, inventory,
    /// lifecycle).
    BucketChanged,
    /// The transfer journal changed or may have (at start, once connected, an upload ended,
    /// incomplete uploads aborted): list the interrupted transfers again.
    JournalChanged,
    LoadKms,
    ShowView(CentralView),
    Notice(Problem),
    Info(String),
    DismissNotice(usize),
    ToggleTheme,
    SetRequireCommitment(bool),
    /// Open the plan dialog on the audit's filtered rows.
    OpenRekeyPlan(Box<super::rekey_dialog::RekeyScope>),
    CloseRekeyPlan,
    /// Start the plan dialog's plan as a job (a row in the Jobs tab).
    StartJob,
    /// An S3 Batch Operations job was created: follow it in the Jobs tab.
    BatchJobCreated {
        account_id: String,
        job_id: String,
    },
    /// Show a job's report in the Audit tab.
    OpenJobReport(Box<super::job_report_view::ShownReport>),
    CloseJobReport,
    /// Ask where to save the job report shown, then save it.
    SaveJobReport,
    /// Close the report and audit this prefix again.
    AuditAgain(S3Uri),
}
