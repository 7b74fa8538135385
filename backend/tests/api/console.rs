use crate::helpers::*;
use base64::Engine;
use crypter::config::Settings;
use reqwest::StatusCode;
use sha2::{Digest, Sha256};

const INDEX: &str = r#"<!DOCTYPE html><html><head><script type="module">import init from '/app.js';init('/app_bg.wasm');</script></head><body></body></html>"#;

#[tokio::test]
async fn deep_links_get_index_html_and_its_script_hash_is_allowed() {
    let dist = tempfile::tempdir().unwrap();
    std::fs::write(dist.path().join("index.html"), INDEX).unwrap();
    std::fs::write(dist.path().join("app.js"), "export default 1;").unwrap();
    let app = spawn_app_with(Settings {
        dist_dir: dist.path().to_owned(),
        ..Settings::default()
    })
    .await;

    for path in ["/", "/credentials", "/roles/deploy/edit"] {
        let resp = browser()
            .get(format!("{}{path}", app.addr))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{path}");
        let csp = resp.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            resp.headers().get("cache-control").is_none(),
            "the console may be cached"
        );
        assert_eq!(resp.text().await.unwrap(), INDEX);
        let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(
            b"import init from '/app.js';init('/app_bg.wasm');",
        ));
        assert!(csp.contains(&format!("'sha256-{hash}'")), "{csp}");
    }
    let js = browser()
        .get(format!("{}/app.js", app.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(js.status(), StatusCode::OK);
    assert_eq!(js.text().await.unwrap(), "export default 1;");
}

#[tokio::test]
async fn a_missing_console_build_says_how_to_build_it() {
    let dist = tempfile::tempdir().unwrap();
    let app = spawn_app_with(Settings {
        dist_dir: dist.path().join("nothing-here"),
        ..Settings::default()
    })
    .await;
    let resp = browser().get(&app.addr).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(resp
        .text()
        .await
        .unwrap()
        .contains("scripts/build-console.sh"));
}

#[tokio::test]
async fn the_login_page_and_the_console_get_their_own_bundles_and_both_boot_scripts_are_allowed() {
    let dist = tempfile::tempdir().unwrap();
    for (bundle, script) in [
        ("core", "init('/core/a.wasm');"),
        ("console", "init('/console/b.wasm');"),
    ] {
        std::fs::create_dir_all(dist.path().join(bundle)).unwrap();
        std::fs::write(
            dist.path().join(bundle).join("index.html"),
            format!("<html><script type=\"module\">{script}</script><p>{bundle}</p></html>"),
        )
        .unwrap();
    }
    let app = spawn_app_with(Settings {
        dist_dir: dist.path().to_owned(),
        ..Settings::default()
    })
    .await;
    for (path, bundle) in [
        ("/", "console"),
        ("/login", "core"),
        ("/login/", "core"),
        ("/loginx", "console"),
        ("/roles", "console"),
        ("/roles/x/y", "console"),
        ("/runbooks/42", "console"),
    ] {
        let resp = browser()
            .get(format!("{}{path}", app.addr))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        let csp = resp.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned();
        assert_eq!(csp.matches("'sha256-").count(), 2, "{csp}");
        let body = resp.text().await.unwrap();
        assert!(body.contains(&format!("<p>{bundle}</p>")), "{path}: {body}");
    }
}
