//! Jobs on disk, in the config dir (`jobs/<id>/`), so a quit, a crash, a SIGKILL or a reboot
//! loses nothing and no object is processed twice:
//!
//! - `plan.json` and `objects.json`: the plan, written once, atomically (the job's directory
//!   appears complete or not at all);
//! - `journal.jsonl`: one line per event, appended by one writer thread. A `start` line is on
//!   disk (fsynced) before the object's request is sent; its `end` line follows with the next
//!   batch. So after a crash every object is either ended (its outcome known), started but not
//!   ended (its request may or may not have taken effect: the runner looks at the object before
//!   doing anything), or never started;
//! - `lock`: held (flock) by the process running the job, which is how "running" is told from
//!   "interrupted"; it holds that process's id, for the refusal of a second run;
//! - `cancel`: asks the process running the job to stop for good.
//!
//! The journal's writer is in `journal.rs`.

use std::collections::{BTreeSet, HashMap};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, BufWriter, Write as _};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::journal::Journal;
use super::method::Method;
use super::plan::{Plan, PlannedObject, now_rfc3339};
use super::report::{EncryptionState, Report, ReportRow, ReportSummary, RowStatus};
use crate::durable::{create_private_dir, sync_dir};
use crate::error::{Error, Result};
use crate::remedy::Advice;

const PLAN_FILE: &str = "plan.json";
const OBJECTS_FILE: &str = "objects.json";
pub(super) const JOURNAL_FILE: &str = "journal.jsonl";
const LOCK_FILE: &str = "lock";
const CANCEL_FILE: &str = "cancel";

/// A fresh job id: the UTC time and four random hex digits (`20261201-213455-9f3a`), so ids
/// sort by age and are easy to type.
pub fn new_job_id() -> Result<String> {
    let now = time::OffsetDateTime::now_utc();
    let mut random = [0u8; 2];
    getrandom::fill(&mut random).map_err(|e| Error::Random(e.to_string()))?;
    Ok(format!(
        "{:04}{:02}{:02}-{:02}{:02}{:02}-{}",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second(),
        hex::encode(random)
    ))
}

/// Where a job is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum JobState {
    /// A process is running it now.
    Running,
    /// Stopped before the end (a quit, Ctrl-C, a crash): it can be resumed.
    Interrupted,
    /// Every object was handled.
    Done,
    /// Stopped for good by the person.
    Cancelled,
}

impl JobState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Interrupted => "interrupted",
            Self::Done => "done",
            Self::Cancelled => "cancelled",
        }
    }
}

/// A job as `jobs list` shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct JobListing {
    pub id: String,
    pub state: JobState,
    /// Objects with an outcome (skipped ones included).
    pub done: u64,
    pub total: u64,
    pub created: String,
    pub bucket: String,
    pub prefix: String,
    /// The target encryption, as a report label.
    pub target: String,
}

/// One line of the journal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "kebab-case")]
pub enum Entry {
    /// A run (the first, or a resume) began.
    Run {
        at: String,
    },
    /// Object `i` (its index in the plan) is about to be sent.
    Start {
        i: usize,
    },
    /// Object `i` has an outcome.
    End {
        i: usize,
        outcome: Outcome,
    },
    /// Something that applies to the rest of the job (e.g. a fallback to copies).
    Note {
        text: String,
    },
    Finished {
        at: String,
    },
    Cancelled {
        at: String,
    },
}

/// How one object ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    pub status: RowStatus,
    pub after: Option<EncryptionState>,
    pub message: Option<String>,
    /// The method used, when it is not the planned one (a copy after UpdateObjectEncryption
    /// turned out not to be implemented).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<Method>,
}

/// What the journal says so far.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JournalState {
    pub ended: HashMap<usize, Outcome>,
    /// Started and not ended: in flight when the last run stopped.
    pub in_flight: BTreeSet<usize>,
    pub notes: Vec<String>,
    pub finished: bool,
    pub cancelled: bool,
    pub runs: u64,
}

