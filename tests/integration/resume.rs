//! Resumable uploads with the real binary: killed (SIGKILL) once the journal records parts,
//! the same `put` continues with the missing ones — and a changed file, another SSE-C key or a
//! client-side upload start over, aborting the old upload. The window's calls: list, resume
//! and discard interrupted transfers.

use std::path::Path;
use std::sync::Arc;

use s3seal::keys::{KeyManager, KeyringStore};
use s3seal::progress::{CancellationToken, Progress};
use s3seal::s3::local_keys::KeyAccess;
use s3seal::transfer::interrupted::{
    Direction, Outlook, Resumed, discard_transfer, interrupted_transfers, resume_transfer,
};
use s3seal::transfer::journal::{EntryId, Journal};
use s3seal::transfer::resume::Continuation;

use crate::faults::proxy::Proxy;
use crate::faults::run::Ran;
use crate::faults::scene::{Ctx, Mode, Scene, put};

const MIB: usize = 1024 * 1024;

/// Parts the journal records for the one upload in flight.
pub(crate) fn recorded_parts(config: &Path) -> usize {
    let dir = config.join("transfers");
    let Ok(listing) = std::fs::read_dir(dir) else {
        return 0;
    };
    listing
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(".json"))
        .filter_map(|e| std::fs::read(e.path()).ok())
        .filter_map(|t| serde_json::from_slice::<serde_json::Value>(&t).ok())
        .map(|v| v["transfer"]["parts"].as_array().map_or(0, Vec::len))
        .max()
        .unwrap_or(0)
}

/// Puts `path` through a throttled proxy and kills the binary once `parts` parts are recorded.
pub(crate) fn killed_put(
    scene: &Scene<'_>,
    proxy: &Proxy,
    path: &Path,
    mode: Mode,
    parts: usize,
) -> Ran {
    let config = scene.config.clone();
    let cond = move || recorded_parts(&config) >= parts;
    let ran = put(scene, &proxy.endpoint(), path, "obj", mode, Some(&cond));
    assert!(
        ran.killed,
        "the put ended before the kill: {}",
        ran.describe()
    );
    assert!(recorded_parts(&scene.config) >= parts);
    proxy.heal();
    ran
}

/// A library connection through `proxy` (where the journal says the upload goes).
pub fn connect(ctx: &Ctx, proxy: &Proxy) -> s3seal::s3::Connection {
    ctx.rt
        .block_on(s3seal::s3::Connection::connect(
            &s3seal::s3::ConnectOptions {
                endpoint_url: Some(proxy.endpoint()),
                ca_bundle: Some(ctx.ca.clone()),
                ..Default::default()
            },
        ))
        .unwrap()
}

/// The keys the window reads with: the scene's catalog, the platform's keyring.
pub fn window_keys(scene: &Scene<'_>) -> KeyAccess {
    KeyringStore::use_platform_store().unwrap();
    KeyAccess::with_manager(KeyManager::new(
        scene.config.clone(),
        Arc::new(KeyringStore::new("s3seal")),
    ))
}

/// The window's Resume on the interrupted transfer `id`.
pub fn resume(
    ctx: &Ctx,
    conn: &s3seal::s3::Connection,
    keys: &KeyAccess,
    journal: &Journal,
    id: &EntryId,
    progress: &Progress,
) -> s3seal::Result<Resumed> {
    ctx.rt.block_on(resume_transfer(
        conn,
        keys,
        journal,
        id,
        progress,
        &CancellationToken::new(),
    ))
}

#[test]
fn a_killed_put_continues_with_the_missing_parts() {
    let ctx = Ctx::new();
    let scene = Scene::new(&ctx, "resume");
    let (path, data) = scene.file("src.bin", 96 * MIB);
    let proxy = Proxy::start(ctx.port, Vec::new(), Some(48 * MIB as u64));
    killed_put(&scene, &proxy, &path, Mode::SseC, 3);
    let done = recorded_parts(&scene.config);

    let again = put(&scene, &proxy.endpoint(), &path, "obj", Mode::SseC, None);
    assert!(again.ok(), "{}", again.describe());
    let note = format!("continued an interrupted upload: {done} parts");
    assert!(again.stdout.contains(&note), "{}", again.stdout);
    // Only the missing parts went up again (plus headers and TLS).
    let missing = (96 - 8 * done) * MIB;
    assert!(
        proxy.up() < (missing + MIB) as u64 && proxy.up() >= missing as u64,
        "sent {} bytes for {missing} missing",
        proxy.up()
    );
    assert!(scene.object_is("obj", &data));
    scene.assert_nothing_left();
}

