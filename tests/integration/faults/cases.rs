//! The cases of the fault matrix, built from a few shapes: a put or a get through a faulty
//! endpoint (the TCP proxy, the HTTP peer, expiring credentials), SIGKILL of the binary at a
//! point of `put`, `get` or `rekey`, the keyring locked or gone, and a full disk.

use std::time::{Duration, Instant};

use super::creds::{CredsServer, Mode as CredsMode};
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

/// Only the container-credentials endpoint (behind the peer, which enforces expiry) provides
/// credentials: static ones and profiles are kept out.
fn container_credentials(mode: CredsMode, lifetime: Duration, delay: Duration) -> Setup {
    Box::new(move |ctx, _| {
        let creds = std::rc::Rc::new(CredsServer::start(mode, lifetime));
        let peer = std::rc::Rc::new(Peer::start(
            ctx.port,
            peer::Plan {
                expiry: Some(creds.expiry.clone()),
                delay,
                ..Default::default()
            },
        ));
        let (c, p, healer, calls) = (creds.clone(), peer.clone(), peer.clone(), creds.clone());
        Faulty {
            endpoint: peer.endpoint(),
            // Credentials fetched again: a refresh the provider tried.
            fired: Box::new(move || calls.calls().saturating_sub(1)),
            heal: Box::new(move || healer.heal()),
            env: vec![
                ("AWS_ACCESS_KEY_ID", None),
                ("AWS_SECRET_ACCESS_KEY", None),
                ("AWS_SESSION_TOKEN", None),
                ("AWS_PROFILE", None),
                ("AWS_CONFIG_FILE", Some("/nonexistent/aws-config".into())),
                (
                    "AWS_SHARED_CREDENTIALS_FILE",
                    Some("/nonexistent/aws-credentials".into()),
                ),
                ("AWS_EC2_METADATA_DISABLED", Some("true".into())),
                ("AWS_CONTAINER_CREDENTIALS_FULL_URI", Some(creds.uri())),
            ],
            note: Box::new(move || {
                use std::sync::atomic::Ordering::SeqCst;
                Some(format!(
                    "credentials fetched {} time(s), {} access key(s) used, {} request(s) refused as expired",
                    c.calls(),
                    p.stats.keys.lock().unwrap().len(),
                    p.stats.expired.load(SeqCst)
                ))
            }),
            _keep: vec![Box::new(creds), Box::new(peer)],
        }
    })
}

/// Static temporary credentials (a session token in the environment, which nothing can
/// refresh) that expire `after` the first run starts.
fn static_credentials_expiring(after: Duration, delay: Duration) -> Setup {
    Box::new(move |ctx, _| {
        let expiry: peer::Expiry = std::sync::Arc::default();
        expiry.lock().unwrap().insert(
            "ASIASTATICFAULT01".to_owned(),
            std::time::SystemTime::now() + after,
        );
        let peer = std::rc::Rc::new(Peer::start(
            ctx.port,
            peer::Plan {
                expiry: Some(expiry),
                delay,
                ..Default::default()
            },
        ));
        let (p, healer, counter) = (peer.clone(), peer.clone(), peer.clone());
        Faulty {
            endpoint: peer.endpoint(),
            fired: Box::new(move || counter.struck()),
            heal: Box::new(move || healer.heal()),
            env: vec![
                ("AWS_ACCESS_KEY_ID", Some("ASIASTATICFAULT01".into())),
                ("AWS_SECRET_ACCESS_KEY", Some("static-secret".into())),
                ("AWS_SESSION_TOKEN", Some("static-session-token".into())),
            ],
            note: Box::new(move || {
                use std::sync::atomic::Ordering::SeqCst;
                Some(format!(
                    "{} request(s) refused as expired",
                    p.stats.expired.load(SeqCst)
                ))
            }),
            _keep: vec![Box::new(peer)],
        }
    })
}

/// The D-Bus session (and with it the Secret Service) is gone.
fn keyring_gone() -> Setup {
    Box::new(|ctx, _| Faulty {
        endpoint: ctx.endpoint.clone(),
        env: vec![(
            "DBUS_SESSION_BUS_ADDRESS",
            Some("unix:path=/nonexistent/s3seal-fault-bus".into()),
        )],
        note: Box::new(|| None),
        // Every keyring call fails while the bus is gone.
        fired: Box::new(|| 1),
        heal: Box::new(|| {}),
        _keep: Vec::new(),
    })
}

