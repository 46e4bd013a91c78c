//! The object commands: `ls`, `info`, `put`, `get`, `rekey`, `mb`, `kms`.

use futures::StreamExt as _;
use serde::Serialize;

use super::output::{encryption_label, human_size, print_json, print_table};
use super::progress_bar::{ProgressBarTask, cancel_on_ctrl_c};
use super::write_mode::write_mode;
use super::{Command, EncryptionArgs, GlobalArgs};
use crate::error::{Error, Result};
use crate::keys::{KeyManager, KeyringStore};
use crate::progress::{CancellationToken, Progress};
use crate::s3::EncryptionMode;
use crate::s3::client_envelope::EnvelopeLocation;
use crate::s3::inspect::{self, ObjectInfo, local_sse_c_keys};
use crate::s3::{Connection, S3Uri, kms, listing};
use crate::transfer::write_mode::{WriteMode, sse_c_key};
use crate::transfer::{self, CopyTuning};

/// HEAD requests in flight at once when `ls` fills the encryption column.
const LS_HEAD_CONCURRENCY: usize = 16;

pub(super) async fn run(global: &GlobalArgs, command: Command) -> Result<()> {
    let conn = Connection::connect(&global.connect_options()).await?;
    match command {
        Command::Ls { uri: None, json } => ls_buckets(&conn, json).await,
        Command::Ls {
            uri: Some(uri),
            json,
        } => ls_objects(&conn, &uri.parse()?, json).await,
        Command::Info { uri, read, json } => info(&conn, &uri.parse()?, read.key, json).await,
        Command::Put {
            file,
            uri,
            enc,
            dry_run,
            tree,
        } if tree.recursive => {
            super::tree_cmd::put(global, &conn, &file, &uri.parse()?, &enc, &tree, dry_run).await
        }
        Command::Put {
            file,
            uri,
            enc,
            dry_run,
            tree,
        } => {
            super::tree_cmd::single_file(&tree, &file, "upload")?;
            if dry_run {
                super::bucket_cmd::put_dry_run(&conn, &file, &uri.parse()?, &enc).await
            } else {
                put(global, &conn, &file, &uri.parse()?, &enc).await
            }
        }
        Command::Get {
            uri,
            file,
            read,
            tree,
        } if tree.recursive => {
            super::tree_cmd::get(global, &conn, &uri.parse()?, &file, &read, &tree).await
        }
        Command::Get {
            uri,
            file,
            read,
            tree,
        } => {
            super::tree_cmd::single_object(&tree, &uri)?;
            get(global, &conn, &uri.parse()?, &file, read.key).await
        }
        Command::Rekey {
            uri,
            enc,
            source_key,
            ..
        } => rekey(global, &conn, &uri.parse()?, &enc, source_key).await,
        Command::Mb { uri } => {
            let uri: S3Uri = uri.parse()?;
            listing::make_bucket(&conn, &uri.bucket).await?;
            if !global.quiet {
                println!("make_bucket: {}", uri.bucket);
            }
            Ok(())
        }
        Command::Kms { json } => kms_list(&conn, json).await,
        Command::Keys { .. }
        | Command::Open { .. }
        | Command::Bucket { .. }
        | Command::Audit { .. } => Err(Error::Internal(
            "a command was dispatched to the wrong handler".to_owned(),
        )),
    }
}

/// The key manager over the platform's OS keyring.
pub(super) fn key_manager() -> Result<KeyManager> {
    KeyringStore::use_platform_store()?;
    Ok(KeyManager::new(
        KeyManager::default_config_dir()?,
        std::sync::Arc::new(KeyringStore::new("s3seal")),
    ))
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
    mode: Option<crate::s3::EncryptionMode>,
    kms_key_id: Option<String>,
    matching_key: Option<String>,
    error: Option<String>,
}

#[derive(Serialize)]
struct LsJson {
    prefixes: Vec<String>,
    objects: Vec<LsRow>,
}

