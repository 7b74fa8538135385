use leptos::ev::KeyboardEvent;
use leptos::html::{Button, Dialog};
use leptos::prelude::*;
use std::cell::Cell;
use wasm_bindgen::JsCast;

thread_local! {
    static NEXT: Cell<u32> = const { Cell::new(0) };
}

/// Keeps Tab and Shift+Tab inside the dialog: from its last control back to the first, and
/// the other way. (A modal dialog makes the page inert, but Tab may still leave the
/// document.)
fn trap_tab(dialog: &web_sys::HtmlDialogElement, ev: &KeyboardEvent) {
    if ev.key() != "Tab" {
        return;
    }
    let Ok(list) = dialog.query_selector_all("input:not([disabled]), button:not([disabled])")
    else {
        return;
    };
    let (Some(first), Some(last)) = (list.item(0), list.item(list.length().saturating_sub(1)))
    else {
        return;
    };
    let active = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.active_element())
        .map(web_sys::Node::from);
    let (edge, target) = if ev.shift_key() {
        (first, last)
    } else {
        (last, first)
    };
    if active.as_ref() == Some(&edge) {
        ev.prevent_default();
        if let Ok(el) = target.dyn_into::<web_sys::HtmlElement>() {
            let _ = el.focus();
        }
    }
}

/// A destructive action's button. In a protected environment it first asks the user to
/// type the environment's name in a modal dialog, and only then runs `on_confirm`.
///
/// The dialog is the browser's own (`<dialog>` shown modal): focus moves into it and stays
/// there (the page is inert, and Tab cycles inside it), Escape closes it, and focus goes
/// back to the button that opened it.
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
    let typed = RwSignal::new(String::new());
    let dialog: NodeRef<Dialog> = NodeRef::new();
    let opener: NodeRef<Button> = NodeRef::new();
    // Ids unique to this instance: a page holds one confirmation per row or version.
    let n = NEXT.with(|c| {
        c.set(c.get() + 1);
        c.get()
    });
    let input_id = format!("{testid}-confirm-input-{n}");
    let title_id = format!("{testid}-confirm-title-{n}");
    let labelled_by = title_id.clone();
    let start = move |_| {
        if !protected.get_untracked() {
            on_confirm.run(());
        } else if let Some(d) = dialog.get_untracked() {
            typed.set(String::new());
            let _ = d.show_modal();
        }
    };
    let close = move || {
        if let Some(d) = dialog.get_untracked() {
            d.close();
        }
    };
    view! {
        <button type="button" class="danger" data-testid=testid disabled=move || disabled.get()
            node_ref=opener on:click=start>{label}</button>
        <dialog class="confirm" data-testid="typed-confirm" node_ref=dialog
            aria-labelledby=labelled_by
            on:keydown=move |ev| {
                if let Some(d) = dialog.get_untracked() {
                    trap_tab(&d, &ev);
                }
            }
            on:close=move |_| {
                if let Some(b) = opener.get_untracked() {
                    let _ = b.focus();
                }
            }>
            <form method="dialog" on:submit=move |ev| {
                ev.prevent_default();
                if typed.get_untracked() == env.get_untracked() {
                    close();
                    on_confirm.run(());
                }
            }>
                <h2 id=title_id>{label}" in a protected environment"</h2>
                <label for=input_id.clone()>
                    "This environment is protected. Type "
                    <code>{move || env.get()}</code>
                    " to confirm."
                </label>
                <input id=input_id data-testid="confirm-input" autocomplete="off" autofocus
                    bind:value=typed />
                <div class="row">
                    <button type="submit" class="danger" data-testid="confirm-submit"
                        disabled=move || typed.get() != env.get()>{label}</button>
                    <button type="button" data-testid="confirm-cancel"
                        on:click=move |_| close()>"Cancel"</button>
                </div>
            </form>
        </dialog>
    }
}
