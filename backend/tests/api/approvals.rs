//! Approvals against a real OpenBao: a change under a rule waits, the requester's own token
//! cannot go around it straight at OpenBao, nobody approves their own request, the last
//! approval carries the change out as the carrier, whose policy reaches the ruled
//! environment only; a change made since is a conflict; bad rules and votes are clear
//! errors that change nothing.

use crate::helpers::*;
use crypter_api::{ApprovalRequest, ApprovalRule, RequestOpened, RequestState};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const PW: &str = "approvals-Passw0rd-1";

/// A writer role on production, a requester holding it, and an approver (an admin).
struct Setup {
    app: TestApp,
    admin: Caller,
    requester: Caller,
    approver: Caller,
}

async fn setup() -> Setup {
    let app = spawn_app().await;
    let admin = Caller::admin(&app).await;
    let grants = json!([{"environment": "production", "scope": "*",
        "capabilities": ["read", "list", "create", "update", "delete"], "effect": "allow"}]);
    admin.role_with(&app, "writer", "human", grants).await;
    let requester = Caller::new_user(&app, "req", PW, &["crypter-role-writer"]).await;
    let approver = Caller::new_user(&app, "appr", PW, &["crypter-admin"]).await;
    app.bao
        .write(
            "env/production/data/app/key",
            &app.root,
            &json!({"data": {"v": "before"}}),
        )
        .await
        .unwrap();
    Setup {
        app,
        admin,
        requester,
        approver,
    }
}

impl Setup {
    async fn rule(&self, body: Value) -> reqwest::Response {
        self.admin
            .call(
                &self.app,
                Method::PUT,
                "/environments/production/approvals",
                body,
            )
            .await
    }

    /// Production's rule, as `GET …/approvals` shows it.
    async fn current_rule(&self) -> ApprovalRule {
        let path = "/environments/production/approvals";
        let r = self
            .admin
            .call(&self.app, Method::GET, path, json!(null))
            .await;
        serde_json::from_value(expect_status(r, StatusCode::OK).await).unwrap()
    }

