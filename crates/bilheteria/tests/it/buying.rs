//! Selling over real HTTP on both backends: holds and the per-user cap, idempotent orders,
//! payment outcomes, tickets, refunds, notifications, and every documented bad input.

use bilheteria_app::Settings;
use bilheteria_app::{sales, workers};
use bilheteria_domain::account::Role;
use bilheteria_domain::clock::Clock;
use bilheteria_store::on_both_backends;
use bilheteria_store::testing::TestDatabase;
use bilheteria_testkit::{TestApp, assert_problem, error_fields, on_sale, order_body};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

on_both_backends!(
    a_buyer_holds_pays_and_gets_signed_tickets_and_an_email,
    the_same_key_replays_the_first_answer_and_charges_once,
    a_decline_keeps_the_hold_and_a_retry_can_pay,
    a_lost_answer_settles_exactly_once_by_reconciliation,
    the_cap_counts_holds_and_purchases_across_login_sessions,
    concurrent_holds_of_one_buyer_never_pass_the_cap,
    expired_holds_give_their_seats_back,
    standing_sections_sell_by_quantity_without_overselling,
    holds_and_orders_reject_bad_input,
    an_organizer_refund_releases_seats_and_cancels_tickets,
    mail_failures_never_fail_a_purchase_and_end_dead,
    blocked_addresses_and_fast_buyers_are_refused,
    at_capacity_new_buyers_are_turned_away_at_once_and_holders_still_pay,
    a_refund_interrupted_after_the_provider_paid_back_is_finished_by_reconciliation,
    a_signed_webhook_cannot_pay_an_order_the_provider_did_not_charge,
    paid_orders_the_provider_does_not_confirm_break_the_integrity_report,
    card_installments_reach_the_provider_and_the_order,
);

async fn hold(app: &TestApp, token: &str, session: &str, body: Value) -> (StatusCode, Value) {
    app.post(&format!("/sessions/{session}/holds"), Some(token), body)
        .await
}

async fn seat_status(app: &TestApp, session: &str, seat: &str) -> String {
    let (_, map) = app.get(&format!("/sessions/{session}/seats"), None).await;
    map["sections"][0]["seats"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == seat)
        .map(|s| s["status"].as_str().unwrap().to_owned())
        .unwrap()
}

