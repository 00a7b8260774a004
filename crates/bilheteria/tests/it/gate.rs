//! The gate over real HTTP on both backends: staff assignment, scans and their answers, a
//! retried scan, every bad input, and gates racing on one ticket.

use bilheteria_store::on_both_backends;
use bilheteria_store::testing::TestDatabase;
use bilheteria_testkit::{Account, OnSale, TestApp, assert_problem, error_fields, on_sale};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

on_both_backends!(
    staff_scan_tickets_once_and_a_retry_answers_the_same,
    scans_refuse_bad_codes_other_sessions_revoked_tickets_and_strangers,
    gates_racing_on_one_ticket_admit_it_once,
);

/// A paid seat of `buyer` for `sale`: its ticket (with its code).
async fn bought_ticket(
    app: &TestApp,
    sale: &OnSale,
    buyer: &Account,
    seat: usize,
    key: &str,
) -> Value {
    app.buy_seat(sale, &buyer.token, seat, key).await["tickets"][0].clone()
}

async fn staff_of(app: &TestApp, sale: &OnSale, email: &str) -> Account {
    let staff = app.account(email, &[]).await;
    let (status, assigned) = app
        .post(
            &format!("/events/{}/staff", sale.event_id),
            Some(&sale.organizer.token),
            json!({"email": email}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{assigned}");
    assert_eq!(assigned["id"], staff.id);
    staff
}

async fn scan(
    app: &TestApp,
    token: &str,
    code: &Value,
    gate: &str,
    nonce: &str,
) -> (StatusCode, Value) {
    app.post(
        "/checkin",
        Some(token),
        json!({"code": code, "gate": gate, "nonce": nonce}),
    )
    .await
}

async fn integrity(app: &TestApp, sale: &OnSale) -> Value {
    app.get(
        &format!("/sessions/{}/integrity", sale.session_id),
        Some(&sale.organizer.token),
    )
    .await
    .1
}

async fn staff_scan_tickets_once_and_a_retry_answers_the_same(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let sale = on_sale(&app, 10, 10, 10, json!({})).await;
    let buyer = app.account("fan@example.com", &[]).await;
    let ticket = bought_ticket(&app, &sale, &buyer, 0, "gate-key-0001").await;
    let staff = staff_of(&app, &sale, "porteiro@example.com").await;
    let (_, listed) = app
        .get(
            &format!("/events/{}/staff", sale.event_id),
            Some(&sale.organizer.token),
        )
        .await;
    assert_eq!(listed["items"][0]["email"], "porteiro@example.com");

    let (status, admitted) =
        scan(&app, &staff.token, &ticket["code"], "Portão A", "scan-0001").await;
    assert_eq!(status, StatusCode::OK, "{admitted}");
    assert_eq!(
        (
            &admitted["status"],
            &admitted["ticket_id"],
            &admitted["gate"],
            &admitted["check_document"],
            &admitted["ticket_type"]
        ),
        (
            &json!("admitted"),
            &ticket["id"],
            &json!("Portão A"),
            &json!(false),
            &json!("full")
        )
    );
    // The gate lost the answer and sends the scan again: the same answer.
    let retried = scan(&app, &staff.token, &ticket["code"], "Portão A", "scan-0001").await;
    assert_eq!(retried, (StatusCode::OK, admitted.clone()));
    // A second scan (another nonce, another gate) is told where and when it was let in.
    let again = scan(&app, &staff.token, &ticket["code"], "Portão B", "scan-0002").await;
    assert_problem(&again, StatusCode::CONFLICT, "ticket_used");
    assert_eq!(again.1["gate"], "Portão A");
    assert_eq!(again.1["first_scan_at"], admitted["scanned_at"]);
    let (_, held) = app
        .get(
            &format!("/tickets/{}", ticket["id"].as_str().unwrap()),
            Some(&buyer.token),
        )
        .await;
    assert_eq!(held["status"], "used");
    // The organizer may scan too; a removed staff member may not any more.
    let other = bought_ticket(&app, &sale, &buyer, 1, "gate-key-0002").await;
    let path = format!("/events/{}/staff/{}", sale.event_id, staff.id);
    let (status, _) = app
        .call(Method::DELETE, &path, Some(&sale.organizer.token), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_problem(
        &scan(&app, &staff.token, &other["code"], "Portão A", "scan-0003").await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let (status, _) = scan(
        &app,
        &sale.organizer.token,
        &other["code"],
        "Portão A",
        "scan-0004",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let report = integrity(&app, &sale).await;
    assert_eq!(
        (
            report["checkins_mismatched"].as_i64(),
            report["settled_ok"].as_bool()
        ),
        (Some(0), Some(true)),
        "{report}"
    );
}

async fn scans_refuse_bad_codes_other_sessions_revoked_tickets_and_strangers(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let sale = on_sale(&app, 10, 10, 10, json!({})).await;
    let elsewhere = on_sale(&app, 10, 10, 10, json!({})).await;
    let buyer = app.account("fan@example.com", &[]).await;
    let ticket = bought_ticket(&app, &sale, &buyer, 0, "gate-key-0001").await;
    let staff = staff_of(&app, &sale, "porteiro@example.com").await;
    let code = ticket["code"].as_str().unwrap();

    // Malformed input: every field named at once.
    let long = scan(&app, &staff.token, &json!("x".repeat(5_000)), "", "short").await;
    assert_problem(&long, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(error_fields(&long.1), ["code", "gate", "nonce"]);
    let (status, body) = app
        .post("/checkin", Some(&staff.token), json!({"code": code}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    // Not a code of ours: garbage, and a real code with one character changed.
    assert_problem(
        &scan(&app, &staff.token, &json!("not-a-ticket"), "A", "scan-0001").await,
        StatusCode::NOT_FOUND,
        "invalid_ticket",
    );
    let mut forged = code.to_owned().into_bytes();
    let last = forged.len() - 5;
    forged[last] = if forged[last] == b'A' { b'B' } else { b'A' };
    assert_problem(
        &scan(
            &app,
            &staff.token,
            &json!(String::from_utf8(forged).unwrap()),
            "A",
            "scan-0002",
        )
        .await,
        StatusCode::NOT_FOUND,
        "invalid_ticket",
    );
    // A gate of another session.
    let wrong = app
        .post(
            "/checkin",
            Some(&staff.token),
            json!({"code": code, "gate": "A", "nonce": "scan-0003", "session_id": elsewhere.session_id}),
        )
        .await;
    assert_problem(&wrong, StatusCode::CONFLICT, "ticket_wrong_session");
    // Staff of another organizer, and a buyer, may not scan this event's tickets.
    let stranger = staff_of(&app, &elsewhere, "outro@example.com").await;
    for token in [&stranger.token, &buyer.token] {
        assert_problem(
            &scan(&app, token, &json!(code), "A", "scan-0004").await,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
    }
    let (status, _) = app
        .post(
            &format!("/events/{}/staff", sale.event_id),
            Some(&stranger.token),
            json!({"email": "outro@example.com"}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "only the organizer assigns staff"
    );
    let (status, body) = app
        .post(
            &format!("/events/{}/staff", sale.event_id),
            Some(&sale.organizer.token),
            json!({"email": "nobody@example.com"}),
        )
        .await;
    assert_problem(&(status, body), StatusCode::NOT_FOUND, "not_found");
    // A refunded ticket's code is revoked.
    let (_, order) = app
        .get(
            &format!("/tickets/{}", ticket["id"].as_str().unwrap()),
            Some(&buyer.token),
        )
        .await;
    let (status, refunded) = app
        .call(
            Method::POST,
            &format!("/orders/{}/refund", order["order_id"].as_str().unwrap()),
            Some(&sale.organizer.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{refunded}");
    assert_problem(
        &scan(&app, &staff.token, &json!(code), "A", "scan-0005").await,
        StatusCode::GONE,
        "ticket_revoked",
    );
    assert_eq!(integrity(&app, &sale).await["checkins_mismatched"], 0);
}

async fn gates_racing_on_one_ticket_admit_it_once(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let sale = on_sale(&app, 10, 10, 10, json!({})).await;
    let buyer = app.account("fan@example.com", &[]).await;
    let ticket = bought_ticket(&app, &sale, &buyer, 0, "gate-key-0001").await;
    let staff = [
        staff_of(&app, &sale, "a@example.com").await,
        staff_of(&app, &sale, "b@example.com").await,
    ];
    // Sixteen scans at once from two gates, half of them retries of another's nonce.
    let scans: Vec<_> = (0..16)
        .map(|i| {
            let request = app
                .request(Method::POST, "/checkin", Some(&staff[i % 2].token))
                .json(&json!({"code": ticket["code"], "gate": format!("Portão {}", i % 2), "nonce": format!("race-{:04}", i / 2)}));
            tokio::spawn(async move { bilheteria_testkit::read(request.send().await.unwrap()).await })
        })
        .collect();
    let mut admitted_nonces = Vec::new();
    let mut used = 0;
    for (i, scan) in scans.into_iter().enumerate() {
        let (status, body) = scan.await.unwrap();
        match status {
            StatusCode::OK => admitted_nonces.push(i / 2),
            StatusCode::CONFLICT if body["code"] == "ticket_used" => used += 1,
            other => panic!("{other} {body}"),
        }
    }
    admitted_nonces.dedup();
    assert_eq!(
        admitted_nonces.len(),
        1,
        "one scan (and its retry) admits: {admitted_nonces:?}"
    );
    assert_eq!(used, 14, "every other scan is told the ticket was used");
    let report = integrity(&app, &sale).await;
    assert_eq!(report["checkins_mismatched"], 0, "{report}");
}
