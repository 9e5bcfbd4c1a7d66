//! File-system steps the cache's writers share: atomic writes, per-blob locks, and directories
//! made once per download.
//!
//! Each step tries the operation first and creates a missing parent only when the operation
//! says it is missing: `hfx download` of 500 small files made about 50 syscalls per file, 2,000
//! of them `mkdir` calls failing with EEXIST plus the `stat` that follows each, and where a
//! metadata call costs 0.5 ms (network or overlay file systems) those dominated the run.

use std::collections::HashMap;
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::{CacheError, Result};

/// A unique temporary name next to `path` (same directory, so rename is atomic).
pub fn tmp_sibling(path: &Path) -> PathBuf {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    path.with_file_name(format!(".{name}.{}.{n}.tmp", std::process::id()))
}

/// Run `op` on `path`; when it fails because the parent folder is missing, create the folder
/// and run it again. Parents usually exist, so this saves a `mkdir` and a `stat` per call.
pub fn with_parent<T>(path: &Path, op: impl Fn() -> std::io::Result<T>) -> std::io::Result<T> {
    match op() {
        Err(e) if e.kind() == ErrorKind::NotFound => {
            let Some(parent) = path.parent() else { return Err(e) };
            fs_err::create_dir_all(parent)?;
            op()
        }
        other => other,
    }
}

/// Write a file through a temporary sibling and a rename, so readers never see half a file.
pub fn atomic_write(path: &Path, content: &[u8]) -> Result<()> {
    let tmp = tmp_sibling(path);
    {
        let mut f = with_parent(path, || fs_err::File::create(&tmp))?;
        f.write_all(content)?;
    }
    fs_err::rename(&tmp, path).inspect_err(|_| {
        let _ = fs_err::remove_file(&tmp);
    })?;
    Ok(())
}

/// An exclusive advisory lock on a `.locks/...` file, held until dropped.
pub struct FileLock {
    file: std::fs::File,
}

impl FileLock {
    fn open(path: &Path) -> Result<std::fs::File> {
        let open = || fs_err::OpenOptions::new().create(true).truncate(false).write(true).open(path);
        Ok(with_parent(path, open)?.into_parts().0)
    }

    /// Block until the lock is ours.
    pub fn acquire(path: &Path) -> Result<Self> {
        let file = Self::open(path)?;
        file.lock()
            .map_err(|e| CacheError::Io(std::io::Error::new(e.kind(), format!("locking {}: {e}", path.display()))))?;
        Ok(Self { file })
    }

    /// Take the lock only if nobody holds it.
    pub fn try_acquire(path: &Path) -> Result<Option<Self>> {
        let file = Self::open(path)?;
        match file.try_lock() {
            Ok(()) => Ok(Some(Self { file })),
            Err(std::fs::TryLockError::WouldBlock) => Ok(None),
            Err(std::fs::TryLockError::Error(e)) => Err(e.into()),
        }
    }
}

impl Drop for FileLock {
    fn drop(&mut self) {
        let _ = self.file.unlock();
    }
}

/// The directories one download has made sure of: each is created (or found) once, not once
/// per file, and the ones this process created are remembered as such. A folder this process
/// created holds only what it (or a process running at the same time) put there, so probing
/// it for files from an earlier run is wasted: `created` says when to skip the probe. The
/// checks that guard against a concurrent process (under the blob lock) stay.
#[derive(Debug, Default)]
pub struct KnownDirs {
    /// Directory -> whether this process created it.
    dirs: Mutex<HashMap<PathBuf, bool>>,
}

impl KnownDirs {
    /// Make sure `dir` exists, like `create_dir_all`, with no syscall when it is known already.
    /// Returns whether this process created it (now or earlier).
    pub fn ensure(&self, dir: &Path) -> std::io::Result<bool> {
        // Held across the mkdir so that parallel files wait for the first one's answer rather
        // than each making the same call.
        let mut dirs = self.dirs.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(&created) = dirs.get(dir) {
            return Ok(created);
        }
        let created = with_parent(dir, || make_dir(dir))?;
        dirs.insert(dir.to_path_buf(), created);
        Ok(created)
    }

    /// Whether `dir` was created by this process through [`KnownDirs::ensure`].
    pub fn created(&self, dir: &Path) -> bool {
        self.dirs.lock().unwrap_or_else(|e| e.into_inner()).get(dir).copied().unwrap_or(false)
    }

    /// Whether `dir` has been made sure of already.
    pub fn known(&self, dir: &Path) -> bool {
        self.dirs.lock().unwrap_or_else(|e| e.into_inner()).contains_key(dir)
    }
}

/// `mkdir`: true when it created `dir`, false when a directory was there already.
fn make_dir(dir: &Path) -> std::io::Result<bool> {
    match fs_err::create_dir(dir) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == ErrorKind::AlreadyExists && dir.is_dir() => Ok(false),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_exclude_each_other() {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join(".locks/x.lock");
        let held = FileLock::acquire(&p).unwrap();
        assert!(FileLock::try_acquire(&p).unwrap().is_none());
        drop(held);
        assert!(FileLock::try_acquire(&p).unwrap().is_some());
    }

    #[test]
    fn atomic_write_creates_parents() {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join("a/b/c.txt");
        atomic_write(&p, b"one").unwrap();
        atomic_write(&p, b"two").unwrap();
        assert_eq!(fs_err::read(&p).unwrap(), b"two");
        assert_eq!(fs_err::read_dir(p.parent().unwrap()).unwrap().count(), 1, "no temporary file left");
    }

    #[test]
    fn known_dirs_remember_what_they_created() {
        let tmp = tempfile::tempdir().unwrap();
        let dirs = KnownDirs::default();
        let (old, new) = (tmp.path().join("old"), tmp.path().join("new/deep"));
        fs_err::create_dir(&old).unwrap();
        assert!(!dirs.ensure(&old).unwrap());
        assert!(dirs.ensure(&new).unwrap());
        assert!(new.is_dir());
        // Known now: answered from memory, even if the folder went away meanwhile.
        fs_err::remove_dir(&new).unwrap();
        assert!(dirs.ensure(&new).unwrap());
        assert!(dirs.created(&new) && !dirs.created(&old) && dirs.known(&old));
        assert!(!dirs.known(&tmp.path().join("other")));
        // A file in the way is an error, as with create_dir_all.
        fs_err::write(tmp.path().join("f"), b"").unwrap();
        assert!(dirs.ensure(&tmp.path().join("f")).is_err());
    }
}