#[test]
fn a_changed_file_or_another_key_starts_over_and_aborts_the_old_upload() {
    let ctx = Ctx::new();
    let scene = Scene::new(&ctx, "restart");
    let (path, _) = scene.file("src.bin", 64 * MIB);
    let proxy = Proxy::start(ctx.port, Vec::new(), Some(48 * MIB as u64));

    killed_put(&scene, &proxy, &path, Mode::SseC, 2);
    // The same size, other bytes, written in place: another file as far as the upload goes.
    let mut changed = std::fs::read(&path).unwrap();
    changed[0] ^= 0xFF;
    std::fs::write(&path, &changed).unwrap();
    let again = put(&scene, &proxy.endpoint(), &path, "obj", Mode::SseC, None);
    assert!(again.ok(), "{}", again.describe());
    assert!(
        again
            .stdout
            .contains("started from the beginning: the file changed since"),
        "{}",
        again.stdout
    );
    assert!(scene.object_is("obj", &changed));
    assert_eq!(scene.orphans(), 0, "the old upload was aborted");

    // Another SSE-C key for the same object.
    let proxy = Proxy::start(ctx.port, Vec::new(), Some(48 * MIB as u64));
    killed_put(&scene, &proxy, &path, Mode::SseC, 2);
    scene.ok(&["keys", "new", "other-key"]);
    scene.ok(&["keys", "homes", "other-key", "--add", &scene.uri("")]);
    let mut cmd = scene.cmd(&proxy.endpoint());
    cmd.arg("put").arg(&path).arg(scene.uri("obj")).args([
        "--encryption",
        "sse-c",
        "--key",
        "other-key",
    ]);
    let again = crate::faults::run::run(&mut cmd, crate::faults::scene::RUN_TIMEOUT, None);
    assert!(again.ok(), "{}", again.describe());
    assert!(
        again.stdout.contains("another SSE-C key was given"),
        "{}",
        again.stdout
    );
    scene.assert_nothing_left();
    let info: serde_json::Value =
        serde_json::from_str(&scene.ok(&["info", &scene.uri("obj"), "--json"])).unwrap();
    assert_eq!(info["matching_key"], "other-key", "{info}");
}

#[test]
fn the_window_lists_resumes_and_discards_interrupted_uploads() {
    let ctx = Ctx::new();
    let scene = Scene::new(&ctx, "window");
    let (path, data) = scene.file("src.bin", 64 * MIB);
    let proxy = Proxy::start(ctx.port, Vec::new(), Some(48 * MIB as u64));
    killed_put(&scene, &proxy, &path, Mode::SseC, 2);

    let journal = Journal::in_config_dir(&scene.config);
    let listed = interrupted_transfers(&journal).unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    let item = &listed[0];
    assert_eq!(item.object, scene.uri("obj"));
    assert_eq!(item.direction, Direction::Upload);
    assert_eq!(item.outlook, Outlook::Continues);
    assert_eq!(item.size, 64 * MIB as u64);
    assert_eq!(item.parts_total, 8);
    assert!(item.parts_done >= 2, "{item:?}");
    assert!(
        item.encryption.contains("SSE-C (key 'fault-ssec')"),
        "{item:?}"
    );
    let json = serde_json::to_value(item).unwrap();
    assert_eq!(json["outlook"]["outlook"], "continues", "{json}");

    let keys = window_keys(&scene);
    let conn = connect(&ctx, &proxy);
    let progress = Progress::new();
    let outcome = resume(&ctx, &conn, &keys, &journal, &item.id, &progress).unwrap();
    let Resumed::Upload(outcome) = outcome else {
        panic!("an upload resumes as an upload");
    };
    assert!(
        matches!(outcome.continuation, Continuation::Resumed { parts_reused, .. } if parts_reused == item.parts_done),
        "{:?}",
        outcome.continuation
    );
    assert_eq!(progress.snapshot(), (64 * MIB as u64, 64 * MIB as u64));
    assert!(scene.object_is("obj", &data));
    assert!(interrupted_transfers(&journal).unwrap().is_empty());

    // Interrupted again; the key named in the entry is replaced by another with the same name:
    // resuming refuses (it could only finish with the old key), discarding aborts the upload.
    let proxy2 = Proxy::start(ctx.port, Vec::new(), Some(48 * MIB as u64));
    let conn2 = connect(&ctx, &proxy2);
    killed_put(&scene, &proxy2, &path, Mode::SseC, 2);
    let id = interrupted_transfers(&journal).unwrap()[0].id.clone();
    scene.ok(&["keys", "rm", "fault-ssec"]);
    scene.ok(&["keys", "new", "fault-ssec"]);
    let err = resume(&ctx, &conn2, &keys, &journal, &id, &Progress::new()).unwrap_err();
    assert!(matches!(err, s3seal::Error::SseCKeyChanged { .. }), "{err}");
    assert_eq!(scene.orphans(), 1, "a refused resume keeps the upload");
    // Resuming needs a connection to where the upload went.
    let elsewhere = ctx
        .rt
        .block_on(discard_transfer(&ctx.conn, &journal, &id))
        .unwrap_err();
    assert!(
        elsewhere.to_string().contains("was started on"),
        "{elsewhere}"
    );
    ctx.rt
        .block_on(discard_transfer(&conn2, &journal, &id))
        .unwrap();
    assert_eq!(scene.orphans(), 0);
    assert!(interrupted_transfers(&journal).unwrap().is_empty());
    assert!(
        scene.journal_files().is_empty(),
        "{:?}",
        scene.journal_files()
    );
}

#[test]
fn a_client_side_put_starts_over_and_says_so() {
    let ctx = Ctx::new();
    let scene = Scene::new(&ctx, "client-restart");
    let (path, data) = scene.file("src.bin", 24 * MIB);
    let proxy = Proxy::start(ctx.port, Vec::new(), Some(8 * MIB as u64));
    killed_put(&scene, &proxy, &path, Mode::Client, 1);
    let journal = Journal::in_config_dir(&scene.config);
    let listed = interrupted_transfers(&journal).unwrap();
    assert!(
        matches!(listed[0].outlook, Outlook::StartsOver(_)),
        "{listed:?}"
    );
    let again = put(&scene, &proxy.endpoint(), &path, "obj", Mode::Client, None);
    assert!(again.ok(), "{}", again.describe());
    assert!(
        again
            .stdout
            .contains("client-side uploads cannot continue mid-stream"),
        "{}",
        again.stdout
    );
    assert!(scene.object_is("obj", &data));
    assert_eq!(scene.orphans(), 0);
    assert!(scene.journal_files().is_empty());
}
