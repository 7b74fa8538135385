//! The rows of one environment as the Credentials page holds them: the listing (first
//! rows, then every row), with the rows this page changed laid over it, and a lower-cased
//! text per row so that a filter keystroke is a plain scan with no allocation.

use crypter_api::{CredentialDetail, CredentialSummary};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Shared, immutable rows: cheap to clone, compared by identity (a new listing or a patch
/// makes new rows; comparing 100,000 rows field by field on every change would not pay).
#[derive(Clone, Default)]
pub struct Rows(Arc<RowsInner>);

#[derive(Default)]
pub struct RowsInner {
    /// Sorted by path.
    pub items: Vec<CredentialSummary>,
    /// Per row: path, owner, description and labels, lower-cased.
    hay: Vec<String>,
    /// Every row of the environment is here (not only the first ones).
    pub complete: bool,
}

impl PartialEq for Rows {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl std::ops::Deref for Rows {
    type Target = RowsInner;
    fn deref(&self) -> &RowsInner {
        &self.0
    }
}

use crypter_api::{search_text as hay, CredentialFilter};

impl Rows {
    pub fn new(items: Vec<CredentialSummary>, complete: bool) -> Self {
        let hay = items.iter().map(hay).collect();
        Self(Arc::new(RowsInner {
            items,
            hay,
            complete,
        }))
    }

    /// These rows with `patches` laid over them (a patched path is replaced, or inserted
    /// in path order).
    pub fn patched(&self, patches: &BTreeMap<String, CredentialSummary>) -> Self {
        if patches.is_empty() {
            return self.clone();
        }
        let mut items = self.items.clone();
        for row in patches.values() {
            match items.binary_search_by(|r| r.path.as_str().cmp(&row.path)) {
                Ok(i) => items[i] = row.clone(),
                Err(i) => items.insert(i, row.clone()),
            }
        }
        Self::new(items, self.complete)
    }

    /// Indices of the rows that pass the filters (the rule shared with the backend).
    pub fn filter(&self, prefix: &str, class: &str, q: &str) -> Vec<u32> {
        let filter = CredentialFilter::new(prefix, class, q);
        self.items
            .iter()
            .zip(&self.hay)
            .enumerate()
            .filter(|(_, (c, hay))| filter.matches_text(c, hay))
            .map(|(i, _)| i as u32)
            .collect()
    }

    pub fn position(&self, path: &str) -> Option<usize> {
        self.items
            .binary_search_by(|r| r.path.as_str().cmp(path))
            .ok()
    }
}

/// The list row a detail stands for.
pub fn summary_of(d: &CredentialDetail) -> CredentialSummary {
    CredentialSummary {
        path: d.path.clone(),
        metadata: d.metadata.clone(),
        current_version: d.current_version,
        updated_time: d.updated_time.clone(),
        deleted: d.deleted,
        rotation_due: d.rotation_due,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crypter_api::CredentialMetadata;

    fn row(path: &str, class: &str, owner: &str) -> CredentialSummary {
        CredentialSummary {
            path: path.into(),
            metadata: CredentialMetadata {
                class: Some(class.into()),
                owner: Some(owner.into()),
                labels: vec!["Blue".into()],
                ..Default::default()
            },
            current_version: 1,
            updated_time: String::new(),
            deleted: false,
            rotation_due: false,
        }
    }

    #[test]
    fn filters_match_prefix_class_and_text() {
        let rows = Rows::new(
            vec![row("a/db", "service", "Team-X"), row("b/key", "key", "ops")],
            true,
        );
        assert_eq!(rows.filter("", "", ""), [0, 1]);
        assert_eq!(rows.filter("b/", "", ""), [1]);
        assert_eq!(rows.filter("", "service", ""), [0]);
        assert_eq!(rows.filter("", "", "team-x"), [0]);
        assert_eq!(rows.filter("", "", "blue"), [0, 1]);
        assert!(rows.filter("", "e2e", "").is_empty());
    }

    #[test]
    fn patches_replace_or_insert_in_path_order() {
        let rows = Rows::new(
            vec![row("a", "service", "x"), row("c", "service", "x")],
            false,
        );
        let mut patches = BTreeMap::new();
        patches.insert("b".to_owned(), row("b", "key", "y"));
        patches.insert("c".to_owned(), row("c", "key", "z"));
        let p = rows.patched(&patches);
        let paths: Vec<_> = p.items.iter().map(|r| r.path.as_str()).collect();
        assert_eq!(paths, ["a", "b", "c"]);
        assert_eq!(p.items[2].metadata.owner.as_deref(), Some("z"));
        assert_eq!(p.filter("", "", "z"), [2]);
        assert!(!p.complete);
        assert!(rows.patched(&BTreeMap::new()) == rows);
    }
}
