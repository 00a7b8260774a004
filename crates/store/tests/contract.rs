//! The storage contract: every test runs on SQLite and on PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use bilheteria_domain::account::{Role, Roles, SessionEnd};
use bilheteria_domain::audit::{AuditContext, AuditQuery};
use bilheteria_domain::catalog::{
    Category, CategoryInput, Event, EventInput, EventQuery, EventStatus, ProductInput, RowInput,
    SeatStatus, SectionInput, SessionInput, Venue, VenueInput,
};
use bilheteria_domain::half_price::{Eligibility, HalfPriceClaim};
use bilheteria_domain::ids::{OrderId, SeatId, TicketId, TransferId};
use bilheteria_domain::ids::{OrganizationId, UserId};
use bilheteria_domain::organization::{Document, NewOrganization};
use bilheteria_domain::page::PageRequest;
use bilheteria_domain::sales::{Buys, HoldRequest, OrderStatus};
use bilheteria_domain::tickets::TicketStatus;
use bilheteria_domain::transfers::{TransferBlock, TransferStatus};
use bilheteria_store::testing::TestDatabase;
use bilheteria_store::{
    Backend, BeginOrder, NewHold, NewLoginSession, NewOrder, NewTransfer, NewUser, OrderToSettle,
    PaymentOutcome, Refusal, Settled, Store, StoreError, StoreResult, TicketDraft,
    TransferDecision, on_both_backends,
};
use std::sync::Arc;
use time::{Duration, OffsetDateTime};

on_both_backends!(
    users_are_unique_by_normalised_email,
    users_are_found_by_email_or_name_prefix_page_by_page,
    role_changes_are_audited,
    an_admin_is_found_by_role,
    a_login_replaces_the_users_and_the_devices_other_sessions,
    concurrent_logins_of_one_user_leave_one_active_session,
    a_venue_session_and_seat_map_are_laid_out,
    the_public_listing_hides_drafts_and_searches_filters_and_pages,
    an_event_with_sessions_cannot_change_venue,
    products_link_to_events,
    the_audit_chain_verifies_and_detects_tampering,
    a_forged_cursor_is_refused,
    selling_holds_the_cap_and_settles_each_order_once,
    half_price_places_come_from_the_reserve_and_go_back_to_it,
);

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

fn new_user(email: &str, name: &str) -> NewUser {
    NewUser {
        email: email.to_owned(),
        email_normalized: email.to_lowercase(),
        name: name.to_owned(),
        password_hash: "$argon2id$not-a-real-hash".to_owned(),
        roles: Roles::customer(),
        language: Default::default(),
        email_verified: false,
        created_at: now(),
    }
}

fn audit_by(user: UserId) -> AuditContext {
    AuditContext {
        actor_id: Some(user),
        ip: Some("192.0.2.7".into()),
    }
}

async fn organizer(store: &Arc<dyn Store>, email: &str) -> UserId {
    let user = store
        .create_user(new_user(email, "Org"), None)
        .await
        .unwrap();
    store
        .set_roles(
            user.id,
            Roles::from_roles([Role::Organizer]),
            &AuditContext::default(),
        )
        .await
        .unwrap();
    store
        .create_organization(
            NewOrganization {
                name: format!("Produtora {email}"),
                document: Document::parse("11.222.333/0001-81").unwrap(),
                contact_email: email.into(),
            },
            user.id,
            now(),
            &AuditContext::default(),
        )
        .await
        .unwrap();
    user.id
}

/// The one organization `owner` founded (see `organizer`).
async fn org_of(store: &Arc<dyn Store>, owner: UserId) -> OrganizationId {
    store
        .user_organizations(owner, &PageRequest::default())
        .await
        .unwrap()
        .items[0]
        .organization
        .id
}

fn venue_input() -> VenueInput {
    VenueInput {
        organization_id: None,
        name: "Teatro Municipal".into(),
        city: "São Paulo".into(),
        time_zone: None,
        stage_position: None,
        stage_label: None,
        sections: vec![
            SectionInput {
                name: "Plateia".into(),
                rows: Some(vec![
                    RowInput {
                        label: "A".into(),
                        seats: 4,
                        ..RowInput::default()
                    },
                    RowInput {
                        label: "B".into(),
                        seats: 6,
                        ..RowInput::default()
                    },
                ]),
                capacity: None,
            },
            SectionInput {
                name: "Pista".into(),
                rows: None,
                capacity: Some(300),
            },
        ],
    }
}

async fn venue(store: &Arc<dyn Store>, owner: UserId) -> Venue {
    store
        .create_venue(
            org_of(store, owner).await,
            owner,
            venue_input().parse().unwrap(),
            now(),
            &audit_by(owner),
        )
        .await
        .unwrap()
}

fn event_input(venue: &Venue, title: &str, category: &str, status: EventStatus) -> EventInput {
    EventInput {
        organization_id: None,
        title: title.into(),
        description: "Uma noite inesquecível".into(),
        category: category.into(),
        tags: vec!["ao-vivo".into()],
        venue_id: venue.id,
        status,
    }
}

async fn published_event(store: &Arc<dyn Store>, owner: UserId, venue: &Venue) -> Event {
    store
        .create_event(
            org_of(store, owner).await,
            owner,
            event_input(venue, "Concerto", "music", EventStatus::Published)
                .parse()
                .unwrap(),
            now(),
            &audit_by(owner),
        )
        .await
        .unwrap()
}

