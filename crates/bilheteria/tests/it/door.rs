//! The door on a phone (`/organizer/{org}/door`) over real HTTP on both backends, as a browser
//! without JavaScript uses it: who may open it (a `checkin` member assigned to the event, a
//! manager) and who may not (other roles 403, a `checkin` member of another event 403, outsiders
//! 404, anonymous visitors sent to log in); a typed code checked online with each outcome said
//! in large words; the counts per gate; the JSON API the phone's script uses, with the login
//! cookie and its CSRF proof; and a team invitation mailed to an address with no account.

use crate::account_pages::log_in;
use crate::organizer_pages::{assert_forbidden, assert_not_found, assert_sent_to_log_in, id};
use crate::pages::{Answer, Browser};
use bilheteria_store::on_both_backends;
use bilheteria_store::testing::TestDatabase;
use bilheteria_testkit::{PASSWORD, TestApp, on_sale};
use reqwest::StatusCode;
use serde_json::json;

on_both_backends!(
    the_door_opens_for_checkin_members_of_the_event_and_managers_only,
    a_typed_code_is_checked_online_and_each_gate_counts_its_admissions,
    the_phone_script_reaches_the_gate_api_with_the_login_cookie,
    a_gate_worker_with_no_account_is_mailed_a_sign_up_link_and_joins,
);

async fn browser_of(app: &TestApp, email: &str) -> Browser {
    let browser = Browser::new(app);
    let answer = log_in(&browser, email, PASSWORD).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    browser
}

