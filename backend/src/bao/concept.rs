//! The Crypter thing behind an OpenBao path, as people who use Crypter name it: a refusal
//! at `env/qa/data/db/password` reaches the browser as "credential db/password in
//! environment qa", one at `sys/policies/acl/crypter-role-ops` as "role ops". OpenBao's
//! own path and reason stay in the log. The one place that reads Crypter's path layout
//! backwards (the layout itself lives with each noun's module).

/// An OpenBao path's segments, without empty ones (`/env//qa/` is `["env", "qa"]`).
pub fn segments(path: &str) -> Vec<&str> {
    path.trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .collect()
}

/// What `path` holds, in Crypter's words. A path outside Crypter's layout (a legacy KV
/// mount being imported) is named as it is: that path is the user's own.
pub fn describe(path: &str) -> String {
    match segments(path).as_slice() {
        ["env", env, rest @ ..] => environment_path(env, rest),
        ["transit", env, rest @ ..] => transit_path(env, rest),
        ["crypter", "data" | "metadata" | "delete" | "undelete" | "destroy", rest @ ..] => {
            record(rest)
        }
        ["crypter", ..] => "Crypter's records".to_owned(),
        ["sys", "mounts", "env", env, ..] => format!("environment {env}"),
        ["sys", "mounts", "transit", env, ..] => format!("the keys of environment {env}"),
        ["sys", "policies", "acl", name, ..] => policy(name),
        ["sys", ..] => "OpenBao's system settings".to_owned(),
        ["auth", "approle", "role", role, ..] => format!("role {role}"),
        ["auth", "userpass", "users" | "login", user, ..] => format!("user {user}"),
        ["auth", ..] => "OpenBao's login methods".to_owned(),
        ["identity", ..] => "OpenBao's identities".to_owned(),
        _ => path.trim_matches('/').to_owned(),
    }
}

/// Below `env/<env>/`: a credential (data, metadata, versions) or the environment itself.
fn environment_path(env: &str, rest: &[&str]) -> String {
    match rest {
        ["data" | "metadata" | "delete" | "undelete" | "destroy" | "subkeys"
        | "detailed-metadata", path @ ..]
            if !path.is_empty() =>
        {
            format!("credential {} in environment {env}", path.join("/"))
        }
        ["data" | "metadata" | "detailed-metadata", ..] => {
            format!("the credentials of environment {env}")
        }
        _ => format!("environment {env}"),
    }
}

/// Below `transit/<env>/`: a key, or the environment's keys.
fn transit_path(env: &str, rest: &[&str]) -> String {
    match rest {
        [_, key, ..] => format!("key {key} in environment {env}"),
        _ => format!("the keys of environment {env}"),
    }
}

/// A role's policy is `crypter-role-<role>`; other policies are named as they are.
fn policy(name: &str) -> String {
    match name.strip_prefix("crypter-role-") {
        Some(role) => format!("role {role}"),
        None => format!("policy {name}"),
    }
}

/// Crypter's own records under `crypter/data/`.
fn record(rest: &[&str]) -> String {
    match rest {
        ["roles"] => "the list of roles".to_owned(),
        ["environments"] => "the list of environments".to_owned(),
        ["runbooks"] => "the list of runbook runs".to_owned(),
        ["jobs"] => "the list of jobs".to_owned(),
        ["changelog"] => "the changesets' history".to_owned(),
        ["roles" | "e2e", role, ..] => format!("role {role}"),
        ["environments", env, ..] => format!("environment {env}"),
        ["keys" | "key-usage", env, key, ..] => format!("key {key} in environment {env}"),
        ["changelog", id, ..] | ["changesets", "uploads", id, ..] => format!("changeset {id}"),
        ["changesets", "lock", ..] => "the changesets lock".to_owned(),
        ["changesets", ..] => "a changeset plan".to_owned(),
        ["freeze", ..] => "the freeze".to_owned(),
        ["runbooks", id, ..] => format!("runbook run {id}"),
        ["runbook-templates", name, ..] => format!("runbook template {name}"),
        ["jobs", id, ..] => format!("job {id}"),
        ["job-owners", ..] => "a job's owner".to_owned(),
        ["settings", ..] => "Crypter's settings".to_owned(),
        ["digests", env, ..] => format!("the credential digests of environment {env}"),
        ["activity", ..] => "the activity log".to_owned(),
        _ => "Crypter's records".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::describe;

    #[test]
    fn paths_are_named_by_crypter_s_nouns() {
        for (path, said) in [
            (
                "env/qa/data/db/password",
                "credential db/password in environment qa",
            ),
            (
                "env/qa/metadata/db/password",
                "credential db/password in environment qa",
            ),
            ("/env/qa/destroy/a", "credential a in environment qa"),
            ("env/qa/metadata/", "the credentials of environment qa"),
            ("env/qa/config", "environment qa"),
            ("sys/mounts/env/qa", "environment qa"),
            ("sys/mounts/transit/qa", "the keys of environment qa"),
            ("transit/qa/keys/cards", "key cards in environment qa"),
            ("transit/qa/rewrap/cards", "key cards in environment qa"),
            ("sys/policies/acl/crypter-role-ops", "role ops"),
            ("sys/policies/acl/crypter-admin", "policy crypter-admin"),
            ("auth/approle/role/svc/secret-id", "role svc"),
            ("auth/userpass/users/ana", "user ana"),
            ("crypter/data/roles/ops", "role ops"),
            ("crypter/metadata/roles/ops", "role ops"),
            ("crypter/data/keys/qa/cards", "key cards in environment qa"),
            ("crypter/data/changelog/010-copy", "changeset 010-copy"),
            (
                "crypter/data/changesets/uploads/010-copy",
                "changeset 010-copy",
            ),
            ("crypter/data/freeze/state", "the freeze"),
            ("crypter/data/jobs/j1", "job j1"),
            ("crypter/data/whatever", "Crypter's records"),
            ("crypter/metadata/environments", "the list of environments"),
            ("crypter/metadata/roles/", "the list of roles"),
            ("sys/seal-status", "OpenBao's system settings"),
            ("legacy/team/db", "legacy/team/db"),
        ] {
            assert_eq!(describe(path), said, "{path}");
        }
    }

    #[test]
    fn no_internal_prefix_survives() {
        for path in [
            "env/qa/data/x",
            "sys/policies/acl/crypter-role-r",
            "auth/approle/role/r/secret-id-accessor/destroy",
            "crypter/data/roles/r",
            "transit/qa/keys/k",
        ] {
            let said = describe(path);
            for prefix in ["env/", "sys/", "auth/", "crypter/", "transit/"] {
                assert!(!said.contains(prefix), "{path} -> {said}");
            }
        }
    }
}
