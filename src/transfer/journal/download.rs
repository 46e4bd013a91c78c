//! What the journal keeps about a ranged download in flight: which object (endpoint, bucket,
//! key, version id and ETag as HEAD saw them), where it goes (the destination and the hidden
//! partial file beside it), the range size, and each range already durable in the partial file
//! with its CRC64NVME — for SSE-C the key's name and MD5 only. A client-side download records
//! only that it ran: it cannot continue (its cipher state would have to be kept on disk), and
//! the entry lets the next run say so.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::s3::S3Uri;

/// A ranged download in flight.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DownloadRecord {
    /// Where the bucket lives ([`crate::s3::Connection::place`]): `aws` or `host:port`.
    pub endpoint: String,
    pub bucket: String,
    pub key: String,
    /// The object's version as HEAD saw it (`None` in an unversioned bucket).
    #[serde(default)]
    pub version_id: Option<String>,
    pub etag: String,
    /// Bytes of the object.
    pub size: u64,
    /// The file being written, as an absolute path.
    pub dest: PathBuf,
    #[serde(with = "time::serde::rfc3339")]
    pub started: time::OffsetDateTime,
    pub state: DownloadState,
}

/// What a download has to continue from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "resume", rename_all = "kebab-case")]
pub enum DownloadState {
    /// A server-side object: its ranges land in `partial`, a private hidden file beside the
    /// destination that only gets the destination's name once the whole verified.
    Ranges {
        sse_c: Option<SseCRead>,
        partial: PathBuf,
        range_size: u64,
        /// Ranges whose bytes are durable in `partial`, by offset.
        done: Vec<RangeDone>,
    },
    /// A client-side object: nothing to continue from; the next run starts over and says why.
    ClientSide,
}

/// The SSE-C key a download reads with: its local name and the base64 MD5 S3 knows it by —
/// never the key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SseCRead {
    pub key_name: String,
    pub key_md5: String,
}

/// One range written and flushed to the partial file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RangeDone {
    pub start: u64,
    pub len: u64,
    /// CRC64NVME of the range's bytes.
    pub crc64nvme: u64,
}

impl DownloadRecord {
    pub fn source(&self) -> S3Uri {
        S3Uri::new(&self.bucket, &self.key)
    }

    /// Bytes of the ranges recorded as done. Saturating: an entry is a file on disk, and an
    /// edited or damaged one may hold any lengths.
    pub fn bytes_done(&self) -> u64 {
        match &self.state {
            DownloadState::Ranges { done, .. } => {
                done.iter().fold(0, |sum: u64, r| sum.saturating_add(r.len))
            }
            DownloadState::ClientSide => 0,
        }
    }

    /// Ranges recorded as done, and how many the whole object takes.
    pub fn ranges(&self) -> (usize, u64) {
        match &self.state {
            DownloadState::Ranges {
                range_size, done, ..
            } => (done.len(), self.size.div_ceil((*range_size).max(1))),
            DownloadState::ClientSide => (0, 0),
        }
    }

    /// The partial file, if the download keeps one.
    pub fn partial(&self) -> Option<&std::path::Path> {
        match &self.state {
            DownloadState::Ranges { partial, .. } => Some(partial),
            DownloadState::ClientSide => None,
        }
    }

    /// Records a range as done (replacing an earlier record at the same offset).
    pub fn add_range(&mut self, range: RangeDone) {
        if let DownloadState::Ranges { done, .. } = &mut self.state {
            match done.binary_search_by_key(&range.start, |r| r.start) {
                Ok(i) => done[i] = range,
                Err(i) => done.insert(i, range),
            }
        }
    }

    /// Keeps only the ranges `keep` accepts.
    pub fn retain_ranges(&mut self, keep: impl Fn(&RangeDone) -> bool) {
        if let DownloadState::Ranges { done, .. } = &mut self.state {
            done.retain(keep);
        }
    }

    /// How the object is read, for a person.
    pub fn describe(&self) -> String {
        match &self.state {
            DownloadState::Ranges {
                sse_c: Some(key), ..
            } => format!("SSE-C (key '{}')", key.key_name),
            DownloadState::Ranges { sse_c: None, .. } => "server-side".to_owned(),
            DownloadState::ClientSide => "client-side".to_owned(),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::transfer::journal::Transfer;

    pub(crate) fn sample_download() -> DownloadRecord {
        DownloadRecord {
            endpoint: "127.0.0.1:4566".into(),
            bucket: "b".into(),
            key: "dir/big.bin".into(),
            version_id: Some("v1".into()),
            etag: "\"abc-3\"".into(),
            size: 20 * 1024 * 1024,
            dest: PathBuf::from("/home/me/big.bin"),
            started: time::OffsetDateTime::UNIX_EPOCH,
            state: DownloadState::Ranges {
                sse_c: Some(SseCRead {
                    key_name: "mine".into(),
                    key_md5: "md5==".into(),
                }),
                partial: PathBuf::from("/home/me/.s3seal-dl-0123.part"),
                range_size: 8 * 1024 * 1024,
                done: Vec::new(),
            },
        }
    }

    #[test]
    fn a_download_round_trips_through_its_json() {
        let mut record = sample_download();
        let range = |start, crc| RangeDone {
            start,
            len: 8 * 1024 * 1024,
            crc64nvme: crc,
        };
        record.add_range(range(16 * 1024 * 1024, 3));
        record.add_range(range(0, 1));
        record.add_range(range(0, 2));
        assert_eq!(record.ranges(), (2, 3));
        assert_eq!(record.bytes_done(), 16 * 1024 * 1024);
        let transfer = Transfer::Download(record.clone());
        let json = serde_json::to_string(&transfer).unwrap();
        assert!(json.contains("\"kind\":\"download\""), "{json}");
        assert!(json.contains("\"resume\":\"ranges\""), "{json}");
        let back: Transfer = serde_json::from_str(&json).unwrap();
        assert_eq!(back, transfer);
        let Transfer::Download(back) = back else {
            panic!("a download")
        };
        let DownloadState::Ranges { done, .. } = &back.state else {
            panic!("ranges")
        };
        assert_eq!(
            done.iter()
                .map(|r| (r.start, r.crc64nvme))
                .collect::<Vec<_>>(),
            [(0, 2), (16 * 1024 * 1024, 3)]
        );
        record.retain_ranges(|r| r.start != 0);
        assert_eq!(record.ranges().0, 1);

        let client = DownloadRecord {
            state: DownloadState::ClientSide,
            ..sample_download()
        };
        let json = serde_json::to_string(&Transfer::Download(client.clone())).unwrap();
        assert_eq!(
            serde_json::from_str::<Transfer>(&json).unwrap(),
            Transfer::Download(client.clone())
        );
        assert_eq!((client.partial(), client.bytes_done()), (None, 0));
    }
}
