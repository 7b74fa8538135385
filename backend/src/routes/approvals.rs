//! `/environments/{env}/approvals` (an environment's rule) and `/requests` (the changes
//! waiting for approval, and the votes on them). Rules and votes are written with the
//! caller's own token, so OpenBao decides who sets rules and who approves.

use super::json::ApiJson;
use crate::activity::visibility::capabilities_self;
use crate::approvals::requests::{self, Opening};
use crate::approvals::{rules, votes};
use crate::bao::kv::{self, Mount};
use crate::error::AppError;
use crate::session::{CurrentSession, Session};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use crypter_api::ErrorCode;
use crypter_api::{
    ApprovalRequest, ApprovalRule, ApprovalRuleSet, CredentialPath, EnvName, RequestOpened,
    RequestState, RequestedChange, VoteCast,
};
use std::collections::BTreeMap;

fn env_name(env: &str) -> Result<EnvName, AppError> {
    Ok(EnvName::parse(env)?)
}

/// An environment's approval rule (`required: 0` when it has none).
#[utoipa::path(get, path = "/api/v1/environments/{env}/approvals", tag = "approvals",
    params(("env" = String, Path)),
    responses((status = 200, body = ApprovalRule), (status = 400, body = crypter_api::ErrorBody)))]
pub async fn get_rule(
    State(state): State<AppState>,
    CurrentSession(_session): CurrentSession,
    Path(env): Path<String>,
) -> Result<Json<ApprovalRule>, AppError> {
    Ok(Json(rules::get(&state.records, &env_name(&env)?).await?))
}

/// Every change to the environment since its rule was set that no approved request made,
/// whoever made it and however (the console as an admin, or straight at OpenBao), from
/// OpenBao's audit log. Each is also an `approval.bypass` event for notifications.
#[utoipa::path(get, path = "/api/v1/environments/{env}/approvals/bypassed", tag = "approvals",
    params(("env" = String, Path)),
    responses((status = 200, body = crypter_api::BypassedWrites), (status = 400, body = crypter_api::ErrorBody)))]
pub async fn bypassed(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
    Path(env): Path<String>,
) -> Result<Json<crypter_api::BypassedWrites>, AppError> {
    let env = env_name(&env)?;
    let rule = rules::get(&state.records, &env).await?;
    let feed = &state.activity;
    let mut out = crypter_api::BypassedWrites {
        environment: env.to_string(),
        since: rule.set_at.clone().filter(|_| rule.is_on()),
        feed: feed.status(),
        writes: Vec::new(),
    };
    let Some(from) = out.since.as_deref().and_then(crate::activity::nanos_of) else {
        return Ok(Json(out));
    };
    feed.catch_up().await;
    let mut viewer = crate::activity::visibility::Viewer::check(&state.bao, &session.token).await?;
    let applied = crate::approvals::bypass::applied_paths(&state.records, env.as_str()).await?;
    let writes = crate::approvals::bypass::list(feed, env.as_str(), from, &applied, |_| true);
    viewer
        .learn(&state.bao, &session.token, writes.iter())
        .await?;
    out.writes = writes.into_iter().filter(|w| viewer.sees(w)).collect();
    out.feed = feed.status();
    Ok(Json(out))
}

/// Set an environment's rule. Where none is, it takes effect at once (200); changing or
/// removing one (`{"required": 0}`) is a change under the rule: 202 with the request.
#[utoipa::path(put, path = "/api/v1/environments/{env}/approvals", tag = "approvals",
    params(("env" = String, Path)), request_body = ApprovalRuleSet,
    responses((status = 200, body = ApprovalRule), (status = 202, body = RequestOpened),
        (status = 400, description = "Required above 3 or above the approvers, an approver that does not exist", body = crypter_api::ErrorBody),
        (status = 403, body = crypter_api::ErrorBody)))]
pub async fn set_rule(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
    Path(env): Path<String>,
    ApiJson(set): ApiJson<ApprovalRuleSet>,
) -> Result<Response, AppError> {
    let env = env_name(&env)?;
    rules::validate(&state.bao, &session.token, &env, &set).await?;
    let current = rules::get(&state.records, &env).await?;
    if current.is_on() {
        let opening = Opening {
            env: &env,
            change: RequestedChange::RuleChange { rule: set.clone() },
            value: None,
            base_version: None,
            reason: set.reason.clone(),
            required: current.required,
        };
        let request = requests::open(
            &state.bao,
            &state.records,
            &session,
            opening,
            state.clock.now(),
        )
        .await?;
        return Ok(accepted(request));
    }
    let rule = rules::write(&state.bao, &session.token, &env, &set, &session.username).await?;
    Ok(Json(rule).into_response())
}

