//! Trying a key: encrypt, decrypt, rewrap, sign, verify and HMAC, with the caller's own
//! token. Values go to OpenBao and back; they are never logged and never kept.

use crate::bao::transit;
use crate::bao::Bao;
use crate::error::AppError;
use base64::Engine;
use crypter_api::ErrorCode;
use crypter_api::{EnvName, KeyName, KeyOperation, KeyRequest, KeyResult};
use secrecy::SecretString;
use serde_json::{json, Value};

fn missing(op: KeyOperation, field: &str) -> AppError {
    AppError::bad_request(
        ErrorCode::InvalidKeyRequest,
        format!("{op} needs `{field}`"),
    )
}

/// A base64 field, checked here (without echoing it) so the message says which field.
fn base64_field(op: KeyOperation, field: &str, value: Option<&String>) -> Result<String, AppError> {
    let v = value.ok_or_else(|| missing(op, field))?;
    base64::engine::general_purpose::STANDARD
        .decode(v)
        .map_err(|_| {
            AppError::bad_request(
                ErrorCode::InvalidBase64,
                format!("`{field}` must be base64 (standard alphabet, with padding)"),
            )
        })?;
    Ok(v.clone())
}

fn vault_text(op: KeyOperation, field: &str, value: Option<&String>) -> Result<String, AppError> {
    let v = value.ok_or_else(|| missing(op, field))?;
    if crypter_api::ciphertext_version(v).is_none() {
        return Err(AppError::bad_request(
            ErrorCode::InvalidKeyRequest,
            format!("`{field}` must be OpenBao's text, `vault:v<N>:…`"),
        ));
    }
    Ok(v.clone())
}

/// The body OpenBao takes for `op`.
pub fn body(op: KeyOperation, req: &KeyRequest) -> Result<Value, AppError> {
    let mut body = match op {
        KeyOperation::Encrypt => {
            json!({ "plaintext": base64_field(op, "plaintext", req.plaintext.as_ref())? })
        }
        KeyOperation::Decrypt | KeyOperation::Rewrap => {
            json!({ "ciphertext": vault_text(op, "ciphertext", req.ciphertext.as_ref())? })
        }
        KeyOperation::Sign | KeyOperation::Hmac => {
            json!({ "input": base64_field(op, "input", req.input.as_ref())? })
        }
        KeyOperation::Verify => {
            let input = base64_field(op, "input", req.input.as_ref())?;
            match (&req.signature, &req.hmac) {
                (Some(_), None) => json!({
                    "input": input,
                    "signature": vault_text(op, "signature", req.signature.as_ref())?,
                }),
                (None, Some(_)) => json!({
                    "input": input,
                    "hmac": vault_text(op, "hmac", req.hmac.as_ref())?,
                }),
                _ => {
                    return Err(AppError::bad_request(
                        ErrorCode::InvalidKeyRequest,
                        "verify needs exactly one of `signature` or `hmac`",
                    ))
                }
            }
        }
    };
    if let Some(v) = req.key_version {
        if matches!(op, KeyOperation::Decrypt | KeyOperation::Verify) {
            return Err(AppError::bad_request(
                ErrorCode::InvalidKeyRequest,
                format!("{op} takes its version from the ciphertext; leave key_version out"),
            ));
        }
        body["key_version"] = json!(v);
    }
    Ok(body)
}

fn text(data: &Value, field: &str) -> Option<String> {
    data[field].as_str().map(str::to_owned)
}

pub async fn operate(
    bao: &Bao,
    token: &SecretString,
    env: &EnvName,
    name: &KeyName,
    op: KeyOperation,
    req: &KeyRequest,
) -> Result<KeyResult, AppError> {
    let body = body(op, req)?;
    let data = match transit::operate(bao, token, env, name, op, &body).await {
        Ok(data) => data,
        Err(transit::TransitError::NotFound { .. }) => return Err(super::not_found(env, name)),
        // Encrypting with a missing key asks OpenBao for `create`, which nobody is granted:
        // say that the key is missing when the caller may see so.
        Err(e @ transit::TransitError::Forbidden { .. }) => {
            return Err(match transit::read_key(bao, token, env, name).await {
                Ok(None) => super::not_found(env, name),
                _ => e.into(),
            })
        }
        Err(e) => return Err(e.into()),
    };
    let produced = text(&data, "ciphertext")
        .or_else(|| text(&data, "signature"))
        .or_else(|| text(&data, "hmac"));
    Ok(KeyResult {
        ciphertext: text(&data, "ciphertext"),
        plaintext: text(&data, "plaintext"),
        signature: text(&data, "signature"),
        hmac: text(&data, "hmac"),
        valid: data["valid"].as_bool(),
        key_version: data["key_version"].as_u64().or_else(|| {
            produced
                .as_deref()
                .and_then(crypter_api::ciphertext_version)
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_need_their_fields_and_never_echo_values() {
        let req = KeyRequest {
            plaintext: Some("not base64 hunter2!".into()),
            ..KeyRequest::default()
        };
        let e = body(KeyOperation::Encrypt, &req).unwrap_err();
        assert!(!e.to_string().contains("hunter2"), "{e}");
        assert!(e.to_string().contains("plaintext"));
        assert!(body(KeyOperation::Decrypt, &KeyRequest::default()).is_err());
        let ok = KeyRequest {
            ciphertext: Some("vault:v2:abcd".into()),
            key_version: Some(3),
            ..KeyRequest::default()
        };
        assert_eq!(
            body(KeyOperation::Rewrap, &ok).unwrap(),
            json!({"ciphertext": "vault:v2:abcd", "key_version": 3})
        );
        assert!(
            body(KeyOperation::Decrypt, &ok).is_err(),
            "decrypt takes no version"
        );
        let both = KeyRequest {
            input: Some("aGk=".into()),
            signature: Some("vault:v1:x".into()),
            hmac: Some("vault:v1:y".into()),
            ..KeyRequest::default()
        };
        assert!(body(KeyOperation::Verify, &both).is_err());
    }
}
