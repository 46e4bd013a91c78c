//! `s3seal keys …`: list, generate, import, export, rename and delete local keys; the homes of
//! SSE-C keys; the KMS keys trusted for client-side objects.

use std::io::{Read as _, Write as _};

use zeroize::Zeroizing;

use super::objects::local_keys;
use super::output::{print_json, print_table};
use super::{GlobalArgs, KeysCommand};
use crate::error::{Error, Result};
use crate::keys::{ExportFormat, KeyHome, KeyKind, KeyRecord, KeySource};
use crate::s3::S3Uri;

/// The most read from standard input for a key: base64 or hex text with a line end.
const MAX_KEY_TEXT: u64 = 1024;

pub(super) async fn run(global: &GlobalArgs, command: KeysCommand) -> Result<()> {
    let keys = local_keys().manager().await?;
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
                (_, Some(text), _) => KeySource::Base64(text_or_stdin(text)?),
                (_, _, Some(text)) => KeySource::Hex(text_or_stdin(text)?),
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
                        println!("exported to {}{}", shown.display(), EXPORT_NOTE);
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
        KeysCommand::Homes {
            name,
            add,
            remove,
            json,
        } => {
            let place = global.connect_options().place();
            let homes = |uris: Vec<String>| -> Result<Vec<KeyHome>> {
                uris.iter()
                    .map(|u| {
                        let uri: S3Uri = u.parse()?;
                        Ok(KeyHome::new(&place, &uri.bucket, &uri.key))
                    })
                    .collect()
            };
            let (add, remove) = (homes(add)?, homes(remove)?);
            let record = keys
                .blocking(move |k| {
                    let record = k.record(&name)?;
                    if record.kind != KeyKind::SseC {
                        return Err(Error::WrongKeyKind {
                            name,
                            kind: record.kind,
                            wanted: KeyKind::SseC,
                        });
                    }
                    for home in add {
                        k.add_home(&name, home)?;
                    }
                    for home in &remove {
                        k.remove_home(&name, home)?;
                    }
                    k.record(&name)
                })
                .await?;
            if json {
                return print_json(&record.homes);
            }
            if record.homes.is_empty() {
                println!(
                    "key '{}' has no homes: s3seal sends it only where you name it (--key)",
                    record.name
                );
            }
            for home in &record.homes {
                println!("{home}");
            }
            Ok(())
        }
        KeysCommand::TrustKms { key } => {
            let shown = key.clone();
            let added = keys.blocking(move |k| k.trust_kms_key(&key)).await?;
            if !quiet {
                println!(
                    "{}: KMS key {shown} opens client-side objects' data keys",
                    if added { "trusted" } else { "already trusted" }
                );
            }
            Ok(())
        }
        KeysCommand::UntrustKms { key } => {
            let shown = key.clone();
            keys.blocking(move |k| k.untrust_kms_key(&key)).await?;
            if !quiet {
                println!("no longer trusted: KMS key {shown}");
            }
            Ok(())
        }
        KeysCommand::TrustedKms { json } => {
            let trusted = keys.blocking(|k| k.trusted_kms_keys()).await?;
            if json {
                return print_json(&trusted);
            }
            if trusted.is_empty() {
                println!(
                    "no KMS key is trusted yet: client-side uploads with --kms-key add theirs"
                );
            }
            for key in trusted {
                println!("{key}");
            }
            Ok(())
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

/// What an exported file's permissions are, said only where they are set.
#[cfg(unix)]
const EXPORT_NOTE: &str = " (readable only by you)";
#[cfg(not(unix))]
const EXPORT_NOTE: &str = " (it has the permissions of its folder: restrict who can read it)";

/// The key text given on the command line, or read from standard input when it is `-` (which
/// keeps the key out of shell history and the process list).
fn text_or_stdin(text: String) -> Result<Zeroizing<String>> {
    if text != "-" {
        return Ok(Zeroizing::new(text));
    }
    // Room for the whole key up front: a growing String would leave copies of it behind.
    let mut buf = Zeroizing::new(String::with_capacity(MAX_KEY_TEXT as usize + 1));
    std::io::stdin()
        .lock()
        .take(MAX_KEY_TEXT)
        .read_to_string(&mut buf)
        .map_err(|e| Error::io("cannot read the key from", "standard input", e))?;
    Ok(buf)
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
        "HOMES".to_owned(),
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
            match r.kind {
                KeyKind::SseC => r.homes.len().to_string(),
                KeyKind::Client => "-".to_owned(),
            },
            r.sha256.clone(),
        ]
    }));
    print_table(&rows);
}
