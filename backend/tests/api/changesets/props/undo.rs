//! 3. Undo is the way back under the same contract: random stores and changesets, applied;
//!    then some of what the apply wrote is changed by someone else; then the undo. Every
//!    credential and role the apply touched and nobody touched since reads as it did
//!    before the apply; every one touched since is a `conflict` and keeps its new value.
//!    Undoing the undo returns to the applied state. An undo that cannot run (something
//!    cannot be undone) is refused and changes nothing.
//!
//! `CRYPTER_PROPTEST_UNDO_CASES` sets the cases (a fifth of the first property's, at least
//! 20).

use super::snapshot::{self, Snap, Val};
use super::*;
use crypter_api::{ItemTarget, JobProgress};
use serde_json::Value;

fn undo_cases() -> u32 {
    cases_from("CRYPTER_PROPTEST_UNDO_CASES").unwrap_or((cases() / 5).max(20))
}

/// What a reader sees of a credential: its current value and metadata, `None` when there
/// is nothing to read.
fn readable(s: &Snap, key: &(String, String)) -> Option<(Val, String)> {
    let c = s.creds.get(key)?;
    let v = c.versions.get(&c.current)?;
    let value = v.value.clone()?;
    Some((value, format!("{:?}", c.metadata)))
}

fn role_of(s: &Snap, name: &str) -> Option<Value> {
    s.roles.get(name).and_then(|r| r.record.clone())
}

async fn run(
    ctx: &Ctx,
    dir: &std::path::Path,
    hash: &str,
) -> Result<Result<JobProgress, String>, String> {
    let jobs = cli_jobs();
    let req = ApplyRequest {
        plan_hash: hash.to_owned(),
        force: false,
        reason: None,
    };
    let cx = cli_context(&ctx.app.bao, &ctx.admin, dir, "prop", &jobs);
    match changesets::apply(&cx, &req, None).await {
        Ok(started) => Ok(Ok(changesets::wait(&started.job).await)),
        Err(e) => Ok(Err(e.to_string())),
    }
}

/// Credentials (mount, path) the items write, in environments.
fn written(items: &[PlanItem]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = items
        .iter()
        .filter(|i| !i.action.is_noop())
        .filter_map(|i| match &i.target {
            ItemTarget::Credential {
                environment, path, ..
            } => Some((format!("env/{environment}"), path.clone())),
            _ => None,
        })
        .collect();
    out.dedup();
    out
}

/// One case: `Ok(None)` when the apply itself is blocked; `Ok(Some(ran))` otherwise, `ran`
/// telling whether the undo could run.
async fn undo_case(
    ctx: &Ctx,
    case: &Case,
    touch: u64,
    kinds: &Mutex<BTreeMap<String, u64>>,
) -> Result<Option<bool>, String> {
    let names = names(ctx);
    wipe(ctx, &names).await;
    seed(ctx, case).await;
    let (bao, root, token) = (&ctx.app.bao, &ctx.app.root, &ctx.admin);
    let dir = tempfile::tempdir().unwrap();
    let text = gen::toml(case, &names);
    std::fs::write(dir.path().join("case.toml"), &text).unwrap();
    let before = snapshot::take(bao, root, &names.new_env).await;
    let plan = changesets::plan(bao, token, Some(dir.path()))
        .await
        .map_err(|e| format!("plan failed: {e}\n{text}"))?;
    if !plan.view.blockers.is_empty() || plan.work.is_empty() {
        return Ok(None);
    }
    let done = run(ctx, dir.path(), &plan.hash).await??;
    if done.state != JobState::Done {
        return Err(format!("the apply failed: {done:?}\n{text}"));
    }
    // Someone else writes some of what the apply wrote.
    let mut touched = BTreeSet::new();
    for (n, (mount, path)) in written(&plan.items).into_iter().enumerate() {
        if touch >> (n % 64) & 1 == 1 && n % 3 == 0 {
            let data = BTreeMap::from([("v".to_owned(), format!("touched-{n}"))]);
            kv::write(bao, root, &Mount::v2(mount.clone()), &path, &data, None)
                .await
                .unwrap();
            touched.insert((mount, path));
        }
    }
    let applied = snapshot::take(bao, root, &names.new_env).await;
    let undo = changesets::undo(bao, token, &names.id)
        .await
        .map_err(|e| format!("undo plan failed: {e}\n{text}"))?;
    let conflicts: BTreeSet<(String, String)> = undo
        .items
        .iter()
        .filter(|i| i.action == ItemAction::Conflict)
        .filter_map(|i| match &i.target {
            ItemTarget::Credential {
                environment, path, ..
            } => Some((format!("env/{environment}"), path.clone())),
            _ => None,
        })
        .collect();
    if conflicts != touched {
        return Err(format!(
            "the undo's conflicts {conflicts:?} are not what was touched since {touched:?}\n{text}"
        ));
    }
    for it in undo.items.iter() {
        *kinds
            .lock()
            .unwrap()
            .entry(it.kind().to_owned())
            .or_default() += 1;
    }
    let ran = run(ctx, dir.path(), &undo.hash).await?;
    if !undo.view.blockers.is_empty() {
        let now = snapshot::take(bao, root, &names.new_env).await;
        let diff = snapshot::differences(&applied, &now, &BTreeSet::new(), false);
        return match (ran, diff.is_empty()) {
            (Err(_), true) => Ok(Some(false)),
            (Ok(p), _) => Err(format!("a blocked undo ran: {p:?}\n{text}")),
            (Err(_), false) => Err(format!(
                "a refused undo changed the store: {diff:#?}\n{text}"
            )),
        };
    }
    let p = ran.map_err(|e| format!("a clear undo was refused: {e}\n{text}"))?;
    if p.state != JobState::Done {
        return Err(format!("the undo failed: {p:?}\n{text}"));
    }
    let undone = snapshot::take(bao, root, &names.new_env).await;
    compare(&before, &applied, &undone, &touched, &plan.items)
        .map_err(|e| format!("after the undo: {e}\n{text}"))?;
    // The undo of the undo.
    let redo = changesets::undo(bao, token, &names.id)
        .await
        .map_err(|e| format!("redo plan failed: {e}\n{text}"))?;
    if !redo.view.blockers.is_empty() {
        return Err(format!(
            "the redo is blocked: {:?}\n{text}",
            redo.view.blockers
        ));
    }
    let p = run(ctx, dir.path(), &redo.hash).await??;
    if p.state != JobState::Done {
        return Err(format!("the redo failed: {p:?}\n{text}"));
    }
    let redone = snapshot::take(bao, root, &names.new_env).await;
    compare(&applied, &applied, &redone, &touched, &plan.items)
        .map_err(|e| format!("after the redo: {e}\n{text}"))?;
    Ok(Some(true))
}

