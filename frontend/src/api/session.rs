use super::{delete, empty_response, get, request, set_csrf};
use crypter_api::{ApiError, Health, LoginRequest, SessionInfo};
use gloo_net::http::Method;

pub async fn health() -> Result<Health, ApiError> {
    get("/health").await
}

pub async fn whoami() -> Result<SessionInfo, ApiError> {
    let info: SessionInfo = get("/session").await?;
    set_csrf(&info.csrf_token);
    Ok(info)
}

pub async fn login(req: LoginRequest) -> Result<SessionInfo, ApiError> {
    let info: SessionInfo = request(Method::POST, "/session", Some(&req))
        .await?
        .ok_or_else(empty_response)?;
    set_csrf(&info.csrf_token);
    Ok(info)
}

pub async fn logout() -> Result<(), ApiError> {
    delete("/session").await?;
    set_csrf("");
    Ok(())
}
