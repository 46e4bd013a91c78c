//! The object commands that read: `ls`, `info`, `mb`, `kms`; and how the CLI opens the local
//! key store (lazily: commands that need no key work without a Secret Service).

use futures::StreamExt as _;
use serde::Serialize;

use super::kms_names::kms_names;
use super::output::{encryption_label, human_size, print_json, print_table};
use super::{Command, GlobalArgs, ReadKeyArgs};
use crate::error::{Error, Result};
use crate::s3::in_flight::{Concurrency, InFlight};
use crate::s3::inspect::{self, KeyStatus, ObjectInfo};
use crate::s3::kms::KmsNames;
use crate::s3::{
    Connection, EncryptionMode, KeyAccess, ReadKeys, ReadOptions, S3Uri, inspect_fully, kms,
    listing,
};

pub(super) async fn run(global: &GlobalArgs, command: Command) -> Result<()> {
    let conn = Connection::connect(&global.connect_options()).await?;
    let keys = local_keys();
    match command {
        Command::Ls { uri: None, json } => ls_buckets(&conn, json).await,
        Command::Ls {
            uri: Some(uri),
            json,
        } => ls_objects(&conn, &keys, &uri.parse()?, json).await,
        Command::Info { uri, read, json } => {
            info(&conn, &keys, &uri.parse()?, &read_options(&read)?, json).await
        }
        Command::Mb { uri } => {
            let uri: S3Uri = uri.parse()?;
            listing::make_bucket(&conn, &uri.bucket).await?;
            if !global.quiet {
                println!("make_bucket: {}", uri.bucket);
            }
            Ok(())
        }
        Command::Kms { json } => kms_list(&conn, json).await,
        _ => super::transfer_cmd::run(global, &conn, &keys, command).await,
    }
}

/// The local key store over the platform's OS keyring, opened only when a command needs a key.
pub(super) fn local_keys() -> KeyAccess {
    KeyAccess::platform(None)
}

/// What `--key`, `--kms-key`, `--context` and `--require-commitment` allow a read to use.
pub(super) fn read_options(read: &ReadKeyArgs) -> Result<ReadOptions> {
    Ok(ReadOptions {
        keys: match &read.key {
            Some(name) => ReadKeys::Named(name.clone()),
            None => ReadKeys::AtHome,
        },
        trusted_kms: read.kms_key.clone(),
        expected_context: super::write_mode::context(&read.context)?,
        require_commitment: read.require_commitment,
    })
}

async fn ls_buckets(conn: &Connection, json: bool) -> Result<()> {
    let buckets = listing::list_buckets(conn).await?;
    if json {
        return print_json(&buckets);
    }
    let rows = buckets
        .iter()
        .map(|b| vec![b.created.clone().unwrap_or_default(), b.name.clone()])
        .collect::<Vec<_>>();
    print_table(&rows);
    Ok(())
}

#[derive(Serialize)]
struct LsRow {
    key: String,
    size: u64,
    last_modified: Option<String>,
    mode: Option<EncryptionMode>,
    kms_key_id: Option<String>,
    /// The KMS key's alias, when the credentials could list it.
    #[serde(skip_serializing_if = "Option::is_none")]
    kms_key_alias: Option<String>,
    matching_key: Option<String>,
    key_status: Option<KeyStatus>,
    error: Option<String>,
}

#[derive(Serialize)]
struct LsJson {
    prefixes: Vec<String>,
    objects: Vec<LsRow>,
}

async fn ls_objects(conn: &Connection, keys: &KeyAccess, uri: &S3Uri, json: bool) -> Result<()> {
    let mut pages = std::pin::pin!(listing::list_objects(
        conn,
        &uri.bucket,
        &uri.key,
        Some("/"),
        None
    ));
    let mut all = LsJson {
        prefixes: Vec::new(),
        objects: Vec::new(),
    };
    let window = InFlight::new(Concurrency::Adaptive, conn.throttles().clone());
    // Asked for on the first page that shows a KMS key, then kept.
    let mut names: Option<KmsNames> = None;
    while let Some(page) = pages.next().await {
        let page = page?;
        let heads = futures::stream::iter(page.objects.iter())
            .map(|o| {
                let object_uri = S3Uri::new(&uri.bucket, &o.key);
                window.run(async move {
                    let resolved =
                        inspect::resolve(conn, keys, &object_uri, &ReadKeys::AtHome).await?;
                    Ok::<_, Error>(inspect::object_info(&object_uri, &resolved))
                })
            })
            .buffered(window.max())
            .collect::<Vec<_>>()
            .await;
        let mut rows: Vec<LsRow> = page
            .objects
            .iter()
            .zip(heads)
            .map(|(o, head)| ls_row(o, head))
            .collect();
        let ids = rows.iter().filter_map(|r| r.kms_key_id.as_deref());
        if names.is_none() && ids.clone().next().is_some() {
            names = Some(kms_names(conn, ids).await);
        }
        let names = names.clone().unwrap_or_default();
        for row in &mut rows {
            row.kms_key_alias = row
                .kms_key_id
                .as_deref()
                .and_then(|id| names.alias_of(id))
                .map(str::to_owned);
        }
        if json {
            all.prefixes.extend(page.prefixes);
            all.objects.extend(rows);
        } else {
            let mut table: Vec<Vec<String>> = page
                .prefixes
                .iter()
                .map(|p| vec![String::new(), "PRE".to_owned(), String::new(), p.clone()])
                .collect();
            table.extend(rows.iter().map(|r| {
                vec![
                    r.last_modified.clone().unwrap_or_default(),
                    human_size(r.size),
                    r.error.clone().unwrap_or_else(|| {
                        encryption_label(
                            r.mode,
                            r.kms_key_id.as_deref(),
                            r.matching_key.as_deref(),
                            r.key_status,
                            &names,
                        )
                    }),
                    r.key.clone(),
                ]
            }));
            print_table(&table);
        }
    }
    if json {
        print_json(&all)?;
    }
    Ok(())
}

