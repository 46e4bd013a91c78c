//! The cases of the fault matrix, built from a few shapes: a put or a get through a faulty
//! endpoint (the TCP proxy, the HTTP peer, expiring credentials), SIGKILL of the binary at a
//! point of `put`, `get` or `rekey`. The machine around a transfer (credentials, keyring, disk)
//! is env_cases.rs; bulk jobs are job_cases.rs.

use std::time::{Duration, Instant};

use super::matrix::{Case, Report};
use super::peer::{self, Peer};
use super::proxy::{Action, Direction, Fault, Proxy};
use super::run::{Ran, run};
use super::scene::{Ctx, Mode, RUN_TIMEOUT, Scene, get, names_in, put};

pub const MIB: usize = 1024 * 1024;

/// What the first run goes through: an endpoint, the environment it needs, and whatever must
/// live until it ends (a proxy, a peer, a credentials endpoint).
pub struct Faulty {
    pub endpoint: String,
    pub env: Vec<(&'static str, Option<String>)>,
    pub note: Box<dyn Fn() -> Option<String>>,
    /// How many times the fault struck (a case whose fault never struck proves nothing).
    pub fired: Box<dyn Fn() -> usize>,
    /// Turns the fault off: the next run goes to the same endpoint (the transfer journal knows
    /// uploads by endpoint), as a person would run the same command again.
    pub heal: Box<dyn Fn()>,
    pub _keep: Vec<Box<dyn std::any::Any>>,
}

impl Faulty {
    fn apply(&self, cmd: &mut std::process::Command) {
        for (name, value) in &self.env {
            match value {
                Some(v) => cmd.env(name, v),
                None => cmd.env_remove(name),
            };
        }
    }
}

pub type Setup = Box<dyn Fn(&Ctx, &Scene<'_>) -> Faulty>;

/// The proxy with `faults` in front of LocalStack.
pub fn through_proxy(faults: Vec<Fault>) -> Setup {
    Box::new(move |ctx, _| {
        let proxy = std::rc::Rc::new(Proxy::start(ctx.port, faults.clone(), None));
        let (seen, healer) = (proxy.clone(), proxy.clone());
        Faulty {
            endpoint: proxy.endpoint(),
            env: Vec::new(),
            note: Box::new(move || Some(format!("{} fault(s) fired", seen.fired()))),
            fired: {
                let p = proxy.clone();
                Box::new(move || p.fired())
            },
            heal: Box::new(move || healer.heal()),
            _keep: vec![Box::new(proxy)],
        }
    })
}

/// The HTTPS peer with `plan` in front of LocalStack.
pub fn through_peer(plan: peer::Plan) -> Setup {
    Box::new(move |ctx, _| {
        let peer = std::rc::Rc::new(Peer::start(ctx.port, plan.clone()));
        let (seen, healer, counter) = (peer.clone(), peer.clone(), peer.clone());
        Faulty {
            endpoint: peer.endpoint(),
            env: Vec::new(),
            fired: Box::new(move || counter.struck()),
            heal: Box::new(move || healer.heal()),
            note: Box::new(move || {
                let s = &seen.stats;
                use std::sync::atomic::Ordering::SeqCst;
                Some(format!(
                    "{} fault answers, {} skewed, {} expired of {} requests",
                    s.faults.load(SeqCst),
                    s.skewed.load(SeqCst),
                    s.expired.load(SeqCst),
                    s.requests.load(SeqCst)
                ))
            }),
            _keep: vec![Box::new(peer)],
        }
    })
}

/// What a failed first run must say (one of these words), if anything in particular.
#[derive(Clone, Copy)]
pub enum Expect {
    /// Either outcome is fine as long as it is clean.
    Anything,
    /// The first run itself must end with the correct result (the fault is absorbed).
    Absorbed,
    /// It must fail, clearly, mentioning one of these.
    ClearError(&'static [&'static str]),
}

pub fn judge(ran: &Ran, expect: Expect) -> Result<Option<String>, String> {
    if ran.ok() {
        return match expect {
            Expect::ClearError(_) => Err("it succeeded where it should have refused".to_owned()),
            Expect::Anything | Expect::Absorbed => Ok(None),
        };
    }
    if let Expect::Absorbed = expect {
        return Err(format!(
            "it should have absorbed the fault: {}",
            ran.describe()
        ));
    }
    let Some(message) = ran.clear_error() else {
        return Err(format!("no clear message: {}", ran.describe()));
    };
    if let Expect::ClearError(words) = expect
        && !words.iter().any(|w| message.contains(w))
    {
        return Err(format!("unexpected message: {message}"));
    }
    Ok(Some(message))
}

/// A put of a `size`-byte file in `mode` through `setup`; if it fails, the same put straight
/// to LocalStack must then finish (continuing the upload where it can).
pub fn put_case(name: &str, mode: Mode, size: usize, setup: Setup, expect: Expect) -> Case {
    Case::new(name, move |ctx| {
        let scene = Scene::new(ctx, "put");
        scene.mode_args(mode);
        let (path, data) = scene.file("src.bin", size);
        let faulty = setup(ctx, &scene);
        let mut cmd = scene.cmd(&faulty.endpoint);
        cmd.arg("put").arg(&path).arg(scene.uri("obj"));
        cmd.args(scene.mode_args(mode));
        faulty.apply(&mut cmd);
        let ran = run(&mut cmd, RUN_TIMEOUT, None);
        let note = (faulty.note)();
        let struck = (faulty.fired)();
        (faulty.heal)();
        let mut report = match judge(&ran, expect) {
            _ if struck == 0 => Report::failed("the fault never struck"),
            Err(why) => Report::failed(why),
            Ok(None) => Report::survived(),
            Ok(Some(message)) => {
                let again = put(&scene, &faulty.endpoint, &path, "obj", mode, None);
                if again.ok() {
                    Report::clear(message)
                } else {
                    Report::failed(format!("the next run failed: {}", again.describe()))
                }
            }
        };
        report.note = note;
        scene.settle(&mut report, "obj", &data);
        report
    })
}

/// A get of a `size`-byte object stored in `mode`, through `setup`: nothing may be left in
/// the destination folder but the verified file (or, interrupted, the partial file the journal
/// keeps); if it fails, the same get must then work and leave nothing else.
pub fn get_case(name: &str, mode: Mode, size: usize, setup: Setup, expect: Expect) -> Case {
    Case::new(name, move |ctx| {
        let scene = Scene::new(ctx, "get");
        let (data, folder, dest) = scene.stored_object(size, mode);
        let faulty = setup(ctx, &scene);
        if mode == Mode::SseC {
            scene.home_at(&faulty.endpoint, "fault-ssec");
        }
        let mut cmd = scene.cmd(&faulty.endpoint);
        cmd.args(["get", &scene.uri("obj")]).arg(&dest);
        faulty.apply(&mut cmd);
        let ran = run(&mut cmd, RUN_TIMEOUT, None);
        let note = (faulty.note)();
        let struck = (faulty.fired)();
        (faulty.heal)();
        let left = scene.stray_files(&folder);
        let mut report = match judge(&ran, expect) {
            _ if struck == 0 => Report::failed("the fault never struck"),
            Err(why) => Report::failed(why),
            Ok(None) => {
                let mut r = Report::survived();
                r.corrupt = std::fs::read(&dest).map_or(true, |got| got != data);
                r.leftovers = left;
                r
            }
            Ok(Some(message)) => {
                let mut r = Report::clear(message);
                r.leftovers = left;
                let again = get(&scene, &faulty.endpoint, "obj", &dest, None);
                if !again.ok() {
                    r.outcome = super::matrix::Outcome::Failed(format!(
                        "the next run failed: {}",
                        again.describe()
                    ));
                }
                r.corrupt = std::fs::read(&dest).map_or(true, |got| got != data);
                r.leftovers.extend(scene.stray_files(&folder));
                r.leftovers.extend(scene.journal_files());
                r
            }
        };
        report.note = note;
        report.orphans = scene.orphans();
        report
    })
}

/// SIGKILL of `put` once `at` of the file went through the proxy (throttled to `rate`), then
/// the same put again: it must finish, say how it continued, and leave nothing open.
pub fn put_kill_case(name: &str, mode: Mode, size: usize, at: f64, rate: u64) -> Case {
    Case::new(name, move |ctx| {
        let scene = Scene::new(ctx, "kill-put");
        scene.mode_args(mode);
        let (path, data) = scene.file("src.bin", size);
        let proxy = Proxy::start(ctx.port, Vec::new(), Some(rate));
        let threshold = (size as f64 * at) as u64;
        let cond = || proxy.up() >= threshold;
        let ran = put(&scene, &proxy.endpoint(), &path, "obj", mode, Some(&cond));
        if !ran.killed {
            return Report::failed(format!(
                "it ended before the kill point: {}",
                ran.describe()
            ));
        }
        let recorded = !scene.journal_files().is_empty();
        // The next run, through the same endpoint at full speed, its bytes counted.
        proxy.heal();
        let again = put(&scene, &proxy.endpoint(), &path, "obj", mode, None);
        let sent = proxy.up();
        drop(proxy);
        let mut report = if !again.ok() {
            Report::failed(format!("the next run failed: {}", again.describe()))
        } else {
            let said = note_of(&again);
            let expected = match mode {
                Mode::Client => "started from the beginning",
                _ => "continued an interrupted upload",
            };
            match (&said, recorded) {
                (Some(line), true) if line.contains(expected) => Report::survived(),
                (_, false) => Report::survived(),
                (other, true) => {
                    Report::failed(format!("the next run did not say it {expected}: {other:?}"))
                }
            }
        };
        report.note = Some(format!(
            "killed at {:.0}% sent; the next run sent {:.1} of {:.1} MiB",
            at * 100.0,
            sent as f64 / MIB as f64,
            size as f64 / MIB as f64
        ));
        scene.settle(&mut report, "obj", &data);
        report
    })
}

/// SIGKILL of `get` once `at` of the object came through the proxy (throttled to `rate`):
/// nothing may be left in the destination folder but the partial file the journal keeps (no
/// plaintext, nothing at the destination); the same get again, through the same endpoint,
/// must finish, say how it continued, and leave nothing behind.
pub fn get_kill_case(name: &str, mode: Mode, size: usize, at: f64, rate: u64) -> Case {
    Case::new(name, move |ctx| {
        let scene = Scene::new(ctx, "kill-get");
        let (data, folder, dest) = scene.stored_object(size, mode);
        let proxy = Proxy::start(ctx.port, Vec::new(), Some(rate));
        if mode == Mode::SseC {
            scene.home_at(&proxy.endpoint(), "fault-ssec");
        }
        let threshold = (size as f64 * at) as u64;
        let cond = || proxy.down() >= threshold;
        let ran = get(&scene, &proxy.endpoint(), "obj", &dest, Some(&cond));
        if !ran.killed {
            return Report::failed(format!(
                "it ended before the kill point: {}",
                ran.describe()
            ));
        }
        let mut left = scene.stray_files(&folder);
        if dest.exists() {
            left.push("out.bin (before it verified)".to_owned());
        }
        let ranges = recorded_ranges(&scene);
        let entry = !scene.journal_files().is_empty();
        // The next run, through the same endpoint at full speed, its bytes counted.
        proxy.heal();
        let again = get(&scene, &proxy.endpoint(), "obj", &dest, None);
        let fetched = proxy.down();
        drop(proxy);
        let mut report = if !again.ok() {
            Report::failed(format!("the next run failed: {}", again.describe()))
        } else {
            let said = note_of(&again);
            let expected = match mode {
                Mode::Client => "started from the beginning",
                _ => "continued an interrupted download",
            };
            let should_say = match mode {
                Mode::Client => entry,
                _ => ranges > 0,
            };
            match &said {
                Some(line) if should_say && line.contains(expected) => Report::survived(),
                None if !should_say => Report::survived(),
                other => Report::failed(format!(
                    "the next run did not say it {expected} ({ranges} ranges recorded): {other:?}"
                )),
            }
        };
        report.note = Some(format!(
            "killed at {:.0}% received, {ranges} range(s) recorded; the next run fetched {:.1} of {:.1} MiB",
            at * 100.0,
            fetched as f64 / MIB as f64,
            size as f64 / MIB as f64
        ));
        left.extend(scene.stray_files(&folder));
        left.extend(scene.journal_files());
        report.leftovers = left;
        report.corrupt = std::fs::read(&dest).map_or(true, |got| got != data);
        report.orphans = scene.orphans();
        report
    })
}

/// The `note: ` line a run printed (how it continued an interrupted transfer), if any.
fn note_of(ran: &Ran) -> Option<String> {
    ran.stdout
        .lines()
        .find(|l| l.starts_with("note: "))
        .map(str::to_owned)
}

/// Ranges the journal records for the one download in flight.
fn recorded_ranges(scene: &Scene<'_>) -> usize {
    let dir = scene.config.join("transfers");
    names_in(&dir)
        .iter()
        .filter(|n| n.ends_with(".json"))
        .filter_map(|n| std::fs::read(dir.join(n)).ok())
        .filter_map(|t| serde_json::from_slice::<serde_json::Value>(&t).ok())
        .filter_map(|v| v["transfer"]["state"]["done"].as_array().map(Vec::len))
        .max()
        .unwrap_or(0)
}

/// SIGKILL of `rekey` (from `from` to the encryption `to` names) `after_ms` after it started:
/// the object must still read back whole (with its old or its new key); `rekey` again
/// finishes.
pub fn rekey_kill_case(name: &str, from: Mode, to: Mode, size: usize, after_ms: u64) -> Case {
    Case::new(name, move |ctx| {
        let scene = Scene::new(ctx, "kill-rekey");
        let (path, data) = scene.file("src.bin", size);
        scene.put_direct(&path, "obj", from);
        let target: Vec<String> = match to {
            Mode::Client => {
                // A second client key: the rekey rewraps the data key, the data stays.
                let listed = scene.ok(&["keys", "list", "--json"]);
                if !listed.contains("\"fault-client2\"") {
                    scene.ok(&["keys", "new", "fault-client2", "--kind", "client"]);
                }
                ["--encryption", "client", "--key", "fault-client2"]
                    .map(str::to_owned)
                    .to_vec()
            }
            other => scene.mode_args(other),
        };
        let rekey = |endpoint: &str, kill: Option<&dyn Fn() -> bool>| {
            let mut cmd = scene.cmd(endpoint);
            cmd.args(["rekey", &scene.uri("obj")]).args(&target);
            run(&mut cmd, RUN_TIMEOUT, kill)
        };
        let started = Instant::now();
        let cond = || started.elapsed() >= Duration::from_millis(after_ms);
        let ran = rekey(&ctx.endpoint, Some(&cond));
        let after_kill = scene.read_back("obj");
        let intact_after_kill = after_kill.as_ref().is_ok_and(|got| *got == data);
        let again = rekey(&ctx.endpoint, None);
        let intact_after_rekey = scene.object_is("obj", &data);
        let mut report = if !again.ok() {
            Report::failed(format!("rekey again failed: {}", again.describe()))
        } else {
            Report::survived()
        };
        report.note = Some(match (ran.killed, intact_after_kill, intact_after_rekey) {
            (false, ..) => format!("it finished within {after_ms} ms, before the kill"),
            (true, true, _) => {
                format!("killed {after_ms} ms in; the object read back whole right after")
            }
            (true, false, _) => format!(
                "killed {after_ms} ms in; right after, the object did NOT read back whole: {}",
                match &after_kill {
                    Ok(got) => format!("{} bytes, other than the {} stored", got.len(), data.len()),
                    Err(why) => why.clone(),
                }
            ),
        });
        report.corrupt = !intact_after_kill || !intact_after_rekey;
        report.orphans = scene.orphans();
        report
    })
}

/// A reset of connection `n` after `after` bytes in `direction`.
pub fn reset(n: usize, direction: Direction, after: usize) -> Fault {
    Fault {
        connection: n,
        direction,
        after: after as u64,
        action: Action::Reset,
    }
}

/// A stall of connection `n` after `after` bytes in `direction`.
pub fn stall(n: usize, direction: Direction, after: usize, secs: u64) -> Fault {
    Fault {
        connection: n,
        direction,
        after: after as u64,
        action: Action::Stall(Duration::from_secs(secs)),
    }
}

/// A deterministic sequence of fractions in [0.1, 0.9) from `seed`, for kill points.
pub fn kill_points(seed: u64, n: usize) -> Vec<f64> {
    let mut state = seed | 1;
    (0..n)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            0.1 + (state % 800) as f64 / 1000.0
        })
        .collect()
}
