//! The file a download writes before it is verified. On Linux it has no name at all
//! (`O_TMPFILE`): a crash, a SIGKILL or a power cut leaves nothing behind, and no unverified
//! byte is ever at a visible path. Only once the download verified does it get a name (`linkat`
//! of `/proc/self/fd/N`, then an atomic rename over the destination). Where unnamed files are
//! not available (other systems, filesystems without `O_TMPFILE`) it is a named temp file
//! `.s3seal-<pid>-<random>.part` beside the destination, removed on every error, and files of
//! that shape left by a process that no longer runs are swept before a download writes there.
//!
//! A download that can be resumed writes instead to a partial file the transfer journal owns
//! ([`TempDownload::partial`]): private, hidden beside the destination (so the final rename
//! stays on one filesystem), named `.s3seal-dl-<entry id>.part` so the sweep leaves it alone,
//! and kept ([`TempDownload::keep`]) when the download is interrupted.

use std::fs::{File, Permissions};
use std::io;
use std::path::{Path, PathBuf};

/// Prefix and suffix of named temp files.
const PREFIX: &str = ".s3seal-";
const SUFFIX: &str = ".part";

/// A download's file before it gets its name.
pub struct TempDownload {
    file: File,
    dir: PathBuf,
    named: Option<tempfile::TempPath>,
}

impl TempDownload {
    /// A new temp file in `dir` (mode 0600 on unix): unnamed where possible.
    pub fn create(dir: &Path) -> io::Result<Self> {
        #[cfg(target_os = "linux")]
        match unnamed(dir) {
            Ok(file) => {
                return Ok(Self {
                    file,
                    dir: dir.to_owned(),
                    named: None,
                });
            }
            Err(err) => {
                tracing::debug!(error = %err, dir = %dir.display(), "no O_TMPFILE here; a named temp file it is");
            }
        }
        sweep_stale(dir);
        let temp = tempfile::Builder::new()
            .prefix(&format!("{PREFIX}{}-", std::process::id()))
            .suffix(SUFFIX)
            .tempfile_in(dir)?;
        let (file, path) = temp.into_parts();
        Ok(Self {
            file,
            dir: dir.to_owned(),
            named: Some(path),
        })
    }

    /// The partial file of a resumable download at `path` (see [`partial_path`]): a new empty
    /// one (mode 0600 on unix) when `fresh`, else the one an interrupted run left. Removed when
    /// `self` drops, unless [`Self::keep`] is called.
    pub fn partial(path: &Path, fresh: bool) -> io::Result<Self> {
        let dir = crate::durable::parent_dir(path).to_path_buf();
        let mut options = File::options();
        options.read(true).write(true);
        if fresh {
            options.create(true).truncate(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        }
        let file = options.open(path)?;
        if fresh {
            // An older file of that name kept its mode; a partial file is private.
            #[cfg(unix)]
            file.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
            crate::durable::sync_dir(&dir);
        }
        Ok(Self {
            file,
            dir,
            named: Some(tempfile::TempPath::try_from_path(path)?),
        })
    }

    /// Leaves a named file where it is (an interrupted download the journal continues).
    pub fn keep(self) {
        if let Some(path) = self.named {
            // `keep` only fails on Windows when the file cannot be un-marked for deletion.
            let _ = path.keep();
        }
    }

    /// The file to write.
    pub fn file(&self) -> &File {
        &self.file
    }

    /// Whether the file has no name (so a crash leaves nothing).
    #[cfg(test)]
    fn is_unnamed(&self) -> bool {
        self.named.is_none()
    }

    /// Gives the verified file its name `dest`, replacing a file there atomically, with
    /// `permissions` when given (those of the file it replaces). Dropping `self` instead
    /// removes everything.
    pub fn persist(self, dest: &Path, permissions: Option<Permissions>) -> io::Result<()> {
        if let Some(permissions) = permissions {
            self.file.set_permissions(permissions)?;
        }
        match self.named {
            Some(path) => path.persist(dest).map_err(|e| e.error),
            None => self.link_into_place(dest),
        }
    }

    #[cfg(target_os = "linux")]
    fn link_into_place(&self, dest: &Path) -> io::Result<()> {
        use rustix::fs::{AtFlags, CWD, linkat};
        use std::os::fd::AsRawFd as _;

        // A fresh name beside the destination, then one rename: the destination is replaced
        // atomically, and the visible name only ever holds the verified file.
        let staged = self.dir.join(format!(
            "{PREFIX}{}-{}{SUFFIX}",
            std::process::id(),
            random_tag()?
        ));
        let proc_path = format!("/proc/self/fd/{}", self.file.as_raw_fd());
        linkat(CWD, &proc_path, CWD, &staged, AtFlags::SYMLINK_FOLLOW)
            .or_else(|_| linkat(&self.file, "", CWD, &staged, AtFlags::EMPTY_PATH))
            .map_err(io::Error::from)?;
        std::fs::rename(&staged, dest).inspect_err(|_| {
            let _ = std::fs::remove_file(&staged);
        })
    }

    #[cfg(not(target_os = "linux"))]
    fn link_into_place(&self, _dest: &Path) -> io::Result<()> {
        Err(io::Error::other("unnamed temp files exist only on Linux"))
    }
}

/// The partial file of the resumable download whose journal entry is `id`, beside `dest`.
/// Its name has no process id, so [`sweep_stale`] never takes it for a leftover.
pub fn partial_path(dest: &Path, id: &str) -> PathBuf {
    crate::durable::parent_dir(dest).join(format!("{PREFIX}dl-{id}{SUFFIX}"))
}

/// An unnamed file in `dir`, readable and writable only by this user.
#[cfg(target_os = "linux")]
fn unnamed(dir: &Path) -> io::Result<File> {
    use rustix::fs::{Mode, OFlags, open};
    let fd = open(
        dir,
        OFlags::TMPFILE | OFlags::RDWR | OFlags::CLOEXEC,
        Mode::from_raw_mode(0o600),
    )?;
    Ok(File::from(fd))
}

#[cfg(target_os = "linux")]
fn random_tag() -> io::Result<String> {
    let mut bytes = [0u8; 6];
    getrandom::fill(&mut bytes).map_err(|e| io::Error::other(e.to_string()))?;
    Ok(hex::encode(bytes))
}

/// Removes `.s3seal-<pid>-….part` files in `dir` whose process no longer runs (best effort).
fn sweep_stale(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(stale_pid) else {
            continue;
        };
        if !process_runs(pid) {
            match std::fs::remove_file(entry.path()) {
                Ok(()) => {
                    tracing::info!(file = %entry.path().display(), "removed a download left by a stopped s3seal")
                }
                Err(err) => tracing::debug!(error = %err, "could not remove a stale download"),
            }
        }
    }
}

