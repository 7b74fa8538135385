//! Proving a freeze: for each frozen policy, a short-lived probe token that carries only
//! that policy attempts one representative write on each frozen kind of path (each must
//! get 403) and a few reads the policy normally allows (each must still work), and
//! OpenBao's `sys/capabilities` is asked the same question. Probe tokens are revoked and
//! anything a probe managed to create is removed.

use super::levels::{Level, EXEMPT_POLICIES};
use super::{load_record, load_snapshot, policy_doc, save_record, Snapshot};
use crate::bao::{Bao, BaoError, Purpose};
use crate::error::AppError;
use crate::session::random_token;
use crypter_api::{Exemption, Probe, Verification, VerificationSummary};
use futures::stream::{self, StreamExt};
use reqwest::Method;
use secrecy::SecretString;
use serde_json::{json, Value};

/// The token role probe tokens are minted from (created by bootstrap). Only operators may
/// use it: it hands out a token carrying any one policy but root's and the operators'.
pub const PROBE_ROLE: &str = "crypter-freeze-probe";
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
    if level == Level::Full {
        probes.extend(full_probes(&name, environments, suffix));
    }
    probes
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
    }
}

/// One write of each frozen kind at `provisioning`. Where a write that got through would
/// create something, `undo` removes it; the others are shaped to fail validation (a
/// mount that does not exist, a key that does not exist) if the ACL ever let them in.
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
        probe(
            "configure MFA",
            Method::POST,
            format!("identity/mfa/login-enforcement/{name}"),
            json!({}),
            Some(format!("identity/mfa/login-enforcement/{name}")),
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

fn got(result: &Result<Option<Value>, BaoError>) -> String {
    match result {
        Ok(_) => "allowed".into(),
        Err(BaoError::Forbidden { .. }) => "denied".into(),
        Err(e) => match e.status() {
            // The ACL let the request through; the backend then refused it for another
            // reason (e.g. the probe's role does not exist).
            Some(status) => format!("allowed (HTTP {status})"),
            None => format!("error: {e}"),
        },
    }
}

pub async fn verify(
    bao: &Bao,
    token: &SecretString,
    actor: &str,
) -> Result<Verification, AppError> {
    let bao = &bao.with_purpose(Purpose::Verify);
    let (record, _) = load_record(bao, token).await?;
    if record.level == Level::None {
        return Err(AppError::Conflict(
            "the store is not frozen; freeze it first, then verify".into(),
        ));
    }
    let snapshot = load_snapshot(bao, token).await?.ok_or_else(|| {
        AppError::Conflict("the freeze snapshot is missing; thaw and freeze again".into())
    })?;
    let environments = bao.list("crypter/metadata/environments", token).await?;
    let suffix = random_token()[..10].to_lowercase().replace(['-', '_'], "x");
    let deep: Vec<String> = bao
        .read("sys/auth", token)
        .await?
        .and_then(|v| v.get("data").and_then(Value::as_object).cloned())
        .map(|m| {
            m.keys()
                .map(|k| k.trim_matches('/').to_owned())
                .filter(|k| k.contains('/'))
                .collect()
        })
        .unwrap_or_default();
    let writes = write_probes(record.level, &environments, &deep, &suffix);

    let jobs: Vec<(String, String)> = snapshot
        .policies
        .iter()
        .filter(|p| !EXEMPT_POLICIES.contains(&p.name.as_str()))
        .map(|p| (p.name.clone(), p.hcl.clone()))
        .collect();
    let writes = &writes;
    let results: Vec<Result<Vec<Probe>, AppError>> = stream::iter(jobs)
        .map(|(name, hcl)| async move { probe_policy(bao, token, &name, &hcl, writes).await })
        .buffer_unordered(4)
        .collect()
        .await;
    let mut probes = Vec::new();
    for r in results {
        probes.extend(r?);
    }
    probes.sort_by(|a, b| {
        (&a.policy, &a.operation, &a.path).cmp(&(&b.policy, &b.operation, &b.path))
    });
    let verified = !probes.is_empty() && probes.iter().all(|p| p.status == "pass");
    let at = super::now();
    let failed = probes.iter().filter(|p| p.status != "pass").count();

    // Remember the outcome on the freeze record, so the banner can say verified or not.
    let (mut latest, version) = load_record(bao, token).await?;
    if latest.level == record.level {
        latest.verification = Some(VerificationSummary {
            at: at.clone(),
            by: actor.to_owned(),
            verified,
            probes: probes.len(),
            failed,
        });
        save_record(bao, token, &latest, version).await?;
    }
    Ok(Verification {
        level: record.level.as_str().to_owned(),
        at,
        verified,
        probes,
        exemptions: exemptions(&snapshot),
        writes_through_freeze: None,
    })
}

fn exemptions(snapshot: &Snapshot) -> Vec<Exemption> {
    let mut out = vec![Exemption {
        name: "root".into(),
        why: "OpenBao's root policy cannot be edited; root tokens bypass every policy".into(),
    }];
    if snapshot
        .policies
        .iter()
        .any(|p| p.name == "crypter-operator")
    {
        out.push(Exemption {
            name: "crypter-operator".into(),
            why: "operators freeze and thaw, so their policy is never frozen".into(),
        });
    }
    out
}

async fn probe_policy(
    bao: &Bao,
    token: &SecretString,
    policy: &str,
    original: &str,
    writes: &[WriteProbe],
) -> Result<Vec<Probe>, AppError> {
    let minted = bao
        .write(
            &format!("auth/token/create/{PROBE_ROLE}"),
            token,
            &json!({
                // OpenBao drops `default` from a token made with no_default_policy, even
                // when it is asked for by name.
                "policies": [policy], "no_default_policy": policy != "default", "ttl": "2m",
                "display_name": PROBE_PREFIX, "renewable": false,
            }),
        )
        .await?
        .unwrap_or_default();
    let probe_token = SecretString::from(
        minted
            .pointer("/auth/client_token")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
    );
    let accessor = minted
        .pointer("/auth/accessor")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();

    let mut probes = Vec::new();
    for w in writes {
        let result = bao
            .request(
                w.method.clone(),
                &w.path,
                Some(&probe_token),
                w.body.as_ref(),
            )
            .await;
        let got = got(&result);
        let held = got == "denied";
        if !held {
            clean_up(bao, token, w).await;
        }
        probes.push(Probe {
            policy: policy.to_owned(),
            operation: w.operation.to_owned(),
            path: w.path.clone(),
            expected: "denied".into(),
            got,
            status: if held { "pass" } else { "fail" }.into(),
        });
    }
    for (method, path, operation) in read_probes(original) {
        let result = bao.request(method, &path, Some(&probe_token), None).await;
        let got = got(&result);
        let ok = got != "denied";
        probes.push(Probe {
            policy: policy.to_owned(),
            operation: operation.to_owned(),
            path,
            expected: "allowed".into(),
            got,
            status: if ok { "pass" } else { "fail" }.into(),
        });
    }
    probes.extend(cross_check(bao, token, &probe_token, policy, writes).await);

    if let Err(e) = bao
        .write(
            "auth/token/revoke-accessor",
            token,
            &json!({ "accessor": accessor }),
        )
        .await
    {
        tracing::warn!(policy, error = %e, "could not revoke a probe token; it expires in 2 minutes");
    }
    Ok(probes)
}

/// OpenBao's own view: which capabilities the probe token has on each write path.
async fn cross_check(
    bao: &Bao,
    token: &SecretString,
    probe_token: &SecretString,
    policy: &str,
    writes: &[WriteProbe],
) -> Vec<Probe> {
    use secrecy::ExposeSecret;
    let paths: Vec<&str> = writes.iter().map(|w| w.path.as_str()).collect();
    let answer = bao
        .write(
            "sys/capabilities",
            token,
            &json!({ "token": probe_token.expose_secret(), "paths": paths }),
        )
        .await;
    let data = match answer {
        Ok(v) => v
            .unwrap_or_default()
            .get("data")
            .cloned()
            .unwrap_or_default(),
        Err(e) => {
            return vec![Probe {
                policy: policy.to_owned(),
                operation: "capabilities".into(),
                path: "sys/capabilities".into(),
                expected: "no write capability".into(),
                got: format!("error: {e}"),
                status: "fail".into(),
            }]
        }
    };
    writes
        .iter()
        .map(|w| {
            let caps: Vec<String> = data
                .get(&w.path)
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|c| c.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            let writes_left: Vec<&String> = caps
                .iter()
                .filter(|c| super::levels::WRITE_CAPABILITIES.contains(&c.as_str()))
                .collect();
            Probe {
                policy: policy.to_owned(),
                operation: "capabilities".into(),
                path: w.path.clone(),
                expected: "no write capability".into(),
                got: if caps.is_empty() {
                    "none".into()
                } else {
                    caps.join(", ")
                },
                status: if writes_left.is_empty() {
                    "pass"
                } else {
                    "fail"
                }
                .into(),
            }
        })
        .collect()
}

/// A probe write that got through created something; remove it with the caller's token.
async fn clean_up(bao: &Bao, token: &SecretString, probe: &WriteProbe) {
    let Some(undo) = &probe.undo else { return };
    if let Err(e) = bao.delete(undo, token).await {
        tracing::warn!(path = undo, error = %e, "could not remove what a probe created");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_adds_credential_and_secret_id_probes_per_environment() {
        let envs = vec!["staging".to_owned(), "production".to_owned()];
        let prov = write_probes(Level::Provisioning, &envs, &[], "abc");
        let full = write_probes(Level::Full, &envs, &[], "abc");
        assert_eq!(prov.len(), 11);
        assert_eq!(full.len(), 11 + 3 * 2 + 2);
        let deep = write_probes(Level::Provisioning, &envs, &["team/approle".into()], "abc");
        assert!(deep
            .iter()
            .any(|p| p.path == "auth/team/approle/role/crypter-probe-abc"));
        assert!(full
            .iter()
            .any(|p| p.path == "env/production/destroy/crypter-probe/abc"));
        assert!(prov
            .iter()
            .all(|p| p.path.contains("crypter-probe") || p.path == "auth/token/create"));
        // Every frozen kind of path is probed at provisioning.
        for op in [
            "configure auth method",
            "trust login certificate",
            "mint token without a role",
            "configure OIDC provider",
            "configure MFA",
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
