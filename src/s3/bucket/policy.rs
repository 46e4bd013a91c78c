//! Bucket policy analysis: pure, no I/O.
//!
//! The question answered is the one a careful reviewer asks: does this policy deny **every**
//! request made without TLS, to the bucket **and** to its objects, from **anyone**? A policy
//! that only looks like enforcement (an `Allow` with `aws:SecureTransport` = true, a deny
//! scoped to one action, to one principal, to the objects only, or weakened by an extra
//! condition) is reported with the reason in plain words.
//!
//! Conditions are evaluated three-valued against an abstract request: for a plain-HTTP request
//! `aws:SecureTransport` is `false` and `s3:TlsVersion` is absent; every other condition key is
//! unknown, so a statement that also depends on one of them does not deny *every* such request.

use serde::Serialize;
use serde_json::Value;

/// AWS partitions whose S3 ARNs are recognised for a bucket.
pub const PARTITIONS: [&str; 3] = ["aws", "aws-cn", "aws-us-gov"];

/// TLS versions S3 may negotiate, lowest first (for `s3:TlsVersion`).
pub const TLS_VERSIONS: [&str; 4] = ["1.0", "1.1", "1.2", "1.3"];

/// How bad a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// Worth knowing; not a gap.
    Info,
    /// Looks like protection but leaves a gap, or is likely a mistake.
    Warning,
    /// The policy cannot be read, or a statement is broken.
    Problem,
}

/// Machine-readable kind of a finding (stable names for tests and the window).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FindingKind {
    /// The policy text is not a JSON policy document.
    Malformed,
    /// One statement cannot be understood (missing Effect, Action, Resource, …).
    MalformedStatement,
    /// Nothing in the policy denies plain-HTTP requests.
    NoTlsDeny,
    /// A TLS deny that names specific principals instead of everyone.
    NotAllPrincipals,
    /// A TLS deny with `NotPrincipal`: the listed principals are exempt.
    NotPrincipalExemption,
    /// A TLS deny that covers only some actions.
    PartialActions,
    /// A TLS deny with `NotAction`: the listed S3 actions are exempt.
    NotActionExemption,
    /// A TLS deny with `NotResource`: the listed resources are exempt.
    NotResourceExemption,
    /// No TLS deny covers the bucket ARN itself.
    BucketNotCovered,
    /// No TLS deny covers every object (`arn:…:BUCKET/*`).
    ObjectsNotCovered,
    /// A TLS deny whose resources name another bucket.
    OtherBucket,
    /// A TLS deny that also depends on another condition key, so some plain-HTTP requests pass.
    ExtraCondition,
    /// An `Allow` conditioned on `aws:SecureTransport`: grants, never blocks.
    AllowLooksLikeEnforcement,
    /// A deny on `aws:SecureTransport` = true: it blocks TLS requests instead.
    ReversedCondition,
    /// A condition on `aws:SecureTransport` that never matches a plain-HTTP request (Null,
    /// a string operator, …).
    IneffectiveCondition,
    /// A deny with no condition on everyone: it blocks every request, TLS or not.
    BlanketDeny,
    /// An `s3:TlsVersion` minimum that does not cover everyone / every action / the bucket and
    /// its objects, or that is below TLS 1.2.
    WeakMinTls,
}

/// One thing a reviewer should know about the policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PolicyFinding {
    pub kind: FindingKind,
    pub severity: Severity,
    /// The statement's Sid, or `statement #N` (1-based) when it has none.
    pub statement: Option<String>,
    /// Plain words: what is wrong and what it means.
    pub message: String,
}

/// The verdict on a policy's transport protection.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PolicyAnalysis {
    /// True only when every non-TLS request to the bucket and to its objects, from anyone, is
    /// denied.
    pub tls_enforced: bool,
    /// Plain-HTTP requests to the bucket ARN itself are denied for everyone, every action.
    pub denies_insecure_bucket: bool,
    /// Plain-HTTP requests to every object are denied for everyone, every action.
    pub denies_insecure_objects: bool,
    /// The lowest TLS version every request must use (`"1.2"`), when a deny on
    /// `s3:TlsVersion` covers everyone, every action, the bucket and its objects.
    pub min_tls_version: Option<String>,
    /// Labels of the statements that deny plain HTTP completely on their own resources.
    pub enforcing_statements: Vec<String>,
    pub findings: Vec<PolicyFinding>,
}

impl PolicyAnalysis {
    /// The findings' messages, for a plain list.
    pub fn messages(&self) -> Vec<String> {
        self.findings.iter().map(|f| f.message.clone()).collect()
    }

