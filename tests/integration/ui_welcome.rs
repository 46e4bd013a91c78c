//! The welcome's endpoint form as a well-made desktop app has it: with no Secret Service it
//! still connects, for this session only (the technical reason behind "Details"); a failed
//! connect keeps what was typed; and the inspector's identifiers stay on one line.

use egui::accesskit::Role;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use s3seal::s3::discover::Discovery;
use s3seal::ui::{AppOptions, Runtime, TestFileDialog};

use crate::support::{Sandbox, random_file};
use crate::ui_support::{
    App, click, click_button, harness, harness_with, on_screen, type_into, wait_for,
    wait_for_label, wait_for_label_containing,
};

/// Set in the child process that runs without a Secret Service.
const WITHOUT_SECRET_SERVICE: &str = "S3SEAL_TEST_WITHOUT_SECRET_SERVICE";

/// The secret typed for the access key (LocalStack takes any).
const SECRET: &str = "held-for-this-session-only";

/// A window greeting a machine with nothing configured.
fn greeting(sb: &Sandbox) -> egui_kittest::Harness<'static, App> {
    let mut h = harness_with(AppOptions {
        connect: None,
        location: None,
        config_dir: Some(sb.config_dir()),
        file_dialog: Box::new(TestFileDialog::new()),
        runtime: Runtime::Own,
        persisted: None,
        discovery: Some(Discovery::default()),
    });
    wait_for_label(&mut h, "Welcome to s3seal");
    click(&mut h, "S3-compatible endpoint");
    h
}

/// Fills the endpoint form.
fn fill(h: &mut egui_kittest::Harness<'static, App>, endpoint: &str, sb: &Sandbox) {
    type_into(h, "Endpoint URL", endpoint);
    type_into(h, "Access key ID", "test");
    type_into(h, "Secret access key", SECRET);
    type_into(h, "Private CA bundle", sb.env.ca.to_str().unwrap());
}

/// Every file under `dir`, read as text.
fn files_text(dir: &std::path::Path) -> Vec<(std::path::PathBuf, String)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_text(&path));
        } else {
            let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
            out.push((path, text));
        }
    }
    out
}

