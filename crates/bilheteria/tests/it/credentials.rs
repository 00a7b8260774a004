//! Passwords and addresses over real HTTP on both backends: a
//! password changed with the current one, a forgotten one reset once through a mailed link of
//! one hour, the same answer for an address without an account, and transfers accepted only by
//! an account whose address is confirmed.

use bilheteria_store::on_both_backends;
use bilheteria_store::testing::TestDatabase;
use bilheteria_testkit::{PASSWORD, TestApp, assert_problem, error_fields, on_sale};
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::time::Duration;

on_both_backends!(
    a_forgotten_password_is_reset_once_through_the_mailed_link,
    a_password_change_needs_the_current_one,
    a_transfer_is_accepted_only_by_a_confirmed_owner_of_its_address,
);

/// The reset link mailed to `email`; reset mails go out after the answer.
pub(crate) async fn reset_token(app: &TestApp, email: &str) -> String {
    for _ in 0..250 {
        if let Some(token) = app.mailed_token(email, "/password-reset/") {
            return token;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("no reset mail to {email}");
}

/// Uses the reset link of `token` to set "yet another secret".
async fn reset_with(app: &TestApp, token: &str) -> (StatusCode, serde_json::Value) {
    app.post(
        &format!("/auth/password-reset/{token}"),
        None,
        json!({"new_password": "yet another secret"}),
    )
    .await
}

async fn ask_reset(app: &TestApp, email: &str) -> (StatusCode, serde_json::Value) {
    app.post("/auth/password-reset", None, json!({"email": email}))
        .await
}

async fn login(app: &TestApp, email: &str, password: &str) -> StatusCode {
    app.request(Method::POST, "/auth/login", None)
        .header("X-Device-Id", app.next_device())
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap()
        .status()
}

async fn a_forgotten_password_is_reset_once_through_the_mailed_link(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let ana = app.account("ana@example.com", &[]).await;
    let asked = ask_reset(&app, "Ana@Example.com").await;
    let unknown = ask_reset(&app, "nobody@example.com").await;
    assert_eq!(asked, (StatusCode::ACCEPTED, serde_json::Value::Null));
    assert_eq!(unknown, asked, "the same answer without an account");
    let token = reset_token(&app, "ana@example.com").await;
    assert!(
        app.mails()
            .iter()
            .all(|mail| mail.to != "nobody@example.com"),
        "nothing is mailed to an address without an account"
    );

    let path = format!("/auth/password-reset/{token}");
    let weak = app
        .post(&path, None, json!({"new_password": "short"}))
        .await;
    assert_problem(&weak, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(error_fields(&weak.1), ["new_password"]);
    let (status, body) = app
        .post(&path, None, json!({"new_password": "a brand new secret"}))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_problem(
        &app.get("/me", Some(&ana.token)).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    );
    assert_eq!(
        login(&app, "ana@example.com", PASSWORD).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        login(&app, "ana@example.com", "a brand new secret").await,
        StatusCode::OK
    );
    for used_or_unknown in [token.as_str(), "not-a-token"] {
        assert_problem(
            &reset_with(&app, used_or_unknown).await,
            StatusCode::GONE,
            "invalid_token",
        );
    }

    // A link works for one hour.
    assert_eq!(
        ask_reset(&app, "ana@example.com").await.0,
        StatusCode::ACCEPTED
    );
    let later = loop {
        let latest = reset_token(&app, "ana@example.com").await;
        if latest != token {
            break latest;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    app.clock.advance(time::Duration::minutes(61));
    assert_problem(
        &reset_with(&app, &later).await,
        StatusCode::GONE,
        "invalid_token",
    );
    // And an address is not mailed without end.
    assert_problem(
        &ask_reset(&app, "ana@example.com").await,
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
    );
}

async fn a_password_change_needs_the_current_one(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let ana = app.account("ana@example.com", &[]).await;
    let wrong = app
        .post(
            "/auth/password",
            Some(&ana.token),
            json!({"current_password": "not my password", "new_password": "x"}),
        )
        .await;
    assert_problem(
        &wrong,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(error_fields(&wrong.1), ["new_password", "current_password"]);
    assert_problem(
        &app.post(
            "/auth/password",
            None,
            json!({"current_password": PASSWORD, "new_password": "a brand new secret"}),
        )
        .await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    );
    let (status, body) = app
        .post(
            "/auth/password",
            Some(&ana.token),
            json!({"current_password": PASSWORD, "new_password": "a brand new secret"}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(
        app.get("/me", Some(&ana.token)).await.0,
        StatusCode::OK,
        "the session that changed it stays"
    );
    assert_eq!(
        login(&app, "ana@example.com", PASSWORD).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        login(&app, "ana@example.com", "a brand new secret").await,
        StatusCode::OK
    );
}

/// Offers the first ticket of `order` to `to`: the path that accepts it.
pub(crate) async fn offer_first_ticket(
    app: &TestApp,
    order: &serde_json::Value,
    owner_token: &str,
    to: &str,
) -> String {
    let (status, offered) = app
        .post(
            &format!(
                "/tickets/{}/transfers",
                order["tickets"][0]["id"].as_str().unwrap()
            ),
            Some(owner_token),
            json!({"to_email": to}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{offered}");
    format!("/transfers/{}/accept", offered["id"].as_str().unwrap())
}

async fn a_transfer_is_accepted_only_by_a_confirmed_owner_of_its_address(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let sale = on_sale(&app, 4, 4, 5, json!({})).await;
    let ana = app.account("ana@example.com", &[]).await;
    let order = app.buy_seat(&sale, &ana.token, 0, "verified-order").await;
    // Bia signs up but has not opened her mail yet.
    let registered = app.register("bia@example.com").await;
    assert_eq!(registered["email_verified"], false);
    let bia = app.login_on("bia@example.com", &app.next_device()).await;
    assert_eq!(app.get("/me", Some(&bia)).await.1["email_verified"], false);
    let accept = offer_first_ticket(&app, &order, &ana.token, "bia@example.com").await;
    assert_problem(
        &app.post(&accept, Some(&bia), json!({})).await,
        StatusCode::FORBIDDEN,
        "email_not_verified",
    );

    let token = app
        .mailed_token("bia@example.com", "/verify-email/")
        .expect("the sign-up mail carries the link");
    let verify = format!("/auth/verify-email/{token}");
    assert_eq!(
        app.post(&verify, None, json!({})).await.0,
        StatusCode::NO_CONTENT
    );
    assert_problem(
        &app.post(&verify, None, json!({})).await,
        StatusCode::GONE,
        "invalid_token",
    );
    assert_eq!(app.get("/me", Some(&bia)).await.1["email_verified"], true);
    let (status, accepted) = app.post(&accept, Some(&bia), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{accepted}");
    assert_eq!(accepted["status"], "accepted");
}
