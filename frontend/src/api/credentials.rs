use super::{empty_response, get, request, send};
use crypter_api::ApiError;
use crypter_api::{
    ActivityAction, ActivityPage, Comparison, CredentialDetail, CredentialPage, CredentialWrite,
    CredentialWritten, LintFinding, PromoteRequest, RevealedCredential, SearchResults,
    VersionRequest,
};
use gloo_net::http::Method;

pub use crypter_api::url::encode;

/// Credential paths are validated `[A-Za-z0-9_.-]` segments; encode each segment anyway.
fn path_url(env: &str, path: &str) -> String {
    let segments: Vec<String> = path.split('/').map(encode).collect();
    format!(
        "/environments/{}/credentials/{}",
        encode(env),
        segments.join("/")
    )
}

/// How many rows the first, quick page holds: a screenful (13 rows) and the rows
/// rendered around it.
pub const FIRST_ROWS: usize = 32;
/// Rows per page of the full listing.
pub const PAGE_ROWS: usize = 10_000;

fn list_url(env: &str, after: Option<&str>, limit: usize, quick: bool) -> String {
    let mut url = format!("/environments/{}/credentials?limit={limit}", encode(env));
    if quick {
        url.push_str("&quick=true");
    }
    if let Some(after) = after {
        url.push_str(&format!("&after={}", encode(after)));
    }
    url
}

/// The first rows at once: from the session's listing when the backend has it, else from
/// a walk of OpenBao's paged LIST (`partial`).
pub async fn first_credentials(env: String) -> Result<CredentialPage, ApiError> {
    get(&list_url(&env, None, FIRST_ROWS, true)).await
}

/// One page of the full listing (the first is a new SCAN; the next continue it).
pub async fn credentials_page(
    env: String,
    after: Option<String>,
) -> Result<CredentialPage, ApiError> {
    get(&list_url(&env, after.as_deref(), PAGE_ROWS, false)).await
}

pub async fn get_credential(env: String, path: String) -> Result<CredentialDetail, ApiError> {
    get(&path_url(&env, &path)).await
}

/// A save's answer: written, or sent for approval (a 202 `{"request": …}` where an approval
/// rule applies) as the request with this id.
pub enum Saved {
    Written(CredentialWritten),
    Sent(String),
}

/// Only the request's id of a 202: the Approvals page shows the rest.
#[derive(serde::Deserialize)]
struct Opened {
    request: OpenedId,
}

#[derive(serde::Deserialize)]
struct OpenedId {
    id: String,
}

pub async fn put_credential(
    env: String,
    path: String,
    req: CredentialWrite,
) -> Result<Saved, ApiError> {
    let text = send(
        Method::PUT,
        &path_url(&env, &path),
        serde_json::to_string(&req).ok(),
    )
    .await?
    .ok_or_else(empty_response)?;
    if let Ok(opened) = serde_json::from_str::<Opened>(&text) {
        return Ok(Saved::Sent(opened.request.id));
    }
    serde_json::from_str(&text)
        .map(Saved::Written)
        .map_err(|e| {
            ApiError::new(
                crypter_api::ErrorCode::Decode,
                format!("unexpected answer from Crypter: {e}"),
            )
        })
}

/// Whether `env` has an approval rule (a save there becomes a request). Read in the raw
/// answer (compact JSON, `required` right after the name, which holds no quote): this is
/// the data bundle, at its size budget, and a typed read would add a decoder to it.
pub async fn has_rule(env: String) -> bool {
    super::send_text(&format!("/environments/{env}/approvals"))
        .await
        .is_ok_and(|json| json.contains("\"required\":") && !json.contains("\"required\":0,"))
}

pub async fn delete_credential(env: String, path: String) -> Result<CredentialWritten, ApiError> {
    request::<(), CredentialWritten>(Method::DELETE, &path_url(&env, &path), None)
        .await?
        .ok_or_else(empty_response)
}

pub async fn reveal(
    env: String,
    path: String,
    version: u64,
) -> Result<RevealedCredential, ApiError> {
    let body = VersionRequest {
        version: Some(version),
        versions: vec![],
    };
    request(
        Method::POST,
        &format!("{}/reveal", path_url(&env, &path)),
        Some(&body),
    )
    .await?
    .ok_or_else(empty_response)
}

/// `rollback` (to `version`), `undelete` or `destroy` (of `version`).
pub async fn version_action(
    env: String,
    path: String,
    action: &'static str,
    version: u64,
) -> Result<CredentialWritten, ApiError> {
    let body = VersionRequest {
        version: Some(version),
        versions: vec![version],
    };
    request(
        Method::POST,
        &format!("{}/{action}", path_url(&env, &path)),
        Some(&body),
    )
    .await?
    .ok_or_else(empty_response)
}

pub async fn compare(left: String, right: String, prefix: String) -> Result<Comparison, ApiError> {
    get(&format!(
        "/compare?left={}&right={}&prefix={}",
        encode(&left),
        encode(&right),
        encode(&prefix)
    ))
    .await
}

pub async fn promote(req: PromoteRequest) -> Result<CredentialWritten, ApiError> {
    request(Method::POST, "/promote", Some(&req))
        .await?
        .ok_or_else(empty_response)
}

pub async fn lint() -> Result<Vec<LintFinding>, ApiError> {
    get("/lint").await
}

/// The credential findings of one environment, or of one credential in it.
pub async fn lint_scoped(env: String, path: Option<String>) -> Result<Vec<LintFinding>, ApiError> {
    let mut url = format!("/lint?environment={}", encode(&env));
    if let Some(path) = path {
        url.push_str(&format!("&path={}", encode(&path)));
    }
    get(&url).await
}

/// Credentials across every environment the session may list, from metadata only.
pub async fn search(q: String) -> Result<SearchResults, ApiError> {
    get(&format!("/search?limit=200&q={}", encode(&q))).await
}

/// Fifty events older than `before`; `own_reads` includes Crypter's own value reads (plan,
/// compare, lint…), which would otherwise fill the page.
/// A page of the activity feed; `action` keeps only events of that action.
pub async fn activity(
    before: Option<String>,
    own_reads: bool,
    action: Option<ActivityAction>,
) -> Result<ActivityPage, ApiError> {
    // Crypter's own records (the backend's bookkeeping, its value reads) come together.
    let mut query = format!("/activity?limit=50&own_reads={own_reads}&backend_records={own_reads}");
    if let Some(a) = action {
        query.push_str(&format!("&action={}", encode(a.as_str())));
    }
    match before {
        Some(b) => get(&format!("{query}&before={}", encode(&b))).await,
        None => get(&query).await,
    }
}
