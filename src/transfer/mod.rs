//! Transfers: upload, download and server-side copy, with progress and cancellation.

mod buffer_pool;
pub mod checksum;
pub mod client_rekey;
pub mod client_upload;
pub mod download;
pub mod download_resume;
pub mod fetch;
pub mod interrupted;
pub mod journal;
pub mod multipart;
pub mod orphans;
mod range_log;
pub mod ranged;
pub mod reencrypt;
pub mod rekey;
pub mod resume;
mod sink;
mod temp_file;
pub mod tree;
pub mod upload;
pub mod write_mode;

pub use client_upload::{ClientUploadRequest, upload_client_side};
pub use download::{
    DownloadOutcome, DownloadRequest, ObjectVersion, download_decrypted, download_file,
};
pub use fetch::{Fetched, fetch_object};
pub use ranged::DownloadTuning;
pub use reencrypt::{Reencrypted, reencrypt};
pub use rekey::{CopyInPlace, CopyTuning, RekeyRequest, Restated, rekey};
pub(crate) use temp_file::process_runs;
pub use upload::{UploadOutcome, UploadRequest, UploadTuning, upload_file};
pub use write_mode::{EncryptionChoice, WriteMode, resolve_write_mode};

/// Threads for blocking work (file writes, fsync, renames, the key store) in a front end's
/// runtime. Hundreds of small transfers in flight each hand a write or a rename to one: without
/// a bound, tokio starts up to 512 such threads, each with its stack and its own malloc arena,
/// which is most of the memory a wide transfer takes; these calls are short, so a few dozen
/// threads keep up.
pub const BLOCKING_THREADS: usize = 32;
