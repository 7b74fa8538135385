//! The route table against a real OpenBao: what it declares about each route holds in
//! the policies.

use crate::helpers::spawn_app;
use crypter::freeze::glob::Pattern;
use crypter::routes::table::{routes, Callers};
use crypter_api::CSRF_HEADER;
use reqwest::Method;
use serde_json::{json, Value};

/// A concrete path inside a declared pattern (`+` and a trailing `*` become a name).
fn inside(pattern: &str) -> String {
    pattern
        .split('/')
        .map(|s| if s == "+" || s == "*" { "x" } else { s })
        .collect::<Vec<_>>()
        .join("/")
}

/// A route marked for operators is never refused early by a freeze: that is only sound
/// if OpenBao refuses what it writes to everyone else. Asked of OpenBao for a token of
/// the admins' policy, which no operator right comes with.
#[tokio::test]
async fn what_an_operators_route_writes_is_refused_to_an_admin_by_openbao() {
    let app = spawn_app().await;
    let admin = app.token_with(&["crypter-admin", "default"]).await;
    let operator = app.token_with(&["crypter-operator", "default"]).await;
    let writes = ["create", "update", "delete"];
    let mut checked = 0;
    for route in routes()
        .into_iter()
        .filter(|r| r.callers == Callers::Operators)
    {
        // (`*`: the freeze's probes, which try every frozen path and must be refused;
        // logins need no capability.)
        let paths: Vec<String> = route
            .all_writes()
            .iter()
            .filter(|p| **p != "*" && !p.contains("/login"))
            .map(|p| inside(p))
            .collect();
        let may = |token: &secrecy::SecretString, path: &String| {
            let (bao, root, path) = (app.bao.clone(), app.root.clone(), path.clone());
            let token = secrecy::ExposeSecret::expose_secret(token).to_owned();
            async move {
                let v = bao
                    .write(
                        "sys/capabilities",
                        &root,
                        &json!({"token": token, "paths": [path]}),
                    )
                    .await
                    .unwrap()
                    .unwrap();
                let caps: Vec<String> =
                    serde_json::from_value(v["data"][&path].clone()).unwrap_or_default();
                caps.iter()
                    .any(|c| writes.contains(&c.as_str()) || c == "root")
            }
        };
        let mut refused_to_admin = Vec::new();
        for path in &paths {
            if !may(&admin, path).await {
                refused_to_admin.push(path.clone());
            }
        }
        assert!(
            !refused_to_admin.is_empty(),
            "{}: an admin may write all of {paths:?}, so a freeze must refuse it early",
            route.name
        );
        // And the operators may write them: the route is theirs.
        for path in &refused_to_admin {
            assert!(
                may(&operator, path).await,
                "{}: operators may not write {path}",
                route.name
            );
        }
        checked += 1;
    }
    assert!(checked >= 10, "only {checked} operators' routes");
}

/// Calls routes as the bootstrap admin and reads, from OpenBao's own audit log, every write
/// each call made with the caller's token.
struct Tour {
    app: crate::helpers::TestApp,
    client: reqwest::Client,
    csrf: String,
    log: std::path::PathBuf,
    seen: usize,
    checked: Vec<&'static str>,
    undeclared: Vec<String>,
    writes_seen: usize,
}

/// OpenBao operations that are `update`s on the wire but store nothing: they compute.
fn computes_only(path: &str) -> bool {
    let computing = [
        "sys/capabilities",
        "sys/capabilities-self",
        "transit/+/encrypt/+",
        "transit/+/decrypt/+",
        "transit/+/rewrap/+",
        "transit/+/sign/*",
        "transit/+/verify/*",
        "transit/+/hmac/*",
        "auth/+/role/+/secret-id-accessor/lookup",
        "auth/token/lookup",
    ];
    computing.iter().any(|c| Pattern::new(c).matches(path))
}

impl Tour {
    async fn new() -> Self {
        let app = spawn_app().await;
        let log = app
            .bao_process
            .as_ref()
            .unwrap()
            .audit_log()
            .unwrap()
            .to_owned();
        let (client, s) = app.admin().await;
        let mut tour = Tour {
            app,
            client,
            csrf: s.csrf_token,
            log,
            seen: 0,
            checked: Vec::new(),
            undeclared: Vec::new(),
            writes_seen: 0,
        };
        tour.writes();
        tour
    }

    /// The writes logged since the last call, by anyone but the backend's own identity.
    fn writes(&mut self) -> Vec<String> {
        let text = std::fs::read_to_string(&self.log).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let new = lines[self.seen..].to_vec();
        self.seen = lines.len();
        new.iter()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|e| e["type"] == "request")
            .filter(|e| {
                let op = e["request"]["operation"].as_str().unwrap_or_default();
                ["create", "update", "delete"].contains(&op)
            })
            .filter(|e| {
                let policies = e["auth"]["policies"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                !policies.iter().any(|p| p == "crypter-backend")
            })
            .map(|e| e["request"]["path"].as_str().unwrap_or_default().to_owned())
            .filter(|p| !computes_only(p))
            .collect()
    }

