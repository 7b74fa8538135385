//! One audit log file, read from where the last read stopped. OpenBao appends a line per
//! entry and writes it before it answers the request, so reading up to the end of the file
//! right before a query sees every request that has already been answered.
//!
//! Crypter only ever reads: it is never in OpenBao's request path, and a stopped Crypter
//! does not slow OpenBao down.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// At start, read at most this much of the end of a long log.
const BACKFILL_BYTES: u64 = 256 * 1024 * 1024;
/// Read in chunks of this size.
const CHUNK: usize = 1024 * 1024;

#[derive(Debug)]
pub struct FileSource {
    pub path: PathBuf,
    offset: u64,
    /// The start of a line whose end has not been written yet.
    partial: Vec<u8>,
    started: bool,
    /// Skip up to the first newline (a backfill that starts mid-file).
    skip_to_newline: bool,
    pub entries: u64,
    pub error: Option<String>,
}

impl FileSource {
    pub fn new(path: PathBuf) -> Self {
        Self {
            path,
            offset: 0,
            partial: Vec::new(),
            started: false,
            skip_to_newline: false,
            entries: 0,
            error: None,
        }
    }

    /// Every complete line written since the last call, passed to `each`.
    pub fn read_new(&mut self, mut each: impl FnMut(&str)) {
        match self.try_read(&mut each) {
            Ok(()) => self.error = None,
            Err(e) => {
                self.error = Some(format!("cannot read {}: {e}", self.path.display()));
            }
        }
    }

    fn try_read(&mut self, each: &mut impl FnMut(&str)) -> std::io::Result<()> {
        let mut file = File::open(&self.path)?;
        let len = file.metadata()?.len();
        if !self.started {
            self.started = true;
            self.offset = len.saturating_sub(BACKFILL_BYTES);
            self.skip_to_newline = self.offset > 0;
        }
        if len < self.offset {
            // Truncated or replaced (log rotation): start again from the top.
            self.offset = 0;
            self.partial.clear();
            self.skip_to_newline = false;
        }
        file.seek(SeekFrom::Start(self.offset))?;
        let mut buf = vec![0u8; CHUNK];
        loop {
            let n = file.read(&mut buf)?;
            if n == 0 {
                return Ok(());
            }
            self.offset += n as u64;
            self.take_lines(&buf[..n], each);
        }
    }

    fn take_lines(&mut self, mut bytes: &[u8], each: &mut impl FnMut(&str)) {
        while let Some(end) = bytes.iter().position(|b| *b == b'\n') {
            let (line, rest) = bytes.split_at(end);
            bytes = &rest[1..];
            if std::mem::take(&mut self.skip_to_newline) {
                self.partial.clear();
                continue;
            }
            self.partial.extend_from_slice(line);
            if let Ok(text) = std::str::from_utf8(&self.partial) {
                if !text.trim().is_empty() {
                    self.entries += 1;
                    each(text);
                }
            }
            self.partial.clear();
        }
        self.partial.extend_from_slice(bytes);
    }

    pub fn name(&self) -> String {
        self.path.display().to_string()
    }
}

/// Append `lines` to `file` in one write, creating it with mode 0600.
pub fn append(file: &Path, lines: &[&str]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut text = String::new();
    for line in lines {
        text.push_str(line.trim_end());
        text.push('\n');
    }
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .mode(0o600)
        .open(file)?;
    f.write_all(text.as_bytes())?;
    f.sync_data()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(src: &mut FileSource) -> Vec<String> {
        let mut out = Vec::new();
        src.read_new(|l| out.push(l.to_owned()));
        out
    }

    #[test]
    fn reads_complete_lines_only_and_resumes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.log");
        std::fs::write(&path, "one\ntwo\nthr").unwrap();
        let mut src = FileSource::new(path.clone());
        assert_eq!(collect(&mut src), ["one", "two"]);
        append(&path, &["ee-done", "four"]).unwrap();
        // `append` adds a newline to each: "three-done" was finished by it.
        assert_eq!(collect(&mut src), ["three-done", "four"]);
        assert!(collect(&mut src).is_empty());
        assert_eq!(src.entries, 4);
    }

    #[test]
    fn a_truncated_log_is_read_again_from_the_top() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.log");
        std::fs::write(&path, "a-long-first-line\n").unwrap();
        let mut src = FileSource::new(path.clone());
        assert_eq!(collect(&mut src), ["a-long-first-line"]);
        std::fs::write(&path, "b\n").unwrap();
        assert_eq!(collect(&mut src), ["b"]);
    }

    #[test]
    fn a_missing_log_is_an_error_until_it_appears() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("later.log");
        let mut src = FileSource::new(path.clone());
        assert!(collect(&mut src).is_empty());
        assert!(src.error.as_deref().unwrap().contains("later.log"));
        std::fs::write(&path, "x\n").unwrap();
        assert_eq!(collect(&mut src), ["x"]);
        assert!(src.error.is_none());
    }
}
