//! The `data` bundle of the console: credentials (the list of 10,000 and more, detail,
//! reveal, edit).

use crypter_frontend::components::shell::Shell;
use crypter_frontend::pages::*;
use leptos::prelude::*;
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::path;

fn main() {
    crypter_frontend::start("data", || {
        view! {
            <Router>
                <Routes fallback=NotFound>
                    <ParentRoute path=path!("") view=Shell>
                        <Route path=path!("credentials") view=Credentials />
                    </ParentRoute>
                </Routes>
            </Router>
        }
    });
}
