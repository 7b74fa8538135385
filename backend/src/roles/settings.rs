//! Deprecated login methods: a list of auth mount paths kept at `crypter/data/settings/auth`.
//! Roles and users that still log in through one are flagged in the console, and identity
//! checks report the ones still enabled in OpenBao.

use crate::bao::Bao;
use crate::error::AppError;
use crypter_api::ErrorCode;
use crypter_api::{AuthSettings, RoleClass};
use secrecy::SecretString;
use serde_json::{json, Value};

const PATH: &str = "crypter/data/settings/auth";

/// The auth mounts a role's holders log in through.
pub fn methods_of_class(class: RoleClass) -> &'static [&'static str] {
    if class.is_machine() {
        &["approle/"]
    } else {
        &["userpass/"]
    }
}

/// The stored record. The wire type `AuthSettings` refuses unknown fields; a record written
/// by another Crypter version may hold some, and must still read.
#[derive(serde::Deserialize)]
struct Record {
    #[serde(default)]
    deprecated_methods: Vec<String>,
}

pub async fn read(bao: &Bao, token: &SecretString) -> Result<AuthSettings, AppError> {
    let data = bao
        .read(PATH, token)
        .await?
        .and_then(|v| v.pointer("/data/data").cloned());
    let record = data.and_then(|d| serde_json::from_value::<Record>(d).ok());
    Ok(AuthSettings {
        deprecated_methods: record.map(|r| r.deprecated_methods).unwrap_or_default(),
    })
}

/// Mount paths are normalised to end in `/` (`approle` → `approle/`), sorted, deduplicated.
pub fn normalise(settings: AuthSettings) -> Result<AuthSettings, AppError> {
    let mut methods = Vec::new();
    for m in settings.deprecated_methods {
        let m = m.trim().trim_end_matches('/');
        let valid = !m.is_empty()
            && m.len() <= 64
            && m.split('/').all(|s| {
                !s.is_empty()
                    && s != "."
                    && s != ".."
                    && s.chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            });
        if !valid {
            return Err(AppError::bad_request(
                ErrorCode::InvalidAuthMethod,
                format!(
                    "{m:?} is not an auth mount path; use the path shown in OpenBao's auth \
                     methods, e.g. 'userpass/' or 'approle/'"
                ),
            ));
        }
        methods.push(format!("{m}/"));
    }
    methods.sort();
    methods.dedup();
    Ok(AuthSettings {
        deprecated_methods: methods,
    })
}

pub async fn write(
    bao: &Bao,
    token: &SecretString,
    settings: &AuthSettings,
) -> Result<(), AppError> {
    bao.write(PATH, token, &json!({ "data": settings })).await?;
    Ok(())
}

/// The deprecated methods that are still enabled in OpenBao (`sys/auth`).
pub async fn deprecated_enabled(
    bao: &Bao,
    token: &SecretString,
    settings: &AuthSettings,
) -> Result<Vec<String>, AppError> {
    if settings.deprecated_methods.is_empty() {
        return Ok(Vec::new());
    }
    let auth = bao.read("sys/auth", token).await?.unwrap_or_default();
    let mounts = auth.get("data").filter(|d| d.is_object()).unwrap_or(&auth);
    Ok(settings
        .deprecated_methods
        .iter()
        .filter(|m| mounts.get(m.as_str()).is_some_and(Value::is_object))
        .cloned()
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_are_normalised() {
        let s = normalise(AuthSettings {
            deprecated_methods: vec!["userpass".into(), "ldap/".into(), "userpass/".into()],
        })
        .unwrap();
        assert_eq!(s.deprecated_methods, vec!["ldap/", "userpass/"]);
        assert!(normalise(AuthSettings {
            deprecated_methods: vec!["../x".into()]
        })
        .is_err());
        assert!(normalise(AuthSettings {
            deprecated_methods: vec!["".into()]
        })
        .is_err());
    }

    #[test]
    fn machines_use_approle_and_people_userpass() {
        assert_eq!(methods_of_class(RoleClass::E2e), ["approle/"]);
        assert_eq!(methods_of_class(RoleClass::Human), ["userpass/"]);
    }
}
