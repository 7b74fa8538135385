//! The `migrate` bundle of the console: runbooks (changesets have a bundle of their own).

use crypter_frontend::components::shell::Shell;
use crypter_frontend::pages::*;
use leptos::prelude::*;
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::path;

fn main() {
    crypter_frontend::start("migrate", || {
        view! {
            <Router>
                <Routes fallback=NotFound>
                    <ParentRoute path=path!("") view=Shell>
                        <Route path=path!("runbooks") view=Runbooks />
                        <Route path=path!("runbooks/:id") view=RunbookRun />
                    </ParentRoute>
                </Routes>
            </Router>
        }
    });
}
