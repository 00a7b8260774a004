//! Printable tickets (S4) over real HTTP on both backends: the holder's ticket and order as PDF,
//! nobody else's, and nothing for a cancelled ticket.

use bilheteria_store::on_both_backends;
use bilheteria_store::testing::TestDatabase;
use bilheteria_testkit::{Account, TestApp, assert_problem, on_sale};
use reqwest::{Method, StatusCode};
use serde_json::json;

on_both_backends!(holders_print_their_tickets_and_nobody_elses,);

/// The PDF at `path` for `who`: its page count, or the problem.
async fn pdf(
    app: &TestApp,
    path: &str,
    who: &Account,
) -> Result<usize, (StatusCode, serde_json::Value)> {
    let response = app
        .request(Method::GET, path, Some(&who.token))
        .send()
        .await
        .unwrap();
    if response.status() != StatusCode::OK {
        return Err(bilheteria_testkit::read(response).await);
    }
    assert_eq!(response.headers()["content-type"], "application/pdf");
    assert_eq!(response.headers()["cache-control"], "private, no-store");
    assert!(
        response.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .ends_with(".pdf\"")
    );
    let body = response.bytes().await.unwrap();
    assert!(body.starts_with(b"%PDF-"));
    let text = String::from_utf8_lossy(&body);
    assert!(text.contains("/FontFile2"), "fonts embedded");
    let count = text
        .split("/Count ")
        .nth(1)
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse().ok())
        .expect("a page count");
    Ok(count)
}

async fn holders_print_their_tickets_and_nobody_elses(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let sale = on_sale(&app, 10, 10, 10, json!({})).await;
    assert_eq!(
        sale.venue["time_zone"], "America/Sao_Paulo",
        "a venue's zone defaults to Brasília's"
    );
    let ana = app.account("ana@example.com", &[]).await;
    let bia = app.account("bia@example.com", &[]).await;
    let (_, held) = app
        .post(
            &format!("/sessions/{}/holds", sale.session_id),
            Some(&ana.token),
            json!({"seat_ids": [sale.seat_ids[0]], "section_id": null}),
        )
        .await;
    let (status, order) = app
        .order(
            &ana.token,
            "print-key-0001",
            &bilheteria_testkit::order_body(&held["id"], "tok_visa"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{order}");
    let (_, standing) = app
        .post(
            &format!("/sessions/{}/holds", sale.session_id),
            Some(&bia.token),
            json!({"section_id": sale.standing_section, "quantity": 2}),
        )
        .await;
    let (status, pair) = app
        .order(
            &bia.token,
            "print-key-0002",
            &bilheteria_testkit::order_body(&standing["id"], "tok_visa"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{pair}");

    let ticket_path = |t: &serde_json::Value| format!("/tickets/{}/pdf", t["id"].as_str().unwrap());
    let order_path = |o: &serde_json::Value| format!("/orders/{}/pdf", o["id"].as_str().unwrap());
    assert_eq!(
        pdf(&app, &ticket_path(&order["tickets"][0]), &ana).await,
        Ok(1)
    );
    assert_eq!(pdf(&app, &order_path(&pair), &bia).await, Ok(2));
    // Nobody else's: not found, as if it did not exist.
    let stranger = pdf(&app, &ticket_path(&order["tickets"][0]), &bia)
        .await
        .unwrap_err();
    assert_problem(&stranger, StatusCode::NOT_FOUND, "not_found");
    let stranger = pdf(&app, &order_path(&pair), &ana).await.unwrap_err();
    assert_problem(&stranger, StatusCode::NOT_FOUND, "not_found");
    let (status, _) = app.get("/tickets/not-a-uuid/pdf", Some(&ana.token)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A ticket passed on prints for its new holder only; the order prints what the buyer kept.
    let (_, offered) = app
        .post(
            &format!(
                "/tickets/{}/transfers",
                pair["tickets"][0]["id"].as_str().unwrap()
            ),
            Some(&bia.token),
            json!({"to_email": "ana@example.com"}),
        )
        .await;
    let (status, _) = app
        .call(
            Method::POST,
            &format!("/transfers/{}/accept", offered["id"].as_str().unwrap()),
            Some(&ana.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(pdf(&app, &order_path(&pair), &bia).await, Ok(1));
    assert_eq!(
        pdf(&app, &ticket_path(&pair["tickets"][0]), &ana).await,
        Ok(1)
    );

    // A refunded order's tickets print no more.
    let (status, _) = app
        .call(
            Method::POST,
            &format!("/orders/{}/refund", order["id"].as_str().unwrap()),
            Some(&sale.organizer.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let revoked = pdf(&app, &ticket_path(&order["tickets"][0]), &ana)
        .await
        .unwrap_err();
    assert_problem(&revoked, StatusCode::GONE, "ticket_revoked");
    let gone = pdf(&app, &order_path(&order), &ana).await.unwrap_err();
    assert_problem(&gone, StatusCode::NOT_FOUND, "not_found");
}
