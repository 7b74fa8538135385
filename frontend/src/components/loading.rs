//! One way for every section to load: a fallback (skeleton) until its data is there, its
//! own `ErrorBoundary`, and `Suspense` or `Transition`. Type-erased on purpose: every
//! section shares one instantiation of the suspense and error-boundary machinery, which
//! keeps each console bundle small.

use super::error_box::Errors;
use crypter_api::ApiError;
use leptos::prelude::*;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

pub type ViewFuture = Pin<Box<dyn Future<Output = Result<AnyView, ApiError>> + Send>>;

/// What a section shows once loaded: a future of its view (it awaits its resources).
#[derive(Clone)]
pub struct Load(Arc<dyn Fn() -> ViewFuture + Send + Sync>);

impl<F, Fut> From<F> for Load
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<AnyView, ApiError>> + Send + 'static,
{
    fn from(f: F) -> Self {
        Self(Arc::new(move || Box::pin(f())))
    }
}

/// A loading section. `keep`: while it reloads, keep showing what it showed (a
/// `Transition`) rather than the fallback again (a `Suspense`). An error shows in the
/// section's place until a later load succeeds.
#[component]
pub fn Loading(
    #[prop(into)] load: Load,
    #[prop(optional, into)] fallback: ViewFnOnce,
    #[prop(optional)] keep: bool,
) -> impl IntoView {
    let body = move || {
        let load = load.clone();
        view! {
            <ErrorBoundary fallback=|errors| view! { <Errors errors=errors /> }>
                {move || Suspend::new((load.0)())}
            </ErrorBoundary>
        }
    };
    if keep {
        view! { <Transition fallback=fallback>{body()}</Transition> }.into_any()
    } else {
        view! { <Suspense fallback=fallback>{body()}</Suspense> }.into_any()
    }
}
