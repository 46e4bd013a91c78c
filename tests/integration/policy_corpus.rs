//! Runs every policy in `tests/policy_corpus/` through the analysis and checks the verdict a
//! careful reviewer gives (`NAME.expected.json`): `tls_enforced`, `min_tls_version`, the
//! finding kinds that must be present and those that must not. Then, for each policy, checks
//! that `enforce_tls` merges into it without touching any other statement (the result is
//! enforced) and that `relax_tls` gives the original back.

use std::path::PathBuf;

use s3seal::s3::bucket::policy::{analyze_policy, parse_policy};
use s3seal::s3::bucket::tls_policy::{TlsVersion, enforce_tls, relax_tls};
use serde_json::Value;

fn corpus() -> Vec<(String, String, Value)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/policy_corpus");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let Some(stem) = name.strip_suffix(".json") else {
            continue;
        };
        if stem.ends_with(".expected") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let expected: Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join(format!("{stem}.expected.json")))
                .unwrap_or_else(|_| panic!("{stem}: missing {stem}.expected.json")),
        )
        .unwrap();
        out.push((stem.to_owned(), text, expected));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn statements(policy: &Value) -> Vec<Value> {
    match &policy["Statement"] {
        Value::Array(a) => a.clone(),
        one => vec![one.clone()],
    }
}

fn kind_names(analysis: &s3seal::s3::bucket::PolicyAnalysis) -> Vec<String> {
    analysis
        .findings
        .iter()
        .map(|f| {
            serde_json::to_value(f.kind)
                .unwrap()
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

#[test]
fn every_corpus_policy_gets_the_reviewers_verdict() {
    let cases = corpus();
    assert!(
        cases.len() >= 30,
        "corpus has only {} policies",
        cases.len()
    );
    let mut failures = Vec::new();
    for (name, text, expected) in &cases {
        let bucket = expected["bucket"].as_str().unwrap();
        let value: Value = serde_json::from_str(text).unwrap();
        let analysis = analyze_policy(&value, bucket);
        let kinds = kind_names(&analysis);
        let mut problems = Vec::new();
        if analysis.tls_enforced != expected["tls_enforced"].as_bool().unwrap() {
            problems.push(format!(
                "tls_enforced {} (expected {})",
                analysis.tls_enforced, expected["tls_enforced"]
            ));
        }
        let want_min = expected["min_tls_version"].as_str();
        if analysis.min_tls_version.as_deref() != want_min {
            problems.push(format!(
                "min_tls_version {:?} (expected {want_min:?})",
                analysis.min_tls_version
            ));
        }
        for kind in expected["findings"].as_array().unwrap() {
            if !kinds.iter().any(|k| k == kind.as_str().unwrap()) {
                problems.push(format!("missing finding {kind}"));
            }
        }
        for kind in expected["absent_findings"].as_array().unwrap() {
            if kinds.iter().any(|k| k == kind.as_str().unwrap()) {
                problems.push(format!("unexpected finding {kind}"));
            }
        }
        // Enforced policies from the corpus that expect no findings must really have none.
        if expected["findings"].as_array().unwrap().is_empty()
            && expected["tls_enforced"] == true
            && !analysis.findings.is_empty()
        {
            problems.push(format!("expected no findings, got {kinds:?}"));
        }
        for f in &analysis.findings {
            assert!(!f.message.is_empty(), "{name}: empty message");
        }
        if !problems.is_empty() {
            failures.push(format!(
                "{name}: {}\n   findings: {:#?}",
                problems.join("; "),
                analysis.messages()
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn enforce_then_relax_round_trips_every_corpus_policy() {
    for (name, text, expected) in corpus() {
        let bucket = expected["bucket"].as_str().unwrap();
        let Ok(before) = parse_policy(&text) else {
            // Malformed: enforcing must refuse, never overwrite.
            let value: Value = serde_json::from_str(&text).unwrap();
            let err = enforce_tls(Some(&value), bucket, None)
                .unwrap_err()
                .to_string();
            assert!(err.contains("left unchanged"), "{name}: {err}");
            continue;
        };
        let change = enforce_tls(Some(&before), bucket, Some(TlsVersion::V1_2)).unwrap();
        let after = change.after.clone().unwrap();
        let analysis = analyze_policy(&after, bucket);
        assert!(
            analysis.tls_enforced,
            "{name}: not enforced after merge: {analysis:#?}"
        );
        assert!(
            analysis
                .min_tls_version
                .as_deref()
                .is_some_and(|v| v >= "1.2"),
            "{name}: {analysis:#?}"
        );
        // Every original statement is still there, equal (as parsed JSON), in order.
        let original = statements(&before);
        let merged = statements(&after);
        assert_eq!(&merged[..original.len()], &original[..], "{name}");
        for (k, v) in before.as_object().unwrap() {
            if k != "Statement" {
                assert_eq!(&after[k], v, "{name}: top-level {k} changed");
            }
        }
        let relaxed = relax_tls(Some(&after), bucket).unwrap();
        let back = relaxed.after.unwrap();
        assert_eq!(statements(&back), original, "{name}");
    }
}
