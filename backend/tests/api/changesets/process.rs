//! The `crypter` binary as a separate process over the test's OpenBao, so that a test can
//! kill it (SIGKILL) in the middle of an apply and start another one.

use super::*;
use std::process::Stdio;
use std::time::Instant;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const BIN: &str = env!("CARGO_BIN_EXE_crypter");

pub struct Backend {
    pub child: Child,
    /// The backend's own AppRole credentials (`serve --bao-addr` starts only with them).
    _creds: tempfile::TempDir,
    pub addr: String,
    pub client: Client,
    pub csrf: String,
}

/// `crypter serve` on `listen`, logged in as the admin. `kill_after_writes`: the backend
/// kills itself (SIGKILL) right after that many store writes of an apply.
pub async fn start(
    bao: &crypter::bao::Bao,
    root: &secrecy::SecretString,
    dir: &Path,
    listen: u16,
    kill_after_writes: Option<u64>,
) -> Backend {
    let creds_dir = tempfile::tempdir().unwrap();
    let creds = creds_dir.path().join("backend.json");
    crypter::bootstrap::issue_credentials(bao, root)
        .await
        .unwrap()
        .write(&creds)
        .unwrap();
    let mut cmd = Command::new(BIN);
    cmd.args(["serve", "--listen", &format!("127.0.0.1:{listen}")])
        .args(["--bao-addr", bao.addr()])
        .arg("--backend-credentials")
        .arg(&creds)
        .arg("--changesets-dir")
        .arg(dir)
        .arg("--dist-dir")
        .arg(dir.join("no-dist"))
        .env_remove("CRYPTER_FAULT_KILL_AFTER_WRITES")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    if let Some(n) = kill_after_writes {
        cmd.env("CRYPTER_FAULT_KILL_AFTER_WRITES", n.to_string());
    }
    let mut child = cmd.spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = String::new();
    while let Ok(Ok(Some(line))) = tokio::time::timeout_at(deadline.into(), lines.next_line()).await
    {
        seen.push_str(&line);
        if line.starts_with("Crypter console:") {
            break;
        }
    }
    assert!(
        seen.contains("Crypter console:"),
        "crypter did not start: {seen}"
    );
    // Keep draining stdout so the child never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    let addr = format!("http://127.0.0.1:{listen}");
    let client = browser();
    let r = client
        .post(format!("{addr}/api/v1/session"))
        .json(&json!({"method": "userpass", "username": "admin", "password": ADMIN_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let s: Value = r.json().await.unwrap();
    let csrf = s["csrf_token"].as_str().unwrap().to_owned();
    Backend {
        child,
        _creds: creds_dir,
        addr,
        client,
        csrf,
    }
}

impl Backend {
    pub async fn plan(&self) -> ChangesetPlan {
        let r = self
            .client
            .post(format!("{}/api/v1/changesets/plan", self.addr))
            .header(CSRF_HEADER, &self.csrf)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
        r.json().await.unwrap()
    }

    /// Apply `plan`: the job's id.
    pub async fn apply(&self, plan: &ChangesetPlan) -> String {
        self.try_apply(plan).await.expect("the backend answered")
    }

    /// Apply `plan`: the job's id, or `None` when the process died before it answered.
    pub async fn try_apply(&self, plan: &ChangesetPlan) -> Option<String> {
        let r = self
            .client
            .post(format!("{}/api/v1/changesets/apply", self.addr))
            .header(CSRF_HEADER, &self.csrf)
            .json(&json!({ "plan_hash": plan.plan_hash }))
            .send()
            .await
            .ok()?;
        assert_eq!(r.status(), 202, "{}", r.text().await.unwrap());
        let v: Value = r.json().await.ok()?;
        Some(v["job_id"].as_str().unwrap().to_owned())
    }

    /// The job's progress; `None` once the process is gone.
    pub async fn progress(&self, job: &str) -> Option<JobProgress> {
        let r = self
            .client
            .get(format!("{}/api/v1/jobs/{job}", self.addr))
            .send()
            .await
            .ok()?;
        r.json().await.ok()
    }

    /// Wait for the job to end, or for the process to die.
    pub async fn outcome(&mut self, job: &str) -> Option<JobProgress> {
        loop {
            if let Ok(Some(_)) = self.child.try_wait() {
                return None;
            }
            match self.progress(job).await {
                Some(p) if p.state != JobState::Running => return Some(p),
                Some(_) => tokio::time::sleep(Duration::from_millis(20)).await,
                None => {
                    self.child.wait().await.unwrap();
                    return None;
                }
            }
        }
    }

    pub async fn kill(&mut self) {
        let pid = nix::unistd::Pid::from_raw(self.child.id().unwrap() as i32);
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL).unwrap();
        self.child.wait().await.unwrap();
    }
}
