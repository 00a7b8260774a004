//! The wallet link over real HTTP on both backends: mailed with the purchase, it shows the
//! order's tickets and their QR without logging in, only those its buyer still holds; a made-up
//! or altered link is not found; renewing it revokes the earlier ones; a screen-only session's
//! codes rotate behind it.

use crate::transfers::{decide, offer};
use bilheteria_app::printing::reference;
use bilheteria_app::workers::deliver_outbox;
use bilheteria_store::on_both_backends;
use bilheteria_store::testing::TestDatabase;
use bilheteria_testkit::{Account, OnSale, TestApp, assert_problem, on_sale, order_body};
use reqwest::StatusCode;
use serde_json::{Value, json};

on_both_backends!(
    the_mailed_wallet_link_shows_the_held_tickets_without_login_until_renewed,
    a_screen_only_wallet_shows_a_rotating_code,
);

/// Ana buys two seats by card: the order as answered.
async fn two_seats(app: &TestApp, sale: &OnSale, ana: &Account, key: &str) -> Value {
    let (status, held) = app
        .post(
            &format!("/sessions/{}/holds", sale.session_id),
            Some(&ana.token),
            json!({"seat_ids": [sale.seat_ids[0], sale.seat_ids[1]]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{held}");
    let (status, order) = app
        .order(&ana.token, key, &order_body(&held["id"], "tok_visa"))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{order}");
    assert_eq!(order["status"], "paid", "{order}");
    order
}

/// A page as a browser with no login asks for it: status, headers and body.
async fn anonymous(app: &TestApp, path: &str) -> (StatusCode, reqwest::header::HeaderMap, String) {
    let answer = reqwest::Client::new()
        .get(format!("{}{path}", app.base))
        .header("Accept", "text/html")
        .send()
        .await
        .unwrap();
    let (status, headers) = (answer.status(), answer.headers().clone());
    (status, headers, answer.text().await.unwrap())
}

/// The path of a wallet link the API answered (after the box office's public address).
fn wallet_path(link: &Value) -> String {
    let url = link["url"].as_str().expect("a link");
    url[url.find("/wallet/").expect("a wallet link")..].to_owned()
}

fn ticket_reference(ticket: &Value) -> String {
    reference(ticket["id"].as_str().unwrap().parse().unwrap())
}

async fn the_mailed_wallet_link_shows_the_held_tickets_without_login_until_renewed(
    db: TestDatabase,
) {
    let app = TestApp::spawn(db).await;
    let sale = on_sale(&app, 10, 10, 10, json!({})).await;
    let ana = app.account("ana@example.com", &[]).await;
    let bia = app.account("bia@example.com", &[]).await;
    let order = two_seats(&app, &sale, &ana, "wallet-key-0001").await;
    let order_id = order["id"].as_str().unwrap();
    let (given, kept) = (order["tickets"][0].clone(), order["tickets"][1].clone());
    deliver_outbox(&app.state).await.unwrap();
    let mailed = format!(
        "/wallet/{}",
        app.mailed_token("ana@example.com", "/wallet/")
            .expect("the purchase mail carries the wallet link")
    );
    assert!(
        mailed.starts_with(&format!("/wallet/{order_id}/")),
        "{mailed}"
    );

    let (status, headers, page) = anonymous(&app, &mailed).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    for ticket in [&given, &kept] {
        assert!(page.contains(&ticket_reference(ticket)), "{page}");
    }
    assert_eq!(
        page.matches("<svg").count(),
        2,
        "a QR per ticket, inline: {page}"
    );
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert!(!page.contains("ana@example.com"), "nothing about the buyer");

    // The API answers the same link to the buyer, and to no one else.
    let link_path = format!("/orders/{order_id}/wallet-link");
    let (status, link) = app.get(&link_path, Some(&ana.token)).await;
    assert_eq!(status, StatusCode::OK, "{link}");
    assert_eq!(wallet_path(&link), mailed);
    assert_problem(
        &app.get(&link_path, Some(&bia.token)).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_problem(
        &app.post(&link_path, Some(&bia.token), json!({})).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );

    // Made-up and altered links are not found.
    let tag = mailed.rsplit('/').next().unwrap();
    let altered = format!(
        "/wallet/{order_id}/{}{}",
        &tag[..tag.len() - 1],
        if tag.ends_with('A') { 'B' } else { 'A' }
    );
    let elsewhere = format!("/wallet/{}/{tag}", uuid::Uuid::now_v7());
    for wrong in [
        altered.as_str(),
        elsewhere.as_str(),
        "/wallet/not-an-order/tag",
        &format!("/wallet/{order_id}/"),
    ] {
        let (status, _, page) = anonymous(&app, wrong).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{wrong}: {page}");
        assert!(!page.contains(&ticket_reference(&kept)), "{wrong}");
    }

    // A ticket passed on leaves the wallet.
    let (status, offered) = offer(&app, &ana, &given, "bia@example.com").await;
    assert_eq!(status, StatusCode::CREATED, "{offered}");
    let (status, accepted) = decide(&app, &bia, &offered, "accept").await;
    assert_eq!(status, StatusCode::OK, "{accepted}");
    let (status, _, page) = anonymous(&app, &mailed).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(&ticket_reference(&kept)), "{page}");
    assert!(!page.contains(&ticket_reference(&given)), "{page}");
    assert_eq!(page.matches("<svg").count(), 1, "{page}");

    // Renewing revokes every earlier link.
    let (status, renewed) = app.post(&link_path, Some(&ana.token), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{renewed}");
    let renewed = wallet_path(&renewed);
    assert_ne!(renewed, mailed);
    let (status, _, _) = anonymous(&app, &mailed).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "the mailed link is revoked");
    let (status, _, page) = anonymous(&app, &renewed).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains(&ticket_reference(&kept)), "{page}");
}

async fn a_screen_only_wallet_shows_a_rotating_code(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let sale = on_sale(&app, 10, 10, 10, json!({"screen_codes": "screen_only"})).await;
    let ana = app.account("ana@example.com", &[]).await;
    let order = two_seats(&app, &sale, &ana, "wallet-key-0002").await;
    let order_id = order["id"].as_str().unwrap();
    let (_, link) = app
        .get(&format!("/orders/{order_id}/wallet-link"), Some(&ana.token))
        .await;
    let wallet = wallet_path(&link);
    let (status, _, page) = anonymous(&app, &wallet).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page.matches("<svg").count(), 0, "no static code: {page}");
    let ticket = order["tickets"][0]["id"].as_str().unwrap();
    let rotating = format!("{wallet}/{ticket}/qr");
    assert!(page.contains(&format!("src=\"{rotating}\"")), "{page}");
    let (status, headers, svg) = anonymous(&app, &rotating).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "image/svg+xml");
    assert!(svg.contains("<svg"), "{}", &svg[..svg.len().min(200)]);
    // Not through another order's link, nor a ticket that is not the order's.
    let elsewhere = format!("{wallet}/{}/qr", uuid::Uuid::now_v7());
    assert_eq!(anonymous(&app, &elsewhere).await.0, StatusCode::NOT_FOUND);
}