fn accepted(request: ApprovalRequest) -> Response {
    (StatusCode::ACCEPTED, Json(RequestOpened { request })).into_response()
}

/// When `env` has a rule, a change to the credential at `path` becomes a request: the 202
/// answer. `None` when there is no rule and the change goes ahead.
pub(super) async fn ask(
    state: &AppState,
    session: &Session,
    env: &EnvName,
    path: &CredentialPath,
    change: RequestedChange,
    value: Option<&BTreeMap<String, String>>,
    cas: Option<u64>,
) -> Result<Option<Response>, AppError> {
    let rule = rules::get(&state.records, env).await?;
    if !rule.is_on() {
        return Ok(None);
    }
    let base = match cas {
        Some(v) => v,
        None => kv::metadata(&state.bao, &session.token, &Mount::env(env), path.as_ref())
            .await?
            .map_or(0, |m| m.current_version),
    };
    open_request(state, session, env, change, value, base, rule.required)
        .await
        .map(Some)
}

/// Saving `role` becomes a request when it changes the grants on an environment with a
/// rule (who may read or use it there); `None` when it changes none. Grants on two
/// protected environments are changed one environment at a time.
pub(super) async fn ask_role(
    state: &AppState,
    session: &Session,
    role: &crypter_api::Role,
    create: bool,
) -> Result<Option<Response>, AppError> {
    // The rules as the backend reads them: a caller who may not read them gets the
    // refusal of the save itself, which names the role.
    let rules = crate::roles::rules::load_as_backend(&state.records).await?;
    if rules.is_empty() {
        return Ok(None);
    }
    let before = if create {
        Vec::new()
    } else {
        match crate::roles::get(&state.bao, &session.token, &role.name).await {
            Ok(r) => r.grants,
            Err(AppError::NotFound(..)) => Vec::new(),
            Err(e) => return Err(e),
        }
    };
    let on = |grants: &[crypter_api::Grant], env: &str| -> Vec<crypter_api::Grant> {
        grants
            .iter()
            .filter(|g| match &g.environment {
                crypter_api::GrantEnv::Any => true,
                crypter_api::GrantEnv::Named(e) => e.as_str() == env,
            })
            .cloned()
            .collect()
    };
    let touched: Vec<&ApprovalRule> = rules
        .iter()
        .filter(|r| on(&before, &r.environment) != on(&role.grants, &r.environment))
        .collect();
    let rule = match touched.as_slice() {
        [] => return Ok(None),
        [one] => *one,
        many => {
            let names: Vec<&str> = many.iter().map(|r| r.environment.as_str()).collect();
            return Err(AppError::Conflict(
                ErrorCode::OneEnvironmentAtATime,
                format!(
                    "this changes {}'s grants on {} protected environments ({}): change them one \
                 environment at a time, each with its approvers",
                    role.name,
                    names.len(),
                    names.join(", ")
                ),
            ));
        }
    };
    let env = env_name(&rule.environment)?;
    let change = RequestedChange::RoleGrant {
        role: Box::new(role.clone()),
        create,
    };
    open_request(state, session, &env, change, None, 0, rule.required)
        .await
        .map(Some)
}

/// A change to a key's configuration (not only its owner, description or labels) under
/// `env`'s rule becomes a request; `None` when there is no rule or nothing configured.
pub(super) async fn ask_key_configure(
    state: &AppState,
    session: &Session,
    env: &EnvName,
    key: &crypter_api::KeyName,
    update: &crypter_api::KeyUpdate,
) -> Result<Option<Response>, AppError> {
    let configures = update.auto_rotate_period.is_some()
        || update.rotation_period.is_some()
        || update.min_decryption_version.is_some()
        || update.min_encryption_version.is_some()
        || update.deletion_allowed.is_some();
    if !configures {
        return Ok(None);
    }
    let rule = rules::get(&state.records, env).await?;
    if !rule.is_on() {
        return Ok(None);
    }
    let change = RequestedChange::KeyConfigure {
        key: key.to_string(),
        update: update.clone(),
    };
    open_request(state, session, env, change, None, 0, rule.required)
        .await
        .map(Some)
}