    /// Whether a finding of `kind` is present.
    pub fn has(&self, kind: FindingKind) -> bool {
        self.findings.iter().any(|f| f.kind == kind)
    }
}

/// Parses policy text into a JSON value and checks it has the shape of a policy document.
/// Unknown fields are kept.
pub fn parse_policy(text: &str) -> Result<Value, String> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| format!("the policy is not valid JSON ({e})"))?;
    statements_of(&value)?;
    Ok(value)
}

/// The statements of a policy document (`Statement` may be one object or an array).
pub fn statements_of(policy: &Value) -> Result<Vec<&Value>, String> {
    let object = policy
        .as_object()
        .ok_or_else(|| "the policy is not a JSON object".to_owned())?;
    match object.get("Statement") {
        Some(Value::Array(items)) => {
            if let Some(bad) = items.iter().position(|s| !s.is_object()) {
                return Err(format!("Statement #{} is not a JSON object", bad + 1));
            }
            Ok(items.iter().collect())
        }
        Some(one @ Value::Object(_)) => Ok(vec![one]),
        Some(_) => Err("\"Statement\" is neither an object nor an array".to_owned()),
        None => Err("the policy has no \"Statement\"".to_owned()),
    }
}

/// The bucket's own ARN in `partition`.
pub fn bucket_arn(partition: &str, bucket: &str) -> String {
    format!("arn:{partition}:s3:::{bucket}")
}

/// The ARN pattern for every object of the bucket in `partition`.
pub fn objects_arn(partition: &str, bucket: &str) -> String {
    format!("arn:{partition}:s3:::{bucket}/*")
}

/// The AWS partition a region belongs to (`aws`, `aws-cn`, `aws-us-gov`).
pub fn partition_for_region(region: Option<&str>) -> &'static str {
    match region {
        Some(r) if r.starts_with("cn-") => "aws-cn",
        Some(r) if r.starts_with("us-gov-") => "aws-us-gov",
        _ => "aws",
    }
}

// ---------------------------------------------------------------------------------------------
// Statements
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Effect {
    Allow,
    Deny,
}

/// Who a statement applies to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Principals {
    Everyone,
    /// Only these (rendered `Type:value`).
    Listed(Vec<String>),
    /// Everyone except these (`NotPrincipal`).
    AllExcept(Vec<String>),
}

/// An `Action`/`NotAction` or `Resource`/`NotResource` list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Patterns {
    Only(Vec<String>),
    AllExcept(Vec<String>),
}

/// One `operator: { key: values }` condition entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ConditionEntry {
    pub operator: String,
    pub key: String,
    pub values: Vec<String>,
}

impl ConditionEntry {
    fn key_is(&self, name: &str) -> bool {
        self.key.eq_ignore_ascii_case(name)
    }

    fn describe(&self) -> String {
        format!(
            "{} {} {}",
            self.operator,
            self.key,
            self.values.join(" or ")
        )
    }
}

#[derive(Clone, Debug)]
pub(crate) struct Statement {
    pub label: String,
    pub effect: Effect,
    pub principals: Principals,
    pub actions: Patterns,
    pub resources: Patterns,
    pub conditions: Vec<ConditionEntry>,
}

const SECURE_TRANSPORT: &str = "aws:SecureTransport";
const TLS_VERSION: &str = "s3:TlsVersion";

fn label_of(index: usize, raw: &Value) -> String {
    raw.get("Sid")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map_or_else(|| format!("statement #{}", index + 1), str::to_owned)
}

/// A string or an array of strings.
fn string_list(value: &Value) -> Option<Vec<String>> {
    match value {
        Value::String(s) => Some(vec![s.clone()]),
        Value::Array(items) => items
            .iter()
            .map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => None,
    }
}

