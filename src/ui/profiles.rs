//! The AWS profile names in the user's config and credentials files, for the connection bar.

use std::collections::BTreeSet;
use std::path::PathBuf;

/// Profile names from `~/.aws/config` (`[profile NAME]`, `[default]`) and
/// `~/.aws/credentials` (`[NAME]`), honouring `AWS_CONFIG_FILE` and
/// `AWS_SHARED_CREDENTIALS_FILE`. Blocking file reads: call off the UI thread.
pub fn aws_profiles() -> Vec<String> {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let file = |var: &str, name: &str| {
        std::env::var_os(var)
            .map(PathBuf::from)
            .or_else(|| home.as_ref().map(|h| h.join(".aws").join(name)))
    };
    let mut names = BTreeSet::new();
    if let Some(text) =
        file("AWS_CONFIG_FILE", "config").and_then(|p| std::fs::read_to_string(p).ok())
    {
        names.extend(section_names(&text, true));
    }
    if let Some(text) = file("AWS_SHARED_CREDENTIALS_FILE", "credentials")
        .and_then(|p| std::fs::read_to_string(p).ok())
    {
        names.extend(section_names(&text, false));
    }
    names.into_iter().collect()
}

/// Section names that are profiles. In the config file they are `[profile NAME]` or
/// `[default]`; `[sso-session …]` and `[services …]` are not profiles.
fn section_names(text: &str, config_file: bool) -> Vec<String> {
    text.lines()
        .filter_map(|line| {
            let inner = line.trim().strip_prefix('[')?.strip_suffix(']')?.trim();
            if !config_file {
                return Some(inner.to_owned());
            }
            if inner == "default" {
                return Some(inner.to_owned());
            }
            inner
                .strip_prefix("profile")
                .filter(|rest| rest.starts_with(char::is_whitespace))
                .map(|rest| rest.trim().to_owned())
        })
        .filter(|name| !name.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_and_credentials_sections() {
        let config = "[default]\nregion=x\n[profile dev]\n[sso-session corp]\n[profileless]\n";
        assert_eq!(section_names(config, true), ["default", "dev"]);
        assert_eq!(
            section_names("[prod]\n[default]\n", false),
            ["prod", "default"]
        );
    }
}
