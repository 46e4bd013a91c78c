//! The S3 Encryption Client envelope (V2 and V3 formats): its model, and its parser and writer
//! for S3 user metadata (names without `x-amz-meta-`) and instruction files. The content cipher
//! of each format is in [`super::content`], key wrapping in [`super::keywrap`].

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;

use super::error::{CryptoError, CryptoResult, quote};
use super::gcm_stream::IV_LEN;
use super::suite::{COMMITMENT_LEN, MESSAGE_ID_LEN, SUITE_ID_STR, WRAPPED_KEY_LEN};
pub use super::suite::{CONTEXT_CEK_ALG_KEY, FormatVersion, V2_CEK_ALG, WrapAlgorithm};

/// A string map: material description, encryption context, or metadata.
pub type StringMap = BTreeMap<String, String>;
/// Name under which s3seal records its key id in a raw-key material description.
pub const MATDESC_KEY_ID: &str = "s3seal-key-id";

const V1_KEYS: [&str; 1] = ["x-amz-key"];
const V2_KEYS: [&str; 6] = [
    "x-amz-key-v2",
    "x-amz-iv",
    "x-amz-matdesc",
    "x-amz-wrap-alg",
    "x-amz-cek-alg",
    "x-amz-tag-len",
];
const V3_KEYS: [&str; 7] = [
    "x-amz-c", "x-amz-3", "x-amz-w", "x-amz-m", "x-amz-t", "x-amz-d", "x-amz-i",
];
/// V3 names that must live on the object itself, never in the instruction file.
const V3_OBJECT_ONLY: [&str; 3] = ["x-amz-c", "x-amz-d", "x-amz-i"];
const UNENCRYPTED_LEN: &str = "x-amz-unencrypted-content-length";
const INSTRUCTION_MARKER: &str = "x-amz-crypto-instr-file";
/// Upper bound on an encrypted data key (a KMS ciphertext blob is a few hundred bytes).
const MAX_EDK_LEN: usize = 4096;

/// A V2 envelope. All fields are public data (the EDK is ciphertext).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct V2Envelope {
    /// `x-amz-key-v2`: the encrypted data key.
    pub encrypted_key: Vec<u8>,
    /// `x-amz-iv`: the content IV.
    pub iv: [u8; IV_LEN],
    /// `x-amz-wrap-alg`.
    pub wrap: WrapAlgorithm,
    /// `x-amz-matdesc`: material description (raw keys) or encryption context (KMS).
    pub matdesc: StringMap,
    /// `x-amz-unencrypted-content-length`, informational only.
    pub unencrypted_length: Option<u64>,
}

/// A V3 envelope. All fields are public data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct V3Envelope {
    /// `x-amz-3`: the encrypted data key.
    pub encrypted_key: Vec<u8>,
    /// `x-amz-i`: the message id (HKDF salt).
    pub message_id: [u8; MESSAGE_ID_LEN],
    /// `x-amz-d`: the key commitment.
    pub commitment: [u8; COMMITMENT_LEN],
    /// `x-amz-w`.
    pub wrap: WrapAlgorithm,
    /// `x-amz-m`: material description of raw keys (`{}` when absent).
    pub material_description: StringMap,
    /// `x-amz-t`: KMS encryption context (`{}` when absent).
    pub encryption_context: StringMap,
    /// `x-amz-unencrypted-content-length`, informational only.
    pub unencrypted_length: Option<u64>,
}

/// An envelope of either version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Envelope {
    V2(V2Envelope),
    V3(V3Envelope),
}

impl Envelope {
    /// Reads the envelope from an object's user metadata (names lower-case, without
    /// `x-amz-meta-`; a leftover prefix and upper case are tolerated).
    ///
    /// `Ok(None)`: the metadata holds no envelope (a plain object, or one whose envelope is in
    /// an instruction file; see [`Envelope::instruction_file_hint`]).
    pub fn parse<K: AsRef<str>, V: AsRef<str>>(
        meta: impl IntoIterator<Item = (K, V)>,
    ) -> CryptoResult<Option<Self>> {
        parse_normalized(&normalize(meta)?)
    }

