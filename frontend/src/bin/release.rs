//! The `release` bundle of the console: status, plan (item by item) and apply.

use crypter_frontend::components::shell::Shell;
use crypter_frontend::pages::*;
use leptos::prelude::*;
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::path;

fn main() {
    crypter_frontend::start("release", || {
        view! {
            <Router>
                <Routes fallback=NotFound>
                    <ParentRoute path=path!("") view=Shell>
                        <Route path=path!("changesets") view=Changesets />
                    </ParentRoute>
                </Routes>
            </Router>
        }
    });
}
