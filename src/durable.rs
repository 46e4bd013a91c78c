//! Files that must survive a crash: private directories created with their parents, and the
//! fsync of a directory after a rename so the new entry itself is on disk.

use std::path::Path;

use crate::error::{Error, Result};

/// Creates `dir` and its parents; new directories get mode 0700 on unix.
pub fn create_private_dir(dir: &Path) -> Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(0o700);
    }
    builder
        .create(dir)
        .map_err(|e| Error::io("cannot create configuration directory", dir, e))
}

/// Flushes the directory entry after a rename (best effort; unix only).
pub fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = std::fs::File::open(dir) {
        // Best effort: the rename already happened; failing to fsync the directory only
        // weakens durability across a power cut.
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}
