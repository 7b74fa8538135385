//! Property tests (proptest) against a real OpenBao: random stores, random changesets.
//!
//! 1. Apply changes the store by exactly the plan's items: plan, snapshot every version's
//!    value and metadata, apply, snapshot again; the second snapshot is what the items do
//!    to the first (worked out by the test's own oracle), so nothing unlisted changed and
//!    no version was lost except by a listed deletion. A plan that is blocked is refused
//!    and changes nothing.
//! 2. A crash at any store write of an apply (the backend SIGKILLs itself there), then an
//!    apply again, ends with the same store as an uninterrupted apply.
//!
//! `CRYPTER_PROPTEST_CASES` sets the cases of the first (200 by default); the second runs
//! `CRYPTER_PROPTEST_KILL_CASES`, or a tenth of that, at least 20 (cases with nothing to
//! kill are rejected and replaced). `make soak` runs 5,000 and 500. A failure prints the
//! smallest case proptest found.

mod gen;
mod snapshot;
mod undo;

use super::process;
use crate::helpers::*;
use crypter::bao::kv::{self, Mount};
use crypter::changesets;
use crypter::embedded::free_loopback_port;
use crypter_api::{ApplyRequest, EnvironmentCreate, ItemAction, JobState, PlanItem};
use gen::{Case, Names, ENVS};
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use secrecy::SecretString;
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

fn cases_from(var: &str) -> Option<u32> {
    std::env::var(var).ok().and_then(|v| v.parse().ok())
}

fn cases() -> u32 {
    cases_from("CRYPTER_PROPTEST_CASES").unwrap_or(200)
}

fn kill_cases() -> u32 {
    cases_from("CRYPTER_PROPTEST_KILL_CASES").unwrap_or((cases() / 10).max(20))
}

struct Ctx {
    app: TestApp,
    /// The admin's own token: plans ask OpenBao what it may do.
    admin: SecretString,
    next: AtomicU64,
}

async fn setup() -> Ctx {
    let app = spawn_app().await;
    let root = app.root.clone();
    for env in ENVS {
        let req = EnvironmentCreate {
            name: crypter_api::EnvName::parse(env).unwrap(),
            description: String::new(),
            color: None,
            protected: false,
        };
        crypter::environments::create(&app.bao, &root, &req)
            .await
            .unwrap();
    }
    for (path, version) in [("lv1", "1"), ("lv2", "2")] {
        app.bao
            .write(
                &format!("sys/mounts/{path}"),
                &root,
                &json!({"type": "kv", "options": {"version": version}}),
            )
            .await
            .unwrap();
    }
    kv::wait_ready(&app.bao, &root, &Mount::v2("lv2"))
        .await
        .unwrap();
    let policy = "path \"lv1/*\" { capabilities = [\"read\", \"list\", \"scan\"] }\n\
                  path \"lv2/*\" { capabilities = [\"read\", \"list\", \"scan\"] }\n";
    app.bao
        .write(
            "sys/policies/acl/legacy-reader",
            &root,
            &json!({ "policy": policy }),
        )
        .await
        .unwrap();
    app.bao
        .write(
            "auth/userpass/users/admin",
            &root,
            &json!({"token_policies": "crypter-admin,crypter-operator,legacy-reader"}),
        )
        .await
        .unwrap();
    let login = app
        .bao
        .write(
            "auth/userpass/login/admin",
            &root,
            &json!({ "password": ADMIN_PASSWORD }),
        )
        .await
        .unwrap()
        .unwrap();
    let admin = SecretString::from(login["auth"]["client_token"].as_str().unwrap().to_owned());
    Ctx {
        app,
        admin,
        next: AtomicU64::new(0),
    }
}

fn names(ctx: &Ctx) -> Names {
    let k = ctx.next.fetch_add(1, Ordering::SeqCst);
    Names {
        new_env: format!("pn{k}"),
        id: format!("p{k:05}"),
    }
}

