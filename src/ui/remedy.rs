//! The window's words for the core's remedies: the fields, buttons and dialogs to use. Never a
//! command-line flag.

use crate::error::Error;
use crate::remedy::{Advice, Remedy};

/// What to do in the window, as one sentence without a final period.
pub fn words(remedy: &Remedy) -> String {
    match remedy {
        Remedy::CheckConnection => "Check the Endpoint and CA bundle fields and the network, then press Connect".to_owned(),
        Remedy::UseCaBundle => "Set the CA bundle field to a PEM file of CA certificates".to_owned(),
        Remedy::UseHttps => "Use an https:// address in the Endpoint field".to_owned(),
        Remedy::SetUpCredentials => "Open Connection… to pick a profile, sign in with SSO, or enter an access key".to_owned(),
        Remedy::ChooseRegion => "Pick a region in the Region field and press Connect".to_owned(),
        Remedy::CheckNameAndRegion => "Check the name and the Region field".to_owned(),
        Remedy::CheckPermissions => "Check what your credentials may do, and the bucket's rules in the Bucket security tab".to_owned(),
        Remedy::TryLater => "The service is busy; try again in a moment".to_owned(),
        Remedy::TryAgain => "Try again".to_owned(),
        Remedy::ReviewAgain => "Look at the new changes and apply again".to_owned(),
        Remedy::FixClock => "This computer's clock is off: set it right and try again".to_owned(),
        Remedy::ChooseAnotherBucketName => "Choose another bucket name".to_owned(),
        Remedy::ChooseAnotherPath => "Choose another file name".to_owned(),
        Remedy::CheckFilePermissions => "Check the file's permissions".to_owned(),
        Remedy::FreeDiskSpace => "Free some disk space and try again".to_owned(),
        Remedy::CreateOrListKeys { .. } => "Open Keys to see your keys or create this one".to_owned(),
        Remedy::ChooseAnotherKeyName => "Choose another name".to_owned(),
        Remedy::UseExistingKey { existing, .. } => format!("Use '{existing}', or rename it in Keys"),
        Remedy::PickKeyOfKind { kind } => format!("Pick a {kind} key, or create one in Keys"),
        Remedy::ImportKey { kind } => format!("Import the {kind} key it was written with in Keys"),
        Remedy::ReimportOrRemoveKey { name } => format!("Import '{name}' again from a backup in Keys, or delete it there"),
        Remedy::NameSseCKey => "Import the key it was uploaded with in Keys, then select the object again".to_owned(),
        Remedy::TryKeysHere => "Press \"Try my keys…\" in the inspector to offer your keys for this bucket".to_owned(),
        Remedy::UseUploadKey => "Use the key it was uploaded with".to_owned(),
        Remedy::NameKey { name } => format!("Choose the key '{name}' instead"),
        Remedy::TrustKmsKey => "If you trust the KMS key that wraps it, add it in Keys, under KMS keys trusted for client-side objects".to_owned(),
        Remedy::AllowUncommitted => "Untick \"Require key commitment\" in Keys to read it anyway".to_owned(),
        Remedy::StartSecretService => "Start and unlock your desktop's keyring (e.g. GNOME Keyring), then try again".to_owned(),
        Remedy::RestoreCatalog => "Restore it from a backup; the keys themselves are still in the OS keyring".to_owned(),
        Remedy::SetConfigDir => "Set S3SEAL_CONFIG_DIR to a folder before starting s3seal".to_owned(),
        Remedy::PickKmsKey => "Pick a key from the KMS key list, or check the Region field".to_owned(),
        Remedy::Connect => "Pick a connection and press Connect".to_owned(),
        Remedy::UseCommandLine => "Start s3seal in a desktop session, or use its commands".to_owned(),
        Remedy::ReportBug => "This is a bug in s3seal; please report it".to_owned(),
        Remedy::EnforceTls { .. } => "Press Enforce TLS".to_owned(),
        Remedy::AddMinTls { .. } => "Press Enforce TLS with \"Require TLS 1.2\" ticked".to_owned(),
        Remedy::SetDefaultEncryption { .. } => "Press Set default encryption".to_owned(),
        Remedy::UseBucketKey { .. } => "Set the default encryption with a Bucket Key, and re-encrypt existing objects from the Audit tab".to_owned(),
        Remedy::UseKmsKeyArn => "Pick the key from the list (it sends the full key ARN)".to_owned(),
        Remedy::BlockSseC { .. } => "Press Block SSE-C unless you use SSE-C".to_owned(),
        Remedy::UnblockSseC { .. } => "If you do upload with SSE-C, press Unblock SSE-C".to_owned(),
        Remedy::ReencryptExisting { .. } => "Re-encrypt them from the Audit tab".to_owned(),
        Remedy::FixPolicyElsewhere { .. } => "Fix or remove the policy in the AWS console (or another tool) first".to_owned(),
        Remedy::WaitForTransfer => "Wait for the other transfer to finish, or cancel it in Transfers".to_owned(),
        Remedy::ResumeUpload { first } => match first {
            Some(first) => format!("{}, then press Resume in Interrupted transfers: only the missing parts are sent", words(first)),
            None => "Press Resume in Interrupted transfers: only the missing parts are sent".to_owned(),
        },
        Remedy::ResumeDownload { first } => match first {
            Some(first) => format!("{}, then download the same object to the same file again: only the missing ranges are fetched", words(first)),
            None => "Download the same object to the same file again: only the missing ranges are fetched".to_owned(),
        },
        Remedy::AddAbortRule { .. } => "Press Add abort rule to have S3 remove incomplete uploads after some days".to_owned(),
        Remedy::AbortIncompleteUploads { .. } => "Review the incomplete uploads in Bucket security, abort the ones nobody will finish, and press Add abort rule".to_owned(),
        Remedy::ResumeJob { id } => format!("Press Resume on job {id} in the Jobs tab to continue where it stopped"),
        Remedy::WaitForJob { id } => format!("Wait for it to finish, or press Cancel… on job {id} in the Jobs tab to stop it for good"),
    }
}