/// What a failed first run must say (one of these words), if anything in particular.
#[derive(Clone, Copy)]
pub enum Expect {
    /// Either outcome is fine as long as it is clean.
    Anything,
    /// It must fail, clearly, mentioning one of these.
    ClearError(&'static [&'static str]),
}

fn judge(ran: &Ran, expect: Expect) -> Result<Option<String>, String> {
    if ran.ok() {
        return match expect {
            Expect::ClearError(_) => Err("it succeeded where it should have refused".to_owned()),
            Expect::Anything => Ok(None),
        };
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
/// the destination folder but the verified file; if it fails, the same get must then work.
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
        let left = names_in(&folder);
        let mut report = match judge(&ran, expect) {
            _ if struck == 0 => Report::failed("the fault never struck"),
            Err(why) => Report::failed(why),
            Ok(None) => {
                let mut r = Report::survived();
                r.corrupt = std::fs::read(&dest).map_or(true, |got| got != data);
                r.leftovers = left.into_iter().filter(|n| n != "out.bin").collect();
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
            let said = again
                .stdout
                .lines()
                .find(|l| l.starts_with("note: "))
                .map(str::to_owned);
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

/// SIGKILL of `get` once `at` of the object came through the proxy: nothing may be left in
/// the destination folder (no partial file, no plaintext); the same get then works.
pub fn get_kill_case(name: &str, mode: Mode, size: usize, at: f64, rate: u64) -> Case {
    Case::new(name, move |ctx| {
        let scene = Scene::new(ctx, "kill-get");
        let (data, folder, dest) = scene.stored_object(size, mode);
        let proxy = Proxy::start(ctx.port, Vec::new(), Some(rate));
        let threshold = (size as f64 * at) as u64;
        let cond = || proxy.down() >= threshold;
        let ran = get(&scene, &proxy.endpoint(), "obj", &dest, Some(&cond));
        drop(proxy);
        if !ran.killed {
            return Report::failed(format!(
                "it ended before the kill point: {}",
                ran.describe()
            ));
        }
        let left = names_in(&folder);
        let again = get(&scene, &ctx.endpoint, "obj", &dest, None);
        let mut report = if again.ok() {
            Report::survived()
        } else {
            Report::failed(format!("the next run failed: {}", again.describe()))
        };
        report.note = Some(format!("killed at {:.0}% received", at * 100.0));
        report.leftovers = left;
        report.corrupt = std::fs::read(&dest).map_or(true, |got| got != data);
        report.orphans = scene.orphans();
        report
    })
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

/// A put and a get of an SSE-C object with the Secret Service unreachable: one clear message,
/// nothing uploaded or written; then, with the keyring back, both work.
pub fn keyring_gone_cases() -> Vec<Case> {
    vec![
        put_case(
            "put-sse-c-keyring-gone",
            Mode::SseC,
            2 * MIB,
            keyring_gone(),
            Expect::ClearError(&["keyring"]),
        ),
        get_case(
            "get-sse-c-keyring-gone",
            Mode::SseC,
            2 * MIB,
            keyring_gone(),
            Expect::ClearError(&["keyring", "key store"]),
        ),
    ]
}

/// Credentials that expire mid-transfer: refreshed by a provider that can, one clear message
/// (and a resumable upload) where nothing can refresh them.
pub fn credential_cases() -> Vec<Case> {
    vec![
        put_case(
            "put-container-credentials-refreshed",
            Mode::SseS3,
            80 * MIB,
            container_credentials(
                CredsMode::Refreshing,
                Duration::from_secs(4),
                Duration::from_millis(400),
            ),
            Expect::Anything,
        ),
        put_case(
            "put-container-credentials-endpoint-gone",
            Mode::SseS3,
            80 * MIB,
            container_credentials(
                CredsMode::OnceThenFail,
                Duration::from_secs(4),
                Duration::from_millis(400),
            ),
            Expect::ClearError(&["credentials"]),
        ),
        put_case(
            "put-session-token-expires",
            Mode::SseC,
            80 * MIB,
            static_credentials_expiring(Duration::from_millis(1500), Duration::from_millis(500)),
            Expect::ClearError(&["credentials"]),
        ),
        get_case(
            "get-session-token-expires",
            Mode::SseS3,
            80 * MIB,
            static_credentials_expiring(Duration::from_millis(1500), Duration::from_millis(500)),
            Expect::ClearError(&["credentials"]),
        ),
    ]
}

/// A get onto a disk that fills up (an 8 MiB tmpfs in a mount namespace of its own, gone when
/// the case ends): one clear message, nothing left on it.
pub fn disk_full_get() -> Case {
    Case::new("get-disk-full", |ctx| {
        let scene = Scene::new(ctx, "disk");
        let (path, data) = scene.file("src.bin", 24 * MIB);
        scene.put_direct(&path, "obj", Mode::SseS3);
        let mount = scene.folder("small-disk");
        let script = r#"mount -t tmpfs -o size=8m s3seal-fault "$MOUNT" || exit 90
"$@" 2>"$ERR"; echo "$?" >"$RC"; ls -A "$MOUNT" >"$LEFT""#;
        let (err, rc, left) = (
            scene.work.join("stderr"),
            scene.work.join("rc"),
            scene.work.join("left"),
        );
        let mut cmd = namespaced(script);
        cmd.env("MOUNT", &mount)
            .env("ERR", &err)
            .env("RC", &rc)
            .env("LEFT", &left)
            .arg(super::run::binary())
            .args(["--endpoint-url", &ctx.endpoint, "--ca-bundle"])
            .arg(&ctx.ca)
            .env("S3SEAL_CONFIG_DIR", &scene.config)
            .args(["get", &scene.uri("obj")])
            .arg(mount.join("out.bin"));
        let outer = run(&mut cmd, RUN_TIMEOUT, None);
        if outer.code == Some(90) || !rc.exists() {
            return Report::failed(format!("no private tmpfs: {}", outer.describe()));
        }
        let inner = Ran {
            code: std::fs::read_to_string(&rc)
                .ok()
                .and_then(|c| c.trim().parse().ok()),
            stdout: String::new(),
            stderr: std::fs::read_to_string(&err).unwrap_or_default(),
            timed_out: false,
            killed: false,
        };
        let mut report = match judge(&inner, Expect::ClearError(&["No space", "space"])) {
            Err(why) => Report::failed(why),
            Ok(message) => Report::clear(message.unwrap_or_default()),
        };
        report.leftovers = std::fs::read_to_string(&left)
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect();
        let dest = scene.folder("roomy").join("out.bin");
        let again = get(&scene, &ctx.endpoint, "obj", &dest, None);
        if !again.ok() {
            report.outcome = super::matrix::Outcome::Failed(format!(
                "the next run failed: {}",
                again.describe()
            ));
        }
        report.corrupt = std::fs::read(&dest).map_or(true, |got| got != data);
        report
    })
}

/// A put whose configuration folder (and so the transfer journal) is on a full disk: the
/// upload still goes through, it just cannot be resumed if interrupted.
pub fn journal_disk_full_put() -> Case {
    Case::new("put-journal-on-full-disk", |ctx| {
        let scene = Scene::new(ctx, "journal-disk");
        let (path, data) = scene.file("src.bin", 40 * MIB);
        let mount = scene.folder("full-config");
        let script = r#"mount -t tmpfs -o size=1m s3seal-fault "$MOUNT" || exit 90
dd if=/dev/zero of="$MOUNT/filler" bs=64k count=64 2>/dev/null
S3SEAL_CONFIG_DIR="$MOUNT/config" "$@""#;
        let mut cmd = namespaced(script);
        cmd.env("MOUNT", &mount)
            .arg(super::run::binary())
            .args(["--endpoint-url", &ctx.endpoint, "--ca-bundle"])
            .arg(&ctx.ca)
            .arg("put")
            .arg(&path)
            .arg(scene.uri("obj"));
        let ran = run(&mut cmd, RUN_TIMEOUT, None);
        let mut report = if ran.ok() {
            Report::survived()
        } else {
            Report::failed(ran.describe())
        };
        report.corrupt = !scene.object_is("obj", &data);
        report.orphans = scene.orphans();
        report
    })
}

/// `sh -c SCRIPT sh ARGS…` in a mount namespace of its own (so its tmpfs vanishes with it):
/// as root directly, otherwise as root of a user namespace.
fn namespaced(script: &str) -> std::process::Command {
    let mut cmd = std::process::Command::new("unshare");
    // Root can mount in a plain mount namespace; others in a user namespace of their own.
    let root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
    if !root {
        cmd.arg("--map-root-user");
    }
    cmd.args([
        "--mount",
        "--propagation",
        "private",
        "sh",
        "-c",
        script,
        "sh",
    ]);
    cmd
}

/// A put of an SSE-C file with the keyring locked (a Secret Service of its own, in a D-Bus
/// session of its own, locked after the key was made): one clear message and nothing
/// uploaded; unlocked again (a new session opening the same keyring with its password), the
/// same put works.
pub fn keyring_locked_put() -> Case {
    Case::new("put-sse-c-keyring-locked", |ctx| {
        let scene = Scene::new(ctx, "locked");
        let (path, data) = scene.file("src.bin", 2 * MIB);
        let start = r#"set -u
export XDG_RUNTIME_DIR="$WORK/xdg"; mkdir -p "$XDG_RUNTIME_DIR/data"; chmod 700 "$XDG_RUNTIME_DIR"
export XDG_DATA_HOME="$XDG_RUNTIME_DIR/data"
eval "$(printf fault-pass | gnome-keyring-daemon --unlock --components=secrets)" >/dev/null
"#;
        let locked = format!(
            r#"{start}"$BIN" keys new lk >/dev/null 2>"$WORK/new.err" || exit 91
dbus-send --session --print-reply --dest=org.freedesktop.secrets /org/freedesktop/secrets \
  org.freedesktop.Secret.Service.Lock array:objpath:/org/freedesktop/secrets/collection/login >/dev/null || exit 92
"$BIN" --endpoint-url "$ENDPOINT" --ca-bundle "$CA" put "$FILE" "$URI" --encryption sse-c --key lk 2>"$WORK/locked.err"
echo "$?" >"$WORK/locked.rc""#
        );
        let unlocked = format!(
            r#"{start}"$BIN" --endpoint-url "$ENDPOINT" --ca-bundle "$CA" put "$FILE" "$URI" --encryption sse-c --key lk >/dev/null 2>"$WORK/unlocked.err"
echo "$?" >"$WORK/unlocked.rc""#
        );
        let session = |script: &str| {
            let mut cmd = std::process::Command::new("dbus-run-session");
            cmd.args(["--", "sh", "-c", script])
                .env("WORK", &scene.work)
                .env("BIN", super::run::binary())
                .env("S3SEAL_CONFIG_DIR", &scene.config)
                .env("ENDPOINT", &ctx.endpoint)
                .env("CA", &ctx.ca)
                .env("FILE", &path)
                .env("URI", scene.uri("obj"))
                .env_remove("DBUS_SESSION_BUS_ADDRESS");
            run(&mut cmd, RUN_TIMEOUT, None)
        };
        let read = |name: &str| std::fs::read_to_string(scene.work.join(name)).unwrap_or_default();
        let code = |name: &str| read(name).trim().parse::<i32>().ok();
        let outer = session(&locked);
        let Some(locked_rc) = code("locked.rc") else {
            return Report::failed(format!(
                "the private keyring did not come up: {}; {}",
                outer.describe(),
                read("new.err")
            ));
        };
        let locked_run = Ran {
            code: Some(locked_rc),
            stdout: String::new(),
            stderr: read("locked.err"),
            timed_out: false,
            killed: false,
        };
        let mut report = match judge(&locked_run, Expect::ClearError(&["keyring"])) {
            Err(why) => Report::failed(why),
            Ok(_) if scene.exists("obj") => {
                Report::failed("something was uploaded while the keyring was locked")
            }
            Ok(message) => Report::clear(message.unwrap_or_default()),
        };
        session(&unlocked);
        if code("unlocked.rc") != Some(0) {
            report.outcome = super::matrix::Outcome::Failed(format!(
                "the put after unlocking failed: {}",
                read("unlocked.err")
            ));
        }
        // The object needs the private keyring's key: check it by its size.
        report.corrupt = scene.listed_size("obj") != Some(data.len() as i64);
        report.orphans = scene.orphans();
        report.leftovers = scene.journal_files();
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
