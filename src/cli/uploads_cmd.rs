//! `s3seal uploads list|abort`: the incomplete multipart uploads of a bucket, from any tool,
//! with what s3seal's own journal knows about them.

use super::output::{human_size, print_json, print_table};
use super::{GlobalArgs, UploadsCommand};
use crate::error::{Error, Result};
use crate::s3::{Connection, S3Uri};
use crate::transfer::journal::Journal;
use crate::transfer::orphans::{
    AbortSelection, IncompleteUpload, abort_uploads, list_incomplete_uploads, select,
};

pub(super) async fn run(global: &GlobalArgs, command: UploadsCommand) -> Result<()> {
    let conn = Connection::connect(&global.connect_options()).await?;
    let journal = Journal::default_location()
        .inspect_err(|err| tracing::warn!(error = %err, "no transfer journal"))
        .ok();
    match command {
        UploadsCommand::List { uri, json } => {
            let uri: S3Uri = uri.parse()?;
            let list = list_incomplete_uploads(&conn, journal.as_ref(), &uri).await?;
            if json {
                return print_json(&list);
            }
            if list.is_empty() {
                println!("no incomplete uploads under {uri}");
                return Ok(());
            }
            print_uploads(&list);
            let bytes: u64 = list.iter().filter_map(|u| u.bytes).sum();
            println!(
                "{} incomplete upload{}, {}",
                list.len(),
                if list.len() == 1 { "" } else { "s" },
                human_size(bytes)
            );
            Ok(())
        }
        UploadsCommand::Abort {
            uri,
            older_than,
            all,
        } => {
            let uri: S3Uri = uri.parse()?;
            let list = list_incomplete_uploads(&conn, journal.as_ref(), &uri).await?;
            let now = time::OffsetDateTime::now_utc().unix_timestamp();
            let selection = match (all, older_than) {
                (true, _) => AbortSelection::All,
                (false, Some(days)) => AbortSelection::OlderThan { days },
                (false, None) => {
                    let would = select(&list, AbortSelection::All, now);
                    if would.is_empty() {
                        println!("no incomplete uploads under {uri}");
                        return Ok(());
                    }
                    println!("would abort:");
                    print_uploads(&would);
                    warn_resumable(&uri.bucket, &would);
                    return Err(Error::InvalidInput(
                        "nothing was aborted: say which with --all, or --older-than DAYS"
                            .to_owned(),
                    ));
                }
            };
            for running in list
                .iter()
                .filter(|u| u.s3seal.as_ref().is_some_and(|k| k.in_progress))
            {
                println!(
                    "skipped: {} is being uploaded by s3seal right now",
                    running.uri(&uri.bucket)
                );
            }
            let selected = select(&list, selection, now);
            if selected.is_empty() {
                println!("no incomplete upload under {uri} matches");
                return Ok(());
            }
            warn_resumable(&uri.bucket, &selected);
            let report = abort_uploads(&conn, journal.as_ref(), &uri.bucket, &selected).await?;
            if !global.quiet {
                println!(
                    "aborted {} upload{} under {uri}, {} freed{}",
                    report.aborted,
                    if report.aborted == 1 { "" } else { "s" },
                    human_size(report.bytes_freed),
                    if report.already_gone > 0 {
                        format!(" ({} had gone already)", report.already_gone)
                    } else {
                        String::new()
                    }
                );
            }
            match report.failed.as_slice() {
                [] => Ok(()),
                [(key, why), ..] => Err(Error::Unsupported(format!(
                    "{} upload{} could not be aborted; the first, s3://{}/{key}: {why}",
                    report.failed.len(),
                    if report.failed.len() == 1 { "" } else { "s" },
                    uri.bucket
                ))),
            }
        }
    }
}

fn print_uploads(list: &[IncompleteUpload]) {
    let mut rows = vec![vec![
        "INITIATED".to_owned(),
        "PARTS".to_owned(),
        "SIZE".to_owned(),
        "KEY".to_owned(),
        "S3SEAL".to_owned(),
    ]];
    rows.extend(list.iter().map(|u| {
        vec![
            u.initiated.clone().unwrap_or_default(),
            u.parts.map_or_else(|| "?".to_owned(), |p| p.to_string()),
            u.bytes.map_or_else(|| "?".to_owned(), human_size),
            u.key.clone(),
            match &u.s3seal {
                None => String::new(),
                Some(k) if k.in_progress => "uploading now".to_owned(),
                Some(k) if k.resumable => format!("resumable: put {}", k.source.display()),
                Some(k) => format!("interrupted (restarts): {}", k.source.display()),
            },
        ]
    }));
    print_table(&rows);
}

/// Says so for every upload s3seal could still continue.
fn warn_resumable(bucket: &str, list: &[IncompleteUpload]) {
    for upload in list {
        if let Some(k) = upload.s3seal.as_ref().filter(|k| k.resumable) {
            println!(
                "note: {} is an interrupted s3seal upload of {} that `s3seal put` can continue; aborting it discards its {} already sent",
                upload.uri(bucket),
                k.source.display(),
                upload.bytes.map_or_else(|| "parts".to_owned(), human_size)
            );
        }
    }
}
