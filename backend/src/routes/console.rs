//! The console's static files (trunk's `dist/`), with an SPA fallback: any path that is
//! not a file gets `index.html` with status 200, so deep links work.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse};
use axum::routing::get_service;
use axum::Router;
use std::path::Path;
use tower_http::services::{ServeDir, ServeFile};

pub fn service(dist_dir: &Path) -> Router {
    let index = dist_dir.join("index.html");
    if index.is_file() {
        Router::new().fallback_service(get_service(
            ServeDir::new(dist_dir)
                .precompressed_gzip()
                .fallback(ServeFile::new(index)),
        ))
    } else {
        let shown = dist_dir.display().to_string();
        Router::new().fallback(move || {
            let shown = shown.clone();
            async move {
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    Html(format!(
                        "<!doctype html><title>Crypter</title><p>The console is not built \
                         ({shown}/index.html is missing). Run <code>make run</code>, or \
                         <code>trunk build --release</code>, then restart.</p>"
                    )),
                )
                    .into_response()
            }
        })
    }
}
