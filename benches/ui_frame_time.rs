//! Frame time of the window with 100,000 listed objects while scrolling (goal p99 < 4 ms), while
//! a listing of 1,000,000 objects streams in a page a frame (the same goal), the memory each
//! listed object takes, and time to first frame (goal < 300 ms). A benchmark, not a test: it
//! prints numbers. Run with `cargo bench --bench ui_frame_time`.

use std::time::{Duration, Instant};

use egui_kittest::Harness;
use s3seal::s3::ConnectOptions;
use s3seal::s3::listing::{ListPage, ObjectEntry};
use s3seal::ui::{AppOptions, Runtime, S3SealApp, TestFileDialog};

const OBJECTS: usize = 100_000;
const FRAMES: usize = 600;
/// Objects of the listing that streams in, 1,000 a page.
const STREAMED: usize = 1_000_000;

fn options() -> AppOptions {
    AppOptions {
        // Nothing listens there: the window works offline, HEADs fail fast.
        connect: Some(ConnectOptions {
            endpoint_url: Some("https://127.0.0.1:9".to_owned()),
            region: Some("us-east-1".to_owned()),
            ..Default::default()
        }),
        location: None,
        config_dir: Some(std::env::temp_dir().join("s3seal-bench-config")),
        file_dialog: Box::new(TestFileDialog::new()),
        runtime: Runtime::Own,
        persisted: None,
        discovery: None,
    }
}

fn pages() -> Vec<ListPage> {
    (0..OBJECTS / 1000).map(page).collect()
}

/// Page `p` of a listing as S3 gives it: 1,000 objects in key order (and 20 folders first).
fn page(p: usize) -> ListPage {
    ListPage {
        prefixes: if p == 0 {
            (0..20).map(|i| format!("folder-{i:02}/")).collect()
        } else {
            Vec::new()
        },
        objects: (0..1000)
            .map(|i| {
                let n = p * 1000 + i;
                ObjectEntry {
                    key: format!("data/part-{n:07}.parquet"),
                    size: (n as u64 * 7919) % 50_000_000,
                    last_modified: Some(format!("2025-01-{:02}T10:{:02}:00Z", 1 + n % 28, n % 60)),
                    etag: Some(format!("\"{n:032x}\"")),
                    storage_class: Some("STANDARD".to_owned()),
                }
            })
            .collect(),
    }
}

/// This process's resident memory, from /proc (0 where there is none).
fn resident_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or(0, |pages| pages * 4096)
}

fn print_times(what: &str, mut times: Vec<Duration>) {
    times.sort();
    println!(
        "{what}: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        percentile(&times, 0.5).as_secs_f64() * 1e3,
        percentile(&times, 0.99).as_secs_f64() * 1e3,
        times.last().copied().unwrap_or_default().as_secs_f64() * 1e3
    );
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(i).copied().unwrap_or_default()
}

type App = Option<S3SealApp>;

fn harness(opts: AppOptions) -> Harness<'static, App> {
    let mut opts = Some(opts);
    Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .build_ui_state(
            move |ui, app: &mut App| {
                if app.is_none()
                    && let Some(o) = opts.take()
                {
                    *app = S3SealApp::new(ui.ctx(), o).ok();
                }
                if let Some(app) = app {
                    app.ui(ui);
                }
            },
            None,
        )
}

fn main() {
    // Time to first frame: building the app and drawing its first frame.
    let mut first = Vec::new();
    for _ in 0..10 {
        let start = Instant::now();
        let mut h = harness(options());
        h.step();
        first.push(start.elapsed());
    }
    first.sort();
    println!(
        "time to first frame (app + first egui frame, no GPU): median {:.1} ms, max {:.1} ms",
        percentile(&first, 0.5).as_secs_f64() * 1e3,
        first.last().copied().unwrap_or_default().as_secs_f64() * 1e3
    );

    // Frame time with 100,000 objects, scrolling through them.
    let mut h = harness(options());
    h.step();
    let pages = pages();
    let fill = Instant::now();
    if let Some(app) = h.state_mut() {
        app.load_listing("bench", "data/", pages);
    }
    h.step();
    println!(
        "filling and sorting {OBJECTS} rows + first frame: {:.1} ms",
        fill.elapsed().as_secs_f64() * 1e3
    );
    let rows = h.state().as_ref().map_or(0, S3SealApp::object_rows);
    assert_eq!(rows, OBJECTS + 20);
    h.hover_at(egui::pos2(600.0, 400.0));
    for _ in 0..10 {
        h.step();
    }
    let mut times = Vec::with_capacity(FRAMES);
    for i in 0..FRAMES {
        // Scroll down steadily, with a few big jumps.
        let delta = if i % 100 == 99 { -40_000.0 } else { -120.0 };
        h.event(egui::Event::MouseWheel {
            unit: egui::MouseWheelUnit::Point,
            delta: egui::vec2(0.0, delta),
            phase: egui::TouchPhase::Move,
            source: egui::MouseWheelSource::Unknown,
            modifiers: egui::Modifiers::NONE,
        });
        let start = Instant::now();
        h.step();
        times.push(start.elapsed());
    }
    print_times(
        &format!("frame time over {FRAMES} scrolling frames with {OBJECTS} objects"),
        times,
    );
    drop(h);

    // A listing of a million objects streaming in, a page each frame, the table drawn each time.
    let mut h = harness(options());
    h.step();
    if let Some(app) = h.state_mut() {
        app.load_listing("bench", "data/", Vec::new());
    }
    h.hover_at(egui::pos2(600.0, 400.0));
    h.step();
    let before = resident_bytes();
    let mut times = Vec::with_capacity(STREAMED / 1000);
    for p in 0..STREAMED / 1000 {
        let next = page(p);
        if let Some(app) = h.state_mut() {
            app.add_listing_page(next);
        }
        let start = Instant::now();
        h.step();
        times.push(start.elapsed());
    }
    let grown = resident_bytes().saturating_sub(before);
    let rows = h.state().as_ref().map_or(0, S3SealApp::object_rows);
    assert_eq!(rows, STREAMED + 20);
    print_times(
        &format!("frame time while {STREAMED} objects stream in, 1,000 a frame"),
        times,
    );
    println!(
        "memory per listed object: {} bytes ({} MiB for {STREAMED})",
        grown / STREAMED as u64,
        grown >> 20
    );
}
