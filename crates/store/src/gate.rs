//! The SQL of the gate, shared by both backends (compiled once inside each backend module):
//! staff assignments, and scans that let a ticket in at most once.

use super::shared::{Change, DbRow, append_audit, corrupt, finish, user_columns, user_from_row};
use super::tickets::{eligibility_from_row, ticket_type_from_row};
use super::{ThisBackend, Tx};
use crate::dialect::Dialect;
use crate::{
    Admission, DoorSession, GateCount, GateStore, GateTicket, NewScan, ScanOutcome, StoreError,
    StoreResult, SyncedScan,
};
use async_trait::async_trait;
use bilheteria_domain::account::User;
use bilheteria_domain::audit::AuditContext;
use bilheteria_domain::clock::{from_micros, to_micros};
use bilheteria_domain::ids::{EventId, OrganizationId, SessionId, TicketId, UserId};
use bilheteria_domain::tickets::TicketStatus;
use sqlx::{AssertSqlSafe, Row};
use time::OffsetDateTime;
use uuid::Uuid;

fn staff_change(action: &'static str, event: EventId, user: UserId) -> Change<'static> {
    Change {
        action,
        target_type: "event",
        target_id: event.to_string(),
        before: None,
        after: Some(serde_json::json!({ "staff_id": user }).to_string()),
    }
}

/// The organization of `event`, its row locked for a change of its team.
async fn event_organization(
    tx: &mut Tx,
    event: EventId,
) -> Result<Option<OrganizationId>, sqlx::Error> {
    sqlx::query(AssertSqlSafe(format!(
        "SELECT o.id FROM events e JOIN organizations o ON o.id = e.organization_id \
         WHERE e.id = $1{}",
        ThisBackend::LOCK_ROW
    )))
    .bind(event.0)
    .fetch_optional(&mut **tx)
    .await?
    .map(|row| row.try_get("id").map(OrganizationId))
    .transpose()
}

fn admission_from_row(row: &DbRow) -> Result<Admission, sqlx::Error> {
    Ok(Admission {
        gate: row.try_get("gate")?,
        at: from_micros(row.try_get("scanned_at")?),
    })
}

/// Records the scan's result under its nonce.
async fn record_scan(tx: &mut Tx, scan: &NewScan, result: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO checkins (id, nonce, ticket_id, session_id, gate, result, staff_id, scanned_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(Uuid::now_v7())
    .bind(&scan.nonce)
    .bind(scan.ticket_id.0)
    .bind(scan.session_id.0)
    .bind(&scan.gate)
    .bind(result)
    .bind(scan.staff_id.0)
    .bind(to_micros(scan.at))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The ticket's admission, if it was let in.
async fn first_admission(tx: &mut Tx, scan: &NewScan) -> Result<Option<Admission>, sqlx::Error> {
    sqlx::query(
        "SELECT gate, scanned_at FROM checkins WHERE ticket_id = $1 AND result = 'admitted'",
    )
    .bind(scan.ticket_id.0)
    .fetch_optional(&mut **tx)
    .await?
    .as_ref()
    .map(admission_from_row)
    .transpose()
}

/// The scanned ticket's row, locked (its status and version), and the scan recorded earlier
/// under the same nonce, if any; `None` for no such ticket.
async fn lock_scanned(
    tx: &mut Tx,
    scan: &NewScan,
) -> Result<Option<(DbRow, Option<DbRow>)>, sqlx::Error> {
    let ticket = sqlx::query(AssertSqlSafe(format!(
        "SELECT status, version FROM tickets WHERE id = $1{}",
        ThisBackend::LOCK_ROW
    )))
    .bind(scan.ticket_id.0)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(ticket) = ticket else {
        return Ok(None);
    };
    let earlier = sqlx::query("SELECT ticket_id, result FROM checkins WHERE nonce = $1")
        .bind(&scan.nonce)
        .fetch_optional(&mut **tx)
        .await?;
    Ok(Some((ticket, earlier)))
}

async fn scan_once(tx: &mut Tx, scan: &NewScan) -> StoreResult<ScanOutcome> {
    let Some((ticket, earlier)) = lock_scanned(tx, scan).await? else {
        return Ok(ScanOutcome::Unknown);
    };
    // A retried scan answers as its first time did, if that let the ticket in.
    if let Some(earlier) = &earlier {
        let same_ticket = earlier.try_get::<Uuid, _>("ticket_id")? == scan.ticket_id.0;
        if same_ticket && earlier.try_get::<String, _>("result")? == "admitted" {
            let admission = first_admission(tx, scan).await?;
            return Ok(admission.map_or(ScanOutcome::Revoked, ScanOutcome::Admitted));
        }
    }
    let status: String = ticket.try_get("status")?;
    let version: i64 = ticket.try_get("version")?;
    let outcome = if status == "cancelled" || version != scan.version {
        ScanOutcome::Revoked
    } else if status == "used" {
        match first_admission(tx, scan).await? {
            Some(admission) => ScanOutcome::AlreadyUsed(admission),
            None => return Err(StoreError::database("a used ticket has no admission")),
        }
    } else {
        let admitted = sqlx::query(
            "UPDATE tickets SET status = 'used', updated_at = $1 WHERE id = $2 AND status = 'valid' AND version = $3",
        )
        .bind(to_micros(scan.recorded_at))
        .bind(scan.ticket_id.0)
        .bind(scan.version)
        .execute(&mut **tx)
        .await?
        .rows_affected();
        if admitted != 1 {
            return Err(StoreError::database(
                "a locked valid ticket could not be used",
            ));
        }
        ScanOutcome::Admitted(Admission {
            gate: scan.gate.clone(),
            // As stored (microseconds), so a retry answers the very same instant.
            at: from_micros(to_micros(scan.at)),
        })
    };
    if earlier.is_none() {
        let result = match &outcome {
            ScanOutcome::Admitted(_) => "admitted",
            ScanOutcome::AlreadyUsed(_) => "ticket_used",
            ScanOutcome::Revoked | ScanOutcome::Unknown => "ticket_revoked",
        };
        record_scan(tx, scan, result).await?;
    }
    Ok(outcome)
}

/// `scan_once` for a scan made offline: the earliest scan of a ticket is its admission.
async fn sync_once(tx: &mut Tx, scan: &NewScan) -> StoreResult<SyncedScan> {
    let Some((ticket, earlier)) = lock_scanned(tx, scan).await? else {
        return Ok(SyncedScan::Unknown);
    };
    if let Some(earlier) = earlier {
        // Synced before: answer as then, as things stand now.
        if earlier.try_get::<Uuid, _>("ticket_id")? != scan.ticket_id.0 {
            return Ok(SyncedScan::Unknown);
        }
        let first = first_admission(tx, scan).await?;
        return Ok(
            match (earlier.try_get::<String, _>("result")?.as_str(), first) {
                ("admitted", _) => SyncedScan::Admitted { displaced: None },
                ("ticket_used", Some(first)) => SyncedScan::Duplicate(first),
                _ => SyncedScan::Revoked,
            },
        );
    }
    let status: String = ticket.try_get("status")?;
    let version: i64 = ticket.try_get("version")?;
    if status == "cancelled" || version != scan.version {
        record_scan(tx, scan, "ticket_revoked").await?;
        return Ok(SyncedScan::Revoked);
    }
    let now = to_micros(scan.recorded_at);
    let displaced = if status == "used" {
        let first = first_admission(tx, scan)
            .await?
            .ok_or_else(|| StoreError::database("a used ticket has no admission"))?;
        if first.at <= from_micros(to_micros(scan.at)) {
            record_scan(tx, scan, "ticket_used").await?;
            return Ok(SyncedScan::Duplicate(first));
        }
        // This scan came first: the admission recorded before becomes its duplicate.
        sqlx::query(
            "UPDATE checkins SET result = 'ticket_used' WHERE ticket_id = $1 AND result = 'admitted'",
        )
        .bind(scan.ticket_id.0)
        .execute(&mut **tx)
        .await?;
        Some(first)
    } else {
        None
    };
    sqlx::query("UPDATE tickets SET status = 'used', updated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(scan.ticket_id.0)
        .execute(&mut **tx)
        .await?;
    record_scan(tx, scan, "admitted").await?;
    Ok(SyncedScan::Admitted { displaced })
}

fn gate_ticket_from_row(row: &DbRow) -> Result<GateTicket, sqlx::Error> {
    let status: String = row.try_get("status")?;
    let section: String = row.try_get("section_name")?;
    let place = match row.try_get::<Option<String>, _>("row_label")? {
        Some(label) => format!("{section} · {label} · {}", row.try_get::<i64, _>("number")?),
        None => section,
    };
    Ok(GateTicket {
        ticket_id: TicketId(row.try_get("id")?),
        version: row.try_get("version")?,
        status: TicketStatus::parse(&status).ok_or_else(|| corrupt("tickets.status"))?,
        place,
        ticket_type: ticket_type_from_row(row)?,
        eligibility: eligibility_from_row(row)?,
        admitted_gate: row.try_get("gate")?,
        admitted_at: row
            .try_get::<Option<i64>, _>("scanned_at")?
            .map(from_micros),
        changed_at: row.try_get("updated_at")?,
    })
}

#[async_trait]
impl GateStore for ThisBackend {
    async fn assign_staff(
        &self,
        event: EventId,
        user: UserId,
        at: OffsetDateTime,
        audit: &AuditContext,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        let outcome = async {
            let organization = event_organization(&mut tx, event)
                .await?
                .ok_or(StoreError::NotFound)?;
            let member = sqlx::query(
                "SELECT role FROM organization_members WHERE organization_id = $1 AND user_id = $2",
            )
            .bind(organization.0)
            .bind(user.0)
            .fetch_optional(&mut *tx)
            .await?;
            let limited = sqlx::query(
                "SELECT 1 AS one FROM organization_member_events \
                 WHERE organization_id = $1 AND user_id = $2",
            )
            .bind(organization.0)
            .bind(user.0)
            .fetch_optional(&mut *tx)
            .await?
            .is_some();
            // A member who may act on every event keeps their standing, and so does a member
            // of another role: only door staff are limited to more events by this.
            let role = member
                .map(|row| row.try_get::<String, _>("role"))
                .transpose()?;
            let added = match role.as_deref() {
                Some("checkin") if limited => 1,
                Some(_) => 0,
                None => {
                    sqlx::query(
                        "INSERT INTO organization_members (organization_id, user_id, role, created_at) \
                         VALUES ($1, $2, 'checkin', $3)",
                    )
                    .bind(organization.0)
                    .bind(user.0)
                    .bind(to_micros(at))
                    .execute(&mut *tx)
                    .await?;
                    1
                }
            };
            let added = if added == 1 {
                sqlx::query(
                    "INSERT INTO organization_member_events (organization_id, user_id, event_id) \
                     VALUES ($1, $2, $3) ON CONFLICT (organization_id, user_id, event_id) DO NOTHING",
                )
                .bind(organization.0)
                .bind(user.0)
                .bind(event.0)
                .execute(&mut *tx)
                .await?
                .rows_affected()
            } else {
                0
            };
            if added == 1 {
                append_audit(
                    &mut tx,
                    audit,
                    at,
                    staff_change("event.staff_assigned", event, user),
                )
                .await?;
            }
            Ok::<_, StoreError>(())
        }
        .await;
        finish(tx, outcome).await
    }

    async fn remove_staff(
        &self,
        event: EventId,
        user: UserId,
        at: OffsetDateTime,
        audit: &AuditContext,
    ) -> StoreResult<bool> {
        let mut tx = self.begin_write().await?;
        let outcome = async {
            let Some(OrganizationId(organization)) = event_organization(&mut tx, event).await?
            else {
                return Ok(false);
            };
            let removed = sqlx::query(
                "DELETE FROM organization_member_events \
                 WHERE organization_id = $1 AND user_id = $2 AND event_id = $3",
            )
            .bind(organization)
            .bind(user.0)
            .bind(event.0)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if removed == 1 {
                // A member limited to no event would be limited to none, which means all:
                // the last event taken away takes the membership with it.
                sqlx::query(
                    "DELETE FROM organization_members WHERE organization_id = $1 AND user_id = $2 \
                     AND NOT EXISTS (SELECT 1 FROM organization_member_events me \
                     WHERE me.organization_id = $1 AND me.user_id = $2)",
                )
                .bind(organization)
                .bind(user.0)
                .execute(&mut *tx)
                .await?;
                append_audit(
                    &mut tx,
                    audit,
                    at,
                    staff_change("event.staff_removed", event, user),
                )
                .await?;
            }
            Ok::<_, StoreError>(removed == 1)
        }
        .await;
        finish(tx, outcome).await
    }

    async fn event_staff(&self, event: EventId) -> StoreResult<Vec<User>> {
        // The door's people: `checkin` members of the event's organization, limited to this
        // event or to none.
        let rows = sqlx::query(concat!(
            "SELECT ",
            user_columns!("u."),
            " FROM events e JOIN organization_members m ON m.organization_id = e.organization_id \
             JOIN users u ON u.id = m.user_id WHERE e.id = $1 AND m.role = 'checkin' \
             AND (EXISTS (SELECT 1 FROM organization_member_events me WHERE me.organization_id = m.organization_id \
             AND me.user_id = m.user_id AND me.event_id = e.id) \
             OR NOT EXISTS (SELECT 1 FROM organization_member_events me WHERE me.organization_id = m.organization_id \
             AND me.user_id = m.user_id)) ORDER BY u.email"
        ))
        .bind(event.0)
        .fetch_all(self.reader())
        .await?;
        Ok(rows.iter().map(user_from_row).collect::<Result<_, _>>()?)
    }

    async fn screen_secret(&self, session: SessionId) -> StoreResult<Option<Vec<u8>>> {
        let row = sqlx::query("SELECT screen_secret FROM event_sessions WHERE id = $1")
            .bind(session.0)
            .fetch_optional(self.reader())
            .await?;
        Ok(row
            .map(|row| row.try_get::<Option<Vec<u8>>, _>("screen_secret"))
            .transpose()?
            .flatten())
    }

    #[tracing::instrument(skip_all, fields(backend = ThisBackend::backend().as_str()))]
    async fn check_in(&self, scan: NewScan) -> StoreResult<ScanOutcome> {
        let mut tx = self.begin_write().await?;
        let outcome = scan_once(&mut tx, &scan).await;
        finish(tx, outcome).await
    }

    async fn gate_tickets(
        &self,
        session: SessionId,
        since: i64,
        limit: i64,
    ) -> StoreResult<Vec<GateTicket>> {
        let rows = sqlx::query(
            "SELECT t.id, t.version, t.status, t.updated_at, t.ticket_type, t.eligibility, sec.name AS section_name, \
             st.row_label, st.number, \
             c.gate, c.scanned_at FROM tickets t JOIN sections sec ON sec.id = t.section_id \
             LEFT JOIN seats st ON st.id = t.seat_id \
             LEFT JOIN checkins c ON c.ticket_id = t.id AND c.result = 'admitted' \
             WHERE t.session_id = $1 AND t.updated_at > $2 ORDER BY t.updated_at, t.id LIMIT $3",
        )
        .bind(session.0)
        .bind(since)
        .bind(limit)
        .fetch_all(self.reader())
        .await?;
        Ok(rows
            .iter()
            .map(gate_ticket_from_row)
            .collect::<Result<_, _>>()?)
    }

    #[tracing::instrument(skip_all, fields(backend = ThisBackend::backend().as_str()))]
    async fn sync_scan(&self, scan: NewScan) -> StoreResult<SyncedScan> {
        let mut tx = self.begin_write().await?;
        let outcome = sync_once(&mut tx, &scan).await;
        finish(tx, outcome).await
    }

    async fn gate_counts(&self, session: SessionId) -> StoreResult<Vec<GateCount>> {
        let rows = sqlx::query(
            "SELECT gate, COUNT(*) AS admitted FROM checkins \
             WHERE session_id = $1 AND result = 'admitted' GROUP BY gate ORDER BY gate",
        )
        .bind(session.0)
        .fetch_all(self.reader())
        .await?;
        Ok(rows
            .iter()
            .map(|row| {
                Ok(GateCount {
                    gate: row.try_get("gate")?,
                    admitted: row.try_get("admitted")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()?)
    }

    async fn door_sessions(
        &self,
        organization: OrganizationId,
        user: UserId,
        limit: i64,
    ) -> StoreResult<Vec<DoorSession>> {
        let rows = sqlx::query(
            "SELECT s.id, s.starts_at, e.id AS event_id, e.title, v.name AS venue_name, v.city, \
             v.time_zone FROM event_sessions s JOIN events e ON e.id = s.event_id \
             JOIN venues v ON v.id = e.venue_id \
             WHERE e.organization_id = $1 AND e.cancelled_at IS NULL \
             AND (NOT EXISTS (SELECT 1 FROM organization_member_events me \
                  WHERE me.organization_id = $1 AND me.user_id = $2) \
               OR EXISTS (SELECT 1 FROM organization_member_events me \
                  WHERE me.organization_id = $1 AND me.user_id = $2 AND me.event_id = e.id)) \
             ORDER BY s.starts_at, s.id LIMIT $3",
        )
        .bind(organization.0)
        .bind(user.0)
        .bind(limit)
        .fetch_all(self.reader())
        .await?;
        Ok(rows
            .iter()
            .map(|row| {
                let venue: String = row.try_get("venue_name")?;
                let city: String = row.try_get("city")?;
                Ok(DoorSession {
                    session_id: SessionId(row.try_get("id")?),
                    event_id: EventId(row.try_get("event_id")?),
                    event_title: row.try_get("title")?,
                    starts_at: from_micros(row.try_get("starts_at")?),
                    venue: format!("{venue} — {city}"),
                    time_zone: row.try_get("time_zone")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()?)
    }
}
