//! Transfers: upload, download and server-side copy, with progress and cancellation.

pub mod client_rekey;
pub mod client_upload;
pub mod download;
pub mod multipart;
pub mod progress;
pub mod rekey;
pub mod upload;

pub use client_upload::{ClientUploadRequest, upload_client_side};
pub use download::{DownloadOutcome, download_decrypted, download_file};
pub use progress::{CancellationToken, Progress};
pub use rekey::{CopyTuning, RekeyRequest, rekey};
pub use upload::{UploadOutcome, UploadRequest, UploadTuning, upload_file};