    /// True when the metadata says the envelope lives in `<key>.instruction`: V3 object-only
    /// fields without `x-amz-3`, or the legacy `x-amz-crypto-instr-file` marker.
    pub fn instruction_file_hint<K: AsRef<str>, V: AsRef<str>>(
        meta: impl IntoIterator<Item = (K, V)>,
    ) -> bool {
        let Ok(m) = normalize(meta) else { return false };
        m.contains_key(INSTRUCTION_MARKER)
            || (V3_OBJECT_ONLY.iter().all(|k| m.contains_key(*k)) && !m.contains_key("x-amz-3"))
    }

    /// Reads an envelope from an instruction file body (a JSON object of the same names) and
    /// the object's own metadata, which for V3 supplies `x-amz-c`, `x-amz-d` and `x-amz-i`
    /// (those are never taken from the instruction file).
    pub fn parse_instruction_file<K: AsRef<str>, V: AsRef<str>>(
        json: &[u8],
        object_meta: impl IntoIterator<Item = (K, V)>,
    ) -> CryptoResult<Self> {
        let bad = |reason: String| CryptoError::BadInstructionFile { reason };
        let value: serde_json::Value =
            serde_json::from_slice(json).map_err(|e| bad(e.to_string()))?;
        let serde_json::Value::Object(obj) = value else {
            return Err(bad("not a JSON object".into()));
        };
        let mut pairs = Vec::with_capacity(obj.len());
        for (k, v) in obj {
            let serde_json::Value::String(s) = v else {
                return Err(bad(format!("the value of '{}' is not a string", quote(&k))));
            };
            pairs.push((k, s));
        }
        let file = normalize(pairs)?;
        let object = normalize(object_meta)?;
        let mut merged: StringMap = file
            .iter()
            .filter(|(k, _)| !V3_OBJECT_ONLY.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        for key in V3_OBJECT_ONLY.iter().chain([UNENCRYPTED_LEN].iter()) {
            if let Some(v) = object.get(*key) {
                if file.get(*key).is_some_and(|f| f != v) {
                    return Err(CryptoError::DuplicateField {
                        field: (*key).to_string(),
                    });
                }
                merged.insert((*key).to_string(), v.clone());
            }
        }
        parse_normalized(&merged)?.ok_or_else(|| bad("it holds no encryption envelope".into()))
    }

    /// The metadata to store on the object (names without `x-amz-meta-`). JSON values are
    /// written with non-ASCII characters escaped, so every value is ASCII.
    pub fn to_metadata(&self) -> StringMap {
        let mut m = StringMap::new();
        let mut put = |k: &str, v: String| {
            m.insert(k.to_string(), v);
        };
        match self {
            Self::V2(e) => {
                put("x-amz-key-v2", B64.encode(&e.encrypted_key));
                put("x-amz-iv", B64.encode(e.iv));
                put("x-amz-cek-alg", V2_CEK_ALG.into());
                put("x-amz-wrap-alg", e.wrap.v2_name().into());
                put("x-amz-tag-len", "128".into());
                put("x-amz-matdesc", json_ascii(&e.matdesc));
            }
            Self::V3(e) => {
                put("x-amz-c", SUITE_ID_STR.into());
                put("x-amz-3", B64.encode(&e.encrypted_key));
                put("x-amz-w", e.wrap.v3_code().into());
                put("x-amz-d", B64.encode(e.commitment));
                put("x-amz-i", B64.encode(e.message_id));
                if !e.material_description.is_empty() {
                    put("x-amz-m", json_ascii(&e.material_description));
                }
                if !e.encryption_context.is_empty() {
                    put("x-amz-t", json_ascii(&e.encryption_context));
                }
            }
        }
        if let Some(len) = self.unencrypted_length() {
            put(UNENCRYPTED_LEN, len.to_string());
        }
        m
    }

    /// Splits the envelope for instruction-file storage: the instruction file body (JSON) and
    /// the metadata that must stay on the object (V3: `x-amz-c`, `x-amz-d`, `x-amz-i`; and
    /// `x-amz-unencrypted-content-length`, which the official readers refuse in the file).
    pub fn to_instruction_file(&self) -> (String, StringMap) {
        let all = self.to_metadata();
        // The official readers accept only envelope names in the file: the informational
        // plaintext length stays on the object, like V3's object-only fields.
        let (object, file): (StringMap, StringMap) = all.into_iter().partition(|(k, _)| {
            k == UNENCRYPTED_LEN
                || (matches!(self, Self::V3(_)) && V3_OBJECT_ONLY.contains(&k.as_str()))
        });
        (json_ascii(&file), object)
    }

    /// Format version.
    pub fn version(&self) -> FormatVersion {
        match self {
            Self::V2(_) => FormatVersion::V2,
            Self::V3(_) => FormatVersion::V3,
        }
    }

    /// How the data key is wrapped.
    pub fn wrap_algorithm(&self) -> WrapAlgorithm {
        match self {
            Self::V2(e) => e.wrap,
            Self::V3(e) => e.wrap,
        }
    }

    /// The encrypted data key (for KMS: the CiphertextBlob).
    pub fn encrypted_key(&self) -> &[u8] {
        match self {
            Self::V2(e) => &e.encrypted_key,
            Self::V3(e) => &e.encrypted_key,
        }
    }

    /// Material description of a raw-key envelope (V2 `x-amz-matdesc`, V3 `x-amz-m`).
    pub fn material_description(&self) -> &StringMap {
        match self {
            Self::V2(e) => &e.matdesc,
            Self::V3(e) => &e.material_description,
        }
    }

    /// KMS encryption context (V2 `x-amz-matdesc`, V3 `x-amz-t`).
    pub fn encryption_context(&self) -> &StringMap {
        match self {
            Self::V2(e) => &e.matdesc,
            Self::V3(e) => &e.encryption_context,
        }
    }

    /// The s3seal key id recorded in the material description, if any.
    pub fn s3seal_key_id(&self) -> Option<&str> {
        self.material_description()
            .get(MATDESC_KEY_ID)
            .map(String::as_str)
    }

    /// `x-amz-unencrypted-content-length`, if present (not authenticated).
    pub fn unencrypted_length(&self) -> Option<u64> {
        match self {
            Self::V2(e) => e.unencrypted_length,
            Self::V3(e) => e.unencrypted_length,
        }
    }

    /// Sets or clears `x-amz-unencrypted-content-length`.
    pub fn set_unencrypted_length(&mut self, len: Option<u64>) {
        match self {
            Self::V2(e) => e.unencrypted_length = len,
            Self::V3(e) => e.unencrypted_length = len,
        }
    }
}

/// Lower-cases names, strips a leftover `x-amz-meta-` prefix and keeps only `x-amz-` names.
fn normalize<K: AsRef<str>, V: AsRef<str>>(
    meta: impl IntoIterator<Item = (K, V)>,
) -> CryptoResult<StringMap> {
    let mut out = StringMap::new();
    for (k, v) in meta {
        let lower = k.as_ref().to_ascii_lowercase();
        let name = lower.strip_prefix("x-amz-meta-").unwrap_or(&lower);
        if !name.starts_with("x-amz-") {
            continue;
        }
        let value = v.as_ref();
        if let Some(old) = out.insert(name.to_string(), value.to_string())
            && old != value
        {
            return Err(CryptoError::DuplicateField { field: quote(name) });
        }
    }
    Ok(out)
}

fn present(m: &StringMap, keys: &[&str]) -> Vec<String> {
    keys.iter()
        .filter(|k| m.contains_key(**k))
        .map(|k| (*k).to_string())
        .collect()
}

fn parse_normalized(m: &StringMap) -> CryptoResult<Option<Envelope>> {
    let v1 = present(m, &V1_KEYS);
    let v2 = present(m, &V2_KEYS);
    let v3 = present(m, &V3_KEYS);
    let old: Vec<String> = v1.iter().chain(v2.iter()).cloned().collect();
    if !old.is_empty() && !v3.is_empty() {
        return Err(CryptoError::MixedVersions {
            v2: old.join(", "),
            v3: v3.join(", "),
        });
    }
    if !v1.is_empty() {
        return Err(CryptoError::UnsupportedV1);
    }
    if !v2.is_empty() {
        return parse_v2(m).map(|e| Some(Envelope::V2(e)));
    }
    if v3.is_empty() {
        return Ok(None);
    }
    let object_only = V3_OBJECT_ONLY.iter().all(|k| m.contains_key(*k));
    if object_only && v3.len() == V3_OBJECT_ONLY.len() {
        return Ok(None); // V3 with its envelope in an instruction file
    }
    parse_v3(m).map(|e| Some(Envelope::V3(e)))
}

fn required<'a>(
    m: &'a StringMap,
    version: &'static str,
    field: &'static str,
) -> CryptoResult<&'a str> {
    m.get(field)
        .map(String::as_str)
        .ok_or(CryptoError::MissingField { version, field })
}

