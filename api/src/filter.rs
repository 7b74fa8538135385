//! The credential list's filter, one definition for the backend's list endpoint and the
//! console's in-memory filter: a path prefix, a class, and case-insensitive text found in
//! the path, owner, description or labels.

use crate::CredentialSummary;

/// The text a credential is searched by: its path, owner, description and labels,
/// lower-cased and kept apart by a separator no query holds. The console keeps it per row
/// so a keystroke does not lower-case every row again.
pub fn search_text(c: &CredentialSummary) -> String {
    let m = &c.metadata;
    let mut s = c.path.to_lowercase();
    for part in [&m.owner, &m.description].into_iter().flatten() {
        s.push('\u{1}');
        s.push_str(&part.to_lowercase());
    }
    for label in &m.labels {
        s.push('\u{1}');
        s.push_str(&label.to_lowercase());
    }
    s
}

/// Empty fields filter nothing.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CredentialFilter {
    prefix: String,
    class: String,
    /// Lower-cased.
    q: String,
}

impl CredentialFilter {
    pub fn new(prefix: &str, class: &str, q: &str) -> Self {
        Self {
            prefix: prefix.to_owned(),
            class: class.to_owned(),
            q: q.to_lowercase(),
        }
    }

    /// Whether `c`, whose [`search_text`] is `text`, passes.
    pub fn matches_text(&self, c: &CredentialSummary, text: &str) -> bool {
        c.path.starts_with(&self.prefix)
            && (self.class.is_empty() || c.metadata.class.as_deref() == Some(self.class.as_str()))
            && (self.q.is_empty() || text.contains(&self.q))
    }

    pub fn matches(&self, c: &CredentialSummary) -> bool {
        self.matches_text(c, &search_text(c))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CredentialMetadata;

    fn cred() -> CredentialSummary {
        CredentialSummary {
            path: "payments/db".into(),
            metadata: CredentialMetadata {
                class: Some("service".into()),
                owner: Some("Team-Blue".into()),
                description: Some("Main DB".into()),
                labels: vec!["PCI".into()],
                ..Default::default()
            },
            current_version: 1,
            updated_time: String::new(),
            deleted: false,
            rotation_due: false,
        }
    }

    #[test]
    fn prefix_class_and_text_in_any_field_any_case() {
        let c = cred();
        let f = CredentialFilter::new;
        assert!(f("payments/", "service", "main db").matches(&c));
        assert!(f("", "", "BLUE").matches(&c));
        assert!(f("", "", "pci").matches(&c));
        assert!(f("", "", "").matches(&c));
        assert!(!f("users/", "", "").matches(&c));
        assert!(!f("", "e2e", "").matches(&c));
        assert!(!f("", "", "nothing").matches(&c));
        // Text never spans two fields.
        assert!(!f("", "", "dbteam").matches(&c));
    }
}
