//! The list endpoint's quick first rows (a walk of paged LISTs), the session's listing
//! cache, and what a write does to it.

use crate::helpers::*;
use crypter_api::CredentialPage;
use reqwest::StatusCode;
use secrecy::SecretString;
use serde_json::json;

/// Paths whose string order differs from a naive folder-first walk: `a-b` sorts before
/// `a/…`, `a0` after it, and `a` itself is both a leaf and a folder.
const PATHS: &[&str] = &[
    "a", "a-b", "a/b", "a/c-x", "a/c/d", "a/c/e", "a0", "b/x/y/z", "b/y", "c", "svc/01/k",
    "svc/02/k", "svc/03/k", "svc/04/k", "svc/05/k", "svc/06/k", "svc/07/k", "svc/08/k", "svc/09/k",
    "svc/10/k", "z",
];

impl TestApp {
    pub async fn page(&self, c: &Caller, env: &str, query: &str) -> CredentialPage {
        let resp = self.list_credentials(c, env, query).await;
        assert_eq!(resp.status(), StatusCode::OK, "{query}");
        resp.json().await.unwrap()
    }

    /// A user who logs in with exactly this policy: the console's caller, and the same
    /// identity's own OpenBao token for asking OpenBao directly.
    pub async fn user_with_policy(&self, name: &str, hcl: &str) -> (Caller, SecretString) {
        self.put_policy(name, hcl).await;
        let password = format!("{name}-password-long");
        let caller = Caller::new_user(self, name, &password, &[name]).await;
        (caller, self.bao_login(name, &password).await)
    }
}

fn paths(page: &CredentialPage) -> Vec<&str> {
    page.items.iter().map(|c| c.path.as_str()).collect()
}

#[tokio::test]
async fn quick_pages_walk_the_first_rows_in_path_order() {
    let app = spawn_app().await;
    let admin = app.caller().await;
    for p in PATHS {
        app.seed(&admin, "staging", p, "walk-value", "service")
            .await;
    }
    let full = app.page(&admin, "staging", "?limit=100").await;
    assert!(!full.partial);
    assert_eq!(paths(&full), PATHS);

    // A new session has no listing yet: its quick pages come from the walk, and following
    // `next` gives exactly the full listing, rows and all.
    let fresh = app.caller().await;
    let mut walked = Vec::new();
    let mut query = "?quick=true&limit=4".to_owned();
    loop {
        let page = app.page(&fresh, "staging", &query).await;
        assert!(page.partial, "{query}");
        assert!(page.items.len() <= 4);
        walked.extend(page.items);
        match page.next {
            Some(next) => query = format!("?quick=true&limit=4&after={next}"),
            None => break,
        }
    }
    assert_eq!(walked, full.items);

    // With a prefix, the walk enters only what can match and stops past it.
    let page = app
        .page(&fresh, "staging", "?quick=true&limit=50&prefix=a/c")
        .await;
    assert_eq!(paths(&page), ["a/c-x", "a/c/d", "a/c/e"]);
    assert_eq!(page.next, None);
    // Other filters apply to the walked rows.
    let page = app
        .page(&fresh, "staging", "?quick=true&limit=50&q=svc/0")
        .await;
    assert_eq!(page.items.len(), 9);
}

#[tokio::test]
async fn quick_pages_come_from_the_session_listing_once_it_has_one() {
    let app = spawn_app().await;
    let c = app.caller().await;
    for p in ["x/1", "x/2", "x/3"] {
        app.seed(&c, "staging", p, "v", "service").await;
    }
    let full = app.page(&c, "staging", "").await;
    let quick = app.page(&c, "staging", "?quick=true&limit=2").await;
    assert!(!quick.partial);
    assert_eq!(quick.total, full.total);
    assert_eq!(quick.next.as_deref(), Some("x/2"));
}

