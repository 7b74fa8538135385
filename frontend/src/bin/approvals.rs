//! The `approvals` bundle of the console: requests to change protected environments, the
//! votes on them, and each environment's approval rule.

use crypter_frontend::components::shell::Shell;
use crypter_frontend::pages::*;
use leptos::prelude::*;
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::path;

fn main() {
    crypter_frontend::start("approvals", || {
        view! {
            <Router>
                <Routes fallback=NotFound>
                    <ParentRoute path=path!("") view=Shell>
                        <Route path=path!("requests") view=Approvals />
                        <Route path=path!("requests/:id") view=Approvals />
                    </ParentRoute>
                </Routes>
            </Router>
        }
    });
}
