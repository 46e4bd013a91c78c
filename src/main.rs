//! The s3seal binary: everything is in the library; the command line starts at `cli::main`.

fn main() -> std::process::ExitCode {
    s3seal::cli::main()
}
