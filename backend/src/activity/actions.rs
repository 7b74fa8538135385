//! The activity feed's action names, and the one mapping from an audited OpenBao path and
//! operation to an action. Changes (create, update, patch, delete) are events; of the
//! reads, only a read of a credential's value is, and it is a *reveal* unless Crypter's
//! own engines made it (the `X-Crypter-Purpose` header): then it is a `credential.read`
//! that carries its purpose.

use crate::bao::Purpose;

pub const CREDENTIAL_REVEAL: &str = "credential.reveal";
pub const CREDENTIAL_READ: &str = "credential.read";
pub const CREDENTIAL_WRITE: &str = "credential.write";
pub const CREDENTIAL_DELETE: &str = "credential.delete";
pub const CREDENTIAL_UNDELETE: &str = "credential.undelete";
pub const CREDENTIAL_DESTROY: &str = "credential.destroy";
pub const CREDENTIAL_METADATA: &str = "credential.metadata";
pub const ENVIRONMENT_MOUNT: &str = "environment.mount";
pub const ENVIRONMENT_UNMOUNT: &str = "environment.unmount";
pub const MOUNT_CHANGE: &str = "mount.change";
pub const AUTH_METHOD_CHANGE: &str = "auth_method.change";
pub const AUTH_METHOD_CONFIG: &str = "auth_method.config";
pub const POLICY_WRITE: &str = "policy.write";
pub const POLICY_DELETE: &str = "policy.delete";
pub const AUDIT_CONFIG: &str = "audit.config";
pub const SESSION_LOGIN: &str = "session.login";
pub const TOKEN_CREATE: &str = "token.create";
pub const TOKEN_REVOKE: &str = "token.revoke";
pub const TOKEN_ROLE_CHANGE: &str = "token_role.change";
pub const AUTH_ROLE_WRITE: &str = "auth_role.write";
pub const AUTH_ROLE_DELETE: &str = "auth_role.delete";
pub const SECRET_ID_ISSUE: &str = "secret_id.issue";
pub const SECRET_ID_REVOKE: &str = "secret_id.revoke";
pub const USER_WRITE: &str = "user.write";
pub const USER_DELETE: &str = "user.delete";
pub const IDENTITY_CHANGE: &str = "identity.change";
pub const RECORD_WRITE: &str = "record.write";
pub const RECORD_DELETE: &str = "record.delete";
pub const KEY_CREATE: &str = "key.create";
pub const KEY_CONFIG: &str = "key.config";
pub const KEY_ROTATE: &str = "key.rotate";
pub const KEY_DELETE: &str = "key.delete";
/// A key's plaintext left OpenBao (decrypt): the keys' counterpart of a reveal.
pub const KEY_DECRYPT: &str = "key.decrypt";
/// Encrypt, rewrap, sign, verify or HMAC: nothing secret leaves.
pub const KEY_USE: &str = "key.use";
pub const KEY_EXPORT: &str = "key.export";
pub const STORE_WRITE: &str = "store.write";
pub const STORE_DELETE: &str = "store.delete";

/// What an audited request was, for people.
#[derive(Debug, PartialEq, Eq)]
pub struct Mapped {
    pub action: &'static str,
    pub target: String,
    pub environment: Option<String>,
}

fn mapped(action: &'static str, target: impl Into<String>) -> Option<Mapped> {
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
        ["identity", ..] if write => mapped(IDENTITY_CHANGE, path),
        ["crypter", _, rest @ ..] if write => record(rest, delete),
        _ if write => mapped(if delete { STORE_DELETE } else { STORE_WRITE }, path),
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
        ("data", "read") if purpose.is_some() => CREDENTIAL_READ,
        ("data", "read") => CREDENTIAL_REVEAL,
        ("data", "delete") | ("delete", _) => CREDENTIAL_DELETE,
        ("data", op) if is_write(op) => CREDENTIAL_WRITE,
        ("undelete", _) => CREDENTIAL_UNDELETE,
        ("destroy", _) | ("metadata", "delete") => CREDENTIAL_DESTROY,
        ("metadata", op) if is_write(op) => CREDENTIAL_METADATA,
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
        _ if !write => return None,
        ["keys", _] if operation == "delete" => KEY_DELETE,
        ["keys", _] => KEY_CREATE,
        ["keys", _, "rotate"] => KEY_ROTATE,
        ["keys", _, _] | ["config", ..] | ["cache-config"] | ["restore", ..] => KEY_CONFIG,
        ["decrypt", _] => KEY_DECRYPT,
        ["encrypt" | "rewrap" | "sign" | "verify" | "hmac" | "datakey", ..] => KEY_USE,
        ["export" | "backup" | "byok-export", ..] => KEY_EXPORT,
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
                ENVIRONMENT_UNMOUNT
            } else {
                ENVIRONMENT_MOUNT
            },
            *env,
        ),
        ["mounts", ..] | ["remount"] => mapped(MOUNT_CHANGE, rest[1..].join("/")),
        ["auth", ..] => mapped(AUTH_METHOD_CHANGE, rest[1..].join("/")),
        ["policies", "acl", name] | ["policy", name] => mapped(
            if delete { POLICY_DELETE } else { POLICY_WRITE },
            format!("policy/{name}"),
        ),
        ["audit", ..] | ["audit-hash", ..] | ["config", "auditing", ..] => {
            mapped(AUDIT_CONFIG, rest.join("/"))
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
            if delete { STORE_DELETE } else { STORE_WRITE },
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
            action: STORE_WRITE,
            target: segments.join("/"),
            environment: None,
        });
    };
    let mount = segments[1..at].join("/");
    let rest = &segments[at..];
    match rest {
        ["login", ..] => mapped(SESSION_LOGIN, mount),
        _ if !write => None,
        ["role", role, "secret-id"] => mapped(SECRET_ID_ISSUE, format!("{mount}/role/{role}")),
        ["role", role, "secret-id-accessor", "destroy"]
        | ["role", role, "secret-id", "destroy"] => {
            mapped(SECRET_ID_REVOKE, format!("{mount}/role/{role}"))
        }
        ["role", _, "secret-id-accessor" | "secret-id", "lookup"] => None,
        ["role", role] if delete => mapped(AUTH_ROLE_DELETE, format!("{mount}/role/{role}")),
        ["role", role, ..] => mapped(AUTH_ROLE_WRITE, format!("{mount}/role/{role}")),
        ["users", user] if delete => mapped(USER_DELETE, format!("{mount}/users/{user}")),
        ["users", user, ..] => mapped(USER_WRITE, format!("{mount}/users/{user}")),
        _ => mapped(AUTH_METHOD_CONFIG, segments[1..].join("/")),
    }
}

