//! The OpenAPI document of `/api/v1`, built from the route table: every route's
//! operation comes from its handler's `#[utoipa::path]`, and the schemas from the wire
//! types those operations name.

use super::table;
use axum::Json;
use std::sync::LazyLock;
use utoipa::openapi::path::{PathItem, PathsBuilder};
use utoipa::openapi::{Components, OpenApi as Document};
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(info(
    title = "Crypter",
    description = "A scoped key-and-credentials store over OpenBao."
))]
struct Info;

/// The document: one path item per route of the table, with every schema it refers to.
pub fn document() -> Document {
    let mut doc = Info::openapi();
    let mut paths = PathsBuilder::new();
    let mut schemas = Vec::new();
    for route in table::routes() {
        paths = paths.path(
            route.doc_path(),
            PathItem::new(route.method(), route.operation()),
        );
        route.add_schemas(&mut schemas);
    }
    doc.paths = paths.build();
    let components = doc.components.get_or_insert_with(Components::new);
    components.schemas.extend(schemas);
    doc
}

static DOCUMENT: LazyLock<Document> = LazyLock::new(document);

/// This document, generated from the handlers and wire types.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "meta",
    responses((status = 200, description = "The OpenAPI 3.1 description of /api/v1")))]
pub async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(DOCUMENT.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn refs(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(map) => {
                if let Some(Value::String(r)) = map.get("$ref") {
                    out.push(r.clone());
                }
                map.values().for_each(|v| refs(v, out));
            }
            Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }

    #[test]
    fn every_route_is_documented_and_every_schema_it_names_is_there() {
        let doc = serde_json::to_value(document()).unwrap();
        for route in table::routes() {
            let method = route.http_method().as_str().to_lowercase();
            assert!(
                doc["paths"][route.doc_path()].get(&method).is_some(),
                "{} is missing from the document",
                route.name
            );
        }
        let mut found = Vec::new();
        refs(&doc, &mut found);
        assert!(found.len() > 50, "the operations name their schemas");
        for r in found {
            let name = r.trim_start_matches("#/components/schemas/");
            assert!(
                doc["components"]["schemas"].get(name).is_some(),
                "{r} is named but not in the document"
            );
        }
    }

    /// Scripts learn every error code from the document, not from reading the backend.
    #[test]
    fn every_error_code_is_in_the_document() {
        let doc = serde_json::to_value(document()).unwrap();
        let listed = doc["components"]["schemas"]["ErrorCode"].to_string();
        for code in crypter_api::ErrorCode::ALL {
            assert!(listed.contains(&format!("\"{code}\"")), "{code}: {listed}");
        }
    }
}
