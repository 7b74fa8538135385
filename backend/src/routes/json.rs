use crate::error::AppError;
use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;

/// `axum::Json`, but a rejection (bad JSON, wrong type, too large) becomes our JSON error
/// shape instead of axum's plain text.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        let axum::Json(value) = axum::Json::<T>::from_request(req, state).await?;
        Ok(Self(value))
    }
}

impl<T: DeserializeOwned> ApiJson<T> {
    /// Decode a body already read as bytes, with the same errors as the extractor.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, AppError> {
        axum::Json::<T>::from_bytes(bytes)
            .map(|axum::Json(v)| Self(v))
            .map_err(AppError::from)
    }
}
