//! s3seal: manage the encryption of data in Amazon S3 and S3-compatible stores.
//!
//! The library is the whole engine — connections, listing, inspection, transfers, keys,
//! cryptography — and never imports a GUI toolkit. The binary (`main.rs`) adds the command
//! line (`cli`) and, later, the desktop window on top of it.

pub mod cli;
pub mod crypto;
pub mod csv;
pub mod error;
pub mod jobs;
pub mod keys;
pub mod logging;
pub mod progress;
pub mod remedy;
pub mod s3;
pub mod transfer;
#[cfg(feature = "gui")]
pub mod ui;
pub mod units;

pub use error::{Error, Result};
