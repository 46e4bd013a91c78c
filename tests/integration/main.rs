//! s3seal's integration tests, in one test binary (one link of the whole dependency tree
//! instead of one per file). Each module is one area; most talk to the real servers that
//! `scripts/test-env.sh` starts (LocalStack over HTTPS, a Secret Service). Run one area with
//! `scripts/test-env.sh cargo test --test integration roundtrip::`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed step is a failed test"
)]

mod peer;
mod support;
#[cfg(feature = "gui")]
mod ui_support;

mod bad_input;
mod batch;
mod bucket_audit;
mod bucket_protection;
mod client_side;
mod crypto_vectors;
mod download;
mod faults;
mod interop;
mod inventory;
mod jobs;
mod keys_and_tls;
mod kms_aliases;
mod lifecycle;
mod no_keyring;
mod policy_corpus;
mod resume;
mod resume_download;
mod retry;
mod roundtrip;
mod tree;
mod trust_files;
mod trust_keys;
mod trust_kms;
#[cfg(feature = "gui")]
mod ui_accessibility;
#[cfg(feature = "gui")]
mod ui_app;
#[cfg(feature = "gui")]
mod ui_bucket;
#[cfg(feature = "gui")]
mod ui_bucket_scale;
#[cfg(feature = "gui")]
mod ui_first_run;
#[cfg(feature = "gui")]
mod ui_folder;
#[cfg(feature = "gui")]
mod ui_interrupted;
#[cfg(feature = "gui")]
mod ui_jobs;
#[cfg(feature = "gui")]
mod ui_keys;
#[cfg(feature = "gui")]
mod ui_pictures;
#[cfg(feature = "gui")]
mod ui_real_data;
#[cfg(feature = "gui")]
mod ui_scene;
#[cfg(feature = "gui")]
mod ui_smoke;
#[cfg(feature = "gui")]
mod ui_snapshots;
#[cfg(feature = "gui")]
mod ui_welcome;
mod uploads;
