//! The `core` bundle: the login page, what a person downloads before the login form works.
//! It has no router: logging in is a page load into the console (`console.rs`).

use crypter_frontend::pages::Login;
use leptos::prelude::*;

fn main() {
    crypter_frontend::start("core", || view! { <Login /> });
}
