//! The fixed scene the README's pictures show (ui_pictures.rs): an AWS endpoint, a finance
//! bucket with a few dozen objects in every encryption mode, local keys, KMS aliases, an audit,
//! the bucket's protection. Every value is made here: no server, no clock, no randomness.

use std::collections::BTreeMap;
use std::sync::Arc;

use s3seal::crypto::{FormatVersion, WrapAlgorithm};
use s3seal::keys::{KeyKind, KeyRecord};
use s3seal::s3::bucket::audit::{AuditReport, AuditRow};
use s3seal::s3::bucket::default_encryption::{DefaultEncryption, EncryptionRule};
use s3seal::s3::bucket::lifecycle::AbortRule;
use s3seal::s3::bucket::preview::UploadRules;
use s3seal::s3::bucket::tls_policy::{TlsVersion, insecure_transport_statement, old_tls_statement};
use s3seal::s3::bucket::{StoredPolicy, Versioning, assess};
use s3seal::s3::client_envelope::EnvelopeLocation;
use s3seal::s3::inspect::{ClientSideInfo, KeyStatus};
use s3seal::s3::inventory::InventoryStatus;
use s3seal::s3::kms::KmsKeyChoice;
use s3seal::s3::listing::{BucketEntry, ListPage, ObjectEntry};
use s3seal::s3::{ConnectOptions, Connection, EncryptionMode, ObjectInfo};
use s3seal::transfer::orphans::{IncompleteUploads, summarise};
use s3seal::ui::preview::Preview;

pub const BUCKET: &str = "acme-finance-records";
const REGION: &str = "eu-west-1";
pub const ENDPOINT: &str = "https://s3.eu-west-1.amazonaws.com";
const ACCOUNT: &str = "111122223333";

/// The KMS keys: id, alias.
pub const RECORDS_KEY: (&str, &str) = ("6f1e2c4a-8b3d-4e59-a7c2-1d0f9b8e3a51", "alias/records");
const RESTRICTED_KEY: (&str, &str) = ("0c9d8e7f-2a1b-4c3d-9e8f-7a6b5c4d3e2f", "alias/restricted");
const PAYROLL_KMS_KEY: (&str, &str) =
    ("9a8b7c6d-5e4f-4a3b-8c2d-1e0f2a3b4c5d", "alias/payroll-wrap");