/// A key rotation under `env`'s rule becomes a request, made against the key's latest
/// version; `None` when there is no rule.
pub(super) async fn ask_rotate(
    state: &AppState,
    session: &Session,
    env: &EnvName,
    key: &crypter_api::KeyName,
) -> Result<Option<Response>, AppError> {
    let rule = rules::get(&state.records, env).await?;
    if !rule.is_on() {
        return Ok(None);
    }
    let path = format!("transit/{env}/keys/{key}");
    let found = state.bao.read(&path, &session.token).await?;
    let latest = found
        .and_then(|v| {
            v.pointer("/data/latest_version")
                .and_then(serde_json::Value::as_u64)
        })
        .ok_or_else(|| {
            AppError::NotFound(
                ErrorCode::KeyNotFound,
                format!("there is no key {key} in {env}"),
            )
        })?;
    let change = RequestedChange::KeyRotate {
        key: key.to_string(),
    };
    open_request(state, session, env, change, None, latest, rule.required)
        .await
        .map(Some)
}

async fn open_request(
    state: &AppState,
    session: &Session,
    env: &EnvName,
    change: RequestedChange,
    value: Option<&BTreeMap<String, String>>,
    base: u64,
    required: u8,
) -> Result<Response, AppError> {
    let opening = Opening {
        env,
        change,
        value,
        base_version: Some(base),
        reason: None,
        required,
    };
    let request = requests::open(
        &state.bao,
        &state.records,
        session,
        opening,
        state.clock.now(),
    )
    .await?;
    Ok(accepted(request))
}

/// Whether the session sees `r`: its requester, an approver of its environment, or whoever
/// may read the environment's rule record (admins and operators, as OpenBao says).
async fn sees(
    state: &AppState,
    session: &Session,
    r: &ApprovalRequest,
    rule: &ApprovalRule,
) -> Result<bool, AppError> {
    if r.requested_by == session.username
        || rule.approvers.contains(&session.username)
        || rule
            .approver_role
            .as_ref()
            .is_some_and(|role| session.policies.contains(&format!("crypter-role-{role}")))
    {
        return Ok(true);
    }
    let path = format!("crypter/data/{}/{}", rules::RULES_KEY, r.environment);
    let caps = capabilities_self(&state.bao, &session.token, std::slice::from_ref(&path)).await?;
    Ok(caps
        .get(&path)
        .is_some_and(|c| c.iter().any(|c| c == "read" || c == "root")))
}

/// The requests the session may see, newest first: its own, those it may approve, and
/// all of them for admins.
#[utoipa::path(get, path = "/api/v1/requests", tag = "approvals",
    responses((status = 200, body = [ApprovalRequest])))]
pub async fn list(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
) -> Result<Json<Vec<ApprovalRequest>>, AppError> {
    let frozen = state.carrier.frozen().await;
    let now = state.carrier.now();
    let mut out = Vec::new();
    let mut rule_of: BTreeMap<String, ApprovalRule> = BTreeMap::new();
    for loaded in requests::all(&state.records).await? {
        let r = requests::view(&loaded, frozen, &now);
        if !rule_of.contains_key(&r.environment) {
            let rule = rules::get(&state.records, &env_name(&r.environment)?).await?;
            rule_of.insert(r.environment.clone(), rule);
        }
        if sees(&state, &session, &r, &rule_of[&r.environment]).await? {
            out.push(r);
        }
    }
    Ok(Json(out))
}

async fn one(state: &AppState, session: &Session, id: &str) -> Result<ApprovalRequest, AppError> {
    let loaded = requests::load(&state.records, id).await?;
    let now = state.carrier.now();
    let r = requests::view(&loaded, state.carrier.frozen().await, &now);
    let rule = rules::get(&state.records, &env_name(&r.environment)?).await?;
    if !sees(state, session, &r, &rule).await? {
        return Err(AppError::NotFound(
            ErrorCode::RequestNotFound,
            format!("there is no request {id}"),
        ));
    }
    Ok(r)
}