async fn ls_objects(conn: &Connection, uri: &S3Uri, json: bool) -> Result<()> {
    let keys = key_manager()?;
    let candidates = local_sse_c_keys(&keys).await.unwrap_or_else(|err| {
        tracing::warn!(error = %err, "local SSE-C keys unavailable; SSE-C objects show as unknown");
        Vec::new()
    });
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
    while let Some(page) = pages.next().await {
        let page = page?;
        let heads = futures::stream::iter(page.objects.iter())
            .map(|o| {
                let object_uri = S3Uri::new(&uri.bucket, &o.key);
                let candidates = &candidates;
                async move { inspect::inspect(conn, candidates, &object_uri, None).await }
            })
            .buffered(LS_HEAD_CONCURRENCY)
            .collect::<Vec<_>>()
            .await;
        let rows: Vec<LsRow> = page
            .objects
            .iter()
            .zip(heads)
            .map(|(o, head)| ls_row(o, head))
            .collect();
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
                        encryption_label(r.mode, r.kms_key_id.as_deref(), r.matching_key.as_deref())
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
    let (mode, kms_key_id, matching_key, error) = match head {
        Ok(info) => (Some(info.mode), info.kms_key_id, info.matching_key, None),
        Err(err) => (None, None, None, Some(format!("? ({err})"))),
    };
    LsRow {
        key: o.key.clone(),
        size: o.size,
        last_modified: o.last_modified.clone(),
        mode,
        kms_key_id,
        matching_key,
        error,
    }
}

async fn info(conn: &Connection, uri: &S3Uri, key: Option<String>, json: bool) -> Result<()> {
    uri.require_object()?;
    let keys = key_manager()?;
    let given = match key {
        Some(name) => {
            conn.ensure_sse_c_allowed()?;
            Some(sse_c_key(&keys, name).await?)
        }
        None => None,
    };
    let mut info = match given {
        Some(key) => inspect::inspect(conn, &[], uri, Some(key)).await?,
        None => {
            let resolved = inspect::resolve_lazily(conn, uri, || local_sse_c_keys(&keys)).await?;
            inspect::object_info(uri, &resolved)
        }
    };
    if info.sse_c_algorithm.is_none() || info.matching_key.is_some() {
        crate::s3::client_envelope::describe_client_side(conn, &keys, uri, &mut info).await?;
    }
    if json {
        return print_json(&info);
    }
    print_info(uri, &info);
    Ok(())
}

fn print_info(uri: &S3Uri, info: &ObjectInfo) {
    let mut rows = vec![
        vec!["object".to_owned(), uri.to_string()],
        vec![
            "encryption".to_owned(),
            encryption_label(
                Some(info.mode),
                info.kms_key_id.as_deref(),
                info.matching_key.as_deref(),
            ),
        ],
    ];
    let mut push = |name: &str, value: Option<String>| {
        if let Some(value) = value {
            rows.push(vec![name.to_owned(), value]);
        }
    };
    if info.mode == EncryptionMode::Client {
        push("server side", Some(info.server_side_mode.to_string()));
        push("client format", info.client_format.clone());
        push("client wrap", info.client_wrap.clone());
        push(
            "envelope in",
            info.client_envelope
                .map(|l| format!("{l:?}").to_lowercase()),
        );
        push(
            "kms context",
            info.client_kms_context.as_ref().map(|c| format!("{c:?}")),
        );
    }
    push("kms key", info.kms_key_id.clone());
    push("bucket key", info.bucket_key_enabled.map(|b| b.to_string()));
    push("sse-c algorithm", info.sse_c_algorithm.clone());
    push("sse-c key md5", info.sse_c_key_md5.clone());
    if matches!(info.mode, EncryptionMode::SseC | EncryptionMode::Client)
        && info.client_wrap.as_deref() != Some("kms+context")
    {
        push(
            "local key",
            Some(
                info.matching_key
                    .clone()
                    .unwrap_or_else(|| "none of the local keys fits".to_owned()),
            ),
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

async fn put(
    global: &GlobalArgs,
    conn: &Connection,
    file: &std::path::Path,
    uri: &S3Uri,
    enc: &EncryptionArgs,
) -> Result<()> {
    let mut dest = uri.clone();
    if dest.key.is_empty() || dest.key.ends_with('/') {
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        dest.key.push_str(&name);
    }
    let mode = write_mode(conn, enc).await?;
    let progress = Progress::new();
    let cancel = CancellationToken::new();
    let _ctrl_c = cancel_on_ctrl_c(&cancel);
    let bar = ProgressBarTask::start(&progress, global.quiet, "upload");
    let outcome =
        transfer::write_mode::upload(conn, file, &dest, &mode, &progress, &cancel).await?;
    drop(bar);
    if !global.quiet {
        println!(
            "upload: {} to {dest} ({}, {} part{}, {})",
            file.display(),
            human_size(outcome.size),
            outcome.parts,
            if outcome.parts == 1 { "" } else { "s" },
            mode.describe()
        );
    }
    Ok(())
}

async fn get(
    global: &GlobalArgs,
    conn: &Connection,
    uri: &S3Uri,
    file: &std::path::Path,
    key: Option<String>,
) -> Result<()> {
    let progress = Progress::new();
    let cancel = CancellationToken::new();
    let _ctrl_c = cancel_on_ctrl_c(&cancel);
    let bar = ProgressBarTask::start(&progress, global.quiet, "download");
    let fetched =
        transfer::fetch_object(conn, &key_manager, uri, file, key, &progress, &cancel).await?;
    drop(bar);
    if !global.quiet {
        println!("download: {uri} to {}", fetched.summary());
    }
    Ok(())
}

async fn rekey(
    global: &GlobalArgs,
    conn: &Connection,
    uri: &S3Uri,
    enc: &EncryptionArgs,
    source_key: Option<String>,
) -> Result<()> {
    uri.require_object()?;
    let mode = write_mode(conn, enc).await?;
    match &mode {
        WriteMode::Client { master, .. } => {
            let resolved =
                transfer::fetch::resolve_readable(conn, &key_manager, uri, source_key).await?;
            let location = transfer::client_rekey::rewrap_object(
                conn,
                &key_manager()?,
                uri,
                &resolved.head,
                resolved.sse_c.as_ref(),
                master,
            )
            .await?;
            if !global.quiet {
                println!(
                    "rekey: {uri} now opens with {} (envelope rewritten in the {}; data untouched)",
                    master.describe(),
                    match location {
                        EnvelopeLocation::Metadata => "object's metadata",
                        EnvelopeLocation::InstructionFile => "instruction file",
                    }
                );
            }
        }
        WriteMode::Server(target) => {
            let (source, candidates) = match source_key {
                Some(name) => {
                    conn.ensure_sse_c_allowed()?;
                    (Some(sse_c_key(&key_manager()?, name).await?), Vec::new())
                }
                None if conn.is_plain_http() => (None, Vec::new()),
                None => (None, local_sse_c_keys(&key_manager()?).await?),
            };
            let progress = Progress::new();
            let cancel = CancellationToken::new();
            let _ctrl_c = cancel_on_ctrl_c(&cancel);
            let request = transfer::RekeyRequest {
                uri,
                source_key: source,
                candidates: &candidates,
                target,
            };
            transfer::rekey(conn, request, CopyTuning::default(), &progress, &cancel).await?;
            if !global.quiet {
                println!("rekey: {uri} now uses {}", target.describe());
            }
        }
    }
    Ok(())
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