    async fn value(&self) -> String {
        let v = self
            .app
            .bao
            .read("env/production/data/app/key", &self.app.root)
            .await
            .unwrap()
            .unwrap();
        v["data"]["data"]["v"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    async fn save(&self, who: &Caller, value: &str) -> reqwest::Response {
        let body = json!({"data": {"v": value}, "class": "service", "owner": "t"});
        who.call(
            &self.app,
            Method::PUT,
            "/environments/production/credentials/app/key",
            body,
        )
        .await
    }

    async fn vote(&self, who: &Caller, id: &str, verb: &str) -> reqwest::Response {
        let path = format!("/requests/{id}/{verb}");
        who.call(
            &self.app,
            Method::POST,
            &path,
            json!({"comment": "looked at it"}),
        )
        .await
    }
}

async fn opened(r: reqwest::Response) -> ApprovalRequest {
    let v = expect_status(r, StatusCode::ACCEPTED).await;
    serde_json::from_value::<RequestOpened>(v).unwrap().request
}

#[tokio::test]
async fn a_change_under_a_rule_waits_and_only_another_approver_carries_it_out() {
    let s = setup().await;
    let app = &s.app;
    let r = s
        .rule(json!({"required": 1, "approvers": ["appr", "req"]}))
        .await;
    let rule: ApprovalRule =
        serde_json::from_value(expect_status(r, StatusCode::OK).await).unwrap();
    assert_eq!((rule.required, rule.set_by.as_deref()), (1, Some("admin")));

    let request = opened(s.save(&s.requester, "after").await).await;
    assert_eq!(request.state, RequestState::Pending);
    assert_eq!(request.base_version, Some(1));
    assert_eq!(
        s.value().await,
        "before",
        "nothing is written before approval"
    );
    let listed = s
        .requester
        .call(app, Method::GET, "/requests", json!(null))
        .await;
    let text = listed.text().await.unwrap();
    assert!(
        text.contains(&request.id) && !text.contains("after"),
        "{text}"
    );

    // Straight at OpenBao, with the requester's own token.
    let token = app.bao_login("req", PW).await;
    let direct = json!({"data": {"v": "around"}});
    assert_eq!(
        app.bao_status(
            &token,
            Method::POST,
            "env/production/data/app/key",
            direct.clone()
        )
        .await,
        403,
        "the requester's role no longer writes production"
    );
    assert_eq!(
        app.bao_status(&token, Method::POST, "env/staging/data/app/key", direct)
            .await,
        403,
        "(nor staging, which it never could)"
    );
    let me = app.entity_of(&token).await;
    let own_vote = format!(
        "crypter/data/approvals/votes/production/{me}/{}/{me}",
        request.id
    );
    let vote = json!({"data": {"approve": true}});
    assert_eq!(
        app.bao_status(&token, Method::POST, &own_vote, vote.clone())
            .await,
        403
    );
    let others = "crypter/data/approvals/requests/0000-someone-else/0123456789abcdef";
    assert_eq!(
        app.bao_status(&token, Method::POST, others, vote).await,
        403
    );
    // Through Crypter: the requester is in the approver group, and still refused.
    let r = s.vote(&s.requester, &request.id, "approve").await;
    assert_eq!(
        r.status(),
        StatusCode::FORBIDDEN,
        "{}",
        r.text().await.unwrap()
    );

    let started = std::time::Instant::now();
    let r = s.vote(&s.approver, &request.id, "approve").await;
    let done: ApprovalRequest =
        serde_json::from_value(expect_status(r, StatusCode::OK).await).unwrap();
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
    assert_eq!(done.state, RequestState::Applied, "{done:?}");
    assert_eq!(done.applied_version, Some(2));
    assert_eq!(s.value().await, "after");
    assert_eq!(done.votes.len(), 1);
    assert_eq!(done.votes[0].by, "appr");
    let r = s.vote(&s.approver, &request.id, "approve").await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(
        bypassed(&s).await.is_empty(),
        "the carrier's write was approved"
    );
    // The change's activity entry names who asked and who approved.
    let want = format!(
        "requested by req, approved by appr (request {})",
        request.id
    );
    eventually(
        "the carried-out write in the feed",
        std::time::Duration::from_secs(10),
        || async {
            let page: crypter_api::ActivityPage = app
                .get_json(&s.admin.client, "/activity?action=credential.write")
                .await;
            page.events
                .into_iter()
                .find(|e| e.detail.as_deref() == Some(want.as_str()))
                .map(|e| assert_eq!(e.actor, "approle:crypter-carrier"))
        },
    )
    .await;
}

/// What `GET …/approvals/bypassed` lists: (actor, target) of each write.
async fn bypassed(s: &Setup) -> Vec<(String, String)> {
    let r = s
        .admin
        .call(
            &s.app,
            Method::GET,
            "/environments/production/approvals/bypassed",
            json!(null),
        )
        .await;
    let v: crypter_api::BypassedWrites =
        serde_json::from_value(expect_status(r, StatusCode::OK).await).unwrap();
    assert!(v.since.is_some());
    v.writes.into_iter().map(|w| (w.actor, w.target)).collect()
}

#[tokio::test]
async fn the_carrier_writes_the_ruled_environments_and_nothing_else() {
    let s = setup().await;
    let app = &s.app;
    let r = s.rule(json!({"required": 1, "approvers": ["appr"]})).await;
    expect_status(r, StatusCode::OK).await;
    let creds = app.creds.carrier.clone().expect("carrier credentials");
    let token = creds.login(&app.bao).await.unwrap();
    let body = json!({"data": {"v": "x"}});
    for (path, want) in [
        ("env/production/data/carrier-probe", 200),
        ("env/staging/data/carrier-probe", 403),
        ("crypter/data/approvals/outcomes/0123456789abcdef", 403),
        ("crypter/data/approvals/rules/production", 403),
        ("sys/policies/acl/crypter-carrier", 403),
    ] {
        assert_eq!(
            app.bao_status(&token, Method::POST, path, body.clone())
                .await,
            want,
            "{path}"
        );
    }
}

#[tokio::test]
async fn a_credential_changed_since_the_request_is_a_conflict_left_as_it_is() {
    let s = setup().await;
    let app = &s.app;
    expect_status(
        s.rule(json!({"required": 1, "approvers": ["appr"]})).await,
        StatusCode::OK,
    )
    .await;
    let request = opened(s.save(&s.requester, "after").await).await;
    // An admin keeps their rights and writes straight in OpenBao meanwhile.
    app.bao
        .write(
            "env/production/data/app/key",
            &app.root,
            &json!({"data": {"v": "meanwhile"}}),
        )
        .await
        .unwrap();
    let r = s.vote(&s.approver, &request.id, "approve").await;
    let done: ApprovalRequest =
        serde_json::from_value(expect_status(r, StatusCode::OK).await).unwrap();
    assert_eq!(done.state, RequestState::Conflict, "{done:?}");
    assert!(done.outcome.unwrap().contains("version 2, not 1"));
    assert_eq!(s.value().await, "meanwhile");
    let listed = bypassed(&s).await;
    assert_eq!(
        listed,
        [("root".to_owned(), "production/app/key".to_owned())],
        "the admin's write straight at OpenBao went around the rule"
    );

    // A rejection closes a request: nothing written, no more votes.
    let request = opened(s.save(&s.requester, "again").await).await;
    let r = s.vote(&s.approver, &request.id, "reject").await;
    let closed: ApprovalRequest =
        serde_json::from_value(expect_status(r, StatusCode::OK).await).unwrap();
    assert_eq!(closed.state, RequestState::Rejected);
    let r = s.vote(&s.approver, &request.id, "approve").await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(s.value().await, "meanwhile");
}

#[tokio::test]
async fn bad_rules_and_rule_changes_are_clear_and_change_nothing() {
    let s = setup().await;
    for (body, why) in [
        (json!({"required": 4, "approvers": ["appr"]}), "1 to 3"),
        (
            json!({"required": 2, "approvers": ["appr"]}),
            "nobody could approve",
        ),
        (
            json!({"required": 1, "approvers": ["nobody-here"]}),
            "no user",
        ),
        (
            json!({"required": 1, "approver_role": "no-such-role"}),
            "no role",
        ),
        (
            json!({"required": 1, "approvers": ["appr"], "approver_role": "writer"}),
            "not both",
        ),
        (json!({"required": 1}), "name the approvers"),
        (
            json!({"required": 1, "approvers": ["appr", "appr"]}),
            "twice",
        ),
    ] {
        let r = s.rule(body.clone()).await;
        let text = r.text().await.unwrap();
        assert!(
            text.contains("invalid_approval_rule") && text.contains(why),
            "{body}: {text}"
        );
    }
    let rule = s.current_rule().await;
    assert_eq!(rule.required, 0, "nothing was set");

    // The first rule takes effect at once; removing it is itself a request.
    expect_status(
        s.rule(json!({"required": 1, "approvers": ["appr"]})).await,
        StatusCode::OK,
    )
    .await;
    let request = opened(s.rule(json!({"required": 0})).await).await;
    assert_eq!(request.change.label(), "rule.change");
    let rule = s.current_rule().await;
    assert_eq!(rule.required, 1, "still on until approved");
    let r = s.vote(&s.approver, &request.id, "approve").await;
    let approved: ApprovalRequest =
        serde_json::from_value(expect_status(r, StatusCode::OK).await).unwrap();
    assert_eq!(approved.state, RequestState::Approved);
    let carry = format!("/requests/{}/carry", request.id);
    let r = s
        .approver
        .call(&s.app, Method::POST, &carry, json!({}))
        .await;
    let applied: ApprovalRequest =
        serde_json::from_value(expect_status(r, StatusCode::OK).await).unwrap();
    assert_eq!(applied.state, RequestState::Applied, "{applied:?}");
    // The rule is off: the requester's role writes production again, straight at OpenBao.
    let token = s.app.bao_login("req", PW).await;
    let body = json!({"data": {"v": "direct"}});
    assert_eq!(
        s.app
            .bao_status(&token, Method::POST, "env/production/data/app/key", body)
            .await,
        200
    );
}

/// Random requests, approvals, rejections, expiries and edits made meanwhile: the store
/// changes exactly by the requests that were approved before they expired and whose
/// credential had not changed since; every request ends in the state the model says.
mod props {
    use super::*;
    use crypter::config::Settings;
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestCaseError, TestRunner};
    use std::collections::BTreeMap;

    const PATHS: usize = 3;

    #[derive(Debug, Clone)]
    enum Op {
        Ask {
            path: usize,
        },
        Approve {
            req: usize,
        },
        Reject {
            req: usize,
        },
        /// An admin writes straight at OpenBao (a bypass).
        Edit {
            path: usize,
        },
        /// The clock moves past every open request's expiry.
        Expire,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            5 => (0..PATHS).prop_map(|path| Op::Ask { path }),
            7 => (0..4usize).prop_map(|req| Op::Approve { req }),
            1 => (0..4usize).prop_map(|req| Op::Reject { req }),
            // Often enough that an edit lands between an ask and its approval (a
            // conflict) in most runs of 24 cases.
            4 => (0..PATHS).prop_map(|path| Op::Edit { path }),
            1 => Just(Op::Expire),
        ]
    }

