use crypter_api::ApiError;
use leptos::prelude::*;

/// An API error, shown where the action was taken. Renders nothing when there is none.
#[component]
pub fn ErrorBox(#[prop(into)] error: Signal<Option<ApiError>>) -> impl IntoView {
    move || error.get().map(|e| view! { <ErrorItem e=e /> })
}

#[component]
fn ErrorItem(e: ApiError) -> impl IntoView {
    let relogin = e.code == crypter_api::ErrorCode::Unauthenticated;
    // The id Crypter's log files the whole cause under: small, but there to quote.
    let request_id = e.request_id.map(|id| {
        view! { " " <small class="request-id" data-testid="error-request-id">"(request id " {id} ")"</small> }
    });
    view! {
        <div class="error" role="alert" data-testid="error" data-code=e.code.as_str()>
            {e.message}
            {relogin.then(|| view! { " " <a href="/login" rel="external" data-testid="error-login">"Log in again"</a> })}
            {request_id}
        </div>
    }
}

/// The fallback of a section's `ErrorBoundary`: each error the section raised, shown like
/// an [`ErrorBox`] (its code and message when it came from the API). The section comes
/// back by itself once what it reads succeeds.
#[component]
pub fn Errors(errors: ArcRwSignal<leptos::error::Errors>) -> impl IntoView {
    move || {
        errors
            .get()
            .into_iter()
            .map(|(_, err)| {
                let e = err.downcast_ref::<ApiError>().cloned().unwrap_or_else(|| {
                    ApiError::new(crypter_api::ErrorCode::Unknown, err.to_string())
                });
                view! { <ErrorItem e=e /> }
            })
            .collect_view()
    }
}
