//! Local keys: the OS-keyring secret store and the non-secret key catalog.
//!
//! - [`catalog`]: `<config_dir>/keys.json`, names, ids, kinds, fingerprints, SSE-C keys'
//!   homes and trusted KMS keys (no secrets).
//! - [`homes`]: where an SSE-C key belongs, so it is offered nowhere else.
//! - [`store`]: where key bytes live ([`SecretStore`], [`KeyringStore`] over keyring-core).
//! - [`import`]: parsing key files/text and encoding keys for export.
//! - [`manager`]: [`KeyManager`], the operations the CLI and the GUI call.

pub mod access_keys;
pub mod catalog;
pub mod homes;
pub mod import;
pub mod manager;
pub mod openers;
pub mod store;

pub use catalog::{KeyKind, KeyRecord};
pub use homes::KeyHome;
pub use import::{ExportFormat, KeySource, encode_key, parse_key};
pub use manager::KeyManager;
pub use store::{KeyringStore, MemoryStore, SecretStore};
