//! Transfers (S10) over real HTTP on both backends: an offer accepted (new holder, new code, the
//! cap moved, no capacity used), every refusal, a recipient who signs up after the offer, and
//! races (accept against cancel; many accepts against one recipient's cap).

use bilheteria_store::on_both_backends;
use bilheteria_store::testing::TestDatabase;
use bilheteria_testkit::{
    Account, OnSale, PASSWORD, TestApp, assert_problem, error_fields, on_sale, order_body,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

on_both_backends!(
    an_accepted_transfer_moves_the_ticket_the_code_and_the_cap,
    the_senders_order_no_longer_shows_a_passed_on_ticket,
    offers_are_limited_and_a_quick_cancel_is_not_mailed,
    transfers_refuse_what_they_must,
    a_recipient_without_an_account_accepts_after_signing_up,
    the_cap_counts_received_tickets,
    accept_racing_cancel_and_decline_has_one_winner,
    accepts_racing_for_one_recipients_cap_stop_at_the_cap,
);

fn path(prefix: &str, id: &Value) -> String {
    format!("{prefix}/{}", id.as_str().expect("id"))
}

pub(crate) async fn offer(
    app: &TestApp,
    from: &Account,
    ticket: &Value,
    to: &str,
) -> (StatusCode, Value) {
    app.post(
        &format!("{}/transfers", path("/tickets", &ticket["id"])),
        Some(&from.token),
        json!({"to_email": to}),
    )
    .await
}

pub(crate) async fn decide(
    app: &TestApp,
    who: &Account,
    transfer: &Value,
    what: &str,
) -> (StatusCode, Value) {
    app.call(
        Method::POST,
        &format!("{}/{what}", path("/transfers", &transfer["id"])),
        Some(&who.token),
        None,
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

fn assert_clean(report: &Value) {
    assert_eq!(
        (
            &report["allocations_mismatched"],
            &report["transfers_mismatched"],
            &report["users_over_cap"],
            &report["settled_ok"]
        ),
        (&json!(0), &json!(0), &json!(0), &json!(true)),
        "{report}"
    );
}

async fn seat_status(app: &TestApp, sale: &OnSale, seat: usize) -> Value {
    let (_, map) = app
        .get(&format!("/sessions/{}/seats", sale.session_id), None)
        .await;
    map["sections"][0]["seats"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == sale.seat_ids[seat])
        .unwrap()["status"]
        .clone()
}

async fn an_accepted_transfer_moves_the_ticket_the_code_and_the_cap(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let sale = on_sale(&app, 10, 10, 10, json!({})).await;
    let ana = app.account("ana@example.com", &[]).await;
    let bia = app.account("bia@example.com", &[]).await;
    let ticket = app.buy_seat(&sale, &ana.token, 0, "transfer-key-01").await["tickets"][0].clone();

    let (status, offered) = offer(&app, &ana, &ticket, " Bia@Example.com ").await;
    assert_eq!(status, StatusCode::CREATED, "{offered}");
    assert_eq!(
        (
            &offered["status"],
            &offered["ticket_id"],
            &offered["to_email"],
            &offered["to_user_id"]
        ),
        (
            &json!("pending"),
            &ticket["id"],
            &json!("bia@example.com"),
            &json!(bia.id)
        )
    );
    // Both see it: the sender as outgoing, the recipient as incoming.
    for who in [&ana, &bia] {
        let (_, listed) = app.get("/transfers", Some(&who.token)).await;
        assert_eq!(listed["items"][0]["id"], offered["id"], "{listed}");
    }
    let (status, accepted) = decide(&app, &bia, &offered, "accept").await;
    assert_eq!(status, StatusCode::OK, "{accepted}");
    assert_eq!(accepted["status"], "accepted");

    let ticket_path = path("/tickets", &ticket["id"]);
    let (status, _) = app.get(&ticket_path, Some(&ana.token)).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "the sender no longer holds it"
    );
    let (status, received) = app.get(&ticket_path, Some(&bia.token)).await;
    assert_eq!(status, StatusCode::OK, "{received}");
    assert_eq!(received["holder_id"], json!(bia.id));
    assert_eq!(received["version"], 2);
    assert_ne!(received["code"], ticket["code"], "a new code");
    // The seat stays sold: a transfer never sells it again nor frees it.
    assert_eq!(seat_status(&app, &sale, 0).await, "sold");

    // At the gate the old code is revoked and the new one lets Bia in.
    let staff = &sale.organizer;
    let scan = |code: &Value, nonce: &str| {
        app.post(
            "/checkin",
            Some(&staff.token),
            json!({"code": code, "gate": "A", "nonce": nonce}),
        )
    };
    assert_problem(
        &scan(&ticket["code"], "transfer-scan-1").await,
        StatusCode::GONE,
        "ticket_revoked",
    );
    let (status, admitted) = scan(&received["code"], "transfer-scan-2").await;
    assert_eq!(status, StatusCode::OK, "{admitted}");

    // Both were told, and the audit log has the change of hands.
    let delivered = bilheteria_app::workers::deliver_outbox(&app.state)
        .await
        .unwrap();
    assert!(delivered >= 3, "offer, acceptance, receipt: {delivered}");
    let mails = app.mails();
    for subject in [
        "Um ingresso para Grande Show está sendo enviado para você",
        "Seu ingresso para Grande Show foi aceito",
        "Seu ingresso para Grande Show",
    ] {
        assert!(
            mails.iter().any(|mail| mail.subject.contains(subject)),
            "a mail with {subject:?}: {mails:?}"
        );
    }
    assert!(
        mails
            .iter()
            .any(|mail| mail.body.contains("transferências até")
                && mail.body.contains("http://127.0.0.1:8080/transfers")),
        "the offer links to the page where it is accepted"
    );
    let admin = app
        .account(
            "admin@example.com",
            &[bilheteria_domain::account::Role::Admin],
        )
        .await;
    let (_, audit) = app
        .get("/admin/audit?action=ticket.transferred", Some(&admin.token))
        .await;
    assert_eq!(audit["items"].as_array().unwrap().len(), 1, "{audit}");
    assert_clean(&integrity(&app, &sale).await);
}

/// A ticket passed on keeps its `order_id`; its new code must reach no one but its new holder:
/// not through the sender's order (the API's one and list, the order page), nor to the event's
/// organizer reading the order.
async fn the_senders_order_no_longer_shows_a_passed_on_ticket(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let sale = on_sale(&app, 10, 10, 10, json!({})).await;
    let ana = app.account("ana@example.com", &[]).await;
    let bia = app.account("bia@example.com", &[]).await;
    let (status, held) = app
        .post(
            &format!("/sessions/{}/holds", sale.session_id),
            Some(&ana.token),
            json!({"seat_ids": [sale.seat_ids[0], sale.seat_ids[1]]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{held}");
    let (status, order) = app
        .order(
            &ana.token,
            "passed-on-key-01",
            &order_body(&held["id"], "tok_visa"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{order}");
    let (given, kept) = (order["tickets"][0].clone(), order["tickets"][1].clone());
    let (_, offered) = offer(&app, &ana, &given, "bia@example.com").await;
    let (status, accepted) = decide(&app, &bia, &offered, "accept").await;
    assert_eq!(status, StatusCode::OK, "{accepted}");
    let (_, received) = app
        .get(&path("/tickets", &given["id"]), Some(&bia.token))
        .await;
    let new_code = received["code"]
        .as_str()
        .expect("the recipient's code")
        .to_owned();

    let order_path = path("/orders", &order["id"]);
    let (status, one) = app.get(&order_path, Some(&ana.token)).await;
    assert_eq!(status, StatusCode::OK, "{one}");
    let (_, list) = app.get("/orders", Some(&ana.token)).await;
    for shown in [&one, &list["items"][0]] {
        assert_eq!(shown["tickets"], json!([kept]), "only what Ana still holds");
        assert!(!shown.to_string().contains(&new_code), "{shown}");
    }
    let page = reqwest::Client::new()
        .get(format!(
            "{}/orders/{}",
            app.base,
            order["id"].as_str().unwrap()
        ))
        .header("Accept", "text/html")
        .header("Cookie", format!("bilheteria_login={}", ana.token))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let page = page.text().await.unwrap();
    assert!(page.contains(kept["id"].as_str().unwrap()), "{page}");
    assert!(!page.contains(given["id"].as_str().unwrap()), "{page}");

    let (status, managed) = app.get(&order_path, Some(&sale.organizer.token)).await;
    assert_eq!(status, StatusCode::OK, "{managed}");
    assert_eq!(managed["tickets"][0]["id"], kept["id"]);
    assert_eq!(
        managed["tickets"][0]["code"],
        Value::Null,
        "a code is its holder's"
    );
}

/// Each offer mails an address its sender chose: offers are limited per ticket and per sender
/// (429 `rate_limited` with `Retry-After`), a cancel minutes after the offer is not mailed, and
/// the sender's own words stay out of the subject.
async fn offers_are_limited_and_a_quick_cancel_is_not_mailed(db: TestDatabase) {
    let settings = bilheteria_app::Settings {
        transfer_offers_per_user_per_hour: 7,
        transfer_offers_per_ticket_per_hour: 5,
        ..Default::default()
    };
    let app = TestApp::spawn_with(db, settings).await;
    let sale = on_sale(&app, 10, 10, 10, json!({})).await;
    let (status, made) = app
        .post(
            "/auth/register",
            None,
            json!({"email": "ana@example.com", "password": PASSWORD,
                   "name": "Seu banco: confirme seus dados"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let ana = Account {
        id: made["id"].as_str().unwrap().to_owned(),
        email: "ana@example.com".into(),
        token: app.login_on("ana@example.com", &app.next_device()).await,
    };
    let first = app.buy_seat(&sale, &ana.token, 0, "limited-key-01").await["tickets"][0].clone();
    let second = app.buy_seat(&sale, &ana.token, 1, "limited-key-02").await["tickets"][0].clone();
    let offer_and_cancel = |ticket: Value| {
        let (app, ana) = (&app, &ana);
        async move {
            let (status, offered) = offer(app, ana, &ticket, "alvo@example.com").await;
            if status == StatusCode::CREATED {
                let (status, cancelled) = decide(app, ana, &offered, "cancel").await;
                assert_eq!(status, StatusCode::OK, "{cancelled}");
            }
            (status, offered)
        }
    };
    for _ in 0..5 {
        let (status, offered) = offer_and_cancel(first.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "{offered}");
    }
    let refused = app
        .request(
            Method::POST,
            &format!("{}/transfers", path("/tickets", &first["id"])),
            Some(&ana.token),
        )
        .json(&json!({"to_email": "alvo@example.com"}))
        .send()
        .await
        .unwrap();
    let retry_after: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after >= 1, "Retry-After {retry_after}");
    assert_problem(
        &bilheteria_testkit::read(refused).await,
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
    );
    // The other ticket has offers left, until the sender's own limit (7 an hour) is reached.
    for _ in 0..2 {
        let (status, offered) = offer_and_cancel(second.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "{offered}");
    }
    assert_problem(
        &offer_and_cancel(second.clone()).await,
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
    );

    // Someone else's offer, cancelled once it had time to be read, is mailed as cancelled.
    let bia = app.account("bia@example.com", &[]).await;
    let hers = app.buy_seat(&sale, &bia.token, 2, "limited-key-03").await["tickets"][0].clone();
    let (_, offered) = offer(&app, &bia, &hers, "alvo@example.com").await;
    app.clock.advance(time::Duration::minutes(6));
    let (status, cancelled) = decide(&app, &bia, &offered, "cancel").await;
    assert_eq!(status, StatusCode::OK, "{cancelled}");

    bilheteria_app::workers::deliver_outbox(&app.state)
        .await
        .unwrap();
    let subjects: Vec<String> = app
        .mails()
        .into_iter()
        .filter(|mail| mail.to.contains("alvo@example.com"))
        .map(|mail| mail.subject)
        .collect();
    let offers = subjects
        .iter()
        .filter(|s| s.contains("está sendo enviado para você"))
        .count();
    let cancels = subjects
        .iter()
        .filter(|s| s.contains("não está mais oferecido"))
        .count();
    assert_eq!((offers, cancels), (8, 1), "{subjects:?}");
    assert!(
        subjects.iter().all(|subject| !subject.contains("banco")),
        "the sender's words stay out of subjects: {subjects:?}"
    );
}

async fn transfers_refuse_what_they_must(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let sale = on_sale(&app, 10, 10, 10, json!({})).await;
    let ana = app.account("ana@example.com", &[]).await;
    let bia = app.account("bia@example.com", &[]).await;
    let caio = app.account("caio@example.com", &[]).await;
    let ticket = app.buy_seat(&sale, &ana.token, 0, "transfer-key-01").await["tickets"][0].clone();

    // Bad input: to oneself, not an address, a field too many.
    let to_self = offer(&app, &ana, &ticket, "ANA@example.com").await;
    assert_problem(
        &to_self,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(error_fields(&to_self.1), ["to_email"]);
    let garbage = offer(&app, &ana, &ticket, &"x".repeat(5_000)).await;
    assert_problem(
        &garbage,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    let (status, _) = app
        .post(
            &format!("{}/transfers", path("/tickets", &ticket["id"])),
            Some(&ana.token),
            json!({"to_email": "bia@example.com", "price_cents": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // Someone else's ticket, and a ticket that does not exist, are not found.
    assert_problem(
        &offer(&app, &bia, &ticket, "caio@example.com").await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_problem(
        &offer(
            &app,
            &ana,
            &json!({"id": "0190a0a0-0000-7000-8000-000000000000"}),
            "bia@example.com",
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );

    let (status, pending) = offer(&app, &ana, &ticket, "bia@example.com").await;
    assert_eq!(status, StatusCode::CREATED, "{pending}");
    // One pending transfer per ticket.
    let second = offer(&app, &ana, &ticket, "caio@example.com").await;
    assert_problem(&second, StatusCode::CONFLICT, "transfer_not_allowed");
    assert_eq!(second.1["reason"], "already_pending");
    // Each party decides only what is theirs; a stranger does not see it.
    assert_problem(
        &decide(&app, &ana, &pending, "accept").await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    assert_problem(
        &decide(&app, &bia, &pending, "cancel").await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    assert_problem(
        &decide(&app, &caio, &pending, "accept").await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    let (status, _) = app
        .get(&path("/transfers", &pending["id"]), Some(&caio.token))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Cancelled, it cannot be accepted any more; the ticket may be offered again.
    let (status, cancelled) = decide(&app, &ana, &pending, "cancel").await;
    assert_eq!(
        (status, &cancelled["status"]),
        (StatusCode::OK, &json!("cancelled"))
    );
    let late = decide(&app, &bia, &pending, "accept").await;
    assert_problem(&late, StatusCode::CONFLICT, "transfer_not_allowed");
    assert_eq!(late.1["reason"], "not_pending");

    // An offer nobody answers lapses, and then the ticket may be offered again.
    let (_, lapsing) = offer(&app, &ana, &ticket, "bia@example.com").await;
    app.clock.advance(time::Duration::hours(73));
    let (_, seen) = app
        .get(&path("/transfers", &lapsing["id"]), Some(&bia.token))
        .await;
    assert_eq!(seen["status"], "expired");
    assert_problem(
        &decide(&app, &bia, &lapsing, "accept").await,
        StatusCode::CONFLICT,
        "transfer_not_allowed",
    );
    let (status, again) = offer(&app, &ana, &ticket, "caio@example.com").await;
    assert_eq!(status, StatusCode::CREATED, "{again}");
    let (_, old) = app
        .get(&path("/transfers", &lapsing["id"]), Some(&ana.token))
        .await;
    assert_eq!(old["status"], "expired", "recorded as lapsed");

    // A used ticket cannot change hands; its pending offer cannot be accepted.
    let (status, _) = app
        .post(
            "/checkin",
            Some(&sale.organizer.token),
            json!({"code": ticket["code"], "gate": "A", "nonce": "refuse-scan-1"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let used = decide(&app, &caio, &again, "accept").await;
    assert_problem(&used, StatusCode::CONFLICT, "transfer_not_allowed");
    assert_eq!(used.1["reason"], "ticket_not_valid");
    let (_, cancelled) = decide(&app, &ana, &again, "cancel").await;
    assert_eq!(cancelled["status"], "cancelled");
    let used = offer(&app, &ana, &ticket, "bia@example.com").await;
    assert_eq!(used.1["reason"], "ticket_not_valid", "{}", used.1);

    // A refunded ticket's pending offer ends with it.
    let other = app.buy_seat(&sale, &ana.token, 1, "transfer-key-02").await;
    let (_, to_refund) = offer(&app, &ana, &other["tickets"][0], "bia@example.com").await;
    let (status, _) = app
        .call(
            Method::POST,
            &format!("{}/refund", path("/orders", &other["id"])),
            Some(&sale.organizer.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, ended) = app
        .get(&path("/transfers", &to_refund["id"]), Some(&bia.token))
        .await;
    assert_eq!(ended["status"], "cancelled");

    // The organizer's say: no transfers at all, or none this close to the start.
    let closed = on_sale(&app, 10, 10, 10, json!({"transfers": {"enabled": false}})).await;
    let ticket = app
        .buy_seat(&closed, &ana.token, 0, "transfer-key-03")
        .await["tickets"][0]
        .clone();
    let refused = offer(&app, &ana, &ticket, "bia@example.com").await;
    assert_problem(&refused, StatusCode::CONFLICT, "transfer_not_allowed");
    assert_eq!(refused.1["reason"], "disabled");
    // An hour from the app's clock, which this test moved on.
    let soon = (bilheteria_domain::clock::Clock::now(app.clock.as_ref())
        + time::Duration::hours(1))
    .format(&time::format_description::well_known::Rfc3339)
    .unwrap();
    let near = on_sale(
        &app,
        10,
        10,
        10,
        json!({"starts_at": soon, "transfers": {"cutoff_minutes": 120}}),
    )
    .await;
    let ticket = app.buy_seat(&near, &ana.token, 0, "transfer-key-04").await["tickets"][0].clone();
    let refused = offer(&app, &ana, &ticket, "bia@example.com").await;
    assert_eq!(refused.1["reason"], "past_cutoff", "{}", refused.1);
    let (status, bad) = app
        .post(
            &format!("/events/{}/sessions", sale.event_id),
            Some(&sale.organizer.token),
            json!({"starts_at": soon, "categories": [], "transfers": {"cutoff_minutes": -5}}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        error_fields(&bad).contains(&"transfers.cutoff_minutes".to_owned()),
        "{bad}"
    );
    assert_clean(&integrity(&app, &sale).await);
}

async fn a_recipient_without_an_account_accepts_after_signing_up(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let sale = on_sale(&app, 10, 10, 10, json!({})).await;
    let ana = app.account("ana@example.com", &[]).await;
    let ticket = app.buy_seat(&sale, &ana.token, 0, "transfer-key-01").await["tickets"][0].clone();
    let (status, offered) = offer(&app, &ana, &ticket, "nova@example.com").await;
    assert_eq!(status, StatusCode::CREATED, "{offered}");
    assert_eq!(offered["to_user_id"], Value::Null, "no account yet");
    bilheteria_app::workers::deliver_outbox(&app.state)
        .await
        .unwrap();
    let invitation = app
        .mails()
        .into_iter()
        .find(|mail| mail.to == "nova@example.com")
        .expect("an invitation to the recipient");
    assert!(
        invitation.body.contains("crie uma conta com este e-mail"),
        "{invitation:?}"
    );

    let nova = app.account("Nova@Example.com", &[]).await;
    let (_, listed) = app.get("/transfers", Some(&nova.token)).await;
    assert_eq!(listed["items"][0]["id"], offered["id"], "{listed}");
    let (status, accepted) = decide(&app, &nova, &offered, "accept").await;
    assert_eq!(status, StatusCode::OK, "{accepted}");
    assert_eq!(accepted["to_user_id"], json!(nova.id));
    let (_, tickets) = app.get("/tickets", Some(&nova.token)).await;
    assert_eq!(tickets["items"][0]["id"], ticket["id"]);
    assert_clean(&integrity(&app, &sale).await);
}

async fn the_cap_counts_received_tickets(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let sale = on_sale(&app, 10, 10, 10, json!({"max_tickets_per_user": 2})).await;
    let ana = app.account("ana@example.com", &[]).await;
    let bia = app.account("bia@example.com", &[]).await;
    let first = app.buy_seat(&sale, &ana.token, 0, "transfer-key-01").await["tickets"][0].clone();
    let second = app.buy_seat(&sale, &ana.token, 1, "transfer-key-02").await["tickets"][0].clone();
    app.buy_seat(&sale, &bia.token, 2, "transfer-key-03").await;
    let (_, one) = offer(&app, &ana, &first, "bia@example.com").await;
    let (_, two) = offer(&app, &ana, &second, "bia@example.com").await;
    let (status, _) = decide(&app, &bia, &one, "accept").await;
    assert_eq!(status, StatusCode::OK);
    // Bought one, received one: the cap of two is reached by either way of getting tickets.
    let over = decide(&app, &bia, &two, "accept").await;
    assert_problem(
        &over,
        StatusCode::UNPROCESSABLE_ENTITY,
        "purchase_limit_exceeded",
    );
    let (_, still) = app
        .get(&path("/transfers", &two["id"]), Some(&bia.token))
        .await;
    assert_eq!(
        still["status"], "pending",
        "a refused accept changes nothing"
    );
    let (status, held) = app
        .post(
            &format!("/sessions/{}/holds", sale.session_id),
            Some(&bia.token),
            json!({"seat_ids": [sale.seat_ids[5]]}),
        )
        .await;
    assert_problem(
        &(status, held),
        StatusCode::UNPROCESSABLE_ENTITY,
        "purchase_limit_exceeded",
    );
    // Ana gave one away: she may buy again.
    app.buy_seat(&sale, &ana.token, 6, "transfer-key-04").await;
    assert_clean(&integrity(&app, &sale).await);
}

async fn accept_racing_cancel_and_decline_has_one_winner(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let sale = on_sale(&app, 10, 10, 10, json!({"max_tickets_per_user": 10})).await;
    let ana = app.account("ana@example.com", &[]).await;
    let bia = app.account("bia@example.com", &[]).await;
    for round in 0..3 {
        let ticket = app
            .buy_seat(
                &sale,
                &ana.token,
                round,
                &format!("transfer-race-{round:02}"),
            )
            .await["tickets"][0]
            .clone();
        let (_, offered) = offer(&app, &ana, &ticket, "bia@example.com").await;
        let racers: Vec<_> = (0..12)
            .map(|i| {
                let (who, what) = match i % 3 {
                    0 => (&bia, "accept"),
                    1 => (&ana, "cancel"),
                    _ => (&bia, "decline"),
                };
                let request = app.request(
                    Method::POST,
                    &format!("{}/{what}", path("/transfers", &offered["id"])),
                    Some(&who.token),
                );
                tokio::spawn(async move {
                    bilheteria_testkit::read(request.send().await.unwrap()).await
                })
            })
            .collect();
        let mut winners = Vec::new();
        for racer in racers {
            let (status, body) = racer.await.unwrap();
            match status {
                StatusCode::OK => winners.push(body["status"].clone()),
                StatusCode::CONFLICT => assert_eq!(body["code"], "transfer_not_allowed", "{body}"),
                other => panic!("{other} {body}"),
            }
        }
        assert_eq!(winners.len(), 1, "one decision wins: {winners:?}");
        let (_, final_state) = app
            .get(&path("/transfers", &offered["id"]), Some(&ana.token))
            .await;
        assert_eq!(final_state["status"], winners[0]);
        let holder = if winners[0] == "accepted" { &bia } else { &ana };
        let (status, held) = app
            .get(&path("/tickets", &ticket["id"]), Some(&holder.token))
            .await;
        assert_eq!(status, StatusCode::OK, "{held}");
        assert_eq!(held["holder_id"], json!(holder.id));
    }
    assert_clean(&integrity(&app, &sale).await);
}

async fn accepts_racing_for_one_recipients_cap_stop_at_the_cap(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let sale = on_sale(&app, 10, 10, 10, json!({"max_tickets_per_user": 3})).await;
    let senders = app.buyers(8).await;
    let bia = app.account("bia@example.com", &[]).await;
    let mut offers = Vec::new();
    for (i, sender) in senders.iter().enumerate() {
        let ticket = app
            .buy_seat(&sale, &sender.token, i, &format!("transfer-cap-{i:02}"))
            .await["tickets"][0]
            .clone();
        let (status, offered) = offer(&app, sender, &ticket, "bia@example.com").await;
        assert_eq!(status, StatusCode::CREATED, "{offered}");
        offers.push(offered);
    }
    let racers: Vec<_> = offers
        .iter()
        .map(|offered| {
            let request = app.request(
                Method::POST,
                &format!("{}/accept", path("/transfers", &offered["id"])),
                Some(&bia.token),
            );
            tokio::spawn(
                async move { bilheteria_testkit::read(request.send().await.unwrap()).await },
            )
        })
        .collect();
    let mut accepted = 0;
    for racer in racers {
        let (status, body) = racer.await.unwrap();
        match status {
            StatusCode::OK => accepted += 1,
            StatusCode::UNPROCESSABLE_ENTITY => assert_eq!(body["code"], "purchase_limit_exceeded"),
            other => panic!("{other} {body}"),
        }
    }
    assert_eq!(accepted, 3, "exactly the cap");
    let (_, tickets) = app.get("/tickets", Some(&bia.token)).await;
    assert_eq!(tickets["items"].as_array().unwrap().len(), 3);
    assert_clean(&integrity(&app, &sale).await);
}
