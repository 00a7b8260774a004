//! The Stripe-compatible client against `bilheteria paysim` over real HTTP, with signed
//! webhooks back to the app, on both backends; and the `paysim` binary itself.

use bilheteria_app::Settings;
use bilheteria_app::sales;
use bilheteria_payments::stripe::StripeGateway;
use bilheteria_payments::webhook;
use bilheteria_paysim::{self as paysim, PaysimArgs};
use bilheteria_store::on_both_backends;
use bilheteria_store::testing::TestDatabase;
use bilheteria_testkit::{TestApp, assert_problem, on_sale, order_body};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

on_both_backends!(
    payments_through_paysim_settle_by_answer_by_webhook_and_refund,
    a_pix_through_paysim_is_paid_by_the_bank_and_another_expires,
    an_unreachable_provider_leaves_orders_pending
);

const WEBHOOK_SECRET: &str = "whsec_test_paysim";

fn paysim_args(webhook_url: Option<String>) -> PaysimArgs {
    PaysimArgs {
        addr: "127.0.0.1:0".parse().unwrap(),
        latency_median_ms: 5.0,
        latency_sigma: 0.5,
        decline_rate: 0.0,
        lost_answer_ms: 1_500,
        webhook_url,
        webhook_secret: WEBHOOK_SECRET.into(),
        // Later than the client waits, so the lost answer is surely lost first.
        webhook_delay_ms: 1_000,
        pix_paid_share: 0.0,
        pix_pay_after_ms: 0.0,
    }
}

/// The app talking to a paysim on a real socket, which sends its webhooks back to the app.
async fn app_with_paysim(db: TestDatabase) -> (TestApp, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let paysim_url = format!("http://{}", listener.local_addr().unwrap());
    let gateway =
        StripeGateway::new(&paysim_url, "sk_test_123", Duration::from_millis(400)).unwrap();
    let settings = Settings {
        webhook_secret: Some(WEBHOOK_SECRET.into()),
        ..Settings::default()
    };
    let app = TestApp::spawn_with_gateway(db, settings, Some(Arc::new(gateway))).await;
    let router = paysim::router(&paysim_args(Some(format!(
        "{}/api/v1/payments/webhook",
        app.base
    ))))
    .unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (app, paysim_url)
}

