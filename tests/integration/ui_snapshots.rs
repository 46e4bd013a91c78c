//! Snapshot images of the window against the real local servers: the main window with badges,
//! the inspector, the upload dialog, the bucket security view, the audit and the key manager
//! (wgpu renders on the CPU here).
//! Changing parts (server port, temp paths, dates) are masked. Update the images with
//! `UPDATE_SNAPSHOTS=1 scripts/test-env.sh cargo test --test integration ui_snapshots::`.

use crate::support::Sandbox;
use crate::ui_support::{
    App, click, click_button, drawing_harness, type_into, wait_for_label, wait_for_label_containing,
};
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use s3seal::s3::{ConnectOptions, S3Uri};
use s3seal::ui::state::Theme;
use s3seal::ui::{AppOptions, PersistedState, Runtime, TestFileDialog};

/// 32 bytes of 0x5a: a fixed key, so its fingerprints in the pictures never change.
const KEY_HEX: &str = "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a";

fn looks_like_a_date(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() >= 10 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-' && b[7] == b'-'
}

/// Masks everything that differs between runs: the server's port, temp paths, dates. With a
/// window (dialog) open, what lies behind it is masked only where it peeks out: the window
/// itself stays as drawn.
fn mask_volatile(h: &mut Harness<'static, App>, window: Option<&str>) {
    let (window_rect, rects): (Option<egui::Rect>, Vec<(egui::Rect, bool)>) = {
        let window = window.map(|title| h.get_by_role_and_label(Role::Window, title));
        let window_rect = window.as_ref().map(|w| w.rect());
        let window_node = window.as_ref().map(|w| w.accesskit_node());
        let rects = h
            .query_all_by(|node| {
                let label = node.label().unwrap_or_default();
                let value = node.value().unwrap_or_default();
                label.contains("127.0.0.1")
                    || value.contains("127.0.0.1")
                    || label.contains("/tmp")
                    || value.contains("/tmp")
                    || looks_like_a_date(value.trim())
                    || looks_like_a_date(label.trim())
            })
            .map(|n| {
                // Text inside a field may run past it (clipped when drawn): mask the field.
                let node = n.accesskit_node();
                let inside = window_node
                    .as_ref()
                    .is_some_and(|w| node.is_descendant_of(w));
                let field = std::iter::successors(Some(node), |n| n.parent())
                    .take(4)
                    .find(|n| n.role() == Role::TextInput)
                    .and_then(|n| n.bounding_box());
                let rect = field.map_or_else(
                    || n.rect(),
                    |bb| {
                        egui::Rect::from_min_max(
                            egui::pos2(bb.x0 as f32, bb.y0 as f32),
                            egui::pos2(bb.x1 as f32, bb.y1 as f32),
                        )
                    },
                );
                (rect.expand(1.0), inside)
            })
            .collect();
        (window_rect, rects)
    };
    for (rect, inside) in rects {
        match window_rect {
            Some(window) if !inside => {
                // The window's rounded corners let what is behind show through: the mask
                // reaches a few pixels in.
                for part in outside_of(rect, window.shrink(6.0)) {
                    h.mask(part);
                }
            }
            _ => h.mask(rect),
        }
    }
}

/// The parts of `rect` outside `hole` (up to four strips).
fn outside_of(rect: egui::Rect, hole: egui::Rect) -> Vec<egui::Rect> {
    if !rect.intersects(hole) {
        return vec![rect];
    }
    let strips = [
        egui::Rect::from_min_max(rect.min, egui::pos2(rect.max.x, hole.min.y)),
        egui::Rect::from_min_max(egui::pos2(rect.min.x, hole.max.y), rect.max),
        egui::Rect::from_min_max(
            egui::pos2(rect.min.x, hole.min.y.max(rect.min.y)),
            egui::pos2(hole.min.x, hole.max.y.min(rect.max.y)),
        ),
        egui::Rect::from_min_max(
            egui::pos2(hole.max.x, hole.min.y.max(rect.min.y)),
            egui::pos2(rect.max.x, hole.max.y.min(rect.max.y)),
        ),
    ];
    strips
        .into_iter()
        .filter(|s| s.width() > 0.0 && s.height() > 0.0)
        .collect()
}

