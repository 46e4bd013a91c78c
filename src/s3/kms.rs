//! KMS keys and aliases, for the key pickers of the CLI and the window.

use std::collections::BTreeMap;

use serde::Serialize;

use super::connection::Connection;
use super::errors::from_sdk;
use crate::error::Result;

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
