//! Product events (a freeze, a thaw, a breach, a changeset applied or undone, a reminder):
//! Crypter's own doings, which OpenBao's audit log would otherwise show only as record
//! writes. The backend records each as a marker write of its own identity at
//! `crypter/data/events/<action>/<environment or ->/<actor>/<detail or ->/<target…>`, so the event
//! reaches the activity feed, and every subscription, through the audit log like any
//! other, in the same order and under the same cursors. Only the backend's policy may
//! write there, and the feed reads a marker as a product event only when the backend's
//! identity wrote it: nobody else can make one up.

use super::Records;
use crypter_api::ActivityAction;
use serde_json::json;
use time::format_description::well_known::Rfc3339;

/// Under `crypter/data/`.
pub const EVENTS: &str = "events";

/// Stands for "no environment" in a marker's path.
const NONE: &str = "-";

/// One product event: what, where, by whom (the person the backend acted for).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductEvent {
    pub action: ActivityAction,
    pub environment: Option<String>,
    pub actor: String,
    /// A credential's path inside its environment, a changeset's id, a freeze level.
    pub target: String,
    /// What else a receiver needs: a reminder's `14d`, `3d` or `0d`.
    pub detail: Option<String>,
}

/// A segment with no `/`, not empty and not `.`/`..` (a path would read differently).
fn segment(text: &str) -> Option<&str> {
    (!text.is_empty() && !text.contains('/') && text != "." && text != "..").then_some(text)
}

impl ProductEvent {
    /// The record key of the marker, `None` when a part cannot be a path segment.
    pub fn key(&self) -> Option<String> {
        if !self.action.is_product() {
            return None;
        }
        let env = match &self.environment {
            Some(e) => segment(e)?,
            None => NONE,
        };
        let actor = segment(&self.actor)?;
        let detail = match &self.detail {
            Some(d) => segment(d)?,
            None => NONE,
        };
        let target = self.target.trim_matches('/');
        if target.is_empty() || target.split('/').any(|s| segment(s).is_none()) {
            return None;
        }
        Some(format!(
            "{EVENTS}/{}/{env}/{actor}/{detail}/{target}",
            self.action
        ))
    }

    /// The event a marker's audited path (`crypter/data/events/…`) stands for.
    pub fn from_path(path: &str) -> Option<Self> {
        let rest = path.trim_matches('/').strip_prefix("crypter/data/")?;
        let mut parts = rest.strip_prefix(EVENTS)?.strip_prefix('/')?.splitn(5, '/');
        let action = ActivityAction::parse(parts.next()?).filter(|a| a.is_product())?;
        let env = parts.next()?;
        let actor = segment(parts.next()?)?.to_owned();
        let detail = parts.next()?;
        let target = parts.next().filter(|t| !t.is_empty())?.to_owned();
        Some(Self {
            action,
            environment: (env != NONE).then(|| env.to_owned()),
            actor,
            target,
            detail: (detail != NONE).then(|| detail.to_owned()),
        })
    }
}

impl Records {
    /// Record `event`. The action it stands for has already happened: a failure here is
    /// logged (the event is then missing from the feed) and never undoes or fails it.
    pub async fn emit(&self, event: ProductEvent) {
        let Some(key) = event.key() else {
            tracing::warn!(action = %event.action, "product event with an unusable name: not recorded");
            return;
        };
        let at = time::OffsetDateTime::now_utc()
            .format(&Rfc3339)
            .unwrap_or_default();
        if let Err(e) = self.write(&key, &json!({ "at": at }), None).await {
            tracing::warn!(action = %event.action, error = %e, "product event not recorded");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(env: Option<&str>, target: &str) -> ProductEvent {
        ProductEvent {
            action: ActivityAction::ReminderDue,
            environment: env.map(str::to_owned),
            actor: "alice".into(),
            target: target.into(),
            detail: Some("14d".into()),
        }
    }

    #[test]
    fn every_product_action_has_a_marker() {
        let product: Vec<ActivityAction> = ActivityAction::ALL
            .iter()
            .copied()
            .filter(|a| a.is_product())
            .collect();
        assert!(product.len() >= 10, "{product:?}");
        for action in product {
            let e = ProductEvent {
                action,
                ..event(None, "x")
            };
            let key = e.key().unwrap();
            assert_eq!(
                ProductEvent::from_path(&format!("crypter/data/{key}")),
                Some(e)
            );
        }
    }

    #[test]
    fn a_marker_path_reads_back_as_its_event() {
        for e in [
            event(Some("staging"), "payments/db"),
            event(None, "provisioning"),
        ] {
            let key = e.key().unwrap();
            assert_eq!(
                ProductEvent::from_path(&format!("crypter/data/{key}")),
                Some(e)
            );
        }
    }

    #[test]
    fn what_cannot_be_a_segment_or_is_no_product_event_has_no_marker() {
        assert_eq!(event(Some("a/b"), "x").key(), None);
        assert_eq!(event(Some("s"), "").key(), None);
        assert_eq!(event(Some("s"), "a/../b").key(), None);
        let mut e = event(None, "x");
        e.actor = "x/y".into();
        assert_eq!(e.key(), None);
        e.actor = "bob".into();
        e.action = ActivityAction::CredentialWrite;
        assert_eq!(e.key(), None);
        assert_eq!(
            ProductEvent::from_path("crypter/data/events/credential.write/-/bob/-/x"),
            None
        );
        assert_eq!(
            ProductEvent::from_path("crypter/data/events/freeze.start/-/bob/-"),
            None
        );
    }
}