    /// One request as the model sees it.
    struct Asked {
        id: String,
        path: usize,
        value: String,
        base: u64,
        state: RequestState,
    }

    struct World {
        app: TestApp,
        clock: crypter::clock::ManualClock,
        admin: Caller,
        requester: Caller,
        approver: Caller,
        /// Path → (version, value).
        store: BTreeMap<usize, (u64, String)>,
        asked: Vec<Asked>,
        n: usize,
    }

    fn path(i: usize, case: usize) -> String {
        format!("prop/c{case}/p{i}")
    }

    impl World {
        async fn new() -> Self {
            let (clock, shared) = clocked();
            // Sessions end when the clock jumps three days: every case logs in again.
            let settings = Settings {
                login_per_minute: 100_000,
                login_burst: 100_000,
                ..Settings::default()
            };
            let app = spawn_app_clocked(settings, shared).await;
            let admin = Caller::admin(&app).await;
            let grants = json!([{"environment": "production", "scope": "*",
                "capabilities": ["read", "list", "create", "update"], "effect": "allow"}]);
            admin.role_with(&app, "writer", "human", grants).await;
            let requester = Caller::new_user(&app, "req", PW, &["crypter-role-writer"]).await;
            let approver = Caller::new_user(&app, "appr", PW, &["crypter-admin"]).await;
            let rule = json!({"required": 1, "approvers": ["appr"]});
            let r = admin
                .call(
                    &app,
                    Method::PUT,
                    "/environments/production/approvals",
                    rule,
                )
                .await;
            expect_status(r, StatusCode::OK).await;
            Self {
                app,
                clock,
                admin,
                requester,
                approver,
                store: BTreeMap::new(),
                asked: Vec::new(),
                n: 0,
            }
        }

