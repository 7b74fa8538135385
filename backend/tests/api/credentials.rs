use crate::helpers::*;
use crypter_api::{CredentialDetail, CredentialPage, CredentialWritten, RevealedCredential};
use reqwest::{Method, Response, StatusCode};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

impl TestApp {
    pub async fn list_credentials(&self, c: &Caller, env: &str, query: &str) -> Response {
        self.call(
            c,
            Method::GET,
            &format!("/environments/{env}/credentials{query}"),
            None,
        )
        .await
    }

    pub async fn get_credential(&self, c: &Caller, env: &str, path: &str) -> Response {
        self.call(
            c,
            Method::GET,
            &format!("/environments/{env}/credentials/{path}"),
            None,
        )
        .await
    }

    pub async fn put_credential(&self, c: &Caller, env: &str, path: &str, body: Value) -> Response {
        self.call(
            c,
            Method::PUT,
            &format!("/environments/{env}/credentials/{path}"),
            Some(body),
        )
        .await
    }

    pub async fn delete_credential(&self, c: &Caller, env: &str, path: &str) -> Response {
        self.call(
            c,
            Method::DELETE,
            &format!("/environments/{env}/credentials/{path}"),
            None,
        )
        .await
    }

    /// `reveal`, `rollback`, `undelete` or `destroy`.
    pub async fn credential_action(
        &self,
        c: &Caller,
        env: &str,
        path: &str,
        action: &str,
        body: Value,
    ) -> Response {
        self.call(
            c,
            Method::POST,
            &format!("/environments/{env}/credentials/{path}/{action}"),
            Some(body),
        )
        .await
    }

    pub async fn reveal(
        &self,
        c: &Caller,
        env: &str,
        path: &str,
        version: Option<u64>,
    ) -> Response {
        self.credential_action(c, env, path, "reveal", json!({ "version": version }))
            .await
    }

    /// A GET sent byte for byte, so `..` reaches the server unnormalised.
    pub async fn raw_get(&self, session: &str, target: &str) -> (u16, String) {
        let host = self.addr.trim_start_matches("http://");
        let mut stream = tokio::net::TcpStream::connect(host).await.unwrap();
        let req = format!(
            "GET {target} HTTP/1.1\r\nHost: {host}\r\nCookie: crypter_session={session}\r\nConnection: close\r\n\r\n"
        );
        stream.write_all(req.as_bytes()).await.unwrap();
        let mut out = String::new();
        stream.read_to_string(&mut out).await.unwrap();
        let status = out[9..12].parse().unwrap();
        (status, out)
    }
}

