//! Organizations and their teams over real HTTP on both backends: founding one (a wrong CPF or
//! CNPJ refused), members by role (who may, who gets 403, who from outside gets 404), members
//! limited to some events, the last owner kept, the catalog made and changed by role, the door
//! by role, an admin's suspension, the audit of every change, and the migration that gave the
//! organizers of before an organization of their own.

use bilheteria_domain::account::Role;
use bilheteria_store::testing::TestDatabase;
use bilheteria_store::{Backend, on_both_backends};
use bilheteria_testkit::{
    Account, CNPJ, TestApp, assert_problem, error_fields, on_sale, session_body, venue_body,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

on_both_backends!(
    founding_an_organization_checks_its_document_and_makes_the_founder_owner,
    the_team_is_the_owners_and_outsiders_find_nothing,
    each_role_may_what_it_may_on_the_catalog,
    an_organizations_events_include_drafts_filtered_and_paged,
    the_door_is_for_checkin_members_and_staff_become_them,
    a_suspended_organization_sells_nothing_until_unsuspended,
    a_session_is_paused_and_changed_by_those_who_edit_the_catalog,
    a_sessions_prices_change_until_its_first_sale_and_its_other_settings_after,
    the_migration_gives_each_organizer_of_before_their_catalog,
    an_organizations_venues_and_products_are_read_by_its_members,
);

fn id(value: &Value) -> String {
    value["id"].as_str().unwrap().to_owned()
}

/// The audit log's entries about `target`, newest first.
async fn audit_of(app: &TestApp, admin: &Account, target: &str) -> Value {
    let (status, audit) = app
        .get(&format!("/admin/audit?target={target}"), Some(&admin.token))
        .await;
    assert_eq!(status, StatusCode::OK, "{audit}");
    audit
}

fn actions(audit: &Value) -> Vec<&str> {
    audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect()
}

async fn delete(app: &TestApp, path: &str, token: &str) -> (StatusCode, Value) {
    app.call(Method::DELETE, path, Some(token), None).await
}

/// Adds `email` to `organization` as `role` (limited to `events` when given), by `owner`.
async fn add(
    app: &TestApp,
    owner: &Account,
    organization: &str,
    email: &str,
    role: &str,
    events: Option<Vec<&str>>,
) -> (StatusCode, Value) {
    let mut body = json!({"email": email, "role": role});
    if let Some(events) = events {
        body["event_ids"] = json!(events);
    }
    app.post(
        &format!("/organizations/{organization}/members"),
        Some(&owner.token),
        body,
    )
    .await
}

/// An account added to `organization` as `role`.
async fn member(
    app: &TestApp,
    owner: &Account,
    organization: &str,
    email: &str,
    role: &str,
    events: Option<Vec<&str>>,
) -> Account {
    let account = app.account(email, &[]).await;
    let (status, added) = add(app, owner, organization, email, role, events).await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    assert_eq!(added["role"], role);
    assert_eq!(added["user_id"], account.id.as_str());
    account
}

async fn founding_an_organization_checks_its_document_and_makes_the_founder_owner(
    db: TestDatabase,
) {
    let app = TestApp::spawn(db).await;
    let founder = app
        .account("produtora@example.com", &[Role::Organizer])
        .await;
    let token = Some(founder.token.as_str());
    for wrong in [
        "11.222.333/0001-80",
        "529.982.247-24",
        "111.111.111-11",
        "123",
    ] {
        let refused = app
            .post(
                "/organizations",
                token,
                json!({"name": "Produtora", "document": wrong, "contact_email": "c@example.com"}),
            )
            .await;
        assert_problem(
            &refused,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        );
        assert_eq!(error_fields(&refused.1), ["document"], "{wrong}");
        assert_eq!(refused.1["errors"][0]["code"], "invalid_document");
    }
    let (status, by_cpf) = app
        .post(
            "/organizations",
            token,
            json!({"name": "Ana Produções", "document": "529.982.247-25", "contact_email": "ana@example.com"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{by_cpf}");
    assert_eq!(by_cpf["document"], "52998224725", "kept as its digits");
    assert_eq!(by_cpf["contact_email"], "ana@example.com");
    assert_eq!(by_cpf["suspended_at"], Value::Null);
    let (status, by_cnpj) = app
        .post(
            "/organizations",
            token,
            json!({"name": "Grande Produtora", "document": "11222333000181", "contact_email": "g@example.com"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{by_cnpj}");

    let (status, mine) = app.get("/organizations?limit=1", token).await;
    assert_eq!(status, StatusCode::OK, "{mine}");
    assert_eq!(mine["items"][0]["id"], by_cpf["id"]);
    assert_eq!(mine["items"][0]["role"], "owner");
    assert_eq!(mine["items"][0]["event_ids"], Value::Null);
    let cursor = mine["next_cursor"].as_str().unwrap();
    let (_, rest) = app
        .get(&format!("/organizations?limit=1&cursor={cursor}"), token)
        .await;
    assert_eq!(rest["items"][0]["id"], by_cnpj["id"]);
    assert_eq!(rest["next_cursor"], Value::Null);

    // With two organizations, a venue names which one it is for.
    let refused = app.post("/venues", token, venue_body()).await;
    assert_problem(
        &refused,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(error_fields(&refused.1), ["organization_id"]);
    let mut venue = venue_body();
    venue["organization_id"] = by_cnpj["id"].clone();
    let (status, venue) = app.post("/venues", token, venue).await;
    assert_eq!(status, StatusCode::CREATED, "{venue}");
    assert_eq!(venue["organization_id"], by_cnpj["id"]);

    // A customer founds nothing, and has nothing to make a venue in.
    let customer = app.account("fan@example.com", &[]).await;
    assert_problem(
        &app.post(
            "/organizations",
            Some(&customer.token),
            json!({"name": "X", "document": CNPJ, "contact_email": "x@example.com"}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    assert_problem(
        &app.post("/venues", Some(&customer.token), venue_body())
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let (status, none) = app.get("/organizations", Some(&customer.token)).await;
    assert_eq!((status, &none["items"]), (StatusCode::OK, &json!([])));

    // Founding is in the audit log.
    let admin = app.account("root@example.com", &[Role::Admin]).await;
    let (_, audit) = app
        .get(
            "/admin/audit?action=organization.created",
            Some(&admin.token),
        )
        .await;
    assert_eq!(audit["items"].as_array().unwrap().len(), 2, "{audit}");
    assert_eq!(audit["items"][0]["actor_id"], founder.id.as_str());
}

async fn the_team_is_the_owners_and_outsiders_find_nothing(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let sale = on_sale(&app, 2, 2, 2, json!({})).await;
    let owner = &sale.organizer;
    let (_, event) = app.get(&format!("/events/{}", sale.event_id), None).await;
    let organization = event["organization_id"].as_str().unwrap().to_owned();
    let members_path = format!("/organizations/{organization}/members");

    let manager = member(&app, owner, &organization, "m@example.com", "manager", None).await;
    let viewer = member(&app, owner, &organization, "v@example.com", "viewer", None).await;
    let door = member(
        &app,
        owner,
        &organization,
        "d@example.com",
        "checkin",
        Some(vec![&sale.event_id]),
    )
    .await;
    let (status, team) = app.get(&members_path, Some(&owner.token)).await;
    assert_eq!(status, StatusCode::OK, "{team}");
    let team = team["items"].as_array().unwrap();
    assert_eq!(team.len(), 4);
    let door_row = team
        .iter()
        .find(|m| m["user_id"] == door.id.as_str())
        .unwrap();
    assert_eq!(door_row["event_ids"], json!([sale.event_id]));
    assert_eq!(door_row["email"], "d@example.com");

    // Members of other roles may not see or change the team: 403. Outsiders: 404.
    let outsider = app.organizer("outsider@example.com").await;
    for member in [&manager, &viewer, &door] {
        assert_problem(
            &app.get(&members_path, Some(&member.token)).await,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
        assert_problem(
            &add(&app, member, &organization, "x@example.com", "viewer", None).await,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
        assert_problem(
            &delete(
                &app,
                &format!("{members_path}/{}", viewer.id),
                &member.token,
            )
            .await,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
    }
    assert_problem(
        &app.get(&members_path, Some(&outsider.token)).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_problem(
        &add(
            &app,
            &outsider,
            &organization,
            "outsider@example.com",
            "owner",
            None,
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_problem(
        &delete(
            &app,
            &format!("{members_path}/{}", owner.id),
            &outsider.token,
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_problem(
        &app.get(
            "/organizations/3fa85f64-5717-4562-b3fc-2c963f66afa6/members",
            Some(&owner.token),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );

    // An address with no account is invited (202), not added; then bad additions: an event of
    // another organization; a made-up role.
    let (status, invited) = add(
        &app,
        owner,
        &organization,
        "nobody@example.com",
        "viewer",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{invited}");
    assert_eq!(invited["status"], "invited");
    let elsewhere = on_sale(&app, 1, 1, 1, json!({})).await;
    let refused = add(
        &app,
        owner,
        &organization,
        "m@example.com",
        "manager",
        Some(vec![&sale.event_id, &elsewhere.event_id]),
    )
    .await;
    assert_problem(
        &refused,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(error_fields(&refused.1), ["event_ids[1]"]);
    let refused = add(&app, owner, &organization, "m@example.com", "boss", None).await;
    assert_eq!(error_fields(&refused.1), ["role"]);

    // The last owner can neither be demoted nor removed; with a second owner, they can.
    assert_problem(
        &add(&app, owner, &organization, &owner.email, "manager", None).await,
        StatusCode::CONFLICT,
        "last_owner",
    );
    assert_problem(
        &delete(&app, &format!("{members_path}/{}", owner.id), &owner.token).await,
        StatusCode::CONFLICT,
        "last_owner",
    );
    let (status, promoted) = add(&app, owner, &organization, "m@example.com", "owner", None).await;
    assert_eq!(
        (status, &promoted["role"]),
        (StatusCode::CREATED, &json!("owner"))
    );
    assert_eq!(
        app.get(&members_path, Some(&manager.token)).await.0,
        StatusCode::OK,
        "an owner now"
    );
    let (status, _) = delete(&app, &format!("{members_path}/{}", viewer.id), &owner.token).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_problem(
        &delete(&app, &format!("{members_path}/{}", viewer.id), &owner.token).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_problem(
        &app.get(
            &format!("/organizations/{organization}/events"),
            Some(&viewer.token),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );

    // Every change of the team is in the audit log, with who did it.
    let admin = app.account("root@example.com", &[Role::Admin]).await;
    let audit = audit_of(&app, &admin, &organization).await;
    let actions = actions(&audit);
    assert_eq!(
        actions,
        [
            "organization.member_removed",
            "organization.member_changed",
            "organization.member_invited",
            "organization.member_added",
            "organization.member_added",
            "organization.member_added",
            "organization.created",
        ]
    );
    assert_eq!(audit["items"][1]["before"]["role"], "manager");
    assert_eq!(audit["items"][1]["after"]["role"], "owner");
    // An admin may change any team.
    let (status, _) = add(&app, &admin, &organization, "d@example.com", "viewer", None).await;
    assert_eq!(status, StatusCode::CREATED);
}

async fn each_role_may_what_it_may_on_the_catalog(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let sale = on_sale(&app, 2, 2, 2, json!({})).await;
    let owner = &sale.organizer;
    let (_, event) = app.get(&format!("/events/{}", sale.event_id), None).await;
    let organization = event["organization_id"].as_str().unwrap().to_owned();
    let in_organization = |mut body: Value| {
        body["organization_id"] = json!(organization);
        body
    };
    let event_path = format!("/events/{}", sale.event_id);
    let product_path = format!("/products/{}", sale.product_id);

    // A manager makes and changes everything of the catalog.
    let manager = member(&app, owner, &organization, "m@example.com", "manager", None).await;
    let m = Some(manager.token.as_str());
    let (status, venue) = app.post("/venues", m, venue_body()).await;
    assert_eq!(status, StatusCode::CREATED, "{venue}");
    assert_eq!(venue["organization_id"], organization.as_str());
    assert_eq!(venue["owner_id"], manager.id.as_str(), "who made it");
    let (status, draft) = app
        .post(
            "/events",
            m,
            json!({"title": "Rascunho", "category": "theatre", "venue_id": venue["id"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{draft}");
    let (status, session) = app
        .post(
            &format!("/events/{}/sessions", id(&draft)),
            m,
            session_body(&venue),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{session}");
    let (status, _) = app.patch(&event_path, m, json!({"title": "Outro"})).await;
    assert_eq!(status, StatusCode::OK);
    let (status, product) = app
        .post(
            "/products",
            m,
            json!({"name": "Copo", "price_cents": 100, "stock": 1, "event_ids": [draft["id"]]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{product}");
    let (status, _) = app.patch(&product_path, m, json!({"stock": 7})).await;
    assert_eq!(status, StatusCode::OK);

    // Finance, the door and viewers change nothing of it: 403. They see its drafts.
    for role in ["finance", "checkin", "viewer"] {
        let someone = member(
            &app,
            owner,
            &organization,
            &format!("{role}@example.com"),
            role,
            None,
        )
        .await;
        let t = Some(someone.token.as_str());
        for refused in [
            app.post("/venues", t, in_organization(venue_body())).await,
            app.post("/venues", t, venue_body()).await,
            app.post(
                "/events",
                t,
                json!({"title": "X", "category": "music", "venue_id": venue["id"]}),
            )
            .await,
            app.patch(&event_path, t, json!({"title": "X"})).await,
            app.post(
                &format!("/events/{}/sessions", id(&draft)),
                t,
                session_body(&venue),
            )
            .await,
            app.post(
                "/products",
                t,
                json!({"name": "X", "price_cents": 1, "stock": 1}),
            )
            .await,
            app.patch(&product_path, t, json!({"stock": 0})).await,
        ] {
            assert_problem(&refused, StatusCode::FORBIDDEN, "forbidden");
        }
        assert_eq!(
            app.get(&format!("/events/{}", id(&draft)), t).await.0,
            StatusCode::OK,
            "a {role} sees the organization's drafts"
        );
    }
    // Sales are for finance, not the door.
    let finance_token = app
        .login_on("finance@example.com", &app.next_device())
        .await;
    let door_token = app
        .login_on("checkin@example.com", &app.next_device())
        .await;
    let integrity = format!("/sessions/{}/integrity", sale.session_id);
    assert_eq!(
        app.get(&integrity, Some(&finance_token)).await.0,
        StatusCode::OK
    );
    assert_problem(
        &app.get(&integrity, Some(&door_token)).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );

    // A manager limited to one event changes that one, not others, nothing organization-wide.
    let limited = member(
        &app,
        owner,
        &organization,
        "limited@example.com",
        "manager",
        Some(vec![&sale.event_id]),
    )
    .await;
    let l = Some(limited.token.as_str());
    let (status, _) = app.patch(&event_path, l, json!({"title": "Dela"})).await;
    assert_eq!(status, StatusCode::OK);
    for refused in [
        app.patch(&format!("/events/{}", id(&draft)), l, json!({"title": "X"}))
            .await,
        app.post("/venues", l, in_organization(venue_body())).await,
        app.patch(&product_path, l, json!({"stock": 1})).await,
    ] {
        assert_problem(&refused, StatusCode::FORBIDDEN, "forbidden");
    }
    assert_problem(
        &app.get(&format!("/events/{}", id(&draft)), l).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );

    // Someone outside names the organization in a body: it does not exist for them.
    let outsider = app.organizer("outsider@example.com").await;
    let refused = app
        .post(
            "/venues",
            Some(&outsider.token),
            in_organization(venue_body()),
        )
        .await;
    assert_problem(
        &refused,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(error_fields(&refused.1), ["organization_id"]);
    assert_problem(
        &app.get(&format!("/events/{}", id(&draft)), Some(&outsider.token))
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
}

async fn an_organizations_events_include_drafts_filtered_and_paged(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let sale = on_sale(&app, 2, 2, 2, json!({})).await;
    let owner = &sale.organizer;
    let t = Some(owner.token.as_str());
    let (_, event) = app.get(&format!("/events/{}", sale.event_id), None).await;
    let organization = event["organization_id"].as_str().unwrap().to_owned();
    let path = format!("/organizations/{organization}/events");
    let mut drafts = Vec::new();
    for title in ["Ensaio Aberto", "Oficina de Samba"] {
        let (status, draft) = app
            .post(
                "/events",
                t,
                json!({"title": title, "category": "music", "venue_id": sale.venue["id"]}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{draft}");
        drafts.push(id(&draft));
    }
    // Another organization's events are not listed.
    on_sale(&app, 1, 1, 1, json!({})).await;

    let (status, all) = app.get(&path, t).await;
    assert_eq!(status, StatusCode::OK, "{all}");
    let ids: Vec<&str> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 3);
    assert_eq!(
        ids[0], sale.event_id,
        "earliest session first, drafts after"
    );
    let (_, published) = app.get(&format!("{path}?status=published"), t).await;
    assert_eq!(published["items"].as_array().unwrap().len(), 1);
    let (_, only_drafts) = app.get(&format!("{path}?status=draft"), t).await;
    assert_eq!(only_drafts["items"].as_array().unwrap().len(), 2);
    let (_, found) = app.get(&format!("{path}?q=samba"), t).await;
    assert_eq!(found["items"].as_array().unwrap().len(), 1);
    assert_eq!(found["items"][0]["id"], drafts[1].as_str());
    let refused = app.get(&format!("{path}?status=gone"), t).await;
    assert_eq!(error_fields(&refused.1), ["status"]);

    // Keyset pages: one at a time, each once.
    let mut seen = Vec::new();
    let mut next = format!("{path}?limit=1");
    loop {
        let (status, page) = app.get(&next, t).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        seen.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["id"].as_str().unwrap().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(cursor) => next = format!("{path}?limit=1&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen, ids);

    // A member limited to one event lists that one; the door too; outsiders find nothing.
    let limited = member(
        &app,
        owner,
        &organization,
        "d@example.com",
        "checkin",
        Some(vec![&drafts[0]]),
    )
    .await;
    let (status, theirs) = app.get(&path, Some(&limited.token)).await;
    assert_eq!(status, StatusCode::OK, "{theirs}");
    assert_eq!(theirs["items"].as_array().unwrap().len(), 1);
    assert_eq!(theirs["items"][0]["id"], drafts[0].as_str());
    let outsider = app.organizer("outsider@example.com").await;
    assert_problem(
        &app.get(&path, Some(&outsider.token)).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    let admin = app.account("root@example.com", &[Role::Admin]).await;
    let (_, by_admin) = app.get(&path, Some(&admin.token)).await;
    assert_eq!(by_admin["items"].as_array().unwrap().len(), 3);
}

async fn scan(app: &TestApp, token: &str, code: &Value, nonce: &str) -> (StatusCode, Value) {
    app.post(
        "/checkin",
        Some(token),
        json!({"code": code, "gate": "A", "nonce": nonce}),
    )
    .await
}

async fn the_door_is_for_checkin_members_and_staff_become_them(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let sale = on_sale(&app, 4, 2, 2, json!({"max_tickets_per_user": 4})).await;
    let owner = &sale.organizer;
    let (_, event) = app.get(&format!("/events/{}", sale.event_id), None).await;
    let organization = event["organization_id"].as_str().unwrap().to_owned();
    let buyer = app.account("buyer@example.com", &[]).await;
    let mut codes = Vec::new();
    for seat in 0..3 {
        let order = app
            .buy_seat(&sale, &buyer.token, seat, &format!("door-key-{seat}"))
            .await;
        codes.push(order["tickets"][0]["code"].clone());
    }
    let door = member(&app, owner, &organization, "d@example.com", "checkin", None).await;
    let finance = member(&app, owner, &organization, "f@example.com", "finance", None).await;
    let (status, admitted) = scan(&app, &door.token, &codes[0], "door-0001").await;
    assert_eq!(status, StatusCode::OK, "{admitted}");
    assert_problem(
        &scan(&app, &finance.token, &codes[1], "door-0002").await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    // Gate staff assigned to the event are `checkin` members limited to it.
    let (status, _) = app
        .post(
            &format!("/events/{}/staff", sale.event_id),
            Some(&owner.token),
            json!({"email": "porta@example.com"}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "no such account yet");
    let porter = app.account("porta@example.com", &[]).await;
    let (status, _) = app
        .post(
            &format!("/events/{}/staff", sale.event_id),
            Some(&owner.token),
            json!({"email": "porta@example.com"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, team) = app
        .get(
            &format!("/organizations/{organization}/members"),
            Some(&owner.token),
        )
        .await;
    let row = team["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["user_id"] == porter.id.as_str())
        .cloned()
        .unwrap();
    assert_eq!(row["role"], "checkin");
    assert_eq!(row["event_ids"], json!([sale.event_id]));
    let (status, _) = scan(&app, &porter.token, &codes[1], "door-0003").await;
    assert_eq!(status, StatusCode::OK);
    // A manager may not assign door staff (the team is the owner's).
    let manager = member(&app, owner, &organization, "m@example.com", "manager", None).await;
    assert_problem(
        &app.post(
            &format!("/events/{}/staff", sale.event_id),
            Some(&manager.token),
            json!({"email": "d@example.com"}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    // Taking the event back takes the limited member out.
    let (status, _) = delete(
        &app,
        &format!("/events/{}/staff/{}", sale.event_id, porter.id),
        &owner.token,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_problem(
        &scan(&app, &porter.token, &codes[2], "door-0004").await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let (_, theirs) = app.get("/organizations", Some(&porter.token)).await;
    assert_eq!(theirs["items"], json!([]));
}

async fn a_suspended_organization_sells_nothing_until_unsuspended(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let sale = on_sale(&app, 4, 2, 2, json!({})).await;
    let (_, event) = app.get(&format!("/events/{}", sale.event_id), None).await;
    let organization = event["organization_id"].as_str().unwrap().to_owned();
    let admin = app.account("root@example.com", &[Role::Admin]).await;
    let buyer = app.account("buyer@example.com", &[]).await;
    let suspend = format!("/admin/organizations/{organization}/suspend");
    let unsuspend = format!("/admin/organizations/{organization}/unsuspend");
    for token in [&sale.organizer.token, &buyer.token] {
        assert_problem(
            &app.post(&suspend, Some(token), json!({})).await,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
    }
    assert_problem(
        &app.post(
            "/admin/organizations/3fa85f64-5717-4562-b3fc-2c963f66afa6/suspend",
            Some(&admin.token),
            json!({}),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    let (status, suspended) = app.post(&suspend, Some(&admin.token), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{suspended}");
    assert!(suspended["suspended_at"].is_string());
    let holds = format!("/sessions/{}/holds", sale.session_id);
    let hold = |seat: usize| {
        app.post(
            &holds,
            Some(&buyer.token),
            json!({"seat_ids": [sale.seat_ids[seat]]}),
        )
    };
    assert_problem(
        &hold(0).await,
        StatusCode::CONFLICT,
        "organization_suspended",
    );
    let (_, mine) = app.get("/organizations", Some(&sale.organizer.token)).await;
    assert!(mine["items"][0]["suspended_at"].is_string());

    let (status, selling) = app.post(&unsuspend, Some(&admin.token), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{selling}");
    assert_eq!(selling["suspended_at"], Value::Null);
    let (status, held) = hold(0).await;
    assert_eq!(status, StatusCode::CREATED, "{held}");

    let audit = audit_of(&app, &admin, &organization).await;
    let actions = actions(&audit);
    assert_eq!(
        actions[..2],
        ["organization.unsuspended", "organization.suspended"]
    );
    assert_eq!(audit["items"][0]["actor_id"], admin.id.as_str());
}

async fn a_session_is_paused_and_changed_by_those_who_edit_the_catalog(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let sale = on_sale(&app, 4, 2, 2, json!({})).await;
    let (_, event) = app.get(&format!("/events/{}", sale.event_id), None).await;
    let organization = event["organization_id"].as_str().unwrap().to_owned();
    let owner = &sale.organizer;
    let manager = member(
        &app,
        owner,
        &organization,
        "gerente@example.com",
        "manager",
        None,
    )
    .await;
    let outsider = app.account("de-fora@example.com", &[Role::Organizer]).await;
    let buyer = app.account("buyer@example.com", &[]).await;
    let path = format!("/sessions/{}", sale.session_id);
    let patch = |token: &str, body: Value| {
        let token = token.to_owned();
        let path = path.clone();
        let app = &app;
        async move {
            app.call(Method::PATCH, &path, Some(&token), Some(body))
                .await
        }
    };
    let pause = json!({"sales_paused": true});
    for role in ["finance", "checkin", "viewer"] {
        let them = member(
            &app,
            owner,
            &organization,
            &format!("{role}@example.com"),
            role,
            None,
        )
        .await;
        assert_problem(
            &patch(&them.token, pause.clone()).await,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
    }
    for token in [&outsider.token, &buyer.token] {
        assert_problem(
            &patch(token, pause.clone()).await,
            StatusCode::NOT_FOUND,
            "not_found",
        );
    }
    // Bad input changes nothing.
    let (status, refused) = patch(
        &manager.token,
        json!({"sales_paused": true, "hold_seconds": 10, "sales_start_at": "2100-01-01T00:00:00Z"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    let mut fields = error_fields(&refused);
    fields.sort();
    assert_eq!(fields, ["hold_seconds", "sales_start_at"]);
    assert_problem(
        &patch(&manager.token, json!({"sales_paused": "yes"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_problem(
        &patch(&manager.token, json!({"prices": []})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );

    let holds = format!("/sessions/{}/holds", sale.session_id);
    let hold = |seat: usize| {
        app.post(
            &holds,
            Some(&buyer.token),
            json!({"seat_ids": [sale.seat_ids[seat]]}),
        )
    };
    let (status, held) = hold(0).await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "unpaused by the refused patch: {held}"
    );

    // A manager pauses: the next hold is refused at once; the cap changes with it.
    let (status, paused) = patch(
        &manager.token,
        json!({"sales_paused": true, "max_tickets_per_user": 4}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{paused}");
    assert_eq!(paused["sales_paused"], true);
    assert_eq!(paused["max_tickets_per_user"], 4);
    assert_eq!(app.get(&path, None).await.1["sales_paused"], true);
    assert_problem(&hold(1).await, StatusCode::CONFLICT, "sales_paused");

    // The owner resumes.
    let (status, resumed) = patch(&owner.token, json!({"sales_paused": false})).await;
    assert_eq!(status, StatusCode::OK, "{resumed}");
    assert_eq!(resumed["sales_paused"], false);
    assert_eq!(
        resumed["max_tickets_per_user"], 4,
        "what the patch left alone stays"
    );
    let (status, held) = hold(1).await;
    assert_eq!(status, StatusCode::CREATED, "{held}");

    let admin = app.account("root@example.com", &[Role::Admin]).await;
    let audit = audit_of(&app, &admin, &sale.session_id).await;
    assert_eq!(
        actions(&audit)[..2],
        ["session.sales_resumed", "session.sales_paused"]
    );
    assert_eq!(audit["items"][1]["actor_id"], manager.id.as_str());
}

async fn a_sessions_prices_change_until_its_first_sale_and_its_other_settings_after(
    db: TestDatabase,
) {
    let app = TestApp::spawn(db).await;
    let sale = on_sale(&app, 4, 2, 2, json!({})).await;
    let owner = &sale.organizer;
    let path = format!("/sessions/{}", sale.session_id);
    let (_, session) = app.get(&path, None).await;
    let category = session["categories"][0]["id"].as_str().unwrap().to_owned();
    let price_of = |session: &Value| session["categories"][0]["price_cents"].as_i64().unwrap();

    // Before any sale: renamed and repriced, with the times, transfers and codes.
    let starts = time::OffsetDateTime::now_utc() + time::Duration::days(40);
    let release = starts - time::Duration::days(1);
    let rfc = |at: time::OffsetDateTime| {
        at.format(&time::format_description::well_known::Rfc3339)
            .unwrap()
    };
    let (status, changed) = app
        .patch(
            &path,
            Some(&owner.token),
            json!({
                "categories": [{"id": category, "name": "Plateia VIP", "price_cents": 15_000}],
                "starts_at": rfc(starts),
                "half_price_release_at": rfc(release),
                "transfers": {"enabled": false, "cutoff_minutes": 60, "resale_fee_percent": 5},
                "screen_codes": "rotating"
            }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["categories"][0]["name"], "Plateia VIP");
    assert_eq!(price_of(&changed), 15_000);
    assert_eq!(changed["transfers"]["enabled"], false);
    assert_eq!(changed["transfers"]["resale_fee_percent"], 5);
    assert_eq!(changed["screen_codes"], "rotating");
    assert_eq!(
        changed["starts_at"].as_str().map(|s| s.get(..16)),
        Some(rfc(starts).get(..16))
    );

    // Bad input changes nothing, every mistake said at once.
    let (status, refused) = app
        .patch(
            &path,
            Some(&owner.token),
            json!({
                "categories": [
                    {"id": uuid::Uuid::now_v7().to_string(), "price_cents": 1},
                    {"id": category, "price_cents": -5}
                ],
                "starts_at": "2001-01-01T00:00:00Z",
                "half_price_release_at": rfc(starts + time::Duration::days(2))
            }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    let mut fields = error_fields(&refused);
    fields.sort();
    assert_eq!(
        fields,
        [
            "categories[0].id",
            "categories[1].price_cents",
            "half_price_release_at",
            "sales_start_at",
            "starts_at"
        ]
    );
    assert_eq!(price_of(&app.get(&path, None).await.1), 15_000);

    // The first sale is made at the price then: from then on prices stay, names still change.
    let buyer = app.account("buyer@example.com", &[]).await;
    let order = app.buy_seat(&sale, &buyer.token, 0, "first-sale").await;
    assert_eq!(order["total_cents"], 15_000);
    let reprice = json!({"categories": [{"id": category, "price_cents": 9_000}]});
    assert_problem(
        &app.patch(&path, Some(&owner.token), reprice).await,
        StatusCode::CONFLICT,
        "prices_locked",
    );
    let (status, renamed) = app
        .patch(
            &path,
            Some(&owner.token),
            json!({"categories": [{"id": category, "name": "Plateia Ouro", "price_cents": 15_000}],
                   "max_tickets_per_user": 6}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{renamed}");
    assert_eq!(renamed["categories"][0]["name"], "Plateia Ouro");
    assert_eq!(price_of(&renamed), 15_000);
    assert_eq!(renamed["max_tickets_per_user"], 6);

    let admin = app.account("root@example.com", &[Role::Admin]).await;
    let audit = audit_of(&app, &admin, &sale.session_id).await;
    assert_eq!(actions(&audit)[..2], ["session.updated", "session.updated"]);
    assert_eq!(
        audit["items"][1]["after"]["categories"][0]["price_cents"], 15_000,
        "{audit}"
    );
}

/// Runs the schema's migrations up to `last` (and no further) on the test's database.
async fn migrate_up_to(db: &TestDatabase, last: i64) {
    use sqlx::Connection;
    use sqlx::migrate::Migrator;
    use std::str::FromStr;
    let keep = |migrator: Migrator| {
        let mut migrator = migrator;
        migrator.migrations = migrator
            .migrations
            .iter()
            .filter(|m| m.version <= last)
            .cloned()
            .collect::<Vec<_>>()
            .into();
        migrator
    };
    match db.backend {
        Backend::Sqlite => {
            let migrator = keep(sqlx::migrate!("../store/migrations/sqlite"));
            let options = sqlx::sqlite::SqliteConnectOptions::from_str(&db.url)
                .unwrap()
                .create_if_missing(true);
            let mut conn = sqlx::SqliteConnection::connect_with(&options)
                .await
                .unwrap();
            migrator.run(&mut conn).await.unwrap();
        }
        Backend::Postgres => {
            let migrator = keep(sqlx::migrate!("../store/migrations/postgres"));
            let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
            migrator.run(&mut conn).await.unwrap();
        }
    }
}

/// A catalog as organizers had it before organizations: an organizer's venue, draft event and
/// product, and gate staff of the event; `(organizer, staff, event, product)`.
async fn old_catalog(db: &TestDatabase) -> [uuid::Uuid; 4] {
    use sqlx::Connection;
    let [organizer, staff, venue, section, event, product] =
        std::array::from_fn(|_| uuid::Uuid::now_v7());
    let statements: [(&str, Vec<uuid::Uuid>); 7] = [
        (
            "INSERT INTO users (id, email, email_normalized, name, name_normalized, password_hash, roles, created_at) \
             VALUES ($1, 'old@example.com', 'old@example.com', 'Velha Produtora', 'velha produtora', 'x', 3, 1)",
            vec![organizer],
        ),
        (
            "INSERT INTO users (id, email, email_normalized, name, name_normalized, password_hash, roles, created_at) \
             VALUES ($1, 'porta@example.com', 'porta@example.com', 'Porteiro', 'porteiro', 'x', 1, 1)",
            vec![staff],
        ),
        (
            "INSERT INTO venues (id, owner_id, name, city, created_at) VALUES ($1, $2, 'Teatro Velho', 'Recife', 1)",
            vec![venue, organizer],
        ),
        (
            "INSERT INTO sections (id, venue_id, position, name, kind, capacity) VALUES ($1, $2, 0, 'Pista', 'standing', 100)",
            vec![section, venue],
        ),
        (
            "INSERT INTO events (id, owner_id, venue_id, title, description, category, tags, status, sort_at, created_at, updated_at) \
             VALUES ($1, $2, $3, 'Show Antigo', '', 'music', '', 'draft', 9223372036854775807, 1, 1)",
            vec![event, organizer, venue],
        ),
        (
            "INSERT INTO products (id, owner_id, name, description, price_cents, currency, tags, created_at, updated_at) \
             VALUES ($1, $2, 'Copo', '', 100, 'BRL', '', 1, 1)",
            vec![product, organizer],
        ),
        (
            "INSERT INTO event_staff (event_id, user_id, created_at) VALUES ($1, $2, 1)",
            vec![event, staff],
        ),
    ];
    match db.backend {
        Backend::Sqlite => {
            let mut conn = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
            for (sql, ids) in statements {
                let mut query = sqlx::query(sql);
                for id in ids {
                    query = query.bind(id);
                }
                query.execute(&mut conn).await.unwrap();
            }
        }
        Backend::Postgres => {
            let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
            for (sql, ids) in statements {
                let mut query = sqlx::query(sql);
                for id in ids {
                    query = query.bind(id);
                }
                query.execute(&mut conn).await.unwrap();
            }
        }
    }
    [organizer, staff, event, product]
}

/// A login of `user` made in the store (the old rows have no usable password).
async fn token_of(app: &TestApp, user: uuid::Uuid) -> String {
    let token = bilheteria_app::auth::new_token().unwrap();
    let now = time::OffsetDateTime::now_utc();
    app.store
        .start_login_session(bilheteria_store::NewLoginSession {
            user_id: bilheteria_domain::ids::UserId(user),
            token_hash: bilheteria_app::auth::token_hash(&token),
            device_id: app.next_device(),
            ip: None,
            user_agent: None,
            created_at: now,
            expires_at: now + time::Duration::days(1),
        })
        .await
        .unwrap();
    token
}

async fn the_migration_gives_each_organizer_of_before_their_catalog(db: TestDatabase) {
    migrate_up_to(&db, 22).await;
    let [organizer, staff, event, product] = old_catalog(&db).await;
    let app = TestApp::spawn(db).await;
    let token = token_of(&app, organizer).await;
    let t = Some(token.as_str());

    let (status, mine) = app.get("/organizations", t).await;
    assert_eq!(status, StatusCode::OK, "{mine}");
    let items = mine["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{mine}");
    let organization = items[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(items[0]["role"], "owner");
    assert_eq!(items[0]["name"], "Velha Produtora");
    assert_eq!(items[0]["contact_email"], "old@example.com");
    assert_eq!(items[0]["document"], Value::Null);

    // The draft, its venue and the product are the organization's, and still theirs.
    let (_, events) = app
        .get(&format!("/organizations/{organization}/events"), t)
        .await;
    assert_eq!(events["items"][0]["id"], event.to_string());
    let (status, patched) = app
        .patch(
            &format!("/events/{event}"),
            t,
            json!({"status": "published"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(patched["organization_id"], organization.as_str());
    let (_, product) = app.get(&format!("/products/{product}"), None).await;
    assert_eq!(product["organization_id"], organization.as_str());
    let (status, venue) = app.post("/venues", t, venue_body()).await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "their one organization: {venue}"
    );
    assert_eq!(venue["organization_id"], organization.as_str());

    // The gate staff of the event are `checkin` members limited to it.
    let porter = token_of(&app, staff).await;
    let (_, theirs) = app.get("/organizations", Some(&porter)).await;
    assert_eq!(theirs["items"][0]["id"], organization.as_str());
    assert_eq!(theirs["items"][0]["role"], "checkin");
    assert_eq!(theirs["items"][0]["event_ids"], json!([event.to_string()]));
}

async fn an_organizations_venues_and_products_are_read_by_its_members(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let owner = app.organizer("dona@example.com").await;
    let (_, mine) = app.get("/organizations", Some(&owner.token)).await;
    let org = id(&mine["items"][0]);
    let t = Some(owner.token.as_str());
    let (_, first) = app.post("/venues", t, venue_body()).await;
    let (_, second) = app.post("/venues", t, venue_body()).await;
    let (status, product) = app
        .post(
            "/products",
            t,
            json!({"name": "Copo", "price_cents": 1500, "stock": 9}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{product}");
    let viewer = member(&app, &owner, &org, "leitura@example.com", "viewer", None).await;
    let venues = format!("/organizations/{org}/venues?limit=1");
    let (status, page) = app.get(&venues, Some(&viewer.token)).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["items"][0]["id"], first["id"]);
    assert_eq!(page["items"][0]["sections"].as_array().unwrap().len(), 2);
    let cursor = page["next_cursor"].as_str().expect("a next page");
    let (_, next) = app
        .get(&format!("{venues}&cursor={cursor}"), Some(&viewer.token))
        .await;
    assert_eq!(next["items"][0]["id"], second["id"]);
    assert!(next["next_cursor"].is_null());
    let (status, products) = app
        .get(
            &format!("/organizations/{org}/products"),
            Some(&viewer.token),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{products}");
    assert_eq!(products["items"][0]["id"], product["id"]);
    assert_eq!(products["items"][0]["stock"], 9);
    let outsider = app.organizer("fora@example.com").await;
    for path in [venues.as_str(), &format!("/organizations/{org}/products")] {
        assert_problem(
            &app.get(path, Some(&outsider.token)).await,
            StatusCode::NOT_FOUND,
            "not_found",
        );
    }
}
