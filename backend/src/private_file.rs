//! Files only their owner can read: created with mode 0600, so a secret written to one is
//! never readable by others, not even for a moment. The one home of the backend's writes of
//! secrets to disk (its credentials, a managed store's unseal keys, snapshots and their keys).

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// Open `path` for writing, mode 0600. `new`: refuse to open an existing one; otherwise
/// truncate it.
pub fn open(path: &Path, new: bool) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).mode(0o600);
    if new {
        options.create_new(true);
    } else {
        options.create(true).truncate(true);
    }
    options.open(path)
}

/// Write `bytes` to `path` through a 0600 temporary file beside it and a rename, so `path`
/// is never half-written.
pub fn write(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let mut f = open(&tmp, false)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn writes_whole_owner_only_files_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("creds.json");
        write(&path, b"first").unwrap();
        write(&path, b"second").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"second");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }

    #[test]
    fn a_new_file_is_never_one_that_exists() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("snapshot.key");
        open(&path, true).unwrap();
        assert_eq!(
            open(&path, true).unwrap_err().kind(),
            std::io::ErrorKind::AlreadyExists
        );
        open(&path, false).unwrap();
    }
}
