//! The command line on a server without a Secret Service: what needs no local key works (and
//! says "local keys unavailable" where a key would have helped); what needs a key fails with how
//! to start one.

use crate::support::{Sandbox, random_file, run};

/// `s3seal` against the test server with no D-Bus session, so no Secret Service.
fn without_keyring(sb: &Sandbox, args: &[&str]) -> (bool, String, String) {
    let mut cmd = sb.cmd();
    cmd.env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/s3seal-test-bus",
        )
        .args(args);
    run(cmd)
}

#[tokio::test(flavor = "multi_thread")]
async fn commands_that_need_no_key_work_without_a_secret_service() {
    let sb = Sandbox::new();
    sb.ok(&["keys", "new", "k"]);
    let bucket = sb.bucket("nokeyring");
    let src = sb.path("a.bin");
    random_file(&src, 2000, 401);
    let ssec = format!("s3://{bucket}/ssec.bin");
    sb.ok(&[
        "put",
        src.to_str().unwrap(),
        &ssec,
        "--encryption",
        "sse-c",
        "--key",
        "k",
    ]);
    let kms = sb.kms_key().await;

    let plain = format!("s3://{bucket}/kms.bin");
    let (ok, out, err) = without_keyring(
        &sb,
        &[
            "put",
            src.to_str().unwrap(),
            &plain,
            "--encryption",
            "sse-kms",
            "--kms-key",
            &kms,
        ],
    );
    assert!(ok, "{out}{err}");
    let (ok, out, err) = without_keyring(&sb, &["ls", &format!("s3://{bucket}/")]);
    assert!(ok, "{err}");
    assert!(out.contains("sse-c (local keys unavailable)"), "{out}");
    assert!(out.contains("sse-kms"), "{out}");
    let (ok, out, err) = without_keyring(&sb, &["audit", &format!("s3://{bucket}/"), "--json"]);
    assert!(ok, "{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["total"], 2, "{report}");
    let (ok, _, err) = without_keyring(&sb, &["bucket", "show", &format!("s3://{bucket}")]);
    assert!(ok, "{err}");

    // A command that needs a key says how to get a Secret Service.
    let dest = sb.path("out.bin");
    let (ok, _, err) = without_keyring(&sb, &["get", &ssec, dest.to_str().unwrap()]);
    assert!(!ok);
    assert!(err.contains("local key store is unavailable"), "{err}");
    assert!(err.contains("Secret Service"), "{err}");
    assert!(!dest.exists());
    let (ok, _, err) = without_keyring(&sb, &["keys", "list"]);
    assert!(!ok);
    assert!(err.contains("gnome-keyring"), "{err}");
}
