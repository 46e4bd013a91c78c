//! What assistive technology sees: every interactive control in each main view (the welcome,
//! the bucket list with objects and inspector, the upload dialog, bucket security, the audit,
//! re-encryption, the jobs and the key manager) has a name a screen reader can read out, and a
//! main flow works from the keyboard alone.
//! Run with `scripts/test-env.sh cargo test --test integration ui_accessibility::`.

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::NodeT as _;
use s3seal::s3::discover::Discovery;
use s3seal::ui::{AppOptions, Runtime, TestFileDialog};

use crate::support::Sandbox;
use crate::ui_support::{
    App, click, click_button, harness_with, open_bucket, shows_value, unique, wait_for,
    wait_for_label, wait_for_label_containing,
};

/// The roles a person acts on: each needs a name.
const INTERACTIVE: &[Role] = &[
    Role::Button,
    Role::DefaultButton,
    Role::CheckBox,
    Role::RadioButton,
    Role::Switch,
    Role::ComboBox,
    Role::EditableComboBox,
    Role::TextInput,
    Role::MultilineTextInput,
    Role::SearchInput,
    Role::PasswordInput,
    Role::EmailInput,
    Role::NumberInput,
    Role::Link,
    Role::Slider,
    Role::SpinButton,
    Role::Tab,
    Role::MenuItem,
    Role::MenuItemCheckBox,
    Role::MenuItemRadio,
    Role::ListBoxOption,
    Role::TreeItem,
];

/// A name is read out: it has a letter or a digit (a bare glyph such as "⟳" reads as nothing
/// or as the glyph's Unicode name).
fn readable(name: &str) -> bool {
    name.chars().any(char::is_alphanumeric)
}

/// Every interactive node on screen without a readable name, described well enough to find it.
fn unnamed_controls(h: &Harness<'static, App>) -> Vec<String> {
    h.root()
        .children_recursive()
        .filter_map(|n| {
            let node = n.accesskit_node();
            if !INTERACTIVE.contains(&node.role()) {
                return None;
            }
            let name = node.label().unwrap_or_default();
            if readable(&name) {
                return None;
            }
            let r = n.rect();
            Some(format!(
                "{:?} named {name:?} (value {:?}, placeholder {:?}) at ({:.0}, {:.0})",
                node.role(),
                node.value().unwrap_or_default(),
                node.placeholder().unwrap_or_default(),
                r.min.x,
                r.min.y,
            ))
        })
        .collect()
}

/// Number of interactive nodes on screen: a view that drew nothing would pass trivially.
fn controls(h: &Harness<'static, App>) -> usize {
    h.root()
        .children_recursive()
        .filter(|n| INTERACTIVE.contains(&n.accesskit_node().role()))
        .count()
}

/// Records the unnamed controls of the view on screen as `view`, after checking it has some.
fn check_view(h: &mut Harness<'static, App>, view: &str, problems: &mut Vec<String>) {
    h.remove_cursor();
    h.step();
    let count = controls(h);
    assert!(count >= 3, "{view}: only {count} controls on screen");
    for control in unnamed_controls(h) {
        problems.push(format!("{view}: {control}"));
    }
}

fn assert_all_named(problems: &[String]) {
    assert!(
        problems.is_empty(),
        "controls with no readable name:\n{}",
        problems.join("\n")
    );
}

#[test]
fn welcome_controls_have_names() {
    let sb = Sandbox::new();
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
    let mut problems = Vec::new();
    check_view(&mut h, "welcome", &mut problems);
    for way in [
        "Use a profile",
        "Sign in with SSO",
        "S3-compatible endpoint",
    ] {
        click(&mut h, way);
        check_view(&mut h, &format!("welcome, {way}"), &mut problems);
    }
    assert_all_named(&problems);
}

