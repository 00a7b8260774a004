//! Face-value resale over real HTTP on both backends: a listing sold through the order path
//! (new holder and code, the seller paid back less the organizer's share, money reconciled),
//! every refusal, and races (buyers on one listing; a transfer against a listing).

use bilheteria_store::on_both_backends;
use bilheteria_store::testing::TestDatabase;
use bilheteria_testkit::{Account, OnSale, TestApp, assert_problem, error_fields, on_sale};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

on_both_backends!(
    a_listing_sells_at_face_value_and_pays_the_seller_back,
    resale_refuses_what_it_must,
    buyers_racing_for_one_listing_leave_one_winner,
    a_transfer_racing_a_listing_leaves_one_winner,
    a_sold_out_sessions_waitlist_is_offered_listings_in_order,
    each_ticket_of_a_mixed_order_has_its_own_face_value,
);

fn id(value: &Value) -> &str {
    value["id"].as_str().expect("id")
}

async fn list(app: &TestApp, seller: &Account, ticket: &Value, price: i64) -> (StatusCode, Value) {
    app.post(
        &format!("/tickets/{}/resale", id(ticket)),
        Some(&seller.token),
        json!({"price_cents": price}),
    )
    .await
}

/// A sale whose organizer keeps 10 % of resales, and two buyers, Ana and Bia.
async fn with_a_resale_fee(app: &TestApp) -> (OnSale, Account, Account) {
    let sale = on_sale(
        app,
        10,
        10,
        10,
        json!({"transfers": {"resale_fee_percent": 10}}),
    )
    .await;
    let ana = app.account("ana@example.com", &[]).await;
    let bia = app.account("bia@example.com", &[]).await;
    (sale, ana, bia)
}

