//! Passwords and addresses through the pages on both backends, as a
//! browser without JavaScript: a forgotten password reset through the mailed link, the same
//! answer for an address without an account, the change form's wrong current password, and an
//! address confirmed by the button its link opens (a transfer refused until then).

use crate::credentials::{offer_first_ticket, reset_token};
use crate::pages::{Answer, Browser};
use bilheteria_store::on_both_backends;
use bilheteria_store::testing::TestDatabase;
use bilheteria_testkit::{PASSWORD, TestApp, on_sale};
use bilheteria_web::pages::words::PT;
use reqwest::StatusCode;
use reqwest::header;
use serde_json::json;

on_both_backends!(
    a_forgotten_password_is_reset_through_the_pages,
    the_change_form_says_when_the_current_password_is_wrong,
    an_address_is_confirmed_through_the_pages_and_then_a_transfer_accepted,
);

pub(crate) async fn log_in(browser: &Browser, email: &str, password: &str) -> Answer {
    let page = browser.get("/login").await;
    browser
        .post(
            "/login",
            &[
                ("csrf", &page.csrf()),
                ("email", email),
                ("password", password),
                ("next", "/account"),
            ],
        )
        .await
}

async fn ask_reset(browser: &Browser, email: &str) -> Answer {
    let page = browser.get("/password-reset").await;
    browser
        .post(
            "/password-reset",
            &[("csrf", &page.csrf()), ("email", email)],
        )
        .await
}

