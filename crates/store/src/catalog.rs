//! The SQL of the catalog: venues, events, sessions and their inventory, seat maps, products.
//! Compiled twice, like `shared.rs`.

use super::shared::*;
use super::slices::lay_out_pools;
use super::{Db, ThisBackend, Tx};
use crate::CatalogStore;
use crate::Refusal;
use crate::dialect::Dialect;
use crate::{StoreError, StoreResult};
use async_trait::async_trait;
use bilheteria_domain::audit::AuditContext;
use bilheteria_domain::catalog::{
    CancellationProgress, CategorySetting, Event, EventFields, EventQuery, EventSession,
    EventStatus, NewSection, NewSession, NewVenue, Product, ProductFields, ResaleAvailability,
    RowSummary, SeatCategory, SeatMap, SeatMapSection, SeatStatus, Section, SectionKind,
    SectionLayout, SessionSettings, Venue, search_document,
};
use bilheteria_domain::clock::{from_micros, to_micros};
use bilheteria_domain::half_price::{HalfPriceAvailability, quota_places};
use bilheteria_domain::ids::{
    CategoryId, EventId, OrganizationId, ProductId, SectionId, SessionId, UserId, VenueId,
};
use bilheteria_domain::images::{ImageHash, ImageVariant, NewImage, Variant};
use bilheteria_domain::page::{Page, PageRequest};
use bilheteria_domain::text::fold;
use sqlx::{AssertSqlSafe, QueryBuilder, Row};
use std::collections::HashMap;
use time::OffsetDateTime;
use uuid::Uuid;

/// A session's half-price reserve (`quota`, `reserve_held`, `reserve_sold`) and its open
/// places (`open`), summed over their slices, as one row.
fn push_pool_sums(query: &mut QueryBuilder<Db>, session: Uuid) {
    query.push(
        "SELECT CAST(COALESCE(SUM(r.capacity), 0) AS BIGINT) AS quota, \
         CAST(COALESCE(SUM(r.held), 0) AS BIGINT) AS reserve_held, \
         CAST(COALESCE(SUM(r.sold), 0) AS BIGINT) AS reserve_sold, \
         CAST(COALESCE((SELECT SUM(o.capacity) FROM open_slices o WHERE o.session_id = ",
    );
    query.push_bind(session);
    query.push("), 0) AS BIGINT) AS open FROM reserve_slices r WHERE r.session_id = ");
    query.push_bind(session);
}

impl ThisBackend {
    /// The reserve as the public sees it, from a row of `push_pool_sums`.
    async fn availability_from_row(
        &self,
        id: SessionId,
        row: &DbRow,
    ) -> StoreResult<HalfPriceAvailability> {
        let quota_percent = self
            .get_session(id)
            .await?
            .map_or(0, |session| session.half_price_quota_percent);
        let (quota, held, sold): (i64, i64, i64) = (
            row.try_get("quota")?,
            row.try_get("reserve_held")?,
            row.try_get("reserve_sold")?,
        );
        Ok(HalfPriceAvailability {
            quota,
            sold,
            held,
            available: quota - held - sold,
            total_places: quota + row.try_get::<i64, _>("open")?,
            quota_percent,
        })
    }
}

impl ThisBackend {
    /// Folds what search compares of the events and venues made before search was folded
    /// (migration 0018 left their folded columns NULL), and makes their free-text category a
    /// `Category` (`other` when it names none). Run at start-up; nothing to do after the first.
    pub(super) async fn fold_search_columns(&self) -> StoreResult<()> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            event_columns!(),
            " FROM events e WHERE e.search_folded IS NULL"
        ))
        .fetch_all(self.reader())
        .await?;
        let venues = sqlx::query("SELECT id, city FROM venues WHERE city_folded IS NULL")
            .fetch_all(self.reader())
            .await?;
        if rows.is_empty() && venues.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin_write().await?;
        let outcome = async {
            for row in &rows {
                let event = event_from_row(row)?;
                let fields = EventFields {
                    title: event.title,
                    description: event.description,
                    category: event.category,
                    tags: event.tags,
                    venue_id: event.venue_id,
                    status: event.status,
                };
                sqlx::query("UPDATE events SET category = $1, search_folded = $2 WHERE id = $3")
                    .bind(fields.category.as_str())
                    .bind(search_document(&fields))
                    .bind(event.id.0)
                    .execute(&mut *tx)
                    .await?;
            }
            for venue in &venues {
                sqlx::query("UPDATE venues SET city_folded = $1 WHERE id = $2")
                    .bind(fold(&venue.try_get::<String, _>("city")?))
                    .bind(venue.try_get::<Uuid, _>("id")?)
                    .execute(&mut *tx)
                    .await?;
            }
            Ok::<_, StoreError>(())
        }
        .await;
        finish(tx, outcome).await
    }
}

