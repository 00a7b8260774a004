//! Venues and the seat-map builder over real HTTP on both backends: who may build, edit,
//! duplicate and generate venues (owners and managers; finance, the door and viewers 403; an
//! outsider 404), in the API and in the console's pages; a row's numbering direction, its
//! aisles and its wheelchair and companion seats, and the stage, as the buyer's seat map shows
//! them; bad venues refused beside their fields; a seat map that changes until the first sale
//! and not after (a rename still may); a 78,000-seat stadium generated, and duplicated.

use crate::organizer_pages::{
    assert_forbidden, assert_not_found, browser_of, organization_with_team,
};
use bilheteria_store::on_both_backends;
use bilheteria_store::testing::TestDatabase;
use bilheteria_testkit::{
    TestApp, assert_problem, error_fields, on_sale, session_body, venue_body,
};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Instant;

on_both_backends!(
    venues_are_built_by_owners_and_managers_only,
    a_rows_layout_and_the_stage_show_in_the_buyers_seat_map,
    bad_venues_are_refused_beside_their_fields,
    a_seat_map_changes_until_the_first_sale,
    a_stadium_of_78000_seats_is_generated_and_duplicated,
);

fn id(value: &Value) -> String {
    value["id"].as_str().unwrap().to_owned()
}

fn laid_out_venue() -> Value {
    json!({
        "name": "Teatro do Parque",
        "city": "Recife",
        "stage_position": "bottom",
        "stage_label": "Tela",
        "sections": [
            {"name": "Plateia", "rows": [
                {"label": "A", "seats": 4, "direction": "right_to_left", "gaps": [2],
                 "accessible": [1], "companion": [2]},
                {"label": "B", "seats": 4}
            ]},
            {"name": "Pista", "capacity": 50}
        ]
    })
}

async fn venues_are_built_by_owners_and_managers_only(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let (org, venue, _) = organization_with_team(&app).await;
    let path = format!("/venues/{}", id(&venue));
    let generator = json!({"organization_id": org, "name": "Arena", "city": "Natal",
        "sections": 2, "rows": 2, "seats": 3});

    for role in ["manager", "finance", "checkin", "viewer", "outsider"] {
        let account = app
            .login_on(&format!("{role}@example.com"), "venues-device")
            .await;
        let t = Some(account.as_str());
        let answers = [
            app.put(&path, t, venue_body()).await,
            app.post(&format!("{path}/duplicate"), t, json!({"name": "Cópia"}))
                .await,
            app.post("/venues/generate", t, generator.clone()).await,
        ];
        for (i, answer) in answers.iter().enumerate() {
            match role {
                "manager" => assert!(
                    answer.0 == StatusCode::OK || answer.0 == StatusCode::CREATED,
                    "{role} {i}: {}",
                    answer.1
                ),
                "outsider" if i < 2 => assert_problem(answer, StatusCode::NOT_FOUND, "not_found"),
                "outsider" => {
                    // Named in a body, an organization one is not in is unknown.
                    assert_problem(
                        answer,
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "validation_failed",
                    );
                    assert_eq!(error_fields(&answer.1), ["organization_id"]);
                }
                _ => assert_problem(answer, StatusCode::FORBIDDEN, "forbidden"),
            }
        }
    }

    // The pages: the list for every member; the builder for owners and managers.
    let pages = [
        format!("/organizer/{org}/venues/new"),
        format!("/organizer/{org}/venues/generate"),
        format!("/organizer/{org}/venues/{}", id(&venue)),
    ];
    for role in ["owner", "manager", "finance", "viewer", "outsider"] {
        let browser = browser_of(&app, &format!("{role}@example.com")).await;
        let list = browser.get(&format!("/organizer/{org}/venues")).await;
        if role == "outsider" {
            assert_not_found(&list, "the list");
        } else {
            assert_eq!(list.status, StatusCode::OK, "{role}: {}", list.body);
            assert!(list.body.contains("Arena Carioca"), "{role}");
            assert_eq!(
                list.body.contains("/venues/new"),
                role == "owner" || role == "manager",
                "{role} offered the builder"
            );
        }
        for page in &pages {
            let answer = browser.get(page).await;
            match role {
                "owner" | "manager" => assert_eq!(answer.status, StatusCode::OK, "{page}"),
                "outsider" => assert_not_found(&answer, page),
                _ => assert_forbidden(&answer, page),
            }
        }
        let csrf = browser.get("/").await.csrf();
        let posted = browser
            .post(
                &format!("/organizer/{org}/venues/{}/duplicate", id(&venue)),
                &[("csrf", &csrf)],
            )
            .await;
        match role {
            "owner" | "manager" => assert_eq!(posted.status, StatusCode::SEE_OTHER, "{role}"),
            "outsider" => assert_not_found(&posted, "duplicate"),
            _ => assert_forbidden(&posted, "duplicate"),
        }
    }
}

