//! `crypter dev --nodes 3 --instances 3 --wan 80ms`, as the binary runs it: the three
//! instances' addresses, the relay's control address, and the nodes (to kill a leader and
//! start it again, as a crash and a restart would).

use crypter::embedded::{find_bao, free_loopback_port};
use serde_json::Value;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const BIN: &str = env!("CARGO_BIN_EXE_crypter");
pub const PASSWORD: &str = "wan-Passw0rd-2026";
pub const ROOT: &str = "wan-root-token";

pub struct Node {
    pub api: String,
    pid: Option<u32>,
    restarted: Option<Child>,
}

pub struct DevWan {
    child: Child,
    pub dir: PathBuf,
    pub instances: Vec<String>,
    pub control: String,
    relay_pid: u32,
    pub nodes: Vec<Node>,
    http: reqwest::Client,
}

impl DevWan {
    /// Start it and wait until every instance answers.
    pub async fn start(delay: &str) -> Self {
        Self::start_with(delay, &[]).await
    }

    /// As [`Self::start`], with more flags for every instance.
    pub async fn start_with(delay: &str, extra: &[&str]) -> Self {
        // The instances listen on `port + 1` and `+ 2`, checked free here; a node or the
        // relay may still take one of them (they bind ports the system picks) before the
        // instance does: then `crypter dev` exits, and it is started again on other ports.
        let mut attempts = 0;
        let (port, child, mut lines) = loop {
            attempts += 1;
            let port = loop {
                let p = free_loopback_port().unwrap();
                if (1..3).all(|k| std::net::TcpListener::bind(("127.0.0.1", p + k)).is_ok()) {
                    break p;
                }
            };
            let mut child = Command::new(BIN)
                .args([
                    "dev",
                    "--nodes",
                    "3",
                    "--instances",
                    "3",
                    "--wan",
                    delay,
                    "--no-demo",
                ])
                .args([
                    "--listen",
                    &format!("127.0.0.1:{port}"),
                    "--root-token",
                    ROOT,
                ])
                .args(["--admin-password", PASSWORD, "--dist-dir", "/nonexistent"])
                .args(["--login-burst", "100000", "--login-per-minute", "1000000"])
                .args(extra)
                .env("RUST_LOG", "warn")
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .kill_on_drop(true)
                .spawn()
                .unwrap();
            let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
            let deadline = Instant::now() + Duration::from_secs(180);
            let mut seen = String::new();
            let mut consoles = 0;
            while consoles < 3 {
                match tokio::time::timeout_at(deadline.into(), lines.next_line()).await {
                    Ok(Ok(Some(line))) => {
                        consoles += usize::from(line.starts_with("Crypter console:"));
                        seen.push_str(&line);
                        seen.push('\n');
                    }
                    // It exited (a port taken from under it): start it again.
                    Ok(Ok(None)) if attempts < 3 => break,
                    _ => panic!("crypter dev --wan did not start: {seen}"),
                }
            }
            if consoles == 3 {
                break (port, child, lines);
            }
            let _ = child.kill().await;
        };
        // Keep reading its output so that it never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let dir = std::env::temp_dir().join(format!("crypter-dev-cluster-{port}"));
        let wan: Value =
            serde_json::from_slice(&std::fs::read(dir.join("wan.json")).unwrap()).unwrap();
        let nodes: Vec<Value> =
            serde_json::from_slice(&std::fs::read(dir.join("nodes.json")).unwrap()).unwrap();
        let nodes = nodes
            .iter()
            .map(|n| Node {
                api: n["api_addr"].as_str().unwrap().to_owned(),
                pid: n["pid"].as_u64().and_then(|p| u32::try_from(p).ok()),
                restarted: None,
            })
            .collect();
        let dev = Self {
            child,
            dir,
            instances: (0..3)
                .map(|k| format!("http://127.0.0.1:{}", port + k))
                .collect(),
            control: wan["control"].as_str().unwrap().to_owned(),
            relay_pid: u32::try_from(wan["pid"].as_u64().unwrap()).unwrap(),
            nodes,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap(),
        };
        for base in &dev.instances {
            crate::helpers::eventually(
                &format!("{base} answers"),
                Duration::from_secs(60),
                || async {
                    let r = dev
                        .http
                        .get(format!("{base}/api/v1/health"))
                        .send()
                        .await
                        .ok()?;
                    r.status().is_success().then_some(())
                },
            )
            .await;
        }
        dev
    }

