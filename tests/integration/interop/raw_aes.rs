//! Raw `AES/GCM` master keys: s3seal's objects open in the official client's pipeline.

use super::*;

#[tokio::test(flavor = "multi_thread")]
async fn s3seal_raw_aes_objects_open_in_the_official_pipeline() {
    let peer = Peer::new();
    let sb = Sandbox::new();
    let bucket = sb.bucket("interop-aes");
    sb.ok(&[
        "keys", "import", "master", "--kind", "client", "--hex", MASTER_HEX,
    ]);
    let exported = sb.ok(&["keys", "export", "master", "--stdout", "--format", "hex"]);
    assert_eq!(
        exported.trim(),
        MASTER_HEX,
        "the imported key is the one the peer gets"
    );

    for (size_name, len) in SIZES {
        let src = sb.path(&format!("{size_name}.bin"));
        let data = random_file(&src, len, 700 + len as u64);
        for format in ["v3", "v2"] {
            let what = format!("s3seal AES/GCM {format} {size_name}");
            let key = format!("{size_name}/aes-{format}");
            let uri = format!("s3://{bucket}/{key}");
            let out = sb.ok(&[
                "put",
                src.to_str().unwrap(),
                &uri,
                "--encryption",
                "client",
                "--key",
                "master",
                "--format",
                format,
            ]);
            if len == MULTIPART_LEN {
                assert!(out.contains("3 parts"), "{what}: {out}");
            }

            let head = peer.head(&bucket, &key);
            assert_parts(&head, len, &what);
            let expected_aad = if format == "v3" {
                assert_eq!(meta(&head, "x-amz-c"), "115", "{what}: {head}");
                assert_eq!(meta(&head, "x-amz-w"), "02", "{what}: {head}");
                assert_eq!(
                    b64_len(&head, "x-amz-3"),
                    60,
                    "{what}: EDK = nonce + key + tag"
                );
                assert!(json_meta(&head, "x-amz-m").is_object(), "{what}: {head}");
                "115"
            } else {
                assert_eq!(meta(&head, "x-amz-wrap-alg"), "AES/GCM", "{what}: {head}");
                assert_eq!(
                    meta(&head, "x-amz-cek-alg"),
                    "AES/GCM/NoPadding",
                    "{what}: {head}"
                );
                assert_eq!(
                    b64_len(&head, "x-amz-key-v2"),
                    60,
                    "{what}: EDK = nonce + key + tag"
                );
                assert!(
                    json_meta(&head, "x-amz-matdesc").is_object(),
                    "{what}: {head}"
                );
                "AES/GCM/NoPadding"
            };

            let dest = sb.path(&format!("{size_name}-{format}.official"));
            let mut get = vec![
                "get",
                "--bucket",
                &bucket,
                "--key",
                &key,
                "--out",
                dest.to_str().unwrap(),
                "--aes-key-hex",
                MASTER_HEX,
            ];
            if format == "v2" {
                get.push("--allow-v2");
            }
            let got = peer.ok(&get);
            assert_eq!(got["aad"], expected_aad, "{what}: {got}");
            assert_eq!(got["bytes"], len as u64, "{what}: {got}");
            assert_same_file(&dest, &data, &what);

            if len == SMALL_LEN {
                // The wrap AAD is bound: the other format's AAD does not unwrap the data key.
                let other = if format == "v3" {
                    "AES/GCM/NoPadding"
                } else {
                    "115"
                };
                let mut wrong = get.clone();
                wrong.extend(["--wrap-aad", other]);
                let err = peer.fails(&wrong);
                assert!(err.contains("InvalidTag"), "{what}: {err}");
            }
        }
    }
}
