//! The console after login: every section's pages under one runtime, one wasm.

use crypter_frontend::components::shell::Shell;
use crypter_frontend::pages::*;
use leptos::prelude::*;
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::path;

fn main() {
    crypter_frontend::start("console", || {
        crypter_frontend::mount_console(|| {
            view! {
                <Router>
                    <Routes fallback=NotFound>
                        <ParentRoute path=path!("") view=Shell>
                            <Route path=path!("") view=Overview />
                            <Route path=path!("search") view=Search />
                            <Route path=path!("freeze") view=Freeze />
                            <Route path=path!("cluster") view=Cluster />
                            <Route path=path!("activity") view=Activity />
                            <Route path=path!("notifications") view=Notifications />
                            <Route path=path!("environments") view=Environments />
                            <Route path=path!("credentials") view=Credentials />
                            <Route path=path!("roles") view=Roles />
                            <Route path=path!("changesets") view=Changesets />
                            <Route path=path!("runbooks") view=Runbooks />
                            <Route path=path!("runbooks/:id") view=RunbookRun />
                            <Route path=path!("keys") view=Keys />
                            <Route path=path!("requests") view=Approvals />
                            <Route path=path!("requests/:id") view=Approvals />
                        </ParentRoute>
                    </Routes>
                </Router>
            }
        })
    });
}