/// A session on sale with a ticket bought, its organization, and members: `door@` (checkin,
/// limited to the event), `other-door@` (checkin, limited to another event), `manager@`,
/// `finance@`, `viewer@`; and an outsider organizer. Answers (org, sale, ticket codes).
async fn door_setup(app: &TestApp) -> (String, bilheteria_testkit::OnSale, Vec<String>) {
    let sale = on_sale(app, 10, 10, 10, json!({})).await;
    let token = Some(sale.organizer.token.as_str());
    let (_, mine) = app.get("/organizations", token).await;
    let org = id(&mine["items"][0]);
    let buyer = app.account("fan@example.com", &[]).await;
    let mut codes = Vec::new();
    for seat in 0..2 {
        let order = app
            .buy_seat(&sale, &buyer.token, seat, &format!("door-key-000{seat}"))
            .await;
        codes.push(order["tickets"][0]["code"].as_str().unwrap().to_owned());
    }
    let (status, other) = app
        .post(
            "/events",
            token,
            json!({"title": "Outro Show", "category": "music", "venue_id": sale.venue["id"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{other}");
    for (email, role, events) in [
        ("door@example.com", "checkin", Some(json!([sale.event_id]))),
        (
            "other-door@example.com",
            "checkin",
            Some(json!([other["id"]])),
        ),
        ("manager@example.com", "manager", None),
        ("finance@example.com", "finance", None),
        ("viewer@example.com", "viewer", None),
    ] {
        app.account(email, &[]).await;
        let mut body = json!({"email": email, "role": role});
        if let Some(events) = events {
            body["event_ids"] = events;
        }
        let (status, added) = app
            .post(&format!("/organizations/{org}/members"), token, body)
            .await;
        assert_eq!(status, StatusCode::CREATED, "{added}");
    }
    app.organizer("outsider@example.com").await;
    (org, sale, codes)
}

async fn the_door_opens_for_checkin_members_of_the_event_and_managers_only(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let (org, sale, _) = door_setup(&app).await;
    let list = format!("/organizer/{org}/door");
    let door = format!("{list}/{}", sale.session_id);
    for email in ["door@example.com", "manager@example.com"] {
        let browser = browser_of(&app, email).await;
        let page = browser.get(&list).await;
        assert_eq!(page.status, StatusCode::OK, "{email}: {}", page.body);
        assert!(page.body.contains(&door), "{email} sees the session");
        let page = browser.get(&door).await;
        assert_eq!(page.status, StatusCode::OK, "{email}: {}", page.body);
        assert!(page.body.contains("Entradas por portão"), "{email}");
        assert!(page.body.contains("/static/door.js"), "{email}");
        assert!(page.body.contains("rel=\"manifest\""), "{email}");
    }
    // A checkin member of another event lists no session of this one and may not open it.
    let other = browser_of(&app, "other-door@example.com").await;
    let page = other.get(&list).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains(&door));
    assert_forbidden(&other.get(&door).await, "checkin of another event");
    for email in ["finance@example.com", "viewer@example.com"] {
        let browser = browser_of(&app, email).await;
        assert_forbidden(&browser.get(&list).await, email);
        assert_forbidden(&browser.get(&door).await, email);
        let csrf = browser.get("/").await.csrf();
        let posted = browser
            .post(
                &door,
                &[
                    ("csrf", &csrf),
                    ("code", "x"),
                    ("gate", "A"),
                    ("nonce", "door-nonce-1"),
                ],
            )
            .await;
        assert_forbidden(&posted, email);
    }
    let outsider = browser_of(&app, "outsider@example.com").await;
    assert_not_found(&outsider.get(&list).await, "outsider");
    assert_not_found(&outsider.get(&door).await, "outsider");
    let csrf = outsider.get("/").await.csrf();
    let posted = outsider
        .post(
            &door,
            &[
                ("csrf", &csrf),
                ("code", "x"),
                ("gate", "A"),
                ("nonce", "door-nonce-2"),
            ],
        )
        .await;
    assert_not_found(&posted, "outsider posting");
    // A session of another organization through this one's address: not found.
    let elsewhere = on_sale(&app, 1, 1, 0, json!({})).await;
    let manager = browser_of(&app, "manager@example.com").await;
    assert_not_found(
        &manager
            .get(&format!("{list}/{}", elsewhere.session_id))
            .await,
        "another organization's session",
    );
    let anonymous = Browser::new(&app);
    assert_sent_to_log_in(&anonymous.get(&door).await, &door);
    assert_sent_to_log_in(&anonymous.get(&list).await, &list);
}

async fn check(browser: &Browser, door: &str, code: &str, gate: &str, nonce: &str) -> Answer {
    let csrf = browser.get("/").await.csrf();
    browser
        .post(
            door,
            &[
                ("csrf", &csrf),
                ("code", code),
                ("gate", gate),
                ("nonce", nonce),
            ],
        )
        .await
}

async fn a_typed_code_is_checked_online_and_each_gate_counts_its_admissions(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let (org, sale, codes) = door_setup(&app).await;
    let other = on_sale(&app, 1, 1, 0, json!({})).await;
    let buyer = app.account("elsewhere@example.com", &[]).await;
    let foreign = app
        .buy_seat(&other, &buyer.token, 0, "door-key-other")
        .await["tickets"][0]["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let door = format!("/organizer/{org}/door/{}", sale.session_id);
    let browser = browser_of(&app, "door@example.com").await;
    let first = check(&browser, &door, &codes[0], "Portão A", "door-scan-0001").await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert!(first.body.contains("door-result door-admitted"));
    assert!(first.body.contains("ENTRADA LIBERADA"));
    // The same scan sent again (a reload) answers the same.
    let again = check(&browser, &door, &codes[0], "Portão A", "door-scan-0001").await;
    assert!(again.body.contains("ENTRADA LIBERADA"));
    let second = check(&browser, &door, &codes[0], "Portão B", "door-scan-0002").await;
    assert!(second.body.contains("door-result door-ticket_used"));
    assert!(second.body.contains("JÁ ENTROU"));
    assert!(second.body.contains("pelo Portão A"), "{}", second.body);
    let wrong = check(&browser, &door, &foreign, "Portão A", "door-scan-0003").await;
    assert!(
        wrong.body.contains("door-ticket_wrong_session"),
        "{}",
        wrong.body
    );
    let invalid = check(
        &browser,
        &door,
        "not-a-ticket",
        "Portão A",
        "door-scan-0004",
    )
    .await;
    assert!(invalid.body.contains("door-invalid_ticket"));
    // An empty code is said beside its field, the gate kept.
    let empty = check(&browser, &door, "", "Portão C", "door-scan-0005").await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.body.contains("id=\"code-problem\""));
    assert!(empty.body.contains("value=\"Portão C\""));
    let manager = browser_of(&app, "manager@example.com").await;
    let b = check(&manager, &door, &codes[1], "Portão B", "door-scan-0006").await;
    assert!(b.body.contains("ENTRADA LIBERADA"));
    // The counts: one per gate, two in all, in one table.
    let page = manager.get(&door).await;
    let counts = &page.body[page.body.find("door-counts").unwrap()..];
    assert!(
        counts.contains("<td>Portão A</td><td class=\"num\">1</td>"),
        "{counts}"
    );
    assert!(counts.contains("<td>Portão B</td><td class=\"num\">1</td>"));
    assert!(counts.contains("<td class=\"num\">2</td>"));
    // In English too.
    let english = manager.get("/language/en?back=/").await;
    assert_eq!(english.status, StatusCode::SEE_OTHER);
    let used = check(&manager, &door, &codes[1], "Gate C", "door-scan-0007").await;
    assert!(used.body.contains("ALREADY USED"), "{}", used.body);
    assert!(used.body.contains("through Portão B"));
}

async fn the_phone_script_reaches_the_gate_api_with_the_login_cookie(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let (org, sale, codes) = door_setup(&app).await;
    let browser = browser_of(&app, "door@example.com").await;
    let door = browser
        .get(&format!("/organizer/{org}/door/{}", sale.session_id))
        .await;
    let csrf = door.csrf();
    // A read needs no proof: the bundle, its keys and the screen rule.
    let bundle = browser
        .send_json(
            reqwest::Method::GET,
            &format!("/api/v1/checkin/sessions/{}/bundle", sale.session_id),
            None,
            None,
        )
        .await;
    assert_eq!(bundle.0, StatusCode::OK, "{}", bundle.1);
    assert_eq!(bundle.1["tickets"].as_array().unwrap().len(), 2);
    assert!(!bundle.1["keys"].as_array().unwrap().is_empty());
    // A write needs the page's CSRF proof.
    let scan = json!({"code": codes[0], "gate": "Celular", "nonce": "phone-nonce-0001", "session_id": sale.session_id});
    let refused = browser
        .send_json(
            reqwest::Method::POST,
            "/api/v1/checkin",
            Some(scan.clone()),
            None,
        )
        .await;
    assert_eq!(refused.0, StatusCode::FORBIDDEN, "{}", refused.1);
    let admitted = browser
        .send_json(
            reqwest::Method::POST,
            "/api/v1/checkin",
            Some(scan),
            Some(&csrf),
        )
        .await;
    assert_eq!(admitted.0, StatusCode::OK, "{}", admitted.1);
    let synced = browser
        .send_json(
            reqwest::Method::POST,
            "/api/v1/checkin/sync",
            Some(
                json!({"scans": [{"code": codes[1], "gate": "Celular", "nonce": "phone-nonce-0002",
                "scanned_at": "2020-01-01T00:00:00Z"}]}),
            ),
            Some(&csrf),
        )
        .await;
    assert_eq!(synced.0, StatusCode::OK, "{}", synced.1);
    assert_eq!(synced.1["results"][0]["result"], "admitted");
    // The worker, the manifest and the scripts are served with the headers a phone needs.
    let worker = browser.get("/sw.js").await;
    assert_eq!(worker.status, StatusCode::OK);
    assert!(worker.body.contains("door"));
    let manifest = browser.get("/door.webmanifest").await;
    assert_eq!(manifest.status, StatusCode::OK);
    assert_eq!(manifest.header("content-type"), "application/manifest+json");
    assert!(
        browser
            .get("/static/door.js")
            .await
            .body
            .contains("crypto.subtle")
    );
    assert_eq!(browser.get("/static/jsqr.js").await.status, StatusCode::OK);
}

async fn a_gate_worker_with_no_account_is_mailed_a_sign_up_link_and_joins(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let (org, sale, _) = door_setup(&app).await;
    let email = "novo-porteiro@example.com";
    let body = json!({"email": email, "role": "checkin", "event_ids": [sale.event_id]});
    let members = format!("/organizations/{org}/members");
    // Only who manages the team may invite: a manager 403, an outsider 404.
    let manager = app
        .login_on("manager@example.com", "device-of-manager")
        .await;
    let (status, _) = app.post(&members, Some(&manager), body.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let outsider = app
        .login_on("outsider@example.com", "device-of-outsider")
        .await;
    let (status, _) = app.post(&members, Some(&outsider), body.clone()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(app.mails().iter().all(|mail| mail.to != email));
    let (status, invited) = app.post(&members, Some(&sale.organizer.token), body).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{invited}");
    assert_eq!(invited["status"], "invited");
    assert_eq!(invited["role"], "checkin");
    // The mail went through the SMTP server: text and HTML, in the inviter's language.
    let mail = app
        .mails()
        .into_iter()
        .find(|mail| mail.to == email)
        .expect("the invitation");
    let message = mail_parser::MessageParser::default()
        .parse(&mail.raw)
        .unwrap();
    let text = message.body_text(0).unwrap();
    assert!(text.contains("convidou você para a equipe"), "{text}");
    assert!(
        text.contains(&format!("/register?next=/organizer/{org}/door")),
        "{text}"
    );
    assert!(
        message
            .body_html(0)
            .unwrap()
            .contains("<html lang=\"pt-BR\">")
    );
    // Signing up is not enough: confirming the address is.
    app.register(email).await;
    let worker = app.login_on(email, "device-of-worker").await;
    let (_, mine) = app.get("/organizations", Some(&worker)).await;
    assert!(mine["items"].as_array().unwrap().is_empty(), "{mine}");
    let token = app
        .mailed_token(email, "/verify-email/")
        .expect("the confirmation link");
    let (status, _) = app
        .post(&format!("/auth/verify-email/{token}"), None, json!({}))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, mine) = app.get("/organizations", Some(&worker)).await;
    assert_eq!(mine["items"][0]["id"], org.as_str(), "{mine}");
    assert_eq!(mine["items"][0]["role"], "checkin");
    let browser = browser_of(&app, email).await;
    let door = browser
        .get(&format!("/organizer/{org}/door/{}", sale.session_id))
        .await;
    assert_eq!(door.status, StatusCode::OK, "{}", door.body);
}
