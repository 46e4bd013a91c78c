//! The command line's words for the core's remedies: flags and commands to type.

use crate::error::Error;
use crate::remedy::{Advice, Remedy};

/// What to type to fix it, as one sentence without a final period.
pub fn words(remedy: &Remedy) -> String {
    match remedy {
        Remedy::CheckConnection => {
            "Check --endpoint-url, the network, and --ca-bundle for a private CA".to_owned()
        }
        Remedy::UseCaBundle => {
            "Point --ca-bundle (or AWS_CA_BUNDLE) at a PEM file of CA certificates".to_owned()
        }
        Remedy::UseHttps => "Use an https:// endpoint".to_owned(),
        Remedy::SetUpCredentials => {
            "Run `aws configure`, `aws sso login`, or pass --profile".to_owned()
        }
        Remedy::ChooseRegion => {
            "Pass --region (e.g. --region us-east-1), or set AWS_REGION or a profile's region"
                .to_owned()
        }
        Remedy::CheckNameAndRegion => "Check the name and the region (--region)".to_owned(),
        Remedy::CheckPermissions => "Check the permissions of your credentials, whether the bucket policy denies this encryption mode or requires TLS (`s3seal bucket show`), and for SSE-C whether the bucket blocks it (`s3seal bucket unblock-ssec`)".to_owned(),
        Remedy::TryLater => {
            "The service kept throttling after several retries; try again later or lower the load"
                .to_owned()
        }
        Remedy::TryAgain => "Run the command again".to_owned(),
        Remedy::ReviewAgain => "Look at the new diff and apply again".to_owned(),
        Remedy::FixClock => {
            "This machine's clock is off: set it right (e.g. turn on NTP) and try again".to_owned()
        }
        Remedy::ChooseAnotherBucketName => "Choose another bucket name".to_owned(),
        Remedy::ChooseAnotherPath => "Choose another path, or remove the file first".to_owned(),
        Remedy::CheckFilePermissions => "Check the file's permissions".to_owned(),
        Remedy::FreeDiskSpace => "Free some disk space and try again".to_owned(),
        Remedy::CreateOrListKeys { name } => format!(
            "Run `s3seal keys list` to see the names, or `s3seal keys new {name}` to create it"
        ),
        Remedy::ChooseAnotherKeyName => {
            "Pick another name or delete the old key first".to_owned()
        }
        Remedy::UseExistingKey { existing, wanted } => format!(
            "Use that name, or rename it with `s3seal keys rename {existing} {wanted}`"
        ),
        Remedy::PickKeyOfKind { kind } => format!(
            "Pick a {kind} key (`s3seal keys list`) or create one with `s3seal keys new NAME --kind {kind}`"
        ),
        Remedy::ImportKey { kind } => format!(
            "Import the key it was written with (`s3seal keys import NAME --kind {kind} …`) and try again"
        ),
        Remedy::ReimportOrRemoveKey { name } => format!(
            "Import it again from a backup, or delete it with `s3seal keys rm {name}`"
        ),
        Remedy::NameSseCKey => {
            "Pass --key NAME with the key it was uploaded with, or import that key".to_owned()
        }
        Remedy::TryKeysHere => "Pass --key NAME to send that key to this bucket, or make the bucket one of the key's homes with `s3seal keys homes NAME --add s3://BUCKET`".to_owned(),
        Remedy::UseUploadKey => "Use the key it was uploaded with".to_owned(),
        Remedy::NameKey { name } => {
            format!("Pass --key {name} instead (--source-key {name} with `s3seal rekey`)")
        }
        Remedy::TrustKmsKey => "If you trust the KMS key that wraps its data key, name it with --kms-key KEY, or trust it for good with `s3seal keys trust-kms KEY`".to_owned(),
        Remedy::AllowUncommitted => "Leave out --require-commitment to read it anyway".to_owned(),
        Remedy::StartSecretService => "On Linux, make sure a Secret Service (e.g. gnome-keyring) is running and unlocked: run s3seal in a desktop session, or start one with `gnome-keyring-daemon --start --components=secrets` inside `dbus-run-session`".to_owned(),
        Remedy::RestoreCatalog => {
            "Restore it from a backup; the keys themselves are still in the OS keyring".to_owned()
        }
        Remedy::SetConfigDir => "Set S3SEAL_CONFIG_DIR to a directory".to_owned(),
        Remedy::PickKmsKey => {
            "Run `s3seal kms` to list the keys you can use, or check --region".to_owned()
        }
        Remedy::Connect => "Give the connection flags (--profile, --endpoint-url, --region)".to_owned(),
        Remedy::UseCommandLine => {
            "Run it in a desktop session, or use a command (see `s3seal --help`)".to_owned()
        }
        Remedy::ReportBug => "This is a bug in s3seal; please report it".to_owned(),
        Remedy::WaitForTransfer => {
            "Wait for it to finish, or stop it (Ctrl-C) before starting this one".to_owned()
        }
        Remedy::ResumeUpload { first } => format!(
            "{}un the same `s3seal put` again: it sends only the missing parts (or discard them with `s3seal uploads abort s3://BUCKET/KEY --all`)",
            match first {
                Some(first) => format!("{}, then r", words(first)),
                None => "R".to_owned(),
            }
        ),
        Remedy::ResumeDownload { first } => format!(
            "{}un the same `s3seal get` again: it fetches only the missing ranges",
            match first {
                Some(first) => format!("{}, then r", words(first)),
                None => "R".to_owned(),
            }
        ),
        Remedy::EnforceTls { bucket } => {
            format!("Add the deny with `s3seal bucket enforce-tls s3://{bucket}`")
        }
        Remedy::AddMinTls { bucket } => format!(
            "Require TLS 1.2 or newer with `s3seal bucket enforce-tls s3://{bucket} --min-tls 1.2`"
        ),
        Remedy::SetDefaultEncryption { bucket } => format!(
            "Set one with `s3seal bucket set-default s3://{bucket} --encryption sse-kms --kms-key KEY`"
        ),
        Remedy::UseBucketKey { bucket } => format!(
            "Turn Bucket Keys on for new uploads with `s3seal bucket set-default s3://{bucket} --encryption sse-kms --kms-key KEY --bucket-key`, and for existing objects with `s3seal rekey s3://{bucket}/PREFIX/ --recursive --encryption sse-kms --kms-key KEY --bucket-key`"
        ),
        Remedy::UseKmsKeyArn => "Give the full key ARN with --kms-key".to_owned(),
        Remedy::BlockSseC { bucket } => format!(
            "Block it with `s3seal bucket block-ssec s3://{bucket}` unless you use SSE-C"
        ),
        Remedy::UnblockSseC { bucket } => format!(
            "If you do upload with SSE-C, unblock it with `s3seal bucket unblock-ssec s3://{bucket}`"
        ),
        Remedy::ReencryptExisting { bucket } => format!(
            "Re-encrypt them with `s3seal rekey s3://{bucket}/PREFIX/ --recursive --encryption MODE`"
        ),
        Remedy::FixPolicyElsewhere { .. } => "Fix or remove it first (aws s3api get-bucket-policy / put-bucket-policy / delete-bucket-policy)".to_owned(),
        Remedy::AddAbortRule { bucket } => format!(
            "Have S3 remove them after some days with `s3seal bucket abort-incomplete-uploads s3://{bucket} --days 7`"
        ),
        Remedy::AbortIncompleteUploads { bucket } => format!(
            "See them with `s3seal uploads list s3://{bucket}`, abort the stale ones with `s3seal uploads abort s3://{bucket} --older-than 7`, and have S3 remove those left later with `s3seal bucket abort-incomplete-uploads s3://{bucket} --days 7`"
        ),
        Remedy::ResumeJob { id } => {
            format!("Run `s3seal jobs resume {id}` to continue where it stopped")
        }
        Remedy::WaitForJob { id } => format!(
            "Wait for it to finish (`s3seal jobs show {id}` shows how far it is), or stop it for good with `s3seal jobs cancel {id}`"
        ),
    }
}

