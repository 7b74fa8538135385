//! Which thing an OpenBao 404 is about, as an [`ErrorCode`]: a missing credential, an
//! environment, a role … (the layout mirrors [`crate::bao::concept::describe`], which
//! names the same thing in words).

use crypter_api::ErrorCode;

/// The not-found code of the Crypter thing at `path`.
pub fn code(path: &str) -> ErrorCode {
    match crate::bao::concept::segments(path).as_slice() {
        ["env", _, "data" | "metadata" | "delete" | "undelete" | "destroy" | "subkeys"
        | "detailed-metadata", _, ..] => ErrorCode::CredentialNotFound,
        ["env", ..] | ["sys", "mounts", "env" | "transit", ..] => ErrorCode::EnvironmentNotFound,
        ["transit", _, _, _, ..] => ErrorCode::KeyNotFound,
        ["transit", ..] => ErrorCode::EnvironmentNotFound,
        ["sys", "policies", "acl", name, ..] if name.starts_with("crypter-role-") => {
            ErrorCode::RoleNotFound
        }
        ["sys", "policies", ..] => ErrorCode::PolicyNotFound,
        ["auth", "approle", "role", ..] => ErrorCode::ApproleNotFound,
        ["auth", "userpass", "users" | "login", ..] => ErrorCode::UserNotFound,
        ["crypter", _, rest @ ..] => record(rest),
        // A legacy KV mount being imported holds the user's own credentials.
        [_, ..] if !path.starts_with("sys/") && !path.starts_with("auth/") => {
            ErrorCode::CredentialNotFound
        }
        _ => ErrorCode::RecordNotFound,
    }
}

/// Crypter's own records under `crypter/data/`.
fn record(rest: &[&str]) -> ErrorCode {
    match rest {
        ["roles" | "e2e", _, ..] => ErrorCode::RoleNotFound,
        ["environments", _, ..] => ErrorCode::EnvironmentNotFound,
        ["keys" | "key-usage", _, _, ..] => ErrorCode::KeyNotFound,
        ["changelog", _, ..] | ["changesets", "uploads", _, ..] => ErrorCode::ChangesetNotFound,
        ["runbooks", _, ..] => ErrorCode::RunNotFound,
        ["jobs", _, ..] => ErrorCode::JobNotFound,
        _ => ErrorCode::RecordNotFound,
    }
}

#[cfg(test)]
mod tests {
    use super::code;
    use crypter_api::ErrorCode;

    #[test]
    fn each_path_names_what_is_missing() {
        for (path, want) in [
            ("env/qa/data/db/password", ErrorCode::CredentialNotFound),
            ("env/qa/", ErrorCode::EnvironmentNotFound),
            ("sys/mounts/env/qa", ErrorCode::EnvironmentNotFound),
            ("transit/qa/keys/tokens", ErrorCode::KeyNotFound),
            ("transit/qa", ErrorCode::EnvironmentNotFound),
            ("sys/policies/acl/crypter-role-ops", ErrorCode::RoleNotFound),
            ("sys/policies/acl/default", ErrorCode::PolicyNotFound),
            ("auth/userpass/users/alice", ErrorCode::UserNotFound),
            (
                "crypter/data/environments/qa",
                ErrorCode::EnvironmentNotFound,
            ),
            ("crypter/data/changelog/cs-1", ErrorCode::ChangesetNotFound),
            ("crypter/data/freeze/state", ErrorCode::RecordNotFound),
            ("legacy/app/db", ErrorCode::CredentialNotFound),
        ] {
            assert_eq!(code(path), want, "{path}");
        }
    }
}
