//! S3 and KMS: connections, listing, inspection and encryption headers.

pub mod bucket;
pub mod client_envelope;
pub mod client_master;
pub mod connection;
pub mod describe;
pub mod discover;
pub mod encryption;
pub mod errors;
pub mod in_flight;
pub mod inspect;
pub mod inventory;
pub mod kms;
pub mod listing;
pub mod local_keys;
pub mod report_files;
pub mod uploads;
pub mod uri;

pub use connection::{ConnectOptions, Connection};
pub use describe::inspect_fully;
pub use encryption::{EncryptionMode, ServerSide, SseCKey};
pub use inspect::ObjectInfo;
pub use local_keys::{KeyAccess, ReadKeys, ReadOptions};
pub use uri::S3Uri;
