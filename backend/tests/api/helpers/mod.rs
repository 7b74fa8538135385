#![allow(dead_code)]
//! The one harness of the integration tests: a real `bao` and the backend per test, and
//! shared ways to act as each kind of user, through Crypter or straight at OpenBao.

mod admin;
mod bao;
mod caller;
mod environments;
mod freeze;
mod wait;

pub use admin::{grant, Admin};
pub use bao::{approle_login, put_secret};
pub use caller::Caller;
pub use wait::eventually;

use crypter::bao::Bao;
use crypter::bootstrap::BackendCredentials;
use crypter::clock::{Clock, ManualClock, SystemClock};
use crypter::config::Settings;
use crypter::embedded::{free_loopback_port, start_dev, BaoProcess};
use crypter::AppState;
use crypter_api::{SessionInfo, CSRF_HEADER};
use reqwest::{Client, Response, StatusCode};
use secrecy::SecretString;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

pub const ADMIN_PASSWORD: &str = "correct horse battery staple";

/// A real `bao -dev` plus the backend on port 0, bootstrapped like `crypter dev --no-demo`.
pub struct TestApp {
    pub addr: String,
    pub bao: Bao,
    pub root: SecretString,
    /// The backend identity this app uses (another instance over the same store reuses it).
    pub creds: BackendCredentials,
    pub state: AppState,
    pub bao_process: Option<BaoProcess>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(Settings::default()).await
}

/// The backend reads the dev server's audit log, as `crypter dev` does.
pub async fn spawn_app_with(settings: Settings) -> TestApp {
    spawn_app_clocked(settings, Arc::new(SystemClock)).await
}

/// As [`spawn_app_with`], the backend reading the time from `clock` (tests move it).
pub async fn spawn_app_clocked(mut settings: Settings, clock: Arc<dyn Clock>) -> TestApp {
    let root = SecretString::from(format!("root-{}", crypter::session::random_token()));
    let bao_addr = SocketAddr::from(([127, 0, 0, 1], free_loopback_port().unwrap()));
    let (process, bao) = start_dev(bao_addr, &root).await.expect("start bao -dev");
    let password = SecretString::from(ADMIN_PASSWORD.to_owned());
    crypter::bootstrap::bootstrap(&bao, &root, Some(&password))
        .await
        .expect("bootstrap");
    let creds = crypter::bootstrap::issue_credentials(&bao, &root)
        .await
        .expect("backend credentials");
    settings
        .audit_logs
        .extend(process.audit_log().map(std::path::Path::to_owned));
    let state = AppState::with_clock(bao.clone(), settings, creds.clone(), clock);
    let mut app = serve_state(state).await;
    app.root = root;
    app.creds = creds;
    app.bao_process = Some(process);
    app
}

/// A clock that moves only when a test says, and the same clock as the backend takes it.
pub fn clocked() -> (ManualClock, Arc<dyn Clock>) {
    let clock = ManualClock::new(time::OffsetDateTime::now_utc());
    (clock.clone(), Arc::new(clock))
}

/// The backend alone, over a `Bao` that may point anywhere (even nowhere), with the
/// backend identity `creds` (made up ones when its store is not reached).
pub async fn serve_backend(bao: Bao, settings: Settings, creds: BackendCredentials) -> TestApp {
    let mut app = serve_state(AppState::new(bao, settings, creds.clone())).await;
    app.creds = creds;
    app
}

/// Credentials for a backend whose store is never reached.
pub fn no_credentials() -> BackendCredentials {
    BackendCredentials {
        role_id: "none".into(),
        secret_id: "none".into(),
        carrier: None,
    }
}

/// Serve `state` on a free loopback port, in this process.
pub async fn serve_state(state: AppState) -> TestApp {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = format!("http://{}", listener.local_addr().unwrap());
    let server_state = state.clone();
    let server = tokio::spawn(async move {
        crypter::startup::serve(listener, server_state, std::future::pending())
            .await
            .unwrap();
    });
    TestApp {
        addr,
        bao: state.bao.clone(),
        root: SecretString::from(String::new()),
        creds: no_credentials(),
        state,
        bao_process: None,
        server,
    }
}

