//! SIGKILL of a bulk re-encryption job (`rekey s3://B/P/ --recursive`) at seeded points of its
//! progress, then `jobs resume`: the job must end done, every object in the target encryption
//! and reading back whole, and no object copied twice — the bucket keeps versions, so every key
//! must hold exactly two (the original and one re-encrypted copy).

use std::cell::Cell;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use super::cases::kill_points;
use super::matrix::{Case, Report};
use super::proxy::Proxy;
use super::run::run;
use super::scene::{Mode, RUN_TIMEOUT, Scene};

/// Objects per job: enough that a kill lands mid-job at one object at a time.
const OBJECTS: usize = 30;
/// Bytes per second through the proxy during the first run: a few requests a second.
const RATE: u64 = 30_000;

/// The job cases of the matrix, their kill points drawn from `seed`.
pub fn bulk_job_cases(seed: u64) -> Vec<Case> {
    let at = kill_points(seed ^ 0x10b5, 3);
    vec![
        job_kill_case(
            "rekey-recursive-sse-s3-to-sse-kms-sigkill",
            Mode::SseS3,
            Mode::SseKms,
            at[0],
        ),
        job_kill_case(
            "rekey-recursive-sse-c-to-sse-s3-sigkill",
            Mode::SseC,
            Mode::SseS3,
            at[1],
        ),
        job_kill_case(
            "rekey-recursive-client-rewrap-sigkill",
            Mode::Client,
            Mode::Client,
            at[2],
        ),
    ]
}

/// A job of [`OBJECTS`] objects stored in `from`, re-encrypted to `to` (a client target is a
/// second client key: the data keys are re-wrapped), killed once `at` of the objects are done.
fn job_kill_case(name: &str, from: Mode, to: Mode, at: f64) -> Case {
    Case::new(name, move |ctx| {
        let scene = Scene::new(ctx, "kill-job");
        ctx.rt
            .block_on(
                ctx.conn
                    .s3()
                    .put_bucket_versioning()
                    .bucket(&scene.bucket)
                    .versioning_configuration(
                        aws_sdk_s3::types::VersioningConfiguration::builder()
                            .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
                            .build(),
                    )
                    .send(),
            )
            .unwrap();
        let (path, data) = scene.file("src.bin", 4096);
        for i in 0..OBJECTS {
            scene.put_direct(&path, &format!("p/obj-{i:03}"), from);
        }
        let target: Vec<String> = match to {
            Mode::Client => {
                scene.ok(&["keys", "new", "fault-client2", "--kind", "client"]);
                ["--encryption", "client", "--key", "fault-client2"]
                    .map(str::to_owned)
                    .to_vec()
            }
            other => scene.mode_args(other),
        };
        let prefix = scene.uri("p/");
        // Through a throttled proxy, so that the kill lands mid-job; the job is resumed through
        // the same endpoint (a job runs where it was planned), at full speed.
        let proxy = Proxy::start(ctx.port, Vec::new(), Some(RATE));
        if from == Mode::SseC {
            scene.home_at(&proxy.endpoint(), "fault-ssec");
        }
        let mut job = scene.cmd(&proxy.endpoint());
        job.args(["rekey", &prefix, "--recursive", "--concurrency", "1"])
            .args(&target);
        let threshold = ((OBJECTS as f64 * at) as u64).max(1);
        let last_look = Cell::new(Instant::now());
        let reached = Cell::new(0u64);
        let cond = || {
            // `jobs list` is a process of its own: looked at a few times a second.
            if last_look.get().elapsed() < Duration::from_millis(100) {
                return false;
            }
            last_look.set(Instant::now());
            let done = jobs(&scene)
                .first()
                .and_then(|j| j["done"].as_u64())
                .unwrap_or(0);
            reached.set(done);
            done >= threshold
        };
        let ran = run(&mut job, RUN_TIMEOUT, Some(&cond));
        if !ran.killed {
            return Report::failed(format!(
                "it ended before the kill point: {}",
                ran.describe()
            ));
        }
        let listed = jobs(&scene);
        let Some(id) = listed
            .first()
            .and_then(|j| j["id"].as_str())
            .map(str::to_owned)
        else {
            return Report::failed("the killed job is not listed");
        };
        if listed[0]["state"] != "interrupted" {
            return Report::failed(format!("the killed job is listed as {}", listed[0]));
        }
        proxy.heal();
        let again = run(
            scene.cmd(&proxy.endpoint()).args(["jobs", "resume", &id]),
            RUN_TIMEOUT,
            None,
        );
        let mut report = if !again.ok() {
            Report::failed(format!("jobs resume failed: {}", again.describe()))
        } else {
            match (jobs(&scene).first(), copies_per_key(&scene)) {
                (Some(job), _) if job["state"] != "done" => {
                    Report::failed(format!("after resume the job is {job}"))
                }
                (_, copies) if copies.len() != OBJECTS || copies.values().any(|n| *n != 2) => {
                    Report::failed(format!(
                        "not every object was copied exactly once (versions per key): {copies:?}"
                    ))
                }
                _ => Report::survived(),
            }
        };
        report.note = Some(format!(
            "killed with {} of {OBJECTS} objects done",
            reached.get()
        ));
        // Every object reads back whole, in the target encryption.
        let audit: serde_json::Value =
            serde_json::from_str(&scene.ok(&["audit", &prefix, "--json", "--no-cache"]))
                .unwrap_or_default();
        let in_target = audit["by_mode"][to.name()].as_u64().unwrap_or(0);
        let whole = (0..OBJECTS).all(|i| scene.object_is(&format!("p/obj-{i:03}"), &data));
        report.corrupt = !whole || in_target != OBJECTS as u64;
        if in_target != OBJECTS as u64 {
            report.note = Some(format!(
                "{}; {in_target} of {OBJECTS} in {} afterwards: {}",
                report.note.unwrap_or_default(),
                to.name(),
                audit["by_mode"]
            ));
        }
        report.orphans = scene.orphans();
        report
    })
}

/// `jobs list --json` of the scene's config dir.
fn jobs(scene: &Scene) -> Vec<serde_json::Value> {
    let ran = run(
        scene.direct().args(["jobs", "list", "--json"]),
        RUN_TIMEOUT,
        None,
    );
    serde_json::from_str::<serde_json::Value>(&ran.stdout)
        .ok()
        .and_then(|v| v.as_array().cloned())
        .unwrap_or_default()
}

/// How many versions each key under `p/` holds.
fn copies_per_key(scene: &Scene) -> BTreeMap<String, usize> {
    let listed = scene
        .ctx
        .rt
        .block_on(
            scene
                .ctx
                .conn
                .s3()
                .list_object_versions()
                .bucket(&scene.bucket)
                .prefix("p/")
                .send(),
        )
        .unwrap();
    let mut copies = BTreeMap::new();
    for version in listed.versions() {
        *copies
            .entry(version.key().unwrap_or_default().to_owned())
            .or_default() += 1;
    }
    copies
}
