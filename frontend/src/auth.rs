//! Who is logged in, shared with every page through context.

use crypter_api::SessionInfo;
use leptos::prelude::*;

#[derive(Clone, Copy)]
pub struct Auth {
    pub session: RwSignal<Option<SessionInfo>>,
}

impl Auth {
    pub fn provide() {
        provide_context(Self {
            session: RwSignal::new(None),
        });
    }

    pub fn get() -> Self {
        expect_context::<Self>()
    }
}
