//! Accounts, the one-session rule, roles and their bad inputs, over real HTTP on both backends.

use bilheteria_app::Settings;
use bilheteria_domain::account::Role;
use bilheteria_store::on_both_backends;
use bilheteria_store::testing::TestDatabase;
use bilheteria_testkit::{PASSWORD, TestApp, assert_problem, error_fields, read};
use reqwest::{Method, StatusCode};
use serde_json::json;

on_both_backends!(
    register_login_me_logout,
    a_login_on_a_second_device_replaces_the_first,
    a_login_by_another_user_on_the_same_device_replaces_its_session,
    registration_rejects_bad_input_and_keeps_nothing,
    login_rejects_bad_devices_and_credentials_alike,
    forged_expired_and_malformed_tokens_are_refused,
    login_attempts_are_rate_limited_per_account_and_per_ip,
    guesses_from_elsewhere_do_not_lock_the_owner_out,
    names_and_titles_refuse_reordering_characters,
    registrations_are_rate_limited_per_address,
    admins_change_roles_and_find_users,
    buyers_read_their_mail_in_their_language,
);

async fn login_raw(
    app: &TestApp,
    email: &str,
    password: &str,
    device: Option<&str>,
) -> (StatusCode, serde_json::Value) {
    let mut request = app.request(Method::POST, "/auth/login", None);
    if let Some(device) = device {
        request = request.header("X-Device-Id", device);
    }
    read(
        request
            .json(&json!({"email": email, "password": password}))
            .send()
            .await
            .unwrap(),
    )
    .await
}

/// Sends `request` as it is over a plain TCP connection and reads the whole answer.
async fn raw_http(app: &TestApp, request: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(app.base.trim_start_matches("http://"))
        .await
        .unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    String::from_utf8_lossy(&answer).into_owned()
}

