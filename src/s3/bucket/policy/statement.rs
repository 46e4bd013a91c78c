//! One policy statement, parsed into what the analysis needs: effect, principals, actions,
//! resources and condition entries, with `Not*` forms kept as "all except".

use serde_json::Value;

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
    pub(super) fn key_is(&self, name: &str) -> bool {
        self.key.eq_ignore_ascii_case(name)
    }

    pub(super) fn describe(&self) -> String {
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

pub(super) const SECURE_TRANSPORT: &str = "aws:SecureTransport";
pub(super) const TLS_VERSION: &str = "s3:TlsVersion";

pub(super) fn label_of(index: usize, raw: &Value) -> String {
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
