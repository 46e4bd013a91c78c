//! Resumable downloads with the real binary: a `get` killed (SIGKILL) through a throttled proxy
//! once the journal records ranges continues with the missing ones (SSE-C, SSE-KMS) and fetches
//! less than the whole again; a replaced object or a corrupted range in the partial file is
//! fetched again; a client-side download starts over and says so. The window's calls: list,
//! resume and discard interrupted downloads.

use std::path::{Path, PathBuf};

use s3seal::progress::Progress;
use s3seal::transfer::interrupted::{
    Direction, Outlook, Resumed, discard_transfer, interrupted_transfers,
};
use s3seal::transfer::journal::Journal;

use crate::faults::proxy::Proxy;
use crate::faults::run::Ran;
use crate::faults::scene::{Ctx, Mode, Scene, get, names_in};

const MIB: usize = 1024 * 1024;

/// The download entry of the journal, if any.
fn entry(config: &Path) -> Option<serde_json::Value> {
    std::fs::read_dir(config.join("transfers"))
        .ok()?
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(".json"))
        .filter_map(|e| std::fs::read(e.path()).ok())
        .filter_map(|t| serde_json::from_slice::<serde_json::Value>(&t).ok())
        .find(|v| v["transfer"]["kind"] == "download")
}

/// `(start, len)` of the ranges the journal records as written.
fn recorded_ranges(config: &Path) -> Vec<(u64, u64)> {
    entry(config)
        .and_then(|v| v["transfer"]["state"]["done"].as_array().cloned())
        .unwrap_or_default()
        .iter()
        .map(|r| (r["start"].as_u64().unwrap(), r["len"].as_u64().unwrap()))
        .collect()
}

/// Stores a `len`-byte object `key` in `mode` (straight to LocalStack); returns its bytes.
fn stored(scene: &Scene<'_>, key: &str, len: usize, mode: Mode) -> Vec<u8> {
    let (path, data) = scene.file(&format!("{key}.src"), len);
    scene.put_direct(&path, key, mode);
    data
}

/// Gets `key` into `dest` through a throttled proxy and kills the binary once the journal
/// records `ranges` ranges; returns the proxy (healed: counting from zero) and the bytes the
/// journal holds after the kill.
fn killed_get(
    scene: &Scene<'_>,
    mode: Mode,
    key: &str,
    dest: &Path,
    ranges: usize,
) -> (Proxy, u64) {
    let proxy = Proxy::start(scene.ctx.port, Vec::new(), Some(24 * MIB as u64));
    if mode == Mode::SseC {
        // The key is sent only to its homes, and the proxy is another endpoint.
        scene.home_at(&proxy.endpoint(), "fault-ssec");
    }
    let config = scene.config.clone();
    let cond = move || recorded_ranges(&config).len() >= ranges;
    let ran = get(scene, &proxy.endpoint(), key, dest, Some(&cond));
    assert!(
        ran.killed,
        "the get ended before the kill: {}",
        ran.describe()
    );
    proxy.heal();
    let done: u64 = recorded_ranges(&scene.config).iter().map(|r| r.1).sum();
    assert!(done >= (ranges * 8 * MIB) as u64, "{done}");
    (proxy, done)
}

/// The partial file the journal records.
fn partial(config: &Path) -> PathBuf {
    let entry = entry(config).unwrap();
    PathBuf::from(entry["transfer"]["state"]["partial"].as_str().unwrap())
}

/// After a finished get: the destination alone in its folder, the journal empty.
fn settled(scene: &Scene<'_>, folder: &Path, again: &Ran) {
    assert!(again.ok(), "{}", again.describe());
    assert_eq!(names_in(folder), ["out.bin"], "no partial file left");
    assert!(
        scene.journal_files().is_empty(),
        "{:?}",
        scene.journal_files()
    );
}

