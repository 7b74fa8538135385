use crate::helpers::*;
use crypter_api::Environment;
use reqwest::StatusCode;
use serde_json::{json, Value};

#[tokio::test]
async fn environments_are_created_listed_updated_and_deleted() {
    let app = spawn_app().await;
    let c = app.caller().await;

    let resp = app
        .create_environment(
            &c,
            json!({"name": "qa-1", "description": "QA", "color": "#123abc", "protected": true}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let created: Environment = resp.json().await.unwrap();
    assert_eq!(created.credential_count, Some(0));
    assert!(created.protected);

    // The mount and the record exist in OpenBao.
    let mount = app
        .bao
        .read("sys/mounts/env/qa-1", &app.root)
        .await
        .unwrap();
    assert_eq!(mount.unwrap()["options"]["version"], "2");
    let record = app
        .bao
        .read("crypter/data/environments/qa-1", &app.root)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record["data"]["data"]["color"], "#123abc");

    app.seed(&c, "qa-1", "svc/db", "s3cret-qa", "service").await;
    let list: Vec<Environment> = app.list_environments(&c).await.json().await.unwrap();
    let names: Vec<&str> = list.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["production", "qa-1", "staging"]);
    assert_eq!(list[1].credential_count, Some(1));
    assert_eq!(list[0].credential_count, Some(0));

    let resp = app
        .update_environment(
            &c,
            "qa-1",
            json!({"description": "QA two", "protected": false}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let got: Environment = app.get_environment(&c, "qa-1").await.json().await.unwrap();
    assert_eq!(
        (got.description.as_str(), got.protected, got.color.as_str()),
        ("QA two", false, "#123abc")
    );
    // A typo is a 400 that names the field, never a silent 200 that changes nothing.
    let (status, code, message) = error_code(
        app.update_environment(&c, "qa-1", json!({"protectd": true}))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{code}: {message}");
    assert!(message.contains("unknown field `protectd`"), "{message}");

    // Not empty: 409 with the count.
    let message = expect_error(
        app.delete_environment(&c, "qa-1").await,
        StatusCode::CONFLICT,
        "environment_not_empty",
    )
    .await;
    assert!(message.contains("1 credential"), "{message}");

    app.bao
        .delete("env/qa-1/metadata/svc/db", &app.root)
        .await
        .unwrap();
    let resp = app.delete_environment(&c, "qa-1").await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.get_environment(&c, "qa-1").await.status(),
        StatusCode::NOT_FOUND
    );
    assert!(app
        .bao
        .read("sys/mounts/env/qa-1", &app.root)
        .await
        .map(|m| m.is_none())
        .unwrap_or(true));
}

#[tokio::test]
async fn environment_input_is_validated() {
    let app = spawn_app().await;
    let c = app.caller().await;
    // A name in the body is an `EnvName`: refused while the body is read, naming the field.
    let name_rule = "name: invalid environment name";
    for (body, want, says) in [
        (json!({"name": "Bad_Name"}), "invalid_json", name_rule),
        (json!({"name": ""}), "invalid_json", name_rule),
        (json!({"name": "../x"}), "invalid_json", name_rule),
        (
            json!({"name": "1x"}),
            "invalid_json",
            "a lowercase letter first",
        ),
        (
            json!({"name": "ok", "color": "red"}),
            "invalid_color",
            "#rrggbb",
        ),
        (
            json!({"name": "ok", "description": "d".repeat(501)}),
            "invalid_description",
            "longer than 500",
        ),
        (json!({"nome": "x"}), "invalid_json", "unknown field `nome`"),
    ] {
        let (status, code, message) = error_code(app.create_environment(&c, body).await).await;
        assert_eq!(
            (status, code.as_str()),
            (StatusCode::BAD_REQUEST, want),
            "{message}"
        );
        assert!(message.contains(says), "{message}");
    }
    // Nothing was created for any refused body: the store still holds only the demo two.
    let listed: Vec<Environment> = app.list_environments(&c).await.json().await.unwrap();
    let names: Vec<&str> = listed.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["production", "staging"]);

    let (status, _, _) =
        error_code(app.create_environment(&c, json!({"name": "staging"})).await).await;
    assert_eq!(status, StatusCode::CONFLICT);

    expect_error(
        app.get_environment(&c, "NOPE").await,
        StatusCode::BAD_REQUEST,
        "invalid_environment",
    )
    .await;
    let (status, _, _) = error_code(app.get_environment(&c, "nope").await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = error_code(
        app.update_environment(&c, "nope", json!({"description": "x"}))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, code, _) = error_code(
        app.update_environment(&c, "staging", json!({"color": "#zzzzzz"}))
            .await,
    )
    .await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::BAD_REQUEST, "invalid_color")
    );
    let (status, _, _) = error_code(app.delete_environment(&c, "nope").await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn environments_need_a_session() {
    let app = spawn_app().await;
    let resp = browser()
        .get(app.url("/environments"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn openapi_describes_the_environment_and_credential_endpoints() {
    let app = spawn_app().await;
    let doc: Value = app.get_json(&browser(), "/openapi.json").await;
    for path in [
        "/api/v1/environments",
        "/api/v1/environments/{env}",
        "/api/v1/environments/{env}/credentials",
        "/api/v1/environments/{env}/credentials/{path}",
        "/api/v1/environments/{env}/credentials/{path}/{action}",
        "/api/v1/compare",
        "/api/v1/promote",
        "/api/v1/lint",
        "/api/v1/activity",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} is missing");
    }
    assert!(doc["components"]["schemas"]["CredentialWrite"].is_object());
}

#[tokio::test]
async fn environment_changes_are_logged() {
    let app = spawn_app().await;
    let c = app.caller().await;
    app.create_environment(&c, json!({"name": "logged"})).await;
    app.delete_environment(&c, "logged").await;
    let events = app.events(&c.client).await;
    let actions: Vec<(&str, &str)> = events
        .iter()
        .filter(|e| e.action.noun() == "environment" && e.target == "logged")
        .map(|e| (e.action.as_str(), e.target.as_str()))
        .collect();
    assert_eq!(
        actions,
        [
            ("environment.unmount", "logged"),
            ("environment.mount", "logged"),
        ]
    );
}
