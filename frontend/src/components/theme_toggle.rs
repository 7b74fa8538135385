use leptos::prelude::*;

/// Switches between the light and dark themes. Its name is the theme it switches to, so
/// it always says what pressing it does (the system's preference counts when nothing was
/// chosen yet).
#[component]
pub fn ThemeToggle() -> impl IntoView {
    let dark = RwSignal::new(crate::theme::is_dark());
    let toggle = move |_| {
        dark.update(|d| *d = !*d);
        crate::theme::apply(if dark.get_untracked() {
            "dark"
        } else {
            "light"
        });
    };
    view! {
        <button type="button" class="ghost" data-testid="theme-toggle" on:click=toggle>
            {move || if dark.get() { "Light theme" } else { "Dark theme" }}
        </button>
    }
}
