//! OpenBao under load: identical SCANs in flight for one token are shared (never across
//! tokens), and what OpenBao cannot answer in time is a 503 with `Retry-After`.
//!
//! A second backend talks to the real `bao` through a small proxy that holds back every
//! SCAN's answer for a while and notes who sent it, so a SCAN is surely in flight when the next request
//! comes, and the store is slow exactly where a test needs it to be.

use crate::helpers::*;
use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::response::Response;
use crypter::bao::{Bao, Limits};
use crypter::config::Settings;
use crypter_api::{ErrorBody, ErrorCode};
use reqwest::StatusCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Every SCAN the proxy passed on: its path and the token it carried.
type Scans = Arc<Mutex<Vec<(String, String)>>>;

#[derive(Clone)]
struct Proxy {
    upstream: String,
    http: reqwest::Client,
    scan_delay: Duration,
    scans: Scans,
}

async fn forward(State(p): State<Proxy>, req: Request) -> Response {
    let method = req.method().clone();
    let path = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_default();
    let headers = req.headers().clone();
    let body = to_bytes(req.into_body(), usize::MAX).await.unwrap();
    let scan = method.as_str() == "SCAN";
    if scan {
        let token = headers
            .get("x-vault-token")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        p.scans.lock().unwrap().push((path.clone(), token));
    }
    let mut out = p
        .http
        .request(method, format!("{}{path}", p.upstream))
        .body(body);
    for (k, v) in &headers {
        if k != "host" && k != "content-length" {
            out = out.header(k, v);
        }
    }
    let Ok(answer) = out.send().await else {
        return Response::builder().status(502).body(Body::empty()).unwrap();
    };
    // OpenBao has answered; the answer is held back, as a busy store's would be.
    if scan {
        tokio::time::sleep(p.scan_delay).await;
    }
    let mut resp = Response::builder().status(answer.status());
    for (k, v) in answer.headers() {
        if k != "content-length" && k != "transfer-encoding" {
            resp = resp.header(k, v);
        }
    }
    resp.body(Body::from(answer.bytes().await.unwrap_or_default()))
        .unwrap()
}

