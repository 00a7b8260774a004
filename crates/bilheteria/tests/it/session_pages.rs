//! An event's sessions in the organizer's console over real HTTP on both backends: who may
//! plan, change and pause one (403 for the roles that may not, 404 outside, the login for the
//! anonymous); mistakes said beside their fields with what was typed kept and nothing stored;
//! times typed in the venue's zone; prices per section, changed until the first sale and
//! refused after it; pausing and resuming at once.

use crate::organizer_pages::{
    assert_forbidden, assert_not_found, assert_sent_to_log_in, browser_of, organization_with_team,
};
use crate::pages::{Answer, Browser};
use bilheteria_domain::catalog::EventSession;
use bilheteria_domain::locale::from_local_input;
use bilheteria_store::on_both_backends;
use bilheteria_store::testing::TestDatabase;
use bilheteria_testkit::{TestApp, order_body};
use bilheteria_web::pages::words::{EN, PT};
use reqwest::StatusCode;
use serde_json::json;
use time::OffsetDateTime;

on_both_backends!(
    sessions_are_planned_changed_and_paused_through_the_pages,
    session_pages_and_forms_answer_by_role,
);

/// `2027-03-06T20:00`-style local time `days` from now, at 20:00.
fn local_evening(days: i64) -> String {
    let day = (OffsetDateTime::now_utc() + time::Duration::days(days)).date();
    format!("{day}T20:00")
}

/// The new session's form for the test venue (Plateia, then Pista), with `changes` over it.
fn session_form<'a>(
    csrf: &'a str,
    starts: &'a str,
    changes: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    let mut form = vec![
        ("csrf", csrf),
        ("starts_at", starts),
        ("sales_start_at", ""),
        ("max_tickets_per_user", "4"),
        ("hold_minutes", "10"),
        ("pix_minutes", "15"),
        ("half_price_quota_percent", "40"),
        ("half_price_release_at", ""),
        ("screen_codes", "static"),
        ("transfers_enabled", "on"),
        ("transfer_cutoff_minutes", "0"),
        ("resale_fee_percent", "0"),
        ("admit_per_minute", "600"),
        ("sell_0", "on"),
        ("category_0", "Plateia"),
        ("price_0", "120,00"),
        ("sell_1", "on"),
        ("category_1", "Pista"),
        ("price_1", "60"),
    ];
    for (name, value) in changes {
        form.retain(|(field, _)| field != name);
        if !value.is_empty() || !name.starts_with("sell_") {
            form.push((name, value));
        }
    }
    form
}

async fn sessions_of(app: &TestApp, event: &str) -> Vec<EventSession> {
    app.state
        .store
        .list_event_sessions(event.parse().unwrap())
        .await
        .unwrap()
}

fn has_problem_beside(page: &Answer, field: &str) -> bool {
    page.body.contains(&format!("id=\"{field}-problem\""))
}

