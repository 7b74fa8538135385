//! The `core` bundle: the login page, what a person downloads before the login form works.
//! No Leptos here (see `login.rs`): logging in is a page load into the console
//! (`console.rs`).

fn main() {
    crypter_frontend::start("core", crypter_frontend::login::mount);
}
