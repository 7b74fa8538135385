//! Proving a freeze: for each frozen policy, a short-lived probe token that carries only
//! that policy attempts one representative write on each frozen kind of path (each must
//! get 403) and a few reads the policy normally allows (each must still work), and
//! OpenBao's `sys/capabilities` is asked the same question. Probe tokens are revoked and
//! anything a probe managed to create is removed.

use super::levels::{Level, EXEMPT_POLICIES};
use super::{load_record, load_snapshot, save_record, Snapshot};
use crate::bao::{Bao, BaoError, Purpose};
use crate::error::AppError;
use crate::session::random_token;
use crypter_api::ErrorCode;
use crypter_api::{Exemption, Probe, Verification, VerificationSummary};
use futures::stream::{self, StreamExt};
use secrecy::SecretString;
use serde_json::{json, Value};

/// The token role probe tokens are minted from (created by bootstrap). Only operators may
/// use it: it hands out a token carrying any one policy but root's and the operators'.
pub const PROBE_ROLE: &str = "crypter-freeze-probe";
pub use super::probes::{read_probes, write_probes, WriteProbe, PROBE_PREFIX};

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
    // From the leader: the probes judge the policies as they are now, never a stale copy.
    let bao = &bao.with_purpose(Purpose::Verify).from_leader();
    let (record, _) = load_record(bao, token).await?;
    if record.level == Level::None {
        return Err(AppError::Conflict(
            ErrorCode::NotFrozen,
            "the store is not frozen; freeze it first, then verify".into(),
        ));
    }
    let snapshot = load_snapshot(bao, token).await?.ok_or_else(|| {
        AppError::Conflict(
            ErrorCode::SnapshotMissing,
            "the freeze snapshot is missing; thaw and freeze again".into(),
        )
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
        level: record.level,
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
        let mut got = got(&result);
        let mut held = got == "denied";
        if let (false, Some(absent), Err(_)) = (held, &w.absent_after, &result) {
            // Refused otherwise than by the ACL (say, a mount that refuses key creation by
            // encryption): it held if it made nothing.
            if matches!(bao.read(absent, token).await, Ok(None)) {
                got = format!("{got}, nothing made");
                held = true;
            }
        }
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
                .filter(|c| w.forbidden.contains(&c.as_str()))
                .collect();
            Probe {
                policy: policy.to_owned(),
                operation: "capabilities".into(),
                path: w.path.clone(),
                expected: format!("none of {}", w.forbidden.join(", ")),
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
