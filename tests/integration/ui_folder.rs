//! Folders in the window against the real local servers: a folder dropped on the window is
//! counted before anything is sent, uploaded with SSE-C (every object checked on the server),
//! shown as one transfer row that expands into its files, then downloaded byte-identical
//! through "Download folder…".
//! Run with `scripts/test-env.sh cargo test --test integration ui_folder::`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::support::{Sandbox, named_pipe, random_file};
use crate::tree::{assert_same_tree, read_tree};
use crate::ui_support::{
    App, click, click_button, harness, open_bucket, type_into, unique, wait_for, wait_for_label,
    wait_for_label_containing,
};
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;

use s3seal::ui::{DialogRequest, TestFileDialog};
use s3seal::units::human_size;

/// A path dropped on the window, as the platform hands it to egui.
#[derive(Debug)]
struct Dropped(PathBuf);

impl egui::DroppedFile for Dropped {
    fn path(&self) -> &Path {
        &self.0
    }

    fn bytes(&self) -> Result<Vec<u8>, String> {
        Err("a folder has no bytes".to_owned())
    }
}

fn drop_on_window(h: &mut Harness<'static, App>, path: &Path) {
    h.input_mut()
        .dropped_files
        .push(Arc::new(Dropped(path.to_path_buf())));
    h.step();
    h.step();
}

/// Picks SSE-C and the local key `key_name` in the upload dialog.
fn choose_sse_c(h: &mut Harness<'static, App>, key_name: &str) {
    h.get_by_role_and_label(Role::RadioButton, "SSE-C").click();
    h.step();
    h.step();
    h.get_by_label("Local key").click();
    h.step();
    wait_for_label(h, key_name);
    click(h, key_name);
    let summary = wait_for_label_containing(h, "It will be encrypted by S3 with your local key");
    assert!(summary.contains(key_name), "{summary}");
}

/// Writes the folder the test drops: nested folders, an empty file, names with spaces and
/// non-ASCII characters (Latin ones: the harness fails on a character its fonts cannot draw), and a file the dialog is told to leave out. Returns what should
/// arrive (by `/`-separated path) and the left-out file's path.
fn make_folder(root: &Path) -> (BTreeMap<String, Vec<u8>>, String) {
    let mut files = BTreeMap::new();
    let add = |rel: &str, len: usize, seed: u64| {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        random_file(&path, len, seed)
    };
    for (rel, len, seed) in [
        ("top level.txt", 1000, 1),
        ("empty.txt", 0, 2),
        ("with space/naïve résumé.txt", 1234, 3),
        ("ünïcödé/ñandú 1.bin", 77, 4),
        ("d1/d2/deep.bin", 300_000, 5),
    ] {
        files.insert(rel.to_owned(), add(rel, len, seed));
    }
    add("d1/scratch.tmp", 10, 6);
    (files, "d1/scratch.tmp".to_owned())
}

