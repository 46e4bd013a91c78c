//! Parsing user-supplied key material (raw file, base64, hex) and encoding keys for export.
//!
//! Error reasons describe what was found (lengths, which encoding failed) and never echo the
//! input. Intermediate buffers holding key material are zeroized.

use std::fmt;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use base64::Engine as _;
use zeroize::Zeroizing;

use crate::crypto::{KEY_LEN, Key256};
use crate::error::{Error, Result};

/// Largest key file read: anything bigger is certainly not a key and is not read at all.
const MAX_KEY_FILE: u64 = 4096;

/// Length of standard padded base64 for a 32-byte key.
const BASE64_LEN: usize = 44;

/// Length of hex for a 32-byte key.
const HEX_LEN: usize = 2 * KEY_LEN;

/// Where to take a key from.
pub enum KeySource {
    /// A file holding exactly 32 raw bytes, or base64 / hex text.
    File(PathBuf),
    /// Standard padded base64 (44 characters); surrounding whitespace is ignored.
    Base64(Zeroizing<String>),
    /// 64 hex digits, either case; surrounding whitespace is ignored.
    Hex(Zeroizing<String>),
}

impl fmt::Debug for KeySource {
    /// Shows the file path, never the key text.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::File(path) => f.debug_tuple("File").field(path).finish(),
            Self::Base64(_) => f.write_str("Base64(<redacted>)"),
            Self::Hex(_) => f.write_str("Hex(<redacted>)"),
        }
    }
}

/// Reads a 256-bit key from `source`.
///
/// Errors are [`Error::InvalidKey`] (with a reason such as "the file is 31 bytes" or
/// "base64 decodes to 31 bytes") or [`Error::Io`] when the file cannot be read.
pub fn parse_key(source: &KeySource) -> Result<Key256> {
    let invalid = |reason: String| Error::InvalidKey { reason };
    match source {
        KeySource::File(path) => parse_file(path),
        KeySource::Base64(text) => decode_base64(text.trim().as_bytes()).map_err(invalid),
        KeySource::Hex(text) => decode_hex(text.trim().as_bytes()).map_err(invalid),
    }
}

fn parse_file(path: &Path) -> Result<Key256> {
    let io = |e| Error::io("cannot read key file", path, e);
    let file = std::fs::File::open(path).map_err(io)?;
    let size = file.metadata().map_err(io)?.len();
    if size > MAX_KEY_FILE {
        return Err(Error::InvalidKey {
            reason: format!("the file is {size} bytes, far too large to be a key"),
        });
    }
    // Capacity up front so reading never reallocates (and leaves unzeroized copies behind).
    let mut data = Zeroizing::new(Vec::with_capacity(MAX_KEY_FILE as usize + 1));
    file.take(MAX_KEY_FILE + 1)
        .read_to_end(&mut data)
        .map_err(io)?;
    let found = data.len();
    if found == KEY_LEN {
        return Key256::from_slice(&data).ok_or_else(|| Error::InvalidKey {
            reason: format!("the file is {found} bytes"),
        });
    }
    let text = data.trim_ascii();
    let reason = if text.is_empty() {
        Err(format!("the file is {found} bytes and holds no key text"))
    } else if text.iter().all(u8::is_ascii_hexdigit) {
        decode_hex(text)
    } else if text.iter().all(|&b| is_base64_byte(b)) {
        decode_base64(text)
    } else {
        Err(format!(
            "the file is {found} bytes: not a raw {KEY_LEN}-byte key, and its contents are neither \
             base64 nor hex text"
        ))
    };
    reason.map_err(|r| {
        let reason = if r.starts_with("the file is") {
            r
        } else {
            format!("the file is {found} bytes and its text is {r}")
        };
        Error::InvalidKey { reason }
    })
}

fn is_base64_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=')
}

/// Decodes standard padded base64 that must yield exactly 32 bytes.
fn decode_base64(text: &[u8]) -> std::result::Result<Key256, String> {
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(text)
        .map(Zeroizing::new)
        .map_err(|_| {
            format!(
                "not valid base64 ({} characters; a key is {BASE64_LEN} characters of standard \
                 padded base64)",
                text.len()
            )
        })?;
    Key256::from_slice(&decoded).ok_or_else(|| {
        format!(
            "base64 that decodes to {} bytes, not {KEY_LEN}",
            decoded.len()
        )
    })
}

