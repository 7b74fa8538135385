//! An environment's approval rule: `crypter/data/approvals/rules/<env>`, written by an
//! admin with their own token. Writing one also makes OpenBao hold it: every role's policy
//! loses its changes in the environment, the approvers get the right to vote (a policy on
//! an identity group of their entities, or on the approver role's own policy), and the
//! carrier the right to write there. Setting a rule where none is takes effect at once;
//! changing or removing one is itself a request under the rule.

use super::policy::{self, CARRIER};
use super::RULES;
use crate::bao::kv::{self, Mount};
use crate::bao::{Bao, BaoError};
use crate::error::AppError;
use crate::records::Records;
use crate::roles::rules::approvals_for;
use crypter_api::ErrorCode;
use crypter_api::{ApprovalRule, ApprovalRuleSet, EnvName, RoleName};
use secrecy::SecretString;
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// `env`'s rule (`required: 0` when none), read as the backend.
pub async fn get(records: &Records, env: &EnvName) -> Result<ApprovalRule, AppError> {
    let rule = records
        .read(&format!("{RULES}/{env}"))
        .await?
        .and_then(|(v, _)| serde_json::from_value::<ApprovalRule>(v).ok())
        .filter(ApprovalRule::is_on);
    Ok(rule.unwrap_or_else(|| ApprovalRule {
        environment: env.to_string(),
        ..ApprovalRule::default()
    }))
}

/// Where the rules are, under `crypter/data/`.
pub const RULES_KEY: &str = RULES;

/// Most approvals a rule can require.
pub const MAX_REQUIRED: u8 = 3;

/// A rule that can be set: the numbers add up and the approvers exist. Checked with the
/// caller's token (an admin reads users and roles).
pub async fn validate(
    bao: &Bao,
    token: &SecretString,
    env: &EnvName,
    set: &ApprovalRuleSet,
) -> Result<(), AppError> {
    if !crate::roles::environment_exists(bao, token, env).await? {
        return Err(crate::environments::not_found(env));
    }
    if set.reason.as_ref().is_some_and(|r| r.chars().count() > 500) {
        return Err(bad("the reason is longer than 500 characters"));
    }
    if set.required > MAX_REQUIRED {
        return Err(bad(format!(
            "required is {}; a rule requires 1 to {MAX_REQUIRED} approvals (0 removes it)",
            set.required
        )));
    }
    if set.required == 0 {
        return if set.approvers.is_empty() && set.approver_role.is_none() {
            Ok(())
        } else {
            Err(bad(
                "required 0 removes the rule: name no approvers with it",
            ))
        };
    }
    match (&set.approver_role, set.approvers.is_empty()) {
        (Some(_), false) => Err(bad("name approvers (users) or an approver_role, not both")),
        (None, true) => Err(bad(
            "name the approvers: a list of users (approvers) or a role (approver_role)",
        )),
        (Some(role), true) => {
            let name =
                RoleName::parse(role).map_err(|e| bad(format!("approver_role {role:?}: {e}")))?;
            match crate::roles::get(bao, token, &name).await {
                Ok(_) => Ok(()),
                Err(AppError::NotFound(..)) => Err(bad(format!(
                    "there is no role {role:?} to approve with; create it first"
                ))),
                Err(e) => Err(e),
            }
        }
        (None, false) => validate_users(bao, token, set).await,
    }
}

async fn validate_users(
    bao: &Bao,
    token: &SecretString,
    set: &ApprovalRuleSet,
) -> Result<(), AppError> {
    let unique: BTreeSet<&String> = set.approvers.iter().collect();
    if unique.len() != set.approvers.len() {
        return Err(bad("an approver is named twice"));
    }
    if usize::from(set.required) > unique.len() {
        return Err(bad(format!(
            "required is {} but only {} approver(s) are named: nobody could approve",
            set.required,
            unique.len()
        )));
    }
    let accessor = userpass_accessor(bao, token).await?;
    for name in unique {
        let name = name.as_str();
        crypter_api::Username::parse(name).map_err(|e| bad(format!("approver {name:?}: {e}")))?;
        if bao
            .read(&format!("auth/userpass/users/{name}"), token)
            .await?
            .is_none()
        {
            return Err(bad(format!("there is no user {name:?} to approve")));
        }
        if entity_of(bao, token, &accessor, name).await?.is_none() {
            return Err(bad(format!(
                "{name} has never logged in, so OpenBao has no identity for them yet to \
                 let approve; ask them to log in once"
            )));
        }
    }
    Ok(())
}

