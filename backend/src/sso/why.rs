//! "Why can I do this?": the path from a person's provider group, through OpenBao's group
//! and the policy it carries, to the role's grants and the capability on a credential.
//! Every step is read from OpenBao: the identity (entity, groups, aliases) by lookups, the
//! capabilities by `sys/capabilities` (a probe token holding only role policies, as the
//! role check does) and, for oneself, `sys/capabilities-self` with one's own token.
//! Nothing here decides access; an admin asking about someone else needs OpenBao's leave
//! to read that person's identity.

use crate::bao::{strings, Bao, BaoError};
use crate::error::AppError;
use crate::roles::access::PROBE_TOKEN_ROLE;
use crypter_api::{
    CredentialPath, EnvName, ErrorCode, GrantEnv, RoleName, WhyAnswer, WhyLink, WhySource,
};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Value};

/// Whom the question is about.
pub enum Subject<'a> {
    /// The caller, with the entity their session's token belongs to.
    Myself {
        username: &'a str,
        entity_id: Option<&'a str>,
    },
    /// Someone else, by login method (`userpass` or `oidc`) and name.
    Person { method: &'a str, name: &'a str },
}

/// Answer for `env/<env>/data/<path>`.
pub async fn explain(
    bao: &Bao,
    token: &SecretString,
    subject: Subject<'_>,
    env: &EnvName,
    path: &CredentialPath,
) -> Result<WhyAnswer, AppError> {
    let asked = format!("env/{env}/data/{path}");
    let myself = matches!(subject, Subject::Myself { .. });
    // Oneself: the identity policies OpenBao gives one's token (lookup-self), for the
    // groups one's own token may not read.
    let mut identity_policies = Vec::new();
    let (user, entity_id, mut links) = match subject {
        Subject::Myself {
            username,
            entity_id,
        } => {
            let own = bao
                .request(
                    reqwest::Method::GET,
                    "auth/token/lookup-self",
                    Some(token),
                    None,
                )
                .await?
                .and_then(|v| v.get("data").cloned())
                .unwrap_or_default();
            identity_policies = strings(own.get("identity_policies"));
            let links = token_links(strings(own.get("policies")));
            (username.to_owned(), entity_id.map(str::to_owned), links)
        }
        Subject::Person { method, name } => {
            let (entity, links) = person(bao, token, method, name).await?;
            (name.to_owned(), entity, links)
        }
    };
    if let Some(id) = &entity_id {
        let (found, unreadable) = identity_links(bao, token, id).await?;
        links.extend(found);
        if !unreadable.is_empty() {
            let source = WhySource::Group {
                openbao_group: unreadable.join(", "),
                provider_group: None,
            };
            let known: Vec<String> = links.iter().map(|l| l.policy.clone()).collect();
            for policy in identity_policies.into_iter().filter(|p| !known.contains(p)) {
                links.push(link(source.clone(), policy));
            }
        }
    }
    for link in &mut links {
        let Some(role) = link.role.clone() else {
            continue;
        };
        // Minting the probe token is the admins' (the access check's token role): for
        // anyone else the link keeps OpenBao's overall answer only.
        link.capabilities =
            match probe_capabilities(bao, token, std::slice::from_ref(&role), &asked).await {
                Ok(caps) => Some(caps),
                Err(AppError::Store(BaoError::Forbidden { .. })) => None,
                Err(e) => return Err(e),
            };
        link.grants = grants_on(bao, token, &role, env).await?;
    }
    let capabilities = if myself {
        own_capabilities(bao, token, &asked).await?
    } else {
        let mut roles: Vec<RoleName> = links.iter().filter_map(|l| l.role.clone()).collect();
        roles.sort();
        roles.dedup();
        if roles.is_empty() {
            vec!["deny".to_owned()]
        } else {
            probe_capabilities(bao, token, &roles, &asked).await?
        }
    };
    Ok(WhyAnswer {
        user,
        entity_id,
        path: asked,
        capabilities,
        links,
    })
}

/// Someone else: their entity (looked up by their login alias) and the policies their
/// login method gives their tokens directly.
async fn person(
    bao: &Bao,
    token: &SecretString,
    method: &str,
    name: &str,
) -> Result<(Option<String>, Vec<WhyLink>), AppError> {
    let mount = match method {
        "userpass" => "userpass",
        "oidc" => super::MOUNT,
        _ => {
            return Err(AppError::bad_request(
                ErrorCode::InvalidLoginMethod,
                "name the person's login method: 'userpass' or 'oidc'",
            ))
        }
    };
    let auth = bao.read("sys/auth", token).await?.unwrap_or_default();
    let mounts = auth.get("data").filter(|d| d.is_object()).unwrap_or(&auth);
    let accessor = mounts
        .pointer(&format!("/{mount}~1/accessor"))
        .and_then(Value::as_str)
        .ok_or_else(|| {
            AppError::NotFound(
                ErrorCode::LoginMethodNotFound,
                format!("no {method} login method in OpenBao"),
            )
        })?;
    let found = bao
        .write(
            "identity/lookup/entity",
            token,
            &json!({ "alias_name": name, "alias_mount_accessor": accessor }),
        )
        .await?
        .and_then(|v| {
            v.pointer("/data/id")
                .and_then(Value::as_str)
                .map(str::to_owned)
        });
    let mut links = Vec::new();
    if method == "userpass" {
        let user = bao
            .read(&format!("auth/userpass/users/{name}"), token)
            .await?
            .ok_or_else(|| {
                AppError::NotFound(ErrorCode::UserNotFound, format!("no user named {name}"))
            })?;
        links = token_links(strings(user.pointer("/data/token_policies")));
    } else if found.is_none() {
        return Err(AppError::NotFound(
            ErrorCode::IdentityNotFound,
            format!(
            "{name} has not signed in through single sign-on yet, so OpenBao knows no identity \
             for them"
        ),
        ));
    }
    Ok((found, links))
}

