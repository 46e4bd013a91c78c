//! `s3seal audit --inventory s3://…/manifest.json` and `s3seal bucket inventory show|enable`.

use std::path::PathBuf;

use super::GlobalArgs;
use super::args::{InventoryCommand, KmsKeysArg};
use super::kms_names::kms_names;
use super::output::{human_size, print_json, print_table};
use super::progress_bar::{ProgressBarTask, cancel_on_ctrl_c};
use crate::error::{Error, Result};
use crate::progress::{CancellationToken, Progress};
use crate::s3::inventory::{
    self, InventoryAuditOptions, InventoryAuditReport, InventoryStatus, KmsKeyScope,
};
use crate::s3::kms::KmsNames;
use crate::s3::{Connection, S3Uri};

/// The `audit --inventory` flags.
pub(super) struct InventoryAuditArgs {
    pub manifest: String,
    pub csv: Option<PathBuf>,
    pub json: bool,
    pub kms_keys: Option<KmsKeysArg>,
    pub concurrency: usize,
}

pub(super) async fn audit(global: &GlobalArgs, args: InventoryAuditArgs) -> Result<()> {
    let manifest: S3Uri = args.manifest.parse()?;
    if let Some(path) = &args.csv
        && path.exists()
    {
        return Err(Error::WouldOverwrite { path: path.clone() });
    }
    let conn = Connection::connect(&global.connect_options()).await?;
    let options = InventoryAuditOptions {
        csv: args.csv.clone(),
        kms_keys: match args.kms_keys {
            None => KmsKeyScope::None,
            Some(KmsKeysArg::All) => KmsKeyScope::All,
            Some(KmsKeysArg::Sample(n)) => KmsKeyScope::Sample(n),
        },
        concurrency: args.concurrency,
    };
    let progress = Progress::new();
    let cancel = CancellationToken::new();
    let _ctrl_c = cancel_on_ctrl_c(&cancel);
    let bar = ProgressBarTask::start_rows(&progress, global.quiet, "read");
    let report = inventory::audit_inventory(&conn, &manifest, &options, &progress, &cancel).await;
    drop(bar);
    let report = report?;
    if args.json {
        return print_json(&report);
    }
    let labels = report
        .kms_keys
        .iter()
        .flat_map(|keys| keys.by_key.keys())
        .map(String::as_str);
    let names = kms_names(&conn, labels).await;
    print_report(
        &report,
        args.csv.as_deref(),
        args.kms_keys.is_none(),
        &names,
    );
    Ok(())
}

fn counts_table(title: &str, map: &std::collections::BTreeMap<String, u64>) {
    if map.is_empty() {
        return;
    }
    println!();
    let mut rows = vec![vec![title.to_owned(), "objects".to_owned()]];
    rows.extend(map.iter().map(|(k, n)| vec![k.clone(), n.to_string()]));
    print_table(&rows);
}

fn print_report(
    r: &InventoryAuditReport,
    csv: Option<&std::path::Path>,
    offer_keys: bool,
    names: &KmsNames,
) {
    let c = &r.counts;
    println!(
        "audit of s3://{} from its inventory report of {} ({} file{}): {} object{}, {}",
        r.bucket,
        r.report_date.as_deref().unwrap_or("an unknown date"),
        r.files,
        if r.files == 1 { "" } else { "s" },
        c.total,
        if c.total == 1 { "" } else { "s" },
        human_size(c.bytes)
    );
    counts_table("mode", &c.by_mode);
    counts_table("EncryptionStatus", &c.by_encryption_status);
    counts_table("BucketKeyStatus", &c.by_bucket_key_status);
    counts_table("storage class", &c.by_storage_class);
    let lock = &c.object_lock;
    if lock.governance + lock.compliance + lock.legal_hold > 0 {
        println!();
        print_table(&[
            vec!["object lock".to_owned(), "objects".to_owned()],
            vec!["governance".to_owned(), lock.governance.to_string()],
            vec!["compliance".to_owned(), lock.compliance.to_string()],
            vec!["legal hold".to_owned(), lock.legal_hold.to_string()],
        ]);
    }
    if c.delete_markers + c.noncurrent_versions > 0 {
        println!();
        println!(
            "{} noncurrent version(s) counted; {} delete marker(s) not counted",
            c.noncurrent_versions, c.delete_markers
        );
    }
    if let Some(keys) = &r.kms_keys {
        println!();
        println!(
            "KMS keys, by HEAD of {} of the {} SSE-KMS / DSSE-KMS object(s){}:",
            keys.asked,
            keys.of,
            if keys.sample {
                " (a random sample)"
            } else {
                ""
            }
        );
        let mut rows = vec![vec!["key".to_owned(), "objects".to_owned()]];
        rows.extend(
            keys.by_key
                .iter()
                .map(|(k, n)| vec![names.relabel(k), n.to_string()]),
        );
        if keys.changed > 0 {
            rows.push(vec!["(no longer KMS)".to_owned(), keys.changed.to_string()]);
        }
        if keys.errors > 0 {
            rows.push(vec!["(could not HEAD)".to_owned(), keys.errors.to_string()]);
        }
        print_table(&rows);
    }
    for note in &r.notes {
        println!();
        println!("note: {}", super::remedy::advice(note));
    }
    if offer_keys && c.kms_objects() > 0 {
        println!(
            "      `--kms-keys 100` HEADs a random sample of 100 of them, `--kms-keys all` every one ({} HEAD requests).",
            c.kms_objects()
        );
    }
    if let Some(path) = csv {
        println!();
        println!("csv: one row per object written to {}", path.display());
    }
}

