//! The key manager dialog against the real Secret Service: new, import (bad text shows its
//! error inline), rename and delete, checked through the library afterwards.
//! Run with `scripts/test-env.sh cargo test --test integration ui_keys::`.

use std::sync::Arc;

use crate::support::Sandbox;
use crate::ui_support::{
    click, harness, type_into, unique, wait_for, wait_for_label, wait_for_label_containing,
};
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use s3seal::keys::{KeyManager, KeyringStore};
use s3seal::ui::TestFileDialog;

fn catalog(sb: &Sandbox) -> Vec<String> {
    KeyringStore::use_platform_store().unwrap();
    let keys = KeyManager::new(sb.config_dir(), Arc::new(KeyringStore::new("s3seal")));
    keys.list().unwrap().into_iter().map(|r| r.name).collect()
}

#[test]
fn new_import_rename_delete_round_trip() {
    let sb = Sandbox::new();
    let dialog = TestFileDialog::new();
    let mut h = harness(
        &sb.env.endpoint,
        sb.env.ca.clone(),
        sb.config_dir(),
        None,
        &dialog,
    );
    wait_for_label_containing(&mut h, "🔒 HTTPS");

    // Ctrl+K opens the key manager.
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::K);
    wait_for_label_containing(&mut h, "No local keys yet");

    // New key.
    let fresh = format!("fresh-{}", unique());
    type_into(&mut h, "Name", &fresh);
    click(&mut h, "Create key");
    wait_for_label_containing(&mut h, &format!("created sse-c key '{fresh}'"));
    wait_for_label(&mut h, &fresh);

    // Import: bad text is refused inline, as typed; good text is accepted.
    let imported = format!("imported-{}", unique());
    type_into(&mut h, "Import name", &imported);
    type_into(&mut h, "Key text", "not-a-key");
    let err = wait_for_label_containing(&mut h, "invalid key");
    assert!(err.contains("base64"), "{err}");
    assert!(
        h.get_by_label("Import key").accesskit_node().is_disabled(),
        "Import stays disabled while the text is not a key"
    );
    // Replace the text with a valid key (32 bytes of 0x11 in base64).
    h.get_by_label("Key text").focus();
    h.step();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.get_by_label("Key text")
        .type_text("ERERERERERERERERERERERERERERERERERERERERERE=");
    h.step();
    h.step();
    let ok = wait_for_label_containing(&mut h, "a valid 256-bit key");
    assert!(ok.contains("S3 MD5"), "{ok}");
    click(&mut h, "Import key");
    wait_for_label_containing(&mut h, &format!("imported sse-c key '{imported}'"));
    wait_for_label(&mut h, &imported);
    let names = catalog(&sb);
    assert!(
        names.contains(&fresh) && names.contains(&imported),
        "{names:?}"
    );

    // Rename the imported key.
    let renamed = format!("renamed-{}", unique());
    let rename_buttons = h.get_all_by_label("Rename").count();
    assert_eq!(rename_buttons, 2);
    // Rows are sorted by name: "fresh-…" first, "imported-…" second.
    h.get_all_by_label("Rename").nth(1).unwrap().click();
    h.step();
    h.step();
    h.get_by_label("New name").focus();
    h.step();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.get_by_label("New name").type_text(&renamed);
    h.step();
    click(&mut h, "Save");
    wait_for_label_containing(&mut h, &format!("renamed to '{renamed}'"));
    wait_for_label(&mut h, &renamed);
    assert!(h.query_by_label(&imported).is_none());

    // Delete the fresh key: the confirmation says what becomes unreadable.
    h.get_all_by_label("Delete…").next().unwrap().click();
    h.step();
    h.step();
    let warning = wait_for_label_containing(&mut h, &format!("Delete key '{fresh}'?"));
    assert!(warning.contains("becomes unreadable"), "{warning}");
    click(&mut h, "Delete key");
    wait_for_label_containing(&mut h, &format!("deleted key '{fresh}'"));
    wait_for(&mut h, "the deleted key's row to go", |h| {
        h.query_by_label(&fresh).is_none()
    });
    assert_eq!(catalog(&sb), vec![renamed]);
}
