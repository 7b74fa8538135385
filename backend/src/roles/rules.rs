//! The approval rules as role policies see them: an environment with a rule takes the
//! changes out of every role's policy there, and the role a rule names as its approver
//! group may vote there. The rules are records at `crypter/data/approvals/rules/<env>`,
//! written by `approvals`; they are read here so that every policy a role gets, whoever
//! writes it, is derived under them.

use super::policy::Approvals;
use crate::bao::Bao;
use crate::error::AppError;
use crate::records::Records;
use crypter_api::{ApprovalRule, RoleName};
use futures_util::{stream, StreamExt, TryStreamExt};
use secrecy::SecretString;

/// Under `crypter/data/` (and `crypter/metadata/` for the list).
pub const RULES: &str = "approvals/rules";

/// Every environment's rule that is on.
pub async fn load(bao: &Bao, token: &SecretString) -> Result<Vec<ApprovalRule>, AppError> {
    let envs = bao
        .list(&format!("crypter/metadata/{RULES}/"), token)
        .await?;
    let rules: Vec<Option<ApprovalRule>> = stream::iter(envs)
        .map(|env| async move {
            let v = bao
                .read(&format!("crypter/data/{RULES}/{env}"), token)
                .await?;
            let rule = v
                .and_then(|v| {
                    serde_json::from_value::<ApprovalRule>(v["data"]["data"].clone()).ok()
                })
                .filter(ApprovalRule::is_on);
            Ok::<_, AppError>(rule)
        })
        .buffered(8)
        .try_collect()
        .await?;
    Ok(rules.into_iter().flatten().collect())
}

/// Every environment's rule that is on, read with the backend's own identity.
pub async fn load_as_backend(records: &Records) -> Result<Vec<ApprovalRule>, AppError> {
    let mut out = Vec::new();
    for env in records.list(RULES).await? {
        let rule = records
            .read(&format!("{RULES}/{env}"))
            .await?
            .and_then(|(v, _)| serde_json::from_value::<ApprovalRule>(v).ok())
            .filter(ApprovalRule::is_on);
        out.extend(rule);
    }
    Ok(out)
}

/// What `rules` change in `role`'s policy.
pub fn approvals_for(role: &RoleName, rules: &[ApprovalRule]) -> Approvals {
    Approvals {
        ruled: rules.iter().map(|r| r.environment.clone()).collect(),
        approves: rules
            .iter()
            .filter(|r| r.approver_role.as_deref() == Some(role.as_str()))
            .map(|r| r.environment.clone())
            .collect(),
    }
}

/// `role`'s policy under the rules in force.
pub async fn derive_now(
    bao: &Bao,
    token: &SecretString,
    role: &RoleName,
    grants: &[crypter_api::Grant],
) -> Result<String, AppError> {
    let rules = load(bao, token).await?;
    Ok(super::policy::derive_with(
        role,
        grants,
        &approvals_for(role, &rules),
    ))
}
