//! What a job will send and what that costs: requests by kind, the KMS calls S3 makes on the
//! job's behalf (also what `--kms-rate` paces), the request cost at AWS list prices (the table
//! and its date named), and a time estimate from the round trips measured while planning.

use serde::Serialize;

use super::method::{Decision, Method};
use super::report::EncryptionState;
use super::target::{ClientTarget, Target};
use crate::s3::EncryptionMode;

/// Request prices the estimate uses, with where they come from.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct PriceTable {
    /// Which prices these are, for the plan to show.
    pub name: &'static str,
    /// When they were listed (year-month).
    pub as_of: &'static str,
    /// S3 Standard PUT, COPY, POST, LIST (and UpdateObjectEncryption), per 1,000 requests.
    pub put_per_1000: f64,
    /// S3 Standard GET, HEAD and other reads, per 1,000 requests.
    pub get_per_1000: f64,
    /// AWS KMS symmetric-key requests, per 10,000.
    pub kms_per_10000: f64,
}

/// AWS list prices in US East (N. Virginia). S3: as listed in March 2026; KMS: as listed in June
/// 2026. UpdateObjectEncryption is billed as a PUT of S3 Standard whatever the storage class;
/// DELETE is free; the KMS free tier (20,000 requests a month) is not subtracted.
pub const AWS_US_EAST_1: PriceTable = PriceTable {
    name: "AWS list prices, US East (N. Virginia): S3 Standard requests (March 2026) and AWS KMS requests (June 2026)",
    as_of: "2026-06",
    put_per_1000: 0.005,
    get_per_1000: 0.0004,
    kms_per_10000: 0.03,
};

/// Requests a job sends, by kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Requests {
    /// Already sent while planning: list pages and HEADs (and the one probe).
    pub planning_list: u64,
    pub planning_head: u64,
    pub update_object_encryption: u64,
    pub copy_object: u64,
    /// CreateMultipartUpload, UploadPartCopy and CompleteMultipartUpload.
    pub multipart: u64,
    /// HEAD, GetObjectTagging and instruction-file reads while running.
    pub reads: u64,
    /// DeleteObject of replaced versions (free).
    pub delete: u64,
}

impl Requests {
    /// PUT-class requests (billed at the PUT price; LIST is too).
    pub fn put_class(&self) -> u64 {
        self.planning_list + self.update_object_encryption + self.copy_object + self.multipart
    }

    /// GET-class requests.
    pub fn get_class(&self) -> u64 {
        self.planning_head + self.reads
    }
}

/// The money side of a plan.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Cost {
    pub s3_usd: f64,
    pub kms_usd: f64,
    pub total_usd: f64,
    pub price_table: PriceTable,
}

/// Prices `requests` and `kms_calls` with `table`.
pub fn cost(requests: &Requests, kms_calls: u64, table: PriceTable) -> Cost {
    let s3_usd = requests.put_class() as f64 * table.put_per_1000 / 1000.0
        + requests.get_class() as f64 * table.get_per_1000 / 1000.0;
    let kms_usd = kms_calls as f64 * table.kms_per_10000 / 10_000.0;
    Cost {
        s3_usd,
        kms_usd,
        total_usd: s3_usd + kms_usd,
        price_table: table,
    }
}

/// The requests one planned object will cost when the job runs.
pub fn requests_for(
    decision: Decision,
    size: u64,
    part_size: u64,
    delete_replaced: bool,
) -> Requests {
    let mut r = Requests::default();
    match decision.method() {
        Method::UpdateObjectEncryption => r.update_object_encryption = 1,
        Method::Copy => r.copy_object = 1,
        Method::MultipartCopy => {
            r.multipart = 2 + size.div_ceil(part_size.max(1));
            r.reads = 2; // HEAD for the metadata, GetObjectTagging
        }
        Method::Rewrap => {
            r.copy_object = 1;
            r.reads = 1;
        }
        Method::Skip => {}
    }
    if delete_replaced && matches!(decision.method(), Method::Copy | Method::MultipartCopy) {
        r.reads += 1; // HEAD of the new version before the old one goes
        r.delete = 1;
    }
    r
}

/// KMS requests one object costs (made by S3 for server-side encryption, by s3seal for a
/// client-side re-wrap): an estimate, since AWS does not document how many KMS calls S3 makes
/// per UpdateObjectEncryption; counted as one per data key wrapped and one per data key
/// unwrapped, none for writes under an S3 Bucket Key (S3 reuses the bucket-level key).
pub fn kms_calls(before: &EncryptionState, decision: Decision, target: &Target, parts: u64) -> u64 {
    let unwrap = match before.mode {
        EncryptionMode::SseKms | EncryptionMode::DsseKms if !before.bucket_key => 1,
        _ => 0,
    };
    let wrap = match target {
        Target::SseKms { bucket_key, .. } => u64::from(!bucket_key),
        Target::DsseKms { .. } => 1,
        _ => 0,
    };
    match decision.method() {
        Method::Skip => 0,
        Method::UpdateObjectEncryption | Method::Copy => unwrap + wrap,
        // The source is read part by part.
        Method::MultipartCopy => unwrap * parts.max(1) + wrap,
        Method::Rewrap => {
            let opens_with_kms = u64::from(before.kms_key_id.is_some());
            let wraps_with_kms = u64::from(matches!(
                target,
                Target::Client {
                    master: ClientTarget::Kms { .. }
                }
            ));
            opens_with_kms + wraps_with_kms
        }
    }
}

