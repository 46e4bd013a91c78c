//! Where a download's bytes go: each range of the object is written at its own offset in the
//! temp file as it arrives (ranges in any order, each on a blocking thread), and what verifies
//! the whole is computed range by range and combined at the end — the object's full checksum
//! (CRCs combine; a SHA-1 or SHA-256 needs the bytes in order, so such an object comes as one
//! stream) and, client-side, each range's GHASH (decrypted at its offset) into the GCM tag.
//! The file is flushed to disk as it grows, so the final fsync has little left to do.
//!
//! A download that can be resumed also has each range's CRC64NVME computed ([`Done::crc64nvme`],
//! recorded in the journal), and re-reads the ranges an interrupted run wrote
//! ([`FileSink::reread`]) to check them and take them into the whole's verification.

use std::fs::File;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use base64::Engine as _;
use bytes::Bytes;
use crc_fast::CrcAlgorithm;

use super::checksum::{FullChecksum, Mismatch};
use crate::crypto::CryptoError;
use crate::crypto::gcm_ranges::{GcmRange, GcmRanges, RangeHash};
use crate::crypto::gcm_stream::TAG_LEN;

/// Ask the disk to catch up after this many bytes, so the fsync at the end is short.
const WRITEBACK_EVERY: u64 = 64 * 1024 * 1024;

/// Bytes decrypted at a time (client-side): small enough to stay in cache between the
/// decryption and the write.
const SCRATCH: usize = 256 * 1024;

/// How a sink can fail. The caller words it for the person (with the object's name).
#[derive(Debug)]
pub enum SinkError {
    Io(std::io::Error),
    Crypto(CryptoError),
    Checksum(Mismatch),
    /// The ranges received do not add up to the object (`received` bytes of it).
    Incomplete {
        received: u64,
    },
}

/// What a finished sink reports.
pub struct SinkOutcome {
    /// Bytes received from S3 (ciphertext and tag for client-side objects).
    pub received: u64,
    /// Bytes written to the file.
    pub written: u64,
    /// The checksum that matched, if S3 had one.
    pub checksum: Option<&'static str>,
}

/// How the object's full checksum is recomputed.
enum Check {
    None,
    /// A CRC: each range computes its own, combined in order at the end.
    Crc {
        algorithm: CrcAlgorithm,
        /// Bytes of the value as S3 writes it (4 for CRC32 and CRC32C, 8 for CRC64NVME).
        width: usize,
        name: &'static str,
        expected: String,
    },
    /// Anything else, over the one stream in order (taken by its single range).
    InOrder(Mutex<Option<FullChecksum>>),
}

/// The temp file of one download and how to verify what is written into it.
pub struct FileSink {
    file: File,
    /// Bytes S3 stores (for a client-side object: ciphertext, then the 16-byte tag).
    size: u64,
    /// Where the text ends: the tag's offset client-side, else `size`.
    text_end: u64,
    check: Check,
    gcm: Option<GcmRanges>,
    /// Whether each range's CRC64NVME is computed (for the journal of a resumable download).
    range_crcs: bool,
    written: AtomicU64,
    writing: Mutex<()>,
}

