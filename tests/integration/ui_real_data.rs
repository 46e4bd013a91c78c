//! The window with real data (ui_scene.rs `real_data_scene`: 50 KMS keys in one bucket, long
//! aliases and ARNs, a 1,024-character object key, a 63-character bucket name) at the sizes
//! people use: 1024×700, 1280×800, 1920×1080, and 1280×720 at 150% scale. In every view
//! nothing labelled may leave the panel it is drawn in (a column pushed off screen, a label
//! clipped out of view), and the audit names its keys by alias.
//! `S3SEAL_REAL_DATA_PICTURES=DIR` also writes each view at each size to DIR.

use std::path::PathBuf;

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use s3seal::ui::preview::{Preview, PreviewPart};

use crate::ui_scene::real_data_scene;
use crate::ui_support::{App, preview_options, scaled_drawing_harness};

/// Window sizes in points, and pixels per point.
const SIZES: &[(f32, f32, f32)] = &[
    (1024.0, 700.0, 1.0),
    (1280.0, 800.0, 1.0),
    (1920.0, 1080.0, 1.0),
    (1280.0, 720.0, 1.5),
];

/// How far (points) a node may reach past its panel: rounding, and a stroke's half width.
const SLACK: f32 = 1.5;

fn config_dir(tag: &str) -> PathBuf {
    std::env::temp_dir().join(format!("s3seal-real-data-{}-{tag}", std::process::id()))
}

fn harness(size: egui::Vec2, pixels_per_point: f32, tag: &str) -> Harness<'static, App> {
    scaled_drawing_harness(preview_options(config_dir(tag)), size, pixels_per_point)
}

fn show(h: &mut Harness<'static, App>, scene: &Preview, part: PreviewPart) {
    h.state_mut().as_mut().unwrap().show_preview(scene, part);
    h.remove_cursor();
    for _ in 0..8 {
        h.step();
    }
}

/// Every node with a name or a text that reaches sideways past the panel (the named region around it) or,
/// in a dialog, the window. Downwards is not checked: the views scroll vertically.
fn outside_their_panel(h: &Harness<'static, App>, window: egui::Rect) -> Vec<String> {
    h.root()
        .children_recursive()
        .filter_map(|n| {
            let node = n.accesskit_node();
            let label = node.label().or_else(|| node.value()).unwrap_or_default();
            if label.trim().is_empty() || node.role() == Role::Region || node.bounding_box().is_none()
            {
                return None;
            }
            let rect = n.rect();
            let mut bounds = window;
            let mut up = n.parent();
            while let Some(p) = up {
                if p.accesskit_node().role() == Role::Region
                    && p.accesskit_node().bounding_box().is_some()
                {
                    bounds = p.rect();
                    break;
                }
                up = p.parent();
            }
            let sideways = rect.min.x < bounds.min.x - SLACK || rect.max.x > bounds.max.x + SLACK;
            sideways.then(|| {
                let shown: String = label.chars().take(70).collect();
                format!(
                    "{:?} '{shown}' at x {:.0}..{:.0}, y {:.0}..{:.0}; its panel x {:.0}..{:.0}, y {:.0}..{:.0}",
                    node.role(),
                    rect.min.x,
                    rect.max.x,
                    rect.min.y,
                    rect.max.y,
                    bounds.min.x,
                    bounds.max.x,
                    bounds.min.y,
                    bounds.max.y
                )
            })
        })
        .collect()
}

/// The roles a person acts on: two of them drawn over each other cannot both be used.
const INTERACTIVE: &[Role] = &[
    Role::Button,
    Role::DefaultButton,
    Role::CheckBox,
    Role::RadioButton,
    Role::ComboBox,
    Role::TextInput,
    Role::PasswordInput,
    Role::Link,
    Role::Tab,
];

/// The name of the region (panel) `n` is drawn in, if any.
fn region_of(n: &egui_kittest::Node<'_>) -> Option<String> {
    let mut up = n.parent();
    while let Some(p) = up {
        if p.accesskit_node().role() == Role::Region {
            return p.accesskit_node().label();
        }
        up = p.parent();
    }
    None
}

