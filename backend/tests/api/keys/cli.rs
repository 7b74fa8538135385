//! `crypter keys list|rotate` with the caller's own token, straight against OpenBao.

use super::*;
use secrecy::ExposeSecret;

async fn run(app: &TestApp, token: &SecretString, args: &[&str]) -> (i32, String, String) {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_crypter"))
        .arg("keys")
        .args(args)
        .env("BAO_ADDR", app.bao.addr())
        .env("BAO_TOKEN", token.expose_secret())
        .output()
        .await
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn the_cli_lists_and_rotates_with_the_callers_token() {
    let app = spawn_app().await;
    let admin = Caller::admin(&app).await;
    admin
        .create_key(&app, "staging", "cli-cards", "aes256-gcm96")
        .await;
    let token = app.token_with(&["crypter-admin", "default"]).await;

    let (code, out, err) = run(&app, &token, &["rotate", "staging", "cli-cards"]).await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("now at v2"), "{out}");
    let key = in_openbao(&app, "staging", "cli-cards").await.unwrap();
    assert_eq!(key["latest_version"], 2);

    let (code, out, _) = run(&app, &token, &["list", "staging"]).await;
    assert_eq!(code, 0);
    let line = out.lines().find(|l| l.starts_with("cli-cards ")).unwrap();
    assert!(
        line.contains("aes256-gcm96") && line.contains("v2"),
        "{line}"
    );

    // OpenBao decides: a token without the grant is refused, and nothing rotates.
    let nobody = app.token_with(&["default"]).await;
    let (code, _, err) = run(&app, &nobody, &["rotate", "staging", "cli-cards"]).await;
    assert_eq!(code, 1);
    assert!(!err.is_empty());
    let key = in_openbao(&app, "staging", "cli-cards").await.unwrap();
    assert_eq!(key["latest_version"], 2);

    // Bad input is named before anything is sent.
    let (code, _, err) = run(&app, &token, &["rotate", "staging", "Bad Name"]).await;
    assert_eq!(code, 1);
    assert!(err.contains("key name") || err.contains("name"), "{err}");
    let (code, _, err) = run(&app, &token, &["rotate", "staging", "missing"]).await;
    assert_eq!(code, 1);
    assert!(err.contains("missing"), "{err}");
}
