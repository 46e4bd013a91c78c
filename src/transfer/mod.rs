//! Transfers: upload, download and server-side copy, with progress and cancellation.

pub mod download;
pub mod multipart;
pub mod progress;
pub mod rekey;
pub mod upload;

pub use download::{DownloadOutcome, download_file};
pub use progress::{CancellationToken, Progress};
pub use rekey::{CopyTuning, RekeyRequest, rekey};
pub use upload::{UploadOutcome, UploadRequest, UploadTuning, upload_file};
