//! The window against the real local servers: connect, browse, upload through the dialog
//! with each encryption mode, see the badges, inspect, download, delete; keyboard navigation.
//! Run with `scripts/test-env.sh cargo test --test integration ui_app::`.

use crate::support::{Sandbox, random_file};
use crate::ui_support::{
    click, click_button, harness, open_bucket, unique, wait_for, wait_for_label,
    wait_for_label_containing,
};
use egui::accesskit::Role;
use egui_kittest::kittest::Queryable as _;

use s3seal::ui::TestFileDialog;

#[test]
fn upload_with_sse_c_through_the_dialog_then_inspect_and_download() {
    let sb = Sandbox::new();
    let bucket = sb.bucket("ui");
    let key_name = format!("ui-key-{}", unique());
    sb.ok(&["keys", "new", &key_name]);
    // Something already there, in a folder, with another mode.
    let readme = sb.path("readme.txt");
    random_file(&readme, 1000, 1);
    sb.ok(&[
        "put",
        readme.to_str().unwrap(),
        &format!("s3://{bucket}/docs/readme.txt"),
        "--encryption",
        "sse-s3",
    ]);
    let data = random_file(&sb.path("photo.bin"), 300_000, 7);

    let dialog = TestFileDialog::new();
    let mut h = harness(
        &sb.env.endpoint,
        sb.env.ca.clone(),
        sb.config_dir(),
        Some(&format!("s3://{bucket}")),
        &dialog,
    );

    // Connected over HTTPS, in the bucket, with the folder listed.
    wait_for_label_containing(&mut h, "🔒 HTTPS");
    wait_for_label(&mut h, "📁 docs/");
    // The bucket list and the breadcrumb both name the bucket.
    assert_eq!(h.query_all_by_label(&bucket).count(), 2);

    // Upload through the dialog with SSE-C and the local key.
    click(&mut h, "Upload…");
    wait_for_label(&mut h, "Add files…");
    dialog.answer(vec![sb.path("photo.bin")]);
    click(&mut h, "Add files…");
    wait_for_label(&mut h, &sb.path("photo.bin").display().to_string());
    h.get_by_role_and_label(Role::RadioButton, "SSE-C").click();
    h.step();
    h.step();
    // The summary says what is missing until a key is picked.
    wait_for_label(&mut h, "pick the local key to encrypt with, or create one");
    h.get_by_label("Local key").click();
    h.step();
    wait_for_label(&mut h, &key_name);
    click(&mut h, &key_name);
    let summary =
        wait_for_label_containing(&mut h, "It will be encrypted by S3 with your local key");
    assert!(summary.contains(&key_name), "{summary}");
    click(&mut h, "Upload 1 file");

    // The transfer finishes, and the badge shows SSE-C with the key's name.
    let done = wait_for_label_containing(&mut h, "✔ uploaded");
    assert!(done.contains("SSE-C"), "{done}");
    wait_for_label(&mut h, &format!("SSE-C · {key_name}"));

    // Select it: the inspector names the key that fits.
    click_button(&mut h, "photo.bin");
    wait_for_label(&mut h, &format!("'{key_name}' fits"));
    wait_for_label(&mut h, "AES256");
    assert!(h.query_by_label_contains("300000 bytes").is_some());

    // Download it through the save dialog: same bytes.
    let dest = sb.path("downloaded.bin");
    dialog.answer(vec![dest.clone()]);
    click(&mut h, "Download…");
    wait_for_label_containing(&mut h, "✔ saved");
    assert_eq!(std::fs::read(&dest).unwrap(), data);

    // The folder: Enter opens it, the SSE-S3 badge fills in, Backspace goes back up.
    click(&mut h, "📁 docs/");
    h.key_press(egui::Key::Enter);
    wait_for_label(&mut h, "readme.txt");
    wait_for_label(&mut h, "SSE-S3");
    h.key_press(egui::Key::Backspace);
    wait_for_label(&mut h, "photo.bin");

    // Delete with confirmation; the row goes away and S3 agrees.
    click_button(&mut h, "photo.bin");
    wait_for_label(&mut h, &format!("'{key_name}' fits"));
    click(&mut h, "Delete…");
    wait_for_label_containing(&mut h, "This cannot be undone");
    click(&mut h, "Delete object");
    wait_for(&mut h, "the deleted row to disappear", |h| {
        h.query_all_by_label("photo.bin").next().is_none()
    });
    let err = sb.fails(&["info", &format!("s3://{bucket}/photo.bin")]);
    assert!(err.contains("not found"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn badges_for_every_server_side_mode() {
    let sb = Sandbox::new();
    let bucket = sb.bucket("uimodes");
    let (kms_key, alias) = sb.kms_key_with_alias("ui").await;
    let file = sb.path("f.txt");
    random_file(&file, 2000, 3);
    let put = |name: &str, args: &[&str]| {
        let mut all = vec!["put", file.to_str().unwrap()];
        let uri = format!("s3://{bucket}/{name}");
        all.push(&uri);
        all.extend_from_slice(args);
        sb.ok(&all);
    };
    put("s3.txt", &["--encryption", "sse-s3"]);
    put(
        "kms.txt",
        &["--encryption", "sse-kms", "--kms-key", &kms_key],
    );
    put(
        "dsse.txt",
        &["--encryption", "dsse-kms", "--kms-key", &kms_key],
    );
    // An SSE-C object whose key is not in this sandbox's catalog.
    let other = Sandbox::new();
    other.ok(&["keys", "new", "elsewhere"]);
    let other_put = {
        let uri = format!("s3://{bucket}/sse-c.txt");
        let out = other
            .cmd()
            .args([
                "put",
                file.to_str().unwrap(),
                &uri,
                "--encryption",
                "sse-c",
                "--key",
                "elsewhere",
            ])
            .output()
            .unwrap();
        out.status.success()
    };
    assert!(other_put);

    let dialog = TestFileDialog::new();
    let mut h = tokio::task::block_in_place(|| open_bucket(&sb, &bucket, &dialog));
    tokio::task::block_in_place(|| {
        wait_for_label(&mut h, "SSE-S3");
        // KMS badges show the alias once ListAliases has answered (the upload dialog or the
        // inspector asks for it; here the inspector of the KMS object).
        click_button(&mut h, "kms.txt");
        wait_for_label_containing(&mut h, &format!("SSE-KMS · {alias}"));
        // LocalStack reports DSSE without the key id; AWS names it (then the alias shows).
        let dsse = wait_for_label_containing(&mut h, "DSSE-KMS");
        assert!(
            dsse == "DSSE-KMS" || dsse == format!("DSSE-KMS · {alias}"),
            "{dsse}"
        );
        wait_for_label(&mut h, "SSE-C · unknown key");
        click_button(&mut h, "sse-c.txt");
        wait_for_label(&mut h, "none of the local keys fits");
    });
}

#[test]
fn plain_http_warns_loudly_and_refuses_sse_c_uploads() {
    let sb = Sandbox::new();
    let bucket = sb.bucket("uihttp");
    let dialog = TestFileDialog::new();
    let mut h = harness(
        &sb.env.http_endpoint,
        sb.env.ca.clone(),
        sb.config_dir(),
        Some(&format!("s3://{bucket}")),
        &dialog,
    );
    wait_for_label_containing(&mut h, "⚠ PLAIN HTTP");
    wait_for_label_containing(&mut h, "This folder is empty");
    click(&mut h, "Upload…");
    wait_for_label(&mut h, "Add files…");
    random_file(&sb.path("x.bin"), 10, 1);
    dialog.answer(vec![sb.path("x.bin")]);
    click(&mut h, "Add files…");
    h.get_by_role_and_label(Role::RadioButton, "SSE-C").click();
    h.step();
    h.step();
    wait_for_label(
        &mut h,
        "SSE-C is refused over plain HTTP: the key would travel in clear",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn client_side_upload_inspect_and_decrypting_download() {
    let sb = Sandbox::new();
    let bucket = sb.bucket("uiclient");
    let key_name = format!("ui-client-{}", unique());
    sb.ok(&["keys", "new", &key_name, "--kind", "client"]);
    let conn = sb.connection().await;
    let kms_key = conn
        .kms()
        .create_key()
        .send()
        .await
        .unwrap()
        .key_metadata()
        .unwrap()
        .key_id()
        .to_owned();
    // A client-side KMS object written by the CLI, to be read through the window.
    let kms_data = random_file(&sb.path("kms.bin"), 5000, 21);
    sb.ok(&[
        "put",
        sb.path("kms.bin").to_str().unwrap(),
        &format!("s3://{bucket}/kms.bin"),
        "--encryption",
        "client",
        "--kms-key",
        &kms_key,
    ]);
    let data = random_file(&sb.path("secret.bin"), 200_000, 22);

    let dialog = TestFileDialog::new();
    let mut h = harness(
        &sb.env.endpoint,
        sb.env.ca.clone(),
        sb.config_dir(),
        Some(&format!("s3://{bucket}")),
        &dialog,
    );
    wait_for_label(&mut h, "kms.bin");

    click(&mut h, "Upload…");
    wait_for_label(&mut h, "Add files…");
    dialog.answer(vec![sb.path("secret.bin")]);
    click(&mut h, "Add files…");
    wait_for_label(&mut h, &sb.path("secret.bin").display().to_string());
    h.get_by_role_and_label(Role::RadioButton, "Client-side")
        .click();
    h.step();
    h.step();
    h.get_by_label("Local key").click();
    h.step();
    wait_for_label(&mut h, &key_name);
    click(&mut h, &key_name);
    let summary = wait_for_label_containing(&mut h, "It will be encrypted on this machine");
    assert!(summary.contains("client-side V3"), "{summary}");
    click(&mut h, "Upload 1 file");
    let done = wait_for_label_containing(&mut h, "✔ uploaded");
    assert!(done.contains("client-side V3"), "{done}");
    wait_for_label(&mut h, "client-side · V3");

    // The inspector reads the envelope and names the local key that opens it.
    click_button(&mut h, "secret.bin");
    wait_for_label(&mut h, &format!("'{key_name}' opens it"));
    wait_for_label(&mut h, "AES/GCM");

    // S3 holds ciphertext; the window's download decrypts and verifies it.
    let stored = sb.info(&format!("s3://{bucket}/secret.bin"));
    assert_eq!(stored["size"], 200_016);
    let dest = sb.path("back.bin");
    dialog.answer(vec![dest.clone()]);
    click(&mut h, "Download…");
    let saved = wait_for_label_containing(&mut h, "tag verified");
    assert!(saved.contains(&key_name), "{saved}");
    assert!(std::fs::read(&dest).unwrap() == data);

    // The KMS-wrapped object written by the CLI opens through the window as well.
    click_button(&mut h, "kms.bin");
    wait_for_label(&mut h, "kms+context");
    let dest = sb.path("kms-back.bin");
    dialog.answer(vec![dest.clone()]);
    click(&mut h, "Download…");
    wait_for_label_containing(&mut h, "decrypted with KMS, tag verified");
    assert!(std::fs::read(&dest).unwrap() == kms_data);
}
