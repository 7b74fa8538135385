//! Sealing session tokens with the backend's transit key. The key is derived (it takes a
//! context on every call), never exportable, and only the backend's policy may use it.

use crate::bao::{Bao, BaoError};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use secrecy::SecretString;
use serde_json::{json, Value};

pub const TRANSIT_MOUNT: &str = "crypter-backend-transit";
pub const TRANSIT_KEY: &str = "sessions";

pub(super) async fn encrypt(
    bao: &Bao,
    token: &SecretString,
    context: &str,
    plaintext: &[u8],
) -> Result<String, BaoError> {
    let body = json!({
        "plaintext": STANDARD.encode(plaintext),
        "context": STANDARD.encode(context),
    });
    let answer = bao
        .write(
            &format!("{TRANSIT_MOUNT}/encrypt/{TRANSIT_KEY}"),
            token,
            &body,
        )
        .await?;
    answer
        .as_ref()
        .and_then(|a| a.pointer("/data/ciphertext"))
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| BaoError::Decode("transit encrypt returned no ciphertext".into()))
}

pub(super) async fn decrypt(
    bao: &Bao,
    token: &SecretString,
    context: &str,
    ciphertext: &str,
) -> Result<Vec<u8>, BaoError> {
    let body = json!({ "ciphertext": ciphertext, "context": STANDARD.encode(context) });
    let answer = bao
        .write(
            &format!("{TRANSIT_MOUNT}/decrypt/{TRANSIT_KEY}"),
            token,
            &body,
        )
        .await?;
    let text = answer
        .as_ref()
        .and_then(|a| a.pointer("/data/plaintext"))
        .and_then(Value::as_str)
        .ok_or_else(|| BaoError::Decode("transit decrypt returned no plaintext".into()))?;
    STANDARD
        .decode(text)
        .map_err(|e| BaoError::Decode(format!("transit plaintext: {e}")))
}
