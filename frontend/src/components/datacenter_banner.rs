//! The data-center banner, on every page: this instance cannot reach the store's leader
//! (changes are refused here), or its reads lag behind the leader.

use super::time::local_clock;
use crate::api;
use crypter_api::Consistency;
use leptos::prelude::*;
use std::time::Duration;

/// The health check is cheap and unauthenticated; 5 s is the pace of the backend's own
/// probes, so the banner is never more than one probe behind.
const POLL: Duration = Duration::from_secs(5);

/// What the banner says, and how loudly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// Changes are refused here: a problem, drawn as one.
    LeaderUnreachable(String),
    /// Reads may be older than the bound: a warning.
    Stale(String),
}

impl Notice {
    /// The banner for this consistency state, if it needs one. `clock` shows a time.
    pub fn of(c: &Consistency, clock: impl Fn(&str) -> String) -> Option<Self> {
        if let Some(since) = &c.leader_unreachable_since {
            let here = c.datacenter.as_deref().unwrap_or("This instance");
            return Some(Self::LeaderUnreachable(format!(
                "{here} cannot reach the store's leader since {}; what you see may be older; \
                 changes are refused here",
                clock(since)
            )));
        }
        let stale = c.stale_since.as_deref()?;
        Some(Self::Stale(format!(
            "Reads here may be older than {}",
            clock(stale)
        )))
    }
}

/// Asks `GET /api/v1/health` every 5 s and shows a [`Notice`] when there is one. A failed
/// poll leaves the banner as the last answer drew it.
#[component]
pub fn DatacenterBanner() -> impl IntoView {
    let health = LocalResource::new(api::health);
    if let Ok(handle) = set_interval_with_handle(move || health.refetch(), POLL) {
        on_cleanup(move || handle.clear());
    }
    let consistency = Memo::new(
        move |last: Option<&Option<Consistency>>| match health.get() {
            Some(Ok(h)) => h.consistency,
            _ => last.cloned().flatten(),
        },
    );
    move || {
        let notice = consistency.with(|c| c.as_ref().and_then(|c| Notice::of(c, local_clock)))?;
        let (kind, text) = match notice {
            Notice::LeaderUnreachable(text) => ("leader-unreachable", text),
            Notice::Stale(text) => ("stale", text),
        };
        Some(view! {
            <div class=format!("datacenter-banner {kind}") role="status"
                data-testid="datacenter-banner" data-kind=kind>
                {text}
            </div>
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clock(t: &str) -> String {
        format!("<{t}>")
    }

    #[test]
    fn an_unreachable_leader_names_the_data_center_and_refuses_changes() {
        let c = Consistency {
            datacenter: Some("dc3".into()),
            leader_unreachable_since: Some("T1".into()),
            stale_since: Some("T0".into()),
            ..Consistency::default()
        };
        assert_eq!(
            Notice::of(&c, clock),
            Some(Notice::LeaderUnreachable(
                "dc3 cannot reach the store's leader since <T1>; what you see may be older; \
                 changes are refused here"
                    .into()
            ))
        );
    }

    #[test]
    fn without_a_data_center_it_is_this_instance() {
        let c = Consistency {
            leader_unreachable_since: Some("T1".into()),
            ..Consistency::default()
        };
        let Some(Notice::LeaderUnreachable(text)) = Notice::of(&c, clock) else {
            panic!("expected the leader-unreachable notice");
        };
        assert!(text.starts_with("This instance cannot reach"), "{text}");
    }

    #[test]
    fn stale_reads_only_warn_and_a_fresh_instance_says_nothing() {
        let stale = Consistency {
            leader_reachable: true,
            stale_since: Some("T0".into()),
            ..Consistency::default()
        };
        assert_eq!(
            Notice::of(&stale, clock),
            Some(Notice::Stale("Reads here may be older than <T0>".into()))
        );
        let fresh = Consistency {
            leader_reachable: true,
            fresh_as_of: Some("T2".into()),
            ..Consistency::default()
        };
        assert_eq!(Notice::of(&fresh, clock), None);
    }
}
