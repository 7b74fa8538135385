use crate::auth::Auth;
use crate::components::shell::Shell;
use crate::pages::*;
use leptos::prelude::*;
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::path;

#[component]
pub fn App() -> impl IntoView {
    Auth::provide();
    crate::theme::restore();
    view! {
        <Router>
            <Routes fallback=NotFound>
                <Route path=path!("/login") view=Login />
                <ParentRoute path=path!("") view=Shell>
                    <Route path=path!("") view=Overview />
                    <Route path=path!("environments") view=Environments />
                    <Route path=path!("credentials") view=Credentials />
                    <Route path=path!("roles") view=Roles />
                    <Route path=path!("freeze") view=Freeze />
                    <Route path=path!("changesets") view=Changesets />
                    <Route path=path!("runbooks") view=Runbooks />
                    <Route path=path!("runbooks/:id") view=RunbookRun />
                    <Route path=path!("cluster") view=Cluster />
                    <Route path=path!("activity") view=Activity />
                </ParentRoute>
            </Routes>
        </Router>
    }
}
