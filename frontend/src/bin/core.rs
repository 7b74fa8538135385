//! The `core` bundle of the console: login and the overview.

use crypter_frontend::components::shell::Shell;
use crypter_frontend::pages::*;
use leptos::prelude::*;
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::path;

fn main() {
    crypter_frontend::start("core", || {
        view! {
            <Router>
                <Routes fallback=NotFound>
                    <Route path=path!("/login") view=Login />
                    <ParentRoute path=path!("") view=Shell>
                        <Route path=path!("") view=Overview />
                    </ParentRoute>
                </Routes>
            </Router>
        }
    });
}