        async fn seed(&mut self, case: usize) {
            self.store.clear();
            self.asked.clear();
            for i in 0..PATHS {
                self.root_write(&path(i, case), "seed").await;
                self.store.insert(i, (1, "seed".into()));
            }
        }

        async fn root_write(&self, p: &str, v: &str) {
            let body = json!({"data": {"v": v}});
            let at = format!("env/production/data/{p}");
            self.app
                .bao
                .write(&at, &self.app.root, &body)
                .await
                .unwrap();
        }

        fn value(&mut self) -> String {
            self.n += 1;
            format!("v{}", self.n)
        }

        async fn run(&mut self, op: &Op, case: usize) -> Result<(), String> {
            match *op {
                Op::Ask { path: i } => {
                    let value = self.value();
                    let body = json!({"data": {"v": value}, "class": "service"});
                    let url = format!("/environments/production/credentials/{}", path(i, case));
                    let r = self
                        .requester
                        .call(&self.app, Method::PUT, &url, body)
                        .await;
                    if r.status() != StatusCode::ACCEPTED {
                        return Err(format!("ask answered {}", r.status()));
                    }
                    let opened: RequestOpened = r.json().await.map_err(|e| e.to_string())?;
                    let base = self.store[&i].0;
                    self.asked.push(Asked {
                        id: opened.request.id,
                        path: i,
                        value,
                        base,
                        state: RequestState::Pending,
                    });
                }
                Op::Approve { req } | Op::Reject { req } => {
                    let approve = matches!(op, Op::Approve { .. });
                    let Some(a) = self.asked.get(req) else {
                        return Ok(());
                    };
                    let verb = if approve { "approve" } else { "reject" };
                    let url = format!("/requests/{}/{verb}", a.id);
                    let r = self
                        .approver
                        .call(&self.app, Method::POST, &url, json!({}))
                        .await;
                    let open = a.state == RequestState::Pending;
                    let want = if open {
                        StatusCode::OK
                    } else {
                        StatusCode::CONFLICT
                    };
                    if r.status() != want {
                        return Err(format!(
                            "{verb} of #{req} ({:?}) answered {}",
                            a.state,
                            r.status()
                        ));
                    }
                    if open {
                        let (version, _) = self.store[&a.path].clone();
                        let a = &mut self.asked[req];
                        a.state = match (approve, version == a.base) {
                            (false, _) => RequestState::Rejected,
                            (true, true) => RequestState::Applied,
                            (true, false) => RequestState::Conflict,
                        };
                        if a.state == RequestState::Applied {
                            let (p, v) = (a.path, a.value.clone());
                            self.store.insert(p, (version + 1, v));
                        }
                    }
                }
                Op::Edit { path: i } => {
                    let value = self.value();
                    self.root_write(&path(i, case), &value).await;
                    let version = self.store[&i].0 + 1;
                    self.store.insert(i, (version, value));
                }
                Op::Expire => {
                    let ttl = crypter::approvals::REQUEST_TTL_HOURS;
                    self.clock
                        .advance(time::Duration::hours(ttl) + time::Duration::minutes(1));
                    for a in &mut self.asked {
                        if a.state == RequestState::Pending {
                            a.state = RequestState::Expired;
                        }
                    }
                    // Sessions end too after three days: log in again.
                    self.admin = Caller::admin(&self.app).await;
                    self.requester = Caller::user(&self.app, "req", PW).await;
                    self.approver = Caller::user(&self.app, "appr", PW).await;
                }
            }
            Ok(())
        }

