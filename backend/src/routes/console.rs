//! The console's static files (`dist/`), with an SPA fallback: any path that is not a file
//! gets the `index.html` of the bundle that serves it (`crypter_api::console`: the login
//! page's or the console's), with status 200, so deep links work.
//!
//! Layouts: `dist/<bundle>/index.html` per bundle (what `scripts/build-console.sh`
//! builds), or a single `dist/index.html`.

use axum::http::{header, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get_service;
use axum::Router;
use crypter_api::console::{bundle_for, CONSOLE};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use tower_http::services::ServeDir;

pub use crate::security::index_files;

pub fn service(dist_dir: &Path) -> Router {
    let indexes: HashMap<&'static str, String> = index_files(dist_dir)
        .into_iter()
        .filter_map(|(b, p)| std::fs::read_to_string(p).ok().map(|html| (b, html)))
        .collect();
    if indexes.is_empty() {
        let shown = dist_dir.display().to_string();
        return Router::new().fallback(move || {
            let shown = shown.clone();
            async move {
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    Html(format!(
                        "<!doctype html><title>Crypter</title><p>The console is not built \
                         ({shown} has no index.html). Run <code>make run</code>, or \
                         <code>scripts/build-console.sh</code>, then restart.</p>"
                    )),
                )
                    .into_response()
            }
        });
    }
    let indexes = Arc::new(indexes);
    let spa = move |uri: Uri| {
        let indexes = Arc::clone(&indexes);
        async move { index_for(&indexes, uri.path()) }
    };
    Router::new().fallback_service(get_service(
        ServeDir::new(dist_dir)
            .precompressed_gzip()
            .fallback(axum::handler::HandlerWithoutStateExt::into_service(spa)),
    ))
}

fn index_for(indexes: &HashMap<&'static str, String>, path: &str) -> Response {
    let html = indexes
        .get(bundle_for(path))
        .or_else(|| indexes.get(CONSOLE))
        .cloned()
        .unwrap_or_default();
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        html,
    )
        .into_response()
}
