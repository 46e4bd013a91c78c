//! Runs the S3 Encryption Client vectors in tests/vectors/ (made by tests/vectors/generate.py
//! with Python's `cryptography`, independently of s3seal) through the public crypto API.

// The helpers below are not `#[test]` functions, so clippy.toml's test allowances miss them.

use std::collections::BTreeMap;
use std::path::PathBuf;

use s3seal::crypto::envelope::{self, Envelope, FormatVersion, WrapAlgorithm};
use s3seal::crypto::{CryptoError, GcmDecryptor, GcmEncryptor, Key256, commitment, keywrap};
use serde_json::Value;

fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors")
}

fn load_vectors() -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(vectors_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            let v: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
            out.push((v["name"].as_str().unwrap().to_string(), v));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn hex_field(v: &Value, name: &str) -> Vec<u8> {
    hex::decode(v[name].as_str().unwrap_or_else(|| panic!("{name} missing"))).unwrap()
}

fn key(v: &Value, name: &str) -> Key256 {
    Key256::from_slice(&hex_field(v, name)).unwrap()
}

fn metadata(v: &Value) -> BTreeMap<String, String> {
    v["metadata"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, x)| (k.clone(), x.as_str().unwrap().to_string()))
        .collect()
}

/// The steps a download performs: find the envelope, get the data key, decrypt the body.
fn open(v: &Value) -> Result<(Envelope, Key256, Vec<u8>), CryptoError> {
    let meta = metadata(v);
    let env = match v["instruction_file"].as_str() {
        Some(file) => Envelope::parse_instruction_file(file.as_bytes(), &meta)?,
        None => Envelope::parse(&meta)?.expect("the vector's metadata holds an envelope"),
    };
    let data_key = match env.wrap_algorithm() {
        WrapAlgorithm::AesGcm => keywrap::open_raw_aes(&env, &key(v, "master_key_hex"))?,
        WrapAlgorithm::KmsContext => {
            let (blob, ctx) = keywrap::kms_decrypt_request(&env)?;
            assert_eq!(blob, hex_field(v, "kms_ciphertext_blob_hex"));
            assert!(ctx.contains_key(envelope::CONTEXT_CEK_ALG_KEY));
            // What KMS Decrypt would return for that blob and context:
            keywrap::open_kms(&env, &hex_field(v, "data_key_hex"))?
        }
    };
    let plaintext = s3seal::crypto::decrypt_body(&env, &data_key, &hex_field(v, "body_hex"))?;
    Ok((env, data_key, plaintext))
}

#[test]
fn success_vectors_decrypt_and_reencrypt_identically() {
    let mut count = 0;
    for (name, v) in load_vectors().iter().filter(|(_, v)| v["expect"] == "ok") {
        count += 1;
        let (env, data_key, plaintext) =
            open(v).unwrap_or_else(|e| panic!("{name}: unexpected error: {e}"));
        let expected_pt = hex_field(v, "plaintext_hex");
        assert_eq!(plaintext, expected_pt, "{name}: plaintext");
        assert!(data_key == key(v, "data_key_hex"), "{name}: data key");

        // Our encryption of the same envelope and data key gives the same body.
        let body = hex_field(v, "body_hex");
        let again = s3seal::crypto::encrypt_body(&env, &data_key, &expected_pt).unwrap();
        assert_eq!(again, body, "{name}: re-encryption");

        // Our raw-AES wrap with the vector's nonce gives the same EDK.
        if env.wrap_algorithm() == WrapAlgorithm::AesGcm {
            let edk = env.encrypted_key();
            let nonce: [u8; 12] = edk[..12].try_into().unwrap();
            let master = key(v, "master_key_hex");
            let wrapped =
                keywrap::wrap_data_key_with_nonce(&master, &data_key, &nonce, env.version())
                    .unwrap();
            assert_eq!(&wrapped[..], edk, "{name}: wrap");
        }
        if let Envelope::V3(e) = &env {
            let c = commitment::derive_commitment(&data_key, &e.message_id).unwrap();
            assert_eq!(c, e.commitment, "{name}: commitment");
            if let Some(dek) = v["dek_hex"].as_str() {
                let keys = commitment::derive(&data_key, &e.message_id).unwrap();
                assert_eq!(hex::encode(keys.dek.expose()), dek, "{name}: DEK");
            }
        }

        // Streaming decryption in uneven pieces agrees with the one-shot path.
        let (ct, tag) = body.split_at(body.len() - 16);
        let mut buf = ct.to_vec();
        let mut dec: GcmDecryptor = env.decryptor(&data_key).unwrap();
        for piece in buf.chunks_mut(37) {
            dec.decrypt_in_place(piece).unwrap();
        }
        dec.verify(tag.try_into().unwrap()).unwrap();
        assert_eq!(buf, expected_pt, "{name}: streaming");

        // The envelope survives our metadata and instruction-file writers.
        let meta = env.to_metadata();
        assert!(
            meta.values().all(|x| x.is_ascii()),
            "{name}: ASCII metadata"
        );
        assert_eq!(
            Envelope::parse(&meta).unwrap().as_ref(),
            Some(&env),
            "{name}"
        );
        let (file, object_meta) = env.to_instruction_file();
        assert_eq!(
            Envelope::parse_instruction_file(file.as_bytes(), &object_meta).unwrap(),
            env,
            "{name}: instruction file"
        );
        // The official readers refuse any non-envelope name in an instruction file.
        let file_names: serde_json::Map<String, Value> = serde_json::from_str(&file).unwrap();
        assert!(
            !file_names.contains_key("x-amz-unencrypted-content-length"),
            "{name}: the plaintext length must stay on the object"
        );
        if env.version() == FormatVersion::V3 {
            assert!(Envelope::instruction_file_hint(&object_meta), "{name}");
            assert_eq!(Envelope::parse(&object_meta).unwrap(), None, "{name}");
        }
    }
    assert!(count >= 8, "only {count} success vectors");
}

