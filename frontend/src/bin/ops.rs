//! The `ops` bundle of the console: freeze, cluster, activity and notifications.

use crypter_frontend::components::shell::Shell;
use crypter_frontend::pages::*;
use leptos::prelude::*;
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::path;

fn main() {
    crypter_frontend::start("ops", || {
        view! {
            <Router>
                <Routes fallback=NotFound>
                    <ParentRoute path=path!("") view=Shell>
                        <Route path=path!("freeze") view=Freeze />
                        <Route path=path!("cluster") view=Cluster />
                        <Route path=path!("activity") view=Activity />
                        <Route path=path!("notifications") view=Notifications />
                    </ParentRoute>
                </Routes>
            </Router>
        }
    });
}
