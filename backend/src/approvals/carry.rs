//! Carrying out approved requests, as the AppRole `crypter-carrier`: its policy reaches
//! the ruled environments' credentials and nothing else, and it is used for nothing but
//! this. A request is claimed with check-and-set on its outcome record, so one instance
//! carries it once; a credential changed since the request was made is a `conflict` and
//! is left as it is. A full freeze holds approved changes until the thaw (OpenBao would
//! refuse them anyway). A background loop carries what a crash or a freeze left approved.

use super::requests::{self, seal_context, Loaded, Outcome};
use crate::bao::kv::{self, Mount};
use crate::bao::Bao;
use crate::bootstrap::AppRoleCredentials;
use crate::clock::Clock;
use crate::credentials;
use crate::error::AppError;
use crate::records::Records;
use crypter_api::ErrorCode;
use crypter_api::{
    ApprovalRuleSet, CredentialClass, CredentialPath, CredentialWrite, EnvName, RequestState,
    RequestedChange,
};
use secrecy::SecretString;
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

/// What carrying out needs: the store, the backend's records, the carrier's login.
#[derive(Clone)]
pub struct Carrier {
    pub bao: Bao,
    pub records: Records,
    pub credentials: Option<AppRoleCredentials>,
    /// Requests expire by it (tests move it).
    pub clock: Arc<dyn Clock>,
}

impl Carrier {
    /// Now, as the records write times.
    pub fn now(&self) -> String {
        requests::rfc3339(self.clock.now())
    }

    async fn token(&self) -> Result<SecretString, AppError> {
        let creds = self.credentials.as_ref().ok_or_else(|| {
            AppError::Conflict(
                ErrorCode::CarrierMissing,
                "this instance has no credentials for crypter-carrier; write the backend \
                 credentials again with `crypter bootstrap --backend-credentials`"
                    .into(),
            )
        })?;
        Ok(creds.login(&self.bao).await?)
    }

    /// Whether a full freeze holds approved changes now.
    pub async fn frozen(&self) -> bool {
        let level = self
            .records
            .read("freeze/state")
            .await
            .ok()
            .flatten()
            .and_then(|(v, _)| v["level"].as_str().map(str::to_owned));
        level.as_deref() == Some("full")
    }

    /// Carry out request `id` if it is approved and nobody has; `rules_token`: the token
    /// that may change the approval rule (the last approver's), for a rule change.
    pub async fn carry(
        &self,
        id: &str,
        rules_token: Option<&SecretString>,
    ) -> Result<(), AppError> {
        let loaded = requests::load(&self.records, id).await?;
        let now = self.now();
        if loaded.outcome.is_some() || requests::state(&loaded, &now) != RequestState::Approved {
            return Ok(());
        }
        if self.frozen().await {
            return Ok(());
        }
        let claim = Outcome {
            state: "carrying".into(),
            detail: "being carried out".into(),
            version: None,
            at: now,
        };
        if !requests::record_outcome(&self.records, id, &claim, true).await? {
            return Ok(());
        }
        let result = self.perform(&loaded, rules_token).await;
        let outcome = match result {
            Ok(version) => Outcome {
                state: "applied".into(),
                detail: format!("carried out by {}", super::policy::CARRIER),
                version,
                at: self.now(),
            },
            Err(why) => Outcome {
                state: "conflict".into(),
                detail: why,
                version: None,
                at: self.now(),
            },
        };
        if outcome.state == "applied" {
            tracing::info!(request = id, "approved request carried out");
        } else {
            tracing::warn!(request = id, detail = %outcome.detail, "approved request not carried out");
        }
        requests::record_outcome(&self.records, id, &outcome, false).await?;
        Ok(())
    }

