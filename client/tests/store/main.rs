#![allow(clippy::unwrap_used, clippy::expect_used)]
//! crypter-client against a real `bao server -dev`, stopped and started again on the same
//! port. Logins are counted by OpenBao itself: each secret-id is issued with a use limit,
//! and every login spends one use.

mod keys;

use crypter_client::{Client, Clock, Config, Error, Freshness, KeyOp, ManualClock};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use tokio::process::{Child, Command};

const ROLE_ID: &str = "svc-role-id";
const SECRET_ID: &str = "svc-secret-id";
const USES: u64 = 100_000;

struct Store {
    port: u16,
    root: String,
    child: Option<Child>,
    http: reqwest::Client,
}

impl Store {
    async fn start(token_ttl: &str) -> Store {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut store = Store {
            port,
            root: format!("root-{port}"),
            child: None,
            http: reqwest::Client::new(),
        };
        store.boot(token_ttl).await;
        store
    }

    fn addr(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Start `bao -dev` and load the service's AppRole, policy and one credential. A dev
    /// server keeps everything in memory, so a restart re-creates the same role-id and
    /// secret-id, as an operator restoring the store would.
    async fn boot(&mut self, token_ttl: &str) {
        let bin = std::env::var("CRYPTER_BAO_BIN").unwrap_or_else(|_| "bao".into());
        let child = Command::new(bin)
            .args([
                "server",
                "-dev",
                &format!("-dev-listen-address=127.0.0.1:{}", self.port),
                &format!("-dev-root-token-id={}", self.root),
                "-dev-no-store-token",
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start bao (is it on PATH?)");
        self.child = Some(child);
        for _ in 0..100 {
            if let Ok(r) = self
                .http
                .get(format!("{}/v1/sys/health", self.addr()))
                .send()
                .await
            {
                if r.status().is_success() {
                    break;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        self.root_post("sys/auth/approle", json!({"type": "approle"}))
            .await;
        self.root_post(
            "sys/mounts/env/staging",
            json!({"type": "kv", "options": {"version": "2"}}),
        )
        .await;
        self.root_post(
            "sys/policies/acl/svc",
            json!({"policy": "path \"env/staging/data/*\" { capabilities = [\"read\"] }"}),
        )
        .await;
        self.root_post(
            "auth/approle/role/svc",
            json!({"token_ttl": token_ttl, "token_max_ttl": "24h", "token_policies": ["svc"]}),
        )
        .await;
        self.root_post("auth/approle/role/svc/role-id", json!({"role_id": ROLE_ID}))
            .await;
        self.root_post(
            "auth/approle/role/svc/custom-secret-id",
            json!({"secret_id": SECRET_ID, "num_uses": USES}),
        )
        .await;
        self.root_post(
            "env/staging/data/billing/db",
            json!({"data": {"password": "hunter2"}}),
        )
        .await;
    }

    async fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().await.unwrap();
            child.wait().await.unwrap();
        }
    }

    async fn root_post(&self, path: &str, body: Value) -> Value {
        let resp = self
            .http
            .post(format!("{}/v1/{path}", self.addr()))
            .header("X-Vault-Token", &self.root)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_success(), "{path}: {}", resp.status());
        resp.json().await.unwrap_or(Value::Null)
    }

    async fn root_get(&self, path: &str) -> reqwest::StatusCode {
        self.http
            .get(format!("{}/v1/{path}", self.addr()))
            .header("X-Vault-Token", &self.root)
            .send()
            .await
            .unwrap()
            .status()
    }

    /// How many AppRole logins OpenBao has accepted with the service's secret-id.
    async fn logins(&self) -> u64 {
        let v = self
            .root_post(
                "auth/approle/role/svc/secret-id/lookup",
                json!({"secret_id": SECRET_ID}),
            )
            .await;
        USES - v["data"]["secret_id_num_uses"].as_u64().unwrap()
    }

    fn client(&self, clock: &Arc<ManualClock>, config: impl FnOnce(Config) -> Config) -> Client {
        let config = config(Config::new(&self.addr(), ROLE_ID, SECRET_ID.to_owned()));
        Client::with_clock(config, clock.clone()).unwrap()
    }
}

fn minutes(m: u64) -> Duration {
    Duration::from_secs(m * 60)
}

#[tokio::test]
async fn a_stopped_store_gives_stale_values_then_errors_and_the_client_recovers() {
    let mut store = Store::start("1h").await;
    let clock = Arc::new(ManualClock::new());
    let client = store.client(&clock, |c| {
        c.cache_ttl(Duration::from_secs(30))
            .max_staleness(minutes(10))
    });
    let first = client.get("staging", "billing/db").await.unwrap();
    assert_eq!(first.freshness, Freshness::Fresh);
    assert_eq!(first.get("password"), Some("hunter2"));
    let confirmed = clock.now();

    store.stop().await;
    clock.advance(minutes(2));
    let stale = client.get("staging", "billing/db").await.unwrap();
    assert_eq!(stale.freshness, Freshness::Stale { since: confirmed });
    assert_eq!(stale.get("password"), Some("hunter2"));

    clock.advance(minutes(9));
    match client.get("staging", "billing/db").await {
        Err(Error::TooStale { cause, max, .. }) => {
            assert_eq!(max, minutes(10));
            assert!(matches!(*cause, Error::Unavailable(_)), "{cause:?}");
        }
        other => panic!("expected TooStale, got {other:?}"),
    }
    let stats = client.stats();
    assert_eq!(stats.stale_served, 1);
    assert_eq!(stats.errors, 1);
    assert_eq!(stats.login_failures, 1);
    // Another get right away shares that failed login instead of trying again.
    assert!(client.get("staging", "billing/db").await.is_err());
    assert_eq!(client.stats().login_failures, 1);

    store.boot("1h").await;
    // Within the login back-off the last failure is shared; after it, the client logs in
    // again by itself and serves fresh values.
    assert!(client.get("staging", "billing/db").await.is_err());
    clock.advance(Duration::from_secs(3));
    let back = client.get("staging", "billing/db").await.unwrap();
    assert_eq!(back.freshness, Freshness::Fresh);
    assert_eq!(back.get("password"), Some("hunter2"));
    store.stop().await;
}

#[tokio::test]
async fn a_revoked_secret_id_gives_a_clear_error_once_the_cached_token_ends() {
    let mut store = Store::start("20m").await;
    let clock = Arc::new(ManualClock::new());
    let client = store.client(&clock, |c| {
        c.cache_ttl(Duration::ZERO).max_staleness(minutes(5))
    });
    assert!(!client
        .get("staging", "billing/db")
        .await
        .unwrap()
        .is_stale());
    store
        .root_post(
            "auth/approle/role/svc/secret-id/destroy",
            json!({"secret_id": SECRET_ID}),
        )
        .await;

    // Past the re-login time the login fails, but the token still lasts: reads stay fresh.
    clock.advance(minutes(6));
    assert!(!client
        .get("staging", "billing/db")
        .await
        .unwrap()
        .is_stale());
    assert_eq!(client.stats().login_failures, 1);

    // Once the token has ended, a credential never read before gets the login's own error.
    clock.advance(minutes(15));
    match client.get("staging", "billing/other").await {
        Err(Error::LoginRefused { status, message }) => {
            assert_eq!(status, 400);
            assert!(message.contains("invalid role or secret ID"), "{message}");
        }
        other => panic!("expected LoginRefused, got {other:?}"),
    }
    // The cached one is too old to stand in, and says why.
    match client.get("staging", "billing/db").await {
        Err(Error::TooStale { cause, .. }) => {
            assert!(matches!(*cause, Error::LoginRefused { .. }), "{cause:?}");
            let text = Error::TooStale {
                env: "staging".into(),
                path: "billing/db".into(),
                since: std::time::SystemTime::now(),
                age: minutes(15),
                max: minutes(5),
                cause,
            }
            .to_string();
            assert!(text.contains("Issue a new secret-id"), "{text}");
        }
        other => panic!("expected TooStale, got {other:?}"),
    }
    store.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hundred_concurrent_gets_after_the_token_expires_make_one_login() {
    let mut store = Store::start("1h").await;
    let clock = Arc::new(ManualClock::new());
    let client = store.client(&clock, |c| c.cache_ttl(Duration::ZERO));
    client.get("staging", "billing/db").await.unwrap();
    assert_eq!(store.logins().await, 1);

    clock.advance(minutes(61));
    let gets: Vec<_> = (0..100)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.get("staging", "billing/db").await })
        })
        .collect();
    for get in gets {
        assert!(!get.await.unwrap().unwrap().is_stale());
    }
    assert_eq!(store.logins().await, 2, "OpenBao counted the logins");
    assert_eq!(client.stats().logins, 2);
    assert_eq!(client.stats().store_reads, 101);
    store.stop().await;
}

