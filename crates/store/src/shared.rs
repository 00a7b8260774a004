//! The SQL both backends share. This file is compiled twice, as `postgres::shared` and
//! `sqlite::shared`: there `Db` names the backend's sqlx database, `Tx` its write transaction and
//! `ThisBackend` its store type, which provides `backend()`, `reader()`, `begin_write()`, `write_one()`
//! (one statement as a write of its own), `refresh_statistics()`, `push_search()`, `LOCK_ROW`,
//! `APPEND_AUDIT_ENTRY`, and `kept`, what it keeps in memory (`cache.rs`). Every statement here
//! is valid on both: `$n` placeholders, instants as BIGINT microseconds, ids bound as `Uuid`
//! (UUID in PostgreSQL, a 16-byte BLOB in SQLite).

use super::{Db, ThisBackend, Tx};
use crate::Refusal;
use crate::cache::{LaidOutSeat, Layout, SectionSeats};
use crate::{
    Backend, Credentials, NewLoginSession, NewUser, Store, StoreError, StoreResult,
    is_unique_violation,
};
use async_trait::async_trait;
use bilheteria_domain::account::{LoginSession, Roles, SessionEnd, User};
use bilheteria_domain::audit::{
    AuditContext, AuditEntry, AuditQuery, AuditRecord, AuditVerification, ChainVerifier, entry_hash,
};
use bilheteria_domain::catalog::{
    Currency, Event, EventFields, EventQuery, EventSession, EventStatus, NewSession, NewVenue,
    Product, ProductFields, QueueSettings, RowSummary, SeatCategory, SeatMap, SeatMapSection,
    SeatStatus, SeatView, Section, SectionKind, SectionLayout, Venue,
};
use bilheteria_domain::clock::{from_micros, to_micros};
use bilheteria_domain::ids::{
    AuditEntryId, CategoryId, EventId, LoginSessionId, ProductId, SeatId, SectionId, SessionId,
    UserId, VenueId,
};
use bilheteria_domain::inventory::split_into_slices;
use bilheteria_domain::page::{Page, PageRequest};
use serde::Serialize;
use sqlx::{AssertSqlSafe, QueryBuilder, Row};
use std::collections::HashMap;
use time::OffsetDateTime;
use uuid::Uuid;

type DbRow = <Db as sqlx::Database>::Row;

/// Rows per multi-row INSERT: 5 parameters each stays well under both backends' limits.
const INSERT_CHUNK: usize = 2_000;

fn corrupt(what: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("unexpected stored value in {what}").into())
}

fn to_json<T: Serialize>(value: &T) -> Option<String> {
    serde_json::to_string(value).ok()
}

fn split_tags(stored: String) -> Vec<String> {
    stored
        .split(' ')
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Row mapping

macro_rules! user_columns {
    ($p:literal) => {
        concat!(
            $p,
            "id, ",
            $p,
            "email, ",
            $p,
            "name, ",
            $p,
            "roles, ",
            $p,
            "created_at"
        )
    };
}

pub(super) fn queue_settings_from_row(row: &DbRow) -> Result<QueueSettings, sqlx::Error> {
    Ok(QueueSettings {
        enabled: row.try_get("queue_enabled")?,
        admit_per_minute: row.try_get("admit_per_minute")?,
        paused: row.try_get("queue_paused")?,
        max_active: row.try_get("queue_max_active")?,
        proof_of_work_bits: row.try_get("queue_pow_bits")?,
    })
}

fn user_from_row(row: &DbRow) -> Result<User, sqlx::Error> {
    Ok(User {
        id: UserId(row.try_get("id")?),
        email: row.try_get("email")?,
        name: row.try_get("name")?,
        roles: Roles::from_bits(row.try_get("roles")?).to_vec(),
        created_at: from_micros(row.try_get("created_at")?),
    })
}

fn login_session_from_row(row: &DbRow) -> Result<LoginSession, sqlx::Error> {
    let end_reason: Option<String> = row.try_get("end_reason")?;
    Ok(LoginSession {
        id: LoginSessionId(row.try_get("id")?),
        user_id: UserId(row.try_get("user_id")?),
        device_id: row.try_get("device_id")?,
        ip: row.try_get("ip")?,
        user_agent: row.try_get("user_agent")?,
        created_at: from_micros(row.try_get("created_at")?),
        expires_at: from_micros(row.try_get("expires_at")?),
        ended_at: row.try_get::<Option<i64>, _>("ended_at")?.map(from_micros),
        end_reason: end_reason.as_deref().and_then(SessionEnd::parse),
    })
}

macro_rules! event_columns {
    () => {
        "e.id, e.owner_id, e.venue_id, e.title, e.description, e.category, e.tags, e.status, \
         e.sort_at, e.created_at, e.updated_at"
    };
}

fn event_from_row(row: &DbRow) -> Result<Event, sqlx::Error> {
    let status: String = row.try_get("status")?;
    Ok(Event {
        id: EventId(row.try_get("id")?),
        owner_id: UserId(row.try_get("owner_id")?),
        venue_id: VenueId(row.try_get("venue_id")?),
        title: row.try_get("title")?,
        description: row.try_get("description")?,
        category: row.try_get("category")?,
        tags: split_tags(row.try_get("tags")?),
        status: EventStatus::parse(&status).ok_or_else(|| corrupt("events.status"))?,
        created_at: from_micros(row.try_get("created_at")?),
        updated_at: from_micros(row.try_get("updated_at")?),
    })
}

/// A product's stock: the sum of its slices (`product_stock`).
macro_rules! product_stock {
    () => {
        "CAST(COALESCE((SELECT SUM(ps.stock) FROM product_stock ps WHERE ps.product_id = p.id), 0) AS BIGINT)"
    };
}
pub(super) use product_stock;

macro_rules! product_columns {
    () => {
        concat!(
            "p.id, p.owner_id, p.name, p.description, p.price_cents, p.currency, ",
            product_stock!(),
            " AS stock, p.tags, p.created_at, p.updated_at"
        )
    };
}

fn product_from_row(row: &DbRow, event_ids: Vec<EventId>) -> Result<Product, sqlx::Error> {
    let currency: String = row.try_get("currency")?;
    Ok(Product {
        id: ProductId(row.try_get("id")?),
        owner_id: UserId(row.try_get("owner_id")?),
        name: row.try_get("name")?,
        description: row.try_get("description")?,
        price_cents: row.try_get("price_cents")?,
        currency: Currency::parse(&currency).map_err(|_| corrupt("products.currency"))?,
        stock: row.try_get("stock")?,
        tags: split_tags(row.try_get("tags")?),
        event_ids,
        created_at: from_micros(row.try_get("created_at")?),
        updated_at: from_micros(row.try_get("updated_at")?),
    })
}

fn audit_from_row(row: &DbRow) -> Result<AuditRecord, sqlx::Error> {
    Ok(AuditRecord {
        seq: row.try_get("seq")?,
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
        ..audit_content_from_row(row)?
    })
}

/// What an entry says, from a row of `audit_log` or `audit_queue`, not yet placed in the chain.
fn audit_content_from_row(row: &DbRow) -> Result<AuditRecord, sqlx::Error> {
    Ok(AuditRecord {
        seq: 0,
        id: AuditEntryId(row.try_get("id")?),
        at_micros: row.try_get("at")?,
        actor_id: row.try_get::<Option<Uuid>, _>("actor_id")?.map(UserId),
        action: row.try_get("action")?,
        target_type: row.try_get("target_type")?,
        target_id: row.try_get("target_id")?,
        ip: row.try_get("ip")?,
        before: row.try_get("before")?,
        after: row.try_get("after")?,
        prev_hash: Vec::new(),
        hash: Vec::new(),
    })
}

// ---------------------------------------------------------------------------------------------
// Audit appends, inside the caller's transaction

pub(super) struct Change<'a> {
    pub(super) action: &'a str,
    pub(super) target_type: &'a str,
    pub(super) target_id: String,
    pub(super) before: Option<String>,
    pub(super) after: Option<String>,
}

