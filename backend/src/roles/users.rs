//! Human users: userpass users whose token policies are their roles' policies. Passwords
//! go to OpenBao and nowhere else: never logged, never returned, never in activity.

use super::{policy_name, settings};
use crate::bao::Bao;
use crate::error::AppError;
use crypter_api::ErrorCode;
use crypter_api::{NewUser, RoleName, User, Username};
use futures_util::{stream, StreamExt};
use secrecy::SecretString;
use serde_json::{json, Value};

const USERS: &str = "auth/userpass/users";
const ROLE_POLICY_PREFIX: &str = "crypter-role-";
pub const MIN_PASSWORD_LEN: usize = 12;

/// The one username rule ([`crypter_api::Username`]); logins check it too.
pub fn validate_name(name: &str) -> Result<(), AppError> {
    crypter_api::Username::parse(name)?;
    Ok(())
}

fn split_policies(policies: &[String]) -> (Vec<RoleName>, Vec<String>) {
    let mut roles = Vec::new();
    let mut other = Vec::new();
    for p in policies {
        match p
            .strip_prefix(ROLE_POLICY_PREFIX)
            .and_then(|r| RoleName::parse(r).ok())
        {
            Some(r) => roles.push(r),
            None if p == "default" => {}
            None => other.push(p.clone()),
        }
    }
    (roles, other)
}

fn policies_of(v: &Value) -> Vec<String> {
    v.pointer("/data/token_policies")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|p| p.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

pub async fn get(bao: &Bao, token: &SecretString, name: &str) -> Result<User, AppError> {
    let deprecated = settings::read(bao, token).await?.deprecated_methods;
    get_with(bao, token, name, &deprecated).await
}

async fn get_with(
    bao: &Bao,
    token: &SecretString,
    name: &str,
    deprecated: &[String],
) -> Result<User, AppError> {
    validate_name(name)?;
    let name = &name.to_lowercase();
    let v = bao
        .read(&format!("{USERS}/{name}"), token)
        .await?
        .ok_or_else(|| {
            AppError::NotFound(
                ErrorCode::UserNotFound,
                format!("there is no user named {name}"),
            )
        })?;
    let (roles, other_policies) = split_policies(&policies_of(&v));
    Ok(User {
        name: name.to_owned(),
        roles,
        other_policies,
        deprecated_methods: deprecated
            .iter()
            .filter(|m| *m == "userpass/")
            .cloned()
            .collect(),
    })
}

pub async fn list(bao: &Bao, token: &SecretString) -> Result<Vec<User>, AppError> {
    let deprecated = settings::read(bao, token).await?.deprecated_methods;
    let names = bao.list(USERS, token).await?;
    let reads: Vec<Result<User, AppError>> = stream::iter(names)
        .map(|name| {
            let deprecated = &deprecated;
            async move { get_with(bao, token, &name, deprecated).await }
        })
        .buffered(super::FAN_OUT)
        .collect()
        .await;
    let mut users = Vec::new();
    for read in reads {
        match read {
            Ok(u) => users.push(u),
            Err(AppError::NotFound(..)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(users)
}

async fn check_roles_exist(
    bao: &Bao,
    token: &SecretString,
    roles: &[RoleName],
) -> Result<(), AppError> {
    for r in roles {
        match super::get(bao, token, r).await {
            Ok(_) => {}
            Err(AppError::NotFound(..)) => {
                return Err(AppError::bad_request(
                    ErrorCode::UnknownRole,
                    format!("role {r} does not exist; create it first"),
                ))
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

fn token_policies(roles: &[RoleName], other: &[String]) -> Vec<String> {
    let mut all: Vec<String> = other.to_vec();
    all.extend(roles.iter().map(policy_name));
    all.sort();
    all.dedup();
    all
}

pub async fn create(bao: &Bao, token: &SecretString, new: &NewUser) -> Result<User, AppError> {
    // Userpass keeps names in lower case and compares them so: `Bob` is `bob`.
    let new = &NewUser {
        name: Username::parse(&new.name.as_str().to_lowercase())?,
        ..new.clone()
    };
    if new.password.chars().count() < MIN_PASSWORD_LEN {
        return Err(AppError::bad_request(
            ErrorCode::WeakPassword,
            format!("a password has at least {MIN_PASSWORD_LEN} characters"),
        ));
    }
    if bao
        .read(&format!("{USERS}/{}", new.name), token)
        .await?
        .is_some()
    {
        return Err(AppError::Conflict(
            ErrorCode::UserExists,
            format!("a user named {} already exists", new.name),
        ));
    }
    check_roles_exist(bao, token, &new.roles).await?;
    bao.write(
        &format!("{USERS}/{}", new.name),
        token,
        &json!({
            "password": new.password,
            "token_policies": token_policies(&new.roles, &[]),
            "token_ttl": "8h",
            "token_max_ttl": "24h",
        }),
    )
    .await?;
    get(bao, token, new.name.as_str()).await
}

/// Replace the user's Crypter roles; other policies (e.g. `crypter-admin`) are kept.
pub async fn set_roles(
    bao: &Bao,
    token: &SecretString,
    name: &str,
    roles: &[RoleName],
) -> Result<User, AppError> {
    let user = get(bao, token, name).await?;
    check_roles_exist(bao, token, roles).await?;
    bao.write(
        &format!("{USERS}/{name}"),
        token,
        &json!({ "token_policies": token_policies(roles, &user.other_policies) }),
    )
    .await?;
    get(bao, token, name).await
}

/// Delete a person, then end every token they logged in with and every token those made
/// (OpenBao revokes none when a userpass user is deleted): each login's lease under
/// `auth/userpass/login/<name>/` is revoked, which revokes its token and the token's
/// children. (`revoke-prefix` would also reach `anna`'s logins when `ann` is deleted, and
/// OpenBao refuses a write to a path ending in `/`.)
pub async fn remove(bao: &Bao, token: &SecretString, name: &str) -> Result<(), AppError> {
    get(bao, token, name).await?;
    bao.delete(&format!("{USERS}/{name}"), token).await?;
    let logins = format!("auth/userpass/login/{name}");
    let leases = bao
        .list(&format!("sys/leases/lookup/{logins}/"), token)
        .await?;
    for lease in leases.iter().filter(|l| !l.ends_with('/')) {
        let path = format!("sys/leases/revoke/{logins}/{lease}");
        bao.write(&path, token, &serde_json::json!({})).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_split_into_roles_and_others() {
        let (roles, other) = split_policies(&[
            "crypter-role-deployer".into(),
            "crypter-admin".into(),
            "default".into(),
            "crypter-role-Bad".into(),
        ]);
        assert_eq!(roles, vec![RoleName::parse("deployer").unwrap()]);
        assert_eq!(other, vec!["crypter-admin", "crypter-role-Bad"]);
    }

    #[test]
    fn usernames_are_validated() {
        assert!(validate_name("alice.b_example").is_ok());
        assert!(validate_name("alice@example").is_err());
        assert!(validate_name("alice.").is_err());
        assert!(validate_name("").is_err());
        assert!(validate_name("../x").is_err());
        assert!(validate_name("a/b").is_err());
    }
}
