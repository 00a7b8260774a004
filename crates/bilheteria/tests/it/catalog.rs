//! The catalog over real HTTP on both backends: an organizer builds it, the public browses it,
//! nobody else can change it, and bad input is refused without leaving anything behind.

use bilheteria_domain::account::Role;
use bilheteria_domain::catalog::MAX_PRICE_CENTS;
use bilheteria_domain::locale::{brl, brl_en};
use bilheteria_store::on_both_backends;
use bilheteria_store::testing::TestDatabase;
use bilheteria_testkit::{
    Account, TestApp, assert_problem, error_fields, read, session_body, venue_body,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

on_both_backends!(
    an_organizer_builds_a_catalog_the_public_can_browse,
    another_organizer_is_denied_every_write,
    customers_and_anonymous_callers_cannot_author,
    catalog_bad_input_is_refused_and_leaves_nothing,
    listing_and_search_filter_and_page,
    a_stadium_of_a_hundred_thousand_seats_is_created_and_sold,
);

struct Catalog {
    venue: Value,
    event: Value,
    session: Value,
    product: Value,
}

async fn build_catalog(app: &TestApp, organizer: &Account, status: &str) -> Catalog {
    let token = Some(organizer.token.as_str());
    let (code, venue) = app.post("/venues", token, venue_body()).await;
    assert_eq!(code, StatusCode::CREATED, "{venue}");
    let (code, event) = app
        .post(
            "/events",
            token,
            json!({"title": "Noite de Samba", "description": "Roda de samba ao vivo", "category": "Music",
                   "tags": ["samba", "Ao-Vivo"], "venue_id": venue["id"], "status": status}),
        )
        .await;
    assert_eq!(code, StatusCode::CREATED, "{event}");
    let (code, session) = app
        .post(
            &format!("/events/{}/sessions", event["id"].as_str().unwrap()),
            token,
            session_body(&venue),
        )
        .await;
    assert_eq!(code, StatusCode::CREATED, "{session}");
    let (code, product) = app
        .post(
            "/products",
            token,
            json!({"name": "Camiseta", "price_cents": 7900, "stock": 100, "tags": ["merch"], "event_ids": [event["id"]]}),
        )
        .await;
    assert_eq!(code, StatusCode::CREATED, "{product}");
    Catalog {
        venue,
        event,
        session,
        product,
    }
}

fn id(value: &Value) -> &str {
    value["id"].as_str().unwrap()
}

async fn an_organizer_builds_a_catalog_the_public_can_browse(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let organizer = app.organizer("org@example.com").await;
    let token = Some(organizer.token.as_str());
    let catalog = build_catalog(&app, &organizer, "draft").await;

    let venue = &catalog.venue;
    assert_eq!(venue["sections"][0]["kind"], "seated");
    assert_eq!(venue["sections"][0]["capacity"], 10);
    assert_eq!(venue["sections"][1]["kind"], "standing");
    assert_eq!(venue["sections"][1]["capacity"], 200);
    assert_eq!(
        app.get(&format!("/venues/{}", id(venue)), None).await.1,
        *venue
    );

    let event = &catalog.event;
    assert_eq!(event["category"], "music");
    assert_eq!(event["tags"], json!(["samba", "ao-vivo"]));
    assert_eq!(event["status"], "draft");
    let session = &catalog.session;
    assert_eq!(session["max_tickets_per_user"], 2);
    assert_eq!(session["hold_seconds"], 600);
    assert_eq!(session["queue"]["enabled"], false);
    assert_eq!(session["currency"], "BRL");
    assert_eq!(
        session["categories"][0]["section_ids"],
        json!([venue["sections"][0]["id"]])
    );

    // A draft is invisible to the public, visible to its organizer.
    let event_path = format!("/events/{}", id(event));
    assert_problem(
        &app.get(&event_path, None).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_eq!(app.get(&event_path, token).await.0, StatusCode::OK);
    assert_problem(
        &app.get(&format!("/sessions/{}/seats", id(session)), None)
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_eq!(app.get("/events", None).await.1["items"], json!([]));

    let (code, published) = app
        .patch(&event_path, token, json!({"status": "published"}))
        .await;
    assert_eq!(code, StatusCode::OK, "{published}");
    assert_eq!(
        published["title"], "Noite de Samba",
        "a patch keeps what it does not name"
    );

    let (code, listing) = app.get("/events", None).await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(listing["items"].as_array().unwrap().len(), 1);
    assert_eq!(listing["items"][0]["id"], event["id"]);
    let (code, detail) = app.get(&event_path, None).await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(detail["sessions"][0]["id"], session["id"]);
    assert_eq!(
        app.get(&format!("/sessions/{}", id(session)), None).await.1,
        *session
    );

    let (code, map) = app
        .get(&format!("/sessions/{}/seats", id(session)), None)
        .await;
    assert_eq!(code, StatusCode::OK, "{map}");
    let seated = &map["sections"][0];
    assert_eq!(
        (seated["capacity"].as_i64(), seated["available"].as_i64()),
        (Some(10), Some(10))
    );
    assert_eq!(seated["category_id"], session["categories"][0]["id"]);
    let seats = seated["seats"].as_array().unwrap();
    assert_eq!(seats.len(), 10);
    assert_eq!(
        (seats[5]["row"].as_str(), seats[5]["number"].as_i64()),
        (Some("B"), Some(1))
    );
    assert!(
        seats
            .iter()
            .all(|s| s["status"] == "available" && s["id"].is_string())
    );
    let standing = &map["sections"][1];
    assert_eq!(
        (standing["kind"].as_str(), standing["available"].as_i64()),
        (Some("standing"), Some(200))
    );
    assert!(standing.get("seats").is_none());

    let (code, products) = app
        .get(&format!("/events/{}/products", id(event)), None)
        .await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(products["items"][0]["id"], catalog.product["id"]);
    let (code, product) = app
        .patch(
            &format!("/products/{}", id(&catalog.product)),
            token,
            json!({"stock": 40, "price_cents": 8500}),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{product}");
    assert_eq!(
        (product["stock"].as_i64(), product["price_cents"].as_i64()),
        (Some(40), Some(8500))
    );
    assert_eq!(
        app.get(&format!("/products/{}", id(&catalog.product)), None)
            .await
            .1,
        product
    );
}

async fn another_organizer_is_denied_every_write(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let owner = app.organizer("owner@example.com").await;
    let rival = app.organizer("rival@example.com").await;
    let published = build_catalog(&app, &owner, "published").await;
    let draft = build_catalog(&app, &owner, "draft").await;
    let rival_venue = app
        .post("/venues", Some(&rival.token), venue_body())
        .await
        .1;
    let token = Some(rival.token.as_str());

    // Outside the owner's organization its things are not found, published or not; naming
    // a published venue or event of it in a body of one's own is forbidden.
    let event_on_owner_venue =
        json!({"title": "Pirata", "category": "music", "venue_id": published.venue["id"]});
    assert_problem(
        &app.post("/events", token, event_on_owner_venue).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let patch_path = format!("/events/{}", id(&published.event));
    assert_problem(
        &app.patch(&patch_path, token, json!({"title": "Hijacked"}))
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    let sessions_path = format!("/events/{}/sessions", id(&published.event));
    assert_problem(
        &app.post(&sessions_path, token, session_body(&rival_venue))
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    let product_for_owner_event = json!({"name": "Fake", "price_cents": 100, "stock": 1, "event_ids": [published.event["id"]]});
    assert_problem(
        &app.post("/products", token, product_for_owner_event).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let product_path = format!("/products/{}", id(&published.product));
    assert_problem(
        &app.patch(&product_path, token, json!({"stock": 0})).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );

    // Writes on the owner's draft (invisible) things: not found, as if they did not exist.
    let draft_path = format!("/events/{}", id(&draft.event));
    assert_problem(
        &app.patch(&draft_path, token, json!({"title": "Hijacked"}))
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    let draft_sessions = format!("/events/{}/sessions", id(&draft.event));
    assert_problem(
        &app.post(&draft_sessions, token, session_body(&rival_venue))
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    let product_for_draft =
        json!({"name": "Fake", "price_cents": 100, "stock": 1, "event_ids": [draft.event["id"]]});
    let refused = app.post("/products", token, product_for_draft).await;
    assert_problem(
        &refused,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(error_fields(&refused.1), vec!["event_ids[0]"]);
    assert_problem(
        &app.get(&draft_path, token).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_problem(
        &app.get(&format!("/sessions/{}/seats", id(&draft.session)), token)
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    // Every read or write that names the draft's session: not found, the same on each endpoint.
    let draft_session = id(&draft.session);
    for (method, path, body) in [
        (Method::GET, format!("/sessions/{draft_session}"), None),
        (
            Method::GET,
            format!("/sessions/{draft_session}/integrity"),
            None,
        ),
        (
            Method::GET,
            format!("/sessions/{draft_session}/queue/stats"),
            None,
        ),
        (
            Method::POST,
            format!("/sessions/{draft_session}/queue"),
            Some(json!({})),
        ),
        (
            Method::PATCH,
            format!("/sessions/{draft_session}/queue"),
            Some(json!({"paused": true})),
        ),
        (
            Method::POST,
            format!("/sessions/{draft_session}/holds"),
            Some(json!({"seat_ids": [draft.venue["sections"][0]["id"]]})),
        ),
        (
            Method::GET,
            format!("/events/{}/products", id(&draft.event)),
            None,
        ),
    ] {
        let answer = app.call(method.clone(), &path, token, body).await;
        assert_problem(&answer, StatusCode::NOT_FOUND, "not_found");
        assert!(
            !answer.1["detail"].as_str().unwrap().contains("organizer"),
            "{method} {path} says nothing about whose it is: {}",
            answer.1
        );
    }
    // The published session's report is its organization's alone: outside it, not found.
    assert_problem(
        &app.get(
            &format!("/sessions/{}/integrity", id(&published.session)),
            token,
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    // Moving one's own event to the rival's venue is refused too.
    let owner_token = Some(owner.token.as_str());
    let move_to_rival = app
        .patch(
            &draft_path,
            owner_token,
            json!({"venue_id": rival_venue["id"]}),
        )
        .await;
    assert_problem(&move_to_rival, StatusCode::FORBIDDEN, "forbidden");

    // Nothing changed.
    let event = app.get(&patch_path, None).await.1;
    assert_eq!(event["title"], "Noite de Samba");
    assert_eq!(event["sessions"].as_array().unwrap().len(), 1);
    assert_eq!(app.get(&product_path, None).await.1["stock"], 100);

    // An admin may manage anyone's catalog.
    let admin = app.account("root@example.com", &[Role::Admin]).await;
    let (code, fixed) = app
        .patch(
            &patch_path,
            Some(&admin.token),
            json!({"title": "Noite de Samba (extra)"}),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{fixed}");
}

async fn customers_and_anonymous_callers_cannot_author(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let owner = app.organizer("owner@example.com").await;
    let catalog = build_catalog(&app, &owner, "published").await;
    let customer = app.account("fan@example.com", &[]).await;
    let staff = app.account("gate@example.com", &[Role::Staff]).await;
    for token in [Some(customer.token.as_str()), Some(staff.token.as_str())] {
        assert_problem(
            &app.post("/venues", token, venue_body()).await,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
        let event = json!({"title": "X", "category": "music", "venue_id": catalog.venue["id"]});
        assert_problem(
            &app.post("/events", token, event).await,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
        let product = json!({"name": "X", "price_cents": 1, "stock": 1});
        assert_problem(
            &app.post("/products", token, product).await,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
        let patch = app
            .patch(
                &format!("/events/{}", id(&catalog.event)),
                token,
                json!({"title": "X"}),
            )
            .await;
        assert_problem(&patch, StatusCode::NOT_FOUND, "not_found");
    }
    assert_problem(
        &app.post("/venues", None, venue_body()).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    );
    let patch = app
        .patch(
            &format!("/products/{}", id(&catalog.product)),
            None,
            json!({"stock": 0}),
        )
        .await;
    assert_problem(&patch, StatusCode::UNAUTHORIZED, "unauthenticated");
    // The organization, not the person, holds the catalog: an owner taken out of it by
    // another owner loses it, whatever their platform role.
    let organization = catalog.event["organization_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let heir = app.account("heir@example.com", &[]).await;
    let (status, added) = app
        .post(
            &format!("/organizations/{organization}/members"),
            Some(&owner.token),
            json!({"email": "heir@example.com", "role": "owner"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    let (status, _) = app
        .call(
            Method::DELETE,
            &format!("/organizations/{organization}/members/{}", owner.id),
            Some(&heir.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let patch = app
        .patch(
            &format!("/events/{}", id(&catalog.event)),
            Some(&owner.token),
            json!({"title": "X"}),
        )
        .await;
    assert_problem(&patch, StatusCode::NOT_FOUND, "not_found");
    let (status, _) = app
        .patch(
            &format!("/events/{}", id(&catalog.event)),
            Some(&heir.token),
            json!({"title": "Y"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "a member needs no platform role");
}

async fn catalog_bad_input_is_refused_and_leaves_nothing(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let organizer = app.organizer("org@example.com").await;
    let token = Some(organizer.token.as_str());
    let catalog = build_catalog(&app, &organizer, "published").await;
    let other_venue = app.post("/venues", token, venue_body()).await.1;
    let mut in_manaus = venue_body();
    in_manaus["time_zone"] = json!("America/Manaus");
    let (status, manaus) = app.post("/venues", token, in_manaus).await;
    assert_eq!(
        (status, &manaus["time_zone"]),
        (StatusCode::CREATED, &json!("America/Manaus"))
    );

    let bad_venue = json!({"name": "", "city": "Rio", "time_zone": "America/Atlantis", "sections": [
        {"name": "A", "rows": [{"label": "1", "seats": 0}]},
        {"name": "B", "rows": [{"label": "1", "seats": 2}], "capacity": 5},
        {"name": "C", "capacity": -1}
    ]});
    let refused = app.post("/venues", token, bad_venue).await;
    assert_problem(
        &refused,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(
        error_fields(&refused.1),
        vec![
            "name",
            "time_zone",
            "sections[0].rows[0].seats",
            "sections[1]",
            "sections[2].capacity"
        ]
    );
    let unknown_field = app
        .post(
            "/venues",
            token,
            json!({"name": "V", "city": "C", "sections": [], "owner_id": "x"}),
        )
        .await;
    assert_problem(
        &unknown_field,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    let wrong_type = app
        .post(
            "/venues",
            token,
            json!({"name": "V", "city": "C", "sections": [{"name": "A", "capacity": "many"}]}),
        )
        .await;
    assert_eq!(error_fields(&wrong_type.1), vec!["sections[0].capacity"]);

    let unknown_venue = app
        .post(
            "/events",
            token,
            json!({"title": "T", "category": "music", "venue_id": uuid::Uuid::now_v7()}),
        )
        .await;
    assert_eq!(error_fields(&unknown_venue.1), vec!["venue_id"]);
    let bad_status = app.post("/events", token, json!({"title": "T", "category": "music", "venue_id": catalog.venue["id"], "status": "live"})).await;
    assert_eq!(error_fields(&bad_status.1), vec!["status"]);
    let bad_tags = app.post("/events", token, json!({"title": "T", "category": "music", "venue_id": catalog.venue["id"], "tags": ["two words"]})).await;
    assert_eq!(error_fields(&bad_tags.1), vec!["tags"]);
    let bad_category = app
        .post(
            "/events",
            token,
            json!({"title": "T", "category": " ", "venue_id": catalog.venue["id"]}),
        )
        .await;
    assert_eq!(error_fields(&bad_category.1), vec!["category"]);
    let unknown_category = app
        .post(
            "/events",
            token,
            json!({"title": "T", "category": "rock", "venue_id": catalog.venue["id"]}),
        )
        .await;
    assert_eq!(unknown_category.0, StatusCode::CREATED);
    assert_eq!(unknown_category.1["category"], "other");

    let sessions_path = format!("/events/{}/sessions", id(&catalog.event));
    let foreign_section = app
        .post(&sessions_path, token, session_body(&other_venue))
        .await;
    assert_problem(
        &foreign_section,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(
        error_fields(&foreign_section.1),
        vec![
            "categories[0].section_ids[0]",
            "categories[1].section_ids[0]"
        ]
    );
    let mut past = session_body(&catalog.venue);
    past["starts_at"] = json!("2020-01-01T20:00:00Z");
    assert_eq!(
        error_fields(&app.post(&sessions_path, token, past).await.1),
        vec!["starts_at", "sales_start_at"]
    );
    let mut not_a_date = session_body(&catalog.venue);
    not_a_date["starts_at"] = json!("tomorrow");
    assert_eq!(
        error_fields(&app.post(&sessions_path, token, not_a_date).await.1),
        vec!["starts_at"]
    );
    let mut bad_limits = session_body(&catalog.venue);
    bad_limits["max_tickets_per_user"] = json!(0);
    bad_limits["hold_seconds"] = json!(1_000_000);
    bad_limits["categories"][0]["price_cents"] = json!(-5);
    let refused = app.post(&sessions_path, token, bad_limits.clone()).await;
    assert_eq!(
        error_fields(&refused.1),
        vec![
            "max_tickets_per_user",
            "hold_seconds",
            "categories[0].price_cents"
        ]
    );
    // Each field error has a stable code and its facts, and is worded in the request's language
    // (Portuguese unless it asks for English), money as money; the detail stays in English.
    let errors = &refused.1["errors"];
    assert_eq!(errors[0]["code"], "out_of_range");
    assert_eq!(errors[0]["params"], json!({"min": 1, "max": 50}));
    assert_eq!(errors[0]["message"], "deve estar entre 1 e 50");
    assert_eq!(errors[2]["code"], "amount_out_of_range");
    assert_eq!(
        errors[2]["params"],
        json!({"min_cents": 0, "max_cents": MAX_PRICE_CENTS})
    );
    assert_eq!(
        errors[2]["message"],
        format!("deve estar entre R$ 0,00 e {}", brl(MAX_PRICE_CENTS))
    );
    let in_english = read(
        app.request(Method::POST, &sessions_path, token)
            .header("accept-language", "en-GB,en;q=0.9,pt;q=0.5")
            .json(&bad_limits)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(in_english.1["detail"], "3 fields are invalid");
    let errors = &in_english.1["errors"];
    assert_eq!(errors[0]["code"], "out_of_range");
    assert_eq!(errors[0]["message"], "must be between 1 and 50");
    assert_eq!(
        errors[2]["message"],
        format!("must be between R$0.00 and {}", brl_en(MAX_PRICE_CENTS))
    );
    let (_, blank) = app
        .patch(
            &format!("/events/{}", id(&catalog.event)),
            token,
            json!({"title": " "}),
        )
        .await;
    assert_eq!(blank["detail"], "title: must not be empty");
    assert_eq!(
        blank["errors"],
        json!([{"field": "title", "code": "empty", "message": "não pode ficar vazio"}])
    );

    let bad_product = app
        .post(
            "/products",
            token,
            json!({"name": "P", "price_cents": 10, "stock": -1, "currency": "reais"}),
        )
        .await;
    assert_eq!(error_fields(&bad_product.1), vec!["currency", "stock"]);

    for path in [
        format!("/events/{}", uuid::Uuid::now_v7()),
        "/events/not-a-uuid".to_owned(),
        format!("/sessions/{}/seats", uuid::Uuid::now_v7()),
        format!("/venues/{}", uuid::Uuid::now_v7()),
        "/products/12345".to_owned(),
    ] {
        assert_problem(
            &app.get(&path, token).await,
            StatusCode::NOT_FOUND,
            "not_found",
        );
    }
    let patch_unknown = app
        .patch(
            &format!("/events/{}", uuid::Uuid::now_v7()),
            token,
            json!({"title": "X"}),
        )
        .await;
    assert_problem(&patch_unknown, StatusCode::NOT_FOUND, "not_found");

    // Only the catalog built before the refused requests exists.
    let detail = app
        .get(&format!("/events/{}", id(&catalog.event)), None)
        .await
        .1;
    assert_eq!(detail["sessions"].as_array().unwrap().len(), 1);
    assert_eq!(
        app.get("/events", None).await.1["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

async fn listing_and_search_filter_and_page(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let organizer = app.organizer("org@example.com").await;
    let token = Some(organizer.token.as_str());
    let venue = app.post("/venues", token, venue_body()).await.1;
    for (title, category) in [
        ("Samba de Roda", "music"),
        ("Hamlet", "theatre"),
        ("Sambódromo Ensaio", "music"),
        ("Jazz Trio", "music"),
    ] {
        let (code, event) = app
            .post("/events", token, json!({"title": title, "category": category, "venue_id": venue["id"], "status": "published"}))
            .await;
        assert_eq!(code, StatusCode::CREATED);
        app.post(
            &format!("/events/{}/sessions", id(&event)),
            token,
            session_body(&venue),
        )
        .await;
    }
    let titles = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["title"].as_str().unwrap().to_owned())
            .collect()
    };
    let (_, found) = app.get("/events?q=samb", None).await;
    let mut found = titles(&found);
    found.sort();
    assert_eq!(found, ["Samba de Roda", "Sambódromo Ensaio"]);
    assert_eq!(
        titles(&app.get("/events?q=samba%20roda", None).await.1),
        ["Samba de Roda"]
    );
    assert_eq!(
        titles(&app.get("/events?category=theatre", None).await.1),
        ["Hamlet"]
    );
    // Accents and case are ignored by search, the city and the category, which is a code or
    // either language's label.
    let mut paulista = venue_body();
    paulista["city"] = json!("São Paulo");
    let paulista = app.post("/venues", token, paulista).await.1;
    let (code, standup) = app
        .post("/events", token, json!({"title": "Riso Paulistano", "category": "Comédia", "venue_id": paulista["id"], "status": "published"}))
        .await;
    assert_eq!(
        (code, &standup["category"]),
        (StatusCode::CREATED, &json!("comedy")),
        "{standup}"
    );
    app.post(
        &format!("/events/{}/sessions", id(&standup)),
        token,
        session_body(&paulista),
    )
    .await;
    assert_eq!(
        titles(&app.get("/events?q=SAMBODROMO", None).await.1),
        ["Sambódromo Ensaio"]
    );
    assert_eq!(
        titles(&app.get("/events?city=sao%20paulo", None).await.1),
        ["Riso Paulistano"]
    );
    for category in ["comedy", "Comedy", "com%C3%A9dia", "COMEDIA"] {
        assert_eq!(
            titles(
                &app.get(&format!("/events?category={category}"), None)
                    .await
                    .1
            ),
            ["Riso Paulistano"],
            "{category}"
        );
    }
    assert_eq!(
        titles(&app.get("/events?category=m%C3%BAsica", None).await.1).len(),
        3
    );
    let home = reqwest::Client::new()
        .get(format!("{}/?category=musica", app.base))
        .header("accept", "text/html")
        .header("accept-language", "pt-BR")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(home.contains(">Música</span>"), "{home}");
    assert!(!home.contains(">music</span>"));
    assert!(titles(&app.get("/events?from=2099-01-01T00:00:00Z", None).await.1).is_empty());
    assert_eq!(
        titles(&app.get("/events?to=2099-01-01T00:00:00Z", None).await.1).len(),
        5
    );
    assert!(
        titles(&app.get("/events?q=%22%27%3B--%20OR%201%3D1", None).await.1).is_empty(),
        "query syntax is inert"
    );

    let mut all = Vec::new();
    let mut path = "/events?limit=3".to_owned();
    loop {
        let (code, page) = app.get(&path, None).await;
        assert_eq!(code, StatusCode::OK);
        all.extend(titles(&page));
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/events?limit=3&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(all.len(), 5);
    for bad in [
        "/events?category=rock",
        "/events?from=yesterday",
        "/events?limit=500",
        "/events?cursor=%%%",
        "/events?cursor=bm9wZQ",
        "/events?unknown=1",
    ] {
        assert_problem(
            &app.get(bad, None).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        );
    }
}

/// The Maracanã has 78,838 seats: a 100,000-seat stadium in 200 sectors of 500 is made, put on
/// sale and sold from, its last sector's seat map read like any other.
async fn a_stadium_of_a_hundred_thousand_seats_is_created_and_sold(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let organizer = app.organizer("estadio@example.com").await;
    let token = Some(organizer.token.as_str());
    let sectors: Vec<Value> = (1..=200)
        .map(|n| {
            let rows: Vec<Value> = (0..10)
                .map(|r| json!({"label": format!("F{r}"), "seats": 50}))
                .collect();
            json!({"name": format!("Setor {n}"), "rows": rows})
        })
        .collect();
    let (status, venue) = app
        .post(
            "/venues",
            token,
            json!({"name": "Estádio Gigante", "city": "Rio de Janeiro", "sections": sectors}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{venue}");
    let sections = venue["sections"].as_array().unwrap();
    assert_eq!(sections.len(), 200);
    let seats: i64 = sections
        .iter()
        .map(|s| s["capacity"].as_i64().unwrap())
        .sum();
    assert_eq!(seats, 100_000);
    let (_, event) = app
        .post(
            "/events",
            token,
            json!({"title": "Final", "category": "sports", "venue_id": venue["id"], "status": "published"}),
        )
        .await;
    let all: Vec<&Value> = sections.iter().map(|s| &s["id"]).collect();
    let mut session = session_body(&venue);
    session["categories"] =
        json!([{"name": "Arquibancada", "price_cents": 8000, "section_ids": all}]);
    let (status, session) = app
        .post(
            &format!("/events/{}/sessions", event["id"].as_str().unwrap()),
            token,
            session,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{session}");
    let last = sections[199]["id"].as_str().unwrap();
    let (status, map) = app
        .get(
            &format!(
                "/sessions/{}/seats?section_id={last}",
                session["id"].as_str().unwrap()
            ),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{map}");
    let seat = map["sections"][0]["seats"][499].clone();
    assert_eq!(seat["status"], "available", "{seat}");
    let buyer = app.account("torcedor@example.com", &[]).await;
    let (status, hold) = app
        .post(
            &format!("/sessions/{}/holds", session["id"].as_str().unwrap()),
            Some(&buyer.token),
            json!({"seat_ids": [seat["id"]]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{hold}");
    let (status, order) = app
        .order(
            &buyer.token,
            "stadium-order-1",
            &bilheteria_testkit::order_body(&hold["id"], "tok_visa"),
        )
        .await;
    assert_eq!(
        (status, order["status"].as_str()),
        (StatusCode::CREATED, Some("paid")),
        "{order}"
    );
}
