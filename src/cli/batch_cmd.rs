//! `s3seal batch …`: create a Batch Operations job from a plan (or print its CreateJob input),
//! follow it, confirm or cancel it, read its completion report, and print its role's policies.

use super::GlobalArgs;
use super::args::{BatchCommand, BatchModeArg, BatchTargetArgs};
use super::audit_cmd::write_new;
use super::kms_names::kms_names;
use super::output::{human_size, print_json, print_table};
use super::progress_bar::{ProgressBarTask, cancel_on_ctrl_c};
use crate::batch::{
    self, BatchPlan, BatchRequest, JobInfo, ObjectSource, ReportSource, Selection, TargetRequest,
};
use crate::error::{Error, Result};
use crate::progress::{CancellationToken, Progress};
use crate::s3::kms::KmsNames;
use crate::s3::{Connection, S3Uri};

/// The request the flags describe (the one check of their combinations).
fn request(t: &BatchTargetArgs, role: &str, objects: ObjectSource) -> Result<BatchRequest> {
    let target = match (t.encryption, &t.kms_key) {
        (BatchModeArg::DsseKms, _) => {
            return Err(Error::InvalidInput(
                "S3 Batch Operations writes SSE-S3 or SSE-KMS, not DSSE-KMS: use --encryption sse-kms, or a local job (`s3seal rekey … --recursive`)".to_owned(),
            ));
        }
        (BatchModeArg::SseS3, Some(_)) => {
            return Err(Error::InvalidInput(
                "--kms-key goes with --encryption sse-kms".to_owned(),
            ));
        }
        (BatchModeArg::SseS3, None) if t.bucket_key => {
            return Err(Error::InvalidInput(
                "--bucket-key goes with --encryption sse-kms".to_owned(),
            ));
        }
        (BatchModeArg::SseS3, None) => TargetRequest::SseS3,
        (BatchModeArg::SseKms, None) => {
            return Err(Error::InvalidInput(
                "--encryption sse-kms needs --kms-key KEY (S3 Batch Operations needs the key's ARN)".to_owned(),
            ));
        }
        (BatchModeArg::SseKms, Some(key)) => TargetRequest::SseKms {
            key: key.clone(),
            bucket_key: t.bucket_key,
        },
    };
    let report: S3Uri = t.report.parse()?;
    Ok(BatchRequest {
        source: t.uri.parse()?,
        target,
        selection: Selection {
            filters: t.filters.iter().map(|f| f.parse()).collect::<Result<_>>()?,
            larger_than: t.larger_than,
            smaller_than: t.smaller_than,
            created_after: t
                .created_after
                .as_deref()
                .map(batch::parse_date)
                .transpose()?,
            created_before: t
                .created_before
                .as_deref()
                .map(batch::parse_date)
                .transpose()?,
        },
        role_arn: role.to_owned(),
        report,
        objects,
        account_id: t.account_id.clone(),
    })
}

async fn account(conn: &Connection, given: Option<String>) -> Result<String> {
    batch::account_id(conn, given.as_deref()).await
}

