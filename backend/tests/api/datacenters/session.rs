//! One browser-like session: a cookie jar shared by every instance (cookies are per host,
//! not per port, as behind one balancer), the CSRF token, and what each answer said.

use super::dev::PASSWORD;
use super::history::{Kind, Op};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

pub struct Session {
    http: reqwest::Client,
    csrf: String,
}

/// What Crypter answered, and what it said of the answer's freshness.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
    /// `X-Crypter-Stale-Since` was set.
    pub stale: bool,
    /// `X-Crypter-Store-Node`: the nodes that answered.
    pub nodes: String,
}

impl Answer {
    pub fn code(&self) -> Option<&str> {
        self.body.pointer("/error/code").and_then(Value::as_str)
    }
}

impl Session {
    pub async fn login(base: &str) -> Result<Self, Answer> {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap();
        let mut s = Self {
            http,
            csrf: String::new(),
        };
        let body = json!({"method": "userpass", "username": "admin", "password": PASSWORD});
        let a = s
            .send(s.http.post(format!("{base}/api/v1/session")).json(&body))
            .await;
        match a.body["csrf_token"].as_str() {
            Some(csrf) if a.status == 200 => {
                s.csrf = csrf.to_owned();
                Ok(s)
            }
            _ => Err(a),
        }
    }

    pub async fn get(&self, base: &str, path: &str) -> Answer {
        self.send(self.http.get(format!("{base}{path}"))).await
    }

    pub async fn write(
        &self,
        method: reqwest::Method,
        base: &str,
        path: &str,
        body: &Value,
    ) -> Answer {
        let req = self
            .http
            .request(method, format!("{base}{path}"))
            .header("X-Crypter-Csrf", &self.csrf)
            .json(body);
        self.send(req).await
    }

    /// Save `value` as the credential `staging/<path>`.
    pub async fn save(&self, base: &str, path: &str, value: &str) -> Answer {
        let body = json!({"data": {"v": value}, "class": "service", "owner": "wan", "description": "a register"});
        let url = format!("/api/v1/environments/staging/credentials/{path}");
        self.write(reqwest::Method::PUT, base, &url, &body).await
    }

    /// The credential's current version, as read through `base`.
    pub async fn version(&self, base: &str, path: &str) -> (Answer, Option<u64>) {
        let a = self
            .get(
                base,
                &format!("/api/v1/environments/staging/credentials/{path}"),
            )
            .await;
        let v = a.body["current_version"].as_u64();
        (a, v)
    }

    /// One register operation by session `s` through `base`, timed and recorded: a save of
    /// `value` when given, a read otherwise.
    pub async fn register_op(
        &self,
        s: usize,
        base: &str,
        register: String,
        value: Option<String>,
    ) -> Op {
        let start = Instant::now();
        let (kind, answer, version) = match value {
            Some(value) => {
                let a = self.save(base, &register, &value).await;
                let v = a.body["version"].as_u64();
                (Kind::Write { value }, a, v)
            }
            None => {
                let (a, v) = self.version(base, &register).await;
                (Kind::Read, a, v)
            }
        };
        Op {
            session: s,
            register,
            kind,
            start,
            end: Instant::now(),
            status: answer.status,
            code: answer.code().map(str::to_owned),
            version,
            stale: answer.stale,
        }
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> Answer {
        match req.send().await {
            Ok(r) => {
                let status = r.status().as_u16();
                let header = |n: &str| {
                    r.headers()
                        .get(n)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned)
                };
                let stale = header("x-crypter-stale-since").is_some();
                let nodes = header("x-crypter-store-node").unwrap_or_default();
                let body = r.json().await.unwrap_or(Value::Null);
                Answer {
                    status,
                    body,
                    stale,
                    nodes,
                }
            }
            // No answer at all (a timeout): status 0, never an acknowledgement.
            Err(e) => Answer {
                status: 0,
                body: json!({"error": {"code": "no_answer", "message": e.to_string()}}),
                stale: false,
                nodes: String::new(),
            },
        }
    }
}
