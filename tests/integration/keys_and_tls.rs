//! Keys through the real Secret Service, the CA bundle rules, and a trace-level log of an SSE-C
//! round trip that must not contain the key.

use std::os::unix::fs::PermissionsExt as _;

use crate::support::{Sandbox, random_file};
use base64::Engine as _;

#[test]
fn key_lifecycle_through_the_os_keyring() {
    let sb = Sandbox::new();
    let created = sb.ok(&["keys", "new", "alpha"]);
    assert!(created.contains("created key 'alpha'"), "{created}");

    // Export raw to a new private file, import it back under another name: same fingerprint.
    let exported = sb.path("alpha.key");
    sb.ok(&[
        "keys",
        "export",
        "alpha",
        "--file",
        exported.to_str().unwrap(),
    ]);
    let meta = std::fs::metadata(&exported).unwrap();
    assert_eq!(meta.len(), 32);
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    let err = sb.fails(&[
        "keys",
        "export",
        "alpha",
        "--file",
        exported.to_str().unwrap(),
    ]);
    assert!(err.contains("already exists"), "{err}");
    let err = sb.fails(&["keys", "export", "alpha"]);
    assert!(err.contains("--stdout"), "{err}");

    let err = sb.fails(&[
        "keys",
        "import",
        "beta",
        "--file",
        exported.to_str().unwrap(),
    ]);
    assert!(
        err.contains("alpha"),
        "importing the same key twice names the holder: {err}"
    );

    let hex_key = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    sb.ok(&["keys", "import", "gamma", "--hex", hex_key]);
    let b64 = sb.ok(&["keys", "export", "gamma", "--stdout"]);
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .unwrap();
    assert_eq!(hex::encode(decoded), hex_key);

    sb.ok(&["keys", "rename", "gamma", "delta"]);
    let list: serde_json::Value =
        serde_json::from_str(&sb.ok(&["keys", "list", "--json"])).unwrap();
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["alpha", "delta"]);
    let delta = &list[1];
    assert_eq!(delta["kind"], "sse-c");
    assert_eq!(delta["sha256"].as_str().unwrap().len(), 64);
    // The catalog holds no key bytes.
    let catalog = std::fs::read_to_string(sb.config_dir().join("keys.json")).unwrap();
    assert!(!catalog.contains(hex_key));
    assert!(!catalog.contains(b64.trim()));

    sb.ok(&["keys", "rm", "delta"]);
    let err = sb.fails(&["keys", "export", "delta", "--stdout"]);
    assert!(err.contains("no key named 'delta'"), "{err}");
}

#[test]
fn ca_bundle_flag_wins_over_environment() {
    let sb = Sandbox::new();
    // The system bundle does not trust the test CA.
    let out = sb
        .bare_cmd()
        .env("AWS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
        .args(["--endpoint-url", &sb.env.endpoint, "ls"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot reach the endpoint"), "{err}");
    assert!(err.contains("--ca-bundle"), "{err}");

    let out = sb
        .bare_cmd()
        .env("AWS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
        .args(["--endpoint-url", &sb.env.endpoint, "--ca-bundle"])
        .arg(&sb.env.ca)
        .arg("ls")
        .output()
        .unwrap();
    crate::support::assert_success(&out, &["ls with --ca-bundle"]);

    // AWS_CA_BUNDLE alone is honoured, like the aws CLI.
    let out = sb
        .bare_cmd()
        .env("AWS_CA_BUNDLE", &sb.env.ca)
        .args(["--endpoint-url", &sb.env.endpoint, "ls"])
        .output()
        .unwrap();
    crate::support::assert_success(&out, &["ls with AWS_CA_BUNDLE"]);

    // AWS_ENDPOINT_URL works like the aws CLI's.
    let out = sb
        .bare_cmd()
        .env("AWS_CA_BUNDLE", &sb.env.ca)
        .env("AWS_ENDPOINT_URL", &sb.env.endpoint)
        .arg("ls")
        .output()
        .unwrap();
    crate::support::assert_success(&out, &["ls with AWS_ENDPOINT_URL"]);
}

#[test]
fn trace_log_of_sse_c_round_trip_holds_no_key_material() {
    let sb = Sandbox::new();
    let key_hex = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90";
    let key_bytes = hex::decode(key_hex).unwrap();
    let key_b64 = base64::engine::general_purpose::STANDARD.encode(&key_bytes);
    sb.ok(&["keys", "import", "traced", "--hex", key_hex]);
    let bucket = sb.bucket("trace");
    let src = sb.path("a.bin");
    random_file(&src, 17 * 1024 * 1024, 12);
    let uri = format!("s3://{bucket}/a.bin");
    let dest = sb.path("b.bin");

    let mut log = Vec::new();
    for args in [
        vec![
            "put",
            src.to_str().unwrap(),
            &uri,
            "--encryption",
            "sse-c",
            "--key",
            "traced",
        ],
        vec!["info", &uri],
        vec!["get", &uri, dest.to_str().unwrap()],
        vec!["rekey", &uri, "--encryption", "sse-c", "--key", "traced"],
    ] {
        let out = sb
            .cmd()
            .env("S3SEAL_LOG", "trace")
            .args(&args)
            .output()
            .unwrap();
        log.extend_from_slice(&out.stdout);
        log.extend_from_slice(&out.stderr);
    }
    let text = String::from_utf8_lossy(&log);
    assert!(
        text.len() > 10_000,
        "trace logging did not run: {} bytes",
        text.len()
    );
    assert!(text.contains("TRACE"), "no trace lines captured");
    assert!(
        std::fs::read(&dest).is_ok(),
        "the round trip itself must have worked"
    );
    for needle in [key_hex.to_owned(), key_hex.to_uppercase(), key_b64.clone()] {
        assert!(!text.contains(&needle), "key material found in the log");
    }
    // Also the URL-encoded base64 form.
    let url_b64 = key_b64
        .replace('+', "%2B")
        .replace('/', "%2F")
        .replace('=', "%3D");
    assert!(!text.contains(&url_b64), "URL-encoded key found in the log");
}