pub(super) async fn append_audit(
    tx: &mut Tx,
    context: &AuditContext,
    at: OffsetDateTime,
    change: Change<'_>,
) -> Result<(), sqlx::Error> {
    // Taking the head row first serialises appends: each sees the hash of the one before.
    let head = sqlx::query("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash")
        .fetch_one(&mut **tx)
        .await?;
    let mut record = AuditRecord {
        seq: head.try_get("seq")?,
        id: AuditEntryId::new(),
        at_micros: to_micros(at),
        actor_id: context.actor_id,
        action: change.action.to_owned(),
        target_type: change.target_type.to_owned(),
        target_id: change.target_id,
        ip: context.ip.clone(),
        before: change.before,
        after: change.after,
        prev_hash: head.try_get("hash")?,
        hash: Vec::new(),
    };
    record.hash = entry_hash(&record.prev_hash, &record).to_vec();
    // The entry and the head's new hash go in one round trip: the head row is locked from the
    // statement above until the commit.
    sqlx::query(ThisBackend::APPEND_AUDIT_ENTRY)
        .bind(record.seq)
        .bind(record.id.0)
        .bind(record.at_micros)
        .bind(record.actor_id.map(|id| id.0))
        .bind(&record.action)
        .bind(&record.target_type)
        .bind(&record.target_id)
        .bind(&record.ip)
        .bind(&record.before)
        .bind(&record.after)
        .bind(&record.prev_hash)
        .bind(&record.hash)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Reads shared by several operations

impl ThisBackend {
    async fn venue_by_id(&self, id: Uuid) -> Result<Option<Venue>, sqlx::Error> {
        let pool = self.reader();
        let Some(row) =
            sqlx::query("SELECT id, owner_id, name, city, created_at FROM venues WHERE id = $1")
                .bind(id)
                .fetch_optional(pool)
                .await?
        else {
            return Ok(None);
        };
        let section_rows = sqlx::query(
            "SELECT id, name, kind, capacity FROM sections WHERE venue_id = $1 ORDER BY position",
        )
        .bind(id)
        .fetch_all(pool)
        .await?;
        let seat_rows = sqlx::query(
            "SELECT st.section_id, st.row_label, COUNT(*) AS seats FROM seats st \
             JOIN sections sec ON sec.id = st.section_id WHERE sec.venue_id = $1 \
             GROUP BY st.section_id, st.row_position, st.row_label ORDER BY st.section_id, st.row_position",
        )
        .bind(id)
        .fetch_all(pool)
        .await?;
        let mut rows_by_section: HashMap<Uuid, Vec<RowSummary>> = HashMap::new();
        for row in &seat_rows {
            rows_by_section
                .entry(row.try_get("section_id")?)
                .or_default()
                .push(RowSummary {
                    label: row.try_get("row_label")?,
                    seats: row.try_get("seats")?,
                });
        }
        let mut sections = Vec::with_capacity(section_rows.len());
        for row in &section_rows {
            let id: Uuid = row.try_get("id")?;
            let kind: String = row.try_get("kind")?;
            sections.push(Section {
                id: SectionId(id),
                name: row.try_get("name")?,
                kind: SectionKind::parse(&kind).ok_or_else(|| corrupt("sections.kind"))?,
                capacity: row.try_get("capacity")?,
                rows: rows_by_section.remove(&id).unwrap_or_default(),
            });
        }
        Ok(Some(Venue {
            id: VenueId(row.try_get("id")?),
            owner_id: UserId(row.try_get("owner_id")?),
            name: row.try_get("name")?,
            city: row.try_get("city")?,
            sections,
            created_at: from_micros(row.try_get("created_at")?),
        }))
    }

    /// Sessions with their categories, either one session (`by_event` false) or all the
    /// sessions of an event, in three queries whatever their number.
    async fn load_sessions(
        &self,
        by_event: bool,
        id: Uuid,
    ) -> Result<Vec<EventSession>, sqlx::Error> {
        let pool = self.reader();
        let (sessions_sql, categories_sql, sections_sql) = if by_event {
            (
                "SELECT * FROM event_sessions WHERE event_id = $1 ORDER BY starts_at, id",
                "SELECT c.id, c.session_id, c.name, c.price_cents FROM seat_categories c \
                 JOIN event_sessions s ON s.id = c.session_id WHERE s.event_id = $1 ORDER BY c.position",
                "SELECT ss.category_id, ss.section_id FROM session_sections ss \
                 JOIN event_sessions s ON s.id = ss.session_id JOIN sections sec ON sec.id = ss.section_id \
                 WHERE s.event_id = $1 ORDER BY sec.position",
            )
        } else {
            (
                "SELECT * FROM event_sessions WHERE id = $1",
                "SELECT c.id, c.session_id, c.name, c.price_cents FROM seat_categories c \
                 WHERE c.session_id = $1 ORDER BY c.position",
                "SELECT ss.category_id, ss.section_id FROM session_sections ss \
                 JOIN sections sec ON sec.id = ss.section_id WHERE ss.session_id = $1 ORDER BY sec.position",
            )
        };
        let session_rows = sqlx::query(sessions_sql).bind(id).fetch_all(pool).await?;
        if session_rows.is_empty() {
            return Ok(Vec::new());
        }
        let category_rows = sqlx::query(categories_sql).bind(id).fetch_all(pool).await?;
        let mapping_rows = sqlx::query(sections_sql).bind(id).fetch_all(pool).await?;
        let mut sections_by_category: HashMap<Uuid, Vec<SectionId>> = HashMap::new();
        for row in &mapping_rows {
            sections_by_category
                .entry(row.try_get("category_id")?)
                .or_default()
                .push(SectionId(row.try_get("section_id")?));
        }
        let mut categories_by_session: HashMap<Uuid, Vec<SeatCategory>> = HashMap::new();
        for row in &category_rows {
            let category_id: Uuid = row.try_get("id")?;
            categories_by_session
                .entry(row.try_get("session_id")?)
                .or_default()
                .push(SeatCategory {
                    id: CategoryId(category_id),
                    name: row.try_get("name")?,
                    price_cents: row.try_get("price_cents")?,
                    section_ids: sections_by_category
                        .remove(&category_id)
                        .unwrap_or_default(),
                });
        }
        session_rows
            .iter()
            .map(|row| {
                let session_id: Uuid = row.try_get("id")?;
                let currency: String = row.try_get("currency")?;
                Ok(EventSession {
                    id: SessionId(session_id),
                    event_id: EventId(row.try_get("event_id")?),
                    starts_at: from_micros(row.try_get("starts_at")?),
                    sales_start_at: from_micros(row.try_get("sales_start_at")?),
                    max_tickets_per_user: row.try_get("max_tickets_per_user")?,
                    hold_seconds: row.try_get("hold_seconds")?,
                    queue: queue_settings_from_row(row)?,
                    currency: Currency::parse(&currency)
                        .map_err(|_| corrupt("event_sessions.currency"))?,
                    categories: categories_by_session
                        .remove(&session_id)
                        .unwrap_or_default(),
                    created_at: from_micros(row.try_get("created_at")?),
                })
            })
            .collect()
    }

    async fn product_event_ids(
        &self,
        product_ids: &[Uuid],
    ) -> Result<HashMap<Uuid, Vec<EventId>>, sqlx::Error> {
        let mut by_product: HashMap<Uuid, Vec<EventId>> = HashMap::new();
        if product_ids.is_empty() {
            return Ok(by_product);
        }
        let mut query = QueryBuilder::<Db>::new(
            "SELECT product_id, event_id FROM product_events WHERE product_id IN (",
        );
        let mut list = query.separated(", ");
        for id in product_ids {
            list.push_bind(*id);
        }
        query.push(") ORDER BY event_id");
        for row in query.build().fetch_all(self.reader()).await? {
            by_product
                .entry(row.try_get("product_id")?)
                .or_default()
                .push(EventId(row.try_get("event_id")?));
        }
        Ok(by_product)
    }
}

/// Ends a write transaction by what it came to: committed, or rolled back before a refusal is
/// answered. A dropped PostgreSQL transaction lets go of its row locks only once its connection
/// is used again; until then other writers wait for those rows and `SKIP LOCKED` work (the hold
/// sweeper) passes over them.
pub(super) async fn finish<T>(tx: Tx, outcome: StoreResult<T>) -> StoreResult<T> {
    match outcome {
        Ok(value) => {
            tx.commit().await?;
            Ok(value)
        }
        Err(refused) => {
            tx.rollback().await?;
            Err(refused)
        }
    }
}

/// Lays a product's stock out in slices (`split_into_slices`), replacing any it had.
async fn set_stock(tx: &mut Tx, product: ProductId, stock: i64) -> Result<(), sqlx::Error> {
    // Orders taking stock hold a slice until they commit: this waits for them.
    sqlx::query("DELETE FROM product_stock WHERE product_id = $1")
        .bind(product.0)
        .execute(&mut **tx)
        .await?;
    let mut insert =
        QueryBuilder::<Db>::new("INSERT INTO product_stock (product_id, slice, stock) ");
    insert.push_values(
        split_into_slices(stock).into_iter().zip(0i32..),
        |mut values, (units, slice)| {
            values
                .push_bind(product.0)
                .push_bind(slice)
                .push_bind(units);
        },
    );
    insert.build().execute(&mut **tx).await?;
    Ok(())
}

/// Lays out the places of a new session's standing sections in slices (`split_into_slices`).
async fn lay_out_standing_places(tx: &mut Tx, session: Uuid) -> Result<(), sqlx::Error> {
    let sections = sqlx::query(
        "SELECT ss.section_id, ss.capacity FROM session_sections ss JOIN sections sec ON sec.id = ss.section_id \
         WHERE ss.session_id = $1 AND sec.kind = 'standing'",
    )
    .bind(session)
    .fetch_all(&mut **tx)
    .await?;
    let mut slices = Vec::new();
    for row in &sections {
        let section: Uuid = row.try_get("section_id")?;
        let capacity: i64 = row.try_get("capacity")?;
        slices.extend(
            split_into_slices(capacity)
                .into_iter()
                .zip(0i32..)
                .map(|(places, slice)| (section, slice, places)),
        );
    }
    for chunk in slices.chunks(1_000) {
        let mut insert = QueryBuilder::<Db>::new(
            "INSERT INTO standing_slices (session_id, section_id, slice, capacity) ",
        );
        insert.push_values(chunk, |mut values, (section, slice, places)| {
            values
                .push_bind(session)
                .push_bind(*section)
                .push_bind(*slice)
                .push_bind(*places);
        });
        insert.build().execute(&mut **tx).await?;
    }
    Ok(())
}

async fn insert_product_events(
    tx: &mut Tx,
    product: ProductId,
    events: &[EventId],
) -> Result<(), sqlx::Error> {
    for event in events {
        sqlx::query("INSERT INTO product_events (product_id, event_id) VALUES ($1, $2)")
            .bind(product.0)
            .bind(event.0)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

pub(super) fn parse_cursor_uuid(page: &PageRequest) -> StoreResult<Option<Uuid>> {
    page.after
        .as_deref()
        .map(|key| Uuid::parse_str(key).map_err(|_| StoreError::InvalidCursor))
        .transpose()
}

// ---------------------------------------------------------------------------------------------
// The interface

impl ThisBackend {
    /// A seated section's seats in seat order, given their status letters in id order.
    async fn seats_with_statuses(
        &self,
        section: Uuid,
        letters_by_id: &[u8],
    ) -> Result<Vec<SeatView>, sqlx::Error> {
        let layout = self.section_layout(section).await?;
        let letters = layout
            .in_seat_order(letters_by_id)
            .ok_or_else(|| corrupt("session_seats"))?;
        layout
            .seats
            .iter()
            .zip(letters)
            .map(|(seat, letter)| {
                Ok(SeatView {
                    id: seat.id,
                    row: seat.row.clone(),
                    number: seat.number,
                    status: SeatStatus::from_letter(letter)
                        .ok_or_else(|| corrupt("session_seats.status"))?,
                })
            })
            .collect()
    }

    /// Forgets the kept logins of sessions that just ended (rows of their `token_hash`).
    fn forget_logins(&self, ended: &[DbRow]) -> Result<(), sqlx::Error> {
        for row in ended {
            self.caches
                .logins
                .forget(row.try_get::<&[u8], _>("token_hash")?);
        }
        Ok(())
    }

    /// The seats of a section in seat order, from memory after the first read.
    async fn section_layout(&self, section: Uuid) -> Result<Layout, sqlx::Error> {
        let stamp = match self.caches.layouts.get(&section) {
            Ok(layout) => return Ok(layout),
            Err(stamp) => stamp,
        };
        let rows = sqlx::query(
            "SELECT id, row_label, number FROM seats WHERE section_id = $1 ORDER BY row_position, number",
        )
        .bind(section)
        .fetch_all(self.reader())
        .await?;
        let layout: Layout = std::sync::Arc::new(SectionSeats::new(
            rows.iter()
                .map(|row| {
                    Ok(LaidOutSeat {
                        id: SeatId(row.try_get("id")?),
                        row: row.try_get("row_label")?,
                        number: row.try_get("number")?,
                    })
                })
                .collect::<Result<_, sqlx::Error>>()?,
        ));
        self.caches.layouts.put(stamp, section, &layout);
        Ok(layout)
    }
}

#[async_trait]
impl Store for ThisBackend {
    fn backend(&self) -> Backend {
        ThisBackend::backend()
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(self.reader()).await?;
        Ok(())
    }

    #[tracing::instrument(skip_all, fields(backend = ThisBackend::backend().as_str()))]
    async fn create_user(&self, user: NewUser, audit: Option<&AuditContext>) -> StoreResult<User> {
        let id = UserId::new();
        let mut tx = self.begin_write().await?;
        let inserted = sqlx::query(
            "INSERT INTO users (id, email, email_normalized, name, name_normalized, password_hash, roles, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id.0)
        .bind(&user.email)
        .bind(&user.email_normalized)
        .bind(&user.name)
        .bind(user.name.to_lowercase())
        .bind(&user.password_hash)
        .bind(user.roles.bits())
        .bind(to_micros(user.created_at))
        .execute(&mut *tx)
        .await;
        match inserted {
            Err(error) if is_unique_violation(&error) => return Err(StoreError::EmailTaken),
            other => other?,
        };
        let created = User {
            id,
            email: user.email,
            name: user.name,
            roles: user.roles.to_vec(),
            created_at: from_micros(to_micros(user.created_at)),
        };
        if let Some(context) = audit {
            append_audit(
                &mut tx,
                context,
                user.created_at,
                Change {
                    action: "user.created",
                    target_type: "user",
                    target_id: id.to_string(),
                    before: None,
                    after: to_json(&created),
                },
            )
            .await?;
        }
        tx.commit().await?;
        Ok(created)
    }

    async fn find_credentials(&self, email_normalized: &str) -> StoreResult<Option<Credentials>> {
        let row = sqlx::query(concat!(
            "SELECT ",
            user_columns!(""),
            ", password_hash FROM users WHERE email_normalized = $1"
        ))
        .bind(email_normalized)
        .fetch_optional(self.reader())
        .await?;
        row.map(|row| {
            Ok(Credentials {
                user: user_from_row(&row)?,
                password_hash: row.try_get("password_hash")?,
            })
        })
        .transpose()
        .map_err(|error: sqlx::Error| error.into())
    }

    async fn get_user(&self, id: UserId) -> StoreResult<Option<User>> {
        let row = sqlx::query(concat!(
            "SELECT ",
            user_columns!(""),
            " FROM users WHERE id = $1"
        ))
        .bind(id.0)
        .fetch_optional(self.reader())
        .await?;
        Ok(row.as_ref().map(user_from_row).transpose()?)
    }

    #[tracing::instrument(skip_all, fields(backend = ThisBackend::backend().as_str()))]
    async fn set_roles(&self, id: UserId, roles: Roles, audit: &AuditContext) -> StoreResult<User> {
        let mut tx = self.begin_write().await?;
        let before = sqlx::query(AssertSqlSafe(format!(
            "SELECT {} FROM users WHERE id = $1{}",
            user_columns!(""),
            ThisBackend::LOCK_ROW
        )))
        .bind(id.0)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound)?;
        let before = user_from_row(&before)?;
        sqlx::query("UPDATE users SET roles = $1 WHERE id = $2")
            .bind(roles.bits())
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
        let after = User {
            roles: roles.to_vec(),
            ..before.clone()
        };
        append_audit(
            &mut tx,
            audit,
            OffsetDateTime::now_utc(),
            Change {
                action: "user.roles_changed",
                target_type: "user",
                target_id: id.to_string(),
                before: to_json(&serde_json::json!({ "roles": before.roles })),
                after: to_json(&serde_json::json!({ "roles": after.roles })),
            },
        )
        .await?;
        tx.commit().await?;
        // Caches logins carry their user's roles; a change of roles is rare.
        self.caches.logins.forget_all();
        Ok(after)
    }

    async fn list_users(
        &self,
        prefix: Option<&str>,
        page: &PageRequest,
    ) -> StoreResult<Page<User>> {
        let after = parse_cursor_uuid(page)?;
        let mut query = QueryBuilder::<Db>::new(concat!(
            "SELECT ",
            user_columns!(""),
            " FROM users WHERE 1 = 1"
        ));
        if let Some(prefix) = prefix.map(str::to_lowercase).filter(|p| !p.is_empty()) {
            // A range on the normalised columns is a prefix match that uses their B-trees.
            let upper = format!("{prefix}\u{10FFFF}");
            query.push(" AND ((email_normalized >= ");
            query.push_bind(prefix.clone());
            query.push(" AND email_normalized < ");
            query.push_bind(upper.clone());
            query.push(") OR (name_normalized >= ");
            query.push_bind(prefix);
            query.push(" AND name_normalized < ");
            query.push_bind(upper);
            query.push("))");
        }
        if let Some(after) = after {
            query.push(" AND id > ");
            query.push_bind(after);
        }
        query.push(" ORDER BY id LIMIT ");
        query.push_bind(page.limit + 1);
        let rows = query.build().fetch_all(self.reader()).await?;
        let users = rows
            .iter()
            .map(user_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_rows(users, page.limit, |user| {
            user.id.to_string()
        }))
    }

    #[tracing::instrument(skip_all, fields(backend = ThisBackend::backend().as_str()))]
    async fn start_login_session(&self, session: NewLoginSession) -> StoreResult<LoginSession> {
        let created_at = to_micros(session.created_at);
        let expires_at = to_micros(session.expires_at);
        // A concurrent login of the same user or device can win the unique index between our
        // UPDATE and INSERT; ending it in a fresh transaction then makes ours the only one.
        for attempt in 0..3 {
            let mut tx = self.begin_write().await?;
            let replaced = sqlx::query(
                "UPDATE login_sessions SET ended_at = $1, end_reason = 'replaced' \
                 WHERE ended_at IS NULL AND (user_id = $2 OR device_id = $3) RETURNING token_hash",
            )
            .bind(created_at)
            .bind(session.user_id.0)
            .bind(&session.device_id)
            .fetch_all(&mut *tx)
            .await?;
            let id = LoginSessionId::new();
            let inserted = sqlx::query(
                "INSERT INTO login_sessions (id, user_id, token_hash, device_id, ip, user_agent, \
                 created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(id.0)
            .bind(session.user_id.0)
            .bind(&session.token_hash)
            .bind(&session.device_id)
            .bind(&session.ip)
            .bind(&session.user_agent)
            .bind(created_at)
            .bind(expires_at)
            .execute(&mut *tx)
            .await;
            match inserted {
                Err(error) if is_unique_violation(&error) && attempt < 2 => continue,
                other => other?,
            };
            tx.commit().await?;
            self.forget_logins(&replaced)?;
            return Ok(LoginSession {
                id,
                user_id: session.user_id,
                device_id: session.device_id,
                ip: session.ip,
                user_agent: session.user_agent,
                created_at: from_micros(created_at),
                expires_at: from_micros(expires_at),
                ended_at: None,
                end_reason: None,
            });
        }
        Err(StoreError::database(
            "login kept colliding with concurrent logins",
        ))
    }

    async fn find_login_session(
        &self,
        token_hash: &[u8],
    ) -> StoreResult<Option<(LoginSession, User)>> {
        let stamp = match self.caches.logins.get(token_hash) {
            Ok(login) => return Ok(Some(login)),
            Err(stamp) => stamp,
        };
        let row = sqlx::query(
            "SELECT s.id, s.user_id, s.device_id, s.ip, s.user_agent, s.created_at, s.expires_at, \
             s.ended_at, s.end_reason, u.email, u.name, u.roles, u.created_at AS user_created_at \
             FROM login_sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(self.reader())
        .await?;
        let Some(row) = row else { return Ok(None) };
        let session = login_session_from_row(&row)?;
        let user = User {
            id: session.user_id,
            email: row.try_get("email")?,
            name: row.try_get("name")?,
            roles: Roles::from_bits(row.try_get("roles")?).to_vec(),
            created_at: from_micros(row.try_get("user_created_at")?),
        };
        let login = (session, user);
        self.caches.logins.put(stamp, token_hash.to_vec(), &login);
        Ok(Some(login))
    }

    async fn create_logged_in_buyers(
        &self,
        buyers: Vec<(NewUser, NewLoginSession)>,
        audit: &AuditContext,
    ) -> StoreResult<Vec<User>> {
        let mut tx = self.begin_write().await?;
        let mut created = Vec::with_capacity(buyers.len());
        for chunk in buyers.chunks(500) {
            let ids: Vec<UserId> = chunk.iter().map(|_| UserId::new()).collect();
            let mut users = QueryBuilder::<Db>::new(
                "INSERT INTO users (id, email, email_normalized, name, name_normalized, password_hash, roles, created_at) ",
            );
            users.push_values(chunk.iter().zip(&ids), |mut values, ((user, _), id)| {
                values
                    .push_bind(id.0)
                    .push_bind(user.email.clone())
                    .push_bind(user.email_normalized.clone())
                    .push_bind(user.name.clone())
                    .push_bind(user.name.to_lowercase())
                    .push_bind(user.password_hash.clone())
                    .push_bind(user.roles.bits())
                    .push_bind(to_micros(user.created_at));
            });
            match users.build().execute(&mut *tx).await {
                Err(error) if is_unique_violation(&error) => return Err(StoreError::EmailTaken),
                other => other?,
            };
            let mut sessions = QueryBuilder::<Db>::new(
                "INSERT INTO login_sessions (id, user_id, token_hash, device_id, ip, user_agent, created_at, expires_at) ",
            );
            sessions.push_values(chunk.iter().zip(&ids), |mut values, ((_, session), id)| {
                values
                    .push_bind(LoginSessionId::new().0)
                    .push_bind(id.0)
                    .push_bind(session.token_hash.clone())
                    .push_bind(session.device_id.clone())
                    .push_bind(session.ip.clone())
                    .push_bind(session.user_agent.clone())
                    .push_bind(to_micros(session.created_at))
                    .push_bind(to_micros(session.expires_at));
            });
            sessions.build().execute(&mut *tx).await?;
            for ((user, _), id) in chunk.iter().zip(ids) {
                created.push(User {
                    id,
                    email: user.email.clone(),
                    name: user.name.clone(),
                    roles: user.roles.to_vec(),
                    created_at: from_micros(to_micros(user.created_at)),
                });
            }
        }
        let summary = serde_json::json!({ "buyers": created.len() });
        let at = buyers
            .first()
            .map_or_else(OffsetDateTime::now_utc, |(user, _)| user.created_at);
        let change = Change {
            action: "loadtest.buyers_created",
            target_type: "user",
            target_id: format!("{} accounts", created.len()),
            before: None,
            after: to_json(&summary),
        };
        append_audit(&mut tx, audit, at, change).await?;
        tx.commit().await?;
        Ok(created)
    }

    async fn end_login_session(&self, id: LoginSessionId, at: OffsetDateTime) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        let ended = sqlx::query(
            "UPDATE login_sessions SET ended_at = $1, end_reason = 'logged_out' WHERE id = $2 AND ended_at IS NULL \
             RETURNING token_hash",
        )
        .bind(to_micros(at))
        .bind(id.0)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        self.forget_logins(&ended)?;
        Ok(())
    }

    async fn list_login_sessions(&self, user_id: UserId) -> StoreResult<Vec<LoginSession>> {
        let rows = sqlx::query(
            "SELECT id, user_id, device_id, ip, user_agent, created_at, expires_at, ended_at, end_reason \
             FROM login_sessions WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT 100",
        )
        .bind(user_id.0)
        .fetch_all(self.reader())
        .await?;
        Ok(rows
            .iter()
            .map(login_session_from_row)
            .collect::<Result<_, _>>()?)
    }

    #[tracing::instrument(skip_all, fields(backend = ThisBackend::backend().as_str()))]
    async fn create_venue(
        &self,
        owner: UserId,
        venue: NewVenue,
        at: OffsetDateTime,
        audit: &AuditContext,
    ) -> StoreResult<Venue> {
        let id = VenueId::new();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO venues (id, owner_id, name, city, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id.0)
        .bind(owner.0)
        .bind(&venue.name)
        .bind(&venue.city)
        .bind(to_micros(at))
        .execute(&mut *tx)
        .await?;
        let mut sections = Vec::with_capacity(venue.sections.len());
        // (id, section, row position, row label, number) of every seat, inserted in chunks.
        let mut seats: Vec<(Uuid, Uuid, i64, &str, i64)> = Vec::new();
        for (position, section) in venue.sections.iter().enumerate() {
            let section_id = SectionId::new();
            let (kind, rows) = match &section.layout {
                SectionLayout::Seated { rows } => (SectionKind::Seated, rows.as_slice()),
                SectionLayout::Standing { .. } => (SectionKind::Standing, [].as_slice()),
            };
            sqlx::query(
                "INSERT INTO sections (id, venue_id, position, name, kind, capacity) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(section_id.0)
            .bind(id.0)
            .bind(position as i64)
            .bind(&section.name)
            .bind(kind.as_str())
            .bind(section.capacity())
            .execute(&mut *tx)
            .await?;
            for (row_position, (label, count)) in rows.iter().enumerate() {
                for number in 1..=*count {
                    seats.push((
                        Uuid::now_v7(),
                        section_id.0,
                        row_position as i64,
                        label,
                        number,
                    ));
                }
            }
            sections.push(Section {
                id: section_id,
                name: section.name.clone(),
                kind,
                capacity: section.capacity(),
                rows: rows
                    .iter()
                    .map(|(label, seats)| RowSummary {
                        label: label.clone(),
                        seats: *seats,
                    })
                    .collect(),
            });
        }
        for chunk in seats.chunks(INSERT_CHUNK) {
            let mut insert = QueryBuilder::<Db>::new(
                "INSERT INTO seats (id, section_id, row_position, row_label, number) ",
            );
            insert.push_values(
                chunk,
                |mut values, (seat, section, row_position, label, number)| {
                    values
                        .push_bind(*seat)
                        .push_bind(*section)
                        .push_bind(*row_position)
                        .push_bind(*label)
                        .push_bind(*number);
                },
            );
            insert.build().execute(&mut *tx).await?;
        }
        let created = Venue {
            id,
            owner_id: owner,
            name: venue.name,
            city: venue.city,
            sections,
            created_at: from_micros(to_micros(at)),
        };
        append_audit(
            &mut tx,
            audit,
            at,
            Change {
                action: "venue.created",
                target_type: "venue",
                target_id: id.to_string(),
                before: None,
                after: to_json(&created),
            },
        )
        .await?;
        tx.commit().await?;
        self.refresh_statistics("sections, seats").await;
        Ok(created)
    }

    async fn get_venue(&self, id: VenueId) -> StoreResult<Option<Venue>> {
        Ok(self.venue_by_id(id.0).await?)
    }

    #[tracing::instrument(skip_all, fields(backend = ThisBackend::backend().as_str()))]
    async fn create_event(
        &self,
        owner: UserId,
        event: EventFields,
        at: OffsetDateTime,
        audit: &AuditContext,
    ) -> StoreResult<Event> {
        let id = EventId::new();
        let at = from_micros(to_micros(at));
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO events (id, owner_id, venue_id, title, description, category, tags, status, \
             sort_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)",
        )
        .bind(id.0)
        .bind(owner.0)
        .bind(event.venue_id.0)
        .bind(&event.title)
        .bind(&event.description)
        .bind(&event.category)
        .bind(event.tags.join(" "))
        .bind(event.status.as_str())
        .bind(i64::MAX)
        .bind(to_micros(at))
        .execute(&mut *tx)
        .await?;
        let created = Event {
            id,
            owner_id: owner,
            venue_id: event.venue_id,
            title: event.title,
            description: event.description,
            category: event.category,
            tags: event.tags,
            status: event.status,
            created_at: at,
            updated_at: at,
        };
        append_audit(
            &mut tx,
            audit,
            at,
            Change {
                action: "event.created",
                target_type: "event",
                target_id: id.to_string(),
                before: None,
                after: to_json(&created),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(created)
    }

    #[tracing::instrument(skip_all, fields(backend = ThisBackend::backend().as_str()))]
    async fn update_event(
        &self,
        id: EventId,
        event: EventFields,
        at: OffsetDateTime,
        audit: &AuditContext,
    ) -> StoreResult<Event> {
        let at = from_micros(to_micros(at));
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {} FROM events e WHERE e.id = $1{}",
            event_columns!(),
            ThisBackend::LOCK_ROW
        )))
        .bind(id.0)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound)?;
        let before = event_from_row(&row)?;
        if event.venue_id != before.venue_id {
            let sessions: i64 =
                sqlx::query("SELECT COUNT(*) AS n FROM event_sessions WHERE event_id = $1")
                    .bind(id.0)
                    .fetch_one(&mut *tx)
                    .await?
                    .try_get("n")?;
            if sessions > 0 {
                return Err(StoreError::Refused(Refusal::EventHasSessions));
            }
        }
        sqlx::query(
            "UPDATE events SET venue_id = $1, title = $2, description = $3, category = $4, tags = $5, \
             status = $6, updated_at = $7 WHERE id = $8",
        )
        .bind(event.venue_id.0)
        .bind(&event.title)
        .bind(&event.description)
        .bind(&event.category)
        .bind(event.tags.join(" "))
        .bind(event.status.as_str())
        .bind(to_micros(at))
        .bind(id.0)
        .execute(&mut *tx)
        .await?;
        let after = Event {
            venue_id: event.venue_id,
            title: event.title,
            description: event.description,
            category: event.category,
            tags: event.tags,
            status: event.status,
            updated_at: at,
            ..before.clone()
        };
        append_audit(
            &mut tx,
            audit,
            at,
            Change {
                action: "event.updated",
                target_type: "event",
                target_id: id.to_string(),
                before: to_json(&before),
                after: to_json(&after),
            },
        )
        .await?;
        tx.commit().await?;
        self.caches.events.forget(&id.0);
        Ok(after)
    }

    async fn get_event(&self, id: EventId) -> StoreResult<Option<Event>> {
        let stamp = match self.caches.events.get(&id.0) {
            Ok(event) => return Ok(Some(event)),
            Err(stamp) => stamp,
        };
        let row = sqlx::query(concat!(
            "SELECT ",
            event_columns!(),
            " FROM events e WHERE e.id = $1"
        ))
        .bind(id.0)
        .fetch_optional(self.reader())
        .await?;
        let event = row.as_ref().map(event_from_row).transpose()?;
        if let Some(event) = &event {
            self.caches.events.put(stamp, id.0, event);
        }
        Ok(event)
    }

    async fn list_events(
        &self,
        filter: &EventQuery,
        page: &PageRequest,
    ) -> StoreResult<Page<Event>> {
        let after = page
            .after
            .as_deref()
            .map(|key| {
                let (sort_at, id) = key.split_once(':').ok_or(StoreError::InvalidCursor)?;
                Ok::<_, StoreError>((
                    sort_at
                        .parse::<i64>()
                        .map_err(|_| StoreError::InvalidCursor)?,
                    Uuid::parse_str(id).map_err(|_| StoreError::InvalidCursor)?,
                ))
            })
            .transpose()?;
        let mut query = QueryBuilder::<Db>::new(concat!(
            "SELECT ",
            event_columns!(),
            " FROM events e WHERE 1 = 1"
        ));
        if !filter.include_drafts {
            query.push(" AND e.status = 'published'");
        }
        if let Some(category) = &filter.category {
            query.push(" AND e.category = ");
            query.push_bind(category.to_lowercase());
        }
        if !filter.terms.is_empty() {
            ThisBackend::push_search(&mut query, &filter.terms);
        }
        if filter.from.is_some() || filter.to.is_some() {
            query.push(" AND EXISTS (SELECT 1 FROM event_sessions s WHERE s.event_id = e.id");
            if let Some(from) = filter.from {
                query.push(" AND s.starts_at >= ");
                query.push_bind(to_micros(from));
            }
            if let Some(to) = filter.to {
                query.push(" AND s.starts_at < ");
                query.push_bind(to_micros(to));
            }
            query.push(")");
        }
        if let Some((sort_at, id)) = after {
            query.push(" AND (e.sort_at > ");
            query.push_bind(sort_at);
            query.push(" OR (e.sort_at = ");
            query.push_bind(sort_at);
            query.push(" AND e.id > ");
            query.push_bind(id);
            query.push("))");
        }
        query.push(" ORDER BY e.sort_at, e.id LIMIT ");
        query.push_bind(page.limit + 1);
        let rows = query.build().fetch_all(self.reader()).await?;
        let mut keyed = Vec::with_capacity(rows.len());
        for row in &rows {
            keyed.push((row.try_get::<i64, _>("sort_at")?, event_from_row(row)?));
        }
        let page = Page::from_rows(keyed, page.limit, |(sort_at, event)| {
            format!("{sort_at}:{}", event.id)
        });
        Ok(Page {
            items: page.items.into_iter().map(|(_, event)| event).collect(),
            next_cursor: page.next_cursor,
        })
    }

    #[tracing::instrument(skip_all, fields(backend = ThisBackend::backend().as_str()))]
    async fn create_session(
        &self,
        event_id: EventId,
        session: NewSession,
        at: OffsetDateTime,
        audit: &AuditContext,
    ) -> StoreResult<EventSession> {
        let id = SessionId::new();
        let at = from_micros(to_micros(at));
        let mut tx = self.begin_write().await?;
        // Locking the event keeps its venue fixed while the inventory is laid out.
        let venue_id: Uuid = sqlx::query(AssertSqlSafe(format!(
            "SELECT venue_id FROM events WHERE id = $1{}",
            ThisBackend::LOCK_ROW
        )))
        .bind(event_id.0)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound)?
        .try_get("venue_id")?;
        sqlx::query(
            "INSERT INTO event_sessions (id, event_id, starts_at, sales_start_at, max_tickets_per_user, \
             hold_seconds, queue_enabled, admit_per_minute, currency, created_at, queue_paused, queue_max_active, \
             queue_pow_bits) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(id.0)
        .bind(event_id.0)
        .bind(to_micros(session.starts_at))
        .bind(to_micros(session.sales_start_at))
        .bind(session.max_tickets_per_user)
        .bind(session.hold_seconds)
        .bind(session.queue.enabled)
        .bind(session.queue.admit_per_minute)
        .bind(session.currency.as_str())
        .bind(to_micros(at))
        .bind(session.queue.paused)
        .bind(session.queue.max_active)
        .bind(session.queue.proof_of_work_bits)
        .execute(&mut *tx)
        .await?;
        let mut categories = Vec::with_capacity(session.categories.len());
        for (position, category) in session.categories.iter().enumerate() {
            let category_id = CategoryId::new();
            sqlx::query(
                "INSERT INTO seat_categories (id, session_id, position, name, price_cents) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(category_id.0)
            .bind(id.0)
            .bind(position as i64)
            .bind(&category.name)
            .bind(category.price_cents)
            .execute(&mut *tx)
            .await?;
            for section_id in &category.section_ids {
                let mapped = sqlx::query(
                    "INSERT INTO session_sections (session_id, section_id, category_id, capacity) \
                     SELECT $1, id, $2, capacity FROM sections WHERE id = $3 AND venue_id = $4",
                )
                .bind(id.0)
                .bind(category_id.0)
                .bind(section_id.0)
                .bind(venue_id)
                .execute(&mut *tx)
                .await?;
                if mapped.rows_affected() != 1 {
                    return Err(StoreError::Refused(Refusal::SectionNotOfVenue {
                        section: *section_id,
                    }));
                }
            }
            categories.push(SeatCategory {
                id: category_id,
                name: category.name.clone(),
                price_cents: category.price_cents,
                section_ids: category.section_ids.clone(),
            });
        }
        lay_out_standing_places(&mut tx, id.0).await?;
        sqlx::query(
            "INSERT INTO session_seats (session_id, seat_id, section_id) \
             SELECT ss.session_id, st.id, st.section_id FROM session_sections ss \
             JOIN seats st ON st.section_id = ss.section_id WHERE ss.session_id = $1",
        )
        .bind(id.0)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE events SET sort_at = CASE WHEN sort_at > $1 THEN $1 ELSE sort_at END WHERE id = $2")
            .bind(to_micros(session.starts_at))
            .bind(event_id.0)
            .execute(&mut *tx)
            .await?;
        let created = EventSession {
            id,
            event_id,
            starts_at: from_micros(to_micros(session.starts_at)),
            sales_start_at: from_micros(to_micros(session.sales_start_at)),
            max_tickets_per_user: session.max_tickets_per_user,
            hold_seconds: session.hold_seconds,
            queue: session.queue,
            currency: session.currency,
            categories,
            created_at: at,
        };
        append_audit(
            &mut tx,
            audit,
            at,
            Change {
                action: "session.created",
                target_type: "session",
                target_id: id.to_string(),
                before: None,
                after: to_json(&created),
            },
        )
        .await?;
        tx.commit().await?;
        self.caches.events.forget(&event_id.0);
        self.refresh_statistics("session_seats, session_sections")
            .await;
        Ok(created)
    }

    async fn get_session(&self, id: SessionId) -> StoreResult<Option<EventSession>> {
        let stamp = match self.caches.sessions.get(&id.0) {
            Ok(session) => return Ok(Some(session)),
            Err(stamp) => stamp,
        };
        let session = self.load_sessions(false, id.0).await?.into_iter().next();
        if let Some(session) = &session {
            self.caches.sessions.put(stamp, id.0, session);
        }
        Ok(session)
    }

    async fn list_event_sessions(&self, event_id: EventId) -> StoreResult<Vec<EventSession>> {
        Ok(self.load_sessions(true, event_id.0).await?)
    }

    async fn seat_map(
        &self,
        id: SessionId,
        section: Option<SectionId>,
        now: OffsetDateTime,
    ) -> StoreResult<Option<SeatMap>> {
        let now = to_micros(now);
        // One row per section. A seated section's seats come as one string of status letters in
        // the order of the seats' ids (`a`vailable, `h`eld, `s`old), a held seat whose hold has
        // lapsed counting as available; the kept layout puts them in seat order, so the seats
        // table is not read. Filters are appended only when asked for: `($2 IS NULL OR ...)`
        // would keep the planner from using an index and read the whole venue for one section.
        let mut query = QueryBuilder::<Db>::new(
            "SELECT ss.section_id, sec.name, sec.kind, ss.category_id, c.price_cents, ss.capacity, \
             CAST(COALESCE((SELECT SUM(sl.held + sl.sold) FROM standing_slices sl \
             WHERE sl.session_id = ss.session_id AND sl.section_id = ss.section_id), 0) AS BIGINT) AS taken, \
             (SELECT string_agg(CASE WHEN seat.status = 'sold' THEN 's' WHEN seat.status = 'held' \
             AND seat.held_until > ",
        );
        query
            .push_bind(now)
            .push(" THEN 'h' ELSE 'a' END, '' ORDER BY seat.seat_id) FROM ")
            .push(ThisBackend::SEATS_BY_SECTION)
            .push(
                " WHERE seat.session_id = ss.session_id AND seat.section_id = ss.section_id) AS statuses \
                 FROM session_sections ss JOIN sections sec ON sec.id = ss.section_id \
                 JOIN seat_categories c ON c.id = ss.category_id WHERE ss.session_id = ",
            )
            .push_bind(id.0);
        if let Some(section) = section {
            query.push(" AND ss.section_id = ").push_bind(section.0);
        }
        query.push(" ORDER BY sec.position");
        let rows = query.build().fetch_all(self.reader()).await?;
        if rows.is_empty() {
            // Every session has at least one section on sale, so none means no such session.
            return Ok(None);
        }
        let mut sections = Vec::with_capacity(rows.len());
        for row in &rows {
            let section_id: Uuid = row.try_get("section_id")?;
            let kind: String = row.try_get("kind")?;
            let kind = SectionKind::parse(&kind).ok_or_else(|| corrupt("sections.kind"))?;
            let capacity: i64 = row.try_get("capacity")?;
            let (available, seats) = match kind {
                SectionKind::Seated => {
                    let letters: Option<String> = row.try_get("statuses")?;
                    let seats = self
                        .seats_with_statuses(section_id, letters.unwrap_or_default().as_bytes())
                        .await?;
                    let available = seats
                        .iter()
                        .filter(|s| s.status == SeatStatus::Available)
                        .count();
                    (available as i64, Some(seats))
                }
                SectionKind::Standing => (capacity - row.try_get::<i64, _>("taken")?, None),
            };
            sections.push(SeatMapSection {
                id: SectionId(section_id),
                name: row.try_get("name")?,
                kind,
                category_id: CategoryId(row.try_get("category_id")?),
                price_cents: row.try_get("price_cents")?,
                capacity,
                available,
                seats,
            });
        }
        Ok(Some(SeatMap {
            session_id: id,
            sections,
        }))
    }

    #[tracing::instrument(skip_all, fields(backend = ThisBackend::backend().as_str()))]
    async fn create_product(
        &self,
        owner: UserId,
        product: ProductFields,
        at: OffsetDateTime,
        audit: &AuditContext,
    ) -> StoreResult<Product> {
        let id = ProductId::new();
        let at = from_micros(to_micros(at));
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO products (id, owner_id, name, description, price_cents, currency, tags, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
        )
        .bind(id.0)
        .bind(owner.0)
        .bind(&product.name)
        .bind(&product.description)
        .bind(product.price_cents)
        .bind(product.currency.as_str())
        .bind(product.tags.join(" "))
        .bind(to_micros(at))
        .execute(&mut *tx)
        .await?;
        let stock = product.stock.unwrap_or(0);
        set_stock(&mut tx, id, stock).await?;
        insert_product_events(&mut tx, id, &product.event_ids).await?;
        let created = Product {
            id,
            owner_id: owner,
            name: product.name,
            description: product.description,
            price_cents: product.price_cents,
            currency: product.currency,
            stock,
            tags: product.tags,
            event_ids: product.event_ids,
            created_at: at,
            updated_at: at,
        };
        append_audit(
            &mut tx,
            audit,
            at,
            Change {
                action: "product.created",
                target_type: "product",
                target_id: id.to_string(),
                before: None,
                after: to_json(&created),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(created)
    }

    #[tracing::instrument(skip_all, fields(backend = ThisBackend::backend().as_str()))]
    async fn update_product(
        &self,
        id: ProductId,
        product: ProductFields,
        at: OffsetDateTime,
        audit: &AuditContext,
    ) -> StoreResult<Product> {
        let at = from_micros(to_micros(at));
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {} FROM products p WHERE p.id = $1{}",
            product_columns!(),
            ThisBackend::LOCK_ROW
        )))
        .bind(id.0)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound)?;
        let event_ids = sqlx::query(
            "SELECT event_id FROM product_events WHERE product_id = $1 ORDER BY event_id",
        )
        .bind(id.0)
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|row| row.try_get("event_id").map(EventId))
        .collect::<Result<Vec<_>, _>>()?;
        let before = product_from_row(&row, event_ids)?;
        sqlx::query(
            "UPDATE products SET name = $1, description = $2, price_cents = $3, tags = $4, \
             updated_at = $5 WHERE id = $6",
        )
        .bind(&product.name)
        .bind(&product.description)
        .bind(product.price_cents)
        .bind(product.tags.join(" "))
        .bind(to_micros(at))
        .bind(id.0)
        .execute(&mut *tx)
        .await?;
        if product.event_ids != before.event_ids {
            sqlx::query("DELETE FROM product_events WHERE product_id = $1")
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
            insert_product_events(&mut tx, id, &product.event_ids).await?;
        }
        if let Some(stock) = product.stock {
            set_stock(&mut tx, id, stock).await?;
        }
        let after = Product {
            name: product.name,
            description: product.description,
            price_cents: product.price_cents,
            stock: product.stock.unwrap_or(before.stock),
            tags: product.tags,
            event_ids: product.event_ids,
            updated_at: at,
            ..before.clone()
        };
        append_audit(
            &mut tx,
            audit,
            at,
            Change {
                action: "product.updated",
                target_type: "product",
                target_id: id.to_string(),
                before: to_json(&before),
                after: to_json(&after),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    async fn get_product(&self, id: ProductId) -> StoreResult<Option<Product>> {
        let row = sqlx::query(concat!(
            "SELECT ",
            product_columns!(),
            " FROM products p WHERE p.id = $1"
        ))
        .bind(id.0)
        .fetch_optional(self.reader())
        .await?;
        let Some(row) = row else { return Ok(None) };
        let mut events = self.product_event_ids(&[id.0]).await?;
        Ok(Some(product_from_row(
            &row,
            events.remove(&id.0).unwrap_or_default(),
        )?))
    }

    async fn list_event_products(&self, event_id: EventId) -> StoreResult<Vec<Product>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            product_columns!(),
            " FROM products p JOIN product_events pe ON pe.product_id = p.id WHERE pe.event_id = $1 \
             ORDER BY p.name, p.id"
        ))
        .bind(event_id.0)
        .fetch_all(self.reader())
        .await?;
        let ids = rows
            .iter()
            .map(|row| row.try_get("id"))
            .collect::<Result<Vec<Uuid>, _>>()?;
        let mut events = self.product_event_ids(&ids).await?;
        Ok(rows
            .iter()
            .zip(ids)
            .map(|(row, id)| product_from_row(row, events.remove(&id).unwrap_or_default()))
            .collect::<Result<_, _>>()?)
    }

    async fn list_audit(
        &self,
        filter: &AuditQuery,
        page: &PageRequest,
    ) -> StoreResult<Page<AuditEntry>> {
        self.chain_queued_audit().await?;
        let before_seq = page
            .after
            .as_deref()
            .map(|key| key.parse::<i64>().map_err(|_| StoreError::InvalidCursor))
            .transpose()?;
        let mut query = QueryBuilder::<Db>::new("SELECT * FROM audit_log WHERE 1 = 1");
        if let Some(actor) = filter.actor_id {
            query.push(" AND actor_id = ");
            query.push_bind(actor.0);
        }
        if let Some(action) = &filter.action {
            query.push(" AND action = ");
            query.push_bind(action.clone());
        }
        if let Some(target) = &filter.target_id {
            query.push(" AND target_id = ");
            query.push_bind(target.clone());
        }
        if let Some(from) = filter.from {
            query.push(" AND at >= ");
            query.push_bind(to_micros(from));
        }
        if let Some(to) = filter.to {
            query.push(" AND at < ");
            query.push_bind(to_micros(to));
        }
        if let Some(seq) = before_seq {
            query.push(" AND seq < ");
            query.push_bind(seq);
        }
        query.push(" ORDER BY seq DESC LIMIT ");
        query.push_bind(page.limit + 1);
        let rows = query.build().fetch_all(self.reader()).await?;
        let records = rows
            .iter()
            .map(audit_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        let page = Page::from_rows(records, page.limit, |record| record.seq.to_string());
        Ok(Page {
            items: page.items.iter().map(AuditEntry::from).collect(),
            next_cursor: page.next_cursor,
        })
    }

    async fn verify_audit(&self) -> StoreResult<AuditVerification> {
        self.chain_queued_audit().await?;
        let pool = self.reader();
        // The head is read first: entries appended during the walk lie beyond it and are ignored.
        let head = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
            .fetch_one(pool)
            .await?;
        let head_seq: i64 = head.try_get("seq")?;
        let head_hash: Vec<u8> = head.try_get("hash")?;
        let mut verifier = ChainVerifier::default();
        let mut last = 0i64;
        loop {
            let rows = sqlx::query(
                "SELECT * FROM audit_log WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT 1000",
            )
            .bind(last)
            .bind(head_seq)
            .fetch_all(pool)
            .await?;
            let Some(tail) = rows.last() else { break };
            last = tail.try_get("seq")?;
            for row in &rows {
                verifier.check(&audit_from_row(row)?);
            }
        }
        Ok(verifier.finish(head_seq, &head_hash))
    }

    async fn chain_queued_audit(&self) -> StoreResult<u64> {
        let mut total = 0;
        loop {
            let chained = self.chain_audit_batch(500).await?;
            total += chained;
            if chained < 500 {
                return Ok(total);
            }
        }
    }
}

impl ThisBackend {
    /// Appends up to `limit` queued audit entries to the chain, in one transaction and one
    /// update of the head.
    async fn chain_audit_batch(&self, limit: i64) -> StoreResult<u64> {
        let mut tx = self.begin_write().await?;
        let queued = sqlx::query(AssertSqlSafe(format!(
            "SELECT * FROM audit_queue ORDER BY id LIMIT $1{}",
            ThisBackend::LOCK_SKIP
        )))
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
        if queued.is_empty() {
            return Ok(0);
        }
        let count = i64::try_from(queued.len()).unwrap_or(i64::MAX);
        // One head update for the whole batch: the head is locked once, not once per entry.
        let head =
            sqlx::query("UPDATE audit_head SET seq = seq + $1 WHERE id = 1 RETURNING seq, hash")
                .bind(count)
                .fetch_one(&mut *tx)
                .await?;
        let first_seq = head.try_get::<i64, _>("seq")? - count + 1;
        let mut prev_hash: Vec<u8> = head.try_get("hash")?;
        let mut records = Vec::with_capacity(queued.len());
        for (seq, row) in (first_seq..).zip(&queued) {
            let mut record = AuditRecord {
                seq,
                prev_hash: std::mem::take(&mut prev_hash),
                ..audit_content_from_row(row)?
            };
            record.hash = entry_hash(&record.prev_hash, &record).to_vec();
            prev_hash.clone_from(&record.hash);
            records.push(record);
        }
        let mut insert = QueryBuilder::<Db>::new(
            "INSERT INTO audit_log (seq, id, at, actor_id, action, target_type, target_id, ip, \
             before, after, prev_hash, hash) ",
        );
        insert.push_values(&records, |mut values, record| {
            values
                .push_bind(record.seq)
                .push_bind(record.id.0)
                .push_bind(record.at_micros)
                .push_bind(record.actor_id.map(|id| id.0))
                .push_bind(record.action.clone())
                .push_bind(record.target_type.clone())
                .push_bind(record.target_id.clone())
                .push_bind(record.ip.clone())
                .push_bind(record.before.clone())
                .push_bind(record.after.clone())
                .push_bind(record.prev_hash.clone())
                .push_bind(record.hash.clone());
        });
        insert.build().execute(&mut *tx).await?;
        sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
            .bind(&prev_hash)
            .execute(&mut *tx)
            .await?;
        let mut delete = QueryBuilder::<Db>::new("DELETE FROM audit_queue WHERE id IN (");
        let mut ids = delete.separated(", ");
        for record in &records {
            ids.push_bind(record.id.0);
        }
        delete.push(")");
        delete.build().execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(queued.len() as u64)
    }
}
