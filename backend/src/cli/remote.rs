//! A running Crypter, from a terminal: the CLI commands that go through its API
//! (`notifications`, `requests`) log in with `BAO_TOKEN` (a token session that keeps the
//! token), so OpenBao still decides, with that token, what the caller may do.

use super::freeze::{EXIT_CONFLICT, EXIT_ERROR};
use crypter_api::{SessionInfo, CSRF_HEADER};
use reqwest::{header, Client, Method, RequestBuilder, StatusCode};
use serde_json::{json, Value};
use std::process::ExitCode;

pub fn error(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("crypter: {message}");
    ExitCode::from(EXIT_ERROR)
}

pub fn decode<T: serde::de::DeserializeOwned>(v: Value) -> Result<T, ExitCode> {
    serde_json::from_value(v).map_err(error)
}

/// Which running Crypter to ask, and how to print: the flags of every command that goes
/// through the API.
#[derive(clap::Args, Debug)]
pub struct Remote {
    /// The Crypter instance to ask (any instance of the deployment).
    #[arg(
        long,
        global = true,
        env = "CRYPTER_URL",
        default_value = "http://127.0.0.1:8080"
    )]
    pub url: String,
    /// Print JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,
}

/// The API's error printed, with the exit code it stands for (409 and 403: 3).
pub async fn refused(resp: reqwest::Response) -> ExitCode {
    let status = resp.status();
    let body: Value = resp.json().await.unwrap_or_default();
    let message = body["error"]["message"].as_str().unwrap_or("no message");
    eprintln!("crypter: {status}: {message}");
    match status {
        StatusCode::CONFLICT | StatusCode::FORBIDDEN => ExitCode::from(EXIT_CONFLICT),
        _ => ExitCode::from(EXIT_ERROR),
    }
}

pub struct Api {
    http: Client,
    base: String,
    cookie: String,
    csrf: String,
}

impl Api {
    pub async fn login(base: &str) -> Result<Self, ExitCode> {
        let token = std::env::var("BAO_TOKEN")
            .map_err(|_| error("set BAO_TOKEN to your OpenBao token (an admin's or operator's)"))?;
        let http = Client::new();
        let base = base.trim_end_matches('/').to_owned();
        let resp = http
            .post(format!("{base}/api/v1/session"))
            .json(&json!({ "method": "token", "token": token, "keep_token": true }))
            .send()
            .await
            .map_err(|e| error(format!("cannot reach Crypter at {base}: {e}")))?;
        if !resp.status().is_success() {
            return Err(refused(resp).await);
        }
        let cookie = resp
            .headers()
            .get(header::SET_COOKIE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(str::to_owned)
            .ok_or_else(|| error("Crypter set no session cookie"))?;
        let info: SessionInfo = resp.json().await.map_err(error)?;
        Ok(Self {
            http,
            base,
            cookie,
            csrf: info.csrf_token,
        })
    }

    pub fn req(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, format!("{}/api/v1{path}", self.base))
            .header(header::COOKIE, &self.cookie)
            .header(CSRF_HEADER, &self.csrf)
    }

    /// The answer's JSON, or the API's error printed with its exit code.
    pub async fn send(&self, req: RequestBuilder) -> Result<Value, ExitCode> {
        let resp = req.send().await.map_err(error)?;
        if !resp.status().is_success() {
            return Err(refused(resp).await);
        }
        Ok(resp.json().await.unwrap_or_default())
    }

    pub async fn logout(&self) {
        let url = format!("{}/api/v1/session", self.base);
        let req = self.http.delete(url).header(header::COOKIE, &self.cookie);
        let _ = req.header(CSRF_HEADER, &self.csrf).send().await;
    }
}
