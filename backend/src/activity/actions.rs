//! The one mapping from an audited OpenBao path and operation to an activity action. The
//! actions themselves are `crypter_api::ActivityAction`: this module can produce nothing else. Changes (create, update, patch, delete) are events; of the
//! reads, only a read of a credential's value is, and it is a *reveal* unless Crypter's
//! own engines made it (the `X-Crypter-Purpose` header): then it is a `credential.read`
//! that carries its purpose.

use crate::bao::Purpose;
use crypter_api::ActivityAction as A;

/// What an audited request was, for people.
#[derive(Debug, PartialEq, Eq)]
pub struct Mapped {
    pub action: A,
    pub target: String,
    pub environment: Option<String>,
}

fn mapped(action: A, target: impl Into<String>) -> Option<Mapped> {
    Some(Mapped {
        action,
        target: target.into(),
        environment: None,
    })
}

/// Changes to the store. Everything else (read, list, scan, help) is not a change.
pub fn is_write(operation: &str) -> bool {
    matches!(operation, "create" | "update" | "patch" | "delete")
}

/// `None` when the request is not an event (a read other than a value read, a lookup, a
/// capabilities check, Crypter's own session and job bookkeeping).
pub fn map(path: &str, operation: &str, purpose: Option<&Purpose>) -> Option<Mapped> {
    let path = path.trim_start_matches('/').trim_end_matches('/');
    let segments: Vec<&str> = path.split('/').collect();
    let write = is_write(operation);
    let delete = operation == "delete";
    if let ["env", env, kind, rest @ ..] = segments.as_slice() {
        if !rest.is_empty() {
            return credential(env, kind, &rest.join("/"), operation, purpose);
        }
    }
    if let ["transit", env, rest @ ..] = segments.as_slice() {
        if let Some(m) = key(env, rest, operation) {
            return Some(m);
        }
    }
    match segments.as_slice() {
        ["auth", ..] => auth(&segments, operation),
        ["sys", rest @ ..] if write => sys(rest, delete),
        ["identity", "lookup", ..] => None,
        ["identity", ..] if write => mapped(A::IdentityChange, path),
        ["crypter", _, rest @ ..] if write => record(rest, delete),
        _ if write => mapped(
            if delete {
                A::StoreDelete
            } else {
                A::StoreWrite
            },
            path,
        ),
        _ => None,
    }
}

fn credential(
    env: &str,
    kind: &str,
    path: &str,
    operation: &str,
    purpose: Option<&Purpose>,
) -> Option<Mapped> {
    let action = match (kind, operation) {
        ("data", "read") if purpose.is_some() => A::CredentialRead,
        ("data", "read") => A::CredentialReveal,
        ("data", "delete") | ("delete", _) => A::CredentialDelete,
        ("data", op) if is_write(op) => A::CredentialWrite,
        ("undelete", _) => A::CredentialUndelete,
        ("destroy", _) | ("metadata", "delete") => A::CredentialDestroy,
        ("metadata", op) if is_write(op) => A::CredentialRetag,
        _ => return None,
    };
    Some(Mapped {
        action,
        target: format!("{env}/{path}"),
        environment: Some(env.to_owned()),
    })
}

/// `transit/<env>/…`: an environment's keys. Reads of a key's description are not events;
/// using a key is (decrypting apart, since a plaintext leaves).
fn key(env: &str, rest: &[&str], operation: &str) -> Option<Mapped> {
    let write = is_write(operation);
    let action = match rest {
        // Reads, but a key's material would leave OpenBao: always an event, as a reveal is.
        ["export" | "backup" | "byok-export", ..] => A::KeyExport,
        _ if !write => return None,
        ["keys", _] if operation == "delete" => A::KeyDelete,
        ["keys", _] => A::KeyCreate,
        ["keys", _, "rotate"] => A::KeyRotate,
        ["keys", _, _] | ["config", ..] | ["cache-config"] | ["restore", ..] => A::KeyConfigure,
        ["decrypt", _] => A::KeyDecrypt,
        ["encrypt" | "rewrap" | "sign" | "verify" | "hmac" | "datakey", ..] => A::KeyUse,
        _ => return None,
    };
    let name = match rest {
        ["keys" | "decrypt" | "encrypt" | "rewrap" | "sign" | "verify" | "hmac", name, ..] => {
            format!("{env}/{name}")
        }
        _ => format!("{env}/{}", rest.join("/")),
    };
    Some(Mapped {
        action,
        target: name,
        environment: Some(env.to_owned()),
    })
}

