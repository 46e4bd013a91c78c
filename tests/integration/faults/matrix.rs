//! The fault matrix: every case ends as `survived` (a correct result, after the same command
//! ran again where the fault interrupted it), `clear error` (one line saying what went wrong,
//! and the same command, run again without the fault, finishes correctly) or `FAILED`; and
//! each is checked for corrupt results, partial or plaintext files left behind, and incomplete
//! uploads still open after the next run. One line per case, then the totals.

use std::time::Instant;

use super::scene::Ctx;

/// How a case ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Survived,
    ClearError(String),
    Failed(String),
}

/// What a case found.
#[derive(Clone, Debug)]
pub struct Report {
    pub outcome: Outcome,
    /// The object (or downloaded file) did not hold the bytes it should.
    pub corrupt: bool,
    /// Partial or plaintext files, or journal entries, left behind.
    pub leftovers: Vec<String>,
    /// Incomplete multipart uploads still open after the next run.
    pub orphans: usize,
    /// A figure or remark worth printing.
    pub note: Option<String>,
}

impl Report {
    pub fn survived() -> Self {
        Self {
            outcome: Outcome::Survived,
            corrupt: false,
            leftovers: Vec::new(),
            orphans: 0,
            note: None,
        }
    }

    pub fn clear(message: String) -> Self {
        Self {
            outcome: Outcome::ClearError(message),
            ..Self::survived()
        }
    }

    pub fn failed(why: impl Into<String>) -> Self {
        Self {
            outcome: Outcome::Failed(why.into()),
            ..Self::survived()
        }
    }

    /// The outcome once the checks are counted: any corruption, leftover or orphan fails it.
    pub fn verdict(&self) -> Outcome {
        if self.corrupt {
            return Outcome::Failed("corrupt result".to_owned());
        }
        if !self.leftovers.is_empty() {
            return Outcome::Failed(format!("left behind: {}", self.leftovers.join(", ")));
        }
        if self.orphans > 0 {
            return Outcome::Failed(format!(
                "{} incomplete upload(s) still open after the next run",
                self.orphans
            ));
        }
        self.outcome.clone()
    }
}

/// One case of the matrix.
pub struct Case {
    pub name: String,
    pub run: Box<dyn Fn(&Ctx) -> Report>,
}

impl Case {
    pub fn new(name: impl Into<String>, run: impl Fn(&Ctx) -> Report + 'static) -> Self {
        Self {
            name: name.into(),
            run: Box::new(run),
        }
    }
}

/// The counts the script and the closing note report.
#[derive(Debug, Default)]
pub struct Totals {
    pub run: usize,
    pub survived: usize,
    pub clear: usize,
    pub failed: usize,
    pub corrupt: usize,
    pub leftovers: usize,
    pub orphans: usize,
    pub failed_names: Vec<String>,
}

/// Runs every case in order, printing one line each and the totals.
/// With `S3SEAL_FAULTS_ONLY=TEXT[,TEXT…]` only the cases whose name contains one of them run.
pub fn run_all(ctx: &Ctx, cases: Vec<Case>) -> Totals {
    let only = std::env::var("S3SEAL_FAULTS_ONLY").unwrap_or_default();
    let wanted = |name: &str| only.is_empty() || only.split(',').any(|w| name.contains(w));
    let mut totals = Totals::default();
    for case in cases.into_iter().filter(|c| wanted(&c.name)) {
        let started = Instant::now();
        let report = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| (case.run)(ctx)))
            .unwrap_or_else(|panic| {
                let why = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_default();
                Report::failed(format!("the case itself broke: {why}"))
            });
        let secs = started.elapsed().as_secs_f64();
        totals.run += 1;
        totals.corrupt += usize::from(report.corrupt);
        totals.leftovers += report.leftovers.len();
        totals.orphans += report.orphans;
        let line = match report.verdict() {
            Outcome::Survived => {
                totals.survived += 1;
                "survived".to_owned()
            }
            Outcome::ClearError(message) => {
                totals.clear += 1;
                format!("clear error ({})", shorten(&message))
            }
            Outcome::Failed(why) => {
                totals.failed += 1;
                totals.failed_names.push(case.name.clone());
                format!("FAILED ({})", shorten(&why))
            }
        };
        let note = report.note.map(|n| format!(" — {n}")).unwrap_or_default();
        println!("{}: {line}{note} [{secs:.1} s]", case.name);
    }
    println!(
        "totals: {} cases run, {} completed correctly, {} failed cleanly, {} FAILED; corrupt results: {}; plaintext or partial files left: {}; orphaned uploads after the next run: {}",
        totals.run,
        totals.survived,
        totals.clear,
        totals.failed,
        totals.corrupt,
        totals.leftovers,
        totals.orphans
    );
    totals
}

fn shorten(text: &str) -> String {
    const MAX: usize = 220;
    let line = text.lines().next().unwrap_or("");
    if line.chars().count() <= MAX {
        line.to_owned()
    } else {
        format!("{}…", line.chars().take(MAX).collect::<String>())
    }
}