/// Decodes exactly 64 hex digits (either case).
fn decode_hex(text: &[u8]) -> std::result::Result<Key256, String> {
    if !text.iter().all(u8::is_ascii_hexdigit) {
        return Err("not valid hex (it has characters other than 0-9 and a-f)".to_owned());
    }
    if text.len() != HEX_LEN {
        return Err(format!(
            "not valid hex: {} digits where a key has {HEX_LEN}",
            text.len()
        ));
    }
    let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
    for (out, pair) in bytes.iter_mut().zip(text.chunks_exact(2)) {
        *out = (hex_value(pair[0]) << 4) | hex_value(pair[1]);
    }
    Key256::from_slice(&bytes[..]).ok_or_else(|| "not valid hex".to_owned())
}

/// Value of an ASCII hex digit (callers have checked `is_ascii_hexdigit`).
fn hex_value(b: u8) -> u8 {
    match b {
        b'0'..=b'9' => b - b'0',
        b'a'..=b'f' => b - b'a' + 10,
        b'A'..=b'F' => b - b'A' + 10,
        _ => 0,
    }
}

/// How an exported key is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExportFormat {
    /// The 32 raw bytes.
    Raw,
    /// 44 characters of standard padded base64 and a newline.
    Base64,
    /// 64 lowercase hex digits and a newline.
    Hex,
}

impl ExportFormat {
    /// The name used on the command line: "raw", "base64" or "hex".
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Raw => "raw",
            Self::Base64 => "base64",
            Self::Hex => "hex",
        }
    }
}

impl fmt::Display for ExportFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ExportFormat {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "raw" => Ok(Self::Raw),
            "base64" => Ok(Self::Base64),
            "hex" => Ok(Self::Hex),
            other => Err(Error::InvalidInput(format!(
                "unknown key format '{other}': use 'raw', 'base64' or 'hex'"
            ))),
        }
    }
}