fn decode_b64(value: &str, field: &'static str) -> CryptoResult<Vec<u8>> {
    B64.decode(value.trim())
        .map_err(|_| CryptoError::BadBase64 { field })
}

fn decode_fixed<const N: usize>(value: &str, field: &'static str) -> CryptoResult<[u8; N]> {
    let bytes = decode_b64(value, field)?;
    <[u8; N]>::try_from(bytes.as_slice()).map_err(|_| CryptoError::BadLength {
        field,
        expected: N,
        actual: bytes.len(),
    })
}

fn decode_edk(value: &str, field: &'static str, wrap: WrapAlgorithm) -> CryptoResult<Vec<u8>> {
    let edk = decode_b64(value, field)?;
    let bad = |expected| CryptoError::BadLength {
        field,
        expected,
        actual: edk.len(),
    };
    match wrap {
        WrapAlgorithm::AesGcm if edk.len() != WRAPPED_KEY_LEN => Err(bad(WRAPPED_KEY_LEN)),
        WrapAlgorithm::KmsContext if edk.is_empty() => Err(bad(1)),
        WrapAlgorithm::KmsContext if edk.len() > MAX_EDK_LEN => Err(bad(MAX_EDK_LEN)),
        _ => Ok(edk),
    }
}

fn parse_len(m: &StringMap) -> CryptoResult<Option<u64>> {
    m.get(UNENCRYPTED_LEN)
        .map(|v| {
            v.trim().parse::<u64>().map_err(|_| CryptoError::BadNumber {
                field: UNENCRYPTED_LEN,
                value: quote(v),
            })
        })
        .transpose()
}