    /// Make the change: the version written, or why it was not.
    async fn perform(
        &self,
        l: &Loaded,
        rules_token: Option<&SecretString>,
    ) -> Result<Option<u64>, String> {
        let s = &l.stored;
        let env = EnvName::parse(&s.environment).map_err(|e| e.to_string())?;
        match &s.change {
            RequestedChange::RuleChange { rule } => {
                return self
                    .change_rule(&env, rule, &s.requested_by, rules_token)
                    .await;
            }
            RequestedChange::KeyRotate { key } => {
                return self.rotate(&env, key, s.base_version).await;
            }
            RequestedChange::KeyConfigure { key, update } => {
                let token = rules_token.ok_or(
                    "a key's configuration changes with the token of an admin who carries it \
                     out, and none was given",
                )?;
                let name = crypter_api::KeyName::parse(key).map_err(|e| e.to_string())?;
                return crate::keys::update(&self.bao, token, &s.requested_by, &env, &name, update)
                    .await
                    .map(|_| None)
                    .map_err(|e| format!("the key could not be changed: {}", e.cause_chain()));
            }
            RequestedChange::RoleGrant { role, create } => {
                let token = rules_token.ok_or(
                    "a role's grants change with the token of an admin who carries it out, and \
                     none was given",
                )?;
                return crate::roles::save(&self.bao, token, role, *create)
                    .await
                    .map(|()| None)
                    .map_err(|e| format!("the role could not be saved: {}", e.cause_chain()));
            }
            _ => {}
        }
        self.credential(l, &env).await
    }

    /// A credential change, as the carrier, labelled with who asked and who approved.
    async fn credential(&self, l: &Loaded, env: &EnvName) -> Result<Option<u64>, String> {
        let s = &l.stored;
        let env = env.clone();
        let path = CredentialPath::parse(s.change.path().unwrap_or_default())
            .map_err(|e| e.to_string())?;
        let token = self.token().await.map_err(|e| e.to_string())?;
        let approvers: Vec<&str> = l
            .votes
            .values()
            .filter(|v| v.approve)
            .map(|v| v.by.as_str())
            .collect();
        let label = format!("{}:{}:{}", s.id, s.requested_by, approvers.join(","));
        let bao = &self.bao.with_purpose(crate::bao::Purpose::Approval(label));
        let current = kv::metadata(bao, &token, &Mount::env(&env), path.as_ref())
            .await
            .map_err(|e| e.to_string())?
            .map_or(0, |m| m.current_version);
        let base = s.base_version.unwrap_or(0);
        if current != base {
            return Err(format!(
                "conflict: {env}/{path} is at version {current}, not {base} as when the \
                 request was made; nothing was changed"
            ));
        }
        let done = match &s.change {
            RequestedChange::CredentialWrite { fields, .. } => {
                let data = self.value(s).await?;
                let class = fields
                    .class
                    .as_deref()
                    .map(|c| CredentialClass::parse(c).ok_or_else(|| format!("class {c:?}")))
                    .transpose()?;
                let w = CredentialWrite {
                    data,
                    class,
                    owner: fields.owner.clone(),
                    description: fields.description.clone(),
                    labels: fields.labels.clone(),
                    rotate_after_days: fields.rotate_after_days,
                    expires: fields.expires.clone(),
                    cas: Some(base),
                };
                let done = |_| async {};
                credentials::put(bao, &token, &s.requested_by, &env, &path, &w, done).await
            }
            RequestedChange::CredentialDelete { .. } => {
                credentials::soft_delete(bao, &token, &env, &path).await
            }
            RequestedChange::CredentialDestroy { versions, .. } => {
                credentials::destroy(bao, &token, &env, &path, versions).await
            }
            RequestedChange::CredentialRollback { version, .. } => {
                credentials::rollback(bao, &token, &env, &path, *version).await
            }
            RequestedChange::RuleChange { .. }
            | RequestedChange::KeyRotate { .. }
            | RequestedChange::KeyConfigure { .. }
            | RequestedChange::RoleGrant { .. } => {
                return Err(format!("a {} is not a credential change", s.change.label()));
            }
        };
        // The token served this one change.
        let _ = bao
            .write("auth/token/revoke-self", &token, &serde_json::json!({}))
            .await;
        done.map(|w| Some(w.version)).map_err(|e| match e {
            AppError::Conflict(_, m) => format!("conflict: {m}"),
            other => other.cause_chain(),
        })
    }

