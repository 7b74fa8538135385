//! The login page's two requests, through the browser's `fetch` and `JSON.parse`: gloo-net
//! (what the console's `api` uses) and serde_json's parser would be most of this bundle's
//! size. Errors read as `api`'s do.

use crate::errors::{network_error, refusal};
use crypter_api::{ApiError, ErrorCode, CSRF_HEADER};
use js_sys::{Reflect, JSON};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Headers, RequestInit, Response};

/// `method` `/api/v1{path}` with a JSON `body`; the answer, parsed, when it is a 2xx.
pub async fn send(method: &str, path: &str, body: Option<String>) -> Result<JsValue, ApiError> {
    let init = RequestInit::new();
    init.set_method(method);
    if method != "GET" {
        let headers = Headers::new().map_err(js_error)?;
        // Before login there is no session, so no CSRF token: the header goes empty, as
        // `api` sends it.
        headers.set(CSRF_HEADER, "").map_err(js_error)?;
        if let Some(body) = body {
            headers
                .set("Content-Type", "application/json")
                .map_err(js_error)?;
            init.set_body(&JsValue::from_str(&body));
        }
        init.set_headers(&headers);
    }
    let window = web_sys::window().ok_or_else(|| network_error("no window"))?;
    let url = format!("/api/v1{path}");
    let resp: Response = JsFuture::from(window.fetch_with_str_and_init(&url, &init))
        .await
        .map_err(js_error)?
        .unchecked_into();
    let text = JsFuture::from(resp.text().map_err(js_error)?)
        .await
        .map_err(js_error)?
        .as_string()
        .unwrap_or_default();
    let answer = JSON::parse(&text).unwrap_or(JsValue::NULL);
    if resp.ok() {
        Ok(answer)
    } else {
        let error = field(&answer, "error").and_then(|e| api_error(&e));
        Err(refusal(resp.status(), &resp.status_text(), error))
    }
}

/// The `error` of an error answer (`crypter_api::ErrorBody`); its `details` are never shown
/// on this page.
fn api_error(e: &JsValue) -> Option<ApiError> {
    let code = ErrorCode::parse(&string(e, "code")?);
    let mut error = ApiError::new(code, string(e, "message")?);
    error.request_id = string(e, "request_id");
    Some(error)
}

/// `value[key]`, when there is one.
pub fn field(value: &JsValue, key: &str) -> Option<JsValue> {
    if !value.is_object() {
        return None;
    }
    Reflect::get(value, &JsValue::from_str(key))
        .ok()
        .filter(|v| !v.is_undefined() && !v.is_null())
}

/// `value[key]`, when it is a string.
pub fn string(value: &JsValue, key: &str) -> Option<String> {
    field(value, key)?.as_string()
}

/// A failed `fetch` (offline, refused): said as the browser says it, e.g.
/// "TypeError: Failed to fetch".
fn js_error(e: JsValue) -> ApiError {
    network_error(String::from(
        e.unchecked_into::<js_sys::Object>().to_string(),
    ))
}