    /// `POST {control}/{action}/{dc}`: the status and body.
    pub async fn relay(&self, action: &str, dc: &str) -> (u16, Value) {
        let r = self
            .http
            .post(format!("{}/{action}/{dc}", self.control))
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }

    pub async fn relay_state(&self) -> Value {
        self.http
            .get(&self.control)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Keep every version of every credential in staging (KV keeps 10 by default), so that
    /// a history can be checked against all of them.
    pub async fn keep_all_versions(&self) {
        let r = self
            .http
            .post(format!("{}/v1/env/staging/config", self.nodes[0].api))
            .header("X-Vault-Token", ROOT)
            .json(&serde_json::json!({"max_versions": 100_000}))
            .send()
            .await
            .unwrap();
        assert!(
            r.status().is_success(),
            "{}",
            r.text().await.unwrap_or_default()
        );
    }

    /// A machine identity that may read staging's credentials: its role id and a secret id.
    pub async fn approle(&self, name: &str) -> (String, String) {
        let call = |method: reqwest::Method, path: String, body: Value| {
            let req = self
                .http
                .request(method, format!("{}/v1/{path}", self.nodes[0].api))
                .header("X-Vault-Token", ROOT)
                .json(&body);
            async move {
                let r = req.send().await.unwrap();
                assert!(r.status().is_success(), "{path}: {}", r.status());
                r.json::<Value>().await.unwrap_or(Value::Null)
            }
        };
        let policy = r#"path "env/staging/data/*" { capabilities = ["read"] }"#;
        call(
            reqwest::Method::PUT,
            format!("sys/policies/acl/{name}"),
            serde_json::json!({"policy": policy}),
        )
        .await;
        let role = format!("auth/approle/role/{name}");
        call(
            reqwest::Method::POST,
            role.clone(),
            serde_json::json!({"token_policies": [name], "token_ttl": "1h"}),
        )
        .await;
        let id = call(reqwest::Method::GET, format!("{role}/role-id"), Value::Null).await;
        let secret = call(
            reqwest::Method::POST,
            format!("{role}/secret-id"),
            serde_json::json!({}),
        )
        .await;
        (
            id["data"]["role_id"].as_str().unwrap().to_owned(),
            secret["data"]["secret_id"].as_str().unwrap().to_owned(),
        )
    }

    /// SIGKILL the relay: every link between data centers goes with it.
    pub fn kill_relay(&self) {
        let pid = nix::unistd::Pid::from_raw(i32::try_from(self.relay_pid).unwrap());
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL).unwrap();
    }

    /// The node that says it is active, asked directly.
    pub async fn leader(&self) -> Option<usize> {
        for (i, n) in self.nodes.iter().enumerate() {
            let url = format!("{}/v1/sys/leader", n.api);
            if let Ok(r) = self
                .http
                .get(url)
                .timeout(Duration::from_secs(1))
                .send()
                .await
            {
                if let Ok(v) = r.json::<Value>().await {
                    if v["is_self"].as_bool() == Some(true) {
                        return Some(i);
                    }
                }
            }
        }
        None
    }

