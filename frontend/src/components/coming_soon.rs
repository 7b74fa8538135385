use leptos::prelude::*;

/// The placeholder for a page whose issue is still open. It says what will be here.
#[component]
pub fn ComingSoon(title: &'static str, what: &'static str) -> impl IntoView {
    view! {
        <section class="page" data-testid="page">
            <h1 data-testid="page-title">{title}</h1>
            <div class="card muted" data-testid="coming-soon">
                <p><strong>"Coming soon."</strong> " " {what}</p>
            </div>
        </section>
    }
}