fn unsupported(
    what: &'static str,
    field: &'static str,
    value: &str,
    supported: &'static str,
) -> CryptoError {
    CryptoError::UnsupportedAlgorithm {
        what,
        field,
        value: quote(value),
        supported,
    }
}

/// Checks that a KMS context names the content algorithm `expected` (`aws:x-amz-cek-alg`).
pub(crate) fn check_context_alg(ctx: &StringMap, expected: &'static str) -> CryptoResult<()> {
    match ctx.get(CONTEXT_CEK_ALG_KEY) {
        Some(v) if v == expected => Ok(()),
        other => Err(CryptoError::ContextAlgorithmMismatch {
            expected,
            found: other.map_or_else(|| "(missing)".to_string(), |v| quote(v)),
        }),
    }
}

fn parse_v2(m: &StringMap) -> CryptoResult<V2Envelope> {
    const V: &str = "V2";
    let cek = required(m, V, "x-amz-cek-alg")?;
    if cek != V2_CEK_ALG {
        return Err(unsupported(
            "content algorithm",
            "x-amz-cek-alg",
            cek,
            "AES/GCM/NoPadding",
        ));
    }
    if let Some(t) = m.get("x-amz-tag-len")
        && t.trim() != "128"
    {
        return Err(CryptoError::BadTagLength { value: quote(t) });
    }
    let wrap = match required(m, V, "x-amz-wrap-alg")? {
        "AES/GCM" => WrapAlgorithm::AesGcm,
        "kms+context" => WrapAlgorithm::KmsContext,
        other => {
            return Err(unsupported(
                "key wrap algorithm",
                "x-amz-wrap-alg",
                other,
                "AES/GCM and kms+context",
            ));
        }
    };
    let encrypted_key = decode_edk(required(m, V, "x-amz-key-v2")?, "x-amz-key-v2", wrap)?;
    let iv = decode_fixed::<IV_LEN>(required(m, V, "x-amz-iv")?, "x-amz-iv")?;
    let matdesc = match m.get("x-amz-matdesc") {
        Some(s) => parse_json_map(s, "x-amz-matdesc")?,
        None => StringMap::new(),
    };
    if wrap == WrapAlgorithm::KmsContext {
        check_context_alg(&matdesc, V2_CEK_ALG)?;
    }
    Ok(V2Envelope {
        encrypted_key,
        iv,
        wrap,
        matdesc,
        unencrypted_length: parse_len(m)?,
    })
}

