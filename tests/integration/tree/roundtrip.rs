//! A nested tree round-trips in every mode; --skip-existing sends nothing twice.

use super::*;

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
