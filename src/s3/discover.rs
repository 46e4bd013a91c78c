//! What AWS configuration this machine has, without asking any server: profiles in
//! `~/.aws/config` and `~/.aws/credentials` (and what kind each is: keys, SSO, a role, a
//! process), SSO sessions, credentials and region in the environment. A window with nothing
//! configured greets the person with the ways in, instead of probing the network.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;

/// How a profile gets its credentials.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ProfileKind {
    /// An access key in the credentials or config file.
    AccessKey,
    /// IAM Identity Center (SSO): needs a sign-in (`aws sso login`) before use.
    Sso { session: Option<String> },
    /// Assumes a role from another profile or source.
    AssumeRole,
    /// Runs a program for credentials.
    Process,
    /// A web identity token file.
    WebIdentity,
    /// Only settings (region, endpoint…), no credentials of its own.
    SettingsOnly,
}

/// One profile.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Profile {
    pub name: String,
    #[serde(flatten)]
    pub kind: ProfileKind,
    pub region: Option<String>,
}

/// What was found.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Discovery {
    pub profiles: Vec<Profile>,
    pub sso_sessions: Vec<String>,
    /// `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY` are set.
    pub env_credentials: bool,
    /// `AWS_REGION` or `AWS_DEFAULT_REGION`.
    pub env_region: Option<String>,
    /// `AWS_PROFILE`.
    pub env_profile: Option<String>,
    /// A container or web-identity credentials source is set in the environment.
    pub env_other_source: bool,
}

impl Discovery {
    /// Whether anything could supply credentials without the person doing more.
    pub fn has_credentials(&self) -> bool {
        self.env_credentials
            || self.env_other_source
            || self
                .profiles
                .iter()
                .any(|p| p.kind != ProfileKind::SettingsOnly)
    }

    /// The profiles that sign in with SSO.
    pub fn sso_profiles(&self) -> impl Iterator<Item = &Profile> {
        self.profiles
            .iter()
            .filter(|p| matches!(p.kind, ProfileKind::Sso { .. }))
    }
}

/// Reads the AWS config and credentials files (honouring `AWS_CONFIG_FILE` and
/// `AWS_SHARED_CREDENTIALS_FILE`) and the environment. Blocking file reads: call it off the
/// UI thread and off async workers.
pub fn discover() -> Discovery {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let file = |var: &str, name: &str| {
        std::env::var_os(var)
            .map(PathBuf::from)
            .or_else(|| home.as_ref().map(|h| h.join(".aws").join(name)))
            .and_then(|p| std::fs::read_to_string(p).ok())
            .unwrap_or_default()
    };
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let mut found = from_files(
        &file("AWS_CONFIG_FILE", "config"),
        &file("AWS_SHARED_CREDENTIALS_FILE", "credentials"),
    );
    found.env_credentials =
        env("AWS_ACCESS_KEY_ID").is_some() && env("AWS_SECRET_ACCESS_KEY").is_some();
    found.env_region = env("AWS_REGION").or_else(|| env("AWS_DEFAULT_REGION"));
    found.env_profile = env("AWS_PROFILE");
    found.env_other_source = [
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
    ]
    .iter()
    .any(|v| env(v).is_some());
    found
}

/// The profiles and SSO sessions the two files define (pure).
pub fn from_files(config: &str, credentials: &str) -> Discovery {
    let mut settings: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut sso_sessions = Vec::new();
    for (section, values) in sections(config) {
        if section == "default" {
            settings.entry(section).or_default().extend(values);
        } else if let Some(name) = prefixed(&section, "profile") {
            settings.entry(name).or_default().extend(values);
        } else if let Some(name) = prefixed(&section, "sso-session") {
            sso_sessions.push(name);
        }
    }
    for (section, values) in sections(credentials) {
        settings.entry(section).or_default().extend(values);
    }
    let profiles = settings
        .into_iter()
        .map(|(name, values)| {
            let has = |k: &str| values.contains_key(k);
            let kind = if has("sso_session") || has("sso_start_url") {
                ProfileKind::Sso {
                    session: values.get("sso_session").cloned(),
                }
            } else if has("role_arn") {
                ProfileKind::AssumeRole
            } else if has("credential_process") {
                ProfileKind::Process
            } else if has("web_identity_token_file") {
                ProfileKind::WebIdentity
            } else if has("aws_access_key_id") {
                ProfileKind::AccessKey
            } else {
                ProfileKind::SettingsOnly
            };
            Profile {
                name,
                kind,
                region: values.get("region").cloned(),
            }
        })
        .collect();
    Discovery {
        profiles,
        sso_sessions,
        ..Discovery::default()
    }
}

/// `[profile dev]` → `dev` for prefix `profile`.
fn prefixed(section: &str, prefix: &str) -> Option<String> {
    section
        .strip_prefix(prefix)
        .filter(|rest| rest.starts_with(char::is_whitespace))
        .map(|rest| rest.trim().to_owned())
        .filter(|name| !name.is_empty())
}

/// The `[section]`s of an INI file with their `key = value` lines (keys lower-cased; nested
/// sub-sections such as `s3 =` blocks are kept as plain keys).
fn sections(text: &str) -> Vec<(String, BTreeMap<String, String>)> {
    let mut out: Vec<(String, BTreeMap<String, String>)> = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with(['#', ';']) {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            out.push((name.trim().to_owned(), BTreeMap::new()));
        } else if let (Some((key, value)), Some((_, values))) =
            (line.split_once('='), out.last_mut())
        {
            values.insert(key.trim().to_ascii_lowercase(), value.trim().to_owned());
        }
    }
    out
}

/// The regions the window offers in its picker (any other can be typed).
pub const COMMON_REGIONS: [&str; 17] = [
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "ca-central-1",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-central-1",
    "eu-north-1",
    "eu-south-1",
    "ap-south-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "sa-east-1",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_are_told_apart_by_how_they_get_credentials() {
        let config = "[default]\nregion = eu-west-1\n\n[profile dev]\nsso_session = corp\n\
                      sso_account_id = 1\n[sso-session corp]\nsso_start_url = https://x\n\
                      [profile admin]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = default\n\
                      [profile tool]\ncredential_process = /bin/true\n[profileless]\nx = 1\n";
        let credentials = "[default]\naws_access_key_id = AKIA\naws_secret_access_key = s\n";
        let found = from_files(config, credentials);
        let kind = |name: &str| {
            found
                .profiles
                .iter()
                .find(|p| p.name == name)
                .map(|p| p.kind.clone())
        };
        assert_eq!(kind("default"), Some(ProfileKind::AccessKey));
        assert_eq!(
            kind("dev"),
            Some(ProfileKind::Sso {
                session: Some("corp".into())
            })
        );
        assert_eq!(kind("admin"), Some(ProfileKind::AssumeRole));
        assert_eq!(kind("tool"), Some(ProfileKind::Process));
        assert_eq!(kind("profileless"), None);
        assert_eq!(found.sso_sessions, ["corp"]);
        assert_eq!(found.sso_profiles().count(), 1);
        assert!(found.has_credentials());
        let default = found.profiles.iter().find(|p| p.name == "default").unwrap();
        assert_eq!(default.region.as_deref(), Some("eu-west-1"));
    }

    #[test]
    fn nothing_configured_has_no_credentials() {
        let found = from_files("", "");
        assert!(found.profiles.is_empty());
        assert!(!found.has_credentials());
        let settings_only = from_files("[default]\nregion = us-east-1\n", "");
        assert!(!settings_only.has_credentials());
    }
}