#[test]
fn main_views_controls_have_names() {
    let sb = Sandbox::new();
    let bucket = sb.bucket("a11y");
    let key = format!("a11y-{}", unique());
    sb.ok(&["keys", "new", &key]);
    let file = sb.path("report.pdf");
    std::fs::write(&file, vec![b'x'; 4096]).unwrap();
    let file = file.to_str().unwrap();
    sb.ok(&["put", file, &format!("s3://{bucket}/report.pdf")]);
    sb.ok(&["put", file, &format!("s3://{bucket}/archive/2024.pdf")]);
    sb.ok(&[
        "put",
        file,
        &format!("s3://{bucket}/customers.csv"),
        "--encryption",
        "sse-c",
        "--key",
        &key,
    ]);

    let dialog = TestFileDialog::new();
    let mut h = open_bucket(&sb, &bucket, &dialog);
    wait_for_label_containing(&mut h, "customers.csv");
    wait_for(&mut h, "the badges", |h| {
        h.state().as_ref().is_some_and(|app| !app.is_busy())
    });
    let mut problems = Vec::new();
    check_view(&mut h, "objects", &mut problems);

    click_button(&mut h, "report.pdf");
    wait_for_label(&mut h, "ETag");
    check_view(&mut h, "objects + inspector", &mut problems);

    // The upload dialog, with a file in its list (each row has a remove button).
    click(&mut h, "Upload…");
    wait_for_label(&mut h, "Add files…");
    dialog.answer(vec![sb.path("report.pdf")]);
    click(&mut h, "Add files…");
    wait_for_label_containing(&mut h, "report.pdf");
    check_view(&mut h, "upload dialog", &mut problems);
    click(&mut h, "Cancel");

    click(&mut h, "Bucket security");
    wait_for_label(&mut h, "Encryption in transit");
    wait_for(&mut h, "the security view", |h| {
        h.state().as_ref().is_some_and(|app| !app.is_busy())
    });
    check_view(&mut h, "bucket security", &mut problems);

    click(&mut h, "Audit");
    click_button(&mut h, &format!("Audit s3://{bucket}/"));
    wait_for_label_containing(&mut h, ": 3 objects");
    check_view(&mut h, "audit", &mut problems);

    // Re-encryption of the audited objects: the target and the plan.
    click_button(&mut h, "Re-encrypt 3 objects…");
    wait_for_label(&mut h, "Re-encrypt objects");
    check_view(&mut h, "re-encrypt dialog", &mut problems);
    click(&mut h, "Close window");

    click(&mut h, "Jobs");
    check_view(&mut h, "jobs", &mut problems);

    click(&mut h, "Objects");
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::K);
    wait_for_label(&mut h, "Create key");
    wait_for_label(&mut h, &key);
    check_view(&mut h, "key manager", &mut problems);

    assert_all_named(&problems);
}

/// The label of the control that has keyboard focus.
fn focused(h: &Harness<'static, App>) -> Option<String> {
    h.root()
        .children_recursive()
        .find(|n| n.accesskit_node().is_focused())
        .map(|n| n.accesskit_node().label().unwrap_or_default())
}

/// Presses Tab until the control named `name` has focus (at most `limit` times).
fn tab_to(h: &mut Harness<'static, App>, name: &str, limit: usize) {
    let mut seen = Vec::new();
    for _ in 0..limit {
        h.key_press(egui::Key::Tab);
        h.step();
        let now = focused(h);
        if now.as_deref() == Some(name) {
            return;
        }
        seen.push(now.unwrap_or_else(|| "(nothing)".to_owned()));
    }
    panic!(
        "Tab never reached '{name}'; focus went:\n{}",
        seen.join("\n")
    );
}

#[test]
fn browse_inspect_and_open_a_folder_from_the_keyboard() {
    let sb = Sandbox::new();
    let bucket = sb.bucket("keyboard");
    let file = sb.path("report.pdf");
    std::fs::write(&file, b"quarterly").unwrap();
    let file = file.to_str().unwrap();
    sb.ok(&["put", file, &format!("s3://{bucket}/report.pdf")]);
    sb.ok(&["put", file, &format!("s3://{bucket}/archive/2024.pdf")]);
    let dialog = TestFileDialog::new();
    let mut h = open_bucket(&sb, &bucket, &dialog);
    wait_for_label(&mut h, "report.pdf");
    wait_for_label(&mut h, "SSE-S3");

    // The bucket list holds every bucket of the test server (other tests' too): narrow it to
    // this one from the keyboard, as a person with many buckets would.
    tab_to(&mut h, "Filter", 60);
    h.event(egui::Event::Text(bucket.clone()));
    h.step();
    h.step();

    // Tab reaches the object's row; Space selects it and the inspector shows it.
    tab_to(&mut h, "report.pdf", 60);
    h.key_press(egui::Key::Space);
    wait_for_label(&mut h, "ETag");
    let uri = format!("s3://{bucket}/report.pdf");
    wait_for(&mut h, &format!("the inspector showing {uri}"), |h| {
        shows_value(h, &uri)
    });

    // Tab on to the folder's row; Enter opens it.
    tab_to(&mut h, "📁 archive/", 60);
    h.key_press(egui::Key::Enter);
    wait_for_label(&mut h, "2024.pdf");

    // A focused button works with Enter: Tab to "Up" and press it.
    tab_to(&mut h, "Up", 60);
    h.key_press(egui::Key::Enter);
    wait_for_label(&mut h, "report.pdf");
    wait_for_label(&mut h, "📁 archive/");
}
