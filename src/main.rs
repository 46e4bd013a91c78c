//! The s3seal binary: parses the command line, sets up logging, runs, and reports errors.

use std::process::ExitCode;

use clap::Parser as _;

fn main() -> ExitCode {
    let cli = s3seal::cli::Cli::parse();
    s3seal::logging::init("warn");
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

#[allow(
    clippy::print_stderr,
    reason = "the one place the binary reports an error"
)]
fn fail(message: &str) -> ExitCode {
    eprintln!("s3seal: error: {message}");
    ExitCode::FAILURE
}
