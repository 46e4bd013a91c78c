//! `s3seal audit` against LocalStack over HTTPS: a prefix holding every mode is counted
//! correctly, the CSV parses (checked with Python's csv module, an independent parser), and a
//! second run reuses the cache.

use crate::support::Sandbox;
use serde_json::Value;

/// Parses CSV text with Python's csv module; returns the rows.
pub(crate) fn python_csv(path: &std::path::Path) -> Vec<Vec<String>> {
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            "import csv, json, sys\nwith open(sys.argv[1], newline='') as f:\n    print(json.dumps(list(csv.reader(f, strict=True))))",
        ])
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "python csv failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn audit_counts_every_mode_and_writes_csv_that_parses() {
    let sb = Sandbox::new();
    let b = sb.bucket("audit");
    let kms = sb.kms_key().await;
    sb.ok(&["keys", "new", "known"]);
    sb.ok(&["keys", "new", "forgotten"]);
    sb.ok(&["keys", "new", "ck", "--kind", "client"]);
    let file = sb.path("f.txt");
    std::fs::write(&file, b"audit me").unwrap();
    let f = file.to_str().unwrap();
    let put = |key: &str, extra: &[&str]| {
        let uri = format!("s3://{b}/p/{key}");
        let mut args = vec!["put", f, uri.as_str()];
        args.extend_from_slice(extra);
        sb.ok(&args);
    };
    put("s3-1.txt", &["--encryption", "sse-s3"]);
    put("s3-2, with \"quotes\".txt", &["--encryption", "default"]);
    put("kms-1.txt", &["--encryption", "sse-kms", "--kms-key", &kms]);
    put(
        "kms-2.txt",
        &["--encryption", "sse-kms", "--kms-key", &kms, "--bucket-key"],
    );
    put("dsse.txt", &["--encryption", "dsse-kms", "--kms-key", &kms]);
    put("c-known.txt", &["--encryption", "sse-c", "--key", "known"]);
    put(
        "c-unknown.txt",
        &["--encryption", "sse-c", "--key", "forgotten"],
    );
    put("client.txt", &["--encryption", "client", "--key", "ck"]);
    // Outside the prefix: not counted.
    sb.ok(&["put", f, &format!("s3://{b}/other.txt")]);
    sb.ok(&["keys", "rm", "forgotten"]);

    let csv = sb.path("audit.csv");
    let uri = format!("s3://{b}/p/");
    let out = sb.ok(&["audit", &uri, "--json", "--csv", csv.to_str().unwrap()]);
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["total"], 8, "{report}");
    let by_mode = &report["by_mode"];
    assert_eq!(by_mode["sse-s3"], 2, "{report}");
    assert_eq!(by_mode["sse-kms"], 2, "{report}");
    assert_eq!(by_mode["dsse-kms"], 1, "{report}");
    assert_eq!(by_mode["sse-c"], 2, "{report}");
    assert_eq!(by_mode["client"], 1, "{report}");
    assert_eq!(report["errors"], 0, "{report}");
    assert_eq!(report["sse_c_unknown_key"], 1, "{report}");
    assert_eq!(report["by_key"]["sse-c:known"], 1, "{report}");
    assert_eq!(report["by_key"]["sse-c:unknown"], 1, "{report}");
    assert_eq!(report["by_key"]["client:ck"], 1, "{report}");
    assert_eq!(report["kms_without_bucket_key"], 1, "{report}");
    let kms_rows: Vec<&Value> = report["objects"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["mode"] == "sse-kms")
        .collect();
    assert!(
        kms_rows
            .iter()
            .all(|r| r["kms_key_id"].as_str().unwrap().contains(&kms)),
        "{report}"
    );
    // Same mode names as `info`.
    let info = sb.info(&format!("s3://{b}/p/dsse.txt"));
    assert_eq!(info["mode"], "dsse-kms");

    let rows = python_csv(&csv);
    assert_eq!(rows.len(), 9, "{rows:?}");
    assert_eq!(rows[0][0], "key");
    assert!(rows.iter().all(|r| r.len() == rows[0].len()), "{rows:?}");
    let mode_col = rows[0].iter().position(|c| c == "mode").unwrap();
    let quoted = rows
        .iter()
        .find(|r| r[0] == "p/s3-2, with \"quotes\".txt")
        .expect("the key with a comma and quotes survives the CSV");
    assert_eq!(quoted[mode_col], "sse-s3");
    let known_col = rows[0].iter().position(|c| c == "key_known").unwrap();
    let unknown = rows.iter().find(|r| r[0] == "p/c-unknown.txt").unwrap();
    assert_eq!(unknown[known_col], "false");

    // Second run: everything but the unknown SSE-C object comes from the cache.
    let again: Value = serde_json::from_str(&sb.ok(&["audit", &uri, "--json"])).unwrap();
    assert_eq!(again["total"], 8);
    assert_eq!(again["from_cache"], 7, "{again}");
    assert_eq!(again["by_mode"], report["by_mode"]);
    // An overwritten object is asked again.
    put("s3-1.txt", &["--encryption", "sse-kms", "--kms-key", &kms]);
    let third: Value = serde_json::from_str(&sb.ok(&["audit", &uri, "--json"])).unwrap();
    assert_eq!(third["by_mode"]["sse-kms"], 3, "{third}");
    assert_eq!(third["by_mode"]["sse-s3"], 1, "{third}");
    assert_eq!(third["from_cache"], 6, "{third}");

    // The summary table; an existing CSV is never overwritten.
    let text = sb.ok(&["audit", &uri]);
    assert!(text.contains("8 objects"), "{text}");
    let err = sb.fails(&["audit", &uri, "--csv", csv.to_str().unwrap()]);
    assert!(err.contains("already exists"), "{err}");
}