fn token(rest: &[&str], delete: bool, write: bool) -> Option<Mapped> {
    match rest {
        ["create", ..] | ["create-orphan"] => mapped(TOKEN_CREATE, rest.join("/")),
        [r, ..] if r.starts_with("revoke") => mapped(TOKEN_REVOKE, *r),
        [r, ..] if r.starts_with("lookup") || r.starts_with("renew") => None,
        ["roles", role] if write => mapped(
            TOKEN_ROLE_CHANGE,
            format!(
                "token/roles/{role}{}",
                if delete { " (deleted)" } else { "" }
            ),
        ),
        _ if write => mapped(STORE_WRITE, format!("auth/token/{}", rest.join("/"))),
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
            if delete { RECORD_DELETE } else { RECORD_WRITE },
            rest.join("/"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn action(path: &str, op: &str) -> Option<(&'static str, String)> {
        map(path, op, None).map(|m| (m.action, m.target))
    }

    #[test]
    fn credential_paths() {
        let m = map("env/staging/data/payments/db", "read", None).unwrap();
        assert_eq!(
            (m.action, m.target.as_str(), m.environment.as_deref()),
            (CREDENTIAL_REVEAL, "staging/payments/db", Some("staging"))
        );
        let compare = map(
            "env/staging/data/payments/db",
            "read",
            Some(&Purpose::Compare),
        );
        assert_eq!(compare.unwrap().action, CREDENTIAL_READ);
        assert_eq!(
            action("env/qa/data/a", "create").unwrap().0,
            CREDENTIAL_WRITE
        );
        assert_eq!(
            action("env/qa/data/a", "delete").unwrap().0,
            CREDENTIAL_DELETE
        );
        assert_eq!(
            action("env/qa/destroy/a", "update").unwrap().0,
            CREDENTIAL_DESTROY
        );
        assert_eq!(
            action("env/qa/metadata/a", "delete").unwrap().0,
            CREDENTIAL_DESTROY
        );
        assert_eq!(
            action("env/qa/metadata/a", "update").unwrap().0,
            CREDENTIAL_METADATA
        );
        assert_eq!(action("env/qa/metadata/a", "read"), None);
        assert_eq!(action("env/qa/detailed-metadata/", "scan"), None);
    }

    #[test]
    fn provisioning_paths() {
        assert_eq!(
            action("sys/policies/acl/crypter-role-x", "update"),
            Some((POLICY_WRITE, "policy/crypter-role-x".into()))
        );
        assert_eq!(
            action("sys/mounts/env/qa", "update"),
            Some((ENVIRONMENT_MOUNT, "qa".into()))
        );
        assert_eq!(
            action("auth/approle/role/ci/secret-id", "update"),
            Some((SECRET_ID_ISSUE, "approle/role/ci".into()))
        );
        assert_eq!(
            action("auth/team/approle/role/ci", "create"),
            Some((AUTH_ROLE_WRITE, "team/approle/role/ci".into()))
        );
        assert_eq!(
            action("auth/userpass/users/bob", "delete"),
            Some((USER_DELETE, "userpass/users/bob".into()))
        );
        assert_eq!(
            action("auth/userpass/login/bob", "update"),
            Some((SESSION_LOGIN, "userpass".into()))
        );
        assert_eq!(
            action("auth/cert/certs/web", "update").unwrap().0,
            AUTH_METHOD_CONFIG
        );
        assert_eq!(
            action("auth/jwt/config", "update").unwrap().0,
            AUTH_METHOD_CONFIG
        );
        assert_eq!(
            action("identity/oidc/role/x", "create").unwrap().0,
            IDENTITY_CHANGE
        );
        assert_eq!(
            action("auth/token/create", "update").unwrap().0,
            TOKEN_CREATE
        );
    }

    #[test]
    fn key_paths() {
        for (path, op, want) in [
            ("transit/qa/keys/cards", "create", KEY_CREATE),
            ("transit/qa/keys/cards", "delete", KEY_DELETE),
            ("transit/qa/keys/cards/config", "update", KEY_CONFIG),
            ("transit/qa/keys/cards/rotate", "update", KEY_ROTATE),
            ("transit/qa/decrypt/cards", "update", KEY_DECRYPT),
            ("transit/qa/encrypt/cards", "update", KEY_USE),
            ("transit/qa/sign/cards/sha2-256", "update", KEY_USE),
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
            Some((RECORD_WRITE, "freeze/snapshot".into()))
        );
    }
}
