//! The probes freeze verification makes: one representative write on each frozen kind of
//! path (each must be denied), and reads the policy's own rules allow (each must work).

use super::levels::Level;
use super::policy_doc;
use crate::session::random_token;
use reqwest::Method;
use serde_json::{json, Value};

/// Every name a probe creates starts with this, so that nothing of a probe's can be
/// mistaken for real data, and whatever a probe managed to create can be found.
pub const PROBE_PREFIX: &str = "crypter-probe";
const MAX_READS_PER_POLICY: usize = 4;

/// One representative write: what it is, the request, and how to undo it should it
/// (wrongly) succeed.
#[derive(Debug, Clone)]
pub struct WriteProbe {
    pub operation: &'static str,
    pub method: Method,
    pub path: String,
    pub body: Option<Value>,
    pub undo: Option<String>,
    /// The capabilities the probe token must not hold on `path` (the cross-check).
    pub forbidden: &'static [&'static str],
    /// For a write whose path stays writable (encrypting), what it must not have made:
    /// when OpenBao refuses it otherwise than with 403 and this is still absent, it held.
    pub absent_after: Option<String>,
}

/// The writes that must fail at `level`; `suffix` makes every name unique to this run.
/// `deep_auth_mounts` are auth mounts more than one segment deep (`team/approle`), whose
/// roles a `+` pattern does not reach, so the freeze lists them one by one.
pub fn write_probes(
    level: Level,
    environments: &[String],
    deep_auth_mounts: &[String],
    suffix: &str,
) -> Vec<WriteProbe> {
    let name = format!("{PROBE_PREFIX}-{suffix}");
    let mut probes = provisioning_probes(&name);
    for mount in deep_auth_mounts {
        probes.push(probe(
            "create role in a deep auth mount",
            Method::POST,
            format!("auth/{mount}/role/{name}"),
            json!({}),
            Some(format!("auth/{mount}/role/{name}")),
        ));
    }
    for env in environments {
        probes.extend(key_probes(&name, env));
    }
    if level == Level::Full {
        probes.extend(full_probes(&name, environments, suffix));
    }
    probes
}

/// The key writes frozen at `provisioning` in one environment's transit mount. They name
/// a key that does not exist, so OpenBao refuses them (400) if the ACL ever let them in;
/// the encrypt probe must not create that key (its path stays writable: encrypting is
/// never frozen, only creating a key by it, which nothing may do).
fn key_probes(name: &str, env: &str) -> Vec<WriteProbe> {
    let key = format!("transit/{env}/keys/{name}");
    let mut encrypt = probe(
        "create key by encrypting",
        Method::POST,
        format!("transit/{env}/encrypt/{name}"),
        json!({"plaintext": "Y3J5cHRlci1wcm9iZQ=="}),
        None,
    );
    encrypt.forbidden = &["create"];
    encrypt.absent_after = Some(key.clone());
    vec![
        probe(
            "create key",
            Method::POST,
            key.clone(),
            json!({"type": "crypter-probe-no-such-type"}),
            None,
        ),
        probe(
            "configure key",
            Method::POST,
            format!("{key}/config"),
            json!({"min_decryption_version": 1}),
            None,
        ),
        probe("delete key", Method::DELETE, key, Value::Null, None),
        probe(
            "configure key mount",
            Method::POST,
            format!("transit/{env}/config/keys"),
            json!({"disable_upsert": true}),
            None,
        ),
        encrypt,
    ]
}

fn probe(
    operation: &'static str,
    method: Method,
    path: String,
    body: Value,
    undo: Option<String>,
) -> WriteProbe {
    WriteProbe {
        operation,
        method,
        path,
        body: (!body.is_null()).then_some(body),
        undo,
        forbidden: super::levels::WRITE_CAPABILITIES,
        absent_after: None,
    }
}

