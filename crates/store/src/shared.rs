//! What the SQL of every area shares: row mappers, column lists, the audit append, inventory
//! layout helpers, `finish`. Like the area files (`accounts.rs`, `catalog.rs`, `audit.rs`,
//! `sales.rs`), it is compiled twice, as `postgres::shared` and `sqlite::shared`: there `Db`
//! names the backend's sqlx database, `Tx` its write transaction and `ThisBackend` its store
//! type, which provides what `dialect::Dialect` lists, and its `caches` (`cache.rs`). Every
//! statement here is valid on both: `$n` placeholders, instants as BIGINT microseconds, ids
//! bound as `Uuid` (UUID in PostgreSQL, a 16-byte BLOB in SQLite).

use super::{Db, ThisBackend, Tx};
use crate::cache::{LaidOutSeat, Layout, SectionSeats};
use crate::dialect::Dialect;
use crate::steps::{Arg, Steps};
use crate::{Backend, Store, StoreError, StoreResult};
use async_trait::async_trait;
use bilheteria_domain::account::{LoginSession, Roles, SessionEnd, User};
use bilheteria_domain::audit::{AuditContext, AuditRecord, entry_hash};
use bilheteria_domain::catalog::{
    Category, Currency, Event, EventSession, EventStatus, Product, QueueSettings, RowSummary,
    SeatCategory, SeatStatus, SeatView, Section, SectionKind, Venue,
};
use bilheteria_domain::clock::{from_micros, to_micros};
use bilheteria_domain::ids::{
    AuditEntryId, CategoryId, EventId, LoginSessionId, OrganizationId, OutboxId, ProductId, SeatId,
    SectionId, SessionId, UserId, VenueId,
};
use bilheteria_domain::images::ImageHash;
use bilheteria_domain::inventory::split_into_slices;
use bilheteria_domain::locale::Language;
use bilheteria_domain::page::PageRequest;
use bilheteria_domain::screen::ScreenCodes;
use bilheteria_domain::seating::{RowLayout, StagePosition};
use bilheteria_domain::transfers::TransferSettings;
use serde::Serialize;
use sqlx::{AssertSqlSafe, QueryBuilder, Row};
use std::collections::HashMap;
use time::OffsetDateTime;
use uuid::Uuid;

pub(super) type DbRow = <Db as sqlx::Database>::Row;

/// Rows per multi-row INSERT: 5 parameters each stays well under both backends' limits.
pub(super) const INSERT_CHUNK: usize = 2_000;

/// A session's `transfers_enabled`, `transfer_cutoff_minutes` and `resale_fee_percent`.
pub(super) fn transfer_settings_from_row(row: &DbRow) -> Result<TransferSettings, sqlx::Error> {
    Ok(TransferSettings {
        enabled: row.try_get("transfers_enabled")?,
        cutoff_minutes: row.try_get("transfer_cutoff_minutes")?,
        resale_fee_percent: row.try_get("resale_fee_percent")?,
    })
}

/// A session's `screen_codes`.
pub(super) fn screen_codes_from_row(row: &DbRow) -> Result<ScreenCodes, sqlx::Error> {
    ScreenCodes::parse(&row.try_get::<String, _>("screen_codes")?)
        .ok_or_else(|| corrupt("event_sessions.screen_codes"))
}

pub(super) fn corrupt(what: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("unexpected stored value in {what}").into())
}

pub(super) fn to_json<T: Serialize>(value: &T) -> Option<String> {
    serde_json::to_string(value).ok()
}

pub(super) fn split_tags(stored: String) -> Vec<String> {
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
            "language, ",
            $p,
            "email_verified_at, ",
            $p,
            "created_at"
        )
    };
}
pub(super) use user_columns;

pub(super) fn queue_settings_from_row(row: &DbRow) -> Result<QueueSettings, sqlx::Error> {
    Ok(QueueSettings {
        enabled: row.try_get("queue_enabled")?,
        admit_per_minute: row.try_get("admit_per_minute")?,
        paused: row.try_get("queue_paused")?,
        max_active: row.try_get("queue_max_active")?,
        proof_of_work_bits: row.try_get("queue_pow_bits")?,
    })
}