pub(super) async fn run(global: &GlobalArgs, command: BatchCommand) -> Result<()> {
    let conn = Connection::connect(&global.connect_options()).await?;
    match command {
        BatchCommand::Create {
            target,
            role,
            manifest_from_audit,
            manifest_from_inventory,
            dry_run,
            json,
        } => {
            let objects = match (manifest_from_audit, manifest_from_inventory) {
                (Some(path), _) => ObjectSource::Audit(path),
                (None, Some(uri)) => ObjectSource::Inventory(uri.parse()?),
                (None, None) => ObjectSource::Generator,
            };
            let request = request(&target, &role, objects)?;
            let progress = Progress::new();
            let cancel = CancellationToken::new();
            let _ctrl_c = cancel_on_ctrl_c(&cancel);
            let bar = ProgressBarTask::start_rows(&progress, global.quiet, "read");
            let plan = batch::plan_batch_job(&conn, &request, &progress, &cancel).await;
            drop(bar);
            let plan = plan?;
            let target = plan.spec.target.state().to_string();
            let names =
                kms_names(&conn, Some(target.as_str()).filter(|t| t.contains("kms:"))).await;
            if dry_run {
                if !global.quiet && !json {
                    review_to_stderr(&plan, &names);
                }
                return if json {
                    print_json(&plan)
                } else {
                    print_json(&plan.create_job_input)
                };
            }
            if !global.quiet && !json {
                print!("{}", review(&plan, &names));
            }
            let submitted = batch::submit(&conn, &plan).await?;
            if json {
                return print_json(&serde_json::json!({"plan": plan, "submitted": submitted}));
            }
            println!(
                "created job {} (it waits for confirmation)",
                submitted.job_id
            );
            println!(
                "when S3 has counted the objects, check with `s3seal batch show {0}` and start it with `s3seal batch confirm {0}`",
                submitted.job_id
            );
            Ok(())
        }
        BatchCommand::List { account_id, json } => {
            let account = account(&conn, account_id).await?;
            let jobs = batch::list_jobs(&conn, &account).await?;
            if json {
                return print_json(&jobs);
            }
            let mut rows = vec![
                [
                    "id",
                    "status",
                    "operation",
                    "done",
                    "failed",
                    "total",
                    "created",
                ]
                .map(str::to_owned)
                .to_vec(),
            ];
            let n = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
            for j in &jobs {
                rows.push(vec![
                    j.id.clone(),
                    j.status.clone(),
                    j.operation.clone().unwrap_or_default(),
                    n(j.succeeded),
                    n(j.failed),
                    n(j.total),
                    j.created.clone().unwrap_or_default(),
                ]);
            }
            print_table(&rows);
            Ok(())
        }
        BatchCommand::Show {
            id,
            account_id,
            json,
        } => {
            let account = account(&conn, account_id).await?;
            let job = batch::show_job(&conn, &account, &id).await?;
            if json {
                return print_json(&job);
            }
            print_job(&job);
            Ok(())
        }
        BatchCommand::Confirm { id, account_id } => {
            let account = account(&conn, account_id).await?;
            let change = batch::confirm_job(&conn, &account, &id).await?;
            println!("job {}: {}", change.id, change.status);
            Ok(())
        }
        BatchCommand::Cancel { id, account_id } => {
            let account = account(&conn, account_id).await?;
            let change = batch::cancel_job(&conn, &account, &id).await?;
            println!("job {}: {}", change.id, change.status);
            Ok(())
        }
        BatchCommand::Report {
            id,
            manifest,
            account_id,
            json,
            csv,
        } => {
            if let Some(path) = &csv
                && path.exists()
            {
                return Err(Error::WouldOverwrite { path: path.clone() });
            }
            let source = match (id, manifest) {
                (_, Some(uri)) => ReportSource::Manifest(uri.parse()?),
                (Some(job_id), None) => ReportSource::Job {
                    account_id: account(&conn, account_id).await?,
                    job_id,
                },
                (None, None) => {
                    return Err(Error::InvalidInput(
                        "batch report needs a job id or --manifest s3://…/manifest.json".to_owned(),
                    ));
                }
            };
            let cancel = CancellationToken::new();
            let _ctrl_c = cancel_on_ctrl_c(&cancel);
            let report = batch::read_report(&conn, &source, &cancel).await?;
            if let Some(path) = &csv {
                let csv = batch::render_report(&report, crate::jobs::report::ReportFormat::Csv)?;
                write_new(path, csv.as_bytes())?;
            }
            if json {
                return print_json(&report);
            }
            println!(
                "job {}: {} task(s), {} succeeded, {} failed (report of {})",
                report.job_id,
                report.total,
                report.by_status.get("succeeded").copied().unwrap_or(0),
                report.by_status.get("failed").copied().unwrap_or(0),
                report.report_date.as_deref().unwrap_or("an unknown date")
            );
            if !report.by_error_code.is_empty() {
                let mut rows = vec![vec!["error".to_owned(), "objects".to_owned()]];
                rows.extend(
                    report
                        .by_error_code
                        .iter()
                        .map(|(k, n)| vec![k.clone(), n.to_string()]),
                );
                print_table(&rows);
            }
            for note in &report.notes {
                println!("note: {}", super::remedy::advice(note));
            }
            if let Some(path) = &csv {
                println!(
                    "csv: {} rows written to {}",
                    report.rows.len(),
                    path.display()
                );
            }
            Ok(())
        }
        BatchCommand::RolePolicy { target, json } => {
            let role = "arn:aws:iam::000000000000:role/the-role-these-policies-describe";
            let request = request(&target, role, ObjectSource::Generator)?;
            let plan =
                batch::plan_batch_job(&conn, &request, &Progress::new(), &CancellationToken::new())
                    .await?;
            let policies = batch::role_policies(&plan.spec);
            if json {
                return print_json(&policies);
            }
            println!("trust policy (who may assume the role):");
            print_json(&policies.trust_policy)?;
            println!();
            println!("permissions policy (what the job does, and nothing more):");
            print_json(&policies.permissions_policy)?;
            for note in &policies.notes {
                println!("note: {note}");
            }
            Ok(())
        }
    }
}