#[async_trait]
impl CatalogStore for ThisBackend {
    #[tracing::instrument(skip_all, fields(backend = ThisBackend::backend().as_str()))]
    async fn create_venue(
        &self,
        organization: OrganizationId,
        owner: UserId,
        venue: NewVenue,
        at: OffsetDateTime,
        audit: &AuditContext,
    ) -> StoreResult<Venue> {
        let id = VenueId::new();
        let mut tx = self.begin_write().await?;
        let outcome = async {
            sqlx::query(
                "INSERT INTO venues (id, owner_id, name, city, created_at, time_zone, city_folded, \
                 organization_id, stage_position, stage_label) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(id.0)
            .bind(owner.0)
            .bind(&venue.name)
            .bind(&venue.city)
            .bind(to_micros(at))
            .bind(&venue.time_zone)
            .bind(fold(&venue.city))
            .bind(organization.0)
            .bind(venue.stage_position.as_str())
            .bind(&venue.stage_label)
            .execute(&mut *tx)
            .await?;
            let sections = insert_sections(&mut tx, id, &venue.sections).await?;
            let created = Venue {
                id,
                organization_id: organization,
                owner_id: owner,
                name: venue.name,
                city: venue.city,
                time_zone: venue.time_zone,
                stage_position: venue.stage_position,
                stage_label: venue.stage_label,
                sections,
                created_at: from_micros(to_micros(at)),
            };
            append_audit(
                &mut tx,
                audit,
                at,
                Change::created("venue.created", "venue", id, &created),
            )
            .await?;
            Ok::<_, StoreError>(created)
        }
        .await;
        let created = finish(tx, outcome).await?;
        self.refresh_statistics("sections, seats").await;
        Ok(created)
    }

    #[tracing::instrument(skip_all, fields(backend = ThisBackend::backend().as_str()))]
    async fn update_venue(
        &self,
        before: &Venue,
        venue: NewVenue,
        at: OffsetDateTime,
        audit: &AuditContext,
    ) -> StoreResult<Venue> {
        let id = before.id;
        let seat_map_changes = !venue.keeps_seat_map_of(before);
        let mut tx = self.begin_write().await?;
        let outcome = async {
            let locked = sqlx::query(AssertSqlSafe(format!(
                "SELECT id FROM venues WHERE id = $1{}",
                ThisBackend::LOCK_ROW
            )))
            .bind(id.0)
            .fetch_optional(&mut *tx)
            .await?;
            if locked.is_none() {
                return Err(StoreError::NotFound);
            }
            sqlx::query(
                "UPDATE venues SET name = $1, city = $2, city_folded = $3, time_zone = $4, \
                 stage_position = $5, stage_label = $6 WHERE id = $7",
            )
            .bind(&venue.name)
            .bind(&venue.city)
            .bind(fold(&venue.city))
            .bind(&venue.time_zone)
            .bind(venue.stage_position.as_str())
            .bind(&venue.stage_label)
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
            let sections = if seat_map_changes {
                lay_out_again(&mut tx, id, &venue.sections).await?
            } else {
                before.sections.clone()
            };
            let after = Venue {
                name: venue.name,
                city: venue.city,
                time_zone: venue.time_zone,
                stage_position: venue.stage_position,
                stage_label: venue.stage_label,
                sections,
                ..before.clone()
            };
            append_audit(
                &mut tx,
                audit,
                at,
                Change {
                    action: "venue.updated",
                    target_type: "venue",
                    target_id: id.to_string(),
                    before: to_json(before),
                    after: to_json(&after),
                },
            )
            .await?;
            Ok::<_, StoreError>(after)
        }
        .await;
        let after = finish(tx, outcome).await?;
        self.caches.venues.forget(&id.0);
        if seat_map_changes {
            // Their categories name the new sections.
            for session in self.venue_session_ids(id).await? {
                self.caches.sessions.forget(&session);
            }
            self.refresh_statistics("sections, seats, session_seats, session_sections")
                .await;
        }
        Ok(after)
    }

    async fn get_venue(&self, id: VenueId) -> StoreResult<Option<Venue>> {
        let stamp = match self.caches.venues.get(&id.0) {
            Ok(venue) => return Ok(Some(venue)),
            Err(stamp) => stamp,
        };
        let venue = self.venue_by_id(id.0).await?;
        if let Some(venue) = &venue {
            self.caches.venues.put(stamp, id.0, venue);
        }
        Ok(venue)
    }

    #[tracing::instrument(skip_all, fields(backend = ThisBackend::backend().as_str()))]
    async fn create_event(
        &self,
        organization: OrganizationId,
        owner: UserId,
        event: EventFields,
        at: OffsetDateTime,
        audit: &AuditContext,
    ) -> StoreResult<Event> {
        let id = EventId::new();
        let at = from_micros(to_micros(at));
        let mut tx = self.begin_write().await?;
        let outcome = async {
            sqlx::query(
                "INSERT INTO events (id, owner_id, venue_id, title, description, category, tags, status, \
                 sort_at, created_at, updated_at, search_folded, organization_id) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11, $12)",
            )
            .bind(id.0)
            .bind(owner.0)
            .bind(event.venue_id.0)
            .bind(&event.title)
            .bind(&event.description)
            .bind(event.category.as_str())
            .bind(event.tags.join(" "))
            .bind(event.status.as_str())
            .bind(i64::MAX)
            .bind(to_micros(at))
            .bind(search_document(&event))
            .bind(organization.0)
            .execute(&mut *tx)
            .await?;
            let suspended = sqlx::query("SELECT suspended_at FROM organizations WHERE id = $1")
                .bind(organization.0)
                .fetch_one(&mut *tx)
                .await?
                .try_get::<Option<i64>, _>("suspended_at")?
                .is_some();
            let created = Event {
                id,
                organization_id: organization,
                owner_id: owner,
                venue_id: event.venue_id,
                title: event.title,
                description: event.description,
                category: event.category,
                tags: event.tags,
                status: event.status,
                poster: None,
                created_at: at,
                updated_at: at,
                organization_suspended: suspended,
                cancelled_at: None,
                cancel_reason: None,
                published: event.status == EventStatus::Published,
            };
            append_audit(
                &mut tx,
                audit,
                at,
                Change::created("event.created", "event", id, &created),
            )
            .await?;
            Ok::<_, StoreError>(created)
        }
        .await;
        finish(tx, outcome).await
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
        let outcome = async {
            let before = locked_event(&mut tx, id).await?;
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
                 status = $6, updated_at = $7, search_folded = $9 WHERE id = $8",
            )
            .bind(event.venue_id.0)
            .bind(&event.title)
            .bind(&event.description)
            .bind(event.category.as_str())
            .bind(event.tags.join(" "))
            .bind(event.status.as_str())
            .bind(to_micros(at))
            .bind(id.0)
            .bind(search_document(&event))
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
                published: event.status == EventStatus::Published,
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
            Ok::<_, StoreError>(after)
        }
        .await;
        let after = finish(tx, outcome).await?;
        self.caches.events.forget(&id.0);
        Ok(after)
    }

