//! The `access` bundle of the console: roles, users and identity checks.

use crypter_frontend::components::shell::Shell;
use crypter_frontend::pages::*;
use leptos::prelude::*;
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::path;

fn main() {
    crypter_frontend::start("access", || {
        view! {
            <Router>
                <Routes fallback=NotFound>
                    <ParentRoute path=path!("") view=Shell>
                        <Route path=path!("roles") view=Roles />
                    </ParentRoute>
                </Routes>
            </Router>
        }
    });
}
