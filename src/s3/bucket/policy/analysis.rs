//! The verdict: does the policy deny every non-TLS request to the bucket and its objects,
//! from anyone; what minimum TLS version it requires; and each finding in plain words.

use serde_json::Value;

use super::conditions::{plain_http, tls_at};
use super::statement::{SECURE_TRANSPORT, TLS_VERSION, label_of};
use super::*;

struct Findings(Vec<PolicyFinding>);

impl Findings {
    fn push(&mut self, kind: FindingKind, severity: Severity, st: Option<&str>, msg: String) {
        self.0.push(PolicyFinding {
            kind,
            severity,
            statement: st.map(str::to_owned),
            message: msg,
        });
    }
}

fn join(list: &[String]) -> String {
    list.join(", ")
}

/// Analyses a policy for `bucket`. Never fails: what cannot be read becomes a finding and the
/// verdict is "not enforced".
pub fn analyze_policy(policy: &Value, bucket: &str) -> PolicyAnalysis {
    let mut findings = Findings(Vec::new());
    let raw_statements = match statements_of(policy) {
        Ok(s) => s,
        Err(reason) => {
            findings.push(
                FindingKind::Malformed,
                Severity::Problem,
                None,
                format!(
                    "The bucket policy cannot be read: {reason}. Nothing in it can be relied on."
                ),
            );
            return PolicyAnalysis {
                tls_enforced: false,
                denies_insecure_bucket: false,
                denies_insecure_objects: false,
                min_tls_version: None,
                enforcing_statements: Vec::new(),
                findings: findings.0,
            };
        }
    };
    let mut statements = Vec::new();
    for (i, raw) in raw_statements.iter().enumerate() {
        match parse_statement(i, raw) {
            Ok(s) => statements.push(s),
            Err(reason) => findings.push(
                FindingKind::MalformedStatement,
                Severity::Problem,
                Some(&label_of(i, raw)),
                format!(
                    "{} cannot be understood: {reason}. S3 would reject or ignore it; it was not counted.",
                    label_of(i, raw)
                ),
            ),
        }
    }

    let mut bucket_covered = false;
    let mut objects_covered = false;
    let mut enforcing = Vec::new();
    // Per TLS version: (bucket denied, objects denied).
    let mut version_denied = [(false, false); TLS_VERSIONS.len()];
    let mut mentions_tls = false;

    for st in &statements {
        let label = st.label.as_str();
        let mentions_st = st.conditions.iter().any(|c| c.key_is(SECURE_TRANSPORT));
        let mentions_ver = st.conditions.iter().any(|c| c.key_is(TLS_VERSION));
        if st.effect == Effect::Deny {
            mentions_tls |= mentions_st || mentions_ver;
        }

        if st.effect == Effect::Allow {
            if mentions_st || mentions_ver {
                findings.push(
                    FindingKind::AllowLooksLikeEnforcement,
                    Severity::Warning,
                    Some(label),
                    format!(
                        "{label} is an Allow conditioned on {}. An Allow only grants: it never stops a request, so anything else that grants access (IAM policies, other statements, ACLs) still works over plain HTTP. Forcing TLS needs a Deny with \"aws:SecureTransport\": \"false\".",
                        if mentions_st { SECURE_TRANSPORT } else { TLS_VERSION }
                    ),
                );
            }
            continue;
        }

        let http = eval_conditions(&st.conditions, &plain_http);
        let tls_tris: Vec<Tri> = TLS_VERSIONS
            .iter()
            .map(|v| eval_conditions(&st.conditions, &tls_at(v)))
            .collect();
        let relevant =
            mentions_st || mentions_ver || (http == Tri::True && st.conditions.is_empty());
        if !relevant {
            continue;
        }
        let actions = action_coverage(&st.actions);
        let resources = resource_coverage(&st.resources, bucket);
        let everyone = st.principals == Principals::Everyone;
        let full_scope = everyone && actions == ActionCoverage::All;

        // Scope findings, once per relevant statement.
        let denies_something = http != Tri::False || tls_tris.iter().any(|t| *t != Tri::False);
        if denies_something {
            scope_findings(&mut findings, st, &actions, &resources, bucket);
        }

        match http {
            Tri::True => {
                if st.conditions.is_empty() {
                    findings.push(
                        FindingKind::BlanketDeny,
                        Severity::Warning,
                        Some(label),
                        format!("{label} denies every request with no condition at all, TLS or not: it locks out whoever it names."),
                    );
                }
                if full_scope {
                    bucket_covered |= resources.bucket;
                    objects_covered |= resources.all_objects;
                    if resources.bucket || resources.all_objects {
                        enforcing.push(st.label.clone());
                    }
                }
            }
            Tri::Unknown => {
                let extra: Vec<String> = st
                    .conditions
                    .iter()
                    .filter(|c| eval_entry(c, &plain_http(&c.key)) == Tri::Unknown)
                    .map(ConditionEntry::describe)
                    .collect();
                findings.push(
                    FindingKind::ExtraCondition,
                    Severity::Warning,
                    Some(label),
                    format!(
                        "{label} denies plain-HTTP requests only when another condition also holds ({}). Plain-HTTP requests that do not meet it are not denied by this statement.",
                        join(&extra)
                    ),
                );
            }
            Tri::False => {
                if mentions_st {
                    ineffective_findings(&mut findings, st, &tls_tris);
                }
            }
        }

        // Minimum TLS version: which TLS versions this statement denies, on what.
        if mentions_ver && full_scope {
            for (i, t) in tls_tris.iter().enumerate() {
                if *t == Tri::True {
                    version_denied[i].0 |= resources.bucket;
                    version_denied[i].1 |= resources.all_objects;
                }
            }
        }
        if mentions_ver && tls_tris.contains(&Tri::Unknown) {
            let extra: Vec<String> = st
                .conditions
                .iter()
                .filter(|c| !c.key_is(TLS_VERSION) && !c.key_is(SECURE_TRANSPORT))
                .map(ConditionEntry::describe)
                .collect();
            if !extra.is_empty() && http != Tri::Unknown {
                findings.push(
                    FindingKind::ExtraCondition,
                    Severity::Warning,
                    Some(label),
                    format!(
                        "{label} sets a minimum TLS version only when another condition also holds ({}); other requests with old TLS versions are not denied by it.",
                        join(&extra)
                    ),
                );
            }
        }
        if mentions_ver && !full_scope && tls_tris.contains(&Tri::True) {
            findings.push(
                FindingKind::WeakMinTls,
                Severity::Warning,
                Some(label),
                format!("{label} requires a newer TLS version, but not for everyone and every S3 action, so it does not set a bucket-wide minimum."),
            );
        }
    }

    let tls_enforced = bucket_covered && objects_covered;
    let any_enforcing = !enforcing.is_empty();
    if !tls_enforced {
        if !mentions_tls && !any_enforcing {
            findings.push(
                FindingKind::NoTlsDeny,
                Severity::Warning,
                None,
                "No statement denies requests made without TLS, so S3 accepts plain-HTTP requests to this bucket from anyone who is otherwise allowed.".to_owned(),
            );
        } else {
            if !bucket_covered {
                findings.push(
                    FindingKind::BucketNotCovered,
                    Severity::Warning,
                    None,
                    format!(
                        "No deny covers the bucket itself ({}) for everyone and every action: bucket-level requests such as ListBucket or GetBucketPolicy are not refused over plain HTTP.",
                        bucket_arn("aws", bucket)
                    ),
                );
            }
            if !objects_covered {
                findings.push(
                    FindingKind::ObjectsNotCovered,
                    Severity::Warning,
                    None,
                    format!(
                        "No deny covers every object ({}) for everyone and every action: object requests such as GetObject or PutObject are not all refused over plain HTTP.",
                        objects_arn("aws", bucket)
                    ),
                );
            }
        }
    }

    let denied: Vec<bool> = version_denied.iter().map(|(b, o)| *b && *o).collect();
    let min_tls_version = if denied.first().copied().unwrap_or(false) {
        denied
            .iter()
            .position(|d| !d)
            .and_then(|i| TLS_VERSIONS.get(i))
            .map(|v| (*v).to_owned())
    } else {
        None
    };
    if let Some(v) = &min_tls_version
        && v.as_str() < "1.2"
    {
        findings.push(
            FindingKind::WeakMinTls,
            Severity::Info,
            None,
            format!(
                "The minimum TLS version is {v}; TLS 1.0 and 1.1 are deprecated, consider 1.2."
            ),
        );
    }

    PolicyAnalysis {
        tls_enforced,
        denies_insecure_bucket: bucket_covered,
        denies_insecure_objects: objects_covered,
        min_tls_version,
        enforcing_statements: enforcing,
        findings: findings.0,
    }
}