impl JournalState {
    fn apply(&mut self, entry: Entry) {
        match entry {
            Entry::Run { .. } => self.runs += 1,
            Entry::Start { i } => {
                if !self.ended.contains_key(&i) {
                    self.in_flight.insert(i);
                }
            }
            Entry::End { i, outcome } => {
                self.in_flight.remove(&i);
                self.ended.insert(i, outcome);
            }
            Entry::Note { text } => self.notes.push(text),
            Entry::Finished { .. } => self.finished = true,
            Entry::Cancelled { .. } => self.cancelled = true,
        }
    }
}

/// The jobs directory.
#[derive(Clone, Debug)]
pub struct JobStore {
    root: PathBuf,
}

impl JobStore {
    /// Jobs kept under `<config_dir>/jobs`.
    pub fn new(config_dir: &Path) -> Self {
        Self {
            root: config_dir.join("jobs"),
        }
    }

    /// The store in the default config dir (`S3SEAL_CONFIG_DIR` overrides it).
    pub fn open_default() -> Result<Self> {
        Ok(Self::new(&crate::keys::KeyManager::default_config_dir()?))
    }

    /// The config dir the jobs directory is in.
    pub fn config_dir(&self) -> Option<&Path> {
        self.root.parent()
    }

    fn dir(&self, id: &str) -> Result<PathBuf> {
        if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(Error::InvalidInput(format!(
                "'{id}' is not a job id (they look like 20261201-213455-9f3a)"
            )));
        }
        let dir = self.root.join(id);
        if !dir.join(PLAN_FILE).is_file() {
            return Err(Error::NotFound {
                what: format!("job {id}"),
            });
        }
        Ok(dir)
    }

    /// Stores `plan` as a new job: its directory appears whole, or not at all.
    pub fn create(&self, plan: &Plan) -> Result<()> {
        create_private_dir(&self.root)
            .map_err(|e| Error::io("cannot create the jobs directory", &self.root, e))?;
        let dest = self.root.join(&plan.id);
        if dest.exists() {
            return Err(Error::Conflict {
                what: format!("job {} (stored already)", plan.id),
            });
        }
        let staging = tempfile::Builder::new()
            .prefix(&format!(".{}.", plan.id))
            .tempdir_in(&self.root)
            .map_err(|e| Error::io("cannot create a job directory in", &self.root, e))?;
        write_synced(&staging.path().join(PLAN_FILE), |w| {
            serde_json::to_writer_pretty(w, plan)
        })?;
        write_synced(&staging.path().join(OBJECTS_FILE), |w| {
            serde_json::to_writer(w, &plan.objects)
        })?;
        write_synced(&staging.path().join(JOURNAL_FILE), |_| Ok(()))?;
        sync_dir(staging.path());
        let staged = staging.keep();
        if let Err(e) = std::fs::rename(&staged, &dest) {
            let _ = std::fs::remove_dir_all(&staged);
            return Err(Error::io("cannot store job", &dest, e));
        }
        sync_dir(&self.root);
        Ok(())
    }

    /// The plan of job `id`, with its objects and summary.
    pub fn load(&self, id: &str) -> Result<Plan> {
        let dir = self.dir(id)?;
        let mut plan: Plan = read_json(&dir.join(PLAN_FILE))?;
        plan.objects = read_json::<Vec<PlannedObject>>(&dir.join(OBJECTS_FILE))?;
        plan.summarize();
        Ok(plan)
    }

    /// What the journal of job `id` holds. A torn last line (a crash mid-write) is ignored.
    pub fn journal(&self, id: &str) -> Result<JournalState> {
        let path = self.dir(id)?.join(JOURNAL_FILE);
        let file = File::open(&path).map_err(|e| Error::io("cannot read", &path, e))?;
        read_journal(BufReader::new(file), &path)
    }

    /// Whether a process holds job `id`'s lock, i.e. is running it.
    fn is_running(&self, dir: &Path) -> bool {
        let Ok(file) = File::open(dir.join(LOCK_FILE)) else {
            return false;
        };
        match file.try_lock() {
            Ok(()) => {
                let _ = file.unlock();
                false
            }
            Err(std::fs::TryLockError::WouldBlock) => true,
            Err(std::fs::TryLockError::Error(_)) => false,
        }
    }

    /// The state of job `id`.
    pub fn state(&self, id: &str) -> Result<JobState> {
        let dir = self.dir(id)?;
        let journal = self.journal(id)?;
        Ok(state_of(&journal, self.is_running(&dir)))
    }

    /// Every job, newest first.
    pub fn list(&self) -> Result<Vec<JobListing>> {
        let entries = match std::fs::read_dir(&self.root) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(Error::io("cannot read", &self.root, e)),
        };
        let mut out = Vec::new();
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') || !entry.path().join(PLAN_FILE).is_file() {
                continue;
            }
            let plan: Plan = read_json(&entry.path().join(PLAN_FILE))?;
            let journal = self.journal(&name)?;
            out.push(JobListing {
                state: state_of(&journal, self.is_running(&entry.path())),
                done: plan.planning.skipped + journal.ended.len() as u64,
                total: plan.planning.selected,
                created: plan.created.clone(),
                bucket: plan.bucket.clone(),
                prefix: plan.prefix.clone(),
                target: plan.target.state().to_string(),
                id: name,
            });
        }
        out.sort_by(|a, b| b.id.cmp(&a.id));
        Ok(out)
    }

    /// The report of job `id` as it stands: every planned object, with its outcome where it has
    /// one and `pending` where not.
    pub fn report(&self, id: &str) -> Result<Report> {
        let plan = self.load(id)?;
        let journal = self.journal(id)?;
        Ok(report(&plan, &journal))
    }

    /// Asks job `id` to stop for good: the process running it stops after the objects in
    /// flight; a job nobody runs is marked cancelled now. Returns the state it had.
    pub fn cancel(&self, id: &str) -> Result<JobState> {
        let dir = self.dir(id)?;
        let state = self.state(id)?;
        match state {
            JobState::Running => {
                write_synced(&dir.join(CANCEL_FILE), |_| Ok(()))?;
            }
            JobState::Interrupted => {
                let lock = self.lock(id)?;
                let mut journal = Journal::open(&dir, lock)?;
                journal.append_now(&Entry::Cancelled { at: now_rfc3339() })?;
            }
            JobState::Done | JobState::Cancelled => {}
        }
        Ok(state)
    }

    /// Whether someone asked job `id` (run by this process) to stop for good.
    pub fn cancel_requested(&self, id: &str) -> bool {
        self.root.join(id).join(CANCEL_FILE).exists()
    }

    /// Takes job `id`'s lock, so no other process runs it meanwhile, and records this process's
    /// id in the lock file so that a refused run can say which process holds it.
    pub fn lock(&self, id: &str) -> Result<JobLock> {
        let dir = self.dir(id)?;
        let path = dir.join(LOCK_FILE);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| Error::io("cannot open", &path, e))?;
        match file.try_lock() {
            Ok(()) => {
                record_pid(&file);
                Ok(JobLock { _file: file, dir })
            }
            Err(std::fs::TryLockError::WouldBlock) => Err(Error::JobRunning {
                id: id.to_owned(),
                pid: holder_pid(&path),
            }),
            Err(std::fs::TryLockError::Error(e)) => Err(Error::io("cannot lock", &path, e)),
        }
    }
}

