//! Incomplete multipart uploads from any tool: `uploads list` (key, start, parts, bytes; which
//! s3seal can resume) and `uploads abort` (says what it would abort, needs --all or
//! --older-than, says when it discards a resumable upload).

use crate::faults::proxy::Proxy;
use crate::faults::scene::{Ctx, Mode, Scene, put};

const MIB: usize = 1024 * 1024;

fn listed(scene: &Scene<'_>, endpoint: &str, uri: &str) -> serde_json::Value {
    let out = crate::faults::run::run(
        scene.cmd(endpoint).args(["uploads", "list", uri, "--json"]),
        crate::faults::scene::RUN_TIMEOUT,
        None,
    );
    assert!(out.ok(), "{}", out.describe());
    serde_json::from_str(&out.stdout).unwrap()
}

#[test]
fn other_tools_uploads_are_listed_and_aborted_only_when_asked() {
    let ctx = Ctx::new();
    let scene = Scene::new(&ctx, "orphans");
    let first = scene.leave_incomplete("logs/a.bin", 5 * MIB);
    scene.leave_incomplete("data/b.bin", 5 * MIB);

    let all = listed(&scene, &ctx.endpoint, &format!("s3://{}", scene.bucket));
    assert_eq!(all.as_array().unwrap().len(), 2, "{all}");
    let a = all
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["key"] == "logs/a.bin")
        .unwrap();
    assert_eq!(a["upload_id"], first.as_str());
    assert_eq!(a["parts"], 1);
    assert_eq!(a["bytes"], 5 * MIB as u64);
    assert!(a["s3seal"].is_null(), "{a}");
    assert!(a["initiated"].as_str().unwrap().starts_with("20"), "{a}");
    let under = listed(&scene, &ctx.endpoint, &scene.uri("logs/"));
    assert_eq!(under.as_array().unwrap().len(), 1, "{under}");

    let text = scene.ok(&["uploads", "list", &scene.uri("")]);
    assert!(text.contains("2 incomplete uploads, 10.0 MiB"), "{text}");

    // Without --all or --older-than: it says what it would abort and aborts nothing.
    let out = crate::faults::run::run(
        scene.direct().args(["uploads", "abort", &scene.uri("")]),
        crate::faults::scene::RUN_TIMEOUT,
        None,
    );
    assert_eq!(out.code, Some(1), "{}", out.describe());
    assert!(out.stdout.contains("would abort:"), "{}", out.stdout);
    assert!(out.stdout.contains("logs/a.bin"), "{}", out.stdout);
    assert!(
        out.clear_error()
            .unwrap()
            .contains("--all, or --older-than DAYS"),
        "{}",
        out.stderr
    );
    assert_eq!(scene.orphans(), 2);

    // Started just now: none is a day old.
    let out = scene.ok(&["uploads", "abort", &scene.uri(""), "--older-than", "1"]);
    assert!(out.contains("no incomplete upload"), "{out}");
    assert_eq!(scene.orphans(), 2);

    let out = scene.ok(&["uploads", "abort", &scene.uri("logs/"), "--all"]);
    assert!(out.contains("aborted 1 upload"), "{out}");
    assert!(out.contains("5.0 MiB freed"), "{out}");
    assert_eq!(scene.orphans(), 1);
    scene.ok(&["uploads", "abort", &scene.uri(""), "--all"]);
    assert_eq!(scene.orphans(), 0);
}

#[test]
fn an_interrupted_s3seal_upload_is_marked_and_aborting_it_says_so() {
    let ctx = Ctx::new();
    let scene = Scene::new(&ctx, "own-orphan");
    let (path, data) = scene.file("src.bin", 64 * MIB);
    let proxy = Proxy::start(ctx.port, Vec::new(), Some(32 * MIB as u64));
    let config = scene.config.clone();
    // Killed once the journal records the upload.
    let cond = move || {
        crate::faults::scene::names_in(&config.join("transfers"))
            .iter()
            .any(|n| n.ends_with(".json"))
    };
    let ran = put(
        &scene,
        &proxy.endpoint(),
        &path,
        "obj",
        Mode::SseS3,
        Some(&cond),
    );
    assert!(ran.killed, "{}", ran.describe());
    proxy.heal();

    let all = listed(&scene, &proxy.endpoint(), &scene.uri(""));
    let own = &all[0];
    assert_eq!(own["key"], "obj");
    assert_eq!(own["s3seal"]["resumable"], true, "{own}");
    assert_eq!(own["s3seal"]["in_progress"], false, "{own}");
    assert_eq!(
        own["s3seal"]["source"],
        std::fs::canonicalize(&path).unwrap().display().to_string()
    );
    let text = crate::faults::run::run(
        scene
            .cmd(&proxy.endpoint())
            .args(["uploads", "list", &scene.uri("")]),
        crate::faults::scene::RUN_TIMEOUT,
        None,
    );
    assert!(text.stdout.contains("resumable: put "), "{}", text.stdout);

    let out = crate::faults::run::run(
        scene
            .cmd(&proxy.endpoint())
            .args(["uploads", "abort", &scene.uri(""), "--all"]),
        crate::faults::scene::RUN_TIMEOUT,
        None,
    );
    assert!(out.ok(), "{}", out.describe());
    assert!(
        out.stdout.contains("is an interrupted s3seal upload of")
            && out.stdout.contains("that `s3seal put` can continue"),
        "{}",
        out.stdout
    );
    assert_eq!(scene.orphans(), 0);
    assert!(
        scene.journal_files().is_empty(),
        "{:?}",
        scene.journal_files()
    );

    // The same put now starts afresh, with nothing to say about it.
    let again = put(&scene, &proxy.endpoint(), &path, "obj", Mode::SseS3, None);
    assert!(again.ok(), "{}", again.describe());
    assert!(!again.stdout.contains("note:"), "{}", again.stdout);
    assert!(scene.object_is("obj", &data));
}
