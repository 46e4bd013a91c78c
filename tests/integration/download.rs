//! The download engine against LocalStack over HTTPS: many ranged GETs reassembled in order
//! (byte-identical, uneven last range), every range pinned to the ETag HEAD saw (an object
//! replaced in between is refused, not mixed), and a checksum that does not match leaves
//! nothing at the destination.

use std::path::Path;

use s3seal::Error;
use s3seal::progress::{CancellationToken, Progress};
use s3seal::s3::inspect;
use s3seal::s3::{Connection, KeyAccess, ReadKeys, S3Uri};
use s3seal::transfer::{DownloadRequest, DownloadTuning, ObjectVersion, download_file};

use crate::support::{Sandbox, random_file, temp_leftovers};

/// No local keys: these objects need none.
fn no_keys() -> KeyAccess {
    KeyAccess::platform(Some(std::env::temp_dir().join("s3seal-no-keys")))
}

/// Ranges of 1 MiB from the first byte on, four in flight: a 3.5 MiB object is four ranges.
const SMALL_RANGES: DownloadTuning = DownloadTuning {
    ranged_threshold: 0,
    part_size: 1024 * 1024,
    concurrency: 4,
};

async fn put(sb: &Sandbox, bucket: &str, key: &str, len: usize, seed: u64) -> (S3Uri, Vec<u8>) {
    let path = sb.path(&format!("up-{seed}.bin"));
    let data = random_file(&path, len, seed);
    let uri = format!("s3://{bucket}/{key}");
    sb.ok(&["put", path.to_str().unwrap(), &uri]);
    (uri.parse().unwrap(), data)
}

/// Downloads `version` of `uri` both ways (many small ranges, one GET), each expected to fail.
async fn failures(
    conn: &Connection,
    uri: &S3Uri,
    dest: &Path,
    version: &ObjectVersion,
) -> Vec<Error> {
    let mut errors = Vec::new();
    for tuning in [SMALL_RANGES, DownloadTuning::default()] {
        let request = DownloadRequest {
            uri,
            dest,
            version,
            sse_c: None,
            journal: None,
        };
        let result = download_file(
            conn,
            &request,
            tuning,
            &Progress::new(),
            &CancellationToken::new(),
        )
        .await;
        errors.push(
            result
                .err()
                .unwrap_or_else(|| panic!("{tuning:?}: the download succeeded")),
        );
    }
    errors
}

#[tokio::test(flavor = "multi_thread")]
async fn ranges_reassemble_in_order_and_match_the_checksum() {
    let sb = Sandbox::new();
    let bucket = sb.bucket("ranges");
    let len = 3 * 1024 * 1024 + 512 * 1024 + 7;
    let (uri, data) = put(&sb, &bucket, "ranged.bin", len, 11).await;
    let conn = sb.connection().await;
    let head = inspect::resolve(&conn, &no_keys(), &uri, &ReadKeys::AtHome)
        .await
        .unwrap()
        .head;
    let version = ObjectVersion::from_head(&head);
    assert_eq!(version.size, len as u64);
    assert!(version.etag.is_some());

    let dest = sb.path("ranged.out");
    let progress = Progress::new();
    let request = DownloadRequest {
        uri: &uri,
        dest: &dest,
        version: &version,
        sse_c: None,
        journal: None,
    };
    let outcome = download_file(
        &conn,
        &request,
        SMALL_RANGES,
        &progress,
        &CancellationToken::new(),
    )
    .await
    .unwrap();
    assert_eq!(std::fs::read(&dest).unwrap(), data);
    assert_eq!(outcome.size, len as u64);
    assert_eq!(progress.snapshot(), (len as u64, len as u64));
    // A single PUT leaves a full-object checksum (LocalStack reports CRC64NVME, as S3 does for
    // new objects): the bytes received were checked against it.
    assert!(
        version.checksum.is_some(),
        "HEAD reported no full-object checksum"
    );
    assert!(outcome.checksum_verified);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_object_replaced_after_head_is_refused() {
    let sb = Sandbox::new();
    let bucket = sb.bucket("changed");
    let (uri, _) = put(&sb, &bucket, "moving.bin", 2 * 1024 * 1024, 21).await;
    let conn = sb.connection().await;
    let old = ObjectVersion::from_head(
        &inspect::resolve(&conn, &no_keys(), &uri, &ReadKeys::AtHome)
            .await
            .unwrap()
            .head,
    );
    // Someone else writes a new version between our HEAD and our GETs.
    put(&sb, &bucket, "moving.bin", 2 * 1024 * 1024, 22).await;

    let dest = sb.path("moving.out");
    std::fs::write(&dest, b"the old local copy").unwrap();
    for err in failures(&conn, &uri, &dest, &old).await {
        assert!(matches!(err, Error::ObjectChanged { .. }), "{err}");
        assert!(err.to_string().contains("changed on the server"), "{err}");
        assert_eq!(err.remedy(), Some(s3seal::remedy::Remedy::TryAgain));
        assert_eq!(std::fs::read(&dest).unwrap(), b"the old local copy");
        assert!(temp_leftovers(sb.dir.path()).is_empty());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_checksum_mismatch_keeps_nothing() {
    let sb = Sandbox::new();
    let bucket = sb.bucket("checksum");
    let (uri, _) = put(&sb, &bucket, "sum.bin", 1024 * 1024 + 3, 31).await;
    let conn = sb.connection().await;
    let mut version = ObjectVersion::from_head(
        &inspect::resolve(&conn, &no_keys(), &uri, &ReadKeys::AtHome)
            .await
            .unwrap()
            .head,
    );
    // What a corrupted transfer looks like from here: bytes that do not give S3's checksum.
    version.checksum = Some(("CRC32", "AAAAAA==".to_owned()));

    let dest = sb.path("sum.out");
    for err in failures(&conn, &uri, &dest, &version).await {
        let message = err.to_string();
        assert!(matches!(err, Error::Verification { .. }), "{message}");
        assert!(message.contains("CRC32 checksum mismatch"), "{message}");
        assert!(message.contains("nothing was written"), "{message}");
        assert!(!dest.exists());
        assert!(temp_leftovers(sb.dir.path()).is_empty());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn multipart_uploads_keep_a_full_object_checksum_that_downloads_verify() {
    let sb = Sandbox::new();
    let bucket = sb.bucket("fullsum");
    // 17 MiB: three parts, each sent with its CRC64NVME; S3 combines them.
    let len = 17 * 1024 * 1024 + 5;
    let (uri, data) = put(&sb, &bucket, "big.bin", len, 41).await;
    let conn = sb.connection().await;
    let head = inspect::resolve(&conn, &no_keys(), &uri, &ReadKeys::AtHome)
        .await
        .unwrap()
        .head;
    assert!(
        head.e_tag().is_some_and(|e| e.contains('-')),
        "not a multipart upload: {head:?}"
    );
    let version = ObjectVersion::from_head(&head);
    assert_eq!(
        version.checksum.as_ref().map(|c| c.0),
        Some("CRC64NVME"),
        "{head:?}"
    );

    let dest = sb.path("big.out");
    let out = sb.ok(&["get", &uri.to_string(), dest.to_str().unwrap()]);
    assert!(out.contains("checksum verified"), "{out}");
    assert!(std::fs::read(&dest).unwrap() == data);
}
