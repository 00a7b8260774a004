//! The audit chain through the API and the command line, the CLI's account creation, and the
//! operations endpoints, on both backends.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use bilheteria_domain::account::Role;
use bilheteria_store::testing::TestDatabase;
use bilheteria_store::{Backend, on_both_backends};
use common::{PASSWORD, TestApp, assert_problem, session_body, venue_body};
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::process::Command;

on_both_backends!(
    the_audit_chain_verifies_and_then_catches_a_tampered_row,
    the_cli_creates_the_first_admin,
    operations_endpoints_answer,
);

fn cli(db: &TestDatabase, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_bilheteria"))
        .args(args)
        .env("BILHETERIA_DATABASE_URL", &db.url)
        .env("RUST_LOG", "error")
        .output()
        .expect("the bilheteria binary runs")
}

async fn tamper(db: &TestDatabase) {
    use sqlx::Connection;
    let sql = "UPDATE audit_log SET after = '{\"title\":\"rewritten\"}' WHERE seq = 3";
    match db.backend {
        Backend::Sqlite => {
            let mut conn = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
            sqlx::query("DROP TRIGGER audit_log_no_update")
                .execute(&mut conn)
                .await
                .unwrap();
            sqlx::query(sql).execute(&mut conn).await.unwrap();
        }
        Backend::Postgres => {
            let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
            sqlx::query("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
                .execute(&mut conn)
                .await
                .unwrap();
            sqlx::query(sql).execute(&mut conn).await.unwrap();
        }
    }
}

async fn the_audit_chain_verifies_and_then_catches_a_tampered_row(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let admin = app.account("root@example.com", &[Role::Admin]).await;
    let organizer = app.account("org@example.com", &[]).await;
    let admin_token = Some(admin.token.as_str());
    app.put(
        &format!("/admin/users/{}/roles", organizer.id),
        admin_token,
        json!({"roles": ["organizer"]}),
    )
    .await;
    let token = Some(organizer.token.as_str());
    let venue = app.post("/venues", token, venue_body()).await.1;
    let event = app
        .post(
            "/events",
            token,
            json!({"title": "Show", "category": "music", "venue_id": venue["id"]}),
        )
        .await
        .1;
    let event_path = format!("/events/{}", event["id"].as_str().unwrap());
    app.post(
        &format!("{event_path}/sessions"),
        token,
        session_body(&venue),
    )
    .await;
    app.patch(&event_path, token, json!({"status": "published"}))
        .await;
    app.post(
        "/products",
        token,
        json!({"name": "Boné", "price_cents": 5000, "stock": 10, "event_ids": [event["id"]]}),
    )
    .await;

    let (status, audit) = app.get("/admin/audit", admin_token).await;
    assert_eq!(status, StatusCode::OK);
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "product.created",
            "event.updated",
            "session.created",
            "event.created",
            "venue.created",
            "user.roles_changed",
            "user.roles_changed", // the harness making the admin
        ],
        "every role and catalog change, newest first"
    );
    let update = &audit["items"][1];
    assert_eq!(update["actor_id"], organizer.id.as_str());
    assert_eq!(update["ip"], "127.0.0.1");
    assert_eq!(
        (
            update["before"]["status"].as_str(),
            update["after"]["status"].as_str()
        ),
        (Some("draft"), Some("published"))
    );
    let (_, by_target) = app
        .get(
            &format!("/admin/audit?target={}", event["id"].as_str().unwrap()),
            admin_token,
        )
        .await;
    assert_eq!(by_target["items"].as_array().unwrap().len(), 2);
    let (_, paged) = app.get("/admin/audit?limit=4", admin_token).await;
    let cursor = paged["next_cursor"].as_str().unwrap();
    let (_, rest) = app
        .get(
            &format!("/admin/audit?limit=4&cursor={cursor}"),
            admin_token,
        )
        .await;
    assert_eq!(rest["items"].as_array().unwrap().len(), 3);
    assert_problem(
        &app.get("/admin/audit?from=last-week", admin_token).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_problem(
        &app.get("/admin/audit", token).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );

    let (status, verification) = app.get("/admin/audit/verify", admin_token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        verification,
        json!({"ok": true, "entries": 7, "first_bad": null})
    );
    let verified = cli(&app.db, &["audit", "verify"]);
    assert!(
        verified.status.success(),
        "{}",
        String::from_utf8_lossy(&verified.stderr)
    );
    assert!(String::from_utf8_lossy(&verified.stdout).contains("audit chain intact: 7 entries"));

    tamper(&app.db).await;
    let (_, verification) = app.get("/admin/audit/verify", admin_token).await;
    assert_eq!(
        verification,
        json!({"ok": false, "entries": 7, "first_bad": 3})
    );
    let broken = cli(&app.db, &["audit", "verify"]);
    assert!(!broken.status.success());
    assert!(String::from_utf8_lossy(&broken.stderr).contains("audit chain broken at entry 3"));
}

