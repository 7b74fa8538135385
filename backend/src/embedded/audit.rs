//! The file audit device every node Crypter runs declares in its configuration. OpenBao
//! 2.7.2 refuses to enable audit devices through the API, so this is configuration, and
//! the activity feed reads the files (see `crate::activity`). OpenBao writes each entry
//! before it answers, and refuses to answer when no audit device can write: every reveal
//! is recorded by the store itself, or it does not happen.

use std::path::Path;

/// The device's name in OpenBao (`sys/audit` lists it as `crypter/`).
pub const DEVICE: &str = "crypter";
/// The file name each node of a local cluster writes, in its own working folder.
pub const NODE_FILE: &str = "audit.log";

/// The HCL stanza for a file audit device writing to `file` (mode 0600).
pub fn stanza(file: &Path) -> String {
    format!(
        r#"audit "file" "{DEVICE}" {{
  options {{
    file_path = "{}"
    mode      = "0600"
  }}
}}
"#,
        file.display()
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_stanza_names_the_file() {
        let s = super::stanza(std::path::Path::new("/var/log/bao/audit.log"));
        assert!(s.starts_with("audit \"file\" \"crypter\" {"));
        assert!(s.contains("file_path = \"/var/log/bao/audit.log\""));
        assert!(s.contains("mode      = \"0600\""));
    }
}
