//! What fails alone and is listed, and the flags refused with what to add.

use super::*;
use crate::support::named_pipe;

#[tokio::test(flavor = "multi_thread")]
async fn a_file_that_cannot_be_read_fails_alone_and_is_listed() {
    let sb = Sandbox::new();
    let bucket = sb.bucket("fail");
    let src = sb.path("src");
    let files = make_tree(&src, 20, false);
    // A named pipe cannot be uploaded, whoever runs the test (root reads through any mode
    // bits, so a chmod 000 file proves something only for other users).
    let pipe = src.join("d1/pipe");
    named_pipe(&pipe);
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
