//! Folders against LocalStack over HTTPS: a nested tree (empty files, names with spaces and
//! non-ASCII characters, one multipart file) goes up with `put --recursive` and comes back with
//! `get --recursive` byte-identical in every mode; `--skip-existing` sends nothing the second
//! time (the objects' ETags and modification times stay as they were; a changed file is the one
//! sent again); a file that cannot be read, and an object whose place is taken by a folder,
//! fail alone and are listed; `--json` reports every file; the core's live progress adds up.

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
const LARGE_LEN: usize = 17 * 1024 * 1024 + 5;

/// Writes a tree of `small` small files in nested folders (some empty, some with spaces and
/// non-ASCII characters in their names) and, when `large`, one multipart file. Returns every
/// file by its `/`-separated path.
fn make_tree(root: &Path, small: usize, large: bool) -> BTreeMap<String, Vec<u8>> {
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
fn read_tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
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

fn assert_same_tree(
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
fn run_json(sb: &Sandbox, args: &[&str]) -> (Value, bool, String) {
    let out = sb.cmd().args(args).arg("--json").output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{stderr}");
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{stderr}", String::from_utf8_lossy(&out.stdout)));
    (report, out.status.success(), stderr)
}

/// The status of every file in a JSON report, by path.
fn statuses(report: &Value) -> BTreeMap<String, String> {
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
async fn objects(sb: &Sandbox, bucket: &str, prefix: &str) -> BTreeMap<String, (String, String)> {
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

fn strs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_nested_tree_round_trips_in_every_mode() {
    let sb = Sandbox::new();
    let bucket = sb.bucket("tree");
    let kms = sb.kms_key().await;
    sb.ok(&["keys", "new", "tree-ssec"]);
    sb.ok(&["keys", "new", "tree-client", "--kind", "client"]);
    let src = sb.path("src");
    let files = make_tree(&src, 240, true);
    let total = files.len();

    let modes: [(&str, Vec<&str>, &str); 7] = [
        ("default", vec![], "sse-s3"),
        ("sse-s3", vec!["--encryption", "sse-s3"], "sse-s3"),
        (
            "sse-kms",
            vec!["--encryption", "sse-kms", "--kms-key", &kms],
            "sse-kms",
        ),
        (
            "dsse-kms",
            vec!["--encryption", "dsse-kms", "--kms-key", &kms],
            "dsse-kms",
        ),
        (
            "sse-c",
            vec!["--encryption", "sse-c", "--key", "tree-ssec"],
            "sse-c",
        ),
        (
            "client",
            vec!["--encryption", "client", "--key", "tree-client"],
            "client",
        ),
        (
            "client-kms-v2",
            vec![
                "--encryption",
                "client",
                "--kms-key",
                &kms,
                "--format",
                "v2",
            ],
            "client",
        ),
    ];
    for (name, args, mode) in modes {
        let prefix = format!("s3://{bucket}/{name}/");
        let mut put = vec!["put", s(&src), &prefix, "--recursive"];
        put.extend(args.iter().copied());
        let out = sb.ok(&put);
        assert!(
            out.contains(&format!("upload: {total} files")),
            "{name}: {out}"
        );

        // Keys are the paths relative to the folder, with `/`, under the prefix.
        let listed = objects(&sb, &bucket, &format!("{name}/")).await;
        let keys: Vec<String> = files.keys().map(|rel| format!("{name}/{rel}")).collect();
        assert_eq!(listed.keys().cloned().collect::<Vec<_>>(), keys, "{name}");
        let info = sb.info(&format!("{prefix}big/large.bin"));
        assert_eq!(info["mode"], mode, "{name}: {info}");
        let info = sb.info(&format!("{prefix}with space/naïve résumé.txt"));
        assert_eq!(info["mode"], mode, "{name}: {info}");

        // No --key: each object's SSE-C or client key is found among the local keys.
        let dest = sb.path(&format!("out-{name}"));
        let out = sb.ok(&["get", &prefix, s(&dest), "--recursive"]);
        assert!(
            out.contains(&format!("download: {total} files")),
            "{name}: {out}"
        );
        assert_same_tree(&files, &read_tree(&dest), name);
        assert!(temp_leftovers(&dest).is_empty(), "{name}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn skip_existing_sends_nothing_twice() {
    let sb = Sandbox::new();
    let bucket = sb.bucket("skip");
    sb.ok(&["keys", "new", "skip-client", "--kind", "client"]);
    sb.ok(&["keys", "new", "skip-ssec"]);
    let src = sb.path("src");
    let files = make_tree(&src, 40, true);

    for (name, args) in [
        (
            "client",
            vec!["--encryption", "client", "--key", "skip-client"],
        ),
        ("sse-c", vec!["--encryption", "sse-c", "--key", "skip-ssec"]),
        ("sse-s3", vec!["--encryption", "sse-s3"]),
    ] {
        let prefix = format!("s3://{bucket}/{name}/");
        let put = |extra: &[&str]| {
            let mut put = vec!["put", s(&src), &prefix, "--recursive"];
            put.extend(args.iter().copied());
            put.extend(extra);
            put.iter().map(|a| (*a).to_owned()).collect::<Vec<String>>()
        };
        sb.ok(&strs(&put(&[])));
        let before = objects(&sb, &bucket, &format!("{name}/")).await;
        assert_eq!(before.len(), files.len(), "{name}");
        // Modification times have a one-second grain: anything sent again would show.
        std::thread::sleep(std::time::Duration::from_millis(1100));

        // Without a full-object checksum nothing proves an object the same, so it is sent
        // again: LocalStack keeps none for SSE-C multipart uploads (AWS does).
        let large = format!("{prefix}big/large.bin");
        let unprovable: Vec<String> = if sb.info(&large)["checksum"].is_null() {
            assert_eq!(
                name, "sse-c",
                "only LocalStack's SSE-C multipart lacks a checksum"
            );
            vec!["big/large.bin".to_owned()]
        } else {
            Vec::new()
        };
        let (report, ok, stderr) = run_json(&sb, &strs(&put(&["--skip-existing"])));
        assert!(ok, "{name}: {stderr}");
        for (rel, status) in statuses(&report) {
            let expected = if unprovable.contains(&rel) {
                "uploaded"
            } else {
                "skipped"
            };
            assert_eq!(status, expected, "{name}: {rel}");
        }
        assert_eq!(
            report["summary"]["skipped"],
            files.len() - unprovable.len(),
            "{name}"
        );
        let mut after = objects(&sb, &bucket, &format!("{name}/")).await;
        for rel in &unprovable {
            after.remove(&format!("{name}/{rel}"));
        }
        let mut expected = before.clone();
        for rel in &unprovable {
            expected.remove(&format!("{name}/{rel}"));
        }
        assert_eq!(after, expected, "{name}: an object was written again");

        // A changed file is the one sent again.
        let changed = src.join("top level.txt");
        std::fs::write(&changed, b"changed!!!").unwrap(); // same length as before
        let (report, ok, stderr) = run_json(&sb, &strs(&put(&["--skip-existing"])));
        std::fs::write(&changed, &files["top level.txt"]).unwrap();
        assert!(ok, "{name}: {stderr}");
        let sent: Vec<String> = statuses(&report)
            .into_iter()
            .filter(|(rel, v)| v != "skipped" && !unprovable.contains(rel))
            .map(|(k, _)| k)
            .collect();
        assert_eq!(sent, ["top level.txt"], "{name}: {report}");
        let after = objects(&sb, &bucket, &format!("{name}/")).await;
        let key = format!("{name}/top level.txt");
        assert_ne!(after[&key].1, before[&key].1, "{name}: not written again");
        for (k, v) in &expected {
            if *k != key {
                assert_eq!(&after[k], v, "{name}: {k} was written again");
            }
        }
        // Put back as it was (so that the next mode starts from the same tree).
        sb.ok(&strs(&put(&["--skip-existing"])));
    }

    // The same content asked with other encryption is sent again.
    let prefix = format!("s3://{bucket}/sse-s3/");
    let (report, ok, stderr) = run_json(
        &sb,
        &[
            "put",
            s(&src),
            &prefix,
            "--recursive",
            "--skip-existing",
            "--encryption",
            "sse-c",
            "--key",
            "skip-ssec",
        ],
    );
    assert!(ok, "{stderr}");
    assert!(
        statuses(&report).values().all(|v| v == "uploaded"),
        "{report}"
    );

    // Downloads: a second run with --skip-existing leaves every local file alone.
    let dest = sb.path("down");
    let prefix = format!("s3://{bucket}/client/");
    sb.ok(&["get", &prefix, s(&dest), "--recursive"]);
    assert_same_tree(&files, &read_tree(&dest), "download");
    let inode = |rel: &str| {
        use std::os::unix::fs::MetadataExt as _;
        let meta = std::fs::metadata(dest.join(rel)).unwrap();
        (meta.ino(), meta.mtime_nsec(), meta.mtime())
    };
    let before: Vec<_> = files.keys().map(|rel| inode(rel)).collect();
    let (report, ok, stderr) = run_json(
        &sb,
        &["get", &prefix, s(&dest), "--recursive", "--skip-existing"],
    );
    assert!(ok, "{stderr}");
    assert!(
        statuses(&report).values().all(|v| v == "skipped"),
        "{report}"
    );
    let after: Vec<_> = files.keys().map(|rel| inode(rel)).collect();
    assert_eq!(before, after, "a local file was replaced");
    // A local file that differs is downloaded again.
    std::fs::write(dest.join("top level.txt"), b"different!").unwrap();
    let (report, ok, _) = run_json(
        &sb,
        &["get", &prefix, s(&dest), "--recursive", "--skip-existing"],
    );
    assert!(ok);
    assert_eq!(statuses(&report)["top level.txt"], "downloaded", "{report}");
    assert_same_tree(&files, &read_tree(&dest), "download after a change");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_file_that_cannot_be_read_fails_alone_and_is_listed() {
    let sb = Sandbox::new();
    let bucket = sb.bucket("fail");
    let src = sb.path("src");
    let files = make_tree(&src, 20, false);
    // A named pipe cannot be uploaded, whoever runs the test (root reads through any mode
    // bits, so a chmod 000 file proves something only for other users).
    let pipe = src.join("d1/pipe");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&pipe)
            .status()
            .unwrap()
            .success()
    );
    let locked = src.join("d2/locked.txt");
    std::fs::write(&locked, b"secret").unwrap();
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    }
    let locked_fails = std::fs::File::open(&locked).is_err();
    let link = src.join("link.txt");
    std::os::unix::fs::symlink("/etc/hostname", &link).unwrap();

    let prefix = format!("s3://{bucket}/p/");
    let out = sb
        .cmd()
        .args(["put", s(&src), &prefix, "--recursive"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "a failed file must fail the command");
    assert!(stderr.contains("s3seal: failed: d1/pipe: "), "{stderr}");
    assert!(stderr.contains("named pipe"), "{stderr}");
    let failed = if locked_fails {
        assert!(
            stderr.contains("s3seal: failed: d2/locked.txt: "),
            "{stderr}"
        );
        2
    } else {
        println!("running as root: a chmod 000 file is readable, so only the pipe must fail");
        1
    };
    let total = files.len() + 3;
    assert!(
        stderr.contains(&format!("s3seal: error: {failed} of {total} files failed")),
        "{stderr}"
    );
    let listed = objects(&sb, &bucket, "p/").await;
    for rel in files.keys() {
        assert!(
            listed.contains_key(&format!("p/{rel}")),
            "{rel} was not uploaded"
        );
    }
    assert!(!listed.contains_key("p/d1/pipe"));
    assert!(!listed.contains_key("p/link.txt"), "a link was followed");

    // The JSON report has every file, the failures with their error.
    let (report, ok, _) = run_json(&sb, &["put", s(&src), &prefix, "--recursive"]);
    assert!(!ok);
    assert_eq!(report["direction"], "upload");
    assert_eq!(report["files"].as_array().unwrap().len(), total);
    assert_eq!(report["summary"]["files"], total);
    assert_eq!(report["summary"]["failed"], failed);
    assert_eq!(report["summary"]["skipped"], 1);
    assert_eq!(report["summary"]["transferred"], total - failed - 1);
    let by_path = |p: &str| {
        report["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["path"] == p)
            .unwrap()
            .clone()
    };
    let pipe_row = by_path("d1/pipe");
    assert_eq!(pipe_row["status"], "failed");
    assert!(
        pipe_row["error"].as_str().unwrap().contains("named pipe"),
        "{pipe_row}"
    );
    assert_eq!(by_path("link.txt")["reason"], "symlink-not-followed");
    let row = by_path("top level.txt");
    assert_eq!(row["status"], "uploaded");
    assert_eq!(row["uri"], format!("s3://{bucket}/p/top level.txt"));
    assert_eq!(row["size"], 10);
    assert!(row["etag"].is_string(), "{row}");
    assert_eq!(row["local"], s(&src.join("top level.txt")));

    // Downloads: an object whose place is taken by a folder fails alone; keys that would leave
    // the folder, or name no file, are refused.
    let one = sb.path("one.txt");
    random_file(&one, 100, 1);
    sb.ok(&["put", s(&one), &format!("s3://{bucket}/clash/x")]);
    sb.ok(&["put", s(&one), &format!("s3://{bucket}/clash/x/inner.txt")]);
    sb.ok(&["put", s(&one), &format!("s3://{bucket}/clash/ok.txt")]);
    sb.ok(&["put", s(&one), &format!("s3://{bucket}/clash/a//b.txt")]);
    sb.ok(&["put", s(&one), &format!("s3://{bucket}/clash/../evil.txt")]);
    let dest = sb.path("down");
    let (report, ok, _) = run_json(
        &sb,
        &[
            "get",
            &format!("s3://{bucket}/clash/"),
            s(&dest),
            "--recursive",
        ],
    );
    assert!(!ok);
    let st = statuses(&report);
    assert_eq!(st["ok.txt"], "downloaded", "{report}");
    assert_eq!(st["a//b.txt"], "failed", "{report}");
    assert_eq!(st["../evil.txt"], "failed", "{report}");
    assert!(!sb.path("evil.txt").exists(), "a key left the folder");
    // `x` cannot be a file and the folder of `x/inner.txt` at once: the file fails.
    assert_eq!(st["x"], "failed", "{report}");
    assert_eq!(st["x/inner.txt"], "downloaded", "{report}");
    assert_eq!(report["summary"]["failed"], 3, "{report}");
    assert_eq!(
        std::fs::read(dest.join("x/inner.txt")).unwrap(),
        std::fs::read(&one).unwrap()
    );
    assert!(temp_leftovers(&dest).is_empty());
    assert!(temp_leftovers(&dest.join("x")).is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_core_reports_every_file_as_it_goes() {
    let sb = Sandbox::new();
    let bucket = sb.bucket("live");
    let src = sb.path("src");
    let files = make_tree(&src, 30, false);
    let conn = sb.connection().await;
    let progress = TreeProgress::new();
    let dest: s3seal::s3::S3Uri = format!("s3://{bucket}/live").parse().unwrap();
    let mode = WriteMode::Server(s3seal::s3::ServerSide::SseS3);
    let options = TreeOptions::default();
    let preview = s3seal::transfer::tree::preview_upload(&src, &options)
        .await
        .unwrap();
    assert_eq!(preview.files, files.len());
    assert_eq!(
        preview.bytes,
        files.values().map(|v| v.len() as u64).sum::<u64>()
    );
    let request = TreeUpload {
        root: &src,
        dest: &dest,
        mode: &mode,
        options: &options,
    };
    let report = upload_tree(&conn, &request, &progress, &CancellationToken::new())
        .await
        .unwrap();
    assert!(report.succeeded());
    let snap = progress.snapshot();
    assert!(snap.planned);
    assert_eq!(snap.files_total, files.len() as u64);
    assert_eq!(snap.files_done, files.len() as u64);
    assert_eq!(
        (snap.bytes_done, snap.bytes_total),
        (preview.bytes, preview.bytes)
    );
    let rows: Vec<(&str, bool)> = progress
        .files()
        .iter()
        .map(|r| (r.rel.as_str(), matches!(r.state(), FileState::Done)))
        .collect();
    let expected: Vec<(&str, bool)> = files.keys().map(|k| (k.as_str(), true)).collect();
    assert_eq!(rows, expected);
    assert_eq!(report.counts().transferred, files.len());
    let listed = objects(&sb, &bucket, "live/").await;
    assert_eq!(
        listed.len(),
        files.len(),
        "keys go under live/ (a slash added)"
    );

    // Cancelled before it starts: nothing is sent and every file says so.
    let cancel = CancellationToken::new();
    cancel.cancel();
    let other: s3seal::s3::S3Uri = format!("s3://{bucket}/cancelled/").parse().unwrap();
    let request = TreeUpload {
        dest: &other,
        ..request
    };
    let report = upload_tree(&conn, &request, &TreeProgress::new(), &cancel)
        .await
        .unwrap();
    assert!(report.cancelled && !report.succeeded());
    assert_eq!(report.counts().failed, files.len());
    assert!(objects(&sb, &bucket, "cancelled/").await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_envelope_in_an_instruction_file_comes_with_its_object() {
    let sb = Sandbox::new();
    let bucket = sb.bucket("treeinstr");
    sb.ok(&["keys", "new", "m", "--kind", "client"]);
    let src = sb.path("src");
    let files = make_tree(&src, 3, false);
    let prefix = format!("s3://{bucket}/p/");
    sb.ok(&[
        "put",
        s(&src),
        &prefix,
        "--recursive",
        "--encryption",
        "client",
        "--key",
        "m",
        "--format",
        "v2",
    ]);
    // Move one object's V2 envelope out of its metadata into `KEY.instruction`, as the
    // official clients may write it.
    let conn = sb.connection().await;
    let key = "p/top level.txt";
    move_envelope_to_instruction_file(&conn, &bucket, key).await;
    assert_eq!(
        sb.info(&format!("s3://{bucket}/{key}"))["client_envelope"],
        "instruction-file"
    );

    let dest = sb.path("down");
    let (report, ok, stderr) = run_json(&sb, &["get", &prefix, s(&dest), "--recursive"]);
    assert!(ok, "{stderr}");
    assert_eq!(
        report["summary"]["files"],
        files.len(),
        "the instruction file is no file of its own"
    );
    assert_same_tree(&files, &read_tree(&dest), "with an instruction file");
}

#[test]
fn folder_flags_and_folders_need_recursive() {
    let sb = Sandbox::new();
    let dir = sb.path("dir");
    std::fs::create_dir_all(&dir).unwrap();
    let file = sb.path("f.txt");
    std::fs::write(&file, b"x").unwrap();
    let err = sb.fails(&["put", s(&dir), "s3://any-bucket/p/"]);
    assert!(
        err.contains("is a folder") && err.contains("--recursive"),
        "{err}"
    );
    let err = sb.fails(&["get", "s3://any-bucket/p/", s(&dir)]);
    assert!(
        err.contains("is a prefix") && err.contains("--recursive"),
        "{err}"
    );
    for flag in [
        &["--include", "*.txt"][..],
        &["--skip-existing"],
        &["--json"],
    ] {
        let mut args = vec!["put", s(&file), "s3://any-bucket/f.txt"];
        args.extend_from_slice(flag);
        let err = sb.fails(&args);
        assert!(
            err.contains(&format!("{} goes with --recursive", flag[0])),
            "{err}"
        );
    }
    let err = sb.fails(&[
        "get",
        "s3://any-bucket/p/",
        s(&dir),
        "--recursive",
        "--follow-symlinks",
    ]);
    assert!(err.contains("--follow-symlinks goes with put"), "{err}");
    let err = sb.fails(&[
        "put",
        s(&dir),
        "s3://any-bucket/p/",
        "--recursive",
        "--include",
        "",
    ]);
    assert!(err.contains("empty include or exclude pattern"), "{err}");
    let err = sb.fails(&["put", s(&file), "s3://any-bucket/p/", "--recursive"]);
    assert!(err.contains("is not a folder"), "{err}");
}