/// Links for policies a token carries itself.
fn token_links(policies: Vec<String>) -> Vec<WhyLink> {
    policies
        .into_iter()
        .filter(|p| p != "default")
        .map(|policy| link(WhySource::Token, policy))
        .collect()
}

fn link(source: WhySource, policy: String) -> WhyLink {
    WhyLink {
        role: policy
            .strip_prefix("crypter-role-")
            .and_then(|r| RoleName::parse(r).ok()),
        source,
        policy,
        grants: Vec::new(),
        capabilities: None,
    }
}

/// The entity's own policies and each of its groups' (direct and inherited), with the
/// provider group behind an external one; and the ids of the groups `token` may not read.
async fn identity_links(
    bao: &Bao,
    token: &SecretString,
    entity_id: &str,
) -> Result<(Vec<WhyLink>, Vec<String>), AppError> {
    let entity = bao
        .read(&format!("identity/entity/id/{entity_id}"), token)
        .await?
        .and_then(|v| v.get("data").cloned())
        .unwrap_or_default();
    let mut links: Vec<WhyLink> = strings(entity.get("policies"))
        .into_iter()
        .map(|p| link(WhySource::Entity, p))
        .collect();
    let mut groups = strings(entity.get("group_ids"));
    groups.extend(strings(entity.get("inherited_group_ids")));
    groups.sort();
    groups.dedup();
    let mut unreadable = Vec::new();
    for id in groups {
        let group = match bao.read(&format!("identity/group/id/{id}"), token).await {
            Ok(g) => g.and_then(|v| v.get("data").cloned()).unwrap_or_default(),
            // One's own token may not read the group: it is named by its id.
            Err(BaoError::Forbidden { .. }) => {
                unreadable.push(id);
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        let openbao_group = group
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or(&id)
            .to_owned();
        let provider_group = (group.get("type").and_then(Value::as_str) == Some("external"))
            .then(|| group.pointer("/alias/name").and_then(Value::as_str))
            .flatten()
            .map(str::to_owned);
        for policy in strings(group.get("policies")) {
            links.push(link(
                WhySource::Group {
                    openbao_group: openbao_group.clone(),
                    provider_group: provider_group.clone(),
                },
                policy,
            ));
        }
    }
    Ok((links, unreadable))
}

/// The role's grants that reach `env`, in words.
async fn grants_on(
    bao: &Bao,
    token: &SecretString,
    role: &RoleName,
    env: &EnvName,
) -> Result<Vec<String>, AppError> {
    let role = match crate::roles::get(bao, token, role).await {
        Ok(r) => r,
        // A role gone, or one the caller's token may not read: no grants to show.
        Err(AppError::NotFound(..) | AppError::Store(BaoError::Forbidden { .. })) => {
            return Ok(Vec::new())
        }
        Err(e) => return Err(e),
    };
    Ok(role
        .grants
        .iter()
        .filter(|g| match &g.environment {
            GrantEnv::Any => true,
            GrantEnv::Named(e) => e == env,
        })
        .map(|g| {
            let caps: Vec<&str> = g.capabilities.iter().map(|c| c.as_str()).collect();
            format!(
                "{} {} on {} {} in {}",
                match g.effect {
                    crypter_api::Effect::Allow => "allow",
                    crypter_api::Effect::Deny => "deny",
                },
                caps.join(", "),
                g.target.as_str(),
                g.scope.as_str(),
                g.environment
            )
        })
        .collect())
}

/// OpenBao's capabilities on `path` for a token holding exactly these role policies (a
/// 60 s batch token of the `crypter-check` token role).
async fn probe_capabilities(
    bao: &Bao,
    token: &SecretString,
    roles: &[RoleName],
    path: &str,
) -> Result<Vec<String>, AppError> {
    let policies: Vec<String> = roles.iter().map(crate::roles::policy_name).collect();
    let probe = bao
        .write(
            &format!("auth/token/create/{PROBE_TOKEN_ROLE}"),
            token,
            &json!({ "policies": policies, "ttl": "60s" }),
        )
        .await?
        .and_then(|v| {
            v.pointer("/auth/client_token")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("token create returned no token")))?;
    let answer = bao
        .write(
            "sys/capabilities",
            token,
            &json!({ "token": SecretString::from(probe).expose_secret(), "paths": [path] }),
        )
        .await?
        .unwrap_or_default();
    Ok(capabilities_in(&answer, path))
}

async fn own_capabilities(
    bao: &Bao,
    token: &SecretString,
    path: &str,
) -> Result<Vec<String>, AppError> {
    let answer = bao
        .write("sys/capabilities-self", token, &json!({ "paths": [path] }))
        .await?
        .unwrap_or_default();
    Ok(capabilities_in(&answer, path))
}

fn capabilities_in(answer: &Value, path: &str) -> Vec<String> {
    let mut caps = strings(
        answer
            .get(path)
            .or_else(|| answer.get("data").and_then(|d| d.get(path)))
            .or_else(|| answer.get("capabilities")),
    );
    caps.sort();
    caps
}
