//! The command-line interface: [`main`] parses the arguments ([`args`]), runs one command
//! (one file per group: `objects`, `keys_cmd`, `bucket_cmd`, `audit_cmd`, `uploads_cmd`) and reports an error
//! as one line that ends with what to type ([`remedy`]).
//!
//! Every command returns the library's [`Error`](crate::Error). Nothing here prints key
//! material except `keys export` to a file or, when explicitly asked, to standard output.

mod args;
mod audit_cmd;
mod batch_cmd;
mod bucket_cmd;
mod generate;
mod inventory_cmd;
mod jobs_cmd;
mod keys_cmd;
mod kms_names;
mod objects;
mod output;
mod progress_bar;
mod remedy;
mod transfer_cmd;
mod tree_cmd;
mod uploads_cmd;
mod write_mode;

use std::process::ExitCode;

use clap::Parser as _;

use crate::error::Result;
pub(crate) use args::{
    BucketCommand, Cli, Command, EncryptionArgs, GlobalArgs, JobsCommand, KeysCommand, ReadKeyArgs,
    UploadsCommand,
};

/// The s3seal binary: parse the command line, start logging and the I/O runtime, run, and
/// print an error as one line (`s3seal: error: …`) with a failing exit status.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => return usage_error(&err),
    };
    crate::logging::init(crate::logging::DEFAULT_FILTER);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("s3seal-io")
        .max_blocking_threads(crate::transfer::BLOCKING_THREADS)
        .build()
    {
        Ok(rt) => rt,
        Err(err) => return fail(&format!("cannot start the I/O runtime: {err}")),
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => fail(&remedy::error_line(&err)),
    }
}

/// Help and version go to standard output as clap prints them; a usage mistake is reported like
/// every other error, followed by clap's usage line.
#[allow(
    clippy::print_stderr,
    reason = "the one place the binary reports a usage error"
)]
fn usage_error(err: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        err.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        let _ = err.print();
        return ExitCode::SUCCESS;
    }
    let rendered = err.render().to_string();
    let text = rendered.strip_prefix("error: ").unwrap_or(&rendered);
    eprint!("s3seal: error: {text}");
    ExitCode::from(2)
}

#[allow(
    clippy::print_stderr,
    reason = "the one place the binary reports an error"
)]
fn fail(message: &str) -> ExitCode {
    eprintln!("s3seal: error: {message}");
    ExitCode::FAILURE
}

/// Runs a parsed command line. `Ok(())` means success; errors are for the caller to print.
async fn run(cli: Cli) -> Result<()> {
    let global = cli.global;
    match cli.command {
        #[cfg(feature = "gui")]
        None => crate::ui::open(global.connect_options(), None),
        #[cfg(feature = "gui")]
        Some(Command::Open { uri }) => {
            let location = uri.map(|u| u.parse::<crate::s3::S3Uri>()).transpose()?;
            crate::ui::open(global.connect_options(), location)
        }
        #[cfg(not(feature = "gui"))]
        None | Some(Command::Open { .. }) => Err(crate::Error::NoWindow(
            "this s3seal was built without the window (feature `gui`)".to_owned(),
        )),
        Some(Command::Completions { shell }) => generate::print_completions(shell),
        Some(Command::Man { dir }) => generate::write_man(dir.as_deref()),
        Some(Command::Keys { command }) => keys_cmd::run(&global, command).await,
        Some(Command::Bucket { command }) => bucket_cmd::run(&global, command).await,
        Some(Command::Uploads { command }) => uploads_cmd::run(&global, command).await,
        Some(Command::Jobs { command }) => jobs_cmd::run(&global, command).await,
        Some(
            command @ Command::Rekey {
                recursive: true, ..
            },
        ) => jobs_cmd::rekey_recursive(&global, command).await,
        Some(Command::Batch { command }) => batch_cmd::run(&global, command).await,
        Some(Command::Audit {
            inventory: Some(manifest),
            csv,
            json,
            kms_keys,
            concurrency,
            ..
        }) => {
            let args = inventory_cmd::InventoryAuditArgs {
                manifest,
                csv,
                json,
                kms_keys,
                concurrency: concurrency
                    .map_or(crate::s3::bucket::audit::DEFAULT_CONCURRENCY, usize::from),
            };
            inventory_cmd::audit(&global, args).await
        }
        Some(Command::Audit {
            uri,
            csv,
            json,
            concurrency,
            no_cache,
            kms_keys,
            ..
        }) => {
            if kms_keys.is_some() {
                return Err(crate::Error::InvalidInput(
                    "--kms-keys goes with --inventory (a HEAD-based audit already names every object's KMS key)".to_owned(),
                ));
            }
            let uri = uri.ok_or_else(|| {
                crate::Error::InvalidInput(
                    "audit needs s3://BUCKET[/PREFIX] or --inventory MANIFEST".to_owned(),
                )
            })?;
            let options = audit_cmd::AuditArgs {
                uri,
                csv,
                json,
                concurrency: concurrency.map(usize::from),
                no_cache,
            };
            audit_cmd::run(&global, options).await
        }
        Some(command) => objects::run(&global, command).await,
    }
}
