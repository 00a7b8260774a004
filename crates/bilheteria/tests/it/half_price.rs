//! Meia-entrada over real HTTP on both backends: half-price places chosen when holding, priced
//! and issued as such, checked at the gate; the quota reserved for half-price buyers and never
//! passed, however holds race; the reserve opened to everyone when the organizer says.

use bilheteria_store::on_both_backends;
use bilheteria_store::testing::TestDatabase;
use bilheteria_testkit::{OnSale, TestApp, assert_problem, error_fields, on_sale, order_body};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

on_both_backends!(
    half_price_tickets_cost_half_say_so_and_are_checked_at_the_gate,
    the_quota_is_kept_for_half_price_buyers,
    an_opened_reserve_sells_to_everyone,
    racing_buyers_never_pass_the_quota_nor_take_the_reserve,
);

async fn hold(app: &TestApp, token: &str, sale: &OnSale, body: Value) -> (StatusCode, Value) {
    app.post(
        &format!("/sessions/{}/holds", sale.session_id),
        Some(token),
        body,
    )
    .await
}

async fn half_price(app: &TestApp, sale: &OnSale) -> Value {
    let (status, map) = app
        .get(&format!("/sessions/{}/seats", sale.session_id), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{map}");
    let (_, session) = app
        .get(&format!("/sessions/{}", sale.session_id), None)
        .await;
    assert_eq!(
        session["half_price"], map["half_price"],
        "the session and its seat map show the same reserve"
    );
    map["half_price"].clone()
}

async fn integrity(app: &TestApp, sale: &OnSale) -> Value {
    let (status, report) = app
        .get(
            &format!("/sessions/{}/integrity", sale.session_id),
            Some(&sale.organizer.token),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    for field in [
        "pools_mismatched",
        "half_price_quota_exceeded",
        "reserve_taken_before_release",
        "allocations_mismatched",
        "standing_oversold_sections",
        "seats_sold_twice",
    ] {
        assert_eq!(report[field], 0, "{field}: {report}");
    }
    assert_eq!(report["settled_ok"], true, "{report}");
    report
}

fn standing(sale: &OnSale, quantity: i64, half: i64, eligibility: Option<&str>) -> Value {
    let mut body = json!({"section_id": sale.standing_section, "quantity": quantity});
    if half > 0 {
        body["half_price_quantity"] = json!(half);
    }
    if let Some(ground) = eligibility {
        body["eligibility"] = json!(ground);
    }
    body
}

async fn half_price_tickets_cost_half_say_so_and_are_checked_at_the_gate(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    // 10 seats and 10 standing places: 40 % of 20 reserved, 8 places.
    let sale = on_sale(&app, 10, 10, 10, json!({})).await;
    let ana = app.account("ana@example.com", &[]).await;
    let (s0, s1) = (&sale.seat_ids[0], &sale.seat_ids[1]);

    let unproven = hold(
        &app,
        &ana.token,
        &sale,
        json!({"seat_ids": [s0, s1], "half_price_seat_ids": [s1]}),
    )
    .await;
    assert_problem(
        &unproven,
        StatusCode::UNPROCESSABLE_ENTITY,
        "eligibility_required",
    );
    let stray = hold(
        &app,
        &ana.token,
        &sale,
        json!({"seat_ids": [s0], "half_price_seat_ids": [s1], "eligibility": "student"}),
    )
    .await;
    assert_eq!(
        error_fields(&stray.1),
        ["half_price_seat_ids"],
        "{}",
        stray.1
    );
    let unknown_ground = hold(
        &app,
        &ana.token,
        &sale,
        json!({"seat_ids": [s0], "half_price_seat_ids": [s0], "eligibility": "vip"}),
    )
    .await;
    assert_eq!(unknown_ground.0, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        half_price(&app, &sale).await,
        json!({"quota": 8, "sold": 0, "held": 0, "available": 8, "total_places": 20, "quota_percent": 40}),
        "nothing was held by the refused requests"
    );

    let (status, held) = hold(
        &app,
        &ana.token,
        &sale,
        json!({"seat_ids": [s0, s1], "half_price_seat_ids": [s1], "eligibility": "student"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{held}");
    assert_eq!(held["half_price_seat_ids"], json!([s1]));
    assert_eq!(held["eligibility"], "student");
    let reserve = half_price(&app, &sale).await;
    assert_eq!(
        (&reserve["held"], &reserve["available"]),
        (&json!(1), &json!(7))
    );

    let (status, order) = app
        .order(
            &ana.token,
            "meia-0001",
            &order_body(&held["id"], "tok_visa"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{order}");
    // Plateia costs R$ 120,00: one full, one half.
    assert_eq!(order["total_cents"], 18_000);
    let half_item = order["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|item| item["ticket_type"] == "half")
        .expect("a half-price line");
    assert_eq!(half_item["unit_price_cents"], 6_000);
    assert_eq!(half_item["eligibility"], "student");
    assert!(
        half_item["description"]
            .as_str()
            .unwrap()
            .contains("meia-entrada")
    );
    let tickets = order["tickets"].as_array().unwrap();
    let half = tickets.iter().find(|t| t["seat_id"] == *s1).unwrap();
    let full = tickets.iter().find(|t| t["seat_id"] == *s0).unwrap();
    assert_eq!(
        (&half["ticket_type"], &half["eligibility"]),
        (&json!("half"), &json!("student"))
    );
    assert_eq!(
        (&full["ticket_type"], &full["eligibility"]),
        (&json!("full"), &Value::Null)
    );
    let (_, read_back) = app
        .get(
            &format!("/tickets/{}", half["id"].as_str().unwrap()),
            Some(&ana.token),
        )
        .await;
    assert_eq!(read_back["ticket_type"], "half");
    let reserve = half_price(&app, &sale).await;
    assert_eq!(
        (&reserve["sold"], &reserve["held"], &reserve["available"]),
        (&json!(1), &json!(0), &json!(7))
    );

    // The gate is told to see the student ID of the half-price ticket only.
    let staff = app.account("porteiro@example.com", &[]).await;
    let (status, _) = app
        .post(
            &format!("/events/{}/staff", sale.event_id),
            Some(&sale.organizer.token),
            json!({"email": staff.email}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    for (ticket, document) in [(half, true), (full, false)] {
        let (status, admitted) = app
            .post(
                "/checkin",
                Some(&staff.token),
                json!({"code": ticket["code"], "gate": "A", "nonce": format!("n-{}", ticket["id"].as_str().unwrap())}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{admitted}");
        assert_eq!(admitted["check_document"], document, "{admitted}");
        assert_eq!(admitted["ticket_type"], ticket["ticket_type"]);
        if document {
            assert_eq!(admitted["eligibility"], "student");
            assert!(admitted["document"].as_str().unwrap().contains("CIE"));
        }
    }
    let report = integrity(&app, &sale).await;
    assert_eq!(
        (&report["half_price_quota"], &report["half_price_sold"]),
        (&json!(8), &json!(1))
    );

    // A refund gives the half-price place back to the reserve.
    let refund = format!("/orders/{}/refund", order["id"].as_str().unwrap());
    let (status, _) = app
        .call(Method::POST, &refund, Some(&sale.organizer.token), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(half_price(&app, &sale).await["available"], 8);
    integrity(&app, &sale).await;
}

async fn the_quota_is_kept_for_half_price_buyers(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let sale = on_sale(&app, 10, 10, 10, json!({"max_tickets_per_user": 20})).await;
    let (half_buyer, full_buyer) = (
        app.account("estudante@example.com", &[]).await,
        app.account("inteira@example.com", &[]).await,
    );
    // The quota is 8: nine half-price places are refused whole.
    assert_problem(
        &hold(
            &app,
            &half_buyer.token,
            &sale,
            standing(&sale, 9, 9, Some("pcd")),
        )
        .await,
        StatusCode::CONFLICT,
        "half_price_sold_out",
    );
    let (status, _) = hold(
        &app,
        &half_buyer.token,
        &sale,
        standing(&sale, 4, 4, Some("pcd")),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    // 12 open places: the ten seats and two standing ones, at full price.
    let (status, seats) = hold(
        &app,
        &full_buyer.token,
        &sale,
        json!({"seat_ids": sale.seat_ids}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{seats}");
    let (status, _) = hold(&app, &full_buyer.token, &sale, standing(&sale, 2, 0, None)).await;
    assert_eq!(status, StatusCode::CREATED);
    // Four standing places are left, all in the reserve: not for full price, nor for seniors,
    // whose half price is outside the quota.
    let full = hold(&app, &full_buyer.token, &sale, standing(&sale, 1, 0, None)).await;
    assert_problem(&full, StatusCode::CONFLICT, "sold_out");
    assert!(
        full.1["detail"].as_str().unwrap().contains("meia-entrada"),
        "{}",
        full.1
    );
    assert_problem(
        &hold(
            &app,
            &full_buyer.token,
            &sale,
            standing(&sale, 1, 1, Some("senior")),
        )
        .await,
        StatusCode::CONFLICT,
        "sold_out",
    );
    let (status, youth) = hold(
        &app,
        &half_buyer.token,
        &sale,
        standing(&sale, 4, 4, Some("youth_low_income")),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{youth}");
    assert_eq!(
        half_price(&app, &sale).await,
        json!({"quota": 8, "sold": 0, "held": 8, "available": 0, "total_places": 20, "quota_percent": 40})
    );
    // Releasing the full-price seats gives them back to the open places.
    let (status, _) = app
        .call(
            Method::DELETE,
            &format!("/holds/{}", seats["id"].as_str().unwrap()),
            Some(&full_buyer.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, senior) = hold(
        &app,
        &full_buyer.token,
        &sale,
        json!({"seat_ids": [sale.seat_ids[0]], "half_price_seat_ids": [sale.seat_ids[0]], "eligibility": "senior"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{senior}");
    let (status, order) = app
        .order(
            &full_buyer.token,
            "idoso-0001",
            &order_body(&senior["id"], "tok_visa"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{order}");
    assert_eq!(order["total_cents"], 6_000, "seniors pay half");
    assert_eq!(
        half_price(&app, &sale).await["held"],
        8,
        "outside the quota"
    );
    integrity(&app, &sale).await;

    // A session cannot reserve less than the law's 40 %.
    let (status, problem) = app
        .post(
            &format!("/events/{}/sessions", sale.event_id),
            Some(&sale.organizer.token),
            json!({"starts_at": "2030-01-01T20:00:00Z", "half_price_quota_percent": 30,
                   "categories": [{"name": "Pista", "price_cents": 100, "section_ids": [sale.standing_section]}]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_fields(&problem), ["half_price_quota_percent"]);
}

async fn an_opened_reserve_sells_to_everyone(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let sale = on_sale(
        &app,
        10,
        10,
        10,
        json!({"max_tickets_per_user": 20, "half_price_release_at": "2020-01-01T00:00:00Z"}),
    )
    .await;
    let buyer = app.account("inteira@example.com", &[]).await;
    let (status, seats) = hold(
        &app,
        &buyer.token,
        &sale,
        json!({"seat_ids": sale.seat_ids}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{seats}");
    // Two open places are left, and eight of the reserve: a hold of ten takes both.
    let (status, places) = hold(&app, &buyer.token, &sale, standing(&sale, 10, 0, None)).await;
    assert_eq!(status, StatusCode::CREATED, "{places}");
    for (i, held) in [seats, places].iter().enumerate() {
        let (status, order) = app
            .order(
                &buyer.token,
                &format!("aberta-000{i}"),
                &order_body(&held["id"], "tok_visa"),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{order}");
    }
    let reserve = half_price(&app, &sale).await;
    assert_eq!(
        (&reserve["sold"], &reserve["available"]),
        (&json!(8), &json!(0))
    );
    let report = integrity(&app, &sale).await;
    assert_eq!(report["half_price_sold"], 0, "sold at full price");
}

const RACERS: usize = 60;

/// 100 places (10 seats, 90 standing), 40 reserved. Sixty students and sixty full-price buyers
/// race to hold two standing places each, then pay: at most 20 students (the reserve) and 30
/// full-price buyers (the open places, seats included) can win, a loser lost only to a pool or
/// section really full, and the counts agree everywhere.
async fn racing_buyers_never_pass_the_quota_nor_take_the_reserve(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let sale = on_sale(&app, 10, 90, 10, json!({})).await;
    let students = app.buyers(RACERS).await;
    let others = app.buyers(RACERS).await;
    let mut tasks = Vec::new();
    for (i, buyer) in students.iter().chain(others.iter()).enumerate() {
        let half = i < RACERS;
        let body = if half {
            standing(&sale, 2, 2, Some("student"))
        } else {
            standing(&sale, 2, 0, None)
        };
        let (client, base, token) = (
            app.client.clone(),
            format!("{}/api/v1", app.base),
            buyer.token.clone(),
        );
        let session = sale.session_id.clone();
        tasks.push(tokio::spawn(async move {
            let response = client
                .post(format!("{base}/sessions/{session}/holds"))
                .bearer_auth(&token)
                .json(&body)
                .send()
                .await
                .unwrap();
            let (status, held) = bilheteria_testkit::read(response).await;
            if status != StatusCode::CREATED {
                let code = held["code"].as_str().unwrap_or_default().to_owned();
                assert!(
                    code == "sold_out" || (half && code == "half_price_sold_out"),
                    "{held}"
                );
                return (half, Some(code), None);
            }
            let response = client
                .post(format!("{base}/orders"))
                .bearer_auth(&token)
                .header("Idempotency-Key", format!("race-{i:04}"))
                .json(&order_body(&held["id"], "tok_visa"))
                .send()
                .await
                .unwrap();
            let (status, order) = bilheteria_testkit::read(response).await;
            assert_eq!(status, StatusCode::CREATED, "{order}");
            (half, None, Some(order))
        }));
    }
    let (mut half_won, mut full_won, mut reserve_full, mut section_full) = (0, 0, false, false);
    for task in tasks {
        match task.await.unwrap() {
            (true, _, Some(order)) => {
                assert_eq!(order["total_cents"], 6_000, "two half-price places");
                half_won += 1;
            }
            (false, _, Some(order)) => {
                assert_eq!(order["total_cents"], 12_000);
                full_won += 1;
            }
            (_, Some(code), None) => {
                reserve_full |= code == "half_price_sold_out";
                section_full |= code == "sold_out";
            }
            _ => unreachable!(),
        }
    }
    assert!(
        half_won <= 20,
        "{half_won} students took more than the reserve"
    );
    assert!(
        full_won <= 30,
        "{full_won} full-price buyers took more than the open places"
    );
    assert!(half_won + full_won <= 45, "the standing section holds 90");
    if reserve_full {
        assert_eq!(
            half_won, 20,
            "a student was refused while the reserve had room"
        );
    }
    assert!(
        section_full,
        "60 full-price buyers cannot all fit in 60 open places with seats among them"
    );
    assert!(
        half_won == 20 || half_won + full_won == 45,
        "students lost although the reserve and the section had room ({half_won}, {full_won})"
    );
    let reserve = half_price(&app, &sale).await;
    assert_eq!(reserve["sold"], 2 * half_won);
    assert_eq!(reserve["available"], 40 - 2 * half_won);
    assert_eq!(reserve["held"], 0);
    let report = integrity(&app, &sale).await;
    assert_eq!(report["half_price_sold"], 2 * half_won);
    assert_eq!(report["paid_orders"], half_won + full_won);
}
