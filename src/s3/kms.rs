//! KMS keys and aliases, for the key pickers of the CLI and the window.

use std::collections::BTreeMap;

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
