use super::{delete, empty_response, get, request};
use crypter_api::ApiError;
use crypter_api::{
    ActivityPage, Comparison, CredentialDetail, CredentialPage, CredentialWrite, CredentialWritten,
    LintFinding, PromoteRequest, RevealedCredential, VersionRequest,
};
use gloo_net::http::Method;

/// Percent-encodes a query value (everything but unreserved characters).
pub fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Credential paths are validated `[A-Za-z0-9_.-]` segments; encode each segment anyway.
fn path_url(env: &str, path: &str) -> String {
    let segments: Vec<String> = path.split('/').map(encode).collect();
    format!(
        "/environments/{}/credentials/{}",
        encode(env),
        segments.join("/")
    )
}

/// Every matching credential: follows `next` until the last page.
pub async fn list_credentials(
    env: String,
    prefix: String,
    class: String,
    q: String,
) -> Result<CredentialPage, ApiError> {
    let base = format!(
        "/environments/{}/credentials?limit=10000&prefix={}&class={}&q={}",
        encode(&env),
        encode(&prefix),
        encode(&class),
        encode(&q)
    );
    let mut page: CredentialPage = get(&base).await?;
    while let Some(after) = page.next.take() {
        let more: CredentialPage = get(&format!("{base}&after={}", encode(&after))).await?;
        page.items.extend(more.items);
        page.next = more.next;
    }
    Ok(page)
}

pub async fn get_credential(env: String, path: String) -> Result<CredentialDetail, ApiError> {
    get(&path_url(&env, &path)).await
}

pub async fn put_credential(
    env: String,
    path: String,
    req: CredentialWrite,
) -> Result<CredentialWritten, ApiError> {
    request(Method::PUT, &path_url(&env, &path), Some(&req))
        .await?
        .ok_or_else(empty_response)
}

pub async fn delete_credential(env: String, path: String) -> Result<(), ApiError> {
    delete(&path_url(&env, &path)).await
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

/// Fifty events older than `before`; `own_reads` includes Crypter's own value reads (plan,
/// compare, lint…), which would otherwise fill the page.
pub async fn activity(before: Option<String>, own_reads: bool) -> Result<ActivityPage, ApiError> {
    let query = format!("/activity?limit=50&own_reads={own_reads}");
    match before {
        Some(b) => get(&format!("{query}&before={}", encode(&b))).await,
        None => get(&query).await,
    }
}