/// One write of each frozen kind at `provisioning`. Where a write that got through would
/// create something, `undo` removes it; the others are shaped to fail validation (a
/// mount that does not exist, a key that does not exist) if the ACL ever let them in.
#[allow(
    clippy::too_many_lines,
    reason = "a flat table, one probe per frozen kind of write; split, it would hide which kinds are probed"
)]
fn provisioning_probes(name: &str) -> Vec<WriteProbe> {
    let policy = "path \"crypter-probe/none\" {\n  capabilities = [\"read\"]\n}\n";
    vec![
        probe(
            "write policy",
            Method::PUT,
            format!("sys/policies/acl/{name}"),
            json!({ "policy": policy }),
            Some(format!("sys/policies/acl/{name}")),
        ),
        probe(
            "create approle role",
            Method::POST,
            format!("auth/approle/role/{name}"),
            json!({"token_ttl": "1m"}),
            Some(format!("auth/approle/role/{name}")),
        ),
        probe(
            "create userpass user",
            Method::POST,
            format!("auth/userpass/users/{name}"),
            json!({"password": random_token()}),
            Some(format!("auth/userpass/users/{name}")),
        ),
        probe(
            "mount",
            Method::POST,
            format!("sys/mounts/{name}"),
            json!({"type": "kv"}),
            Some(format!("sys/mounts/{name}")),
        ),
        probe(
            "write environment record",
            Method::POST,
            format!("crypter/data/environments/{name}"),
            json!({"data": {"probe": true}}),
            Some(format!("crypter/metadata/environments/{name}")),
        ),
        probe(
            "write login settings",
            Method::POST,
            format!("crypter/data/settings/{name}"),
            json!({"data": {"probe": true}}),
            Some(format!("crypter/metadata/settings/{name}")),
        ),
        probe(
            "configure auth method",
            Method::POST,
            format!("auth/{name}/config"),
            json!({}),
            None,
        ),
        probe(
            "trust login certificate",
            Method::POST,
            format!("auth/{name}/certs/{name}"),
            json!({"certificate": "not a certificate"}),
            None,
        ),
        probe(
            "mint token without a role",
            Method::POST,
            "auth/token/create".into(),
            json!({"policies": ["default"], "ttl": "1m", "display_name": PROBE_PREFIX}),
            None,
        ),
        probe(
            "configure OIDC provider",
            Method::POST,
            format!("identity/oidc/role/{name}"),
            json!({"key": format!("{name}-missing")}),
            Some(format!("identity/oidc/role/{name}")),
        ),
        // Single sign-on: who a provider group makes someone, and where logins return.
        probe(
            "create external group",
            Method::POST,
            format!("identity/group/name/{name}"),
            json!({"type": "external"}),
            Some(format!("identity/group/name/{name}")),
        ),
        probe(
            "alias provider group",
            Method::POST,
            "identity/group-alias".into(),
            json!({"name": name, "mount_accessor": format!("{name}-missing"),
                "canonical_id": format!("{name}-missing")}),
            None,
        ),
        probe(
            "configure SSO login role",
            Method::POST,
            format!("auth/oidc/role/{name}"),
            json!({"role_type": "oidc", "user_claim": "sub",
                "allowed_redirect_uris": ["http://127.0.0.1/none"]}),
            Some(format!("auth/oidc/role/{name}")),
        ),
        probe(
            "configure MFA",
            Method::POST,
            format!("identity/mfa/login-enforcement/{name}"),
            json!({}),
            Some(format!("identity/mfa/login-enforcement/{name}")),
        ),
        probe(
            "write key record",
            Method::POST,
            format!("crypter/data/keys/{name}"),
            json!({"data": {"probe": true}}),
            Some(format!("crypter/metadata/keys/{name}")),
        ),
        probe(
            "write changelog",
            Method::POST,
            format!("crypter/data/changelog/{name}"),
            json!({"data": {"probe": true}}),
            Some(format!("crypter/metadata/changelog/{name}")),
        ),
    ]
}

fn full_probes(name: &str, environments: &[String], suffix: &str) -> Vec<WriteProbe> {
    let mut probes = Vec::new();
    for env in environments {
        let cred = format!("{PROBE_PREFIX}/{suffix}");
        let undo = Some(format!("env/{env}/metadata/{cred}"));
        probes.push(probe(
            "write credential",
            Method::POST,
            format!("env/{env}/data/{cred}"),
            json!({"data": {"probe": "not a secret"}}),
            undo.clone(),
        ));
        probes.push(probe(
            "delete credential",
            Method::DELETE,
            format!("env/{env}/data/{cred}"),
            Value::Null,
            undo.clone(),
        ));
        probes.push(probe(
            "destroy credential",
            Method::PUT,
            format!("env/{env}/destroy/{cred}"),
            json!({"versions": [1]}),
            undo,
        ));
        probes.push(probe(
            "rotate key",
            Method::POST,
            format!("transit/{env}/keys/{name}/rotate"),
            json!({}),
            None,
        ));
    }
    probes.push(probe(
        "issue secret-id",
        Method::POST,
        format!("auth/approle/role/{name}/secret-id"),
        json!({}),
        None,
    ));
    probes.push(probe(
        "keep e2e secret-id",
        Method::POST,
        format!("crypter/data/e2e/{name}"),
        json!({"data": {"probe": true}}),
        Some(format!("crypter/metadata/e2e/{name}")),
    ));
    probes
}

