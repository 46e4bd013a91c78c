//! Running the real s3seal binary for a fault case: bounded by a timeout, optionally killed
//! (SIGKILL) the moment a condition holds, with its output kept.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What a run left.
#[derive(Debug)]
pub struct Ran {
    /// `None`: it was killed (on purpose or by the timeout).
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub timed_out: bool,
    pub killed: bool,
}

impl Ran {
    pub fn ok(&self) -> bool {
        self.code == Some(0)
    }

    /// One clear message: exit status 1 and exactly one line `s3seal: error: …` (log lines
    /// aside), no panic.
    pub fn clear_error(&self) -> Option<String> {
        if self.code != Some(1) || self.stderr.contains("panicked") {
            return None;
        }
        let errors: Vec<&str> = self
            .stderr
            .lines()
            .filter(|l| l.starts_with("s3seal: error: "))
            .collect();
        match errors.as_slice() {
            [one] if one.len() > "s3seal: error: ".len() + 10 => {
                Some(one.trim_start_matches("s3seal: error: ").to_owned())
            }
            _ => None,
        }
    }

    pub fn describe(&self) -> String {
        format!(
            "exit {:?}{}{}; stderr: {}",
            self.code,
            if self.timed_out { ", timed out" } else { "" },
            if self.killed { ", killed" } else { "" },
            self.stderr.trim()
        )
    }
}

/// The s3seal binary under test.
pub fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_s3seal"))
}

/// `s3seal` with a config dir of its own, against `endpoint`, trusting the test CA.
pub fn s3seal(config_dir: &Path, endpoint: &str, ca: &Path) -> Command {
    let mut cmd = Command::new(binary());
    cmd.env("S3SEAL_CONFIG_DIR", config_dir)
        .env_remove("S3SEAL_LOG")
        .env_remove("RUST_LOG")
        .args(["--endpoint-url", endpoint, "--ca-bundle"])
        .arg(ca);
    cmd
}

/// Runs `cmd` for at most `timeout`; with `kill_when`, SIGKILLs it as soon as that holds.
pub fn run(cmd: &mut Command, timeout: Duration, kill_when: Option<&dyn Fn() -> bool>) -> Ran {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let started = Instant::now();
    let (mut timed_out, mut killed) = (false, false);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if started.elapsed() > timeout {
            timed_out = true;
        } else if kill_when.is_some_and(|cond| cond()) {
            killed = true;
        }
        if timed_out || killed {
            // std's kill is SIGKILL on unix: no handler, no destructor runs.
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    Ran {
        code: status.and_then(|s| s.code()),
        stdout: out_reader.join().unwrap_or_default(),
        stderr: err_reader.join().unwrap_or_default(),
        timed_out,
        killed,
    }
}