/// A problem as the window shows it: one plain sentence of what went wrong and what to do,
/// and the technical detail behind a "Details" expander.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub summary: String,
    pub details: Option<String>,
}

impl From<&Error> for Problem {
    fn from(err: &Error) -> Self {
        let summary = match err.remedy() {
            Some(remedy) => join(&capitalise(&err.to_string()), &words(&remedy)),
            None => capitalise(&err.to_string()),
        };
        Self {
            summary,
            details: err.details(),
        }
    }
}

impl From<Error> for Problem {
    fn from(err: Error) -> Self {
        Self::from(&err)
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.summary)
    }
}

/// A piece of advice in the window's words.
pub fn advice(advice: &Advice) -> String {
    match &advice.remedy {
        Some(remedy) => join(&advice.text, &words(remedy)),
        None => advice.text.clone(),
    }
}

pub(super) fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn join(text: &str, then: &str) -> String {
    let text = text.trim_end();
    if text.ends_with(['.', '!', '?']) {
        format!("{text} {then}.")
    } else {
        format!("{text}. {then}.")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_words_name_no_flags() {
        let remedies = [
            Remedy::CheckConnection,
            Remedy::SetUpCredentials,
            Remedy::ChooseRegion,
            Remedy::TryKeysHere,
            Remedy::TrustKmsKey,
            Remedy::BlockSseC { bucket: "b".into() },
            Remedy::UseKmsKeyArn,
        ];
        for remedy in remedies {
            let text = words(&remedy);
            assert!(!text.contains("--"), "{text}");
            assert!(!text.contains("s3seal "), "{text}");
        }
        let problem = Problem::from(&Error::NoRegion);
        assert_eq!(
            problem.summary,
            "No AWS region is set. Pick a region in the Region field and press Connect."
        );
    }
}