/// Back to an empty store: the fixed mounts emptied, the case's environment, roles,
/// changelog record and lock removed.
async fn wipe(ctx: &Ctx, names: &Names) {
    let (bao, root) = (&ctx.app.bao, &ctx.app.root);
    let mut mounts: Vec<Mount> = ENVS.iter().map(|e| Mount::v2(format!("env/{e}"))).collect();
    mounts.push(Mount {
        path: "lv1".into(),
        v2: false,
    });
    mounts.push(Mount::v2("lv2"));
    for m in &mounts {
        for (path, _) in kv::scan(bao, root, m).await.unwrap() {
            kv::remove(bao, root, m, &path).await.unwrap();
        }
    }
    let _ = bao
        .delete(&format!("sys/mounts/env/{}", names.new_env), root)
        .await;
    let _ = bao
        .delete(&format!("sys/mounts/transit/{}", names.new_env), root)
        .await;
    for env in ENVS {
        for key in gen::KEYS {
            let path = format!("transit/{env}/keys/{key}");
            if bao.read(&path, root).await.unwrap().is_some() {
                bao.write(
                    &format!("{path}/config"),
                    root,
                    &json!({"deletion_allowed": true}),
                )
                .await
                .unwrap();
                bao.delete(&path, root).await.unwrap();
            }
        }
    }
    for env in ENVS.iter().copied().chain([names.new_env.as_str()]) {
        for key in gen::KEYS {
            for kind in ["keys", "key-usage"] {
                bao.delete(&format!("crypter/metadata/{kind}/{env}/{key}"), root)
                    .await
                    .unwrap();
            }
        }
    }
    for path in [
        format!("crypter/metadata/environments/{}", names.new_env),
        format!("crypter/metadata/changelog/{}", names.id),
        "crypter/metadata/changesets/lock".into(),
    ] {
        bao.delete(&path, root).await.unwrap();
    }
    for r in 0..2 {
        let name = gen::role(r);
        for path in [
            format!("auth/approle/role/{name}"),
            format!("sys/policies/acl/crypter-role-{name}"),
            format!("crypter/metadata/roles/{name}"),
        ] {
            bao.delete(&path, root).await.unwrap();
        }
    }
}

async fn seed(ctx: &Ctx, case: &Case) {
    let (bao, root) = (&ctx.app.bao, &ctx.app.root);
    for s in &case.seeds {
        let m = Mount::v2(format!("env/{}", ENVS[s.env]));
        for v in &s.versions {
            let data = BTreeMap::from([("v".to_owned(), gen::value(*v).to_owned())]);
            kv::write(bao, root, &m, &s.path, &data, None)
                .await
                .unwrap();
        }
        let mut custom = serde_json::Map::new();
        custom.insert("class".into(), json!("service"));
        if let Some(o) = s.owner {
            custom.insert("owner".into(), json!(format!("o{o}")));
        }
        if s.label {
            custom.insert("labels".into(), json!("old,keep"));
        }
        kv::write_metadata(bao, root, &m, &s.path, &json!(custom), None)
            .await
            .unwrap();
        let meta = kv::metadata(bao, root, &m, &s.path).await.unwrap().unwrap();
        if s.destroy_first && meta.current_version > 1 {
            kv::destroy(bao, root, &m, &s.path, &[1]).await.unwrap();
        }
        if s.delete_current {
            kv::delete_versions(bao, root, &m, &s.path, &[meta.current_version])
                .await
                .unwrap();
        }
    }
    for (r, machine) in &case.roles {
        let role = crypter_api::Role {
            name: crypter_api::RoleName::parse(&gen::role(*r)).unwrap(),
            class: if *machine {
                crypter_api::RoleClass::Service
            } else {
                crypter_api::RoleClass::Human
            },
            description: "there before".into(),
            grants: Vec::new(),
            canaries: Vec::new(),
            forbidden: Vec::new(),
        };
        crypter::roles::save(bao, root, &role, true)
            .await
            .unwrap_or_default();
    }
    for (env, key, rotations) in &case.keys {
        let path = format!("transit/{}/keys/{}", ENVS[*env], gen::KEYS[*key]);
        if bao.read(&path, root).await.unwrap().is_none() {
            bao.write(&path, root, &json!({"type": "aes256-gcm96"}))
                .await
                .unwrap();
        }
        for _ in 0..*rotations {
            bao.write(&format!("{path}/rotate"), root, &json!({}))
                .await
                .unwrap();
        }
    }
    let mut rotate: BTreeSet<usize> = BTreeSet::new();
    for (other, path) in &case.ciphers {
        // In the changeset's own environment when it exists, so that rewraps find them.
        let env = if case.env < ENVS.len() {
            &case.env
        } else {
            other
        };
        let key = format!("transit/{}/keys/{}", ENVS[*env], gen::KEYS[0]);
        if bao.read(&key, root).await.unwrap().is_none() {
            bao.write(&key, root, &json!({"type": "aes256-gcm96"}))
                .await
                .unwrap();
        }
        let c = bao
            .write(
                &format!("transit/{}/encrypt/{}", ENVS[*env], gen::KEYS[0]),
                root,
                &json!({"plaintext": "c2VjcmV0"}),
            )
            .await
            .unwrap()
            .unwrap();
        let ct = c["data"]["ciphertext"].as_str().unwrap().to_owned();
        let m = Mount::v2(format!("env/{}", ENVS[*env]));
        let data = BTreeMap::from([("v".to_owned(), ct)]);
        kv::write(bao, root, &m, path, &data, None).await.unwrap();
        rotate.insert(*env);
    }
    for env in rotate {
        let key = format!("transit/{}/keys/{}/rotate", ENVS[env], gen::KEYS[0]);
        bao.write(&key, root, &json!({})).await.unwrap();
    }
    for (v2, path, value) in &case.legacy {
        let m = if *v2 {
            Mount::v2("lv2")
        } else {
            Mount {
                path: "lv1".into(),
                v2: false,
            }
        };
        let data = BTreeMap::from([("pw".to_owned(), gen::value(*value).to_owned())]);
        kv::write(bao, root, &m, path, &data, None).await.unwrap();
    }
}