/// How one object is encrypted.
#[derive(Clone, Copy)]
pub enum Enc {
    S3,
    Kms((&'static str, &'static str)),
    Dsse((&'static str, &'static str)),
    SseC(&'static str),
    /// Client-side under a local key, in this format.
    Client(&'static str, FormatVersion),
    /// Client-side with the data key wrapped by KMS.
    ClientKms,
}

/// The bucket's root: key, size, day of 2025 (1 = January 1st), encryption.
pub const OBJECTS: &[(&str, u64, u32, Enc)] = &[
    (
        "annual-report-2024.pdf",
        2_483_114,
        45,
        Enc::Kms(RECORDS_KEY),
    ),
    (
        "audit-committee-minutes-2025-02.docx",
        88_412,
        52,
        Enc::Kms(RECORDS_KEY),
    ),
    (
        "bank-reconciliation-2025-01.xlsx",
        412_907,
        33,
        Enc::Kms(RECORDS_KEY),
    ),
    (
        "board-pack-q4-2024.pdf",
        6_912_004,
        21,
        Enc::SseC("board-archive"),
    ),
    (
        "budget-2025-final.xlsx",
        1_204_551,
        14,
        Enc::Dsse(RESTRICTED_KEY),
    ),
    (
        "cash-flow-forecast-2025.xlsx",
        733_290,
        61,
        Enc::Dsse(RESTRICTED_KEY),
    ),
    ("chart-of-accounts.csv", 21_776, 8, Enc::S3),
    (
        "credit-card-statements-2025-01.zip",
        3_150_889,
        38,
        Enc::SseC("ledger-2025"),
    ),
    (
        "customer-ledger-2025-q1.csv",
        18_440_120,
        89,
        Enc::SseC("ledger-2025"),
    ),
    ("expense-claims-2025-02.csv", 96_318, 60, Enc::S3),
    (
        "fixed-asset-register.xlsx",
        301_442,
        27,
        Enc::Kms(RECORDS_KEY),
    ),
    (
        "general-ledger-2024.parquet",
        148_902_337,
        31,
        Enc::Kms(RECORDS_KEY),
    ),
    (
        "general-ledger-2025-q1.parquet",
        41_870_226,
        90,
        Enc::Kms(RECORDS_KEY),
    ),
    (
        "intercompany-loans.pdf",
        512_093,
        47,
        Enc::Dsse(RESTRICTED_KEY),
    ),
    ("invoice-register-2025-02.csv", 1_877_302, 59, Enc::S3),
    (
        "payroll-2025-01.csv",
        640_118,
        31,
        Enc::Client("payroll-client", FormatVersion::V3),
    ),
    (
        "payroll-2025-02.csv",
        642_507,
        59,
        Enc::Client("payroll-client", FormatVersion::V3),
    ),
    (
        "payroll-2025-03.csv",
        655_931,
        90,
        Enc::Client("payroll-client", FormatVersion::V3),
    ),
    (
        "pension-contributions-2024.csv",
        233_871,
        12,
        Enc::Client("payroll-client", FormatVersion::V2),
    ),
    ("purchase-orders-2025-q1.csv", 2_204_661, 88, Enc::S3),
    (
        "revenue-recognition-memo.pdf",
        187_330,
        40,
        Enc::Kms(RECORDS_KEY),
    ),
    ("salary-bands-2025.xlsx", 58_904, 17, Enc::ClientKms),
    ("share-register.pdf", 344_120, 10, Enc::Dsse(RESTRICTED_KEY)),
    (
        "tax-return-2023.pdf",
        4_902_117,
        6,
        Enc::SseC("board-archive"),
    ),
    (
        "tax-return-2024.pdf",
        5_117_820,
        74,
        Enc::SseC("board-archive"),
    ),
    ("travel-policy.pdf", 402_281, 3, Enc::S3),
    (
        "treasury-report-2025-02.pdf",
        960_455,
        62,
        Enc::Kms(RECORDS_KEY),
    ),
    ("vat-return-2025-q1.pdf", 288_004, 91, Enc::Kms(RECORDS_KEY)),
    ("vendor-master.csv", 1_090_377, 50, Enc::S3),
    ("year-end-close-checklist.md", 12_930, 5, Enc::S3),
];

const FOLDERS: &[&str] = &["2023/", "2024/", "invoices/", "payroll/", "statements/"];

/// The object the inspector shows.
pub const SELECTED: &str = "general-ledger-2025-q1.parquet";

/// Deterministic hex digits (splitmix64 of `seed`): ETags and fingerprints that look real.
fn hex(seed: u64, len: usize) -> String {
    let mut state = seed;
    let mut out = String::new();
    while out.len() < len {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        out.push_str(&format!("{:016x}", z ^ (z >> 31)));
    }
    out.truncate(len);
    out
}

/// Base64-looking text of `len` characters from `seed` (key MD5s, checksums).
fn b64(seed: u64, len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    hex(seed, len * 2)
        .as_bytes()
        .chunks(2)
        .map(|pair| {
            let n = u8::from_str_radix(std::str::from_utf8(pair).unwrap(), 16).unwrap();
            ALPHABET[usize::from(n % 64)] as char
        })
        .collect()
}

/// A day of 2025 at a fixed time of day, as S3 writes it.
fn date(day: u32, seed: u64) -> String {
    let months = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let (mut month, mut left) = (0, day.max(1));
    while left > months[month] {
        left -= months[month];
        month += 1;
    }
    let minutes = u64::from_str_radix(&hex(seed, 8), 16).unwrap() % (10 * 60);
    format!(
        "2025-{:02}-{left:02}T{:02}:{:02}:{:02}Z",
        month + 1,
        8 + minutes / 60,
        minutes % 60,
        (seed * 37) % 60
    )
}

fn arn((id, _): (&str, &str)) -> String {
    format!("arn:aws:kms:{REGION}:{ACCOUNT}:key/{id}")
}

fn content_type(key: &str) -> &'static str {
    match key.rsplit('.').next() {
        Some("pdf") => "application/pdf",
        Some("csv") => "text/csv",
        Some("xlsx") => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        Some("docx") => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        Some("zip") => "application/zip",
        Some("md") => "text/markdown",
        Some("parquet") => "application/vnd.apache.parquet",
        _ => "application/octet-stream",
    }
}

fn local_key(name: &str, kind: KeyKind, day: u32, seed: u64) -> KeyRecord {
    KeyRecord {
        name: name.to_owned(),
        id: hex(seed, 32),
        kind,
        created: time::OffsetDateTime::from_unix_timestamp(
            1_735_689_600 + i64::from(day) * 86_400 + 9 * 3600 + 14 * 60,
        )
        .unwrap(),
        md5: format!("{}==", b64(seed + 1, 22)),
        sha256: hex(seed + 2, 64),
        homes: Vec::new(),
    }
}

/// What S3 (and s3seal's look inside) says about one object of the scene.
fn object_info(i: usize, key: &str, size: u64, day: u32, enc: Enc) -> ObjectInfo {
    let seed = 1000 + i as u64;
    let mut info = ObjectInfo {
        bucket: BUCKET.to_owned(),
        key: key.to_owned(),
        mode: EncryptionMode::SseS3,
        server_side_mode: EncryptionMode::SseS3,
        kms_key_id: None,
        bucket_key_enabled: None,
        sse_c_algorithm: None,
        sse_c_key_md5: None,
        matching_key: None,
        key_status: None,
        size: Some(size),
        etag: Some(format!("\"{}\"", hex(seed, 32))),
        last_modified: Some(date(day, seed)),
        content_type: Some(content_type(key).to_owned()),
        checksum: Some(format!("CRC64NVME:{}=", b64(seed + 7, 11))),
        version_id: Some(b64(seed + 9, 32).replace(['+', '/'], "_")),
        metadata: BTreeMap::new(),
        client: None,
    };
    match enc {
        Enc::S3 => {}
        Enc::Kms(k) | Enc::Dsse(k) => {
            let mode = if matches!(enc, Enc::Kms(_)) {
                EncryptionMode::SseKms
            } else {
                EncryptionMode::DsseKms
            };
            info.mode = mode;
            info.server_side_mode = mode;
            info.kms_key_id = Some(arn(k));
            info.bucket_key_enabled = Some(mode == EncryptionMode::SseKms);
        }
        Enc::SseC(name) => {
            info.mode = EncryptionMode::SseC;
            info.server_side_mode = EncryptionMode::SseC;
            info.sse_c_algorithm = Some("AES256".to_owned());
            info.sse_c_key_md5 = Some(format!("{}==", b64(name.len() as u64, 22)));
            info.matching_key = Some(name.to_owned());
            info.key_status = Some(KeyStatus::Fits);
        }
        Enc::Client(name, format) => {
            info.mode = EncryptionMode::Client;
            info.matching_key = Some(name.to_owned());
            info.key_status = Some(KeyStatus::Fits);
            info.client = Some(ClientSideInfo {
                format,
                wrap: WrapAlgorithm::AesGcm,
                location: EnvelopeLocation::Metadata,
                committing: format.is_committing(),
                kms_context: None,
            });
        }
        Enc::ClientKms => {
            info.mode = EncryptionMode::Client;
            info.client = Some(ClientSideInfo {
                format: FormatVersion::V3,
                wrap: WrapAlgorithm::KmsContext,
                location: EnvelopeLocation::Metadata,
                committing: true,
                kms_context: Some(BTreeMap::from([(
                    "aws:x-amz-cek-alg".to_owned(),
                    "AES/GCM/NoPadding".to_owned(),
                )])),
            });
        }
    }
    info
}

/// The audit's row for an object, from what the inspector knows.
fn audit_row(info: &ObjectInfo) -> AuditRow {
    let mut row = AuditRow::new(info.key.clone(), info.size.unwrap_or_default());
    row.etag = info.etag.clone();
    row.last_modified = info.last_modified.clone();
    row.mode = Some(info.mode);
    row.kms_key_id = info.kms_key_id.clone();
    row.bucket_key_enabled = info.bucket_key_enabled;
    row.local_key = info.matching_key.clone();
    row.key_known = info.key_status.map(|s| s == KeyStatus::Fits);
    row.client_wrap = info.client.as_ref().map(|c| c.wrap);
    row.client_format = info.client.as_ref().map(|c| c.format);
    row
}

/// The whole scene. `connection` only names the endpoint in the connection bar.
pub fn scene() -> Preview {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let connection = runtime
        .block_on(Connection::connect(&ConnectOptions {
            region: Some(REGION.to_owned()),
            endpoint_url: Some(ENDPOINT.to_owned()),
            ..Default::default()
        }))
        .unwrap();
    let objects: Vec<ObjectInfo> = OBJECTS
        .iter()
        .enumerate()
        .map(|(i, &(key, size, day, enc))| object_info(i, key, size, day, enc))
        .collect();
    let listing = vec![ListPage {
        prefixes: FOLDERS.iter().map(|f| (*f).to_owned()).collect(),
        objects: objects
            .iter()
            .map(|o| ObjectEntry {
                key: o.key.clone(),
                size: o.size.unwrap_or_default(),
                last_modified: o.last_modified.clone(),
                etag: o.etag.clone(),
                storage_class: Some("STANDARD".to_owned()),
            })
            .collect(),
    }];
    let kms_keys = [RECORDS_KEY, RESTRICTED_KEY, PAYROLL_KMS_KEY]
        .into_iter()
        .map(|k| KmsKeyChoice {
            key_id: k.0.to_owned(),
            arn: Some(arn(k)),
            aliases: vec![k.1.to_owned()],
        })
        .collect();
    let buckets = [
        BUCKET,
        "acme-finance-archive",
        "acme-payroll-eu",
        "acme-legal-holds",
        "acme-web-assets",
    ]
    .into_iter()
    .map(|name| BucketEntry {
        name: name.to_owned(),
        created: Some("2023-04-18T10:02:11Z".to_owned()),
    })
    .collect();
    // SSE-KMS under the bucket's own key by default, SSE-C allowed; a policy that denies plain
    // HTTP and TLS older than 1.2.
    let rule = EncryptionRule {
        default: DefaultEncryption {
            mode: EncryptionMode::SseKms,
            kms_key_id: Some(arn(RECORDS_KEY)),
            bucket_key_enabled: true,
            configured: true,
        },
        blocked_types: Vec::new(),
        blocked_types_reported: true,
    };
    let statements = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [
            insecure_transport_statement("aws", BUCKET),
            old_tls_statement("aws", BUCKET, TlsVersion::V1_2),
        ],
    });
    let policy = StoredPolicy {
        text: serde_json::to_string_pretty(&statements).unwrap(),
        parsed: Ok(statements),
    };
    let audit = AuditReport::from_rows(BUCKET, "", objects.iter().map(audit_row).collect());
    Preview {
        connection: Arc::new(connection),
        endpoint_url: ENDPOINT.to_owned(),
        region: REGION.to_owned(),
        buckets,
        bucket: BUCKET.to_owned(),
        listing,
        objects,
        selected: Some(SELECTED.to_owned()),
        local_keys: vec![
            local_key("board-archive", KeyKind::SseC, 9, 71),
            local_key("ledger-2025", KeyKind::SseC, 2, 83),
            local_key("payroll-client", KeyKind::Client, 15, 97),
        ],
        kms_keys,
        audit: Some(audit),
        inventory: InventoryStatus {
            bucket: BUCKET.to_owned(),
            configurations: Vec::new(),
            reports: Vec::new(),
        },
        upload_rules: UploadRules {
            bucket: BUCKET.to_owned(),
            rule: rule.clone(),
            policy: Some(policy.clone()),
            plain_http: false,
        },
        security: assess(BUCKET, &rule, Some(&policy), Versioning::Enabled),
        incomplete: IncompleteUploads {
            uploads: Vec::new(),
            summary: summarise(
                BUCKET,
                &[],
                AbortRule::WholeBucket {
                    rule_id: "abort-incomplete-uploads".to_owned(),
                    days: 7,
                },
            ),
        },
    }
}

