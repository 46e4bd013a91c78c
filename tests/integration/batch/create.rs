//! `batch create`: the CreateJob sent equals the dry run's, manifests from audits and inventory
//! reports, the dry run's JSON as the aws CLI validates it.

use serde_json::Value;

use super::*;

#[tokio::test(flavor = "multi_thread")]
async fn create_sends_the_planned_job_once_per_content() {
    let Fixture {
        sb,
        src,
        rep,
        key_id,
        key_arn,
        peer,
    } = fixture("bc").await;
    let report = format!("s3://{rep}/batch/");
    let source = format!("s3://{src}/photos/");
    let args = create_args(
        &source,
        &report,
        &format!(
            "--encryption sse-kms --kms-key {key_id} --bucket-key --where sse-s3 --created-before 2026-01-01"
        ),
    );
    let input: Value = serde_json::from_str(&ok(&sb, &peer, &with(&args, "--dry-run"))).unwrap();
    assert_eq!(input["AccountId"], "123456789012", "from STS: {input}");
    assert_eq!(input["ConfirmationRequired"], true);
    let sse_kms = &input["Operation"]["S3UpdateObjectEncryption"]["ObjectEncryption"]["SSEKMS"];
    assert_eq!(
        sse_kms["KMSKeyArn"],
        key_arn.as_str(),
        "the key id resolved to its ARN"
    );
    assert_eq!(sse_kms["BucketKeyEnabled"], true);
    let filter = &input["ManifestGenerator"]["S3JobManifestGenerator"]["Filter"];
    assert_eq!(
        filter["MatchAnyObjectEncryption"],
        serde_json::json!([{"SSES3": {}}])
    );
    assert_eq!(filter["KeyNameConstraint"]["MatchAnyPrefix"][0], "photos/");
    assert_eq!(filter["CreatedBefore"], "2026-01-01T00:00:00Z");
    assert!(
        create_requests(&peer).is_empty(),
        "a dry run creates nothing"
    );
    let token = input["ClientRequestToken"].as_str().unwrap().to_owned();

    let created = ok(&sb, &peer, &args);
    assert!(
        created.contains(&format!("created job {JOB_ID}")),
        "{created}"
    );
    assert!(created.contains("s3seal batch confirm"), "{created}");
    ok(&sb, &peer, &args);
    let sent = create_requests(&peer);
    assert_eq!(sent.len(), 2);
    let body = String::from_utf8(sent[0].body.clone()).unwrap();
    assert_eq!(sent[0].header("x-amz-account-id"), Some("123456789012"));
    assert_eq!(
        elements(&body, "ClientRequestToken"),
        std::slice::from_ref(&token),
        "the dry run's token"
    );
    assert_eq!(elements(&body, "ConfirmationRequired"), ["true"]);
    assert_eq!(elements(&body, "KMSKeyArn"), std::slice::from_ref(&key_arn));
    assert_eq!(elements(&body, "BucketKeyEnabled"), ["true"]);
    assert!(
        body.contains("<MatchAnyObjectEncryption><ObjectEncryption><SSE-S3"),
        "{body}"
    );
    assert!(
        body.contains("<MatchAnyPrefix><member>photos/</member></MatchAnyPrefix>"),
        "{body}"
    );
    assert_eq!(elements(&body, "CreatedBefore"), ["2026-01-01T00:00:00Z"]);
    assert_eq!(
        elements(&body, "SourceBucket"),
        [format!("arn:aws:s3:::{src}")]
    );
    assert_eq!(elements(&body, "ReportScope"), ["AllTasks"]);
    assert_eq!(elements(&body, "Prefix"), ["batch"]);
    assert_eq!(elements(&body, "RoleArn"), [ROLE]);
    assert!(elements(&body, "Manifest").is_empty());
    // A retry sends the same job with the same token: S3 answers it with the first job's id.
    assert_eq!(sent[0].body, sent[1].body);

    // What the generator cannot express is refused with the way out.
    let mut not_key = args.clone();
    not_key[13] = "not-kms-key=other".to_owned();
    let err = fails(&sb, &peer, &not_key);
    assert!(err.contains("from an audit"), "{err}");
    let mut dsse = args.clone();
    dsse[8] = "dsse-kms".to_owned();
    let err = fails(&sb, &peer, &dsse);
    assert!(err.contains("not DSSE-KMS"), "{err}");
    assert_eq!(create_requests(&peer).len(), 2, "nothing more was sent");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_manifest_from_an_audit_is_uploaded_with_its_etag() {
    let Fixture {
        sb,
        src,
        rep,
        key_id: new_key,
        key_arn: new_arn,
        peer,
    } = fixture("bm").await;
    let old_key = sb.kms_key().await;
    let file = sb.path("f.txt");
    std::fs::write(&file, b"batch").unwrap();
    let f = file.to_str().unwrap();
    sb.ok(&["keys", "new", "c1"]);
    sb.ok(&[
        "put",
        f,
        &format!("s3://{src}/a b+c.txt"),
        "--encryption",
        "sse-s3",
    ]);
    sb.ok(&[
        "put",
        f,
        &format!("s3://{src}/kms-old"),
        "--encryption",
        "sse-kms",
        "--kms-key",
        &old_key,
    ]);
    sb.ok(&[
        "put",
        f,
        &format!("s3://{src}/ssec"),
        "--encryption",
        "sse-c",
        "--key",
        "c1",
    ]);
    let audit = sb.path("audit.json");
    std::fs::write(&audit, sb.ok(&["audit", &format!("s3://{src}/"), "--json"])).unwrap();
    let audit = audit.to_str().unwrap();
    let report = format!("s3://{rep}/r");
    let source = format!("s3://{src}");
    let base = create_args(
        &source,
        &report,
        &format!(
            "--encryption sse-kms --kms-key {new_key} --manifest-from-audit {audit} --account-id 111122223333"
        ),
    );

    let review = ok(&sb, &peer, &base);
    assert!(review.contains("objects: 2"), "{review}");
    assert!(
        review.contains("SSE-C: S3 Batch Operations cannot send the key"),
        "{review}"
    );
    let sent = create_requests(&peer);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].header("x-amz-account-id"), Some("111122223333"));
    let body = String::from_utf8(sent[0].body.clone()).unwrap();
    assert!(
        !peer.requests().iter().any(|r| r.path() == "/"),
        "no STS call with --account-id"
    );
    assert!(
        body.contains("<S3UpdateObjectEncryption>"),
        "SSE-S3 and SSE-KMS sources: {body}"
    );
    assert_eq!(elements(&body, "KMSKeyArn"), std::slice::from_ref(&new_arn));
    assert_eq!(
        elements(&body, "Format")[0],
        "S3BatchOperations_CSV_20180820"
    );
    assert!(
        body.contains("<Fields><member>Bucket</member><member>Key</member></Fields>"),
        "{body}"
    );
    let arn = elements(&body, "ObjectArn").pop().unwrap();
    let key = arn
        .strip_prefix(&format!("arn:aws:s3:::{rep}/"))
        .unwrap()
        .to_owned();
    assert!(
        key.starts_with("r/s3seal-manifests/") && key.ends_with(".csv"),
        "{key}"
    );
    let conn = sb.connection().await;
    let head = conn
        .s3()
        .head_object()
        .bucket(&rep)
        .key(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(
        elements(&body, "ETag"),
        [head.e_tag().unwrap().trim_matches('"').to_owned()],
        "the ETag S3 gave the uploaded manifest"
    );
    let manifest = conn
        .s3()
        .get_object()
        .bucket(&rep)
        .key(&key)
        .send()
        .await
        .unwrap();
    let manifest = manifest.body.collect().await.unwrap().into_bytes();
    assert_eq!(
        String::from_utf8(manifest.to_vec()).unwrap(),
        format!("{src},a%20b%2Bc.txt\n{src},kms-old\n"),
        "URL-encoded keys, no header, the SSE-C object left out"
    );

    // A dry run of another selection uploads nothing.
    let dry = with(&base, "--where sse-s3 --dry-run");
    let input: Value = serde_json::from_str(&ok(&sb, &peer, &dry)).unwrap();
    let location = &input["Manifest"]["Location"];
    let expected = format!("{src},a%20b%2Bc.txt\n");
    assert_eq!(location["ETag"], hex::encode(md5_of(expected.as_bytes())));
    let dry_key = location["ObjectArn"]
        .as_str()
        .unwrap()
        .split_once(&format!("{rep}/"))
        .unwrap()
        .1
        .to_owned();
    assert_ne!(dry_key, key);
    assert!(
        conn.s3()
            .head_object()
            .bucket(&rep)
            .key(&dry_key)
            .send()
            .await
            .is_err()
    );

    // To SSE-S3: only a copy can, and the SSE-S3 object is already there.
    let to_s3 = create_args(
        &source,
        &report,
        &format!(
            "--encryption sse-s3 --manifest-from-audit {audit} --account-id 111122223333 --dry-run"
        ),
    );
    let input: Value = serde_json::from_str(&ok(&sb, &peer, &to_s3)).unwrap();
    let copy = &input["Operation"]["S3PutObjectCopy"];
    assert_eq!(
        copy["NewObjectMetadata"]["SSEAlgorithm"], "AES256",
        "{input}"
    );
    assert_eq!(copy["TargetResource"], format!("arn:aws:s3:::{src}"));
    let plan: Value = serde_json::from_str(&ok(&sb, &peer, &with(&to_s3, "--json"))).unwrap();
    assert_eq!(plan["manifest"]["objects"], 1, "{plan}");
    assert_eq!(
        plan["manifest"]["left_out"]["already in the target encryption"], 1,
        "{plan}"
    );
    assert!(
        plan["costs"]["batch_total"].as_f64().unwrap() > 0.25,
        "{plan}"
    );
    assert_eq!(create_requests(&peer).len(), 1, "dry runs send nothing");
}

