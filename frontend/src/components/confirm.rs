use leptos::prelude::*;

/// A destructive action's button. In a protected environment it first asks the user to
/// type the environment's name, and only then runs `on_confirm`.
#[component]
pub fn TypedConfirm(
    /// The environment's name, which must be typed when it is protected.
    #[prop(into)]
    env: Signal<String>,
    #[prop(into)] protected: Signal<bool>,
    label: &'static str,
    testid: &'static str,
    on_confirm: Callback<()>,
    #[prop(optional, into)] disabled: Signal<bool>,
) -> impl IntoView {
    let asking = RwSignal::new(false);
    let typed = RwSignal::new(String::new());
    let input_id = format!("{testid}-confirm-input");
    let input_id2 = input_id.clone();
    let start = move |_| {
        if protected.get_untracked() {
            typed.set(String::new());
            asking.set(true);
        } else {
            on_confirm.run(());
        }
    };
    view! {
        <button type="button" class="danger" data-testid=testid disabled=move || disabled.get()
            on:click=start>{label}</button>
        <Show when=move || asking.get()>
            <div class="confirm" data-testid="typed-confirm" role="group">
                <label for=input_id.clone()>
                    "This environment is protected. Type "
                    <code>{move || env.get()}</code>
                    " to confirm."
                </label>
                <input id=input_id2.clone() data-testid="confirm-input" autocomplete="off"
                    bind:value=typed />
                <div class="row">
                    <button type="button" class="danger" data-testid="confirm-submit"
                        disabled=move || typed.get() != env.get()
                        on:click=move |_| {
                            asking.set(false);
                            on_confirm.run(());
                        }>{label}</button>
                    <button type="button" data-testid="confirm-cancel"
                        on:click=move |_| asking.set(false)>"Cancel"</button>
                </div>
            </div>
        </Show>
    }
}