fn ls_row(o: &listing::ObjectEntry, head: Result<ObjectInfo>) -> LsRow {
    let (mode, kms_key_id, matching_key, key_status, error) = match head {
        Ok(info) => (
            Some(info.mode),
            info.kms_key_id,
            info.matching_key,
            info.key_status,
            None,
        ),
        Err(err) => (None, None, None, None, Some(format!("? ({err})"))),
    };
    LsRow {
        key: o.key.clone(),
        size: o.size,
        last_modified: o.last_modified.clone(),
        mode,
        kms_key_id,
        kms_key_alias: None,
        matching_key,
        key_status,
        error,
    }
}

async fn info(
    conn: &Connection,
    keys: &KeyAccess,
    uri: &S3Uri,
    read: &ReadOptions,
    json: bool,
) -> Result<()> {
    let info = inspect_fully(conn, keys, uri, read).await?;
    let names = kms_names(conn, info.kms_key_id.as_deref()).await;
    if json {
        return print_json(&InfoJson {
            kms_key_alias: info.kms_key_id.as_deref().and_then(|id| names.alias_of(id)),
            info: &info,
        });
    }
    print_info(uri, &info, &names);
    Ok(())
}

/// `info --json`: what was found, and the KMS key's alias beside its ARN.
#[derive(Serialize)]
struct InfoJson<'a> {
    #[serde(flatten)]
    info: &'a ObjectInfo,
    #[serde(skip_serializing_if = "Option::is_none")]
    kms_key_alias: Option<&'a str>,
}

fn print_info(uri: &S3Uri, info: &ObjectInfo, names: &KmsNames) {
    let mut rows = vec![
        vec!["object".to_owned(), uri.to_string()],
        vec![
            "encryption".to_owned(),
            encryption_label(
                Some(info.mode),
                info.kms_key_id.as_deref(),
                info.matching_key.as_deref(),
                info.key_status,
                names,
            ),
        ],
    ];
    let mut push = |name: &str, value: Option<String>| {
        if let Some(value) = value {
            rows.push(vec![name.to_owned(), value]);
        }
    };
    if let Some(client) = &info.client {
        push("server side", Some(info.server_side_mode.to_string()));
        push("client format", Some(client.format.label().to_lowercase()));
        push(
            "key commitment",
            Some(
                if client.committing {
                    "yes"
                } else {
                    "no (V2: the format does not bind the data key to the content)"
                }
                .to_owned(),
            ),
        );
        push("client wrap", Some(client.wrap.v2_name().to_owned()));
        push(
            "envelope in",
            Some(
                match client.location {
                    crate::s3::client_envelope::EnvelopeLocation::Metadata => "metadata",
                    crate::s3::client_envelope::EnvelopeLocation::InstructionFile => {
                        "instruction file"
                    }
                }
                .to_owned(),
            ),
        );
        push(
            "kms context",
            client.kms_context.as_ref().map(|c| {
                c.iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            }),
        );
    }
    // The alias a person knows, then the ARN S3 reported.
    push(
        "kms key",
        info.kms_key_id
            .as_deref()
            .map(|id| match names.alias_of(id) {
                Some(alias) => format!("{alias} ({id})"),
                None => id.to_owned(),
            }),
    );
    push("bucket key", info.bucket_key_enabled.map(|b| b.to_string()));
    push("sse-c algorithm", info.sse_c_algorithm.clone());
    push("sse-c key md5", info.sse_c_key_md5.clone());
    if let Some(status) = info.key_status {
        push(
            "local key",
            Some(match (status, &info.matching_key) {
                (KeyStatus::Fits, Some(name)) => name.clone(),
                (KeyStatus::Fits, None) | (KeyStatus::NoneFits, _) => {
                    "none of the local keys fits".to_owned()
                }
                (KeyStatus::NotHome, _) => "not known here: no local key has this bucket among its homes, so none was sent (name one with --key)".to_owned(),
                (KeyStatus::Unavailable, _) => "local keys unavailable".to_owned(),
                (KeyStatus::NotTried, _) => "not tried (SSE-C is never sent over plain HTTP)".to_owned(),
            }),
        );
    }
    push(
        "size",
        info.size.map(|s| format!("{} ({s} bytes)", human_size(s))),
    );
    push("modified", info.last_modified.clone());
    push("content type", info.content_type.clone());
    push("etag", info.etag.clone());
    push("checksum", info.checksum.clone());
    print_table(&rows);
}

async fn kms_list(conn: &Connection, json: bool) -> Result<()> {
    let keys = kms::list_kms_keys(conn).await?;
    if json {
        return print_json(&keys);
    }
    let rows = keys
        .iter()
        .map(|k| vec![k.key_id.clone(), k.aliases.join(", ")])
        .collect::<Vec<_>>();
    print_table(&rows);
    Ok(())
}