pub(super) fn user_from_row(row: &DbRow) -> Result<User, sqlx::Error> {
    Ok(User {
        id: UserId(row.try_get("id")?),
        email: row.try_get("email")?,
        name: row.try_get("name")?,
        roles: Roles::from_bits(row.try_get("roles")?).to_vec(),
        language: language_from_row(row)?,
        email_verified: row
            .try_get::<Option<i64>, _>("email_verified_at")?
            .is_some(),
        created_at: from_micros(row.try_get("created_at")?),
    })
}

pub(super) fn language_from_row(row: &DbRow) -> Result<Language, sqlx::Error> {
    Language::parse(&row.try_get::<String, _>("language")?).ok_or_else(|| corrupt("users.language"))
}

pub(super) fn login_session_from_row(row: &DbRow) -> Result<LoginSession, sqlx::Error> {
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
        "e.id, e.organization_id, e.owner_id, e.venue_id, e.title, e.description, e.category, \
         e.tags, e.status, e.poster, e.sort_at, e.created_at, e.updated_at, e.cancelled_at, e.cancel_reason, \
         (SELECT o.suspended_at FROM organizations o WHERE o.id = e.organization_id) AS organization_suspended_at"
    };
}
pub(super) use event_columns;

/// A picture's hash as a column keeps it (`events.poster`, `products.image`).
fn stored_image(stored: Option<String>, what: &str) -> Result<Option<ImageHash>, sqlx::Error> {
    stored
        .map(|hash| ImageHash::parse(&hash).ok_or_else(|| corrupt(what)))
        .transpose()
}

pub(super) fn event_from_row(row: &DbRow) -> Result<Event, sqlx::Error> {
    let stored = EventStatus::parse(&row.try_get::<String, _>("status")?)
        .filter(|status| *status != EventStatus::Cancelled)
        .ok_or_else(|| corrupt("events.status"))?;
    let cancelled_at = row
        .try_get::<Option<i64>, _>("cancelled_at")?
        .map(from_micros);
    Ok(Event {
        id: EventId(row.try_get("id")?),
        organization_id: OrganizationId(row.try_get("organization_id")?),
        owner_id: UserId(row.try_get("owner_id")?),
        venue_id: VenueId(row.try_get("venue_id")?),
        title: row.try_get("title")?,
        description: row.try_get("description")?,
        // A category stored before categories were a fixed list names one, or is `other`.
        category: Category::parse(row.try_get("category")?).unwrap_or(Category::Other),
        tags: split_tags(row.try_get("tags")?),
        status: if cancelled_at.is_some() {
            EventStatus::Cancelled
        } else {
            stored
        },
        poster: stored_image(row.try_get("poster")?, "events.poster")?,
        created_at: from_micros(row.try_get("created_at")?),
        updated_at: from_micros(row.try_get("updated_at")?),
        organization_suspended: row
            .try_get::<Option<i64>, _>("organization_suspended_at")?
            .is_some(),
        cancelled_at,
        cancel_reason: row.try_get("cancel_reason")?,
        published: stored == EventStatus::Published,
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
            "p.id, p.organization_id, p.owner_id, p.name, p.description, p.price_cents, p.currency, ",
            product_stock!(),
            " AS stock, p.tags, p.image, p.created_at, p.updated_at"
        )
    };
}
pub(super) use product_columns;

pub(super) fn product_from_row(
    row: &DbRow,
    event_ids: Vec<EventId>,
) -> Result<Product, sqlx::Error> {
    let currency: String = row.try_get("currency")?;
    Ok(Product {
        id: ProductId(row.try_get("id")?),
        organization_id: OrganizationId(row.try_get("organization_id")?),
        owner_id: UserId(row.try_get("owner_id")?),
        name: row.try_get("name")?,
        description: row.try_get("description")?,
        price_cents: row.try_get("price_cents")?,
        currency: Currency::parse(&currency).map_err(|_| corrupt("products.currency"))?,
        stock: row.try_get("stock")?,
        tags: split_tags(row.try_get("tags")?),
        event_ids,
        image: stored_image(row.try_get("image")?, "products.image")?,
        created_at: from_micros(row.try_get("created_at")?),
        updated_at: from_micros(row.try_get("updated_at")?),
    })
}

