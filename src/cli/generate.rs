//! Shell completions and manual pages, generated from the one clap definition of every command
//! and flag ([`Cli`]), so help, completions and `man s3seal` never disagree.

use std::io::Write;
use std::path::Path;

use clap::CommandFactory as _;
use clap_complete::Shell;

use super::Cli;
use crate::error::{Error, Result};

/// Writes the completion script for `shell` to standard output.
pub fn print_completions(shell: Shell) -> Result<()> {
    let mut command = Cli::command();
    let mut out = std::io::stdout().lock();
    clap_complete::generate(shell, &mut command, "s3seal", &mut out);
    out.flush()
        .map_err(|e| Error::io("cannot write the completions to", "standard output", e))
}

/// Writes the manual page of `s3seal` to standard output, or with `dir` one page per command
/// (`s3seal.1`, `s3seal-put.1`, `s3seal-keys-add.1`, …) into that folder, as `git` ships its pages.
pub fn write_man(dir: Option<&Path>) -> Result<()> {
    let command = Cli::command();
    match dir {
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .map_err(|e| Error::io("cannot create the folder", dir, e))?;
            clap_mangen::generate_to(command, dir)
                .map_err(|e| Error::io("cannot write the manual pages into", dir, e))
        }
        None => {
            let mut out = std::io::stdout().lock();
            clap_mangen::Man::new(command)
                .render(&mut out)
                .and_then(|()| out.flush())
                .map_err(|e| Error::io("cannot write the manual page to", "standard output", e))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shell_gets_a_script_that_names_every_command() {
        for shell in [
            Shell::Bash,
            Shell::Zsh,
            Shell::Fish,
            Shell::PowerShell,
            Shell::Elvish,
        ] {
            let mut buf = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "s3seal", &mut buf);
            let text = String::from_utf8(buf).expect("completions are UTF-8");
            for name in ["rekey", "audit", "completions", "encryption"] {
                assert!(text.contains(name), "{shell}: `{name}` missing");
            }
        }
    }

    #[test]
    fn man_pages_cover_each_subcommand() {
        let dir = tempfile::tempdir().expect("temp dir");
        write_man(Some(dir.path())).expect("man pages");
        for page in [
            "s3seal.1",
            "s3seal-put.1",
            "s3seal-keys.1",
            "s3seal-jobs-resume.1",
        ] {
            let text = std::fs::read_to_string(dir.path().join(page)).expect(page);
            assert!(
                text.starts_with(".ie") || text.contains(".TH"),
                "{page} is not roff"
            );
        }
        let top = std::fs::read_to_string(dir.path().join("s3seal.1")).expect("s3seal.1");
        assert!(
            top.contains("\\-\\-endpoint\\-url"),
            "global flags are documented"
        );
    }
}