/// Writes this process's id into the lock file just taken. Only words depend on it, so a
/// failure is logged, not returned.
fn record_pid(mut file: &File) {
    let written = file
        .set_len(0)
        .and_then(|()| write!(file, "{}", std::process::id()));
    if let Err(err) = written {
        tracing::debug!(error = %err, "could not record the pid in the job's lock file");
    }
}

/// The id of the running process that holds the lock at `path`, as it recorded it. Just after
/// it took the lock the file may still be empty or name the process before it: read again a
/// few times, briefly.
fn holder_pid(path: &Path) -> Option<u32> {
    for _ in 0..10 {
        let pid = std::fs::read_to_string(path)
            .ok()
            .and_then(|text| text.trim().parse::<u32>().ok())
            .filter(|pid| crate::transfer::process_runs(*pid));
        if pid.is_some() {
            return pid;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    None
}

/// Held while a process runs a job; dropping it (or the process dying) releases the job.
#[derive(Debug)]
pub struct JobLock {
    _file: File,
    pub(super) dir: PathBuf,
}

/// What the journal text `reader` (read from `path`, named in errors) says. A torn last line
/// (a crash mid-write) is ignored; a damaged line before it is an error.
pub fn read_journal(reader: impl BufRead, path: &Path) -> Result<JournalState> {
    let mut state = JournalState::default();
    let mut lines = reader.lines().peekable();
    while let Some(line) = lines.next() {
        let line = line.map_err(|e| Error::io("cannot read", path, e))?;
        match serde_json::from_str::<Entry>(&line) {
            Ok(entry) => state.apply(entry),
            Err(_) if lines.peek().is_none() => break,
            Err(e) => {
                return Err(Error::InvalidInput(format!(
                    "the journal {} is damaged ({e}); the job cannot be resumed safely",
                    path.display()
                )));
            }
        }
    }
    Ok(state)
}

/// The state of a job whose journal says `journal`, `running` when a process holds its lock.
pub fn state_of(journal: &JournalState, running: bool) -> JobState {
    if journal.cancelled {
        JobState::Cancelled
    } else if journal.finished {
        JobState::Done
    } else if running {
        JobState::Running
    } else {
        JobState::Interrupted
    }
}

/// The report of `plan` given what `journal` says.
pub fn report(plan: &Plan, journal: &JournalState) -> Report {
    let rows: Vec<ReportRow> = plan
        .objects
        .iter()
        .enumerate()
        .map(|(i, object)| {
            let mut row = object.row(&plan.bucket);
            if let Some(outcome) = journal.ended.get(&i) {
                row.status = outcome.status;
                row.after = outcome.after.clone();
                // The plan's note (why a copy and not UpdateObjectEncryption) stays, before
                // whatever the run adds.
                row.message = match (row.message.take(), &outcome.message) {
                    (Some(planned), Some(ran)) => Some(format!("{planned}; {ran}")),
                    (planned, ran) => ran.clone().or(planned),
                };
                if let Some(method) = outcome.method {
                    row.method = method;
                }
            }
            row
        })
        .collect();
    let mut notes = plan.summary.notes.clone();
    notes.extend(journal.notes.iter().map(Advice::note));
    Report {
        job_id: plan.id.clone(),
        bucket: plan.bucket.clone(),
        prefix: plan.prefix.clone(),
        target: plan.target.state(),
        notes,
        summary: ReportSummary::of(&rows),
        rows,
    }
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T> {
    let file = File::open(path).map_err(|e| Error::io("cannot read", path, e))?;
    serde_json::from_reader(BufReader::new(file))
        .map_err(|e| Error::InvalidInput(format!("{} is damaged ({e})", path.display())))
}

/// Creates `path` with what `write` puts in it, flushed and fsynced.
fn write_synced(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<&File>) -> serde_json::Result<()>,
) -> Result<()> {
    let file = File::create(path).map_err(|e| Error::io("cannot create", path, e))?;
    let mut out = BufWriter::new(&file);
    write(&mut out).map_err(|e| Error::io("cannot write", path, std::io::Error::other(e)))?;
    out.flush()
        .map_err(|e| Error::io("cannot write", path, e))?;
    drop(out);
    file.sync_all()
        .map_err(|e| Error::io("cannot write", path, e))
}

#[cfg(test)]
#[path = "store_tests.rs"]
mod tests;