        async fn check(&self, case: usize) -> Result<(), String> {
            for (i, (version, value)) in &self.store {
                let at = format!("env/production/data/{}", path(*i, case));
                let v = self
                    .app
                    .bao
                    .read(&at, &self.app.root)
                    .await
                    .unwrap()
                    .unwrap();
                let got = (
                    v["data"]["metadata"]["version"].as_u64().unwrap_or(0),
                    v["data"]["data"]["v"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                );
                if got != (*version, value.clone()) {
                    return Err(format!(
                        "p{i}: the store holds {got:?}, the model {:?}",
                        (version, value)
                    ));
                }
            }
            for a in &self.asked {
                let r = self
                    .admin
                    .call(
                        &self.app,
                        Method::GET,
                        &format!("/requests/{}", a.id),
                        json!(null),
                    )
                    .await;
                let shown: ApprovalRequest = r.json().await.map_err(|e| e.to_string())?;
                if shown.state != a.state {
                    return Err(format!(
                        "request {} is {}, the model says {}",
                        a.id, shown.state, a.state
                    ));
                }
            }
            Ok(())
        }
    }

    #[test]
    fn the_store_changes_exactly_by_the_approved_unexpired_unconflicted_requests() {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let world = std::cell::RefCell::new(rt.block_on(World::new()));
        let cases: u32 = std::env::var("CRYPTER_PROPTEST_APPROVAL_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(24);
        let counter = std::cell::Cell::new(0usize);
        let applied = std::cell::Cell::new(0usize);
        let conflicts = std::cell::Cell::new(0usize);
        let expired = std::cell::Cell::new(0usize);
        let mut runner = TestRunner::new(Config {
            cases,
            max_shrink_iters: 16,
            failure_persistence: None,
            ..Config::default()
        });
        let result = runner.run(&prop::collection::vec(op(), 4..14), |ops| {
            let case = counter.get();
            counter.set(case + 1);
            let mut w = world.borrow_mut();
            rt.block_on(async {
                w.seed(case).await;
                for op in &ops {
                    w.run(op, case).await?;
                }
                w.check(case).await
            })
            .map_err(TestCaseError::fail)?;
            let count = |s: RequestState| w.asked.iter().filter(|a| a.state == s).count();
            applied.set(applied.get() + count(RequestState::Applied));
            conflicts.set(conflicts.get() + count(RequestState::Conflict));
            expired.set(expired.get() + count(RequestState::Expired));
            Ok(())
        });
        drop(world);
        result.unwrap();
        eprintln!(
            "{cases} cases: {} applied, {} conflicts, {} expired",
            applied.get(),
            conflicts.get(),
            expired.get()
        );
        // Not vacuous: every outcome happened.
        assert!(applied.get() > 0 && conflicts.get() > 0 && expired.get() > 0);
    }
}

#[tokio::test]
async fn a_full_freeze_holds_an_approved_change_until_the_thaw() {
    let s = setup().await;
    let app = &s.app;
    expect_status(
        s.rule(json!({"required": 1, "approvers": ["appr"]})).await,
        StatusCode::OK,
    )
    .await;
    let request = opened(s.save(&s.requester, "after").await).await;
    let (client, session) = app.admin().await;
    app.freeze_ok(&client, &session.csrf_token, "full").await;
    let r = s.vote(&s.approver, &request.id, "approve").await;
    let held: ApprovalRequest =
        serde_json::from_value(expect_status(r, StatusCode::OK).await).unwrap();
    assert_eq!(held.state, RequestState::Approved);
    assert!(held
        .outcome
        .as_deref()
        .unwrap_or_default()
        .contains("waits for the full freeze"));
    assert_eq!(s.value().await, "before");
    let r = app.thaw(&client, &session.csrf_token, None).await;
    expect_status(r, StatusCode::OK).await;
    let _loop = crypter::approvals::carry::spawn(
        app.state.carrier.clone(),
        std::time::Duration::from_millis(200),
    );
    let done = eventually(
        "carried out after the thaw",
        std::time::Duration::from_secs(15),
        || async {
            let r: ApprovalRequest = app
                .get_json(&s.admin.client, &format!("/requests/{}", request.id))
                .await;
            (r.state == RequestState::Applied).then_some(r)
        },
    )
    .await;
    assert_eq!(done.applied_version, Some(2));
    assert_eq!(s.value().await, "after");
}

#[tokio::test]
async fn a_role_grant_on_a_protected_environment_waits_for_approval() {
    let s = setup().await;
    let app = &s.app;
    expect_status(
        s.rule(json!({"required": 1, "approvers": ["appr"]})).await,
        StatusCode::OK,
    )
    .await;
    // A grant elsewhere goes ahead; a grant on production is a request.
    let staging = json!([{"environment": "staging", "scope": "*", "capabilities": ["read"], "effect": "allow"}]);
    s.admin.role_with(app, "reader", "human", staging).await;
    let on_prod = json!({"name": "reader", "class": "human", "description": "",
        "grants": [{"environment": "production", "scope": "*", "capabilities": ["read"], "effect": "allow"}]});
    let request = opened(
        s.admin
            .call(app, Method::PUT, "/roles/reader", on_prod)
            .await,
    )
    .await;
    assert_eq!(request.change.label(), "role.grant");
    let role: crypter_api::Role = app.get_json(&s.admin.client, "/roles/reader").await;
    assert_eq!(
        role.grants[0].environment.to_string(),
        "staging",
        "unchanged until approved"
    );
    let r = s.vote(&s.approver, &request.id, "approve").await;
    expect_status(r, StatusCode::OK).await;
    let carry = format!("/requests/{}/carry", request.id);
    let r = s.approver.call(app, Method::POST, &carry, json!({})).await;
    let done: ApprovalRequest =
        serde_json::from_value(expect_status(r, StatusCode::OK).await).unwrap();
    assert_eq!(done.state, RequestState::Applied, "{done:?}");
    let role: crypter_api::Role = app.get_json(&s.admin.client, "/roles/reader").await;
    assert_eq!(role.grants[0].environment.to_string(), "production");
    // Carrying out anything else here is refused.
    let r = s.approver.call(app, Method::POST, &carry, json!({})).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
}

#[tokio::test]
async fn a_run_can_require_its_go_no_go_from_the_approver_group() {
    let s = setup().await;
    let app = &s.app;
    let lead = Caller::new_user(app, "lead", PW, &["crypter-admin", "crypter-operator"]).await;
    expect_status(
        s.rule(json!({"required": 1, "approvers": ["lead"]})).await,
        StatusCode::OK,
    )
    .await;
    let start = json!({"template": "store-migration", "title": "approved run",
        "environments": ["production"], "signoff_by_approvers": true});
    let run: crypter_api::Runbook = serde_json::from_value(
        expect_status(
            s.admin.call(app, Method::POST, "/runbooks", start).await,
            StatusCode::CREATED,
        )
        .await,
    )
    .unwrap();
    assert!(run.signoff_by_approvers);
    for step in [
        "announce",
        "freeze",
        "verify-freeze",
        "snapshot",
        "validate",
        "plan",
    ] {
        let url = format!("/runbooks/{}/steps/{step}/skip", run.id);
        let r = s
            .admin
            .call(app, Method::POST, &url, json!({"reason": "a test"}))
            .await;
        expect_status(r, StatusCode::OK).await;
    }
    let signoff = format!("/runbooks/{}/steps/go-no-go/signoff", run.id);
    // The admin (an operator too) is no approver of production: OpenBao says so.
    let r = s.admin.call(app, Method::POST, &signoff, json!({})).await;
    assert_eq!(
        r.status(),
        StatusCode::FORBIDDEN,
        "{}",
        r.text().await.unwrap()
    );
    let r = lead.call(app, Method::POST, &signoff, json!({})).await;
    let signed: crypter_api::Runbook =
        serde_json::from_value(expect_status(r, StatusCode::OK).await).unwrap();
    let gate = signed
        .steps
        .iter()
        .find(|st| st.step.id == "go-no-go")
        .unwrap();
    assert_eq!(gate.signoff.as_ref().map(|so| so.by.as_str()), Some("lead"));
}

#[tokio::test]
async fn a_provisioning_freeze_stops_new_rules() {
    let s = setup().await;
    let app = &s.app;
    let (client, session) = app.admin().await;
    app.freeze_ok(&client, &session.csrf_token, "provisioning")
        .await;
    let r = s.rule(json!({"required": 1, "approvers": ["appr"]})).await;
    let status = r.status();
    let text = r.text().await.unwrap();
    assert!(
        status.is_client_error() && text.contains("frozen"),
        "{status} {text}"
    );
    let r = app.thaw(&client, &session.csrf_token, None).await;
    expect_status(r, StatusCode::OK).await;
    expect_status(
        s.rule(json!({"required": 1, "approvers": ["appr"]})).await,
        StatusCode::OK,
    )
    .await;
}

#[tokio::test]
async fn key_rotation_and_configuration_on_a_protected_environment_wait_for_approval() {
    let s = setup().await;
    let app = &s.app;
    let key = json!({"name": "signer", "key_type": "aes256-gcm96"});
    let r = s
        .admin
        .call(app, Method::POST, "/environments/production/keys", key)
        .await;
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    expect_status(
        s.rule(json!({"required": 1, "approvers": ["appr"]})).await,
        StatusCode::OK,
    )
    .await;
    let latest = || async {
        let v = app
            .bao
            .read("transit/production/keys/signer", &app.root)
            .await
            .unwrap()
            .unwrap();
        (
            v["data"]["latest_version"].as_u64().unwrap(),
            v["data"]["min_decryption_version"].as_u64().unwrap(),
        )
    };
    let rotate = "/environments/production/keys/signer/rotate";
    let request = opened(s.admin.call(app, Method::POST, rotate, json!({})).await).await;
    assert_eq!(
        (request.change.label(), request.base_version),
        ("key.rotate", Some(1))
    );
    assert_eq!(latest().await, (1, 1), "not rotated before the approval");
    let r = s.vote(&s.approver, &request.id, "approve").await;
    let done: ApprovalRequest =
        serde_json::from_value(expect_status(r, StatusCode::OK).await).unwrap();
    assert_eq!(done.state, RequestState::Applied, "{done:?}");
    assert_eq!(latest().await, (2, 1), "the carrier rotated it");

    // A description is no configuration; a minimum version is.
    let path = "/environments/production/keys/signer";
    let r = s
        .admin
        .call(app, Method::PATCH, path, json!({"description": "d"}))
        .await;
    expect_status(r, StatusCode::OK).await;
    let body = json!({"min_decryption_version": 2});
    let request = opened(s.admin.call(app, Method::PATCH, path, body).await).await;
    assert_eq!(request.change.label(), "key.configure");
    expect_status(
        s.vote(&s.approver, &request.id, "approve").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        latest().await,
        (2, 1),
        "an admin carries a configuration out"
    );
    let carry = format!("/requests/{}/carry", request.id);
    let r = s.approver.call(app, Method::POST, &carry, json!({})).await;
    let done: ApprovalRequest =
        serde_json::from_value(expect_status(r, StatusCode::OK).await).unwrap();
    assert_eq!(done.state, RequestState::Applied, "{done:?}");
    assert_eq!(latest().await, (2, 2));
}
