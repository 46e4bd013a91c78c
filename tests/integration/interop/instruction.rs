//! Envelopes in instruction files: official ones open in s3seal, and s3seal's re-keys of them
//! (and of its own) open in the official client.

use super::*;

#[tokio::test(flavor = "multi_thread")]
async fn official_envelopes_in_instruction_files_open_in_s3seal() {
    let peer = Peer::new();
    let sb = Sandbox::new();
    let bucket = sb.bucket("interop-instr");
    let kms = kms_key(&sb).await;

    for (size_name, len, format) in [
        ("small", SMALL_LEN, "v3"),
        ("small", SMALL_LEN, "v2"),
        ("multipart", MULTIPART_LEN, "v3"),
    ] {
        let what = format!("instruction file {format} {size_name}");
        let src = sb.path(&format!("{size_name}-{format}.bin"));
        let data = random_file(&src, len, 800 + len as u64);
        let key = format!("{size_name}/instr-{format}");
        let uri = format!("s3://{bucket}/{key}");
        peer.ok(&[
            "put",
            "--bucket",
            &bucket,
            "--key",
            &key,
            "--file",
            src.to_str().unwrap(),
            "--kms-key",
            &kms,
            "--format",
            format,
            "--context",
            "team=instr",
        ]);
        // The Python client reads instruction files but has no way to write them: relocate its
        // envelope the way the specification lays it out (V3 keeps x-amz-c/-d/-i on the object).
        let moved = peer.ok(&[
            "move-envelope-to-instruction-file",
            "--bucket",
            &bucket,
            "--key",
            &key,
        ]);
        let head = peer.head(&bucket, &key);
        let md = head["metadata"].as_object().unwrap();
        assert!(
            !md.contains_key("x-amz-3") && !md.contains_key("x-amz-key-v2"),
            "{what}: {head}"
        );
        if format == "v3" {
            for k in ["x-amz-c", "x-amz-d", "x-amz-i"] {
                assert!(
                    md.contains_key(k),
                    "{what}: {k} must stay on the object: {head}"
                );
            }
        }

        // The official reader accepts the layout (so the fixture is a valid S3EC object)…
        let check = sb.path(&format!("{size_name}-{format}.official"));
        peer.get(
            &bucket,
            &key,
            &check,
            format,
            &["--kms-key", &kms, "--context", "team=instr"],
        );
        assert_same_file(&check, &data, &format!("{what} (official reader)"));

        // …and so does s3seal.
        let info = sb.info(&uri);
        assert_eq!(info["mode"], "client", "{what}: {info} (moved: {moved})");
        assert_eq!(info["client_format"], format, "{what}: {info}");
        assert_eq!(info["client_wrap"], "kms+context", "{what}: {info}");
        assert_eq!(
            info["client_envelope"], "instruction-file",
            "{what}: {info}"
        );
        assert_eq!(
            info["client_kms_context"]["team"], "instr",
            "{what}: {info}"
        );

        let dest = sb.path(&format!("{size_name}-{format}.s3seal"));
        let out = sb.ok(&[
            "get",
            &uri,
            dest.to_str().unwrap(),
            "--kms-key",
            &kms,
            "--context",
            "team=instr",
        ]);
        assert!(
            out.contains("decrypted with KMS, tag verified"),
            "{what}: {out}"
        );
        assert_same_file(&dest, &data, &what);
    }
}

/// `rekey` of an object whose envelope is in an instruction file rewrites that file; the official
/// client must still open the object with the new key. `origin` says who wrote the object.
async fn rekeyed_instruction_files_open_in_the_official_client(origin: &str) {
    let peer = Peer::new();
    let sb = Sandbox::new();
    let bucket = sb.bucket(&format!("interop-rekey-{origin}"));
    let old_kms = kms_key(&sb).await;
    let new_kms = kms_key(&sb).await;
    let src = sb.path("data.bin");
    let data = random_file(&src, SMALL_LEN, 900);

    for format in ["v3", "v2"] {
        let what = format!("{origin} {format}, envelope in an instruction file, rekeyed by s3seal");
        let key = format!("rekey-{format}");
        let uri = format!("s3://{bucket}/{key}");
        if origin == "official" {
            peer.ok(&[
                "put",
                "--bucket",
                &bucket,
                "--key",
                &key,
                "--file",
                src.to_str().unwrap(),
                "--kms-key",
                &old_kms,
                "--format",
                format,
                "--context",
                "team=rekey",
            ]);
        } else {
            sb.ok(&[
                "put",
                src.to_str().unwrap(),
                &uri,
                "--encryption",
                "client",
                "--kms-key",
                &old_kms,
                "--format",
                format,
                "--context",
                "team=rekey",
            ]);
        }
        peer.ok(&[
            "move-envelope-to-instruction-file",
            "--bucket",
            &bucket,
            "--key",
            &key,
        ]);

        // The official client's key was never used here: the source key is named.
        let out = sb.ok(&[
            "rekey",
            &uri,
            "--encryption",
            "client",
            "--kms-key",
            &new_kms,
            "--context",
            "team=rekey",
            "--source-kms-key",
            &old_kms,
        ]);
        assert!(out.contains("instruction file"), "{what}: {out}");
        let info = sb.info(&uri);
        assert_eq!(
            info["client_envelope"], "instruction-file",
            "{what}: {info}"
        );

        let dest = sb.path(&format!("{format}.official"));
        peer.get(
            &bucket,
            &key,
            &dest,
            format,
            &["--kms-key", &new_kms, "--context", "team=rekey"],
        );
        assert_same_file(&dest, &data, &what);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn s3seal_rekey_of_an_official_instruction_file_opens_in_the_official_client() {
    rekeyed_instruction_files_open_in_the_official_client("official").await;
}

/// s3seal's own objects carry `x-amz-unencrypted-content-length` in their metadata; once the
/// envelope lives in an instruction file, `rekey` must not copy that key into the file: the
/// official reader accepts only S3EC envelope keys there ("Instruction file contains invalid
/// keys").
#[tokio::test(flavor = "multi_thread")]
async fn s3seal_rekey_of_its_own_instruction_file_opens_in_the_official_client() {
    rekeyed_instruction_files_open_in_the_official_client("s3seal").await;
}