#[tokio::test(flavor = "multi_thread")]
async fn dry_run_json_passes_the_aws_cli_validation() {
    let Fixture {
        sb,
        src,
        rep,
        key_id,
        peer,
        ..
    } = fixture("bv").await;
    let file = sb.path("f.txt");
    std::fs::write(&file, b"v").unwrap();
    sb.ok(&[
        "put",
        file.to_str().unwrap(),
        &format!("s3://{src}/x"),
        "--encryption",
        "sse-s3",
    ]);
    let audit = sb.path("audit.json");
    std::fs::write(&audit, sb.ok(&["audit", &format!("s3://{src}/"), "--json"])).unwrap();
    let report = format!("s3://{rep}/batch");
    let source = format!("s3://{src}/p/");
    let audit = audit.to_str().unwrap();
    let whole = format!("s3://{src}");
    let variants = [
        (
            &source,
            format!(
                "--encryption sse-kms --kms-key {key_id} --where sse-s3 --bucket-key --larger-than 10 --created-after 2025-06-01"
            ),
        ),
        (
            &source,
            format!("--encryption sse-kms --kms-key {key_id} --where unencrypted"),
        ),
        (&source, "--encryption sse-s3".to_owned()),
        (
            &whole,
            format!("--encryption sse-kms --kms-key {key_id} --manifest-from-audit {audit}"),
        ),
    ];
    for (i, (uri, more)) in variants.iter().enumerate() {
        let args = create_args(
            uri,
            &report,
            &format!("{more} --account-id 111122223333 --dry-run"),
        );
        let input = ok(&sb, &peer, &args);
        let verdict = aws_cli_create_job(&sb, &input);
        assert!(
            !verdict.contains("Parameter validation failed"),
            "variant {i}: {verdict}\n{input}"
        );
        assert!(
            !verdict.contains("Unknown parameter"),
            "variant {i}: {verdict}"
        );
        assert!(
            verdict.contains("endpoint") || verdict.contains("connect"),
            "variant {i}: {verdict}"
        );
        if i == 0 {
            // The check can fail: the hyphenated wire name is not the model's member name.
            let wrong = input.replacen("\"SSEKMS\"", "\"SSE-KMS\"", 1);
            let verdict = aws_cli_create_job(&sb, &wrong);
            assert!(verdict.contains("Parameter validation failed"), "{verdict}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_manifest_from_an_inventory_report_takes_its_rows() {
    use s3seal::s3::inventory::ReportFormat;
    use s3seal::s3::inventory::write::sample_objects;

    let Fixture {
        sb,
        src,
        rep,
        key_id,
        peer,
        ..
    } = fixture("bi").await;
    let conn = sb.connection().await;
    // 50 rows, 10 in each of SSE-S3, SSE-KMS, NOT-SSE, DSSE-KMS and SSE-C.
    let inventory = crate::inventory::upload_report(
        &conn,
        &rep,
        &src,
        ReportFormat::Csv,
        vec![sample_objects(50).collect()],
    )
    .await;
    let report = format!("s3://{rep}/r");
    let source = format!("s3://{src}");
    let base = create_args(
        &source,
        &report,
        &format!(
            "--encryption sse-kms --kms-key {key_id} --manifest-from-inventory {inventory} --account-id 111122223333 --dry-run --json"
        ),
    );
    let plan: Value =
        serde_json::from_str(&ok(&sb, &peer, &with(&base, "--where sse-s3"))).unwrap();
    assert_eq!(plan["manifest"]["objects"], 10, "{plan}");
    assert!(
        plan["create_job_input"]["Operation"]["S3UpdateObjectEncryption"].is_object(),
        "{plan}"
    );
    assert!(
        plan["notes"]
            .to_string()
            .contains("inventory report of 2026-01-02T03:04:05Z"),
        "{plan}"
    );

    let all: Value = serde_json::from_str(&ok(&sb, &peer, &base)).unwrap();
    assert_eq!(all["manifest"]["objects"], 40, "every row but SSE-C: {all}");
    assert_eq!(
        all["manifest"]["left_out"]["SSE-C: S3 Batch Operations cannot send the key"], 10,
        "{all}"
    );
    assert!(
        all["create_job_input"]["Operation"]["S3PutObjectCopy"].is_object(),
        "{all}"
    );

    let mut wrong = base.clone();
    wrong[2] = "s3://another-bucket".to_owned();
    let err = fails(&sb, &peer, &wrong);
    assert!(err.contains("is an inventory of"), "{err}");
    assert!(create_requests(&peer).is_empty());
}
