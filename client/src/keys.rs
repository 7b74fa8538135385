//! Cryptography with the keys of an environment, done by OpenBao's transit engine (the mount
//! `transit/<env>/`): the key never leaves the store, the client only sends data and gets
//! ciphertexts, signatures and HMACs back. Same memoized login as reads.

use crate::{Client, Error};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use crypter_api::{EnvName, KeyName};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// One transit operation, as named in grants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyOp {
    Encrypt,
    Decrypt,
    Sign,
    Verify,
    Hmac,
}

impl KeyOp {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Encrypt => "encrypt",
            Self::Decrypt => "decrypt",
            Self::Sign => "sign",
            Self::Verify => "verify",
            Self::Hmac => "hmac",
        }
    }
}

impl std::fmt::Display for KeyOp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Client {
    /// Encrypt `plaintext` with the latest version of `env`'s key `key`. Returns OpenBao's
    /// ciphertext (`vault:v<N>:…`), which names the version it was made with.
    pub async fn encrypt(&self, env: &str, key: &str, plaintext: &[u8]) -> Result<String, Error> {
        let body = json!({ "plaintext": STANDARD.encode(plaintext) });
        let v = self.transit(KeyOp::Encrypt, env, key, body).await?;
        text(&v, "ciphertext")
    }

    /// Decrypt a ciphertext made by [`Client::encrypt`], with whichever version made it (as
    /// long as it is not below the key's minimum decryption version).
    pub async fn decrypt(&self, env: &str, key: &str, ciphertext: &str) -> Result<Vec<u8>, Error> {
        let body = json!({ "ciphertext": ciphertext });
        let v = self.transit(KeyOp::Decrypt, env, key, body).await?;
        STANDARD
            .decode(text(&v, "plaintext")?)
            .map_err(|_| Error::Protocol("the decrypt answer is not base64".into()))
    }

    /// Sign `data` with a signing key (ed25519, ecdsa, rsa). Returns `vault:v<N>:…`.
    pub async fn sign(&self, env: &str, key: &str, data: &[u8]) -> Result<String, Error> {
        let body = json!({ "input": STANDARD.encode(data) });
        let v = self.transit(KeyOp::Sign, env, key, body).await?;
        text(&v, "signature")
    }

    /// Whether `signature` is a valid signature of `data` by the key. A well-formed but
    /// wrong signature is `Ok(false)`; a malformed one is [`Error::KeyRejected`].
    pub async fn verify(
        &self,
        env: &str,
        key: &str,
        data: &[u8],
        signature: &str,
    ) -> Result<bool, Error> {
        let body = json!({ "input": STANDARD.encode(data), "signature": signature });
        let v = self.transit(KeyOp::Verify, env, key, body).await?;
        v.pointer("/data/valid")
            .and_then(Value::as_bool)
            .ok_or_else(|| Error::Protocol("the verify answer has no data.valid".into()))
    }

    /// The HMAC (SHA-256) of `data` with the key. Returns `vault:v<N>:…`.
    pub async fn hmac(&self, env: &str, key: &str, data: &[u8]) -> Result<String, Error> {
        let body = json!({ "input": STANDARD.encode(data) });
        let v = self.transit(KeyOp::Hmac, env, key, body).await?;
        text(&v, "hmac")
    }

    /// One transit call with the memoized token; if the store refuses the token itself,
    /// log in again and retry once (as reads do).
    async fn transit(&self, op: KeyOp, env: &str, key: &str, body: Value) -> Result<Value, Error> {
        let result = self.transit_inner(op, env, key, &body).await;
        if result.is_err() {
            crate::stats::Counters::bump(&self.inner.counters.errors);
        }
        result
    }

    async fn transit_inner(
        &self,
        op: KeyOp,
        env: &str,
        key: &str,
        body: &Value,
    ) -> Result<Value, Error> {
        let env = EnvName::parse(env).map_err(|e| Error::Config(e.message))?;
        let key = KeyName::parse(key).map_err(|e| Error::Config(e.message))?;
        let path = format!("transit/{env}/{op}/{key}");
        let ctx = self.ctx();
        let auth = &self.inner.auth;
        let transport = &self.inner.transport;
        let token = auth.token(&ctx, None).await?;
        let (mut status, mut value) = transport.post(&token.secret, &path, body).await?;
        if status == StatusCode::FORBIDDEN && !transport.token_alive(&token.secret).await {
            tracing::info!("crypter-client's token was refused; logging in again");
            let token = auth.token(&ctx, Some(&token)).await?;
            (status, value) = transport.post(&token.secret, &path, body).await?;
        }
        let (env, key) = (env.as_str().to_owned(), key.as_str().to_owned());
        match status {
            s if s.is_success() => Ok(value),
            StatusCode::FORBIDDEN => Err(Error::KeyForbidden { env, key, op }),
            // Transit answers 400 "encryption key not found" for a missing key.
            StatusCode::NOT_FOUND => Err(Error::KeyNotFound { env, key }),
            s if s.is_client_error() && key_missing(&value) => Err(Error::KeyNotFound { env, key }),
            s if s.is_client_error() => Err(Error::KeyRejected {
                env,
                key,
                op,
                message: crate::transport::messages(&value),
            }),
            s => Err(Error::Unavailable(format!(
                "{op} with {env}/{key} answered {s}: {}",
                crate::transport::messages(&value)
            ))),
        }
    }
}

fn key_missing(value: &Value) -> bool {
    crate::transport::messages(value).contains("key not found")
}

fn text(v: &Value, field: &str) -> Result<String, Error> {
    v.pointer(&format!("/data/{field}"))
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| Error::Protocol(format!("the answer has no data.{field}")))
}
