//! The audit chain through the API and the command line, the CLI's account creation, and the
//! operations endpoints, on both backends.

use bilheteria_domain::account::Role;
use bilheteria_store::testing::TestDatabase;
use bilheteria_store::{Backend, on_both_backends};
use bilheteria_testkit::{PASSWORD, TestApp, assert_problem, session_body, venue_body};
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::process::Command;

on_both_backends!(
    the_audit_chain_verifies_and_then_catches_a_tampered_row,
    the_cli_creates_the_first_admin,
    operations_endpoints_answer,
    the_cli_seeds_the_demo_box_office_once,
    an_empty_box_office_logs_its_setup_link,
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
    app.organization(&organizer, "Produtora").await;
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
            "organization.created",
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
    assert_eq!(rest["items"].as_array().unwrap().len(), 4);
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
        json!({"ok": true, "entries": 8, "first_bad": null})
    );
    let verified = cli(&app.db, &["audit", "verify"]);
    assert!(
        verified.status.success(),
        "{}",
        String::from_utf8_lossy(&verified.stderr)
    );
    assert!(String::from_utf8_lossy(&verified.stdout).contains("audit chain intact: 8 entries"));

    tamper(&app.db).await;
    let (_, verification) = app.get("/admin/audit/verify", admin_token).await;
    assert_eq!(
        verification,
        json!({"ok": false, "entries": 8, "first_bad": 3})
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
    assert!(
        String::from_utf8_lossy(&bad_role.stderr)
            .contains("--role root: must be `customer`, `organizer`, `staff` or `admin`")
    );
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
    let settings = bilheteria_app::Settings {
        metrics_token: Some("metrics-token-1".into()),
        ..Default::default()
    };
    let app = TestApp::spawn_with(db, settings).await;
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
        .request(Method::GET, "/metrics", Some("metrics-token-1"))
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
        &bilheteria_testkit::read(response).await,
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

/// The served OpenAPI document says what the server does: every `{name}` of a path is a path
/// parameter and nothing else is; query strings are query parameters; the problems that shared
/// extractors and layers answer are declared, as `application/problem+json`.
#[tokio::test]
async fn the_served_openapi_document_matches_the_routes() {
    let app = TestApp::spawn(TestDatabase::sqlite()).await;
    let (status, openapi) = app.get("/api/openapi.json", None).await;
    assert_eq!(status, StatusCode::OK);
    let mut operations = 0;
    for (path, item) in openapi["paths"].as_object().unwrap() {
        let named: Vec<&str> = path
            .split('{')
            .skip(1)
            .filter_map(|rest| rest.split('}').next())
            .collect();
        for (method, operation) in item.as_object().unwrap() {
            operations += 1;
            let at = format!("{method} {path}");
            let empty = Vec::new();
            let params = operation["parameters"].as_array().unwrap_or(&empty);
            let in_path: Vec<&str> = params
                .iter()
                .filter(|p| p["in"] == "path")
                .map(|p| p["name"].as_str().unwrap())
                .collect();
            assert_eq!(in_path, named, "{at}: path parameters");
            for param in params.iter().filter(|p| p["in"] == "path") {
                if param["name"] == "token" {
                    // A mailed link's token: 32 random bytes in base64url.
                    assert_eq!(param["schema"]["pattern"], "^[A-Za-z0-9_-]{43}$", "{at}");
                } else {
                    assert_eq!(param["schema"]["format"], "uuid", "{at}: ids are UUIDs");
                }
            }
            let responses = operation["responses"].as_object().unwrap();
            for (status, response) in responses {
                for (mime, content) in response["content"].as_object().into_iter().flatten() {
                    if content["schema"]["$ref"] == "#/components/schemas/Problem" {
                        assert_eq!(mime, "application/problem+json", "{at} {status}");
                    }
                }
            }
            let has = |status: &str| responses.contains_key(status);
            if operation.get("security").is_some() {
                assert!(has("401"), "{at}: 401");
            }
            if !named.is_empty() {
                assert!(has("404"), "{at}: 404");
            }
            if operation["requestBody"]["content"]["application/json"].is_object() {
                assert!(has("400") && has("413"), "{at}: 400 and 413");
            }
        }
    }
    assert!(operations > 30, "{operations} operations");

    let params = |method: &str, path: &str| -> Vec<(String, String)> {
        openapi["paths"][path][method]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["name"].as_str().unwrap().to_owned(),
                    p["in"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let query = |names: &[&str]| -> Vec<(String, String)> {
        names
            .iter()
            .map(|n| ((*n).to_owned(), "query".to_owned()))
            .collect()
    };
    assert_eq!(
        params("get", "/api/v1/events"),
        query(&["q", "category", "city", "from", "to", "limit", "cursor"])
    );
    assert_eq!(
        params("get", "/api/v1/admin/audit"),
        query(&["actor", "action", "target", "from", "to", "limit", "cursor"])
    );
    assert!(
        params("get", "/api/v1/sessions/{id}/seats")
            .contains(&("section_id".to_owned(), "query".to_owned()))
    );
    let limit = openapi["paths"]["/api/v1/events"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "limit")
        .unwrap();
    assert_eq!(
        (&limit["schema"]["minimum"], &limit["schema"]["maximum"]),
        (&json!(1), &json!(200))
    );
    let device = &openapi["paths"]["/api/v1/auth/login"]["post"]["parameters"][0];
    assert_eq!(device["name"], "X-Device-Id");
    assert_eq!(
        (
            &device["schema"]["minLength"],
            &device["schema"]["maxLength"]
        ),
        (&json!(8), &json!(128))
    );
    let register = &openapi["components"]["schemas"]["RegisterRequest"]["properties"];
    assert_eq!(register["password"]["minLength"], 8);
    assert_eq!(register["email"]["format"], "email");
    let order = &openapi["paths"]["/api/v1/orders"]["post"]["responses"];
    for status in ["400", "401", "413", "415", "429"] {
        assert!(order[status].is_object(), "POST /orders declares {status}");
    }
    assert!(
        order["202"]["content"]["application/problem+json"].is_object(),
        "payment_pending is a problem document"
    );
}

/// Security headers on JSON, on HTML and on errors; personal answers are not cached; HSTS and
/// the metrics token are settings.
#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    let settings = bilheteria_app::Settings {
        hsts_max_age_secs: 31_536_000,
        metrics_token: Some("metrics-secret-123".into()),
        ..Default::default()
    };
    let app = TestApp::spawn_with(TestDatabase::sqlite(), settings).await;
    let buyer = app.account("ana@example.com", &[]).await;
    let get = |path: &str, token: Option<&str>| {
        let request = app.request(Method::GET, path, token);
        async move { request.send().await.unwrap() }
    };
    for response in [
        get("/events", None).await,
        get("/me", Some(&buyer.token)).await,
        get("/no/such/route", None).await,
        get("/docs/", None).await,
    ] {
        let headers = response.headers();
        assert_eq!(headers["x-content-type-options"], "nosniff", "{headers:?}");
        assert_eq!(
            headers["referrer-policy"],
            "strict-origin-when-cross-origin"
        );
        assert_eq!(
            headers["strict-transport-security"],
            "max-age=31536000; includeSubDomains"
        );
    }
    assert!(
        !get("/events", None)
            .await
            .headers()
            .contains_key("cache-control"),
        "a public listing may be cached"
    );
    assert_eq!(
        get("/me", Some(&buyer.token)).await.headers()["cache-control"],
        "no-store"
    );
    let login = app
        .request(Method::POST, "/auth/login", None)
        .header("X-Device-Id", "device-0099")
        .json(&json!({"email": "ana@example.com", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        login.headers()["cache-control"],
        "no-store",
        "a token is personal"
    );
    let docs = get("/docs/", None).await;
    let csp = docs.headers()["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"),
        "{csp}"
    );
    assert_eq!(docs.headers()["x-frame-options"], "DENY");
    assert!(
        !get("/events", None)
            .await
            .headers()
            .contains_key("content-security-policy"),
        "the policy is for HTML"
    );

    // /metrics needs its token.
    assert_problem(
        &bilheteria_testkit::read(get("/metrics", None).await).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    );
    let metrics = get("/metrics", Some("metrics-secret-123")).await;
    assert_eq!(metrics.status(), StatusCode::OK);
    assert!(
        metrics
            .text()
            .await
            .unwrap()
            .contains("http_requests_total")
    );

    // Without the settings, no HSTS, and no metrics with the API: they are not public unless a
    // token guards them.
    let plain = TestApp::spawn(TestDatabase::sqlite()).await;
    let response = plain
        .request(Method::GET, "/metrics", None)
        .send()
        .await
        .unwrap();
    assert!(!response.headers().contains_key("strict-transport-security"));
    assert_problem(
        &bilheteria_testkit::read(response).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
}

/// Every 413 is a problem document, whichever route read the body.
#[tokio::test]
async fn oversized_bodies_are_payload_too_large_problems() {
    let settings = bilheteria_app::Settings {
        webhook_secret: Some("whsec_test".into()),
        ..Default::default()
    };
    let app = TestApp::spawn_with(TestDatabase::sqlite(), settings).await;
    let huge = format!("{{\"pad\": \"{}\"}}", "x".repeat(2 * 1024 * 1024));
    for path in ["/payments/webhook", "/auth/register", "/auth/login"] {
        let response = app
            .request(Method::POST, path, None)
            .header("content-type", "application/json")
            .body(huge.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json",
            "{path}"
        );
        assert_problem(
            &bilheteria_testkit::read(response).await,
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
        );
    }
}

/// `bilheteria seed --demo` fills an empty database with a box office to browse: published
/// events with sessions ahead (one queued, opening minutes later), half-price reserves, the
/// default cap of tickets per buyer, products; its organizer signs in with the password it
/// prints; a second run adds nothing; and, with no admin yet, the setup link is still offered.
async fn the_cli_seeds_the_demo_box_office_once(db: TestDatabase) {
    let data = tempfile::tempdir().unwrap();
    let seed = |db: &TestDatabase| {
        Command::new(env!("CARGO_BIN_EXE_bilheteria"))
            .args(["seed", "--demo"])
            .env("BILHETERIA_DATABASE_URL", &db.url)
            .env("BILHETERIA_DATA_DIR", data.path())
            .env("RUST_LOG", "error")
            .output()
            .expect("the bilheteria binary runs")
    };
    let first = seed(&db);
    assert!(first.status.success(), "{first:?}");
    let said = String::from_utf8_lossy(&first.stdout).to_string();
    let password = said
        .split("with the password ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("the password is printed")
        .to_owned();
    let again = seed(&db);
    assert!(again.status.success());
    assert!(String::from_utf8_lossy(&again.stdout).contains("already"));

    let app = TestApp::spawn(db).await;
    let (_, events) = app.get("/events?limit=50", None).await;
    let items = events["items"].as_array().unwrap();
    assert_eq!(items.len(), 4, "{events}");
    let mut queued = 0;
    for event in items {
        let (_, detail) = app
            .get(&format!("/events/{}", event["id"].as_str().unwrap()), None)
            .await;
        for session in detail["sessions"].as_array().unwrap() {
            assert!(session["half_price"]["quota"].as_i64().unwrap() > 0);
            assert_eq!(
                session["max_tickets_per_user"],
                json!(bilheteria_domain::catalog::DEFAULT_MAX_TICKETS_PER_USER),
                "{session}"
            );
            queued += i32::from(session["queue"]["enabled"] == true);
        }
    }
    assert_eq!(queued, 1, "one session sells through the waiting room");
    let response = app
        .request(Method::POST, "/auth/login", None)
        .header("X-Device-Id", app.next_device())
        .json(&json!({"email": bilheteria_app::demo::DEMO_ORGANIZER, "password": password}))
        .send()
        .await
        .unwrap();
    let (status, login) = bilheteria_testkit::read(response).await;
    assert_eq!(status, StatusCode::OK, "{login}");
    assert!(
        login["user"]["roles"]
            .as_array()
            .unwrap()
            .contains(&json!("organizer"))
    );
    // She owns the demo organization, which holds the demo's catalog.
    let token = login["token"].as_str().unwrap();
    let (status, mine) = app.get("/organizations", Some(token)).await;
    assert_eq!(status, StatusCode::OK, "{mine}");
    assert_eq!(mine["items"].as_array().unwrap().len(), 1, "{mine}");
    assert_eq!(
        mine["items"][0]["name"],
        bilheteria_app::demo::DEMO_ORGANIZATION
    );
    assert_eq!(mine["items"][0]["role"], "owner");
    let (_, theirs) = app
        .get(
            &format!(
                "/organizations/{}/events",
                mine["items"][0]["id"].as_str().unwrap()
            ),
            Some(token),
        )
        .await;
    assert_eq!(theirs["items"].as_array().unwrap().len(), 4, "{theirs}");
    assert!(
        bilheteria_app::setup::prepare(&app.state)
            .await
            .unwrap()
            .is_some(),
        "the demo's organizer is no admin: the first admin is still to be made"
    );
}

/// `bilheteria serve` on a database without accounts logs the link that makes the first admin
/// in a page; the link opens that page.
async fn an_empty_box_office_logs_its_setup_link(db: TestDatabase) {
    use tokio::io::AsyncBufReadExt;
    let data = tempfile::tempdir().unwrap();
    let mut server = tokio::process::Command::new(env!("CARGO_BIN_EXE_bilheteria"))
        .args(["serve", "--addr", "127.0.0.1:0", "--log-format", "json"])
        .env("BILHETERIA_DATABASE_URL", &db.url)
        .env("BILHETERIA_DATA_DIR", data.path())
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the bilheteria binary runs");
    let mut lines = tokio::io::BufReader::new(server.stdout.take().unwrap()).lines();
    let link = tokio::time::timeout(std::time::Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(at) = line.find("http://") {
                let url: String = line[at..]
                    .chars()
                    .take_while(|c| !c.is_whitespace() && *c != '"')
                    .collect();
                if url.contains("/setup/") {
                    return url;
                }
            }
        }
        panic!("the server ended without logging a setup link");
    })
    .await
    .expect("the setup link is logged at start");
    let page = reqwest::get(&link).await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("/setup/"));
    server.kill().await.unwrap();
}