/// The process id in a named temp file's name, if it has that shape.
fn stale_pid(name: &str) -> Option<u32> {
    let rest = name.strip_prefix(PREFIX)?.strip_suffix(SUFFIX)?;
    rest.split_once('-')?.0.parse().ok()
}

/// Whether process `pid` is running (its downloads are not stale; it may hold a job).
#[cfg(target_os = "linux")]
pub(crate) fn process_runs(pid: u32) -> bool {
    Path::new("/proc").join(pid.to_string()).exists()
}

#[cfg(all(unix, not(target_os = "linux")))]
pub(crate) fn process_runs(pid: u32) -> bool {
    rustix::process::Pid::from_raw(pid as i32)
        .is_some_and(|pid| rustix::process::test_kill_process(pid).is_ok())
}

/// Without a way to ask, every process is assumed to run.
#[cfg(not(unix))]
pub(crate) fn process_runs(_pid: u32) -> bool {
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write as _;

    #[test]
    fn an_unnamed_file_leaves_nothing_until_persisted() {
        let dir = tempfile::tempdir().unwrap();
        let temp = TempDownload::create(dir.path()).unwrap();
        #[cfg(target_os = "linux")]
        assert!(
            temp.is_unnamed(),
            "O_TMPFILE is available on this filesystem"
        );
        temp.file().write_all(b"verified bytes").unwrap();
        let visible: Vec<_> = std::fs::read_dir(dir.path()).unwrap().flatten().collect();
        assert!(visible.is_empty() || !temp.is_unnamed());
        let dest = dir.path().join("out.bin");
        std::fs::write(&dest, b"old").unwrap();
        temp.persist(&dest, None).unwrap();
        assert_eq!(std::fs::read(&dest).unwrap(), b"verified bytes");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("out.bin")]);
    }

    #[test]
    fn dropped_files_vanish_and_stale_ones_are_swept() {
        let dir = tempfile::tempdir().unwrap();
        drop(TempDownload::create(dir.path()).unwrap());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        // A leftover of a process that is gone, and one of this (running) process.
        let gone = dir.path().join(".s3seal-4194305-abc.part");
        let mine = dir
            .path()
            .join(format!(".s3seal-{}-def.part", std::process::id()));
        let other = dir.path().join("notes.part");
        for p in [&gone, &mine, &other] {
            std::fs::write(p, b"x").unwrap();
        }
        sweep_stale(dir.path());
        assert!(!gone.exists());
        assert!(mine.exists() && other.exists());
        assert_eq!(stale_pid(".s3seal-12-x.part"), Some(12));
        assert_eq!(stale_pid(".s3seal-x.part"), None);
    }

    #[test]
    fn a_partial_file_is_private_survives_the_sweep_and_is_kept_or_removed() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("out.bin");
        let path = partial_path(&dest, "0123abcd");
        assert_eq!(path.parent(), Some(dir.path()));
        let partial = TempDownload::partial(&path, true).unwrap();
        partial.file().write_all(b"first range").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        partial.keep();
        sweep_stale(dir.path());
        assert_eq!(std::fs::read(&path).unwrap(), b"first range");
        // Continued: the same bytes, then dropped on a failure.
        let again = TempDownload::partial(&path, false).unwrap();
        drop(again);
        assert!(!path.exists());
        assert!(TempDownload::partial(&path, false).is_err(), "gone is gone");
        // Continued to the end: the file gets the destination's name.
        let last = TempDownload::partial(&path, true).unwrap();
        last.file().write_all(b"whole").unwrap();
        last.persist(&dest, None).unwrap();
        assert_eq!(std::fs::read(&dest).unwrap(), b"whole");
        assert!(!path.exists());
    }
}