/// The scene with data that is hard to lay out, as real accounts have it: 50 customer-managed
/// KMS keys in one bucket (aliases of 55 characters, and keys of another account that no
/// alias names, shown by their ARN's id), a 1,024-character object key (the one inspected),
/// a 63-character bucket name in the bucket list, and an audit of 10,081 objects.
pub fn real_data_scene() -> Preview {
    let mut preview = scene();
    let mut infos = Vec::new();
    for i in 0..50u64 {
        let id = format!(
            "{}-{}-4{}-a{}-{}",
            hex(5000 + i, 8),
            hex(5100 + i, 4),
            hex(5200 + i, 3),
            hex(5300 + i, 3),
            hex(5400 + i, 12)
        );
        let account = if i % 5 == 4 { "444455556666" } else { ACCOUNT };
        let arn = format!("arn:aws:kms:{REGION}:{account}:key/{id}");
        if account == ACCOUNT {
            let alias = format!("alias/finance-{i:02}-ledger-eu-west-1-production-restricted");
            preview.kms_keys.push(KmsKeyChoice {
                key_id: id.clone(),
                arn: Some(arn.clone()),
                aliases: vec![alias],
            });
        }
        let key = format!("ledgers/entity-{i:02}/general-ledger-2025-q1-consolidated.parquet");
        let mut info = object_info(200 + i as usize, &key, 1_000 + i * 977, 60, Enc::S3);
        info.mode = EncryptionMode::SseKms;
        info.server_side_mode = EncryptionMode::SseKms;
        info.kms_key_id = Some(arn);
        info.bucket_key_enabled = Some(true);
        infos.push(info);
    }
    let mut long_key = String::from("exports/2025/q1/");
    while long_key.len() < 1_016 {
        long_key.push_str("consolidated-trial-balance-by-entity-and-cost-centre/");
    }
    long_key.truncate(1_016);
    long_key.push_str(".parquet");
    assert_eq!(long_key.len(), 1_024);
    infos.push(object_info(
        400,
        &long_key,
        73_400_320,
        80,
        Enc::Kms(RECORDS_KEY),
    ));
    preview.selected = Some(long_key);
    if let Some(page) = preview.listing.first_mut() {
        page.objects.extend(infos.iter().map(|o| ObjectEntry {
            key: o.key.clone(),
            size: o.size.unwrap_or_default(),
            last_modified: o.last_modified.clone(),
            etag: o.etag.clone(),
            storage_class: Some("STANDARD".to_owned()),
        }));
    }
    preview.objects.extend(infos);
    // The audit also counts 10,000 parts of the ledgers, spread over the 50 keys.
    let mut rows: Vec<AuditRow> = preview.objects.iter().map(audit_row).collect();
    let ledgers: Vec<AuditRow> = rows[rows.len() - 51..rows.len() - 1].to_vec();
    for i in 0..10_000usize {
        let mut row = ledgers[i % ledgers.len()].clone();
        row.key = format!("ledgers/parts/part-{i:05}.parquet");
        rows.push(row);
    }
    preview.audit = Some(AuditReport::from_rows(BUCKET, "", rows));
    preview.buckets.push(BucketEntry {
        name: "acme-finance-consolidated-ledgers-eu-west-1-production-archives".to_owned(),
        created: Some("2024-01-09T08:30:00Z".to_owned()),
    });
    preview
}