/// The organizer refunds `order`; the provider's record of its charge afterwards.
async fn refund(
    app: &TestApp,
    sale: &OnSale,
    order: &Value,
) -> bilheteria_payments::simulator::Intent {
    let (status, refunded) = app
        .call(
            Method::POST,
            &format!("/orders/{}/refund", id(order)),
            Some(&sale.organizer.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{refunded}");
    app.payments
        .provider
        .intent(order["payment_reference"].as_str().unwrap())
        .unwrap()
}

fn buy_body(listing: &Value, token: &str) -> Value {
    json!({"listing_id": listing["id"], "payment": {"method": "card", "token": token}})
}

async fn integrity(app: &TestApp, sale: &OnSale) -> Value {
    app.get(
        &format!("/sessions/{}/integrity", sale.session_id),
        Some(&sale.organizer.token),
    )
    .await
    .1
}

fn assert_clean(report: &Value) {
    for field in [
        "listings_mismatched",
        "pools_mismatched",
        "allocations_mismatched",
        "transfers_mismatched",
        "seats_sold_twice",
        "seat_status_mismatches",
        "paid_orders_with_wrong_ticket_count",
        "users_over_cap",
    ] {
        assert_eq!(report[field], 0, "{field}: {report}");
    }
    assert_eq!(report["settled_ok"], true, "{report}");
}

async fn a_listing_sells_at_face_value_and_pays_the_seller_back(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let (sale, ana, bia) = with_a_resale_fee(&app).await;
    // Ana bought two seats in one order (R$ 120,00 each).
    let (_, held) = app
        .post(
            &format!("/sessions/{}/holds", sale.session_id),
            Some(&ana.token),
            json!({"seat_ids": [sale.seat_ids[0], sale.seat_ids[1]]}),
        )
        .await;
    let (status, bought) = app
        .order(
            &ana.token,
            "resale-key-0001",
            &bilheteria_testkit::order_body(&held["id"], "tok_visa"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{bought}");
    let ticket = bought["tickets"][0].clone();

    let (status, listing) = list(&app, &ana, &ticket, 10_000).await;
    assert_eq!(status, StatusCode::CREATED, "{listing}");
    assert_eq!(
        (
            &listing["status"],
            &listing["price_cents"],
            &listing["face_value_cents"]
        ),
        (&json!("listed"), &json!(10_000), &json!(12_000))
    );
    let (status, browsing) = app
        .get(&format!("/sessions/{}/resale", sale.session_id), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(browsing["items"][0]["id"], listing["id"], "{browsing}");
    assert_eq!(browsing["items"][0]["seat"]["row"], "R0");

    // Bia buys it through the order path, with an idempotency key.
    let (status, resold) = app
        .order(
            &bia.token,
            "resale-key-0002",
            &buy_body(&listing, "tok_visa"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{resold}");
    assert_eq!(
        (
            &resold["status"],
            &resold["total_cents"],
            &resold["tickets"][0]["id"]
        ),
        (&json!("paid"), &json!(10_000), &ticket["id"])
    );
    let replay = app
        .order(
            &bia.token,
            "resale-key-0002",
            &buy_body(&listing, "tok_visa"),
        )
        .await;
    assert_eq!(
        replay,
        (StatusCode::CREATED, resold.clone()),
        "a retry is told the same"
    );
    let (_, held_now) = app
        .get(&format!("/tickets/{}", id(&ticket)), Some(&bia.token))
        .await;
    assert_eq!(
        (
            &held_now["holder_id"],
            &held_now["version"],
            &held_now["order_id"]
        ),
        (&json!(bia.id), &json!(2), &resold["id"])
    );
    assert_ne!(held_now["code"], ticket["code"]);
    let (status, _) = app
        .get(&format!("/tickets/{}", id(&ticket)), Some(&ana.token))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, closed) = app.get(&format!("/resale/{}", id(&listing)), None).await;
    assert_eq!(closed["status"], "sold");
    let (_, browsing) = app
        .get(&format!("/sessions/{}/resale", sale.session_id), None)
        .await;
    assert_eq!(browsing["items"], json!([]));
    // At the gate, Ana's code is revoked; Bia's lets her in.
    let scan = |code: &Value, nonce: &str| {
        app.post(
            "/checkin",
            Some(&sale.organizer.token),
            json!({"code": code, "gate": "A", "nonce": nonce}),
        )
    };
    assert_problem(
        &scan(&ticket["code"], "resale-scan-1").await,
        StatusCode::GONE,
        "ticket_revoked",
    );

    // Ana is paid back R$ 90,00 (the price less the organizer's 10 %), and the money adds up.
    let report = integrity(&app, &sale).await;
    assert_clean(&report);
    assert_eq!(
        (
            &report["paid_out_cents"],
            &report["charged_cents"],
            &report["paid_order_total_cents"]
        ),
        (&json!(9_000), &json!(34_000), &json!(34_000)),
        "{report}"
    );
    let intent = app
        .payments
        .provider
        .intent(bought["payment_reference"].as_str().unwrap())
        .unwrap();
    assert_eq!(intent.refunded, 9_000, "paid back against Ana's own charge");

    // The organizer refunds Ana's order: only her remaining ticket is given back (R$ 120,00);
    // Bia's ticket is untouched.
    let intent = refund(&app, &sale, &bought).await;
    assert_eq!(intent.refunded, 9_000 + 12_000);
    let (_, still) = app
        .get(&format!("/tickets/{}", id(&ticket)), Some(&bia.token))
        .await;
    assert_eq!(still["status"], "valid");
    let (status, _) = scan(&still["code"], "resale-scan-2").await;
    assert_eq!(status, StatusCode::OK);
    assert_clean(&integrity(&app, &sale).await);
}

async fn resale_refuses_what_it_must(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let sale = on_sale(&app, 10, 10, 10, json!({"max_tickets_per_user": 2})).await;
    let ana = app.account("ana@example.com", &[]).await;
    let bia = app.account("bia@example.com", &[]).await;
    let ticket = app.buy_seat(&sale, &ana.token, 0, "resale-key-0001").await["tickets"][0].clone();

    // Prices: nothing, or above what was paid.
    let free = list(&app, &ana, &ticket, 0).await;
    assert_problem(&free, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(error_fields(&free.1), ["price_cents"]);
    let greedy = list(&app, &ana, &ticket, 12_001).await;
    assert_problem(
        &greedy,
        StatusCode::UNPROCESSABLE_ENTITY,
        "resale_above_face_value",
    );
    assert_eq!(greedy.1["face_value_cents"], 12_000);
    // Not hers to sell.
    assert_problem(
        &list(&app, &bia, &ticket, 100).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );

    // Listed: not twice, not transferred, not bought by herself, not withdrawn by another.
    let (status, listing) = list(&app, &ana, &ticket, 12_000).await;
    assert_eq!(status, StatusCode::CREATED, "{listing}");
    let twice = list(&app, &ana, &ticket, 11_000).await;
    assert_problem(&twice, StatusCode::CONFLICT, "transfer_not_allowed");
    assert_eq!(twice.1["reason"], "listed_for_resale");
    let (_, offered) = app
        .post(
            &format!("/tickets/{}/transfers", id(&ticket)),
            Some(&ana.token),
            json!({"to_email": "bia@example.com"}),
        )
        .await;
    assert_eq!(offered["reason"], "listed_for_resale", "{offered}");
    let own = app
        .order(
            &ana.token,
            "resale-key-0002",
            &buy_body(&listing, "tok_visa"),
        )
        .await;
    assert_problem(&own, StatusCode::CONFLICT, "listing_unavailable");
    let (status, _) = app
        .call(
            Method::DELETE,
            &format!("/resale/{}", id(&listing)),
            Some(&bia.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A declined card leaves the listing on sale; a buyer at the cap is refused and changes
    // nothing.
    let declined = app
        .order(
            &bia.token,
            "resale-key-0003",
            &buy_body(&listing, "tok_chargeDeclined"),
        )
        .await;
    assert_problem(&declined, StatusCode::PAYMENT_REQUIRED, "payment_declined");
    let (_, again) = app.get(&format!("/resale/{}", id(&listing)), None).await;
    assert_eq!(again["status"], "listed");
    let full = app.account("cheia@example.com", &[]).await;
    app.buy_seat(&sale, &full.token, 1, "resale-key-0004").await;
    app.buy_seat(&sale, &full.token, 2, "resale-key-0005").await;
    let capped = app
        .order(
            &full.token,
            "resale-key-0006",
            &buy_body(&listing, "tok_visa"),
        )
        .await;
    assert_problem(
        &capped,
        StatusCode::UNPROCESSABLE_ENTITY,
        "purchase_limit_exceeded",
    );

    // Withdrawn, it cannot be bought; and bad order bodies are named.
    let (status, _) = app
        .call(
            Method::DELETE,
            &format!("/resale/{}", id(&listing)),
            Some(&ana.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let gone = app
        .order(
            &bia.token,
            "resale-key-0007",
            &buy_body(&listing, "tok_visa"),
        )
        .await;
    assert_problem(&gone, StatusCode::CONFLICT, "listing_unavailable");
    let (status, _) = app
        .call(
            Method::DELETE,
            &format!("/resale/{}", id(&listing)),
            Some(&ana.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "withdrawn already");
    let both = app
        .order(&bia.token, "resale-key-0008", &json!({"hold_id": listing["id"], "listing_id": listing["id"], "payment": {"method": "card", "token": "tok_visa"}}))
        .await;
    assert_problem(&both, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let unknown = app
        .order(
            &bia.token,
            "resale-key-0009",
            &buy_body(
                &json!({"id": "0190a0a0-0000-7000-8000-000000000000"}),
                "tok_visa",
            ),
        )
        .await;
    assert_eq!(unknown.0, StatusCode::NOT_FOUND, "{}", unknown.1);

    // A used ticket cannot be listed; nor any ticket of a session closed to changes of hands.
    let (status, _) = app
        .post(
            "/checkin",
            Some(&sale.organizer.token),
            json!({"code": ticket["code"], "gate": "A", "nonce": "resale-scan-1"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let used = list(&app, &ana, &ticket, 100).await;
    assert_eq!(used.1["reason"], "ticket_not_valid", "{}", used.1);
    let closed = on_sale(&app, 10, 10, 10, json!({"transfers": {"enabled": false}})).await;
    let other = app
        .buy_seat(&closed, &bia.token, 0, "resale-key-0010")
        .await["tickets"][0]
        .clone();
    let refused = list(&app, &bia, &other, 100).await;
    assert_eq!(refused.1["reason"], "disabled", "{}", refused.1);
    assert_clean(&integrity(&app, &sale).await);
}

async fn buyers_racing_for_one_listing_leave_one_winner(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let sale = on_sale(&app, 10, 10, 10, json!({})).await;
    let ana = app.account("ana@example.com", &[]).await;
    let ticket = app.buy_seat(&sale, &ana.token, 0, "resale-key-0001").await["tickets"][0].clone();
    let (_, listing) = list(&app, &ana, &ticket, 12_000).await;
    let buyers = app.buyers(8).await;
    let racers: Vec<_> = buyers
        .iter()
        .enumerate()
        .map(|(i, buyer)| {
            let request = app
                .request(Method::POST, "/orders", Some(&buyer.token))
                .header("Idempotency-Key", format!("resale-race-{i:04}"))
                .json(&buy_body(&listing, "tok_visa"));
            tokio::spawn(
                async move { bilheteria_testkit::read(request.send().await.unwrap()).await },
            )
        })
        .collect();
    let mut winners = Vec::new();
    for (i, racer) in racers.into_iter().enumerate() {
        let (status, body) = racer.await.unwrap();
        match status {
            StatusCode::CREATED => winners.push(i),
            StatusCode::CONFLICT => assert_eq!(body["code"], "listing_unavailable", "{body}"),
            other => panic!("{other} {body}"),
        }
    }
    assert_eq!(winners.len(), 1, "one buyer wins: {winners:?}");
    let winner = &buyers[winners[0]];
    let (status, held) = app
        .get(&format!("/tickets/{}", id(&ticket)), Some(&winner.token))
        .await;
    assert_eq!(
        (status, &held["holder_id"]),
        (StatusCode::OK, &json!(winner.id))
    );
    let report = integrity(&app, &sale).await;
    assert_clean(&report);
    assert_eq!(report["paid_out_cents"], 12_000, "paid back once: {report}");
}

async fn a_transfer_racing_a_listing_leaves_one_winner(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let sale = on_sale(&app, 10, 10, 10, json!({"max_tickets_per_user": 10})).await;
    let ana = app.account("ana@example.com", &[]).await;
    app.account("bia@example.com", &[]).await;
    for round in 0..4 {
        let ticket = app
            .buy_seat(&sale, &ana.token, round, &format!("resale-race-{round:04}"))
            .await["tickets"][0]
            .clone();
        let transfer = app
            .request(
                Method::POST,
                &format!("/tickets/{}/transfers", id(&ticket)),
                Some(&ana.token),
            )
            .json(&json!({"to_email": "bia@example.com"}));
        let listing = app
            .request(
                Method::POST,
                &format!("/tickets/{}/resale", id(&ticket)),
                Some(&ana.token),
            )
            .json(&json!({"price_cents": 5_000}));
        let (offered, listed) = tokio::join!(
            async { bilheteria_testkit::read(transfer.send().await.unwrap()).await },
            async { bilheteria_testkit::read(listing.send().await.unwrap()).await },
        );
        let won = [&offered, &listed]
            .iter()
            .filter(|(status, _)| *status == StatusCode::CREATED)
            .count();
        assert_eq!(
            won, 1,
            "one change of hands at a time: {offered:?} {listed:?}"
        );
        for (status, body) in [&offered, &listed] {
            if *status != StatusCode::CREATED {
                assert_eq!(body["code"], "transfer_not_allowed", "{body}");
            }
        }
    }
    assert_clean(&integrity(&app, &sale).await);
}

async fn a_sold_out_sessions_waitlist_is_offered_listings_in_order(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    // The half-price reserve is open to everyone, so full-price buyers can sell the session out.
    let sale = on_sale(
        &app,
        2,
        1,
        10,
        json!({"half_price_release_at": "2020-01-01T00:00:00Z"}),
    )
    .await;
    let ana = app.account("ana@example.com", &[]).await;
    let bia = app.account("bia@example.com", &[]).await;
    let caio = app.account("caio@example.com", &[]).await;
    let waitlist = format!("/sessions/{}/waitlist", sale.session_id);
    let first = app.buy_seat(&sale, &ana.token, 0, "wait-key-0001").await["tickets"][0].clone();
    // One seat and the standing place are still on sale: no waiting yet.
    let early = app
        .call(Method::POST, &waitlist, Some(&bia.token), None)
        .await;
    assert_problem(&early, StatusCode::CONFLICT, "not_sold_out");
    let second = app.buy_seat(&sale, &ana.token, 1, "wait-key-0002").await["tickets"][0].clone();
    let (_, standing) = app
        .post(
            &format!("/sessions/{}/holds", sale.session_id),
            Some(&caio.token),
            json!({"section_id": sale.standing_section, "quantity": 1}),
        )
        .await;
    let (status, _) = app
        .order(
            &caio.token,
            "wait-key-0003",
            &bilheteria_testkit::order_body(&standing["id"], "tok_visa"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);

    // Sold out: Bia, then Dani, wait in line; asking again keeps the place.
    let dani = app.account("dani@example.com", &[]).await;
    let (status, bia_entry) = app
        .call(Method::POST, &waitlist, Some(&bia.token), None)
        .await;
    assert_eq!(
        (status, &bia_entry["position"]),
        (StatusCode::CREATED, &json!(1)),
        "{bia_entry}"
    );
    let (status, dani_entry) = app
        .call(Method::POST, &waitlist, Some(&dani.token), None)
        .await;
    assert_eq!(
        (status, &dani_entry["position"]),
        (StatusCode::CREATED, &json!(2))
    );
    let (status, again) = app
        .call(Method::POST, &waitlist, Some(&bia.token), None)
        .await;
    assert_eq!((status, &again["id"]), (StatusCode::OK, &bia_entry["id"]));

    // Ana lists a seat: it is offered to Bia alone, for a while.
    let (_, listing) = list(&app, &ana, &first, 12_000).await;
    assert!(listing["offered_until"].is_string(), "{listing}");
    let (_, offered) = app.get(&waitlist, Some(&bia.token)).await;
    assert_eq!(
        (&offered["status"], &offered["listing_id"]),
        (&json!("offered"), &listing["id"])
    );
    let (_, dani_sees) = app
        .get(
            &format!("/sessions/{}/resale", sale.session_id),
            Some(&dani.token),
        )
        .await;
    assert_eq!(dani_sees["items"], json!([]), "offered to another");
    let (_, bia_sees) = app
        .get(
            &format!("/sessions/{}/resale", sale.session_id),
            Some(&bia.token),
        )
        .await;
    assert_eq!(bia_sees["items"][0]["id"], listing["id"]);
    let cut_in = app
        .order(
            &dani.token,
            "wait-key-0004",
            &buy_body(&listing, "tok_visa"),
        )
        .await;
    assert_problem(&cut_in, StatusCode::CONFLICT, "listing_unavailable");
    bilheteria_app::workers::deliver_outbox(&app.state)
        .await
        .unwrap();
    let told = app
        .mails()
        .iter()
        .any(|mail| mail.to == "bia@example.com" && mail.subject.contains("reservado para você"));
    assert!(told, "Bia is mailed the offer");

    // Bia lets it pass: it goes to Dani, who buys it.
    app.clock.advance(time::Duration::minutes(16));
    let passed = app
        .store
        .pass_lapsed_offers(bilheteria_domain::clock::Clock::now(app.clock.as_ref()))
        .await
        .unwrap();
    assert_eq!(passed, 1);
    let (status, _) = app.get(&waitlist, Some(&bia.token)).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "Bia's offer lapsed");
    let (_, dani_offer) = app.get(&waitlist, Some(&dani.token)).await;
    assert_eq!(dani_offer["status"], "offered");
    let (status, bought) = app
        .order(
            &dani.token,
            "wait-key-0005",
            &buy_body(&listing, "tok_visa"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{bought}");
    let (status, _) = app.get(&waitlist, Some(&dani.token)).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "served");

    // With nobody waiting, a listing is on sale to everyone and shows on the seat map.
    let (_, open) = list(&app, &ana, &second, 11_000).await;
    assert_eq!(open["offered_until"], Value::Null);
    let (_, map) = app
        .get(&format!("/sessions/{}/seats", sale.session_id), None)
        .await;
    assert_eq!(
        map["sections"][0]["resale"],
        json!({"listed": 1, "from_price_cents": 11_000}),
        "{map}"
    );
    let (status, _) = app
        .call(Method::DELETE, &waitlist, Some(&caio.token), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "Caio never waited");
    assert_clean(&integrity(&app, &sale).await);
}

/// One standing order of a full place (R$ 60,00) and a half one (R$ 30,00): each ticket's face
/// value is its own, so the half ticket cannot be resold at the full price, and the refund of
/// the order after the half ticket's resale keeps back exactly what the resale paid for it.
async fn each_ticket_of_a_mixed_order_has_its_own_face_value(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let (sale, ana, bia) = with_a_resale_fee(&app).await;
    let (status, held) = app
        .post(
            &format!("/sessions/{}/holds", sale.session_id),
            Some(&ana.token),
            json!({"section_id": sale.standing_section, "quantity": 2,
                   "half_price_quantity": 1, "eligibility": "student"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{held}");
    let (status, bought) = app
        .order(
            &ana.token,
            "mixed-face-0001",
            &bilheteria_testkit::order_body(&held["id"], "tok_visa"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{bought}");
    assert_eq!(bought["total_cents"], 9_000);
    let of_type = |kind: &str| {
        bought["tickets"]
            .as_array()
            .expect("tickets")
            .iter()
            .find(|t| t["ticket_type"] == kind)
            .expect("a ticket of each type")
            .clone()
    };
    let (half, full) = (of_type("half"), of_type("full"));
    assert_eq!(
        (&half["face_value_cents"], &full["face_value_cents"]),
        (&json!(3_000), &json!(6_000))
    );
    let (_, read) = app
        .get(&format!("/tickets/{}", id(&half)), Some(&ana.token))
        .await;
    assert_eq!(read["face_value_cents"], 3_000, "{read}");

    let greedy = list(&app, &ana, &half, 3_001).await;
    assert_problem(
        &greedy,
        StatusCode::UNPROCESSABLE_ENTITY,
        "resale_above_face_value",
    );
    assert_eq!(greedy.1["face_value_cents"], 3_000);
    let (status, at_full) = list(&app, &ana, &full, 6_000).await;
    assert_eq!(status, StatusCode::CREATED, "{at_full}");
    let (status, _) = app
        .call(
            Method::DELETE,
            &format!("/resale/{}", id(&at_full)),
            Some(&ana.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    // Bia buys the half ticket at its face value; it is hers at what she paid.
    let (status, listing) = list(&app, &ana, &half, 3_000).await;
    assert_eq!(
        (status, &listing["face_value_cents"]),
        (StatusCode::CREATED, &json!(3_000))
    );
    let (status, resold) = app
        .order(
            &bia.token,
            "mixed-face-0002",
            &buy_body(&listing, "tok_visa"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{resold}");
    let (_, hers) = app
        .get(&format!("/tickets/{}", id(&half)), Some(&bia.token))
        .await;
    assert_eq!(hers["face_value_cents"], 3_000, "{hers}");

    // Refunding Ana's order gives back her full ticket (R$ 60,00) on top of the payout of the
    // half one (R$ 27,00: R$ 30,00 less 10 %).
    let intent = refund(&app, &sale, &bought).await;
    assert_eq!(intent.refunded, 2_700 + 6_000);
    assert_clean(&integrity(&app, &sale).await);
}
