//! The `core` bundle of the console: login, the overview and search.

use crypter_frontend::components::shell::Shell;
use crypter_frontend::pages::*;
use leptos::prelude::*;
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::path;

fn main() {
    remember_sso_error();
    crypter_frontend::start("core", || {
        view! {
            <Router>
                <Routes fallback=NotFound>
                    <Route path=path!("/login") view=Login />
                    <ParentRoute path=path!("") view=Shell>
                        <Route path=path!("") view=Overview />
                        <Route path=path!("search") view=Search />
                    </ParentRoute>
                </Routes>
            </Router>
        }
    });
}
