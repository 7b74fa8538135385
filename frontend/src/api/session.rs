use super::{delete, get, set_csrf};
use crypter_api::{ApiError, Health, SessionInfo};

pub async fn health() -> Result<Health, ApiError> {
    get("/health").await
}

pub async fn whoami() -> Result<SessionInfo, ApiError> {
    let info: SessionInfo = get("/session").await?;
    set_csrf(&info.csrf_token);
    Ok(info)
}

pub async fn logout() -> Result<(), ApiError> {
    delete("/session").await?;
    set_csrf("");
    Ok(())
}
