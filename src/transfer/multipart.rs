//! Multipart bookkeeping shared by uploads and copies: part sizing within S3's limits, every
//! part checksummed (CRC64NVME, combined by S3 into a full-object checksum that downloads
//! verify), and a guard that aborts an unfinished multipart upload even when its task is
//! dropped.

use aws_sdk_s3::error::ProvideErrorMetadata as _;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{ChecksumAlgorithm, ChecksumType, CompletedMultipartUpload, CompletedPart};

use super::journal::PartDone;
use crate::error::{Error, Result};
use crate::s3::connection::body_timeouts;
use crate::s3::encryption::{SseCKey, apply_sse_c};
use crate::s3::errors::from_sdk;
use crate::s3::{Connection, S3Uri};

/// S3 allows at most this many parts.
pub const MAX_PARTS: u64 = 10_000;
/// S3's minimum size for every part but the last.
pub const MIN_PART: u64 = 5 * 1024 * 1024;
/// S3's maximum part size.
pub const MAX_PART: u64 = 5 * 1024 * 1024 * 1024;

/// How an object of `size` bytes is cut into parts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PartPlan {
    pub size: u64,
    pub part_size: u64,
}

impl PartPlan {
    /// Parts of at least `min_part_size` (rounded up to whole MiB as needed to stay within
    /// 10,000 parts). Every part size is a multiple of 16 bytes, as client-side GCM needs.
    pub fn new(size: u64, min_part_size: u64) -> Result<Self> {
        const MIB: u64 = 1024 * 1024;
        let floor = min_part_size.max(MIN_PART);
        let needed = size.div_ceil(MAX_PARTS).div_ceil(MIB) * MIB;
        let part_size = floor.max(needed).next_multiple_of(16);
        if part_size > MAX_PART {
            return Err(Error::TooLarge {
                what: "the file".to_owned(),
                size,
                limit: "S3 can take in one object (10,000 parts of 5 GiB)",
            });
        }
        Ok(Self { size, part_size })
    }

    /// `(part number, offset, length)` of each part, numbered from 1.
    pub fn parts(&self) -> impl Iterator<Item = (i32, u64, u64)> + use<> {
        let Self { size, part_size } = *self;
        let count = size.div_ceil(part_size).max(1);
        (0..count).map(move |i| {
            let offset = i * part_size;
            let length = part_size.min(size - offset);
            // At most 10,000 parts, so the number always fits in an i32.
            (i32::try_from(i + 1).unwrap_or(i32::MAX), offset, length)
        })
    }
}

/// Aborts its multipart upload unless disarmed. `abort()` does it now and waits; dropping an
/// armed guard (a cancelled or dropped task) spawns the abort on the current runtime, unless
/// the upload is recorded for a resume ([`MultipartGuard::keep_on_drop`]).
pub struct MultipartGuard {
    client: aws_sdk_s3::Client,
    dest: S3Uri,
    upload_id: String,
    armed: bool,
}

impl MultipartGuard {
    pub fn new(conn: &Connection, dest: &S3Uri, upload_id: &str) -> Self {
        Self {
            client: conn.s3().clone(),
            dest: dest.clone(),
            upload_id: upload_id.to_owned(),
            armed: true,
        }
    }

    /// The upload completed, or is kept for a resume: nothing to abort.
    pub fn disarm(mut self) {
        self.armed = false;
    }

    /// The journal records the upload: if the task is dropped mid-way, keep what was sent so
    /// the upload can continue later (an explicit [`MultipartGuard::abort`] still aborts).
    pub fn keep_on_drop(&mut self) {
        self.armed = false;
    }

    /// Aborts the upload now. A failure to abort is logged, not returned: the caller is
    /// already reporting the error that made it abort.
    pub async fn abort(mut self) {
        self.armed = false;
        abort_upload(
            self.client.clone(),
            self.dest.clone(),
            self.upload_id.clone(),
        )
        .await;
    }
}