/// Pairs of controls in the same panel drawn over each other (by more than [`SLACK`] both
/// ways). Dialogs float over the panels on purpose, so controls outside every panel are left out.
fn overlapping_controls(h: &Harness<'static, App>) -> Vec<String> {
    let controls: Vec<(String, String, egui::Rect)> = h
        .root()
        .children_recursive()
        .filter(|n| {
            let node = n.accesskit_node();
            INTERACTIVE.contains(&node.role()) && node.bounding_box().is_some()
        })
        .filter_map(|n| {
            let node = n.accesskit_node();
            let name = node.label().or_else(|| node.value()).unwrap_or_default();
            Some((
                region_of(&n)?,
                format!("{:?} '{name}'", node.role()),
                n.rect(),
            ))
        })
        .collect();
    let mut out = Vec::new();
    for (i, (region, a, ra)) in controls.iter().enumerate() {
        for (other, b, rb) in &controls[i + 1..] {
            let both = ra.intersect(*rb);
            if region == other && both.width() > SLACK && both.height() > SLACK {
                out.push(format!("{a} at {ra:?} and {b} at {rb:?}"));
            }
        }
    }
    out
}

fn write_picture(h: &mut Harness<'static, App>, name: &str) {
    let Some(dir) = std::env::var_os("S3SEAL_REAL_DATA_PICTURES") else {
        return;
    };
    let dir = PathBuf::from(dir);
    std::fs::create_dir_all(&dir).unwrap();
    h.render()
        .unwrap()
        .save(dir.join(format!("{name}.png")))
        .unwrap();
}

#[test]
fn every_view_keeps_real_data_inside_its_panels_at_every_size() {
    let scene = real_data_scene();
    let mut failures = Vec::new();
    for &(w, hgt, ppp) in SIZES {
        let tag = format!("{w:.0}x{hgt:.0}@{ppp}");
        let mut h = harness(egui::vec2(w, hgt), ppp, &tag);
        h.step();
        let window = egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(w, hgt));
        for (name, part) in [
            ("objects", PreviewPart::Objects),
            ("audit", PreviewPart::Audit),
            ("security", PreviewPart::Security),
            ("keys", PreviewPart::Keys),
        ] {
            show(&mut h, &scene, part);
            let labelled = h
                .root()
                .children_recursive()
                .filter(|n| {
                    let node = n.accesskit_node();
                    node.label()
                        .or_else(|| node.value())
                        .is_some_and(|l| !l.is_empty())
                })
                .count();
            assert!(
                labelled > 20,
                "{tag} {name}: only {labelled} labelled nodes"
            );
            for problem in outside_their_panel(&h, window) {
                failures.push(format!("{tag} {name}: {problem}"));
            }
            for problem in overlapping_controls(&h) {
                failures.push(format!("{tag} {name}: overlap: {problem}"));
            }
            write_picture(&mut h, &format!("{name}-{tag}"));
        }
        drop(h);
        let _ = std::fs::remove_dir_all(config_dir(&tag));
    }
    assert!(
        failures.is_empty(),
        "{} nodes leave their panel or overlap:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn the_audit_names_every_key_by_alias_with_its_bar_and_count() {
    let scene = real_data_scene();
    let mut h = harness(egui::vec2(1280.0, 800.0), 1.0, "audit");
    h.step();
    show(&mut h, &scene, PreviewPart::Audit);
    let window = egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(1280.0, 800.0));
    // One meter per key, announced "label: count", inside the window.
    let meters: Vec<(String, egui::Rect)> = h
        .root()
        .children_recursive()
        .filter(|n| n.accesskit_node().role() == Role::Meter)
        .map(|n| (n.accesskit_node().label().unwrap_or_default(), n.rect()))
        .collect();
    let aliased: Vec<&(String, egui::Rect)> = meters
        .iter()
        .filter(|(l, _)| l.starts_with("sse-kms:alias/finance-"))
        .collect();
    assert_eq!(aliased.len(), 40, "one bar per aliased key: {meters:#?}");
    for (label, rect) in &meters {
        assert!(
            !label.contains("arn:aws:kms"),
            "a key shown by its ARN: {label}"
        );
        assert!(
            label
                .rsplit_once(": ")
                .is_some_and(|(_, n)| n.parse::<u64>().is_ok()),
            "{label}"
        );
        // Sideways: the chart scrolls when the keys are many.
        assert!(
            rect.min.x >= window.min.x && rect.max.x <= window.max.x,
            "{label} at {rect:?}"
        );
    }
    let total = format!("{} objects", 81 + 10_000);
    assert!(
        h.query_all_by_label_contains(&total).next().is_some(),
        "the audit counts {total}"
    );
    // The table keeps all its columns.
    for column in ["Key", "Mode", "Key used", "Size"] {
        assert!(
            h.query_all_by_label(column).next().is_some(),
            "audit column {column}"
        );
    }
    drop(h);
    let _ = std::fs::remove_dir_all(config_dir("audit"));
}
