//! Machine logins: AppRole secret-ids for non-human roles. A secret-id is returned once;
//! Crypter keeps a copy only for e2e identities (at `crypter/data/e2e/<role>`), which the
//! identity checks use to log in.

use crate::bao::{Bao, BaoError};
use crate::error::AppError;
use crypter_api::ErrorCode;
use crypter_api::{IssuedSecretId, RoleClass, RoleName, SecretIdInfo};
use futures_util::{stream, StreamExt};
use secrecy::SecretString;
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

pub const E2E_SECRETS: &str = "crypter/data/e2e";

/// Longest lifetime a secret-id may be issued with: 90 days.
const MAX_TTL_SECS: i64 = 90 * 24 * 3600;

/// `30s`, `15m`, `24h`, `7d` or plain seconds → seconds, between 60 s and 90 days.
pub fn parse_ttl(ttl: &str) -> Result<i64, AppError> {
    let ttl = ttl.trim();
    let (digits, unit) = match ttl.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => (&ttl[..i], c),
        _ => (ttl, 's'),
    };
    let factor = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86400,
        _ => 0,
    };
    let n: i64 = digits.parse().unwrap_or(0);
    let secs = n.saturating_mul(factor);
    if factor == 0 || !(60..=MAX_TTL_SECS).contains(&secs) || digits.starts_with('+') {
        return Err(AppError::bad_request(
            ErrorCode::InvalidTtl,
            format!(
                "invalid ttl {ttl:?}: give a number with s, m, h or d (e.g. '24h'), between 60 \
                 seconds and 90 days"
            ),
        ));
    }
    Ok(secs)
}

async fn machine_role(
    bao: &Bao,
    token: &SecretString,
    name: &RoleName,
) -> Result<RoleClass, AppError> {
    let role = super::get(bao, token, name).await?;
    if !role.class.is_machine() {
        return Err(AppError::bad_request(
            ErrorCode::HumanRole,
            format!(
                "role {name} is a human role; people log in with a username and password, so \
                 it has no secret-ids"
            ),
        ));
    }
    Ok(role.class)
}

pub async fn issue(
    bao: &Bao,
    token: &SecretString,
    name: &RoleName,
    ttl_secs: i64,
    now: OffsetDateTime,
) -> Result<IssuedSecretId, AppError> {
    let class = machine_role(bao, token, name).await?;
    let role_id = bao
        .read(&format!("auth/approle/role/{name}/role-id"), token)
        .await?
        .and_then(|v| {
            v.pointer("/data/role_id")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .ok_or_else(|| {
            AppError::NotFound(
                ErrorCode::ApproleNotFound,
                format!(
                    "role {name} has no AppRole in OpenBao; save the role again to recreate it"
                ),
            )
        })?;
    let resp = bao
        .write(
            &format!("auth/approle/role/{name}/secret-id"),
            token,
            &json!({ "ttl": ttl_secs }),
        )
        .await?
        .unwrap_or_default();
    let field = |f: &str| {
        resp.pointer(&format!("/data/{f}"))
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("secret-id answer lacks {f}")))
    };
    let issued = IssuedSecretId {
        role_id,
        secret_id: field("secret_id")?,
        accessor: field("secret_id_accessor")?,
        expires_at: (now + time::Duration::seconds(ttl_secs))
            .format(&Rfc3339)
            .ok(),
    };
    if class == RoleClass::E2e {
        keep_for_identity_checks(bao, token, name, &issued).await?;
    }
    Ok(issued)
}

/// The identity checks log in with this pair.
pub async fn keep_for_identity_checks(
    bao: &Bao,
    token: &SecretString,
    name: &RoleName,
    issued: &IssuedSecretId,
) -> Result<(), AppError> {
    bao.write(
        &format!("{E2E_SECRETS}/{name}"),
        token,
        &json!({ "data": issued }),
    )
    .await?;
    Ok(())
}