    async fn update_session(
        &self,
        id: SessionId,
        settings: &SessionSettings,
        at: OffsetDateTime,
        audit: &AuditContext,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        let outcome = async {
            let row = sqlx::query(AssertSqlSafe(format!(
                "SELECT sales_paused, starts_at, sales_start_at, max_tickets_per_user, hold_seconds, \
                 pix_expires_after_seconds, transfers_enabled, transfer_cutoff_minutes, resale_fee_percent, \
                 screen_codes, half_price_release_at FROM event_sessions WHERE id = $1{}",
                ThisBackend::LOCK_ROW
            )))
            .bind(id.0)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
            let categories = sqlx::query(
                "SELECT id, name, price_cents FROM seat_categories WHERE session_id = $1 ORDER BY position",
            )
            .bind(id.0)
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|row| {
                Ok(CategorySetting {
                    id: CategoryId(row.try_get("id")?),
                    name: row.try_get("name")?,
                    price_cents: row.try_get("price_cents")?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
            let before = SessionSettings {
                sales_paused: row.try_get("sales_paused")?,
                starts_at: from_micros(row.try_get("starts_at")?),
                sales_start_at: from_micros(row.try_get("sales_start_at")?),
                max_tickets_per_user: row.try_get("max_tickets_per_user")?,
                hold_seconds: row.try_get("hold_seconds")?,
                pix_expires_after_seconds: row.try_get("pix_expires_after_seconds")?,
                transfers: transfer_settings_from_row(&row)?,
                screen_codes: screen_codes_from_row(&row)?,
                half_price_release_at: row
                    .try_get::<Option<i64>, _>("half_price_release_at")?
                    .map(from_micros),
                categories,
            };
            if settings.reprices(&before) {
                // An order begun is a sale made at the price it saw: from then on prices stay.
                let sold: bool = sqlx::query(
                    "SELECT EXISTS (SELECT 1 FROM orders WHERE session_id = $1 AND status <> 'failed') AS sold",
                )
                .bind(id.0)
                .fetch_one(&mut *tx)
                .await?
                .try_get("sold")?;
                if sold {
                    return Err(StoreError::Refused(Refusal::PricesLocked));
                }
            }
            sqlx::query(
                "UPDATE event_sessions SET sales_paused = $1, starts_at = $2, sales_start_at = $3, \
                 max_tickets_per_user = $4, hold_seconds = $5, pix_expires_after_seconds = $6, \
                 transfers_enabled = $7, transfer_cutoff_minutes = $8, resale_fee_percent = $9, \
                 screen_codes = $10, half_price_release_at = $11 WHERE id = $12",
            )
            .bind(settings.sales_paused)
            .bind(to_micros(settings.starts_at))
            .bind(to_micros(settings.sales_start_at))
            .bind(settings.max_tickets_per_user)
            .bind(settings.hold_seconds)
            .bind(settings.pix_expires_after_seconds)
            .bind(settings.transfers.enabled)
            .bind(settings.transfers.cutoff_minutes)
            .bind(settings.transfers.resale_fee_percent)
            .bind(settings.screen_codes.as_str())
            .bind(settings.half_price_release_at.map(to_micros))
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
            for (after, was) in settings.categories.iter().zip(&before.categories) {
                if after != was {
                    sqlx::query(
                        "UPDATE seat_categories SET name = $1, price_cents = $2 WHERE id = $3 AND session_id = $4",
                    )
                    .bind(&after.name)
                    .bind(after.price_cents)
                    .bind(after.id.0)
                    .bind(id.0)
                    .execute(&mut *tx)
                    .await?;
                }
            }
            let action = match (before.sales_paused, settings.sales_paused) {
                (false, true) => "session.sales_paused",
                (true, false) => "session.sales_resumed",
                _ => "session.updated",
            };
            append_audit(
                &mut tx,
                audit,
                at,
                Change {
                    action,
                    target_type: "session",
                    target_id: id.to_string(),
                    before: to_json(&before),
                    after: to_json(settings),
                },
            )
            .await?;
            Ok::<_, StoreError>(())
        }
        .await;
        finish(tx, outcome).await?;
        self.caches.sessions.forget(&id.0);
        Ok(())
    }

    async fn cancel_event(
        &self,
        id: EventId,
        reason: Option<&str>,
        at: OffsetDateTime,
        audit: &AuditContext,
    ) -> StoreResult<Event> {
        let at = from_micros(to_micros(at));
        let micros = to_micros(at);
        let mut tx = self.begin_write().await?;
        let outcome = async {
            // `FOR UPDATE` (not the weaker lock an UPDATE takes) waits for every settlement in
            // flight of a paid order of the event, each holding the event `FOR KEY SHARE`: once
            // it is granted, every order paid so far is in the table, and every later
            // settlement sees the event cancelled.
            let before = locked_event(&mut tx, id).await?;
            if before.is_cancelled() {
                // Cancelled before: answered as it is, nothing done twice.
                return Ok::<_, StoreError>(before);
            }
            sqlx::query(
                "UPDATE events SET cancelled_at = $1, cancel_reason = $2, updated_at = $1 WHERE id = $3",
            )
            .bind(micros)
            .bind(reason)
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
            // Every paid order is due for its refund now, and every order still waiting for its
            // payment for another look now (a Pix is cancelled at the provider): reconciliation
            // does the rest, each order once, after a crash too.
            let mut due = [0; 2];
            for (marked, status) in due.iter_mut().zip(["paid", "payment_pending"]) {
                *marked = sqlx::query(
                    "UPDATE orders SET next_settle_at = $1 WHERE status = $3 \
                     AND session_id IN (SELECT id FROM event_sessions WHERE event_id = $2)",
                )
                .bind(micros)
                .bind(id.0)
                .bind(status)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            }
            let [paid, pending] = due;
            let after = Event {
                status: EventStatus::Cancelled,
                cancelled_at: Some(at),
                cancel_reason: reason.map(str::to_owned),
                updated_at: at,
                ..before.clone()
            };
            append_audit(
                &mut tx,
                audit,
                at,
                Change {
                    action: "event.cancelled",
                    target_type: "event",
                    target_id: id.to_string(),
                    before: to_json(&serde_json::json!({ "status": before.status })),
                    after: to_json(&serde_json::json!({
                        "status": after.status,
                        "reason": reason,
                        "paid_orders_to_refund": paid,
                        "pending_orders": pending,
                    })),
                },
            )
            .await?;
            Ok(after)
        }
        .await;
        let event = finish(tx, outcome).await?;
        self.caches.events.forget(&id.0);
        Ok(event)
    }

    async fn cancellation_progress(&self, id: EventId) -> StoreResult<CancellationProgress> {
        let row = sqlx::query(
            "SELECT COALESCE(SUM(CASE WHEN status = 'refunded' THEN 1 ELSE 0 END), 0) AS refunded, \
             COALESCE(SUM(CASE WHEN status IN ('paid', 'refunded') THEN 1 ELSE 0 END), 0) AS orders \
             FROM orders WHERE session_id IN (SELECT id FROM event_sessions WHERE event_id = $1)",
        )
        .bind(id.0)
        .fetch_one(self.reader())
        .await?;
        Ok(CancellationProgress {
            refunded: row.try_get::<i64, _>("refunded")?,
            orders: row.try_get::<i64, _>("orders")?,
        })
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
            // The public listing: what is published and not cancelled.
            query.push(" AND e.status = 'published' AND e.cancelled_at IS NULL");
        }
        if let Some(organization) = filter.organization_id {
            query.push(" AND e.organization_id = ");
            query.push_bind(organization.0);
        }
        match filter.status {
            Some(EventStatus::Cancelled) => {
                query.push(" AND e.cancelled_at IS NOT NULL");
            }
            Some(status) => {
                query.push(" AND e.cancelled_at IS NULL AND e.status = ");
                query.push_bind(status.as_str());
            }
            None => {}
        }
        if let Some(only) = &filter.event_ids {
            if only.is_empty() {
                query.push(" AND 1 = 0");
            } else {
                query.push(" AND e.id IN (");
                let mut ids = query.separated(", ");
                for id in only {
                    ids.push_bind(id.0);
                }
                query.push(")");
            }
        }
        if let Some(category) = &filter.category {
            query.push(" AND e.category = ");
            query.push_bind(category.as_str());
        }
        if let Some(city) = &filter.city {
            query.push(" AND e.venue_id IN (SELECT v.id FROM venues v WHERE v.city_folded = ");
            query.push_bind(fold(city));
            query.push(")");
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
        let outcome = async {
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
                 queue_pow_bits, transfers_enabled, transfer_cutoff_minutes, resale_fee_percent, screen_codes, \
                 screen_secret, half_price_quota_percent, half_price_release_at, pix_expires_after_seconds) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)",
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
            .bind(session.transfers.enabled)
            .bind(session.transfers.cutoff_minutes)
            .bind(session.transfers.resale_fee_percent)
            .bind(session.screen_codes.as_str())
            .bind(session.screen_secret.to_vec())
            .bind(session.half_price.quota_percent)
            .bind(session.half_price.release_at.map(to_micros))
            .bind(session.pix_expires_after_seconds)
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
            let seats = sqlx::query(
                "INSERT INTO session_seats (session_id, seat_id, section_id) \
                 SELECT ss.session_id, st.id, st.section_id FROM session_sections ss \
                 JOIN seats st ON st.section_id = ss.section_id WHERE ss.session_id = $1",
            )
            .bind(id.0)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            let standing: i64 = sqlx::query(
                "SELECT CAST(COALESCE(SUM(capacity), 0) AS BIGINT) AS places FROM standing_slices WHERE session_id = $1",
            )
            .bind(id.0)
            .fetch_one(&mut *tx)
            .await?
            .try_get("places")?;
            let places = seats as i64 + standing;
            let quota = quota_places(places, session.half_price.quota_percent);
            lay_out_pools(&mut tx, id.0, places, quota).await?;
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
                transfers: session.transfers,
                screen_codes: session.screen_codes,
                half_price_quota_percent: session.half_price.quota_percent,
                half_price_release_at: session.half_price.release_at.map(|at| from_micros(to_micros(at))),
                half_price: None,
                pix_expires_after_seconds: session.pix_expires_after_seconds,
                sales_paused: false,
                created_at: at,
            };
            append_audit(
                &mut tx,
                audit,
                at,
                Change::created("session.created", "session", id, &created),
            )
            .await?;
            Ok::<_, StoreError>(created)
        }
        .await;
        let created = finish(tx, outcome).await?;
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
        // The half-price reserve's sums come along in the same statement.
        let mut query = QueryBuilder::<Db>::new("WITH pools AS (");
        push_pool_sums(&mut query, id.0);
        query.push(
            ") SELECT pools.quota, pools.reserve_held, pools.reserve_sold, pools.open, \
             ss.section_id, sec.name, sec.kind, ss.category_id, c.price_cents, ss.capacity, \
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
                 FROM pools, session_sections ss JOIN sections sec ON sec.id = ss.section_id \
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
                resale: ResaleAvailability::default(),
                seats,
            });
        }
        let half_price = self.availability_from_row(id, &rows[0]).await?;
        Ok(Some(SeatMap {
            session_id: id,
            sections,
            half_price,
        }))
    }

    async fn half_price_availability(&self, id: SessionId) -> StoreResult<HalfPriceAvailability> {
        let mut query = QueryBuilder::<Db>::new("");
        push_pool_sums(&mut query, id.0);
        let row = query.build().fetch_one(self.reader()).await?;
        self.availability_from_row(id, &row).await
    }

    #[tracing::instrument(skip_all, fields(backend = ThisBackend::backend().as_str()))]
    async fn create_product(
        &self,
        organization: OrganizationId,
        owner: UserId,
        product: ProductFields,
        at: OffsetDateTime,
        audit: &AuditContext,
    ) -> StoreResult<Product> {
        let id = ProductId::new();
        let at = from_micros(to_micros(at));
        let mut tx = self.begin_write().await?;
        let outcome = async {
            sqlx::query(
                "INSERT INTO products (id, owner_id, name, description, price_cents, currency, tags, \
                 created_at, updated_at, organization_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9)",
            )
            .bind(id.0)
            .bind(owner.0)
            .bind(&product.name)
            .bind(&product.description)
            .bind(product.price_cents)
            .bind(product.currency.as_str())
            .bind(product.tags.join(" "))
            .bind(to_micros(at))
            .bind(organization.0)
            .execute(&mut *tx)
            .await?;
            let stock = product.stock.unwrap_or(0);
            set_stock(&mut tx, id, stock).await?;
            insert_product_events(&mut tx, id, &product.event_ids).await?;
            let created = Product {
                id,
                organization_id: organization,
                owner_id: owner,
                name: product.name,
                description: product.description,
                price_cents: product.price_cents,
                currency: product.currency,
                stock,
                tags: product.tags,
                event_ids: product.event_ids,
                image: None,
                created_at: at,
                updated_at: at,
            };
            append_audit(
                &mut tx,
                audit,
                at,
                Change::created("product.created", "product", id, &created),
            )
            .await?;
            Ok::<_, StoreError>(created)
        }
        .await;
        finish(tx, outcome).await
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
        let outcome = async {
            let before = locked_product(&mut tx, id).await?;
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
            Ok::<_, StoreError>(after)
        }
        .await;
        finish(tx, outcome).await
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

    async fn products_sold(&self, ids: &[ProductId]) -> StoreResult<HashMap<ProductId, i64>> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let mut query = QueryBuilder::<Db>::new(
            "SELECT oi.reference_id, CAST(SUM(oi.quantity) AS BIGINT) AS sold FROM order_items oi \
             JOIN orders o ON o.id = oi.order_id \
             WHERE oi.kind = 'product' AND o.status = 'paid' AND oi.reference_id IN (",
        );
        let mut list = query.separated(", ");
        for id in ids {
            list.push_bind(id.to_string());
        }
        query.push(") GROUP BY oi.reference_id");
        let rows = query.build().fetch_all(self.reader()).await?;
        let mut sold = HashMap::with_capacity(rows.len());
        for row in rows {
            let id = Uuid::parse_str(&row.try_get::<String, _>("reference_id")?)
                .map_err(|_| corrupt("order_items.reference_id"))?;
            sold.insert(ProductId(id), row.try_get("sold")?);
        }
        Ok(sold)
    }

    #[tracing::instrument(skip_all, fields(backend = ThisBackend::backend().as_str()))]
    async fn set_event_poster(
        &self,
        id: EventId,
        image: Option<NewImage>,
        at: OffsetDateTime,
        audit: &AuditContext,
    ) -> StoreResult<Event> {
        let at = from_micros(to_micros(at));
        let mut tx = self.begin_write().await?;
        let outcome = async {
            let before = locked_event(&mut tx, id).await?;
            let slot = Slot::Poster;
            let poster =
                set_picture(&mut tx, slot, id.0, before.poster.as_ref(), image, at).await?;
            let after = Event {
                poster,
                updated_at: at,
                ..before.clone()
            };
            let change = slot.change(id, after.poster.is_some(), &before, &after);
            append_audit(&mut tx, audit, at, change).await?;
            Ok::<_, StoreError>(after)
        }
        .await;
        let after = finish(tx, outcome).await?;
        self.caches.events.forget(&id.0);
        Ok(after)
    }

    #[tracing::instrument(skip_all, fields(backend = ThisBackend::backend().as_str()))]
    async fn set_product_image(
        &self,
        id: ProductId,
        image: Option<NewImage>,
        at: OffsetDateTime,
        audit: &AuditContext,
    ) -> StoreResult<Product> {
        let at = from_micros(to_micros(at));
        let mut tx = self.begin_write().await?;
        let outcome = async {
            let before = locked_product(&mut tx, id).await?;
            let slot = Slot::ProductImage;
            let image = set_picture(&mut tx, slot, id.0, before.image.as_ref(), image, at).await?;
            let after = Product {
                image,
                updated_at: at,
                ..before.clone()
            };
            let change = slot.change(id, after.image.is_some(), &before, &after);
            append_audit(&mut tx, audit, at, change).await?;
            Ok::<_, StoreError>(after)
        }
        .await;
        finish(tx, outcome).await
    }

    async fn image_variant(
        &self,
        hash: &ImageHash,
        variant: Variant,
    ) -> StoreResult<Option<ImageVariant>> {
        let row = sqlx::query(
            "SELECT content_type, width, height, bytes FROM images WHERE hash = $1 AND variant = $2",
        )
        .bind(hash.as_str())
        .bind(variant.as_str())
        .fetch_optional(self.reader())
        .await?;
        let Some(row) = row else { return Ok(None) };
        let side = |name: &str| -> Result<u32, sqlx::Error> {
            u32::try_from(row.try_get::<i64, _>(name)?).map_err(|_| corrupt("images"))
        };
        Ok(Some(ImageVariant {
            variant,
            content_type: row.try_get("content_type")?,
            width: side("width")?,
            height: side("height")?,
            bytes: row.try_get("bytes")?,
        }))
    }
}