#[derive(Default, Debug)]
struct Stats {
    applied: u32,
    blocked: u32,
    invalid: u32,
    items: BTreeMap<String, u64>,
    /// Why plans were blocked, roughly.
    why: BTreeMap<String, u32>,
}

fn blocked(stats: &Mutex<Stats>, plan: &changesets::Plan) {
    let mut s = stats.lock().unwrap();
    if plan.work.is_empty() {
        s.invalid += 1;
    } else {
        s.blocked += 1;
    }
    for b in &plan.view.blockers {
        let why = b.split(": ").last().unwrap_or(b);
        let why: String = why
            .chars()
            .filter(|c| !c.is_ascii_digit())
            .take(48)
            .collect();
        *s.why.entry(why).or_default() += 1;
    }
}

/// One case of the first property.
async fn exactly_the_items(ctx: &Ctx, case: &Case, stats: &Mutex<Stats>) -> Result<(), String> {
    let names = names(ctx);
    wipe(ctx, &names).await;
    seed(ctx, case).await;
    let (bao, root, token) = (&ctx.app.bao, &ctx.app.root, &ctx.admin);
    let before = snapshot::take(bao, root, &names.new_env).await;
    let dir = tempfile::tempdir().unwrap();
    let text = gen::toml(case, &names);
    std::fs::write(dir.path().join("case.toml"), &text).unwrap();
    let plan = changesets::plan(bao, token, Some(dir.path()))
        .await
        .map_err(|e| format!("plan failed: {e}\n{text}"))?;
    let req = ApplyRequest {
        plan_hash: plan.hash.clone(),
        force: false,
        reason: None,
    };
    let jobs = cli_jobs();
    let started = changesets::apply(
        &cli_context(bao, token, dir.path(), "prop", &jobs),
        &req,
        None,
    )
    .await;
    if !plan.view.blockers.is_empty() {
        blocked(stats, &plan);
        if started.is_ok() {
            return Err(format!(
                "a blocked plan was applied: {:?}\n{text}",
                plan.view.blockers
            ));
        }
        let after = snapshot::take(bao, root, &names.new_env).await;
        let diff = snapshot::differences(&before, &after, &BTreeSet::new(), false);
        return if diff.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "a refused apply changed the store: {diff:#?}\n{text}"
            ))
        };
    }
    let started = started.map_err(|e| format!("apply refused a plan that passed: {e}\n{text}"))?;
    let done = changesets::wait(&started.job).await;
    if done.state != JobState::Done {
        return Err(format!(
            "a plan that passed did not apply: {done:?}\n{text}"
        ));
    }
    let after = snapshot::take(bao, root, &names.new_env).await;
    let cs = &plan.work[0].cs;
    let want = snapshot::expect(&before, &plan.items, cs).map_err(|e| format!("{e}\n{text}"))?;
    let diff = snapshot::differences(&want, &after, &BTreeSet::new(), false);
    let mut s = stats.lock().unwrap();
    s.applied += 1;
    for it in plan.items.iter() {
        *s.items.entry(it.kind().to_owned()).or_default() += 1;
    }
    if diff.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "the store differs from what the items say: {diff:#?}\n{text}\nitems: {:#?}",
            plan.items
        ))
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        max_shrink_iters: 64,
        failure_persistence: None,
        ..Config::default()
    })
}