#[tokio::test]
async fn the_relogin_interval_and_two_thirds_of_the_ttl_are_respected() {
    let mut store = Store::start("1h").await;
    let clock = Arc::new(ManualClock::new());
    // A 1 h token: the 5-minute interval comes first. Jitter takes at most 10% off.
    let client = store.client(&clock, |c| c.cache_ttl(Duration::ZERO).jitter(0.1));
    client.login().await.unwrap();
    clock.advance(Duration::from_secs(269));
    client.get("staging", "billing/db").await.unwrap();
    assert_eq!(
        store.logins().await,
        1,
        "no re-login before 90% of 5 minutes"
    );
    clock.advance(Duration::from_secs(32));
    client.get("staging", "billing/db").await.unwrap();
    assert_eq!(store.logins().await, 2, "a re-login by 5 minutes");
    clock.advance(Duration::from_secs(269));
    client.get("staging", "billing/db").await.unwrap();
    assert_eq!(store.logins().await, 2);
    clock.advance(Duration::from_secs(32));
    client.get("staging", "billing/db").await.unwrap();
    assert_eq!(store.logins().await, 3);

    // A 60 s token: two-thirds of it (40 s) comes before the interval.
    store
        .root_post(
            "auth/approle/role/svc",
            json!({"token_ttl": "60s", "token_policies": ["svc"]}),
        )
        .await;
    let clock = Arc::new(ManualClock::new());
    let short = store.client(&clock, |c| c.cache_ttl(Duration::ZERO).jitter(0.1));
    short.login().await.unwrap();
    assert_eq!(store.logins().await, 4);
    clock.advance(Duration::from_secs(35));
    short.get("staging", "billing/db").await.unwrap();
    assert_eq!(store.logins().await, 4, "no re-login before 90% of 40 s");
    clock.advance(Duration::from_secs(6));
    short.get("staging", "billing/db").await.unwrap();
    assert_eq!(store.logins().await, 5, "a re-login by 40 s");
    store.stop().await;
}