/// The event `id`'s row, locked until the transaction ends.
async fn locked_event(tx: &mut Tx, id: EventId) -> StoreResult<Event> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {} FROM events e WHERE e.id = $1{}",
        event_columns!(),
        ThisBackend::LOCK_ROW
    )))
    .bind(id.0)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(StoreError::NotFound)?;
    Ok(event_from_row(&row)?)
}

/// The product `id`'s row, locked until the transaction ends, with its events.
async fn locked_product(tx: &mut Tx, id: ProductId) -> StoreResult<Product> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {} FROM products p WHERE p.id = $1{}",
        product_columns!(),
        ThisBackend::LOCK_ROW
    )))
    .bind(id.0)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(StoreError::NotFound)?;
    let event_ids =
        sqlx::query("SELECT event_id FROM product_events WHERE product_id = $1 ORDER BY event_id")
            .bind(id.0)
            .fetch_all(&mut **tx)
            .await?
            .iter()
            .map(|row| row.try_get("event_id").map(EventId))
            .collect::<Result<Vec<_>, _>>()?;
    Ok(product_from_row(&row, event_ids)?)
}

/// Where a picture is named: an event's poster, a product's image.
#[derive(Clone, Copy)]
enum Slot {
    Poster,
    ProductImage,
}

impl Slot {
    /// The statement that names the picture `$1` in the row `$3` (changed at `$2`).
    fn update(self) -> &'static str {
        match self {
            Slot::Poster => "UPDATE events SET poster = $1, updated_at = $2 WHERE id = $3",
            Slot::ProductImage => "UPDATE products SET image = $1, updated_at = $2 WHERE id = $3",
        }
    }

    /// The audit entry of a picture set (or taken away) on `id`.
    fn change<'a, T: serde::Serialize>(
        self,
        id: impl std::fmt::Display,
        set: bool,
        before: &T,
        after: &T,
    ) -> Change<'a> {
        let (target_type, action) = match (self, set) {
            (Slot::Poster, true) => ("event", "event.poster_set"),
            (Slot::Poster, false) => ("event", "event.poster_removed"),
            (Slot::ProductImage, true) => ("product", "product.image_set"),
            (Slot::ProductImage, false) => ("product", "product.image_removed"),
        };
        Change {
            action,
            target_type,
            target_id: id.to_string(),
            before: to_json(before),
            after: to_json(after),
        }
    }
}

