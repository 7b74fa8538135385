//! Lint rules about roles: `policy-drift` (the live policy differs from the one derived
//! from the grants) and `dangling-grant` (a grant names an environment that does not exist).

use super::{derive, environment_exists, live_policy, policy_name};
use crate::bao::Bao;
use crate::error::AppError;
use crypter_api::{GrantEnv, LintFinding, Severity};
use secrecy::SecretString;

pub async fn findings(bao: &Bao, token: &SecretString) -> Result<Vec<LintFinding>, AppError> {
    let mut out = Vec::new();
    for role in super::list(bao, token).await? {
        let derived = derive(&role.name, &role.grants);
        let policy = policy_name(&role.name);
        match live_policy(bao, token, &role.name).await? {
            Some(live) if live == derived => {}
            Some(_) => out.push(LintFinding {
                rule: "policy-drift".into(),
                severity: Severity::Warning,
                environment: None,
                path: Some(format!("role/{}", role.name)),
                message: format!(
                    "policy {policy} was edited in OpenBao and no longer matches role {}'s \
                     grants; save the role in Crypter to restore it, or copy the change into \
                     its grants",
                    role.name
                ),
            }),
            None => out.push(LintFinding {
                rule: "policy-drift".into(),
                severity: Severity::Warning,
                environment: None,
                path: Some(format!("role/{}", role.name)),
                message: format!(
                    "policy {policy} is missing from OpenBao; save role {} in Crypter to \
                     recreate it",
                    role.name
                ),
            }),
        }
        let mut seen = Vec::new();
        for grant in &role.grants {
            let GrantEnv::Named(env) = &grant.environment else {
                continue;
            };
            if seen.contains(env) {
                continue;
            }
            seen.push(env.clone());
            if !environment_exists(bao, token, env).await? {
                out.push(LintFinding {
                    rule: "dangling-grant".into(),
                    severity: Severity::Error,
                    environment: Some(env.to_string()),
                    path: Some(format!("role/{}", role.name)),
                    message: format!(
                        "role {} grants access to environment {env}, which does not exist; \
                         remove the grant or create the environment",
                        role.name
                    ),
                });
            }
        }
    }
    Ok(out)
}