#[tokio::test]
async fn the_background_refresher_logs_in_again_without_any_get() {
    let mut store = Store::start("1h").await;
    let clock = Arc::new(ManualClock::new());
    let client = store.client(&clock, |c| c.jitter(0.0));
    client.login().await.unwrap();
    let refresher = client.spawn_refresher(Duration::from_millis(20));
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(store.logins().await, 1, "nothing is due yet");
    clock.advance(minutes(5));
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while store.logins().await < 2 {
        assert!(
            std::time::Instant::now() < deadline,
            "no background re-login"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(store.logins().await, 2, "exactly one re-login per renewal");
    assert_eq!(client.stats().store_reads, 0);
    refresher.abort();
    store.stop().await;
}

#[tokio::test]
async fn a_dead_first_node_is_skipped_for_a_fallback_node() {
    let mut store = Store::start("1h").await;
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let clock = Arc::new(ManualClock::new());
    let config = Config::new(&format!("http://{dead}"), ROLE_ID, SECRET_ID.to_owned())
        .fallback_addr(&store.addr())
        .cache_ttl(Duration::ZERO);
    let client = Client::with_clock(config, clock.clone()).unwrap();
    for _ in 0..3 {
        let value = client.get("staging", "billing/db").await.unwrap();
        assert_eq!(value.freshness, Freshness::Fresh);
    }
    assert_eq!(store.logins().await, 1);
    store.stop().await;
}

#[tokio::test]
async fn definite_answers_are_errors_not_stale_values() {
    let mut store = Store::start("1h").await;
    let clock = Arc::new(ManualClock::new());
    let client = store.client(&clock, |c| c.cache_ttl(Duration::ZERO));
    assert!(matches!(
        client.get("staging", "billing/missing").await,
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        client.get("production", "billing/db").await,
        Err(Error::Forbidden { .. })
    ));
    assert!(matches!(
        client.get("Bad Env", "billing/db").await,
        Err(Error::Config(_))
    ));
    assert!(matches!(
        client.get("staging", "../etc").await,
        Err(Error::Config(_))
    ));
    // A forbidden path does not cost a re-login: the token itself is still alive.
    assert_eq!(store.logins().await, 1);
    store.stop().await;
}