/// `now` reads as `want` wherever the apply wrote, except where it was touched since
/// (which reads as it was in `applied`).
fn compare(
    want: &Snap,
    applied: &Snap,
    now: &Snap,
    touched: &BTreeSet<(String, String)>,
    items: &[PlanItem],
) -> Result<(), String> {
    for key in written(items) {
        let expected = if touched.contains(&key) {
            readable(applied, &key)
        } else {
            readable(want, &key)
        };
        let got = readable(now, &key);
        if got != expected {
            return Err(format!("{key:?} reads {got:?}, not {expected:?}"));
        }
    }
    for it in items.iter().filter(|i| !i.action.is_noop()) {
        if let ItemTarget::Role { name, .. } = &it.target {
            if role_of(now, name) != role_of(want, name) {
                return Err(format!(
                    "role {name} is {:?}, not {:?}",
                    role_of(now, name),
                    role_of(want, name)
                ));
            }
        }
    }
    Ok(())
}

#[test]
fn an_undo_puts_back_what_nobody_touched_since_and_its_undo_returns() {
    use proptest::prelude::*;
    let rt = runtime();
    let ctx = rt.block_on(setup());
    let (ran, refused) = (AtomicU64::new(0), AtomicU64::new(0));
    let kinds = Mutex::new(BTreeMap::new());
    let n = undo_cases();
    let result = runner(n).run(&(gen::case(), any::<u64>()), |(case, touch)| {
        match rt.block_on(undo_case(&ctx, &case, touch, &kinds)) {
            Ok(Some(true)) => {
                ran.fetch_add(1, Ordering::SeqCst);
                Ok(())
            }
            Ok(Some(false)) => {
                refused.fetch_add(1, Ordering::SeqCst);
                Ok(())
            }
            Ok(None) => Err(TestCaseError::reject("the apply is blocked")),
            Err(e) => Err(TestCaseError::fail(e)),
        }
    });
    rt.block_on(async move { drop(ctx) });
    result.unwrap();
    let (ran, refused) = (ran.into_inner(), refused.into_inner());
    let kinds = kinds.into_inner().unwrap();
    eprintln!("{n} cases: {ran} undone and redone, {refused} refused as a whole; {kinds:?}");
    for kind in ["restore", "delete", "conflict"] {
        assert!(
            kinds.contains_key(kind),
            "no undo planned a {kind}: {kinds:?}"
        );
    }
    // Not vacuous: most undos run.
    assert!(
        ran * 2 >= u64::from(n),
        "only {ran} of {n} undos ran ({refused} refused)"
    );
}
