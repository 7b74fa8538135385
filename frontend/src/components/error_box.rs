use crypter_api::ApiError;
use leptos::prelude::*;

/// An API error, shown where the action was taken. Renders nothing when there is none.
#[component]
pub fn ErrorBox(#[prop(into)] error: Signal<Option<ApiError>>) -> impl IntoView {
    move || {
        error.get().map(|e| {
            let relogin = e.code == "unauthenticated";
            view! {
                <div class="error" role="alert" data-testid="error" data-code=e.code.clone()>
                    {e.message}
                    {relogin.then(|| view! { " " <a href="/login" rel="external" data-testid="error-login">"Log in again"</a> })}
                </div>
            }
        })
    }
}
