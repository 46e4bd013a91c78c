//! Condition entries evaluated three-valued (true, false, unknown) against an abstract
//! request: plain HTTP, or TLS at a given version.

use super::ConditionEntry;
use super::glob::glob_matches;
use super::statement::{SECURE_TRANSPORT, TLS_VERSION};

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
pub(super) fn plain_http(key: &str) -> Known {
    if key.eq_ignore_ascii_case(SECURE_TRANSPORT) {
        Known::Value("false".to_owned())
    } else if key.eq_ignore_ascii_case(TLS_VERSION) {
        Known::Absent
    } else {
        Known::Unknown
    }
}

/// A TLS request negotiated at `version`.
pub(super) fn tls_at(version: &str) -> impl Fn(&str) -> Known + '_ {
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