pub(super) fn audit_from_row(row: &DbRow) -> Result<AuditRecord, sqlx::Error> {
    Ok(AuditRecord {
        seq: row.try_get("seq")?,
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
        ..audit_content_from_row(row)?
    })
}

/// What an entry says, from a row of `audit_log` or `audit_queue`, not yet placed in the chain.
pub(super) fn audit_content_from_row(row: &DbRow) -> Result<AuditRecord, sqlx::Error> {
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

impl<'a> Change<'a> {
    /// The creation of `created`, recorded whole.
    pub(super) fn created(
        action: &'a str,
        target_type: &'a str,
        id: impl std::fmt::Display,
        created: &impl Serialize,
    ) -> Self {
        Self {
            action,
            target_type,
            target_id: id.to_string(),
            before: None,
            after: to_json(created),
        }
    }
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

/// Queues a message for delivery after commit (S9); a second with the same `dedupe_key` is a
/// no-op.
pub(super) async fn enqueue(
    tx: &mut Tx,
    kind: &str,
    dedupe_key: String,
    payload: serde_json::Value,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO outbox (id, kind, dedupe_key, payload, status, next_attempt_at, created_at) \
         VALUES ($1, $2, $3, $4, 'pending', $5, $5) ON CONFLICT (dedupe_key) DO NOTHING",
    )
    .bind(OutboxId::new().0)
    .bind(kind)
    .bind(dedupe_key)
    .bind(payload.to_string())
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Reads shared by several operations

impl ThisBackend {
    pub(super) async fn venue_by_id(&self, id: Uuid) -> Result<Option<Venue>, sqlx::Error> {
        let pool = self.reader();
        let Some(row) = sqlx::query(
            "SELECT id, organization_id, owner_id, name, city, time_zone, created_at, stage_position, \
             stage_label FROM venues WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(pool)
        .await?
        else {
            return Ok(None);
        };
        let section_rows = sqlx::query(
            "SELECT id, name, kind, capacity, rows_detail FROM sections WHERE venue_id = $1 \
             ORDER BY position",
        )
        .bind(id)
        .fetch_all(pool)
        .await?;
        // Sections made before rows had layouts: their rows from their seats.
        let mut rows_by_section: HashMap<Uuid, Vec<RowSummary>> = HashMap::new();
        let plain_seated = section_rows.iter().any(|row| {
            row.try_get::<Option<String>, _>("rows_detail")
                .is_ok_and(|detail| detail.is_none())
                && row
                    .try_get::<String, _>("kind")
                    .is_ok_and(|k| k == "seated")
        });
        if plain_seated {
            let seat_rows = sqlx::query(
                "SELECT st.section_id, st.row_label, COUNT(*) AS seats FROM seats st \
                 JOIN sections sec ON sec.id = st.section_id \
                 WHERE sec.venue_id = $1 AND sec.rows_detail IS NULL \
                 GROUP BY st.section_id, st.row_position, st.row_label ORDER BY st.section_id, st.row_position",
            )
            .bind(id)
            .fetch_all(pool)
            .await?;
            for row in &seat_rows {
                rows_by_section
                    .entry(row.try_get("section_id")?)
                    .or_default()
                    .push(RowSummary::new(
                        row.try_get("row_label")?,
                        row.try_get("seats")?,
                        RowLayout::default(),
                    ));
            }
        }
        let mut sections = Vec::with_capacity(section_rows.len());
        for row in &section_rows {
            let id: Uuid = row.try_get("id")?;
            let kind: String = row.try_get("kind")?;
            let rows = match row.try_get::<Option<String>, _>("rows_detail")? {
                Some(detail) => rows_detail(&detail)?,
                None => rows_by_section.remove(&id).unwrap_or_default(),
            };
            sections.push(Section {
                id: SectionId(id),
                name: row.try_get("name")?,
                kind: SectionKind::parse(&kind).ok_or_else(|| corrupt("sections.kind"))?,
                capacity: row.try_get("capacity")?,
                rows,
            });
        }
        let stage_position: String = row.try_get("stage_position")?;
        Ok(Some(Venue {
            id: VenueId(row.try_get("id")?),
            organization_id: OrganizationId(row.try_get("organization_id")?),
            owner_id: UserId(row.try_get("owner_id")?),
            name: row.try_get("name")?,
            city: row.try_get("city")?,
            time_zone: row.try_get("time_zone")?,
            stage_position: StagePosition::parse(&stage_position)
                .ok_or_else(|| corrupt("venues.stage_position"))?,
            stage_label: row.try_get("stage_label")?,
            sections,
            created_at: from_micros(row.try_get("created_at")?),
        }))
    }

    /// Sessions with their categories, either one session (`by_event` false) or all the
    /// sessions of an event, in three queries whatever their number.
    pub(super) async fn load_sessions(
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
                    transfers: transfer_settings_from_row(row)?,
                    screen_codes: screen_codes_from_row(row)?,
                    half_price_quota_percent: row.try_get("half_price_quota_percent")?,
                    half_price_release_at: row
                        .try_get::<Option<i64>, _>("half_price_release_at")?
                        .map(from_micros),
                    half_price: None,
                    pix_expires_after_seconds: row.try_get("pix_expires_after_seconds")?,
                    sales_paused: row.try_get("sales_paused")?,
                    created_at: from_micros(row.try_get("created_at")?),
                })
            })
            .collect()
    }

    pub(super) async fn product_event_ids(
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
    end(tx, outcome.map(Ending::Commit)).await
}

