//! The window for a newcomer: with nothing configured it greets instead of failing and leads to
//! a working connection (an endpoint and an access key kept in the OS keyring); a problem is one
//! sentence in the window's terms, the detail behind "Details"; client-side encryption with a
//! KMS master key works from the window.

use egui::accesskit::Role;
use egui_kittest::kittest::Queryable as _;
use s3seal::s3::discover::Discovery;
use s3seal::ui::{AppOptions, Runtime, TestFileDialog};

use crate::support::{Sandbox, random_file};
use crate::ui_support::{
    App, click, click_button, harness, harness_with, on_screen, open_bucket, unique, wait_for,
    wait_for_label, wait_for_label_containing,
};

fn assert_no_dump_or_flag(h: &egui_kittest::Harness<'static, App>) {
    let text = on_screen(h);
    for never in [
        "DispatchFailure",
        "ConnectorError",
        "{ source",
        "--endpoint-url",
        "--ca-bundle",
        "--profile",
        "s3seal keys",
    ] {
        assert!(!text.contains(never), "'{never}' on screen:\n{text}");
    }
}

/// The secret typed for the access key (LocalStack takes any).
const SECRET: &str = "kept-in-the-keyring-only";

/// Every file under `dir`.
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[test]
fn nothing_configured_greets_and_leads_to_a_working_connection() {
    let sb = Sandbox::new();
    let bucket = sb.bucket("newcomer");
    let dialog = TestFileDialog::new();
    let mut h = harness_with(AppOptions {
        connect: None,
        location: None,
        config_dir: Some(sb.config_dir()),
        file_dialog: Box::new(dialog),
        runtime: Runtime::Own,
        persisted: None,
        // A machine with no ~/.aws and no credentials in the environment.
        discovery: Some(Discovery::default()),
    });
    wait_for_label(&mut h, "Welcome to s3seal");
    wait_for_label_containing(&mut h, "No AWS configuration");
    // The three ways in are offered.
    for way in [
        "Use a profile",
        "Sign in with SSO",
        "S3-compatible endpoint",
    ] {
        assert!(h.query_by_label(way).is_some(), "{way} is offered");
    }
    assert_no_dump_or_flag(&h);
    click(&mut h, "Sign in with SSO");
    wait_for_label_containing(&mut h, "aws configure sso");

    click(&mut h, "S3-compatible endpoint");
    crate::ui_support::type_into(&mut h, "Endpoint URL", &sb.env.endpoint);
    crate::ui_support::type_into(&mut h, "Access key ID", "test");
    crate::ui_support::type_into(&mut h, "Secret access key", SECRET);
    crate::ui_support::type_into(&mut h, "Private CA bundle", sb.env.ca.to_str().unwrap());
    click_button(&mut h, "Keep the key and connect");
    wait_for_label_containing(&mut h, "🔒 HTTPS");
    wait_for_label(&mut h, &bucket);
    assert_no_dump_or_flag(&h);
    // The secret went to the keyring, not to a file.
    let catalog = std::fs::read_to_string(sb.config_dir().join("keys.json")).unwrap();
    assert!(catalog.contains("\"access_key_id\": \"test\""), "{catalog}");
    for entry in walk(&sb.config_dir()) {
        let bytes = std::fs::read(&entry).unwrap();
        assert!(
            !String::from_utf8_lossy(&bytes).contains(SECRET),
            "the secret is in {}",
            entry.display()
        );
    }
    let app = h.state().as_ref().unwrap();
    assert_eq!(app.persisted().current.access_key, "my-s3");
}

