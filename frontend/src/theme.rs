//! Light and dark themes: CSS variables switched by `data-theme` on `<html>`. The choice
//! is remembered in localStorage; without one, the system preference applies.

const KEY: &str = "crypter-theme";

fn root() -> Option<web_sys::Element> {
    web_sys::window()?.document()?.document_element()
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

pub fn current() -> Option<String> {
    storage()?.get_item(KEY).ok()?
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
