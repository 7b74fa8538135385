//! Requests: a change under an approval rule, kept as a record only its requester can
//! write (`approvals/requests/<entity>/<id>`, written with the requester's own token), with
//! the exact change, the version it was made against, and for a write its value, sealed
//! with the backend's transit key and bound to the request. The backend keeps an index
//! (id → entity) and each request's outcome; its votes are the voters' own records.

use super::{INDEX, OUTCOMES, REQUESTS, REQUEST_TTL_HOURS, VOTES};
use crate::bao::kv::{self, KvError, Mount};
use crate::bao::Bao;
use crate::error::AppError;
use crate::records::{ProductEvent, Records};
use crate::session::Session;
use crypter_api::ErrorCode;
use crypter_api::{ActivityAction, ApprovalRequest, EnvName, RequestState, RequestedChange, Vote};
use futures_util::{stream, StreamExt, TryStreamExt};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// A request as its requester wrote it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Stored {
    pub id: String,
    pub environment: String,
    pub change: RequestedChange,
    pub requested_by: String,
    pub reason: Option<String>,
    pub created_at: String,
    pub expires_at: String,
    pub base_version: Option<u64>,
    pub required: u8,
    /// A write's value, sealed with the backend's key in the context `approval:<id>`.
    #[serde(default)]
    pub sealed: Option<String>,
}

/// What carrying a request out did (the backend's record).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Outcome {
    /// `carrying`, `applied` or `conflict`.
    pub state: String,
    pub detail: String,
    pub version: Option<u64>,
    pub at: String,
}

/// A request with what the store holds about it now.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub stored: Stored,
    /// Whose request: the entity in its record's path (OpenBao let only them write there).
    pub entity: String,
    /// Voter entity → vote.
    pub votes: BTreeMap<String, Vote>,
    pub outcome: Option<Outcome>,
}

/// What a change under a rule asks for.
pub struct Opening<'a> {
    pub env: &'a EnvName,
    pub change: RequestedChange,
    pub value: Option<&'a BTreeMap<String, String>>,
    pub base_version: Option<u64>,
    pub reason: Option<String>,
    pub required: u8,
}

fn crypter() -> Mount {
    Mount::v2("crypter")
}

pub fn seal_context(id: &str) -> String {
    format!("approval:{id}")
}

