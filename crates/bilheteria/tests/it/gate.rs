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
    offline_scans_sync_and_the_first_scan_wins,
    a_revoked_code_is_refused_online_and_offline_after_a_delta,
    the_bundle_and_sync_refuse_bad_input_and_strangers,
    gates_syncing_one_ticket_at_once_keep_the_earliest_scan,
    rotating_screen_codes_pass_while_fresh_and_screenshots_do_not,
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
        StatusCode::NOT_FOUND,
        "outside the event's organization, its staff is nobody's business"
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

async fn bundle(
    app: &TestApp,
    sale: &OnSale,
    token: &str,
    since: Option<&str>,
) -> (StatusCode, Value) {
    let query = since.map_or_else(String::new, |since| format!("?since={since}"));
    app.get(
        &format!("/checkin/sessions/{}/bundle{query}", sale.session_id),
        Some(token),
    )
    .await
}

fn offline(code: &Value, gate: &str, nonce: &str, at: time::OffsetDateTime) -> Value {
    json!({"code": code, "gate": gate, "nonce": nonce,
        "scanned_at": at.format(&time::format_description::well_known::Rfc3339).unwrap()})
}

async fn sync(app: &TestApp, token: &str, scans: Vec<Value>) -> (StatusCode, Value) {
    app.post("/checkin/sync", Some(token), json!({"scans": scans}))
        .await
}

fn now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
}

