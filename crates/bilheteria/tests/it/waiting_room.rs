//! The waiting room over real HTTP on both storage backends (queue state in memory), and once
//! with its state in Redis: a fair shuffle at sales start, first come first served after it,
//! admission at the configured rate on an injected clock, no hold without admission, tokens that
//! cannot be forged or moved, recovery after losing the shared state, and protection from floods.

use bilheteria_app::Settings;
use bilheteria_app::queue::state::{MemoryQueue, QueueState, RedisQueue};
use bilheteria_app::queue::{RoomLimits, WaitingRoom};
use bilheteria_domain::account::Role;
use bilheteria_domain::clock::Clock;
use bilheteria_domain::queue::{QueueClaims, TokenKey, TokenKind, solve_proof_of_work};
use bilheteria_store::on_both_backends;
use bilheteria_store::testing::TestDatabase;
use bilheteria_testkit::{Account, OnSale, TestApp, assert_problem, on_sale};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::sync::Arc;

on_both_backends!(
    a_fair_line_admits_at_the_configured_rate_and_only_admitted_buyers_hold,
    tokens_cannot_be_forged_moved_or_reused_elsewhere,
    floods_and_misuse_are_refused_without_moving_anyone,
    organizers_see_pause_and_retune_their_queue,
    losing_the_shared_state_keeps_every_place,
    proof_of_work_guards_joins_when_asked,
    the_event_stream_reports_until_admission,
);

async fn queued_sale(app: &TestApp, rate: i64, extra: Value) -> OnSale {
    let sales_start = app.clock.now() + time::Duration::minutes(1);
    let mut queue = json!({"enabled": true, "admit_per_minute": rate});
    if let (Some(queue), Some(extra)) = (queue.as_object_mut(), extra.as_object()) {
        queue.extend(extra.clone());
    }
    on_sale(
        app,
        50,
        50,
        10,
        json!({"queue": queue, "sales_start_at": sales_start.format(&time::format_description::well_known::Rfc3339).unwrap()}),
    )
    .await
}

async fn join(app: &TestApp, buyer: &Account, session: &str) -> (StatusCode, Value) {
    app.call(
        Method::POST,
        &format!("/sessions/{session}/queue"),
        Some(&buyer.token),
        None,
    )
    .await
}

async fn poll(app: &TestApp, session: &str, token: &str) -> (StatusCode, Value) {
    let response = app
        .request(Method::GET, &format!("/sessions/{session}/queue"), None)
        .header("X-Queue-Token", token)
        .send()
        .await
        .unwrap();
    bilheteria_testkit::read(response).await
}

async fn tick(app: &TestApp) {
    app.state
        .queue
        .tick(app.store.as_ref(), app.clock.now())
        .await
        .unwrap();
}

async fn hold_with(
    app: &TestApp,
    buyer: &Account,
    session: &str,
    seat: &str,
    admission: Option<&str>,
) -> (StatusCode, Value) {
    let mut request = app
        .request(
            Method::POST,
            &format!("/sessions/{session}/holds"),
            Some(&buyer.token),
        )
        .json(&json!({"seat_ids": [seat]}));
    if let Some(token) = admission {
        request = request.header("X-Admission-Token", token);
    }
    bilheteria_testkit::read(request.send().await.unwrap()).await
}