fn print_job(j: &JobInfo) {
    let n = |v: Option<i64>| v.map_or_else(|| "-".to_owned(), |v| v.to_string());
    let mut rows = vec![
        vec!["job".to_owned(), j.id.clone()],
        vec!["status".to_owned(), j.status.clone()],
        vec![
            "operation".to_owned(),
            j.operation.clone().unwrap_or_default(),
        ],
        vec!["objects".to_owned(), n(j.total)],
        vec!["succeeded".to_owned(), n(j.succeeded)],
        vec!["failed".to_owned(), n(j.failed)],
        vec!["created".to_owned(), j.created.clone().unwrap_or_default()],
    ];
    if let Some(done) = &j.finished {
        rows.push(vec!["finished".to_owned(), done.clone()]);
    }
    if let Some(report) = &j.report {
        rows.push(vec!["report".to_owned(), report.clone()]);
    }
    if let Some(reason) = &j.status_reason {
        rows.push(vec!["reason".to_owned(), reason.clone()]);
    }
    print_table(&rows);
    for f in &j.failure_reasons {
        println!("failure: {f}");
    }
    if j.awaits_confirmation() {
        println!(
            "it waits for confirmation: `s3seal batch confirm {0}` starts it, `s3seal batch cancel {0}` drops it",
            j.id
        );
    }
    if j.finished() {
        println!("read its report with `s3seal batch report {}`", j.id);
    }
}

/// The plan in words: objects, operation, manifest, costs, notes; the target's KMS key by
/// alias (`names`).
fn review(plan: &BatchPlan, names: &KmsNames) -> String {
    let spec = &plan.spec;
    let mut out = format!(
        "S3 Batch Operations job on s3://{} (account {}): {} to {}\n",
        spec.bucket,
        spec.account_id,
        match spec.operation {
            batch::BatchOperation::UpdateObjectEncryption => "UpdateObjectEncryption",
            batch::BatchOperation::PutObjectCopy => "copy onto itself",
        },
        names.relabel(&spec.target.state().to_string())
    );
    match &plan.manifest {
        Some(m) => {
            out.push_str(&format!(
                "objects: {} ({}) in a CSV manifest written by s3seal\n",
                m.objects,
                human_size(m.bytes)
            ));
            for (reason, n) in &m.left_out {
                out.push_str(&format!("left out: {n} — {reason}\n"));
            }
            if m.too_large > 0 {
                out.push_str(&format!("over 5 GiB, for a local job: {}\n", m.too_large));
                for key in &m.too_large_keys {
                    out.push_str(&format!("  {key}\n"));
                }
            }
        }
        None => {
            out.push_str("objects: listed by S3's manifest generator when the job is prepared\n")
        }
    }
    let c = &plan.costs;
    out.push_str(&format!(
        "cost{}: S3 Batch Operations ${:.2}; the same work as a local job ${:.2} (list prices {}, gathered {})\n",
        if c.per_million {
            " per million objects"
        } else {
            ""
        },
        c.batch_total,
        c.local_total,
        c.prices.region,
        c.prices.date
    ));
    for line in &c.batch {
        out.push_str(&format!("  batch  ${:>10.4}  {}\n", line.usd, line.item));
    }
    for line in &c.local {
        out.push_str(&format!("  local  ${:>10.4}  {}\n", line.usd, line.item));
    }
    out.push_str(&format!("  {}\n", c.note));
    for p in &c.prices.prices {
        out.push_str(&format!("  price: {p}\n"));
    }
    for note in &plan.notes {
        out.push_str(&format!("note: {}\n", super::remedy::advice(note)));
    }
    out
}

#[allow(
    clippy::print_stderr,
    reason = "a dry run prints only the CreateJob input on standard output; the review goes to standard error"
)]
fn review_to_stderr(plan: &BatchPlan, names: &KmsNames) {
    eprint!("{}", review(plan, names));
}