#[test]
fn fail_vectors_are_rejected_with_the_expected_error() {
    let mut count = 0;
    for (name, v) in load_vectors()
        .iter()
        .filter(|(n, _)| n.starts_with("fail_"))
    {
        count += 1;
        let kind = v["expect"]["error"].as_str().unwrap();
        let needle = v["expect"]["message_contains"].as_str().unwrap();
        match open(v) {
            Ok(_) => panic!("{name}: was accepted"),
            Err(e) => {
                let debug = format!("{e:?}");
                assert!(
                    debug.starts_with(kind),
                    "{name}: expected {kind}, got {debug}"
                );
                let msg = e.to_string();
                assert!(
                    msg.contains(needle),
                    "{name}: message '{msg}' lacks '{needle}'"
                );
            }
        }
    }
    assert!(count >= 20, "only {count} failure vectors");
}

#[test]
fn required_vectors_exist() {
    let names: Vec<String> = load_vectors().into_iter().map(|(n, _)| n).collect();
    for required in [
        "v2_raw_aes",
        "v3_raw_aes",
        "v2_kms_context",
        "v3_kms_context",
        "fail_v2_flipped_ciphertext_bit",
        "fail_v2_flipped_tag",
        "fail_v2_wrong_master_key",
        "fail_v3_tampered_commitment",
        "fail_v2_tampered_edk",
        "fail_mixed_v2_v3_keys",
        "fail_v2_tag_length_96",
        "fail_v2_truncated_body",
    ] {
        assert!(
            names.iter().any(|n| n == required),
            "missing vector {required}"
        );
    }
}

#[test]
fn nist_gcm_vectors() {
    let path = vectors_dir().join("nist/gcm_aes256_iv96.json");
    let file: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let cases = file["cases"].as_array().unwrap();
    assert!(cases.len() >= 4);
    for case in cases {
        let k = key(case, "key_hex");
        let iv: [u8; 12] = hex_field(case, "iv_hex").try_into().unwrap();
        let aad = hex_field(case, "aad_hex");
        let pt = hex_field(case, "plaintext_hex");
        let ct = hex_field(case, "ciphertext_hex");
        let tag: [u8; 16] = hex_field(case, "tag_hex").try_into().unwrap();
        for piece in [1usize, 5, 16, 17, 64] {
            let mut buf = pt.clone();
            let mut enc = GcmEncryptor::new(&k, &iv, &aad);
            for p in buf.chunks_mut(piece) {
                enc.encrypt_in_place(p).unwrap();
            }
            assert_eq!(buf, ct);
            assert_eq!(enc.finalize(), tag);
            let mut dec = GcmDecryptor::new(&k, &iv, &aad);
            for p in buf.chunks_mut(piece) {
                dec.decrypt_in_place(p).unwrap();
            }
            assert_eq!(buf, pt);
            dec.verify(&tag).unwrap();
        }
    }
}

#[test]
fn raw_aes_round_trip_through_public_api() {
    let master = Key256::generate().unwrap();
    let plaintext: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
    for version in [FormatVersion::V2, FormatVersion::V3] {
        let matdesc =
            BTreeMap::from([(envelope::MATDESC_KEY_ID.to_string(), "team-key".to_string())]);
        let (env, dk) = keywrap::new_raw_aes_envelope(&master, version, matdesc).unwrap();
        let body = s3seal::crypto::encrypt_body(&env, &dk, &plaintext).unwrap();
        assert_eq!(body.len(), plaintext.len() + 16);
        let read = Envelope::parse(&env.to_metadata()).unwrap().unwrap();
        assert_eq!(read.s3seal_key_id(), Some("team-key"));
        let opened = keywrap::open_raw_aes(&read, &master).unwrap();
        assert_eq!(
            s3seal::crypto::decrypt_body(&read, &opened, &body).unwrap(),
            plaintext
        );
    }
}

#[test]
fn metadata_text_is_ascii_and_rfc2047_is_decoded() {
    let master = Key256::generate().unwrap();
    let matdesc = BTreeMap::from([
        (
            envelope::MATDESC_KEY_ID.to_string(),
            "clé \"🔑\"\\\n\t".to_string(),
        ),
        ("ünïcode".to_string(), String::new()),
    ]);
    for version in [FormatVersion::V2, FormatVersion::V3] {
        let (env, _) = keywrap::new_raw_aes_envelope(&master, version, matdesc.clone()).unwrap();
        let meta = env.to_metadata();
        assert!(meta.values().all(|v| v.is_ascii()));
        assert_eq!(Envelope::parse(&meta).unwrap(), Some(env.clone()));
        assert_eq!(env.material_description(), &matdesc);

        // S3 returns non-ASCII metadata as RFC 2047 words; both encodings are understood.
        let field = if version == FormatVersion::V2 {
            "x-amz-matdesc"
        } else {
            "x-amz-m"
        };
        let mut q = meta.clone();
        q.insert(
            field.into(),
            "=?UTF-8?Q?{\"s3seal-key-id\":\"cl=C3=A9_1\"}?=".into(),
        );
        let read = Envelope::parse(&q).unwrap().unwrap();
        assert_eq!(read.s3seal_key_id(), Some("clé 1"));
    }
    let plain = BTreeMap::from([("content-type".to_string(), "text/plain".to_string())]);
    assert_eq!(Envelope::parse(&plain).unwrap(), None);
    assert!(!Envelope::instruction_file_hint(&plain));
    let marker = BTreeMap::from([("x-amz-crypto-instr-file".to_string(), String::new())]);
    assert!(Envelope::instruction_file_hint(&marker));
}