    /// SIGKILL node `i`, as a crash would.
    pub async fn kill(&mut self, i: usize) {
        let node = &mut self.nodes[i];
        if let Some(mut child) = node.restarted.take() {
            let _ = child.kill().await;
        } else if let Some(pid) = node.pid.take() {
            let pid = nix::unistd::Pid::from_raw(i32::try_from(pid).unwrap());
            let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL);
        }
        // Until it is gone its port still answers.
        let url = format!("{}/v1/sys/health", node.api);
        crate::helpers::eventually(
            "the killed node is gone",
            Duration::from_secs(10),
            || async { self.http.get(&url).send().await.is_err().then_some(()) },
        )
        .await;
    }

    /// Start node `i` again from its own config and Raft data, and unseal it.
    pub async fn restart(&mut self, i: usize) {
        let config = self.dir.join(format!("node{}.hcl", i + 1));
        let run = self.dir.join(format!("node{}-run", i + 1));
        let log =
            std::fs::File::create(self.dir.join(format!("node{}-restart.log", i + 1))).unwrap();
        let child = Command::new(find_bao().unwrap())
            .arg("server")
            .arg(format!("-config={}", config.display()))
            .current_dir(run)
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        self.nodes[i].restarted = Some(child);
        let key: Value =
            serde_json::from_slice(&std::fs::read(self.dir.join("unseal.json")).unwrap()).unwrap();
        let url = format!("{}/v1/sys/unseal", self.nodes[i].api);
        crate::helpers::eventually(
            "the restarted node unseals",
            Duration::from_secs(30),
            || async {
                let r = self
                    .http
                    .put(&url)
                    .json(&serde_json::json!({"key": key["key"]}))
                    .send()
                    .await
                    .ok()?;
                let v: Value = r.json().await.ok()?;
                (v["sealed"].as_bool() == Some(false)).then_some(())
            },
        )
        .await;
    }

    /// Every instance reaches the leader and serves fresh reads again.
    pub async fn converged(&self, within: Duration) {
        for base in &self.instances {
            crate::helpers::eventually(&format!("{base} converges"), within, || async {
                let v: Value = self
                    .http
                    .get(format!("{base}/api/v1/health"))
                    .send()
                    .await
                    .ok()?
                    .json()
                    .await
                    .ok()?;
                let c = &v["consistency"];
                (c["leader_reachable"].as_bool() == Some(true) && c["stale_since"].is_null())
                    .then_some(())
            })
            .await;
        }
    }

    /// Every register's versions and values, read from OpenBao itself on the leader.
    pub async fn finals(
        &self,
        registers: impl Iterator<Item = String>,
    ) -> std::collections::HashMap<String, Vec<(u64, String)>> {
        let leader = self.leader().await.expect("a leader after the heal");
        let mut registers: Vec<String> = registers.collect();
        registers.sort_unstable();
        registers.dedup();
        let mut out = std::collections::HashMap::new();
        for reg in registers {
            let Ok(meta) = self
                .bao_read(leader, &format!("env/staging/metadata/{reg}"))
                .await
            else {
                continue;
            };
            let mut versions = Vec::new();
            for v in 1..=meta["data"]["current_version"].as_u64().unwrap_or(0) {
                let data = self
                    .bao_read(leader, &format!("env/staging/data/{reg}?version={v}"))
                    .await
                    .unwrap_or_else(|e| panic!("{reg} version {v} does not read: {e}"));
                let value = data["data"]["data"]["v"].as_str().unwrap_or_default();
                versions.push((v, value.to_owned()));
            }
            out.insert(reg, versions);
        }
        out
    }

    /// GET `/v1/{path}` on node `i` with the root token: the body, or why not. A node
    /// still catching up after a heal may answer 5xx for a moment: it is asked again.
    pub async fn bao_read(&self, i: usize, path: &str) -> Result<Value, String> {
        let url = format!("{}/v1/{path}", self.nodes[i].api);
        let mut last = String::new();
        for _ in 0..20 {
            match self
                .http
                .get(&url)
                .header("X-Vault-Token", ROOT)
                .send()
                .await
            {
                Ok(r) if r.status().is_success() => {
                    return r.json().await.map_err(|e| e.to_string())
                }
                Ok(r) if r.status().as_u16() == 404 => return Err(format!("{path}: 404")),
                Ok(r) => last = format!("{}: {}", r.status(), r.text().await.unwrap_or_default()),
                Err(e) => last = e.to_string(),
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        Err(format!("{path}: {last}"))
    }
}

impl Drop for DevWan {
    fn drop(&mut self) {
        if let Some(id) = self.child.id() {
            let pid = nix::unistd::Pid::from_raw(i32::try_from(id).unwrap());
            let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
            for _ in 0..150 {
                if matches!(self.child.try_wait(), Ok(Some(_))) {
                    break;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        for node in &mut self.nodes {
            if let Some(child) = node.restarted.as_mut() {
                let _ = child.start_kill();
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
