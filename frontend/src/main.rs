//! Crypter's console. Client-side rendered: the backend serves these files and `/api/v1`.

mod api;
mod app;
mod auth;
mod components;
mod pages;
mod theme;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