async fn a_rows_layout_and_the_stage_show_in_the_buyers_seat_map(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let organizer = app.organizer("org@example.com").await;
    let t = Some(organizer.token.as_str());

    // The body of before still works and answers today's defaults.
    let (status, plain) = app.post("/venues", t, venue_body()).await;
    assert_eq!(status, StatusCode::CREATED, "{plain}");
    assert_eq!(plain["stage_position"], "top");
    assert_eq!(plain["stage_label"], Value::Null);
    assert_eq!(
        plain["sections"][0]["rows"][0],
        json!({"label": "A", "seats": 5, "direction": "left_to_right", "gaps": [],
            "accessible": [], "companion": []})
    );

    let (status, venue) = app.post("/venues", t, laid_out_venue()).await;
    assert_eq!(status, StatusCode::CREATED, "{venue}");
    assert_eq!(venue["stage_label"], "Tela");
    assert_eq!(venue["sections"][0]["rows"][0]["gaps"], json!([2]));
    let (_, read) = app.get(&format!("/venues/{}", id(&venue)), None).await;
    assert_eq!(read, venue, "read back as made");
    let (_, event) = app
        .post(
            "/events",
            t,
            json!({"title": "Cinema", "category": "music", "venue_id": venue["id"], "status": "published"}),
        )
        .await;
    let (status, session) = app
        .post(
            &format!("/events/{}/sessions", id(&event)),
            t,
            session_body(&venue),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{session}");
    let (_, map) = app
        .get(&format!("/sessions/{}/seats", id(&session)), None)
        .await;
    let seats = map["sections"][0]["seats"].as_array().unwrap();
    let row_a: Vec<(i64, i64, Value)> = seats[..4]
        .iter()
        .map(|s| {
            (
                s["number"].as_i64().unwrap(),
                s["position"].as_i64().unwrap(),
                s["accessibility"].clone(),
            )
        })
        .collect();
    // Seat 1 on the right, an aisle after seat 2: 4 3 _ 2 1.
    assert_eq!(
        row_a,
        [
            (1, 4, json!("wheelchair")),
            (2, 3, json!("companion")),
            (3, 1, Value::Null),
            (4, 0, Value::Null)
        ]
    );
    assert_eq!(seats[4]["position"], 0, "row B is plain");

    // The buyer's page draws it: the stage named and below, the seats said and marked.
    let page = crate::pages::Browser::new(&app)
        .get(&format!(
            "/sessions/{}?section={}",
            id(&session),
            venue["sections"][0]["id"].as_str().unwrap()
        ))
        .await
        .body;
    assert!(page.contains(">Tela</text>"), "{page}");
    assert!(page.contains("Fila A, assento 1, lugar para cadeira de rodas"));
    assert!(page.contains("Fila A, assento 2, assento de acompanhante"));
    assert!(page.contains(r#"data-n="1" data-p="4""#));
    assert!(page.contains("class=\"mark\""), "the legend says them");
}

async fn bad_venues_are_refused_beside_their_fields(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let (org, _, _) = organization_with_team(&app).await;
    let token = app.login_on("owner@example.com", "venues-device").await;
    let t = Some(token.as_str());
    let rows = |n: usize| -> Vec<Value> {
        (0..n)
            .map(|i| json!({"label": format!("R{i}"), "seats": 1}))
            .collect()
    };
    for (body, fields) in [
        (
            json!({"name": "Vazio", "city": "X", "sections": [{"name": "S", "rows": [{"label": "A", "seats": 0}]}]}),
            vec!["sections[0].rows[0].seats"],
        ),
        (
            json!({"name": "Longo", "city": "X", "sections": [{"name": "S", "rows": rows(2_001)}]}),
            vec!["sections[0].rows"],
        ),
        (
            json!({"name": "Dup", "city": "X", "sections": [{"name": "S", "rows": [
                {"label": "A", "seats": 3}, {"label": "A", "seats": 3}]}]}),
            vec!["sections[0].rows[1].label"],
        ),
        (
            json!({"name": "Gaps", "city": "X", "stage_label": "x".repeat(41), "sections": [{"name": "S", "rows": [
                {"label": "A", "seats": 3, "gaps": [3], "accessible": [1], "companion": [1]}]}]}),
            vec![
                "stage_label",
                "sections[0].rows[0].gaps",
                "sections[0].rows[0].companion",
            ],
        ),
    ] {
        let refused = app.post("/venues", t, body).await;
        assert_problem(
            &refused,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        );
        assert_eq!(error_fields(&refused.1), fields);
    }
    let refused = app
        .post(
            "/venues",
            t,
            json!({"name": "S", "city": "X", "stage_position": "left", "sections": []}),
        )
        .await;
    assert_eq!(refused.0, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.1);

    // The builder says each beside its field, what was typed kept, and stores nothing.
    let owner = browser_of(&app, "owner@example.com").await;
    let form = owner.get(&format!("/organizer/{org}/venues/new")).await;
    assert_eq!(form.status, StatusCode::OK);
    let before = owner.get(&format!("/organizer/{org}/venues")).await;
    let refused = owner
        .post(
            &format!("/organizer/{org}/venues"),
            &[
                ("csrf", &form.csrf()),
                ("action", "save"),
                ("name", "Teatro Novo"),
                ("city", "Olinda"),
                ("time_zone", "America/Recife"),
                ("stage_position", "top"),
                ("stage_label", ""),
                ("s0.name", "Plateia"),
                ("s0.kind", "seated"),
                ("s0.capacity", ""),
                ("s0.r0.label", "A"),
                ("s0.r0.seats", "0"),
                ("s0.r0.direction", "left_to_right"),
                ("s0.r0.gaps", ""),
                ("s0.r0.accessible", ""),
                ("s0.r0.companion", ""),
                ("s0.r1.label", "A"),
                ("s0.r1.seats", "12"),
                ("s0.r1.direction", "right_to_left"),
                ("s0.r1.gaps", "seis"),
                ("s0.r1.accessible", "1, 2"),
                ("s0.r1.companion", ""),
                ("s0.r2.label", ""),
                ("s0.r2.seats", ""),
                ("s0.r2.direction", "left_to_right"),
                ("s0.r2.gaps", ""),
                ("s0.r2.accessible", ""),
                ("s0.r2.companion", ""),
            ],
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    for (field, says) in [
        ("s0.r0.seats", "Deve estar entre 1 e 1000"),
        ("s0.r1.label", "Repete um item anterior"),
        ("s0.r1.gaps", "Deve ser um número inteiro"),
    ] {
        let at = refused
            .body
            .find(&format!("id=\"{field}-problem\""))
            .unwrap_or_else(|| panic!("no complaint beside {field}: {}", refused.body));
        assert!(
            refused.body[at..at + 200].contains(says),
            "{field}: {}",
            &refused.body[at..at + 200]
        );
    }
    for kept in [
        "value=\"Teatro Novo\"",
        "value=\"Olinda\"",
        "value=\"seis\"",
        "value=\"1, 2\"",
        "value=\"12\"",
    ] {
        assert!(refused.body.contains(kept), "{kept} kept");
    }
    assert!(
        refused
            .body
            .contains(r#"<option value="right_to_left" selected>"#),
        "the direction kept"
    );
    let after = owner.get(&format!("/organizer/{org}/venues")).await;
    assert_eq!(
        after.body.matches("console-item").count(),
        before.body.matches("console-item").count(),
        "nothing stored"
    );
}

async fn a_seat_map_changes_until_the_first_sale(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let sale = on_sale(&app, 10, 20, 5, json!({})).await;
    let owner = Some(sale.organizer.token.as_str());
    let path = format!("/venues/{}", id(&sale.venue));
    let seats_path = format!("/sessions/{}/seats", sale.session_id);

    // Before any sale the seat map changes, and the session sells the new one.
    let mut changed = json!({"name": "Estádio", "city": "Recife", "sections": [
        {"name": "Cadeiras", "rows": [{"label": "A", "seats": 6, "gaps": [3], "accessible": [6]}]},
        {"name": "Pista", "capacity": 30},
        {"name": "Camarote", "rows": [{"label": "1", "seats": 2}]}
    ]});
    let (status, venue) = app.put(&path, owner, changed.clone()).await;
    assert_eq!(status, StatusCode::OK, "{venue}");
    assert_eq!(venue["sections"].as_array().unwrap().len(), 3);
    let (_, map) = app.get(&seats_path, None).await;
    let seats = map["sections"][0]["seats"].as_array().unwrap();
    assert_eq!(seats.len(), 6);
    assert_eq!(seats[3]["position"], 4, "after the aisle");
    assert_eq!(seats[5]["accessibility"], "wheelchair");
    assert_eq!(map["sections"][1]["capacity"], 30);
    assert_eq!(map["sections"][0]["id"], venue["sections"][0]["id"]);
    // Taking away a section a session sells is refused.
    let refused = app
        .put(
            &path,
            owner,
            json!({"name": "E", "city": "R", "sections": [{"name": "Pista", "capacity": 3}]}),
        )
        .await;
    assert_problem(
        &refused,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(error_fields(&refused.1), ["sections"]);

    // A sale; then the seat map stays, but the name, city and stage may change.
    let buyer = app.account("buyer@example.com", &[]).await;
    let seat = seats[0]["id"].as_str().unwrap();
    let (status, held) = app
        .post(
            &format!("/sessions/{}/holds", sale.session_id),
            Some(&buyer.token),
            json!({"seat_ids": [seat]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{held}");
    changed["sections"][0]["rows"][0]["seats"] = json!(7);
    let refused = app.put(&path, owner, changed.clone()).await;
    assert_problem(&refused, StatusCode::CONFLICT, "venue_has_sales");
    changed["sections"][0]["rows"][0]["seats"] = json!(6);
    changed["name"] = json!("Estádio Novo");
    changed["stage_label"] = json!("Campo");
    let (status, renamed) = app.put(&path, owner, changed).await;
    assert_eq!(status, StatusCode::OK, "{renamed}");
    assert_eq!(renamed["name"], "Estádio Novo");
    assert_eq!(
        renamed["sections"], venue["sections"],
        "the seat map as it was"
    );

    // The builder says so above the form, what was typed kept.
    let email = sale.organizer.email.clone();
    let browser = browser_of(&app, &email).await;
    let (_, event) = app.get(&format!("/events/{}", sale.event_id), None).await;
    let org = event["organization_id"].as_str().unwrap();
    let page_path = format!("/organizer/{org}/venues/{}", id(&sale.venue));
    let form = browser.get(&page_path).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    assert!(form.body.contains("value=\"Estádio Novo\""));
    let refused = browser
        .post(
            &page_path,
            &[
                ("csrf", &form.csrf()),
                ("action", "save"),
                ("name", "Estádio Outro"),
                ("city", "Recife"),
                ("time_zone", "America/Sao_Paulo"),
                ("stage_position", "top"),
                ("stage_label", ""),
                ("s0.name", "Cadeiras"),
                ("s0.kind", "seated"),
                ("s0.capacity", ""),
                ("s0.r0.label", "A"),
                ("s0.r0.seats", "9"),
                ("s0.r0.direction", "left_to_right"),
                ("s0.r0.gaps", ""),
                ("s0.r0.accessible", ""),
                ("s0.r0.companion", ""),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
    assert!(
        refused.body.contains("Local com vendas"),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("value=\"Estádio Outro\""));
}

async fn a_stadium_of_78000_seats_is_generated_and_duplicated(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let organizer = app.organizer("arena@example.com").await;
    let t = Some(organizer.token.as_str());
    let started = Instant::now();
    let (status, stadium) = app
        .post(
            "/venues/generate",
            t,
            json!({"name": "Arena das Dunas", "city": "Natal", "sections": 40, "rows": 30,
                "seats": 65, "aisle_every": 20, "stage_position": "bottom", "stage_label": "Campo"}),
        )
        .await;
    let took = started.elapsed();
    assert_eq!(status, StatusCode::CREATED, "{stadium}");
    eprintln!("78,000-seat stadium generated and saved in {took:?}");
    let sections = stadium["sections"].as_array().unwrap();
    assert_eq!(sections.len(), 40);
    assert_eq!(
        sections
            .iter()
            .map(|s| s["capacity"].as_i64().unwrap())
            .sum::<i64>(),
        78_000
    );
    assert_eq!(sections[39]["name"], "Setor 40");
    assert_eq!(sections[0]["rows"][29]["label"], "AD");
    assert_eq!(sections[0]["rows"][0]["gaps"], json!([20, 40, 60]));
    let too_big = app
        .post(
            "/venues/generate",
            t,
            json!({"name": "X", "city": "Y", "sections": 500, "rows": 500, "seats": 1000}),
        )
        .await;
    assert_problem(
        &too_big,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(error_fields(&too_big.1), ["sections"]);

    let started = Instant::now();
    let (status, copy) = app
        .post(
            &format!("/venues/{}/duplicate", id(&stadium)),
            t,
            json!({"name": "Arena das Dunas (cópia)"}),
        )
        .await;
    eprintln!("duplicated in {:?}", started.elapsed());
    assert_eq!(status, StatusCode::CREATED, "{copy}");
    assert_ne!(copy["id"], stadium["id"]);
    assert_eq!(copy["name"], "Arena das Dunas (cópia)");
    assert_eq!(copy["stage_label"], "Campo");
    let strip = |venue: &Value| -> Vec<Value> {
        venue["sections"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| json!([s["name"], s["capacity"], s["rows"]]))
            .collect()
    };
    assert_eq!(strip(&copy), strip(&stadium));
}