#[tokio::test]
async fn a_credential_is_created_read_and_listed_without_its_value() {
    let app = spawn_app().await;
    let c = app.caller().await;

    // class is required on create.
    let (status, code, message) = error_code(
        app.put_credential(
            &c,
            "staging",
            "svc/db",
            json!({"data": {"password": "hunter2-value"}}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::BAD_REQUEST, "class_required")
    );
    assert!(!message.contains("hunter2-value"));

    // The class is a `CredentialClass`: an unknown one is refused while the body is read,
    // naming the field and the classes to use, and the value appears nowhere.
    let (status, code, message) = error_code(
        app.put_credential(
            &c,
            "staging",
            "svc/db",
            json!({"data": {"password": "hunter2-value"}, "class": "root"}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::BAD_REQUEST, "invalid_json")
    );
    assert!(
        message.contains("class: unknown variant `root`"),
        "{message}"
    );
    assert!(message.contains("`integration`"), "{message}");
    assert!(!message.contains("hunter2-value"));
    let detail = app.get_credential(&c, "staging", "svc/db").await;
    assert_eq!(detail.status(), StatusCode::NOT_FOUND);

    // The environment and the author come from the URL and the session, never from the
    // body: a body that names them is refused, naming the field.
    for (field, value) in [("environment", "production"), ("created_by", "mallory")] {
        let mut body = json!({"data": {"password": "hunter2-value"}, "class": "service"});
        body[field] = json!(value);
        let resp = app.put_credential(&c, "staging", "svc/db", body).await;
        let (status, _, message) = error_code(resp).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{field}");
        assert!(
            message.contains(&format!("unknown field `{field}`")),
            "{message}"
        );
        assert!(!message.contains("hunter2-value"), "{message}");
    }
    let resp = app
        .put_credential(
            &c,
            "staging",
            "svc/db",
            json!({"data": {"password": "hunter2-value"}, "class": "service", "owner": "payments",
                   "description": "DB login", "labels": ["blue"], "rotate_after_days": 30}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let w: CredentialWritten = resp.json().await.unwrap();
    assert_eq!(w.version, 1);

    let resp = app.get_credential(&c, "staging", "svc/db").await;
    let text = resp.text().await.unwrap();
    assert!(!text.contains("hunter2-value"), "{text}");
    let d: CredentialDetail = serde_json::from_str(&text).unwrap();
    assert_eq!(d.metadata.environment.as_deref(), Some("staging"));
    assert_eq!(d.metadata.created_by.as_deref(), Some("admin"));
    assert_eq!(d.metadata.class.as_deref(), Some("service"));
    assert_eq!(d.metadata.labels, ["blue"]);
    assert_eq!(d.versions.len(), 1);
    assert!(!d.rotation_due);

    // A second version keeps the metadata it was not given.
    app.put_credential(
        &c,
        "staging",
        "svc/db",
        json!({"data": {"password": "v2-value"}, "labels": ["blue"]}),
    )
    .await;
    let d: CredentialDetail = app
        .get_credential(&c, "staging", "svc/db")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!((d.current_version, d.versions.len()), (2, 2));
    assert_eq!(d.metadata.owner.as_deref(), Some("payments"));

    for p in ["svc/api", "svc/cache", "users/alice"] {
        app.seed(
            &c,
            "staging",
            p,
            "other-value",
            if p.starts_with("users") {
                "user"
            } else {
                "service"
            },
        )
        .await;
    }
    let resp = app.list_credentials(&c, "staging", "").await;
    let text = resp.text().await.unwrap();
    assert!(
        !text.contains("v2-value") && !text.contains("other-value"),
        "{text}"
    );
    let page: CredentialPage = serde_json::from_str(&text).unwrap();
    let paths: Vec<&str> = page.items.iter().map(|i| i.path.as_str()).collect();
    assert_eq!(paths, ["svc/api", "svc/cache", "svc/db", "users/alice"]);

    let page: CredentialPage = app
        .list_credentials(&c, "staging", "?limit=2")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (page.items.len(), page.total, page.next.as_deref()),
        (2, 4, Some("svc/cache"))
    );
    let page: CredentialPage = app
        .list_credentials(&c, "staging", "?limit=2&after=svc/cache")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page.items[0].path, "svc/db");
    assert_eq!(page.next, None);

    let count = |q: &'static str| {
        let app = &app;
        let c = &c;
        async move {
            let p: CredentialPage = app
                .list_credentials(c, "staging", q)
                .await
                .json()
                .await
                .unwrap();
            p.total
        }
    };
    assert_eq!(count("?prefix=svc/").await, 3);
    assert_eq!(count("?class=user").await, 1);
    assert_eq!(count("?q=DB%20LOGIN").await, 1);
    assert_eq!(count("?q=blue&class=service&prefix=svc").await, 1);

    for (q, want) in [
        ("?class=root", "invalid_class"),
        ("?limit=0", "invalid_limit"),
        ("?limit=abc", "invalid_limit"),
        ("?prefix=a%20b", "invalid_prefix"),
    ] {
        let (status, code, _) = error_code(app.list_credentials(&c, "staging", q).await).await;
        assert_eq!(
            (status, code.as_str()),
            (StatusCode::BAD_REQUEST, want),
            "{q}"
        );
    }
    let (status, _, _) = error_code(app.list_credentials(&c, "nowhere", "").await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    expect_error(
        app.list_credentials(&c, "No", "").await,
        StatusCode::BAD_REQUEST,
        "invalid_environment",
    )
    .await;
    let (status, _, _) = error_code(app.get_credential(&c, "staging", "svc/none").await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn bad_paths_are_refused_with_400() {
    let app = spawn_app().await;
    let c = app.caller().await;
    let body = json!({"data": {"k": "v"}, "class": "service"});
    for path in [
        "a//b",              // empty segment
        "a/b%20c",           // bad character (a space)
        "a/b$c",             // bad character
        "1/2/3/4/5/6/7/8/9", // too deep
        "a%2F..%2Fb",        // percent-encoded traversal
        "a/%2e%2e%2Fb",      // percent-encoded dots and slash
        &"x".repeat(65),     // segment too long
    ] {
        let (status, code, message) =
            error_code(app.put_credential(&c, "staging", path, body.clone()).await).await;
        assert_eq!(
            (status, code.as_str()),
            (StatusCode::BAD_REQUEST, "invalid_path"),
            "{path}: {message}"
        );
        assert!(message.contains("1-8 segments"), "{message}");
        let (status, code, _) = error_code(app.get_credential(&c, "staging", path).await).await;
        assert_eq!(
            (status, code.as_str()),
            (StatusCode::BAD_REQUEST, "invalid_path"),
            "{path}"
        );
    }
    // Literal dot segments, sent raw so no client normalises them away.
    let client = reqwest::Client::new();
    let session = session_id(&app.login(&client, "admin", ADMIN_PASSWORD).await);
    for target in [
        "/api/v1/environments/staging/credentials/a/../b",
        "/api/v1/environments/staging/credentials/../../../sys/mounts",
        "/api/v1/environments/staging/credentials/a/./b",
        "/api/v1/environments/staging/credentials/%2e%2e/x",
    ] {
        let (status, body) = app.raw_get(&session, target).await;
        assert_eq!(status, 400, "{target}: {body}");
        assert!(body.contains("invalid_path"), "{body}");
    }
}

#[tokio::test]
async fn check_and_set_conflicts_are_409() {
    let app = spawn_app().await;
    let c = app.caller().await;
    let put = |cas: u64, v: &'static str| {
        let (app, c) = (&app, &c);
        async move {
            app.put_credential(
                c,
                "staging",
                "cas/x",
                json!({"data": {"v": v}, "class": "key", "cas": cas}),
            )
            .await
        }
    };
    assert_eq!(put(0, "one").await.status(), StatusCode::OK);
    let message = expect_error(
        put(0, "two-secret").await,
        StatusCode::CONFLICT,
        "stale_version",
    )
    .await;
    assert!(
        message.contains("check-and-set") && !message.contains("two-secret"),
        "{message}"
    );
    assert_eq!(put(1, "two").await.status(), StatusCode::OK);
    assert_eq!(put(1, "three").await.status(), StatusCode::CONFLICT);
}

#[tokio::test]
async fn reveal_rollback_delete_undelete_destroy() {
    let app = spawn_app().await;
    let c = app.caller().await;
    app.seed(&c, "staging", "app/token", "first-value", "service")
        .await;
    app.seed(&c, "staging", "app/token", "second-value", "service")
        .await;

    let r: RevealedCredential = app
        .reveal(&c, "staging", "app/token", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!((r.version, r.data["value"].as_str()), (2, "second-value"));
    let r: RevealedCredential = app
        .reveal(&c, "staging", "app/token", Some(1))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r.data["value"], "first-value");
    // A body-less reveal means the current version.
    let resp = c
        .client
        .post(app.url("/environments/staging/credentials/app/token/reveal"))
        .header(crypter_api::CSRF_HEADER, &c.csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);

    let resp = app
        .credential_action(
            &c,
            "staging",
            "app/token",
            "rollback",
            json!({"version": 1}),
        )
        .await;
    let w: CredentialWritten = resp.json().await.unwrap();
    assert_eq!(w.version, 3);
    let r: RevealedCredential = app
        .reveal(&c, "staging", "app/token", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!((r.version, r.data["value"].as_str()), (3, "first-value"));

    let (status, code, _) = error_code(
        app.credential_action(&c, "staging", "app/token", "rollback", json!({}))
            .await,
    )
    .await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::BAD_REQUEST, "invalid_version")
    );
    let (status, code, _) = error_code(
        app.credential_action(&c, "staging", "app/token", "explode", json!({}))
            .await,
    )
    .await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::BAD_REQUEST, "invalid_action")
    );
    let (status, _, _) = error_code(app.reveal(&c, "staging", "app/token", Some(9)).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    assert_eq!(
        app.delete_credential(&c, "staging", "app/token")
            .await
            .status(),
        StatusCode::OK
    );
    let d: CredentialDetail = app
        .get_credential(&c, "staging", "app/token")
        .await
        .json()
        .await
        .unwrap();
    assert!(d.deleted);
    assert!(d.versions[0].deletion_time.is_some());
    assert_eq!(
        app.reveal(&c, "staging", "app/token", None).await.status(),
        StatusCode::NOT_FOUND
    );

    let resp = app
        .credential_action(&c, "staging", "app/token", "undelete", json!({}))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        app.reveal(&c, "staging", "app/token", None).await.status(),
        StatusCode::OK
    );

    let resp = app
        .credential_action(
            &c,
            "staging",
            "app/token",
            "destroy",
            json!({"versions": [1]}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let d: CredentialDetail = app
        .get_credential(&c, "staging", "app/token")
        .await
        .json()
        .await
        .unwrap();
    assert!(
        d.versions
            .iter()
            .find(|v| v.version == 1)
            .unwrap()
            .destroyed
    );
    assert!(!d.deleted);
    assert_eq!(
        app.reveal(&c, "staging", "app/token", Some(1))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );

    let (status, _, _) = error_code(app.delete_credential(&c, "staging", "app/none").await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_user_without_access_gets_403_from_openbao() {
    let app = spawn_app().await;
    let admin = app.caller().await;
    app.seed(&admin, "staging", "svc/db", "top-secret-value", "service")
        .await;
    app.bao
        .write(
            "auth/userpass/users/nobody",
            &app.root,
            &json!({"password": "nobody-password", "token_policies": "default"}),
        )
        .await
        .unwrap();
    let client = browser();
    let info: crypter_api::SessionInfo = app
        .login(&client, "nobody", "nobody-password")
        .await
        .json()
        .await
        .unwrap();
    let nobody = Caller {
        client,
        csrf: info.csrf_token,
    };

    for resp in [
        app.list_credentials(&nobody, "staging", "").await,
        app.get_credential(&nobody, "staging", "svc/db").await,
        app.reveal(&nobody, "staging", "svc/db", None).await,
        app.put_credential(
            &nobody,
            "staging",
            "svc/new",
            json!({"data": {"k": "v"}, "class": "service"}),
        )
        .await,
        app.delete_credential(&nobody, "staging", "svc/db").await,
    ] {
        let (status, code, message) = error_code(resp).await;
        assert_eq!(
            (status, code.as_str()),
            (StatusCode::FORBIDDEN, "store_forbidden"),
            "{message}"
        );
        assert!(message.contains("OpenBao refused"), "{message}");
        assert!(!message.contains("top-secret-value"));
    }
}

#[tokio::test]
async fn values_never_appear_in_error_responses() {
    let app = spawn_app().await;
    let c = app.caller().await;
    for body in [
        json!({"data": {"k": 12345678}, "class": "service"}),
        json!({"data": {"k": "leaky-value-1"}, "class": "nope"}),
        json!({"data": {"k": "leaky-value-1"}, "class": "service", "labels": ["bad,label"]}),
        json!({"data": {"k": "leaky-value-1"}, "class": "service", "cas": "leaky-value-1"}),
    ] {
        let resp = app.put_credential(&c, "staging", "svc/x", body).await;
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
        let text = resp.text().await.unwrap();
        assert!(
            !text.contains("leaky-value-1") && !text.contains("12345678"),
            "{text}"
        );
    }
}
