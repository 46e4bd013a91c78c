//! Smoke test of the real binary: starts `s3seal open` under Xvfb, waits for the first frame
//! (the window logs it), checks that X has the window, then ends it.
//! Run with `scripts/test-env.sh cargo test --test integration ui_smoke::` (it needs Xvfb and xdotool).

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Kills the child (by its own id) when dropped, so nothing outlives the test.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_display() -> u32 {
    (90..140)
        .find(|n| {
            !Path::new(&format!("/tmp/.X{n}-lock")).exists()
                && !Path::new(&format!("/tmp/.X11-unix/X{n}")).exists()
        })
        .expect("a free X display number")
}

#[test]
fn the_binary_opens_a_window_and_draws_a_frame() {
    let display = free_display();
    let xvfb = Killed(
        Command::new("Xvfb")
            .args([
                &format!(":{display}"),
                "-screen",
                "0",
                "1280x800x24",
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb is installed (scripts/test-env.sh installs it)"),
    );
    let socket = format!("/tmp/.X11-unix/X{display}");
    let start = Instant::now();
    while !Path::new(&socket).exists() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "Xvfb did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    let home = tempfile::tempdir().unwrap();
    let spawned = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_s3seal"))
        .args([
            "--endpoint-url",
            "https://127.0.0.1:9",
            "--region",
            "us-east-1",
            "open",
        ])
        .env("DISPLAY", format!(":{display}"))
        .env_remove("WAYLAND_DISPLAY")
        .env("S3SEAL_LOG", "s3seal::ui=info")
        .env("S3SEAL_CONFIG_DIR", home.path().join("config"))
        .env("XDG_DATA_HOME", home.path().join("data"))
        .env("XDG_CONFIG_HOME", home.path().join("xdg-config"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let app = Killed(child);

    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut seen = Vec::new();
    let first_frame = loop {
        match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(line) if line.contains("first frame drawn") => break line,
            Ok(line) => seen.push(line),
            Err(_) => panic!(
                "no first frame within 60 s; the app said:\n{}",
                seen.join("\n")
            ),
        }
    };
    assert!(
        !seen.iter().any(|l| l.contains("panicked")),
        "{}",
        seen.join("\n")
    );
    println!(
        "{first_frame}\nfrom process start to first frame: {} ms",
        spawned.elapsed().as_millis()
    );

    // X knows a window with the app's title.
    let found = Command::new("xdotool")
        .args(["search", "--name", "^s3seal$"])
        .env("DISPLAY", format!(":{display}"))
        .output()
        .expect("xdotool is installed");
    assert!(
        found.status.success() && !found.stdout.is_empty(),
        "no s3seal window on the display"
    );
    drop(app);
    drop(xvfb);
}
