//! `s3seal keys …`: list, generate, import, export, rename and delete local keys.

use std::io::Write as _;

use zeroize::Zeroizing;

use super::objects::key_manager;
use super::output::{print_json, print_table};
use super::{GlobalArgs, KeysCommand};
use crate::error::{Error, Result};
use crate::keys::{ExportFormat, KeyKind, KeyRecord, KeySource};

pub(super) async fn run(global: &GlobalArgs, command: KeysCommand) -> Result<()> {
    let keys = key_manager()?;
    let quiet = global.quiet;
    match command {
        KeysCommand::List { json } => {
            let list = keys.blocking(|k| k.list()).await?;
            if json {
                return print_json(&list);
            }
            print_records(&list);
            Ok(())
        }
        KeysCommand::New { name, kind } => {
            let kind: KeyKind = kind.into();
            let record = keys.blocking(move |k| k.generate(&name, kind)).await?;
            report(quiet, "created", &record);
            Ok(())
        }
        KeysCommand::Import {
            name,
            file,
            base64,
            hex,
            kind,
        } => {
            let kind: KeyKind = kind.into();
            let source = match (file, base64, hex) {
                (Some(path), _, _) => KeySource::File(path),
                (_, Some(text), _) => KeySource::Base64(Zeroizing::new(text)),
                (_, _, Some(text)) => KeySource::Hex(Zeroizing::new(text)),
                _ => {
                    return Err(Error::InvalidInput(
                        "give one of --file, --base64 or --hex".to_owned(),
                    ));
                }
            };
            let record = keys
                .blocking(move |k| k.import(&name, kind, &source))
                .await?;
            report(quiet, "imported", &record);
            Ok(())
        }
        KeysCommand::Export {
            name,
            file,
            stdout,
            format,
        } => {
            let format: Option<ExportFormat> = format.map(Into::into);
            match (file, stdout) {
                (Some(path), _) => {
                    let format = format.unwrap_or(ExportFormat::Raw);
                    let shown = path.clone();
                    keys.blocking(move |k| k.export_to_file(&name, &path, format))
                        .await?;
                    if !quiet {
                        println!("exported to {} (readable only by you)", shown.display());
                    }
                    Ok(())
                }
                (None, true) => {
                    let format = format.unwrap_or(ExportFormat::Base64);
                    let bytes = keys.blocking(move |k| k.export_text(&name, format)).await?;
                    let mut out = std::io::stdout().lock();
                    out.write_all(&bytes)
                        .and_then(|()| out.flush())
                        .map_err(|e| Error::io("cannot write", "standard output", e))
                }
                (None, false) => Err(Error::InvalidInput(
                    "say where the key goes: --file PATH (a new file, mode 0600) or --stdout"
                        .to_owned(),
                )),
            }
        }
        KeysCommand::Rename { old, new } => {
            let record = keys.blocking(move |k| k.rename(&old, &new)).await?;
            report(quiet, "renamed", &record);
            Ok(())
        }
        KeysCommand::Rm { name } => {
            let record = keys.blocking(move |k| k.delete(&name)).await?;
            report(quiet, "deleted", &record);
            Ok(())
        }
    }
}

fn report(quiet: bool, verb: &str, record: &KeyRecord) {
    if !quiet {
        println!(
            "{verb} key '{}' ({}, S3 MD5 {}, SHA-256 {})",
            record.name, record.kind, record.md5, record.sha256
        );
    }
}

fn print_records(records: &[KeyRecord]) {
    let mut rows = vec![vec![
        "NAME".to_owned(),
        "KIND".to_owned(),
        "CREATED".to_owned(),
        "S3 MD5".to_owned(),
        "SHA-256".to_owned(),
    ]];
    rows.extend(records.iter().map(|r| {
        vec![
            r.name.clone(),
            r.kind.to_string(),
            r.created
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
            r.md5.clone(),
            r.sha256.clone(),
        ]
    }));
    print_table(&rows);
}
