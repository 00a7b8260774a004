//! The stampede: 200 buyers race over real HTTP for 50 seats and a 30-place standing section,
//! on each backend, with declines, lost answers and duplicated requests. Afterwards every
//! invariant is checked from three sides: the database's own integrity report, the API as each
//! buyer sees it, and the payment provider's ledger.

use bilheteria_app::{sales, workers};
use bilheteria_domain::account::Role;
use bilheteria_store::on_both_backends;
use bilheteria_store::testing::TestDatabase;
use bilheteria_testkit::{TestApp, on_sale, order_body};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::HashMap;

on_both_backends!(
    two_hundred_buyers_race_for_fifty_seats_and_nothing_is_sold_twice,
    racing_orders_drain_sliced_places_and_stock_to_the_unit
);

const BUYERS: usize = 200;
const SEATS: usize = 50;
const STANDING: i64 = 30;

#[derive(Debug, Default)]
struct Outcome {
    keys_used: usize,
    statuses: Vec<u16>,
}

async fn call(
    client: &reqwest::Client,
    method: Method,
    url: String,
    token: &str,
    key: Option<&str>,
    body: Option<&Value>,
) -> (StatusCode, Value) {
    let mut request = client.request(method, url).bearer_auth(token);
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    if let Some(body) = body {
        request = request.json(body);
    }
    bilheteria_testkit::read(request.send().await.unwrap()).await
}

