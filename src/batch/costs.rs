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

impl std::fmt::Display for Price {
    /// `item $usd per unit (where it was read) — source`, the same line for every front end.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} ${} per {} ({}) — {}",
            self.item,
            self.usd,
            self.per,
            if self.confirmed {
                "read on AWS's page"
            } else {
                "third-party figure"
            },
            self.source
        )
    }
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
// The request prices are the local jobs' table, so the two plans never disagree.
pub const PUT_PER_THOUSAND: f64 = crate::jobs::cost::AWS_US_EAST_1.put_per_1000;
pub const GET_PER_THOUSAND: f64 = crate::jobs::cost::AWS_US_EAST_1.get_per_1000;
pub const KMS_PER_TEN_THOUSAND: f64 = crate::jobs::cost::AWS_US_EAST_1.kms_per_10000;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::spec::{GeneratorFilter, ManifestSpec};
    use crate::s3::S3Uri;

    fn spec(manifest: ManifestSpec, bucket_key: bool) -> JobSpec {
        JobSpec {
            account_id: "111122223333".into(),
            bucket: "b".into(),
            target: BatchTarget::SseKms {
                key_arn: "arn:aws:kms:us-east-1:111122223333:key/k".into(),
                bucket_key,
            },
            operation: BatchOperation::UpdateObjectEncryption,
            manifest,
            report: S3Uri::new("r", ""),
            role_arn: "arn:aws:iam::111122223333:role/r".into(),
            description: "d".into(),
        }
    }

    #[test]
    fn a_million_objects_at_list_prices() {
        let generator = ManifestSpec::Generator {
            filter: GeneratorFilter::default(),
            output: S3Uri::new("r", "m"),
        };
        let e = estimate(&spec(generator, false), None);
        assert!(e.per_million);
        // $0.25 + $1.00 + 1M PUT-priced requests $5.00 + 2M KMS requests $6.00 + manifest $0.015.
        assert!((e.batch_total - 12.265).abs() < 1e-9, "{}", e.batch_total);
        // 1,000 LISTs $0.005 + 1M HEADs $0.40 + $5.00 + $6.00, and no Batch fee.
        assert!((e.local_total - 11.405).abs() < 1e-9, "{}", e.local_total);
        let csv = ManifestSpec::Csv {
            location: S3Uri::new("r", "m.csv"),
            etag: "e".into(),
            with_versions: false,
        };
        let small = estimate(&spec(csv, true), Some(2_000));
        assert!(!small.per_million);
        assert_eq!(small.objects, 2_000);
        assert!(
            small
                .batch
                .iter()
                .all(|l| !l.item.contains("manifest generation"))
        );
        assert!(
            small
                .batch
                .iter()
                .any(|l| l.item == "up to 2000 KMS requests")
        );
        assert!(
            e.prices.prices.iter().any(|p| !p.confirmed),
            "third-party figures are marked"
        );
        assert!(!suggests_batch(999_999) && suggests_batch(1_000_000));
    }
}
