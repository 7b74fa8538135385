//! The few DOM calls the login page makes, without a framework.

use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{Document, Element, Event};

pub fn document() -> Option<Document> {
    web_sys::window()?.document()
}

/// A `<tag>` with `attrs` and `text`, set as text: nothing here is ever parsed as HTML, so
/// what the server or the address says (a provider's label, an error) shows as written.
pub fn el(tag: &str, attrs: &[(&str, &str)], text: &str) -> Option<Element> {
    let el = document()?.create_element(tag).ok()?;
    for (name, value) in attrs {
        el.set_attribute(name, value).ok()?;
    }
    if !text.is_empty() {
        el.set_text_content(Some(text));
    }
    Some(el)
}

/// The element of `form` whose `data-testid` is `id`, as the type it is.
pub fn find<T: JsCast>(form: &Element, id: &str) -> Option<T> {
    form.query_selector(&format!("[data-testid={id}]"))
        .ok()??
        .dyn_into()
        .ok()
}

/// Run `f` on each `event` at `target`. The handler lives as long as the page.
pub fn on(target: &Element, event: &str, f: impl FnMut(Event) + 'static) {
    let f = Closure::<dyn FnMut(Event)>::new(f);
    let _ = target.add_event_listener_with_callback(event, f.as_ref().unchecked_ref());
    f.forget();
}
