//! The README's pictures: the window shown from the fixed scene of ui_scene.rs, held in memory
//! (no server, no clock). Every run builds the scene and checks what each view shows;
//! `S3SEAL_WRITE_PICTURES=1` also writes docs/pictures/*.png. The regression snapshots, with
//! their masks, are ui_snapshots.rs.

use std::path::PathBuf;

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use s3seal::ui::preview::{Preview, PreviewPart};

use crate::ui_scene::{BUCKET, ENDPOINT, OBJECTS, RECORDS_KEY, SELECTED, scene};
use crate::ui_support::{App, drawing_harness, on_screen, preview_options, shows_value};

/// The window's key catalog, journal and jobs folder: empty, removed after the test.
fn config_dir() -> PathBuf {
    std::env::temp_dir().join(format!("s3seal-pictures-{}", std::process::id()))
}

fn picture_harness() -> Harness<'static, App> {
    drawing_harness(preview_options(config_dir()), egui::vec2(1440.0, 810.0))
}

/// Shows `part` of the scene and lets the layout settle.
fn show(h: &mut Harness<'static, App>, scene: &Preview, part: PreviewPart) {
    h.state_mut().as_mut().unwrap().show_preview(scene, part);
    h.remove_cursor();
    for _ in 0..6 {
        h.step();
    }
}

fn shown(h: &Harness<'static, App>, label: &str) -> bool {
    h.query_all_by_label(label).next().is_some()
}

fn shown_containing(h: &Harness<'static, App>, part: &str) -> bool {
    h.query_all_by_label_contains(part).next().is_some()
}

/// Nothing on screen says the scene is not real: no local address, no temp path, no
/// problem from a request a view made on its own.
fn assert_clean(h: &Harness<'static, App>, part: &str) {
    let text = on_screen(h).to_lowercase();
    for never in ["127.0.0.1", "localhost", "/tmp", "not connected", "details"] {
        assert!(
            !text.contains(never),
            "{part}: '{never}' on screen:\n{text}"
        );
    }
}

/// Writes the picture when asked to (`S3SEAL_WRITE_PICTURES=1`).
fn picture(h: &mut Harness<'static, App>, name: &str) {
    if std::env::var_os("S3SEAL_WRITE_PICTURES").is_none() {
        return;
    }
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/pictures");
    std::fs::create_dir_all(&dir).unwrap();
    let image = h.render().unwrap();
    image.save(dir.join(format!("{name}.png"))).unwrap();
}

#[test]
fn readme_pictures_from_a_fixed_scene() {
    let scene = scene();
    assert!(scene.objects.len() >= 30);
    let mut h = picture_harness();
    h.step();

    show(&mut h, &scene, PreviewPart::Objects);
    for badge in [
        "SSE-S3",
        "SSE-KMS · alias/records",
        "DSSE-KMS · alias/restricted",
        "SSE-C · ledger-2025",
        "client-side · V3",
        "client-side · V2",
    ] {
        assert!(shown(&h, badge), "badge '{badge}'");
    }
    assert!(shown_containing(&h, ENDPOINT));
    assert!(
        shows_value(&h, &format!("s3://{BUCKET}/{SELECTED}")),
        "the inspector shows {SELECTED}"
    );
    assert_clean(&h, "objects");
    picture(&mut h, "main_window");

    show(&mut h, &scene, PreviewPart::Security);
    assert!(shown(&h, "Encryption in transit"));
    assert_clean(&h, "security");
    picture(&mut h, "bucket_security");

    show(&mut h, &scene, PreviewPart::Audit);
    let total = format!("s3://{BUCKET}/: {} objects", OBJECTS.len());
    assert!(shown_containing(&h, &total), "{total}");
    assert!(shown(&h, "By mode"));
    assert_clean(&h, "audit");
    picture(&mut h, "audit");

    show(&mut h, &scene, PreviewPart::Keys);
    for key in ["board-archive", "ledger-2025", "payroll-client"] {
        assert!(shown(&h, key), "local key '{key}'");
    }
    assert_clean(&h, "keys");
    picture(&mut h, "key_manager");

    let files = vec![
        PathBuf::from("/home/dana/Documents/close/general-ledger-2025-03.parquet"),
        PathBuf::from("/home/dana/Documents/close/trial-balance-2025-03.xlsx"),
    ];
    show(&mut h, &scene, PreviewPart::Upload(files));
    // SSE-KMS under the bucket's key, picked as a person would (no pointer in the picture).
    h.get_by_role_and_label(Role::RadioButton, "SSE-KMS")
        .click_accesskit();
    h.step();
    h.get_by_role_and_label(Role::ComboBox, "KMS key").click();
    for _ in 0..3 {
        h.step();
    }
    h.get_by_role_and_label(Role::Button, RECORDS_KEY.1).click();
    h.remove_cursor();
    for _ in 0..4 {
        h.step();
    }
    assert!(shown_containing(&h, "KMS key alias/records"));
    // The bucket's answer names the key by alias too, not by the id S3 is sent.
    assert!(shown_containing(&h, "SSE-KMS using alias/records"));
    assert!(
        !on_screen(&h).contains(RECORDS_KEY.0),
        "the key's id on screen"
    );
    assert_clean(&h, "upload");
    picture(&mut h, "upload_dialog");
    drop(h);
    let _ = std::fs::remove_dir_all(config_dir());
}