    /// Rotate key `name`, if its latest version is still the one the request saw.
    async fn rotate(
        &self,
        env: &EnvName,
        name: &str,
        base: Option<u64>,
    ) -> Result<Option<u64>, String> {
        let token = self.token().await.map_err(|e| e.to_string())?;
        let path = format!("transit/{env}/keys/{name}");
        let read = self
            .bao
            .read(&path, &token)
            .await
            .map_err(|e| e.to_string())?;
        let current = read
            .and_then(|v| {
                v.pointer("/data/latest_version")
                    .and_then(serde_json::Value::as_u64)
            })
            .unwrap_or(0);
        let base = base.unwrap_or(0);
        if current != base {
            return Err(format!(
                "conflict: key {env}/{name} is at version {current}, not {base} as when the \
                 request was made; nothing was changed"
            ));
        }
        let empty = serde_json::json!({});
        let rotated = self
            .bao
            .write(&format!("{path}/rotate"), &token, &empty)
            .await;
        let _ = self
            .bao
            .write("auth/token/revoke-self", &token, &empty)
            .await;
        rotated.map_err(|e| e.to_string())?;
        Ok(Some(base + 1))
    }

    async fn value(&self, s: &requests::Stored) -> Result<BTreeMap<String, String>, String> {
        let sealed = s.sealed.as_deref().ok_or("the request holds no value")?;
        let bytes = self
            .records
            .open(&seal_context(&s.id), sealed)
            .await
            .map_err(|e| format!("the request's value does not open: {e}"))?;
        serde_json::from_slice(&bytes).map_err(|_| "the request's value does not decode".into())
    }

    async fn change_rule(
        &self,
        env: &EnvName,
        rule: &ApprovalRuleSet,
        by: &str,
        token: Option<&SecretString>,
    ) -> Result<Option<u64>, String> {
        let token = token.ok_or(
            "a rule change is carried out with the last approver's token, and none was given",
        )?;
        super::rules::write(&self.bao, token, env, rule, by)
            .await
            .map(|_| None)
            .map_err(|e| format!("the rule could not be changed: {}", e.cause_chain()))
    }
}

/// Carry out, every `every`, what is approved and not yet carried out (after a crash, or
/// once a full freeze ends). One instance at a time (a lease).
pub fn spawn(carrier: Carrier, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let holder = crate::notifications::lease::holder();
        let mut lease = crate::notifications::lease::Hold::new("approvals-carry", &holder, 30);
        let mut done: HashSet<String> = HashSet::new();
        loop {
            tokio::time::sleep(every).await;
            if !matches!(lease.ensure(&carrier.records).await, Ok(true)) {
                continue;
            }
            let ids = match carrier.records.list(super::INDEX).await {
                Ok(ids) => ids,
                Err(e) => {
                    tracing::warn!(error = %e, "approvals: cannot list requests");
                    continue;
                }
            };
            let open: Vec<String> = ids.into_iter().filter(|id| !done.contains(id)).collect();
            for id in open {
                match requests::load(&carrier.records, &id).await {
                    Ok(l) if requests::state(&l, &carrier.now()).is_final() => {
                        done.insert(id);
                    }
                    Ok(l) if l.stored.change.needs_admin() => {}
                    Ok(_) => {
                        if let Err(e) = carrier.carry(&id, None).await {
                            tracing::warn!(request = %id, error = %e, "approvals: cannot carry out");
                        }
                    }
                    Err(e) => tracing::warn!(request = %id, error = %e, "approvals: cannot read"),
                }
            }
        }
    })
}
