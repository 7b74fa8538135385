use crate::api;
use crate::components::loading::Loading;
use crypter_api::{SearchHit, SearchResults};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// Search results (`/search?q=…`, from the search box of every page): credentials across
/// every environment the user may list, found by path, owner, label, description or class.
#[component]
pub fn Search() -> impl IntoView {
    let query = use_query_map();
    let q = Memo::new(move |_| query.with(|m| m.get("q")).unwrap_or_default());
    let results = LocalResource::new(move || {
        let q = q.get();
        async move {
            if q.trim().is_empty() {
                Ok(None)
            } else {
                api::search(q).await.map(Some)
            }
        }
    });
    view! {
        <section class="page wide" data-testid="page">
            <div class="page-head">
                <h1 data-testid="page-title">"Search"</h1>
            </div>
            <Loading keep=true fallback=|| view! { <p class="loading" role="status">"Searching…"</p> }
                load=move || async move {
                        let view = match results.await? {
                            None => view! {
                                <p class="muted" data-testid="search-empty">
                                    "Type in the search box above: a path, owner, label, description or class."
                                </p>
                            }.into_any(),
                            Some(r) => view! { <ResultsTable r=r /> }.into_any(),
                        };
                        Ok(view)
                } />
        </section>
    }
}

#[component]
fn ResultsTable(r: SearchResults) -> impl IntoView {
    let summary = format!(
        "{} found for “{}” in {} environment{}{}",
        r.total,
        r.query,
        r.environments.len(),
        if r.environments.len() == 1 { "" } else { "s" },
        if r.total as usize > r.hits.len() {
            format!(" (the first {} shown)", r.hits.len())
        } else {
            String::new()
        }
    );
    let searched = r.environments.join(", ");
    view! {
        <p role="status" data-testid="search-summary">{summary}</p>
        <p class="muted small">"Searched: "{searched}</p>
        <div class="card table-wrap">
            <table class="search-table" data-testid="search-results">
                <caption class="sr-only">"Credentials found"</caption>
                <thead><tr><th>"Environment"</th><th>"Path"</th><th>"Class"</th><th>"Owner"</th></tr></thead>
                <tbody>
                    {r.hits.into_iter().map(|h| view! { <HitRow h=h /> }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn HitRow(h: SearchHit) -> impl IntoView {
    let href = format!(
        "/credentials?env={}&path={}",
        api::encode(&h.environment),
        api::encode(&h.path)
    );
    view! {
        <tr data-testid="search-hit" data-env=h.environment.clone() data-path=h.path.clone()>
            <td>{h.environment.clone()}</td>
            <td>
                <a href=href rel="external"><code>{h.path.clone()}</code></a>
                {h.deleted.then(|| view! { " " <span class="badge bad">"deleted"</span> })}
                {h.description.map(|d| view! { <div class="muted small">{d}</div> })}
            </td>
            <td>{h.class.unwrap_or_else(|| "-".into())}</td>
            <td>{h.owner.unwrap_or_else(|| "-".into())}</td>
        </tr>
    }
}
