//! The lifecycle merge on real-world configurations (`tests/lifecycle_corpus/`, each beside the
//! page it comes from), read into the SDK's types as S3 would return them.

use aws_sdk_s3::types::{
    AbortIncompleteMultipartUpload, ExpirationStatus, LifecycleExpiration, LifecycleRule,
    LifecycleRuleAndOperator, LifecycleRuleFilter, NoncurrentVersionExpiration,
    NoncurrentVersionTransition, Tag, Transition, TransitionDefaultMinimumObjectSize,
    TransitionStorageClass,
};
use serde_json::Value;

use super::*;

macro_rules! corpus {
    ($($name:literal),* $(,)?) => {
        [$(($name, include_str!(concat!("../../../tests/lifecycle_corpus/", $name, ".json")))),*]
    };
}

const CORPUS: [(&str, &str); 14] = corpus!(
    "01-tax-transition-expiration",
    "02-archive-all-empty-prefix",
    "03-and-prefix-tags",
    "04-disabled-rules",
    "05-tiering",
    "06-versioned-noncurrent",
    "07-expired-delete-markers",
    "08-abort-mpu-sample-rule",
    "09-size-rules",
    "10-small-objects-transition",
    "11-abort-mpu-prefix-scoped",
    "12-s3seal-rule-present",
    "13-abort-mpu-disabled",
    "14-abort-mpu-whole-bucket",
);

fn int(v: &Value) -> Option<i32> {
    v.as_i64().map(|n| i32::try_from(n).unwrap())
}

fn tag(v: &Value) -> Tag {
    Tag::builder()
        .key(v["Key"].as_str().unwrap())
        .value(v["Value"].as_str().unwrap())
        .build()
        .unwrap()
}

#[expect(deprecated, reason = "the corpus holds rule-level Prefix on purpose")]
fn rule(v: &Value) -> LifecycleRule {
    let mut b = LifecycleRule::builder()
        .set_id(v["ID"].as_str().map(str::to_owned))
        .set_prefix(v["Prefix"].as_str().map(str::to_owned))
        .status(ExpirationStatus::from(v["Status"].as_str().unwrap()));
    if let Some(f) = v.get("Filter") {
        let mut fb = LifecycleRuleFilter::builder()
            .set_prefix(f["Prefix"].as_str().map(str::to_owned))
            .set_object_size_greater_than(f["ObjectSizeGreaterThan"].as_i64())
            .set_object_size_less_than(f["ObjectSizeLessThan"].as_i64());
        if let Some(t) = f.get("Tag") {
            fb = fb.tag(tag(t));
        }
        if let Some(a) = f.get("And") {
            fb = fb.and(
                LifecycleRuleAndOperator::builder()
                    .set_prefix(a["Prefix"].as_str().map(str::to_owned))
                    .set_tags(a["Tags"].as_array().map(|t| t.iter().map(tag).collect()))
                    .build(),
            );
        }
        b = b.filter(fb.build());
    }
    for t in v["Transitions"].as_array().into_iter().flatten() {
        b = b.transitions(
            Transition::builder()
                .set_days(int(&t["Days"]))
                .storage_class(TransitionStorageClass::from(
                    t["StorageClass"].as_str().unwrap(),
                ))
                .build(),
        );
    }
    if let Some(e) = v.get("Expiration") {
        b = b.expiration(
            LifecycleExpiration::builder()
                .set_days(int(&e["Days"]))
                .set_expired_object_delete_marker(e["ExpiredObjectDeleteMarker"].as_bool())
                .build(),
        );
    }
    for t in v["NoncurrentVersionTransitions"]
        .as_array()
        .into_iter()
        .flatten()
    {
        b = b.noncurrent_version_transitions(
            NoncurrentVersionTransition::builder()
                .set_noncurrent_days(int(&t["NoncurrentDays"]))
                .storage_class(TransitionStorageClass::from(
                    t["StorageClass"].as_str().unwrap(),
                ))
                .build(),
        );
    }
    if let Some(e) = v.get("NoncurrentVersionExpiration") {
        b = b.noncurrent_version_expiration(
            NoncurrentVersionExpiration::builder()
                .set_noncurrent_days(int(&e["NoncurrentDays"]))
                .set_newer_noncurrent_versions(int(&e["NewerNoncurrentVersions"]))
                .build(),
        );
    }
    if let Some(a) = v.get("AbortIncompleteMultipartUpload") {
        b = b.abort_incomplete_multipart_upload(
            AbortIncompleteMultipartUpload::builder()
                .set_days_after_initiation(int(&a["DaysAfterInitiation"]))
                .build(),
        );
    }
    b.build().unwrap()
}

fn config(text: &str) -> LifecycleConfig {
    let v: Value = serde_json::from_str(text).unwrap();
    LifecycleConfig {
        rules: v["Rules"].as_array().unwrap().iter().map(rule).collect(),
        transition_default_minimum_object_size: v["TransitionDefaultMinimumObjectSize"]
            .as_str()
            .map(TransitionDefaultMinimumObjectSize::from),
    }
}

