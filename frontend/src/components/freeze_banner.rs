use crate::api;
use crypter_api::FreezeState;
use leptos::prelude::*;
use std::time::Duration;

/// The freeze as the whole console sees it. The shell loads it and refreshes it; the Freeze
/// page updates it after each action, so the banner changes at once.
#[derive(Clone, Copy)]
pub struct FreezeStatus(pub RwSignal<Option<FreezeState>>);

impl FreezeStatus {
    pub fn provide() -> Self {
        let status = Self(RwSignal::new(None));
        provide_context(status);
        status.refresh();
        if let Ok(handle) =
            set_interval_with_handle(move || status.refresh(), Duration::from_secs(15))
        {
            on_cleanup(move || handle.clear());
        }
        status
    }

    pub fn get() -> Self {
        expect_context::<Self>()
    }

    pub fn refresh(self) {
        leptos::task::spawn_local(async move {
            // A user who may not read the freeze record just sees no banner.
            if let Ok(state) = api::freeze_state().await {
                self.0.set(Some(state));
            }
        });
    }
}

/// Shown on every page while the store is frozen: level, who, since when, and whether a
/// verification proved it. Links to the Freeze page.
#[component]
pub fn FreezeBanner() -> impl IntoView {
    let status = FreezeStatus::get();
    move || {
        status.0.get().filter(|s| s.level != "none").map(|s| {
            let verified = s.verification.as_ref().map(|v| v.verified);
            let (badge, class) = match verified {
                Some(true) => ("verified", "badge ok"),
                Some(false) => ("verification failed", "badge bad"),
                None => ("not verified", "badge warn"),
            };
            view! {
                <div class="freeze-banner" role="status" data-testid="freeze-banner">
                    <strong>"Store frozen: " <span data-testid="freeze-banner-level">{s.level.as_str()}</span></strong>
                    <span>
                        " by " {s.by.clone().unwrap_or_default()} " since "
                        {s.since.as_deref().map(super::time::short_time).unwrap_or_default()}
                    </span>
                    <span class=class data-testid="freeze-banner-verified">{badge}</span>
                    <a href="/freeze" rel="external" data-testid="freeze-banner-link">"Freeze page"</a>
                </div>
            }
        })
    }
}