fn new_id() -> String {
    let mut bytes = [0u8; 8];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// A request id as Crypter makes them (16 lowercase hex digits).
pub fn valid_id(id: &str) -> bool {
    id.len() == 16
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Open a request with the session's own token; answers it as shown.
pub async fn open(
    bao: &Bao,
    records: &Records,
    session: &Session,
    o: Opening<'_>,
    now: OffsetDateTime,
) -> Result<ApprovalRequest, AppError> {
    let entity = session.entity_id.clone().ok_or_else(|| {
        AppError::Conflict(
            ErrorCode::NoIdentity,
            "this session's token has no identity entity (a root token), so it cannot ask \
             for approval; log in as a person"
                .into(),
        )
    })?;
    let id = new_id();
    let sealed = match o.value {
        Some(v) => {
            let bytes = serde_json::to_vec(v).map_err(anyhow::Error::from)?;
            Some(records.seal(&seal_context(&id), &bytes).await?)
        }
        None => None,
    };
    let stored = Stored {
        id: id.clone(),
        environment: o.env.to_string(),
        change: o.change,
        requested_by: session.username.clone(),
        reason: o.reason,
        created_at: now.format(&Rfc3339).unwrap_or_default(),
        expires_at: (now + time::Duration::hours(REQUEST_TTL_HOURS))
            .format(&Rfc3339)
            .unwrap_or_default(),
        base_version: o.base_version,
        required: o.required,
        sealed,
    };
    let data = serde_json::to_value(&stored).map_err(anyhow::Error::from)?;
    let key = format!("{REQUESTS}/{entity}/{id}");
    kv::write_json(bao, &session.token, &crypter(), &key, &data, Some(0)).await?;
    records
        .write(
            &format!("{INDEX}/{id}"),
            &json!({ "entity": entity }),
            Some(0),
        )
        .await?;
    emit(
        records,
        &stored,
        ActivityAction::RequestOpen,
        &session.username,
    )
    .await;
    let loaded = Loaded {
        stored,
        entity,
        votes: BTreeMap::new(),
        outcome: None,
    };
    Ok(view(&loaded, false, &rfc3339(now)))
}

/// `t` as the records write times.
pub fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

/// The product event of a request (opened, approved, rejected): the target is what it
/// changes, the detail its id.
pub async fn emit(records: &Records, s: &Stored, action: ActivityAction, actor: &str) {
    let target = match &s.change {
        RequestedChange::KeyRotate { key } | RequestedChange::KeyConfigure { key, .. } => {
            format!("keys/{key}")
        }
        RequestedChange::RoleGrant { role, .. } => format!("roles/{}", role.name),
        other => other.path().unwrap_or("approval-rule").to_owned(),
    };
    records
        .emit(ProductEvent {
            action,
            environment: Some(s.environment.clone()),
            actor: actor.to_owned(),
            target,
            detail: Some(s.id.clone()),
        })
        .await;
}

/// Request `id` with its votes and outcome, read as the backend.
pub async fn load(records: &Records, id: &str) -> Result<Loaded, AppError> {
    let missing = || {
        AppError::NotFound(
            ErrorCode::RequestNotFound,
            format!("there is no request {id}"),
        )
    };
    if !valid_id(id) {
        return Err(missing());
    }
    let (index, _) = records
        .read(&format!("{INDEX}/{id}"))
        .await?
        .ok_or_else(missing)?;
    let entity = index["entity"].as_str().ok_or_else(missing)?.to_owned();
    let (data, _) = records
        .read(&format!("{REQUESTS}/{entity}/{id}"))
        .await?
        .ok_or_else(missing)?;
    let stored: Stored = serde_json::from_value(data).map_err(|e| {
        AppError::Conflict(
            ErrorCode::RequestDamaged,
            format!("request {id} cannot be read ({e}); it is left alone"),
        )
    })?;
    if stored.id != id {
        return Err(AppError::Conflict(
            ErrorCode::RequestDamaged,
            format!("the record of request {id} names another request; it is left alone"),
        ));
    }
    let votes = votes_of(records, &stored, &entity).await?;
    let outcome = records
        .read(&format!("{OUTCOMES}/{id}"))
        .await?
        .and_then(|(v, _)| serde_json::from_value(v).ok());
    Ok(Loaded {
        stored,
        entity,
        votes,
        outcome,
    })
}

/// The votes on a request, by voter entity, each named from OpenBao's identity store.
async fn votes_of(
    records: &Records,
    s: &Stored,
    entity: &str,
) -> Result<BTreeMap<String, Vote>, AppError> {
    let prefix = format!("{VOTES}/{}/{entity}/{}", s.environment, s.id);
    let voters = records.list(&prefix).await?;
    let mut out = BTreeMap::new();
    for voter in voters {
        let Some((v, _)) = records.read(&format!("{prefix}/{voter}")).await? else {
            continue;
        };
        let by = name_of(records, &voter).await;
        out.insert(
            voter,
            Vote {
                by,
                approve: v["approve"].as_bool().unwrap_or(false),
                comment: v["comment"].as_str().unwrap_or_default().to_owned(),
                at: v["at"].as_str().unwrap_or_default().to_owned(),
            },
        );
    }
    Ok(out)
}

/// A voter's name: its entity's first alias (the user name), as OpenBao knows it.
/// Names already found, by entity: an entity's first alias does not change, and every
/// round of the carrier's loop and every inbox view would otherwise ask OpenBao again for
/// each vote.
static NAMES: std::sync::LazyLock<std::sync::Mutex<std::collections::HashMap<String, String>>> =
    std::sync::LazyLock::new(Default::default);

async fn name_of(records: &Records, entity: &str) -> String {
    let known = NAMES.lock().ok().and_then(|n| n.get(entity).cloned());
    if let Some(name) = known {
        return name;
    }
    let name = lookup_name(records, entity).await;
    if let (Some(found), Ok(mut names)) = (&name, NAMES.lock()) {
        names.insert(entity.to_owned(), found.clone());
    }
    name.unwrap_or_else(|| format!("entity:{entity}"))
}

/// The entity's first alias (the user name), or its own name; `None` when OpenBao does
/// not say (not kept, so a later look may find it).
async fn lookup_name(records: &Records, entity: &str) -> Option<String> {
    let path = format!("identity/entity/id/{entity}");
    let bao = records.bao().clone();
    let found = records
        .as_backend(|t| {
            let (bao, path) = (bao.clone(), path.clone());
            async move { Ok(bao.read(&path, &t).await?) }
        })
        .await;
    found.ok().flatten().and_then(|v| {
        v.pointer("/data/aliases/0/name")
            .or_else(|| v.pointer("/data/name"))
            .and_then(Value::as_str)
            .map(str::to_owned)
    })
}

/// Every request, newest first, read as the backend.
pub async fn all(records: &Records) -> Result<Vec<Loaded>, AppError> {
    let ids = records.list(INDEX).await?;
    let loaded: Vec<Option<Loaded>> = stream::iter(ids)
        .map(|id| async move {
            match load(records, &id).await {
                Ok(l) => Ok(Some(l)),
                Err(AppError::NotFound(..)) => Ok(None),
                Err(e) => Err(e),
            }
        })
        .buffered(8)
        .try_collect()
        .await?;
    let mut out: Vec<Loaded> = loaded.into_iter().flatten().collect();
    out.sort_by(|a, b| b.stored.created_at.cmp(&a.stored.created_at));
    Ok(out)
}

/// Where a request stands, from its votes, outcome and expiry.
pub fn state(l: &Loaded, now: &str) -> RequestState {
    if let Some(o) = &l.outcome {
        return match o.state.as_str() {
            "applied" => RequestState::Applied,
            "conflict" => RequestState::Conflict,
            _ => RequestState::Approved,
        };
    }
    if l.votes.values().any(|v| !v.approve) {
        return RequestState::Rejected;
    }
    if l.stored.expires_at.as_str() < now {
        return RequestState::Expired;
    }
    let approvals = l
        .votes
        .iter()
        .filter(|(voter, v)| v.approve && **voter != l.entity)
        .count();
    if approvals >= usize::from(l.stored.required) {
        RequestState::Approved
    } else {
        RequestState::Pending
    }
}

/// The request as shown: never its value. `frozen`: a full freeze holds approved changes.
pub fn view(l: &Loaded, frozen: bool, now: &str) -> ApprovalRequest {
    let s = &l.stored;
    let state = state(l, now);
    let outcome = match (&l.outcome, state) {
        (Some(o), _) => Some(o.detail.clone()),
        (None, RequestState::Approved) if frozen => {
            Some("approved; waits for the full freeze to end before it is carried out".to_owned())
        }
        _ => None,
    };
    ApprovalRequest {
        id: s.id.clone(),
        environment: s.environment.clone(),
        change: s.change.clone(),
        requested_by: s.requested_by.clone(),
        reason: s.reason.clone(),
        created_at: s.created_at.clone(),
        expires_at: s.expires_at.clone(),
        base_version: s.base_version,
        required: s.required,
        state,
        votes: l.votes.values().cloned().collect(),
        outcome,
        applied_version: l.outcome.as_ref().and_then(|o| o.version),
        same_value: None,
        changed_keys: Vec::new(),
    }
}

/// Record what carrying `id` out did; `claim` only if nobody has yet (check-and-set).
pub async fn record_outcome(
    records: &Records,
    id: &str,
    outcome: &Outcome,
    claim: bool,
) -> Result<bool, AppError> {
    let data = serde_json::to_value(outcome).map_err(anyhow::Error::from)?;
    match records
        .write(&format!("{OUTCOMES}/{id}"), &data, claim.then_some(0))
        .await
    {
        Ok(_) => Ok(true),
        Err(KvError::CasFailed { .. }) => Ok(false),
        Err(e) => Err(e.into()),
    }
}
