//! `bilheteria gate`, the check-in station, against the real server on both backends: online,
//! then with no server at all (its own file carries it), then syncing what it let in offline.

use bilheteria_station::{StationArgs, Summary, run_with};
use bilheteria_store::on_both_backends;
use bilheteria_store::testing::TestDatabase;
use bilheteria_testkit::{Account, OnSale, TestApp, on_sale};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::path::Path;

on_both_backends!(a_station_checks_tickets_in_offline_and_syncs_later,);

async fn station(
    server: &str,
    sale: &OnSale,
    staff: &Account,
    data: &Path,
    input: &str,
) -> (Summary, String) {
    let args = StationArgs {
        server: server.to_owned(),
        session: sale.session_id.parse().unwrap(),
        gate: "Portão Norte".into(),
        token: Some(staff.token.clone()),
        email: None,
        password: None,
        data: Some(data.to_owned()),
        sync_every: 1,
        timeout: 2,
    };
    let mut out = Vec::new();
    let summary = run_with(args, input.as_bytes(), &mut out).await.unwrap();
    (summary, String::from_utf8(out).unwrap())
}

async fn ticket_status(app: &TestApp, owner: &Account, ticket: &Value) -> Value {
    app.get(
        &format!("/tickets/{}", ticket["id"].as_str().unwrap()),
        Some(&owner.token),
    )
    .await
    .1["status"]
        .clone()
}

async fn a_station_checks_tickets_in_offline_and_syncs_later(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let sale = on_sale(&app, 10, 10, 10, json!({"max_tickets_per_user": 10})).await;
    let elsewhere = on_sale(&app, 10, 10, 10, json!({})).await;
    let buyer = app.account("fan@example.com", &[]).await;
    let friend = app.account("friend@example.com", &[]).await;
    let ticket = |order: Value| order["tickets"][0].clone();
    let first = ticket(app.buy_seat(&sale, &buyer.token, 0, "station-key-01").await);
    let second = ticket(app.buy_seat(&sale, &buyer.token, 1, "station-key-02").await);
    let passed_on = ticket(app.buy_seat(&sale, &buyer.token, 2, "station-key-03").await);
    let at_south = ticket(app.buy_seat(&sale, &buyer.token, 3, "station-key-04").await);
    let other_session = ticket(
        app.buy_seat(&elsewhere, &buyer.token, 0, "station-key-05")
            .await,
    );
    let staff = app.account("porteiro@example.com", &[]).await;
    let (status, _) = app
        .post(
            &format!("/events/{}/staff", sale.event_id),
            Some(&sale.organizer.token),
            json!({"email": staff.email}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    // Before the station starts: a ticket changes hands, and another is let in at the south gate.
    let (_, offered) = app
        .post(
            &format!("/tickets/{}/transfers", passed_on["id"].as_str().unwrap()),
            Some(&buyer.token),
            json!({"to_email": friend.email}),
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
        .post(
            "/checkin",
            Some(&staff.token),
            json!({"code": at_south["code"], "gate": "Portão Sul", "nonce": "south-0001"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("gate.sqlite3");
    let code = |t: &Value| t["code"].as_str().unwrap().to_owned();
    let input = [
        code(&first),
        code(&first),
        "garbage".to_owned(),
        code(&other_session),
        code(&passed_on),
        code(&at_south),
        String::new(),
    ]
    .join("\n");
    let (summary, out) = station(&app.base, &sale, &staff, &data, &input).await;
    assert_eq!(
        (summary.scanned, summary.admitted, summary.waiting_to_sync),
        (6, 1, 0),
        "{out}"
    );
    for expected in [
        "ENTRADA LIBERADA",
        "JÁ ENTROU por este portão",
        "CÓDIGO INVÁLIDO",
        "INGRESSO DE OUTRA SESSÃO",
        "INGRESSO CANCELADO ou com código substituído",
        "JÁ ENTROU por Portão Sul",
        "entradas aqui: 1 · aguardando sincronizar: 0 · online",
    ] {
        assert!(out.contains(expected), "{expected:?} in\n{out}");
    }
    // Times are the venue's wall clock (Recife: UTC−3), not RFC 3339.
    let south = out
        .lines()
        .find_map(|line| line.split_once("JÁ ENTROU por Portão Sul às "))
        .map(|(_, at)| at.to_owned())
        .expect("the south gate's admission");
    assert!(
        south.len() == 8 && south.as_bytes()[2] == b':' && south.as_bytes()[5] == b':',
        "{south}"
    );
    assert_eq!(
        ticket_status(&app, &buyer, &first).await,
        "used",
        "synced at once"
    );
    let (_, used) = app
        .post(
            "/checkin",
            Some(&staff.token),
            json!({"code": first["code"], "gate": "Portão Sul", "nonce": "south-0002"}),
        )
        .await;
    assert_eq!(used["gate"], "Portão Norte");

    // The network goes: the station works from its own file and keeps what it lets in.
    let offline_input = format!("{}\n{}\n", code(&second), code(&first));
    let (summary, out) = station("http://127.0.0.1:9", &sale, &staff, &data, &offline_input).await;
    assert!(out.contains("OFFLINE"), "{out}");
    assert!(
        out.contains("ENTRADA LIBERADA") && out.contains("JÁ ENTROU por este portão"),
        "{out}"
    );
    assert_eq!(
        (summary.admitted, summary.waiting_to_sync, summary.online),
        (1, 1, false),
        "{out}"
    );
    assert_eq!(
        ticket_status(&app, &buyer, &second).await,
        "valid",
        "the server has not heard yet"
    );

    // Back online, with nobody scanning: the backlog goes up.
    let (summary, out) = station(&app.base, &sale, &staff, &data, "").await;
    assert_eq!(
        (summary.waiting_to_sync, summary.online),
        (0, true),
        "{out}"
    );
    assert_eq!(ticket_status(&app, &buyer, &second).await, "used");
    let (_, report) = app
        .get(
            &format!("/sessions/{}/integrity", sale.session_id),
            Some(&sale.organizer.token),
        )
        .await;
    assert_eq!(
        (&report["checkins_mismatched"], &report["settled_ok"]),
        (&json!(0), &json!(true)),
        "{report}"
    );

    // A file of one session is not used for another.
    let args = StationArgs {
        server: app.base.clone(),
        session: elsewhere.session_id.parse().unwrap(),
        gate: "Portão Norte".into(),
        token: Some(staff.token.clone()),
        email: None,
        password: None,
        data: Some(data.clone()),
        sync_every: 1,
        timeout: 2,
    };
    let refused = run_with(args, "".as_bytes(), &mut Vec::new()).await;
    assert!(
        refused
            .unwrap_err()
            .to_string()
            .contains("belongs to the station of session")
    );
}
