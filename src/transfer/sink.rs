//! Where a download's bytes go, on a blocking thread: hashed (the object's full checksum, over
//! what S3 stored), decrypted when client-side, and written to the temp file, which is flushed
//! to disk as it grows so the final fsync before the rename has little left to do.

use std::fs::File;
use std::io::Write as _;
use std::path::Path;

use aws_smithy_checksums::http::HttpChecksum;
use base64::Engine as _;
use tokio::sync::mpsc;

use crate::crypto::CryptoError;
use crate::crypto::stream_open::StreamOpener;

/// Ask the disk to catch up after this many bytes, so the fsync at the end is short.
const WRITEBACK_EVERY: u64 = 64 * 1024 * 1024;

/// A checksum S3 keeps for the whole object, to compare with what was received.
pub struct FullChecksum {
    /// S3's name: `CRC64NVME`, `CRC32`, `CRC32C`, `SHA1`, `SHA256`.
    pub name: &'static str,
    /// Base64, as S3 reports it.
    pub expected: String,
    hasher: Box<dyn HttpChecksum>,
}

impl FullChecksum {
    pub fn new(name: &'static str, expected: String) -> Option<Self> {
        let algorithm: aws_smithy_checksums::ChecksumAlgorithm = name.parse().ok()?;
        Some(Self {
            name,
            expected,
            hasher: algorithm.into_impl(),
        })
    }
}

/// What the sink is told: more bytes, or that the body ended (anything else is an abort).
pub enum Piece {
    Data(Vec<u8>),
    End,
}

/// How a sink can fail. The caller words it for the person (with the object's name).
#[derive(Debug)]
pub enum SinkError {
    Io(std::io::Error),
    Crypto(CryptoError),
    Checksum {
        name: &'static str,
        expected: String,
        actual: String,
    },
    /// The sender went away before `End`: the download was cancelled or failed.
    Aborted,
}

/// What a finished sink reports.
pub struct SinkOutcome {
    /// Bytes received from S3 (ciphertext for client-side objects).
    pub received: u64,
    /// Bytes written to the file.
    pub written: u64,
    /// The checksum that matched, if S3 had one.
    pub checksum: Option<&'static str>,
}

/// Consumes pieces until `End`, then verifies and syncs the file. Runs on a blocking thread.
pub fn run(
    path: &Path,
    mut file: File,
    mut checksum: Option<FullChecksum>,
    mut opener: Option<StreamOpener>,
    mut pieces: mpsc::Receiver<Piece>,
) -> Result<SinkOutcome, SinkError> {
    let mut received = 0u64;
    let mut written = 0u64;
    let mut since_writeback = 0u64;
    loop {
        let Some(piece) = pieces.blocking_recv() else {
            return Err(SinkError::Aborted);
        };
        let mut data = match piece {
            Piece::Data(data) => data,
            Piece::End => break,
        };
        received += data.len() as u64;
        if let Some(sum) = checksum.as_mut() {
            sum.hasher.update(&data);
        }
        let n = match opener.as_mut() {
            Some(opener) => {
                let opened = opener.push(&mut data).map_err(SinkError::Crypto)?;
                for part in opened.parts() {
                    file.write_all(part).map_err(SinkError::Io)?;
                }
                opened.len()
            }
            None => {
                file.write_all(&data).map_err(SinkError::Io)?;
                data.len()
            }
        } as u64;
        written += n;
        since_writeback += n;
        if since_writeback >= WRITEBACK_EVERY {
            // Waits for the disk while later pieces queue up: the network and the disk work at
            // once instead of one after the other at the end.
            file.sync_data().map_err(SinkError::Io)?;
            since_writeback = 0;
        }
    }
    if let Some(opener) = opener {
        opener.finish().map_err(SinkError::Crypto)?;
    }
    let matched = match checksum {
        Some(sum) => {
            let actual = base64::engine::general_purpose::STANDARD.encode(sum.hasher.finalize());
            if actual != sum.expected {
                return Err(SinkError::Checksum {
                    name: sum.name,
                    expected: sum.expected,
                    actual,
                });
            }
            Some(sum.name)
        }
        None => None,
    };
    file.sync_all().map_err(SinkError::Io)?;
    tracing::debug!(path = %path.display(), received, written, "download written and synced");
    Ok(SinkOutcome {
        received,
        written,
        checksum: matched,
    })
}