async fn wait_for_status(app: &TestApp, token: &str, order: &str, wanted: &str) -> Value {
    for _ in 0..100 {
        let (_, body) = app.get(&format!("/orders/{order}"), Some(token)).await;
        if body["status"] == wanted {
            return body;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("order {order} never became {wanted}");
}

/// The provider's record of the payment intent `id`.
async fn intent_at(url: &str, id: &str) -> Value {
    reqwest::Client::new()
        .get(format!("{url}/v1/payment_intents/{id}"))
        .bearer_auth("sk_test_123")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn summary(url: &str) -> Value {
    reqwest::get(format!("{url}/v1/charges/summary"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Stripe's Pix shape both ways: the client asks for `payment_method_types[0]=pix` with its
/// expiry and reads `next_action.pix_display_qr_code`; the bank's payment arrives as a webhook;
/// an unpaid Pix is cancelled at the provider when it expires.
async fn a_pix_through_paysim_is_paid_by_the_bank_and_another_expires(db: TestDatabase) {
    let (app, paysim_url) = app_with_paysim(db).await;
    let sale = on_sale(&app, 10, 10, 5, json!({"pix_expires_after_seconds": 120})).await;
    let buyers = app.buyers(2).await;
    let mut waiting = Vec::new();
    for (i, buyer) in buyers.iter().enumerate() {
        let (_, held) = app
            .post(
                &format!("/sessions/{}/holds", sale.session_id),
                Some(&buyer.token),
                json!({"seat_ids": [sale.seat_ids[i]]}),
            )
            .await;
        let (status, answer) = app
            .order(
                &buyer.token,
                &format!("paysim-pix-{i:02}"),
                &json!({"hold_id": held["id"], "payment": {"method": "pix"}}),
            )
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
        let code = answer["pix"]["copy_paste"].as_str().unwrap();
        assert!(
            bilheteria_domain::pix::read_br_code(code).is_some(),
            "{code}"
        );
        waiting.push(answer["order"].clone());
    }
    let client = reqwest::Client::new();
    let reference = waiting[0]["payment_reference"].as_str().unwrap();
    let intent = intent_at(&paysim_url, reference).await;
    assert_eq!(intent["status"], "requires_action");
    assert_eq!(intent["next_action"]["type"], "pix_display_qr_code");
    let paid = client
        .post(format!("{paysim_url}/v1/test_helpers/pix/{reference}/pay"))
        .bearer_auth("sk_test_123")
        .send()
        .await
        .unwrap();
    assert_eq!(paid.status(), StatusCode::OK);
    let id = waiting[0]["id"].as_str().unwrap();
    let settled = wait_for_status(&app, &buyers[0].token, id, "paid").await;
    assert_eq!(settled["tickets"].as_array().unwrap().len(), 1);

    app.clock.advance(time::Duration::seconds(121));
    sales::reconcile(&app.state).await.unwrap();
    let id = waiting[1]["id"].as_str().unwrap();
    let (_, expired) = app
        .get(&format!("/orders/{id}"), Some(&buyers[1].token))
        .await;
    assert_eq!(expired["failure_code"], "pix_expired", "{expired}");
    let late = client
        .post(format!(
            "{paysim_url}/v1/test_helpers/pix/{}/pay",
            waiting[1]["payment_reference"].as_str().unwrap()
        ))
        .bearer_auth("sk_test_123")
        .send()
        .await
        .unwrap();
    assert_eq!(
        late.status(),
        StatusCode::BAD_REQUEST,
        "a cancelled Pix cannot be paid"
    );
    let totals = summary(&paysim_url).await;
    assert_eq!(totals["captured_cents"], 12_000);
}

async fn payments_through_paysim_settle_by_answer_by_webhook_and_refund(db: TestDatabase) {
    let (app, paysim_url) = app_with_paysim(db).await;
    let sale = on_sale(&app, 10, 10, 5, json!({})).await;
    let buyers = app.buyers(3).await;
    let hold = |token: String, seat: String| {
        let app = &app;
        let session = sale.session_id.clone();
        async move {
            app.post(
                &format!("/sessions/{session}/holds"),
                Some(&token),
                json!({"seat_ids": [seat]}),
            )
            .await
            .1
        }
    };

    let approved = hold(buyers[0].token.clone(), sale.seat_ids[0].clone()).await;
    let (status, paid) = app
        .order(
            &buyers[0].token,
            "paysim-visa-01",
            &json!({"hold_id": approved["id"], "payment": {"method": "card", "token": "tok_visa", "installments": 2}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{paid}");
    let reference = paid["payment_reference"].as_str().unwrap();
    assert!(reference.starts_with("pi_sim_"));
    // The installments travel in Stripe's shape and the provider keeps them.
    let intent = intent_at(&paysim_url, reference).await;
    assert_eq!(
        intent["payment_method_options"]["card"]["installments"]["plan"]["count"], 2,
        "{intent}"
    );

    let declined = hold(buyers[1].token.clone(), sale.seat_ids[1].clone()).await;
    let refused = app
        .order(
            &buyers[1].token,
            "paysim-decl-01",
            &order_body(&declined["id"], "tok_chargeDeclinedInsufficientFunds"),
        )
        .await;
    assert_problem(&refused, StatusCode::PAYMENT_REQUIRED, "payment_declined");
    assert_eq!(refused.1["decline_code"], "insufficient_funds");

    // The answer is lost (the client gives up first); the provider's webhook settles the order.
    let lost = hold(buyers[2].token.clone(), sale.seat_ids[2].clone()).await;
    let pending = app
        .order(
            &buyers[2].token,
            "paysim-lost-01",
            &order_body(&lost["id"], "tok_timeout"),
        )
        .await;
    assert_problem(&pending, StatusCode::ACCEPTED, "payment_pending");
    let order_id = pending.1["order_id"].as_str().unwrap();
    let settled = wait_for_status(&app, &buyers[2].token, order_id, "paid").await;
    assert_eq!(settled["tickets"].as_array().unwrap().len(), 1);
    // Reconciliation later finds nothing to do, and asking again never charges twice.
    app.clock.advance(time::Duration::seconds(120));
    sales::reconcile(&app.state).await.unwrap();
    let charges = summary(&paysim_url).await;
    assert_eq!(charges["succeeded"], 2, "{charges}");
    assert_eq!(charges["captured_cents"], 24_000);

    let (status, refunded) = app
        .call(
            Method::POST,
            &format!("/orders/{}/refund", paid["id"].as_str().unwrap()),
            Some(&sale.organizer.token),
            None,
        )
        .await;
    assert_eq!(
        (status, refunded["status"].as_str()),
        (StatusCode::OK, Some("refunded")),
        "{refunded}"
    );
    assert_eq!(summary(&paysim_url).await["refunded_cents"], 12_000);
    let (_, report) = app
        .get(
            &format!("/sessions/{}/integrity", sale.session_id),
            Some(&sale.organizer.token),
        )
        .await;
    assert_eq!(report["settled_ok"], true, "{report}");

    // Webhooks that are not the provider's are refused.
    let event = json!({"type": "payment_intent.succeeded", "data": {"object": {"id": "pi_forged", "metadata": {"order_id": order_id}}}}).to_string();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    for signature in [
        webhook::sign("not-the-secret", now, event.as_bytes()),
        webhook::sign(WEBHOOK_SECRET, now - 3_600, event.as_bytes()),
        "t=garbage".to_owned(),
    ] {
        let response = app
            .request(Method::POST, "/payments/webhook", None)
            .header(webhook::SIGNATURE_HEADER, signature)
            .header("content-type", "application/json")
            .body(event.clone())
            .send()
            .await
            .unwrap();
        assert_problem(
            &bilheteria_testkit::read(response).await,
            StatusCode::BAD_REQUEST,
            "invalid_signature",
        );
    }
    let tampered = webhook::sign(WEBHOOK_SECRET, now, event.as_bytes());
    let response = app
        .request(Method::POST, "/payments/webhook", None)
        .header(webhook::SIGNATURE_HEADER, tampered)
        .body(event.replace("pi_forged", "pi_other"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::BAD_REQUEST,
        "a body changed after signing is refused"
    );
}

async fn an_unreachable_provider_leaves_orders_pending(db: TestDatabase) {
    // Nothing listens on port 9 of the loopback: every call fails to connect.
    let gateway = StripeGateway::new(
        "http://127.0.0.1:9",
        "sk_test_123",
        Duration::from_millis(300),
    )
    .unwrap();
    let app = TestApp::spawn_with_gateway(db, Settings::default(), Some(Arc::new(gateway))).await;
    let sale = on_sale(&app, 10, 10, 5, json!({})).await;
    let buyer = app.account("fan@example.com", &[]).await;
    let (_, held) = app
        .post(
            &format!("/sessions/{}/holds", sale.session_id),
            Some(&buyer.token),
            json!({"seat_ids": [sale.seat_ids[0]]}),
        )
        .await;
    let pending = app
        .order(
            &buyer.token,
            "provider-down-1",
            &order_body(&held["id"], "tok_visa"),
        )
        .await;
    assert_problem(&pending, StatusCode::ACCEPTED, "payment_pending");
    app.clock.advance(time::Duration::seconds(6));
    assert_eq!(sales::reconcile(&app.state).await.unwrap(), 1);
    let (_, order) = app
        .get(
            &format!("/orders/{}", pending.1["order_id"].as_str().unwrap()),
            Some(&buyer.token),
        )
        .await;
    assert_eq!(
        order["status"], "payment_pending",
        "still unknown, still waiting"
    );
    assert!(order["tickets"].as_array().unwrap().is_empty());
    let (_, report) = app
        .get(
            &format!("/sessions/{}/integrity", sale.session_id),
            Some(&sale.organizer.token),
        )
        .await;
    assert_eq!(
        (
            report["settled_ok"].as_bool(),
            report["paid_orders"].as_i64()
        ),
        (Some(true), Some(0)),
        "{report}"
    );
    // Webhooks are refused when no secret is configured.
    let response = app
        .request(Method::POST, "/payments/webhook", None)
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_paysim_binary_speaks_the_stripe_subset() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_bilheteria"))
        .args([
            "paysim",
            "--addr",
            &format!("127.0.0.1:{port}"),
            "--latency-median-ms",
            "2",
        ])
        .env("RUST_LOG", "error")
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let mut up = false;
    for _ in 0..100 {
        if client.get(format!("{base}/healthz")).send().await.is_ok() {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(up, "paysim started");
    let form = [
        ("amount", "1000"),
        ("currency", "brl"),
        ("payment_method", "tok_visa"),
        ("confirm", "true"),
    ];
    let charge = |key: &'static str| {
        client
            .post(format!("{base}/v1/payment_intents"))
            .bearer_auth("sk_test")
            .header("Idempotency-Key", key)
            .form(&form)
            .send()
    };
    let first: Value = charge("bin-key-1").await.unwrap().json().await.unwrap();
    let again: Value = charge("bin-key-1").await.unwrap().json().await.unwrap();
    assert_eq!(first["status"], "succeeded");
    assert_eq!(first, again, "idempotent by key");
    let unauthenticated = client
        .post(format!("{base}/v1/payment_intents"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(unauthenticated.status(), StatusCode::UNAUTHORIZED);
    let no_key = client
        .post(format!("{base}/v1/payment_intents"))
        .bearer_auth("sk_test")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(no_key.status(), StatusCode::BAD_REQUEST);
    let declined = client
        .post(format!("{base}/v1/payment_intents"))
        .bearer_auth("sk_test")
        .header("Idempotency-Key", "bin-key-2")
        .form(&[
            ("amount", "1000"),
            ("currency", "brl"),
            ("payment_method", "tok_chargeDeclined"),
            ("confirm", "true"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(declined.status(), StatusCode::PAYMENT_REQUIRED);
    let declined: Value = declined.json().await.unwrap();
    let declined_id = declined["error"]["payment_intent"]["id"].as_str().unwrap();

    // What Stripe's own clients send: a refund without an amount refunds the whole charge.
    let paid_id = first["id"].as_str().unwrap();
    let refund: Value = client
        .post(format!("{base}/v1/refunds"))
        .bearer_auth("sk_test")
        .header("Idempotency-Key", "bin-refund-1")
        .form(&[("payment_intent", paid_id)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (refund["status"].as_str(), refund["amount"].as_i64()),
        (Some("succeeded"), Some(1000)),
        "{refund}"
    );
    let retrieved: Value = client
        .get(format!("{base}/v1/payment_intents/{paid_id}"))
        .bearer_auth("sk_test")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(retrieved["amount_refunded"], 1000);

    // Cancelling: an intent that did not succeed can be, one that succeeded cannot.
    let cancel = |id: String| {
        client
            .post(format!("{base}/v1/payment_intents/{id}/cancel"))
            .bearer_auth("sk_test")
            .send()
    };
    let canceled = cancel(declined_id.to_owned()).await.unwrap();
    assert_eq!(canceled.status(), StatusCode::OK);
    assert_eq!(
        canceled.json::<Value>().await.unwrap()["status"],
        "canceled"
    );
    let refused = cancel(paid_id.to_owned()).await.unwrap();
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    let refused: Value = refused.json().await.unwrap();
    assert_eq!(refused["error"]["code"], "payment_intent_unexpected_state");

    // Listing, newest first, in pages.
    let list = |query: String| {
        client
            .get(format!("{base}/v1/payment_intents{query}"))
            .bearer_auth("sk_test")
            .send()
    };
    let page: Value = list("?limit=1".into()).await.unwrap().json().await.unwrap();
    assert_eq!(
        (page["object"].as_str(), page["has_more"].as_bool()),
        (Some("list"), Some(true))
    );
    assert_eq!(page["data"][0]["id"], declined_id);
    let rest: Value = list(format!("?starting_after={declined_id}"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(rest["data"][0]["id"], paid_id);
    assert_eq!(rest["has_more"], false);

    // What paysim does not simulate gets a Stripe-shaped error, never an empty body.
    for (method, path) in [
        (reqwest::Method::GET, "/v1/customers"),
        (reqwest::Method::DELETE, "/v1/payment_intents"),
    ] {
        let answer = client
            .request(method.clone(), format!("{base}{path}"))
            .bearer_auth("sk_test")
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::NOT_FOUND, "{method} {path}");
        let body: Value = answer.json().await.unwrap();
        assert_eq!(body["error"]["type"], "invalid_request_error", "{body}");
    }
    child.kill().await.unwrap();
}

/// paysim on a loopback port, without webhooks: what a Stripe client talks to.
async fn bare_paysim() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let router = paysim::router(&PaysimArgs {
        latency_median_ms: 0.0,
        ..paysim_args(None)
    })
    .unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    url
}

/// A form-encoded POST as Stripe's own clients send it (indexed arrays, nested options), with
/// an `Idempotency-Key` when given.
async fn stripe_post(url: &str, key: Option<&str>, form: &[(&str, &str)]) -> (StatusCode, Value) {
    let mut request = reqwest::Client::new().post(url).bearer_auth("sk_test_123");
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    let response = request.form(form).send().await.unwrap();
    (response.status(), response.json().await.unwrap())
}

/// What the official Stripe clients send, and what Stripe refuses, as paysim answers them.
#[tokio::test]
async fn paysim_answers_stripes_own_clients_as_stripe_does() {
    let base = bare_paysim().await;
    let intents = format!("{base}/v1/payment_intents");
    let card = |amount: &'static str| {
        vec![
            ("amount", amount),
            ("currency", "brl"),
            ("payment_method", "tok_visa"),
            ("confirm", "true"),
        ]
    };

    // Pix with an indexed array, as stripe-python and stripe-node encode lists.
    let (status, pix) = stripe_post(
        &intents,
        Some("pix-1"),
        &[
            ("amount", "2500"),
            ("currency", "brl"),
            ("payment_method_types[0]", "pix"),
            ("payment_method_data[type]", "pix"),
            ("payment_method_options[pix][expires_after_seconds]", "600"),
            ("confirm", "true"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{pix}");
    assert_eq!(pix["status"], "requires_action", "{pix}");
    assert_eq!(pix["payment_method_types"], json!(["pix"]));
    let code = pix["next_action"]["pix_display_qr_code"]["data"]
        .as_str()
        .unwrap();
    assert!(bilheteria_domain::pix::read_br_code(code).is_some());

    // Refunds without a key are each their own, whatever payment they are of.
    let (_, first) = stripe_post(&intents, Some("card-1"), &card("1000")).await;
    let (_, second) = stripe_post(&intents, Some("card-2"), &card("3000")).await;
    let refunds = format!("{base}/v1/refunds");
    let part_of_first = [
        ("payment_intent", first["id"].as_str().unwrap()),
        ("amount", "400"),
    ];
    let (status, one) = stripe_post(&refunds, None, &part_of_first).await;
    assert_eq!(status, StatusCode::OK, "{one}");
    let (status, other) = stripe_post(
        &refunds,
        None,
        &[("payment_intent", second["id"].as_str().unwrap())],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{other}");
    assert_ne!(
        one["id"], other["id"],
        "not a replay of the other payment's refund"
    );
    assert_eq!(other["amount"], 3000);
    let (_, again) = stripe_post(&refunds, None, &part_of_first).await;
    assert_ne!(
        one["id"], again["id"],
        "a second refund, not the first again"
    );
    let refunded = intent_at(&base, first["id"].as_str().unwrap()).await;
    assert_eq!(refunded["amount_refunded"], 800);

    // A key sent again with other parameters is refused; with the same, replayed.
    let (status, reused) = stripe_post(&intents, Some("card-1"), &card("1500")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{reused}");
    assert_eq!(reused["error"]["type"], "idempotency_error", "{reused}");
    let (status, replayed) = stripe_post(&intents, Some("card-1"), &card("1000")).await;
    assert_eq!((status, &replayed["id"]), (StatusCode::OK, &first["id"]));
    let (status, reused) = stripe_post(
        &refunds,
        Some("card-1"),
        &[("payment_intent", first["id"].as_str().unwrap())],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{reused}");
    assert_eq!(reused["error"]["type"], "idempotency_error");

    // Made without `confirm`, with a plan of installments; confirmed later with a card.
    let (status, waiting) = stripe_post(
        &intents,
        Some("later-1"),
        &[
            ("amount", "9000"),
            ("currency", "brl"),
            ("payment_method_types[0]", "card"),
            (
                "payment_method_options[card][installments][enabled]",
                "true",
            ),
            (
                "payment_method_options[card][installments][plan][count]",
                "3",
            ),
            (
                "payment_method_options[card][installments][plan][interval]",
                "month",
            ),
            (
                "payment_method_options[card][installments][plan][type]",
                "fixed_count",
            ),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{waiting}");
    assert_eq!(waiting["status"], "requires_payment_method");
    let confirm = format!("{intents}/{}/confirm", waiting["id"].as_str().unwrap());
    let (status, declined) =
        stripe_post(&confirm, None, &[("payment_method", "tok_chargeDeclined")]).await;
    assert_eq!(status, StatusCode::PAYMENT_REQUIRED, "{declined}");
    let (status, confirmed) = stripe_post(&confirm, None, &[("payment_method", "tok_visa")]).await;
    assert_eq!(status, StatusCode::OK, "{confirmed}");
    assert_eq!(confirmed["status"], "succeeded");
    assert_eq!(
        confirmed["payment_method_options"]["card"]["installments"]["plan"]["count"],
        3
    );
    let (status, twice) = stripe_post(&confirm, None, &[]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{twice}");
    assert_eq!(twice["error"]["code"], "payment_intent_unexpected_state");

    // Amounts below the minimum and unknown currencies are refused, naming the parameter.
    for (amount, currency, param, code) in [
        ("0", "brl", "amount", json!("amount_too_small")),
        ("49", "brl", "amount", json!("amount_too_small")),
        ("100000000", "brl", "amount", json!("amount_too_large")),
        ("1000", "zzz", "currency", Value::Null),
    ] {
        let (status, refused) = stripe_post(
            &intents,
            Some(&format!("bad-{amount}-{currency}")),
            &[
                ("amount", amount),
                ("currency", currency),
                ("payment_method", "tok_visa"),
                ("confirm", "true"),
            ],
        )
        .await;
        assert_eq!(
            status,
            StatusCode::BAD_REQUEST,
            "{amount} {currency}: {refused}"
        );
        assert_eq!(refused["error"]["type"], "invalid_request_error");
        assert_eq!(refused["error"]["param"], param, "{refused}");
        assert_eq!(refused["error"]["code"], code, "{refused}");
    }
}
