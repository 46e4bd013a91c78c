//! `s3seal audit s3://BUCKET[/PREFIX] [--csv FILE] [--json]`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;

use super::GlobalArgs;
use super::kms_names::kms_names;
use super::objects::local_keys;
use super::output::{print_json, print_table};
use super::progress_bar::{ProgressBarTask, cancel_on_ctrl_c};
use crate::error::{Error, Result};
use crate::keys::KeyManager;
use crate::progress::{CancellationToken, Progress};
use crate::s3::bucket::audit::{AuditOptions, AuditReport, audit, to_csv};
use crate::s3::in_flight::Concurrency;
use crate::s3::kms::KmsNames;
use crate::s3::{Connection, S3Uri};

/// The `audit` flags.
pub(super) struct AuditArgs {
    pub uri: String,
    pub csv: Option<PathBuf>,
    pub json: bool,
    /// `None`: adaptive.
    pub concurrency: Option<usize>,
    pub no_cache: bool,
}

pub(super) async fn run(global: &GlobalArgs, args: AuditArgs) -> Result<()> {
    let uri: S3Uri = args.uri.parse()?;
    if let Some(path) = &args.csv
        && path.exists()
    {
        return Err(Error::WouldOverwrite { path: path.clone() });
    }
    let conn = Connection::connect(&global.connect_options()).await?;
    let keys = local_keys();
    let options = AuditOptions {
        concurrency: Concurrency::fixed_or_adaptive(args.concurrency),
        cache_dir: if args.no_cache {
            None
        } else {
            Some(KeyManager::default_config_dir()?)
        },
        ..AuditOptions::default()
    };
    let progress = Progress::new();
    let cancel = CancellationToken::new();
    let _ctrl_c = cancel_on_ctrl_c(&cancel);
    let bar = ProgressBarTask::start_objects(&progress, global.quiet, "audit");
    let report = audit(&conn, &keys, &uri, &options, &progress, &cancel).await;
    drop(bar);
    let report = report?;
    if let Some(path) = &args.csv {
        write_new(path, to_csv(&report).as_bytes())?;
    }
    let ids: Vec<&str> = report
        .objects
        .iter()
        .filter_map(|r| r.kms_key_id.as_deref())
        .collect();
    let names = kms_names(&conn, ids.iter().copied()).await;
    if args.json {
        // The report as it is (ARNs), and the alias of every key that has one.
        let kms_aliases: BTreeMap<&str, &str> = ids
            .iter()
            .filter_map(|id| Some((*id, names.alias_of(id)?)))
            .collect();
        return print_json(&AuditJson {
            report: &report,
            kms_aliases,
        });
    }
    print_summary(&report, args.csv.as_deref(), &names);
    Ok(())
}

/// `audit --json`: the report, and its KMS keys' aliases by ARN.
#[derive(Serialize)]
struct AuditJson<'a> {
    #[serde(flatten)]
    report: &'a AuditReport,
    kms_aliases: BTreeMap<&'a str, &'a str>,
}

pub(super) fn write_new(path: &std::path::Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write as _;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                Error::WouldOverwrite {
                    path: path.to_path_buf(),
                }
            } else {
                Error::io("create", path, e)
            }
        })?;
    file.write_all(bytes)
        .map_err(|e| Error::io("write", path, e))
}

fn print_summary(r: &AuditReport, csv: Option<&std::path::Path>, names: &KmsNames) {
    println!(
        "audit of s3://{}/{}: {} object{}{}",
        r.bucket,
        r.prefix,
        r.total,
        if r.total == 1 { "" } else { "s" },
        if r.from_cache > 0 {
            format!(
                " ({} unchanged since the last audit, not asked again)",
                r.from_cache
            )
        } else {
            String::new()
        }
    );
    let mut rows = vec![vec!["mode".to_owned(), "objects".to_owned()]];
    rows.extend(
        r.by_mode
            .iter()
            .map(|(m, n)| vec![m.clone(), n.to_string()]),
    );
    if r.errors > 0 {
        rows.push(vec!["(could not inspect)".to_owned(), r.errors.to_string()]);
    }
    print_table(&rows);
    if !r.by_key.is_empty() {
        println!();
        let mut rows = vec![vec!["key".to_owned(), "objects".to_owned()]];
        rows.extend(
            r.by_key
                .iter()
                .map(|(k, n)| vec![names.relabel(k), n.to_string()]),
        );
        print_table(&rows);
    }
    for s in &r.suggestions {
        println!();
        println!("suggestion: {}", super::remedy::advice(s));
    }
    if let Some(path) = csv {
        println!();
        println!(
            "csv: {} rows written to {}",
            r.objects.len(),
            path.display()
        );
    }
}