/// Condition values: strings, booleans or numbers, alone or in an array.
fn condition_values(value: &Value) -> Option<Vec<String>> {
    fn one(v: &Value) -> Option<String> {
        match v {
            Value::String(s) => Some(s.clone()),
            Value::Bool(b) => Some(b.to_string()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }
    match value {
        Value::Array(items) => items.iter().map(one).collect(),
        other => one(other).map(|v| vec![v]),
    }
}

fn parse_principal(value: &Value) -> Option<Vec<String>> {
    match value {
        Value::String(s) => Some(vec![s.clone()]),
        Value::Object(map) => {
            let mut out = Vec::new();
            for (kind, ids) in map {
                for id in string_list(ids)? {
                    out.push(if kind == "AWS" && id == "*" {
                        "*".to_owned()
                    } else {
                        format!("{kind}:{id}")
                    });
                }
            }
            Some(out)
        }
        _ => None,
    }
}

/// Parses one statement; `Err` is the reason it cannot be understood.
pub(crate) fn parse_statement(index: usize, raw: &Value) -> Result<Statement, String> {
    let label = label_of(index, raw);
    let effect = match raw.get("Effect").and_then(Value::as_str) {
        Some("Allow") => Effect::Allow,
        Some("Deny") => Effect::Deny,
        Some(other) => return Err(format!("Effect \"{other}\" is neither Allow nor Deny")),
        None => return Err("it has no Effect".to_owned()),
    };
    let principals = match (raw.get("Principal"), raw.get("NotPrincipal")) {
        (Some(p), None) => {
            let list = parse_principal(p).ok_or("its Principal is not a string or a map")?;
            if list.iter().any(|p| p == "*") {
                Principals::Everyone
            } else {
                Principals::Listed(list)
            }
        }
        (None, Some(p)) => {
            Principals::AllExcept(parse_principal(p).ok_or("its NotPrincipal is not a map")?)
        }
        (Some(_), Some(_)) => return Err("it has both Principal and NotPrincipal".to_owned()),
        (None, None) => return Err("it has no Principal (a bucket policy needs one)".to_owned()),
    };
    let pair = |name: &str, not_name: &str| -> Result<Patterns, String> {
        match (raw.get(name), raw.get(not_name)) {
            (Some(v), None) => string_list(v)
                .map(Patterns::Only)
                .ok_or_else(|| format!("its {name} is not a string or a list of strings")),
            (None, Some(v)) => string_list(v)
                .map(Patterns::AllExcept)
                .ok_or_else(|| format!("its {not_name} is not a string or a list of strings")),
            (Some(_), Some(_)) => Err(format!("it has both {name} and {not_name}")),
            (None, None) => Err(format!("it has no {name}")),
        }
    };
    let actions = pair("Action", "NotAction")?;
    let resources = pair("Resource", "NotResource")?;
    let mut conditions = Vec::new();
    if let Some(block) = raw.get("Condition") {
        let block = block.as_object().ok_or("its Condition is not a map")?;
        for (operator, entries) in block {
            let entries = entries
                .as_object()
                .ok_or_else(|| format!("its Condition operator {operator} does not hold a map"))?;
            for (key, values) in entries {
                let values = condition_values(values).ok_or_else(|| {
                    format!("its Condition {operator} {key} has a value that is not a string")
                })?;
                conditions.push(ConditionEntry {
                    operator: operator.clone(),
                    key: key.clone(),
                    values,
                });
            }
        }
    }
    Ok(Statement {
        label,
        effect,
        principals,
        actions,
        resources,
        conditions,
    })
}

// ---------------------------------------------------------------------------------------------
// Wildcards (`*` any run, `?` one character), as IAM matches Action and Resource
// ---------------------------------------------------------------------------------------------

/// The set of pattern positions reachable after consuming `input`.
fn glob_states(pattern: &[char], input: &str, ignore_case: bool) -> Vec<bool> {
    let len = pattern.len();
    let close = |set: &mut Vec<bool>| {
        for p in 0..len {
            if set[p] && pattern[p] == '*' {
                set[p + 1] = true;
            }
        }
    };
    let mut set = vec![false; len + 1];
    set[0] = true;
    close(&mut set);
    for c in input.chars() {
        let mut next = vec![false; len + 1];
        for p in 0..len {
            if !set[p] {
                continue;
            }
            let pc = pattern[p];
            if pc == '*' {
                next[p] = true;
            } else if pc == '?'
                || pc == c
                || (ignore_case && pc.to_lowercase().eq(c.to_lowercase()))
            {
                next[p + 1] = true;
            }
        }
        close(&mut next);
        set = next;
        if !set.iter().any(|s| *s) {
            break;
        }
    }
    set
}

/// Whether `pattern` matches all of `input`.
pub fn glob_matches(pattern: &str, input: &str, ignore_case: bool) -> bool {
    let chars: Vec<char> = pattern.chars().collect();
    glob_states(&chars, input, ignore_case)
        .last()
        .copied()
        .unwrap_or(false)
}

/// Whether `pattern` matches `prefix` followed by **any** string.
pub fn glob_covers_prefix(pattern: &str, prefix: &str, ignore_case: bool) -> bool {
    let chars: Vec<char> = pattern.chars().collect();
    let set = glob_states(&chars, prefix, ignore_case);
    (0..chars.len()).any(|p| set[p] && chars[p..].iter().all(|c| *c == '*'))
}

/// Whether `pattern` matches `prefix` followed by **some** non-empty string.
pub fn glob_touches_prefix(pattern: &str, prefix: &str, ignore_case: bool) -> bool {
    let chars: Vec<char> = pattern.chars().collect();
    let set = glob_states(&chars, prefix, ignore_case);
    (0..chars.len()).any(|p| set[p])
}

// ---------------------------------------------------------------------------------------------
// Coverage of actions and resources
// ---------------------------------------------------------------------------------------------

/// How much of the S3 action space a statement covers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ActionCoverage {
    All,
    /// Only these patterns (which match some S3 actions).
    Only(Vec<String>),
    /// All but these S3 actions.
    AllBut(Vec<String>),
    /// No S3 action at all.
    NoS3,
}

pub(crate) fn action_coverage(actions: &Patterns) -> ActionCoverage {
    match actions {
        Patterns::Only(list) => {
            if list.iter().any(|a| glob_covers_prefix(a, "s3:", true)) {
                ActionCoverage::All
            } else {
                let s3: Vec<String> = list
                    .iter()
                    .filter(|a| glob_touches_prefix(a, "s3:", true))
                    .cloned()
                    .collect();
                if s3.is_empty() {
                    ActionCoverage::NoS3
                } else {
                    ActionCoverage::Only(s3)
                }
            }
        }
        Patterns::AllExcept(list) => {
            let exempt: Vec<String> = list
                .iter()
                .filter(|a| glob_touches_prefix(a, "s3:", true))
                .cloned()
                .collect();
            if exempt.is_empty() {
                ActionCoverage::All
            } else if list.iter().any(|a| glob_covers_prefix(a, "s3:", true)) {
                ActionCoverage::NoS3
            } else {
                ActionCoverage::AllBut(exempt)
            }
        }
    }
}

/// Whether a statement's resources reach the bucket ARN and every object.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct ResourceCoverage {
    pub bucket: bool,
    /// Every object.
    pub all_objects: bool,
    /// At least some objects.
    pub some_objects: bool,
    /// `NotResource` patterns that exempt part of this bucket.
    pub exempt: Vec<String>,
}

