//! The s3seal binary: parses the command line, sets up logging, runs, and reports errors.

use std::process::ExitCode;

use clap::Parser as _;
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    let cli = s3seal::cli::Cli::parse();
    init_logging();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("s3seal-io")
        .build()
    {
        Ok(rt) => rt,
        Err(err) => return fail(&format!("cannot start the I/O runtime: {err}")),
    };
    match runtime.block_on(s3seal::cli::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => fail(&err.to_string()),
    }
}

/// Logs go to standard error, filtered by `S3SEAL_LOG` (or `RUST_LOG`), warnings by default.
fn init_logging() {
    let filter = EnvFilter::try_from_env("S3SEAL_LOG")
        .or_else(|_| EnvFilter::try_from_default_env())
        .unwrap_or_else(|_| EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

#[allow(clippy::print_stderr, reason = "the one place the binary reports an error")]
fn fail(message: &str) -> ExitCode {
    eprintln!("s3seal: error: {message}");
    ExitCode::FAILURE
}
