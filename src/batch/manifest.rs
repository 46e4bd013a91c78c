//! The CSV manifest s3seal writes for a Batch Operations job (`bucket,key[,version]`, keys
//! URL-encoded, no header) from an audit's rows or an inventory report's, streamed to a
//! temporary file: which objects go in, which are left out and why (SSE-C, client-side,
//! already in the target encryption, over the 5 GiB copy limit — listed for a local job).

use std::collections::BTreeMap;
use std::io::Write as _;

use md5::{Digest as _, Md5};
use serde::Serialize;
use sha2::Sha256;

use super::selection::Selection;
use super::spec::{BatchTarget, MAX_BATCH_COPY};
use crate::error::{Error, Result};
use crate::s3::EncryptionMode;
use crate::s3::bucket::AuditRow;
use crate::s3::inventory::{InventoryRow, RowSink};

/// How many keys of objects too large for Batch Operations the plan names (the count is
/// always exact).
pub const TOO_LARGE_LISTED: usize = 100;

/// One object offered to the manifest.
#[derive(Clone, Debug)]
pub struct Candidate<'a> {
    pub key: &'a str,
    pub version_id: Option<&'a str>,
    pub size: Option<u64>,
    pub mode: Option<EncryptionMode>,
    /// SSE-KMS: the key, when known (audits know it, inventories do not).
    pub kms_key: Option<&'a str>,
    pub bucket_key: Option<bool>,
}

/// What the manifest holds, and what was left out.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ManifestSummary {
    pub objects: u64,
    pub bytes: u64,
    /// The encryption modes of the objects in it.
    pub source_modes: Vec<EncryptionMode>,
    /// Reason → objects left out.
    pub left_out: BTreeMap<String, u64>,
    /// Objects over 5 GiB that a copy job cannot take: run a local job for them.
    pub too_large: u64,
    /// The first [`TOO_LARGE_LISTED`] of their keys.
    pub too_large_keys: Vec<String>,
}

/// Writes the manifest as objects are offered.
pub struct ManifestWriter {
    bucket: String,
    target: BatchTarget,
    selection: Selection,
    /// Modes the selection allows, for inventory rows.
    mode_filter: Option<EncryptionMode>,
    /// Whether the job copies (so objects over 5 GiB are left out).
    copies: bool,
    with_versions: Option<bool>,
    file: std::io::BufWriter<tempfile::NamedTempFile>,
    line: String,
    md5: Md5,
    sha: Sha256,
    pub summary: ManifestSummary,
}

/// A finished manifest file.
#[derive(Debug)]
pub struct WrittenManifest {
    pub file: tempfile::NamedTempFile,
    /// Hex MD5: the ETag S3 gives a single-part SSE-S3 upload of it.
    pub md5: String,
    /// Hex SHA-256: names the manifest object, so the same content is the same object.
    pub sha256: String,
    pub with_versions: bool,
    pub summary: ManifestSummary,
}

/// A key as Batch Operations manifests take it: URL-encoded (`/` kept).
pub fn encode_key(key: &str) -> String {
    const KEEP: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'/')
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(key, KEEP).to_string()
}

impl ManifestWriter {
    /// A writer for objects of `bucket`; `copies` says whether the job will copy (it decides
    /// before the rows are read: see [`super::plan`]).
    pub fn new(
        bucket: &str,
        target: BatchTarget,
        selection: Selection,
        copies: bool,
    ) -> Result<Self> {
        let mode_filter = selection.generator_encryption().ok().flatten();
        let file = tempfile::NamedTempFile::new()
            .map_err(|e| Error::io("create", "a temporary manifest file", e))?;
        Ok(Self {
            bucket: bucket.to_owned(),
            target,
            selection,
            mode_filter,
            copies,
            with_versions: None,
            file: std::io::BufWriter::new(file),
            line: String::new(),
            md5: Md5::new(),
            sha: Sha256::new(),
            summary: ManifestSummary::default(),
        })
    }

    fn leave_out(&mut self, reason: &str) {
        *self.summary.left_out.entry(reason.to_owned()).or_insert(0) += 1;
    }