async fn offline_scans_sync_and_the_first_scan_wins(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let sale = on_sale(&app, 10, 10, 10, json!({})).await;
    let buyer = app.account("fan@example.com", &[]).await;
    let first = bought_ticket(&app, &sale, &buyer, 0, "gate-key-0001").await;
    let second = bought_ticket(&app, &sale, &buyer, 1, "gate-key-0002").await;
    let porta_a = staff_of(&app, &sale, "a@example.com").await;
    let porta_b = staff_of(&app, &sale, "b@example.com").await;

    let (status, full) = bundle(&app, &sale, &porta_a.token, None).await;
    assert_eq!(status, StatusCode::OK, "{full}");
    assert_eq!(full["tickets"].as_array().unwrap().len(), 2);
    assert_eq!(
        (&full["complete"], &full["session"]["event_title"]),
        (&json!(true), &json!("Grande Show"))
    );
    assert!(!full["keys"].as_array().unwrap().is_empty());
    assert_eq!(full["tickets"][0]["status"], "valid");
    assert_eq!(full["revoked"], json!([]));

    // Gate B is online and lets the first ticket in now; gate A had scanned it ten minutes
    // earlier with no network, and scanned the second twice.
    let (status, _) = scan(
        &app,
        &porta_b.token,
        &first["code"],
        "Portão B",
        "online-0001",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let scans = vec![
        offline(
            &second["code"],
            "Portão A",
            "offline-0002",
            now() - time::Duration::minutes(8),
        ),
        offline(
            &first["code"],
            "Portão A",
            "offline-0001",
            now() - time::Duration::minutes(10),
        ),
        offline(
            &second["code"],
            "Portão A",
            "offline-0003",
            now() - time::Duration::minutes(7),
        ),
    ];
    let (status, synced) = sync(&app, &porta_a.token, scans.clone()).await;
    assert_eq!(status, StatusCode::OK, "{synced}");
    let results = synced["results"].as_array().unwrap();
    let by_nonce = |nonce: &str| {
        results
            .iter()
            .find(|r| r["nonce"] == nonce)
            .unwrap()
            .clone()
    };
    let earliest = by_nonce("offline-0001");
    assert_eq!(
        (&earliest["result"], &earliest["displaced_gate"]),
        (&json!("admitted"), &json!("Portão B")),
        "the earlier offline scan wins, and the online one is named: {earliest}"
    );
    assert_eq!(by_nonce("offline-0002")["result"], "admitted");
    let twice = by_nonce("offline-0003");
    assert_eq!(
        (
            &twice["result"],
            &twice["first_gate"],
            &twice["first_scan_at"]
        ),
        (
            &json!("duplicate"),
            &json!("Portão A"),
            &by_nonce("offline-0002")["scanned_at"]
        )
    );
    // The station retries the same sync: the same answers.
    let (_, again) = sync(&app, &porta_a.token, scans).await;
    let again_results = again["results"].as_array().unwrap();
    for result in results {
        let retried = again_results
            .iter()
            .find(|r| r["nonce"] == result["nonce"])
            .unwrap();
        assert_eq!(retried["result"], result["result"], "{retried}");
    }
    // Online, the ticket is told it was let in at gate A, first.
    let used = scan(
        &app,
        &porta_b.token,
        &first["code"],
        "Portão B",
        "online-0002",
    )
    .await;
    assert_problem(&used, StatusCode::CONFLICT, "ticket_used");
    assert_eq!(used.1["gate"], "Portão A");
    let (_, delta) = bundle(&app, &sale, &porta_b.token, full["next_since"].as_str()).await;
    let seen = delta["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["ticket_id"] == first["id"])
        .unwrap()
        .clone();
    assert_eq!(
        (&seen["status"], &seen["admitted_gate"]),
        (&json!("used"), &json!("Portão A"))
    );
    let report = integrity(&app, &sale).await;
    assert_eq!(
        (&report["checkins_mismatched"], &report["settled_ok"]),
        (&json!(0), &json!(true)),
        "{report}"
    );
}

async fn a_revoked_code_is_refused_online_and_offline_after_a_delta(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let sale = on_sale(&app, 10, 10, 10, json!({})).await;
    let buyer = app.account("fan@example.com", &[]).await;
    let friend = app.account("friend@example.com", &[]).await;
    let ticket = bought_ticket(&app, &sale, &buyer, 0, "gate-key-0001").await;
    let refunded = app.buy_seat(&sale, &buyer.token, 1, "gate-key-0002").await;
    let staff = staff_of(&app, &sale, "a@example.com").await;
    let (_, before) = bundle(&app, &sale, &staff.token, None).await;

    // The ticket changes hands (a new code) and another is refunded (no code at all).
    let (_, offered) = app
        .post(
            &format!("/tickets/{}/transfers", ticket["id"].as_str().unwrap()),
            Some(&buyer.token),
            json!({"to_email": "friend@example.com"}),
        )
        .await;
    let (status, _) = app
        .call(
            Method::POST,
            &format!("/transfers/{}/accept", offered["id"].as_str().unwrap()),
            Some(&friend.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app
        .call(
            Method::POST,
            &format!("/orders/{}/refund", refunded["id"].as_str().unwrap()),
            Some(&sale.organizer.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    // The delta carries both, as tickets and as codes to refuse.
    let (status, delta) = bundle(&app, &sale, &staff.token, before["next_since"].as_str()).await;
    assert_eq!(status, StatusCode::OK, "{delta}");
    let revoked = delta["revoked"].as_array().unwrap();
    let up_to = |id: &Value| {
        revoked
            .iter()
            .find(|r| &r["ticket_id"] == id)
            .map(|r| r["up_to_version"].clone())
    };
    assert_eq!(up_to(&ticket["id"]), Some(json!(1)), "{delta}");
    assert_eq!(
        up_to(&refunded["tickets"][0]["id"]),
        Some(json!(2)),
        "{delta}"
    );
    // Online and offline, the old codes are refused; the new code lets the friend in.
    let old = scan(&app, &staff.token, &ticket["code"], "A", "revoked-0001").await;
    assert_problem(&old, StatusCode::GONE, "ticket_revoked");
    let (_, synced) = sync(
        &app,
        &staff.token,
        vec![
            offline(&ticket["code"], "A", "revoked-0002", now()),
            offline(&refunded["tickets"][0]["code"], "A", "revoked-0003", now()),
        ],
    )
    .await;
    let results: Vec<&Value> = synced["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["result"])
        .collect();
    assert_eq!(
        results,
        [&json!("ticket_revoked"), &json!("ticket_revoked")]
    );
    let (_, current) = app
        .get(
            &format!("/tickets/{}", ticket["id"].as_str().unwrap()),
            Some(&friend.token),
        )
        .await;
    let (status, _) = scan(&app, &staff.token, &current["code"], "A", "revoked-0004").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(integrity(&app, &sale).await["checkins_mismatched"], 0);
}

async fn the_bundle_and_sync_refuse_bad_input_and_strangers(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let sale = on_sale(&app, 10, 10, 10, json!({})).await;
    let elsewhere = on_sale(&app, 10, 10, 10, json!({})).await;
    let buyer = app.account("fan@example.com", &[]).await;
    let ticket = bought_ticket(&app, &sale, &buyer, 0, "gate-key-0001").await;
    let staff = staff_of(&app, &sale, "a@example.com").await;
    let stranger = staff_of(&app, &elsewhere, "outro@example.com").await;

    assert_problem(
        &bundle(&app, &sale, &staff.token, Some("yesterday")).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_problem(
        &bundle(&app, &sale, &stranger.token, None).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    assert_problem(
        &bundle(&app, &sale, &buyer.token, None).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let (status, _) = app
        .get(
            "/checkin/sessions/0190a0a0-0000-7000-8000-000000000000/bundle",
            Some(&staff.token),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    assert_problem(
        &sync(&app, &staff.token, vec![]).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    let future = sync(
        &app,
        &staff.token,
        vec![offline(
            &ticket["code"],
            "A",
            "future-0001",
            now() + time::Duration::hours(1),
        )],
    )
    .await;
    assert_problem(
        &future,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(error_fields(&future.1), ["scans[0].scanned_at"]);
    let long = sync(
        &app,
        &staff.token,
        vec![offline(&json!("x".repeat(5_000)), "A", "long-0001", now())],
    )
    .await;
    assert_eq!(error_fields(&long.1), ["scans[0].code"]);
    let too_many: Vec<Value> = (0..501)
        .map(|i| offline(&ticket["code"], "A", &format!("many-{i:04}"), now()))
        .collect();
    assert_problem(
        &sync(&app, &staff.token, too_many).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    // Per scan: garbage is not a ticket, and another organizer's staff may not let it in.
    let (status, mixed) = sync(
        &app,
        &stranger.token,
        vec![
            offline(&json!("not-a-code"), "B", "stranger-0001", now()),
            offline(&ticket["code"], "B", "stranger-0002", now()),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{mixed}");
    let results: Vec<&Value> = mixed["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["result"])
        .collect();
    assert_eq!(results, [&json!("invalid_ticket"), &json!("forbidden")]);
    let (_, held) = app
        .get(
            &format!("/tickets/{}", ticket["id"].as_str().unwrap()),
            Some(&buyer.token),
        )
        .await;
    assert_eq!(held["status"], "valid", "a refused sync lets nobody in");
}

async fn gates_syncing_one_ticket_at_once_keep_the_earliest_scan(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let sale = on_sale(&app, 10, 10, 10, json!({})).await;
    let buyer = app.account("fan@example.com", &[]).await;
    let ticket = bought_ticket(&app, &sale, &buyer, 0, "gate-key-0001").await;
    let staff = staff_of(&app, &sale, "a@example.com").await;
    let base = now() - time::Duration::minutes(30);
    // Eight stations sync at once, each a scan of the same ticket made at its own minute.
    let syncs: Vec<_> = (0..8i64)
        .map(|i| {
            let at = base + time::Duration::minutes(7 - i);
            let request = app
                .request(Method::POST, "/checkin/sync", Some(&staff.token))
                .json(&json!({"scans": [offline(&ticket["code"], &format!("Portão {i}"), &format!("race-sync-{i:02}"), at)]}));
            tokio::spawn(async move { bilheteria_testkit::read(request.send().await.unwrap()).await })
        })
        .collect();
    for sync in syncs {
        let (status, body) = sync.await.unwrap();
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    // Whatever the order they arrived in, the earliest scan (station 7) is the admission.
    let (_, full) = bundle(&app, &sale, &staff.token, None).await;
    assert_eq!(full["tickets"][0]["admitted_gate"], "Portão 7", "{full}");
    let used = scan(
        &app,
        &staff.token,
        &ticket["code"],
        "Portão 9",
        "race-sync-99",
    )
    .await;
    assert_eq!(used.1["gate"], "Portão 7");
    assert_eq!(integrity(&app, &sale).await["checkins_mismatched"], 0);
}

async fn rotating_screen_codes_pass_while_fresh_and_screenshots_do_not(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let sale = on_sale(
        &app,
        10,
        10,
        10,
        json!({"screen_codes": "screen_only", "max_tickets_per_user": 5}),
    )
    .await;
    let buyer = app.account("fan@example.com", &[]).await;
    let staff = staff_of(&app, &sale, "a@example.com").await;
    let mut tickets = Vec::new();
    for seat in 0..4 {
        tickets
            .push(bought_ticket(&app, &sale, &buyer, seat, &format!("screen-key-{seat:04}")).await);
    }
    let live = |ticket: &Value| {
        let path = format!("/tickets/{}/screen", ticket["id"].as_str().unwrap());
        let token = buyer.token.clone();
        let app = &app;
        async move { app.get(&path, Some(&token)).await }
    };
    let (status, shown) = live(&tickets[0]).await;
    assert_eq!(status, StatusCode::OK, "{shown}");
    assert_eq!(
        (&shown["codes"], &shown["window_seconds"]),
        (&json!("screen_only"), &json!(15))
    );
    assert!(
        shown["code"]
            .as_str()
            .unwrap()
            .starts_with(tickets[0]["code"].as_str().unwrap())
    );

    // Screen only: the printed (static) code does not pass, and nothing is printed.
    let printed = scan(&app, &staff.token, &tickets[0]["code"], "A", "screen-0001").await;
    assert_problem(&printed, StatusCode::CONFLICT, "screen_code_required");
    let pdf = app
        .get(
            &format!("/tickets/{}/pdf", tickets[0]["id"].as_str().unwrap()),
            Some(&buyer.token),
        )
        .await;
    assert_problem(&pdf, StatusCode::CONFLICT, "ticket_screen_only");
    // The live code passes; a tampered one is not ours.
    let (status, _) = scan(&app, &staff.token, &shown["code"], "A", "screen-0002").await;
    assert_eq!(status, StatusCode::OK);
    let (_, second) = live(&tickets[1]).await;
    let mut tampered = second["code"].as_str().unwrap().to_owned();
    tampered.pop();
    tampered.push(if second["code"].as_str().unwrap().ends_with('A') {
        'B'
    } else {
        'A'
    });
    assert_problem(
        &scan(&app, &staff.token, &json!(tampered), "A", "screen-0003").await,
        StatusCode::NOT_FOUND,
        "invalid_ticket",
    );
    // A screenshot taken now stops working within a minute.
    let (_, screenshot) = live(&tickets[2]).await;
    let (_, offline_shot) = live(&tickets[3]).await;
    let shot_at = now();
    app.clock.advance(time::Duration::seconds(60));
    assert_problem(
        &scan(&app, &staff.token, &screenshot["code"], "A", "screen-0004").await,
        StatusCode::CONFLICT,
        "screen_code_expired",
    );
    // A gate offline scanned a live code then: synced later, it is judged as of its scan.
    let (status, synced) = sync(
        &app,
        &staff.token,
        vec![offline(&offline_shot["code"], "B", "screen-0005", shot_at)],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{synced}");
    assert_eq!(synced["results"][0]["result"], "admitted", "{synced}");
    let (_, full) = bundle(&app, &sale, &staff.token, None).await;
    assert_eq!(full["screen"]["codes"], "screen_only");
    assert_eq!(
        full["screen"]["secret"].as_str().unwrap().len(),
        43,
        "32 bytes, base64url"
    );

    // In a session with rotating codes, a printed code still passes.
    let rotating = on_sale(&app, 10, 10, 10, json!({"screen_codes": "rotating"})).await;
    let printed = bought_ticket(&app, &rotating, &buyer, 0, "screen-key-0010").await;
    let (status, _) = scan(
        &app,
        &rotating.organizer.token,
        &printed["code"],
        "A",
        "screen-0006",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, bad) = app
        .post(
            &format!("/events/{}/sessions", sale.event_id),
            Some(&sale.organizer.token),
            json!({"starts_at": "2030-01-01T20:00:00Z", "categories": [], "screen_codes": "sometimes"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
}
