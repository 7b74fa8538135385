//! Running a plan's work: operation by operation, bulk items `PARALLELISM` at a time, the
//! cursor saved in the changelog after every chunk so that a killed process resumes where
//! it stopped. The lock's heartbeat runs beside it.

use super::changelog::{self, Record};
use super::format::Charset;
use super::jobs::Job;
use super::kv;
use super::lock;
use super::plan::{Action, Item, PARALLELISM};
use super::Work;
use crate::bao::Bao;
use crate::credentials;
use crate::error::AppError;
use crypter_api::{ChangesetCursor, CredentialWrite};
use futures_util::stream::{self, StreamExt};
use secrecy::SecretString;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Items done between two saves of the cursor.
const CHUNK: usize = 256;

pub struct Runner {
    pub bao: Bao,
    pub token: SecretString,
    pub actor: String,
    pub runbook_run: Option<String>,
    pub job: Arc<Job>,
    pub lock_version: u64,
}

fn now() -> String {
    OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_default()
}

pub async fn run(r: Runner, work: Vec<Work>) {
    let lost = Arc::new(AtomicBool::new(false));
    let beat = {
        let (bao, token, lost) = (r.bao.clone(), r.token.clone(), lost.clone());
        let mut version = r.lock_version;
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(lock::HEARTBEAT_SECS)).await;
                match lock::heartbeat(&bao, &token, version).await {
                    Ok(v) => version = v,
                    Err(e) => {
                        tracing::warn!(error = %e, "changesets lock lost");
                        lost.store(true, Ordering::SeqCst);
                        return;
                    }
                }
            }
        })
    };
    let mut result = Ok(());
    for w in &work {
        if let Err(e) = run_changeset(&r, w, &lost).await {
            result = Err(format!("{}: {e}", w.cs.id));
            break;
        }
    }
    beat.abort();
    if !lost.load(Ordering::SeqCst) {
        if let Err(e) = lock::release(&r.bao, &r.token).await {
            tracing::warn!(error = %e, "could not release the changesets lock");
        }
    }
    r.job.set_current(String::new());
    r.job.finish(result);
}

async fn run_changeset(r: &Runner, w: &Work, lost: &AtomicBool) -> Result<(), AppError> {
    let cursor = w.resume.clone().unwrap_or_default();
    let mut record = Record {
        id: w.cs.id.clone(),
        checksum: w.checksum.clone(),
        body: w.text.clone(),
        by: r.actor.clone(),
        at: now(),
        result: "running".into(),
        error: None,
        runbook_run: r.runbook_run.clone(),
        cursor: Some(cursor.clone()),
    };
    changelog::save(&r.bao, &r.token, &record).await?;
    let total = w.ops.len();
    let roles = super::plan::PlannedRoles::default();
    let ctx = super::plan::Ctx {
        bao: &r.bao,
        token: &r.token,
        cs: &w.cs,
        roles: &roles,
    };
    for (i, planned) in w.ops.iter().enumerate().skip(cursor.operation) {
        let after = if i == cursor.operation {
            cursor.after.clone()
        } else {
            None
        };
        // Planned again just before it runs: an operation may depend on earlier ones of the
        // same plan (a role created, then its grants updated; credentials imported, then
        // retagged), which the plan could only count against the store as it was.
        let op = super::plan::plan_operation(&ctx, i, &w.cs.operations[i]).await?;
        if op.view.conflict > 0 {
            let why = op
                .warnings
                .iter()
                .map(|w| w.message.as_str())
                .collect::<Vec<_>>()
                .join("; ");
            return fail(
                r,
                &mut record,
                format!("operation {} ({}) now conflicts: {why}", i + 1, op.view.op),
            )
            .await;
        }
        let runnable = |items: &[Item]| {
            items
                .iter()
                .filter(|it| !matches!(it.action, Action::None))
                .count() as u64
        };
        r.job
            .adjust_total(runnable(&planned.items), runnable(&op.items));
        let items: Vec<&Item> = op
            .items
            .iter()
            .filter(|it| !matches!(it.action, Action::None))
            .filter(|it| after.as_ref().is_none_or(|a| &it.key > a))
            .collect();
        r.job.set_current(format!(
            "{}: {} (operation {}/{total})",
            w.cs.id,
            op.view.op,
            i + 1
        ));
        for chunk in items.chunks(CHUNK) {
            if lost.load(Ordering::SeqCst) {
                return fail(r, &mut record, "the lock was taken over; stopped".into()).await;
            }
            let running: Vec<_> = chunk.iter().map(|it| execute(r, &it.action)).collect();
            let results: Vec<Result<(), AppError>> = stream::iter(running)
                .buffer_unordered(PARALLELISM)
                .collect()
                .await;
            if let Some(e) = results.into_iter().find_map(Result::err) {
                return fail(r, &mut record, e.to_string()).await;
            }
            r.job.add_done(chunk.len() as u64);
            record.cursor = Some(ChangesetCursor {
                operation: i,
                after: chunk.last().map(|it| it.key.clone()),
            });
            changelog::save(&r.bao, &r.token, &record).await?;
        }
        record.cursor = Some(ChangesetCursor {
            operation: i + 1,
            after: None,
        });
        changelog::save(&r.bao, &r.token, &record).await?;
    }
    record.result = "applied".into();
    record.cursor = None;
    record.at = now();
    changelog::save(&r.bao, &r.token, &record).await
}

