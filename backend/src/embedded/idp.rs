//! A local identity provider for `crypter dev --sso` and the tests: `tools/idp.mjs`, a
//! small Node script around the `oidc-provider` package (installed by `scripts/setup.sh`
//! in `tools/node_modules`), started on a free loopback port with the people `alice`
//! (group `payments-admins`) and `bob` (no group). Stopped when dropped.

use anyhow::{anyhow, Context};
use serde::Deserialize;
use serde_json::json;
use std::path::PathBuf;
use std::process::Stdio;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// One person the provider knows.
#[derive(Debug, Clone, Deserialize)]
pub struct IdpUser {
    pub name: String,
    pub password: String,
    pub groups: Vec<String>,
}

#[derive(Deserialize)]
struct Ready {
    issuer: String,
    users: Vec<IdpUser>,
}

/// A running local provider.
pub struct LocalIdp {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    pub users: Vec<IdpUser>,
    admin_token: String,
    child: Child,
}

/// What the provider's next ID tokens look like (the tests' misbehaving provider).
#[derive(Debug, Clone, Copy)]
pub enum IdTokens {
    Normal,
    Expired,
    WrongAudience,
}

impl LocalIdp {
    /// Start the provider; it lets people back only to `redirect_uris`.
    pub async fn start(redirect_uris: &[String]) -> anyhow::Result<Self> {
        let script = script()?;
        let client_secret = random_text();
        let admin_token = random_text();
        let mut cmd = Command::new(std::env::var("CRYPTER_NODE").unwrap_or_else(|_| "node".into()));
        cmd.arg(&script)
            .args(["--port", "0", "--client-id", "crypter"])
            .args([
                "--client-secret",
                &client_secret,
                "--admin-token",
                &admin_token,
            ]);
        for r in redirect_uris {
            cmd.args(["--redirect", r]);
        }
        // Fixed passwords for scripted runs (the e2e suite); random otherwise.
        for (var, flag) in [
            ("CRYPTER_SSO_ALICE_PASSWORD", "--alice-password"),
            ("CRYPTER_SSO_BOB_PASSWORD", "--bob-password"),
        ] {
            if let Ok(p) = std::env::var(var) {
                cmd.args([flag, &p]);
            }
        }
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| {
                format!(
                    "starting the local identity provider ({})",
                    script.display()
                )
            })?;
        let stdout = child.stdout.take().ok_or_else(|| anyhow!("no stdout"))?;
        // Its warnings (and, if it fails at start, why) are kept for the error.
        let mut stderr = child.stderr.take().ok_or_else(|| anyhow!("no stderr"))?;
        let said = tokio::spawn(async move {
            let mut text = String::new();
            let _ = tokio::io::AsyncReadExt::read_to_string(&mut stderr, &mut text).await;
            text
        });
        let mut lines = BufReader::new(stdout).lines();
        let first = tokio::time::timeout(std::time::Duration::from_secs(20), lines.next_line())
            .await
            .context("the local identity provider did not start within 20 s")??
            .ok_or_else(|| anyhow!("the local identity provider exited at start"));
        let first = match first {
            Ok(line) => line,
            Err(e) => {
                let _ = child.wait().await;
                let said = said.await.unwrap_or_default();
                return Err(e.context(said.trim().to_owned()));
            }
        };
        let ready: Ready = serde_json::from_str(&first)
            .with_context(|| format!("the local identity provider said {first:?}"))?;
        // Keep reading what it prints, so it never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(Self {
            issuer: ready.issuer,
            client_id: "crypter".into(),
            client_secret,
            users: ready.users,
            admin_token,
            child,
        })
    }

    /// The person named `name`.
    pub fn user(&self, name: &str) -> Option<&IdpUser> {
        self.users.iter().find(|u| u.name == name)
    }

    /// Change a person's groups at the provider (as a directory admin would).
    pub async fn set_groups(&self, user: &str, groups: &[&str]) -> anyhow::Result<()> {
        self.admin(
            &format!("admin/users/{user}/groups"),
            json!({ "groups": groups }),
        )
        .await
    }

    /// Make the next ID tokens expired or addressed to another client (or normal again).
    pub async fn id_tokens(&self, mode: IdTokens) -> anyhow::Result<()> {
        let mode = match mode {
            IdTokens::Normal => "normal",
            IdTokens::Expired => "expired",
            IdTokens::WrongAudience => "wrong_audience",
        };
        self.admin("admin/id-token", json!({ "mode": mode })).await
    }

    async fn admin(&self, path: &str, body: serde_json::Value) -> anyhow::Result<()> {
        let resp = reqwest::Client::new()
            .post(format!("{}/{path}", self.issuer))
            .bearer_auth(&self.admin_token)
            .json(&body)
            .send()
            .await?;
        anyhow::ensure!(resp.status().is_success(), "{path}: {}", resp.status());
        Ok(())
    }

    /// Stop the provider (a login in flight then fails, as with a provider that is down).
    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

/// 24 random bytes, URL-safe base64.
fn random_text() -> String {
    use base64::Engine;
    use rand::RngCore;
    let mut bytes = [0u8; 24];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// `tools/idp.mjs`: `CRYPTER_IDP_SCRIPT`, else below the working directory or the
/// repository the binary was built in (`target/<profile>/crypter`).
fn script() -> anyhow::Result<PathBuf> {
    if let Ok(p) = std::env::var("CRYPTER_IDP_SCRIPT") {
        return Ok(PathBuf::from(p));
    }
    let mut candidates = vec![PathBuf::from("tools/idp.mjs")];
    candidates.push(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tools/idp.mjs"));
    if let Ok(exe) = std::env::current_exe() {
        if let Some(root) = exe.ancestors().nth(3) {
            candidates.push(root.join("tools/idp.mjs"));
        }
    }
    candidates.into_iter().find(|p| p.is_file()).ok_or_else(|| {
        anyhow!("tools/idp.mjs not found: run from the repository, or set CRYPTER_IDP_SCRIPT")
    })
}