async fn a_fair_line_admits_at_the_configured_rate_and_only_admitted_buyers_hold(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let sale = queued_sale(&app, 60, json!({})).await;
    let session = sale.session_id.as_str();
    let buyers = app.buyers(25).await;

    // Before sales open: everyone waits, with no place yet (they will be shuffled).
    let mut tokens = Vec::new();
    for buyer in &buyers[..20] {
        let (status, view) = join(&app, buyer, session).await;
        assert_eq!(status, StatusCode::OK, "{view}");
        assert_eq!(view["status"], "waiting");
        assert!(view["position"].is_null());
        assert!(view["admission_token"].is_null());
        assert!(view["eta_seconds"].as_u64().unwrap() <= 60);
        tokens.push(view["queue_token"].as_str().unwrap().to_owned());
    }
    // Joining again is idempotent: the same place.
    let (_, again) = join(&app, &buyers[0], session).await;
    let key_claims = |token: &str| {
        TokenKey::new([9; 32])
            .verify(token, TokenKind::Queue)
            .unwrap()
            .seq
    };
    assert_eq!(
        key_claims(again["queue_token"].as_str().unwrap()),
        key_claims(&tokens[0])
    );
    let early = hold_with(&app, &buyers[0], session, &sale.seat_ids[0], None).await;
    assert_problem(&early, StatusCode::CONFLICT, "sales_not_open");

    // Sales open: the line is shuffled; every place 1..=20 is taken once.
    app.clock.advance(time::Duration::seconds(61));
    tick(&app).await;
    let mut places = Vec::new();
    for token in &tokens {
        let (status, view) = poll(&app, session, token).await;
        assert_eq!(status, StatusCode::OK, "{view}");
        places.push(view["position"].as_u64().unwrap());
    }
    assert_eq!(
        places.iter().copied().collect::<HashSet<_>>(),
        (1..=20).collect::<HashSet<u64>>()
    );
    // Later arrivals queue after them, first come first served.
    for (i, buyer) in buyers[20..].iter().enumerate() {
        let (_, view) = join(&app, buyer, session).await;
        assert_eq!(view["position"], 21 + i as u64);
        tokens.push(view["queue_token"].as_str().unwrap().to_owned());
    }

    // 60 a minute: ten seconds admit exactly ten, the ten at the front.
    app.clock.advance(time::Duration::seconds(10));
    tick(&app).await;
    let mut admitted = Vec::new();
    for (i, token) in tokens.iter().enumerate() {
        let (_, view) = poll(&app, session, token).await;
        if view["status"] == "admitted" {
            assert!(view["admission_token"].is_string());
            admitted.push(i);
        } else {
            assert!(view["position"].as_u64().unwrap() >= 1);
            assert!(view["eta_seconds"].as_u64().unwrap() >= 1);
        }
    }
    assert_eq!(admitted.len(), 10, "{admitted:?}");
    assert!(admitted.iter().all(|i| places[*i] <= 10));
    let (_, stats) = app
        .get(
            &format!("/sessions/{session}/queue/stats"),
            Some(&sale.organizer.token),
        )
        .await;
    assert_eq!(
        (
            stats["admitted"].as_u64(),
            stats["joined"].as_u64(),
            stats["presale"].as_u64()
        ),
        (Some(10), Some(25), Some(20)),
        "{stats}"
    );

    // An admitted buyer holds with the admission token; nobody else can use it.
    let lucky = &buyers[admitted[0]];
    let (_, view) = poll(&app, session, &tokens[admitted[0]]).await;
    let admission = view["admission_token"].as_str().unwrap().to_owned();
    let (status, held) = hold_with(&app, lucky, session, &sale.seat_ids[0], Some(&admission)).await;
    assert_eq!(status, StatusCode::CREATED, "{held}");
    let waiting = buyers
        .iter()
        .enumerate()
        .find(|(i, _)| !admitted.contains(i))
        .unwrap()
        .1;
    assert_problem(
        &hold_with(&app, waiting, session, &sale.seat_ids[1], None).await,
        StatusCode::FORBIDDEN,
        "admission_required",
    );
    assert_problem(
        &hold_with(&app, waiting, session, &sale.seat_ids[1], Some(&admission)).await,
        StatusCode::FORBIDDEN,
        "admission_required",
    );

    // Over the next minute the rest are admitted, at the rate.
    for _ in 0..15 {
        app.clock.advance(time::Duration::seconds(1));
        tick(&app).await;
    }
    let (_, stats) = app
        .get(
            &format!("/sessions/{session}/queue/stats"),
            Some(&sale.organizer.token),
        )
        .await;
    assert_eq!(stats["admitted"], 25, "never more than joined");

    // The admission lapses after its window: no more holds, and polls say so.
    app.clock.advance(time::Duration::minutes(11));
    tick(&app).await;
    assert_problem(
        &hold_with(&app, lucky, session, &sale.seat_ids[2], Some(&admission)).await,
        StatusCode::FORBIDDEN,
        "admission_required",
    );
    assert_problem(
        &poll(&app, session, &tokens[admitted[0]]).await,
        StatusCode::GONE,
        "admission_expired",
    );
}

