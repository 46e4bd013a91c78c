//! Plain-text tables, JSON, sizes and encryption labels for the command line.

use serde::Serialize;

use crate::error::{Error, Result};
use crate::s3::EncryptionMode;
use crate::s3::inspect::KeyStatus;
use crate::s3::kms::KmsNames;

/// Prints `value` as pretty JSON on standard output.
pub fn print_json<T: Serialize + ?Sized>(value: &T) -> Result<()> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| Error::Internal(format!("cannot encode JSON: {e}")))?;
    println!("{text}");
    Ok(())
}

/// Prints rows as left-aligned columns separated by two spaces; the last column is not padded.
pub fn print_table(rows: &[Vec<String>]) {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in rows {
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            if c + 1 == row.len() {
                line.push_str(cell);
            } else {
                let pad = widths[c].saturating_sub(cell.chars().count());
                line.push_str(cell);
                line.push_str(&" ".repeat(pad + 2));
            }
        }
        println!("{}", line.trim_end());
    }
}

pub use crate::units::human_size;

/// The encryption column: mode plus the KMS key or local key name (or why none is known).
pub fn encryption_label(
    mode: Option<EncryptionMode>,
    kms_key: Option<&str>,
    local_key: Option<&str>,
    status: Option<KeyStatus>,
    names: &KmsNames,
) -> String {
    match mode {
        None => "?".to_owned(),
        Some(EncryptionMode::SseKms | EncryptionMode::DsseKms) => match kms_key {
            Some(key) => format!(
                "{} ({})",
                mode.map_or("", |m| m.as_str()),
                names.name_of(key)
            ),
            None => mode.map_or(String::new(), |m| m.as_str().to_owned()),
        },
        Some(EncryptionMode::SseC) => format!(
            "sse-c ({})",
            match (local_key, status) {
                (Some(name), _) => name,
                (None, Some(KeyStatus::NotHome)) => "key not known here",
                (None, Some(KeyStatus::Unavailable)) => "local keys unavailable",
                (None, Some(KeyStatus::NotTried)) => "key not sent over HTTP",
                (None, _) => "unknown key",
            }
        ),
        Some(m) => m.as_str().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels() {
        let none = KmsNames::default();
        assert_eq!(
            encryption_label(Some(EncryptionMode::SseC), None, Some("k1"), None, &none),
            "sse-c (k1)"
        );
        assert_eq!(
            encryption_label(Some(EncryptionMode::SseC), None, None, None, &none),
            "sse-c (unknown key)"
        );
        assert_eq!(
            encryption_label(
                Some(EncryptionMode::SseC),
                None,
                None,
                Some(KeyStatus::NotHome),
                &none
            ),
            "sse-c (key not known here)"
        );
        assert_eq!(
            encryption_label(
                Some(EncryptionMode::SseKms),
                Some("arn:aws:kms:us-east-1:1:key/abc"),
                None,
                None,
                &none
            ),
            "sse-kms (abc)"
        );
        let named = KmsNames::new(&[crate::s3::kms::KmsKeyChoice {
            key_id: "abc".into(),
            arn: Some("arn:aws:kms:us-east-1:1:key/abc".into()),
            aliases: vec!["alias/finance".into()],
        }]);
        assert_eq!(
            encryption_label(
                Some(EncryptionMode::SseKms),
                Some("arn:aws:kms:us-east-1:1:key/abc"),
                None,
                None,
                &named
            ),
            "sse-kms (alias/finance)"
        );
        assert_eq!(
            encryption_label(Some(EncryptionMode::None), None, None, None, &none),
            "none"
        );
    }
}
