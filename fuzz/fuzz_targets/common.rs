//! Structured metadata for the envelope fuzz targets: names and values are drawn mostly from
//! the S3 Encryption Client vocabulary so the parsers' deep paths are reached, with arbitrary
//! strings mixed in.

use base64::Engine as _;
use libfuzzer_sys::arbitrary::{self, Arbitrary};

const NAMES: &[&str] = &[
    "x-amz-key",
    "x-amz-key-v2",
    "x-amz-iv",
    "x-amz-matdesc",
    "x-amz-wrap-alg",
    "x-amz-cek-alg",
    "x-amz-tag-len",
    "x-amz-unencrypted-content-length",
    "x-amz-crypto-instr-file",
    "x-amz-c",
    "x-amz-3",
    "x-amz-w",
    "x-amz-m",
    "x-amz-t",
    "x-amz-d",
    "x-amz-i",
    "X-Amz-Meta-x-amz-iv",
    "content-type",
];

const VALUES: &[&str] = &[
    "AES/GCM/NoPadding",
    "AES/CBC/PKCS5Padding",
    "AES/GCM",
    "kms+context",
    "kms",
    "AESWrap",
    "128",
    "96",
    "115",
    "02",
    "12",
    "22",
    "{}",
    "",
    "=?UTF-8?B?e30=?=",
    "=?UTF-8?Q?=7B=7D?=",
    "{\"aws:x-amz-cek-alg\":\"AES/GCM/NoPadding\"}",
    "{\"aws:x-amz-cek-alg\":\"115\"}",
];

#[derive(Debug, Arbitrary)]
pub enum Name {
    Known(u8),
    Other(String),
}

#[derive(Debug, Arbitrary)]
pub enum Value {
    Known(u8),
    /// Base64 of `len % 64` bytes, which hits the 12/28/60-byte lengths the format uses.
    Bytes {
        len: u8,
        fill: u8,
    },
    Base64(Vec<u8>),
    Json(Vec<(String, String)>),
    Raw(String),
}

impl Name {
    pub fn render(&self) -> String {
        match self {
            Name::Known(i) => NAMES[usize::from(*i) % NAMES.len()].to_string(),
            Name::Other(s) => s.clone(),
        }
    }
}

impl Value {
    pub fn render(&self) -> String {
        let b64 = base64::engine::general_purpose::STANDARD;
        match self {
            Value::Known(i) => VALUES[usize::from(*i) % VALUES.len()].to_string(),
            Value::Bytes { len, fill } => b64.encode(vec![*fill; usize::from(*len % 64)]),
            Value::Base64(b) => b64.encode(b),
            Value::Json(pairs) => {
                let map: serde_json::Map<String, serde_json::Value> = pairs
                    .iter()
                    .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
                    .collect();
                serde_json::Value::Object(map).to_string()
            }
            Value::Raw(s) => s.clone(),
        }
    }
}

/// Metadata built from a valid envelope template (or none), then edited: `Some` sets a name,
/// `None` removes it. Starting from valid envelopes lets the fuzzer reach the deep paths.
#[derive(Debug, Arbitrary)]
pub struct Meta {
    pub template: u8,
    pub edits: Vec<(Name, Option<Value>)>,
}

fn b64(n: usize, fill: u8) -> String {
    base64::engine::general_purpose::STANDARD.encode(vec![fill; n])
}

fn template(i: u8) -> Vec<(&'static str, String)> {
    let v2 = |key_len, wrap: &str, matdesc: &str| {
        vec![
            ("x-amz-key-v2", b64(key_len, 1)),
            ("x-amz-iv", b64(12, 2)),
            ("x-amz-cek-alg", "AES/GCM/NoPadding".to_string()),
            ("x-amz-wrap-alg", wrap.to_string()),
            ("x-amz-tag-len", "128".to_string()),
            ("x-amz-matdesc", matdesc.to_string()),
        ]
    };
    let v3 = |key_len, wrap: &str, json_name: &'static str, json: &str| {
        vec![
            ("x-amz-c", "115".to_string()),
            ("x-amz-3", b64(key_len, 3)),
            ("x-amz-w", wrap.to_string()),
            ("x-amz-d", b64(28, 4)),
            ("x-amz-i", b64(28, 5)),
            (json_name, json.to_string()),
        ]
    };
    match i % 7 {
        1 => v2(60, "AES/GCM", "{\"s3seal-key-id\":\"k\"}"),
        2 => v2(
            100,
            "kms+context",
            "{\"aws:x-amz-cek-alg\":\"AES/GCM/NoPadding\",\"a\":\"b\"}",
        ),
        3 => v3(60, "02", "x-amz-m", "{\"s3seal-key-id\":\"k\"}"),
        4 => v3(100, "12", "x-amz-t", "{\"aws:x-amz-cek-alg\":\"115\"}"),
        5 => vec![
            ("x-amz-c", "115".to_string()),
            ("x-amz-d", b64(28, 4)),
            ("x-amz-i", b64(28, 5)),
        ],
        _ => Vec::new(),
    }
}

impl Meta {
    pub fn render(&self) -> Vec<(String, String)> {
        let mut map: Vec<(String, String)> = template(self.template)
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        for (name, value) in &self.edits {
            let name = name.render();
            map.retain(|(k, _)| *k != name);
            if let Some(v) = value {
                map.push((name, v.render()));
            }
        }
        map
    }
}
