//! Tickets as the tables keep them, shared by both backends (compiled once inside each backend
//! module).

use super::holds::HoldRow;
use super::orders::push_newest_first;
use super::shared::{DbRow, corrupt};
use super::{Db, ThisBackend, Tx};
use crate::dialect::Dialect;
use crate::steps::Columns;
use crate::{Pool, StoreError, StoreResult, TicketStore, TicketUnit};
use async_trait::async_trait;
use bilheteria_domain::half_price::{Eligibility, TicketType};
use bilheteria_domain::ids::{EventId, OrderId, SeatId, SectionId, SessionId, TicketId, UserId};
use bilheteria_domain::page::{Page, PageRequest};
use bilheteria_domain::tickets::{SeatLabel, Ticket, TicketStatus};
use sqlx::{AssertSqlSafe, QueryBuilder, Row};
use uuid::Uuid;

macro_rules! ticket_select {
    () => {
        "SELECT t.id, t.order_id, t.session_id, t.event_id, t.section_id, t.seat_id, t.holder_id, t.status, \
         t.version, t.code, t.ticket_type, t.eligibility, t.face_value_cents, sec.name AS section_name, st.row_label, st.number \
         FROM tickets t JOIN sections sec ON sec.id = t.section_id LEFT JOIN seats st ON st.id = t.seat_id"
    };
}
pub(super) use ticket_select;

/// A held seat's ticket unit from a row with `seat_id`, `section_id`, `row_label`, `number`,
/// `section_name` and the hold's `ticket_type` for it.
pub(super) fn seat_unit_from_row(
    row: &impl Columns,
    hold: &HoldRow,
) -> Result<TicketUnit, sqlx::Error> {
    let ticket_type = ticket_type_from_row(row)?;
    Ok(TicketUnit {
        seat_id: Some(SeatId(row.uuid("seat_id")?)),
        seat: Some(SeatLabel {
            section: row.text("section_name")?,
            row: row.text("row_label")?,
            number: row.int("number")?,
        }),
        section_id: SectionId(row.uuid("section_id")?),
        ..hold.unit(ticket_type)
    })
}

pub(super) fn ticket_type_from_row(row: &impl Columns) -> Result<TicketType, sqlx::Error> {
    TicketType::parse(&row.text("ticket_type")?).ok_or_else(|| corrupt("ticket_type"))
}

pub(super) fn eligibility_from_row(row: &impl Columns) -> Result<Option<Eligibility>, sqlx::Error> {
    row.opt_text("eligibility")?
        .map(|raw| Eligibility::parse(&raw).ok_or_else(|| corrupt("eligibility")))
        .transpose()
}

/// The seat's label from a row with a nullable `seat_id`, `section_name`, `row_label` and
/// `number`: `None` for a standing ticket.
pub(super) fn seat_label_from_row(row: &DbRow) -> Result<Option<SeatLabel>, sqlx::Error> {
    match row.try_get::<Option<Uuid>, _>("seat_id")? {
        Some(_) => Ok(Some(SeatLabel {
            section: row.try_get("section_name")?,
            row: row.try_get("row_label")?,
            number: row.try_get("number")?,
        })),
        None => Ok(None),
    }
}

pub(super) fn ticket_from_row(row: &DbRow) -> Result<Ticket, sqlx::Error> {
    let status: String = row.try_get("status")?;
    let seat_id: Option<Uuid> = row.try_get("seat_id")?;
    let seat = seat_label_from_row(row)?;
    let status = TicketStatus::parse(&status).ok_or_else(|| corrupt("tickets.status"))?;
    Ok(Ticket {
        id: TicketId(row.try_get("id")?),
        order_id: OrderId(row.try_get("order_id")?),
        session_id: SessionId(row.try_get("session_id")?),
        event_id: EventId(row.try_get("event_id")?),
        seat,
        seat_id: seat_id.map(SeatId),
        section_id: SectionId(row.try_get("section_id")?),
        holder_id: UserId(row.try_get("holder_id")?),
        // The column keeps a cancelled ticket's last code, which is revoked: nothing to show.
        code: match status {
            TicketStatus::Cancelled => None,
            _ => Some(row.try_get("code")?),
        },
        status,
        version: row.try_get("version")?,
        ticket_type: ticket_type_from_row(row)?,
        eligibility: eligibility_from_row(row)?,
        face_value_cents: row.try_get("face_value_cents")?,
    })
}

/// A ticket's row, locked: what a change of hands (transfer, resale) checks and moves.
pub(super) struct TicketRow {
    pub(super) holder: Uuid,
    pub(super) valid: bool,
    pub(super) version: i64,
    pub(super) order: Uuid,
    pub(super) session: Uuid,
    pub(super) event: Uuid,
    pub(super) section: Uuid,
    pub(super) seat: Option<Uuid>,
    pub(super) ticket_type: TicketType,
    pub(super) eligibility: Option<Eligibility>,
    pub(super) pool: Option<Pool>,
    pub(super) face_value_cents: i64,
}

pub(super) async fn lock_ticket(tx: &mut Tx, ticket: Uuid) -> StoreResult<TicketRow> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT holder_id, status, version, order_id, session_id, event_id, section_id, seat_id, ticket_type, \
         eligibility, pool, face_value_cents FROM tickets WHERE id = $1{}",
        ThisBackend::LOCK_ROW
    )))
    .bind(ticket)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(StoreError::NotFound)?;
    Ok(TicketRow {
        holder: row.try_get("holder_id")?,
        valid: row.try_get::<String, _>("status")? == "valid",
        version: row.try_get("version")?,
        order: row.try_get("order_id")?,
        session: row.try_get("session_id")?,
        event: row.try_get("event_id")?,
        section: row.try_get("section_id")?,
        seat: row.try_get("seat_id")?,
        ticket_type: ticket_type_from_row(&row)?,
        eligibility: eligibility_from_row(&row)?,
        pool: row
            .try_get::<Option<String>, _>("pool")?
            .and_then(|raw| Pool::parse(&raw)),
        face_value_cents: row.try_get("face_value_cents")?,
    })
}

#[async_trait]
impl TicketStore for ThisBackend {
    async fn get_ticket(&self, id: TicketId) -> StoreResult<Option<Ticket>> {
        let row = sqlx::query(concat!(ticket_select!(), " WHERE t.id = $1"))
            .bind(id.0)
            .fetch_optional(self.reader())
            .await?;
        Ok(row.as_ref().map(ticket_from_row).transpose()?)
    }

    async fn list_tickets(&self, holder: UserId, page: &PageRequest) -> StoreResult<Page<Ticket>> {
        let mut query = QueryBuilder::<Db>::new(concat!(ticket_select!(), " WHERE t.holder_id = "));
        query.push_bind(holder.0);
        push_newest_first(&mut query, "t.id", page)?;
        let rows = query.build().fetch_all(self.reader()).await?;
        let tickets = rows
            .iter()
            .map(ticket_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_rows(tickets, page.limit, |ticket| {
            ticket.id.to_string()
        }))
    }
}
