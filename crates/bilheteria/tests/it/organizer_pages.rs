//! The organizer's console (`/organizer`) over real HTTP on both backends, as a browser
//! without JavaScript sends it: for every page and form, the member whose role may, the one
//! whose role may not (403), the outsider (404) and the anonymous visitor (sent to log in);
//! bad input (a wrong CNPJ, an empty title, a negative price, an unknown address) said beside
//! its field with what was typed kept and nothing stored; the last owner kept; and the
//! journey: found, add a member, change a role, create and publish an event, make a product.

use crate::account_pages::log_in;
use crate::pages::{Answer, Browser};
use bilheteria_domain::account::Role;
use bilheteria_domain::ids::OrganizationId;
use bilheteria_domain::page::PageRequest;
use bilheteria_store::on_both_backends;
use bilheteria_store::testing::TestDatabase;
use bilheteria_testkit::{Account, PASSWORD, TestApp, on_sale, venue_body};
use bilheteria_web::pages::words::{EN, PT};
use reqwest::StatusCode;
use serde_json::{Value, json};

on_both_backends!(
    the_console_is_for_organizers_and_members_and_founds_organizations,
    each_page_and_form_answers_by_role,
    mistakes_are_said_beside_their_fields_and_nothing_is_stored,
    a_team_an_event_and_a_product_are_made_through_the_pages,
    an_event_is_cancelled_from_its_page_after_a_confirmation,
    a_product_is_changed_on_its_page_by_those_who_edit_the_catalog,
);

/// A browser logged in as `email` through the login page. Its login ends the account's API
/// token (one session per user): make what the test needs through the API before.
pub(crate) async fn browser_of(app: &TestApp, email: &str) -> Browser {
    let browser = Browser::new(app);
    let answer = log_in(&browser, email, PASSWORD).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    browser
}

pub(crate) fn id(value: &Value) -> String {
    value["id"].as_str().unwrap().to_owned()
}

/// The value of the last `<input name="{name}">` of a page (a form's, after any rows').
fn value_of(page: &Answer, name: &str) -> String {
    let at = page
        .body
        .rfind(&format!("name=\"{name}\" value=\""))
        .unwrap_or_else(|| panic!("no field {name} in {}", page.body))
        + name.len()
        + 15;
    page.body[at..at + page.body[at..].find('"').unwrap()].to_owned()
}

/// The friendly page of a refusal: its status and its title.
pub(crate) fn assert_friendly(answer: &Answer, status: StatusCode, title: &str, what: &str) {
    assert_eq!(answer.status, status, "{what}: {}", answer.body);
    assert!(answer.is_friendly_page(), "{what}");
    assert!(answer.body.contains(title), "{what}");
}

pub(crate) fn assert_forbidden(answer: &Answer, what: &str) {
    assert_friendly(answer, StatusCode::FORBIDDEN, "Sem permissão", what);
}

pub(crate) fn assert_not_found(answer: &Answer, what: &str) {
    assert_friendly(answer, StatusCode::NOT_FOUND, "Página não encontrada", what);
}

pub(crate) fn assert_sent_to_log_in(answer: &Answer, path: &str) {
    assert_eq!(
        answer.status,
        StatusCode::SEE_OTHER,
        "{path}: {}",
        answer.body
    );
    assert!(
        answer.location().starts_with("/login?next="),
        "{path}: {}",
        answer.location()
    );
}

