//! Single sign-on against a real OpenBao and a real identity provider (`tools/idp.mjs`,
//! the `oidc-provider` package): the browser's whole path through the provider's login
//! page, the tokens OpenBao issues checked straight against OpenBao, the refusals, the
//! group mappings and their drift, and "why can I do this?".

use crate::helpers::{browser, spawn_app, spawn_app_with, Caller, TestApp, ADMIN_PASSWORD};
use crypter::config::Settings;
use crypter::embedded::idp::{IdTokens, LocalIdp};
use crypter::sso::local::{DEMO_GROUP, DEMO_ROLE};
use crypter::sso::CALLBACK_PATH;
use crypter_api::SessionInfo;
use reqwest::redirect::Policy;
use reqwest::{Client, Method, StatusCode};
use secrecy::SecretString;
use serde_json::{json, Value};

/// A backend over a real bao, configured as `crypter dev --sso` does, with an environment
/// `staging` (bootstrap's) holding `payments/db` and `other/db`.
async fn sso_app() -> (TestApp, LocalIdp) {
    // A test walks many logins from one address: the login limit is not what it tests
    // (`security::` does).
    let app = spawn_app_with(Settings {
        login_burst: 1000,
        ..Settings::default()
    })
    .await;
    let idp = crypter::sso::local::start(&app.bao, &app.root, std::slice::from_ref(&app.addr))
        .await
        .expect("local SSO");
    for path in ["payments/db", "other/db"] {
        crate::helpers::put_secret(&app, "staging", path).await;
    }
    (app, idp)
}

/// A browser that does not follow redirects (each hop is checked) and keeps cookies.
fn hopping_browser() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
        .unwrap()
}

