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

/// The transit key that makes the lint's keyed digests of credential values. Not derived
/// (HMAC takes no context), never exportable, and only the backend's policy may call it:
/// with it, anyone could test guesses against the digests.
pub const DIGEST_KEY: &str = "digests";

/// HMAC-SHA-256 of each input with [`DIGEST_KEY`], in one batch call, in input order.
pub(super) async fn hmac_batch(
    bao: &Bao,
    token: &SecretString,
    inputs: &[Vec<u8>],
) -> Result<Vec<String>, BaoError> {
    let batch: Vec<Value> = inputs
        .iter()
        .map(|i| json!({ "input": STANDARD.encode(i) }))
        .collect();
    let body = json!({ "batch_input": batch });
    let answer = bao
        .write(&format!("{TRANSIT_MOUNT}/hmac/{DIGEST_KEY}"), token, &body)
        .await?;
    let results = answer
        .as_ref()
        .and_then(|a| a.pointer("/data/batch_results"))
        .and_then(Value::as_array)
        .ok_or_else(|| BaoError::Decode("transit hmac returned no batch_results".into()))?;
    let digests: Vec<String> = results
        .iter()
        .filter_map(|r| r.get("hmac").and_then(Value::as_str).map(str::to_owned))
        .collect();
    if digests.len() != inputs.len() {
        return Err(BaoError::Decode(format!(
            "transit hmac answered {} of {} inputs",
            digests.len(),
            inputs.len()
        )));
    }
    Ok(digests)
}
