//! Local keys: the OS-keyring secret store and the non-secret key catalog.
//!
//! - [`catalog`]: `<config_dir>/keys.json`, names, ids, kinds and fingerprints (no secrets).
//! - [`store`]: where key bytes live ([`SecretStore`], [`KeyringStore`] over keyring-core).
//! - [`import`]: parsing key files/text and encoding keys for export.
//! - [`manager`]: [`KeyManager`], the operations the CLI and the GUI call.

pub mod catalog;
pub mod import;
pub mod manager;
pub mod store;

pub use catalog::{KeyKind, KeyRecord};
pub use import::{ExportFormat, KeySource, encode_key, parse_key};
pub use manager::KeyManager;
pub use store::{KeyringStore, MemoryStore, SecretStore};