fn sys(rest: &[&str], delete: bool) -> Option<Mapped> {
    match rest {
        ["mounts", "env", env] => mapped(
            if delete {
                A::EnvironmentUnmount
            } else {
                A::EnvironmentMount
            },
            *env,
        ),
        ["mounts", ..] | ["remount"] => mapped(A::MountChange, rest[1..].join("/")),
        ["auth", ..] => mapped(A::AuthMethodChange, rest[1..].join("/")),
        ["policies", "acl", name] | ["policy", name] => mapped(
            if delete {
                A::PolicyDelete
            } else {
                A::PolicyWrite
            },
            format!("policy/{name}"),
        ),
        ["audit", ..] | ["audit-hash", ..] | ["config", "auditing", ..] => {
            mapped(A::AuditConfigure, rest.join("/"))
        }
        // Questions, not changes: capabilities, lookups, hashing, wrapping, lease renewal.
        ["capabilities"
        | "capabilities-self"
        | "capabilities-accessor"
        | "internal"
        | "tools"
        | "wrapping"
        | "leases"
        | "renew"
        | "control-group", ..] => None,
        _ => mapped(
            if delete {
                A::StoreDelete
            } else {
                A::StoreWrite
            },
            format!("sys/{}", rest.join("/")),
        ),
    }
}

/// `auth/<mount…>/…`: the mount may have several segments, so the method's own words
/// (`login`, `role`, `users`, `config`, `certs`) are looked for after the first one.
fn auth(segments: &[&str], operation: &str) -> Option<Mapped> {
    let write = is_write(operation);
    let delete = operation == "delete";
    if segments.get(1) == Some(&"token") {
        return token(&segments[2..], delete, write);
    }
    let at = (2..segments.len()).find(|&i| {
        matches!(
            segments[i],
            "login" | "role" | "users" | "config" | "certs" | "groups"
        )
    });
    let Some(at) = at else {
        return write.then(|| Mapped {
            action: A::StoreWrite,
            target: segments.join("/"),
            environment: None,
        });
    };
    let mount = segments[1..at].join("/");
    let rest = &segments[at..];
    match rest {
        ["login", ..] => mapped(A::SessionLogin, mount),
        _ if !write => None,
        ["role", role, "secret-id"] => mapped(A::SecretIdIssue, format!("{mount}/role/{role}")),
        ["role", role, "secret-id-accessor", "destroy"]
        | ["role", role, "secret-id", "destroy"] => {
            mapped(A::SecretIdRevoke, format!("{mount}/role/{role}"))
        }
        ["role", _, "secret-id-accessor" | "secret-id", "lookup"] => None,
        ["role", role] if delete => mapped(A::AuthRoleDelete, format!("{mount}/role/{role}")),
        ["role", role, ..] => mapped(A::AuthRoleWrite, format!("{mount}/role/{role}")),
        ["users", user] if delete => mapped(A::UserDelete, format!("{mount}/users/{user}")),
        ["users", user, ..] => mapped(A::UserWrite, format!("{mount}/users/{user}")),
        _ => mapped(A::AuthMethodConfigure, segments[1..].join("/")),
    }
}

fn token(rest: &[&str], delete: bool, write: bool) -> Option<Mapped> {
    match rest {
        ["create", ..] | ["create-orphan"] => mapped(A::TokenCreate, rest.join("/")),
        [r, ..] if r.starts_with("revoke") => mapped(A::TokenRevoke, *r),
        [r, ..] if r.starts_with("lookup") || r.starts_with("renew") => None,
        ["roles", role] if write => mapped(
            A::TokenRoleChange,
            format!(
                "token/roles/{role}{}",
                if delete { " (deleted)" } else { "" }
            ),
        ),
        _ if write => mapped(A::StoreWrite, format!("auth/token/{}", rest.join("/"))),
        _ => None,
    }
}

