//! `kms+context` objects, both ways: s3seal's open in the official client and the other way.

use super::*;

#[tokio::test(flavor = "multi_thread")]
async fn s3seal_kms_objects_open_in_the_official_client() {
    let peer = Peer::new();
    let sb = Sandbox::new();
    let bucket = sb.bucket("interop-kms-out");
    let kms = kms_key(&sb).await;

    for (size_name, len) in SIZES {
        let src = sb.path(&format!("{size_name}.bin"));
        let data = random_file(&src, len, 500 + len as u64);
        for format in ["v3", "v2"] {
            let what = format!("s3seal kms {format} {size_name}");
            let key = format!("{size_name}/kms-{format}");
            let uri = format!("s3://{bucket}/{key}");
            let out = sb.ok(&[
                "put",
                src.to_str().unwrap(),
                &uri,
                "--encryption",
                "client",
                "--kms-key",
                &kms,
                "--format",
                format,
                "--context",
                "team=interop",
            ]);
            if len == MULTIPART_LEN {
                assert!(out.contains("3 parts"), "{what}: {out}");
            }

            // What s3seal wrote, as the official client's own metadata names.
            let head = peer.head(&bucket, &key);
            assert_parts(&head, len, &what);
            if format == "v3" {
                assert_eq!(meta(&head, "x-amz-c"), "115", "{what}: {head}");
                assert_eq!(meta(&head, "x-amz-w"), "12", "{what}: {head}");
                assert_eq!(b64_len(&head, "x-amz-d"), 28, "{what}: commitment");
                assert_eq!(b64_len(&head, "x-amz-i"), 28, "{what}: message id");
                let context = json_meta(&head, "x-amz-t");
                assert_eq!(context["team"], "interop", "{what}: {context}");
                assert_eq!(context["aws:x-amz-cek-alg"], "115", "{what}: {context}");
            } else {
                assert_eq!(
                    meta(&head, "x-amz-wrap-alg"),
                    "kms+context",
                    "{what}: {head}"
                );
                assert_eq!(
                    meta(&head, "x-amz-cek-alg"),
                    "AES/GCM/NoPadding",
                    "{what}: {head}"
                );
                assert_eq!(meta(&head, "x-amz-tag-len"), "128", "{what}: {head}");
                assert_eq!(b64_len(&head, "x-amz-iv"), 12, "{what}: iv");
                let context = json_meta(&head, "x-amz-matdesc");
                assert_eq!(context["team"], "interop", "{what}: {context}");
                assert_eq!(
                    context["aws:x-amz-cek-alg"], "AES/GCM/NoPadding",
                    "{what}: {context}"
                );
            }

            let dest = sb.path(&format!("{size_name}-{format}.official"));
            let mut get = vec![
                "get",
                "--bucket",
                &bucket,
                "--key",
                &key,
                "--out",
                dest.to_str().unwrap(),
                "--kms-key",
                &kms,
                "--context",
                "team=interop",
            ];
            if format == "v2" {
                get.push("--allow-v2");
            }
            let got = peer.ok(&get);
            assert_eq!(got["bytes"], len as u64, "{what}: {got}");
            assert_same_file(&dest, &data, &what);

            if len == SMALL_LEN {
                // The official reader really checks what s3seal stored: another context fails…
                let mut wrong = get.clone();
                let at = wrong.iter().position(|a| *a == "team=interop").unwrap();
                wrong[at] = "team=other";
                let err = peer.fails(&wrong);
                assert!(
                    err.contains("encryption context does not match"),
                    "{what}: {err}"
                );
                // …and with its default commitment policy it refuses V2 but reads V3.
                if format == "v2" {
                    get.pop();
                    let err = peer.fails(&get);
                    assert!(
                        err.contains("REQUIRE_ENCRYPT_REQUIRE_DECRYPT"),
                        "{what}: {err}"
                    );
                }
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn official_client_kms_objects_open_in_s3seal() {
    let peer = Peer::new();
    let sb = Sandbox::new();
    let bucket = sb.bucket("interop-kms-in");
    let kms = kms_key(&sb).await;

    for (size_name, len) in SIZES {
        let src = sb.path(&format!("{size_name}.bin"));
        let data = random_file(&src, len, 600 + len as u64);
        for format in ["v3", "v2"] {
            let what = format!("official kms {format} {size_name}");
            let key = format!("{size_name}/official-{format}");
            let uri = format!("s3://{bucket}/{key}");
            let put = peer.ok(&[
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
                "team=peer",
                "--context",
                "purpose=interop",
            ]);
            assert_parts(&put, len, &what);
            let envelope_key = if format == "v3" {
                "x-amz-3"
            } else {
                "x-amz-key-v2"
            };
            assert!(put["metadata"].get(envelope_key).is_some(), "{what}: {put}");

            let info = sb.info(&uri);
            assert_eq!(info["mode"], "client", "{what}: {info}");
            assert_eq!(info["client_format"], format, "{what}: {info}");
            assert_eq!(info["client_wrap"], "kms+context", "{what}: {info}");
            assert_eq!(info["client_envelope"], "metadata", "{what}: {info}");
            assert_eq!(info["size"], len as u64 + 16, "{what}: {info}");
            let context = &info["client_kms_context"];
            assert_eq!(context["team"], "peer", "{what}: {info}");
            assert_eq!(context["purpose"], "interop", "{what}: {info}");
            let cek_alg = if format == "v3" {
                "115"
            } else {
                "AES/GCM/NoPadding"
            };
            assert_eq!(context["aws:x-amz-cek-alg"], cek_alg, "{what}: {info}");

            let dest = sb.path(&format!("{size_name}-{format}.s3seal"));
            // A KMS key this user never used or named is not asked to decrypt.
            let err = sb.fails(&["get", &uri, dest.to_str().unwrap()]);
            assert!(err.contains("you have not said you trust"), "{what}: {err}");
            assert!(!dest.exists(), "{what}: nothing may be written");
            let out = sb.ok(&["get", &uri, dest.to_str().unwrap(), "--kms-key", &kms]);
            assert!(
                out.contains("decrypted with KMS, tag verified"),
                "{what}: {out}"
            );
            assert_same_file(&dest, &data, &what);
        }
    }
}
