//! Following Batch Operations jobs through S3 Control: create (with the plan's token), list,
//! describe, confirm (Suspended → Ready) and cancel — each answer in plain data for both front
//! ends.

use aws_sdk_s3control::types::{JobDescriptor, JobStatus, RequestedJobStatus};
use serde::Serialize;

use super::plan::Submitted;
use super::spec::JobSpec;
use crate::error::{Error, Result};
use crate::s3::Connection;
use crate::s3::errors::from_sdk;
use crate::s3::listing::datetime_string;

/// A job as ListJobs or DescribeJob reports it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct JobInfo {
    pub id: String,
    /// `New`, `Preparing`, `Suspended` (waiting for confirmation), `Ready`, `Active`,
    /// `Complete`, `Failed`, `Cancelled`, …
    pub status: String,
    pub description: Option<String>,
    /// `S3UpdateObjectEncryption`, `S3PutObjectCopy`, …
    pub operation: Option<String>,
    pub created: Option<String>,
    pub finished: Option<String>,
    /// Objects S3 found (known once the job is prepared).
    pub total: Option<i64>,
    pub succeeded: Option<i64>,
    pub failed: Option<i64>,
    /// Why the job failed or is suspended.
    pub failure_reasons: Vec<String>,
    pub status_reason: Option<String>,
    /// `s3://BUCKET/PREFIX` of the completion report.
    pub report: Option<String>,
    pub confirmation_required: Option<bool>,
}

impl JobInfo {
    /// Whether the job waits for `confirm`.
    pub fn awaits_confirmation(&self) -> bool {
        self.status == JobStatus::Suspended.as_str()
    }

    /// Whether the job has ended (its completion report, if any, is written).
    pub fn finished(&self) -> bool {
        ["Complete", "Failed", "Cancelled"].contains(&self.status.as_str())
    }
}

fn describe(job: &JobDescriptor) -> JobInfo {
    let progress = job.progress_summary();
    JobInfo {
        id: job.job_id().unwrap_or_default().to_owned(),
        status: job
            .status()
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default(),
        description: job.description().map(str::to_owned),
        operation: job.operation().and_then(operation_name),
        created: job.creation_time().map(datetime_string),
        finished: job.termination_date().map(datetime_string),
        total: progress.and_then(|p| p.total_number_of_tasks()),
        succeeded: progress.and_then(|p| p.number_of_tasks_succeeded()),
        failed: progress.and_then(|p| p.number_of_tasks_failed()),
        failure_reasons: job
            .failure_reasons()
            .iter()
            .map(|f| {
                format!(
                    "{}: {}",
                    f.failure_code().unwrap_or("?"),
                    f.failure_reason().unwrap_or("")
                )
            })
            .collect(),
        status_reason: job
            .status_update_reason()
            .or(job.suspended_cause())
            .map(str::to_owned),
        report: job.report().filter(|r| r.enabled()).map(|r| {
            format!(
                "s3://{}/{}",
                crate::s3::inventory::config::bucket_of_arn(r.bucket().unwrap_or_default()),
                r.prefix().unwrap_or_default()
            )
        }),
        confirmation_required: job.confirmation_required(),
    }
}

fn operation_name(op: &aws_sdk_s3control::types::JobOperation) -> Option<String> {
    if op.s3_update_object_encryption().is_some() {
        Some("S3UpdateObjectEncryption".to_owned())
    } else if op.s3_put_object_copy().is_some() {
        Some("S3PutObjectCopy".to_owned())
    } else {
        None
    }
}

/// Sends CreateJob for `spec`, with its content-derived client request token.
pub async fn create_job(conn: &Connection, spec: &JobSpec) -> Result<Submitted> {
    let parts = spec.sdk_parts()?;
    let token = spec.client_request_token()?;
    let out = conn
        .control()
        .create_job()
        .account_id(&spec.account_id)
        .confirmation_required(true)
        .operation(parts.operation)
        .report(parts.report)
        .set_manifest(parts.manifest)
        .set_manifest_generator(parts.generator)
        .client_request_token(&token)
        .description(&spec.description)
        .priority(super::spec::PRIORITY)
        .role_arn(&spec.role_arn)
        .send()
        .await
        .map_err(|e| from_sdk("CreateJob", e))?;
    Ok(Submitted {
        job_id: out
            .job_id()
            .map(str::to_owned)
            .ok_or_else(|| Error::Internal("CreateJob answered without a job id".to_owned()))?,
        client_request_token: token,
    })
}