/// How a write transaction that may end either way without an error ends.
pub(super) enum Ending<T> {
    Commit(T),
    /// Undo what it wrote: to try again, or to record something else instead.
    Rollback(T),
}

/// A write transaction run statement by statement through sqlx (`crate::steps`).
pub(super) struct OnTx<'t>(pub(super) &'t mut Tx);

fn bind_all<'q>(sql: &str, args: &[Arg<'_>]) -> OneQuery<'q> {
    args.iter().fold(
        sqlx::query(AssertSqlSafe(sql.to_owned())),
        |query, arg| match *arg {
            Arg::Uuid(id) => query.bind(id),
            Arg::OptUuid(id) => query.bind(id),
            Arg::Int(n) => query.bind(n),
            Arg::Int32(n) => query.bind(n),
            Arg::Text(text) => query.bind(text.to_owned()),
            Arg::OptText(text) => query.bind(text.map(str::to_owned)),
            Arg::OptInt(n) => query.bind(n),
            Arg::Bool(yes) => query.bind(yes),
            Arg::Bytes(bytes) => query.bind(bytes.to_vec()),
        },
    )
}

type OneQuery<'q> = sqlx::query::Query<'q, Db, <Db as sqlx::Database>::Arguments>;

impl Steps for OnTx<'_> {
    type Row = DbRow;

    async fn execute(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<u64, sqlx::Error> {
        Ok(bind_all(sql, args)
            .execute(&mut **self.0)
            .await?
            .rows_affected())
    }

    async fn fetch_all(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<Vec<DbRow>, sqlx::Error> {
        bind_all(sql, args).fetch_all(&mut **self.0).await
    }
}

/// Runs `$steps` (async code over `crate::steps::Steps`, the transaction named `$s`) as one
/// write transaction of this backend: on SQLite in one hand-off to the writer
/// (`GroupCommit::write`), on PostgreSQL statement by statement in its transaction. An error
/// rolls it back; the answer comes once it is durably committed.
macro_rules! write_steps {
    ($store:expr, |$s:ident| $steps:expr) => {{
        let store = $store;
        match store.one_handoff() {
            Some(writer) => {
                writer
                    .write(|db| {
                        let $s = &mut $crate::steps::Raw(db);
                        $crate::steps::run_ready($steps)
                    })
                    .await
            }
            None => {
                let mut tx = store.begin_write().await?;
                let outcome = {
                    let $s = &mut super::shared::OnTx(&mut tx);
                    $steps.await
                };
                super::shared::finish(tx, outcome).await
            }
        }
    }};
}
pub(super) use write_steps;

/// [`finish`] for a transaction that may also roll back on success.
pub(super) async fn end<T>(tx: Tx, outcome: StoreResult<Ending<T>>) -> StoreResult<T> {
    match outcome {
        Ok(Ending::Commit(value)) => {
            tx.commit().await?;
            Ok(value)
        }
        Ok(Ending::Rollback(value)) => {
            tx.rollback().await?;
            Ok(value)
        }
        Err(refused) => {
            tx.rollback().await?;
            Err(refused)
        }
    }
}

/// Lays a product's stock out in slices (`split_into_slices`), replacing any it had.
pub(super) async fn set_stock(
    tx: &mut Tx,
    product: ProductId,
    stock: i64,
) -> Result<(), sqlx::Error> {
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
pub(super) async fn lay_out_standing_places(tx: &mut Tx, session: Uuid) -> Result<(), sqlx::Error> {
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

pub(super) async fn insert_product_events(
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
    pub(super) async fn seats_with_statuses(
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
                    position: seat.position,
                    accessibility: seat.accessibility,
                })
            })
            .collect()
    }

    /// Forgets the kept logins of sessions that just ended (rows of their `token_hash`).
    pub(super) fn forget_logins(&self, ended: &[DbRow]) -> Result<(), sqlx::Error> {
        for row in ended {
            self.caches
                .logins
                .forget(row.try_get::<&[u8], _>("token_hash")?);
        }
        Ok(())
    }

    /// The seats of a section in seat order, from memory after the first read.
    pub(super) async fn section_layout(&self, section: Uuid) -> Result<Layout, sqlx::Error> {
        let stamp = match self.caches.layouts.get(&section) {
            Ok(layout) => return Ok(layout),
            Err(stamp) => stamp,
        };
        let detail: Option<String> = sqlx::query("SELECT rows_detail FROM sections WHERE id = $1")
            .bind(section)
            .fetch_optional(self.reader())
            .await?
            .map(|row| row.try_get("rows_detail"))
            .transpose()?
            .flatten();
        let rows_detail = detail.as_deref().map(rows_detail).transpose()?;
        let rows = sqlx::query(
            "SELECT id, row_position, row_label, number FROM seats WHERE section_id = $1 \
             ORDER BY row_position, number",
        )
        .bind(section)
        .fetch_all(self.reader())
        .await?;
        let layout: Layout = std::sync::Arc::new(SectionSeats::new(
            rows.iter()
                .map(|row| {
                    let number: i64 = row.try_get("number")?;
                    let at: i64 = row.try_get("row_position")?;
                    let of_row = rows_detail
                        .as_ref()
                        .and_then(|rows| rows.get(usize::try_from(at).ok()?));
                    let (position, accessibility) = match of_row {
                        Some(of_row) => {
                            let layout = of_row.layout();
                            (
                                layout.position(of_row.seats, number),
                                layout.accessibility(number),
                            )
                        }
                        None => (number - 1, None),
                    };
                    Ok(LaidOutSeat {
                        id: SeatId(row.try_get("id")?),
                        row: row.try_get("row_label")?,
                        number,
                        position,
                        accessibility,
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
        <ThisBackend as Dialect>::backend()
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(self.reader()).await?;
        Ok(())
    }
}

impl ThisBackend {
    /// Appends up to `limit` queued audit entries to the chain, in one transaction and one
    /// update of the head.
    pub(super) async fn chain_audit_batch(&self, limit: i64) -> StoreResult<u64> {
        let mut tx = self.begin_write().await?;
        let outcome = async {
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
            let head = sqlx::query(
                "UPDATE audit_head SET seq = seq + $1 WHERE id = 1 RETURNING seq, hash",
            )
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
            Ok::<_, StoreError>(queued.len() as u64)
        }
        .await;
        finish(tx, outcome).await
    }
}

/// A section's rows as `sections.rows_detail` keeps them (JSON).
pub(super) fn rows_detail(detail: &str) -> Result<Vec<RowSummary>, sqlx::Error> {
    serde_json::from_str(detail).map_err(|_| corrupt("sections.rows_detail"))
}