/// A piece of advice as one line: its text, then what to type.
pub fn advice(advice: &Advice) -> String {
    match &advice.remedy {
        Some(remedy) => join(&advice.text, &words(remedy)),
        None => advice.text.clone(),
    }
}

/// The line `main` prints for an error: what went wrong, then what to type.
pub fn error_line(err: &Error) -> String {
    match err.remedy() {
        Some(remedy) => join(&err.to_string(), &words(&remedy)),
        None => err.to_string(),
    }
}

/// `text` and `then` as two sentences.
fn join(text: &str, then: &str) -> String {
    let text = text.trim_end();
    if text.ends_with(['.', '!', '?']) {
        format!("{text} {then}.")
    } else {
        format!("{text}. {then}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_end_with_what_to_type() {
        let line = error_line(&Error::UnknownKey {
            name: "nosuch".into(),
        });
        assert_eq!(
            line,
            "no key named 'nosuch' in the key store. Run `s3seal keys list` to see the names, or `s3seal keys new nosuch` to create it"
        );
        let line = advice(&Advice::new(
            "SSE-C uploads are allowed.",
            Some(Remedy::BlockSseC { bucket: "b".into() }),
        ));
        assert!(line.ends_with("unless you use SSE-C."), "{line}");
        assert_eq!(error_line(&Error::Cancelled), Error::Cancelled.to_string());
    }
}
