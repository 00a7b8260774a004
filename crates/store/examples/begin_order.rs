//! Orders begun per second through the store itself (BENCHMARKS.md, "Speed"): the write that
//! turns a buyer's hold into an order awaiting payment (`OrderStore::begin_order`: the
//! idempotency key, the hold checked, its places priced, the order and its lines written), with
//! nothing else running.
//!
//! It lays out one session (a seated section and a standing one), gives every buyer a hold of two
//! places (even buyers two seats, odd buyers two standing places), then begins one order per hold
//! from many concurrent tasks, each with a key of its own, and times that last part only.
//! SQLite by default (synchronous=FULL, as the server runs it); `--postgres` uses a fresh schema
//! on the server named by `BILHETERIA_TEST_DATABASE_URL`.
//!
//! ```sh
//! cargo run --release -p bilheteria-store --example begin_order [ORDERS] [TASKS] [--postgres]
//! ```

use bilheteria_domain::account::{Role, Roles};
use bilheteria_domain::audit::AuditContext;
use bilheteria_domain::catalog::{
    CategoryInput, EventInput, EventStatus, RowInput, SectionInput, SessionInput, VenueInput,
};
use bilheteria_domain::half_price::HalfPriceClaim;
use bilheteria_domain::ids::{OrderId, SeatId, UserId};
use bilheteria_domain::organization::{Document, NewOrganization};
use bilheteria_domain::sales::{Buys, HoldRequest, PaymentMethod};
use bilheteria_store::testing::TestDatabase;
use bilheteria_store::{BeginOrder, NewHold, NewOrder, NewUser, Store};
use std::sync::Arc;
use time::{Duration, OffsetDateTime};

// Only `from_tasks` is used here.
#[allow(dead_code)]
mod common;

const SEATS_PER_ROW: i64 = 50;

fn user(n: u64) -> NewUser {
    let email = format!("buyer{n}@example.com");
    NewUser {
        email_normalized: email.clone(),
        email,
        name: format!("Buyer {n}"),
        password_hash: "$argon2id$not-a-real-hash".to_owned(),
        roles: Roles::customer(),
        language: Default::default(),
        email_verified: true,
        created_at: OffsetDateTime::now_utc(),
    }
}