/// Crypter's own records (`crypter/<kind>/<record…>`). Sessions and jobs are the backend's
/// bookkeeping, not anyone's action.
fn record(rest: &[&str], delete: bool) -> Option<Mapped> {
    match rest {
        ["sessions" | "jobs", ..] => None,
        [] => None,
        _ => mapped(
            if delete {
                A::RecordDelete
            } else {
                A::RecordWrite
            },
            rest.join("/"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn action(path: &str, op: &str) -> Option<(A, String)> {
        map(path, op, None).map(|m| (m.action, m.target))
    }

    #[test]
    fn credential_paths() {
        let m = map("env/staging/data/payments/db", "read", None).unwrap();
        assert_eq!(
            (m.action, m.target.as_str(), m.environment.as_deref()),
            (A::CredentialReveal, "staging/payments/db", Some("staging"))
        );
        let compare = map(
            "env/staging/data/payments/db",
            "read",
            Some(&Purpose::Compare),
        );
        assert_eq!(compare.unwrap().action, A::CredentialRead);
        assert_eq!(
            action("env/qa/data/a", "create").unwrap().0,
            A::CredentialWrite
        );
        assert_eq!(
            action("env/qa/data/a", "delete").unwrap().0,
            A::CredentialDelete
        );
        assert_eq!(
            action("env/qa/destroy/a", "update").unwrap().0,
            A::CredentialDestroy
        );
        assert_eq!(
            action("env/qa/metadata/a", "delete").unwrap().0,
            A::CredentialDestroy
        );
        assert_eq!(
            action("env/qa/metadata/a", "update").unwrap().0,
            A::CredentialRetag
        );
        assert_eq!(action("env/qa/metadata/a", "read"), None);
        assert_eq!(action("env/qa/detailed-metadata/", "scan"), None);
    }

    #[test]
    fn provisioning_paths() {
        assert_eq!(
            action("sys/policies/acl/crypter-role-x", "update"),
            Some((A::PolicyWrite, "policy/crypter-role-x".into()))
        );
        assert_eq!(
            action("sys/mounts/env/qa", "update"),
            Some((A::EnvironmentMount, "qa".into()))
        );
        assert_eq!(
            action("auth/approle/role/ci/secret-id", "update"),
            Some((A::SecretIdIssue, "approle/role/ci".into()))
        );
        assert_eq!(
            action("auth/team/approle/role/ci", "create"),
            Some((A::AuthRoleWrite, "team/approle/role/ci".into()))
        );
        assert_eq!(
            action("auth/userpass/users/bob", "delete"),
            Some((A::UserDelete, "userpass/users/bob".into()))
        );
        assert_eq!(
            action("auth/userpass/login/bob", "update"),
            Some((A::SessionLogin, "userpass".into()))
        );
        assert_eq!(
            action("auth/cert/certs/web", "update").unwrap().0,
            A::AuthMethodConfigure
        );
        assert_eq!(
            action("auth/jwt/config", "update").unwrap().0,
            A::AuthMethodConfigure
        );
        assert_eq!(
            action("identity/oidc/role/x", "create").unwrap().0,
            A::IdentityChange
        );
        assert_eq!(
            action("auth/token/create", "update").unwrap().0,
            A::TokenCreate
        );
    }

    #[test]
    fn key_paths() {
        for (path, op, want) in [
            ("transit/qa/keys/cards", "create", A::KeyCreate),
            ("transit/qa/keys/cards", "delete", A::KeyDelete),
            ("transit/qa/keys/cards/config", "update", A::KeyConfigure),
            ("transit/qa/keys/cards/rotate", "update", A::KeyRotate),
            ("transit/qa/decrypt/cards", "update", A::KeyDecrypt),
            ("transit/qa/encrypt/cards", "update", A::KeyUse),
            ("transit/qa/sign/cards/sha2-256", "update", A::KeyUse),
        ] {
            let m = map(path, op, None).unwrap();
            assert_eq!(
                (m.action, m.target.as_str(), m.environment.as_deref()),
                (want, "qa/cards", Some("qa")),
                "{path}"
            );
        }
        assert_eq!(action("transit/qa/keys/cards", "read"), None);
        assert_eq!(action("transit/qa/keys/", "list"), None);
    }

    #[test]
    fn questions_and_bookkeeping_are_not_events() {
        for (path, op) in [
            ("sys/capabilities-self", "update"),
            ("auth/token/lookup-self", "read"),
            ("auth/token/renew-self", "update"),
            ("auth/approle/role/ci/secret-id-accessor/lookup", "update"),
            ("crypter/data/sessions/abc", "update"),
            ("crypter/data/roles/x", "read"),
            ("sys/policies/acl/x", "read"),
            ("identity/lookup/entity", "update"),
        ] {
            assert_eq!(action(path, op), None, "{path} {op}");
        }
        assert_eq!(
            action("crypter/data/freeze/snapshot", "update"),
            Some((A::RecordWrite, "freeze/snapshot".into()))
        );
    }

    /// One sample audit entry per action, and the mapping produces every action from them:
    /// a new action without a sample, or one the mapping can no longer reach, fails here.
    #[test]
    fn every_action_is_produced_by_a_sample_entry() {
        let samples: &[(&str, &str, Option<Purpose>, A)] = &[
            ("env/qa/data/a", "read", None, A::CredentialReveal),
            (
                "env/qa/data/a",
                "read",
                Some(Purpose::Compare),
                A::CredentialRead,
            ),
            ("env/qa/data/a", "create", None, A::CredentialWrite),
            ("env/qa/delete/a", "update", None, A::CredentialDelete),
            ("env/qa/undelete/a", "update", None, A::CredentialUndelete),
            ("env/qa/destroy/a", "update", None, A::CredentialDestroy),
            ("env/qa/metadata/a", "update", None, A::CredentialRetag),
            ("sys/mounts/env/qa", "update", None, A::EnvironmentMount),
            ("sys/mounts/env/qa", "delete", None, A::EnvironmentUnmount),
            ("sys/mounts/kv", "update", None, A::MountChange),
            ("sys/auth/approle", "update", None, A::AuthMethodChange),
            ("auth/jwt/config", "update", None, A::AuthMethodConfigure),
            ("sys/policies/acl/x", "update", None, A::PolicyWrite),
            ("sys/policies/acl/x", "delete", None, A::PolicyDelete),
            ("sys/audit/file", "update", None, A::AuditConfigure),
            ("auth/userpass/login/bob", "update", None, A::SessionLogin),
            ("auth/token/create", "update", None, A::TokenCreate),
            ("auth/token/revoke-self", "update", None, A::TokenRevoke),
            ("auth/token/roles/ci", "update", None, A::TokenRoleChange),
            ("auth/approle/role/ci", "create", None, A::AuthRoleWrite),
            ("auth/approle/role/ci", "delete", None, A::AuthRoleDelete),
            (
                "auth/approle/role/ci/secret-id",
                "update",
                None,
                A::SecretIdIssue,
            ),
            (
                "auth/approle/role/ci/secret-id-accessor/destroy",
                "update",
                None,
                A::SecretIdRevoke,
            ),
            ("auth/userpass/users/bob", "create", None, A::UserWrite),
            ("auth/userpass/users/bob", "delete", None, A::UserDelete),
            ("identity/entity", "update", None, A::IdentityChange),
            (
                "crypter/data/freeze/snapshot",
                "update",
                None,
                A::RecordWrite,
            ),
            ("crypter/metadata/roles/x", "delete", None, A::RecordDelete),
            ("transit/qa/keys/k", "create", None, A::KeyCreate),
            ("transit/qa/keys/k/config", "update", None, A::KeyConfigure),
            ("transit/qa/keys/k/rotate", "update", None, A::KeyRotate),
            ("transit/qa/keys/k", "delete", None, A::KeyDelete),
            ("transit/qa/decrypt/k", "update", None, A::KeyDecrypt),
            ("transit/qa/encrypt/k", "update", None, A::KeyUse),
            (
                "transit/qa/export/encryption-key/k",
                "read",
                None,
                A::KeyExport,
            ),
            ("sys/config/cors", "update", None, A::StoreWrite),
            ("secret/data/x", "delete", None, A::StoreDelete),
        ];
        let mut produced = std::collections::BTreeSet::new();
        for (path, op, purpose, want) in samples {
            let got = map(path, op, purpose.as_ref()).map(|m| m.action);
            assert_eq!(got, Some(*want), "{path} {op}");
            produced.insert(*want);
        }
        // Product events come from the backend's markers (`records::events`), not from
        // this mapping: their own test covers every one of them.
        let all: std::collections::BTreeSet<A> =
            A::ALL.iter().copied().filter(|a| !a.is_product()).collect();
        assert_eq!(
            produced, all,
            "every action has a sample the mapping produces"
        );
    }
}
