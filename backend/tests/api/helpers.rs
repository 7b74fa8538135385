#![allow(dead_code)]

use crypter::bao::Bao;
use crypter::config::Settings;
use crypter::embedded::{free_loopback_port, start_dev, BaoProcess};
use crypter::AppState;
use crypter_api::{SessionInfo, CSRF_HEADER};
use reqwest::{Client, Response, StatusCode};
use secrecy::SecretString;
use serde_json::{json, Value};
use std::net::SocketAddr;

pub const ADMIN_PASSWORD: &str = "correct horse battery staple";

/// A real `bao -dev` plus the backend on port 0, bootstrapped like `crypter dev --no-demo`.
pub struct TestApp {
    pub addr: String,
    pub bao: Bao,
    pub root: SecretString,
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
pub async fn spawn_app_with(mut settings: Settings) -> TestApp {
    let root = SecretString::from(format!("root-{}", crypter::session::random_token()));
    let bao_addr = SocketAddr::from(([127, 0, 0, 1], free_loopback_port().unwrap()));
    let (process, bao) = start_dev(bao_addr, &root).await.expect("start bao -dev");
    let password = SecretString::from(ADMIN_PASSWORD.to_owned());
    crypter::bootstrap::bootstrap(&bao, &root, Some(&password))
        .await
        .expect("bootstrap");
    settings
        .audit_logs
        .extend(process.audit_log().map(std::path::Path::to_owned));
    let mut app = serve_backend(bao, settings).await;
    app.root = root;
    app.bao_process = Some(process);
    app
}

/// The backend alone, over a `Bao` that may point anywhere (even nowhere).
pub async fn serve_backend(bao: Bao, settings: Settings) -> TestApp {
    let state = AppState::new(bao.clone(), settings);
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
        bao,
        root: SecretString::from(String::new()),
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

    /// A token carrying exactly `policies` (plus `default` only if named), made by root.
    pub async fn token_with(&self, policies: &[&str]) -> SecretString {
        let v = self
            .bao
            .write(
                "auth/token/create",
                &self.root,
                &json!({"policies": policies, "no_default_policy": !policies.contains(&"default")}),
            )
            .await
            .unwrap()
            .unwrap();
        SecretString::from(v["auth"]["client_token"].as_str().unwrap().to_owned())
    }

    /// A userpass user with `policies`, made by root.
    pub async fn user_with(&self, name: &str, password: &str, policies: &[&str]) {
        self.bao
            .write(
                &format!("auth/userpass/users/{name}"),
                &self.root,
                &json!({"password": password, "token_policies": policies}),
            )
            .await
            .unwrap();
    }

    /// Log in as a userpass user straight against OpenBao (not through Crypter).
    pub async fn bao_login(&self, name: &str, password: &str) -> SecretString {
        let v = self
            .bao
            .request(
                reqwest::Method::POST,
                &format!("auth/userpass/login/{name}"),
                None,
                Some(&json!({ "password": password })),
            )
            .await
            .expect("userpass login against OpenBao")
            .unwrap();
        SecretString::from(v["auth"]["client_token"].as_str().unwrap().to_owned())
    }

    /// A browser session for a userpass user; returns the client and its CSRF token.
    pub async fn session_of(&self, name: &str, password: &str) -> (Client, String) {
        let client = browser();
        let resp = self.login(&client, name, password).await;
        assert_eq!(resp.status(), StatusCode::OK, "login as {name}");
        let info: SessionInfo = resp.json().await.unwrap();
        (client, info.csrf_token)
    }

    /// Stop the backend (OpenBao keeps running).
    pub fn stop_backend(&self) {
        self.server.abort();
    }

    /// Ask OpenBao directly whether a token is alive.
    pub async fn token_alive(&self, token: &SecretString) -> bool {
        self.bao
            .request(
                reqwest::Method::GET,
                "auth/token/lookup-self",
                Some(token),
                None,
            )
            .await
            .is_ok()
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
