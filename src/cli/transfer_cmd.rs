//! The object commands that move or change data: `put`, `get`, `rekey`.

use std::path::Path;

use super::objects::read_options;
use super::output::human_size;
use super::progress_bar::{ProgressBarTask, cancel_on_ctrl_c};
use super::write_mode::write_mode;
use super::{Command, EncryptionArgs, GlobalArgs};
use crate::error::{Error, Result};
use crate::progress::{CancellationToken, Progress};
use crate::s3::{Connection, KeyAccess, ReadKeys, ReadOptions, S3Uri};
use crate::transfer;

pub(super) async fn run(
    global: &GlobalArgs,
    conn: &Connection,
    keys: &KeyAccess,
    command: Command,
) -> Result<()> {
    match command {
        Command::Put {
            file,
            uri,
            enc,
            dry_run,
            tree,
        } if tree.recursive => {
            let dest: S3Uri = uri.parse()?;
            super::tree_cmd::put(global, conn, keys, &file, &dest, &enc, &tree, dry_run).await
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
                super::bucket_cmd::put_dry_run(conn, &file, &uri.parse()?, &enc).await
            } else {
                put(global, conn, keys, &file, &uri.parse()?, &enc).await
            }
        }
        Command::Get {
            uri,
            file,
            read,
            tree,
        } if tree.recursive => {
            let (source, read): (S3Uri, _) = (uri.parse()?, read_options(&read)?);
            super::tree_cmd::get(global, conn, keys, &source, &file, &read, &tree).await
        }
        Command::Get {
            uri,
            file,
            read,
            tree,
        } => {
            super::tree_cmd::single_object(&tree, &uri)?;
            get(
                global,
                conn,
                keys,
                &uri.parse()?,
                &file,
                &read_options(&read)?,
            )
            .await
        }
        Command::Rekey {
            uri,
            enc,
            source_key,
            source_kms_key,
            ..
        } => {
            let source_key = match <[String; 1]>::try_from(source_key) {
                Ok([one]) => Some(one),
                Err(none) if none.is_empty() => None,
                Err(_) => {
                    return Err(Error::InvalidInput(
                        "one object has one current key: give --source-key once (or use --recursive for a prefix)".to_owned(),
                    ));
                }
            };
            let read = ReadOptions {
                keys: source_key.map_or(ReadKeys::AtHome, ReadKeys::Named),
                trusted_kms: source_kms_key,
                ..ReadOptions::default()
            };
            rekey(global, conn, keys, &uri.parse()?, &enc, &read).await
        }
        _ => Err(Error::Internal(
            "a command was dispatched to the wrong handler".to_owned(),
        )),
    }
}

async fn put(
    global: &GlobalArgs,
    conn: &Connection,
    keys: &KeyAccess,
    file: &Path,
    uri: &S3Uri,
    enc: &EncryptionArgs,
) -> Result<()> {
    let dest = uri.upload_target(file);
    let mode = write_mode(conn, keys, enc, &dest.bucket).await?;
    let progress = Progress::new();
    let cancel = CancellationToken::new();
    let _ctrl_c = cancel_on_ctrl_c(&cancel);
    let bar = ProgressBarTask::start(&progress, global.quiet, "upload");
    let outcome =
        transfer::write_mode::upload(conn, file, &dest, &mode, &progress, &cancel).await?;
    drop(bar);
    if !global.quiet {
        if let Some(note) = outcome.continuation.note() {
            println!("note: {note}");
        }
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
    keys: &KeyAccess,
    uri: &S3Uri,
    file: &Path,
    read: &ReadOptions,
) -> Result<()> {
    let progress = Progress::new();
    let cancel = CancellationToken::new();
    let _ctrl_c = cancel_on_ctrl_c(&cancel);
    let bar = ProgressBarTask::start(&progress, global.quiet, "download");
    let fetched = transfer::fetch_object(conn, keys, uri, file, read, &progress, &cancel).await?;
    drop(bar);
    if !global.quiet {
        if let Some(note) = fetched.outcome.start.note() {
            println!("note: {note}");
        }
        println!("download: {uri} to {}", fetched.summary());
    }
    Ok(())
}

async fn rekey(
    global: &GlobalArgs,
    conn: &Connection,
    keys: &KeyAccess,
    uri: &S3Uri,
    enc: &EncryptionArgs,
    read: &ReadOptions,
) -> Result<()> {
    let target = super::write_mode::choice(enc)?;
    let progress = Progress::new();
    let cancel = CancellationToken::new();
    let _ctrl_c = cancel_on_ctrl_c(&cancel);
    let done = transfer::reencrypt(conn, keys, uri, &target, read, &progress, &cancel).await?;
    if !global.quiet {
        println!("rekey: {uri} {}", done.summary());
    }
    Ok(())
}