/// Names `image` (or none) in `slot` of the row `id`, which named `before`: the image's sizes
/// are stored unless the same upload was before (its hash names them), and the picture it
/// replaces is deleted once no event and no product names it. Answers the hash now named.
async fn set_picture(
    tx: &mut Tx,
    slot: Slot,
    id: Uuid,
    before: Option<&ImageHash>,
    image: Option<NewImage>,
    at: OffsetDateTime,
) -> StoreResult<Option<ImageHash>> {
    let hash = image.as_ref().map(|image| image.hash.clone());
    for variant in image.iter().flat_map(|image| &image.variants) {
        sqlx::query(
            "INSERT INTO images (hash, variant, content_type, width, height, bytes, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (hash, variant) DO NOTHING",
        )
        .bind(hash.as_ref().map(ImageHash::as_str))
        .bind(variant.variant.as_str())
        .bind(&variant.content_type)
        .bind(i64::from(variant.width))
        .bind(i64::from(variant.height))
        .bind(&variant.bytes[..])
        .bind(to_micros(at))
        .execute(&mut **tx)
        .await?;
    }
    sqlx::query(slot.update())
        .bind(hash.as_ref().map(|h| h.as_str().to_owned()))
        .bind(to_micros(at))
        .bind(id)
        .execute(&mut **tx)
        .await?;
    if let Some(old) = before
        && hash.as_ref() != Some(old)
    {
        sqlx::query(
            "DELETE FROM images WHERE hash = $1 \
             AND NOT EXISTS (SELECT 1 FROM events WHERE poster = $1) \
             AND NOT EXISTS (SELECT 1 FROM products WHERE image = $1)",
        )
        .bind(old.as_str())
        .execute(&mut **tx)
        .await?;
    }
    Ok(hash)
}