#[test]
fn apply_changes_the_store_by_exactly_the_plan_s_items() {
    let rt = runtime();
    let ctx = rt.block_on(setup());
    let stats = Mutex::new(Stats::default());
    let n = cases();
    let result = runner(n).run(&gen::case(), |case| {
        rt.block_on(exactly_the_items(&ctx, &case, &stats))
            .map_err(TestCaseError::fail)
    });
    rt.block_on(async move { drop(ctx) });
    result.unwrap();
    let s = stats.into_inner().unwrap();
    eprintln!("{n} cases: {s:?}");
    // Not vacuous: most cases apply, and every kind of item was applied somewhere.
    assert!(
        s.applied * 3 >= n,
        "only {} of {n} cases applied: {s:?}",
        s.applied
    );
    if n >= 100 {
        // (`restore` and `undelete` are an undo's own: the undo property sees them.)
        let forward = |a: &&ItemAction| {
            !matches!(
                a,
                ItemAction::Conflict | ItemAction::Restore | ItemAction::Undelete
            )
        };
        for kind in ItemAction::ALL.iter().filter(forward) {
            assert!(
                s.items.contains_key(kind.as_str()),
                "no {kind} item was applied: {s:?}"
            );
        }
    }
}

/// Store writes an apply of these items makes (the points where it can be killed).
fn writes(items: &[PlanItem]) -> u64 {
    items
        .iter()
        .map(|i| match i.action {
            ItemAction::Create | ItemAction::Update => 2,
            ItemAction::Skip | ItemAction::Conflict => 0,
            _ => 1,
        })
        .sum()
}

/// Versions holding values generated when applied (so different in every run), and copies
/// of them: compared by key and length only.
fn generated(items: &[PlanItem]) -> BTreeSet<(String, String, u64)> {
    let mut out = BTreeSet::new();
    // Credentials whose current value was generated in this plan.
    let mut now: BTreeSet<(String, String)> = BTreeSet::new();
    for i in items {
        match (&i.action, &i.target) {
            (
                ItemAction::Create | ItemAction::Update,
                crypter_api::ItemTarget::Credential {
                    environment, path, ..
                },
            ) => {
                let key = (format!("env/{environment}"), path.clone());
                let from_generated = i
                    .source
                    .as_ref()
                    .is_none_or(|s| now.contains(&(s.mount.clone(), s.path.clone())));
                if from_generated {
                    let version = i.precondition.cas.unwrap_or(0) + 1;
                    out.insert((key.0.clone(), key.1.clone(), version));
                    now.insert(key);
                } else {
                    now.remove(&key);
                }
            }
            // A rewrapped ciphertext differs in every run (a new nonce), not in length.
            (
                ItemAction::Rewrap,
                crypter_api::ItemTarget::Credential {
                    environment, path, ..
                },
            ) => {
                let key = (format!("env/{environment}"), path.clone());
                let version = i.precondition.cas.unwrap_or(0) + 1;
                out.insert((key.0.clone(), key.1.clone(), version));
                now.insert(key);
            }
            (ItemAction::DeleteSource, _) => {
                if let Some(s) = &i.source {
                    now.remove(&(s.mount.clone(), s.path.clone()));
                }
            }
            _ => {}
        }
    }
    out
}