async fn sessions_are_planned_changed_and_paused_through_the_pages(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let (org, _venue, event) = organization_with_team(&app).await;
    let owner = browser_of(&app, "owner@example.com").await;
    let event_page = format!("/organizer/{org}/events/{event}");
    let first = owner.get(&event_page).await;
    assert!(first.body.contains(PT.organizer_no_sessions));
    let new = format!("{event_page}/sessions/new");
    assert!(first.body.contains(&format!("href=\"{new}\"")));
    let form_page = owner.get(&new).await;
    assert_eq!(form_page.status, StatusCode::OK, "{}", form_page.body);
    assert!(form_page.body.contains("Plateia") && form_page.body.contains("Pista"));
    assert!(form_page.body.contains("America/Sao_Paulo"));
    let csrf = form_page.csrf();
    let post = format!("{event_page}/sessions");
    let starts = local_evening(30);
    // Published, so that the public answers about its sessions below.
    let published = owner
        .post(&format!("{event_page}/publish"), &[("csrf", &csrf)])
        .await;
    assert_eq!(
        published.status,
        StatusCode::SEE_OTHER,
        "{}",
        published.body
    );

    // Mistakes: each beside its field, what was typed kept, nothing stored.
    let refused = owner
        .post(
            &post,
            &session_form(
                &csrf,
                "amanhã à noite",
                &[
                    ("hold_minutes", "0"),
                    ("price_0", "cento e vinte"),
                    ("category_1", "plateia"),
                    ("price_1", "60"),
                ],
            ),
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    for field in ["starts_at", "hold_minutes", "price_0", "price_1"] {
        assert!(
            has_problem_beside(&refused, field),
            "{field}: {}",
            refused.body
        );
    }
    assert!(refused.body.contains("value=\"amanhã à noite\""));
    assert!(refused.body.contains("value=\"cento e vinte\""));
    assert!(
        refused.body.contains("Deve estar entre 1 e 60"),
        "minutes, not seconds"
    );
    assert!(
        refused
            .body
            .contains("Setores da mesma categoria têm o mesmo preço"),
        "Plateia and plateia are one category at two prices"
    );
    assert!(sessions_of(&app, &event).await.is_empty(), "nothing stored");

    // A good form: the session starts at 20:00 in the venue's zone, a price per section.
    let created = owner
        .post(&post, &session_form(&csrf, &starts, &[("sell_1", "")]))
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let location = created.location().to_owned();
    let prefix = format!("/organizer/{org}/sessions/");
    assert!(location.starts_with(&prefix), "{location}");
    let session_id = location[prefix.len()..]
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let (status, session) = app.get(&format!("/sessions/{session_id}"), None).await;
    assert_eq!(status, StatusCode::OK, "{session}");
    let expected = from_local_input(&starts, "America/Sao_Paulo").unwrap();
    let stored: OffsetDateTime = OffsetDateTime::parse(
        session["starts_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert_eq!(stored, expected);
    assert_eq!(session["max_tickets_per_user"], 4);
    let categories = session["categories"].as_array().unwrap();
    assert_eq!(categories.len(), 1, "Pista was not put on sale: {session}");
    assert_eq!(categories[0]["name"], "Plateia");
    assert_eq!(categories[0]["price_cents"], 12_000);
    let shown = owner.get(&location).await;
    assert!(shown.body.contains(PT.session_created));
    assert!(
        owner
            .get(&event_page)
            .await
            .body
            .contains(&format!("href=\"{prefix}{session_id}\""))
    );

    // Changed: a new price, in minutes; refused hold time kept as typed.
    let page_path = format!("{prefix}{session_id}");
    let edit = |changes: Vec<(&'static str, String)>| {
        let owner = &owner;
        let page_path = page_path.clone();
        let csrf = csrf.clone();
        let starts = starts.clone();
        async move {
            let mut form: Vec<(String, String)> = [
                ("csrf", csrf.as_str()),
                ("starts_at", starts.as_str()),
                ("sales_start_at", "2020-01-01T00:00"),
                ("max_tickets_per_user", "4"),
                ("hold_minutes", "10"),
                ("pix_minutes", "15"),
                ("half_price_release_at", ""),
                ("screen_codes", "rotating"),
                ("transfer_cutoff_minutes", "30"),
                ("resale_fee_percent", "0"),
                ("category_0", "Plateia"),
                ("price_0", "150,00"),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
            for (name, value) in changes {
                form.retain(|(field, _)| field != name);
                form.push((name.to_owned(), value));
            }
            let pairs: Vec<(&str, &str)> =
                form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            owner.post(&page_path, &pairs).await
        }
    };
    let refused = edit(vec![("hold_minutes", "90".to_owned())]).await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert!(has_problem_beside(&refused, "hold_minutes"));
    assert!(refused.body.contains("value=\"90\""));
    let saved = edit(vec![]).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let (_, session) = app.get(&format!("/sessions/{session_id}"), None).await;
    assert_eq!(session["categories"][0]["price_cents"], 15_000);
    assert_eq!(session["screen_codes"], "rotating");
    assert_eq!(session["transfers"]["cutoff_minutes"], 30);

    // Paused at once, and resumed.
    let page = owner.get(&page_path).await;
    assert!(page.body.contains(PT.pause_sales));
    let paused = owner
        .post(&format!("{page_path}/pause"), &[("csrf", &csrf)])
        .await;
    assert_eq!(paused.status, StatusCode::SEE_OTHER, "{}", paused.body);
    let (_, session) = app.get(&format!("/sessions/{session_id}"), None).await;
    assert_eq!(session["sales_paused"], true);
    let page = owner.get(paused.location()).await;
    assert!(page.body.contains(PT.session_paused_done) && page.body.contains(PT.resume_sales));
    let resumed = owner
        .post(&format!("{page_path}/resume"), &[("csrf", &csrf)])
        .await;
    assert_eq!(resumed.status, StatusCode::SEE_OTHER, "{}", resumed.body);
    let (_, session) = app.get(&format!("/sessions/{session_id}"), None).await;
    assert_eq!(session["sales_paused"], false);

    // Once sold, a price change is refused on the page, and the rest can still be saved.
    let buyer = app.account("buyer@example.com", &[]).await;
    let (_, seats) = app
        .get(&format!("/sessions/{session_id}/seats"), Some(&buyer.token))
        .await;
    let seat = seats["sections"][0]["seats"][0]["id"].clone();
    let (status, held) = app
        .post(
            &format!("/sessions/{session_id}/holds"),
            Some(&buyer.token),
            json!({"seat_ids": [seat]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{held} {seats}");
    let (status, order) = app
        .order(
            &buyer.token,
            "first-sale",
            &order_body(&held["id"], "tok_visa"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{order}");
    let locked = edit(vec![("price_0", "99".to_owned())]).await;
    assert_eq!(locked.status, StatusCode::CONFLICT, "{}", locked.body);
    assert!(
        locked.body.contains("Esta sessão já vendeu"),
        "{}",
        locked.body
    );
    assert!(
        locked.body.contains("value=\"99\""),
        "what was typed is kept"
    );
    let renamed = edit(vec![("category_0", "Plateia Ouro".to_owned())]).await;
    assert_eq!(renamed.status, StatusCode::SEE_OTHER, "{}", renamed.body);
    let (_, session) = app.get(&format!("/sessions/{session_id}"), None).await;
    assert_eq!(session["categories"][0]["name"], "Plateia Ouro");
    assert_eq!(session["categories"][0]["price_cents"], 15_000);

    // Once its event is cancelled, its session says so and offers nothing to change.
    let cancelled = owner
        .post(
            &format!("{event_page}/cancel"),
            &[("csrf", &csrf), ("reason", "Chuva")],
        )
        .await;
    assert_eq!(
        cancelled.status,
        StatusCode::SEE_OTHER,
        "{}",
        cancelled.body
    );
    let page = owner.get(&page_path).await;
    assert!(page.body.contains(PT.status_cancelled), "{}", page.body);
    assert!(!page.body.contains("/pause\"") && !page.body.contains(PT.save_changes));
    let listed = owner.get(&event_page).await;
    assert!(!listed.body.contains(PT.on_sale) && !listed.body.contains(PT.new_session));

    // The English console says the same.
    owner.get(&format!("/language/en?back={page_path}")).await;
    let english = owner.get(&page_path).await;
    assert!(
        english.body.contains(EN.categories_and_prices),
        "{}",
        english.body
    );
}

async fn session_pages_and_forms_answer_by_role(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let (org, venue, event) = organization_with_team(&app).await;
    let session = {
        let manager = browser_of(&app, "manager@example.com").await;
        let csrf = manager.get("/").await.csrf();
        let starts = local_evening(20);
        let created = manager
            .post(
                &format!("/organizer/{org}/events/{event}/sessions"),
                &session_form(&csrf, &starts, &[]),
            )
            .await;
        assert_eq!(
            created.status,
            StatusCode::SEE_OTHER,
            "a manager plans: {}",
            created.body
        );
        created.location().split('?').next().unwrap().to_owned()
    };
    assert!(venue["id"].is_string());
    let mut browsers: Vec<(&str, Browser)> = Vec::new();
    for who in [
        "owner", "manager", "finance", "checkin", "viewer", "outsider",
    ] {
        browsers.push((who, browser_of(&app, &format!("{who}@example.com")).await));
    }
    let anonymous = Browser::new(&app);
    let new = format!("/organizer/{org}/events/{event}/sessions/new");
    for path in [new.as_str(), session.as_str()] {
        assert_sent_to_log_in(&anonymous.get(path).await, path);
        for (who, browser) in &browsers {
            let answer = browser.get(path).await;
            let what = format!("{who} on {path}");
            match *who {
                "owner" | "manager" => {
                    assert_eq!(answer.status, StatusCode::OK, "{what}: {}", answer.body)
                }
                "outsider" => assert_not_found(&answer, &what),
                _ => assert_forbidden(&answer, &what),
            }
        }
    }
    let pause = format!("{session}/pause");
    let create = format!("/organizer/{org}/events/{event}/sessions");
    for (who, browser) in &browsers[2..] {
        let csrf = browser.get("/").await.csrf();
        let starts = local_evening(21);
        for (path, form) in [
            (pause.as_str(), vec![("csrf", csrf.as_str())]),
            (session.as_str(), session_form(&csrf, &starts, &[])),
            (create.as_str(), session_form(&csrf, &starts, &[])),
        ] {
            let answer = browser.post(path, &form).await;
            let what = format!("{who} posting {path}");
            if *who == "outsider" {
                assert_not_found(&answer, &what);
            } else {
                assert_forbidden(&answer, &what);
            }
        }
    }
    let csrf = anonymous.get("/").await.csrf();
    assert_sent_to_log_in(&anonymous.post(&pause, &[("csrf", &csrf)]).await, &pause);
    // None of it changed anything: one session, selling.
    let sessions = sessions_of(&app, &event).await;
    assert_eq!(sessions.len(), 1);
    assert!(!sessions[0].sales_paused);
}