async fn integrity(app: &TestApp, sale: &bilheteria_testkit::OnSale) -> Value {
    let (status, report) = app
        .get(
            &format!("/sessions/{}/integrity", sale.session_id),
            Some(&sale.organizer.token),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    report
}

async fn a_buyer_holds_pays_and_gets_signed_tickets_and_an_email(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let sale = on_sale(&app, 20, 100, 10, json!({})).await;
    let buyer = app.account("fan@example.com", &[]).await;
    let seats = [&sale.seat_ids[3], &sale.seat_ids[4]];

    let (status, held) = hold(
        &app,
        &buyer.token,
        &sale.session_id,
        json!({"seat_ids": seats}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{held}");
    assert_eq!(held["quantity"], 2);
    assert_eq!(held["session_id"], sale.session_id.as_str());
    assert!(held["expires_at"].is_string());
    assert_eq!(seat_status(&app, &sale.session_id, seats[0]).await, "held");

    let body = json!({"hold_id": held["id"], "products": [{"product_id": sale.product_id, "quantity": 3}],
                      "payment": {"method": "card", "token": "tok_visa"}});
    let (status, order) = app.order(&buyer.token, "order-key-0001", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{order}");
    assert_eq!(order["status"], "paid");
    assert_eq!(order["currency"], "BRL");
    assert_eq!(order["total_cents"], 2 * 12_000 + 3 * 1_500);
    assert_eq!(order["items"].as_array().unwrap().len(), 3);
    assert_eq!(order["client_ip"], "127.0.0.1");
    let tickets = order["tickets"].as_array().unwrap();
    assert_eq!(tickets.len(), 2);
    assert_eq!(seat_status(&app, &sale.session_id, seats[1]).await, "sold");

    // Codes verify offline with the published keys, and carry the ticket they belong to.
    let (_, keys) = app.get("/checkin/keys", None).await;
    assert_eq!(keys["items"][0]["algorithm"], "Ed25519");
    for ticket in tickets {
        let claims = app
            .state
            .ticket_keys
            .verify(ticket["code"].as_str().unwrap())
            .expect("a valid code");
        assert_eq!(claims.ticket_id.to_string(), ticket["id"].as_str().unwrap());
        assert_eq!(ticket["status"], "valid");
        assert_eq!(ticket["holder_id"], buyer.id.as_str());
        assert_eq!(ticket["seat"]["section"], "Cadeiras");
    }
    let (status, mine) = app.get("/tickets", Some(&buyer.token)).await;
    assert_eq!(
        (status, mine["items"].as_array().unwrap().len()),
        (StatusCode::OK, 2)
    );
    let ticket_path = format!("/tickets/{}", tickets[0]["id"].as_str().unwrap());
    assert_eq!(
        app.get(&ticket_path, Some(&buyer.token)).await.1,
        tickets[0]
    );
    let stranger = app.account("stranger@example.com", &[]).await;
    assert_problem(
        &app.get(&ticket_path, Some(&stranger.token)).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    let order_path = format!("/orders/{}", order["id"].as_str().unwrap());
    assert_eq!(
        app.get(&order_path, Some(&buyer.token)).await.1["status"],
        "paid"
    );
    assert_problem(
        &app.get(&order_path, Some(&stranger.token)).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_eq!(
        app.get(&order_path, Some(&sale.organizer.token)).await.0,
        StatusCode::OK,
        "the organizer sees it"
    );
    let (_, listed) = app.get("/orders", Some(&buyer.token)).await;
    assert_eq!(listed["items"][0]["id"], order["id"]);
    let (_, product) = app
        .get(&format!("/products/{}", sale.product_id), None)
        .await;
    assert_eq!(product["stock"], 7);

    // The purchase email goes out after the sale, with the ticket codes.
    assert_eq!(workers::deliver_outbox(&app.state).await.unwrap(), 1);
    // In the buyer's language: Portuguese, the default.
    let mails: Vec<_> = app
        .mails()
        .into_iter()
        .filter(|mail| mail.subject.contains("Grande Show"))
        .collect();
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    assert_eq!(mail.to, "fan@example.com");
    assert_eq!(mail.subject, "Seus ingressos para Grande Show");
    assert!(mail.body.contains("está pago"), "{}", mail.body);
    assert!(mail.body.contains("R$ "), "{}", mail.body);
    for ticket in tickets {
        let code = ticket["code"].as_str().unwrap();
        assert!(mail.body.contains(code), "the email carries each code");
    }
    assert_eq!(
        workers::deliver_outbox(&app.state).await.unwrap(),
        0,
        "sent once"
    );

    let report = integrity(&app, &sale).await;
    assert_eq!(report["settled_ok"], true, "{report}");
    assert_eq!(
        (
            report["paid_orders"].as_i64(),
            report["tickets_valid"].as_i64()
        ),
        (Some(1), Some(2))
    );
    let (_, audit) = app
        .get(
            "/admin/audit?action=order.paid",
            Some(&app.account("root@example.com", &[Role::Admin]).await.token),
        )
        .await;
    assert_eq!(audit["items"][0]["target_id"], order["id"]);
}

async fn the_same_key_replays_the_first_answer_and_charges_once(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let sale = on_sale(&app, 10, 10, 10, json!({})).await;
    let buyer = app.account("fan@example.com", &[]).await;
    let (_, held) = hold(
        &app,
        &buyer.token,
        &sale.session_id,
        json!({"seat_ids": [sale.seat_ids[0]]}),
    )
    .await;
    let body = order_body(&held["id"], "tok_visa");

    // Ten identical requests at once: one order, one charge; every answer is the first one or
    // says the first is still running.
    let attempts: Vec<_> = (0..10)
        .map(|_| {
            let request = app
                .request(Method::POST, "/orders", Some(&buyer.token))
                .header("Idempotency-Key", "same-key-0001")
                .json(&body);
            tokio::spawn(
                async move { bilheteria_testkit::read(request.send().await.unwrap()).await },
            )
        })
        .collect();
    let mut answers = Vec::new();
    for attempt in attempts {
        answers.push(attempt.await.unwrap());
    }
    let created: Vec<&Value> = answers
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .map(|(_, b)| b)
        .collect();
    assert!(!created.is_empty());
    assert!(
        created.iter().all(|b| *b == created[0]),
        "replays are the same body"
    );
    for (status, body) in &answers {
        assert!(
            *status == StatusCode::CREATED
                || (*status == StatusCode::CONFLICT && body["code"] == "idempotency_in_progress"),
            "{status} {body}"
        );
    }
    let replay = app.order(&buyer.token, "same-key-0001", &body).await;
    assert_eq!(replay, (StatusCode::CREATED, created[0].clone()));
    // Whitespace and key order do not make a different body.
    let reordered: Value = serde_json::from_str(&format!(
        r#"{{ "payment": {{"token": "tok_visa", "method": "card"}}, "hold_id": "{}" }}"#,
        held["id"].as_str().unwrap()
    ))
    .unwrap();
    assert_eq!(
        app.order(&buyer.token, "same-key-0001", &reordered).await.0,
        StatusCode::CREATED
    );
    assert_eq!(
        app.payments.provider.intents().len(),
        1,
        "exactly one charge"
    );
    let (_, orders) = app.get("/orders", Some(&buyer.token)).await;
    assert_eq!(
        orders["items"].as_array().unwrap().len(),
        1,
        "exactly one order"
    );

    let different = order_body(&held["id"], "tok_chargeDeclined");
    assert_problem(
        &app.order(&buyer.token, "same-key-0001", &different).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "idempotency_key_reused",
    );
    let missing = bilheteria_testkit::read(
        app.request(Method::POST, "/orders", Some(&buyer.token))
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_problem(
        &missing,
        StatusCode::BAD_REQUEST,
        "idempotency_key_required",
    );
    for absurd in ["short", &"k".repeat(65), "has spaces here", "emoji-🎟️-key"] {
        let response = app
            .request(Method::POST, "/orders", Some(&buyer.token))
            .header("Idempotency-Key", absurd)
            .json(&body)
            .send()
            .await;
        let result = bilheteria_testkit::read(response.unwrap()).await;
        assert_problem(
            &result,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        );
        assert_eq!(error_fields(&result.1), vec!["Idempotency-Key"]);
    }
    // Another buyer's key space is their own.
    let other = app.account("other@example.com", &[]).await;
    let (_, other_hold) = hold(
        &app,
        &other.token,
        &sale.session_id,
        json!({"seat_ids": [sale.seat_ids[1]]}),
    )
    .await;
    assert_eq!(
        app.order(
            &other.token,
            "same-key-0001",
            &order_body(&other_hold["id"], "tok_visa")
        )
        .await
        .0,
        StatusCode::CREATED
    );
}

async fn a_decline_keeps_the_hold_and_a_retry_can_pay(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let sale = on_sale(&app, 10, 10, 10, json!({})).await;
    let buyer = app.account("fan@example.com", &[]).await;
    let (_, held) = hold(
        &app,
        &buyer.token,
        &sale.session_id,
        json!({"seat_ids": [sale.seat_ids[0]]}),
    )
    .await;
    for (key, token, decline) in [
        ("declined-0001", "tok_chargeDeclined", "generic_decline"),
        (
            "declined-0002",
            "tok_chargeDeclinedInsufficientFunds",
            "insufficient_funds",
        ),
    ] {
        let declined = app
            .order(&buyer.token, key, &order_body(&held["id"], token))
            .await;
        assert_problem(&declined, StatusCode::PAYMENT_REQUIRED, "payment_declined");
        assert_eq!(declined.1["decline_code"], decline);
        assert!(declined.1["order_id"].is_string());
        assert_eq!(
            app.order(&buyer.token, key, &order_body(&held["id"], token))
                .await,
            declined,
            "replayed"
        );
    }
    assert_eq!(
        seat_status(&app, &sale.session_id, &sale.seat_ids[0]).await,
        "held",
        "the hold stays"
    );
    let (status, paid) = app
        .order(
            &buyer.token,
            "approved-0003",
            &order_body(&held["id"], "tok_visa"),
        )
        .await;
    assert_eq!(
        (status, paid["status"].as_str()),
        (StatusCode::CREATED, Some("paid")),
        "{paid}"
    );
    let (_, orders) = app.get("/orders", Some(&buyer.token)).await;
    let statuses: Vec<&str> = orders["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["paid", "failed", "failed"]);
    assert_eq!(integrity(&app, &sale).await["settled_ok"], true);
}

async fn a_lost_answer_settles_exactly_once_by_reconciliation(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let sale = on_sale(&app, 10, 10, 10, json!({})).await;
    let buyer = app.account("fan@example.com", &[]).await;
    let (_, held) = hold(
        &app,
        &buyer.token,
        &sale.session_id,
        json!({"seat_ids": [sale.seat_ids[0], sale.seat_ids[1]]}),
    )
    .await;
    let body = order_body(&held["id"], "tok_timeout");
    let pending = app.order(&buyer.token, "timeout-key-01", &body).await;
    assert_problem(&pending, StatusCode::ACCEPTED, "payment_pending");
    let order_path = format!("/orders/{}", pending.1["order_id"].as_str().unwrap());
    assert_eq!(
        app.get(&order_path, Some(&buyer.token)).await.1["status"],
        "payment_pending"
    );
    assert_eq!(
        seat_status(&app, &sale.session_id, &sale.seat_ids[0]).await,
        "held"
    );

    // Not due yet: nothing happens. Once due, reconciliation asks again and settles it.
    assert_eq!(sales::reconcile(&app.state).await.unwrap(), 0);
    app.clock.advance(time::Duration::seconds(6));
    assert_eq!(sales::reconcile(&app.state).await.unwrap(), 1);
    let (_, order) = app.get(&order_path, Some(&buyer.token)).await;
    assert_eq!(order["status"], "paid", "{order}");
    assert_eq!(order["tickets"].as_array().unwrap().len(), 2);
    app.clock.advance(time::Duration::seconds(60));
    assert_eq!(
        sales::reconcile(&app.state).await.unwrap(),
        0,
        "settled once, never again"
    );
    assert_eq!(app.payments.provider.intents().len(), 1, "one charge");
    assert_eq!(
        app.order(&buyer.token, "timeout-key-01", &body).await,
        pending,
        "the first answer is replayed"
    );
    let report = integrity(&app, &sale).await;
    assert_eq!(
        (
            report["settled_ok"].as_bool(),
            report["tickets_valid"].as_i64()
        ),
        (Some(true), Some(2)),
        "{report}"
    );
}

async fn the_cap_counts_holds_and_purchases_across_login_sessions(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let sale = on_sale(&app, 10, 10, 10, json!({})).await;
    app.register("fan@example.com").await;
    let phone = app.login_on("fan@example.com", "phone-fan-0001").await;
    let (status, first) = hold(
        &app,
        &phone,
        &sale.session_id,
        json!({"seat_ids": [sale.seat_ids[0]]}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    app.order(
        &phone,
        "cap-order-0001",
        &order_body(&first["id"], "tok_visa"),
    )
    .await;
    // A new login (which ends the first) does not reset what the buyer holds or bought.
    let laptop = app.login_on("fan@example.com", "laptop-fan-001").await;
    assert_eq!(
        hold(
            &app,
            &laptop,
            &sale.session_id,
            json!({"seat_ids": [sale.seat_ids[1]]})
        )
        .await
        .0,
        StatusCode::CREATED
    );
    let over = hold(
        &app,
        &laptop,
        &sale.session_id,
        json!({"seat_ids": [sale.seat_ids[2]]}),
    )
    .await;
    assert_problem(
        &over,
        StatusCode::UNPROCESSABLE_ENTITY,
        "purchase_limit_exceeded",
    );
    let standing = hold(
        &app,
        &laptop,
        &sale.session_id,
        json!({"section_id": sale.standing_section, "quantity": 1}),
    )
    .await;
    assert_problem(
        &standing,
        StatusCode::UNPROCESSABLE_ENTITY,
        "purchase_limit_exceeded",
    );
    let too_many = hold(
        &app,
        &laptop,
        &sale.session_id,
        json!({"seat_ids": &sale.seat_ids[5..8]}),
    )
    .await;
    assert_problem(
        &too_many,
        StatusCode::UNPROCESSABLE_ENTITY,
        "purchase_limit_exceeded",
    );
    assert_eq!(
        seat_status(&app, &sale.session_id, &sale.seat_ids[5]).await,
        "available",
        "a refused hold claims nothing"
    );
    assert_eq!(integrity(&app, &sale).await["users_over_cap"], 0);
}

async fn concurrent_holds_of_one_buyer_never_pass_the_cap(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let sale = on_sale(&app, 30, 50, 10, json!({"max_tickets_per_user": 3})).await;
    let buyer = app.account("greedy@example.com", &[]).await;
    let mut tasks = Vec::new();
    for i in 0..24 {
        let (client, url, token) = (
            app.client.clone(),
            app.url(&format!("/sessions/{}/holds", sale.session_id)),
            buyer.token.clone(),
        );
        let body = if i % 3 == 0 {
            json!({"section_id": sale.standing_section, "quantity": 1})
        } else {
            json!({"seat_ids": [sale.seat_ids[i]]})
        };
        tasks.push(tokio::spawn(async move {
            client
                .post(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
        }));
    }
    let mut created = 0;
    for task in tasks {
        match task.await.unwrap() {
            StatusCode::CREATED => created += 1,
            StatusCode::UNPROCESSABLE_ENTITY => {}
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(created, 3, "exactly the cap, whatever the interleaving");
    let report = integrity(&app, &sale).await;
    assert_eq!(
        (
            report["users_over_cap"].as_i64(),
            report["settled_ok"].as_bool()
        ),
        (Some(0), Some(true)),
        "{report}"
    );
}

async fn expired_holds_give_their_seats_back(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let sale = on_sale(&app, 10, 10, 10, json!({"hold_seconds": 60})).await;
    let first = app.account("first@example.com", &[]).await;
    let second = app.account("second@example.com", &[]).await;
    let seats = json!({"seat_ids": [sale.seat_ids[0], sale.seat_ids[1]]});
    let (_, held) = hold(&app, &first.token, &sale.session_id, seats.clone()).await;
    assert_problem(
        &hold(&app, &second.token, &sale.session_id, seats.clone()).await,
        StatusCode::CONFLICT,
        "seat_unavailable",
    );
    let conflict = hold(
        &app,
        &second.token,
        &sale.session_id,
        json!({"seat_ids": [sale.seat_ids[1], sale.seat_ids[2]]}),
    )
    .await;
    assert_eq!(
        conflict.1["seat_ids"],
        json!([sale.seat_ids[1]]),
        "the problem lists the seats that are taken"
    );

    app.clock.advance(time::Duration::seconds(61));
    assert_eq!(
        seat_status(&app, &sale.session_id, &sale.seat_ids[0]).await,
        "available",
        "an expired hold shows as free"
    );
    // The seats are taken over at once, before any sweep.
    let (status, taken) = hold(&app, &second.token, &sale.session_id, seats).await;
    assert_eq!(status, StatusCode::CREATED, "{taken}");
    let late = app
        .order(
            &first.token,
            "late-order-01",
            &order_body(&held["id"], "tok_visa"),
        )
        .await;
    assert_problem(&late, StatusCode::GONE, "hold_expired");
    assert!(
        app.payments.provider.intents().is_empty(),
        "an expired hold is never charged"
    );
    // The sweeper ends the lapsed hold, which frees the first buyer's allocation.
    assert!(workers::sweep_holds(&app.state).await.unwrap() >= 1);
    assert_eq!(
        hold(
            &app,
            &first.token,
            &sale.session_id,
            json!({"seat_ids": [sale.seat_ids[5], sale.seat_ids[6]]})
        )
        .await
        .0,
        StatusCode::CREATED
    );
    // Releasing gives seats back at once.
    let third = hold(
        &app,
        &second.token,
        &sale.session_id,
        json!({"seat_ids": [sale.seat_ids[7]]}),
    )
    .await;
    assert_problem(
        &third,
        StatusCode::UNPROCESSABLE_ENTITY,
        "purchase_limit_exceeded",
    );
    let (status, _) = app
        .call(
            Method::DELETE,
            &format!("/holds/{}", taken["id"].as_str().unwrap()),
            Some(&second.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        seat_status(&app, &sale.session_id, &sale.seat_ids[0]).await,
        "available"
    );
    assert_eq!(integrity(&app, &sale).await["settled_ok"], true);
}

async fn standing_sections_sell_by_quantity_without_overselling(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let sale = on_sale(&app, 10, 5, 10, json!({"hold_seconds": 60})).await;
    let buyers = app.buyers(4).await;
    let standing =
        |quantity: i64| json!({"section_id": sale.standing_section, "quantity": quantity});
    let (status, a) = hold(&app, &buyers[0].token, &sale.session_id, standing(2)).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, paid) = app
        .order(
            &buyers[0].token,
            "standing-0001",
            &order_body(&a["id"], "tok_visa"),
        )
        .await;
    assert_eq!(
        (status, paid["tickets"].as_array().unwrap().len()),
        (StatusCode::CREATED, 2)
    );
    assert!(paid["tickets"][0]["seat"].is_null());
    assert_eq!(
        hold(&app, &buyers[1].token, &sale.session_id, standing(2))
            .await
            .0,
        StatusCode::CREATED
    );
    assert_problem(
        &hold(&app, &buyers[2].token, &sale.session_id, standing(2)).await,
        StatusCode::CONFLICT,
        "sold_out",
    );
    assert_eq!(
        hold(&app, &buyers[2].token, &sale.session_id, standing(1))
            .await
            .0,
        StatusCode::CREATED
    );
    let (_, map) = app
        .get(&format!("/sessions/{}/seats", sale.session_id), None)
        .await;
    assert_eq!(map["sections"][1]["available"], 0);
    // Lapsed holds of others are reclaimed when capacity is short.
    app.clock.advance(time::Duration::seconds(61));
    assert_eq!(
        hold(&app, &buyers[3].token, &sale.session_id, standing(2))
            .await
            .0,
        StatusCode::CREATED
    );
    assert_eq!(integrity(&app, &sale).await["settled_ok"], true);
}

async fn holds_and_orders_reject_bad_input(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let sale = on_sale(&app, 10, 10, 2, json!({})).await;
    let other = on_sale(&app, 10, 10, 2, json!({})).await;
    let buyer = app.account("fan@example.com", &[]).await;
    let thief = app.account("thief@example.com", &[]).await;
    let session = &sale.session_id;
    let token = &buyer.token;

    let foreign = hold(
        &app,
        token,
        session,
        json!({"seat_ids": [other.seat_ids[0]]}),
    )
    .await;
    assert_problem(
        &foreign,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    let twice = hold(
        &app,
        token,
        session,
        json!({"seat_ids": [sale.seat_ids[0], sale.seat_ids[0]]}),
    )
    .await;
    assert_eq!(error_fields(&twice.1), vec!["seat_ids[1]"]);
    for quantity in [0, -1] {
        let bad = hold(
            &app,
            token,
            session,
            json!({"section_id": sale.standing_section, "quantity": quantity}),
        )
        .await;
        assert_eq!(error_fields(&bad.1), vec!["quantity"]);
    }
    let seated_by_quantity = hold(
        &app,
        token,
        session,
        json!({"section_id": sale.venue["sections"][0]["id"], "quantity": 1}),
    )
    .await;
    assert_problem(
        &seated_by_quantity,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_problem(
        &hold(&app, token, session, json!({})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_problem(
        &hold(&app, token, session, json!({"seat_ids": "A1"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_problem(
        &hold(
            &app,
            token,
            &uuid::Uuid::now_v7().to_string(),
            json!({"seat_ids": [sale.seat_ids[0]]}),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_problem(
        &app.post(
            &format!("/sessions/{session}/holds"),
            None,
            json!({"seat_ids": [sale.seat_ids[0]]}),
        )
        .await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    );

    let (_, held) = hold(
        &app,
        token,
        session,
        json!({"seat_ids": [sale.seat_ids[0]]}),
    )
    .await;
    // Someone else's hold does not exist for them.
    let stolen = app
        .order(
            &thief.token,
            "thief-order-01",
            &order_body(&held["id"], "tok_visa"),
        )
        .await;
    assert_problem(&stolen, StatusCode::NOT_FOUND, "not_found");
    let (status, _) = app
        .call(
            Method::DELETE,
            &format!("/holds/{}", held["id"].as_str().unwrap()),
            Some(&thief.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let unknown_hold = app
        .order(
            token,
            "unknown-hold-1",
            &order_body(&json!(uuid::Uuid::now_v7()), "tok_visa"),
        )
        .await;
    assert_problem(&unknown_hold, StatusCode::NOT_FOUND, "not_found");

    let with_products = |products: Value| json!({"hold_id": held["id"], "products": products, "payment": {"method": "card", "token": "tok_visa"}});
    let unknown_product = app
        .order(
            token,
            "bad-product-01",
            &with_products(json!([{"product_id": uuid::Uuid::now_v7(), "quantity": 1}])),
        )
        .await;
    assert_problem(
        &unknown_product,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(
        error_fields(&unknown_product.1),
        vec!["products[0].product_id"]
    );
    let foreign_product = app
        .order(
            token,
            "bad-product-02",
            &with_products(json!([
                {"product_id": sale.product_id, "quantity": 1},
                {"product_id": other.product_id, "quantity": 1}
            ])),
        )
        .await;
    assert_problem(
        &foreign_product,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(
        error_fields(&foreign_product.1),
        vec!["products[1].product_id"],
        "the field at fault is named"
    );
    let beyond_stock = app
        .order(
            token,
            "bad-product-03",
            &with_products(json!([{"product_id": sale.product_id, "quantity": 3}])),
        )
        .await;
    assert_problem(&beyond_stock, StatusCode::CONFLICT, "out_of_stock");
    let zero = app
        .order(
            token,
            "bad-product-04",
            &with_products(json!([{"product_id": sale.product_id, "quantity": 0}])),
        )
        .await;
    assert_eq!(error_fields(&zero.1), vec!["products[0].quantity"]);
    let bad_payment = app
        .order(
            token,
            "bad-payment-01",
            &json!({"hold_id": held["id"], "payment": {"method": "boleto", "token": ""}}),
        )
        .await;
    assert_eq!(
        error_fields(&bad_payment.1),
        vec!["payment.method", "payment.token"]
    );
    assert!(
        app.payments.provider.intents().is_empty(),
        "no refused request reached the provider"
    );
    // A refused request leaves its key unused: the same key may go through once fixed.
    let (status, _) = app
        .order(
            token,
            "bad-product-03",
            &with_products(json!([{"product_id": sale.product_id, "quantity": 2}])),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, product) = app
        .get(&format!("/products/{}", sale.product_id), None)
        .await;
    assert_eq!(product["stock"], 0, "stock never goes negative");

    let future = on_sale(
        &app,
        10,
        10,
        2,
        json!({"sales_start_at": "2099-01-01T00:00:00Z", "starts_at": "2099-02-01T00:00:00Z"}),
    )
    .await;
    let early = hold(
        &app,
        token,
        &future.session_id,
        json!({"seat_ids": [future.seat_ids[0]]}),
    )
    .await;
    assert_problem(&early, StatusCode::CONFLICT, "sales_not_open");
    let queued = on_sale(&app, 10, 10, 2, json!({"queue": {"enabled": true}})).await;
    let unadmitted = hold(
        &app,
        token,
        &queued.session_id,
        json!({"seat_ids": [queued.seat_ids[0]]}),
    )
    .await;
    assert_problem(&unadmitted, StatusCode::FORBIDDEN, "admission_required");
    assert_eq!(integrity(&app, &sale).await["settled_ok"], true);
}

async fn an_organizer_refund_releases_seats_and_cancels_tickets(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let sale = on_sale(&app, 10, 10, 5, json!({})).await;
    let buyer = app.account("fan@example.com", &[]).await;
    let (_, held) = hold(
        &app,
        &buyer.token,
        &sale.session_id,
        json!({"seat_ids": [sale.seat_ids[0]]}),
    )
    .await;
    let body = json!({"hold_id": held["id"], "products": [{"product_id": sale.product_id, "quantity": 2}], "payment": {"method": "card", "token": "tok_visa"}});
    let (_, order) = app.order(&buyer.token, "refund-me-0001", &body).await;
    let refund_path = format!("/orders/{}/refund", order["id"].as_str().unwrap());

    assert_problem(
        &app.call(Method::POST, &refund_path, Some(&buyer.token), None)
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let rival = app.account("rival@example.com", &[Role::Organizer]).await;
    assert_problem(
        &app.call(Method::POST, &refund_path, Some(&rival.token), None)
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    let (status, refunded) = app
        .call(
            Method::POST,
            &refund_path,
            Some(&sale.organizer.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{refunded}");
    assert_eq!(refunded["status"], "refunded");
    assert!(
        refunded["tickets"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["status"] == "cancelled" && t["version"] == 2)
    );
    // A cancelled ticket shows no code: its last one is revoked, and none carries version 1
    // of a ticket that is now at version 2.
    for ticket in refunded["tickets"].as_array().unwrap() {
        assert!(ticket["code"].is_null(), "{ticket}");
        let (_, shown) = app
            .get(
                &format!("/tickets/{}", ticket["id"].as_str().unwrap()),
                Some(&buyer.token),
            )
            .await;
        assert_eq!(
            (shown["version"].as_i64(), shown["code"].is_null()),
            (Some(2), true),
            "{shown}"
        );
    }
    assert_eq!(
        seat_status(&app, &sale.session_id, &sale.seat_ids[0]).await,
        "available"
    );
    assert_eq!(
        app.get(&format!("/products/{}", sale.product_id), None)
            .await
            .1["stock"],
        5,
        "restocked"
    );
    assert_problem(
        &app.call(
            Method::POST,
            &refund_path,
            Some(&sale.organizer.token),
            None,
        )
        .await,
        StatusCode::CONFLICT,
        "order_not_refundable",
    );
    let intent = &app.payments.provider.intents()[0];
    assert_eq!(
        intent.refunded, intent.amount,
        "the provider gave the money back"
    );
    let report = integrity(&app, &sale).await;
    assert_eq!(report["settled_ok"], true, "{report}");
    assert_eq!(report["charged_cents"], report["refunded_cents"]);
    // The buyer may buy again: the cap counts only live tickets.
    let (_, again) = hold(
        &app,
        &buyer.token,
        &sale.session_id,
        json!({"seat_ids": [sale.seat_ids[0], sale.seat_ids[1]]}),
    )
    .await;
    assert!(again["id"].is_string(), "{again}");
}

async fn mail_failures_never_fail_a_purchase_and_end_dead(db: TestDatabase) {
    let app = TestApp::spawn_with(
        db,
        Settings {
            outbox_max_attempts: 2,
            ..Settings::default()
        },
    )
    .await;
    // Point the app's mail at an SMTP server that is not there.
    let state = bilheteria_app::App {
        mail: std::sync::Arc::new(
            bilheteria_app::mail::MailSender::smtp("smtp://127.0.0.1:9", "b <b@example.com>")
                .unwrap(),
        ),
        ..app.state.clone()
    };
    let sale = on_sale(&app, 10, 10, 5, json!({})).await;
    let buyer = app.account("fan@example.com", &[]).await;
    let (_, held) = hold(
        &app,
        &buyer.token,
        &sale.session_id,
        json!({"seat_ids": [sale.seat_ids[0]]}),
    )
    .await;
    assert_eq!(
        app.order(
            &buyer.token,
            "mail-fails-01",
            &order_body(&held["id"], "tok_visa")
        )
        .await
        .0,
        StatusCode::CREATED
    );
    assert_eq!(workers::deliver_outbox(&state).await.unwrap(), 1);
    assert_eq!(
        workers::deliver_outbox(&state).await.unwrap(),
        0,
        "backing off"
    );
    app.clock.advance(time::Duration::hours(2));
    assert_eq!(workers::deliver_outbox(&state).await.unwrap(), 1);
    let admin = app.account("root@example.com", &[Role::Admin]).await;
    let (status, dead) = app
        .get("/admin/outbox?status=dead", Some(&admin.token))
        .await;
    assert_eq!(status, StatusCode::OK);
    let dead = dead["items"].as_array().unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0]["kind"], "order_paid");
    assert_eq!(dead[0]["attempts"], 2);
    assert!(dead[0]["last_error"].as_str().unwrap().len() > 5);
    assert_problem(
        &app.get("/admin/outbox?status=lost", Some(&admin.token))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_problem(
        &app.get("/admin/outbox", Some(&buyer.token)).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
}

async fn blocked_addresses_and_fast_buyers_are_refused(db: TestDatabase) {
    let settings = Settings {
        blocked_ips: vec!["127.0.0.0/8".parse().unwrap()],
        ..Settings::default()
    };
    let blocked = TestApp::spawn_with(db, settings).await;
    let sale = on_sale(&blocked, 10, 10, 5, json!({})).await;
    let buyer = blocked.account("fan@example.com", &[]).await;
    assert_problem(
        &hold(
            &blocked,
            &buyer.token,
            &sale.session_id,
            json!({"seat_ids": [sale.seat_ids[0]]}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "ip_blocked",
    );
    let order = blocked
        .order(
            &buyer.token,
            "blocked-order1",
            &order_body(&json!(uuid::Uuid::now_v7()), "tok_visa"),
        )
        .await;
    assert_problem(&order, StatusCode::FORBIDDEN, "ip_blocked");

    let limited = TestApp::spawn_with(
        TestDatabase::sqlite(),
        Settings {
            purchases_per_user_per_minute: 2,
            ..Settings::default()
        },
    )
    .await;
    let sale = on_sale(&limited, 10, 10, 5, json!({})).await;
    let buyer = limited.account("fast@example.com", &[]).await;
    for _ in 0..2 {
        hold(
            &limited,
            &buyer.token,
            &sale.session_id,
            json!({"seat_ids": [sale.seat_ids[9]]}),
        )
        .await;
    }
    let response = limited
        .request(
            Method::POST,
            &format!("/sessions/{}/holds", sale.session_id),
            Some(&buyer.token),
        )
        .json(&json!({"seat_ids": [sale.seat_ids[8]]}))
        .send()
        .await
        .unwrap();
    assert!(response.headers().contains_key("retry-after"));
    assert_problem(
        &bilheteria_testkit::read(response).await,
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
    );
}

async fn at_capacity_new_buyers_are_turned_away_at_once_and_holders_still_pay(db: TestDatabase) {
    let app = TestApp::spawn_with(
        db,
        Settings {
            max_purchase_work_in_flight: 2,
            ..Settings::default()
        },
    )
    .await;
    let sale = on_sale(&app, 40, 10, 5, json!({})).await;
    let buyers = app.buyers(2).await;
    let (holder, newcomer) = (&buyers[0], &buyers[1]);
    let (status, held) = hold(
        &app,
        &holder.token,
        &sale.session_id,
        json!({"seat_ids": [sale.seat_ids[0]]}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{held}");

    // The line is reached: two pieces of purchase work are in flight.
    let busy = [app.state.load.work(), app.state.load.work()];
    let response = app
        .request(
            Method::POST,
            &format!("/sessions/{}/holds", sale.session_id),
            Some(&newcomer.token),
        )
        .json(&json!({"seat_ids": [sale.seat_ids[1]]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["retry-after"], "1");
    assert_problem(
        &bilheteria_testkit::read(response).await,
        StatusCode::SERVICE_UNAVAILABLE,
        "overloaded",
    );
    assert_eq!(
        seat_status(&app, &sale.session_id, &sale.seat_ids[1]).await,
        "available"
    );
    // Whoever already holds places still pays, past the line.
    let (status, order) = app
        .order(
            &holder.token,
            "capacity-order-1",
            &order_body(&held["id"], "tok_visa"),
        )
        .await;
    assert_eq!(
        (status, order["status"].as_str()),
        (StatusCode::CREATED, Some("paid")),
        "{order}"
    );
    drop(busy);
    assert_eq!(
        app.state.load.in_flight(),
        0,
        "every piece of work was counted out"
    );
    let (status, _) = hold(
        &app,
        &newcomer.token,
        &sale.session_id,
        json!({"seat_ids": [sale.seat_ids[1]]}),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "admitted once the work drained"
    );

    // A stampede past the line: every answer is a hold, a lost race or an early refusal, and
    // nothing refused was held.
    let racers = app.buyers(30).await;
    let answers = futures_util::future::join_all(racers.iter().enumerate().map(|(i, buyer)| {
        hold(
            &app,
            &buyer.token,
            &sale.session_id,
            json!({"seat_ids": [sale.seat_ids[2 + i % 20]]}),
        )
    }))
    .await;
    let mut held_seats = std::collections::HashSet::new();
    for (i, (status, body)) in answers.iter().enumerate() {
        match status.as_u16() {
            201 => assert!(held_seats.insert(&sale.seat_ids[2 + i % 20]), "held twice"),
            409 => assert_eq!(body["code"], "seat_unavailable", "{body}"),
            503 => assert_eq!(body["code"], "overloaded", "{body}"),
            _ => panic!("unexpected answer {status}: {body}"),
        }
    }
    assert!(!held_seats.is_empty());
    for seat in &sale.seat_ids[2..22] {
        let expected = if held_seats.contains(seat) {
            "held"
        } else {
            "available"
        };
        assert_eq!(seat_status(&app, &sale.session_id, seat).await, expected);
    }
    assert_eq!(app.state.load.in_flight(), 0);
}

async fn a_refund_interrupted_after_the_provider_paid_back_is_finished_by_reconciliation(
    db: TestDatabase,
) {
    use bilheteria_payments::PaymentGateway;
    let app = TestApp::spawn(db).await;
    let sale = on_sale(&app, 10, 10, 5, json!({})).await;
    let buyer = app.account("fan@example.com", &[]).await;
    let (_, held) = hold(
        &app,
        &buyer.token,
        &sale.session_id,
        json!({"seat_ids": [sale.seat_ids[0]]}),
    )
    .await;
    let (_, order) = app
        .order(
            &buyer.token,
            "interrupted-01",
            &order_body(&held["id"], "tok_visa"),
        )
        .await;
    let id: bilheteria_domain::ids::OrderId = order["id"].as_str().unwrap().parse().unwrap();
    // The refund is requested and the provider pays back, then the process dies.
    let now = bilheteria_domain::clock::Clock::now(app.clock.as_ref());
    app.store
        .request_refund(id, now + time::Duration::seconds(60))
        .await
        .unwrap();
    let reference = order["payment_reference"].as_str().unwrap();
    app.payments
        .refund(
            reference,
            order["total_cents"].as_i64().unwrap(),
            &format!("refund-{id}"),
        )
        .await
        .unwrap();
    assert_eq!(
        app.get(&format!("/orders/{id}"), Some(&buyer.token))
            .await
            .1["status"],
        "paid"
    );
    // Reconciliation finishes it, asking the provider again under the same key.
    app.clock.advance(time::Duration::seconds(61));
    assert_eq!(sales::reconcile(&app.state).await.unwrap(), 1);
    let (_, refunded) = app.get(&format!("/orders/{id}"), Some(&buyer.token)).await;
    assert_eq!(refunded["status"], "refunded", "{refunded}");
    assert_eq!(
        seat_status(&app, &sale.session_id, &sale.seat_ids[0]).await,
        "available"
    );
    let intent = &app.payments.provider.intents()[0];
    assert_eq!(intent.refunded, intent.amount, "paid back once, not twice");
    assert_eq!(integrity(&app, &sale).await["settled_ok"], true);
}

const WEBHOOK_SECRET: &str = "whsec_test_hint";

/// Starts `buyer`'s order of `hold` as `POST /orders` does before it calls the provider: the
/// order awaits its charge's answer.
async fn order_in_flight(
    app: &TestApp,
    buyer: &bilheteria_testkit::Account,
    hold: &Value,
    token: &str,
) -> bilheteria_store::OrderToSettle {
    let now = app.clock.now();
    let begun = app
        .store
        .begin_order(bilheteria_store::NewOrder {
            id: bilheteria_domain::ids::OrderId::new(),
            user_id: buyer.id.parse().unwrap(),
            idempotency_key: format!("in-flight-{}", hold["id"].as_str().unwrap()),
            fingerprint: vec![1],
            buys: bilheteria_domain::sales::Buys::Hold(
                hold["id"].as_str().unwrap().parse().unwrap(),
            ),
            products: vec![],
            payment_method: bilheteria_domain::sales::PaymentMethod::Card,
            payment_token: token.into(),
            installments: 1,
            client_ip: None,
            now,
            settle_after: now + time::Duration::seconds(60),
        })
        .await
        .unwrap();
    match begun {
        bilheteria_store::BeginOrder::Started(draft) => draft,
        other => panic!("not started: {other:?}"),
    }
}

async fn send_webhook(app: &TestApp, event: &Value) -> StatusCode {
    let body = event.to_string();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    app.request(Method::POST, "/payments/webhook", None)
        .header(
            bilheteria_payments::webhook::SIGNATURE_HEADER,
            bilheteria_payments::webhook::sign(WEBHOOK_SECRET, now, body.as_bytes()),
        )
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap()
        .status()
}

fn succeeded_event(order: &bilheteria_store::OrderToSettle) -> Value {
    json!({"type": "payment_intent.succeeded", "data": {"object": {
        "id": "pi_never_charged", "object": "payment_intent", "status": "succeeded",
        "amount": order.order.total_cents, "currency": "brl",
        "metadata": {"order_id": order.order.id.to_string()}}}})
}

async fn a_signed_webhook_cannot_pay_an_order_the_provider_did_not_charge(db: TestDatabase) {
    let settings = Settings {
        webhook_secret: Some(WEBHOOK_SECRET.into()),
        ..Settings::default()
    };
    let app = TestApp::spawn_with(db, settings).await;
    let sale = on_sale(&app, 10, 10, 5, json!({})).await;
    let buyers = app.buyers(2).await;
    let order_status = |buyer: &bilheteria_testkit::Account,
                        draft: &bilheteria_store::OrderToSettle| {
        let (app, token, id) = (&app, buyer.token.clone(), draft.order.id);
        async move {
            let (_, order) = app.get(&format!("/orders/{id}"), Some(&token)).await;
            assert!(order["tickets"].as_array().unwrap().is_empty(), "{order}");
            order["status"].as_str().unwrap().to_owned()
        }
    };

    // A declining card's charge in flight: a signed "succeeded" for it changes nothing.
    let (_, held) = hold(
        &app,
        &buyers[0].token,
        &sale.session_id,
        json!({"seat_ids": [sale.seat_ids[0]]}),
    )
    .await;
    let in_flight = order_in_flight(&app, &buyers[0], &held, "tok_chargeDeclined").await;
    assert_eq!(
        send_webhook(&app, &succeeded_event(&in_flight)).await,
        StatusCode::OK
    );
    assert_eq!(
        order_status(&buyers[0], &in_flight).await,
        "awaiting_payment"
    );
    // The charge's own answer settles it: declined.
    sales::charge_and_settle(&app.state, &in_flight)
        .await
        .unwrap();
    assert_eq!(order_status(&buyers[0], &in_flight).await, "failed");
    assert_eq!(
        send_webhook(&app, &succeeded_event(&in_flight)).await,
        StatusCode::OK
    );
    assert_eq!(
        order_status(&buyers[0], &in_flight).await,
        "failed",
        "a settled order stays"
    );

    // An order whose outcome is unknown: the hint makes the app ask the provider, who declines.
    let (_, held) = hold(
        &app,
        &buyers[1].token,
        &sale.session_id,
        json!({"seat_ids": [sale.seat_ids[1]]}),
    )
    .await;
    let unknown = order_in_flight(&app, &buyers[1], &held, "tok_chargeDeclined").await;
    sales::settle(
        &app.state,
        &unknown,
        Err(bilheteria_payments::GatewayError::Unknown("lost".into())),
    )
    .await
    .unwrap();
    assert_eq!(order_status(&buyers[1], &unknown).await, "payment_pending");
    assert_eq!(
        send_webhook(&app, &succeeded_event(&unknown)).await,
        StatusCode::OK
    );
    assert_eq!(order_status(&buyers[1], &unknown).await, "failed");

    assert!(
        app.payments
            .provider
            .intents()
            .iter()
            .all(|intent| intent.status != "succeeded"),
        "nothing was captured"
    );
    let report = integrity(&app, &sale).await;
    assert_eq!(
        (
            report["paid_orders"].as_i64(),
            report["settled_ok"].as_bool()
        ),
        (Some(0), Some(true)),
        "{report}"
    );
}

async fn paid_orders_the_provider_does_not_confirm_break_the_integrity_report(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let sale = on_sale(&app, 10, 10, 5, json!({})).await;
    let buyers = app.buyers(2).await;
    // A buyer who really paid: confirmed.
    let (_, held) = hold(
        &app,
        &buyers[0].token,
        &sale.session_id,
        json!({"seat_ids": [sale.seat_ids[0]]}),
    )
    .await;
    let (status, paid) = app
        .order(
            &buyers[0].token,
            "confirmed-0001",
            &order_body(&held["id"], "tok_visa"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{paid}");
    let report = integrity(&app, &sale).await;
    assert_eq!(
        (
            report["paid_orders_unconfirmed"].as_i64(),
            report["settled_ok"].as_bool()
        ),
        (Some(0), Some(true)),
        "{report}"
    );

    // A provider answer about another amount never pays the order.
    let (_, held) = hold(
        &app,
        &buyers[1].token,
        &sale.session_id,
        json!({"seat_ids": [sale.seat_ids[1]]}),
    )
    .await;
    let draft = order_in_flight(&app, &buyers[1], &held, "tok_visa").await;
    let charge = |amount_cents: i64| {
        Ok(bilheteria_payments::ChargeResult::Succeeded(
            bilheteria_payments::Charge {
                reference: "pi_never_charged".into(),
                amount_cents,
                currency: "brl".into(),
                order_id: Some(draft.order.id.to_string()),
            },
        ))
    };
    sales::settle(&app.state, &draft, charge(1)).await.unwrap();
    let order = app.store.get_order(draft.order.id).await.unwrap().unwrap();
    assert_eq!(order.status.as_str(), "payment_pending");

    // Recorded as paid with a payment the provider never made (as the webhook defect could):
    // the report counts it and fails.
    sales::settle(&app.state, &draft, charge(draft.order.total_cents))
        .await
        .unwrap();
    let report = integrity(&app, &sale).await;
    assert_eq!(
        (
            report["paid_orders"].as_i64(),
            report["paid_orders_unconfirmed"].as_i64(),
            report["settled_ok"].as_bool()
        ),
        (Some(2), Some(1), Some(false)),
        "{report}"
    );
}

async fn card_installments_reach_the_provider_and_the_order(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let sale = on_sale(&app, 10, 10, 10, json!({"max_tickets_per_user": 5})).await;
    let buyer = app.account("fan@example.com", &[]).await;
    let (_, held) = hold(
        &app,
        &buyer.token,
        &sale.session_id,
        json!({"seat_ids": [sale.seat_ids[0], sale.seat_ids[1]]}),
    )
    .await;
    let in_parts = |installments: Value| json!({"hold_id": held["id"], "payment": {"method": "card", "token": "tok_visa", "installments": installments}});
    for (bad, key) in [(json!(13), "parcelas-0001"), (json!(0), "parcelas-0002")] {
        let refused = app.order(&buyer.token, key, &in_parts(bad)).await;
        assert_problem(
            &refused,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        );
        assert_eq!(error_fields(&refused.1), ["payment.installments"]);
    }
    let (status, order) = app
        .order(&buyer.token, "parcelas-0003", &in_parts(json!(3)))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{order}");
    assert_eq!(
        (&order["installments"], &order["total_cents"]),
        (&json!(3), &json!(24_000))
    );
    let intent = app
        .payments
        .provider
        .intent(order["payment_reference"].as_str().unwrap())
        .unwrap();
    assert_eq!(
        intent.installments, 3,
        "the provider was asked for three installments"
    );
    let single = app.buy_seat(&sale, &buyer.token, 2, "parcelas-0004").await;
    assert_eq!(single["installments"], 1, "at once by default");
}