impl ThisBackend {
    async fn venue_session_ids(&self, venue: VenueId) -> StoreResult<Vec<Uuid>> {
        Ok(sqlx::query(
            "SELECT s.id FROM event_sessions s JOIN events e ON e.id = s.event_id WHERE e.venue_id = $1",
        )
        .bind(venue.0)
        .fetch_all(self.reader())
        .await?
        .iter()
        .map(|row| row.try_get("id"))
        .collect::<Result<_, _>>()?)
    }
}

/// Inserts a venue's sections at positions 0.. with new ids, and their seats in multi-row
/// INSERTs; each seated section keeps its rows' layouts as JSON (`rows_detail`).
async fn insert_sections(
    tx: &mut Tx,
    venue: VenueId,
    new_sections: &[NewSection],
) -> StoreResult<Vec<Section>> {
    let mut sections = Vec::with_capacity(new_sections.len());
    // (id, section, row position, row label, number) of every seat, inserted in chunks.
    let mut seats: Vec<(Uuid, Uuid, i64, &str, i64)> = Vec::new();
    for (position, section) in new_sections.iter().enumerate() {
        let section_id = SectionId::new();
        let (kind, rows) = match &section.layout {
            SectionLayout::Seated { rows } => (SectionKind::Seated, rows.as_slice()),
            SectionLayout::Standing { .. } => (SectionKind::Standing, [].as_slice()),
        };
        let summaries: Vec<RowSummary> = rows
            .iter()
            .map(|row| RowSummary::new(row.label.clone(), row.seats, row.layout.clone()))
            .collect();
        let detail = (kind == SectionKind::Seated)
            .then(|| to_json(&summaries))
            .flatten();
        sqlx::query(
            "INSERT INTO sections (id, venue_id, position, name, kind, capacity, rows_detail) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(section_id.0)
        .bind(venue.0)
        .bind(position as i64)
        .bind(&section.name)
        .bind(kind.as_str())
        .bind(section.capacity())
        .bind(detail)
        .execute(&mut **tx)
        .await?;
        for (row_position, row) in rows.iter().enumerate() {
            for number in 1..=row.seats {
                seats.push((
                    Uuid::now_v7(),
                    section_id.0,
                    row_position as i64,
                    &row.label,
                    number,
                ));
            }
        }
        sections.push(Section {
            id: section_id,
            name: section.name.clone(),
            kind,
            capacity: section.capacity(),
            rows: summaries,
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
        insert.build().execute(&mut **tx).await?;
    }
    Ok(sections)
}

/// Replaces a venue's sections and seats (the venue's row locked), and lays out again the
/// inventory of its sessions, which must not have held or sold a place: each session keeps
/// selling, in the same category, the section at the same position in the list. Refused
/// (`VenueHasSales`) once any hold was made on one of its sessions: holds, orders and tickets
/// name seats and sections for good.
async fn lay_out_again(
    tx: &mut Tx,
    venue: VenueId,
    new_sections: &[NewSection],
) -> StoreResult<Vec<Section>> {
    const SESSIONS: &str = "SELECT s.id FROM event_sessions s JOIN events e ON e.id = s.event_id WHERE e.venue_id = $1";
    let sold = sqlx::query(AssertSqlSafe(format!(
        "SELECT 1 AS sold FROM holds WHERE session_id IN ({SESSIONS}) LIMIT 1"
    )))
    .bind(venue.0)
    .fetch_optional(&mut **tx)
    .await?;
    if sold.is_some() {
        return Err(StoreError::Refused(Refusal::VenueHasSales));
    }
    let old: Vec<Uuid> =
        sqlx::query("SELECT id FROM sections WHERE venue_id = $1 ORDER BY position")
            .bind(venue.0)
            .fetch_all(&mut **tx)
            .await?
            .iter()
            .map(|row| row.try_get("id"))
            .collect::<Result<_, _>>()?;
    let sessions: Vec<Uuid> = sqlx::query(SESSIONS)
        .bind(venue.0)
        .fetch_all(&mut **tx)
        .await?
        .iter()
        .map(|row| row.try_get("id"))
        .collect::<Result<_, _>>()?;
    for table in [
        "session_seats",
        "standing_slices",
        "open_slices",
        "reserve_slices",
    ] {
        sqlx::query(AssertSqlSafe(format!(
            "DELETE FROM {table} WHERE session_id IN ({SESSIONS})"
        )))
        .bind(venue.0)
        .execute(&mut **tx)
        .await?;
    }
    sqlx::query(
        "DELETE FROM seats WHERE section_id IN (SELECT id FROM sections WHERE venue_id = $1)",
    )
    .bind(venue.0)
    .execute(&mut **tx)
    .await?;
    // Out of the new sections' way (positions are unique per venue).
    sqlx::query("UPDATE sections SET position = -1 - position WHERE venue_id = $1")
        .bind(venue.0)
        .execute(&mut **tx)
        .await?;
    let sections = insert_sections(tx, venue, new_sections).await?;
    for (at, old_id) in old.iter().enumerate() {
        match sections.get(at) {
            Some(new) => {
                sqlx::query(
                    "UPDATE session_sections SET section_id = $1, capacity = $2 WHERE section_id = $3",
                )
                .bind(new.id.0)
                .bind(new.capacity)
                .bind(*old_id)
                .execute(&mut **tx)
                .await?;
            }
            None => {
                let on_sale = sqlx::query(
                    "SELECT 1 AS on_sale FROM session_sections WHERE section_id = $1 LIMIT 1",
                )
                .bind(*old_id)
                .fetch_optional(&mut **tx)
                .await?;
                if on_sale.is_some() {
                    return Err(StoreError::Refused(Refusal::SectionsOnSale));
                }
            }
        }
        sqlx::query("DELETE FROM sections WHERE id = $1")
            .bind(*old_id)
            .execute(&mut **tx)
            .await?;
    }
    for session in sessions {
        lay_out_standing_places(tx, session).await?;
        let seats = sqlx::query(
            "INSERT INTO session_seats (session_id, seat_id, section_id) \
             SELECT ss.session_id, st.id, st.section_id FROM session_sections ss \
             JOIN seats st ON st.section_id = ss.section_id WHERE ss.session_id = $1",
        )
        .bind(session)
        .execute(&mut **tx)
        .await?
        .rows_affected();
        let row = sqlx::query(
            "SELECT CAST(COALESCE((SELECT SUM(capacity) FROM standing_slices WHERE session_id = $1), 0) AS BIGINT) AS places, \
             half_price_quota_percent FROM event_sessions WHERE id = $1",
        )
        .bind(session)
        .fetch_one(&mut **tx)
        .await?;
        let places = seats as i64 + row.try_get::<i64, _>("places")?;
        let quota = quota_places(places, row.try_get("half_price_quota_percent")?);
        lay_out_pools(tx, session, places, quota).await?;
    }
    Ok(sections)
}
