//! One prefix holding every mode, brought to SSE-KMS with one key by one job: the dry run
//! changes nothing and counts what the run then does; the audit afterwards counts every
//! server-side object SSE-KMS under that key; metadata, tags and content type stay; SSE-C
//! objects are read with their local key; client-side ones are left to a client-side job, which
//! re-wraps them. LocalStack does not implement UpdateObjectEncryption, so the plan says the
//! copy is used instead, and why.

use super::{Put, audit, json, kept, kms_job, kms_key, put_rich, rows_by_key, sse_c_headers};
use crate::support::Sandbox;

#[tokio::test(flavor = "multi_thread")]
async fn every_mode_to_one_kms_key_in_one_job() {
    let sb = Sandbox::new();
    let b = sb.bucket("jobs-modes");
    let (kms, arn) = kms_key(&sb).await;
    let (other, _) = kms_key(&sb).await;
    sb.ok(&["keys", "new", "old"]);
    sb.ok(&["keys", "new", "gone"]);
    sb.ok(&["keys", "new", "ck", "--kind", "client"]);
    sb.ok(&["keys", "new", "ck2", "--kind", "client"]);
    let old = sse_c_headers(&sb, "old");
    let gone = sse_c_headers(&sb, "gone");
    put_rich(&sb, &b, "p/s3.txt", b"sse-s3 body", Put::SseS3).await;
    put_rich(&sb, &b, "p/kms-other.txt", b"other key", Put::Kms(&other)).await;
    put_rich(
        &sb,
        &b,
        "p/kms-target.txt",
        b"already there",
        Put::Kms(&kms),
    )
    .await;
    put_rich(&sb, &b, "p/deep/dsse.txt", b"two layers", Put::Dsse(&kms)).await;
    put_rich(&sb, &b, "p/ssec.txt", b"customer key", Put::SseC(&old)).await;
    put_rich(
        &sb,
        &b,
        "p/ssec-gone.txt",
        b"key forgotten",
        Put::SseC(&gone),
    )
    .await;
    let file = sb.path("plain.txt");
    std::fs::write(&file, b"plain").unwrap();
    let f = file.to_str().unwrap();
    sb.ok(&["put", f, &format!("s3://{b}/p/default.txt")]);
    sb.ok(&[
        "put",
        f,
        &format!("s3://{b}/p/client.txt"),
        "--encryption",
        "client",
        "--key",
        "ck",
    ]);
    sb.ok(&[
        "put",
        f,
        &format!("s3://{b}/outside.txt"),
        "--encryption",
        "sse-s3",
    ]);
    sb.ok(&["keys", "rm", "gone"]);

    let prefix = format!("s3://{b}/p/");
    let job = kms_job(&prefix, &kms, &["--source-key", "old"]);
    let before = audit(&sb, &prefix);

    // The dry run: a plan, and nothing changed.
    let mut dry_args = job.to_vec();
    dry_args.extend(["--dry-run", "--json"]);
    let dry = json(&sb.ok(&dry_args));
    assert_eq!(dry["total"], 8, "{dry}");
    assert_eq!(dry["target"], format!("sse-kms:{arn}"), "{dry}");
    let by_method = &dry["by_method"];
    assert_eq!(by_method["copy"], 5, "{dry}");
    assert_eq!(by_method["skip"], 3, "{dry}");
    assert_eq!(by_method["update-object-encryption"], 0, "{dry}");
    assert_eq!(by_method["multipart-copy"], 0, "{dry}");
    assert_eq!(by_method["rewrap"], 0, "{dry}");
    assert!(dry.get("by_status").is_none(), "{dry}");
    let skipped = &dry["plan"]["skipped"];
    assert_eq!(skipped["already-compliant"], 1, "{dry}");
    assert_eq!(skipped["client-side"], 1, "{dry}");
    assert_eq!(skipped["sse-c-key-unknown"], 1, "{dry}");
    // LocalStack answers UpdateObjectEncryption with 501: detected once, said in the plan.
    let uoe = &dry["update_object_encryption"];
    assert_eq!(uoe["state"], "unavailable", "{dry}");
    assert!(uoe["reason"].as_str().unwrap().contains("501"), "{dry}");
    let notes = dry["plan"]["notes"].to_string();
    assert!(
        notes.contains("UpdateObjectEncryption is not used"),
        "{notes}"
    );
    assert!(
        dry["plan"]["cost"]["price_table"]["name"]
            .as_str()
            .unwrap()
            .contains("2026"),
        "{dry}"
    );
    // Nothing changed on the server: every object has the mode, KMS key, ETag and date it had.
    // (What the local key store learnt — which named key opened an SSE-C object — may differ.)
    let after_dry = audit(&sb, &prefix);
    let server_side = |audit: &serde_json::Value| -> Vec<serde_json::Value> {
        audit["objects"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| {
                serde_json::json!([
                    o["key"],
                    o["mode"],
                    o["kms_key_id"],
                    o["etag"],
                    o["last_modified"]
                ])
            })
            .collect()
    };
    assert_eq!(
        server_side(&after_dry),
        server_side(&before),
        "the dry run changed something"
    );
    assert_eq!(
        after_dry["by_mode"], before["by_mode"],
        "the dry run changed something"
    );

    // The run.
    let report_file = sb.path("report.csv");
    let mut run_args = job.to_vec();
    run_args.extend(["--json", "--report", report_file.to_str().unwrap()]);
    let run = json(&sb.ok(&run_args));
    assert_eq!(
        run["by_method"], dry["by_method"],
        "the run did what the dry run said: {run}"
    );
    assert_eq!(run["total"], dry["total"]);
    let by_status = &run["by_status"];
    assert_eq!(by_status["done"], 5, "{run}");
    assert_eq!(by_status["skipped"], 3, "{run}");
    assert_eq!(by_status["failed"], 0, "{run}");
    assert_eq!(by_status["changed"], 0, "{run}");

    let after = audit(&sb, &prefix);
    assert_eq!(after["total"], 8, "{after}");
    assert_eq!(after["by_key"][format!("sse-kms:{arn}")], 6, "{after}");
    assert_eq!(after["by_mode"]["sse-kms"], 6, "{after}");
    assert_eq!(after["by_mode"]["client"], 1, "{after}");
    assert_eq!(after["sse_c_unknown_key"], 1, "{after}");
    // Outside the prefix: untouched.
    assert_eq!(sb.info(&format!("s3://{b}/outside.txt"))["mode"], "sse-s3");

    // Metadata, content type and tags kept, SSE-C objects included (read with their key).
    for (key, was_sse_c) in [
        ("p/s3.txt", false),
        ("p/ssec.txt", true),
        ("p/deep/dsse.txt", false),
    ] {
        let (owner, content_type, tags) = kept(&sb, &b, key, None).await;
        assert_eq!(owner.as_deref(), Some(key), "{key}");
        assert_eq!(content_type.as_deref(), Some("text/x-s3seal-test"), "{key}");
        let kind = key.replace('/', "-");
        assert_eq!(
            tags,
            vec![
                ("kind".to_owned(), kind),
                ("team".to_owned(), "blue".to_owned())
            ],
            "{key} (was SSE-C: {was_sse_c})"
        );
    }
    let back = sb.path("ssec.out");
    sb.ok(&[
        "get",
        &format!("s3://{b}/p/ssec.txt"),
        back.to_str().unwrap(),
    ]);
    assert_eq!(std::fs::read(&back).unwrap(), b"customer key");

    // The report: every object once, with before, after, method and why.
    let id = run["job_id"].as_str().unwrap();
    let show = json(&sb.ok(&["jobs", "show", id, "--json"]));
    assert_eq!(show["state"], "done", "{show}");
    let rows = rows_by_key(&show);
    assert_eq!(rows.len(), 8, "{show}");
    let ssec = &rows["p/ssec.txt"];
    assert_eq!(ssec["before"]["mode"], "sse-c");
    assert_eq!(ssec["before"]["key_name"], "old");
    assert_eq!(ssec["after"]["kms_key_id"], arn);
    assert_eq!(ssec["status"], "done");
    let s3 = &rows["p/s3.txt"];
    assert_eq!(s3["method"], "copy");
    assert!(
        s3["message"]
            .as_str()
            .unwrap()
            .contains("copy used instead of UpdateObjectEncryption"),
        "{s3}"
    );
    assert_eq!(rows["p/client.txt"]["status"], "skipped");
    assert!(
        rows["p/client.txt"]["message"]
            .as_str()
            .unwrap()
            .contains("client-side")
    );
    assert_eq!(rows["p/kms-target.txt"]["status"], "skipped");
    let csv = std::fs::read_to_string(&report_file).unwrap();
    assert_eq!(csv.lines().count(), 9, "{csv}");
    assert!(
        csv.starts_with("bucket,key,version_id,size,before,after,method,status,message"),
        "{csv}"
    );
    let listed = json(&sb.ok(&["jobs", "list", "--json"]));
    let entry = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["id"] == id)
        .unwrap();
    assert_eq!(
        (
            entry["state"].as_str(),
            entry["done"].as_u64(),
            entry["total"].as_u64()
        ),
        (Some("done"), Some(8), Some(8))
    );

    // The client-side object: a client-side job re-wraps it; the old master key can go.
    let rewrap = json(&sb.ok(&[
        "rekey",
        &prefix,
        "--recursive",
        "--encryption",
        "client",
        "--key",
        "ck2",
        "--json",
    ]));
    assert_eq!(rewrap["by_method"]["rewrap"], 1, "{rewrap}");
    assert_eq!(rewrap["by_status"]["done"], 1, "{rewrap}");
    assert_eq!(rewrap["plan"]["skipped"]["not-client-side"], 7, "{rewrap}");
    sb.ok(&["keys", "rm", "ck"]);
    let out = sb.path("client.out");
    sb.ok(&[
        "get",
        &format!("s3://{b}/p/client.txt"),
        out.to_str().unwrap(),
    ]);
    assert_eq!(std::fs::read(&out).unwrap(), b"plain");
    // A second run of the first job's command has nothing left to do.
    let again = json(
        &sb.ok(&job
            .iter()
            .copied()
            .chain(["--dry-run", "--json"])
            .collect::<Vec<_>>()),
    );
    assert_eq!(again["by_method"]["copy"], 0, "{again}");
}
