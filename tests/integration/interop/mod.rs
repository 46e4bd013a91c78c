//! Interoperability with the OFFICIAL Amazon S3 Encryption Client (PyPI
//! `amazon-s3-encryption-client-python`, pinned in tests/interop/requirements.txt), both ways,
//! against LocalStack (S3 + KMS over HTTPS):
//!   - s3seal writes (V2 / V3, `kms+context` and raw `AES/GCM`) → the official client reads;
//!   - the official client writes (V3 default, V2, its multipart path) → s3seal reads;
//!   - an official object whose envelope sits in an instruction file → s3seal reads.
//!
//! The peer is tests/interop/s3ec_peer.py, run with `S3SEAL_TEST_S3EC_PYTHON` (the venv that
//! `scripts/test-env.sh` builds as `.cache/s3ec-venv`). Here: the peer and the helpers;
//! kms.rs (`kms+context` both ways), raw_aes.rs (`AES/GCM`), instruction.rs (envelopes in
//! instruction files, and re-keys of them).

mod instruction;
mod kms;
mod raw_aes;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::support::{Sandbox, random_file};
use base64::Engine as _;
use serde_json::Value;

/// 1 KiB: one PutObject on both sides.
pub(super) const SMALL_LEN: usize = 1024;
/// 17 MiB + 5 bytes: three parts for s3seal (8 MiB parts from 16 MiB up) and for the official
/// client (8 MiB parts from 8 MiB up).
pub(super) const MULTIPART_LEN: usize = 17 * 1024 * 1024 + 5;
pub(super) const SIZES: [(&str, usize); 3] = [
    ("empty", 0),
    ("small", SMALL_LEN),
    ("multipart", MULTIPART_LEN),
];
/// The raw AES master key imported into s3seal and handed to the peer's AES/GCM keyring.
pub(super) const MASTER_HEX: &str =
    "4a1f0c9e3b7d25c8e06f19a2d4b8573c9e0f1a2b3c4d5e6f708192a3b4c5d6e7";

/// The official client, driven through the peer script.
pub(super) struct Peer {
    python: PathBuf,
    script: PathBuf,
}

impl Peer {
    fn new() -> Self {
        let python = std::env::var_os("S3SEAL_TEST_S3EC_PYTHON").unwrap_or_else(|| {
            panic!(
                "S3SEAL_TEST_S3EC_PYTHON is not set: run the interop tests through \
                 `scripts/test-env.sh cargo test --test integration interop::`, which builds the official S3 \
                 Encryption Client's venv (.cache/s3ec-venv) and starts LocalStack over HTTPS"
            )
        });
        Self {
            python: PathBuf::from(python),
            script: Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/s3ec_peer.py"),
        }
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(&self.python)
            .arg(&self.script)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", self.python.display()))
    }

    /// Runs and requires success; returns the JSON it printed.
    fn ok(&self, args: &[&str]) -> Value {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "`s3ec_peer.py {}` failed:\nstdout: {}\nstderr: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "peer printed no JSON ({e}): {}",
                String::from_utf8_lossy(&out.stdout)
            )
        })
    }

    /// Runs and requires failure; returns its error line.
    fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            !out.status.success(),
            "expected `s3ec_peer.py {}` to fail, it printed:\n{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stdout)
        );
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(stderr.starts_with("s3ec_peer: error: "), "stderr: {stderr}");
        stderr
    }

    /// The official client's download of `bucket/key` to `out`, opening its data key with
    /// `master` (`--kms-key K --context …`, or `--aes-key-hex H`); V2 objects are allowed.
    fn get(&self, bucket: &str, key: &str, out: &Path, format: &str, master: &[&str]) -> Value {
        let mut args = vec!["get", "--bucket", bucket, "--key", key, "--out"];
        args.push(out.to_str().unwrap());
        args.extend_from_slice(master);
        if format == "v2" {
            args.push("--allow-v2");
        }
        self.ok(&args)
    }

    fn head(&self, bucket: &str, key: &str) -> Value {
        self.ok(&["head", "--bucket", bucket, "--key", key])
    }
}

pub(super) async fn kms_key(sb: &Sandbox) -> String {
    let conn = sb.connection().await;
    let out = conn
        .kms()
        .create_key()
        .description("s3seal interop")
        .send()
        .await
        .unwrap();
    out.key_metadata().unwrap().key_id().to_owned()
}

pub(super) fn meta<'a>(head: &'a Value, name: &str) -> &'a str {
    head["metadata"][name]
        .as_str()
        .unwrap_or_else(|| panic!("no x-amz-meta-{name} in {head}"))
}

pub(super) fn json_meta(head: &Value, name: &str) -> Value {
    serde_json::from_str(meta(head, name))
        .unwrap_or_else(|e| panic!("{name} is not JSON ({e}): {head}"))
}

pub(super) fn b64_len(head: &Value, name: &str) -> usize {
    base64::engine::general_purpose::STANDARD
        .decode(meta(head, name))
        .unwrap_or_else(|e| panic!("{name} is not standard base64 ({e}): {head}"))
        .len()
}

pub(super) fn assert_same_file(path: &Path, expected: &[u8], what: &str) {
    let got = std::fs::read(path).unwrap();
    assert_eq!(
        got.len(),
        expected.len(),
        "{what}: plaintext length differs"
    );
    assert!(got == expected, "{what}: plaintext differs");
}

/// The ETag of a multipart object ends in `-<parts>`; a single PUT's has no dash.
pub(super) fn assert_parts(head: &Value, len: usize, what: &str) {
    let etag = head["etag"].as_str().unwrap();
    if len == MULTIPART_LEN {
        assert!(
            etag.ends_with("-3"),
            "{what}: expected a 3-part upload, ETag {etag}"
        );
    } else {
        assert!(
            !etag.contains('-'),
            "{what}: expected a single PUT, ETag {etag}"
        );
    }
    assert_eq!(
        head["content_length"],
        len as u64 + 16,
        "{what}: ciphertext = plaintext + tag: {head}"
    );
}