/// What the time estimate assumes.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Pace {
    /// Average round trip of the HEADs sent while planning.
    pub round_trip_ms: f64,
    /// Objects in flight at once.
    pub concurrency: usize,
    /// KMS requests per second allowed (`None`: no budget).
    pub kms_rate: Option<u32>,
}

/// Server-side copy speed the estimate assumes for one copy (S3 copies inside the region).
pub const ASSUMED_COPY_BYTES_PER_SEC: f64 = 100.0 * 1024.0 * 1024.0;

/// Seconds one object takes, by method (UpdateObjectEncryption "typically completes in
/// milliseconds regardless of the size of the object").
pub fn object_seconds(method: Method, size: u64, pace: &Pace, copy_parallelism: usize) -> f64 {
    let rtt = pace.round_trip_ms / 1000.0;
    let copy = size as f64 / ASSUMED_COPY_BYTES_PER_SEC;
    match method {
        Method::Skip => 0.0,
        Method::UpdateObjectEncryption => rtt,
        Method::Copy => rtt + copy,
        Method::MultipartCopy => 3.0 * rtt + copy / copy_parallelism.max(1) as f64,
        Method::Rewrap => 2.0 * rtt,
    }
}

/// The whole job's seconds: the work spread over `concurrency`, but never faster than the KMS
/// budget allows.
pub fn job_seconds(work_seconds: f64, kms_calls: u64, pace: &Pace) -> f64 {
    let spread = work_seconds / pace.concurrency.max(1) as f64;
    let budget = pace
        .kms_rate
        .filter(|r| *r > 0)
        .map_or(0.0, |rate| kms_calls as f64 / f64::from(rate));
    spread.max(budget)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GIB: u64 = 1024 * 1024 * 1024;

    #[test]
    fn a_million_copies_cost_what_the_table_says() {
        let requests = Requests {
            copy_object: 1_000_000,
            planning_head: 1_000_000,
            planning_list: 1_000,
            ..Requests::default()
        };
        let c = cost(&requests, 2_000_000, AWS_US_EAST_1);
        // 1,001,000 PUT-class at $0.005/1000 + 1,000,000 HEAD at $0.0004/1000 + 2M KMS at $0.03/10k.
        assert!((c.s3_usd - (5.005 + 0.4)).abs() < 1e-9, "{c:?}");
        assert!((c.kms_usd - 6.0).abs() < 1e-9, "{c:?}");
        assert!((c.total_usd - 11.405).abs() < 1e-9, "{c:?}");
    }

    #[test]
    fn kms_calls_follow_source_target_and_bucket_key() {
        let kms = |bucket_key| Target::SseKms {
            key: None,
            key_arn: Some("arn".into()),
            bucket_key,
        };
        let sse_s3 = EncryptionState::mode(EncryptionMode::SseS3);
        let sse_kms = EncryptionState::sse_kms(Some("old".into()), false);
        let copy = Decision::Process(Method::Copy);
        assert_eq!(kms_calls(&sse_s3, copy, &kms(false), 1), 1);
        assert_eq!(kms_calls(&sse_s3, copy, &kms(true), 1), 0);
        assert_eq!(kms_calls(&sse_kms, copy, &kms(false), 1), 2);
        let mp = Decision::Process(Method::MultipartCopy);
        assert_eq!(kms_calls(&sse_kms, mp, &kms(false), 12), 13);
        assert_eq!(kms_calls(&sse_kms, copy, &Target::SseS3, 1), 1);
        let skip = Decision::Skip(super::super::method::SkipReason::AlreadyCompliant);
        assert_eq!(kms_calls(&sse_kms, skip, &kms(false), 1), 0);
    }

    #[test]
    fn requests_per_method() {
        let mp = requests_for(
            Decision::Process(Method::MultipartCopy),
            6 * GIB,
            512 * 1024 * 1024,
            true,
        );
        assert_eq!(mp.multipart, 2 + 12);
        assert_eq!(mp.delete, 1);
        let uoe = requests_for(
            Decision::Process(Method::UpdateObjectEncryption),
            GIB,
            1,
            true,
        );
        assert_eq!(uoe.put_class(), 1);
        assert_eq!(uoe.delete, 0);
    }

    #[test]
    fn the_kms_budget_bounds_the_time() {
        let pace = Pace {
            round_trip_ms: 20.0,
            concurrency: 10,
            kms_rate: Some(100),
        };
        // 10,000 UpdateObjectEncryption calls: 200 s of round trips over 10 in flight = 20 s,
        // but 20,000 KMS calls at 100/s take 200 s.
        let work = 10_000.0 * object_seconds(Method::UpdateObjectEncryption, 1, &pace, 8);
        assert!((job_seconds(work, 20_000, &pace) - 200.0).abs() < 1e-6);
        let unpaced = Pace {
            kms_rate: None,
            ..pace
        };
        assert!((job_seconds(work, 20_000, &unpaced) - 20.0).abs() < 1e-6);
    }
}