/// A proxy in front of `app`'s OpenBao that holds back every SCAN's answer for
/// `scan_delay`; its address and the SCANs it saw.
async fn slow_store(app: &TestApp, scan_delay: Duration) -> (String, Scans) {
    let scans = Scans::default();
    let proxy = Proxy {
        upstream: app.bao.addr().to_owned(),
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        scan_delay,
        scans: scans.clone(),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = format!("http://{}", listener.local_addr().unwrap());
    let router = axum::Router::new().fallback(forward).with_state(proxy);
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (addr, scans)
}

/// Another backend over the same store, through the proxy at `addr`, with `limits`.
async fn backend_through(app: &TestApp, addr: &str, limits: Limits) -> TestApp {
    let bao = Bao::new(addr).unwrap().limited(limits);
    serve_backend(bao, Settings::default(), app.creds.clone()).await
}

const STAGING_SCAN: &str = "/v1/env/staging/detailed-metadata/";

fn scans_of(scans: &Scans, path: &str) -> Vec<String> {
    scans
        .lock()
        .unwrap()
        .iter()
        .filter(|(p, _)| p == path)
        .map(|(_, t)| t.clone())
        .collect()
}

/// Until `n` SCANs of staging went out (the latest is then in flight).
async fn wait_for_scans(scans: &Scans, n: usize) {
    eventually("the SCAN is sent", Duration::from_secs(10), || {
        let sent = scans_of(scans, STAGING_SCAN).len();
        async move { (sent >= n).then_some(()) }
    })
    .await;
}

#[tokio::test]
async fn identical_lists_in_flight_share_one_scan_for_one_token_never_across_tokens() {
    let app = spawn_app().await;
    let admin = app.caller().await;
    app.seed(&admin, "staging", "svc/a", "v", "service").await;
    let (proxy, scans) = slow_store(&app, Duration::from_millis(700)).await;
    let b = backend_through(&app, &proxy, Limits::default()).await;
    let (one, other) = (b.caller().await, b.caller().await);

    // Two first pages at once in one session (one token): one SCAN answers both.
    let (x, y) = tokio::join!(
        b.page(&one, "staging", "?limit=10"),
        b.page(&one, "staging", "?limit=10")
    );
    assert_eq!((x.total, y.total), (1, 1));
    assert_eq!(x.items, y.items);
    assert_eq!(scans_of(&scans, STAGING_SCAN).len(), 1);

    // The same at once from two sessions (two tokens): each token's own SCAN, since
    // OpenBao decides what each token may see.
    let (x, y) = tokio::join!(
        b.page(&one, "staging", "?limit=10"),
        b.page(&other, "staging", "?limit=10")
    );
    assert_eq!((x.total, y.total), (1, 1));
    let seen = scans_of(&scans, STAGING_SCAN);
    assert_eq!(seen.len(), 3);
    assert_ne!(
        seen[1], seen[2],
        "each SCAN carried its own session's token"
    );

    // A write through Crypter closes the sharing: a list asked after it was acknowledged
    // never takes a SCAN sent before it, and shows the new credential.
    let before = tokio::spawn({
        let (url, client) = (
            b.url("/environments/staging/credentials"),
            one.client.clone(),
        );
        async move { client.get(url).send().await.unwrap().status() }
    });
    wait_for_scans(&scans, 4).await;
    b.seed(&one, "staging", "svc/b", "v", "service").await;
    let after = b.page(&one, "staging", "").await;
    assert_eq!(before.await.unwrap(), StatusCode::OK);
    assert_eq!(after.total, 2);
    assert_eq!(scans_of(&scans, STAGING_SCAN).len(), 5);
}

async fn busy(resp: reqwest::Response) -> ErrorBody {
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    let retry = resp.headers().get("retry-after").map(|v| v.to_owned());
    assert_eq!(retry.unwrap(), "5");
    let body: ErrorBody = resp.json().await.unwrap();
    assert_eq!(body.error.code, ErrorCode::StoreBusy);
    assert!(
        body.error.message.contains("busy") && body.error.message.contains("try again"),
        "{}",
        body.error.message
    );
    body
}

#[tokio::test]
async fn a_scan_not_answered_in_time_is_a_503_with_retry_after() {
    let app = spawn_app().await;
    let admin = app.caller().await;
    app.seed(&admin, "staging", "svc/a", "v", "service").await;
    let (proxy, _) = slow_store(&app, Duration::from_secs(3)).await;
    let limits = Limits {
        scan_answer: Duration::from_millis(300),
        ..Limits::default()
    };
    let b = backend_through(&app, &proxy, limits).await;
    let c = b.caller().await;
    let body = busy(b.list_credentials(&c, "staging", "").await).await;
    assert!(
        body.error.message.contains("environment staging"),
        "{}",
        body.error.message
    );
    // Other requests are answered meanwhile.
    let detail = b.get_credential(&c, "staging", "svc/a").await;
    assert_eq!(detail.status(), StatusCode::OK);
    // The whole-store lint meets the same SCAN: the same clear answer.
    busy(b.call(&c, reqwest::Method::GET, "/lint", None).await).await;
}

#[tokio::test]
async fn a_request_that_waits_too_long_for_its_turn_is_a_503_with_retry_after() {
    let app = spawn_app().await;
    let admin = app.caller().await;
    app.seed(&admin, "staging", "svc/a", "v", "service").await;
    let (proxy, scans) = slow_store(&app, Duration::from_millis(1500)).await;
    // One request to OpenBao at a time, and little patience for a turn.
    let limits = Limits {
        in_flight: 1,
        queue: Duration::from_millis(200),
        ..Limits::default()
    };
    let b = backend_through(&app, &proxy, limits).await;
    let c = b.caller().await;
    let list = tokio::spawn({
        let (url, client) = (b.url("/environments/staging/credentials"), c.client.clone());
        async move { client.get(url).send().await.unwrap().status() }
    });
    // The list's SCAN holds the only turn; the detail waits, then gives up.
    wait_for_scans(&scans, 1).await;
    busy(b.get_credential(&c, "staging", "svc/a").await).await;
    assert_eq!(list.await.unwrap(), StatusCode::OK);
    // Once the turn is free again, the same request is answered.
    assert_eq!(
        b.get_credential(&c, "staging", "svc/a").await.status(),
        StatusCode::OK
    );
}