async fn a_forgotten_password_is_reset_through_the_pages(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    app.account("ana@example.com", &[]).await;
    let browser = Browser::new(&app);
    let login = browser.get("/login").await;
    assert!(
        login.body.contains("href=\"/password-reset\""),
        "{}",
        login.body
    );
    assert!(login.body.contains(PT.forgot_password));

    let known = ask_reset(&browser, "ana@example.com").await;
    let unknown = ask_reset(&browser, "nobody@example.com").await;
    assert_eq!(known.status, StatusCode::OK, "{}", known.body);
    assert!(known.body.contains(PT.reset_ask_sent));
    assert_eq!(unknown.status, known.status);
    assert_eq!(
        unknown.body.replace("nobody@example.com", "@"),
        known.body.replace("ana@example.com", "@"),
        "an address without an account is answered the same"
    );
    // An address is not mailed without end: two links a minute.
    assert_eq!(
        ask_reset(&browser, "ana@example.com").await.status,
        StatusCode::OK
    );
    let limited = ask_reset(&browser, "ana@example.com").await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.is_friendly_page());
    assert!(limited.headers.contains_key(header::RETRY_AFTER));

    let token = reset_token(&app, "ana@example.com").await;
    let link = format!("/password-reset/{token}");
    let form = browser.get(&link).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("name=\"new_password\""));
    let weak = browser
        .post(
            &link,
            &[("csrf", &form.csrf()), ("new_password", "short7!")],
        )
        .await;
    assert_eq!(
        weak.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        weak.body
    );
    assert!(weak.body.contains(PT.weak_password));
    assert!(weak.body.contains("id=\"new_password-problem\""));
    assert!(
        !weak.body.contains("short7!"),
        "a password is never shown again"
    );

    let done = browser
        .post(
            &link,
            &[
                ("csrf", &form.csrf()),
                ("new_password", "yet another secret"),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(done.location(), "/login?reset=done");
    assert!(
        browser
            .get(done.location())
            .await
            .body
            .contains(PT.reset_done)
    );
    assert_eq!(
        log_in(&browser, "ana@example.com", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        log_in(&browser, "ana@example.com", "yet another secret")
            .await
            .status,
        StatusCode::SEE_OTHER
    );

    let again = browser
        .post(
            &link,
            &[
                ("csrf", &browser.get(&link).await.csrf()),
                ("new_password", "and once more"),
            ],
        )
        .await;
    assert_eq!(again.status, StatusCode::GONE, "a link works once");
    assert!(again.body.contains(PT.reset_link_invalid));
    assert!(again.body.contains("href=\"/password-reset\""));
}

async fn the_change_form_says_when_the_current_password_is_wrong(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let browser = Browser::new(&app);
    browser.sign_up("caio@example.com").await;
    let page = browser.get("/account").await;
    assert!(page.body.contains("action=\"/account/password\""));
    let wrong = browser
        .post(
            "/account/password",
            &[
                ("csrf", &page.csrf()),
                ("current_password", "not my password"),
                ("new_password", "a brand new secret"),
            ],
        )
        .await;
    assert_eq!(
        wrong.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        wrong.body
    );
    assert!(wrong.body.contains(PT.wrong_current_password));
    assert!(wrong.body.contains("id=\"current_password-problem\""));
    assert!(!wrong.body.contains("id=\"new_password-problem\""));
    assert!(!wrong.body.contains("a brand new secret"));

    let changed = browser
        .post(
            "/account/password",
            &[
                ("csrf", &page.csrf()),
                ("current_password", PASSWORD),
                ("new_password", "a brand new secret"),
            ],
        )
        .await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER, "{}", changed.body);
    let after = browser.get(changed.location()).await;
    assert_eq!(after.status, StatusCode::OK, "this session stays");
    assert!(after.body.contains(PT.password_changed));
    let other = Browser::new(&app);
    assert_eq!(
        log_in(&other, "caio@example.com", "a brand new secret")
            .await
            .status,
        StatusCode::SEE_OTHER
    );
}

async fn an_address_is_confirmed_through_the_pages_and_then_a_transfer_accepted(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let sale = on_sale(&app, 4, 4, 5, json!({})).await;
    let ana = app.account("ana@example.com", &[]).await;
    let order = app
        .buy_seat(&sale, &ana.token, 0, "page-verified-order")
        .await;
    let bia = Browser::new(&app);
    bia.sign_up("bia@example.com").await;
    let accept = offer_first_ticket(&app, &order, &ana.token, "bia@example.com").await;

    let transfers = bia.get("/transfers").await;
    let refused = bia.post(&accept, &[("csrf", &transfers.csrf())]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    assert!(refused.body.contains(PT.transfer_needs_verified));
    assert!(refused.body.contains("action=\"/account/verify-email\""));

    let account = bia.get("/account").await;
    assert!(account.body.contains(PT.unverified_notice));
    let mails_before = app.mails().len();
    let resent = bia
        .post("/account/verify-email", &[("csrf", &account.csrf())])
        .await;
    assert_eq!(resent.status, StatusCode::SEE_OTHER, "{}", resent.body);
    assert!(
        bia.get(resent.location())
            .await
            .body
            .contains(PT.verification_sent)
    );
    assert_eq!(app.mails().len(), mails_before + 1, "a new link is mailed");

    let token = app
        .mailed_token("bia@example.com", "/verify-email/")
        .expect("a confirmation mail");
    let link = format!("/verify-email/{token}");
    let button = bia.get(&link).await;
    assert_eq!(button.status, StatusCode::OK);
    assert!(button.body.contains(&format!("action=\"{link}\"")));
    assert!(
        bia.get("/account")
            .await
            .body
            .contains(PT.unverified_notice),
        "opening the link confirms nothing"
    );
    let confirmed = bia.post(&link, &[("csrf", &button.csrf())]).await;
    assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.body);
    assert!(confirmed.body.contains(PT.verified_title));
    assert!(
        !bia.get("/account")
            .await
            .body
            .contains(PT.unverified_notice)
    );
    let again = bia.post(&link, &[("csrf", &button.csrf())]).await;
    assert_eq!(again.status, StatusCode::GONE);
    assert!(again.body.contains(PT.verify_link_invalid));

    let accepted = bia
        .post(&accept, &[("csrf", &bia.get("/transfers").await.csrf())])
        .await;
    assert_eq!(accepted.status, StatusCode::SEE_OTHER, "{}", accepted.body);
    assert!(accepted.location().starts_with("/tickets/"));
}