async fn fail(r: &Runner, record: &mut Record, error: String) -> Result<(), AppError> {
    record.result = "failed".into();
    record.error = Some(error.clone());
    changelog::save(&r.bao, &r.token, record).await?;
    Err(AppError::Conflict(error))
}

fn generate(length: u16, charset: Charset) -> String {
    const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    const HEX: &[u8] = b"0123456789abcdef";
    const SYMBOLS: &[u8] =
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#%&*+-=?@^_~";
    let set = match charset {
        Charset::Alphanumeric => ALNUM,
        Charset::Hex => HEX,
        Charset::Symbols => SYMBOLS,
    };
    let mut rng = rand::rng();
    (0..length)
        .map(|_| set[rand::Rng::random_range(&mut rng, 0..set.len())] as char)
        .collect()
}

async fn execute(r: &Runner, action: &Action) -> Result<(), AppError> {
    let (bao, token) = (&r.bao, &r.token);
    match action {
        Action::None => Ok(()),
        Action::CreateEnvironment(req) => {
            crate::environments::create(bao, token, req).await?;
            Ok(())
        }
        Action::SaveRole { role, create } => crate::roles::save(bao, token, role, *create).await,
        Action::DeleteRole(name) => crate::roles::remove(bao, token, name).await,
        Action::Put {
            env,
            path,
            key,
            metadata,
            generate: gen,
            from,
            overwrite,
        } => {
            let data = match (gen, from) {
                (Some(g), _) => BTreeMap::from([(key.clone(), generate(g.length, g.charset))]),
                (None, Some(f)) => {
                    credentials::read_data(bao, token, &f.environment, &f.path, None)
                        .await?
                        .1
                }
                (None, None) => {
                    return Err(AppError::bad_request(
                        "invalid_changeset",
                        "put_credential needs generate or from",
                    ))
                }
            };
            let req = CredentialWrite {
                data,
                class: metadata.class.clone(),
                owner: metadata.owner.clone(),
                description: metadata.description.clone(),
                labels: metadata.labels.clone(),
                rotate_after_days: None,
                cas: if *overwrite { None } else { Some(0) },
            };
            credentials::put(bao, token, &r.actor, env, path, &req).await?;
            Ok(())
        }
        Action::Copy {
            src,
            src_path,
            env,
            path,
            metadata,
            overwrite,
            remove_source,
        } => {
            kv::copy_one(bao, token, src, src_path, env, path, metadata, *overwrite).await?;
            if *remove_source {
                kv::remove(bao, token, src, src_path).await?;
            }
            Ok(())
        }
        Action::RemoveSource { src, src_path } => kv::remove(bao, token, src, src_path).await,
        Action::Retag {
            env,
            path,
            metadata,
        } => credentials::write_metadata(bao, token, env, path, metadata).await,
        Action::Delete { env, path } => {
            credentials::soft_delete(bao, token, env, path).await?;
            Ok(())
        }
    }
}
