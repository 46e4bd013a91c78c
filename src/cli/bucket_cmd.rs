//! `s3seal bucket …`: show a bucket's protection, force TLS through the bucket policy, set the
//! default encryption, block or unblock SSE-C, have S3 abort incomplete uploads (a lifecycle
//! rule); and `put --dry-run` (the upload preview).

use super::args::DefaultModeArg;
use super::output::{human_size, print_json, print_table};
use super::{BucketCommand, EncryptionArgs, GlobalArgs};
use crate::error::{Error, Result};
use crate::s3::bucket::lifecycle;
use crate::s3::bucket::{
    self, BucketSecurity, DefaultEncryptionRequest, Level, PolicyChange, TlsVersion,
};
use crate::s3::{Connection, S3Uri};
use crate::transfer::journal::Journal;
use crate::transfer::orphans::{IncompleteSummary, incomplete_summary};

pub(super) async fn run(global: &GlobalArgs, command: BucketCommand) -> Result<()> {
    let conn = Connection::connect(&global.connect_options()).await?;
    match command {
        BucketCommand::Show { uri, json } => {
            let bucket = bucket_of(&uri)?;
            let report = bucket::bucket_security(&conn, &bucket).await?;
            let journal = Journal::default_location().ok();
            let incomplete = incomplete_summary(&conn, journal.as_ref(), &bucket)
                .await
                .map_err(|err| err.to_string());
            if json {
                print_json(&ShowJson {
                    security: &report,
                    incomplete_uploads: incomplete.as_ref().ok(),
                })
            } else {
                print_security(&report, &incomplete);
                Ok(())
            }
        }
        BucketCommand::EnforceTls {
            uri,
            min_tls,
            dry_run,
        } => {
            let bucket = bucket_of(&uri)?;
            let min = min_tls
                .as_deref()
                .map(str::parse::<TlsVersion>)
                .transpose()?;
            let change = bucket::plan_enforce_tls(&conn, &bucket, min).await?;
            apply(global, &conn, &bucket, &change, dry_run).await
        }
        BucketCommand::RelaxTls { uri, dry_run } => {
            let bucket = bucket_of(&uri)?;
            let change = bucket::plan_relax_tls(&conn, &bucket).await?;
            apply(global, &conn, &bucket, &change, dry_run).await
        }
        BucketCommand::SetDefault {
            uri,
            encryption,
            kms_key,
            bucket_key,
        } => {
            let bucket = bucket_of(&uri)?;
            let request = default_request(encryption, kms_key, bucket_key)?;
            let rule = bucket::set_default_encryption(&conn, &bucket, &request).await?;
            if rule.default.mode != request.mode() {
                return Err(Error::InvalidInput(format!(
                    "S3 accepted the new default encryption for {bucket} but now reports {}: check the bucket with `s3seal bucket show s3://{bucket}`",
                    rule.default
                )));
            }
            if !global.quiet {
                println!("default encryption of {bucket}: {}", rule.default);
                println!("{}", request.consequences(&bucket));
            }
            Ok(())
        }
        BucketCommand::BlockSsec { uri } => {
            let bucket = bucket_of(&uri)?;
            let outcome = bucket::block_sse_c(&conn, &bucket).await?;
            if !outcome.blocked {
                return Err(Error::InvalidInput(outcome.message));
            }
            if !global.quiet {
                println!("{}", outcome.message);
            }
            Ok(())
        }
        BucketCommand::AbortIncompleteUploads { uri, days, dry_run } => {
            let bucket = bucket_of(&uri)?;
            let change = lifecycle::plan_abort_rule(&conn, &bucket, i32::from(days)).await?;
            print!("{}", change.diff());
            if !change.changed {
                return Ok(());
            }
            if dry_run {
                println!("dry run: the lifecycle configuration of {bucket} was not changed");
                return Ok(());
            }
            let rule = lifecycle::apply_abort_rule(&conn, &bucket, &change).await?;
            if !global.quiet {
                println!(
                    "applied: S3 now aborts incomplete uploads in {bucket} {} days after they start (rule '{}')",
                    rule.days, rule.rule_id
                );
            }
            Ok(())
        }
        BucketCommand::Inventory { command } => {
            super::inventory_cmd::run_bucket(global, &conn, command).await
        }
        BucketCommand::UnblockSsec { uri } => {
            let bucket = bucket_of(&uri)?;
            let outcome = bucket::unblock_sse_c(&conn, &bucket).await?;
            if outcome.blocked {
                return Err(Error::InvalidInput(outcome.message));
            }
            if !global.quiet {
                println!("{}", outcome.message);
            }
            Ok(())
        }
    }
}

/// The default encryption the flags describe, or what is wrong with them.
fn default_request(
    mode: DefaultModeArg,
    kms_key: Option<String>,
    bucket_key: bool,
) -> Result<DefaultEncryptionRequest> {
    let bad = |m: &str| Err(Error::InvalidInput(m.to_owned()));
    match mode {
        DefaultModeArg::SseS3 if kms_key.is_some() => {
            bad("--kms-key goes with --encryption sse-kms or dsse-kms")
        }
        DefaultModeArg::SseS3 if bucket_key => bad("--bucket-key goes with --encryption sse-kms"),
        DefaultModeArg::SseS3 => Ok(DefaultEncryptionRequest::SseS3),
        DefaultModeArg::SseKms => Ok(DefaultEncryptionRequest::SseKms {
            key_id: kms_key,
            bucket_key,
        }),
        DefaultModeArg::DsseKms if bucket_key => bad(
            "--bucket-key goes with --encryption sse-kms (S3 does not use Bucket Keys with DSSE-KMS)",
        ),
        DefaultModeArg::DsseKms => Ok(DefaultEncryptionRequest::DsseKms { key_id: kms_key }),
    }
}

