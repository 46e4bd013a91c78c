//! The object commands: `ls`, `info`, `put`, `get`, `rekey`, `mb`, `kms`.

use std::collections::HashMap;

use futures::StreamExt as _;
use serde::Serialize;

use super::output::{encryption_label, human_size, print_json, print_table};
use super::progress_bar::{ProgressBarTask, cancel_on_ctrl_c};
use super::{Command, EncryptionArgs, GlobalArgs};
use crate::error::{Error, Result};
use crate::keys::{KeyKind, KeyManager, KeyringStore};
use crate::s3::inspect::{self, ObjectInfo, local_sse_c_keys};
use crate::s3::{Connection, RequestedMode, S3Uri, ServerSide, SseCKey, kms, listing};
use crate::transfer::{self, CancellationToken, CopyTuning, Progress, UploadRequest, UploadTuning};

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
        Command::Info { uri, key, json } => info(&conn, &uri.parse()?, key, json).await,
        Command::Put { file, uri, enc } => put(global, &conn, &file, &uri.parse()?, &enc).await,
        Command::Get { uri, file, key } => get(global, &conn, &uri.parse()?, &file, key).await,
        Command::Rekey {
            uri,
            enc,
            source_key,
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
        Command::Keys { .. } => Err(Error::Usage("internal: keys dispatched wrongly".to_owned())),
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

/// Loads a named SSE-C key from the keyring.
async fn sse_c_key(keys: &KeyManager, name: String) -> Result<SseCKey> {
    keys.blocking(move |keys| {
        let (record, secret) = keys.secret(&name)?;
        if record.kind != KeyKind::SseC {
            return Err(Error::Usage(format!(
                "key '{name}' is a {} key, not an SSE-C key: pick an SSE-C key (`s3seal keys list`)",
                record.kind
            )));
        }
        Ok(SseCKey::new(record.name, secret))
    })
    .await
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
    let mut info = inspect::inspect(conn, &[], uri, given).await?;
    if info.mode == crate::s3::EncryptionMode::SseC && info.matching_key.is_none() {
        let candidates = local_sse_c_keys(&keys).await?;
        info = inspect::inspect(conn, &candidates, uri, None).await?;
    }
    if json {
        return print_json(&info);
    }
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
    push("kms key", info.kms_key_id.clone());
    push("bucket key", info.bucket_key_enabled.map(|b| b.to_string()));
    push("sse-c algorithm", info.sse_c_algorithm.clone());
    push("sse-c key md5", info.sse_c_key_md5.clone());
    if info.mode == crate::s3::EncryptionMode::SseC {
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
    Ok(())
}

/// Turns the encryption flags into what a write request needs, fetching an SSE-C key.
async fn server_side(conn: &Connection, enc: &EncryptionArgs) -> Result<ServerSide> {
    let mode: RequestedMode = enc.encryption.parse()?;
    let kms_mode = matches!(mode, RequestedMode::SseKms | RequestedMode::DsseKms);
    if enc.kms_key.is_some() && !kms_mode {
        return Err(Error::Usage(
            "--kms-key goes with --encryption sse-kms or dsse-kms".to_owned(),
        ));
    }
    if enc.bucket_key && mode != RequestedMode::SseKms {
        return Err(Error::Usage(
            "--bucket-key goes with --encryption sse-kms".to_owned(),
        ));
    }
    if enc.key.is_some() && mode != RequestedMode::SseC {
        return Err(Error::Usage(
            "--key goes with --encryption sse-c".to_owned(),
        ));
    }
    Ok(match mode {
        RequestedMode::Default => ServerSide::Default,
        RequestedMode::SseS3 => ServerSide::SseS3,
        RequestedMode::SseKms => ServerSide::SseKms {
            key_id: enc.kms_key.clone(),
            bucket_key: enc.bucket_key,
        },
        RequestedMode::DsseKms => ServerSide::DsseKms {
            key_id: enc.kms_key.clone(),
        },
        RequestedMode::SseC => {
            // Refuse plain HTTP before the key is even read from the keyring.
            conn.ensure_sse_c_allowed()?;
            let name = enc.key.clone().ok_or_else(|| {
                Error::Usage(
                    "--encryption sse-c needs --key NAME (see `s3seal keys list`)".to_owned(),
                )
            })?;
            ServerSide::SseC(sse_c_key(&key_manager()?, name).await?)
        }
        RequestedMode::Client => {
            return Err(Error::Usage(
                "client-side encryption is not available in this version yet".to_owned(),
            ));
        }
    })
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
    let server_side = server_side(conn, enc).await?;
    let request = UploadRequest {
        path: file,
        dest: &dest,
        server_side: &server_side,
        metadata: HashMap::new(),
    };
    let progress = Progress::new();
    let cancel = CancellationToken::new();
    let _ctrl_c = cancel_on_ctrl_c(&cancel);
    let _bar = ProgressBarTask::start(&progress, global.quiet, "upload");
    let outcome =
        transfer::upload_file(conn, &request, UploadTuning::default(), &progress, &cancel).await?;
    drop(_bar);
    if !global.quiet {
        println!(
            "upload: {} to {dest} ({}, {} part{}, {})",
            file.display(),
            human_size(outcome.size),
            outcome.parts,
            if outcome.parts == 1 { "" } else { "s" },
            server_side.describe()
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
    uri.require_object()?;
    let sse_c = match key {
        Some(name) => {
            conn.ensure_sse_c_allowed()?;
            Some(sse_c_key(&key_manager()?, name).await?)
        }
        None => {
            let first = inspect::resolve(conn, &[], uri, None).await?;
            if first.sse_c_unresolved {
                conn.ensure_sse_c_allowed()?;
                let candidates = local_sse_c_keys(&key_manager()?).await?;
                let second = inspect::resolve(conn, &candidates, uri, None).await?;
                if second.sse_c.is_none() {
                    return Err(Error::SseCKeyNeeded {
                        bucket: uri.bucket.clone(),
                        key: uri.key.clone(),
                    });
                }
                second.sse_c
            } else {
                None
            }
        }
    };
    let progress = Progress::new();
    let cancel = CancellationToken::new();
    let _ctrl_c = cancel_on_ctrl_c(&cancel);
    let _bar = ProgressBarTask::start(&progress, global.quiet, "download");
    let outcome =
        transfer::download_file(conn, uri, file, sse_c.as_ref(), &progress, &cancel).await?;
    drop(_bar);
    if !global.quiet {
        println!(
            "download: {uri} to {} ({}{}{})",
            outcome.path.display(),
            human_size(outcome.size),
            if outcome.checksum_verified {
                ", checksum verified"
            } else {
                ""
            },
            sse_c
                .map(|k| format!(", SSE-C key '{}'", k.name))
                .unwrap_or_default()
        );
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
    let target = server_side(conn, enc).await?;
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
        target: &target,
    };
    transfer::rekey(conn, request, CopyTuning::default(), &progress, &cancel).await?;
    if !global.quiet {
        println!("rekey: {uri} now uses {}", target.describe());
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
