//! A session's orders for its organization over real HTTP on both backends: the list found by
//! the buyer's email, name or the order's id and filtered by status, one order in full, the
//! tickets' mail sent again, and refunds of some tickets. Who may (owners, managers, finance),
//! who gets 403 (checkin, viewer) and who 404 (outside the organization); one ticket of two
//! refunded at what it was paid (half price, the products kept), through the provider once,
//! its place released and its code revoked while the other still gets in; a second refund of
//! it refused; the last ticket refunding the order; and refunds racing on one order, each
//! ticket refunded once with the money reconciled.

use bilheteria_app::workers::deliver_outbox;
use bilheteria_domain::account::Role;
use bilheteria_store::on_both_backends;
use bilheteria_store::testing::TestDatabase;
use bilheteria_testkit::{Account, OnSale, TestApp, assert_problem, error_fields, on_sale};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

on_both_backends!(
    orders_are_seen_found_and_mailed_again_by_those_who_see_sales,
    refunding_one_ticket_of_two_keeps_the_other_valid_and_the_money_right,
    refunds_racing_on_one_order_refund_each_ticket_once,
);

/// Adds `email` to the sale's organization as `role`, by its owner.
async fn member(app: &TestApp, sale: &OnSale, email: &str, role: &str) -> Account {
    let account = app.account(email, &[]).await;
    let (_, event) = app.get(&format!("/events/{}", sale.event_id), None).await;
    let organization = event["organization_id"].as_str().unwrap();
    let (status, added) = app
        .post(
            &format!("/organizations/{organization}/members"),
            Some(&sale.organizer.token),
            json!({"email": email, "role": role}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    account
}

/// Seats `first` (full price) and `first + 1` (half price, a student's) and one product, paid
/// by card in one order.
async fn two_seats_and_a_product(
    app: &TestApp,
    sale: &OnSale,
    buyer: &Account,
    first: usize,
    key: &str,
) -> Value {
    let (status, held) = app
        .post(
            &format!("/sessions/{}/holds", sale.session_id),
            Some(&buyer.token),
            json!({"seat_ids": [sale.seat_ids[first], sale.seat_ids[first + 1]],
                "half_price_seat_ids": [sale.seat_ids[first + 1]], "eligibility": "student"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{held}");
    let (status, order) = app
        .order(
            &buyer.token,
            key,
            &json!({"hold_id": held["id"], "products": [{"product_id": sale.product_id, "quantity": 1}],
                "payment": {"method": "card", "token": "tok_visa"}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{order}");
    assert_eq!(order["total_cents"], 12_000 + 6_000 + 1_500);
    order
}

async fn refund(
    app: &TestApp,
    token: &str,
    order: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    app.call(
        Method::POST,
        &format!("/orders/{order}/refund"),
        Some(token),
        body,
    )
    .await
}

async fn integrity(app: &TestApp, sale: &OnSale) -> Value {
    let (status, report) = app
        .get(
            &format!("/sessions/{}/integrity", sale.session_id),
            Some(&sale.organizer.token),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    report
}

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn orders_are_seen_found_and_mailed_again_by_those_who_see_sales(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let sale = on_sale(&app, 10, 4, 10, json!({})).await;
    let session = sale.session_id.as_str();
    let ana = app.account("ana.souza@example.com", &[]).await;
    let bruno = app.account("bruno@example.com", &[]).await;
    let of_ana = two_seats_and_a_product(&app, &sale, &ana, 0, "orders-key-0001").await;
    let of_bruno = app
        .buy_seat(&sale, &bruno.token, 4, "orders-key-0002")
        .await;
    let (ana_order, bruno_order) = (
        of_ana["id"].as_str().unwrap(),
        of_bruno["id"].as_str().unwrap(),
    );
    let manager = member(&app, &sale, "gerente@example.com", "manager").await;
    let finance = member(&app, &sale, "financeiro@example.com", "finance").await;
    let list = format!("/sessions/{session}/orders");
    for who in [&sale.organizer, &manager, &finance] {
        let (status, page) = app.get(&list, Some(&who.token)).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        // Newest first, each with its buyer.
        assert_eq!(ids(&page), [bruno_order, ana_order]);
        let first = &page["items"][1];
        assert_eq!(first["buyer"]["email"], "ana.souza@example.com");
        assert_eq!(first["buyer"]["id"], ana.id.as_str());
        assert_eq!(first["buyer"]["name"], "Test User");
        assert_eq!(
            (first["tickets"].as_i64(), first["tickets_live"].as_i64()),
            (Some(2), Some(2))
        );
        assert_eq!(first["refunded_cents"], 0);
    }
    // Found by the start of the email (case ignored), the order's id, a word of the name.
    for (q, found) in [
        ("ANA.S", vec![ana_order]),
        (ana_order, vec![ana_order]),
        ("bruno@", vec![bruno_order]),
        ("user", vec![bruno_order, ana_order]),
        ("nobody", vec![]),
        ("%", vec![]),
    ] {
        let (status, page) = app
            .get(&format!("{list}?q={}", urlencode(q)), Some(&finance.token))
            .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert_eq!(ids(&page), found, "q={q}");
    }
    let (_, paged) = app
        .get(&format!("{list}?limit=1"), Some(&finance.token))
        .await;
    assert_eq!(ids(&paged), [bruno_order]);
    let cursor = paged["next_cursor"].as_str().unwrap();
    let (_, next) = app
        .get(
            &format!("{list}?limit=1&cursor={cursor}"),
            Some(&finance.token),
        )
        .await;
    assert_eq!(ids(&next), [ana_order]);
    let (_, paid) = app
        .get(&format!("{list}?status=refunded"), Some(&finance.token))
        .await;
    assert_eq!(ids(&paid), Vec::<String>::new());
    let bad = app
        .get(&format!("{list}?status=lost"), Some(&finance.token))
        .await;
    assert_problem(&bad, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(error_fields(&bad.1), ["status"]);

    // One order in full.
    let detail = format!("/sessions/{session}/orders/{ana_order}");
    let (status, full) = app.get(&detail, Some(&finance.token)).await;
    assert_eq!(status, StatusCode::OK, "{full}");
    assert_eq!(full["buyer"]["email"], "ana.souza@example.com");
    assert_eq!(full["order"]["installments"], 1);
    assert_eq!(full["order"]["payment_method"], "card");
    let tickets = full["order"]["tickets"].as_array().unwrap();
    assert_eq!(tickets.len(), 2);
    assert!(
        tickets
            .iter()
            .all(|t| t["status"] == "valid" && t["code"].is_null()),
        "{full}"
    );
    assert_eq!(full["payments"][0]["kind"], "charge");
    assert_eq!(full["payments"][0]["amount_cents"], 19_500);
    let trail: Vec<&str> = full["audit"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(trail, ["order.paid"], "{full}");
    // An order of another session is not found through this one.
    let other = on_sale(&app, 2, 1, 1, json!({})).await;
    assert_problem(
        &app.get(
            &format!("/sessions/{}/orders/{ana_order}", other.session_id),
            Some(&other.organizer.token),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );

    // The tickets' mail, again.
    deliver_outbox(&app.state).await.unwrap();
    let mailed = |app: &TestApp| {
        app.mails()
            .iter()
            .filter(|m| m.to == "ana.souza@example.com")
            .count()
    };
    let before = mailed(&app);
    let resend = format!("{detail}/resend");
    let (status, _) = app
        .call(Method::POST, &resend, Some(&finance.token), None)
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    deliver_outbox(&app.state).await.unwrap();
    assert_eq!(mailed(&app), before + 1);

    // Who may not: checkin and viewer members 403, outsiders (and the buyer) 404.
    for role in ["checkin", "viewer"] {
        let them = member(&app, &sale, &format!("{role}@example.com"), role).await;
        for path in [list.as_str(), detail.as_str()] {
            assert_problem(
                &app.get(path, Some(&them.token)).await,
                StatusCode::FORBIDDEN,
                "forbidden",
            );
        }
        assert_problem(
            &app.call(Method::POST, &resend, Some(&them.token), None)
                .await,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
        assert_problem(
            &refund(
                &app,
                &them.token,
                ana_order,
                Some(json!({"ticket_ids": [tickets[0]["id"]]})),
            )
            .await,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
    }
    let outsider = app.account("de-fora@example.com", &[Role::Organizer]).await;
    for token in [&outsider.token, &bruno.token] {
        for path in [list.as_str(), detail.as_str()] {
            assert_problem(
                &app.get(path, Some(token)).await,
                StatusCode::NOT_FOUND,
                "not_found",
            );
        }
        assert_problem(
            &app.call(Method::POST, &resend, Some(token), None).await,
            StatusCode::NOT_FOUND,
            "not_found",
        );
    }
    assert_problem(
        &refund(
            &app,
            &outsider.token,
            ana_order,
            Some(json!({"ticket_ids": [tickets[0]["id"]]})),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_eq!(mailed(&app), before + 1);
    assert_eq!(integrity(&app, &sale).await["settled_ok"], true);
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
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
    staff
}

async fn refunding_one_ticket_of_two_keeps_the_other_valid_and_the_money_right(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let sale = on_sale(&app, 10, 4, 10, json!({})).await;
    let buyer = app.account("ana@example.com", &[]).await;
    let order = two_seats_and_a_product(&app, &sale, &buyer, 0, "refund-key-0001").await;
    let id = order["id"].as_str().unwrap();
    let tickets = order["tickets"].as_array().unwrap().clone();
    let half = tickets.iter().find(|t| t["ticket_type"] == "half").unwrap();
    let full = tickets.iter().find(|t| t["ticket_type"] == "full").unwrap();
    let finance = member(&app, &sale, "financeiro@example.com", "finance").await;
    let staff = staff_of(&app, &sale, "porteiro@example.com").await;

    // Bad bodies change nothing.
    let stranger = refund(
        &app,
        &finance.token,
        id,
        Some(json!({"ticket_ids": ["0190a0a0-0000-7000-8000-000000000000"]})),
    )
    .await;
    assert_problem(
        &stranger,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(error_fields(&stranger.1), ["ticket_ids[0]"]);
    let twice = refund(
        &app,
        &finance.token,
        id,
        Some(json!({"ticket_ids": [half["id"], half["id"]]})),
    )
    .await;
    assert_eq!(error_fields(&twice.1), ["ticket_ids[1]"]);
    let none = refund(&app, &finance.token, id, Some(json!({"ticket_ids": []}))).await;
    assert_eq!(error_fields(&none.1), ["ticket_ids"]);

    // The half-price ticket: what it was paid comes back, once, through the provider.
    let (status, refunded) = refund(
        &app,
        &finance.token,
        id,
        Some(json!({"ticket_ids": [half["id"]]})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{refunded}");
    assert_eq!(refunded["status"], "paid");
    assert_eq!(refunded["refunded_cents"], 6_000);
    let intent = app
        .payments
        .provider
        .intent(refunded["payment_reference"].as_str().unwrap())
        .unwrap();
    assert_eq!((intent.refunds, intent.refunded), (1, 6_000));
    // The buyer's order lists the ticket left; the organization sees both, one cancelled.
    let (_, mine) = app.get(&format!("/orders/{id}"), Some(&buyer.token)).await;
    let left: Vec<&Value> = mine["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["status"] == "valid")
        .collect();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["id"], full["id"]);
    let (_, detail) = app
        .get(
            &format!("/sessions/{}/orders/{id}", sale.session_id),
            Some(&finance.token),
        )
        .await;
    let status_of = |ticket: &Value| {
        detail["order"]["tickets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["id"] == ticket["id"])
            .unwrap()["status"]
            .clone()
    };
    assert_eq!(
        (status_of(half), status_of(full)),
        (json!("cancelled"), json!("valid"))
    );
    assert_eq!(detail["ticket_refunds"][0]["amount_cents"], 6_000);
    assert_eq!(
        detail["ticket_refunds"][0]["ticket_ids"],
        json!([half["id"]])
    );
    assert!(
        detail["audit"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "order.tickets_refunded"),
        "{detail}"
    );
    // Its seat is on sale again.
    let (_, map) = app
        .get(&format!("/sessions/{}/seats", sale.session_id), None)
        .await;
    let seat = map["sections"][0]["seats"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == sale.seat_ids[1].as_str())
        .unwrap()
        .clone();
    assert_eq!(seat["status"], "available");
    // At the gate: the refunded ticket is revoked (in the bundle too), the other gets in.
    let (status, bundle) = app
        .get(
            &format!("/checkin/sessions/{}/bundle", sale.session_id),
            Some(&staff.token),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{bundle}");
    assert!(
        bundle["revoked"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["ticket_id"] == half["id"]),
        "{bundle}"
    );
    assert!(
        bundle["revoked"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["ticket_id"] != full["id"]),
        "{bundle}"
    );
    let scan = |code: &Value, nonce: &str| {
        app.post(
            "/checkin",
            Some(&staff.token),
            json!({"code": code, "gate": "A", "nonce": nonce}),
        )
    };
    assert_problem(
        &scan(&half["code"], "scan-refund-1").await,
        StatusCode::GONE,
        "ticket_revoked",
    );
    let (status, admitted) = scan(&full["code"], "scan-refund-2").await;
    assert_eq!(status, StatusCode::OK, "{admitted}");
    assert_eq!(admitted["status"], "admitted");

    // A second refund of it is refused, and charges nothing.
    assert_problem(
        &refund(
            &app,
            &finance.token,
            id,
            Some(json!({"ticket_ids": [half["id"]]})),
        )
        .await,
        StatusCode::CONFLICT,
        "ticket_already_refunded",
    );
    let report = integrity(&app, &sale).await;
    assert_eq!(report["settled_ok"], true, "{report}");
    assert_eq!(report["refunded_cents"], 6_000);

    // The buyer is told what was refunded.
    deliver_outbox(&app.state).await.unwrap();
    let mails: Vec<_> = app
        .mails()
        .into_iter()
        .filter(|m| m.to == "ana@example.com" && m.subject.contains("Reembolso de ingressos"))
        .collect();
    assert_eq!(mails.len(), 1);
    assert!(mails[0].body.contains("R$ 60,00"), "{}", mails[0].body);
    assert!(
        mails[0]
            .body
            .contains("Cadeiras, fila R0, assento 2 (meia-entrada)"),
        "{}",
        mails[0].body
    );

    // The last ticket refunds the order; what the product was is kept.
    let (status, last) = refund(
        &app,
        &finance.token,
        id,
        Some(json!({"ticket_ids": [full["id"]]})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{last}");
    assert_eq!(last["status"], "refunded");
    assert_eq!(last["refunded_cents"], 18_000);
    assert_problem(
        &refund(&app, &finance.token, id, None).await,
        StatusCode::CONFLICT,
        "order_not_refundable",
    );
    let report = integrity(&app, &sale).await;
    assert_eq!(report["settled_ok"], true, "{report}");
    assert_eq!(
        (
            report["charged_cents"].as_i64(),
            report["refunded_cents"].as_i64()
        ),
        (Some(19_500), Some(18_000))
    );
    assert_eq!(report["tickets_valid"], 0);

    // A whole refund after one of a ticket gives back the rest, the products included.
    let other = two_seats_and_a_product(
        &app,
        &sale,
        &app.account("bia@example.com", &[]).await,
        2,
        "refund-key-0002",
    )
    .await;
    let other_id = other["id"].as_str().unwrap();
    let (status, _) = refund(
        &app,
        &finance.token,
        other_id,
        Some(json!({"ticket_ids": [other["tickets"][0]["id"]]})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, whole) = refund(&app, &finance.token, other_id, None).await;
    assert_eq!(status, StatusCode::OK, "{whole}");
    assert_eq!(whole["status"], "refunded");
    assert_eq!(whole["refunded_cents"], 19_500);
    let report = integrity(&app, &sale).await;
    assert_eq!(report["settled_ok"], true, "{report}");
}

async fn refunds_racing_on_one_order_refund_each_ticket_once(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let sale = on_sale(&app, 10, 4, 10, json!({})).await;
    let buyer = app.account("ana@example.com", &[]).await;
    let order = two_seats_and_a_product(&app, &sale, &buyer, 0, "race-key-0001").await;
    let id = order["id"].as_str().unwrap();
    let (first, second) = (
        order["tickets"][0]["id"].clone(),
        order["tickets"][1]["id"].clone(),
    );
    let manager = member(&app, &sale, "gerente@example.com", "manager").await;
    let bodies = [
        json!({"ticket_ids": [first]}),
        json!({"ticket_ids": [first, second]}),
        json!({"ticket_ids": [second]}),
        json!({"ticket_ids": [first]}),
        json!({"ticket_ids": [second, first]}),
        json!({"ticket_ids": [second]}),
    ];
    let answers = futures_util::future::join_all(bodies.iter().cycle().take(12).enumerate().map(
        |(i, body)| {
            let token = if i % 2 == 0 {
                &manager.token
            } else {
                &sale.organizer.token
            };
            refund(&app, token, id, Some(body.clone()))
        },
    ))
    .await;
    let mut refunded_tickets = 0;
    for (status, answer) in &answers {
        match *status {
            StatusCode::OK => {}
            StatusCode::CONFLICT => {
                assert!(
                    ["ticket_already_refunded", "order_not_refundable"]
                        .contains(&answer["code"].as_str().unwrap()),
                    "{answer}"
                );
                continue;
            }
            other => panic!("{other}: {answer}"),
        }
        refunded_tickets += 1;
    }
    assert!(refunded_tickets >= 1);
    let (_, detail) = app
        .get(
            &format!("/sessions/{}/orders/{id}", sale.session_id),
            Some(&manager.token),
        )
        .await;
    // Each ticket in exactly one refund, and the refunds are exactly the provider's.
    let mut claimed: Vec<Value> = detail["ticket_refunds"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["ticket_ids"].as_array().unwrap().clone())
        .collect();
    claimed.sort_by_key(|t| t.to_string());
    let mut both = vec![first.clone(), second.clone()];
    both.sort_by_key(|t| t.to_string());
    assert_eq!(claimed, both, "{detail}");
    assert_eq!(detail["order"]["status"], "refunded");
    assert_eq!(detail["order"]["refunded_cents"], 18_000);
    let intent = app
        .payments
        .provider
        .intent(order["payment_reference"].as_str().unwrap())
        .unwrap();
    assert_eq!(
        (intent.refunds, intent.refunded),
        (
            detail["ticket_refunds"].as_array().unwrap().len() as i64,
            18_000
        )
    );
    let report = integrity(&app, &sale).await;
    assert_eq!(report["settled_ok"], true, "{report}");
    assert_eq!(report["ticket_refunds_mismatched"], 0);
}