fn parse_v3(m: &StringMap) -> CryptoResult<V3Envelope> {
    const V: &str = "V3";
    let suite = required(m, V, "x-amz-c")?;
    if suite != SUITE_ID_STR {
        return Err(unsupported(
            "content algorithm",
            "x-amz-c",
            suite,
            "115 (AES-256-GCM, HKDF-SHA512, key commitment)",
        ));
    }
    let wrap = match required(m, V, "x-amz-w")? {
        "02" => WrapAlgorithm::AesGcm,
        "12" => WrapAlgorithm::KmsContext,
        other => {
            return Err(unsupported(
                "key wrap algorithm",
                "x-amz-w",
                other,
                "02 (AES/GCM) and 12 (kms+context)",
            ));
        }
    };
    let encrypted_key = decode_edk(required(m, V, "x-amz-3")?, "x-amz-3", wrap)?;
    let commitment = decode_fixed::<COMMITMENT_LEN>(required(m, V, "x-amz-d")?, "x-amz-d")?;
    let message_id = decode_fixed::<MESSAGE_ID_LEN>(required(m, V, "x-amz-i")?, "x-amz-i")?;
    let material_description = match m.get("x-amz-m") {
        Some(s) => parse_json_map(s, "x-amz-m")?,
        None => StringMap::new(),
    };
    let encryption_context = match m.get("x-amz-t") {
        Some(s) => parse_json_map(s, "x-amz-t")?,
        None => StringMap::new(),
    };
    if wrap == WrapAlgorithm::KmsContext {
        check_context_alg(&encryption_context, SUITE_ID_STR)?;
    }
    Ok(V3Envelope {
        encrypted_key,
        message_id,
        commitment,
        wrap,
        material_description,
        encryption_context,
        unencrypted_length: parse_len(m)?,
    })
}

/// Parses a JSON object of strings, first undoing S3's RFC 2047 encoding of non-ASCII values.
fn parse_json_map(raw: &str, field: &'static str) -> CryptoResult<StringMap> {
    let text = decode_rfc2047(raw).unwrap_or_else(|| raw.to_string());
    let bad = |reason: String| CryptoError::BadJson { field, reason };
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
    let serde_json::Value::Object(obj) = value else {
        return Err(bad("not an object".into()));
    };
    obj.into_iter()
        .map(|(k, v)| match v {
            serde_json::Value::String(s) => Ok((k, s)),
            _ => Err(bad(format!("the value of '{}' is not a string", quote(&k)))),
        })
        .collect()
}

/// Decodes `=?UTF-8?B?...?=` / `=?UTF-8?Q?...?=` words (how S3 returns non-ASCII metadata).
/// `None` when the value is not entirely made of such words.
fn decode_rfc2047(value: &str) -> Option<String> {
    let value = value.trim();
    if !value.starts_with("=?") || !value.ends_with("?=") {
        return None;
    }
    let mut bytes = Vec::new();
    for word in value.split_whitespace() {
        let inner = word.strip_prefix("=?")?.strip_suffix("?=")?;
        let mut parts = inner.splitn(3, '?');
        let (charset, enc, text) = (parts.next()?, parts.next()?, parts.next()?);
        if !charset.eq_ignore_ascii_case("utf-8") {
            return None;
        }
        if enc.eq_ignore_ascii_case("b") {
            bytes.extend(B64.decode(text).ok()?);
        } else if enc.eq_ignore_ascii_case("q") {
            let mut it = text.bytes();
            while let Some(b) = it.next() {
                match b {
                    b'_' => bytes.push(b' '),
                    b'=' => {
                        let hex = [it.next()?, it.next()?];
                        bytes.push(u8::from_str_radix(std::str::from_utf8(&hex).ok()?, 16).ok()?);
                    }
                    _ => bytes.push(b),
                }
            }
        } else {
            return None;
        }
    }
    String::from_utf8(bytes).ok()
}

/// Serialises a string map as compact JSON with every non-ASCII character escaped.
fn json_ascii(map: &StringMap) -> String {
    fn push_str(out: &mut String, s: &str) {
        out.push('"');
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                c if c.is_ascii() && !c.is_ascii_control() => out.push(c),
                c => {
                    let mut units = [0u16; 2];
                    for u in c.encode_utf16(&mut units) {
                        out.push_str(&format!("\\u{u:04x}"));
                    }
                }
            }
        }
        out.push('"');
    }
    let mut out = String::from("{");
    for (i, (k, v)) in map.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_str(&mut out, k);
        out.push(':');
        push_str(&mut out, v);
    }
    out.push('}');
    out
}