    /// Offers one object (already selected by the caller's filters).
    pub fn offer(&mut self, c: &Candidate<'_>) -> Result<()> {
        let Some(mode) = c.mode else {
            self.leave_out("encryption unknown (not inspected)");
            return Ok(());
        };
        match mode {
            EncryptionMode::SseC => {
                self.leave_out("SSE-C: S3 Batch Operations cannot send the key");
                return Ok(());
            }
            EncryptionMode::Client => {
                self.leave_out("client-side: re-wrap it with a local job");
                return Ok(());
            }
            _ => {}
        }
        let already = match &self.target {
            BatchTarget::SseS3 => mode == EncryptionMode::SseS3,
            BatchTarget::SseKms {
                key_arn,
                bucket_key,
            } => {
                mode == EncryptionMode::SseKms
                    && c.kms_key
                        .is_some_and(|k| crate::s3::bucket::filter::same_kms_key(k, key_arn))
                    && c.bucket_key.unwrap_or(false) == *bucket_key
            }
        };
        if already {
            self.leave_out("already in the target encryption");
            return Ok(());
        }
        if self.copies && c.size.is_some_and(|s| s > MAX_BATCH_COPY) {
            self.summary.too_large += 1;
            if self.summary.too_large_keys.len() < TOO_LARGE_LISTED {
                self.summary.too_large_keys.push(c.key.to_owned());
            }
            return Ok(());
        }
        let version = c.version_id.filter(|v| !v.is_empty());
        let versions = *self.with_versions.get_or_insert(version.is_some());
        if versions != version.is_some() {
            return Err(Error::InvalidInput(
                "a manifest must give version ids for every object or for none, and these objects mix both".to_owned(),
            ));
        }
        self.line.clear();
        self.line.push_str(&encode_key(&self.bucket));
        self.line.push(',');
        self.line.push_str(&encode_key(c.key));
        if let Some(v) = version {
            self.line.push(',');
            self.line.push_str(&encode_key(v));
        }
        self.line.push('\n');
        self.md5.update(self.line.as_bytes());
        sha2::Digest::update(&mut self.sha, self.line.as_bytes());
        self.file
            .write_all(self.line.as_bytes())
            .map_err(|e| Error::io("write", "the temporary manifest file", e))?;
        self.summary.objects += 1;
        self.summary.bytes += c.size.unwrap_or(0);
        if !self.summary.source_modes.contains(&mode) {
            self.summary.source_modes.push(mode);
            self.summary.source_modes.sort();
        }
        Ok(())
    }

    /// Offers an audited object, if the selection takes it.
    pub fn offer_audit_row(&mut self, row: &AuditRow) -> Result<()> {
        if !self.selection.keeps_audit_row(row) {
            return Ok(());
        }
        if row.error.is_some() {
            self.leave_out("could not be inspected");
            return Ok(());
        }
        self.offer(&Candidate {
            key: &row.key,
            version_id: None,
            size: Some(row.size),
            mode: row.mode,
            kms_key: row.kms_key_id.as_deref(),
            bucket_key: row.bucket_key_enabled,
        })
    }

    /// Flushes the file and returns it with its digests.
    pub fn finish(self) -> Result<WrittenManifest> {
        let file = self
            .file
            .into_inner()
            .map_err(|e| Error::io("write", "the temporary manifest file", e.into_error()))?;
        Ok(WrittenManifest {
            file,
            md5: hex::encode(self.md5.finalize()),
            sha256: hex::encode(sha2::Digest::finalize(self.sha)),
            with_versions: self.with_versions.unwrap_or(false),
            summary: self.summary,
        })
    }
}

impl RowSink for ManifestWriter {
    fn row(&mut self, row: &InventoryRow<'_>) -> Result<()> {
        let mode = row.encryption().map(|s| s.mode());
        if !self.selection.keeps_inventory_row(row, self.mode_filter) {
            return Ok(());
        }
        self.offer(&Candidate {
            key: &row.key,
            version_id: row.version_id,
            size: row.size,
            mode,
            kms_key: None,
            bucket_key: row.bucket_key,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(key: &str, mode: EncryptionMode, size: u64) -> AuditRow {
        let mut r = AuditRow::new(key, size);
        r.mode = Some(mode);
        r
    }

    #[test]
    fn writes_encoded_keys_and_says_what_it_left_out() {
        let target = BatchTarget::SseKms {
            key_arn: "arn:aws:kms:us-east-1:111122223333:key/k1".into(),
            bucket_key: true,
        };
        let mut w = ManifestWriter::new("b", target, Selection::default(), true).unwrap();
        let mut done = row("ok/a b+c.txt", EncryptionMode::SseKms, 5);
        done.kms_key_id = Some("k1".into());
        done.bucket_key_enabled = Some(true);
        for r in [
            row("ok/a b+c.txt", EncryptionMode::SseS3, 5),
            row("big", EncryptionMode::None, MAX_BATCH_COPY + 1),
            row("c", EncryptionMode::SseC, 1),
            row("cl", EncryptionMode::Client, 1),
            done,
            row("é", EncryptionMode::None, 7),
        ] {
            w.offer_audit_row(&r).unwrap();
        }
        let m = w.finish().unwrap();
        let text = std::fs::read_to_string(m.file.path()).unwrap();
        assert_eq!(text, "b,ok/a%20b%2Bc.txt\nb,%C3%A9\n");
        assert_eq!(m.md5, hex::encode(Md5::digest(text.as_bytes())));
        assert_eq!(m.summary.objects, 2);
        assert_eq!(m.summary.bytes, 12);
        assert_eq!(
            m.summary.source_modes,
            [EncryptionMode::None, EncryptionMode::SseS3]
        );
        assert_eq!(m.summary.too_large_keys, ["big"]);
        assert_eq!(m.summary.left_out.len(), 3, "{:?}", m.summary.left_out);
        assert_eq!(m.summary.left_out["already in the target encryption"], 1);
        assert!(!m.with_versions);
    }
}