/// The token is an approver of every environment in `envs` that has a rule, as OpenBao
/// answers for it (may it write a vote on someone else's request there?); a 403 naming the
/// first where it is not, and a 409 when none of them has a rule. For runs whose go/no-go
/// must come from the approver groups.
pub async fn must_approve_all(
    bao: &Bao,
    token: &SecretString,
    envs: &[String],
) -> Result<(), AppError> {
    let me = bao
        .read("auth/token/lookup-self", token)
        .await?
        .and_then(|v| {
            v.pointer("/data/entity_id")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .filter(|e| !e.is_empty())
        .ok_or_else(|| {
            AppError::Forbidden("a token without an identity entity approves nothing".into())
        })?;
    let rules = crate::roles::rules::load(bao, token).await?;
    let ruled: Vec<&String> = envs
        .iter()
        .filter(|e| rules.iter().any(|r| &r.environment == *e))
        .collect();
    if ruled.is_empty() {
        return Err(AppError::Conflict(
            ErrorCode::ApprovalRuleMissing,
            "this run's go/no-go must come from approvers, but none of its environments has an \
             approval rule; set one first"
                .into(),
        ));
    }
    for env in ruled {
        let probe = format!(
            "crypter/data/{}/{env}/someone-else/0000000000000000/{me}",
            super::VOTES
        );
        let answer = bao
            .write("sys/capabilities-self", token, &json!({ "paths": [probe] }))
            .await?
            .unwrap_or_default();
        let caps = answer["data"][&probe]
            .as_array()
            .or_else(|| answer[&probe].as_array())
            .cloned()
            .unwrap_or_default();
        if !caps.iter().any(|c| c == "create" || c == "root") {
            return Err(AppError::Forbidden(format!(
                "this run's go/no-go must be signed by an approver of {env}, and OpenBao says \
                 this token's owner is not one"
            )));
        }
    }
    Ok(())
}

fn bad(message: impl Into<String>) -> AppError {
    AppError::bad_request(ErrorCode::InvalidApprovalRule, message)
}

/// Write `env`'s rule as `set` says, with the caller's token, and make OpenBao hold it.
pub async fn write(
    bao: &Bao,
    token: &SecretString,
    env: &EnvName,
    set: &ApprovalRuleSet,
    by: &str,
) -> Result<ApprovalRule, AppError> {
    let rule = ApprovalRule {
        environment: env.to_string(),
        required: set.required,
        approvers: set.approvers.clone(),
        approver_role: set.approver_role.clone(),
        set_by: Some(by.to_owned()),
        set_at: Some(crate::clock::now_rfc3339()),
    };
    let crypter = Mount::v2("crypter");
    let key = format!("{RULES}/{env}");
    if rule.is_on() {
        let data = serde_json::to_value(&rule).map_err(anyhow::Error::from)?;
        kv::write_json(bao, token, &crypter, &key, &data, None).await?;
    } else {
        match kv::remove(bao, token, &crypter, &key).await {
            Ok(()) | Err(kv::KvError::NotFound { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    enforce(bao, token, env, &rule).await?;
    Ok(rule)
}

/// Make OpenBao hold the rules as they now are: every role's policy, `env`'s approvers,
/// the carrier's policy.
async fn enforce(
    bao: &Bao,
    token: &SecretString,
    env: &EnvName,
    rule: &ApprovalRule,
) -> Result<(), AppError> {
    let rules = crate::roles::rules::load(bao, token).await?;
    for role in crate::roles::list(bao, token).await? {
        let derived =
            crate::roles::derive_with(&role.name, &role.grants, &approvals_for(&role.name, &rules));
        let live = crate::roles::live_policy(bao, token, &role.name).await?;
        if live.as_deref() != Some(derived.as_str()) {
            write_policy(bao, token, &crate::roles::policy_name(&role.name), &derived).await?;
        }
    }
    approvers(bao, token, env, rule).await?;
    let ruled: BTreeSet<String> = rules.iter().map(|r| r.environment.clone()).collect();
    write_policy(bao, token, CARRIER, &policy::carrier(&ruled)).await
}

async fn write_policy(
    bao: &Bao,
    token: &SecretString,
    name: &str,
    hcl: &str,
) -> Result<(), AppError> {
    bao.write(
        &format!("sys/policies/acl/{name}"),
        token,
        &json!({ "policy": hcl }),
    )
    .await?;
    Ok(())
}

/// `env`'s approvers as OpenBao sees them: for a list of users, an identity group of their
/// entities with the approvers' policy; otherwise neither.
async fn approvers(
    bao: &Bao,
    token: &SecretString,
    env: &EnvName,
    rule: &ApprovalRule,
) -> Result<(), AppError> {
    let name = policy::approvers_name(env.as_str());
    let group = format!("identity/group/name/{name}");
    if !rule.is_on() || rule.approvers.is_empty() {
        bao.delete(&group, token).await.or_else(gone)?;
        bao.delete(&format!("sys/policies/acl/{name}"), token)
            .await
            .or_else(gone)?;
        return Ok(());
    }
    write_policy(bao, token, &name, &policy::approvers(env.as_str())).await?;
    let accessor = userpass_accessor(bao, token).await?;
    let mut members = Vec::new();
    for user in &rule.approvers {
        if let Some(id) = entity_of(bao, token, &accessor, user).await? {
            members.push(id);
        }
    }
    bao.write(
        &group,
        token,
        &json!({ "type": "internal", "policies": [name], "member_entity_ids": members }),
    )
    .await?;
    Ok(())
}

fn gone(e: BaoError) -> Result<(), BaoError> {
    match e {
        BaoError::NotFound { .. } => Ok(()),
        other => Err(other),
    }
}

/// The accessor of the `userpass/` auth mount.
async fn userpass_accessor(bao: &Bao, token: &SecretString) -> Result<String, AppError> {
    let auth = bao.read("sys/auth", token).await?.unwrap_or_default();
    auth.pointer("/data/userpass~1/accessor")
        .or_else(|| auth.pointer("/userpass~1/accessor"))
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| {
            AppError::Conflict(
                ErrorCode::UserpassMissing,
                "OpenBao has no userpass/ login method".into(),
            )
        })
}

/// The identity entity of userpass user `name`, once they have logged in.
async fn entity_of(
    bao: &Bao,
    token: &SecretString,
    accessor: &str,
    name: &str,
) -> Result<Option<String>, AppError> {
    let found = bao
        .write(
            "identity/lookup/entity",
            token,
            &json!({ "alias_name": name, "alias_mount_accessor": accessor }),
        )
        .await?;
    Ok(found.and_then(|v| {
        v.pointer("/data/id")
            .and_then(Value::as_str)
            .map(str::to_owned)
    }))
}