fn snapshot_harness(sb: &Sandbox, bucket: &str, dialog: &TestFileDialog) -> Harness<'static, App> {
    let options = AppOptions {
        connect: Some(ConnectOptions {
            endpoint_url: Some(sb.env.endpoint.clone()),
            ca_bundle: Some(sb.env.ca.clone()),
            ..Default::default()
        }),
        location: Some(format!("s3://{bucket}").parse::<S3Uri>().unwrap()),
        config_dir: Some(sb.config_dir()),
        file_dialog: Box::new(dialog.clone()),
        runtime: Runtime::Own,
        persisted: Some(PersistedState {
            theme: Theme::Dark,
            ..Default::default()
        }),
        discovery: None,
    };
    drawing_harness(options, egui::vec2(1280.0, 760.0))
}

fn settle(h: &mut Harness<'static, App>) {
    h.remove_cursor();
    // Spinners are gone once everything has arrived; a few more frames let layouts settle.
    crate::ui_support::wait_for(h, "the window to go idle", |h| {
        h.state().as_ref().is_some_and(|app| !app.is_busy())
    });
    for _ in 0..4 {
        h.step();
    }
}

#[test]
fn main_window_inspector_upload_dialog_security_audit_and_key_manager() {
    let sb = Sandbox::new();
    // A fixed bucket name: it shows in the pictures. Fresh LocalStack per run; tolerate reruns.
    let bucket = "s3seal-snapshots";
    let _ = sb.cmd().args(["mb", &format!("s3://{bucket}")]).output();
    sb.ok(&["keys", "import", "archive-key", "--hex", KEY_HEX]);
    let files = std::env::temp_dir().join("s3seal-snapshot-files");
    std::fs::create_dir_all(&files).unwrap();
    let put = |name: &str, len: usize, args: &[&str]| {
        let path = files.join(name.replace('/', "_"));
        std::fs::write(&path, vec![b'x'; len]).unwrap();
        let uri = format!("s3://{bucket}/{name}");
        let mut all = vec!["put", path.to_str().unwrap(), uri.as_str()];
        all.extend_from_slice(args);
        sb.ok(&all);
    };
    put("quarterly-report.pdf", 48_213, &["--encryption", "sse-s3"]);
    put("archive/2024.tar", 1_300_000, &["--encryption", "sse-s3"]);
    put(
        "customer-export.csv",
        7_420,
        &["--encryption", "sse-c", "--key", "archive-key"],
    );
    put("readme.txt", 640, &[]);

    let dialog = TestFileDialog::new();
    let mut h = snapshot_harness(&sb, bucket, &dialog);
    // Other tests' buckets share the server: show only this one.
    type_into(&mut h, "Filter", bucket);
    wait_for_label(&mut h, "SSE-C · archive-key");
    wait_for_label_containing(&mut h, "quarterly-report.pdf");
    settle(&mut h);

    // The inspector of the SSE-S3 report.
    click_button(&mut h, "quarterly-report.pdf");
    wait_for_label(&mut h, "ETag");
    settle(&mut h);
    mask_volatile(&mut h, None);
    h.snapshot("main_window_inspector");

    // The upload dialog with a file and SSE-C chosen.
    click(&mut h, "Upload…");
    wait_for_label(&mut h, "Add files…");
    let photo = files.join("holiday.jpg");
    std::fs::write(&photo, b"jpeg").unwrap();
    dialog.answer(vec![photo]);
    click(&mut h, "Add files…");
    h.get_by_role_and_label(Role::RadioButton, "SSE-C").click();
    h.step();
    h.get_by_label("Local key").click();
    h.step();
    wait_for_label(&mut h, "archive-key");
    h.get_all_by_label("archive-key").last().unwrap().click();
    h.step();
    wait_for_label_containing(&mut h, "your local key 'archive-key'");
    settle(&mut h);
    mask_volatile(&mut h, Some("Upload"));
    h.snapshot("upload_dialog");
    click(&mut h, "Cancel");

    // The bucket's security: a verdict per item, and the actions that change them.
    click(&mut h, "Bucket security");
    wait_for_label(&mut h, "Encryption in transit");
    settle(&mut h);
    mask_volatile(&mut h, None);
    h.snapshot("bucket_security");

    // The audit of the bucket: counts by mode and by key, the rows.
    click(&mut h, "Audit");
    click_button(&mut h, &format!("Audit s3://{bucket}/"));
    wait_for_label_containing(&mut h, ": 4 objects");
    settle(&mut h);
    mask_volatile(&mut h, None);
    h.snapshot("audit");
    click(&mut h, "Objects");

    // The key manager.
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::K);
    wait_for_label(&mut h, "Create key");
    wait_for_label(&mut h, "Rename");
    settle(&mut h);
    mask_volatile(&mut h, Some("Keys"));
    h.snapshot("key_manager");
}