#[utoipa::path(get, path = "/api/v1/requests/{id}", tag = "approvals",
    params(("id" = String, Path)),
    responses((status = 200, body = ApprovalRequest), (status = 404, body = crypter_api::ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
    Path(id): Path<String>,
) -> Result<Json<ApprovalRequest>, AppError> {
    let mut r = one(&state, &session, &id).await?;
    if r.state == RequestState::Pending {
        compare_value(&state, &session, &id, &mut r).await?;
    }
    Ok(Json(r))
}

/// For a pending write, to a session that may read the credential (OpenBao decides, with
/// its own token): whether the requested value is the current one, and which keys differ.
async fn compare_value(
    state: &AppState,
    session: &Session,
    id: &str,
    r: &mut ApprovalRequest,
) -> Result<(), AppError> {
    let RequestedChange::CredentialWrite { path, .. } = &r.change else {
        return Ok(());
    };
    let env = env_name(&r.environment)?;
    let mount = Mount::env(&env);
    // Compared, never shown: a read with a purpose, not a reveal.
    let bao = state.bao.with_purpose(crate::bao::Purpose::Compare);
    let current = match kv::read(&bao, &session.token, &mount, path, None).await {
        Ok(Some(secret)) => secret.data,
        Ok(None) => BTreeMap::new(),
        Err(kv::KvError::Forbidden { .. }) => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    let loaded = requests::load(&state.records, id).await?;
    let Some(sealed) = loaded.stored.sealed.as_deref() else {
        return Ok(());
    };
    let bytes = state
        .records
        .open(&requests::seal_context(id), sealed)
        .await?;
    let asked: BTreeMap<String, String> =
        serde_json::from_slice(&bytes).map_err(anyhow::Error::from)?;
    let mut keys: Vec<String> = asked.keys().chain(current.keys()).cloned().collect();
    keys.sort();
    keys.dedup();
    r.changed_keys = keys
        .into_iter()
        .filter(|k| asked.get(k) != current.get(k))
        .collect();
    r.same_value = Some(r.changed_keys.is_empty());
    Ok(())
}

async fn vote(
    state: &AppState,
    session: &Session,
    id: &str,
    approve: bool,
    comment: &str,
) -> Result<ApprovalRequest, AppError> {
    let now = state.carrier.now();
    let loaded = votes::cast(
        &state.bao,
        &state.records,
        session,
        id,
        approve,
        comment,
        &now,
    )
    .await?;
    let carrier = !loaded.stored.change.needs_admin();
    if carrier && requests::state(&loaded, &now) == RequestState::Approved {
        state.carrier.carry(id, None).await?;
    }
    one(state, session, id).await
}

/// Carry out an approved rule change or role grant with the caller's own token: both
/// write policies, which only admins may, so the carrier cannot (credential and key
/// changes are carried out at their last approval, without this).
#[utoipa::path(post, path = "/api/v1/requests/{id}/carry", tag = "approvals",
    params(("id" = String, Path)),
    responses((status = 200, body = ApprovalRequest), (status = 403, body = crypter_api::ErrorBody),
        (status = 409, description = "Not an approved rule change", body = crypter_api::ErrorBody)))]
pub async fn carry(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
    Path(id): Path<String>,
) -> Result<Json<ApprovalRequest>, AppError> {
    let r = one(&state, &session, &id).await?;
    if !r.change.needs_admin() || r.state != RequestState::Approved {
        return Err(AppError::Conflict(
            ErrorCode::RequestNotCarriedHere,
            format!(
                "request {id} is a {} that is {}: only an approved rule change or role grant is \
             carried out here",
                r.change.label(),
                r.state
            ),
        ));
    }
    state.carrier.carry(&id, Some(&session.token)).await?;
    Ok(Json(one(&state, &session, &id).await?))
}

/// Approve: the last approval carries the change out at once (unless a full freeze holds
/// it). 403 when OpenBao refuses the vote: not an approver, or one's own request.
#[utoipa::path(post, path = "/api/v1/requests/{id}/approve", tag = "approvals",
    params(("id" = String, Path)), request_body = VoteCast,
    responses((status = 200, body = ApprovalRequest), (status = 403, body = crypter_api::ErrorBody),
        (status = 409, description = "Already voted, or the request is closed (expired, rejected, applied)", body = crypter_api::ErrorBody)))]
pub async fn approve(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
    Path(id): Path<String>,
    ApiJson(cast): ApiJson<VoteCast>,
) -> Result<Json<ApprovalRequest>, AppError> {
    Ok(Json(
        vote(&state, &session, &id, true, &cast.comment).await?,
    ))
}

/// Reject: one rejection closes the request.
#[utoipa::path(post, path = "/api/v1/requests/{id}/reject", tag = "approvals",
    params(("id" = String, Path)), request_body = VoteCast,
    responses((status = 200, body = ApprovalRequest), (status = 403, body = crypter_api::ErrorBody),
        (status = 409, body = crypter_api::ErrorBody)))]
pub async fn reject(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
    Path(id): Path<String>,
    ApiJson(cast): ApiJson<VoteCast>,
) -> Result<Json<ApprovalRequest>, AppError> {
    Ok(Json(
        vote(&state, &session, &id, false, &cast.comment).await?,
    ))
}
