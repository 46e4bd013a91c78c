//! `s3seal rekey s3://BUCKET/PREFIX/ --recursive …` (plan, then run as a job) and `s3seal jobs
//! list | show ID | resume ID | cancel ID`.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use super::audit_cmd::write_new;
use super::kms_names::kms_names;
use super::objects::local_keys;
use super::output::{human_size, print_json, print_table};
use super::progress_bar::{ProgressBarTask, cancel_on_ctrl_c};
use super::write_mode::choice;
use super::{Command, GlobalArgs, JobsCommand};
use crate::error::{Error, Result};
use crate::jobs::plan::PlanRequest;
use crate::jobs::report::{ReportFormat, render};
use crate::jobs::{
    JobHandle, JobState, JobStore, Method, Plan, PlanSummary, Report, ReportSummary, RowStatus,
    RunOptions, RunSettings,
};
use crate::progress::{CancellationToken, Progress};
use crate::s3::bucket::filter::ObjectFilter;
use crate::s3::kms::KmsNames;
use crate::s3::{Connection, S3Uri};

/// `rekey … --recursive`: plans, prints the plan, and (unless `--dry-run`) runs the job.
pub(super) async fn rekey_recursive(global: &GlobalArgs, command: Command) -> Result<()> {
    let Command::Rekey {
        uri,
        enc,
        source_key,
        source_kms_key,
        filters,
        versions,
        delete_replaced_versions,
        concurrency,
        kms_rate,
        dry_run,
        report,
        json,
        ..
    } = command
    else {
        return Err(Error::Internal("not a rekey command".to_owned()));
    };
    let uri: S3Uri = uri.parse()?;
    if let Some(path) = &report {
        ReportFormat::of_path(path)?;
        if path.exists() {
            return Err(Error::WouldOverwrite { path: path.clone() });
        }
    }
    let filters = filters
        .iter()
        .map(|f| f.parse::<ObjectFilter>())
        .collect::<Result<Vec<_>>>()?;
    let target = choice(&enc)?;
    let conn = Connection::connect(&global.connect_options()).await?;
    let keys = std::sync::Arc::new(local_keys());
    let request = PlanRequest {
        uri,
        filters,
        target,
        versions: versions.into(),
        delete_replaced_versions,
        source_keys: source_key,
        trusted_kms: source_kms_key,
        settings: RunSettings {
            concurrency: usize::from(concurrency),
            kms_rate,
            ..RunSettings::default()
        },
    };
    let progress = Progress::new();
    let cancel = CancellationToken::new();
    let plan = {
        let _ctrl_c = cancel_on_ctrl_c(&cancel);
        let _bar = ProgressBarTask::start_objects(&progress, global.quiet, "plan");
        crate::jobs::plan(&conn, &keys, &request, &progress, &cancel).await?
    };
    if dry_run {
        if let Some(path) = &report {
            write_report(path, &dry_run_report(&plan))?;
        }
        if json {
            return print_json(&RekeyJson::new(&plan, None));
        }
        if !global.quiet {
            print_plan(&plan, &plan_kms_names(&conn, &plan).await);
            println!();
            println!("dry run: nothing was changed");
        }
        return Ok(());
    }
    if !json && !global.quiet {
        print_plan(&plan, &plan_kms_names(&conn, &plan).await);
        println!();
        println!(
            "job {}: running; if it stops, `s3seal jobs resume {}` continues it",
            plan.id, plan.id
        );
    }
    let store = JobStore::open_default()?;
    let handle = crate::jobs::start(
        &tokio::runtime::Handle::current(),
        conn,
        keys,
        store,
        plan.clone(),
        RunOptions::default(),
    )?;
    follow(global, handle, &plan, report.as_deref(), json).await
}