    /// Call `route` and check every OpenBao write it made is one the table declares.
    async fn call(
        &mut self,
        route: &'static str,
        method: Method,
        path: &str,
        body: Value,
    ) -> Value {
        let entry = routes().into_iter().find(|r| r.name == route).unwrap();
        let resp = self
            .client
            .request(method, self.app.url(path))
            .header(CSRF_HEADER, &self.csrf)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = resp.status();
        let answer: Value = resp.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "{route} {path}: {status} {answer}");
        if let Some(job) = answer["job_id"].as_str() {
            self.app.wait_job(&self.client, job).await;
        }
        let action = path.rsplit('/').next().unwrap_or_default();
        let declared: Vec<Pattern> = entry
            .writes_for(action)
            .iter()
            .map(|p| Pattern::new(p))
            .collect();
        let made = self.writes();
        self.writes_seen += made.len();
        for write in made {
            if !declared.iter().any(|d| d.matches(&write)) {
                self.undeclared.push(format!("{route} wrote {write}"));
            }
        }
        self.checked.push(route);
        answer
    }
}

/// The table's declarations hold: every write a route makes in OpenBao (as OpenBao's audit
/// log records it) is one its entry declares, so the freeze's early refusal, derived from
/// those declarations, sees what the route really does.
#[tokio::test]
async fn every_write_a_route_makes_is_one_it_declares() {
    let mut t = Tour::new().await;
    let (get, post, put, patch, delete) = (
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
    );
    let env = json!({"name": "tour", "description": "route tour", "protected": false});
    t.call("environments::create", post.clone(), "/environments", env)
        .await;
    t.call(
        "environments::update",
        patch.clone(),
        "/environments/tour",
        json!({"description": "d"}),
    )
    .await;
    let cred = "/environments/tour/credentials/app/db";
    t.call(
        "credentials::put",
        put.clone(),
        cred,
        json!({"data": {"password": "one"}, "class": "service"}),
    )
    .await;
    t.call(
        "credentials::put",
        put.clone(),
        cred,
        json!({"data": {"password": "two"}}),
    )
    .await;
    t.call(
        "credentials::action",
        post.clone(),
        &format!("{cred}/reveal"),
        json!({}),
    )
    .await;
    t.call(
        "credentials::action",
        post.clone(),
        &format!("{cred}/rollback"),
        json!({"version": 1}),
    )
    .await;
    let promote = json!({"from": "tour", "to": "staging", "path": "app/db", "overwrite": true});
    t.call("compare::promote", post.clone(), "/promote", promote)
        .await;
    t.call("credentials::delete", delete.clone(), cred, json!({}))
        .await;
    t.call(
        "credentials::action",
        post.clone(),
        &format!("{cred}/undelete"),
        json!({"versions": [3]}),
    )
    .await;
    t.call(
        "credentials::action",
        post.clone(),
        &format!("{cred}/destroy"),
        json!({"versions": [1]}),
    )
    .await;
    let keys = "/environments/tour/keys";
    t.call(
        "keys::create",
        post.clone(),
        keys,
        json!({"name": "k", "key_type": "aes256-gcm96"}),
    )
    .await;
    t.call(
        "keys::update",
        patch.clone(),
        &format!("{keys}/k"),
        json!({"description": "d"}),
    )
    .await;
    t.call(
        "keys::action",
        post.clone(),
        &format!("{keys}/k/rotate"),
        json!({}),
    )
    .await;
    t.call(
        "keys::action",
        post.clone(),
        &format!("{keys}/k/encrypt"),
        json!({"plaintext": "aGk="}),
    )
    .await;
    t.call(
        "keys::action",
        post.clone(),
        &format!("{keys}/k/scan"),
        json!({"prefix": "", "field": "password"}),
    )
    .await;
    let grant = json!([{"environment": "tour", "scope": "app/*", "capabilities": ["read"], "effect": "allow"}]);
    let role = json!({"name": "tour-bot", "class": "e2e", "description": "tour", "grants": grant});
    t.call("roles::create", post.clone(), "/roles", role.clone())
        .await;
    t.call("roles::update", put.clone(), "/roles/tour-bot", role)
        .await;
    t.call(
        "roles::preview",
        post.clone(),
        "/roles/tour-bot/policy/preview",
        json!({"name": "tour-bot", "class": "e2e", "description": "", "grants": []}),
    )
    .await;
    t.call(
        "roles::check",
        post.clone(),
        "/roles/tour-bot/check",
        json!({"environment": "tour", "path": "app/db"}),
    )
    .await;
    let issued = t
        .call(
            "roles::issue_secret_id",
            post.clone(),
            "/roles/tour-bot/secret-ids",
            json!({}),
        )
        .await;
    t.call(
        "identities::check",
        post.clone(),
        "/identities/check",
        json!({}),
    )
    .await;
    let accessor = issued["accessor"].as_str().unwrap().to_owned();
    t.call(
        "roles::revoke_secret_id",
        delete.clone(),
        &format!("/roles/tour-bot/secret-ids/{accessor}"),
        json!({}),
    )
    .await;
    let user =
        json!({"name": "tourist", "password": "a long tour password", "roles": ["tour-bot"]});
    t.call("users::create", post.clone(), "/users", user).await;
    t.call(
        "users::set_roles",
        put.clone(),
        "/users/tourist",
        json!({"roles": []}),
    )
    .await;
    t.call("users::delete", delete.clone(), "/users/tourist", json!({}))
        .await;
    t.call(
        "users::put_auth_settings",
        put.clone(),
        "/settings/auth",
        json!({"deprecated_methods": []}),
    )
    .await;
    t.call(
        "roles::delete",
        delete.clone(),
        "/roles/tour-bot",
        json!({}),
    )
    .await;
    t.call(
        "freeze::freeze",
        put.clone(),
        "/freeze",
        json!({"level": "full", "reason": "tour"}),
    )
    .await;
    t.call("freeze::verify", post.clone(), "/freeze/verify", json!({}))
        .await;
    t.call("freeze::thaw", delete.clone(), "/freeze", json!({}))
        .await;
    let deletable = json!({"deletion_allowed": true, "reason": "route tour"});
    t.call(
        "keys::update",
        patch.clone(),
        &format!("{keys}/k"),
        deletable,
    )
    .await;
    t.call(
        "keys::delete",
        delete.clone(),
        &format!("{keys}/k"),
        json!({}),
    )
    .await;
    let empty = json!({"name": "tour-empty", "description": "", "protected": false});
    t.call("environments::create", post.clone(), "/environments", empty)
        .await;
    t.call(
        "environments::delete",
        delete.clone(),
        "/environments/tour-empty",
        json!({}),
    )
    .await;
    let login = json!({"method": "userpass", "username": "admin", "password": crate::helpers::ADMIN_PASSWORD});
    let session = t
        .call("session::login", post.clone(), "/session", login)
        .await;
    t.csrf = session["csrf_token"].as_str().unwrap().to_owned();
    t.call("session::logout", delete, "/session", json!({}))
        .await;
    let _ = get;
    assert!(
        t.undeclared.is_empty(),
        "writes the route table does not declare:\n{}",
        t.undeclared.join("\n")
    );
    assert!(t.checked.len() >= 30, "{:?}", t.checked);
    // The audit log was read: the tour's routes made writes, and each was checked.
    assert!(t.writes_seen >= 40, "only {} writes seen", t.writes_seen);
}