pub(super) async fn run_bucket(
    global: &GlobalArgs,
    conn: &Connection,
    command: InventoryCommand,
) -> Result<()> {
    match command {
        InventoryCommand::Show { uri, json } => {
            let bucket = super::bucket_cmd::bucket_of(&uri)?;
            let status = inventory::inventory_status(conn, &bucket).await?;
            if json {
                print_json(&status)
            } else {
                print_status(&status);
                Ok(())
            }
        }
        InventoryCommand::Enable {
            uri,
            destination,
            dry_run,
        } => {
            let bucket = super::bucket_cmd::bucket_of(&uri)?;
            let destination: S3Uri = destination.parse()?;
            let change = inventory::plan_enable_inventory(conn, &bucket, &destination).await?;
            print!("{}", change.diff());
            if change.changed {
                println!();
                println!(
                    "destination bucket policy ({}): add this statement so S3 may deliver the reports",
                    destination.bucket
                );
                super::output::print_json(&change.destination_policy_statement)?;
            }
            if !change.changed {
                return Ok(());
            }
            if dry_run {
                println!("dry run: the inventory configurations of {bucket} were not changed");
                return Ok(());
            }
            inventory::apply_inventory_change(conn, &change).await?;
            if !global.quiet {
                println!(
                    "applied: inventory '{}' of {bucket} (daily, {}) to {}",
                    change.after.id, change.after.format, change.after.destination
                );
            }
            Ok(())
        }
    }
}

fn print_status(s: &InventoryStatus) {
    if s.configurations.is_empty() {
        println!("{}: no inventory configuration", s.bucket);
        println!(
            "set one up with `s3seal bucket inventory enable s3://{} --destination s3://BUCKET/PREFIX`",
            s.bucket
        );
        return;
    }
    let mut rows = vec![vec![
        "id".to_owned(),
        "enabled".to_owned(),
        "schedule".to_owned(),
        "format".to_owned(),
        "objects".to_owned(),
        "destination".to_owned(),
        "audit".to_owned(),
    ]];
    for c in &s.configurations {
        rows.push(vec![
            c.id.clone(),
            c.enabled.to_string(),
            c.frequency.clone(),
            c.format.clone(),
            format!(
                "{} {}",
                c.versions.to_lowercase(),
                c.prefix
                    .as_deref()
                    .map_or("(whole bucket)".to_owned(), |p| format!("under {p}"))
            ),
            c.destination.clone(),
            if c.serves_audit() {
                "ok".to_owned()
            } else if c.missing_for_audit.is_empty() {
                "not usable (format or prefix)".to_owned()
            } else {
                format!("lacks {}", c.missing_for_audit.join(", "))
            },
        ]);
    }
    print_table(&rows);
    println!();
    if s.reports.is_empty() {
        println!("no report delivered yet (the first can take up to 48 hours)");
    }
    for r in &s.reports {
        println!(
            "latest report of '{}': {} — {}",
            r.id, r.report_date, r.manifest
        );
    }
    if let Some(best) = s.best_report() {
        println!("audit it with `s3seal audit --inventory {}`", best.manifest);
    }
}