/// `jobs …`.
pub(super) async fn run(global: &GlobalArgs, command: JobsCommand) -> Result<()> {
    let store = JobStore::open_default()?;
    match command {
        JobsCommand::List { json } => {
            let jobs = store.list()?;
            if json {
                return print_json(&jobs);
            }
            let mut rows = vec![vec![
                "id".to_owned(),
                "state".to_owned(),
                "done".to_owned(),
                "target".to_owned(),
                "where".to_owned(),
            ]];
            rows.extend(jobs.iter().map(|j| {
                vec![
                    j.id.clone(),
                    j.state.as_str().to_owned(),
                    format!("{}/{}", j.done, j.total),
                    j.target.clone(),
                    format!("s3://{}/{}", j.bucket, j.prefix),
                ]
            }));
            print_table(&rows);
            Ok(())
        }
        JobsCommand::Show { id, json } => {
            let plan = store.load(&id)?;
            let state = store.state(&id)?;
            let report = store.report(&id)?;
            if json {
                return print_json(&ShowJson {
                    state,
                    job: RekeyJson::new(&plan, Some(&report.summary)),
                    report: &report,
                });
            }
            // Offline (no connection is made to show a stored job): keys by their id.
            print_plan(&plan, &KmsNames::default());
            println!();
            print_outcome(&plan.id, state, &report);
            Ok(())
        }
        JobsCommand::Resume { id } => {
            let conn = Connection::connect(&global.connect_options()).await?;
            let keys = std::sync::Arc::new(local_keys());
            let plan = store.load(&id)?;
            let handle = crate::jobs::resume(
                &tokio::runtime::Handle::current(),
                conn,
                keys,
                store,
                &id,
                RunOptions::default(),
            )?;
            if !global.quiet {
                let s = handle.snapshot();
                println!(
                    "job {id}: resuming, {} of {} objects handled already",
                    s.objects_done, s.objects_total
                );
            }
            follow(global, handle, &plan, None, false).await
        }
        JobsCommand::Cancel { id } => {
            let before = store.cancel(&id)?;
            if !global.quiet {
                match before {
                    JobState::Running => println!(
                        "job {id}: asked the s3seal running it to stop for good after the objects in flight"
                    ),
                    JobState::Interrupted => println!("job {id}: cancelled"),
                    JobState::Done => println!("job {id}: done already; nothing to cancel"),
                    JobState::Cancelled => println!("job {id}: cancelled already"),
                }
            }
            Ok(())
        }
    }
}

/// Shows progress until the job ends (Ctrl-C interrupts it, to be resumed), then the outcome.
async fn follow(
    global: &GlobalArgs,
    handle: JobHandle,
    plan: &Plan,
    report_path: Option<&Path>,
    json: bool,
) -> Result<()> {
    let id = handle.id().to_owned();
    let interrupt = CancellationToken::new();
    let _ctrl_c = cancel_on_ctrl_c(&interrupt);
    let bar = {
        let progress = handle.progress();
        ProgressBarTask::start_counting(
            move || {
                let s = progress.snapshot();
                (s.objects_done, s.objects_total)
            },
            global.quiet || json,
            "rekey",
        )
    };
    let controls = handle.controls();
    let stopper = tokio::spawn(async move {
        interrupt.cancelled().await;
        controls.interrupt();
    });
    let outcome = handle.wait().await;
    stopper.abort();
    drop(bar);
    let outcome = outcome?;
    if let Some(path) = report_path {
        write_report(path, &outcome.report)?;
    }
    if json {
        print_json(&RekeyJson::new(plan, Some(&outcome.report.summary)))?;
    } else if !global.quiet {
        print_outcome(&id, outcome.state, &outcome.report);
        if let Some(path) = report_path {
            println!("report: {}", path.display());
        }
    }
    match outcome.state {
        JobState::Done => {
            let failed = outcome.report.summary.count(RowStatus::Failed);
            if failed > 0 {
                return Err(Error::JobIncomplete { id, failed });
            }
            Ok(())
        }
        JobState::Cancelled => Ok(()),
        JobState::Interrupted | JobState::Running => Err(Error::JobStopped { id }),
    }
}

fn write_report(path: &Path, report: &Report) -> Result<()> {
    let format = ReportFormat::of_path(path)?;
    write_new(path, render(report, format)?.as_bytes())
}

fn dry_run_report(plan: &Plan) -> Report {
    let rows = plan.rows();
    Report {
        job_id: plan.id.clone(),
        bucket: plan.bucket.clone(),
        prefix: plan.prefix.clone(),
        target: plan.target.state(),
        notes: plan.summary.notes.clone(),
        summary: ReportSummary::of(&rows),
        rows,
    }
}

/// What `rekey --recursive --json` prints (before and after a run) and `jobs show --json`
/// embeds.
#[derive(Serialize)]
struct RekeyJson<'a> {
    job_id: &'a str,
    bucket: &'a str,
    prefix: &'a str,
    target: String,
    filters: &'a [String],
    versions: crate::jobs::Versions,
    versioning: crate::s3::bucket::Versioning,
    update_object_encryption: &'a crate::jobs::uoe::Support,
    total: u64,
    bytes: u64,
    /// After a run, the methods used (a run may copy what was planned for
    /// UpdateObjectEncryption); before, the plan's.
    by_method: BTreeMap<Method, u64>,
    /// After a run only.
    #[serde(skip_serializing_if = "Option::is_none")]
    by_status: Option<BTreeMap<RowStatus, u64>>,
    plan: &'a PlanSummary,
}

impl<'a> RekeyJson<'a> {
    fn new(plan: &'a Plan, outcome: Option<&ReportSummary>) -> Self {
        Self {
            job_id: &plan.id,
            bucket: &plan.bucket,
            prefix: &plan.prefix,
            target: plan.target.state().to_string(),
            filters: &plan.filters,
            versions: plan.versions,
            versioning: plan.versioning,
            update_object_encryption: &plan.update_object_encryption,
            total: plan.summary.total,
            bytes: plan.summary.bytes,
            by_method: outcome
                .map_or_else(|| plan.summary.by_method.clone(), |o| o.by_method.clone()),
            by_status: outcome.map(|o| o.by_status.clone()),
            plan: &plan.summary,
        }
    }
}

