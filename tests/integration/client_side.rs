//! Client-side encryption end to end against LocalStack (S3 + KMS): V2 and V3, raw AES keys
//! from the OS keyring and KMS, small and multipart, envelope rotation, and tampering.

use crate::support::{Sandbox, move_envelope_to_instruction_file, random_file, temp_leftovers};

/// 17 MiB + 5 bytes: three parts with the default 8 MiB parts.
const MULTIPART_LEN: usize = 17 * 1024 * 1024 + 5;

#[tokio::test(flavor = "multi_thread")]
async fn client_side_round_trips_every_format_and_wrap() {
    let sb = Sandbox::new();
    let bucket = sb.bucket("client");
    let kms = sb.kms_key().await;
    sb.ok(&["keys", "new", "master", "--kind", "client"]);

    for (size_name, len) in [("small", 1000usize), ("multipart", MULTIPART_LEN)] {
        let src = sb.path(&format!("{size_name}.bin"));
        let data = random_file(&src, len, 40 + len as u64);
        for (case, args, format, wrap) in [
            ("raw-v3", vec!["--key", "master"], "v3", "AES/GCM"),
            (
                "raw-v2",
                vec!["--key", "master", "--format", "v2"],
                "v2",
                "AES/GCM",
            ),
            (
                "kms-v3",
                vec!["--kms-key", &kms, "--context", "team=a"],
                "v3",
                "kms+context",
            ),
            (
                "kms-v2",
                vec!["--kms-key", &kms, "--format", "v2"],
                "v2",
                "kms+context",
            ),
        ] {
            let uri = format!("s3://{bucket}/{size_name}/{case}");
            let mut put = vec!["put", src.to_str().unwrap(), &uri, "--encryption", "client"];
            put.extend(args.iter().copied());
            let out = sb.ok(&put);
            if len == MULTIPART_LEN {
                assert!(out.contains("3 parts"), "{case}: {out}");
            }

            let info = sb.info(&uri);
            assert_eq!(info["mode"], "client", "{case}: {info}");
            assert_eq!(info["client_format"], format, "{case}: {info}");
            assert_eq!(info["client_wrap"], wrap, "{case}: {info}");
            assert_eq!(
                info["size"],
                len as u64 + 16,
                "ciphertext = plaintext + tag: {info}"
            );
            if wrap == "AES/GCM" {
                assert_eq!(info["matching_key"], "master", "{case}: {info}");
            } else {
                assert_eq!(
                    info["client_kms_context"]["aws:x-amz-cek-alg"],
                    if format == "v3" {
                        "115"
                    } else {
                        "AES/GCM/NoPadding"
                    }
                );
            }
            if case == "kms-v3" {
                assert_eq!(info["client_kms_context"]["team"], "a", "{info}");
            }

            let dest = sb.path(&format!("{size_name}-{case}.out"));
            let out = sb.ok(&["get", &uri, dest.to_str().unwrap()]);
            assert!(out.contains("tag verified"), "{out}");
            assert!(
                std::fs::read(&dest).unwrap() == data,
                "{case} {size_name}: plaintext differs"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn tampered_or_unopenable_objects_release_nothing() {
    let sb = Sandbox::new();
    let bucket = sb.bucket("tamper");
    sb.ok(&["keys", "new", "master", "--kind", "client"]);
    let src = sb.path("a.bin");
    random_file(&src, 5000, 50);
    let uri = format!("s3://{bucket}/a.bin");
    sb.put_client(&src, &uri, "master", &[]);

    // Flip one ciphertext bit, keeping the envelope.
    let conn = sb.connection().await;
    let got = conn
        .s3()
        .get_object()
        .bucket(&bucket)
        .key("a.bin")
        .send()
        .await
        .unwrap();
    let metadata = got.metadata().cloned().unwrap();
    let mut body = got.body.collect().await.unwrap().into_bytes().to_vec();
    body[100] ^= 0x01;
    conn.s3()
        .put_object()
        .bucket(&bucket)
        .key("tampered.bin")
        .set_metadata(Some(metadata))
        .body(body.into())
        .send()
        .await
        .unwrap();

    let out_dir = sb.path("out");
    std::fs::create_dir(&out_dir).unwrap();
    let dest = out_dir.join("x.bin");
    let err = sb.fails(&[
        "get",
        &format!("s3://{bucket}/tampered.bin"),
        dest.to_str().unwrap(),
    ]);
    assert!(err.contains("authentication failed"), "{err}");
    assert!(
        !dest.exists(),
        "no unauthenticated plaintext may be released"
    );
    assert!(temp_leftovers(&out_dir).is_empty());

    // Someone without the master key.
    let stranger = Sandbox::new();
    let err = stranger.fails(&["get", &uri, dest.to_str().unwrap()]);
    assert!(err.contains("none of your local keys opens"), "{err}");
    assert!(!dest.exists());

    // A client key is not an SSE-C key and the other way round.
    sb.ok(&["keys", "new", "ssec"]);
    let err = sb.fails(&[
        "put",
        src.to_str().unwrap(),
        &uri,
        "--encryption",
        "client",
        "--key",
        "ssec",
    ]);
    assert!(err.contains("not a client key"), "{err}");
    let err = sb.fails(&["put", src.to_str().unwrap(), &uri, "--encryption", "client"]);
    assert!(err.contains("exactly one master key"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn rekey_rewraps_only_the_envelope() {
    let sb = Sandbox::new();
    let bucket = sb.bucket("rewrap");
    let kms = sb.kms_key().await;
    sb.ok(&["keys", "new", "old", "--kind", "client"]);
    sb.ok(&["keys", "new", "new", "--kind", "client"]);
    let src = sb.path("a.txt");
    let data = random_file(&src, MULTIPART_LEN, 60);
    let uri = format!("s3://{bucket}/a.txt");
    sb.put_client(&src, &uri, "old", &[]);
    let before = sb.info(&uri);

    sb.ok(&["rekey", &uri, "--encryption", "client", "--key", "new"]);
    let after = sb.info(&uri);
    assert_eq!(after["matching_key"], "new", "{after}");
    assert_eq!(after["content_type"], before["content_type"]);
    assert_eq!(after["size"], before["size"]);
    // Same message id and commitment: the ciphertext was not re-encrypted.
    assert_eq!(after["metadata"]["x-amz-i"], before["metadata"]["x-amz-i"]);
    assert_eq!(after["metadata"]["x-amz-d"], before["metadata"]["x-amz-d"]);
    assert_ne!(after["metadata"]["x-amz-3"], before["metadata"]["x-amz-3"]);

    // The old key is no longer needed.
    sb.ok(&["keys", "rm", "old"]);
    let dest = sb.path("back.txt");
    sb.ok(&["get", &uri, dest.to_str().unwrap()]);
    assert!(std::fs::read(&dest).unwrap() == data);

    // Raw key → KMS.
    sb.ok(&["rekey", &uri, "--encryption", "client", "--kms-key", &kms]);
    let info = sb.info(&uri);
    assert_eq!(info["client_wrap"], "kms+context", "{info}");
    sb.ok(&["keys", "rm", "new"]);
    std::fs::remove_file(&dest).unwrap();
    sb.ok(&["get", &uri, dest.to_str().unwrap()]);
    assert!(std::fs::read(&dest).unwrap() == data);

    // Not client-side: a clear refusal.
    sb.ok(&[
        "put",
        src.to_str().unwrap(),
        &format!("s3://{bucket}/plain"),
        "--encryption",
        "sse-s3",
    ]);
    sb.ok(&["keys", "new", "k3", "--kind", "client"]);
    let err = sb.fails(&[
        "rekey",
        &format!("s3://{bucket}/plain"),
        "--encryption",
        "client",
        "--key",
        "k3",
    ]);
    assert!(err.contains("is not client-side encrypted"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn envelope_in_an_instruction_file_is_read() {
    let sb = Sandbox::new();
    let bucket = sb.bucket("instr");
    sb.ok(&["keys", "new", "m", "--kind", "client"]);
    let src = sb.path("a.bin");
    let data = random_file(&src, 3000, 70);
    let uri = format!("s3://{bucket}/a.bin");
    sb.put_client(&src, &uri, "m", &["--format", "v2"]);

    // Move the V2 envelope out of the metadata into `a.bin.instruction`.
    let conn = sb.connection().await;
    move_envelope_to_instruction_file(&conn, &bucket, "a.bin").await;

    let info = sb.info(&uri);
    assert_eq!(info["mode"], "client", "{info}");
    assert_eq!(info["client_envelope"], "instruction-file", "{info}");
    let dest = sb.path("a.out");
    sb.ok(&["get", &uri, dest.to_str().unwrap()]);
    assert!(std::fs::read(&dest).unwrap() == data);

    // Rotation rewrites the instruction file and leaves the object alone.
    sb.ok(&["keys", "new", "m2", "--kind", "client"]);
    let etag = info["etag"].clone();
    sb.ok(&["rekey", &uri, "--encryption", "client", "--key", "m2"]);
    let info = sb.info(&uri);
    assert_eq!(
        info["etag"], etag,
        "the object itself must not be rewritten"
    );
    assert_eq!(info["matching_key"], "m2", "{info}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_named_client_key_is_the_only_key_tried() {
    let sb = Sandbox::new();
    let bucket = sb.bucket("named");
    sb.ok(&["keys", "new", "cm", "--kind", "client"]);
    sb.ok(&["keys", "new", "other", "--kind", "client"]);
    let src = sb.path("a.bin");
    let data = random_file(&src, 4000, 80);
    let uri = format!("s3://{bucket}/a.bin");
    sb.put_client(&src, &uri, "cm", &[]);

    // Naming a key that does not open it: refused, the key that would is named, nothing
    // written — not a quiet download with `cm`.
    let out_dir = sb.path("out");
    std::fs::create_dir(&out_dir).unwrap();
    let dest = out_dir.join("a.out");
    let err = sb.fails(&["get", &uri, dest.to_str().unwrap(), "--key", "other"]);
    assert!(
        err.contains("the key 'other' you named does not open it"),
        "{err}"
    );
    assert!(err.contains("your local key 'cm' does"), "{err}");
    assert!(err.contains("--key cm"), "{err}");
    assert!(!dest.exists(), "nothing may be written at the destination");
    assert!(temp_leftovers(&out_dir).is_empty());

    // Re-wrapping with a named source key that does not open it is refused the same way.
    let err = sb.fails(&[
        "rekey",
        &uri,
        "--encryption",
        "client",
        "--key",
        "other",
        "--source-key",
        "other",
    ]);
    assert!(err.contains("your local key 'cm' does"), "{err}");
    assert_eq!(sb.info(&uri)["matching_key"], "cm");

    // Naming the right key works, and says so.
    let out = sb.ok(&["get", &uri, dest.to_str().unwrap(), "--key", "cm"]);
    assert!(out.contains("local key 'cm'"), "{out}");
    assert!(std::fs::read(&dest).unwrap() == data);
}