#[test]
fn a_killed_get_continues_with_the_missing_ranges() {
    let ctx = Ctx::new();
    for mode in [Mode::SseC, Mode::SseKms] {
        let scene = Scene::new(&ctx, "dl-resume");
        let size = 100 * MIB;
        let data = stored(&scene, "obj", size, mode);
        let folder = scene.folder("down");
        let dest = folder.join("out.bin");
        let (proxy, done) = killed_get(&scene, mode, "obj", &dest, 2);
        let partial = partial(&scene.config);
        assert!(partial.exists(), "the kill keeps the partial file");
        assert!(!dest.exists(), "nothing unverified at the destination");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&partial).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }

        let again = get(&scene, &proxy.endpoint(), "obj", &dest, None);
        settled(&scene, &folder, &again);
        let ranges = done / (8 * MIB) as u64;
        let note = format!("continued an interrupted download: {ranges} ranges");
        assert!(again.stdout.contains(&note), "{}", again.stdout);
        assert_eq!(std::fs::read(&dest).unwrap(), data, "{mode:?}");
        // Only the missing ranges came down again (plus headers, TLS and a HEAD).
        let missing = size as u64 - done;
        let fetched = proxy.down();
        assert!(
            fetched >= missing && fetched < missing + MIB as u64,
            "{mode:?}: {done} of {size} bytes recorded before the kill; fetched {fetched} bytes for {missing} missing"
        );
    }
}

#[test]
fn a_replaced_object_starts_over() {
    let ctx = Ctx::new();
    let scene = Scene::new(&ctx, "dl-replaced");
    stored(&scene, "obj", 64 * MIB, Mode::SseKms);
    let folder = scene.folder("down");
    let dest = folder.join("out.bin");
    let (proxy, _) = killed_get(&scene, Mode::SseKms, "obj", &dest, 2);
    let old_partial = partial(&scene.config);
    let (path, _) = scene.file("other.src", 40 * MIB);
    scene.put_direct(&path, "obj", Mode::SseKms);
    let new = std::fs::read(&path).unwrap();

    let again = get(&scene, &proxy.endpoint(), "obj", &dest, None);
    settled(&scene, &folder, &again);
    assert!(
        again
            .stdout
            .contains("started from the beginning: the object changed on S3 since"),
        "{}",
        again.stdout
    );
    assert!(!old_partial.exists());
    assert_eq!(std::fs::read(&dest).unwrap(), new);

    // Replaced by an object small enough for one GET: the interrupted download goes too.
    std::fs::remove_file(&dest).unwrap();
    let (proxy, _) = killed_get(&scene, Mode::SseKms, "obj", &dest, 2);
    let old_partial = partial(&scene.config);
    let (path, _) = scene.file("small.src", MIB);
    scene.put_direct(&path, "obj", Mode::SseKms);
    let again = get(&scene, &proxy.endpoint(), "obj", &dest, None);
    settled(&scene, &folder, &again);
    assert!(
        again.stdout.contains("the object changed on S3 since"),
        "{}",
        again.stdout
    );
    assert!(!old_partial.exists());
    assert_eq!(std::fs::read(&dest).unwrap(), std::fs::read(&path).unwrap());
}

#[test]
fn a_corrupted_range_is_fetched_again() {
    let ctx = Ctx::new();
    let scene = Scene::new(&ctx, "dl-corrupt");
    let data = stored(&scene, "obj", 72 * MIB, Mode::SseC);
    let folder = scene.folder("down");
    let dest = folder.join("out.bin");
    let (proxy, done) = killed_get(&scene, Mode::SseC, "obj", &dest, 2);
    let (start, _) = recorded_ranges(&scene.config)[0];
    let partial = partial(&scene.config);
    let mut bytes = std::fs::read(&partial).unwrap();
    bytes[(start + 12_345) as usize] ^= 0x40;
    std::fs::write(&partial, &bytes).unwrap();

    let again = get(&scene, &proxy.endpoint(), "obj", &dest, None);
    settled(&scene, &folder, &again);
    assert!(
        again
            .stdout
            .contains("1 range no longer matched what was written and was fetched again"),
        "{}",
        again.stdout
    );
    assert_eq!(std::fs::read(&dest).unwrap(), data);
    let missing = (72 * MIB) as u64 - done + (8 * MIB) as u64;
    assert!(
        proxy.down() >= missing && proxy.down() < missing + MIB as u64,
        "fetched {} bytes for {missing} missing",
        proxy.down()
    );
}

