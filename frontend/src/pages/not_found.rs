use leptos::prelude::*;

#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <main class="page narrow" data-testid="not-found">
            <h1>"Page not found"</h1>
            <p>"There is no page at this address. " <a href="/" data-testid="go-home">"Go to the overview"</a></p>
        </main>
    }
}
