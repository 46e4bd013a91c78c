//! Folders against LocalStack over HTTPS: a nested tree (empty files, names with spaces and
//! non-ASCII characters, one multipart file) goes up with `put --recursive` and comes back with
//! `get --recursive` byte-identical in every mode; `--skip-existing` sends nothing the second
//! time (the objects' ETags and modification times stay as they were; a changed file is the one
//! sent again); a file that cannot be read, and an object whose place is taken by a folder,
//! fail alone and are listed; `--json` reports every file; the core's live progress adds up.

mod failures;
mod live;
mod requests;
mod roundtrip;

use std::collections::BTreeMap;
use std::path::Path;

use futures::StreamExt as _;
use serde_json::Value;

use s3seal::progress::CancellationToken;
use s3seal::s3::listing;
use s3seal::transfer::tree::{FileState, TreeOptions, TreeProgress, TreeUpload, upload_tree};
use s3seal::transfer::write_mode::WriteMode;

use crate::support::{Sandbox, move_envelope_to_instruction_file, random_file, temp_leftovers};

/// 17 MiB + 5 bytes: a multipart upload (8 MiB parts) and a ranged download.
pub(super) const LARGE_LEN: usize = 17 * 1024 * 1024 + 5;

/// Writes a tree of `small` small files in nested folders (some empty, some with spaces and
/// non-ASCII characters in their names) and, when `large`, one multipart file. Returns every
/// file by its `/`-separated path.
pub(super) fn make_tree(root: &Path, small: usize, large: bool) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut add = |rel: String, len: usize, seed: u64| {
        let path = root.join(&rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        files.insert(rel, random_file(&path, len, seed));
    };
    for i in 0..small {
        let len = if i % 17 == 0 { 0 } else { (i * 97) % 5000 + 1 };
        add(format!("d{}/sub {}/f{i}.txt", i % 5, i % 3), len, i as u64);
    }
    add("with space/naïve résumé.txt".into(), 1234, 7001);
    add("日本語/ファイル 1.bin".into(), 77, 7002);
    add("ünïcödé.txt".into(), 0, 7003);
    add("top level.txt".into(), 10, 7004);
    if large {
        add("big/large.bin".into(), LARGE_LEN, 7005);
    }
    files
}

/// Every regular file under `root`, by its `/`-separated path.
pub(super) fn read_tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(root).unwrap();
                let rel: Vec<&str> = rel.iter().map(|c| c.to_str().unwrap()).collect();
                out.insert(rel.join("/"), std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

pub(super) fn assert_same_tree(
    expected: &BTreeMap<String, Vec<u8>>,
    got: &BTreeMap<String, Vec<u8>>,
    what: &str,
) {
    let want: Vec<&String> = expected.keys().collect();
    let have: Vec<&String> = got.keys().collect();
    assert_eq!(want, have, "{what}: different files");
    for (rel, bytes) in expected {
        assert!(got[rel] == *bytes, "{what}: {rel} differs");
    }
}

/// `s3seal ARGS… --json`, which may fail; returns the parsed report and whether it succeeded.
pub(super) fn run_json(sb: &Sandbox, args: &[&str]) -> (Value, bool, String) {
    let out = sb.cmd().args(args).arg("--json").output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{stderr}");
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{stderr}", String::from_utf8_lossy(&out.stdout)));
    (report, out.status.success(), stderr)
}

/// The status of every file in a JSON report, by path.
pub(super) fn statuses(report: &Value) -> BTreeMap<String, String> {
    report["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_owned(),
                f["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// ETag and modification time of every object under `prefix`.
pub(super) async fn objects(
    sb: &Sandbox,
    bucket: &str,
    prefix: &str,
) -> BTreeMap<String, (String, String)> {
    let conn = sb.connection().await;
    let mut pages = std::pin::pin!(listing::list_objects(&conn, bucket, prefix, None, None));
    let mut out = BTreeMap::new();
    while let Some(page) = pages.next().await {
        for o in page.unwrap().objects {
            out.insert(
                o.key,
                (
                    o.etag.unwrap_or_default(),
                    o.last_modified.unwrap_or_default(),
                ),
            );
        }
    }
    out
}

pub(super) fn strs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

pub(super) fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}
