//! Fault cases of the machine around a transfer rather than the network: credentials that
//! expire (refreshable or not), the keyring gone or locked, a full disk under the download or
//! under the transfer journal.

use std::time::Duration;

use super::cases::{Expect, Faulty, MIB, Setup, get_case, judge, put_case};
use super::creds::{CredsServer, Mode as CredsMode};
use super::matrix::{Case, Report};
use super::peer::{self, Peer};
use super::run::{Ran, run};
use super::scene::{Mode, RUN_TIMEOUT, Scene, get};

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