async fn the_cli_creates_the_first_admin(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let created = cli(
        &app.db,
        &[
            "user",
            "create",
            "--email",
            "Boss@Example.com",
            "--password",
            PASSWORD,
            "--name",
            "Boss",
            "--role",
            "admin",
        ],
    );
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    assert!(String::from_utf8_lossy(&created.stdout).contains("with roles customer, admin"));
    let token = app.login_on("boss@example.com", "admin-console-1").await;
    let (status, me) = app.get("/me", Some(&token)).await;
    assert_eq!(
        (status, me["roles"].clone()),
        (StatusCode::OK, json!(["customer", "admin"]))
    );
    let (_, audit) = app
        .get("/admin/audit?action=user.created", Some(&token))
        .await;
    assert_eq!(audit["items"][0]["target_id"], me["id"]);
    assert_eq!(
        audit["items"][0]["actor_id"],
        serde_json::Value::Null,
        "made at the console"
    );

    let again = cli(
        &app.db,
        &[
            "user",
            "create",
            "--email",
            "boss@example.com",
            "--password",
            PASSWORD,
            "--name",
            "B",
        ],
    );
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
    let bad_role = cli(
        &app.db,
        &[
            "user",
            "create",
            "--email",
            "x@example.com",
            "--password",
            PASSWORD,
            "--name",
            "X",
            "--role",
            "root",
        ],
    );
    assert!(!bad_role.status.success());
    assert!(String::from_utf8_lossy(&bad_role.stderr).contains("unknown role"));
    let weak = cli(
        &app.db,
        &[
            "user",
            "create",
            "--email",
            "y@example.com",
            "--password",
            "short",
            "--name",
            "Y",
        ],
    );
    assert!(!weak.status.success());
    assert_eq!(
        app.store
            .list_users(None, &Default::default())
            .await
            .unwrap()
            .items
            .len(),
        1,
        "only the admin exists"
    );
}

async fn operations_endpoints_answer(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let backend = app.db.backend.as_str();
    let (status, health) = app.get("/healthz", None).await;
    assert_eq!(
        (status, health),
        (StatusCode::OK, json!({"status": "ok", "storage": backend}))
    );
    let (status, ready) = app.get("/readyz", None).await;
    assert_eq!(
        (status, ready["status"].as_str()),
        (StatusCode::OK, Some("ready"))
    );

    app.get("/events", None).await;
    let metrics = app
        .request(Method::GET, "/metrics", None)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("http_requests_total{"), "{metrics}");
    assert!(metrics.contains("route=\"/api/v1/events\""), "{metrics}");
    assert!(
        metrics.contains("http_request_duration_seconds_bucket"),
        "{metrics}"
    );

    let (status, openapi) = app.get("/api/openapi.json", None).await;
    assert_eq!(status, StatusCode::OK);
    let paths = openapi["paths"].as_object().unwrap();
    for path in [
        "/api/v1/auth/login",
        "/api/v1/events/{id}/sessions",
        "/api/v1/sessions/{id}/seats",
        "/api/v1/admin/audit/verify",
    ] {
        assert!(paths.contains_key(path), "{path} is documented");
    }
    assert!(openapi["components"]["schemas"]["Problem"].is_object());
    assert!(openapi["components"]["securitySchemes"]["bearer"].is_object());
    let docs = app
        .request(Method::GET, "/docs/", None)
        .send()
        .await
        .unwrap();
    assert_eq!(docs.status(), StatusCode::OK);
    assert!(
        docs.text().await.unwrap().contains("swagger-ui"),
        "Swagger UI is served from the binary"
    );

    let response = app
        .request(Method::GET, "/no/such/route", None)
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    assert!(response.headers().contains_key("x-request-id"));
    assert_problem(
        &common::read(response).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    let wrong_method = app.call(Method::DELETE, "/events", None, None).await;
    assert_problem(
        &wrong_method,
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
    );
}