fn session_input(venue: &Venue, starts_in_days: i64) -> SessionInput {
    SessionInput {
        starts_at: now() + Duration::days(starts_in_days),
        sales_start_at: None,
        max_tickets_per_user: None,
        hold_seconds: None,
        queue: None,
        currency: None,
        transfers: None,
        screen_codes: None,
        half_price_quota_percent: None,
        half_price_release_at: None,
        pix_expires_after_seconds: None,
        categories: vec![
            CategoryInput {
                name: "Plateia".into(),
                price_cents: 15_000,
                section_ids: vec![venue.sections[0].id],
            },
            CategoryInput {
                name: "Pista".into(),
                price_cents: 9_000,
                section_ids: vec![venue.sections[1].id],
            },
        ],
    }
}

async fn users_are_unique_by_normalised_email(db: TestDatabase) {
    let store = db.store().await;
    let ana = store
        .create_user(new_user("Ana@Example.com", "Ana"), None)
        .await
        .unwrap();
    assert_eq!(ana.roles, vec![Role::Customer]);
    let again = store
        .create_user(new_user("ana@EXAMPLE.com", "Other"), None)
        .await;
    assert!(matches!(again, Err(StoreError::EmailTaken)), "{again:?}");
    let credentials = store
        .find_credentials("ana@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(credentials.user.id, ana.id);
    assert_eq!(credentials.user.email, "Ana@Example.com");
    assert!(
        store
            .find_credentials("nobody@example.com")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(store.get_user(ana.id).await.unwrap(), Some(ana));
    assert_eq!(store.get_user(UserId::new()).await.unwrap(), None);
}

async fn users_are_found_by_email_or_name_prefix_page_by_page(db: TestDatabase) {
    let store = db.store().await;
    for i in 0..7 {
        store
            .create_user(
                new_user(&format!("maria{i}@example.com"), &format!("Maria {i}")),
                None,
            )
            .await
            .unwrap();
    }
    store
        .create_user(new_user("joao@example.com", "Marcos"), None)
        .await
        .unwrap();
    store
        .create_user(new_user("zeca@example.com", "Zeca"), None)
        .await
        .unwrap();

    let mut seen = Vec::new();
    let mut page = PageRequest {
        limit: 3,
        after: None,
    };
    loop {
        let result = store.list_users(Some("MAR"), &page).await.unwrap();
        seen.extend(result.items.iter().map(|u| u.email.clone()));
        match result.next_cursor {
            Some(_) => {
                page.after = Some(result.items.last().unwrap().id.to_string());
            }
            None => break,
        }
    }
    assert_eq!(
        seen.len(),
        8,
        "seven Marias by email and Marcos by name: {seen:?}"
    );
    assert!(seen.contains(&"joao@example.com".to_string()));
    assert!(!seen.contains(&"zeca@example.com".to_string()));
    let everyone = store
        .list_users(
            None,
            &PageRequest {
                limit: 200,
                after: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(everyone.items.len(), 9);
    assert!(everyone.next_cursor.is_none());
}

async fn role_changes_are_audited(db: TestDatabase) {
    let store = db.store().await;
    let admin = store
        .create_user(new_user("root@example.com", "Root"), None)
        .await
        .unwrap();
    let user = store
        .create_user(new_user("org@example.com", "Org"), None)
        .await
        .unwrap();
    let changed = store
        .set_roles(
            user.id,
            Roles::from_roles([Role::Organizer, Role::Staff]),
            &audit_by(admin.id),
        )
        .await
        .unwrap();
    assert_eq!(
        changed.roles,
        vec![Role::Customer, Role::Organizer, Role::Staff]
    );
    assert_eq!(
        store.get_user(user.id).await.unwrap().unwrap().roles,
        changed.roles
    );
    let entries = store
        .list_audit(
            &AuditQuery {
                actor_id: Some(admin.id),
                ..Default::default()
            },
            &PageRequest::default(),
        )
        .await
        .unwrap();
    assert_eq!(entries.items.len(), 1);
    let entry = &entries.items[0];
    assert_eq!(entry.action, "user.roles_changed");
    assert_eq!(entry.target_id, user.id.to_string());
    assert_eq!(entry.ip.as_deref(), Some("192.0.2.7"));
    assert_eq!(
        entry.before,
        Some(serde_json::json!({"roles": ["customer"]}))
    );
    assert_eq!(
        entry.after,
        Some(serde_json::json!({"roles": ["customer", "organizer", "staff"]}))
    );
    let missing = store
        .set_roles(UserId::new(), Roles::customer(), &audit_by(admin.id))
        .await;
    assert!(matches!(missing, Err(StoreError::NotFound)));
}

async fn an_admin_is_found_by_role(db: TestDatabase) {
    let store = db.store().await;
    assert!(!store.any_user_has_role(Role::Customer).await.unwrap());
    let organizer = store
        .create_user(
            NewUser {
                roles: Roles::from_roles([Role::Organizer]),
                ..new_user("org@example.com", "Org")
            },
            None,
        )
        .await
        .unwrap();
    assert!(store.any_user_has_role(Role::Organizer).await.unwrap());
    assert!(!store.any_user_has_role(Role::Admin).await.unwrap());
    store
        .set_roles(
            organizer.id,
            Roles::from_roles([Role::Organizer, Role::Admin]),
            &audit_by(organizer.id),
        )
        .await
        .unwrap();
    assert!(store.any_user_has_role(Role::Admin).await.unwrap());
    assert!(!store.any_user_has_role(Role::Staff).await.unwrap());
}

fn login(user: UserId, device: &str, token: u8) -> NewLoginSession {
    NewLoginSession {
        user_id: user,
        token_hash: vec![token; 32],
        device_id: device.into(),
        ip: Some("127.0.0.1".into()),
        user_agent: Some("test".into()),
        created_at: now(),
        expires_at: now() + Duration::days(30),
    }
}

async fn a_login_replaces_the_users_and_the_devices_other_sessions(db: TestDatabase) {
    let store = db.store().await;
    let ana = store
        .create_user(new_user("ana@example.com", "Ana"), None)
        .await
        .unwrap();
    let bia = store
        .create_user(new_user("bia@example.com", "Bia"), None)
        .await
        .unwrap();
    let first = store
        .start_login_session(login(ana.id, "phone-ana-1", 1))
        .await
        .unwrap();
    // Each session is looked up while active, as every request does, before it ends: the
    // store may keep what it read, and must not answer from it once the session has ended.
    let (active, _) = store.find_login_session(&[1; 32]).await.unwrap().unwrap();
    assert_eq!(active.end_reason, None);
    let second = store
        .start_login_session(login(ana.id, "laptop-ana-1", 2))
        .await
        .unwrap();
    let (old, _) = store.find_login_session(&[1; 32]).await.unwrap().unwrap();
    assert_eq!(
        old.end_reason,
        Some(SessionEnd::Replaced),
        "the user's first session was replaced"
    );
    assert_eq!(old.id, first.id);
    let (active, user) = store.find_login_session(&[2; 32]).await.unwrap().unwrap();
    assert_eq!(active.end_reason, None);
    assert_eq!(user.roles, vec![Role::Customer]);
    // A change of roles shows on the next request.
    store
        .set_roles(
            ana.id,
            Roles::from_roles([Role::Organizer]),
            &audit_by(ana.id),
        )
        .await
        .unwrap();
    let (_, user) = store.find_login_session(&[2; 32]).await.unwrap().unwrap();
    assert!(user.roles.contains(&Role::Organizer), "{:?}", user.roles);
    // Bia logs in on Ana's laptop: Ana's session there ends, Bia's is the device's only one.
    store
        .start_login_session(login(bia.id, "laptop-ana-1", 3))
        .await
        .unwrap();
    let (ana_laptop, user) = store.find_login_session(&[2; 32]).await.unwrap().unwrap();
    assert_eq!(ana_laptop.id, second.id);
    assert_eq!(user.id, ana.id);
    assert_eq!(ana_laptop.end_reason, Some(SessionEnd::Replaced));
    let (bia_session, _) = store.find_login_session(&[3; 32]).await.unwrap().unwrap();
    assert_eq!(bia_session.end_reason, None);
    store
        .end_login_session(bia_session.id, now())
        .await
        .unwrap();
    let (ended, _) = store.find_login_session(&[3; 32]).await.unwrap().unwrap();
    assert_eq!(ended.end_reason, Some(SessionEnd::LoggedOut));
    let listed = store.list_login_sessions(ana.id).await.unwrap();
    assert_eq!(listed.len(), 2);
    assert!(store.find_login_session(&[9; 32]).await.unwrap().is_none());
}

async fn concurrent_logins_of_one_user_leave_one_active_session(db: TestDatabase) {
    let store = db.store().await;
    let ana = store
        .create_user(new_user("ana@example.com", "Ana"), None)
        .await
        .unwrap();
    let attempts = (0..12u8).map(|i| {
        let store = store.clone();
        tokio::spawn(async move {
            store
                .start_login_session(login(ana.id, &format!("device-{i:04}"), i))
                .await
        })
    });
    for attempt in attempts {
        attempt.await.unwrap().unwrap();
    }
    let sessions = store.list_login_sessions(ana.id).await.unwrap();
    assert_eq!(sessions.len(), 12);
    let active = sessions.iter().filter(|s| s.end_reason.is_none()).count();
    assert_eq!(
        active, 1,
        "exactly one session survives a burst of concurrent logins"
    );
}

async fn a_venue_session_and_seat_map_are_laid_out(db: TestDatabase) {
    let store = db.store().await;
    let owner = organizer(&store, "org@example.com").await;
    let venue = venue(&store, owner).await;
    assert_eq!(venue.sections[0].capacity, 10);
    let fetched = store.get_venue(venue.id).await.unwrap().unwrap();
    assert_eq!(fetched, venue, "what is read back is what was created");
    assert_eq!(fetched.sections[0].rows.len(), 2);
    assert_eq!(fetched.sections[0].rows[1].seats, 6);

    let event = published_event(&store, owner, &venue).await;
    let session = session_input(&venue, 10).parse(now(), &venue).unwrap();
    let created = store
        .create_session(event.id, session, now(), &audit_by(owner))
        .await
        .unwrap();
    assert_eq!(
        store.get_session(created.id).await.unwrap().unwrap(),
        created
    );
    assert_eq!(
        store.list_event_sessions(event.id).await.unwrap(),
        vec![created.clone()]
    );
    assert_eq!(created.max_tickets_per_user, 2);
    assert_eq!(
        created.categories[0].section_ids,
        vec![venue.sections[0].id]
    );

    let map = store
        .seat_map(created.id, None, now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(map.sections.len(), 2);
    let seated = &map.sections[0];
    assert_eq!((seated.capacity, seated.available), (10, 10));
    assert_eq!(seated.category_id, created.categories[0].id);
    assert_eq!(seated.price_cents, 15_000);
    let seats = seated.seats.as_ref().unwrap();
    assert_eq!(seats.len(), 10);
    assert_eq!((seats[0].row.as_str(), seats[0].number), ("A", 1));
    assert_eq!((seats[9].row.as_str(), seats[9].number), ("B", 6));
    assert!(seats.iter().all(|s| s.status == SeatStatus::Available));
    let one = store
        .seat_map(created.id, Some(venue.sections[1].id), now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(one.sections.len(), 1, "a map of one section");
    assert_eq!(one.sections[0].id, venue.sections[1].id);
    let standing = &map.sections[1];
    assert_eq!((standing.capacity, standing.available), (300, 300));
    assert!(standing.seats.is_none());
    assert!(
        store
            .seat_map(bilheteria_domain::ids::SessionId::new(), None, now())
            .await
            .unwrap()
            .is_none()
    );
}

async fn the_public_listing_hides_drafts_and_searches_filters_and_pages(db: TestDatabase) {
    let store = db.store().await;
    let owner = organizer(&store, "org@example.com").await;
    let venue = venue(&store, owner).await;
    let mut published = Vec::new();
    for (i, (title, category)) in [
        ("Orquestra Sinfônica", "music"),
        ("Rock na Praia", "music"),
        ("Hamlet", "theatre"),
        ("Rockabilly Night", "music"),
    ]
    .into_iter()
    .enumerate()
    {
        let event = store
            .create_event(
                org_of(&store, owner).await,
                owner,
                event_input(&venue, title, category, EventStatus::Published)
                    .parse()
                    .unwrap(),
                now(),
                &audit_by(owner),
            )
            .await
            .unwrap();
        // Sessions in reverse order of creation, so the listing order is the sessions' order.
        let session = session_input(&venue, 40 - i as i64)
            .parse(now(), &venue)
            .unwrap();
        store
            .create_session(event.id, session, now(), &audit_by(owner))
            .await
            .unwrap();
        published.push(event);
    }
    store
        .create_event(
            org_of(&store, owner).await,
            owner,
            event_input(&venue, "Rock Secreto", "music", EventStatus::Draft)
                .parse()
                .unwrap(),
            now(),
            &audit_by(owner),
        )
        .await
        .unwrap();

    let list = |query: EventQuery, limit: i64| {
        let store = store.clone();
        async move {
            let mut titles = Vec::new();
            let mut page = PageRequest { limit, after: None };
            loop {
                let result = store.list_events(&query, &page).await.unwrap();
                titles.extend(result.items.iter().map(|e| e.title.clone()));
                let Some(cursor) = result.next_cursor else {
                    break;
                };
                page = PageRequest::parse(Some(limit), Some(&cursor)).unwrap();
            }
            titles
        }
    };
    assert_eq!(
        list(EventQuery::default(), 1).await,
        vec![
            "Rockabilly Night",
            "Hamlet",
            "Rock na Praia",
            "Orquestra Sinfônica"
        ],
        "published only, earliest session first, the same across pages"
    );
    let search = |q: &str| EventQuery {
        terms: bilheteria_domain::catalog::search_terms(q),
        ..Default::default()
    };
    assert_eq!(
        list(search("rock"), 50).await,
        vec!["Rockabilly Night", "Rock na Praia"],
        "prefix match"
    );
    assert_eq!(
        list(search("ROCK praia"), 50).await,
        vec!["Rock na Praia"],
        "every word must match"
    );
    assert_eq!(
        list(search("ao-vivo"), 50).await.len(),
        4,
        "tags are searched"
    );
    assert!(list(search("zzz"), 50).await.is_empty());
    assert_eq!(
        list(search("SINFONICA"), 50).await,
        vec!["Orquestra Sinfônica"],
        "accents and case ignored"
    );
    assert_eq!(
        list(search("sinfônica"), 50).await,
        vec!["Orquestra Sinfônica"]
    );
    assert_eq!(
        list(search("musica"), 50).await.len(),
        3,
        "a category is found by its label"
    );
    for name in ["theatre", "Teatro", "teatro"] {
        let theatre = EventQuery {
            category: Category::parse(name),
            ..Default::default()
        };
        assert_eq!(list(theatre, 50).await, vec!["Hamlet"], "{name}");
    }
    let city = |name: &str| EventQuery {
        city: Some(name.into()),
        ..Default::default()
    };
    assert_eq!(
        list(city("sao PAULO"), 50).await.len(),
        4,
        "accents and case ignored"
    );
    assert_eq!(list(city("São Paulo"), 50).await.len(), 4);
    assert!(list(city("Nowhere"), 50).await.is_empty());
    let window = EventQuery {
        from: Some(now() + Duration::days(37) + Duration::hours(12)),
        to: Some(now() + Duration::days(39) + Duration::hours(12)),
        ..Default::default()
    };
    assert_eq!(list(window, 50).await, vec!["Hamlet", "Rock na Praia"]);
    let with_drafts = EventQuery {
        include_drafts: true,
        ..Default::default()
    };
    assert_eq!(list(with_drafts, 50).await.len(), 5);
}

async fn an_event_with_sessions_cannot_change_venue(db: TestDatabase) {
    let store = db.store().await;
    let owner = organizer(&store, "org@example.com").await;
    let first = venue(&store, owner).await;
    let second = venue(&store, owner).await;
    let event = store
        .create_event(
            org_of(&store, owner).await,
            owner,
            event_input(&first, "Show", "music", EventStatus::Draft)
                .parse()
                .unwrap(),
            now(),
            &audit_by(owner),
        )
        .await
        .unwrap();
    let mut fields = event_input(&second, "Show", "music", EventStatus::Published)
        .parse()
        .unwrap();
    let moved = store
        .update_event(event.id, fields.clone(), now(), &audit_by(owner))
        .await
        .unwrap();
    assert_eq!(moved.venue_id, second.id);
    assert_eq!(moved.status, EventStatus::Published);
    assert_eq!(store.get_event(event.id).await.unwrap().unwrap(), moved);
    store
        .create_session(
            event.id,
            session_input(&second, 5).parse(now(), &second).unwrap(),
            now(),
            &audit_by(owner),
        )
        .await
        .unwrap();
    fields.venue_id = first.id;
    let refused = store
        .update_event(event.id, fields, now(), &audit_by(owner))
        .await;
    assert!(
        matches!(refused, Err(StoreError::Refused(Refusal::EventHasSessions))),
        "{refused:?}"
    );
    assert_eq!(
        store.get_event(event.id).await.unwrap().unwrap().venue_id,
        second.id
    );
}

async fn products_link_to_events(db: TestDatabase) {
    let store = db.store().await;
    let owner = organizer(&store, "org@example.com").await;
    let venue = venue(&store, owner).await;
    let a = store
        .create_event(
            org_of(&store, owner).await,
            owner,
            event_input(&venue, "A", "music", EventStatus::Published)
                .parse()
                .unwrap(),
            now(),
            &audit_by(owner),
        )
        .await
        .unwrap();
    let b = store
        .create_event(
            org_of(&store, owner).await,
            owner,
            event_input(&venue, "B", "music", EventStatus::Published)
                .parse()
                .unwrap(),
            now(),
            &audit_by(owner),
        )
        .await
        .unwrap();
    let input = ProductInput {
        organization_id: None,
        name: "Camiseta".into(),
        description: "Algodão".into(),
        price_cents: 7_900,
        currency: None,
        stock: 50,
        tags: vec!["merch".into()],
        event_ids: vec![a.id, b.id],
    };
    let shirt = store
        .create_product(
            org_of(&store, owner).await,
            owner,
            input.parse().unwrap(),
            now(),
            &audit_by(owner),
        )
        .await
        .unwrap();
    assert_eq!(
        store
            .get_product(shirt.id)
            .await
            .unwrap()
            .unwrap()
            .event_ids
            .len(),
        2
    );
    assert_eq!(
        store.list_event_products(a.id).await.unwrap(),
        vec![store.get_product(shirt.id).await.unwrap().unwrap()]
    );
    let patch = bilheteria_domain::catalog::ProductPatch {
        stock: Some(10),
        event_ids: Some(vec![b.id]),
        ..Default::default()
    };
    let updated = store
        .update_product(
            shirt.id,
            patch.apply_to(&shirt).unwrap(),
            now(),
            &audit_by(owner),
        )
        .await
        .unwrap();
    assert_eq!(updated.stock, 10);
    assert!(store.list_event_products(a.id).await.unwrap().is_empty());
    assert_eq!(store.list_event_products(b.id).await.unwrap()[0].stock, 10);
}

async fn tamper(db: &TestDatabase, sql: &'static str) {
    use sqlx::Connection;
    match db.backend {
        Backend::Sqlite => {
            let mut conn = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
            sqlx::query("DROP TRIGGER IF EXISTS audit_log_no_update")
                .execute(&mut conn)
                .await
                .unwrap();
            sqlx::query("DROP TRIGGER IF EXISTS audit_log_no_delete")
                .execute(&mut conn)
                .await
                .unwrap();
            sqlx::query(sql).execute(&mut conn).await.unwrap();
        }
        Backend::Postgres => {
            let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
            sqlx::query("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
                .execute(&mut conn)
                .await
                .unwrap();
            sqlx::query(sql).execute(&mut conn).await.unwrap();
        }
    }
}

async fn the_audit_chain_verifies_and_detects_tampering(db: TestDatabase) {
    let store = db.store().await;
    assert!(
        store.verify_audit().await.unwrap().ok,
        "an empty log verifies"
    );
    let owner = organizer(&store, "org@example.com").await;
    let venue = venue(&store, owner).await;
    for title in ["A", "B", "C"] {
        store
            .create_event(
                org_of(&store, owner).await,
                owner,
                event_input(&venue, title, "music", EventStatus::Draft)
                    .parse()
                    .unwrap(),
                now(),
                &audit_by(owner),
            )
            .await
            .unwrap();
    }
    let verification = store.verify_audit().await.unwrap();
    assert!(verification.ok, "{verification:?}");
    assert_eq!(
        verification.entries, 6,
        "role change, organization, venue and three events"
    );

    // The application's own connection cannot rewrite history.
    {
        use sqlx::Connection;
        let refused = match db.backend {
            Backend::Sqlite => {
                let mut conn = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
                sqlx::query("UPDATE audit_log SET action = 'x' WHERE seq = 1")
                    .execute(&mut conn)
                    .await
                    .is_err()
            }
            Backend::Postgres => {
                let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
                sqlx::query("DELETE FROM audit_log WHERE seq = 1")
                    .execute(&mut conn)
                    .await
                    .is_err()
            }
        };
        assert!(refused, "the append-only trigger refuses changes");
    }

    tamper(
        &db,
        "UPDATE audit_log SET after = '{\"title\":\"forged\"}' WHERE seq = 4",
    )
    .await;
    let verification = store.verify_audit().await.unwrap();
    assert_eq!((verification.ok, verification.first_bad), (false, Some(4)));

    tamper(&db, "DELETE FROM audit_log WHERE seq = 2").await;
    assert_eq!(store.verify_audit().await.unwrap().first_bad, Some(2));
}

async fn a_forged_cursor_is_refused(db: TestDatabase) {
    let store = db.store().await;
    let forged = PageRequest {
        limit: 10,
        after: Some("not-a-key".into()),
    };
    assert!(matches!(
        store.list_users(None, &forged).await,
        Err(StoreError::InvalidCursor)
    ));
    assert!(matches!(
        store.list_events(&EventQuery::default(), &forged).await,
        Err(StoreError::InvalidCursor)
    ));
    assert!(matches!(
        store.list_audit(&AuditQuery::default(), &forged).await,
        Err(StoreError::InvalidCursor)
    ));
}

/// The tickets a paid order issues, with made-up codes (signing is not the store's business).
fn ticket_drafts(draft: &OrderToSettle) -> Vec<TicketDraft> {
    draft
        .units
        .iter()
        .enumerate()
        .map(|(i, unit)| TicketDraft {
            id: TicketId::new(),
            unit: unit.clone(),
            version: 1,
            code: format!("code-{i}"),
        })
        .collect()
}

async fn selling_holds_the_cap_and_settles_each_order_once(db: TestDatabase) {
    let store = db.store().await;
    let owner = organizer(&store, "org@example.com").await;
    let venue = venue(&store, owner).await;
    let event = published_event(&store, owner, &venue).await;
    let session = store
        .create_session(
            event.id,
            session_input(&venue, 10).parse(now(), &venue).unwrap(),
            now(),
            &audit_by(owner),
        )
        .await
        .unwrap();
    let map = store
        .seat_map(session.id, None, now())
        .await
        .unwrap()
        .unwrap();
    let seats: Vec<SeatId> = map.sections[0]
        .seats
        .as_ref()
        .unwrap()
        .iter()
        .map(|s| s.id)
        .collect();
    let buyer = store
        .create_user(new_user("fan@example.com", "Fan"), None)
        .await
        .unwrap()
        .id;
    let rival = store
        .create_user(new_user("rival@example.com", "Rival"), None)
        .await
        .unwrap()
        .id;
    let hold = |user: UserId, request: HoldRequest| NewHold {
        user_id: user,
        session_id: session.id,
        request,
        half_price: HalfPriceClaim::default(),
        reserve_open: false,
        cap: session.max_tickets_per_user,
        now: now(),
        expires_at: now() + Duration::minutes(10),
    };

    // The cap (C1) counts every unit of a hold; a held seat is nobody else's.
    let over = store
        .create_hold(hold(buyer, HoldRequest::Seats(seats[..3].to_vec())))
        .await;
    assert!(
        matches!(
            over,
            Err(StoreError::Refused(Refusal::PurchaseLimitExceeded {
                cap: 2
            }))
        ),
        "{over:?}"
    );
    let held = store
        .create_hold(hold(buyer, HoldRequest::Seats(seats[..2].to_vec())))
        .await
        .unwrap();
    let taken = store
        .create_hold(hold(rival, HoldRequest::Seats(vec![seats[1]])))
        .await;
    assert!(
        matches!(&taken, Err(StoreError::SeatsUnavailable(s)) if s == &vec![seats[1]]),
        "{taken:?}"
    );
    let standing = HoldRequest::Standing {
        section_id: venue.sections[1].id,
        quantity: 1,
    };
    let at_cap = store.create_hold(hold(buyer, standing)).await;
    assert!(
        matches!(
            at_cap,
            Err(StoreError::Refused(Refusal::PurchaseLimitExceeded { .. }))
        ),
        "{at_cap:?}"
    );

    // One order per idempotency key and per hold.
    let order = |key: &str, fingerprint: u8| NewOrder {
        id: OrderId::new(),
        user_id: buyer,
        idempotency_key: key.into(),
        fingerprint: vec![fingerprint],
        buys: Buys::Hold(held.id),
        products: vec![],
        payment_method: bilheteria_domain::sales::PaymentMethod::Card,
        payment_token: "tok_visa".into(),
        installments: 1,
        client_ip: None,
        now: now(),
        settle_after: now() + Duration::seconds(60),
    };
    let BeginOrder::Started(draft) = store.begin_order(order("key-0001", 1)).await.unwrap() else {
        panic!("the first request starts the order")
    };
    assert_eq!(
        (
            draft.order.status,
            draft.order.total_cents,
            draft.units.len()
        ),
        (OrderStatus::AwaitingPayment, 30_000, 2)
    );
    assert!(
        matches!(store.begin_order(order("key-0001", 1)).await.unwrap(), BeginOrder::Existing(o) if o.id == draft.order.id)
    );
    assert!(matches!(
        store.begin_order(order("key-0001", 2)).await.unwrap(),
        BeginOrder::KeyReused
    ));
    let second = store.begin_order(order("key-0002", 1)).await;
    assert!(
        matches!(second, Err(StoreError::Refused(Refusal::HoldInUse))),
        "{second:?}"
    );

    // The provider's answer is lost first: the key is answered `payment_pending`, and a retry is
    // told the same even once the order is paid.
    let Settled::Done(pending) = store
        .settle_order(
            &draft,
            PaymentOutcome::Unknown {
                retry_at: now() + Duration::seconds(5),
            },
            now(),
        )
        .await
        .unwrap()
    else {
        panic!("an unknown outcome leaves the order pending")
    };
    assert_eq!(pending.status, OrderStatus::PaymentPending);

    // Settled once: tickets issued; a second settlement changes nothing.
    let paid = |draft: &OrderToSettle| PaymentOutcome::Paid {
        reference: "pi_contract".into(),
        tickets: ticket_drafts(draft),
    };
    let Settled::Done(settled) = store
        .settle_order(&draft, paid(&draft), now())
        .await
        .unwrap()
    else {
        panic!("the first settlement settles")
    };
    assert_eq!(
        (settled.status, settled.tickets.len()),
        (OrderStatus::Paid, 2)
    );
    let again = store
        .settle_order(&draft, paid(&draft), now())
        .await
        .unwrap();
    assert!(
        matches!(&again, Settled::AlreadySettled(o) if o.tickets.len() == 2),
        "{again:?}"
    );
    let replay = store.begin_order(order("key-0001", 1)).await.unwrap();
    assert!(
        matches!(&replay, BeginOrder::Answered { order, answered: OrderStatus::PaymentPending }
            if order.id == draft.order.id && order.status == OrderStatus::Paid && order.tickets.len() == 2),
        "{replay:?}"
    );
    let tickets = store
        .list_tickets(buyer, &PageRequest::default())
        .await
        .unwrap();
    assert_eq!(tickets.items.len(), 2);
    let mail = store
        .claim_outbox(now(), now() + Duration::seconds(60), 10)
        .await
        .unwrap();
    assert_eq!(mail.len(), 1, "the buyer's mail is queued with the sale");

    let report = store.sales_integrity(session.id).await.unwrap();
    assert!(report.holds(), "{report:?}");
    assert_eq!(
        (
            report.paid_orders,
            report.tickets_valid,
            report.charged_cents
        ),
        (1, 2, 30_000)
    );

    // A transfer (S10): one pending offer per ticket; accepting moves the holder, the code and
    // the cap, and uses no capacity.
    let ticket = &settled.tickets[0];
    let offer = |to: &str| NewTransfer {
        id: TransferId::new(),
        ticket_id: ticket.id,
        from_user_id: buyer,
        to_email: to.into(),
        expires_at: now() + Duration::hours(1),
        at: now(),
    };
    let offered = store
        .offer_transfer(offer("rival@example.com"), &audit_by(buyer))
        .await
        .unwrap();
    assert_eq!(offered.to_user_id, Some(rival));
    let twice = store
        .offer_transfer(offer("other@example.com"), &audit_by(buyer))
        .await;
    assert!(
        matches!(
            twice,
            Err(StoreError::Refused(Refusal::TransferNotAllowed(
                TransferBlock::AlreadyPending
            )))
        ),
        "{twice:?}"
    );
    let accept = |version: i64| TransferDecision::Accept {
        recipient: rival,
        expected_version: version,
        new_code: "code-transferred".into(),
    };
    let stale = store
        .decide_transfer(offered.id, accept(7), now(), &audit_by(rival))
        .await;
    assert!(
        matches!(
            stale,
            Err(StoreError::Refused(Refusal::TransferNotAllowed(
                TransferBlock::TicketNotValid
            )))
        ),
        "a ticket changed since it was read is not moved: {stale:?}"
    );
    let accepted = store
        .decide_transfer(offered.id, accept(1), now(), &audit_by(rival))
        .await
        .unwrap();
    assert_eq!(accepted.status, TransferStatus::Accepted);
    let moved = store.get_ticket(ticket.id).await.unwrap().unwrap();
    assert_eq!(
        (moved.holder_id, moved.version, moved.code.as_deref()),
        (rival, 2, Some("code-transferred"))
    );
    let done = store
        .decide_transfer(
            offered.id,
            TransferDecision::Cancel,
            now(),
            &audit_by(buyer),
        )
        .await;
    assert!(
        matches!(
            done,
            Err(StoreError::Refused(Refusal::TransferNotAllowed(
                TransferBlock::NotPending(TransferStatus::Accepted)
            )))
        ),
        "{done:?}"
    );
    let report = store.sales_integrity(session.id).await.unwrap();
    assert!(report.holds(), "{report:?}");
    assert_eq!(report.tickets_valid, 2, "no capacity used");
    // The allocation check sees a ledger that does not match the tickets.
    tamper(
        &db,
        "UPDATE allocations SET tickets = tickets + 1 WHERE tickets > 0",
    )
    .await;
    let report = store.sales_integrity(session.id).await.unwrap();
    assert!(
        report.allocations_mismatched > 0 && !report.holds(),
        "{report:?}"
    );
    tamper(
        &db,
        "UPDATE allocations SET tickets = tickets - 1 WHERE tickets > 0",
    )
    .await;
    // So does the standing count: places sold that no ticket stands for.
    tamper(
        &db,
        "UPDATE standing_slices SET sold = sold + 1 WHERE slice = 0 AND held + sold < capacity",
    )
    .await;
    let report = store.sales_integrity(session.id).await.unwrap();
    assert!(
        report.standing_count_mismatches > 0 && !report.holds(),
        "{report:?}"
    );
    tamper(
        &db,
        "UPDATE standing_slices SET sold = sold - 1 WHERE slice = 0 AND sold > 0",
    )
    .await;

    // A refund releases the seats and cancels the tickets, once.
    store
        .request_refund(draft.order.id, now() + Duration::seconds(60))
        .await
        .unwrap();
    let refunded = store
        .refund_order(draft.order.id, "re_contract", now(), &audit_by(owner))
        .await
        .unwrap();
    assert_eq!(refunded.status, OrderStatus::Refunded);
    assert!(
        refunded
            .tickets
            .iter()
            .all(|t| t.status == TicketStatus::Cancelled && t.code.is_none())
    );
    let again = store
        .refund_order(draft.order.id, "re_contract_2", now(), &audit_by(owner))
        .await;
    assert!(
        matches!(again, Err(StoreError::Refused(Refusal::OrderNotRefundable))),
        "{again:?}"
    );
    let map = store
        .seat_map(session.id, None, now())
        .await
        .unwrap()
        .unwrap();
    assert!(
        map.sections[0]
            .seats
            .as_ref()
            .unwrap()
            .iter()
            .all(|s| s.status == SeatStatus::Available)
    );
    let report = store.sales_integrity(session.id).await.unwrap();
    assert!(report.holds(), "{report:?}");
    assert_eq!((report.paid_orders, report.refunded_cents), (0, 30_000));
}

/// 10 seats and 300 standing places: 124 reserved for half-price buyers (40 %, rounded up), 186
/// open. Holds draw from the pool their places belong to, refused whole when it has too few;
/// a release gives the units back; an opened reserve sells to everyone.
async fn half_price_places_come_from_the_reserve_and_go_back_to_it(db: TestDatabase) {
    let store = db.store().await;
    let owner = organizer(&store, "org@example.com").await;
    let venue = venue(&store, owner).await;
    let event = published_event(&store, owner, &venue).await;
    let session = store
        .create_session(
            event.id,
            session_input(&venue, 10).parse(now(), &venue).unwrap(),
            now(),
            &audit_by(owner),
        )
        .await
        .unwrap();
    let buyer = store
        .create_user(new_user("fan@example.com", "Fan"), None)
        .await
        .unwrap()
        .id;
    let reserve = || async { store.half_price_availability(session.id).await.unwrap() };
    let first = reserve().await;
    assert_eq!(
        (first.quota, first.available, first.total_places),
        (124, 124, 310)
    );
    let standing = |quantity: i64, half: i64, reserve_open: bool| NewHold {
        user_id: buyer,
        session_id: session.id,
        request: HoldRequest::Standing {
            section_id: venue.sections[1].id,
            quantity,
        },
        half_price: HalfPriceClaim {
            seats: vec![],
            units: half,
            eligibility: (half > 0).then_some(Eligibility::Student),
        },
        reserve_open,
        cap: 300,
        now: now(),
        expires_at: now() + Duration::minutes(10),
    };
    let refused = |result: StoreResult<_>, wanted: Refusal| {
        assert!(
            matches!(&result, Err(StoreError::Refused(r)) if *r == wanted),
            "{wanted:?}: {:?}",
            result.map(|_: bilheteria_domain::sales::Hold| ())
        );
    };
    refused(
        store.create_hold(standing(125, 125, false)).await,
        Refusal::HalfPriceSoldOut,
    );
    let mixed = store.create_hold(standing(5, 3, false)).await.unwrap();
    assert_eq!(reserve().await.held, 3, "the half-price places only");
    refused(
        store.create_hold(standing(185, 0, false)).await,
        Refusal::OpenPlacesSoldOut,
    );
    store.create_hold(standing(184, 0, false)).await.unwrap();
    refused(
        store.create_hold(standing(1, 0, false)).await,
        Refusal::OpenPlacesSoldOut,
    );
    store.release_hold(mixed.id, buyer, now()).await.unwrap();
    assert_eq!(reserve().await.held, 0, "released back to the reserve");
    store.create_hold(standing(2, 0, false)).await.unwrap();
    // Opened, the reserve sells at full price too.
    store.create_hold(standing(3, 0, true)).await.unwrap();
    let now_held = reserve().await;
    assert_eq!((now_held.held, now_held.available), (3, 121));
    let report = store.sales_integrity(session.id).await.unwrap();
    assert_eq!(report.pools_mismatched, 0, "{report:?}");
}
