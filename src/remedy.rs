//! What a person can do about a problem, as data. The core returns remedies (with errors, with
//! verdicts, with warnings); each front end words them in its own terms — the CLI names flags
//! and commands (`cli/remedy.rs`), the window names fields and buttons (`ui/remedy.rs`).

use serde::Serialize;

use crate::keys::KeyKind;

/// A piece of advice the core gives (a verdict's reason, a warning, a suggestion): the words
/// that suit any front end, and what to do about it as data. In JSON only the text appears.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Advice {
    pub text: String,
    #[serde(skip)]
    pub remedy: Option<Remedy>,
}

impl Advice {
    pub fn new(text: impl Into<String>, remedy: Option<Remedy>) -> Self {
        Self {
            text: text.into(),
            remedy,
        }
    }

    /// Advice with nothing to do about it.
    pub fn note(text: impl Into<String>) -> Self {
        Self::new(text, None)
    }
}

/// One thing to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Remedy {
    /// Check the endpoint, the network and the CA bundle.
    CheckConnection,
    /// Point the CA bundle at a PEM file of CA certificates.
    UseCaBundle,
    /// Use an `https://` endpoint.
    UseHttps,
    /// Configure credentials: a profile, SSO sign-in, or an access key.
    SetUpCredentials,
    /// Choose the AWS region.
    ChooseRegion,
    /// Check the bucket or object name and the region.
    CheckNameAndRegion,
    /// Check the credentials' permissions, the bucket policy (TLS, encryption rules) and the
    /// SSE-C block.
    CheckPermissions,
    /// The service is throttling: try again later.
    TryLater,
    /// Something changed meanwhile: do it again.
    TryAgain,
    /// A plan or diff is out of date: look at the new one and apply again.
    ReviewAgain,
    /// This machine's clock is off (RequestTimeTooSkewed).
    FixClock,
    ChooseAnotherBucketName,
    ChooseAnotherPath,
    CheckFilePermissions,
    FreeDiskSpace,
    /// See the local keys, or create one with this name.
    CreateOrListKeys {
        name: String,
    },
    ChooseAnotherKeyName,
    /// The same key exists under another name: use it, or rename it.
    UseExistingKey {
        existing: String,
        wanted: String,
    },
    /// Pick (or create) a key of this kind.
    PickKeyOfKind {
        kind: KeyKind,
    },
    /// Import the key (of this kind) the object was written with.
    ImportKey {
        kind: KeyKind,
    },
    /// Import the key again from a backup, or remove it from the catalog.
    ReimportOrRemoveKey {
        name: String,
    },
    /// Name the SSE-C key the object was uploaded with.
    NameSseCKey,
    /// Offer local keys for this bucket explicitly (they are not offered outside their homes).
    TryKeysHere,
    /// Use the key the object was uploaded with.
    UseUploadKey,
    /// Name this local key instead: it opens the object.
    NameKey {
        name: String,
    },
    /// Name the KMS key that wraps the object's data key, if you trust it.
    TrustKmsKey,
    /// Allow objects without key commitment (V2) for this read.
    AllowUncommitted,
    /// Start and unlock an OS keyring (Secret Service on Linux).
    StartSecretService,
    /// Restore the key catalog from a backup.
    RestoreCatalog,
    /// Say where s3seal keeps its configuration.
    SetConfigDir,
    /// See the KMS keys that can be used.
    PickKmsKey,
    /// Connect first.
    Connect,
    /// Run s3seal's commands instead of the window.
    UseCommandLine,
    /// A bug: report it.
    ReportBug,
    /// Another transfer to the same place is running: wait for it, or stop it.
    WaitForTransfer,
    /// An upload was interrupted and kept: (after doing `first`, if any) run the same upload
    /// again to send only what is missing, or discard it.
    ResumeUpload {
        first: Option<Box<Remedy>>,
    },
    /// A download was interrupted and its ranges kept: (after doing `first`, if any) run the
    /// same download again to fetch only what is missing.
    ResumeDownload {
        first: Option<Box<Remedy>>,
    },
    // --- bucket protection: what a verdict suggests ---
    /// Add the deny of plain-HTTP requests to the bucket policy.
    EnforceTls {
        bucket: String,
    },
    /// Also require TLS 1.2 or newer.
    AddMinTls {
        bucket: String,
    },
    /// Set a default encryption for new uploads.
    SetDefaultEncryption {
        bucket: String,
    },
    /// Use an S3 Bucket Key with SSE-KMS, for new uploads and existing objects.
    UseBucketKey {
        bucket: String,
    },
    /// A policy compares the KMS key as sent: give the full key ARN.
    UseKmsKeyArn,
    /// Refuse SSE-C uploads to the bucket.
    BlockSseC {
        bucket: String,
    },
    /// Allow SSE-C uploads to the bucket again.
    UnblockSseC {
        bucket: String,
    },
    /// Re-encrypt the objects already in the bucket.
    ReencryptExisting {
        bucket: String,
    },
    /// The bucket policy cannot be read: fix or remove it with another tool.
    FixPolicyElsewhere {
        bucket: String,
    },
    /// Have S3 abort incomplete multipart uploads after some days (a lifecycle rule).
    AddAbortRule {
        bucket: String,
    },
    /// Look at the bucket's incomplete uploads and abort those nobody will finish.
    AbortIncompleteUploads {
        bucket: String,
    },
    /// A re-encryption job stopped before the end (a quit, Ctrl-C, a crash): resume it, and it
    /// continues where it stopped.
    ResumeJob {
        id: String,
    },
    /// Another s3seal is running the job: wait for it to finish, or cancel the job for good.
    WaitForJob {
        id: String,
    },
}
