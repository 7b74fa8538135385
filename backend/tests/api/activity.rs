use crate::environments::Caller;
use crate::helpers::*;
use crypter_api::ActivityPage;
use reqwest::{Method, Response, StatusCode};

impl TestApp {
    pub async fn activity(&self, c: &Caller, query: &str) -> Response {
        self.call(c, Method::GET, &format!("/activity{query}"), None)
            .await
    }
}

#[tokio::test]
async fn every_change_and_reveal_is_logged_newest_first_without_values() {
    let app = spawn_app().await;
    let c = app.caller().await;
    app.seed(&c, "staging", "svc/db", "logged-secret-1", "service")
        .await;
    app.seed(&c, "staging", "svc/db", "logged-secret-2", "service")
        .await;
    assert_eq!(
        app.reveal(&c, "staging", "svc/db", Some(1)).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.delete_credential(&c, "staging", "svc/db")
            .await
            .status(),
        StatusCode::OK
    );
    // A refused action is logged as an error too.
    app.reveal(&c, "staging", "svc/none", None).await;

    let resp = app.activity(&c, "").await;
    let text = resp.text().await.unwrap();
    assert!(!text.contains("logged-secret"), "{text}");
    let page: ActivityPage = serde_json::from_str(&text).unwrap();
    let actions: Vec<(&str, &str, &str)> = page
        .events
        .iter()
        .map(|e| (e.action.as_str(), e.target.as_str(), e.outcome.as_str()))
        .collect();
    assert_eq!(
        actions,
        [
            ("credential.reveal", "staging/svc/none", "error"),
            ("credential.delete", "staging/svc/db", "ok"),
            ("credential.reveal", "staging/svc/db", "ok"),
            ("credential.write", "staging/svc/db", "ok"),
            ("credential.write", "staging/svc/db", "ok"),
        ]
    );
    assert!(page.events.iter().all(|e| e.actor == "admin"));
    assert_eq!(page.events[2].detail.as_deref(), Some("version 1"));

    // Paging: two at a time, following `next` as `before`.
    let p1: ActivityPage = app.activity(&c, "?limit=2").await.json().await.unwrap();
    assert_eq!(p1.events, page.events[..2]);
    let next = p1.next.expect("more pages");
    let p2: ActivityPage = app
        .activity(&c, &format!("?limit=2&before={next}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(p2.events, page.events[2..4]);
    let p3: ActivityPage = app
        .activity(&c, &format!("?limit=2&before={}", p2.next.unwrap()))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!((p3.events.len(), p3.next), (1, None));

    for q in ["?limit=0", "?limit=501", "?before=../x"] {
        let (status, _, _) = error_code(app.activity(&c, q).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{q}");
    }
}