/// Findings about who / what / which resources a TLS-related deny reaches.
fn scope_findings(
    findings: &mut Findings,
    st: &Statement,
    actions: &ActionCoverage,
    resources: &ResourceCoverage,
    bucket: &str,
) {
    let label = st.label.as_str();
    match &st.principals {
        Principals::Everyone => {}
        Principals::Listed(list) => findings.push(
            FindingKind::NotAllPrincipals,
            Severity::Warning,
            Some(label),
            format!(
                "{label} applies only to {}; everyone else can still use plain HTTP. Use \"Principal\": \"*\".",
                join(list)
            ),
        ),
        Principals::AllExcept(list) => findings.push(
            FindingKind::NotPrincipalExemption,
            Severity::Warning,
            Some(label),
            format!(
                "{label} uses NotPrincipal, so {} may still use plain HTTP.",
                join(list)
            ),
        ),
    }
    match actions {
        ActionCoverage::All => {}
        ActionCoverage::Only(list) => findings.push(
            FindingKind::PartialActions,
            Severity::Warning,
            Some(label),
            format!(
                "{label} covers only {}; every other S3 action (for example PutObject, ListBucket, DeleteObject) is not denied over plain HTTP. Use \"Action\": \"s3:*\".",
                join(list)
            ),
        ),
        ActionCoverage::AllBut(list) => findings.push(
            FindingKind::NotActionExemption,
            Severity::Warning,
            Some(label),
            format!(
                "{label} uses NotAction, so {} are still allowed over plain HTTP.",
                join(list)
            ),
        ),
        ActionCoverage::NoS3 => findings.push(
            FindingKind::PartialActions,
            Severity::Warning,
            Some(label),
            format!("{label} names no S3 action, so it denies nothing on this bucket."),
        ),
    }
    if !resources.exempt.is_empty() {
        findings.push(
            FindingKind::NotResourceExemption,
            Severity::Warning,
            Some(label),
            format!(
                "{label} uses NotResource, so {} can still be reached over plain HTTP.",
                join(&resources.exempt)
            ),
        );
    }
    if !resources.touches_bucket() {
        findings.push(
            FindingKind::OtherBucket,
            Severity::Warning,
            Some(label),
            format!(
                "{label} names resources that are not this bucket ({}); it protects nothing in {bucket}.",
                match &st.resources {
                    Patterns::Only(l) | Patterns::AllExcept(l) => join(l),
                }
            ),
        );
    } else if resources.some_objects && !resources.all_objects && resources.exempt.is_empty() {
        findings.push(
            FindingKind::ObjectsNotCovered,
            Severity::Warning,
            Some(label),
            format!("{label} covers only some of the objects; the others are not protected by it."),
        );
    }
}

