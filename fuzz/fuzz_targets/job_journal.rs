//! Fuzzes the reading of a stored job (`jobs/<id>/`): the `journal.jsonl` lines a crash may
//! have torn or a person edited, and the `plan.json` and `objects.json` it is resumed from,
//! then what is worked out of them (the plan's summary, the report, the job's state). None
//! may panic: bad files are errors.
#![no_main]

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use s3seal::jobs::plan::{Plan, PlannedObject};
use s3seal::jobs::store::{read_journal, report, state_of};

#[derive(Debug, Arbitrary)]
struct Input {
    journal: Vec<u8>,
    /// Which of the sample plans to start from (or none: the journal alone).
    plan: Option<(u8, Vec<u8>)>,
    objects: Vec<u8>,
}

const PLANS: &[&str] = &[include_str!("../samples/plan.json")];
const OBJECTS: &str = include_str!("../samples/objects.json");

fuzz_target!(|input: Input| {
    let path = std::path::Path::new("journal.jsonl");
    let Ok(journal) = read_journal(input.journal.as_slice(), path) else {
        return;
    };
    let _ = state_of(&journal, false);
    let Some((which, edit)) = &input.plan else {
        return;
    };
    // A sample plan, or the fuzzer's own text when it is not empty.
    let text = if edit.is_empty() {
        PLANS[usize::from(*which) % PLANS.len()].as_bytes()
    } else {
        edit.as_slice()
    };
    let Ok(mut plan) = serde_json::from_slice::<Plan>(text) else {
        return;
    };
    let objects = if input.objects.is_empty() {
        OBJECTS.as_bytes()
    } else {
        input.objects.as_slice()
    };
    let Ok(objects) = serde_json::from_slice::<Vec<PlannedObject>>(objects) else {
        return;
    };
    plan.objects = objects;
    plan.summarize();
    let _ = plan.rows();
    let _ = report(&plan, &journal);
});
