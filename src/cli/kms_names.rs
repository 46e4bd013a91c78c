//! KMS keys by alias in the command line's output: the aliases are looked up once (ListKeys,
//! ListAliases) when what is printed names a KMS key at all, and keys stay shown by id when
//! the lookup is refused (no kms:ListAliases, a store without KMS).

use crate::s3::Connection;
use crate::s3::kms::KmsNames;

/// The names for `ids`: listed when there is at least one, else none are asked for.
pub async fn kms_names<'a>(conn: &Connection, ids: impl IntoIterator<Item = &'a str>) -> KmsNames {
    if ids.into_iter().next().is_none() {
        return KmsNames::default();
    }
    match KmsNames::list(conn).await {
        Ok(names) => names,
        Err(err) => {
            tracing::info!(error = %err, "KMS aliases could not be listed; keys are shown by id");
            KmsNames::default()
        }
    }
}
