//! A measurement, not a test (never run in CI): a session with 80,000 paid orders (one ticket
//! each, a standing section), then its door list exported as CSV over HTTP (80,000 lines and
//! the headings) and its borderô, each timed, with the process's resident memory before and
//! its peak after (the server runs in this process); then the orders list (first page, a buyer's
//! email, a name's start, a status) and the borderô asked 200 times each, one after the other:
//! views per second, p50 and p99. The rows are written straight into the SQLite database in
//! batches, not bought one by one, so only the reads are measured.
//!
//! Run it (release build; it takes a minute or two):
//!
//! ```text
//! cargo run --release -p bilheteria --example bordero_bench -- 80000
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use bilheteria_store::testing::TestDatabase;
use bilheteria_testkit::{TestApp, on_sale};
use serde_json::json;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::{QueryBuilder, Sqlite};
use std::str::FromStr;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// `VmRSS` and `VmHWM` (peak) of this process, in MiB.
fn memory() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

#[tokio::main]
async fn main() {
    let orders: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(80_000);
    let db = TestDatabase::sqlite();
    let url = db.url.clone();
    let app = TestApp::spawn(db).await;
    let sale = on_sale(&app, 10, orders as i64, 10, json!({})).await;
    let (_, session) = app
        .get(&format!("/sessions/{}", sale.session_id), None)
        .await;
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(
            SqliteConnectOptions::from_str(&url)
                .unwrap()
                .busy_timeout(Duration::from_secs(30)),
        )
        .await
        .unwrap();
    let session_id = Uuid::parse_str(&sale.session_id).unwrap();
    let event_id = Uuid::parse_str(&sale.event_id).unwrap();
    let section_id = Uuid::parse_str(&sale.standing_section).unwrap();
    let price: i64 = session["categories"][1]["price_cents"]
        .as_i64()
        .unwrap_or(6_000);
    let started = Instant::now();
    let now = time::OffsetDateTime::now_utc().unix_timestamp() * 1_000_000;
    for batch in (0..orders).collect::<Vec<_>>().chunks(1_000) {
        let rows: Vec<[Uuid; 6]> = batch
            .iter()
            .map(|_| [(); 6].map(|()| Uuid::now_v7()))
            .collect();
        let mut tx = pool.begin().await.unwrap();
        let mut users = QueryBuilder::<Sqlite>::new(
            "INSERT INTO users (id, email, email_normalized, name, name_normalized, password_hash, roles, created_at) ",
        );
        users.push_values(batch.iter().zip(&rows), |mut b, (i, ids)| {
            let email = format!("bench{i:06}@example.com");
            b.push_bind(ids[0])
                .push_bind(email.clone())
                .push_bind(email)
                .push_bind(format!("Comprador {i}"))
                .push_bind(format!("comprador {i}"))
                .push_bind("$argon2id$unused")
                .push_bind(1_i64)
                .push_bind(now);
        });
        users.build().execute(&mut *tx).await.unwrap();
        let mut holds = QueryBuilder::<Sqlite>::new(
            "INSERT INTO holds (id, user_id, session_id, section_id, kind, quantity, status, expires_at, created_at) ",
        );
        holds.push_values(&rows, |mut b, ids| {
            b.push_bind(ids[1])
                .push_bind(ids[0])
                .push_bind(session_id)
                .push_bind(section_id)
                .push_bind("standing")
                .push_bind(1_i64)
                .push_bind("ordered")
                .push_bind(now)
                .push_bind(now);
        });
        holds.build().execute(&mut *tx).await.unwrap();
        let mut orders_sql = QueryBuilder::<Sqlite>::new(
            "INSERT INTO orders (id, user_id, session_id, event_id, hold_id, status, total_cents, currency, \
             payment_token, payment_reference, idempotency_key, created_at, updated_at, installments, payment_method) ",
        );
        orders_sql.push_values(&rows, |mut b, ids| {
            b.push_bind(ids[2])
                .push_bind(ids[0])
                .push_bind(session_id)
                .push_bind(event_id)
                .push_bind(ids[1])
                .push_bind("paid")
                .push_bind(price)
                .push_bind("BRL")
                .push_bind("tok_visa")
                .push_bind(format!("pi_{}", ids[2].simple()))
                .push_bind(format!("bench-{}", ids[2].simple()))
                .push_bind(now)
                .push_bind(now)
                .push_bind(1 + (ids[2].as_bytes()[15] % 3) as i64)
                .push_bind(if ids[2].as_bytes()[14] % 4 == 0 {
                    "pix"
                } else {
                    "card"
                });
        });
        orders_sql.build().execute(&mut *tx).await.unwrap();
        let mut payments = QueryBuilder::<Sqlite>::new(
            "INSERT INTO payments (id, order_id, kind, status, reference, amount_cents, currency, created_at) ",
        );
        payments.push_values(&rows, |mut b, ids| {
            b.push_bind(ids[3])
                .push_bind(ids[2])
                .push_bind("charge")
                .push_bind("succeeded")
                .push_bind(format!("pi_{}", ids[2].simple()))
                .push_bind(price)
                .push_bind("BRL")
                .push_bind(now);
        });
        payments.build().execute(&mut *tx).await.unwrap();
        let mut tickets = QueryBuilder::<Sqlite>::new(
            "INSERT INTO tickets (id, order_id, session_id, event_id, section_id, holder_id, status, version, code, \
             created_at, updated_at, ticket_type, eligibility, face_value_cents) ",
        );
        tickets.push_values(&rows, |mut b, ids| {
            let half = ids[4].as_bytes()[15] % 3 == 0;
            b.push_bind(ids[4])
                .push_bind(ids[2])
                .push_bind(session_id)
                .push_bind(event_id)
                .push_bind(section_id)
                .push_bind(ids[0])
                .push_bind("valid")
                .push_bind(1_i64)
                .push_bind("bench")
                .push_bind(now)
                .push_bind(now)
                .push_bind(if half { "half" } else { "full" })
                .push_bind(half.then_some("student"))
                .push_bind(if half { price / 2 } else { price });
        });
        tickets.build().execute(&mut *tx).await.unwrap();
        tx.commit().await.unwrap();
    }
    sqlx::query("ANALYZE").execute(&pool).await.unwrap();
    println!("seeded {orders} orders in {:.1?}", started.elapsed());

    let token = &sale.organizer.token;
    let (rss, peak) = memory();
    println!("memory before: rss {rss:.1} MiB, peak {peak:.1} MiB");
    for (what, path) in [
        ("attendees.csv", "exports/attendees.csv"),
        ("orders.csv", "exports/orders.csv"),
    ] {
        let started = Instant::now();
        let response = app
            .request(
                reqwest::Method::GET,
                &format!("/sessions/{}/{path}", sale.session_id),
                Some(token),
            )
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "{}", response.status());
        let mut response = response;
        let (mut bytes, mut lines, mut first_byte) = (0usize, 0usize, None);
        while let Some(chunk) = response.chunk().await.unwrap() {
            first_byte.get_or_insert_with(|| started.elapsed());
            bytes += chunk.len();
            lines += chunk.iter().filter(|b| **b == b'\n').count();
        }
        let (rss, peak) = memory();
        println!(
            "{what}: {lines} lines, {:.1} MiB in {:.2?} (first bytes after {:.1?}); rss {rss:.1} MiB, peak {peak:.1} MiB",
            bytes as f64 / 1_048_576.0,
            started.elapsed(),
            first_byte.unwrap_or_default(),
        );
    }
    let started = Instant::now();
    let (status, sheet) = app
        .get(
            &format!("/sessions/{}/bordero", sale.session_id),
            Some(token),
        )
        .await;
    println!(
        "bordero: {status} in {:.2?}: {} tickets, gross {} cents",
        started.elapsed(),
        sheet["tickets"]["sold"],
        sheet["gross_cents"]
    );
    // Views one after the other, as an organizer's browser asks them (no concurrency).
    let session = &sale.session_id;
    for (what, path) in [
        ("orders, first page", format!("/sessions/{session}/orders")),
        (
            "orders, a buyer's email",
            format!("/sessions/{session}/orders?q=bench040000@example.com"),
        ),
        (
            "orders, a name's start",
            format!("/sessions/{session}/orders?q=Comprador%204"),
        ),
        (
            "orders, paid",
            format!("/sessions/{session}/orders?status=paid"),
        ),
        ("bordero", format!("/sessions/{session}/bordero")),
    ] {
        let mut took = Vec::with_capacity(VIEWS);
        let started = Instant::now();
        for _ in 0..VIEWS {
            let one = Instant::now();
            let (status, _) = app.get(&path, Some(token)).await;
            assert!(status.is_success(), "{what}: {status}");
            took.push(one.elapsed());
        }
        let elapsed = started.elapsed();
        took.sort();
        println!(
            "{what}: {:.0} views/s, p50 {:.2?}, p99 {:.2?}",
            VIEWS as f64 / elapsed.as_secs_f64(),
            took[VIEWS / 2],
            took[VIEWS * 99 / 100],
        );
    }
}

/// How many times each view is asked for.
const VIEWS: usize = 200;
