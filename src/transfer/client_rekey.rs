//! Rotating the master key of a client-side object: only the envelope is rewritten (the
//! object's metadata through a CopyObject onto itself, or its instruction file); the ciphertext
//! is neither downloaded nor uploaded again.
//!
//! Both writes are conditional on what was read — the copy on the object's ETag
//! (`x-amz-copy-source-if-match`), the instruction file on its own ETag (`If-Match`) — so an
//! object another writer replaced in between never gets the old envelope: the conflict is
//! reported and both the new body and its envelope stay as they are.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_s3::operation::head_object::HeadObjectOutput;
use aws_sdk_s3::types::{MetadataDirective, ServerSideEncryption};

use super::multipart::MAX_PART;
use crate::error::{Error, Result};
use crate::s3::client_envelope::{
    EnvelopeLocation, InstructionProbe, load_envelope, replace_instruction_file,
};
use crate::s3::client_master::{ClientMaster, open_envelope, rewrap};
use crate::s3::encryption::{SseCKey, apply_copy_source_sse_c, apply_sse_c};
use crate::s3::errors::{from_sdk, status_of};
use crate::s3::{Connection, KeyAccess, ReadOptions, S3Uri};

/// Re-wraps the data key of the client-side object at `uri` under `master`. `head` is the
/// object's HEAD (taken with `sse_c` if the object is also SSE-C); `read` says which keys may
/// open the current envelope.
pub async fn rewrap_object(
    conn: &Connection,
    keys: &KeyAccess,
    uri: &S3Uri,
    head: &HeadObjectOutput,
    sse_c: Option<&SseCKey>,
    read: &ReadOptions,
    master: &ClientMaster,
) -> Result<EnvelopeLocation> {
    let metadata: BTreeMap<String, String> = head
        .metadata()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    let Some(loaded) = load_envelope(conn, uri, &metadata, InstructionProbe::Ask).await? else {
        return Err(Error::Unsupported(format!(
            "{uri} is not client-side encrypted: a client-side re-wrap only changes the master key of a client-side object. To encrypt this object on this machine, download it and upload it again with client-side encryption"
        )));
    };
    let old_names: Vec<String> = loaded.envelope.to_metadata().into_keys().collect();
    let location = loaded.location;
    let instruction_etag = loaded.instruction_etag.clone();
    let opened = open_envelope(conn, keys, uri, loaded.envelope, read).await?;
    let fresh = rewrap(conn, uri, &opened, master).await?;

    match location {
        EnvelopeLocation::InstructionFile => {
            let (body, _stays_on_object) = fresh.to_instruction_file();
            replace_instruction_file(conn, uri, body, instruction_etag.as_deref()).await?;
        }
        EnvelopeLocation::Metadata => {
            let size = head.content_length().unwrap_or(0);
            if u64::try_from(size).unwrap_or(0) > MAX_PART {
                return Err(Error::TooLarge {
                    what: format!("{uri} (whose envelope is in its metadata)"),
                    size: u64::try_from(size).unwrap_or(0),
                    limit: "5 GiB, the most CopyObject can rewrite in place",
                });
            }
            let mut new_metadata: HashMap<String, String> = metadata
                .into_iter()
                .filter(|(k, _)| !old_names.contains(k))
                .collect();
            new_metadata.extend(fresh.to_metadata());
            copy_with_metadata(conn, uri, head, sse_c, new_metadata).await?;
        }
    }
    Ok(location)
}

/// CopyObject onto itself with REPLACE metadata, restating everything REPLACE would drop:
/// content headers and the object's server-side encryption. Only if the object still has the
/// ETag `head` saw.
async fn copy_with_metadata(
    conn: &Connection,
    uri: &S3Uri,
    head: &HeadObjectOutput,
    sse_c: Option<&SseCKey>,
    metadata: HashMap<String, String>,
) -> Result<()> {
    let mut copy = conn
        .s3()
        .copy_object()
        .bucket(&uri.bucket)
        .key(&uri.key)
        .copy_source(super::rekey::copy_source(uri))
        .set_copy_source_if_match(head.e_tag().map(str::to_owned))
        .metadata_directive(MetadataDirective::Replace)
        .set_metadata(Some(metadata))
        .set_content_type(head.content_type().map(str::to_owned))
        .set_content_encoding(head.content_encoding().map(str::to_owned))
        .set_content_disposition(head.content_disposition().map(str::to_owned))
        .set_content_language(head.content_language().map(str::to_owned))
        .set_cache_control(head.cache_control().map(str::to_owned))
        .set_storage_class(head.storage_class().cloned());
    if let Some(sse) = head.server_side_encryption() {
        copy = copy.server_side_encryption(sse.clone());
        if *sse != ServerSideEncryption::Aes256 {
            copy = copy
                .set_ssekms_key_id(head.ssekms_key_id().map(str::to_owned))
                .set_bucket_key_enabled(head.bucket_key_enabled());
        }
    }
    if let Some(key) = sse_c {
        copy = apply_sse_c!(copy, key);
        copy = apply_copy_source_sse_c!(copy, key);
    }
    match copy.send().await {
        Ok(_) => Ok(()),
        Err(err) if status_of(&err) == Some(412) => Err(Error::ObjectChanged {
            bucket: uri.bucket.clone(),
            key: uri.key.clone(),
        }),
        Err(err) => Err(from_sdk("CopyObject", err)),
    }
}