impl ResourceCoverage {
    fn touches_bucket(&self) -> bool {
        self.bucket || self.some_objects
    }
}

pub(crate) fn resource_coverage(resources: &Patterns, bucket: &str) -> ResourceCoverage {
    let hits_bucket = |p: &str| {
        PARTITIONS
            .iter()
            .any(|part| glob_matches(p, &bucket_arn(part, bucket), false))
    };
    let covers_objects = |p: &str| {
        PARTITIONS
            .iter()
            .any(|part| glob_covers_prefix(p, &format!("{}/", bucket_arn(part, bucket)), false))
    };
    let touches_objects = |p: &str| {
        PARTITIONS
            .iter()
            .any(|part| glob_touches_prefix(p, &format!("{}/", bucket_arn(part, bucket)), false))
    };
    match resources {
        Patterns::Only(list) => ResourceCoverage {
            bucket: list.iter().any(|p| hits_bucket(p)),
            all_objects: list.iter().any(|p| covers_objects(p)),
            some_objects: list.iter().any(|p| touches_objects(p)),
            exempt: Vec::new(),
        },
        Patterns::AllExcept(list) => {
            let exempt: Vec<String> = list
                .iter()
                .filter(|p| hits_bucket(p) || touches_objects(p))
                .cloned()
                .collect();
            ResourceCoverage {
                bucket: !list.iter().any(|p| hits_bucket(p)),
                all_objects: !list.iter().any(|p| touches_objects(p)),
                some_objects: !list.iter().any(|p| covers_objects(p)),
                exempt,
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Conditions, three-valued
// ---------------------------------------------------------------------------------------------

/// Whether a condition holds for every request of a kind, for none, or depends on something
/// the analysis does not know.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tri {
    True,
    False,
    Unknown,
}

/// What the analysis knows about one condition key in a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Known {
    /// Not in the request context.
    Absent,
    /// Present with this single value.
    Value(String),
    /// Could be anything, or absent.
    Unknown,
}

/// Operators that are true when their key is absent (IAM's negated operators).
fn negated(base: &str) -> bool {
    matches!(
        base,
        "StringNotEquals"
            | "StringNotEqualsIgnoreCase"
            | "StringNotLike"
            | "NumericNotEquals"
            | "DateNotEquals"
            | "ArnNotEquals"
            | "ArnNotLike"
            | "NotIpAddress"
    )
}

/// Evaluates one entry given what is known of its key.
pub(crate) fn eval_entry(entry: &ConditionEntry, known: &Known) -> Tri {
    let op = entry.operator.as_str();
    if op.contains(':') {
        // ForAnyValue: / ForAllValues: set operators on multi-valued keys.
        return Tri::Unknown;
    }
    let (base, if_exists) = match op.strip_suffix("IfExists") {
        Some(base) => (base, true),
        None => (op, false),
    };
    let tri = |b: bool| if b { Tri::True } else { Tri::False };
    if base == "Null" {
        let wants_absent = entry.values.iter().any(|v| v.eq_ignore_ascii_case("true"));
        let wants_present = entry.values.iter().any(|v| v.eq_ignore_ascii_case("false"));
        return match known {
            Known::Absent => tri(wants_absent),
            Known::Value(_) => tri(wants_present),
            Known::Unknown => Tri::Unknown,
        };
    }
    let value = match known {
        Known::Unknown => return Tri::Unknown,
        Known::Absent => return tri(if_exists || negated(base)),
        Known::Value(v) => v,
    };
    let values = &entry.values;
    let num = |s: &str| s.trim().parse::<f64>().ok();
    let numeric = |cmp: fn(f64, f64) -> bool| -> Tri {
        match num(value) {
            Some(v) => {
                let parsed: Option<Vec<f64>> = values.iter().map(|x| num(x)).collect();
                match parsed {
                    Some(list) => tri(list.iter().any(|x| cmp(v, *x))),
                    None => Tri::Unknown,
                }
            }
            None => Tri::Unknown,
        }
    };
    match base {
        "Bool" => tri(values.iter().any(|x| x.eq_ignore_ascii_case(value))),
        "StringEquals" | "ArnEquals" => tri(values.iter().any(|x| x == value)),
        "StringNotEquals" | "ArnNotEquals" => tri(!values.iter().any(|x| x == value)),
        "StringEqualsIgnoreCase" => tri(values.iter().any(|x| x.eq_ignore_ascii_case(value))),
        "StringNotEqualsIgnoreCase" => tri(!values.iter().any(|x| x.eq_ignore_ascii_case(value))),
        "StringLike" | "ArnLike" => tri(values.iter().any(|x| glob_matches(x, value, false))),
        "StringNotLike" | "ArnNotLike" => {
            tri(!values.iter().any(|x| glob_matches(x, value, false)))
        }
        "NumericEquals" => numeric(|a, b| (a - b).abs() < 1e-9),
        "NumericNotEquals" => match numeric(|a, b| (a - b).abs() < 1e-9) {
            Tri::True => Tri::False,
            Tri::False => Tri::True,
            Tri::Unknown => Tri::Unknown,
        },
        "NumericLessThan" => numeric(|a, b| a < b - 1e-9),
        "NumericLessThanEquals" => numeric(|a, b| a <= b + 1e-9),
        "NumericGreaterThan" => numeric(|a, b| a > b + 1e-9),
        "NumericGreaterThanEquals" => numeric(|a, b| a >= b - 1e-9),
        _ => Tri::Unknown,
    }
}

/// AND of every entry: the statement's condition block for one request.
pub(crate) fn eval_conditions(entries: &[ConditionEntry], know: &dyn Fn(&str) -> Known) -> Tri {
    let mut result = Tri::True;
    for entry in entries {
        match eval_entry(entry, &know(&entry.key)) {
            Tri::False => return Tri::False,
            Tri::Unknown => result = Tri::Unknown,
            Tri::True => {}
        }
    }
    result
}

/// A plain-HTTP request: `aws:SecureTransport` false, no `s3:TlsVersion`.
fn plain_http(key: &str) -> Known {
    if key.eq_ignore_ascii_case(SECURE_TRANSPORT) {
        Known::Value("false".to_owned())
    } else if key.eq_ignore_ascii_case(TLS_VERSION) {
        Known::Absent
    } else {
        Known::Unknown
    }
}

/// A TLS request negotiated at `version`.
fn tls_at(version: &str) -> impl Fn(&str) -> Known + '_ {
    move |key: &str| {
        if key.eq_ignore_ascii_case(SECURE_TRANSPORT) {
            Known::Value("true".to_owned())
        } else if key.eq_ignore_ascii_case(TLS_VERSION) {
            Known::Value(version.to_owned())
        } else {
            Known::Unknown
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The analysis
// ---------------------------------------------------------------------------------------------

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
