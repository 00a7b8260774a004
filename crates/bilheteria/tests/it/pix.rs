//! Pix over real HTTP on both backends, with the in-process simulated provider: an order waits
//! with its BR Code until the buyer's bank pays it, or fails when its Pix expires and gives its
//! places back; an expiry racing the payment settles each order once (paid, or failed and
//! refunded) and the money reconciles.

use bilheteria_app::sales;
use bilheteria_domain::clock::Clock;
use bilheteria_domain::pix::read_br_code;
use bilheteria_store::on_both_backends;
use bilheteria_store::testing::TestDatabase;
use bilheteria_testkit::{OnSale, TestApp, assert_problem, error_fields, on_sale};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

on_both_backends!(
    a_pix_order_waits_for_the_bank_and_is_paid,
    an_unpaid_pix_expires_and_releases_its_places,
    pix_expiry_racing_its_payment_settles_each_order_once,
);

fn pix_body(hold: &Value) -> Value {
    json!({"hold_id": hold["id"], "payment": {"method": "pix"}})
}

async fn hold_seat(app: &TestApp, sale: &OnSale, token: &str, seat: usize) -> Value {
    let (status, held) = app
        .post(
            &format!("/sessions/{}/holds", sale.session_id),
            Some(token),
            json!({"seat_ids": [sale.seat_ids[seat]]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{held}");
    held
}

fn order_id(answer: &Value) -> String {
    answer["order_id"].as_str().expect("order id").to_owned()
}

async fn pay(app: &TestApp, token: &str, order: &str) -> (StatusCode, Value) {
    app.call(
        Method::POST,
        &format!("/orders/{order}/pix/pay"),
        Some(token),
        None,
    )
    .await
}

async fn a_pix_order_waits_for_the_bank_and_is_paid(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let sale = on_sale(&app, 10, 10, 10, json!({})).await;
    let ana = app.account("ana@example.com", &[]).await;
    let held = hold_seat(&app, &sale, &ana.token, 0).await;

    let mut with_token = pix_body(&held);
    with_token["payment"]["token"] = json!("tok_visa");
    let refused = app.order(&ana.token, "pix-bad-0001", &with_token).await;
    assert_eq!(error_fields(&refused.1), ["payment.token"], "{}", refused.1);

    let (status, waiting) = app.order(&ana.token, "pix-0001", &pix_body(&held)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{waiting}");
    assert_eq!(waiting["code"], "payment_pending");
    assert_eq!(waiting["order"]["status"], "payment_pending");
    assert_eq!(waiting["order"]["payment_method"], "pix");
    let code = waiting["pix"]["copy_paste"].as_str().unwrap();
    let fields = read_br_code(code).expect("a BR Code with a good CRC");
    let amount = fields.iter().find(|(id, _)| id == "54").unwrap();
    assert_eq!(amount.1, "120.00", "Plateia at R$ 120,00");
    assert!(waiting["pix"]["qr_svg"].as_str().unwrap().contains("<svg"));
    let expires = time::OffsetDateTime::parse(
        waiting["pix"]["expires_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let left = (expires - app.clock.now()).whole_milliseconds();
    assert!(
        (899_000..=900_000).contains(&left),
        "the session's default, 15 minutes: {left} ms"
    );
    let again = app.order(&ana.token, "pix-0001", &pix_body(&held)).await;
    assert_eq!(again.0, StatusCode::ACCEPTED);
    assert_eq!(again.1["pix"]["copy_paste"], code, "one charge per key");
    let id = order_id(&waiting);
    let (_, read) = app.get(&format!("/orders/{id}"), Some(&ana.token)).await;
    assert_eq!(read["pix"]["copy_paste"], code);

    // Someone else cannot pay it by hand; the buyer's bank does.
    let rival = app.account("rival@example.com", &[]).await;
    assert_problem(
        &pay(&app, &rival.token, &id).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    let (status, paid) = pay(&app, &ana.token, &id).await;
    assert_eq!(status, StatusCode::OK, "{paid}");
    assert_eq!(paid["status"], "paid");
    assert_eq!(paid["tickets"].as_array().unwrap().len(), 1);
    assert!(paid.get("pix").is_none(), "a paid order shows no code");
    assert_problem(
        &pay(&app, &ana.token, &id).await,
        StatusCode::CONFLICT,
        "pix_not_pending",
    );
    let (_, report) = app
        .get(
            &format!("/sessions/{}/integrity", sale.session_id),
            Some(&sale.organizer.token),
        )
        .await;
    assert_eq!(report["settled_ok"], true, "{report}");
}

async fn an_unpaid_pix_expires_and_releases_its_places(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let sale = on_sale(&app, 10, 10, 10, json!({"pix_expires_after_seconds": 300})).await;
    let ana = app.account("ana@example.com", &[]).await;
    let held = hold_seat(&app, &sale, &ana.token, 0).await;
    let (status, waiting) = app.order(&ana.token, "pix-0002", &pix_body(&held)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{waiting}");
    let id = order_id(&waiting);

    // The hold lasts as long as the Pix: past its own ten minutes? No: 300 s here, and it is
    // still held just before the Pix expires.
    app.clock.advance(time::Duration::seconds(299));
    sales::reconcile(&app.state).await.unwrap();
    let bia = app.account("bia@example.com", &[]).await;
    let taken = app
        .post(
            &format!("/sessions/{}/holds", sale.session_id),
            Some(&bia.token),
            json!({"seat_ids": [sale.seat_ids[0]]}),
        )
        .await;
    assert_problem(&taken, StatusCode::CONFLICT, "seat_unavailable");

    app.clock.advance(time::Duration::seconds(2));
    sales::reconcile(&app.state).await.unwrap();
    let (_, expired) = app.get(&format!("/orders/{id}"), Some(&ana.token)).await;
    assert_eq!(expired["status"], "failed", "{expired}");
    assert_eq!(expired["failure_code"], "pix_expired");
    assert_problem(
        &pay(&app, &ana.token, &id).await,
        StatusCode::CONFLICT,
        "pix_not_pending",
    );
    // The provider's charge is cancelled: the code can no longer be paid.
    let reference = expired["payment_reference"].as_str().unwrap();
    let simulator = app.state.gateway.simulator().unwrap();
    assert_eq!(simulator.intent(reference).unwrap().status, "canceled");
    assert!(simulator.pay_pix(reference).is_err());
    let (status, again) = app
        .post(
            &format!("/sessions/{}/holds", sale.session_id),
            Some(&bia.token),
            json!({"seat_ids": [sale.seat_ids[0]]}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "the seat is on sale again: {again}"
    );
}

const RACERS: usize = 16;

async fn pix_expiry_racing_its_payment_settles_each_order_once(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let sale = on_sale(&app, 10, 40, 10, json!({})).await;
    let buyers = app.buyers(RACERS).await;
    let mut orders = Vec::new();
    for (i, buyer) in buyers.iter().enumerate() {
        let (status, held) = app
            .post(
                &format!("/sessions/{}/holds", sale.session_id),
                Some(&buyer.token),
                json!({"section_id": sale.standing_section, "quantity": 1}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{held}");
        let (status, waiting) = app
            .order(&buyer.token, &format!("pix-race-{i:04}"), &pix_body(&held))
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{waiting}");
        orders.push(waiting["order"].clone());
    }
    // The Pix expires on our side as every buyer's bank pays: both race for each order.
    app.clock.advance(time::Duration::seconds(901));
    let mut tasks = Vec::new();
    for order in &orders {
        let state = app.state.clone();
        let reference = order["payment_reference"].as_str().unwrap().to_owned();
        let id = order["id"].as_str().unwrap().parse().unwrap();
        tasks.push(tokio::spawn(async move {
            let paid = state.gateway.simulator().unwrap().pay_pix(&reference);
            sales::settle_on_hint(&state, id).await.unwrap();
            paid.is_ok()
        }));
        let state = app.state.clone();
        tasks.push(tokio::spawn(async move {
            sales::reconcile(&state).await.unwrap();
            false
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    // Whatever is still owed (a refund) is finished by the next pass.
    sales::reconcile(&app.state).await.unwrap();
    let simulator = app.state.gateway.simulator().unwrap();
    let (mut paid, mut expired) = (0, 0);
    for order in &orders {
        let id = order["id"].as_str().unwrap();
        let token = &buyers[orders.iter().position(|o| o["id"] == id).unwrap()].token;
        let (_, now) = app.get(&format!("/orders/{id}"), Some(token)).await;
        let intent = simulator
            .intent(order["payment_reference"].as_str().unwrap())
            .unwrap();
        match now["status"].as_str().unwrap() {
            "paid" => {
                assert_eq!(intent.status, "succeeded");
                assert_eq!(now["tickets"].as_array().unwrap().len(), 1);
                paid += 1;
            }
            "failed" => {
                if intent.status == "succeeded" {
                    assert_eq!(intent.refunded, intent.amount, "a late Pix is given back");
                } else {
                    assert_eq!(intent.status, "canceled");
                }
                expired += 1;
            }
            other => panic!("order left {other}: {now}"),
        }
    }
    assert_eq!(paid + expired, RACERS);
    let (_, report) = app
        .get(
            &format!("/sessions/{}/integrity", sale.session_id),
            Some(&sale.organizer.token),
        )
        .await;
    assert_eq!(report["settled_ok"], true, "{report}");
    assert_eq!(report["paid_orders"], paid);
    assert_eq!(report["orders_pending"], 0);
    assert_eq!(report["charges_without_paid_order_or_refund"], 0);
}
