use super::{empty_response, get, request};
use crypter_api::{
    ApiError, FreezeRequest, FreezeState, FreezeTarget, FrozenWrites, ThawRequest, ThawResult,
    Verification,
};
use gloo_net::http::Method;

pub async fn freeze_state() -> Result<FreezeState, ApiError> {
    get("/freeze").await
}

pub async fn freeze(level: String, reason: String) -> Result<FreezeState, ApiError> {
    let level = FreezeTarget::parse(&level).ok_or_else(|| {
        ApiError::new(
            crypter_api::ErrorCode::InvalidLevel,
            "pick `provisioning` or `full`",
        )
    })?;
    request(
        Method::PUT,
        "/freeze",
        Some(&FreezeRequest { level, reason }),
    )
    .await?
    .ok_or_else(empty_response)
}

/// A refused thaw comes back as an error whose `details.conflicts` holds the diffs.
pub async fn thaw(req: ThawRequest) -> Result<ThawResult, ApiError> {
    request(Method::DELETE, "/freeze", Some(&req))
        .await?
        .ok_or_else(empty_response)
}

pub async fn verify_freeze() -> Result<Verification, ApiError> {
    request::<(), Verification>(Method::POST, "/freeze/verify", None)
        .await?
        .ok_or_else(empty_response)
}

/// Every audited write to a frozen path since the freeze (apply jobs' apart).
pub async fn freeze_writes() -> Result<FrozenWrites, ApiError> {
    get("/freeze/writes").await
}