/// Runs the test below in a process of its own whose D-Bus session bus does not exist, so that
/// no Secret Service is reachable (the keyring store is chosen once per process).
#[test]
fn without_a_secret_service_the_endpoint_form_connects_for_this_session() {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "ui_welcome::session_only_in_a_process_without_a_secret_service",
            "--exact",
            "--ignored",
            "--test-threads=1",
        ])
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/s3seal-test-bus",
        )
        .env(WITHOUT_SECRET_SERVICE, "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
#[ignore = "run by without_a_secret_service_the_endpoint_form_connects_for_this_session"]
fn session_only_in_a_process_without_a_secret_service() {
    if std::env::var_os(WITHOUT_SECRET_SERVICE).is_none() {
        return;
    }
    let sb = Sandbox::new();
    let bucket = sb.bucket("session-only");
    let mut h = greeting(&sb);
    let note = wait_for_label_containing(&mut h, "for this session only");
    assert!(
        note.contains(
            "With a keyring (Secret Service) s3seal would remember this key for next time."
        ),
        "{note}"
    );
    assert!(
        h.query_by_role_and_label(Role::Button, "Keep the key and connect")
            .is_none(),
        "nothing offers to keep the key where it cannot be kept"
    );
    // The main text is in the window's words; the keyring's own are behind "Details".
    let technical = [
        "zbus",
        "D-Bus",
        "dbus",
        "org.freedesktop",
        "/nonexistent",
        "OS keyring:",
        "unreachable",
    ];
    let main = on_screen(&h);
    for word in technical {
        assert!(!main.contains(word), "'{word}' in the main text:\n{main}");
    }
    click(&mut h, "Details");
    let details = on_screen(&h);
    assert!(
        details.contains("cannot connect to the Secret Service")
            && (details.contains("zbus") || details.contains("dbus")),
        "the technical detail is behind Details:\n{details}"
    );

    fill(&mut h, &sb.env.endpoint, &sb);
    click_button(&mut h, "Connect for this session only");
    wait_for_label_containing(&mut h, "🔒 HTTPS");
    wait_for_label(&mut h, &bucket);
    assert!(h.query_by_label("Welcome to s3seal").is_none());
    // Nothing of the key was written, and the connection is not remembered for next time.
    for (path, text) in files_text(&sb.config_dir()) {
        assert!(
            !text.contains(SECRET),
            "the secret is in {}",
            path.display()
        );
    }
    let app = h.state().as_ref().unwrap();
    assert!(app.persisted().current.access_key.is_empty());
    assert!(app.persisted().recent.is_empty());

    // Connecting again in this session uses the key held in memory.
    click_button(&mut h, "Connect");
    wait_for_label_containing(&mut h, "🔒 HTTPS");
    wait_for_label(&mut h, &bucket);
}

#[test]
fn a_failed_connect_keeps_the_typed_secret() {
    let sb = Sandbox::new();
    let mut h = greeting(&sb);
    // Nothing listens there.
    fill(&mut h, "https://127.0.0.1:1", &sb);
    wait_for(&mut h, "the keyring to answer", |h| {
        !h.get_by_role_and_label(Role::Button, "Keep the key and connect")
            .accesskit_node()
            .is_disabled()
    });
    click_button(&mut h, "Keep the key and connect");
    wait_for_label_containing(&mut h, "cannot reach the endpoint");
    assert!(h.query_by_label("Welcome to s3seal").is_some());
    let field = h.get_by_label("Secret access key").accesskit_node();
    let masked = field.value().unwrap_or_default();
    assert_eq!(
        masked.chars().count(),
        SECRET.chars().count(),
        "the secret is still typed in: '{masked}'"
    );
    // A key that did not connect is not kept.
    let catalog = std::fs::read_to_string(sb.config_dir().join("keys.json")).unwrap_or_default();
    assert!(!catalog.contains("my-s3"), "{catalog}");
    // The button is ready again: the same secret, not typed again, connects now.
    assert!(
        !h.get_by_role_and_label(Role::Button, "Connect for this session only")
            .accesskit_node()
            .is_disabled()
    );
}

#[test]
fn the_inspector_keeps_the_etag_and_the_uri_on_one_line() {
    let sb = Sandbox::new();
    let bucket = sb.bucket("one-line");
    let prefix = "reports/2026/quarterly-finance-department/archive-of-everything/";
    let name = "a-rather-long-file-name-for-a-narrow-column.bin";
    let src = sb.path(name);
    random_file(&src, 3000, 17);
    let uri = format!("s3://{bucket}/{prefix}{name}");
    sb.ok(&["put", src.to_str().unwrap(), &uri, "--encryption", "sse-s3"]);
    let dialog = TestFileDialog::new();
    let mut h = harness(
        &sb.env.endpoint,
        sb.env.ca.clone(),
        sb.config_dir(),
        Some(&format!("s3://{bucket}/{prefix}")),
        &dialog,
    );
    click_button(&mut h, name);
    wait_for_label(&mut h, "ETag");
    let info = sb.info(&uri);
    let etag = info["etag"].as_str().unwrap_or_default().trim_matches('"');
    assert!(etag.len() >= 32, "{info}");

    let row_height = h.get_by_label("ETag").rect().height();
    let value_of = |h: &egui_kittest::Harness<'static, App>, part: &str| {
        let node = h
            .query_all_by_label_contains(part)
            .find(|n| n.accesskit_node().role() == Role::Label)
            .unwrap_or_else(|| panic!("'{part}' on screen:\n{}", on_screen(h)));
        let text = node
            .accesskit_node()
            .value()
            .or_else(|| node.accesskit_node().label())
            .unwrap_or_default();
        (text, node.rect().height())
    };
    // No lone quotation mark, and the ETag on one line.
    assert!(
        h.query_all_by_label("\"").next().is_none(),
        "a lone quote:\n{}",
        on_screen(&h)
    );
    let (shown, height) = value_of(&h, &etag[..8]);
    assert!(!shown.contains('"'), "{shown}");
    assert!(
        shown == etag || (shown.contains('…') && etag.ends_with(shown.rsplit('…').next().unwrap())),
        "{shown} for {etag}"
    );
    assert!(height < row_height * 1.5, "{shown}: {height} high");
    // The URI is shortened in the middle, not broken mid-word: both ends stay.
    let (shown, height) = value_of(&h, "s3://");
    assert!(height < row_height * 1.5, "{shown}: {height} high");
    let (head, tail) = shown.split_once('…').unwrap_or_else(|| panic!("{shown}"));
    assert!(
        uri.starts_with(head) && uri.ends_with(tail),
        "{shown} for {uri}"
    );
}
