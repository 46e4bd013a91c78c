//! Unit tests of `store.rs`.
use super::*;
use crate::jobs::journal::Journal;
use crate::jobs::plan::tests::sample;

fn ended(status: RowStatus) -> Outcome {
    Outcome {
        status,
        after: None,
        message: Some("m".into()),
        method: None,
    }
}

#[tokio::test]
async fn a_job_is_stored_whole_and_its_journal_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let store = JobStore::new(dir.path());
    let plan = sample("20260101-000000-aaaa", 3);
    store.create(&plan).unwrap();
    assert!(store.create(&plan).is_err(), "an id is stored once");
    let loaded = store.load(&plan.id).unwrap();
    assert_eq!(loaded.objects, plan.objects);
    assert_eq!(loaded.summary, plan.summary);
    assert_eq!(store.state(&plan.id).unwrap(), JobState::Interrupted);

    let journal = Journal::writer(store.lock(&plan.id).unwrap()).unwrap();
    // While it is held, the job is running and nobody else may take it.
    assert_eq!(store.state(&plan.id).unwrap(), JobState::Running);
    assert!(matches!(
        store.lock(&plan.id),
        Err(Error::JobRunning { .. })
    ));
    journal
        .durable(Entry::Run { at: now_rfc3339() })
        .await
        .unwrap();
    journal.durable(Entry::Start { i: 0 }).await.unwrap();
    journal.durable(Entry::Start { i: 1 }).await.unwrap();
    journal
        .queue(Entry::End {
            i: 0,
            outcome: ended(RowStatus::Done),
        })
        .unwrap();
    journal.close().await.unwrap();

    let state = store.journal(&plan.id).unwrap();
    assert_eq!(state.ended.len(), 1);
    assert_eq!(state.in_flight, BTreeSet::from([1]));
    assert_eq!(store.state(&plan.id).unwrap(), JobState::Interrupted);
    let listed = store.list().unwrap();
    assert_eq!(
        (listed[0].done, listed[0].total),
        (2, 4),
        "one ended, one skipped by the plan"
    );
    let report = store.report(&plan.id).unwrap();
    assert_eq!(report.summary.count(RowStatus::Done), 1);
    assert_eq!(report.summary.count(RowStatus::Pending), 2);
    assert_eq!(report.summary.count(RowStatus::Skipped), 1);
}

#[test]
fn a_second_run_is_refused_naming_the_process_that_runs_the_job() {
    let dir = tempfile::tempdir().unwrap();
    let store = JobStore::new(dir.path());
    let plan = sample("20260101-000000-ffff", 1);
    store.create(&plan).unwrap();
    // A pid left by a run that is gone is replaced when the lock is taken.
    let lock_file = dir.path().join("jobs").join(&plan.id).join(LOCK_FILE);
    std::fs::write(&lock_file, "4294967295000").unwrap();
    let held = store.lock(&plan.id).unwrap();
    let err = store.lock(&plan.id).unwrap_err();
    let pid = std::process::id();
    match &err {
        Error::JobRunning {
            id,
            pid: Some(holder),
        } => {
            assert_eq!((id.as_str(), *holder), (plan.id.as_str(), pid));
        }
        other => panic!("expected JobRunning with this pid, got {other:?}"),
    }
    assert!(
        err.to_string()
            .contains(&format!("run right now by process {pid}")),
        "{err}"
    );
    assert_eq!(
        err.remedy(),
        Some(crate::remedy::Remedy::WaitForJob {
            id: plan.id.clone()
        })
    );
    // Released, it can be taken again.
    drop(held);
    drop(store.lock(&plan.id).unwrap());
}

#[test]
fn a_torn_last_line_is_ignored_and_damage_elsewhere_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = JobStore::new(dir.path());
    let plan = sample("20260101-000000-bbbb", 2);
    store.create(&plan).unwrap();
    let path = dir.path().join("jobs").join(&plan.id).join(JOURNAL_FILE);
    let line = serde_json::to_string(&Entry::End {
        i: 1,
        outcome: ended(RowStatus::Failed),
    })
    .unwrap();
    std::fs::write(&path, format!("{line}\n{{\"t\":\"end\",\"i\":0,\"outc")).unwrap();
    let state = store.journal(&plan.id).unwrap();
    assert_eq!(
        state.ended.len(),
        1,
        "the torn line (a crash mid-write) is left out"
    );
    std::fs::write(&path, format!("garbage\n{line}\n")).unwrap();
    assert!(store.journal(&plan.id).is_err());
}

#[tokio::test]
async fn cancelling_a_job_nobody_runs_marks_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = JobStore::new(dir.path());
    let plan = sample("20260101-000000-cccc", 1);
    store.create(&plan).unwrap();
    assert_eq!(store.cancel(&plan.id).unwrap(), JobState::Interrupted);
    assert_eq!(store.state(&plan.id).unwrap(), JobState::Cancelled);
    assert_eq!(store.cancel(&plan.id).unwrap(), JobState::Cancelled);
    // One that runs is asked through its cancel file.
    let other = sample("20260101-000000-dddd", 1);
    store.create(&other).unwrap();
    let _held = store.lock(&other.id).unwrap();
    assert_eq!(store.cancel(&other.id).unwrap(), JobState::Running);
    assert!(store.cancel_requested(&other.id));
}

#[test]
fn ids_cannot_leave_the_jobs_directory() {
    let dir = tempfile::tempdir().unwrap();
    let store = JobStore::new(dir.path());
    for bad in ["../x", "a/b", "", "."] {
        assert!(
            matches!(store.load(bad), Err(Error::InvalidInput(_))),
            "{bad}"
        );
    }
    assert!(matches!(
        store.load("20260101-000000-eeee"),
        Err(Error::NotFound { .. })
    ));
    let id = new_job_id().unwrap();
    assert_eq!(id.len(), "20260101-000000-eeee".len(), "{id}");
}