/// Why a deny on `aws:SecureTransport` never matches a plain-HTTP request.
fn ineffective_findings(findings: &mut Findings, st: &Statement, tls_tris: &[Tri]) {
    let label = st.label.as_str();
    let entries: Vec<&ConditionEntry> = st
        .conditions
        .iter()
        .filter(|c| c.key_is(SECURE_TRANSPORT))
        .collect();
    let reversed = tls_tris.iter().all(|t| *t != Tri::False)
        && entries.iter().any(|c| {
            c.operator.starts_with("Bool")
                && c.values.iter().any(|v| v.eq_ignore_ascii_case("true"))
        });
    if reversed {
        findings.push(
            FindingKind::ReversedCondition,
            Severity::Warning,
            Some(label),
            format!("{label} denies requests where aws:SecureTransport is true: it blocks TLS requests and lets plain HTTP through. The value should be \"false\"."),
        );
        return;
    }
    let described: Vec<String> = entries.iter().map(|c| c.describe()).collect();
    let why = if entries.iter().any(|c| c.operator.starts_with("Null")) {
        "aws:SecureTransport is present in every request, so a Null test on it never matches"
    } else {
        "only Bool / BoolIfExists with the value false matches a plain-HTTP request"
    };
    findings.push(
        FindingKind::IneffectiveCondition,
        Severity::Warning,
        Some(label),
        format!(
            "{label} has a condition on aws:SecureTransport that never matches a plain-HTTP request ({}): {why}.",
            join(&described)
        ),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn globs() {
        assert!(glob_matches("s3:Get*", "s3:GetObject", true));
        assert!(glob_matches("S3:*", "s3:GetObject", true));
        assert!(!glob_matches("arn:aws:s3:::B", "arn:aws:s3:::b", false));
        assert!(glob_covers_prefix(
            "arn:aws:s3:::b/*",
            "arn:aws:s3:::b/",
            false
        ));
        assert!(glob_covers_prefix("*", "arn:aws:s3:::b/", false));
        assert!(glob_covers_prefix(
            "arn:aws:s3:::*",
            "arn:aws:s3:::b/",
            false
        ));
        assert!(!glob_covers_prefix(
            "arn:aws:s3:::b/logs/*",
            "arn:aws:s3:::b/",
            false
        ));
        assert!(glob_touches_prefix(
            "arn:aws:s3:::b/logs/*",
            "arn:aws:s3:::b/",
            false
        ));
        assert!(!glob_touches_prefix(
            "arn:aws:s3:::c/*",
            "arn:aws:s3:::b/",
            false
        ));
        assert!(!glob_touches_prefix(
            "arn:aws:s3:::b",
            "arn:aws:s3:::b/",
            false
        ));
        assert!(glob_matches("a?c", "abc", false));
        assert!(glob_covers_prefix("s3:*", "s3:", true));
        assert!(!glob_covers_prefix("s3:Get*", "s3:", true));
    }

    #[test]
    fn canonical_deny_is_enforced() {
        let p = json!({"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*",
            "Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"],
            "Condition":{"Bool":{"aws:SecureTransport":"false"}}}]});
        let a = analyze_policy(&p, "b");
        assert!(a.tls_enforced, "{a:?}");
        assert!(a.findings.is_empty(), "{a:?}");
        assert_eq!(a.enforcing_statements, vec!["statement #1".to_owned()]);
    }

    #[test]
    fn absent_key_semantics() {
        let e = ConditionEntry {
            operator: "StringNotEquals".into(),
            key: "k".into(),
            values: vec!["x".into()],
        };
        assert_eq!(eval_entry(&e, &Known::Absent), Tri::True);
        let e = ConditionEntry {
            operator: "NumericLessThan".into(),
            key: "s3:TlsVersion".into(),
            values: vec!["1.2".into()],
        };
        assert_eq!(eval_entry(&e, &Known::Absent), Tri::False);
        assert_eq!(eval_entry(&e, &Known::Value("1.1".into())), Tri::True);
        assert_eq!(eval_entry(&e, &Known::Value("1.2".into())), Tri::False);
        let e = ConditionEntry {
            operator: "NumericLessThanIfExists".into(),
            ..e
        };
        assert_eq!(eval_entry(&e, &Known::Absent), Tri::True);
    }

    #[test]
    fn malformed_is_a_finding() {
        let a = analyze_policy(&json!({"Version":"2012-10-17"}), "b");
        assert!(!a.tls_enforced);
        assert!(a.has(FindingKind::Malformed));
        assert!(parse_policy("{not json").is_err());
        assert!(parse_policy("[]").is_err());
    }
}