impl FileSink {
    /// `checksum` is S3's `(algorithm, base64)` for the whole object; `gcm` decrypts a
    /// client-side object's ranges.
    pub fn new(
        file: File,
        size: u64,
        checksum: Option<(&'static str, String)>,
        gcm: Option<GcmRanges>,
    ) -> Self {
        let check = match checksum {
            None => Check::None,
            Some((name, expected)) => match crc_of(name) {
                Some((algorithm, width)) => Check::Crc {
                    algorithm,
                    width,
                    name,
                    expected,
                },
                None => Check::InOrder(Mutex::new(FullChecksum::new(name, expected))),
            },
        };
        let text_end = if gcm.is_some() {
            size.saturating_sub(TAG_LEN as u64)
        } else {
            size
        };
        Self {
            file,
            size,
            text_end,
            check,
            gcm,
            range_crcs: false,
            written: AtomicU64::new(0),
            writing: Mutex::new(()),
        }
    }

    /// Has each range's CRC64NVME computed, so that a resumed download can check the ranges
    /// an interrupted one wrote.
    pub fn with_range_crcs(mut self) -> Self {
        self.range_crcs = true;
        self
    }

    /// Reads back the range `start..start + len` that an interrupted run wrote, hashing it as
    /// if it had just arrived. Blocking. Only for server-side objects (the file holds what S3
    /// sent).
    pub fn reread(self: &Arc<Self>, start: u64, len: u64) -> Result<Done, SinkError> {
        if self.gcm.is_some() {
            return Err(SinkError::Io(std::io::Error::other(
                "a client-side download cannot reuse what an earlier run wrote",
            )));
        }
        let mut part = self.part(start)?;
        let mut buf = vec![0; SCRATCH];
        let mut offset = start;
        let end = start + len;
        while offset < end {
            let n = usize::try_from(end - offset)
                .unwrap_or(usize::MAX)
                .min(buf.len());
            read_exact_at(&self.file, &mut buf[..n], offset).map_err(SinkError::Io)?;
            part.hash(&buf[..n]);
            offset += n as u64;
        }
        part.end = end;
        Ok(part.finish())
    }

    /// Whether the object must come as one stream (its checksum cannot be combined).
    pub fn needs_one_stream(&self) -> bool {
        matches!(self.check, Check::InOrder(_))
    }

    /// Whether an object with S3's `checksum` must come as one stream (before there is a sink).
    pub fn checksum_needs_one_stream(checksum: Option<&(&'static str, String)>) -> bool {
        checksum.is_some_and(|(name, _)| crc_of(name).is_none())
    }

    /// A writer for the bytes from `offset` on.
    pub fn part(self: &Arc<Self>, offset: u64) -> Result<Part, SinkError> {
        let hash = match &self.check {
            Check::None => PartHash::None,
            Check::Crc { algorithm, .. } => {
                PartHash::Crc(Box::new(crc_fast::Digest::new(*algorithm)))
            }
            Check::InOrder(sum) => {
                match sum.lock().unwrap_or_else(PoisonError::into_inner).take() {
                    Some(sum) => PartHash::InOrder(sum),
                    None => PartHash::None,
                }
            }
        };
        let gcm = match &self.gcm {
            Some(ranges) if offset < self.text_end => {
                Some(ranges.range(offset).map_err(SinkError::Crypto)?)
            }
            _ => None,
        };
        Ok(Part {
            sink: Arc::clone(self),
            start: offset,
            end: offset,
            hash,
            range_crc: self
                .range_crcs
                .then(|| Box::new(crc_fast::Digest::new(CrcAlgorithm::Crc64Nvme))),
            scratch: if gcm.is_some() {
                vec![0; SCRATCH]
            } else {
                Vec::new()
            },
            gcm,
            tag: Vec::new(),
        })
    }

    /// Checks the parts (in any order) against the object and syncs the file. Blocking.
    pub fn finish(&self, mut parts: Vec<Done>) -> Result<SinkOutcome, SinkError> {
        parts.sort_by_key(|p| p.start);
        let mut received = 0u64;
        for part in &parts {
            if part.start != received {
                return Err(SinkError::Incomplete { received });
            }
            received = part.end;
        }
        if received != self.size {
            return Err(SinkError::Incomplete { received });
        }
        if let Some(gcm) = &self.gcm {
            let mut tag = Vec::with_capacity(TAG_LEN);
            let mut hashes = Vec::new();
            for part in &mut parts {
                tag.extend_from_slice(&part.tag);
                hashes.extend(part.gcm.take());
            }
            let tag: [u8; TAG_LEN] = tag
                .try_into()
                .map_err(|t: Vec<u8>| SinkError::Crypto(CryptoError::Truncated { len: t.len() }))?;
            gcm.verify(&hashes, &tag).map_err(SinkError::Crypto)?;
        }
        let matched = match &self.check {
            Check::None => None,
            Check::Crc {
                algorithm,
                width,
                name,
                expected,
            } => {
                let mut crc = None;
                for part in &parts {
                    let PartHash::Crc(digest) = &part.hash else {
                        continue;
                    };
                    let next = digest.finalize();
                    crc = Some(match crc {
                        None => next,
                        Some(so_far) => crc_fast::checksum_combine(
                            *algorithm,
                            so_far,
                            next,
                            part.end - part.start,
                        ),
                    });
                }
                // An empty object is one empty part: its CRC is the CRC of nothing.
                let crc = crc.unwrap_or_else(|| crc_fast::Digest::new(*algorithm).finalize());
                let bytes = crc.to_be_bytes();
                let actual = base64::engine::general_purpose::STANDARD.encode(&bytes[8 - width..]);
                if actual != *expected {
                    return Err(SinkError::Checksum(Mismatch {
                        name,
                        expected: expected.clone(),
                        actual,
                    }));
                }
                Some(*name)
            }
            Check::InOrder(_) => match parts.into_iter().find_map(|p| match p.hash {
                PartHash::InOrder(sum) => Some(sum),
                _ => None,
            }) {
                Some(sum) => Some(sum.verify().map_err(SinkError::Checksum)?),
                None => None,
            },
        };
        self.file.sync_all().map_err(SinkError::Io)?;
        Ok(SinkOutcome {
            received,
            written: self.text_end,
            checksum: matched,
        })
    }

    fn write_at(&self, bytes: &[u8], offset: u64) -> Result<(), SinkError> {
        {
            // One writer at a time: the kernel serialises writes to one file anyway, and
            // threads queued here sleep where they would spin on the file's lock.
            let _turn = self.writing.lock().unwrap_or_else(PoisonError::into_inner);
            write_all_at(&self.file, bytes, offset).map_err(SinkError::Io)?;
        }
        let n = bytes.len() as u64;
        let before = self.written.fetch_add(n, Ordering::Relaxed);
        if (before + n) / WRITEBACK_EVERY != before / WRITEBACK_EVERY {
            // Waits for the disk on this range's thread while the others go on: the network
            // and the disk work at once instead of one after the other at the end.
            self.file.sync_data().map_err(SinkError::Io)?;
        }
        Ok(())
    }
}

enum PartHash {
    None,
    Crc(Box<crc_fast::Digest>),
    InOrder(FullChecksum),
}

/// Writes one range's bytes, in order within the range. Blocking: use it off the async workers.
pub struct Part {
    sink: Arc<FileSink>,
    start: u64,
    /// The offset of the next byte.
    end: u64,
    hash: PartHash,
    /// CRC64NVME of the range, for the journal of a resumable download.
    range_crc: Option<Box<crc_fast::Digest>>,
    gcm: Option<GcmRange>,
    /// Bytes of the GCM tag this range holds.
    tag: Vec<u8>,
    /// Plaintext decrypted, on its way to the file (client-side only).
    scratch: Vec<u8>,
}

/// A finished part.
pub struct Done {
    start: u64,
    end: u64,
    hash: PartHash,
    range_crc: Option<u64>,
    gcm: Option<RangeHash>,
    tag: Vec<u8>,
}

impl Done {
    /// The range's first byte in the object.
    pub fn start(&self) -> u64 {
        self.start
    }

    /// Bytes of the range.
    pub fn len(&self) -> u64 {
        self.end - self.start
    }

    /// The range's CRC64NVME, when the sink computes them ([`FileSink::with_range_crcs`]).
    pub fn crc64nvme(&self) -> Option<u64> {
        self.range_crc
    }
}

impl Part {
    /// Hashes, decrypts (client-side) and writes the next bytes of the range.
    pub fn write(&mut self, chunks: &[Bytes]) -> Result<(), SinkError> {
        let text_end = self.sink.text_end;
        for chunk in chunks {
            self.hash(chunk);
            let start = self.end;
            self.end += chunk.len() as u64;
            // Bytes before `text_end` are text; after it, the tag.
            let text = usize::try_from(text_end.saturating_sub(start))
                .unwrap_or(usize::MAX)
                .min(chunk.len());
            let (text, tag) = chunk.split_at(text);
            self.tag.extend_from_slice(tag);
            let Some(gcm) = self.gcm.as_mut() else {
                if !text.is_empty() {
                    self.sink.write_at(text, start)?;
                }
                continue;
            };
            // The chunk is shared with the HTTP stack: decrypt it into a buffer that lives as
            // long as the range, a cache-sized piece at a time.
            let mut offset = start;
            for piece in text.chunks(SCRATCH) {
                let plain = &mut self.scratch[..piece.len()];
                gcm.decrypt_to(piece, plain).map_err(SinkError::Crypto)?;
                self.sink.write_at(plain, offset)?;
                offset += piece.len() as u64;
            }
        }
        Ok(())
    }

    fn hash(&mut self, bytes: &[u8]) {
        match &mut self.hash {
            PartHash::None => {}
            PartHash::Crc(digest) => digest.update(bytes),
            PartHash::InOrder(sum) => sum.update(bytes),
        }
        if let Some(digest) = &mut self.range_crc {
            digest.update(bytes);
        }
    }

    pub fn finish(mut self) -> Done {
        zeroize::Zeroize::zeroize(&mut self.scratch);
        Done {
            start: self.start,
            end: self.end,
            hash: self.hash,
            range_crc: self.range_crc.map(|d| d.finalize()),
            gcm: self.gcm.map(GcmRange::finish),
            tag: self.tag,
        }
    }
}

/// The CRCs whose values combine, and the width S3 writes them in.
fn crc_of(name: &str) -> Option<(CrcAlgorithm, usize)> {
    match name {
        "CRC64NVME" => Some((CrcAlgorithm::Crc64Nvme, 8)),
        "CRC32" => Some((CrcAlgorithm::Crc32IsoHdlc, 4)),
        "CRC32C" => Some((CrcAlgorithm::Crc32Iscsi, 4)),
        _ => None,
    }
}

#[cfg(unix)]
fn write_all_at(file: &File, bytes: &[u8], offset: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::write_all_at(file, bytes, offset)
}

#[cfg(unix)]
fn read_exact_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

#[cfg(windows)]
fn read_exact_at(file: &File, mut buf: &mut [u8], mut offset: u64) -> std::io::Result<()> {
    while !buf.is_empty() {
        let n = std::os::windows::fs::FileExt::seek_read(file, buf, offset)?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf = &mut buf[n..];
        offset += n as u64;
    }
    Ok(())
}

#[cfg(windows)]
fn write_all_at(file: &File, mut bytes: &[u8], mut offset: u64) -> std::io::Result<()> {
    while !bytes.is_empty() {
        let n = std::os::windows::fs::FileExt::seek_write(file, bytes, offset)?;
        if n == 0 {
            return Err(std::io::ErrorKind::WriteZero.into());
        }
        bytes = &bytes[n..];
        offset += n as u64;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::{GcmEncryptor, Key256};

    fn s3_checksum(name: &'static str, bytes: &[u8]) -> String {
        let mut sum = FullChecksum::new(name, String::new()).unwrap();
        sum.update(bytes);
        sum.verify().unwrap_err().actual
    }

    /// Writes `body` through a sink cut in parts of `part` bytes, finished in reverse order,
    /// each fed in chunks of `chunk` bytes; returns the outcome and the file's bytes.
    fn run(
        body: &[u8],
        part: usize,
        chunk: usize,
        checksum: Option<(&'static str, String)>,
        gcm: Option<GcmRanges>,
    ) -> (Result<SinkOutcome, SinkError>, Vec<u8>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out");
        let file = File::create(&path).unwrap();
        let sink = Arc::new(FileSink::new(file, body.len() as u64, checksum, gcm));
        let starts: Vec<usize> = (0..body.len().max(1)).step_by(part).collect();
        let mut done = Vec::new();
        for &start in starts.iter().rev() {
            let end = (start + part).min(body.len());
            let mut p = sink.part(start as u64).unwrap();
            for piece in body[start..end].chunks(chunk) {
                p.write(&[Bytes::copy_from_slice(piece)]).unwrap();
            }
            done.push(p.finish());
        }
        let outcome = sink.finish(done);
        (outcome, std::fs::read(&path).unwrap())
    }

    #[test]
    fn crc_ranges_combine_into_the_checksum_s3_keeps() {
        let body: Vec<u8> = (0..100_003).map(|i| (i * 17 % 253) as u8).collect();
        for name in ["CRC64NVME", "CRC32", "CRC32C"] {
            let expected = s3_checksum(name, &body);
            for (part, chunk) in [(16_384, 1000), (100_003, 7), (48, 48)] {
                let (outcome, file) = run(&body, part, chunk, Some((name, expected.clone())), None);
                let outcome = outcome.unwrap();
                assert_eq!(outcome.checksum, Some(name));
                assert_eq!((outcome.received, outcome.written), (100_003, 100_003));
                assert_eq!(file, body);
            }
            let wrong = s3_checksum(name, b"something else");
            let (outcome, _) = run(&body, 16_384, 1000, Some((name, wrong)), None);
            assert!(matches!(outcome, Err(SinkError::Checksum(_))), "{name}");
        }
        let (outcome, file) = run(
            &[],
            16,
            16,
            Some(("CRC64NVME", s3_checksum("CRC64NVME", &[]))),
            None,
        );
        assert_eq!(outcome.unwrap().checksum, Some("CRC64NVME"));
        assert!(file.is_empty());
    }

    #[test]
    fn a_sha_checksum_is_checked_over_one_stream() {
        let body = vec![42u8; 5000];
        let expected = s3_checksum("SHA256", &body);
        let dir = tempfile::tempdir().unwrap();
        let sink = FileSink::new(
            File::create(dir.path().join("f")).unwrap(),
            5000,
            Some(("SHA256", expected)),
            None,
        );
        assert!(sink.needs_one_stream());
        let (outcome, _) = run(
            &body,
            5000,
            999,
            Some(("SHA256", s3_checksum("SHA256", &body))),
            None,
        );
        assert_eq!(outcome.unwrap().checksum, Some("SHA256"));
    }

    #[test]
    fn client_side_ranges_decrypt_and_verify_the_tag() {
        let key = Key256::from_bytes([1; 32]);
        let iv = [2u8; 12];
        let plain: Vec<u8> = (0..70_001).map(|i| (i % 199) as u8).collect();
        let mut body = plain.clone();
        let mut enc = GcmEncryptor::new(&key, &iv, b"");
        enc.encrypt_in_place(&mut body).unwrap();
        body.extend_from_slice(&enc.finalize());
        let sum = s3_checksum("CRC64NVME", &body);
        // Parts of 16 KiB: the last part holds the end of the text and the tag; parts of
        // 70,000 bytes: the tag straddles two parts; 70,016: a part of tag bytes alone.
        for part in [16_384, 70_000, 70_016, 70_005] {
            let gcm = GcmRanges::new(&key, &iv, b"");
            let (outcome, file) = run(
                &body,
                part,
                4096,
                Some(("CRC64NVME", sum.clone())),
                Some(gcm),
            );
            let outcome = outcome.unwrap_or_else(|e| panic!("part {part}: {e:?}"));
            assert_eq!(outcome.written, plain.len() as u64);
            assert_eq!(file, plain, "part {part}");
        }
        let mut tampered = body.clone();
        tampered[100] ^= 4;
        let gcm = GcmRanges::new(&key, &iv, b"");
        let (outcome, _) = run(&tampered, 16_384, 4096, None, Some(gcm));
        assert!(matches!(
            outcome,
            Err(SinkError::Crypto(CryptoError::AuthenticationFailed))
        ));
    }

    #[test]
    fn missing_bytes_are_incomplete() {
        let dir = tempfile::tempdir().unwrap();
        let sink = Arc::new(FileSink::new(
            File::create(dir.path().join("f")).unwrap(),
            10,
            None,
            None,
        ));
        let mut p = sink.part(0).unwrap();
        p.write(&[Bytes::from_static(b"12345")]).unwrap();
        assert!(matches!(
            sink.finish(vec![p.finish()]),
            Err(SinkError::Incomplete { received: 5 })
        ));
    }
}