/// The account's jobs (current ones and those ended in the last 90 days), newest first.
pub async fn list_jobs(conn: &Connection, account_id: &str) -> Result<Vec<JobInfo>> {
    let mut jobs = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let out = conn
            .control()
            .list_jobs()
            .account_id(account_id)
            .set_next_token(token.take())
            .max_results(100)
            .send()
            .await
            .map_err(|e| from_sdk("ListJobs", e))?;
        for j in out.jobs() {
            let progress = j.progress_summary();
            jobs.push(JobInfo {
                id: j.job_id().unwrap_or_default().to_owned(),
                status: j
                    .status()
                    .map(|s| s.as_str().to_owned())
                    .unwrap_or_default(),
                description: j.description().map(str::to_owned),
                operation: j.operation().map(|o| o.as_str().to_owned()),
                created: j.creation_time().map(datetime_string),
                finished: j.termination_date().map(datetime_string),
                total: progress.and_then(|p| p.total_number_of_tasks()),
                succeeded: progress.and_then(|p| p.number_of_tasks_succeeded()),
                failed: progress.and_then(|p| p.number_of_tasks_failed()),
                ..JobInfo::default()
            });
        }
        match out.next_token() {
            Some(next) if !next.is_empty() => token = Some(next.to_owned()),
            _ => break,
        }
    }
    jobs.sort_by(|a, b| b.created.cmp(&a.created));
    Ok(jobs)
}

/// One job in detail.
pub async fn show_job(conn: &Connection, account_id: &str, job_id: &str) -> Result<JobInfo> {
    Ok(describe(&descriptor(conn, account_id, job_id).await?))
}

/// The job's descriptor as S3 gives it (for the completion report's location and operation).
pub(super) async fn descriptor(
    conn: &Connection,
    account_id: &str,
    job_id: &str,
) -> Result<JobDescriptor> {
    let out = conn
        .control()
        .describe_job()
        .account_id(account_id)
        .job_id(job_id)
        .send()
        .await
        .map_err(|e| job_error("DescribeJob", job_id, e))?;
    out.job()
        .cloned()
        .ok_or_else(|| Error::Internal("DescribeJob answered without the job".to_owned()))
}

/// What confirm or cancel left the job as.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StatusChange {
    pub id: String,
    pub status: String,
    pub reason: Option<String>,
}

async fn update_status(
    conn: &Connection,
    account_id: &str,
    job_id: &str,
    requested: RequestedJobStatus,
    reason: &str,
) -> Result<StatusChange> {
    let out = conn
        .control()
        .update_job_status()
        .account_id(account_id)
        .job_id(job_id)
        .requested_job_status(requested)
        .status_update_reason(reason)
        .send()
        .await
        .map_err(|e| job_error("UpdateJobStatus", job_id, e))?;
    Ok(StatusChange {
        id: out.job_id().unwrap_or(job_id).to_owned(),
        status: out
            .status()
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default(),
        reason: out.status_update_reason().map(str::to_owned),
    })
}

/// Lets a job that waits for confirmation run.
pub async fn confirm_job(
    conn: &Connection,
    account_id: &str,
    job_id: &str,
) -> Result<StatusChange> {
    update_status(
        conn,
        account_id,
        job_id,
        RequestedJobStatus::Ready,
        "confirmed with s3seal",
    )
    .await
}

/// Cancels a job (tasks already done stay done).
pub async fn cancel_job(conn: &Connection, account_id: &str, job_id: &str) -> Result<StatusChange> {
    update_status(
        conn,
        account_id,
        job_id,
        RequestedJobStatus::Cancelled,
        "cancelled with s3seal",
    )
    .await
}

/// S3 Control's job errors in words: an unknown job, or a status that does not allow it.
fn job_error<E, R>(
    operation: &'static str,
    job_id: &str,
    err: aws_sdk_s3control::error::SdkError<E, R>,
) -> Error
where
    E: aws_sdk_s3control::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: crate::s3::errors::HttpStatus + std::fmt::Debug + Send + Sync + 'static,
{
    match from_sdk(operation, err) {
        Error::Service { code, message, .. } if code == "NotFoundException" => Error::NotFound {
            what: format!("Batch Operations job {job_id} ({message})"),
        },
        Error::KmsKey { code, message, .. } if code == "NotFoundException" => Error::NotFound {
            what: format!("Batch Operations job {job_id} ({message})"),
        },
        Error::Service { code, message, .. } if code == "JobStatusException" => {
            Error::Unsupported(format!(
                "Batch Operations job {job_id} cannot do that in its current status: {message}"
            ))
        }
        other => other,
    }
}