pub(super) fn bucket_of(uri: &str) -> Result<String> {
    let uri: S3Uri = uri.parse()?;
    if !uri.key.is_empty() {
        return Err(Error::InvalidInput(format!(
            "{uri} names an object or prefix; bucket settings take s3://{}",
            uri.bucket
        )));
    }
    Ok(uri.bucket)
}

async fn apply(
    global: &GlobalArgs,
    conn: &Connection,
    bucket: &str,
    change: &PolicyChange,
    dry_run: bool,
) -> Result<()> {
    print!("{}", change.diff());
    if !change.changed {
        return Ok(());
    }
    if dry_run {
        println!("dry run: the bucket policy of {bucket} was not changed");
        return Ok(());
    }
    bucket::apply_policy_change(conn, bucket, change).await?;
    let report = bucket::bucket_security(conn, bucket).await?;
    if !global.quiet {
        println!(
            "applied: TLS {} for {bucket}{}",
            if report.tls_enforced {
                "is now enforced"
            } else {
                "is NOT enforced"
            },
            report
                .min_tls_version
                .as_deref()
                .map(|v| format!(", minimum TLS {v}"))
                .unwrap_or_default()
        );
    }
    Ok(())
}

fn level(l: Level) -> String {
    l.as_str().to_uppercase()
}

/// `bucket show --json`: the security report and the incomplete uploads' summary.
#[derive(serde::Serialize)]
struct ShowJson<'a> {
    #[serde(flatten)]
    security: &'a BucketSecurity,
    incomplete_uploads: Option<&'a IncompleteSummary>,
}

fn print_security(r: &BucketSecurity, incomplete: &std::result::Result<IncompleteSummary, String>) {
    let v = &r.verdicts;
    let tls = if r.tls_enforced {
        match &r.min_tls_version {
            Some(min) => format!("enforced (minimum TLS {min})"),
            None => "enforced".to_owned(),
        }
    } else if r.has_policy {
        "not enforced".to_owned()
    } else {
        "not enforced (no bucket policy)".to_owned()
    };
    let mut rows = vec![
        vec!["bucket".to_owned(), String::new(), r.bucket.clone()],
        vec![
            "default encryption".to_owned(),
            level(v.default_encryption.level),
            r.default_encryption.to_string(),
        ],
        vec![
            "sse-c uploads".to_owned(),
            level(v.sse_c.level),
            if r.sse_c_blocked {
                "blocked"
            } else {
                "allowed"
            }
            .to_owned(),
        ],
        vec!["tls".to_owned(), level(v.tls.level), tls],
        vec![
            "versioning".to_owned(),
            level(v.versioning.level),
            serde_json::to_value(r.versioning)
                .ok()
                .and_then(|x| x.as_str().map(str::to_owned))
                .unwrap_or_default(),
        ],
    ];
    rows.push(match incomplete {
        Ok(s) => vec![
            "incomplete uploads".to_owned(),
            level(s.verdict.level),
            format!("{} ({})", s.count, human_size(s.bytes)),
        ],
        Err(why) => vec![
            "incomplete uploads".to_owned(),
            String::new(),
            format!("unknown ({why})"),
        ],
    });
    print_table(&rows);
    println!();
    let mut verdicts = vec![
        ("default encryption", &v.default_encryption),
        ("sse-c uploads", &v.sse_c),
        ("tls", &v.tls),
        ("versioning", &v.versioning),
    ];
    if let Ok(s) = incomplete {
        verdicts.push(("incomplete uploads", &s.verdict));
    }
    for (name, verdict) in verdicts {
        let advice = crate::remedy::Advice::new(verdict.reason.clone(), verdict.remedy.clone());
        println!("{name}: {}", super::remedy::advice(&advice));
    }
    if !r.policy_findings.is_empty() {
        println!();
        println!("policy findings:");
        for finding in &r.policy_findings {
            println!("  - {finding}");
        }
    }
}

/// `put --dry-run`: what the upload would be encrypted with, and whether it would be refused.
pub(super) async fn put_dry_run(
    conn: &Connection,
    file: &std::path::Path,
    uri: &S3Uri,
    enc: &EncryptionArgs,
) -> Result<()> {
    if enc.encryption == super::args::ModeArg::SseC {
        conn.ensure_sse_c_allowed()?;
    }
    let meta = std::fs::metadata(file).map_err(|e| Error::io("read", file, e))?;
    let dest = uri.upload_target(file);
    let what = format!("{} to {dest}, {}", file.display(), human_size(meta.len()));
    print_dry_run(conn, &dest, enc, &what).await
}

/// A dry run's report: `what` would be uploaded (nothing is), what `dest` would be encrypted
/// with, and whether the bucket stands in the way.
pub(super) async fn print_dry_run(
    conn: &Connection,
    dest: &S3Uri,
    enc: &EncryptionArgs,
    what: &str,
) -> Result<()> {
    // No key is read for a dry run: the preview needs only the key's name.
    let planned = super::write_mode::choice(enc)?.planned();
    let preview = bucket::preview_upload(conn, &dest.bucket, &dest.key, &planned).await?;
    println!("dry run: nothing uploaded ({what})");
    println!("encryption: {}", preview.summary);
    for warning in &preview.warnings {
        println!("warning: {}", super::remedy::advice(warning));
    }
    if preview.will_be_refused {
        println!("result: S3 would refuse this upload");
    } else if preview.warnings.is_empty() {
        println!("result: no bucket setting stands in the way");
    }
    Ok(())
}