/// The same for the migration's machinery, which an operator runs under its own freeze:
/// upload, plan and apply a changeset, break a lock, and walk a runbook's first steps.
#[tokio::test]
async fn every_write_the_migrations_routes_make_is_one_they_declare() {
    let mut t = Tour::new().await;
    let (post, patch, delete) = (Method::POST, Method::PATCH, Method::DELETE);
    let setup = crate::changesets::SETUP;
    t.call(
        "changesets::upload",
        post.clone(),
        "/changesets",
        json!({"toml": setup}),
    )
    .await;
    let plan = t
        .call(
            "changesets::plan",
            post.clone(),
            "/changesets/plan",
            json!({}),
        )
        .await;
    let hash = plan["plan_hash"].as_str().unwrap().to_owned();
    t.call(
        "changesets::apply",
        post.clone(),
        "/changesets/apply",
        json!({"plan_hash": hash}),
    )
    .await;
    let start = json!({"template": "store-migration", "title": "tour", "environments": ["qa"]});
    let run = t
        .call("runbooks::start", post.clone(), "/runbooks", start)
        .await;
    let id = run["id"].as_str().unwrap().to_owned();
    let steps = format!("/runbooks/{id}/steps");
    t.call(
        "runbooks::step_action",
        post.clone(),
        &format!("{steps}/announce/skip"),
        json!({"reason": "tour"}),
    )
    .await;
    t.call(
        "runbooks::step_action",
        post.clone(),
        &format!("{steps}/freeze/run"),
        json!({}),
    )
    .await;
    t.call(
        "runbooks::step_action",
        post.clone(),
        &format!("{steps}/verify-freeze/run"),
        json!({}),
    )
    .await;
    t.call(
        "runbooks::note",
        post.clone(),
        &format!("/runbooks/{id}/notes"),
        json!({"note": "tour"}),
    )
    .await;
    let incident =
        json!({"title": "slow", "severity": "low", "user_impact": "none", "status": "open"});
    t.call(
        "runbooks::open_incident",
        post.clone(),
        &format!("/runbooks/{id}/incidents"),
        incident,
    )
    .await;
    t.call(
        "runbooks::update_incident",
        patch,
        &format!("/runbooks/{id}/incidents/1"),
        json!({"status": "resolved"}),
    )
    .await;
    t.call(
        "runbooks::abort",
        post.clone(),
        &format!("/runbooks/{id}/abort"),
        json!({"reason": "tour"}),
    )
    .await;
    t.call("freeze::thaw", delete, "/freeze", json!({})).await;
    assert!(
        t.undeclared.is_empty(),
        "writes the route table does not declare:\n{}",
        t.undeclared.join("\n")
    );
    assert!(t.writes_seen >= 20, "only {} writes seen", t.writes_seen);
}
