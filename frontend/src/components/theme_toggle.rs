use leptos::prelude::*;

/// Switches between the light and dark themes.
#[component]
pub fn ThemeToggle() -> impl IntoView {
    let dark = RwSignal::new(crate::theme::current().as_deref() == Some("dark"));
    let toggle = move |_| {
        dark.update(|d| *d = !*d);
        crate::theme::apply(if dark.get_untracked() {
            "dark"
        } else {
            "light"
        });
    };
    view! {
        <button
            type="button"
            class="ghost"
            data-testid="theme-toggle"
            aria-pressed=move || dark.get().to_string()
            title="Switch between light and dark"
            on:click=toggle
        >
            {move || if dark.get() { "Light theme" } else { "Dark theme" }}
        </button>
    }
}