/// An organization with a venue and a draft event, owned by `owner@`, with a member of each
/// other role (`manager@`, `finance@`, `checkin@`, `viewer@`), and an outsider (`outsider@`,
/// an organizer with an organization of their own): the organization, venue and event ids.
pub(crate) async fn organization_with_team(app: &TestApp) -> (String, Value, String) {
    let owner = app.organizer("owner@example.com").await;
    let (_, mine) = app.get("/organizations", Some(&owner.token)).await;
    let org = id(&mine["items"][0]);
    let (status, venue) = app.post("/venues", Some(&owner.token), venue_body()).await;
    assert_eq!(status, StatusCode::CREATED, "{venue}");
    let (status, event) = app
        .post(
            "/events",
            Some(&owner.token),
            json!({"title": "Concerto de Inverno", "category": "music", "venue_id": venue["id"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{event}");
    for role in ["manager", "finance", "checkin", "viewer"] {
        let email = format!("{role}@example.com");
        app.account(&email, &[]).await;
        let (status, added) = app
            .post(
                &format!("/organizations/{org}/members"),
                Some(&owner.token),
                json!({"email": email, "role": role}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{added}");
    }
    app.organizer("outsider@example.com").await;
    (org, venue, id(&event))
}

async fn the_console_is_for_organizers_and_members_and_founds_organizations(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let admin = app.account("admin@example.com", &[Role::Admin]).await;
    let founder = app
        .account("organizer@example.com", &[Role::Organizer])
        .await;
    let founder_id = founder.id.parse().unwrap();
    let page = PageRequest {
        limit: 50,
        after: None,
    };
    app.account("buyer@example.com", &[]).await;

    let anonymous = Browser::new(&app);
    assert_sent_to_log_in(&anonymous.get("/organizer").await, "/organizer");
    assert_eq!(
        anonymous.get("/organizer").await.location(),
        "/login?next=%2Forganizer"
    );

    let buyer = browser_of(&app, "buyer@example.com").await;
    assert_forbidden(&buyer.get("/organizer").await, "a buyer");
    assert!(
        !buyer.get("/").await.body.contains("href=\"/organizer\""),
        "a buyer's header has no console"
    );

    let organizer = browser_of(&app, "organizer@example.com").await;
    let home = organizer.get("/organizer").await;
    assert_eq!(home.status, StatusCode::OK, "{}", home.body);
    assert!(home.body.contains(PT.no_organizations));
    assert!(home.body.contains(PT.found_title));
    assert!(
        home.body.contains("href=\"/organizer\""),
        "the header's link"
    );

    // A wrong CNPJ: said beside its field, what was typed kept, nothing founded.
    let wrong = organizer
        .post(
            "/organizer",
            &[
                ("csrf", &home.csrf()),
                ("name", "Produtora Sol & Lua"),
                ("document", "11.222.333/0001-80"),
                ("contact_email", "contato@sol.example"),
            ],
        )
        .await;
    assert_eq!(
        wrong.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        wrong.body
    );
    assert!(
        wrong.body.contains("id=\"document-problem\""),
        "{}",
        wrong.body
    );
    assert!(!wrong.body.contains("id=\"name-problem\""));
    assert_eq!(value_of(&wrong, "document"), "11.222.333/0001-80");
    assert_eq!(value_of(&wrong, "name"), "Produtora Sol &#38; Lua");
    assert_eq!(value_of(&wrong, "contact_email"), "contato@sol.example");
    let founded = app.state.store.user_organizations(founder_id, &page).await;
    assert!(founded.unwrap().items.is_empty(), "nothing founded");

    // Without its CSRF proof a form does nothing.
    let forged = organizer
        .post(
            "/organizer",
            &[
                ("name", "Produtora Sol"),
                ("document", "11.222.333/0001-81"),
                ("contact_email", "contato@sol.example"),
            ],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let founded = app.state.store.user_organizations(founder_id, &page).await;
    assert!(founded.unwrap().items.is_empty(), "nothing founded");

    let founded = organizer
        .post(
            "/organizer",
            &[
                ("csrf", &home.csrf()),
                ("name", "Produtora Sol"),
                ("document", "11.222.333/0001-81"),
                ("contact_email", "contato@sol.example"),
            ],
        )
        .await;
    assert_eq!(founded.status, StatusCode::SEE_OTHER, "{}", founded.body);
    assert!(founded.location().starts_with("/organizer/"));
    let page = organizer.get(founded.location()).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains(PT.organization_created));
    assert!(page.body.contains("Produtora Sol"));
    assert!(page.body.contains(PT.no_organizer_events));
    let list = organizer.get("/organizer").await;
    assert!(list.body.contains("Produtora Sol"));
    assert!(list.body.contains(PT.role_owner));

    // A member without the organizer role has a console too, for their organization only.
    let org = founded.location()["/organizer/".len()..]
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let member = app.account("member@example.com", &[]).await;
    let (status, _) = app
        .post(
            &format!("/organizations/{org}/members"),
            Some(&admin.token),
            json!({"email": member.email, "role": "viewer"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let member = browser_of(&app, "member@example.com").await;
    let list = member.get("/organizer").await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert!(list.body.contains("Produtora Sol"));
    assert!(list.body.contains(PT.role_viewer));
    assert!(!list.body.contains(PT.found_title), "only organizers found");
    assert!(
        list.body.contains("href=\"/organizer\""),
        "the header's link"
    );
}

async fn each_page_and_form_answers_by_role(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let (org, _venue, event) = organization_with_team(&app).await;
    let mut browsers = Vec::new();
    for who in [
        "owner", "manager", "finance", "checkin", "viewer", "outsider",
    ] {
        browsers.push((who, browser_of(&app, &format!("{who}@example.com")).await));
    }
    let anonymous = Browser::new(&app);
    let events = format!("/organizer/{org}");
    let team = format!("/organizer/{org}/team");
    let new_event = format!("/organizer/{org}/events/new");
    let edit = format!("/organizer/{org}/events/{event}");
    let products = format!("/organizer/{org}/products");
    // Who may open each page; every other member gets 403, the outsider 404.
    let pages: [(&str, &[&str]); 5] = [
        (
            &events,
            &["owner", "manager", "finance", "checkin", "viewer"],
        ),
        (
            &products,
            &["owner", "manager", "finance", "checkin", "viewer"],
        ),
        (&team, &["owner"]),
        (&new_event, &["owner", "manager"]),
        (&edit, &["owner", "manager"]),
    ];
    for (path, allowed) in pages {
        assert_sent_to_log_in(&anonymous.get(path).await, path);
        for (who, browser) in &browsers {
            let answer = browser.get(path).await;
            let what = format!("{who} on {path}");
            if allowed.contains(who) {
                assert_eq!(answer.status, StatusCode::OK, "{what}: {}", answer.body);
            } else if *who == "outsider" {
                assert_not_found(&answer, &what);
            } else {
                assert_forbidden(&answer, &what);
            }
        }
    }
    // What each may do is what each page offers.
    let owner = &browsers[0].1;
    let viewer = &browsers[4].1;
    let own = owner.get(&events).await;
    assert!(own.body.contains(&format!("href=\"{team}\"")));
    assert!(own.body.contains(&format!("href=\"{new_event}\"")));
    assert!(own.body.contains(&format!("href=\"{edit}\"")));
    let viewed = viewer.get(&events).await;
    assert!(viewed.body.contains("Concerto de Inverno"));
    assert!(!viewed.body.contains(&format!("href=\"{team}\"")));
    assert!(!viewed.body.contains(&format!("href=\"{new_event}\"")));
    assert!(!viewed.body.contains(&format!("href=\"{edit}\"")));
    assert!(
        !viewer.get(&products).await.body.contains(PT.create_product),
        "a viewer sees no product form"
    );

    // The forms: the role that may not gets 403, the outsider 404, the anonymous the login.
    let member_form = |csrf: String| {
        vec![
            ("csrf".to_owned(), csrf),
            ("email".to_owned(), "finance@example.com".to_owned()),
            ("role".to_owned(), "viewer".to_owned()),
        ]
    };
    let event_form = |csrf: String| {
        vec![
            ("csrf".to_owned(), csrf),
            ("title".to_owned(), "Novo".to_owned()),
            ("category".to_owned(), "music".to_owned()),
        ]
    };
    let product_form = |csrf: String| {
        vec![
            ("csrf".to_owned(), csrf),
            ("name".to_owned(), "Camiseta".to_owned()),
            ("price".to_owned(), "10".to_owned()),
            ("stock".to_owned(), "5".to_owned()),
        ]
    };
    type Form = fn(String) -> Vec<(String, String)>;
    let forms: [(String, Form, &str); 6] = [
        (team.clone(), member_form, "manager"),
        (format!("/organizer/{org}/events"), event_form, "finance"),
        (edit.clone(), event_form, "viewer"),
        (format!("{edit}/publish"), event_form, "checkin"),
        (products.clone(), product_form, "viewer"),
        (
            format!("{team}/{}/remove", uuid::Uuid::now_v7()),
            member_form,
            "manager",
        ),
    ];
    // Sends `form` to `path` from `browser`, with its CSRF proof.
    async fn send(browser: &Browser, path: &str, form: Form) -> Answer {
        let fields = form(browser.get("/").await.csrf());
        let pairs: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        browser.post(path, &pairs).await
    }
    for (path, form, may_not) in forms {
        let browser = &browsers.iter().find(|(who, _)| *who == may_not).unwrap().1;
        let what = format!("{may_not} on {path}");
        assert_forbidden(&send(browser, &path, form).await, &what);
        let outsider = &browsers[5].1;
        let what = format!("outsider on {path}");
        assert_not_found(&send(outsider, &path, form).await, &what);
        assert_sent_to_log_in(&send(&anonymous, &path, form).await, &path);
    }
    // Nothing of it changed: one event, still a draft; no product; the team as it was.
    let store = &app.state.store;
    let org_id: OrganizationId = org.parse().unwrap();
    let page = PageRequest {
        limit: 50,
        after: None,
    };
    let members = store.list_members(org_id, &page).await.unwrap();
    assert_eq!(members.items.len(), 5);
    assert!(
        store
            .organization_products(org_id, &page)
            .await
            .unwrap()
            .items
            .is_empty()
    );
    let stored = store
        .get_event(event.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.title, "Concerto de Inverno");
    assert_eq!(stored.status.as_str(), "draft");
}

async fn mistakes_are_said_beside_their_fields_and_nothing_is_stored(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let (org, venue, event) = organization_with_team(&app).await;
    let owner = browser_of(&app, "owner@example.com").await;
    let org_id: OrganizationId = org.parse().unwrap();
    let page = PageRequest {
        limit: 50,
        after: None,
    };
    let store = &app.state.store;
    let count_events = || async {
        store
            .list_events(
                &bilheteria_domain::catalog::EventQuery {
                    organization_id: Some(org_id),
                    include_drafts: true,
                    ..Default::default()
                },
                &page,
            )
            .await
            .unwrap()
            .items
            .len()
    };

    // An empty title.
    let form = owner.get(&format!("/organizer/{org}/events/new")).await;
    assert!(
        form.body.contains("Arena Carioca · Rio de Janeiro"),
        "the venue offered"
    );
    assert!(
        form.body.contains(">Teatro<"),
        "categories named in Portuguese"
    );
    let empty = owner
        .post(
            &format!("/organizer/{org}/events"),
            &[
                ("csrf", &form.csrf()),
                ("title", "   "),
                ("description", "Uma noite de choro"),
                ("category", "theatre"),
                ("venue_id", venue["id"].as_str().unwrap()),
                ("tags", "choro, samba"),
            ],
        )
        .await;
    assert_eq!(
        empty.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        empty.body
    );
    assert!(
        empty.body.contains("id=\"title-problem\""),
        "{}",
        empty.body
    );
    assert!(empty.body.contains("Uma noite de choro</textarea>"));
    assert_eq!(value_of(&empty, "tags"), "choro, samba");
    assert!(empty.body.contains("value=\"theatre\" selected"));
    assert_eq!(count_events().await, 1, "nothing stored");

    // No venue chosen: said beside the venue, with the title's mistake too.
    let no_venue = owner
        .post(
            &format!("/organizer/{org}/events"),
            &[("csrf", &form.csrf()), ("title", ""), ("category", "music")],
        )
        .await;
    assert_eq!(no_venue.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_venue.body.contains("id=\"venue_id-problem\""));
    assert!(no_venue.body.contains("id=\"title-problem\""));
    assert_eq!(count_events().await, 1, "nothing stored");

    // An edit emptying the title keeps the event as it was.
    let edit = format!("/organizer/{org}/events/{event}");
    let emptied = owner
        .post(
            &edit,
            &[
                ("csrf", &form.csrf()),
                ("title", ""),
                ("category", "music"),
                ("venue_id", venue["id"].as_str().unwrap()),
            ],
        )
        .await;
    assert_eq!(emptied.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(emptied.body.contains("id=\"title-problem\""));
    let stored = store
        .get_event(event.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.title, "Concerto de Inverno");

    // A negative price, and a price that is no amount.
    let products = format!("/organizer/{org}/products");
    for (price, stock) in [("-5,00", "10"), ("dez reais", "10"), ("5,00", "-1")] {
        let bad = owner
            .post(
                &products,
                &[
                    ("csrf", &form.csrf()),
                    ("name", "Camiseta"),
                    ("price", price),
                    ("stock", stock),
                    ("event_ids", &event),
                ],
            )
            .await;
        assert_eq!(
            bad.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{price}: {}",
            bad.body
        );
        let field = if stock == "-1" { "stock" } else { "price" };
        assert!(
            bad.body.contains(&format!("id=\"{field}-problem\"")),
            "{price}: {}",
            bad.body
        );
        assert_eq!(value_of(&bad, "price"), price);
        assert_eq!(value_of(&bad, "name"), "Camiseta");
        assert_eq!(value_of(&bad, "stock"), stock);
        assert!(bad.body.contains(&format!("value=\"{event}\" checked")));
    }
    assert!(
        store
            .organization_products(org_id, &page)
            .await
            .unwrap()
            .items
            .is_empty(),
        "nothing stored"
    );

    // The team: an address without an account (invited), a role that is none, and the last owner.
    let team = format!("/organizer/{org}/team");
    let unknown = owner
        .post(
            &team,
            &[
                ("csrf", &form.csrf()),
                ("email", "nobody@example.com"),
                ("role", "viewer"),
            ],
        )
        .await;
    // Invited, with a sign-up link mailed: the page says so.
    assert_eq!(unknown.status, StatusCode::SEE_OTHER, "{}", unknown.body);
    assert_eq!(unknown.location(), format!("{team}?done=invited"));
    assert!(
        owner
            .get(unknown.location())
            .await
            .body
            .contains("enviamos um convite")
    );
    let no_role = owner
        .post(
            &team,
            &[
                ("csrf", &form.csrf()),
                ("email", "viewer@example.com"),
                ("role", "boss"),
            ],
        )
        .await;
    assert_eq!(no_role.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_role.body.contains("id=\"role-problem\""));
    let demoted = owner
        .post(
            &team,
            &[
                ("csrf", &form.csrf()),
                ("change", "1"),
                ("email", "owner@example.com"),
                ("role", "viewer"),
            ],
        )
        .await;
    assert_eq!(demoted.status, StatusCode::CONFLICT, "{}", demoted.body);
    assert!(
        demoted.body.contains("Último proprietário"),
        "{}",
        demoted.body
    );
    let owner_id = app
        .state
        .store
        .list_members(org_id, &page)
        .await
        .unwrap()
        .items
        .into_iter()
        .find(|m| m.email == "owner@example.com")
        .unwrap()
        .user_id;
    let removed = owner
        .post(
            &format!("{team}/{owner_id}/remove"),
            &[("csrf", &form.csrf())],
        )
        .await;
    assert_eq!(removed.status, StatusCode::CONFLICT);
    assert!(removed.body.contains("Último proprietário"));
    let members = store.list_members(org_id, &page).await.unwrap().items;
    assert_eq!(members.len(), 5, "the team as it was");
    assert!(
        members
            .iter()
            .any(|m| m.email == "owner@example.com" && m.role.as_str() == "owner")
    );
}

async fn a_team_an_event_and_a_product_are_made_through_the_pages(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let (org, venue, first) = organization_with_team(&app).await;
    let newcomer: Account = app.account("newcomer@example.com", &[]).await;
    let owner = browser_of(&app, "owner@example.com").await;
    let store = &app.state.store;
    let org_id: OrganizationId = org.parse().unwrap();
    let page = PageRequest {
        limit: 50,
        after: None,
    };

    // An event, made, edited and published.
    let form = owner.get(&format!("/organizer/{org}/events/new")).await;
    let csrf = form.csrf();
    let made = owner
        .post(
            &format!("/organizer/{org}/events"),
            &[
                ("csrf", &csrf),
                ("title", "Roda de Choro"),
                ("description", "Choro ao vivo"),
                ("category", "music"),
                ("venue_id", venue["id"].as_str().unwrap()),
                ("tags", "choro, ao-vivo"),
            ],
        )
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let path = made.location().split('?').next().unwrap().to_owned();
    let event_id = path.rsplit('/').next().unwrap().to_owned();
    let stored = store
        .get_event(event_id.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.title, "Roda de Choro");
    assert_eq!(stored.tags, ["choro", "ao-vivo"]);
    assert_eq!(stored.status.as_str(), "draft");
    let shown = owner.get(made.location()).await;
    assert!(shown.body.contains(PT.event_created));
    assert!(shown.body.contains(PT.publish));
    let edited = owner
        .post(
            &path,
            &[
                ("csrf", &csrf),
                ("title", "Roda de Choro e Samba"),
                ("description", "Choro ao vivo"),
                ("category", "music"),
                ("venue_id", venue["id"].as_str().unwrap()),
                ("tags", "choro"),
            ],
        )
        .await;
    assert_eq!(edited.status, StatusCode::SEE_OTHER, "{}", edited.body);
    let published = owner
        .post(&format!("{path}/publish"), &[("csrf", &csrf)])
        .await;
    assert_eq!(published.status, StatusCode::SEE_OTHER);
    assert!(
        owner
            .get(published.location())
            .await
            .body
            .contains(PT.event_published)
    );
    let public = Browser::new(&app).get(&format!("/events/{event_id}")).await;
    assert_eq!(
        public.status,
        StatusCode::OK,
        "published, the public sees it"
    );
    assert!(public.body.contains("Roda de Choro e Samba"));

    // The events list: searched and filtered by status.
    let listed = owner.get(&format!("/organizer/{org}?q=samba")).await;
    assert!(listed.body.contains("Roda de Choro e Samba"));
    assert!(!listed.body.contains("Concerto de Inverno"));
    let drafts = owner.get(&format!("/organizer/{org}?status=draft")).await;
    assert!(drafts.body.contains("Concerto de Inverno"));
    assert!(!drafts.body.contains("Roda de Choro"));
    let unpublished = owner
        .post(&format!("{path}/unpublish"), &[("csrf", &csrf)])
        .await;
    assert_eq!(unpublished.status, StatusCode::SEE_OTHER);
    let stored = store
        .get_event(event_id.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.status.as_str(), "draft");

    // A member added, limited to an event, given another role (keeping the event), removed.
    let team = format!("/organizer/{org}/team");
    let added = owner
        .post(
            &team,
            &[
                ("csrf", &csrf),
                ("email", "newcomer@example.com"),
                ("role", "checkin"),
                ("event_ids", &first),
            ],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    let listed = owner.get(added.location()).await;
    assert!(listed.body.contains(PT.team_saved));
    assert!(listed.body.contains("newcomer@example.com"));
    assert!(listed.body.contains(PT.role_checkin));
    let member = |members: &[bilheteria_domain::organization::Member]| {
        members
            .iter()
            .find(|m| m.email == "newcomer@example.com")
            .cloned()
    };
    let members = store.list_members(org_id, &page).await.unwrap().items;
    let found = member(&members).expect("added");
    assert_eq!(found.role.as_str(), "checkin");
    assert_eq!(found.event_ids, Some(vec![first.parse().unwrap()]));
    let changed = owner
        .post(
            &team,
            &[
                ("csrf", &csrf),
                ("change", "1"),
                ("email", "newcomer@example.com"),
                ("event_ids", &first),
                ("role", "viewer"),
            ],
        )
        .await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER, "{}", changed.body);
    let members = store.list_members(org_id, &page).await.unwrap().items;
    let found = member(&members).expect("still there");
    assert_eq!(found.role.as_str(), "viewer");
    assert_eq!(found.event_ids, Some(vec![first.parse().unwrap()]));
    let removed = owner
        .post(
            &format!("{team}/{}/remove", newcomer.id),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER, "{}", removed.body);
    assert!(
        owner
            .get(removed.location())
            .await
            .body
            .contains(PT.member_removed)
    );
    let members = store.list_members(org_id, &page).await.unwrap().items;
    assert!(member(&members).is_none());

    // A product, its price typed with a decimal comma, offered with an event.
    let made = owner
        .post(
            &format!("/organizer/{org}/products"),
            &[
                ("csrf", &csrf),
                ("name", "Camiseta da turnê"),
                ("price", "1.234,50"),
                ("stock", "30"),
                ("event_ids", &first),
            ],
        )
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let listed = owner.get(made.location()).await;
    assert!(listed.body.contains(PT.product_created));
    assert!(listed.body.contains("Camiseta da turnê"));
    assert!(listed.body.contains("R$ 1.234,50"));
    let products = store
        .organization_products(org_id, &page)
        .await
        .unwrap()
        .items;
    assert_eq!(products.len(), 1);
    assert_eq!(products[0].price_cents, 123_450);
    assert_eq!(products[0].stock, 30);
    assert_eq!(products[0].event_ids, vec![first.parse().unwrap()]);

    // In English, the same pages in English words.
    let english = owner.get("/language/en?back=/organizer").await;
    assert_eq!(english.status, StatusCode::SEE_OTHER);
    let console = owner.get("/organizer").await;
    assert!(console.body.contains("Organizer console"));
    assert!(console.body.contains("Owner"));
    let team_page = owner.get(&team).await;
    assert!(team_page.body.contains("Add a member"));
    assert!(team_page.body.contains("Check-in"));
}

async fn an_event_is_cancelled_from_its_page_after_a_confirmation(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let sale = on_sale(&app, 4, 2, 2, json!({})).await;
    let buyer = app.account("fan@example.com", &[]).await;
    app.buy_seat(&sale, &buyer.token, 0, "pages-cancel-01")
        .await;
    let (_, event) = app.get(&format!("/events/{}", sale.event_id), None).await;
    let org = event["organization_id"].as_str().unwrap().to_owned();
    app.account("finance@example.com", &[]).await;
    let (status, _) = app
        .post(
            &format!("/organizations/{org}/members"),
            Some(&sale.organizer.token),
            json!({"email": "finance@example.com", "role": "finance"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    app.organizer("outsider@example.com").await;
    let owner = browser_of(&app, &sale.organizer.email).await;
    let finance = browser_of(&app, "finance@example.com").await;
    let outsider = browser_of(&app, "outsider@example.com").await;
    let anonymous = Browser::new(&app);
    let page = format!("/organizer/{org}/events/{}", sale.event_id);
    let confirm = format!("{page}/cancel");

    // Who may: the confirmation and the form answer by role.
    assert_sent_to_log_in(&anonymous.get(&confirm).await, &confirm);
    assert_forbidden(&finance.get(&confirm).await, "finance on the confirmation");
    assert_not_found(
        &outsider.get(&confirm).await,
        "outsider on the confirmation",
    );
    for (browser, who) in [(&finance, "finance"), (&outsider, "outsider")] {
        let csrf = browser.get("/").await.csrf();
        let answer = browser
            .post(&confirm, &[("csrf", &csrf), ("reason", "Não")])
            .await;
        if who == "finance" {
            assert_forbidden(&answer, who);
        } else {
            assert_not_found(&answer, who);
        }
    }
    let edited = owner.get(&page).await;
    assert!(
        edited.body.contains(&format!("href=\"{confirm}\"")),
        "{}",
        edited.body
    );
    let shown = owner.get(&confirm).await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.body);
    assert!(shown.body.contains(PT.cancel_event_warning));
    assert!(shown.body.contains(PT.confirm_cancel_event));
    assert!(shown.body.contains("name=\"csrf\""));
    // Without the CSRF proof nothing happens; a reason too long is said beside its field,
    // what was typed kept.
    let refused = owner.post(&confirm, &[("reason", "Chuva")]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    let long = "chuva ".repeat(100);
    let too_long = owner
        .post(&confirm, &[("csrf", &shown.csrf()), ("reason", &long)])
        .await;
    assert_eq!(
        too_long.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        too_long.body
    );
    assert!(
        too_long.body.contains("id=\"reason-problem\""),
        "{}",
        too_long.body
    );
    assert!(too_long.body.contains(&format!("{long}</textarea>")));
    let stored = app
        .state
        .store
        .get_event(sale.event_id.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(!stored.is_cancelled(), "nothing cancelled by refused forms");

    let done = owner
        .post(
            &confirm,
            &[("csrf", &shown.csrf()), ("reason", "Chuva forte")],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(done.location(), format!("{page}?done=cancelled"));
    let cancelled = owner.get(done.location()).await;
    assert!(cancelled.body.contains(PT.event_cancelled_done));
    assert!(cancelled.body.contains(PT.status_cancelled));
    assert!(cancelled.body.contains("Motivo: Chuva forte"));
    assert!(
        cancelled.body.contains("0 de 1 pedido pago reembolsado"),
        "{}",
        cancelled.body
    );
    assert!(
        !cancelled.body.contains(&format!("href=\"{confirm}\"")),
        "cancelled once"
    );
    assert!(!cancelled.body.contains(PT.publish));
    // The confirmation of a cancelled event goes back to its page.
    assert_eq!(owner.get(&confirm).await.location(), page);

    // The refunds go on in the background; the page says how far.
    bilheteria_app::sales::reconcile(&app.state).await.unwrap();
    let refunded = owner.get(&page).await;
    assert!(
        refunded.body.contains("1 de 1 pedido pago reembolsado"),
        "{}",
        refunded.body
    );
    let listed = owner
        .get(&format!("/organizer/{org}?status=cancelled"))
        .await;
    assert!(listed.body.contains("Grande Show"), "{}", listed.body);
    assert!(
        listed
            .body
            .contains("<option value=\"cancelled\" selected>")
    );
    assert!(
        !owner
            .get(&format!("/organizer/{org}?status=published"))
            .await
            .body
            .contains("Grande Show")
    );

    // The buyers' page says it, and sells nothing.
    let public = anonymous.get(&format!("/events/{}", sale.event_id)).await;
    assert_eq!(public.status, StatusCode::OK);
    assert!(public.body.contains(PT.event_cancelled_public));
    assert!(public.body.contains(PT.sales_cancelled));
    assert!(
        !public
            .body
            .contains(&format!("href=\"/sessions/{}\"", sale.session_id))
    );

    // In English too.
    assert_eq!(
        owner.get("/language/en?back=/").await.status,
        StatusCode::SEE_OTHER
    );
    let english = owner.get(&page).await;
    assert!(english.body.contains(EN.status_cancelled));
    assert!(english.body.contains("Reason: Chuva forte"));
    assert!(
        english.body.contains("1 of 1 paid order refunded"),
        "{}",
        english.body
    );
    let public = owner.get(&format!("/events/{}", sale.event_id)).await;
    assert!(public.body.contains(EN.event_cancelled_public));
}

async fn a_product_is_changed_on_its_page_by_those_who_edit_the_catalog(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let (org, _venue, event) = organization_with_team(&app).await;
    let owner = browser_of(&app, "owner@example.com").await;
    let csrf = owner.get("/").await.csrf();
    let made = owner
        .post(
            &format!("/organizer/{org}/products"),
            &[
                ("csrf", &csrf),
                ("name", "Caneca"),
                ("price", "30"),
                ("stock", "5"),
            ],
        )
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let org_id: OrganizationId = org.parse().unwrap();
    let page = PageRequest {
        limit: 5,
        after: None,
    };
    let stored = || async {
        let products = app.state.store.organization_products(org_id, &page).await;
        products.unwrap().items.remove(0)
    };
    let product = stored().await;
    let path = format!("/organizer/{org}/products/{}", product.id);
    let shown = owner.get(&path).await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.body);
    assert_eq!(value_of(&shown, "stock"), "5");

    // Mistakes beside their fields, what was typed kept, nothing changed.
    let refused = owner
        .post(
            &path,
            &[
                ("csrf", &csrf),
                ("name", "Caneca"),
                ("price", "trinta"),
                ("stock", "-2"),
            ],
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert!(refused.body.contains("id=\"price-problem\""));
    assert!(refused.body.contains("id=\"stock-problem\""));
    assert_eq!(value_of(&refused, "price"), "trinta");
    assert_eq!(stored().await.price_cents, 3_000);

    // Changed: price, stock and the event it is offered with.
    let saved = owner
        .post(
            &path,
            &[
                ("csrf", &csrf),
                ("name", "Caneca esmaltada"),
                ("price", "32,50"),
                ("stock", "7"),
                ("event_ids", &event),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let changed = stored().await;
    assert_eq!(changed.name, "Caneca esmaltada");
    assert_eq!((changed.price_cents, changed.stock), (3_250, 7));
    assert_eq!(changed.event_ids.len(), 1);
    assert_eq!(changed.event_ids[0].to_string(), event);

    // The roles that may not, and outsiders.
    for who in ["finance", "checkin", "viewer", "outsider"] {
        let browser = browser_of(&app, &format!("{who}@example.com")).await;
        let csrf = browser.get("/").await.csrf();
        let answer = browser
            .post(
                &path,
                &[
                    ("csrf", &csrf),
                    ("name", "X"),
                    ("price", "1"),
                    ("stock", "1"),
                ],
            )
            .await;
        let what = format!("{who} on {path}");
        if who == "outsider" {
            assert_not_found(&answer, &what);
        } else {
            assert_forbidden(&answer, &what);
        }
    }
    assert_eq!(stored().await.name, "Caneca esmaltada");
}
