//! The route table against a real OpenBao: what it declares about each route holds in
//! the policies.

use crate::helpers::spawn_app;
use crypter::freeze::glob::Pattern;
use crypter::routes::table::{routes, Callers};
use crypter_api::CSRF_HEADER;
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
    checked: std::collections::BTreeSet<&'static str>,
    vars: std::collections::BTreeMap<String, String>,
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
        // An SSO login's authorization URL: OpenBao keeps its state in memory only.
        "auth/+/oidc/auth_url",
    ];
    computing.iter().any(|c| Pattern::new(c).matches(path))
}

impl Tour {
    async fn new() -> Self {
        // The approvals part logs in as the approver and back again, often.
        let app = crate::helpers::spawn_app_with(crypter::config::Settings {
            login_per_minute: 1_000,
            login_burst: 1_000,
            ..crypter::config::Settings::default()
        })
        .await;
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
            checked: std::collections::BTreeSet::new(),
            vars: std::collections::BTreeMap::new(),
            undeclared: Vec::new(),
            writes_seen: 0,
        };
        tour.writes();
        tour
    }

    /// The writes logged since the last call, by anyone but the backend's own identity and
    /// the carrier (approved changes are its writes, not the caller's).
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
                !policies
                    .iter()
                    .any(|p| p == "crypter-backend" || p == "crypter-carrier")
            })
            .map(|e| e["request"]["path"].as_str().unwrap_or_default().to_owned())
            .filter(|p| !computes_only(p))
            .collect()
    }

    /// One step, `METHOD /path module::handler {json body}`, with `{name}` replaced by
    /// what an earlier answer gave (`id`, `accessor`, `plan_hash`) or the test set. Calls
    /// the route and checks every OpenBao write it made is one the table declares.
    async fn step(&mut self, line: &str) {
        let mut text = line.to_owned();
        for (name, value) in &self.vars {
            text = text.replace(&format!("{{{name}}}"), value);
        }
        let mut parts = text.splitn(4, ' ');
        let (Some(method), Some(path), Some(route), Some(body)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            panic!("a step is METHOD /path route body: {line}");
        };
        let entry = routes().into_iter().find(|r| r.name == route).unwrap();
        let body: Value = serde_json::from_str(body).unwrap();
        let resp = self
            .client
            .request(method.parse().unwrap(), self.app.url(path))
            .header(CSRF_HEADER, &self.csrf)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = resp.status();
        let answer: Value = resp.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "{line}: {status} {answer}");
        if let Some(job) = answer["job_id"].as_str() {
            self.app.wait_job(&self.client, job).await;
        }
        for name in ["id", "accessor", "plan_hash"] {
            if let Some(v) = answer[name].as_str() {
                self.vars.insert(name.to_owned(), v.to_owned());
            }
        }
        if let Some(v) = answer["request"]["id"].as_str() {
            self.vars.insert("request_id".into(), v.to_owned());
        }
        if let Some(csrf) = answer["csrf_token"].as_str() {
            self.csrf = csrf.to_owned();
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
        self.checked.insert(entry.name);
    }
}