#[test]
fn a_dropped_folder_is_counted_uploaded_with_sse_c_expanded_and_downloaded() {
    let sb = Sandbox::new();
    let bucket = sb.bucket("uifolder");
    let key_name = format!("ui-folder-{}", unique());
    sb.ok(&["keys", "new", &key_name]);
    let root = sb.path("photos");
    let (files, left_out) = make_folder(&root);
    let bytes: u64 = files.values().map(|f| f.len() as u64).sum();

    let dialog = TestFileDialog::new();
    let mut h = harness(
        &sb.env.endpoint,
        sb.env.ca.clone(),
        sb.config_dir(),
        Some(&format!("s3://{bucket}")),
        &dialog,
    );
    // In the (empty) bucket: the bucket list and the breadcrumb both name it.
    wait_for(&mut h, "the bucket to open", |h| {
        h.query_all_by_label(&bucket).count() == 2
    });

    // Dropped on the window, the folder opens the upload dialog, counted before any upload:
    // every file first, then without the one left out.
    drop_on_window(&mut h, &root);
    wait_for_label_containing(&mut h, "Folder ");
    wait_for_label(
        &mut h,
        &format!(
            "{} files, {} to upload",
            files.len() + 1,
            human_size(bytes + 10)
        ),
    );
    type_into(&mut h, "Leave out", "*.tmp");
    wait_for_label(
        &mut h,
        &format!("{} files, {} to upload", files.len(), human_size(bytes)),
    );

    // SSE-C with the local key: the dialog says what the objects will really get.
    choose_sse_c(&mut h, &key_name);
    wait_for_label_containing(&mut h, "Checked with the bucket");
    click(&mut h, &format!("Upload folder ({} files)", files.len()));

    // One row for the folder, which finishes and expands into its files.
    wait_for_label(&mut h, "⬆ folder upload");
    let done = wait_for_label_containing(&mut h, "✔ uploaded");
    assert!(
        done.contains(&format!(
            "uploaded {} files ({})",
            files.len(),
            human_size(bytes)
        )),
        "{done}"
    );
    assert!(done.contains("SSE-C"), "{done}");
    assert!(h.query_by_label("with space/naïve résumé.txt").is_none());
    click(&mut h, &format!("{} files in photos", files.len()));
    wait_for_label(&mut h, "with space/naïve résumé.txt");
    wait_for_label(&mut h, "ünïcödé/ñandú 1.bin");
    assert_eq!(h.query_all_by_label("✔ done").count(), files.len());
    // The listing shows the new folder.
    wait_for_label(&mut h, "📁 photos/");

    // On the server: every file, and only those, with SSE-C under the local key, and its size.
    for (rel, data) in &files {
        let info = sb.info(&format!("s3://{bucket}/photos/{rel}"));
        assert_eq!(info["mode"], "sse-c", "{rel}: {info}");
        assert_eq!(info["matching_key"], key_name.as_str(), "{rel}: {info}");
        assert_eq!(info["size"], data.len() as u64, "{rel}: {info}");
    }
    let err = sb.fails(&["info", &format!("s3://{bucket}/photos/{left_out}")]);
    assert!(err.contains("not found"), "{err}");

    // "Download folder…" on the selected folder row brings it down into a chosen folder.
    click_button(&mut h, "📁 photos/");
    let into = sb.path("downloads");
    std::fs::create_dir_all(&into).unwrap();
    dialog.answer(vec![into.clone()]);
    click_button(&mut h, "Download folder…");
    assert_eq!(dialog.asked(), vec![DialogRequest::OpenFolder]);
    wait_for_label(&mut h, "⬇ folder download");
    let saved = wait_for_label_containing(&mut h, "✔ saved");
    assert!(
        saved.contains(&format!("saved {} files", files.len())),
        "{saved}"
    );
    assert_same_tree(
        &files,
        &read_tree(&into.join("photos")),
        "downloaded folder",
    );

    // Dropped again with "Skip files already there": nothing is sent twice.
    drop_on_window(&mut h, &root);
    let skip = "Skip files already there (same content and encryption)";
    wait_for_label(&mut h, skip);
    type_into(&mut h, "Leave out", "*.tmp");
    click(&mut h, skip);
    choose_sse_c(&mut h, &key_name);
    click(&mut h, &format!("Upload folder ({} files)", files.len()));
    let again = wait_for_label_containing(&mut h, "skipped");
    assert!(
        again.contains("uploaded 0 files (0 B) with SSE-C"),
        "{again}"
    );
    assert!(
        again.contains(&format!("{} skipped", files.len())),
        "{again}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_chosen_folder_goes_up_with_sse_kms_and_a_file_that_cannot_be_sent_is_listed() {
    let sb = Sandbox::new();
    let bucket = sb.bucket("uifolderkms");
    let (kms_key, alias) = sb.kms_key_with_alias("ui-folder").await;
    let root = sb.path("archive");
    let (files, left_out) = make_folder(&root);
    std::fs::remove_file(root.join(&left_out)).unwrap();
    let bytes: u64 = files.values().map(|f| f.len() as u64).sum();
    // A named pipe cannot be sent, whoever runs the test.
    let pipe = root.join("d1/pipe");
    named_pipe(&pipe);

    let dialog = TestFileDialog::new();
    dialog.answer(vec![root.clone()]);
    let mut h = tokio::task::block_in_place(|| open_bucket(&sb, &bucket, &dialog));
    tokio::task::block_in_place(|| {
        wait_for_label_containing(&mut h, "This folder is empty");
        click(&mut h, "Upload…");
        wait_for_label(&mut h, "Choose folder…");
        click_button(&mut h, "Choose folder…");
        assert_eq!(dialog.asked(), vec![DialogRequest::OpenFolder]);
        // The count says what can go and what cannot.
        wait_for_label(
            &mut h,
            &format!(
                "{} files, {} to upload; 1 cannot be read",
                files.len(),
                human_size(bytes)
            ),
        );
        h.get_by_role_and_label(Role::RadioButton, "SSE-KMS")
            .click();
        h.step();
        // A key and alias made after the window listed them appear once it lists them again.
        wait_for_label(&mut h, "Refresh keys");
        let (_, later) =
            tokio::runtime::Handle::current().block_on(sb.kms_key_with_alias("ui-folder-later"));
        click_button(&mut h, "Refresh keys");
        wait_for_label(&mut h, "Refresh keys");
        h.get_by_label("KMS key").click();
        h.step();
        wait_for_label(&mut h, "Find a key");
        type_into(&mut h, "Find a key", "alias/ui-folder");
        wait_for_label(&mut h, &later);
        wait_for_label(&mut h, &alias);
        click(&mut h, &alias);
        let checked = wait_for_label_containing(&mut h, "Checked with the bucket: each object");
        assert!(
            checked.contains(&format!(
                "each object under s3://{bucket}/archive/ will be encrypted with SSE-KMS"
            )),
            "{checked}"
        );
        click(&mut h, &format!("Upload folder ({} files)", files.len()));

        // The folder row fails as a whole, the pipe is listed with its problem.
        let failed = wait_for_label_containing(&mut h, "files failed");
        assert!(
            failed.contains(&format!("1 of {} files failed", files.len() + 1)),
            "{failed}"
        );
        wait_for_label(&mut h, "✖ d1/pipe");
        wait_for_label_containing(&mut h, "named pipe");
    });

    // Every other file went up with SSE-KMS under that key.
    for (rel, data) in &files {
        let info = sb.info(&format!("s3://{bucket}/archive/{rel}"));
        assert_eq!(info["mode"], "sse-kms", "{rel}: {info}");
        assert!(
            info["kms_key_id"]
                .as_str()
                .unwrap_or_default()
                .contains(&kms_key),
            "{rel}: {info}"
        );
        assert_eq!(info["size"], data.len() as u64, "{rel}: {info}");
    }
    let err = sb.fails(&["info", &format!("s3://{bucket}/archive/d1/pipe")]);
    assert!(err.contains("not found"), "{err}");
}