impl Drop for MultipartGuard {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let (client, dest, upload_id) = (
            self.client.clone(),
            self.dest.clone(),
            std::mem::take(&mut self.upload_id),
        );
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => {
                handle.spawn(abort_upload(client, dest, upload_id));
            }
            Err(_) => tracing::warn!(
                %dest, %upload_id,
                "multipart upload left open (no runtime to abort it); S3 lifecycle rules or `aws s3api abort-multipart-upload` can remove it"
            ),
        }
    }
}

/// The checksum every upload carries: S3 checks each part against it and combines the parts'
/// into one checksum of the whole object (a "full object" checksum), which a download of any
/// size can recompute. CRC64NVME is the one S3 combines that way and its own default.
pub const UPLOAD_CHECKSUM: ChecksumAlgorithm = ChecksumAlgorithm::Crc64Nvme;
/// How multipart uploads ask S3 to keep [`UPLOAD_CHECKSUM`].
pub const UPLOAD_CHECKSUM_TYPE: ChecksumType = ChecksumType::FullObject;

impl PartDone {
    /// The part as CompleteMultipartUpload lists it.
    pub fn completed(&self) -> CompletedPart {
        CompletedPart::builder()
            .part_number(self.number)
            .e_tag(&self.etag)
            .set_checksum_crc64_nvme(self.crc64nvme.clone())
            .build()
    }
}

/// Whether a part's bytes are also covered by the SigV4 signature (a SHA-256 of the body).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PayloadSigning {
    /// The SDK's choice (in-memory bodies are hashed and signed).
    Default,
    /// Only the CRC64NVME: for ciphertext whose GCM tag authenticates it end to end anyway,
    /// where a SHA-256 of every byte would only cost time.
    ChecksumOnly,
}

/// Uploads one part; SSE-C uploads repeat the key on every part, as S3 requires. Returns the
/// part as S3 confirmed it.
pub async fn upload_part(
    conn: &Connection,
    dest: &S3Uri,
    upload_id: &str,
    number: i32,
    body: ByteStream,
    sse_c: Option<&SseCKey>,
    signing: PayloadSigning,
) -> Result<PartDone> {
    let size = body.size_hint().1.unwrap_or(body.size_hint().0);
    let part = conn
        .s3()
        .upload_part()
        .bucket(&dest.bucket)
        .key(&dest.key)
        .upload_id(upload_id)
        .part_number(number)
        .checksum_algorithm(UPLOAD_CHECKSUM)
        .body(body);
    let part = match sse_c {
        Some(key) => apply_sse_c!(part, key),
        None => part,
    };
    let part = part.customize().config_override(body_timeouts(size));
    let sent = match signing {
        PayloadSigning::Default => part.send().await,
        PayloadSigning::ChecksumOnly => part.disable_payload_signing().send().await,
    };
    let out = sent.map_err(|e| from_sdk("UploadPart", e))?;
    Ok(PartDone {
        number,
        size,
        etag: out.e_tag().unwrap_or_default().to_owned(),
        crc64nvme: out.checksum_crc64_nvme().map(str::to_owned),
    })
}

/// Completes the upload with `parts` (any order); returns the object's ETag.
///
/// When an attempt completed the upload but its answer was lost (a reset connection), the SDK's
/// retry finds no upload any more (`NoSuchUpload`). Then the object is checked: if its ETag is
/// the one S3 derives from exactly these parts (MD5 of the parts' ETags, `-N`), this upload is
/// what is stored, and it counts as completed.
pub async fn complete(
    conn: &Connection,
    dest: &S3Uri,
    upload_id: &str,
    mut parts: Vec<CompletedPart>,
    sse_c: Option<&SseCKey>,
) -> Result<Option<String>> {
    parts.sort_by_key(|p| p.part_number());
    let expected = multipart_etag(&parts);
    let complete = conn
        .s3()
        .complete_multipart_upload()
        .bucket(&dest.bucket)
        .key(&dest.key)
        .upload_id(upload_id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(parts))
                .build(),
        );
    let complete = match sse_c {
        Some(key) => apply_sse_c!(complete, key),
        None => complete,
    };
    match complete.send().await {
        Ok(out) => Ok(out.e_tag().map(str::to_owned)),
        Err(err) if err.code() == Some("NoSuchUpload") => {
            let head = conn.s3().head_object().bucket(&dest.bucket).key(&dest.key);
            let head = match sse_c {
                Some(key) => apply_sse_c!(head, key),
                None => head,
            };
            match (head.send().await, expected) {
                (Ok(out), Some(expected)) if out.e_tag() == Some(expected.as_str()) => {
                    tracing::debug!(%dest, "an earlier attempt completed the upload");
                    Ok(Some(expected))
                }
                _ => Err(from_sdk("CompleteMultipartUpload", err)),
            }
        }
        Err(err) => Err(from_sdk("CompleteMultipartUpload", err)),
    }
}