#[test]
fn a_client_side_get_starts_over_and_says_so() {
    let ctx = Ctx::new();
    let scene = Scene::new(&ctx, "dl-client");
    let data = stored(&scene, "obj", 64 * MIB, Mode::Client);
    let folder = scene.folder("down");
    let dest = folder.join("out.bin");
    let proxy = Proxy::start(ctx.port, Vec::new(), Some(24 * MIB as u64));
    let config = scene.config.clone();
    let stats = proxy.stats.clone();
    let cond = move || {
        entry(&config).is_some()
            && stats.down.load(std::sync::atomic::Ordering::SeqCst) > 16 * MIB as u64
    };
    let ran = get(&scene, &proxy.endpoint(), "obj", &dest, Some(&cond));
    assert!(ran.killed, "{}", ran.describe());
    proxy.heal();
    assert!(
        names_in(&folder).is_empty(),
        "no client-side byte has a name before it verified: {:?}",
        names_in(&folder)
    );

    let again = get(&scene, &proxy.endpoint(), "obj", &dest, None);
    settled(&scene, &folder, &again);
    assert!(
        again.stdout.contains(
            "started from the beginning: client-side downloads cannot continue mid-stream"
        ),
        "{}",
        again.stdout
    );
    assert_eq!(std::fs::read(&dest).unwrap(), data);
    assert!(proxy.down() >= 64 * MIB as u64);
}

#[test]
fn the_window_lists_resumes_and_discards_interrupted_downloads() {
    let ctx = Ctx::new();
    let scene = Scene::new(&ctx, "dl-window");
    let data = stored(&scene, "obj", 64 * MIB, Mode::SseKms);
    let folder = scene.folder("down");
    let dest = folder.join("out.bin");
    let (proxy, done) = killed_get(&scene, Mode::SseKms, "obj", &dest, 2);

    let journal = Journal::in_config_dir(&scene.config);
    let listed = interrupted_transfers(&journal).unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    let item = &listed[0];
    assert_eq!(item.direction, Direction::Download);
    assert_eq!(item.object, scene.uri("obj"));
    assert_eq!(
        item.file,
        std::fs::canonicalize(&folder).unwrap().join("out.bin")
    );
    assert_eq!(item.outlook, Outlook::Continues);
    assert_eq!((item.size, item.bytes_done), (64 * MIB as u64, done));
    assert_eq!(item.parts_total, 8);

    let conn = crate::resume::connect(&ctx, &proxy);
    let keys = crate::resume::window_keys(&scene);
    let progress = Progress::new();
    let resumed = crate::resume::resume(&ctx, &conn, &keys, &journal, &item.id, &progress).unwrap();
    let Resumed::Download(fetched) = resumed else {
        panic!("a download resumes as a download");
    };
    assert_eq!(fetched.outcome.start.bytes_reused(), done);
    assert_eq!(progress.snapshot(), (64 * MIB as u64, 64 * MIB as u64));
    assert_eq!(std::fs::read(&dest).unwrap(), data);
    assert_eq!(names_in(&folder), ["out.bin"]);
    assert!(interrupted_transfers(&journal).unwrap().is_empty());

    // Interrupted again, then discarded: the partial file goes with the entry.
    std::fs::remove_file(&dest).unwrap();
    let (_proxy, _) = killed_get(&scene, Mode::SseKms, "obj", &dest, 2);
    let partial = partial(&scene.config);
    assert!(partial.exists());
    let id = interrupted_transfers(&journal).unwrap()[0].id.clone();
    ctx.rt
        .block_on(discard_transfer(&ctx.conn, &journal, &id))
        .unwrap();
    assert!(!partial.exists());
    assert!(names_in(&folder).is_empty());
    assert!(interrupted_transfers(&journal).unwrap().is_empty());
    assert!(
        scene.journal_files().is_empty(),
        "{:?}",
        scene.journal_files()
    );
}