fn load(name: &str) -> LifecycleConfig {
    let (_, text) = CORPUS.iter().find(|(n, _)| *n == name).unwrap();
    config(text)
}

#[test]
fn every_shape_keeps_its_rules_and_gets_the_abort_rule() {
    for (name, text) in CORPUS {
        let before = config(text);
        // The corpus reads back as it reads in.
        for r in &before.rules {
            assert_eq!(
                rule(&rule_json(r)),
                *r,
                "{name}: display shape of {:?}",
                r.id()
            );
        }
        let change = merge_abort_rule(Some(&before), 7).unwrap();
        let after = &change.after;
        let others = |c: &LifecycleConfig| -> Vec<LifecycleRule> {
            c.rules
                .iter()
                .filter(|r| r.id() != Some(ABORT_RULE_ID))
                .cloned()
                .collect()
        };
        assert_eq!(
            others(after),
            others(&before),
            "{name}: other rules untouched"
        );
        assert_eq!(
            after.transition_default_minimum_object_size,
            before.transition_default_minimum_object_size,
            "{name}"
        );
        match abort_rule_state(Some(after)) {
            AbortRule::WholeBucket { days, .. } => assert!(days <= 7, "{name}: {days}"),
            other => panic!("{name}: {other:?}"),
        }
        let again = merge_abort_rule(Some(after), 7).unwrap();
        assert!(!again.changed, "{name}: idempotent\n{}", again.diff());
        assert_eq!(change.kept.len(), others(&before).len(), "{name}");
    }
}

#[test]
fn a_whole_bucket_rule_of_the_bucket_is_enough() {
    let before = load("08-abort-mpu-sample-rule");
    let change = merge_abort_rule(Some(&before), 7).unwrap();
    assert!(!change.changed);
    assert_eq!(change.after, before);
    assert!(
        change.notes[0].contains("'sample-rule'"),
        "{:?}",
        change.notes
    );
    assert!(change.diff().starts_with("no change"), "{}", change.diff());
    // A shorter wish than the bucket's rule: s3seal adds its own, the other stays.
    let change = merge_abort_rule(Some(&before), 3).unwrap();
    assert!(change.changed);
    assert_eq!(change.after.rules.len(), 2);
    assert_eq!(change.after.rules[0], before.rules[0]);
    assert!(
        change.notes[0].contains("after 7 days"),
        "{:?}",
        change.notes
    );
}

#[test]
fn scoped_or_disabled_abort_rules_are_noted_and_kept() {
    let scoped = merge_abort_rule(Some(&load("11-abort-mpu-prefix-scoped")), 7).unwrap();
    assert!(scoped.changed);
    assert!(
        scoped.notes[0].contains("for part of the bucket only"),
        "{:?}",
        scoped.notes
    );
    let disabled = merge_abort_rule(Some(&load("13-abort-mpu-disabled")), 7).unwrap();
    assert!(disabled.changed);
    assert!(
        disabled.notes[0].contains("disabled"),
        "{:?}",
        disabled.notes
    );
    assert_eq!(
        abort_rule_state(Some(&load("13-abort-mpu-disabled"))),
        AbortRule::Partial {
            rule_ids: vec!["abort-mpu-paused".into()]
        }
    );
}

#[test]
fn s3seals_own_rule_is_replaced_in_place() {
    let before = load("12-s3seal-rule-present");
    let change = merge_abort_rule(Some(&before), 7).unwrap();
    assert!(change.changed);
    assert_eq!(change.after.rules.len(), 2);
    assert_eq!(change.after.rules[0], before.rules[0]);
    assert_eq!(change.after.rules[1], abort_rule(7).unwrap());
    assert_eq!(change.removed.as_ref(), Some(&before.rules[1]));
    let diff = change.diff();
    assert!(diff.contains("-     \"DaysAfterInitiation\": 14"), "{diff}");
    assert!(diff.contains("+     \"DaysAfterInitiation\": 7"), "{diff}");
    assert!(
        diff.contains("1 other rule kept unchanged: 'Transition and Expiration Rule'"),
        "{diff}"
    );
    assert!(!merge_abort_rule(Some(&before), 14).unwrap().changed);
}

#[test]
fn no_configuration_gets_just_the_rule() {
    let change = merge_abort_rule(None, 7).unwrap();
    assert!(change.changed);
    assert_eq!(change.after.rules, vec![abort_rule(7).unwrap()]);
    assert!(change.kept.is_empty());
    assert_eq!(abort_rule_state(None), AbortRule::None);
    assert!(merge_abort_rule(None, 0).is_err());
}

#[test]
fn a_full_configuration_is_refused() {
    let one = rule(
        &serde_json::json!({"ID": "x", "Filter": {"Prefix": "a/"}, "Status": "Enabled", "Expiration": {"Days": 1}}),
    );
    let full = LifecycleConfig {
        rules: vec![one; MAX_RULES],
        transition_default_minimum_object_size: None,
    };
    assert!(matches!(
        merge_abort_rule(Some(&full), 7),
        Err(Error::Unsupported(_))
    ));
}