/// One case of the second property; `Ok(false)` when the case's plan is blocked.
async fn crash_and_resume(ctx: &Ctx, case: &Case, at: u64) -> Result<bool, String> {
    let names = names(ctx);
    let (bao, root, token) = (&ctx.app.bao, &ctx.app.root, &ctx.admin);
    let dir = tempfile::tempdir().unwrap();
    let text = gen::toml(case, &names);
    std::fs::write(dir.path().join("case.toml"), &text).unwrap();
    // Uninterrupted.
    wipe(ctx, &names).await;
    seed(ctx, case).await;
    let plan = changesets::plan(bao, token, Some(dir.path()))
        .await
        .map_err(|e| e.to_string())?;
    // Blocked, or nothing to write: nothing to kill.
    if !plan.view.blockers.is_empty() || writes(&plan.items) == 0 {
        return Ok(false);
    }
    let req = ApplyRequest {
        plan_hash: plan.hash.clone(),
        force: false,
        reason: None,
    };
    let jobs = cli_jobs();
    let started = changesets::apply(
        &cli_context(bao, token, dir.path(), "admin", &jobs),
        &req,
        None,
    )
    .await
    .map_err(|e| e.to_string())?;
    let done = changesets::wait(&started.job).await;
    if done.state != JobState::Done {
        return Err(format!("uninterrupted apply failed: {done:?}\n{text}"));
    }
    let whole = snapshot::take(bao, root, &names.new_env).await;
    // Killed at write `k`, then applied again by another backend.
    let k = 1 + at % writes(&plan.items);
    wipe(ctx, &names).await;
    seed(ctx, case).await;
    let mut first = process::start(
        bao,
        root,
        dir.path(),
        free_loopback_port().unwrap(),
        Some(k),
    )
    .await;
    let again = first.plan().await;
    if again.plan_hash != plan.hash {
        return Err(format!("the same store planned differently\n{text}"));
    }
    let outcome = match first.try_apply(&again).await {
        Some(job) => first.outcome(&job).await,
        None => None,
    };
    if let Some(p) = &outcome {
        first.kill().await;
        return Err(format!(
            "the apply was to be killed at write {k} but ended: {p:?}\n{text}"
        ));
    }
    let _ = first.child.wait().await;
    let mut second =
        process::start(bao, root, dir.path(), free_loopback_port().unwrap(), None).await;
    let rest = second.plan().await;
    if !rest.blockers.is_empty() {
        return Err(format!(
            "after a kill at write {k} ({outcome:?}): {:?}\n{text}",
            rest.blockers
        ));
    }
    let job = second.apply(&rest).await;
    let end = second.outcome(&job).await;
    if end.as_ref().map(|p| p.state) != Some(JobState::Done) {
        return Err(format!(
            "the resumed apply failed after a kill at write {k}: {end:?}\n{text}"
        ));
    }
    let resumed = snapshot::take(bao, root, &names.new_env).await;
    let diff = snapshot::differences(&whole, &resumed, &generated(&plan.items), true);
    if diff.is_empty() {
        Ok(true)
    } else {
        Err(format!(
            "killed at write {k}, the store ends otherwise: {diff:#?}\n{text}"
        ))
    }
}

#[test]
fn a_crash_at_any_write_then_apply_again_ends_as_an_uninterrupted_apply() {
    use proptest::prelude::*;
    let rt = runtime();
    let ctx = rt.block_on(setup());
    let ran = AtomicU64::new(0);
    let n = kill_cases();
    let result = runner(n).run(&(gen::case(), any::<u64>()), |(case, at)| {
        match rt.block_on(crash_and_resume(&ctx, &case, at)) {
            Ok(true) => {
                ran.fetch_add(1, Ordering::SeqCst);
                Ok(())
            }
            Ok(false) => Err(TestCaseError::reject("blocked, or nothing to write")),
            Err(e) => Err(TestCaseError::fail(e)),
        }
    });
    rt.block_on(async move { drop(ctx) });
    result.unwrap();
    let ran = ran.into_inner();
    eprintln!("{ran} cases killed at a random write and applied again");
    assert!(
        ran >= u64::from(n),
        "only {ran} of {n} cases were killed and resumed"
    );
}

/// Jobs as the CLI keeps them: in this process only.
fn cli_jobs() -> crypter::jobs::Jobs {
    crypter::jobs::Jobs::new(
        None,
        std::sync::Arc::new(crypter::clock::SystemClock),
        crypter::jobs::JobTiming::default(),
    )
}

fn cli_context<'a>(
    bao: &'a crypter::bao::Bao,
    token: &'a secrecy::SecretString,
    dir: &'a std::path::Path,
    actor: &'a str,
    jobs: &'a crypter::jobs::Jobs,
) -> changesets::ApplyContext<'a> {
    changesets::ApplyContext::new(bao, jobs, token, Some(dir), actor, None)
}