async fn tokens_cannot_be_forged_moved_or_reused_elsewhere(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let sale = queued_sale(&app, 6_000, json!({})).await;
    let other = queued_sale(&app, 6_000, json!({})).await;
    let session = sale.session_id.as_str();
    let buyers = app.buyers(2).await;
    let (_, view) = join(&app, &buyers[0], session).await;
    let token = view["queue_token"].as_str().unwrap().to_owned();
    app.clock.advance(time::Duration::seconds(61));
    tick(&app).await;
    app.clock.advance(time::Duration::seconds(2));
    tick(&app).await;
    let (_, view) = poll(&app, session, &token).await;
    let admission = view["admission_token"]
        .as_str()
        .expect("admitted")
        .to_owned();

    // Garbage, truncated, tampered and re-signed queue tokens.
    let claims = TokenKey::new([9; 32])
        .verify(&token, TokenKind::Queue)
        .unwrap();
    let resigned = TokenKey::new([1; 32]).sign(&claims);
    let mut tampered = token.clone().into_bytes();
    tampered[10] = if tampered[10] == b'A' { b'B' } else { b'A' };
    for bad in [
        "garbage",
        &token[..token.len() - 4],
        &resigned,
        std::str::from_utf8(&tampered).unwrap(),
        &admission,
    ] {
        assert_problem(
            &poll(&app, session, bad).await,
            StatusCode::UNAUTHORIZED,
            "invalid_queue_token",
        );
    }
    let missing = bilheteria_testkit::read(
        app.request(Method::GET, &format!("/sessions/{session}/queue"), None)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_problem(&missing, StatusCode::UNAUTHORIZED, "invalid_queue_token");
    assert_problem(
        &poll(&app, &other.session_id, &token).await,
        StatusCode::UNAUTHORIZED,
        "invalid_queue_token",
    );

    // Admission tokens: another account, another session, forged, or a queue token instead.
    let thief = &buyers[1];
    assert_problem(
        &hold_with(&app, thief, session, &sale.seat_ids[0], Some(&admission)).await,
        StatusCode::FORBIDDEN,
        "admission_required",
    );
    assert_problem(
        &hold_with(
            &app,
            &buyers[0],
            &other.session_id,
            &other.seat_ids[0],
            Some(&admission),
        )
        .await,
        StatusCode::FORBIDDEN,
        "admission_required",
    );
    let forged = TokenKey::new([1; 32]).sign(&QueueClaims {
        kind: TokenKind::Admission,
        time_ms: i64::MAX,
        ..claims
    });
    assert_problem(
        &hold_with(&app, &buyers[0], session, &sale.seat_ids[0], Some(&forged)).await,
        StatusCode::FORBIDDEN,
        "admission_required",
    );
    assert_problem(
        &hold_with(&app, &buyers[0], session, &sale.seat_ids[0], Some(&token)).await,
        StatusCode::FORBIDDEN,
        "admission_required",
    );
    // The same account on another device (a new login) cannot reuse it either.
    let relogged = app
        .store
        .find_credentials(&buyers[0].email)
        .await
        .unwrap()
        .unwrap()
        .user;
    let new_token = bilheteria_app::auth::new_token().unwrap();
    app.store
        .start_login_session(bilheteria_store::NewLoginSession {
            user_id: relogged.id,
            token_hash: bilheteria_app::auth::token_hash(&new_token),
            device_id: "another-device-9".into(),
            ip: None,
            user_agent: None,
            created_at: time::OffsetDateTime::now_utc(),
            expires_at: time::OffsetDateTime::now_utc() + time::Duration::days(1),
        })
        .await
        .unwrap();
    let moved = Account {
        token: new_token,
        ..buyers[0].clone()
    };
    assert_problem(
        &hold_with(&app, &moved, session, &sale.seat_ids[0], Some(&admission)).await,
        StatusCode::FORBIDDEN,
        "admission_required",
    );
    // And the first device's login was replaced by that new login (C2).
    let replaced = hold_with(
        &app,
        &buyers[0],
        session,
        &sale.seat_ids[0],
        Some(&admission),
    )
    .await;
    assert_problem(&replaced, StatusCode::UNAUTHORIZED, "session_replaced");
}

async fn floods_and_misuse_are_refused_without_moving_anyone(db: TestDatabase) {
    let room = bilheteria_testkit::memory_room(RoomLimits::local([5, 10, 10_000, 10_000]));
    let app = TestApp::spawn_custom(db, Settings::default(), None, Some(room)).await;
    let sale = queued_sale(&app, 60, json!({})).await;
    let plain = on_sale(&app, 10, 10, 1, json!({})).await;
    let session = sale.session_id.as_str();
    let buyers = app.buyers(8).await;
    let mut ok = 0;
    let mut limited = 0;
    for buyer in &buyers {
        match join(&app, buyer, session).await.0 {
            StatusCode::OK => ok += 1,
            StatusCode::TOO_MANY_REQUESTS => limited += 1,
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(
        (ok, limited),
        (5, 3),
        "five joins a minute from one address"
    );
    let (_, stats) = app
        .get(
            &format!("/sessions/{session}/queue/stats"),
            Some(&sale.organizer.token),
        )
        .await;
    assert_eq!(stats["joined"], 5, "refused joins took no place");
    assert_problem(
        &join(&app, &buyers[0], &plain.session_id).await,
        StatusCode::CONFLICT,
        "queue_not_enabled",
    );
    assert_problem(
        &join(&app, &buyers[0], &uuid::Uuid::now_v7().to_string()).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    let anonymous = app
        .call(
            Method::POST,
            &format!("/sessions/{session}/queue"),
            None,
            None,
        )
        .await;
    assert_problem(&anonymous, StatusCode::UNAUTHORIZED, "unauthenticated");
}

async fn organizers_see_pause_and_retune_their_queue(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let sale = queued_sale(&app, 60, json!({})).await;
    let session = sale.session_id.as_str();
    let buyers = app.buyers(30).await;
    for buyer in &buyers {
        join(&app, buyer, session).await;
    }
    app.clock.advance(time::Duration::seconds(61));
    tick(&app).await;
    let path = format!("/sessions/{session}/queue");
    let organizer = Some(sale.organizer.token.as_str());
    let (status, paused) = app.patch(&path, organizer, json!({"paused": true})).await;
    assert_eq!(
        (status, paused["paused"].as_bool()),
        (StatusCode::OK, Some(true)),
        "{paused}"
    );
    app.clock.advance(time::Duration::seconds(30));
    tick(&app).await;
    let stats_path = format!("/sessions/{session}/queue/stats");
    let stats = async |app: &TestApp| app.get(&stats_path, organizer).await.1;
    assert_eq!(stats(&app).await["admitted"], 0, "paused");
    let (_, faster) = app
        .patch(
            &path,
            organizer,
            json!({"paused": false, "admit_per_minute": 600, "max_active": 12}),
        )
        .await;
    assert_eq!(
        (
            faster["admit_per_minute"].as_i64(),
            faster["max_active"].as_i64()
        ),
        (Some(600), Some(12))
    );
    app.clock.advance(time::Duration::seconds(2));
    tick(&app).await;
    app.clock.advance(time::Duration::seconds(2));
    tick(&app).await;
    let now = stats(&app).await;
    // 600 a minute for four seconds would be 40, but only 12 may be buying at once.
    assert_eq!(
        (now["admitted"].as_u64(), now["active"].as_u64()),
        (Some(12), Some(12)),
        "{now}"
    );
    // When the window of those twelve lapses, twelve more may come in.
    app.clock.advance(time::Duration::minutes(10));
    tick(&app).await;
    assert_eq!(stats(&app).await["admitted"], 24);
    let bad = app
        .patch(
            &path,
            organizer,
            json!({"admit_per_minute": 0, "proof_of_work_bits": 40}),
        )
        .await;
    assert_problem(&bad, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    // Outside the event's organization its queue is not found to steer or watch.
    let customer = app.account("fan@example.com", &[]).await;
    assert_problem(
        &app.patch(&path, Some(&customer.token), json!({"paused": true}))
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_problem(
        &app.get(&format!("{path}/stats"), Some(&customer.token))
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    let admin = app.account("root@example.com", &[Role::Admin]).await;
    let (_, audit) = app
        .get("/admin/audit?action=queue.updated", Some(&admin.token))
        .await;
    assert_eq!(
        audit["items"].as_array().unwrap().len(),
        2,
        "each change is audited"
    );
    assert_eq!(audit["items"][0]["after"]["admit_per_minute"], 600);
}

async fn losing_the_shared_state_keeps_every_place(db: TestDatabase) {
    let memory = Arc::new(MemoryQueue::default());
    let room = WaitingRoom::new(
        memory.clone(),
        [9; 32],
        time::Duration::minutes(10),
        RoomLimits::local([10_000; 4]),
    );
    let app = TestApp::spawn_custom(db, Settings::default(), None, Some(room)).await;
    let sale = queued_sale(&app, 60, json!({})).await;
    let session = sale.session_id.as_str();
    let buyers = app.buyers(12).await;
    let mut tokens = Vec::new();
    for buyer in &buyers {
        tokens.push(
            join(&app, buyer, session).await.1["queue_token"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    app.clock.advance(time::Duration::seconds(61));
    tick(&app).await;
    app.clock.advance(time::Duration::seconds(5));
    tick(&app).await;
    let mut before = Vec::new();
    for token in &tokens {
        before.push(poll(&app, session, token).await.1);
    }

    memory.forget();
    tick(&app).await;
    for (token, was) in tokens.iter().zip(&before) {
        let (status, now) = poll(&app, session, token).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(now["status"], was["status"], "{now} vs {was}");
        assert_eq!(
            now["position"], was["position"],
            "the same shuffle, the same places"
        );
    }
    // Lost again, and a new arrival comes before any tick: it still queues after everyone.
    memory.forget();
    let late = app.buyers(1).await;
    let token = join(&app, &late[0], session).await.1["queue_token"]
        .as_str()
        .unwrap()
        .to_owned();
    tick(&app).await;
    let place = poll(&app, session, &token).await.1["position"]
        .as_u64()
        .unwrap();
    assert_eq!(
        place,
        13 - 5,
        "13th in line (not a low number inside the shuffled group), after the 5 admitted"
    );
}

async fn proof_of_work_guards_joins_when_asked(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let sale = queued_sale(&app, 60, json!({"proof_of_work_bits": 8})).await;
    let session = sale.session_id.as_str();
    let buyers = app.buyers(2).await;
    assert_problem(
        &join(&app, &buyers[0], session).await,
        StatusCode::FORBIDDEN,
        "proof_of_work_required",
    );
    let (_, challenge) = app
        .get(
            &format!("/sessions/{session}/queue/challenge"),
            Some(&buyers[0].token),
        )
        .await;
    assert_eq!(challenge["bits"], 8);
    let challenge = challenge["challenge"].as_str().unwrap();
    let nonce = solve_proof_of_work(challenge, 8);
    let with_pow = |buyer: &Account, nonce: &str| {
        app.request(
            Method::POST,
            &format!("/sessions/{session}/queue"),
            Some(&buyer.token),
        )
        .header("X-Queue-Challenge", challenge)
        .header("X-Queue-Nonce", nonce.to_owned())
        .send()
    };
    let (status, view) =
        bilheteria_testkit::read(with_pow(&buyers[0], &nonce).await.unwrap()).await;
    assert_eq!(
        (status, view["status"].as_str()),
        (StatusCode::OK, Some("waiting")),
        "{view}"
    );
    let wrong =
        bilheteria_testkit::read(with_pow(&buyers[0], "not-a-solution").await.unwrap()).await;
    assert_problem(&wrong, StatusCode::FORBIDDEN, "proof_of_work_required");
    let borrowed = bilheteria_testkit::read(with_pow(&buyers[1], &nonce).await.unwrap()).await;
    assert_problem(&borrowed, StatusCode::FORBIDDEN, "proof_of_work_required");
}

async fn the_event_stream_reports_until_admission(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let sale = queued_sale(&app, 6_000, json!({})).await;
    let session = sale.session_id.as_str();
    let buyer = &app.buyers(1).await[0];
    let token = join(&app, buyer, session).await.1["queue_token"]
        .as_str()
        .unwrap()
        .to_owned();
    app.clock.advance(time::Duration::seconds(61));
    tick(&app).await;
    app.clock.advance(time::Duration::seconds(1));
    tick(&app).await;
    let response = app
        .request(
            Method::GET,
            &format!("/sessions/{session}/queue/events?queue_token={token}"),
            None,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    // Admitted at once: one event, then the stream ends.
    let body = tokio::time::timeout(std::time::Duration::from_secs(10), response.text())
        .await
        .unwrap()
        .unwrap();
    assert!(body.contains("event: queue"), "{body}");
    assert!(body.contains("\"status\":\"admitted\""), "{body}");
    let bad = app
        .request(
            Method::GET,
            &format!("/sessions/{session}/queue/events?queue_token=nope"),
            None,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::UNAUTHORIZED);
}

/// The same flow with the queue's state in Redis (SQLite for the database).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(bilheteria_redis_tests),
    ignore = "Redis: set BILHETERIA_TEST_REDIS_URL to run"
)]
async fn the_waiting_room_works_the_same_on_redis() {
    let url = std::env::var("BILHETERIA_TEST_REDIS_URL").unwrap();
    let prefix = format!("bilheteria-test:{}", uuid::Uuid::now_v7().simple());
    let state: Arc<dyn QueueState> = Arc::new(RedisQueue::connect(&url, &prefix).await.unwrap());
    let room = WaitingRoom::new(
        state,
        [9; 32],
        time::Duration::minutes(10),
        RoomLimits::local([10_000; 4]),
    );
    let app = TestApp::spawn_custom(
        TestDatabase::sqlite(),
        Settings::default(),
        None,
        Some(room),
    )
    .await;
    let sale = queued_sale(&app, 120, json!({})).await;
    let session = sale.session_id.as_str();
    let buyers = app.buyers(10).await;
    let mut tokens = Vec::new();
    for buyer in &buyers {
        tokens.push(
            join(&app, buyer, session).await.1["queue_token"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    app.clock.advance(time::Duration::seconds(61));
    tick(&app).await;
    app.clock.advance(time::Duration::seconds(3));
    tick(&app).await;
    let mut places = HashSet::new();
    let mut admitted = 0;
    for (buyer, token) in buyers.iter().zip(&tokens) {
        let (_, view) = poll(&app, session, token).await;
        if let Some(admission) = view["admission_token"].as_str() {
            admitted += 1;
            let seat = &sale.seat_ids[admitted];
            let held = hold_with(&app, buyer, session, seat, Some(admission)).await;
            assert_eq!(held.0, StatusCode::CREATED, "{}", held.1);
        } else {
            places.insert(view["position"].as_u64().unwrap());
        }
    }
    assert_eq!(admitted, 6, "120 a minute for three seconds");
    assert_eq!(places, (1..=4).collect::<HashSet<u64>>());
    assert_eq!(app.state.queue.state.kind(), "redis");
}