/// A browser-like client: it keeps cookies.
pub fn browser() -> Client {
    Client::builder().cookie_store(true).build().unwrap()
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.addr)
    }

    pub async fn login(&self, client: &Client, username: &str, password: &str) -> Response {
        client
            .post(self.url("/session"))
            .json(&json!({"method": "userpass", "username": username, "password": password}))
            .send()
            .await
            .unwrap()
    }

    /// Log in as the bootstrap admin; returns the client holding the cookie and the session.
    pub async fn admin(&self) -> (Client, SessionInfo) {
        let client = browser();
        let resp = self.login(&client, "admin", ADMIN_PASSWORD).await;
        assert_eq!(resp.status(), StatusCode::OK);
        let info = resp.json().await.unwrap();
        (client, info)
    }

    /// `GET` an API path as `client`, read as JSON.
    pub async fn get_json<T: serde::de::DeserializeOwned>(&self, client: &Client, path: &str) -> T {
        client
            .get(self.url(path))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    pub async fn whoami(&self, client: &Client) -> Response {
        client.get(self.url("/session")).send().await.unwrap()
    }

    pub async fn logout(&self, client: &Client, csrf: Option<&str>) -> Response {
        let mut req = client.delete(self.url("/session"));
        if let Some(csrf) = csrf {
            req = req.header(CSRF_HEADER, csrf);
        }
        req.send().await.unwrap()
    }

    /// A browser session for a userpass user; returns the client and its CSRF token.
    pub async fn session_of(&self, name: &str, password: &str) -> (Client, String) {
        let client = browser();
        let resp = self.login(&client, name, password).await;
        assert_eq!(resp.status(), StatusCode::OK, "login as {name}");
        let info: SessionInfo = resp.json().await.unwrap();
        (client, info.csrf_token)
    }

    /// A job's progress as `client` sees it, once the job is no longer running.
    pub async fn wait_job(&self, client: &Client, id: &str) -> Value {
        let path = format!("/jobs/{id}");
        let (app, path) = (self, path.as_str());
        let what = format!("job {id} ended");
        eventually(&what, Duration::from_secs(120), move || async move {
            let p: Value = app.get_json(client, path).await;
            (p["state"] != "running").then_some(p)
        })
        .await
    }

    /// Stop the backend (OpenBao keeps running).
    pub fn stop_backend(&self) {
        self.server.abort();
    }
}

/// The session id from a `Set-Cookie` header.
pub fn session_id(resp: &Response) -> String {
    let cookie = resp
        .headers()
        .get(reqwest::header::SET_COOKIE)
        .expect("set-cookie")
        .to_str()
        .unwrap();
    cookie
        .split(';')
        .next()
        .unwrap()
        .split_once('=')
        .unwrap()
        .1
        .to_owned()
}

pub async fn error_code(resp: Response) -> (StatusCode, String, String) {
    let status = resp.status();
    let body: Value = resp.json().await.expect("a JSON error body");
    (
        status,
        body["error"]["code"]
            .as_str()
            .expect("error.code")
            .to_owned(),
        body["error"]["message"]
            .as_str()
            .expect("error.message")
            .to_owned(),
    )
}

/// Assert an error response's status and code; returns its message.
pub async fn expect_error(resp: Response, status: StatusCode, code: &str) -> String {
    let (got, got_code, message) = error_code(resp).await;
    assert_eq!((got, got_code.as_str()), (status, code), "{message}");
    message
}

/// Assert a response's status, showing its body when it differs; returns the body (JSON,
/// or `null` when it has none).
pub async fn expect_status(resp: Response, status: StatusCode) -> Value {
    let got = resp.status();
    let text = resp.text().await.unwrap_or_default();
    assert_eq!(got, status, "{text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// Assert a response succeeded (any 2xx), showing its body when not; returns the body.
pub async fn expect_success(resp: Response) -> Value {
    let got = resp.status();
    let text = resp.text().await.unwrap_or_default();
    assert!(got.is_success(), "{got}: {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}
