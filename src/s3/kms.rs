//! KMS keys and aliases, for the key pickers of the CLI and the window.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::connection::Connection;
use super::errors::from_sdk;
use crate::error::{Error, Result};

/// A KMS key the credentials can list, with its aliases.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct KmsKeyChoice {
    pub key_id: String,
    pub arn: Option<String>,
    pub aliases: Vec<String>,
}

impl KmsKeyChoice {
    /// What a picker shows: the first alias, else the key id.
    pub fn label(&self) -> &str {
        self.aliases.first().map_or(&self.key_id, String::as_str)
    }
}

/// The part of a KMS ARN after `key/` or `alias/` (aliases keep their `alias/` prefix).
pub fn short_kms(id: &str) -> &str {
    if let Some(i) = id.find(":alias/") {
        return &id[i + 1..];
    }
    id.rsplit_once(":key/").map_or(id, |(_, tail)| tail)
}

/// KMS key ids and ARNs to the names people know them by (their first alias, `alias/aws/s3`
/// for the AWS managed key), from ListKeys and ListAliases: one lookup for every place a key
/// is shown, in the window and on the command line.
#[derive(Clone, Debug, Default)]
pub struct KmsNames {
    names: HashMap<String, String>,
}

impl KmsNames {
    pub fn new(keys: &[KmsKeyChoice]) -> Self {
        let mut names = HashMap::new();
        for key in keys {
            let Some(alias) = key.aliases.first() else {
                continue;
            };
            names.insert(key.key_id.clone(), alias.clone());
            if let Some(arn) = &key.arn {
                names.insert(arn.clone(), alias.clone());
            }
        }
        Self { names }
    }

    /// The names of the keys these credentials can list (ListKeys, ListAliases).
    pub async fn list(conn: &Connection) -> Result<Self> {
        Ok(Self::new(&list_kms_keys(conn).await?))
    }

    /// The alias of `id` (a key id or ARN), when one is known.
    pub fn alias_of(&self, id: &str) -> Option<&str> {
        self.names
            .get(id)
            .or_else(|| self.names.get(short_kms(id)))
            .map(String::as_str)
    }

    /// The alias of `id` (a key id or ARN), else its short id.
    pub fn name_of<'a>(&'a self, id: &'a str) -> &'a str {
        self.alias_of(id).unwrap_or_else(|| short_kms(id))
    }

    /// An audit or report label (`sse-kms:ARN`, `dsse-kms:ID+bucket-key`, `client:kms:ARN`)
    /// with its KMS key named as [`KmsNames::name_of`] does; any other label as it is.
    pub fn relabel(&self, label: &str) -> String {
        const BUCKET_KEY: &str = "+bucket-key";
        let (body, suffix) = label
            .strip_suffix(BUCKET_KEY)
            .map_or((label, ""), |body| (body, BUCKET_KEY));
        for prefix in ["sse-kms:", "dsse-kms:", "client:kms:"] {
            if let Some(id) = body.strip_prefix(prefix) {
                return format!("{prefix}{}{suffix}", self.name_of(id));
            }
        }
        label.to_owned()
    }
}

/// Lists keys (ListKeys) and joins their aliases (ListAliases). AWS-managed aliases such as
/// `alias/aws/s3` are included: they are valid choices for SSE-KMS.
pub async fn list_kms_keys(conn: &Connection) -> Result<Vec<KmsKeyChoice>> {
    let mut keys: BTreeMap<String, KmsKeyChoice> = BTreeMap::new();
    let mut pages = conn.kms().list_keys().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| from_sdk("ListKeys", e))?;
        for key in page.keys() {
            if let Some(id) = key.key_id() {
                keys.insert(
                    id.to_owned(),
                    KmsKeyChoice {
                        key_id: id.to_owned(),
                        arn: key.key_arn().map(str::to_owned),
                        aliases: Vec::new(),
                    },
                );
            }
        }
    }
    let mut pages = conn.kms().list_aliases().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| from_sdk("ListAliases", e))?;
        for alias in page.aliases() {
            if let (Some(name), Some(target)) = (alias.alias_name(), alias.target_key_id())
                && let Some(choice) = keys.get_mut(target)
            {
                choice.aliases.push(name.to_owned());
            }
        }
    }
    let mut out: Vec<KmsKeyChoice> = keys.into_values().collect();
    for choice in &mut out {
        choice.aliases.sort();
    }
    out.sort_by(|a, b| a.label().cmp(b.label()));
    Ok(out)
}

/// The full ARN of a KMS key given by id, alias (`alias/NAME`) or ARN (KMS DescribeKey): what
/// APIs that take no alias (UpdateObjectEncryption) need, and a check that the key exists.
pub async fn key_arn(conn: &Connection, key_id: &str) -> Result<String> {
    let out = conn
        .kms()
        .describe_key()
        .key_id(key_id)
        .send()
        .await
        .map_err(|e| naming_key(key_id, from_sdk("KMS DescribeKey", e)))?;
    out.key_metadata()
        .and_then(|m| m.arn())
        .map(str::to_owned)
        .ok_or_else(|| Error::KmsKey {
            key: Some(key_id.to_owned()),
            code: "NoArn".to_owned(),
            message: "KMS described the key without its ARN".to_owned(),
        })
}

/// A KMS key error that names the key it was about.
pub(crate) fn naming_key(key_id: &str, err: Error) -> Error {
    match err {
        Error::KmsKey { code, message, .. } => Error::KmsKey {
            key: Some(key_id.to_owned()),
            code,
            message,
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> KmsNames {
        KmsNames::new(&[
            KmsKeyChoice {
                key_id: "k1".into(),
                arn: Some("arn:aws:kms:r:1:key/k1".into()),
                aliases: vec!["alias/app".into(), "alias/zz-second".into()],
            },
            KmsKeyChoice {
                key_id: "k2".into(),
                arn: Some("arn:aws:kms:r:1:key/k2".into()),
                aliases: Vec::new(),
            },
        ])
    }

    #[test]
    fn keys_are_named_by_their_first_alias_else_their_id() {
        let n = names();
        assert_eq!(n.name_of("arn:aws:kms:r:1:key/k1"), "alias/app");
        assert_eq!(n.name_of("k1"), "alias/app");
        assert_eq!(n.alias_of("arn:aws:kms:r:1:key/k2"), None);
        assert_eq!(n.name_of("arn:aws:kms:r:1:key/k2"), "k2");
        // Another account's key: no alias can be known, the id stays readable.
        assert_eq!(n.name_of("arn:aws:kms:r:2:key/k9"), "k9");
    }

    #[test]
    fn labels_name_their_key_by_alias() {
        let n = names();
        assert_eq!(
            n.relabel("sse-kms:arn:aws:kms:r:1:key/k1"),
            "sse-kms:alias/app"
        );
        assert_eq!(
            n.relabel("dsse-kms:k1+bucket-key"),
            "dsse-kms:alias/app+bucket-key"
        );
        assert_eq!(
            n.relabel("client:kms:arn:aws:kms:r:1:key/k1"),
            "client:kms:alias/app"
        );
        assert_eq!(n.relabel("sse-c:board"), "sse-c:board");
        assert_eq!(n.relabel("sse-s3"), "sse-s3");
    }
}