#[test]
fn a_problem_is_one_sentence_with_its_details_on_demand() {
    let sb = Sandbox::new();
    let dialog = TestFileDialog::new();
    // Nothing listens there: every request fails at the transport.
    let mut h = harness(
        "https://127.0.0.1:1",
        sb.env.ca.clone(),
        sb.config_dir(),
        None,
        &dialog,
    );
    let sentence = wait_for_label_containing(&mut h, "cannot reach the endpoint");
    assert!(
        sentence.contains("Check the Endpoint and CA bundle fields"),
        "{sentence}"
    );
    assert_no_dump_or_flag(&h);
    h.get_by_label("Details").click();
    h.step();
    h.step();
    let text = on_screen(&h);
    assert!(
        text.contains("dispatch failure")
            || text.contains("Connection refused")
            || text.contains("connection refused"),
        "the technical detail is there on demand:\n{text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn client_side_with_a_kms_master_key_from_the_window() {
    let sb = Sandbox::new();
    let bucket = sb.bucket("ui-kms-client");
    let kms = sb.kms_key().await;
    let alias = format!("alias/ui-client-{}", unique());
    sb.connection()
        .await
        .kms()
        .create_alias()
        .alias_name(&alias)
        .target_key_id(&kms)
        .send()
        .await
        .unwrap();
    let src = sb.path("ledger.bin");
    let data = random_file(&src, 150_000, 301);
    let dest = sb.path("ledger.out");
    let dialog = TestFileDialog::new();
    dialog.answer(vec![src.clone()]);
    let mut h = tokio::task::block_in_place(|| open_bucket(&sb, &bucket, &dialog));
    tokio::task::block_in_place(|| {
        wait_for_label_containing(&mut h, "This folder is empty");
        click(&mut h, "Upload…");
        wait_for_label(&mut h, "Add files…");
        click(&mut h, "Add files…");
        wait_for_label(&mut h, &src.display().to_string());
        h.get_by_role_and_label(Role::RadioButton, "Client-side")
            .click();
        h.step();
        h.get_by_role_and_label(Role::RadioButton, "In AWS KMS")
            .click();
        h.step();
        wait_for_label_containing(&mut h, "Pick the KMS key");
        h.get_by_label("KMS key").click();
        h.step();
        wait_for_label(&mut h, "Find a key");
        crate::ui_support::type_into(&mut h, "Find a key", &alias);
        wait_for_label(&mut h, &alias);
        click(&mut h, &alias);
        let summary = wait_for_label_containing(&mut h, "a data key from KMS key");
        assert!(summary.contains(&alias), "{summary}");
        click(&mut h, "Upload 1 file");
        let done = wait_for_label_containing(&mut h, "✔ uploaded");
        assert!(done.contains("client-side V3"), "{done}");
        wait_for_label(&mut h, "client-side · V3");
        click_button(&mut h, "ledger.bin");
        wait_for_label(&mut h, "kms+context");
        dialog.answer(vec![dest.clone()]);
        click(&mut h, "Download…");
        let saved = wait_for_label_containing(&mut h, "tag verified");
        assert!(saved.contains("decrypted with KMS"), "{saved}");
        wait_for(&mut h, "the file", |_| dest.exists());
    });
    assert_eq!(std::fs::read(&dest).unwrap(), data);
}

#[test]
fn the_window_sends_no_key_to_a_bucket_that_is_no_home_until_asked() {
    use crate::trust_keys::{SSE_C_KEY_HEADERS, hostile_peer};
    let sb = Sandbox::new();
    sb.ok(&["keys", "new", "alpha"]);
    sb.ok(&["keys", "new", "beta"]);
    let peer = hostile_peer();
    let dialog = TestFileDialog::new();
    let mut h = harness(
        &peer.url(),
        sb.env.ca.clone(),
        sb.config_dir(),
        Some("s3://victim/"),
        &dialog,
    );
    let carried_key = || {
        peer.requests().iter().any(|r| {
            SSE_C_KEY_HEADERS
                .iter()
                .any(|header| r.header(header).is_some())
        })
    };
    wait_for(&mut h, "two badges", |h| {
        h.query_all_by_label("SSE-C · key not known here").count() == 2
    });
    click_button(&mut h, "secret.bin");
    wait_for_label_containing(&mut h, "not known here: no local key has this bucket");
    click(&mut h, "Try my keys…");
    let asked = wait_for_label_containing(&mut h, "This sends each of your SSE-C keys");
    assert!(
        asked.contains("alpha, beta") && asked.contains("127.0.0.1"),
        "{asked}"
    );
    assert!(!carried_key(), "nothing is sent before the person says yes");
    click(&mut h, "Don't");
    assert!(!carried_key());
    click(&mut h, "Try my keys…");
    click(&mut h, "Send my keys");
    // This server answers a keyed HEAD with 400 too, which S3 never does: reported as is.
    wait_for_label_containing(&mut h, "HeadObject failed");
    assert!(carried_key(), "sent once asked");
}
