//! Light and dark themes: CSS variables switched by `data-theme` on `<html>`. The choice
//! is remembered in localStorage; without one, the system preference applies.

const KEY: &str = "crypter-theme";

fn root() -> Option<web_sys::Element> {
    web_sys::window()?.document()?.document_element()
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

/// The theme chosen in this browser, if any.
pub fn current() -> Option<String> {
    storage()?.get_item(KEY).ok()?
}

fn system_prefers_dark() -> bool {
    web_sys::window()
        .and_then(|w| w.match_media("(prefers-color-scheme: dark)").ok().flatten())
        .is_some_and(|m| m.matches())
}

/// Whether the page is dark now: the stored choice, else the system's preference.
pub fn is_dark() -> bool {
    match current().as_deref() {
        Some("dark") => true,
        Some("light") => false,
        _ => system_prefers_dark(),
    }
}

pub fn apply(theme: &str) {
    if let Some(el) = root() {
        let _ = el.set_attribute("data-theme", theme);
    }
    if let Some(s) = storage() {
        let _ = s.set_item(KEY, theme);
    }
}

pub fn restore() {
    if let (Some(theme), Some(el)) = (current(), root()) {
        let _ = el.set_attribute("data-theme", &theme);
    }
}
