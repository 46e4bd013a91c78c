//! Interoperability with the OFFICIAL Amazon S3 Encryption Client (PyPI
//! `amazon-s3-encryption-client-python`, pinned in tests/interop/requirements.txt), both ways,
//! against LocalStack (S3 + KMS over HTTPS):
//!   - s3seal writes (V2 / V3, `kms+context` and raw `AES/GCM`) → the official client reads;
//!   - the official client writes (V3 default, V2, its multipart path) → s3seal reads;
//!   - an official object whose envelope sits in an instruction file → s3seal reads.
//!
//! The peer is tests/interop/s3ec_peer.py, run with `S3SEAL_TEST_S3EC_PYTHON` (the venv that
//! `scripts/test-env.sh` builds as `.cache/s3ec-venv`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::support::{Sandbox, random_file};
use base64::Engine as _;
use serde_json::Value;

/// 1 KiB: one PutObject on both sides.
const SMALL_LEN: usize = 1024;
/// 17 MiB + 5 bytes: three parts for s3seal (8 MiB parts from 16 MiB up) and for the official
/// client (8 MiB parts from 8 MiB up).
const MULTIPART_LEN: usize = 17 * 1024 * 1024 + 5;
const SIZES: [(&str, usize); 3] = [
    ("empty", 0),
    ("small", SMALL_LEN),
    ("multipart", MULTIPART_LEN),
];
/// The raw AES master key imported into s3seal and handed to the peer's AES/GCM keyring.
const MASTER_HEX: &str = "4a1f0c9e3b7d25c8e06f19a2d4b8573c9e0f1a2b3c4d5e6f708192a3b4c5d6e7";

/// The official client, driven through the peer script.
struct Peer {
    python: PathBuf,
    script: PathBuf,
}

impl Peer {
    fn new() -> Self {
        let python = std::env::var_os("S3SEAL_TEST_S3EC_PYTHON").unwrap_or_else(|| {
            panic!(
                "S3SEAL_TEST_S3EC_PYTHON is not set: run the interop tests through \
                 `scripts/test-env.sh cargo test --test integration interop::`, which builds the official S3 \
                 Encryption Client's venv (.cache/s3ec-venv) and starts LocalStack over HTTPS"
            )
        });
        Self {
            python: PathBuf::from(python),
            script: Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/s3ec_peer.py"),
        }
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(&self.python)
            .arg(&self.script)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", self.python.display()))
    }

    /// Runs and requires success; returns the JSON it printed.
    fn ok(&self, args: &[&str]) -> Value {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "`s3ec_peer.py {}` failed:\nstdout: {}\nstderr: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "peer printed no JSON ({e}): {}",
                String::from_utf8_lossy(&out.stdout)
            )
        })
    }

    /// Runs and requires failure; returns its error line.
    fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            !out.status.success(),
            "expected `s3ec_peer.py {}` to fail, it printed:\n{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stdout)
        );
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(stderr.starts_with("s3ec_peer: error: "), "stderr: {stderr}");
        stderr
    }

    fn head(&self, bucket: &str, key: &str) -> Value {
        self.ok(&["head", "--bucket", bucket, "--key", key])
    }
}

async fn kms_key(sb: &Sandbox) -> String {
    let conn = sb.connection().await;
    let out = conn
        .kms()
        .create_key()
        .description("s3seal interop")
        .send()
        .await
        .unwrap();
    out.key_metadata().unwrap().key_id().to_owned()
}

fn meta<'a>(head: &'a Value, name: &str) -> &'a str {
    head["metadata"][name]
        .as_str()
        .unwrap_or_else(|| panic!("no x-amz-meta-{name} in {head}"))
}

fn json_meta(head: &Value, name: &str) -> Value {
    serde_json::from_str(meta(head, name))
        .unwrap_or_else(|e| panic!("{name} is not JSON ({e}): {head}"))
}

fn b64_len(head: &Value, name: &str) -> usize {
    base64::engine::general_purpose::STANDARD
        .decode(meta(head, name))
        .unwrap_or_else(|e| panic!("{name} is not standard base64 ({e}): {head}"))
        .len()
}

fn assert_same_file(path: &Path, expected: &[u8], what: &str) {
    let got = std::fs::read(path).unwrap();
    assert_eq!(
        got.len(),
        expected.len(),
        "{what}: plaintext length differs"
    );
    assert!(got == expected, "{what}: plaintext differs");
}

/// The ETag of a multipart object ends in `-<parts>`; a single PUT's has no dash.
fn assert_parts(head: &Value, len: usize, what: &str) {
    let etag = head["etag"].as_str().unwrap();
    if len == MULTIPART_LEN {
        assert!(
            etag.ends_with("-3"),
            "{what}: expected a 3-part upload, ETag {etag}"
        );
    } else {
        assert!(
            !etag.contains('-'),
            "{what}: expected a single PUT, ETag {etag}"
        );
    }
    assert_eq!(
        head["content_length"],
        len as u64 + 16,
        "{what}: ciphertext = plaintext + tag: {head}"
    );
}

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
        let mut get = vec![
            "get",
            "--bucket",
            &bucket,
            "--key",
            &key,
            "--out",
            check.to_str().unwrap(),
            "--kms-key",
            &kms,
            "--context",
            "team=instr",
        ];
        if format == "v2" {
            get.push("--allow-v2");
        }
        peer.ok(&get);
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
        let mut get = vec![
            "get",
            "--bucket",
            &bucket,
            "--key",
            &key,
            "--out",
            dest.to_str().unwrap(),
            "--kms-key",
            &new_kms,
            "--context",
            "team=rekey",
        ];
        if format == "v2" {
            get.push("--allow-v2");
        }
        peer.ok(&get);
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
