//! Where a client-side object's envelope lives — its metadata, or the `<key>.instruction` object
//! beside it — and reading it from there. The instruction file is fetched only where an envelope
//! is expected (the object's metadata points to it, or the file is known to exist), and never
//! more than [`MAX_INSTRUCTION_FILE`] bytes of it. Its ETag is kept, so that a re-wrap can replace
//! it only if nobody else did in between.

use std::collections::BTreeMap;

use aws_sdk_s3::primitives::ByteStream;
use serde::Serialize;

use super::connection::Connection;
use super::errors::{from_sdk, status_of};
use super::uri::S3Uri;
use crate::crypto::{CryptoError, Envelope};
use crate::error::{ConnectionFailure, Error, Result};

/// Suffix of the object that holds an envelope outside the object's metadata.
pub const INSTRUCTION_SUFFIX: &str = ".instruction";

/// The largest instruction file read. An envelope is a few hundred bytes (a KMS ciphertext blob
/// and a JSON material description); anything this large is not one.
pub const MAX_INSTRUCTION_FILE: u64 = 64 * 1024;

/// Where an envelope was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EnvelopeLocation {
    Metadata,
    InstructionFile,
}

/// Whether to look for an instruction file when the object's metadata holds no envelope (an
/// envelope the metadata points to is always read).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InstructionProbe {
    /// Only when the metadata points to one.
    HintOnly,
    /// The caller knows whether `<key>.instruction` exists (e.g. from a listing).
    Listed(bool),
    /// Ask S3 whether it exists (a HEAD), then read it if it does: for one object a person
    /// asked about.
    Ask,
}

/// An envelope and where it came from.
#[derive(Clone, Debug)]
pub struct LoadedEnvelope {
    pub envelope: Envelope,
    pub location: EnvelopeLocation,
    /// The instruction file's ETag, when the envelope came from one.
    pub instruction_etag: Option<String>,
}

fn crypto(uri: &S3Uri, source: CryptoError) -> Error {
    Error::ClientSide {
        uri: uri.to_string(),
        source,
    }
}

/// The key of the instruction file of `uri`.
pub fn instruction_key(uri: &S3Uri) -> String {
    format!("{}{INSTRUCTION_SUFFIX}", uri.key)
}

/// Reads the envelope from `metadata`, or from `<key>.instruction` when the metadata points
/// there or `probe` says to look. `Ok(None)`: not client-side (as far as was looked).
pub async fn load_envelope(
    conn: &Connection,
    uri: &S3Uri,
    metadata: &BTreeMap<String, String>,
    probe: InstructionProbe,
) -> Result<Option<LoadedEnvelope>> {
    if let Some(envelope) = Envelope::parse(metadata).map_err(|e| crypto(uri, e))? {
        return Ok(Some(LoadedEnvelope {
            envelope,
            location: EnvelopeLocation::Metadata,
            instruction_etag: None,
        }));
    }
    let hinted = Envelope::instruction_file_hint(metadata);
    let look = hinted
        || match probe {
            InstructionProbe::HintOnly => false,
            InstructionProbe::Listed(exists) => exists,
            InstructionProbe::Ask => instruction_file_exists(conn, uri).await?,
        };
    if !look {
        return Ok(None);
    }
    match read_instruction_file(conn, uri).await? {
        Some((body, etag)) => {
            let envelope =
                Envelope::parse_instruction_file(&body, metadata).map_err(|e| crypto(uri, e))?;
            Ok(Some(LoadedEnvelope {
                envelope,
                location: EnvelopeLocation::InstructionFile,
                instruction_etag: etag,
            }))
        }
        None if hinted => Err(crypto(
            uri,
            CryptoError::BadInstructionFile {
                reason: format!(
                    "the object points to {}, which is missing",
                    instruction_key(uri)
                ),
            },
        )),
        None => Ok(None),
    }
}

async fn instruction_file_exists(conn: &Connection, uri: &S3Uri) -> Result<bool> {
    match conn
        .s3()
        .head_object()
        .bucket(&uri.bucket)
        .key(instruction_key(uri))
        .send()
        .await
    {
        Ok(_) => Ok(true),
        // 400: an SSE-C object by that name, not an instruction file s3seal could read.
        Err(err) if matches!(status_of(&err), Some(400 | 403 | 404)) => Ok(false),
        Err(err) => Err(from_sdk("HeadObject (instruction file)", err)),
    }
}

/// The instruction file's body and ETag, refusing one larger than [`MAX_INSTRUCTION_FILE`]
/// without reading it; `None` when there is none.
async fn read_instruction_file(
    conn: &Connection,
    uri: &S3Uri,
) -> Result<Option<(Vec<u8>, Option<String>)>> {
    let got = conn
        .s3()
        .get_object()
        .bucket(&uri.bucket)
        .key(instruction_key(uri))
        .send()
        .await;
    let out = match got {
        Ok(out) => out,
        Err(err) if matches!(status_of(&err), Some(403 | 404)) => return Ok(None),
        Err(err) => return Err(from_sdk("GetObject (instruction file)", err)),
    };
    let too_large = |size: u64| {
        crypto(
            uri,
            CryptoError::BadInstructionFile {
                reason: format!(
                    "{} is {size} bytes; an envelope is never more than {MAX_INSTRUCTION_FILE}",
                    instruction_key(uri)
                ),
            },
        )
    };
    if let Some(size) = out.content_length().and_then(|n| u64::try_from(n).ok())
        && size > MAX_INSTRUCTION_FILE
    {
        return Err(too_large(size));
    }
    let etag = out.e_tag().map(str::to_owned);
    let mut body = out.body;
    let mut bytes = Vec::new();
    while let Some(chunk) = body.try_next().await.map_err(|e| Error::Connection {
        operation: "GetObject (instruction file)",
        kind: ConnectionFailure::Transport,
        source: Some(Box::new(e)),
    })? {
        bytes.extend_from_slice(&chunk);
        if bytes.len() as u64 > MAX_INSTRUCTION_FILE {
            return Err(too_large(bytes.len() as u64));
        }
    }
    Ok(Some((bytes, etag)))
}

/// Replaces the instruction file of `uri` with `body`, only if it is still the one whose ETag
/// was read (`If-Match`), or, when none was read, only if there still is none
/// (`If-None-Match: *`): a file someone else wrote meanwhile is reported, never overwritten.
pub async fn replace_instruction_file(
    conn: &Connection,
    uri: &S3Uri,
    body: String,
    read_etag: Option<&str>,
) -> Result<()> {
    let put = conn
        .s3()
        .put_object()
        .bucket(&uri.bucket)
        .key(instruction_key(uri))
        .content_type("application/json")
        .body(ByteStream::from(body.into_bytes()));
    let put = match read_etag {
        Some(etag) => put.if_match(etag),
        None => put.if_none_match("*"),
    };
    match put.send().await {
        Ok(_) => Ok(()),
        Err(err) if matches!(status_of(&err), Some(409 | 412)) => Err(Error::Conflict {
            what: format!("the instruction file of {uri}"),
        }),
        Err(err) => Err(from_sdk("PutObject (instruction file)", err)),
    }
}