async fn register_login_me_logout(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let user = app.register("Ana.Silva@Example.com").await;
    assert_eq!(user["email"], "Ana.Silva@Example.com");
    assert_eq!(user["name"], "Test User");
    assert_eq!(user["roles"], json!(["customer"]));
    assert!(user["id"].as_str().is_some_and(|id| id.len() == 36));
    assert!(user.get("password_hash").is_none());

    let (status, login) = login_raw(
        &app,
        "ana.silva@example.COM",
        PASSWORD,
        Some("phone-ana-0001"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{login}");
    assert_eq!(login["user"]["id"], user["id"]);
    assert!(login["expires_at"].is_string());
    let token = login["token"].as_str().unwrap();
    assert_eq!(token.len(), 43, "256 random bits, base64url");

    let (status, me) = app.get("/me", Some(token)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["id"], user["id"]);

    let (status, _) = app
        .call(Method::POST, "/auth/logout", Some(token), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_problem(
        &app.get("/me", Some(token)).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    );
    assert_problem(
        &app.get("/me", None).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    );
}

async fn a_login_on_a_second_device_replaces_the_first(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    app.register("ana@example.com").await;
    let phone = app.login_on("ana@example.com", "phone-ana-0001").await;
    let laptop = app.login_on("ana@example.com", "laptop-ana-0001").await;

    let replaced = app.get("/me", Some(&phone)).await;
    assert_problem(&replaced, StatusCode::UNAUTHORIZED, "session_replaced");
    assert_eq!(app.get("/me", Some(&laptop)).await.0, StatusCode::OK);

    let (status, sessions) = app.get("/me/sessions", Some(&laptop)).await;
    assert_eq!(status, StatusCode::OK);
    let items = sessions["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(sessions["next_cursor"], serde_json::Value::Null);
    let newest = &items[0];
    assert_eq!(newest["device_id"], "laptop-ana-0001");
    assert_eq!(
        (newest["active"].as_bool(), newest["current"].as_bool()),
        (Some(true), Some(true))
    );
    assert_eq!(newest["ip"], "127.0.0.1");
    let oldest = &items[1];
    assert_eq!(oldest["device_id"], "phone-ana-0001");
    assert_eq!(oldest["active"], false);
    assert_eq!(oldest["end_reason"], "replaced");
}

async fn a_login_by_another_user_on_the_same_device_replaces_its_session(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    app.register("ana@example.com").await;
    app.register("bia@example.com").await;
    let ana = app.login_on("ana@example.com", "shared-kiosk-01").await;
    let bia = app.login_on("bia@example.com", "shared-kiosk-01").await;
    assert_problem(
        &app.get("/me", Some(&ana)).await,
        StatusCode::UNAUTHORIZED,
        "session_replaced",
    );
    let (status, me) = app.get("/me", Some(&bia)).await;
    assert_eq!(
        (status, me["email"].as_str()),
        (StatusCode::OK, Some("bia@example.com"))
    );
}

async fn registration_rejects_bad_input_and_keeps_nothing(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    app.register("ana@example.com").await;

    let taken = app
        .post(
            "/auth/register",
            None,
            json!({"email": "ANA@example.com", "password": PASSWORD, "name": "Imposter"}),
        )
        .await;
    assert_problem(&taken, StatusCode::CONFLICT, "email_taken");
    // Fullwidth letters look the same and are the same address (NFKC, then lower case).
    let look_alike = app
        .post(
            "/auth/register",
            None,
            json!({"email": "\u{ff41}na@example.com", "password": PASSWORD, "name": "Imposter"}),
        )
        .await;
    assert_problem(&look_alike, StatusCode::CONFLICT, "email_taken");
    let (status, _) = login_raw(
        &app,
        "\u{ff21}NA@example.com",
        PASSWORD,
        Some("device-0042"),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the look-alike spelling finds the account"
    );

    let spaces = app
        .post(
            "/auth/register",
            None,
            json!({"email": "c@example.com", "password": "        ", "name": "Spaces"}),
        )
        .await;
    assert_problem(
        &spaces,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(error_fields(&spaces.1), vec!["password"]);

    let invalid = app
        .post(
            "/auth/register",
            None,
            json!({"email": "not-an-email", "password": "short", "name": "  "}),
        )
        .await;
    assert_problem(
        &invalid,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(error_fields(&invalid.1), vec!["email", "password", "name"]);

    let long_name = app
        .post(
            "/auth/register",
            None,
            json!({"email": "b@example.com", "password": PASSWORD, "name": "n".repeat(101)}),
        )
        .await;
    assert_eq!(error_fields(&long_name.1), vec!["name"]);

    let wrong_type = app
        .post(
            "/auth/register",
            None,
            json!({"email": 42, "password": PASSWORD, "name": "X"}),
        )
        .await;
    assert_problem(
        &wrong_type,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(error_fields(&wrong_type.1), vec!["email"]);

    let missing = app
        .post("/auth/register", None, json!({"email": "c@example.com"}))
        .await;
    assert_problem(
        &missing,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );

    let malformed = read(
        app.request(Method::POST, "/auth/register", None)
            .header("content-type", "application/json")
            .body("{\"email\": \"d@example.com\",")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_problem(&malformed, StatusCode::BAD_REQUEST, "malformed_json");

    let not_json = read(
        app.request(Method::POST, "/auth/register", None)
            .header("content-type", "text/plain")
            .body("email=e@example.com")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_problem(
        &not_json,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    );

    let huge = app
        .post("/auth/register", None, json!({"email": "f@example.com", "password": PASSWORD, "name": "x".repeat(2 * 1024 * 1024)}))
        .await;
    assert_problem(&huge, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");

    // Nothing of the refused registrations was stored.
    let page = app
        .store
        .list_users(None, &Default::default())
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].email, "ana@example.com");
}

async fn login_rejects_bad_devices_and_credentials_alike(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    app.register("ana@example.com").await;
    assert_problem(
        &login_raw(&app, "ana@example.com", PASSWORD, None).await,
        StatusCode::BAD_REQUEST,
        "device_id_required",
    );
    for (absurd, says) in [
        ("short", "(this one has 5)"),
        ("1234567", "(this one has 7)"),
        (&"d".repeat(129), "(this one has 129)"),
        ("with spaces in it", "(found U+0020)"),
        ("emoji-📱-device", "(found '📱')"),
        ("dispositivo-é", "(found 'é')"),
    ] {
        let result = login_raw(&app, "ana@example.com", PASSWORD, Some(absurd)).await;
        assert_problem(
            &result,
            StatusCode::UNPROCESSABLE_ENTITY,
            "device_id_required",
        );
        assert_eq!(error_fields(&result.1), vec!["X-Device-Id"]);
        let detail = result.1["detail"].as_str().unwrap();
        assert!(detail.contains(says), "{absurd:?}: {detail}");
    }
    // A control byte in a header is not HTTP, but the answer is still a problem document: the
    // header line is dropped, and the login then lacks its device.
    let body = json!({"email": "ana@example.com", "password": PASSWORD}).to_string();
    let raw = raw_http(
        &app,
        &format!(
            "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nX-Device-Id: device\x01-0001\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    )
    .await;
    assert!(raw.starts_with("HTTP/1.1 400"), "{raw}");
    assert!(raw.contains("application/problem+json"), "{raw}");
    assert!(raw.contains("\"device_id_required\""), "{raw}");
    let wrong_password = login_raw(
        &app,
        "ana@example.com",
        "wrong password!",
        Some("device-0001"),
    )
    .await;
    let unknown_email = login_raw(&app, "nobody@example.com", PASSWORD, Some("device-0001")).await;
    assert_problem(
        &wrong_password,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    );
    assert_problem(
        &unknown_email,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    );
    assert_eq!(
        wrong_password.1, unknown_email.1,
        "an unknown email and a wrong password look the same"
    );
}

async fn forged_expired_and_malformed_tokens_are_refused(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    app.register("ana@example.com").await;
    let token = app.login_on("ana@example.com", "device-0001").await;
    let forged = bilheteria_app::auth::new_token().unwrap();
    assert_problem(
        &app.get("/me", Some(&forged)).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    );
    let truncated = &token[..20];
    assert_problem(
        &app.get("/me", Some(truncated)).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    );
    for header in [
        "Basic YW5hOnB3",
        "Bearer",
        "Bearer ",
        &format!("Bearer {}", "x".repeat(4000)),
        &format!("Token {token}"),
    ] {
        let response = app
            .request(Method::GET, "/me", None)
            .header("Authorization", header)
            .send()
            .await
            .unwrap();
        assert_problem(
            &read(response).await,
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
        );
    }
    assert_eq!(app.get("/me", Some(&token)).await.0, StatusCode::OK);
    app.clock.advance(time::Duration::days(15));
    assert_problem(
        &app.get("/me", Some(&token)).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    );
}

async fn login_attempts_are_rate_limited_per_account_and_per_ip(db: TestDatabase) {
    let settings = Settings {
        login_attempts_per_account_per_minute: 3,
        login_attempts_per_ip_per_minute: 5,
        ..Settings::default()
    };
    let app = TestApp::spawn_with(db, settings).await;
    app.register("ana@example.com").await;
    for _ in 0..3 {
        let result = login_raw(
            &app,
            "ana@example.com",
            "wrong password!",
            Some("device-0001"),
        )
        .await;
        assert_problem(&result, StatusCode::UNAUTHORIZED, "invalid_credentials");
    }
    let response = app
        .request(Method::POST, "/auth/login", None)
        .header("X-Device-Id", "device-0001")
        .json(&json!({"email": "ANA@example.com", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after >= 1);
    assert_problem(
        &read(response).await,
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
    );
    // Two more accounts from the same address exhaust the per-address budget of five.
    let other = login_raw(&app, "bia@example.com", PASSWORD, Some("device-0002")).await;
    assert_problem(&other, StatusCode::UNAUTHORIZED, "invalid_credentials");
    let blocked = login_raw(&app, "caio@example.com", PASSWORD, Some("device-0003")).await;
    assert_problem(&blocked, StatusCode::TOO_MANY_REQUESTS, "rate_limited");
}

/// The per-account limit counts attempts from one address: someone guessing from elsewhere
/// is stopped without locking the owner out.
async fn guesses_from_elsewhere_do_not_lock_the_owner_out(db: TestDatabase) {
    let settings = Settings {
        login_attempts_per_account_per_minute: 3,
        trusted_proxies: vec!["127.0.0.1/32".parse().unwrap()],
        ..Settings::default()
    };
    let app = TestApp::spawn_with(db, settings).await;
    app.register("ana@example.com").await;
    let login_from = |address: &'static str, password: &'static str| {
        let request = app
            .request(Method::POST, "/auth/login", None)
            .header("X-Device-Id", "device-0001")
            .header("X-Forwarded-For", address)
            .json(&json!({"email": "ana@example.com", "password": password}));
        async move { read(request.send().await.unwrap()).await }
    };
    for _ in 0..3 {
        let guess = login_from("198.51.100.7", "wrong password!").await;
        assert_problem(&guess, StatusCode::UNAUTHORIZED, "invalid_credentials");
    }
    assert_problem(
        &login_from("198.51.100.7", PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
    );
    let (status, owner) = login_from("203.0.113.5", PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "{owner}");
}

/// A name ending in U+202E and "gnp.exe" would read "…exe.png" wherever it is shown: refused,
/// in an account's name as in an event's title.
async fn names_and_titles_refuse_reordering_characters(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let refused = app
        .post(
            "/auth/register",
            None,
            json!({"email": "rlo@example.com", "password": PASSWORD, "name": "foto\u{202E}gnp.exe"}),
        )
        .await;
    assert_problem(
        &refused,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(error_fields(&refused.1), vec!["name"]);
    let sale = bilheteria_testkit::on_sale(&app, 1, 1, 1, json!({})).await;
    let refused = app
        .patch(
            &format!("/events/{}", sale.event_id),
            Some(&sale.organizer.token),
            json!({"title": "Show\u{200B}"}),
        )
        .await;
    assert_problem(
        &refused,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(error_fields(&refused.1), vec!["title"]);
}

async fn registrations_are_rate_limited_per_address(db: TestDatabase) {
    let settings = Settings {
        registrations_per_ip_per_minute: 5,
        ..Settings::default()
    };
    let app = TestApp::spawn_with(db, settings).await;
    // 25 sign-ups from one address at once: the first 5 pass, the rest wait their turn (one
    // every 12 s), and nothing of the refused ones is kept.
    let attempts = (0..25).map(|i| {
        app.post(
            "/auth/register",
            None,
            json!({"email": format!("bulk{i}@example.com"), "password": PASSWORD, "name": "Bulk"}),
        )
    });
    let results = futures_util::future::join_all(attempts).await;
    let created = results
        .iter()
        .filter(|(status, _)| *status == StatusCode::CREATED)
        .count();
    assert_eq!(created, 5, "{results:?}");
    for result in results
        .iter()
        .filter(|(status, _)| *status != StatusCode::CREATED)
    {
        assert_problem(result, StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    }
    let users = app
        .store
        .list_users(None, &Default::default())
        .await
        .unwrap();
    assert_eq!(users.items.len(), 5);
    let response = app
        .request(Method::POST, "/auth/register", None)
        .json(&json!({"email": "late@example.com", "password": PASSWORD, "name": "Late"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=13).contains(&retry_after), "Retry-After {retry_after}");
}

async fn admins_change_roles_and_find_users(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let admin = app.account("root@example.com", &[Role::Admin]).await;
    let customer = app.account("maria@example.com", &[]).await;
    for i in 0..4 {
        app.register(&format!("marcos{i}@example.com")).await;
    }
    app.register("zeca@example.com").await;

    let path = format!("/admin/users/{}/roles", customer.id);
    assert_problem(
        &app.put(&path, Some(&customer.token), json!({"roles": ["admin"]}))
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let (status, user) = app
        .put(&path, Some(&admin.token), json!({"roles": ["organizer"]}))
        .await;
    assert_eq!(status, StatusCode::OK, "{user}");
    assert_eq!(user["roles"], json!(["customer", "organizer"]));
    let (_, me) = app.get("/me", Some(&customer.token)).await;
    assert_eq!(
        me["roles"],
        json!(["customer", "organizer"]),
        "the change applies at once"
    );

    let invalid = app
        .put(
            &path,
            Some(&admin.token),
            json!({"roles": ["organizer", "root"]}),
        )
        .await;
    assert_problem(
        &invalid,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(error_fields(&invalid.1), vec!["roles[1]"]);
    assert_problem(
        &app.put(&path, Some(&admin.token), json!({"roles": "admin"}))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    let unknown = format!("/admin/users/{}/roles", uuid::Uuid::now_v7());
    assert_problem(
        &app.put(&unknown, Some(&admin.token), json!({"roles": []}))
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_problem(
        &app.put(
            "/admin/users/42/roles",
            Some(&admin.token),
            json!({"roles": []}),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    let demote_self = app
        .put(
            &format!("/admin/users/{}/roles", admin.id),
            Some(&admin.token),
            json!({"roles": ["customer"]}),
        )
        .await;
    assert_problem(&demote_self, StatusCode::CONFLICT, "cannot_demote_self");

    let (status, audit) = app
        .get(
            &format!("/admin/audit?actor={}&action=user.roles_changed", admin.id),
            Some(&admin.token),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(audit["items"].as_array().unwrap().len(), 1, "{audit}");
    assert_eq!(audit["items"][0]["target_id"], customer.id.as_str());
    assert_eq!(
        audit["items"][0]["after"],
        json!({"roles": ["customer", "organizer"]})
    );

    // Prefix search by email or name, page by page.
    let mut emails = Vec::new();
    let mut next = "/admin/users?q=MAR&limit=2".to_owned();
    loop {
        let (status, page) = app.get(&next, Some(&admin.token)).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        emails.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|u| u["email"].as_str().unwrap().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(cursor) => next = format!("/admin/users?q=MAR&limit=2&cursor={cursor}"),
            None => break,
        }
    }
    emails.sort();
    assert_eq!(
        emails,
        [
            "marcos0@example.com",
            "marcos1@example.com",
            "marcos2@example.com",
            "marcos3@example.com",
            "maria@example.com"
        ]
    );
    assert_problem(
        &app.get("/admin/users", Some(&customer.token)).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    assert_problem(
        &app.get("/admin/users?limit=0", Some(&admin.token)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_problem(
        &app.get("/admin/users?limit=abc", Some(&admin.token)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_problem(
        &app.get("/admin/users?cursor=!!!", Some(&admin.token)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_problem(
        &app.get("/admin/users?cursor=bm90LWEtdXVpZA", Some(&admin.token))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
}

/// The language comes from the sign-up (or its `Accept-Language`), Portuguese by default, may be
/// changed (`PATCH /me`), and the buyer's mails are written in it, with amounts as that language
/// writes them.
async fn buyers_read_their_mail_in_their_language(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let body = |email: &str, language: Option<&str>| {
        let mut body = json!({"email": email, "password": PASSWORD, "name": "Fã"});
        if let Some(language) = language {
            body["language"] = json!(language);
        }
        body
    };
    let (status, english) = app
        .post("/auth/register", None, body("ann@example.com", Some("en")))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{english}");
    assert_eq!(english["language"], "en");
    let response = app
        .request(Method::POST, "/auth/register", None)
        .header("Accept-Language", "en-US,en;q=0.9")
        .json(&body("bob@example.com", None))
        .send()
        .await
        .unwrap();
    assert_eq!(read(response).await.1["language"], "en");
    let (_, default) = app
        .post("/auth/register", None, body("caio@example.com", None))
        .await;
    assert_eq!(default["language"], "pt-BR");
    let unknown = app
        .post("/auth/register", None, body("dani@example.com", Some("fr")))
        .await;
    assert_eq!(error_fields(&unknown.1), ["language"]);

    // Caio switches to English and back; a bad tag changes nothing.
    let caio = app.login_on("caio@example.com", &app.next_device()).await;
    let (status, switched) = app
        .patch("/me", Some(&caio), json!({"language": "en"}))
        .await;
    assert_eq!(
        (status, &switched["language"]),
        (StatusCode::OK, &json!("en"))
    );
    assert_eq!(app.get("/me", Some(&caio)).await.1["language"], "en");
    let refused = app
        .patch("/me", Some(&caio), json!({"language": "de"}))
        .await;
    assert_eq!(error_fields(&refused.1), ["language"]);
    let strange = app
        .patch("/me", Some(&caio), json!({"roles": ["admin"]}))
        .await;
    assert_eq!(strange.0, StatusCode::UNPROCESSABLE_ENTITY, "{}", strange.1);
    assert_problem(
        &app.patch("/me", None, json!({"language": "en"})).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    );
    let (_, back) = app
        .patch("/me", Some(&caio), json!({"language": "pt-BR"}))
        .await;
    assert_eq!(back["language"], "pt-BR");

    let sale = bilheteria_testkit::on_sale(&app, 10, 10, 10, json!({})).await;
    for (i, email) in ["ann@example.com", "caio@example.com"].iter().enumerate() {
        let token = app.login_on(email, &app.next_device()).await;
        app.buy_seat(&sale, &token, i, &format!("lang-order-{i}"))
            .await;
    }
    bilheteria_app::workers::deliver_outbox(&app.state)
        .await
        .unwrap();
    let mails = app.mails();
    let to = |who: &str| {
        mails
            .iter()
            .find(|m| m.to == who && m.subject.contains("Grande Show"))
            .expect("a mail")
    };
    assert_eq!(
        to("ann@example.com").subject,
        "Your tickets for Grande Show"
    );
    assert!(to("ann@example.com").body.contains("Total: R$120.00"));
    assert_eq!(
        to("caio@example.com").subject,
        "Seus ingressos para Grande Show"
    );
    assert!(to("caio@example.com").body.contains("Total: R$ 120,00"));
    let body = &to("caio@example.com").body;
    assert!(
        body.contains("O pedido, o PDF e a transferência: http://127.0.0.1:8080/orders/"),
        "the mail links to the order's page: {body}"
    );
    assert!(
        body.contains(
            "Abrir os ingressos, sem precisar entrar na conta: http://127.0.0.1:8080/wallet/"
        ),
        "and to its wallet: {body}"
    );
}
