//! The core's live per-file progress, and instruction files that travel with their object.

use super::*;

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
