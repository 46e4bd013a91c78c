//! The files of a local folder, for an upload: walked in name order and filtered; symbolic
//! links skipped unless followed (loops detected); special files (pipes, sockets, devices) and
//! folders that cannot be read reported as failures of their own; every path relative to the
//! folder written with `/`, whatever the platform.

use std::path::{Path, PathBuf};

use walkdir::WalkDir;

use super::filter::TreeFilter;
use super::outcome::SkipReason;
use crate::error::{Error, Result};

/// Whether symbolic links inside the folder are followed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Symlinks {
    /// Skipped and listed as such (the default: a link can point anywhere on the machine).
    #[default]
    Skip,
    /// Followed, to files and folders alike; a loop is reported, not walked forever.
    Follow,
}

/// One thing the walk found under the folder.
#[derive(Debug)]
pub struct LocalEntry {
    /// Path relative to the folder, `/`-separated.
    pub rel: String,
    pub path: PathBuf,
    pub kind: LocalKind,
}

/// What to do with an entry.
#[derive(Debug)]
pub enum LocalKind {
    /// A regular file of this many bytes: to be sent.
    File { size: u64 },
    /// Left out on purpose.
    Skip(SkipReason),
    /// Cannot be sent (why).
    Fail(Error),
}

/// Walks `root` (which must be a folder): every file, link and problem the filter admits, in
/// name order. Blocking: run it off the async workers.
pub fn walk(root: &Path, filter: &TreeFilter, symlinks: Symlinks) -> Result<Vec<LocalEntry>> {
    let meta = std::fs::metadata(root).map_err(|e| Error::io("cannot read", root, e))?;
    if !meta.is_dir() {
        return Err(Error::InvalidInput(format!(
            "{} is not a folder",
            root.display()
        )));
    }
    let walker = WalkDir::new(root)
        .follow_links(symlinks == Symlinks::Follow)
        .sort_by_file_name();
    let mut entries = Vec::new();
    for item in walker {
        let entry = match item {
            Ok(entry) => entry,
            Err(err) => {
                let path = err.path().unwrap_or(root).to_path_buf();
                let rel = relative(root, &path).unwrap_or_else(|_| path.display().to_string());
                let ancestor = err.loop_ancestor().map(Path::to_path_buf);
                let error = match (ancestor, err.into_io_error()) {
                    (Some(ancestor), _) => Error::Unsupported(format!(
                        "{} links back to {}, a folder that contains it; it was not followed",
                        path.display(),
                        ancestor.display()
                    )),
                    (None, Some(io)) => Error::io("cannot read", &path, io),
                    (None, None) => Error::Internal(format!("walking {}", path.display())),
                };
                if filter.admits(&rel) {
                    entries.push(LocalEntry {
                        rel,
                        path,
                        kind: LocalKind::Fail(error),
                    });
                }
                continue;
            }
        };
        let file_type = entry.file_type();
        if file_type.is_dir() {
            continue;
        }
        let path = entry.path().to_path_buf();
        let (rel, kind) = match relative(root, &path) {
            Ok(rel) => {
                let kind = if file_type.is_symlink() {
                    LocalKind::Skip(SkipReason::SymlinkNotFollowed)
                } else if file_type.is_file() {
                    match entry.metadata() {
                        Ok(meta) => LocalKind::File { size: meta.len() },
                        Err(err) => LocalKind::Fail(match err.into_io_error() {
                            Some(io) => Error::io("cannot read", &path, io),
                            None => Error::Internal(format!("reading {}", path.display())),
                        }),
                    }
                } else {
                    LocalKind::Fail(Error::Unsupported(format!(
                        "{} is {}, not a regular file; only regular files are uploaded",
                        path.display(),
                        special_kind(&file_type)
                    )))
                };
                (rel, kind)
            }
            Err(err) => (path.display().to_string(), LocalKind::Fail(err)),
        };
        if filter.admits(&rel) {
            entries.push(LocalEntry { rel, path, kind });
        }
    }
    Ok(entries)
}

/// `path` below `root` as an S3 key suffix: its components joined with `/`.
fn relative(root: &Path, path: &Path) -> Result<String> {
    let rel = path
        .strip_prefix(root)
        .map_err(|_| Error::Internal(format!("{} is outside the folder", path.display())))?;
    let mut parts = Vec::new();
    for component in rel.components() {
        let part = component.as_os_str().to_str().ok_or_else(|| {
            Error::Unsupported(format!(
                "{}: the name is not valid Unicode, which S3 keys must be",
                path.display()
            ))
        })?;
        parts.push(part);
    }
    Ok(parts.join("/"))
}