fn location(resp: &reqwest::Response) -> String {
    resp.headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// Through the provider's pages as `user`, from an authorization URL to the URL the
/// provider sends the browser back to (not visited).
async fn through_provider(client: &Client, idp: &LocalIdp, auth_url: &str, user: &str) -> String {
    let password = idp.user(user).expect("a provider user").password.clone();
    let mut next = auth_url.to_owned();
    for _ in 0..10 {
        let resp = client.get(&next).send().await.unwrap();
        if resp.status() == StatusCode::OK {
            let page = resp.text().await.unwrap();
            let action = page
                .split("action=\"")
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .expect("the provider's login form");
            let resp = client
                .post(format!("{}{action}", idp.issuer))
                .form(&[("username", user), ("password", password.as_str())])
                .send()
                .await
                .unwrap();
            assert_eq!(
                resp.status(),
                StatusCode::SEE_OTHER,
                "signed in at the provider"
            );
            next = location(&resp);
        } else {
            assert!(
                resp.status().is_redirection(),
                "{}: {}",
                next,
                resp.status()
            );
            let to = location(&resp);
            next = if to.starts_with('/') {
                format!("{}{to}", idp.issuer)
            } else {
                to
            };
        }
        if next.contains(CALLBACK_PATH) {
            return next;
        }
    }
    panic!("the provider never sent the browser back");
}

/// Start a login at Crypter and go through the provider: the browser and the callback URL.
async fn to_callback(app: &TestApp, idp: &LocalIdp, user: &str) -> (Client, String) {
    let client = hopping_browser();
    let resp = client
        .get(app.url("/auth/oidc/start"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let auth_url = location(&resp);
    assert!(
        auth_url.starts_with(&idp.issuer),
        "to the provider: {auth_url}"
    );
    assert!(
        auth_url.contains("code_challenge_method=S256"),
        "PKCE: {auth_url}"
    );
    let back = through_provider(&client, idp, &auth_url, user).await;
    (client, back)
}

/// The outcome of visiting the callback: the session, or the login page's error code.
async fn land(client: &Client, app: &TestApp, callback: &str) -> Result<SessionInfo, String> {
    let resp = client.get(callback).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let to = location(&resp);
    let session_set = resp.headers().get_all("set-cookie").iter().any(|c| {
        c.to_str().unwrap_or("").contains("crypter_session=")
            && !c.to_str().unwrap_or("").contains("Max-Age=0")
    });
    if let Some(code) = to.strip_prefix("/login?sso_error=") {
        assert!(!session_set, "a refused login sets no session cookie");
        assert_eq!(app.whoami(client).await.status(), StatusCode::UNAUTHORIZED);
        return Err(code.to_owned());
    }
    assert_eq!(to, "/");
    assert!(session_set, "a login sets the session cookie");
    let who = app.whoami(client).await;
    assert_eq!(who.status(), StatusCode::OK);
    Ok(who.json().await.unwrap())
}

async fn sso_login(
    app: &TestApp,
    idp: &LocalIdp,
    user: &str,
) -> (Client, Result<SessionInfo, String>) {
    let (client, callback) = to_callback(app, idp, user).await;
    let landed = land(&client, app, &callback).await;
    (client, landed)
}

/// `user`'s own OpenBao token, from an OIDC login made straight at OpenBao (no Crypter).
async fn bao_token(app: &TestApp, idp: &LocalIdp, user: &str) -> (SecretString, Value) {
    let redirect = format!("{}{CALLBACK_PATH}", app.addr);
    let url = app
        .bao
        .unauthenticated(
            Method::POST,
            "auth/oidc/oidc/auth_url",
            Some(&json!({"redirect_uri": redirect, "client_nonce": "test-nonce"})),
        )
        .await
        .unwrap()
        .unwrap();
    let auth_url = url["data"]["auth_url"].as_str().unwrap().to_owned();
    let back = through_provider(&hopping_browser(), idp, &auth_url, user).await;
    let query = back.split_once('?').unwrap().1;
    let login = app
        .bao
        .request_query(
            Method::GET,
            "auth/oidc/oidc/callback",
            &format!("{query}&client_nonce=test-nonce"),
            None,
        )
        .await
        .unwrap()
        .unwrap();
    let token = login["auth"]["client_token"].as_str().unwrap().to_owned();
    (SecretString::from(token), login["auth"].clone())
}

/// An SSO session as a caller of the API (its CSRF token included).
async fn sso_caller(app: &TestApp, idp: &LocalIdp, user: &str) -> Caller {
    let (client, info) = sso_login(app, idp, user).await;
    Caller {
        client,
        csrf: info.expect("logs in").csrf_token,
    }
}

async fn ask_why(app: &TestApp, caller: &Caller, body: Value) -> Value {
    let r = caller.call(app, Method::POST, "/access/why", body).await;
    let status = r.status();
    let answer: Value = r.json().await.unwrap();
    assert_eq!(status, 200, "{answer}");
    answer
}

/// The credential the mapped role reads, and one it does not.
const PAYMENTS: &str = "env/staging/data/payments/db";
const OTHER: &str = "env/staging/data/other/db";

async fn status_at_bao(app: &TestApp, token: &SecretString, path: &str) -> u16 {
    app.bao_status(token, Method::GET, path, Value::Null).await
}

#[tokio::test]
async fn a_provider_group_gives_exactly_its_mapped_role_checked_straight_at_openbao() {
    let (app, idp) = sso_app().await;
    let (_, alice) = sso_login(&app, &idp, "alice").await;
    let alice = alice.expect("alice logs in");
    assert_eq!(
        (alice.username.as_str(), alice.method.as_str()),
        ("alice", "oidc")
    );
    let role_policy = format!("crypter-role-{DEMO_ROLE}");
    assert!(
        alice.policies.contains(&role_policy),
        "{:?}",
        alice.policies
    );

    let (token, auth) = bao_token(&app, &idp, "alice").await;
    let mut policies: Vec<&str> = auth["policies"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    policies.sort_unstable();
    assert_eq!(
        policies,
        ["crypter-role-payments-admin", "default"],
        "exactly the mapped role"
    );
    assert_eq!(
        auth["identity_policies"],
        json!([role_policy]),
        "through the external group"
    );
    assert_eq!(status_at_bao(&app, &token, PAYMENTS).await, 200);
    assert_eq!(status_at_bao(&app, &token, OTHER).await, 403);
    assert_eq!(
        status_at_bao(&app, &token, "sys/policies/acl/crypter-admin").await,
        403
    );

    // bob is in no group: he logs in, and may read nothing.
    let (token, auth) = bao_token(&app, &idp, "bob").await;
    assert_eq!(auth["policies"], json!(["default"]));
    assert_eq!(status_at_bao(&app, &token, PAYMENTS).await, 403);
    let (_, bob) = sso_login(&app, &idp, "bob").await;
    assert_eq!(bob.expect("bob logs in").policies, ["default"]);
}

#[tokio::test]
async fn leaving_the_group_at_the_provider_takes_the_role_away_at_the_next_login() {
    let (app, idp) = sso_app().await;
    let (before, _) = bao_token(&app, &idp, "alice").await;
    assert_eq!(status_at_bao(&app, &before, PAYMENTS).await, 200);

    idp.set_groups("alice", &[]).await.unwrap();
    let (after, auth) = bao_token(&app, &idp, "alice").await;
    assert_eq!(auth["policies"], json!(["default"]));
    assert_eq!(status_at_bao(&app, &after, PAYMENTS).await, 403);
    // OpenBao took her out of the group: her earlier token loses the role too.
    assert_eq!(status_at_bao(&app, &before, PAYMENTS).await, 403);
    let (_, session) = sso_login(&app, &idp, "alice").await;
    assert_eq!(session.expect("still logs in").policies, ["default"]);

    idp.set_groups("alice", &[DEMO_GROUP]).await.unwrap();
    let (again, _) = bao_token(&app, &idp, "alice").await;
    assert_eq!(status_at_bao(&app, &again, PAYMENTS).await, 200);
}

#[tokio::test]
async fn a_tampered_replayed_misaddressed_or_expired_login_gets_a_clear_error_and_no_session() {
    let (app, idp) = sso_app().await;

    let (client, callback) = to_callback(&app, &idp, "alice").await;
    let tampered = callback.replace("state=", "state=x");
    assert_eq!(
        land(&client, &app, &tampered).await.unwrap_err(),
        "sso_state_invalid"
    );

    // Carried to another browser (a login CSRF): that browser lacks the login's nonce.
    let (_, callback) = to_callback(&app, &idp, "alice").await;
    assert_eq!(
        land(&hopping_browser(), &app, &callback).await.unwrap_err(),
        "sso_state_invalid"
    );

    let (client, callback) = to_callback(&app, &idp, "alice").await;
    land(&client, &app, &callback)
        .await
        .expect("the first use logs in");
    let replay = hopping_browser();
    assert_eq!(
        land(&replay, &app, &callback).await.unwrap_err(),
        "sso_state_invalid"
    );

    idp.id_tokens(IdTokens::WrongAudience).await.unwrap();
    let (_, landed) = sso_login(&app, &idp, "alice").await;
    assert_eq!(landed.unwrap_err(), "sso_wrong_audience");
    idp.id_tokens(IdTokens::Expired).await.unwrap();
    let (_, landed) = sso_login(&app, &idp, "alice").await;
    assert_eq!(landed.unwrap_err(), "sso_token_expired");
    idp.id_tokens(IdTokens::Normal).await.unwrap();

    // The provider says no (the person cancelled): no session.
    let client = hopping_browser();
    let resp = client
        .get(format!(
            "{}?error=access_denied&state=s",
            app.url("/auth/oidc/callback")
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(location(&resp), "/login?sso_error=sso_denied");
    let resp = client
        .get(app.url("/auth/oidc/callback"))
        .send()
        .await
        .unwrap();
    assert_eq!(location(&resp), "/login?sso_error=sso_bad_callback");
}

#[tokio::test]
async fn the_local_password_still_works_when_the_provider_is_down() {
    let (app, idp) = sso_app().await;
    let methods: Value = app.get_json(&browser(), "/auth/methods").await;
    let kinds: Vec<&str> = methods["methods"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["kind"].as_str())
        .collect();
    assert_eq!(
        kinds,
        ["userpass", "token", "oidc"],
        "no session needed: {methods}"
    );
    let oidc = &methods["methods"][2];
    assert_eq!(
        (oidc["label"].as_str(), oidc["start"].as_str()),
        (Some("Local SSO"), Some("/api/v1/auth/oidc/start"))
    );

    assert_eq!(
        oidc["end_session_url"],
        format!("{}/session/end", idp.issuer),
        "the provider's sign-out, offered after a logout"
    );

    idp.stop().await;
    let client = hopping_browser();
    let resp = client
        .get(app.url("/auth/oidc/start"))
        .send()
        .await
        .unwrap();
    assert_eq!(location(&resp), "/login?sso_error=sso_unavailable");
    let resp = app.login(&client, "admin", ADMIN_PASSWORD).await;
    assert_eq!(resp.status(), StatusCode::OK, "the admin's password works");
}

#[tokio::test]
async fn without_sso_the_login_page_offers_passwords_and_tokens_only() {
    let app = spawn_app().await;
    let resp = browser()
        .get(app.url("/auth/methods"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(
        body,
        json!({"methods": [{"kind": "userpass"}, {"kind": "token"}]})
    );
    let resp = hopping_browser()
        .get(app.url("/auth/oidc/start"))
        .send()
        .await
        .unwrap();
    assert_eq!(location(&resp), "/login?sso_error=sso_unavailable");
}

#[tokio::test]
async fn group_mappings_keep_openbao_in_step_and_show_its_drift() {
    let (app, _idp) = sso_app().await;
    let admin = Caller::admin(&app).await;
    let mappings = |c: &Caller| {
        let app = &app;
        let c = c.client.clone();
        async move { app.get_json::<Value>(&c, "/sso/groups").await }
    };
    let listed = mappings(&admin).await;
    assert_eq!(listed["mappings"][0]["group"], DEMO_GROUP);
    assert_eq!(listed["mappings"][0]["drift"], json!([]));

    // Someone widens the group straight in OpenBao: the console shows it, and a save repairs it.
    let group = format!("identity/group/name/crypter-sso-{DEMO_GROUP}");
    app.bao
        .write(&group, &app.root, &json!({"policies": ["crypter-admin"]}))
        .await
        .unwrap();
    let listed = mappings(&admin).await;
    assert_eq!(listed["mappings"][0]["drift"], json!(["policies_differ"]));
    let path = format!("/sso/groups/{DEMO_GROUP}");
    let r = admin
        .call(&app, Method::PUT, &path, json!({"roles": [DEMO_ROLE]}))
        .await;
    assert_eq!(r.status(), 200);
    let fixed: Value = r.json().await.unwrap();
    assert_eq!(fixed["drift"], json!([]));
    assert_eq!(
        fixed["openbao_policies"],
        json!([format!("crypter-role-{DEMO_ROLE}")])
    );

    // A group made by hand with Crypter's prefix is shown as not mapped.
    app.bao
        .write(
            "identity/group/name/crypter-sso-stray",
            &app.root,
            &json!({"type": "external"}),
        )
        .await
        .unwrap();
    let listed = mappings(&admin).await;
    let stray = listed["mappings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["group"] == "stray")
        .unwrap();
    assert_eq!(stray["drift"], json!(["not_mapped"]));

    // Bad input: a clear error, and nothing changes.
    let bad = admin
        .call(
            &app,
            Method::PUT,
            "/sso/groups/a%20b",
            json!({"roles": [DEMO_ROLE]}),
        )
        .await;
    assert_eq!(bad.status(), 400);
    assert_eq!(
        bad.json::<Value>().await.unwrap()["error"]["code"],
        "invalid_group"
    );
    let unknown = admin
        .call(
            &app,
            Method::PUT,
            "/sso/groups/team",
            json!({"roles": ["nobody"]}),
        )
        .await;
    assert_eq!(unknown.status(), 404);
    let extra = admin
        .call(
            &app,
            Method::PUT,
            "/sso/groups/team",
            json!({"roles": [], "policies": ["root"]}),
        )
        .await;
    assert_eq!(extra.status(), 400);
    assert!(!app.bao_has("identity/group/name/crypter-sso-team").await);

    // Removing the mapping removes the group: members lose the role at once.
    let r = admin.call(&app, Method::DELETE, &path, Value::Null).await;
    assert_eq!(r.status(), 204);
    assert!(!app.bao_has(&group).await);
    let again = admin.call(&app, Method::DELETE, &path, Value::Null).await;
    assert_eq!(again.status(), 404);
}

#[tokio::test]
async fn sso_settings_are_checked_and_only_admins_change_them_even_straight_at_openbao() {
    let (app, idp) = sso_app().await;
    let admin = Caller::admin(&app).await;
    let view: Value = app.get_json(&admin.client, "/settings/sso").await;
    assert_eq!(view["configured"], true);
    assert_eq!(view["discovery_url"], idp.issuer.as_str());
    assert!(
        view.get("client_secret").is_none(),
        "the secret is never read back"
    );
    let callback = format!("{}{CALLBACK_PATH}", app.addr);
    let settings = |extra: Value| {
        let mut s = json!({"label": "Company SSO", "discovery_url": idp.issuer, "client_id": "crypter",
            "redirect_uris": [callback]});
        s.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        s
    };
    for (extra, code) in [
        (json!({"label": ""}), "invalid_sso_label"),
        (
            json!({"discovery_url": "not a url"}),
            "invalid_discovery_url",
        ),
        (
            json!({"redirect_uris": ["http://elsewhere.example/"]}),
            "invalid_redirect_uri",
        ),
        (json!({"client_id": "other"}), "client_secret_required"),
        (
            json!({"discovery_url": "http://127.0.0.1:9", "client_secret": "x"}),
            "sso_provider_unreachable",
        ),
    ] {
        let r = admin
            .call(&app, Method::PUT, "/settings/sso", settings(extra.clone()))
            .await;
        assert_eq!(r.status(), 400, "{extra}");
        assert_eq!(
            r.json::<Value>().await.unwrap()["error"]["code"],
            code,
            "{extra}"
        );
    }
    let r = admin
        .call(&app, Method::PUT, "/settings/sso", settings(json!({})))
        .await;
    assert_eq!(r.status(), 200, "the label changes without the secret");
    let methods: Value = app.get_json(&browser(), "/auth/methods").await;
    assert_eq!(methods["methods"][2]["label"], "Company SSO");

    // Someone who is not an admin: refused by Crypter, and by OpenBao to their own token.
    let user = Caller::new_user(&app, "mallory", "mallory-password-1", &[]).await;
    let r = user
        .call(
            &app,
            Method::PUT,
            &format!("/sso/groups/{DEMO_GROUP}"),
            json!({"roles": [DEMO_ROLE]}),
        )
        .await;
    assert_eq!(r.status(), 403);
    let r = user
        .call(
            &app,
            Method::PUT,
            "/settings/sso",
            settings(json!({"client_secret": "x"})),
        )
        .await;
    assert_eq!(r.status(), 403);
    let token = app.bao_login("mallory", "mallory-password-1").await;
    for (path, body) in [
        (
            "identity/group/name/crypter-sso-evil",
            json!({"type": "external", "policies": ["crypter-admin"]}),
        ),
        (
            "identity/group-alias",
            json!({"name": "evil", "mount_accessor": "x", "canonical_id": "y"}),
        ),
        (
            "auth/oidc/config",
            json!({"oidc_discovery_url": "http://evil", "oidc_client_id": "a", "oidc_client_secret": "b"}),
        ),
        (
            "auth/oidc/role/crypter",
            json!({"allowed_redirect_uris": ["http://evil/cb"]}),
        ),
    ] {
        assert!(
            !app.bao_allows(&token, Method::POST, path, &body).await,
            "{path}"
        );
    }
}

#[tokio::test]
async fn why_names_the_path_from_provider_group_to_capability() {
    let (app, idp) = sso_app().await;
    let alice = sso_caller(&app, &idp, "alice").await;
    let why = ask_why(
        &app,
        &alice,
        json!({"env": "staging", "path": "payments/db"}),
    )
    .await;
    assert_eq!(why["path"], "env/staging/data/payments/db");
    assert!(
        why["capabilities"]
            .as_array()
            .unwrap()
            .contains(&json!("read")),
        "{why}"
    );
    let link = why["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["role"] == DEMO_ROLE)
        .unwrap_or_else(|| panic!("a link through the role: {why}"));
    // alice's own token may not read the group: it is named by its id.
    assert_eq!(link["source"]["kind"], "group", "{link}");
    assert_eq!(link["policy"], format!("crypter-role-{DEMO_ROLE}"));
    // alice may not mint probe tokens: the link keeps OpenBao's overall answer only.
    assert!(link.get("capabilities").is_none(), "{link}");

    // An admin asks about alice: the same path, with the provider group named.
    let admin = Caller::admin(&app).await;
    let body = json!({"env": "staging", "path": "other/db", "user": "alice", "method": "oidc"});
    let about = ask_why(&app, &admin, body).await;
    assert_eq!(about["capabilities"], json!(["deny"]), "{about}");
    let link = about["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["role"] == DEMO_ROLE)
        .unwrap();
    assert_eq!(link["source"]["provider_group"], DEMO_GROUP);
    assert_eq!(
        link["source"]["openbao_group"],
        format!("crypter-sso-{DEMO_GROUP}")
    );
    assert_eq!(
        link["grants"],
        json!(["allow read, list, create, update, delete on credentials payments/* in *"]),
        "the role's grants, as the role reads"
    );
    // An admin's answer has the role's own capabilities too, from a probe token.
    assert_eq!(link["capabilities"], json!(["deny"]), "{link}");

    // bob may do nothing there, and the answer says so.
    let bob = sso_caller(&app, &idp, "bob").await;
    let why = ask_why(&app, &bob, json!({"env": "staging", "path": "payments/db"})).await;
    assert_eq!(why["capabilities"], json!(["deny"]));
    let bad = bob
        .call(&app, Method::POST, "/access/why", json!({"env": "staging"}))
        .await;
    assert_eq!(bad.status(), 400);
    let bad = bob
        .call(
            &app,
            Method::POST,
            "/access/why",
            json!({"env": "staging", "path": "../x"}),
        )
        .await;
    assert_eq!(bad.status(), 400);
    // bob may not look into alice's identity: OpenBao refuses.
    let body = json!({"env": "staging", "path": "payments/db", "user": "alice", "method": "oidc"});
    let r = bob.call(&app, Method::POST, "/access/why", body).await;
    assert_eq!(r.status(), 403);
}

#[tokio::test]
async fn an_sso_session_keeps_the_session_lifetimes_and_ends_at_logout() {
    let (app, idp) = sso_app().await;
    let (client, info) = sso_login(&app, &idp, "alice").await;
    let info = info.expect("alice logs in");
    // The login role's tokens live 8 h; the session ends no later (or at its own lifetime).
    let ends = time::OffsetDateTime::parse(
        info.ends_at.as_deref().expect("an end"),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let limit =
        time::OffsetDateTime::now_utc() + time::Duration::hours(8) + time::Duration::minutes(1);
    assert!(ends <= limit, "ends at {ends}, after the token's 8 h");
    assert_eq!(
        app.logout(&client, Some(&info.csrf_token)).await.status(),
        204
    );
    assert_eq!(app.whoami(&client).await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_provisioning_freeze_stops_sso_changes_and_its_verification_probes_them() {
    let (app, idp) = sso_app().await;
    let (admin, s) = app.admin().await;
    app.freeze_ok(&admin, &s.csrf_token, "provisioning").await;
    let caller = Caller {
        client: admin.clone(),
        csrf: s.csrf_token.clone(),
    };
    let mapping = format!("/sso/groups/{DEMO_GROUP}");
    let r = caller
        .call(&app, Method::PUT, &mapping, json!({"roles": []}))
        .await;
    assert_eq!(
        r.status(),
        StatusCode::LOCKED,
        "{}",
        r.text().await.unwrap()
    );
    let settings = json!({"label": "Frozen", "discovery_url": idp.issuer, "client_id": "crypter",
        "redirect_uris": [format!("{}{CALLBACK_PATH}", app.addr)]});
    let r = caller
        .call(&app, Method::PUT, "/settings/sso", settings)
        .await;
    assert_eq!(r.status(), StatusCode::LOCKED);

    // Straight at OpenBao with an admin's own token: refused too.
    app.user_with("admin2", "admin2-password-1", &["crypter-admin"])
        .await;
    let token = app.bao_login("admin2", "admin2-password-1").await;
    for (path, body) in [
        (
            format!("identity/group/name/crypter-sso-{DEMO_GROUP}"),
            json!({"policies": ["crypter-admin"]}),
        ),
        (
            "auth/oidc/role/crypter".into(),
            json!({"allowed_redirect_uris": ["http://evil/cb"]}),
        ),
        (
            "auth/oidc/config".into(),
            json!({"oidc_discovery_url": "http://evil"}),
        ),
        (
            "identity/group-alias".into(),
            json!({"name": "x", "mount_accessor": "y", "canonical_id": "z"}),
        ),
    ] {
        assert!(
            !app.bao_allows(&token, Method::POST, &path, &body).await,
            "{path} while frozen"
        );
    }

    let v: crypter_api::Verification = app
        .verify_freeze(&admin, &s.csrf_token)
        .await
        .json()
        .await
        .unwrap();
    for kind in [
        "create external group",
        "alias provider group",
        "configure SSO login role",
    ] {
        let probes: Vec<_> = v.probes.iter().filter(|p| p.operation == kind).collect();
        assert!(!probes.is_empty(), "{kind} is probed");
        assert!(probes.iter().all(|p| p.status == "pass"), "{probes:#?}");
    }
    assert!(v.verified);
}
