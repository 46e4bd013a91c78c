//! The objects under a prefix, for a download: listed page by page and filtered, each given a
//! path under the destination folder that cannot leave it (a key with `..`, an empty or `.`
//! segment is refused, not followed, and so is a key that is also the folder of other keys);
//! folder markers and the instruction files of client-side objects (part of their object, not
//! files of their own) left out.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use futures::StreamExt as _;

use super::filter::TreeFilter;
use crate::error::{Error, Result};
use crate::s3::client_envelope::INSTRUCTION_SUFFIX;
use crate::s3::{Connection, S3Uri, listing};

/// One object under the prefix.
#[derive(Debug)]
pub struct RemoteEntry {
    /// Key relative to the prefix.
    pub rel: String,
    pub uri: S3Uri,
    /// Bytes stored (ciphertext and tag for a client-side object).
    pub size: u64,
    /// Where it goes, or why it cannot go anywhere.
    pub path: Result<PathBuf>,
    /// The listing holds `KEY.instruction` too (a client-side envelope may be there).
    pub instruction_file: bool,
    /// The ETag the listing gave (a download pins its GET to it).
    pub etag: Option<String>,
}

/// `key` as a folder prefix: empty, or ending with `/`.
pub fn folder_prefix(key: &str) -> String {
    if key.is_empty() || key.ends_with('/') {
        key.to_owned()
    } else {
        format!("{key}/")
    }
}

/// Every object under `prefix` (as a folder) that `filter` admits, in key order, with its
/// destination under `root`.
pub async fn list_remote(
    conn: &Connection,
    prefix: &S3Uri,
    root: &Path,
    filter: &TreeFilter,
) -> Result<Vec<RemoteEntry>> {
    let folder = folder_prefix(&prefix.key);
    let mut pages = std::pin::pin!(listing::list_objects(
        conn,
        &prefix.bucket,
        &folder,
        None,
        None
    ));
    let mut objects = Vec::new();
    while let Some(page) = pages.next().await {
        objects.extend(page?.objects);
    }
    let keys: HashSet<&str> = objects.iter().map(|o| o.key.as_str()).collect();
    let mut entries = Vec::new();
    for object in &objects {
        let Some(rel) = object.key.strip_prefix(&folder) else {
            continue;
        };
        if rel.is_empty() || rel.ends_with('/') {
            continue; // a folder marker
        }
        if object
            .key
            .strip_suffix(INSTRUCTION_SUFFIX)
            .is_some_and(|main| keys.contains(main))
        {
            continue; // read with its object
        }
        if !filter.admits(rel) {
            continue;
        }
        entries.push(RemoteEntry {
            rel: rel.to_owned(),
            uri: S3Uri::new(&prefix.bucket, &object.key),
            size: object.size,
            path: local_path(root, rel),
            instruction_file: keys.contains(format!("{}{INSTRUCTION_SUFFIX}", object.key).as_str()),
            etag: object.etag.clone(),
        });
    }
    refuse_file_folder_clashes(&mut entries);
    Ok(entries)
}

/// An object `a/b` and objects under `a/b/` cannot both be downloaded: `a/b` would have to be
/// a file and a folder. The file fails (decided here, before anything runs, so that no
/// download finds a folder appearing where its file was to go); the objects under it go ahead.
fn refuse_file_folder_clashes(entries: &mut [RemoteEntry]) {
    let folders: HashSet<String> = entries
        .iter()
        .flat_map(|e| {
            e.rel
                .match_indices('/')
                .map(|(i, _)| e.rel[..i].to_owned())
                .collect::<Vec<_>>()
        })
        .collect();
    for entry in entries.iter_mut() {
        if folders.contains(&entry.rel) && entry.path.is_ok() {
            entry.path = Err(Error::Unsupported(format!(
                "{} is also a folder of other objects under the prefix, so it cannot be a file too",
                entry.rel
            )));
        }
    }
}

/// `root` joined with the `/`-separated `rel`, refusing anything that would land outside
/// `root` or that this platform cannot name.
pub fn local_path(root: &Path, rel: &str) -> Result<PathBuf> {
    let mut path = root.to_path_buf();
    for part in rel.split('/') {
        if let Some(why) = unusable(part) {
            return Err(Error::Unsupported(format!(
                "the key ends in '{rel}', which cannot be a file under {}: {why}",
                root.display()
            )));
        }
        path.push(part);
    }
    Ok(path)
}

/// Why one segment of a key cannot be a file or folder name here, if it cannot.
fn unusable(part: &str) -> Option<&'static str> {
    match part {
        "" => Some("it has an empty segment (two slashes in a row, or a leading slash)"),
        "." | ".." => Some("it has a '.' or '..' segment, which would leave the folder"),
        _ if part.contains('\0') => Some("it contains a NUL character"),
        _ if cfg!(windows) && part.contains(['\\', ':', '<', '>', '"', '|', '?', '*']) => {
            Some("it contains a character Windows does not allow in file names")
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_folders() {
        assert_eq!(folder_prefix(""), "");
        assert_eq!(folder_prefix("photos"), "photos/");
        assert_eq!(folder_prefix("photos/"), "photos/");
    }

    #[test]
    fn a_file_that_is_also_a_folder_fails() {
        let root = Path::new("/out");
        let entry = |rel: &str| RemoteEntry {
            rel: rel.to_owned(),
            uri: S3Uri::new("b", rel),
            size: 1,
            path: local_path(root, rel),
            instruction_file: false,
            etag: None,
        };
        let mut entries = vec![
            entry("x"),
            entry("x/inner.txt"),
            entry("x/y/z"),
            entry("xy"),
        ];
        refuse_file_folder_clashes(&mut entries);
        let failed: Vec<&str> = entries
            .iter()
            .filter(|e| e.path.is_err())
            .map(|e| e.rel.as_str())
            .collect();
        assert_eq!(failed, ["x"]);
    }

    #[test]
    fn paths_stay_under_the_root() {
        let root = Path::new("/data/out");
        assert_eq!(
            local_path(root, "a/b c/é.txt").unwrap(),
            root.join("a").join("b c").join("é.txt")
        );
        for bad in [
            "../x",
            "a/../../x",
            "/etc/passwd",
            "a//b",
            "./a",
            "a/.",
            "a/",
        ] {
            let err = local_path(root, bad).unwrap_err();
            assert!(matches!(err, Error::Unsupported(_)), "{bad}: {err}");
        }
        assert!(
            local_path(root, "..a/b..").is_ok(),
            "dots inside names are fine"
        );
    }
}