/// The tour: every route that writes, but the lock's, the templates' and a job's resume,
/// the migration's machinery included (upload, plan and apply a changeset; walk a
/// runbook's first steps under its own freeze).
const STEPS: &[&str] = &[
    r#"POST /environments environments::create {"name": "tour", "description": "route tour", "protected": false}"#,
    r#"PATCH /environments/tour environments::update {"description": "d"}"#,
    r#"PUT /environments/tour/credentials/app/db credentials::put {"data": {"password": "one"}, "class": "service"}"#,
    r#"PUT /environments/tour/credentials/app/db credentials::put {"data": {"password": "two"}}"#,
    r#"POST /environments/tour/credentials/app/db/reveal credentials::action {}"#,
    r#"POST /environments/tour/credentials/app/db/rollback credentials::action {"version": 1}"#,
    r#"POST /promote compare::promote {"from": "tour", "to": "staging", "path": "app/db", "overwrite": true}"#,
    r#"DELETE /environments/tour/credentials/app/db credentials::delete {}"#,
    r#"POST /environments/tour/credentials/app/db/undelete credentials::action {"versions": [3]}"#,
    r#"POST /environments/tour/credentials/app/db/destroy credentials::action {"versions": [1]}"#,
    r#"POST /environments/tour/keys keys::create {"name": "k", "key_type": "aes256-gcm96"}"#,
    r#"PATCH /environments/tour/keys/k keys::update {"description": "d"}"#,
    r#"POST /environments/tour/keys/k/rotate keys::action {}"#,
    r#"POST /environments/tour/keys/k/encrypt keys::action {"plaintext": "aGk="}"#,
    r#"POST /environments/tour/keys/k/scan keys::action {"prefix": "", "field": "password"}"#,
    r#"POST /roles roles::create {"name": "tour-bot", "class": "e2e", "description": "tour", "grants": {grants}}"#,
    r#"PUT /roles/tour-bot roles::update {"name": "tour-bot", "class": "e2e", "description": "t", "grants": {grants}}"#,
    r#"POST /roles/tour-bot/policy/preview roles::preview {"name": "tour-bot", "class": "e2e", "description": "", "grants": []}"#,
    r#"POST /roles/tour-bot/check roles::check {"environment": "tour", "path": "app/db"}"#,
    r#"POST /roles/tour-bot/secret-ids roles::issue_secret_id {}"#,
    r#"POST /identities/check identities::check {}"#,
    r#"DELETE /roles/tour-bot/secret-ids/{accessor} roles::revoke_secret_id {}"#,
    r#"POST /users users::create {"name": "tourist", "password": "a long tour password", "roles": ["tour-bot"]}"#,
    r#"PUT /users/tourist users::set_roles {"roles": []}"#,
    r#"DELETE /users/tourist users::delete {}"#,
    r#"PUT /settings/auth users::put_auth_settings {"deprecated_methods": []}"#,
    // Single sign-on, against the tour's own local identity provider.
    r#"PUT /settings/sso sso::put_settings {"label": "Tour SSO", "discovery_url": "{idp}", "client_id": "crypter", "client_secret": "{idp_secret}", "redirect_uris": ["{callback}"]}"#,
    r#"PUT /sso/groups/tour-group sso::put_group {"roles": ["tour-bot"]}"#,
    r#"POST /access/why sso::explain {"env": "tour", "path": "app/db", "user": "admin", "method": "userpass"}"#,
    r#"DELETE /sso/groups/tour-group sso::delete_group {}"#,
    r#"DELETE /roles/tour-bot roles::delete {}"#,
    r#"PUT /freeze freeze::freeze {"level": "full", "reason": "tour"}"#,
    r#"POST /freeze/verify freeze::verify {}"#,
    r#"DELETE /freeze freeze::thaw {}"#,
    r#"PATCH /environments/tour/keys/k keys::update {"deletion_allowed": true, "reason": "route tour"}"#,
    r#"DELETE /environments/tour/keys/k keys::delete {}"#,
    r#"POST /environments environments::create {"name": "tour-empty", "description": "", "protected": false}"#,
    r#"DELETE /environments/tour-empty environments::delete {}"#,
    r#"POST /changesets changesets::upload {"toml": {setup}}"#,
    r#"POST /changesets/plan changesets::plan {}"#,
    r#"POST /changesets/apply changesets::apply {"plan_hash": "{plan_hash}"}"#,
    r#"POST /changesets/001-setup/undo changesets::undo {}"#,
    r#"POST /changesets/apply changesets::apply {"plan_hash": "{plan_hash}"}"#,
    r#"POST /environments/staging/restore-points restore_points::create {"name": "tour"}"#,
    r#"POST /environments/staging/restore-points/tour/restore restore_points::restore {}"#,
    r#"POST /changesets/apply changesets::apply {"plan_hash": "{plan_hash}"}"#,
    r#"DELETE /environments/staging/restore-points/tour restore_points::delete {}"#,
    r#"POST /notifications/subscriptions notifications::create {"name": "tour", "target": {"kind": "webhook", "url": "https://hooks.example.com/tour"}, "environments": ["staging"], "actions": ["credential.write"]}"#,
    r#"DELETE /notifications/subscriptions/{id} notifications::delete {}"#,
    r#"POST /runbooks runbooks::start {"template": "store-migration", "title": "tour", "environments": ["qa"]}"#,
    r#"POST /runbooks/{id}/steps/announce/skip runbooks::step_action {"reason": "tour"}"#,
    r#"POST /runbooks/{id}/steps/freeze/run runbooks::step_action {}"#,
    r#"POST /runbooks/{id}/steps/verify-freeze/run runbooks::step_action {}"#,
    r#"POST /runbooks/{id}/notes runbooks::note {"note": "tour"}"#,
    r#"POST /runbooks/{id}/incidents runbooks::open_incident {"title": "slow", "severity": "low", "user_impact": "none", "status": "open"}"#,
    r#"PATCH /runbooks/{id}/incidents/1 runbooks::update_incident {"status": "resolved"}"#,
    r#"POST /runbooks/{id}/abort runbooks::abort {"reason": "tour"}"#,
    r#"DELETE /freeze freeze::thaw {}"#,
    // Approvals: an approver who has logged in once, a rule, a change that becomes a
    // request, its approval (the carrier writes), a rejection, and a rule change carried
    // out by an admin.
    r#"POST /users users::create {"name": "tour-approver", "password": "a long approver password", "roles": []}"#,
    r#"POST /session session::login {"method": "userpass", "username": "tour-approver", "password": "a long approver password"}"#,
    r#"POST /session session::login {"method": "userpass", "username": "admin", "password": "{password}"}"#,
    r#"POST /environments/tour/keys keys::create {"name": "k2", "key_type": "aes256-gcm96"}"#,
    r#"PUT /environments/tour/approvals approvals::set_rule {"required": 1, "approvers": ["tour-approver"]}"#,
    r#"PUT /environments/tour/credentials/app/db credentials::put {"data": {"password": "three"}}"#,
    r#"POST /session session::login {"method": "userpass", "username": "tour-approver", "password": "a long approver password"}"#,
    r#"POST /requests/{request_id}/approve approvals::approve {"comment": "tour"}"#,
    r#"POST /session session::login {"method": "userpass", "username": "admin", "password": "{password}"}"#,
    r#"POST /environments/tour/keys/k2/rotate keys::action {}"#,
    r#"POST /session session::login {"method": "userpass", "username": "tour-approver", "password": "a long approver password"}"#,
    r#"POST /requests/{request_id}/reject approvals::reject {"comment": "not now"}"#,
    r#"POST /session session::login {"method": "userpass", "username": "admin", "password": "{password}"}"#,
    r#"PUT /environments/tour/approvals approvals::set_rule {"required": 0}"#,
    r#"POST /session session::login {"method": "userpass", "username": "tour-approver", "password": "a long approver password"}"#,
    r#"POST /requests/{request_id}/approve approvals::approve {}"#,
    r#"POST /session session::login {"method": "userpass", "username": "admin", "password": "{password}"}"#,
    r#"POST /requests/{request_id}/carry approvals::carry {}"#,
    r#"POST /session session::login {"method": "userpass", "username": "admin", "password": "{password}"}"#,
    r#"DELETE /session session::logout {}"#,
];

