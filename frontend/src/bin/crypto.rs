//! The `crypto` bundle of the console: keys (encryption, signing and HMAC keys per
//! environment, on OpenBao's transit engine).

use crypter_frontend::components::shell::Shell;
use crypter_frontend::pages::*;
use leptos::prelude::*;
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::path;

fn main() {
    crypter_frontend::start("crypto", || {
        view! {
            <Router>
                <Routes fallback=NotFound>
                    <ParentRoute path=path!("") view=Shell>
                        <Route path=path!("keys") view=Keys />
                    </ParentRoute>
                </Routes>
            </Router>
        }
    });
}