#[derive(Serialize)]
struct ShowJson<'a> {
    state: JobState,
    #[serde(flatten)]
    job: RekeyJson<'a>,
    report: &'a Report,
}

/// The KMS key names a plan's table needs: listed when it names a KMS key.
async fn plan_kms_names(conn: &Connection, plan: &Plan) -> KmsNames {
    let labels = plan
        .summary
        .transitions
        .iter()
        .flat_map(|t| [t.from.clone(), t.to.clone()])
        .chain([plan.target.state().to_string()])
        .filter(|label| label.contains("kms:"))
        .collect::<Vec<_>>();
    kms_names(conn, labels.iter().map(String::as_str)).await
}

/// The plan as a table, KMS keys named through `names` (by alias where known).
fn print_plan(plan: &Plan, names: &KmsNames) {
    let s = &plan.summary;
    println!(
        "plan {} for s3://{}/{} → {}",
        plan.id,
        plan.bucket,
        plan.prefix,
        names.relabel(&plan.target.state().to_string())
    );
    println!(
        "{} object{} ({}) selected of {} listed{}",
        s.total,
        if s.total == 1 { "" } else { "s" },
        human_size(s.bytes),
        s.listed,
        if s.noncurrent_versions > 0 {
            format!(", {} of them older versions", s.noncurrent_versions)
        } else {
            String::new()
        }
    );
    println!();
    let mut rows = vec![vec![
        "method".to_owned(),
        "objects".to_owned(),
        "bytes".to_owned(),
    ]];
    rows.extend(Method::ALL.iter().map(|m| {
        vec![
            m.to_string(),
            s.by_method.get(m).copied().unwrap_or(0).to_string(),
            human_size(s.bytes_by_method.get(m).copied().unwrap_or(0)),
        ]
    }));
    print_table(&rows);
    if !s.transitions.is_empty() {
        println!();
        let mut rows = vec![vec![
            "from".to_owned(),
            "to".to_owned(),
            "method".to_owned(),
            "objects".to_owned(),
            "bytes".to_owned(),
        ]];
        rows.extend(s.transitions.iter().map(|t| {
            vec![
                names.relabel(&t.from),
                names.relabel(&t.to),
                t.method.to_string(),
                t.objects.to_string(),
                human_size(t.bytes),
            ]
        }));
        print_table(&rows);
    }
    if !s.skipped.is_empty() {
        println!();
        let mut rows = vec![vec![
            "skipped".to_owned(),
            "objects".to_owned(),
            "why".to_owned(),
        ]];
        rows.extend(
            s.skipped
                .iter()
                .map(|(r, n)| vec![r.to_string(), n.to_string(), r.text().to_owned()]),
        );
        print_table(&rows);
    }
    println!();
    let r = &s.requests;
    println!(
        "requests: {} UpdateObjectEncryption, {} CopyObject, {} multipart, {} reads, {} deletes; about {} KMS calls",
        r.update_object_encryption, r.copy_object, r.multipart, r.reads, r.delete, s.kms_calls
    );
    if let Some(cost) = &s.cost {
        println!(
            "cost: about ${:.4} (S3 ${:.4}, KMS ${:.4}; planning included) at {}",
            cost.total_usd, cost.s3_usd, cost.kms_usd, cost.price_table.name
        );
    }
    if let Some(pace) = &s.pace {
        println!(
            "time: about {} ({} in flight{}; round trip {:.0} ms measured while planning)",
            crate::units::human_duration(s.estimate_seconds),
            pace.concurrency,
            pace.kms_rate
                .map(|r| format!(", at most {r} KMS requests/s"))
                .unwrap_or_default(),
            pace.round_trip_ms
        );
    }
    for w in &s.warnings {
        println!("warning: {}", super::remedy::advice(w));
    }
    for n in &s.notes {
        println!("note: {}", super::remedy::advice(n));
    }
}

fn print_outcome(id: &str, state: JobState, report: &Report) {
    let s = &report.summary;
    println!(
        "job {id}: {} — {} object{}: {} done, {} skipped, {} failed, {} changed{}",
        state.as_str(),
        s.total,
        if s.total == 1 { "" } else { "s" },
        s.count(RowStatus::Done),
        s.count(RowStatus::Skipped),
        s.count(RowStatus::Failed),
        s.count(RowStatus::Changed),
        match s.count(RowStatus::Pending) {
            0 => String::new(),
            n => format!(", {n} not yet handled"),
        }
    );
    for row in report
        .rows
        .iter()
        .filter(|r| matches!(r.status, RowStatus::Failed | RowStatus::Changed))
        .take(20)
    {
        println!(
            "  {} s3://{}/{}: {}",
            row.status,
            row.bucket,
            row.key,
            row.message.as_deref().unwrap_or("")
        );
    }
}