/// The table's declarations hold: every write a route makes in OpenBao (as OpenBao's audit
/// log records it) is one its entry declares, so the freeze's early refusal, derived from
/// those declarations, sees what the route really does.
#[tokio::test]
async fn every_write_a_route_makes_is_one_it_declares() {
    let mut t = Tour::new().await;
    let grants = json!([{"environment": "tour", "scope": "app/*", "capabilities": ["read"], "effect": "allow"}]);
    t.vars.insert("grants".into(), grants.to_string());
    let setup = serde_json::to_string(crate::changesets::SETUP).unwrap();
    t.vars.insert("setup".into(), setup);
    t.vars
        .insert("password".into(), crate::helpers::ADMIN_PASSWORD.into());
    let callback = format!("{}{}", t.app.addr, crypter::sso::CALLBACK_PATH);
    let idp = crypter::embedded::idp::LocalIdp::start(std::slice::from_ref(&callback))
        .await
        .expect("the tour's identity provider");
    t.vars.insert("idp".into(), idp.issuer.clone());
    t.vars
        .insert("idp_secret".into(), idp.client_secret.clone());
    t.vars.insert("callback".into(), callback);
    for line in STEPS {
        t.step(line).await;
    }
    assert!(
        t.undeclared.is_empty(),
        "writes the route table does not declare:\n{}",
        t.undeclared.join("\n")
    );
    // Every route that writes was called, but these three.
    let skipped = [
        "changesets::break_lock",
        "runbooks::upload_template",
        "jobs::resume",
    ];
    for route in routes() {
        let writes = !route.all_writes().is_empty();
        if writes && !skipped.contains(&route.name) {
            assert!(
                t.checked.contains(route.name),
                "{} was not called",
                route.name
            );
        }
    }
    // The audit log was read: the calls made writes, and each was checked.
    assert!(t.writes_seen >= 60, "only {} writes seen", t.writes_seen);
}