/// A session with a seated section and a standing section as large, and `orders` buyers' holds
/// of two places each: answers each buyer with their hold.
async fn holds(
    store: &Arc<dyn Store>,
    orders: u64,
) -> anyhow::Result<Vec<(UserId, bilheteria_domain::ids::HoldId)>> {
    let now = OffsetDateTime::now_utc();
    let audit = AuditContext::default();
    let owner = store.create_user(user(u64::MAX), None).await?.id;
    store
        .set_roles(owner, Roles::from_roles([Role::Organizer]), &audit)
        .await?;
    let organization = store
        .create_organization(
            NewOrganization {
                name: "Produtora".into(),
                document: Document::parse("11.222.333/0001-81")
                    .map_err(|e| anyhow::anyhow!("{e:?}"))?,
                contact_email: "produtora@example.com".into(),
            },
            owner,
            now,
            &audit,
        )
        .await?
        .id;
    // Twice the places the holds take: the half-price reserve (at least 40 %) is not drawn on.
    let rows = 2 * (orders as i64 + SEATS_PER_ROW - 1) / SEATS_PER_ROW;
    let venue = VenueInput {
        name: "Arena".into(),
        city: "São Paulo".into(),
        time_zone: None,
        stage_position: None,
        stage_label: None,
        organization_id: None,
        sections: vec![
            SectionInput {
                name: "Plateia".into(),
                rows: Some(
                    (0..rows)
                        .map(|row| RowInput {
                            label: format!("R{row}"),
                            seats: SEATS_PER_ROW,
                            ..RowInput::default()
                        })
                        .collect(),
                ),
                capacity: None,
            },
            SectionInput {
                name: "Pista".into(),
                rows: None,
                capacity: Some(rows * SEATS_PER_ROW),
            },
        ],
    };
    let venue = store
        .create_venue(
            organization,
            owner,
            venue.parse().map_err(|e| anyhow::anyhow!("{e:?}"))?,
            now,
            &audit,
        )
        .await?;
    let event = EventInput {
        title: "Concerto".into(),
        description: "Uma noite".into(),
        category: "music".into(),
        tags: vec![],
        venue_id: venue.id,
        status: EventStatus::Published,
        organization_id: None,
    };
    let event = store
        .create_event(
            organization,
            owner,
            event.parse().map_err(|e| anyhow::anyhow!("{e:?}"))?,
            now,
            &audit,
        )
        .await?;
    let session = SessionInput {
        starts_at: now + Duration::days(10),
        sales_start_at: None,
        max_tickets_per_user: Some(4),
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
    };
    let session = store
        .create_session(
            event.id,
            session
                .parse(now, &venue)
                .map_err(|e| anyhow::anyhow!("{e:?}"))?,
            now,
            &audit,
        )
        .await?;
    let map = store
        .seat_map(session.id, None, now)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no seat map"))?;
    let seats: Vec<SeatId> = map.sections[0]
        .seats
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("no seats"))?
        .iter()
        .map(|seat| seat.id)
        .collect();
    let mut held = Vec::with_capacity(orders as usize);
    for n in 0..orders {
        let buyer = store.create_user(user(n), None).await?.id;
        let request = if n % 2 == 0 {
            let at = n as usize;
            HoldRequest::Seats(vec![seats[at], seats[at + 1]])
        } else {
            HoldRequest::Standing {
                section_id: venue.sections[1].id,
                quantity: 2,
            }
        };
        let hold = store
            .create_hold(NewHold {
                user_id: buyer,
                session_id: session.id,
                request,
                half_price: HalfPriceClaim::default(),
                reserve_open: false,
                cap: 4,
                now,
                expires_at: now + Duration::minutes(30),
            })
            .await?;
        held.push((buyer, hold.id));
    }
    Ok(held)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let postgres = args.iter().any(|arg| arg == "--postgres");
    let mut numbers = args.iter().filter_map(|arg| arg.parse::<u64>().ok());
    let orders = numbers.next().unwrap_or(4_000);
    let tasks = numbers.next().unwrap_or(64);
    let db = if postgres {
        TestDatabase::postgres().await
    } else {
        TestDatabase::sqlite()
    };
    let store = db.store().await;
    let held = Arc::new(holds(&store, orders).await?);
    let took = common::from_tasks(orders, tasks, {
        let (store, held) = (store.clone(), held.clone());
        move |i| {
            let (store, held) = (store.clone(), held.clone());
            async move {
                let (buyer, hold) = held[i as usize];
                let now = OffsetDateTime::now_utc();
                let begun = store
                    .begin_order(NewOrder {
                        id: OrderId::new(),
                        user_id: buyer,
                        idempotency_key: format!("key-{i:08}"),
                        fingerprint: vec![1; 32],
                        buys: Buys::Hold(hold),
                        products: vec![],
                        payment_method: PaymentMethod::Card,
                        payment_token: "tok_visa".into(),
                        installments: 1,
                        client_ip: Some("192.0.2.7".into()),
                        now,
                        settle_after: now + Duration::minutes(1),
                    })
                    .await?;
                match begun {
                    BeginOrder::Started(_) => Ok(()),
                    _ => Err(anyhow::anyhow!("order {i} was not started")),
                }
            }
        }
    })
    .await?;
    println!(
        "{}: {orders} orders begun from {tasks} tasks in {:.3} s: {:.0} orders/s",
        db.backend.as_str(),
        took.as_secs_f64(),
        orders as f64 / took.as_secs_f64()
    );
    Ok(())
}