/// Reads the original policy allows: literal `read` paths, and `list` on a `prefix/*`.
pub fn read_probes(original_hcl: &str) -> Vec<(Method, String, &'static str)> {
    let Ok(doc) = policy_doc::parse(original_hcl) else {
        return Vec::new();
    };
    let list = Method::from_bytes(b"LIST").unwrap_or(Method::GET);
    let mut out = Vec::new();
    for rule in &doc.rules {
        let caps = &rule.capabilities;
        // Templated paths ({{identity.entity.id}}) and `+` segments name no single path.
        if caps.iter().any(|c| c == "deny") || rule.path.contains('+') || rule.path.contains("{{") {
            continue;
        }
        if caps.iter().any(|c| c == "read") && !rule.path.contains('*') {
            out.push((Method::GET, rule.path.clone(), "read"));
        } else if caps.iter().any(|c| c == "list") && rule.path.ends_with("/*") {
            out.push((
                list.clone(),
                rule.path.trim_end_matches('*').to_owned(),
                "list",
            ));
        }
        if out.len() >= MAX_READS_PER_POLICY {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_adds_credential_and_secret_id_probes_per_environment() {
        let envs = vec!["staging".to_owned(), "production".to_owned()];
        let prov = write_probes(Level::Provisioning, &envs, &[], "abc");
        let full = write_probes(Level::Full, &envs, &[], "abc");
        // 16 kinds, and 5 key writes per environment's transit mount.
        assert_eq!(prov.len(), 16 + 5 * 2);
        assert_eq!(full.len(), 16 + 5 * 2 + 4 * 2 + 2);
        let deep = write_probes(Level::Provisioning, &envs, &["team/approle".into()], "abc");
        assert!(deep
            .iter()
            .any(|p| p.path == "auth/team/approle/role/crypter-probe-abc"));
        assert!(full
            .iter()
            .any(|p| p.path == "env/production/destroy/crypter-probe/abc"));
        // Paths that cannot carry the probe's name carry it in the body (a token's display
        // name, a group alias's name).
        assert!(prov.iter().all(|p| p.path.contains("crypter-probe")
            || p.path == "auth/token/create"
            || p.path == "identity/group-alias"
            || p.path.ends_with("/config/keys")));
        assert!(full
            .iter()
            .any(|p| p.path == "transit/staging/keys/crypter-probe-abc/rotate"));
        let encrypt = prov
            .iter()
            .find(|p| p.operation == "create key by encrypting")
            .unwrap();
        assert_eq!(encrypt.forbidden, &["create"]);
        // Every frozen kind of path is probed at provisioning.
        for op in [
            "configure auth method",
            "write login settings",
            "trust login certificate",
            "mint token without a role",
            "configure OIDC provider",
            "configure MFA",
            "create key",
            "configure key",
            "delete key",
            "configure key mount",
            "write key record",
            "create external group",
            "alias provider group",
            "configure SSO login role",
        ] {
            assert!(prov.iter().any(|p| p.operation == op), "{op}");
        }
    }

    #[test]
    fn reads_come_from_the_policys_own_rules() {
        let reads = read_probes(
            r#"path "sys/mounts" { capabilities = ["read"] }
               path "env/staging/data/*" { capabilities = ["read", "list"] }
               path "auth/+/role/x" { capabilities = ["read"] }
               path "secret/x" { capabilities = ["deny"] }"#,
        );
        let paths: Vec<&str> = reads.iter().map(|r| r.1.as_str()).collect();
        assert_eq!(paths, vec!["sys/mounts", "env/staging/data/"]);
    }
}
