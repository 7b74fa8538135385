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

#[cfg(test)]
mod tests {
    use super::*;
    use crypter_api::{PromoteRequest, Role};

    fn refusal<T: DeserializeOwned>(body: &str) -> (&'static str, String) {
        match ApiJson::<T>::from_bytes(body.as_bytes()) {
            Err(AppError::BadRequest { code, message }) => (code.as_str(), message),
            Err(other) => panic!("not a 400: {other}"),
            Ok(_) => panic!("accepted {body}"),
        }
    }

    /// A typed name that breaks its rule is a 400 whose message names the field and the
    /// rule, whatever the endpoint; so is a misspelled field.
    #[test]
    fn a_bad_name_in_a_body_is_a_400_naming_the_field() {
        let (code, message) =
            refusal::<PromoteRequest>(r#"{"from": "staging", "to": "../x", "path": "a"}"#);
        assert_eq!(code, "invalid_json");
        assert!(
            message.contains("to: invalid environment name \"../x\": use 1-32 characters"),
            "{message}"
        );
        let (code, message) =
            refusal::<Role>(r#"{"name": "ci", "class": "service", "grnats": []}"#);
        assert_eq!(code, "invalid_json");
        assert!(message.contains("unknown field `grnats`"), "{message}");
    }
}