#[cfg(unix)]
fn special_kind(file_type: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt as _;
    if file_type.is_fifo() {
        "a named pipe (FIFO)"
    } else if file_type.is_socket() {
        "a socket"
    } else if file_type.is_block_device() || file_type.is_char_device() {
        "a device"
    } else {
        "a special file"
    }
}

#[cfg(not(unix))]
fn special_kind(_: &std::fs::FileType) -> &'static str {
    "a special file"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(entries: &[LocalEntry]) -> Vec<(&str, u64)> {
        entries
            .iter()
            .filter_map(|e| match e.kind {
                LocalKind::File { size } => Some((e.rel.as_str(), size)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn nested_files_in_name_order_with_slashes() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("b/deep er")).unwrap();
        std::fs::create_dir_all(root.join("empty-folder")).unwrap();
        std::fs::write(root.join("b/deep er/ü.txt"), b"xyz").unwrap();
        std::fs::write(root.join("a.txt"), b"").unwrap();
        std::fs::write(root.join("b/c.bin"), b"12345").unwrap();
        let entries = walk(root, &TreeFilter::default(), Symlinks::Skip).unwrap();
        assert_eq!(
            files(&entries),
            [("a.txt", 0), ("b/c.bin", 5), ("b/deep er/ü.txt", 3)]
        );
        let only_txt = TreeFilter::new(vec!["*.txt".into()], vec!["b/*".into()]).unwrap();
        let entries = walk(root, &only_txt, Symlinks::Skip).unwrap();
        assert_eq!(files(&entries), [("a.txt", 0)]);
    }

    #[test]
    fn a_file_is_not_a_folder() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        std::fs::write(&file, b"x").unwrap();
        assert!(matches!(
            walk(&file, &TreeFilter::default(), Symlinks::Skip),
            Err(Error::InvalidInput(_))
        ));
    }

    #[cfg(unix)]
    #[test]
    fn links_are_skipped_unless_followed_and_loops_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        std::fs::create_dir_all(root.join("sub")).unwrap();
        std::fs::write(root.join("sub/f.txt"), b"data").unwrap();
        let outside = dir.path().join("outside.txt");
        std::fs::write(&outside, b"secret").unwrap();
        std::os::unix::fs::symlink(&outside, root.join("link.txt")).unwrap();
        std::os::unix::fs::symlink(&root, root.join("sub/loop")).unwrap();

        let skipped = walk(&root, &TreeFilter::default(), Symlinks::Skip).unwrap();
        assert_eq!(files(&skipped), [("sub/f.txt", 4)]);
        let links: Vec<&str> = skipped
            .iter()
            .filter(|e| matches!(e.kind, LocalKind::Skip(SkipReason::SymlinkNotFollowed)))
            .map(|e| e.rel.as_str())
            .collect();
        assert_eq!(links, ["link.txt", "sub/loop"]);

        let followed = walk(&root, &TreeFilter::default(), Symlinks::Follow).unwrap();
        assert_eq!(files(&followed), [("link.txt", 6), ("sub/f.txt", 4)]);
        let failed: Vec<&LocalEntry> = followed
            .iter()
            .filter(|e| matches!(e.kind, LocalKind::Fail(_)))
            .collect();
        assert_eq!(failed.len(), 1, "{followed:?}");
        assert_eq!(failed[0].rel, "sub/loop");
    }

    #[cfg(unix)]
    #[test]
    fn a_named_pipe_fails_on_its_own() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.txt"), b"a").unwrap();
        let fifo = dir.path().join("pipe");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(made.unwrap().success(), "mkfifo failed");
        let entries = walk(dir.path(), &TreeFilter::default(), Symlinks::Skip).unwrap();
        assert_eq!(files(&entries), [("a.txt", 1)]);
        let failed = entries.iter().find(|e| e.rel == "pipe").unwrap();
        match &failed.kind {
            LocalKind::Fail(err) => assert!(err.to_string().contains("named pipe"), "{err}"),
            other => panic!("{other:?}"),
        }
    }
}
