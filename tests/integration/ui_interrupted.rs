//! Interrupted transfers in the window: a `s3seal put` (the real binary) SIGKILLed halfway
//! through a throttling proxy is listed when the window starts; connected elsewhere it says
//! where to connect; connected there, "Resume" sends only the missing parts (the object reads
//! back byte-identical, no upload left open) and "Discard…" aborts it on S3 after a yes. The
//! window's own upload of the same file goes through the same journal and continues it.
//! Run with `scripts/test-env.sh cargo test --test integration ui_interrupted::`.

use egui::accesskit::Role;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use s3seal::ui::TestFileDialog;

use crate::faults::proxy::Proxy;
use crate::faults::scene::{Ctx, Mode, Scene};
use crate::resume::{killed_put, recorded_parts};
use crate::ui_support::{
    App, click, click_button, harness, wait_for, wait_for_label, wait_for_label_containing,
};

const MIB: usize = 1024 * 1024;
const SIZE: usize = 64 * MIB;

/// A window on the scene's bucket through `endpoint`, with the scene's keys and journal.
fn window(
    scene: &Scene<'_>,
    endpoint: &str,
    dialog: &TestFileDialog,
) -> egui_kittest::Harness<'static, App> {
    harness(
        endpoint,
        scene.ctx.ca.clone(),
        scene.config.clone(),
        Some(&scene.uri("")),
        dialog,
    )
}

fn no_interrupted(h: &egui_kittest::Harness<'static, App>) -> bool {
    h.query_all_by_label("Interrupted transfers")
        .next()
        .is_none()
}

#[test]
fn a_killed_put_is_listed_at_start_then_resumed_or_discarded() {
    let ctx = Ctx::new();
    let scene = Scene::new(&ctx, "uiresume");
    let (path, data) = scene.file("obj", SIZE);
    let proxy = Proxy::start(ctx.port, Vec::new(), Some(48 * MIB as u64));
    killed_put(&scene, &proxy, &path, Mode::SseS3, 2);
    let done = recorded_parts(&scene.config);
    let dialog = TestFileDialog::new();

    // Connected straight to LocalStack: the upload went through the proxy, another endpoint.
    let mut h = window(&scene, &ctx.endpoint, &dialog);
    wait_for_label(&mut h, "Interrupted transfers");
    wait_for_label_containing(
        &mut h,
        &format!("{} to {}", path.display(), scene.uri("obj")),
    );
    wait_for_label_containing(&mut h, &format!("({done} of 8 parts) · SSE-S3"));
    let port = proxy.endpoint().rsplit(':').next().unwrap().to_owned();
    wait_for_label(
        &mut h,
        &format!("started on 127.0.0.1:{port}: connect there to resume"),
    );
    for button in ["Resume", "Discard…"] {
        let node = h.get_by_role_and_label(Role::Button, button);
        assert!(node.accesskit_node().is_disabled(), "{button} is enabled");
    }
    drop(h);

    // Connected where it started: Resume continues with the missing parts.
    let mut h = window(&scene, &proxy.endpoint(), &dialog);
    wait_for_label(&mut h, "Resume sends only the missing parts");
    click_button(&mut h, "Resume");
    wait_for_label_containing(
        &mut h,
        &format!("✔ continued an interrupted upload: {done} parts"),
    );
    wait_for(&mut h, "the interrupted list to empty", no_interrupted);
    drop(h);
    let missing = (SIZE - 8 * MIB * done) as u64;
    assert!(
        proxy.up() >= missing && proxy.up() < missing + MIB as u64,
        "sent {} bytes for {missing} missing",
        proxy.up()
    );
    assert!(
        scene.object_is("obj", &data),
        "the object differs from the file"
    );
    scene.assert_nothing_left();

    // Killed again: Discard… asks first, then aborts the upload on S3.
    let proxy = Proxy::start(ctx.port, Vec::new(), Some(48 * MIB as u64));
    killed_put(&scene, &proxy, &path, Mode::SseS3, 2);
    let mut h = window(&scene, &proxy.endpoint(), &dialog);
    wait_for_label(&mut h, "Resume sends only the missing parts");
    click_button(&mut h, "Discard…");
    wait_for_label_containing(&mut h, "Abort this upload on S3 and forget it?");
    assert_eq!(scene.orphans(), 1, "discarded before the yes");
    click_button(&mut h, "Discard upload");
    wait_for_label_containing(
        &mut h,
        &format!("discarded the interrupted upload to {}", scene.uri("obj")),
    );
    wait_for(&mut h, "the interrupted list to empty", no_interrupted);
    drop(h);
    scene.assert_nothing_left();
}

#[test]
fn the_windows_own_upload_goes_through_the_journal() {
    let ctx = Ctx::new();
    let scene = Scene::new(&ctx, "uiupload");
    let (path, data) = scene.file("obj", SIZE);
    let proxy = Proxy::start(ctx.port, Vec::new(), Some(48 * MIB as u64));
    killed_put(&scene, &proxy, &path, Mode::SseS3, 2);
    let done = recorded_parts(&scene.config);
    let dialog = TestFileDialog::new();

    // Uploading the same file to the same object from the window finds the journal's entry
    // (kept beside the window's keys) and continues it.
    let mut h = window(&scene, &proxy.endpoint(), &dialog);
    wait_for_label(&mut h, "Interrupted transfers");
    click(&mut h, "Upload…");
    wait_for_label(&mut h, "Add files…");
    dialog.answer(vec![path.clone()]);
    click(&mut h, "Add files…");
    h.get_by_role_and_label(Role::RadioButton, "SSE-S3").click();
    h.step();
    click_button(&mut h, "Upload 1 file");
    wait_for_label_containing(
        &mut h,
        &format!("(continued an interrupted upload: {done} parts"),
    );
    wait_for(&mut h, "the interrupted list to empty", no_interrupted);
    drop(h);
    assert!(
        scene.object_is("obj", &data),
        "the object differs from the file"
    );
    scene.assert_nothing_left();
}