pub async fn list(
    bao: &Bao,
    token: &SecretString,
    name: &RoleName,
) -> Result<Vec<SecretIdInfo>, AppError> {
    machine_role(bao, token, name).await?;
    let accessors = bao
        .list(&format!("auth/approle/role/{name}/secret-id"), token)
        .await?;
    let lookups: Vec<(String, Result<Option<Value>, BaoError>)> = stream::iter(accessors)
        .map(|accessor| async move {
            let lookup = bao
                .write(
                    &format!("auth/approle/role/{name}/secret-id-accessor/lookup"),
                    token,
                    &json!({ "secret_id_accessor": accessor }),
                )
                .await;
            (accessor, lookup)
        })
        .buffered(super::FAN_OUT)
        .collect()
        .await;
    let mut out = Vec::new();
    for (accessor, lookup) in lookups {
        let data = match lookup {
            Ok(v) => v.and_then(|v| v.get("data").cloned()).unwrap_or_default(),
            // Expired between the listing and the lookup.
            Err(BaoError::NotFound { .. }) => continue,
            Err(e) => return Err(e.into()),
        };
        let text = |f: &str| {
            data.get(f)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty() && !s.starts_with("0001-01-01"))
                .map(str::to_owned)
        };
        out.push(SecretIdInfo {
            accessor,
            created_at: text("creation_time"),
            expires_at: text("expiration_time"),
            last_updated_at: text("last_updated_time"),
            uses_left: data.get("secret_id_num_uses").and_then(Value::as_i64),
        });
    }
    out.sort_by(|a, b| b.created_at.cmp(&a.created_at));
    Ok(out)
}

pub async fn revoke(
    bao: &Bao,
    token: &SecretString,
    name: &RoleName,
    accessor: &str,
) -> Result<(), AppError> {
    let valid = !accessor.is_empty()
        && accessor.len() <= 64
        && accessor.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
    if !valid {
        return Err(AppError::bad_request(
            ErrorCode::InvalidAccessor,
            "a secret-id accessor is a UUID such as 6f1c…-…; copy it from the list",
        ));
    }
    machine_role(bao, token, name).await?;
    let result = bao
        .write(
            &format!("auth/approle/role/{name}/secret-id-accessor/destroy"),
            token,
            &json!({ "secret_id_accessor": accessor }),
        )
        .await;
    match result {
        Ok(_) => Ok(()),
        // OpenBao answers an unknown accessor with a 500; its lookup tells that case (404)
        // from a real failure without reading the wording.
        Err(BaoError::Rejected { status: 500, .. })
            if !accessor_exists(bao, token, name, accessor).await? =>
        {
            Err(AppError::NotFound(
                ErrorCode::SecretIdNotFound,
                format!("role {name} has no secret-id with accessor {accessor}"),
            ))
        }
        Err(BaoError::Rejected { status: 400, .. } | BaoError::NotFound { .. }) => {
            Err(AppError::NotFound(
                ErrorCode::SecretIdNotFound,
                format!("role {name} has no secret-id with accessor {accessor}"),
            ))
        }
        Err(e) => Err(e.into()),
    }
}

/// OpenBao knows a secret-id with this accessor under role `name` (its lookup answers 404
/// for one it does not know).
async fn accessor_exists(
    bao: &Bao,
    token: &SecretString,
    name: &RoleName,
    accessor: &str,
) -> Result<bool, AppError> {
    let lookup = format!("auth/approle/role/{name}/secret-id-accessor/lookup");
    match bao
        .write(&lookup, token, &json!({ "secret_id_accessor": accessor }))
        .await
    {
        Ok(_) => Ok(true),
        Err(BaoError::NotFound { .. }) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttls_parse_with_units() {
        assert_eq!(parse_ttl("24h").unwrap(), 86400);
        assert_eq!(parse_ttl("90s").unwrap(), 90);
        assert_eq!(parse_ttl("15m").unwrap(), 900);
        assert_eq!(parse_ttl("7d").unwrap(), 7 * 86400);
        assert_eq!(parse_ttl("3600").unwrap(), 3600);
        for bad in ["", "h", "10s", "1y", "-5m", "+5m", "91d", "abc"] {
            assert!(parse_ttl(bad).is_err(), "{bad}");
        }
    }
}