/// The key encoded in `format`; the text formats end with '\n'. Zeroized on drop.
pub fn encode_key(key: &Key256, format: ExportFormat) -> Zeroizing<Vec<u8>> {
    const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";
    // Capacity up front so pushing never reallocates.
    let mut out = Zeroizing::new(Vec::with_capacity(HEX_LEN + 1));
    match format {
        ExportFormat::Raw => out.extend_from_slice(key.expose()),
        ExportFormat::Base64 => {
            out.extend_from_slice(key.to_base64().as_bytes());
            out.push(b'\n');
        }
        ExportFormat::Hex => {
            for &b in key.expose() {
                out.push(HEX_DIGITS[usize::from(b >> 4)]);
                out.push(HEX_DIGITS[usize::from(b & 0x0f)]);
            }
            out.push(b'\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_key() -> Key256 {
        let mut bytes = [0u8; KEY_LEN];
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = (i as u8).wrapping_mul(37).wrapping_add(11);
        }
        Key256::from_bytes(bytes)
    }

    fn file_with(dir: &tempfile::TempDir, name: &str, contents: &[u8]) -> KeySource {
        let path = dir.path().join(name);
        std::fs::write(&path, contents).unwrap();
        KeySource::File(path)
    }

    fn reason(source: &KeySource) -> String {
        match parse_key(source) {
            Err(Error::InvalidKey { reason }) => reason,
            Err(other) => panic!("expected InvalidKey, got {other:?}"),
            Ok(_) => panic!("expected InvalidKey, got a key"),
        }
    }

    fn text(s: &str) -> Zeroizing<String> {
        Zeroizing::new(s.to_owned())
    }

    #[test]
    fn parses_every_accepted_form() {
        let dir = tempfile::tempdir().unwrap();
        let key = sample_key();
        let b64 = key.to_base64().to_string();
        let hex_lower = hex::encode(key.expose());
        let sources = [
            file_with(&dir, "raw", key.expose()),
            file_with(&dir, "b64", format!("{b64}\n").as_bytes()),
            file_with(&dir, "b64crlf", format!("  {b64}\r\n").as_bytes()),
            file_with(&dir, "hex", format!("{hex_lower}\n").as_bytes()),
            file_with(&dir, "hexnonl", hex_lower.as_bytes()),
            KeySource::Base64(text(&format!(" {b64}\n"))),
            KeySource::Hex(text(&hex_lower)),
            KeySource::Hex(text(&hex_lower.to_uppercase())),
        ];
        for source in &sources {
            let parsed = parse_key(source).unwrap_or_else(|e| panic!("{source:?}: {e}"));
            assert!(parsed == key, "{source:?}");
        }
    }

    #[test]
    fn raw_file_of_32_bytes_is_taken_as_is_even_if_it_looks_like_text() {
        let dir = tempfile::tempdir().unwrap();
        let looks_hex = [b'a'; KEY_LEN];
        let key = parse_key(&file_with(&dir, "k", &looks_hex)).unwrap();
        assert_eq!(key.expose(), &looks_hex);
    }

    #[test]
    fn bad_inputs_are_explained_without_echoing_them() {
        let dir = tempfile::tempdir().unwrap();
        let b64_31 = base64::engine::general_purpose::STANDARD.encode([9u8; 31]);
        let hex_63 = "0123456789abcdef".repeat(4)[..63].to_owned();
        let cases: Vec<(KeySource, &str, String)> = vec![
            (
                file_with(&dir, "short", &[0xEE; 31]),
                "the file is 31 bytes",
                String::from_utf8_lossy(&[0xEE; 31]).into_owned(),
            ),
            (
                KeySource::Base64(text("this is not base64!")),
                "not valid base64",
                "this is not base64!".to_owned(),
            ),
            (
                KeySource::Base64(text(&b64_31)),
                "decodes to 31 bytes",
                b64_31.clone(),
            ),
            (KeySource::Hex(text(&hex_63)), "63 digits", hex_63.clone()),
            (
                KeySource::Hex(text(&format!("{}zz", &hex_63[..62]))),
                "not valid hex",
                "zz".to_owned(),
            ),
            (
                file_with(&dir, "b64-31", format!("{b64_31}\n").as_bytes()),
                "the file is 45 bytes and its text is base64 that decodes to 31 bytes",
                b64_31.clone(),
            ),
            (
                file_with(&dir, "hex-63", hex_63.as_bytes()),
                "the file is 63 bytes and its text is not valid hex: 63 digits",
                hex_63.clone(),
            ),
            (
                file_with(&dir, "prose", b"password = hunter2-hunter2\n"),
                "neither base64 nor hex",
                "hunter2".to_owned(),
            ),
            (
                file_with(&dir, "empty", b"\n\n"),
                "the file is 2 bytes and holds no key text",
                "\n\n".to_owned(),
            ),
            (
                file_with(&dir, "huge", &[b'A'; 5000]),
                "the file is 5000 bytes, far too large",
                "AAAA".to_owned(),
            ),
        ];
        for (source, expected, input) in &cases {
            let reason = reason(source);
            assert!(reason.contains(expected), "{source:?}: {reason}");
            assert!(
                !reason.contains(input.as_str()),
                "{source:?} echoed input: {reason}"
            );
            let full = Error::InvalidKey { reason }.to_string();
            assert!(full.starts_with("invalid key: "), "{full}");
        }
    }

    #[test]
    fn missing_file_is_an_io_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = parse_key(&KeySource::File(dir.path().join("absent")))
            .err()
            .unwrap();
        assert!(matches!(err, Error::Io { .. }), "{err:?}");
    }

    #[test]
    fn encodings_are_exact_and_round_trip() {
        let key = Key256::from_bytes([0xAB; KEY_LEN]);
        assert_eq!(&encode_key(&key, ExportFormat::Raw)[..], &[0xAB; KEY_LEN]);
        assert_eq!(
            &encode_key(&key, ExportFormat::Hex)[..],
            format!("{}\n", "ab".repeat(KEY_LEN)).as_bytes()
        );
        let b64 = encode_key(&key, ExportFormat::Base64);
        assert_eq!(b64.len(), BASE64_LEN + 1);
        assert_eq!(&b64[..BASE64_LEN], key.to_base64().as_bytes());
        assert_eq!(b64[BASE64_LEN], b'\n');

        let dir = tempfile::tempdir().unwrap();
        let key = sample_key();
        for format in [ExportFormat::Raw, ExportFormat::Base64, ExportFormat::Hex] {
            let encoded = encode_key(&key, format);
            let back = parse_key(&file_with(&dir, format.as_str(), &encoded)).unwrap();
            assert!(back == key, "{format}");
        }
    }

    #[test]
    fn export_format_names() {
        for format in [ExportFormat::Raw, ExportFormat::Base64, ExportFormat::Hex] {
            assert_eq!(format.to_string().parse::<ExportFormat>().unwrap(), format);
        }
        assert!(matches!(
            "pem".parse::<ExportFormat>(),
            Err(Error::InvalidInput(_))
        ));
    }

    #[test]
    fn debug_redacts_key_text() {
        let source = KeySource::Hex(text("00ff"));
        assert_eq!(format!("{source:?}"), "Hex(<redacted>)");
    }
}