async fn two_hundred_buyers_race_for_fifty_seats_and_nothing_is_sold_twice(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let sale = on_sale(&app, SEATS, STANDING, 40, json!({})).await;
    let buyers = app.buyers(BUYERS).await;
    let session = sale.session_id.clone();

    let mut tasks = Vec::new();
    for (i, buyer) in buyers.iter().enumerate() {
        let client = app.client.clone();
        let token = buyer.token.clone();
        let base = format!("{}/api/v1", app.base);
        let (session, standing, product) = (
            session.clone(),
            sale.standing_section.clone(),
            sale.product_id.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut rng = StdRng::seed_from_u64(i as u64);
            let mut outcome = Outcome::default();
            let (status, map) = call(
                &client,
                Method::GET,
                format!("{base}/sessions/{session}/seats"),
                &token,
                None,
                None,
            )
            .await;
            assert_eq!(status, StatusCode::OK, "{map}");
            let hold_body = if rng.random_bool(0.7) {
                let mut free: Vec<String> = map["sections"][0]["seats"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|s| s["status"] == "available")
                    .map(|s| s["id"].as_str().unwrap().to_owned())
                    .collect();
                if free.is_empty() {
                    free = map["sections"][0]["seats"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|s| s["id"].as_str().unwrap().to_owned())
                        .collect();
                }
                free.shuffle(&mut rng);
                free.truncate(rng.random_range(1..=2));
                json!({"seat_ids": free})
            } else {
                json!({"section_id": standing, "quantity": rng.random_range(1..=2)})
            };
            let (status, held) = call(
                &client,
                Method::POST,
                format!("{base}/sessions/{session}/holds"),
                &token,
                None,
                Some(&hold_body),
            )
            .await;
            outcome.statuses.push(status.as_u16());
            if status != StatusCode::CREATED {
                assert!(
                    matches!(held["code"].as_str(), Some("seat_unavailable" | "sold_out")),
                    "a hold may only lose the race: {held}"
                );
                return outcome;
            }
            let payment = match i % 10 {
                0 => "tok_chargeDeclined",
                1 => "tok_timeout",
                _ => "tok_visa",
            };
            let mut body = order_body(&held["id"], payment);
            if i % 4 == 0 {
                body["products"] = json!([{"product_id": product, "quantity": 1}]);
            }
            let key = format!("race-{i:04}-a");
            outcome.keys_used += 1;
            let url = format!("{base}/orders");
            let (status, first) = if i % 7 == 0 {
                // The same request twice at once: one order, one charge.
                let (a, b) = tokio::join!(
                    call(
                        &client,
                        Method::POST,
                        url.clone(),
                        &token,
                        Some(&key),
                        Some(&body)
                    ),
                    call(
                        &client,
                        Method::POST,
                        url.clone(),
                        &token,
                        Some(&key),
                        Some(&body)
                    ),
                );
                for (status, body) in [&a, &b] {
                    assert!(
                        [201, 202, 402, 409, 410].contains(&status.as_u16()),
                        "duplicate attempt answered {status}: {body}"
                    );
                }
                if a.0 == StatusCode::CONFLICT { b } else { a }
            } else {
                call(
                    &client,
                    Method::POST,
                    url.clone(),
                    &token,
                    Some(&key),
                    Some(&body),
                )
                .await
            };
            outcome.statuses.push(status.as_u16());
            if status == StatusCode::PAYMENT_REQUIRED {
                // Declined: the hold stays, so paying again with another card works.
                let retry = order_body(&held["id"], "tok_visa");
                outcome.keys_used += 1;
                let (status, paid) = call(
                    &client,
                    Method::POST,
                    url,
                    &token,
                    Some(&format!("race-{i:04}-b")),
                    Some(&retry),
                )
                .await;
                assert!(
                    status == StatusCode::CREATED || paid["code"] == "out_of_stock",
                    "{paid}"
                );
                outcome.statuses.push(status.as_u16());
            } else {
                assert!(
                    [201, 202].contains(&status.as_u16()) || first["code"] == "out_of_stock",
                    "{status} {first}"
                );
            }
            outcome
        }));
    }
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.unwrap());
    }

    // Lost answers settle through reconciliation; then every lapsed hold is swept.
    app.clock.advance(time::Duration::seconds(10));
    sales::reconcile(&app.state).await.unwrap();
    app.clock.advance(time::Duration::minutes(11));
    workers::sweep_holds(&app.state).await.unwrap();

    // 1. The database's own accounting.
    let (status, report) = app
        .get(
            &format!("/sessions/{session}/integrity"),
            Some(&sale.organizer.token),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(report["settled_ok"], true, "{report:#}");
    let tickets = report["tickets_valid"].as_i64().unwrap();
    assert!(
        tickets > 0 && tickets <= SEATS as i64 + STANDING,
        "{tickets} tickets"
    );

    // 2. What the buyers see: nobody over the cap, at most one order per key, every paid order
    //    with its tickets, no order left unsettled.
    let mut seat_owner: HashMap<String, String> = HashMap::new();
    let mut standing_sold = 0;
    let mut paid_total = 0;
    for (buyer, outcome) in buyers.iter().zip(&outcomes) {
        let (_, mine) = app.get("/tickets?limit=200", Some(&buyer.token)).await;
        let mine = mine["items"].as_array().unwrap();
        assert!(
            mine.len() <= 2,
            "{} holds {} tickets",
            buyer.email,
            mine.len()
        );
        for ticket in mine {
            match ticket["seat_id"].as_str() {
                Some(seat) => {
                    assert!(
                        seat_owner
                            .insert(seat.to_owned(), buyer.id.clone())
                            .is_none(),
                        "seat {seat} sold twice"
                    );
                }
                None => standing_sold += 1,
            }
        }
        let (_, orders) = app.get("/orders?limit=200", Some(&buyer.token)).await;
        let orders = orders["items"].as_array().unwrap();
        assert!(
            orders.len() <= outcome.keys_used,
            "one order per idempotency key at most"
        );
        for order in orders {
            let status = order["status"].as_str().unwrap();
            assert!(
                ["paid", "failed"].contains(&status),
                "left unsettled: {order}"
            );
            if status == "paid" {
                assert!(!order["tickets"].as_array().unwrap().is_empty());
                paid_total += order["total_cents"].as_i64().unwrap();
            }
        }
    }
    assert!(standing_sold <= STANDING);
    assert_eq!(seat_owner.len() as i64 + standing_sold, tickets);

    // 3. The money: one charge per order, and what was captured is what paid orders cost.
    let intents = app.payments.provider.intents();
    let captured: i64 = intents
        .iter()
        .filter(|i| i.status == "succeeded")
        .map(|i| i.amount - i.refunded)
        .sum();
    assert_eq!(captured, paid_total, "money reconciles");
    assert_eq!(
        report["paid_order_total_cents"].as_i64().unwrap(),
        paid_total
    );
    let mut orders_charged: Vec<&str> = intents.iter().map(|i| i.order_id.as_str()).collect();
    orders_charged.sort();
    let before = orders_charged.len();
    orders_charged.dedup();
    assert_eq!(before, orders_charged.len(), "no order was charged twice");

    // 4. Nothing is left held: declined and expired attempts gave their places back.
    let (_, map) = app.get(&format!("/sessions/{session}/seats"), None).await;
    let seats = map["sections"][0]["seats"].as_array().unwrap();
    assert!(seats.iter().all(|s| s["status"] != "held"));
    assert_eq!(
        seats.iter().filter(|s| s["status"] == "sold").count(),
        seat_owner.len()
    );
    assert_eq!(
        map["sections"][1]["available"].as_i64().unwrap(),
        STANDING - standing_sold
    );
    // 5. The audit chain holds each paid order once (queued by the settlement, chained after)
    //    and still verifies.
    let admin = app.account("auditor@example.com", &[Role::Admin]).await;
    let (_, audited) = app
        .get(
            "/admin/audit?action=order.paid&limit=200",
            Some(&admin.token),
        )
        .await;
    let mut audited: Vec<&str> = audited["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["target_id"].as_str().unwrap())
        .collect();
    let entries = audited.len();
    audited.sort();
    audited.dedup();
    assert_eq!(entries, audited.len(), "an order audited twice");
    assert_eq!(entries as i64, report["paid_orders"].as_i64().unwrap());
    let (_, verification) = app.get("/admin/audit/verify", Some(&admin.token)).await;
    assert_eq!(verification["ok"], true, "{verification}");

    let statuses: Vec<u16> = outcomes.iter().flat_map(|o| o.statuses.clone()).collect();
    let mut histogram: std::collections::BTreeMap<u16, usize> = std::collections::BTreeMap::new();
    statuses
        .iter()
        .for_each(|s| *histogram.entry(*s).or_default() += 1);
    eprintln!(
        "race on {}: {tickets} tickets ({} seats, {standing_sold} standing), answers {histogram:?}, {} charges",
        app.db.backend.as_str(),
        seat_owner.len(),
        intents.len()
    );
    assert!(statuses.contains(&409), "the race had losers");
    assert!(
        statuses.contains(&402) && statuses.contains(&202),
        "declines and lost answers were exercised"
    );
}

/// A product's stock and a standing section's places live in slices (256 units: four of 64).
/// Buyers race to hold 3 places each and to order 4 units, more than there is of either: every
/// unit is sold once, and each counter runs out only when too few units are left in all, which
/// needs the last buyers to draw from several slices.
async fn racing_orders_drain_sliced_places_and_stock_to_the_unit(db: TestDatabase) {
    const UNITS: i64 = 256;
    const PLACES_EACH: i64 = 3;
    const STOCK_EACH: i64 = 4;
    let app = TestApp::spawn(db).await;
    // The organizer opened the half-price reserve to everyone: full-price holds drain the open
    // places, then the reserve, to the unit too.
    let sale = on_sale(
        &app,
        10,
        UNITS,
        UNITS,
        json!({"max_tickets_per_user": 4, "half_price_release_at": "2020-01-01T00:00:00Z"}),
    )
    .await;
    let buyers = app.buyers(110).await;
    let base = format!("{}/api/v1", app.base);
    let mut tasks = Vec::new();
    for (i, buyer) in buyers.iter().enumerate() {
        let (client, token, base) = (app.client.clone(), buyer.token.clone(), base.clone());
        let (session, standing, product) = (
            sale.session_id.clone(),
            sale.standing_section.clone(),
            sale.product_id.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let (status, held) = call(
                &client,
                Method::POST,
                format!("{base}/sessions/{session}/holds"),
                &token,
                None,
                Some(&json!({"section_id": standing, "quantity": PLACES_EACH})),
            )
            .await;
            match status {
                StatusCode::CREATED => {}
                StatusCode::CONFLICT if held["code"] == "sold_out" => return (0, 0),
                _ => panic!("{status} {held}"),
            }
            let mut body = order_body(&held["id"], "tok_visa");
            body["products"] = json!([{"product_id": product, "quantity": STOCK_EACH}]);
            let key = format!("stock-{i:04}");
            let (status, order) = call(
                &client,
                Method::POST,
                format!("{base}/orders"),
                &token,
                Some(&key),
                Some(&body),
            )
            .await;
            match status {
                StatusCode::CREATED => (1, STOCK_EACH),
                // The hold keeps its places: the buyer could pay without the product.
                StatusCode::CONFLICT if order["code"] == "out_of_stock" => (1, 0),
                _ => panic!("{status} {order}"),
            }
        }));
    }
    let (mut holds, mut units_sold) = (0, 0);
    for task in tasks {
        let (held, sold) = task.await.unwrap();
        holds += held;
        units_sold += sold;
    }
    let (status, product) = app
        .get(&format!("/products/{}", sale.product_id), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let left = product["stock"].as_i64().unwrap();
    assert_eq!(
        units_sold + left,
        UNITS,
        "every unit sold once or still in stock"
    );
    assert!(left < STOCK_EACH, "out of stock with {left} units left");
    let (_, map) = app
        .get(&format!("/sessions/{}/seats", sale.session_id), None)
        .await;
    let free = map["sections"][1]["available"].as_i64().unwrap();
    assert_eq!(
        free,
        UNITS - holds * PLACES_EACH,
        "every place held or sold once"
    );
    assert!(free < PLACES_EACH, "sold out with {free} places left");
    let (_, report) = app
        .get(
            &format!("/sessions/{}/integrity", sale.session_id),
            Some(&sale.organizer.token),
        )
        .await;
    assert_eq!(report["settled_ok"], true, "{report:#}");
}
