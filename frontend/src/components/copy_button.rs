use leptos::prelude::*;

/// Copies `text` to the clipboard. The text stays in this component's props only.
#[component]
pub fn CopyButton(text: String, #[prop(into)] testid: String) -> impl IntoView {
    let copied = RwSignal::new(false);
    let copy = move |_| {
        if let Some(w) = web_sys::window() {
            // The promise resolves when the browser has copied; nothing to wait for.
            let _ = w.navigator().clipboard().write_text(&text);
            copied.set(true);
        }
    };
    view! {
        <button type="button" data-testid=testid on:click=copy>
            {move || if copied.get() { "Copied" } else { "Copy" }}
        </button>
    }
}