#[tokio::test]
async fn a_first_page_is_current_and_writes_through_crypter_patch_the_listing() {
    let app = spawn_app().await;
    let c = app.caller().await;
    app.seed(&c, "staging", "svc/a", "v", "service").await;
    assert_eq!(app.page(&c, "staging", "").await.total, 1);

    // Written straight into OpenBao: the next first page shows it (a new SCAN).
    app.bao
        .write(
            "env/staging/data/svc/direct",
            &app.root,
            &json!({"data": {"v": "x"}}),
        )
        .await
        .unwrap();
    assert_eq!(
        paths(&app.page(&c, "staging", "").await),
        ["svc/a", "svc/direct"]
    );

    // A write through Crypter changes the session's listing at once: a quick page,
    // served from it, already holds the new version.
    let resp = app
        .put_credential(
            &c,
            "staging",
            "svc/a",
            json!({"data": {"v": "2"}, "owner": "new-owner"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    // The answer carries the new row, so the console changes that row alone.
    let written: crypter_api::CredentialWritten = resp.json().await.unwrap();
    let row = written.row.expect("the row after the write");
    assert_eq!((row.path.as_str(), row.current_version), ("svc/a", 2));
    assert_eq!(row.metadata.owner.as_deref(), Some("new-owner"));
    let quick = app.page(&c, "staging", "?quick=true&limit=10").await;
    assert!(!quick.partial);
    let a = &quick.items[0];
    assert_eq!(
        (a.current_version, a.metadata.owner.as_deref()),
        (2, Some("new-owner"))
    );
    app.delete_credential(&c, "staging", "svc/a").await;
    let quick = app.page(&c, "staging", "?quick=true&limit=10").await;
    assert!(quick.items[0].deleted);
}

#[tokio::test]
async fn quick_pages_of_empty_missing_and_forbidden_environments() {
    let app = spawn_app().await;
    let c = app.caller().await;
    let page = app.page(&c, "production", "?quick=true&limit=10").await;
    assert_eq!((page.items.len(), page.partial), (0, false));

    let (status, _, _) = error_code(app.list_credentials(&c, "nowhere", "?quick=true").await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, code, _) =
        error_code(app.list_credentials(&c, "staging", "?quick=maybe").await).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::BAD_REQUEST, "invalid_quick")
    );

    // The walk lists with the caller's own token: no right to list, no rows.
    app.seed(&c, "staging", "svc/db", "v", "service").await;
    let (reader, token) = app
        .user_with_policy(
            "reader",
            r#"path "env/staging/data/*" { capabilities = ["read"] }"#,
        )
        .await;
    let (status, code, _) = error_code(
        app.list_credentials(&reader, "staging", "?quick=true")
            .await,
    )
    .await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::FORBIDDEN, "store_forbidden")
    );
    let denied = app
        .bao
        .list("env/staging/detailed-metadata/", &token)
        .await
        .unwrap_err();
    assert_eq!(denied.status(), Some(403));
}

#[tokio::test]
async fn logging_out_drops_the_session_listings() {
    let app = spawn_app().await;
    let (client, info) = app.admin().await;
    let c = Caller {
        client,
        csrf: info.csrf_token.clone(),
    };
    app.seed(&c, "staging", "svc/a", "v", "service").await;
    app.page(&c, "staging", "").await;
    assert_eq!(app.state.listings.rows(), 1);
    let resp = app.logout(&c.client, Some(&info.csrf_token)).await;
    assert!(resp.status().is_success());
    assert_eq!(app.state.listings.rows(), 0);
}

#[tokio::test]
async fn environments_can_be_listed_without_their_counts() {
    let app = spawn_app().await;
    let c = app.caller().await;
    app.seed(&c, "staging", "svc/a", "v", "service").await;
    let list = |q: &'static str| {
        let (app, c) = (&app, &c);
        async move {
            app.call(c, reqwest::Method::GET, &format!("/environments{q}"), None)
                .await
        }
    };
    let counted: Vec<crypter_api::Environment> = list("").await.json().await.unwrap();
    let staging = counted.iter().find(|e| e.name == "staging").unwrap();
    assert_eq!(staging.credential_count, Some(1));
    let bare: Vec<crypter_api::Environment> = list("?counts=false").await.json().await.unwrap();
    assert_eq!(bare.len(), counted.len());
    assert!(bare.iter().all(|e| e.credential_count.is_none()));
    assert!(bare.iter().any(|e| e.name == "production" && e.protected));
    expect_error(
        list("?counts=maybe").await,
        StatusCode::BAD_REQUEST,
        "invalid_counts",
    )
    .await;
}
