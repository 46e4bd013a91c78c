//! What a Batch Operations job costs at list prices, next to the same work done by a local
//! job: the price table (its region, its date, and for each figure whether it was read on
//! AWS's own pages or only on third-party ones), and the estimate for a plan.

use serde::Serialize;

use super::spec::{BatchOperation, BatchTarget, JobSpec, ManifestSpec};

/// One price.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Price {
    pub item: &'static str,
    pub usd: f64,
    pub per: &'static str,
    /// Read on an AWS page (`true`), or only on third-party pages (`false`).
    pub confirmed: bool,
    pub source: &'static str,
}

/// The price table s3seal uses.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PriceTable {
    pub region: &'static str,
    /// When the figures were gathered.
    pub date: &'static str,
    pub prices: Vec<Price>,
}

pub const BATCH_JOB: f64 = 0.25;
pub const BATCH_PER_MILLION: f64 = 1.00;
pub const MANIFEST_PER_MILLION: f64 = 0.015;
pub const INVENTORY_PER_MILLION: f64 = 0.0025;
pub const PUT_PER_THOUSAND: f64 = 0.005;
pub const GET_PER_THOUSAND: f64 = 0.0004;
pub const KMS_PER_TEN_THOUSAND: f64 = 0.03;

/// The table (US East, N. Virginia).
pub fn price_table() -> PriceTable {
    PriceTable {
        region: "us-east-1",
        date: "2026-12-01",
        prices: vec![
            Price {
                item: "S3 Batch Operations job",
                usd: BATCH_JOB,
                per: "job",
                confirmed: true,
                source: "aws.amazon.com/s3/pricing (read on a copy showing Middle East (UAE) prices, undated); third-party us-east-1 pages give the same",
            },
            Price {
                item: "S3 Batch Operations objects",
                usd: BATCH_PER_MILLION,
                per: "million objects processed",
                confirmed: true,
                source: "aws.amazon.com/s3/pricing (read on a copy showing Middle East (UAE) prices, undated); third-party us-east-1 pages give the same",
            },
            Price {
                item: "S3 Batch Operations manifest generation",
                usd: MANIFEST_PER_MILLION,
                per: "million objects in the source bucket",
                confirmed: true,
                source: "aws.amazon.com/s3/pricing (read on a copy showing Middle East (UAE) prices, undated)",
            },
            Price {
                item: "S3 Inventory",
                usd: INVENTORY_PER_MILLION,
                per: "million objects listed",
                confirmed: false,
                source: "third-party us-east-1 figures (AWS's page, UAE copy: $0.0028)",
            },
            Price {
                item: "S3 Standard PUT, COPY, POST, LIST (UpdateObjectEncryption is priced as PUT)",
                usd: PUT_PER_THOUSAND,
                per: "1,000 requests",
                confirmed: false,
                source: "third-party us-east-1 figures as of March 2026 (AWS's page, UAE copy: $0.0055); UpdateObjectEncryption as PUT: S3 User Guide",
            },
            Price {
                item: "S3 Standard GET, HEAD",
                usd: GET_PER_THOUSAND,
                per: "1,000 requests",
                confirmed: false,
                source: "third-party us-east-1 figures as of March 2026 (AWS's page, UAE copy: $0.00044)",
            },
            Price {
                item: "AWS KMS requests",
                usd: KMS_PER_TEN_THOUSAND,
                per: "10,000 requests (after 20,000 free a month)",
                confirmed: false,
                source: "third-party us-east-1 figures of June 2026; the free tier is on aws.amazon.com/kms/pricing",
            },
        ],
    }
}

/// One line of an estimate.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CostLine {
    pub item: String,
    pub usd: f64,
}

/// The cost of a plan, and of the same work as a local job.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CostEstimate {
    /// The objects the estimate is for: the manifest's count, or one million when the
    /// generator will count them (the lines are then per million objects).
    pub objects: u64,
    pub per_million: bool,
    pub batch: Vec<CostLine>,
    pub batch_total: f64,
    /// The same requests sent from this machine (HEAD to plan, then the change), no fee.
    pub local: Vec<CostLine>,
    pub local_total: f64,
    /// KMS requests are an upper estimate: S3 does not document how many it makes per object.
    pub note: String,
    pub prices: PriceTable,
}

/// Estimates `spec` for `objects` objects (`None`: per million).
pub fn estimate(spec: &JobSpec, objects: Option<u64>) -> CostEstimate {
    let n = objects.unwrap_or(1_000_000);
    let nf = n as f64;
    let kms_per_object = match &spec.target {
        BatchTarget::SseS3 => 1.0,
        BatchTarget::SseKms {
            bucket_key: true, ..
        } => 1.0,
        BatchTarget::SseKms { .. } => 2.0,
    };
    let change = match spec.operation {
        BatchOperation::UpdateObjectEncryption => "UpdateObjectEncryption requests (PUT price)",
        BatchOperation::PutObjectCopy => "COPY requests",
    };
    let change_line = CostLine {
        item: format!("{n} {change}"),
        usd: nf / 1000.0 * PUT_PER_THOUSAND,
    };
    let kms_line = CostLine {
        item: format!("up to {} KMS requests", (nf * kms_per_object) as u64),
        usd: nf * kms_per_object / 10_000.0 * KMS_PER_TEN_THOUSAND,
    };
    let mut batch = vec![
        CostLine {
            item: "Batch Operations job".to_owned(),
            usd: BATCH_JOB,
        },
        CostLine {
            item: format!("Batch Operations, {n} objects"),
            usd: nf / 1e6 * BATCH_PER_MILLION,
        },
        change_line.clone(),
        kms_line.clone(),
    ];
    if matches!(spec.manifest, ManifestSpec::Generator { .. }) {
        batch.push(CostLine {
            item: "manifest generation (per million objects in the source bucket)".to_owned(),
            usd: MANIFEST_PER_MILLION * (nf / 1e6).max(1.0),
        });
    }
    let lists = n.div_ceil(1000);
    let local = vec![
        CostLine {
            item: format!("{lists} LIST requests"),
            usd: lists as f64 / 1000.0 * PUT_PER_THOUSAND,
        },
        CostLine {
            item: format!("{n} HEAD requests (the plan's audit)"),
            usd: nf / 1000.0 * GET_PER_THOUSAND,
        },
        change_line,
        kms_line,
    ];
    CostEstimate {
        objects: n,
        per_million: objects.is_none(),
        batch_total: batch.iter().map(|l| l.usd).sum(),
        batch,
        local_total: local.iter().map(|l| l.usd).sum(),
        local,
        note: "KMS requests are an upper estimate (S3 does not document how many it makes per object; a Bucket Key makes them far fewer). An S3 Inventory instead of the HEAD audit costs $0.0025 per million objects listed.".to_owned(),
        prices: price_table(),
    }
}

/// Objects from which the window offers "Run on S3 Batch Operations…" instead of a local job:
/// at ~1,000 HEADs per second a local job of a million objects spends a quarter of an hour
/// just planning, and hours changing them.
pub const BATCH_THRESHOLD_OBJECTS: u64 = 1_000_000;

/// Whether a plan of `objects` objects is better handed to S3 Batch Operations.
pub fn suggests_batch(objects: u64) -> bool {
    objects >= BATCH_THRESHOLD_OBJECTS
}