/// The ETag S3 gives an object completed from `parts` (in order): the MD5 of the parts' binary
/// ETags, then `-` and the number of parts. `None` if an ETag is not hex.
pub fn multipart_etag(parts: &[CompletedPart]) -> Option<String> {
    use md5::Digest as _;
    let mut md5 = md5::Md5::new();
    for part in parts {
        let etag = part.e_tag()?.trim_matches('"');
        md5.update(hex::decode(etag).ok()?);
    }
    Some(format!(
        "\"{}-{}\"",
        hex::encode(md5.finalize()),
        parts.len()
    ))
}

async fn abort_upload(client: aws_sdk_s3::Client, dest: S3Uri, upload_id: String) {
    let result = client
        .abort_multipart_upload()
        .bucket(&dest.bucket)
        .key(&dest.key)
        .upload_id(&upload_id)
        .send()
        .await;
    match result {
        Ok(_) => tracing::debug!(%dest, %upload_id, "aborted multipart upload"),
        Err(err) => tracing::warn!(
            %dest, %upload_id, error = %aws_sdk_s3::error::DisplayErrorContext(&err),
            "could not abort multipart upload"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_cover_the_file_exactly() {
        for size in [
            0u64,
            1,
            MIN_PART,
            8 * 1024 * 1024 + 1,
            100 * 1024 * 1024 + 7,
        ] {
            let plan = PartPlan::new(size, 8 * 1024 * 1024).unwrap();
            let parts: Vec<_> = plan.parts().collect();
            let total: u64 = parts.iter().map(|p| p.2).sum();
            assert_eq!(total, size, "size {size}");
            let mut expected_offset = 0;
            for (i, (n, off, len)) in parts.iter().enumerate() {
                assert_eq!(*n as usize, i + 1);
                assert_eq!(*off, expected_offset);
                if i + 1 < parts.len() {
                    assert_eq!(*len, plan.part_size);
                    assert_eq!(len % 16, 0);
                }
                expected_offset += len;
            }
        }
    }

    #[test]
    fn multipart_etag_follows_s3() {
        // Measured on LocalStack: two parts whose ETags are these MD5s complete as this ETag.
        let part = |n, etag: &str| CompletedPart::builder().part_number(n).e_tag(etag).build();
        let parts = [
            part(1, "\"3a721719b390870a1e438dda4aa03454\""),
            part(2, "\"3a721719b390870a1e438dda4aa03454\""),
        ];
        assert_eq!(
            multipart_etag(&parts).as_deref(),
            Some("\"92ab1dd869a30c8e265d8fbf4180d4c0-2\"")
        );
        assert_eq!(multipart_etag(&[part(1, "not-hex")]), None);
    }

    #[test]
    fn huge_files_stay_within_ten_thousand_parts() {
        let size = 4 * 1024 * 1024 * 1024 * 1024u64; // 4 TiB
        let plan = PartPlan::new(size, 8 * 1024 * 1024).unwrap();
        assert!(plan.parts().count() as u64 <= MAX_PARTS);
        assert!(plan.part_size >= MIN_PART);
        assert!(PartPlan::new(60 * 1024 * 1024 * 1024 * 1024, MIN_PART).is_err());
    }
}
