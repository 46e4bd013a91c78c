//! KMS keys by alias on the command line, against LocalStack's KMS: `ls`, `info` and `audit`
//! tables name a customer-managed key by its alias; `--json` keeps the ARN S3 reports and adds
//! the alias beside it; a key without an alias stays shown by its id; a re-encryption plan
//! names its changes the same way.

use serde_json::Value;

use crate::support::Sandbox;

#[tokio::test(flavor = "multi_thread")]
async fn tables_name_kms_keys_by_alias_and_json_adds_the_alias_to_the_arn() {
    let sb = Sandbox::new();
    let b = sb.bucket("aliases");
    let (key, alias) = sb.kms_key_with_alias("finance-ledger").await;
    let bare = sb.kms_key().await;
    let file = sb.path("f.txt");
    std::fs::write(&file, b"ledger").unwrap();
    let f = file.to_str().unwrap();
    let named = format!("s3://{b}/p/named.txt");
    let unnamed = format!("s3://{b}/p/unnamed.txt");
    sb.ok(&[
        "put",
        f,
        &named,
        "--encryption",
        "sse-kms",
        "--kms-key",
        &key,
    ]);
    sb.ok(&[
        "put",
        f,
        &unnamed,
        "--encryption",
        "sse-kms",
        "--kms-key",
        &bare,
    ]);

    // ls: the alias in the table, the ARN and the alias in JSON.
    let listed = sb.ok(&["ls", &format!("s3://{b}/p/")]);
    let line = listed
        .lines()
        .find(|l| l.contains("named.txt") && !l.contains("unnamed"))
        .unwrap();
    assert!(line.contains(&format!("sse-kms ({alias})")), "{listed}");
    let line = listed.lines().find(|l| l.contains("unnamed.txt")).unwrap();
    assert!(line.contains(&format!("sse-kms ({bare})")), "{listed}");
    let json: Value =
        serde_json::from_str(&sb.ok(&["ls", &format!("s3://{b}/p/"), "--json"])).unwrap();
    let objects = json["objects"].as_array().unwrap();
    let row = |name: &str| {
        objects
            .iter()
            .find(|o| o["key"].as_str().unwrap().ends_with(name))
            .unwrap()
            .clone()
    };
    let named_row = row("/named.txt");
    assert!(
        named_row["kms_key_id"]
            .as_str()
            .unwrap()
            .starts_with("arn:aws:kms:"),
        "{named_row}"
    );
    assert!(named_row["kms_key_id"].as_str().unwrap().ends_with(&key));
    assert_eq!(named_row["kms_key_alias"], alias.as_str());
    assert!(row("/unnamed.txt").get("kms_key_alias").is_none());

    // info: the alias first, then the ARN; JSON keeps the ARN and adds the alias.
    let shown = sb.ok(&["info", &named]);
    assert!(shown.contains(&format!("sse-kms ({alias})")), "{shown}");
    let kms_line = shown.lines().find(|l| l.starts_with("kms key")).unwrap();
    assert!(
        kms_line.contains(&alias) && kms_line.contains(&format!("key/{key}")),
        "{kms_line}"
    );
    let info = sb.info(&named);
    assert!(
        info["kms_key_id"].as_str().unwrap().ends_with(&key),
        "{info}"
    );
    assert_eq!(info["kms_key_alias"], alias.as_str());

    // audit: the by-key table by alias; JSON's labels stay ARNs, with the aliases beside.
    let audited = sb.ok(&["audit", &format!("s3://{b}/p/"), "--no-cache"]);
    assert!(audited.contains(&format!("sse-kms:{alias}")), "{audited}");
    assert!(audited.contains(&format!("sse-kms:{bare}")), "{audited}");
    assert!(!audited.contains("arn:aws:kms"), "{audited}");
    let report: Value =
        serde_json::from_str(&sb.ok(&["audit", &format!("s3://{b}/p/"), "--no-cache", "--json"]))
            .unwrap();
    let aliases = report["kms_aliases"].as_object().unwrap();
    assert_eq!(aliases.len(), 1, "{aliases:?}");
    let (arn, named_alias) = aliases.iter().next().unwrap();
    assert!(arn.ends_with(&key), "{arn}");
    assert_eq!(named_alias, alias.as_str());
    assert!(
        report["by_key"]
            .as_object()
            .unwrap()
            .keys()
            .any(|k| k.starts_with("sse-kms:arn:aws:kms:")),
        "{report}"
    );

    // A re-encryption plan's changes name both keys by alias where they have one.
    let planned = sb.ok(&[
        "rekey",
        &format!("s3://{b}/p/"),
        "--recursive",
        "--encryption",
        "sse-kms",
        "--kms-key",
        &alias,
        "--dry-run",
    ]);
    assert!(planned.contains(&format!("→ sse-kms:{alias}")), "{planned}");
    assert!(planned.contains(&format!("sse-kms:{bare}")), "{planned}");
    assert!(!planned.contains("arn:aws:kms"), "{planned}");
}
