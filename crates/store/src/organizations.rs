//! The SQL of organizations and their teams. Compiled twice, like `shared.rs`.
//!
//! Team changes lock the organization's row first, so that two of them cannot both take away
//! what the other counted on (its last owner).

use super::shared::*;
use super::{Db, ThisBackend, Tx};
use crate::dialect::Dialect;
use crate::{CatalogStore, OrganizationStore, Refusal, StoreError, StoreResult};
use async_trait::async_trait;
use bilheteria_domain::audit::AuditContext;
use bilheteria_domain::catalog::{Product, Venue};
use bilheteria_domain::clock::{from_micros, to_micros};
use bilheteria_domain::ids::{EventId, OrganizationId, UserId, VenueId};
use bilheteria_domain::organization::{
    Member, MemberRole, Membership, MyOrganization, NewOrganization, Organization,
};
use bilheteria_domain::page::{Page, PageRequest};
use sqlx::{AssertSqlSafe, QueryBuilder, Row};
use std::collections::HashMap;
use time::OffsetDateTime;
use uuid::Uuid;

const ORGANIZATION_COLUMNS: &str =
    "o.id, o.name, o.document, o.contact_email, o.suspended_at, o.created_at";

fn organization_from_row(row: &DbRow) -> Result<Organization, sqlx::Error> {
    Ok(Organization {
        id: OrganizationId(row.try_get("id")?),
        name: row.try_get("name")?,
        document: row.try_get("document")?,
        contact_email: row.try_get("contact_email")?,
        suspended_at: row
            .try_get::<Option<i64>, _>("suspended_at")?
            .map(from_micros),
        created_at: from_micros(row.try_get("created_at")?),
    })
}

fn role_from_row(row: &DbRow) -> Result<MemberRole, sqlx::Error> {
    let role: String = row.try_get("role")?;
    MemberRole::parse(&role).map_err(|_| corrupt("organization_members.role"))
}

/// The events each of `users` is limited to in `organization` (absent: none, so all).
async fn limits_of<'e, E>(
    executor: E,
    organization: Uuid,
    users: &[Uuid],
) -> Result<HashMap<Uuid, Vec<EventId>>, sqlx::Error>
where
    E: sqlx::Executor<'e, Database = Db>,
{
    let mut limits: HashMap<Uuid, Vec<EventId>> = HashMap::new();
    if users.is_empty() {
        return Ok(limits);
    }
    let mut query = QueryBuilder::<Db>::new(
        "SELECT user_id, event_id FROM organization_member_events WHERE organization_id = ",
    );
    query.push_bind(organization).push(" AND user_id IN (");
    let mut ids = query.separated(", ");
    for user in users {
        ids.push_bind(*user);
    }
    ids.push_unseparated(") ORDER BY user_id, event_id");
    for row in query.build().fetch_all(executor).await? {
        limits
            .entry(row.try_get("user_id")?)
            .or_default()
            .push(EventId(row.try_get("event_id")?));
    }
    Ok(limits)
}

/// The member as stored, with their account's address and name.
async fn member_in(
    tx: &mut Tx,
    organization: OrganizationId,
    user: UserId,
) -> Result<Option<Member>, sqlx::Error> {
    let Some(row) = sqlx::query(
        "SELECT m.user_id, m.role, m.created_at, u.email, u.name FROM organization_members m \
         JOIN users u ON u.id = m.user_id WHERE m.organization_id = $1 AND m.user_id = $2",
    )
    .bind(organization.0)
    .bind(user.0)
    .fetch_optional(&mut **tx)
    .await?
    else {
        return Ok(None);
    };
    let mut limits = limits_of(&mut **tx, organization.0, &[user.0]).await?;
    Ok(Some(member_from_row(&row, limits.remove(&user.0))?))
}

fn member_from_row(row: &DbRow, event_ids: Option<Vec<EventId>>) -> Result<Member, sqlx::Error> {
    Ok(Member {
        user_id: UserId(row.try_get("user_id")?),
        email: row.try_get("email")?,
        name: row.try_get("name")?,
        role: role_from_row(row)?,
        event_ids,
        created_at: from_micros(row.try_get("created_at")?),
    })
}

/// Locks the organization's row for a team change; `NotFound` when there is none.
async fn lock_organization(tx: &mut Tx, organization: OrganizationId) -> StoreResult<()> {
    sqlx::query(AssertSqlSafe(format!(
        "SELECT id FROM organizations WHERE id = $1{}",
        ThisBackend::LOCK_ROW
    )))
    .bind(organization.0)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(StoreError::NotFound)?;
    Ok(())
}

async fn owners_besides(
    tx: &mut Tx,
    organization: OrganizationId,
    user: UserId,
) -> Result<i64, sqlx::Error> {
    sqlx::query(
        "SELECT COUNT(*) AS n FROM organization_members \
         WHERE organization_id = $1 AND role = 'owner' AND user_id <> $2",
    )
    .bind(organization.0)
    .bind(user.0)
    .fetch_one(&mut **tx)
    .await?
    .try_get("n")
}

fn member_change(
    action: &'static str,
    organization: OrganizationId,
    before: Option<&Member>,
    after: Option<&Member>,
) -> Change<'static> {
    Change {
        action,
        target_type: "organization",
        target_id: organization.to_string(),
        before: before.and_then(to_json),
        after: after.and_then(to_json),
    }
}

/// Refuses (`EventNotOfOrganization`, naming the first) events not of `organization`.
async fn events_of(
    tx: &mut Tx,
    organization: OrganizationId,
    event_ids: Option<&[EventId]>,
) -> StoreResult<()> {
    for (index, event) in event_ids.into_iter().flatten().enumerate() {
        let of_organization =
            sqlx::query("SELECT 1 AS one FROM events WHERE id = $1 AND organization_id = $2")
                .bind(event.0)
                .bind(organization.0)
                .fetch_optional(&mut **tx)
                .await?
                .is_some();
        if !of_organization {
            return Err(StoreError::Refused(Refusal::EventNotOfOrganization {
                index,
            }));
        }
    }
    Ok(())
}

/// Sets the events `user` is limited to in `organization` (`None`: all of them).
pub(super) async fn set_limits(
    tx: &mut Tx,
    organization: OrganizationId,
    user: UserId,
    event_ids: Option<&[EventId]>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "DELETE FROM organization_member_events WHERE organization_id = $1 AND user_id = $2",
    )
    .bind(organization.0)
    .bind(user.0)
    .execute(&mut **tx)
    .await?;
    for event in event_ids.into_iter().flatten() {
        sqlx::query(
            "INSERT INTO organization_member_events (organization_id, user_id, event_id) \
             VALUES ($1, $2, $3)",
        )
        .bind(organization.0)
        .bind(user.0)
        .bind(event.0)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

impl ThisBackend {
    async fn organization_in(
        tx: &mut Tx,
        organization: OrganizationId,
    ) -> StoreResult<Organization> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {ORGANIZATION_COLUMNS} FROM organizations o WHERE o.id = $1"
        )))
        .bind(organization.0)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(StoreError::NotFound)?;
        Ok(organization_from_row(&row)?)
    }
}

#[async_trait]
impl OrganizationStore for ThisBackend {
    #[tracing::instrument(skip_all, fields(backend = ThisBackend::backend().as_str()))]
    async fn create_organization(
        &self,
        organization: NewOrganization,
        owner: UserId,
        at: OffsetDateTime,
        audit: &AuditContext,
    ) -> StoreResult<Organization> {
        let id = OrganizationId::new();
        let at = from_micros(to_micros(at));
        let mut tx = self.begin_write().await?;
        let outcome = async {
            sqlx::query(
                "INSERT INTO organizations (id, name, document, contact_email, created_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(id.0)
            .bind(&organization.name)
            .bind(organization.document.as_str())
            .bind(&organization.contact_email)
            .bind(to_micros(at))
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO organization_members (organization_id, user_id, role, created_at) \
                 VALUES ($1, $2, 'owner', $3)",
            )
            .bind(id.0)
            .bind(owner.0)
            .bind(to_micros(at))
            .execute(&mut *tx)
            .await?;
            let created = Organization {
                id,
                name: organization.name,
                document: Some(organization.document.as_str().to_owned()),
                contact_email: organization.contact_email,
                suspended_at: None,
                created_at: at,
            };
            append_audit(
                &mut tx,
                audit,
                at,
                Change::created("organization.created", "organization", id, &created),
            )
            .await?;
            Ok::<_, StoreError>(created)
        }
        .await;
        finish(tx, outcome).await
    }

    async fn get_organization(&self, id: OrganizationId) -> StoreResult<Option<Organization>> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {ORGANIZATION_COLUMNS} FROM organizations o WHERE o.id = $1"
        )))
        .bind(id.0)
        .fetch_optional(self.reader())
        .await?;
        Ok(row.as_ref().map(organization_from_row).transpose()?)
    }

    async fn user_organizations(
        &self,
        user: UserId,
        page: &PageRequest,
    ) -> StoreResult<Page<MyOrganization>> {
        let after = parse_cursor_uuid(page)?;
        let mut query = QueryBuilder::<Db>::new("SELECT ");
        query.push(ORGANIZATION_COLUMNS).push(
            ", m.role FROM organization_members m JOIN organizations o \
             ON o.id = m.organization_id WHERE m.user_id = ",
        );
        query.push_bind(user.0);
        if let Some(after) = after {
            query.push(" AND m.organization_id > ").push_bind(after);
        }
        query
            .push(" ORDER BY m.organization_id LIMIT ")
            .push_bind(page.limit + 1);
        let rows = query.build().fetch_all(self.reader()).await?;
        let mut items = Vec::with_capacity(rows.len());
        for row in &rows {
            let organization = organization_from_row(row)?;
            let mut limits = limits_of(self.reader(), organization.id.0, &[user.0]).await?;
            items.push(MyOrganization {
                role: role_from_row(row)?,
                event_ids: limits.remove(&user.0),
                organization,
            });
        }
        Ok(Page::from_rows(items, page.limit, |mine| {
            mine.organization.id.to_string()
        }))
    }

    async fn membership(
        &self,
        organization: OrganizationId,
        user: UserId,
    ) -> StoreResult<Option<Membership>> {
        // One statement: the role, with one row per event the member is limited to.
        let rows = sqlx::query(
            "SELECT m.role, me.event_id FROM organization_members m \
             LEFT JOIN organization_member_events me \
             ON me.organization_id = m.organization_id AND me.user_id = m.user_id \
             WHERE m.organization_id = $1 AND m.user_id = $2",
        )
        .bind(organization.0)
        .bind(user.0)
        .fetch_all(self.reader())
        .await?;
        let Some(first) = rows.first() else {
            return Ok(None);
        };
        let mut events = Vec::new();
        for row in &rows {
            if let Some(event) = row.try_get::<Option<Uuid>, _>("event_id")? {
                events.push(EventId(event));
            }
        }
        Ok(Some(Membership {
            role: role_from_row(first)?,
            event_ids: (!events.is_empty()).then_some(events),
        }))
    }

    async fn list_members(
        &self,
        organization: OrganizationId,
        page: &PageRequest,
    ) -> StoreResult<Page<Member>> {
        let after = parse_cursor_uuid(page)?;
        let mut query = QueryBuilder::<Db>::new(
            "SELECT m.user_id, m.role, m.created_at, u.email, u.name FROM organization_members m \
             JOIN users u ON u.id = m.user_id WHERE m.organization_id = ",
        );
        query.push_bind(organization.0);
        if let Some(after) = after {
            query.push(" AND m.user_id > ").push_bind(after);
        }
        query
            .push(" ORDER BY m.user_id LIMIT ")
            .push_bind(page.limit + 1);
        let rows = query.build().fetch_all(self.reader()).await?;
        let users = rows
            .iter()
            .map(|row| row.try_get("user_id"))
            .collect::<Result<Vec<Uuid>, _>>()?;
        let mut limits = limits_of(self.reader(), organization.0, &users).await?;
        let members = rows
            .iter()
            .zip(&users)
            .map(|(row, user)| member_from_row(row, limits.remove(user)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_rows(members, page.limit, |member| {
            member.user_id.to_string()
        }))
    }

    async fn organization_venues(
        &self,
        organization: OrganizationId,
        page: &PageRequest,
    ) -> StoreResult<Page<Venue>> {
        let after = parse_cursor_uuid(page)?;
        let mut query = QueryBuilder::<Db>::new("SELECT id FROM venues WHERE organization_id = ");
        query.push_bind(organization.0);
        if let Some(after) = after {
            query.push(" AND id > ").push_bind(after);
        }
        query.push(" ORDER BY id LIMIT ").push_bind(page.limit + 1);
        let rows = query.build().fetch_all(self.reader()).await?;
        let mut venues = Vec::with_capacity(rows.len());
        for row in &rows {
            // A venue never changes once made: each is read once and then kept (`get_venue`).
            let id = VenueId(row.try_get("id")?);
            if let Some(venue) = self.get_venue(id).await? {
                venues.push(venue);
            }
        }
        Ok(Page::from_rows(venues, page.limit, |venue| {
            venue.id.to_string()
        }))
    }

    async fn organization_products(
        &self,
        organization: OrganizationId,
        page: &PageRequest,
    ) -> StoreResult<Page<Product>> {
        let after = parse_cursor_uuid(page)?;
        let mut query = QueryBuilder::<Db>::new(concat!(
            "SELECT ",
            product_columns!(),
            " FROM products p WHERE p.organization_id = "
        ));
        query.push_bind(organization.0);
        if let Some(after) = after {
            query.push(" AND p.id > ").push_bind(after);
        }
        query
            .push(" ORDER BY p.id LIMIT ")
            .push_bind(page.limit + 1);
        let rows = query.build().fetch_all(self.reader()).await?;
        let ids = rows
            .iter()
            .map(|row| row.try_get("id"))
            .collect::<Result<Vec<Uuid>, _>>()?;
        let mut events = self.product_event_ids(&ids).await?;
        let products = rows
            .iter()
            .zip(ids)
            .map(|(row, id)| product_from_row(row, events.remove(&id).unwrap_or_default()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_rows(products, page.limit, |product| {
            product.id.to_string()
        }))
    }

    #[tracing::instrument(skip_all, fields(backend = ThisBackend::backend().as_str()))]
    async fn set_member(
        &self,
        organization: OrganizationId,
        user: UserId,
        role: MemberRole,
        event_ids: Option<Vec<EventId>>,
        at: OffsetDateTime,
        audit: &AuditContext,
    ) -> StoreResult<Member> {
        let at = from_micros(to_micros(at));
        let mut tx = self.begin_write().await?;
        let outcome = async {
            lock_organization(&mut tx, organization).await?;
            events_of(&mut tx, organization, event_ids.as_deref()).await?;
            let before = member_in(&mut tx, organization, user).await?;
            let was_owner = before.as_ref().is_some_and(|m| m.role == MemberRole::Owner);
            if was_owner
                && role != MemberRole::Owner
                && owners_besides(&mut tx, organization, user).await? == 0
            {
                return Err(StoreError::Refused(Refusal::LastOwner));
            }
            if before.is_some() {
                sqlx::query(
                    "UPDATE organization_members SET role = $1 \
                     WHERE organization_id = $2 AND user_id = $3",
                )
                .bind(role.as_str())
                .bind(organization.0)
                .bind(user.0)
                .execute(&mut *tx)
                .await?;
            } else {
                sqlx::query(
                    "INSERT INTO organization_members (organization_id, user_id, role, created_at) \
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(organization.0)
                .bind(user.0)
                .bind(role.as_str())
                .bind(to_micros(at))
                .execute(&mut *tx)
                .await?;
            }
            set_limits(&mut tx, organization, user, event_ids.as_deref()).await?;
            let after = member_in(&mut tx, organization, user)
                .await?
                .ok_or(StoreError::NotFound)?;
            let action = if before.is_some() {
                "organization.member_changed"
            } else {
                "organization.member_added"
            };
            append_audit(
                &mut tx,
                audit,
                at,
                member_change(action, organization, before.as_ref(), Some(&after)),
            )
            .await?;
            Ok::<_, StoreError>(after)
        }
        .await;
        finish(tx, outcome).await
    }

    #[allow(clippy::too_many_arguments)]
    #[tracing::instrument(skip_all, fields(backend = ThisBackend::backend().as_str()))]
    async fn invite_member(
        &self,
        organization: OrganizationId,
        email_normalized: &str,
        role: MemberRole,
        event_ids: Option<Vec<EventId>>,
        invited_by: UserId,
        at: OffsetDateTime,
        audit: &AuditContext,
    ) -> StoreResult<()> {
        let at = from_micros(to_micros(at));
        let mut tx = self.begin_write().await?;
        let outcome = async {
            lock_organization(&mut tx, organization).await?;
            events_of(&mut tx, organization, event_ids.as_deref()).await?;
            let events = event_ids.as_ref().map(|ids| {
                ids.iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(",")
            });
            sqlx::query(
                "INSERT INTO organization_invitations \
                 (organization_id, email_normalized, role, event_ids, invited_by, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (organization_id, email_normalized) \
                 DO UPDATE SET role = excluded.role, event_ids = excluded.event_ids, \
                 invited_by = excluded.invited_by, created_at = excluded.created_at, accepted_at = NULL",
            )
            .bind(organization.0)
            .bind(email_normalized)
            .bind(role.as_str())
            .bind(&events)
            .bind(invited_by.0)
            .bind(to_micros(at))
            .execute(&mut *tx)
            .await?;
            append_audit(
                &mut tx,
                audit,
                at,
                Change {
                    action: "organization.member_invited",
                    target_type: "organization",
                    target_id: organization.to_string(),
                    before: None,
                    after: Some(
                        serde_json::json!({"email": email_normalized, "role": role.as_str(), "event_ids": event_ids})
                            .to_string(),
                    ),
                },
            )
            .await?;
            Ok::<_, StoreError>(())
        }
        .await;
        finish(tx, outcome).await
    }

    #[tracing::instrument(skip_all, fields(backend = ThisBackend::backend().as_str()))]
    async fn accept_invitations(
        &self,
        user: UserId,
        email_normalized: &str,
        at: OffsetDateTime,
    ) -> StoreResult<Vec<OrganizationId>> {
        let at = from_micros(to_micros(at));
        let mut tx = self.begin_write().await?;
        let outcome = async {
            let pending = sqlx::query(
                "SELECT organization_id, role, event_ids FROM organization_invitations \
                 WHERE email_normalized = $1 AND accepted_at IS NULL ORDER BY created_at",
            )
            .bind(email_normalized)
            .fetch_all(&mut *tx)
            .await?;
            let mut joined = Vec::with_capacity(pending.len());
            for row in &pending {
                let organization = OrganizationId(row.try_get("organization_id")?);
                let role: String = row.try_get("role")?;
                let role = MemberRole::parse(&role).map_err(|_| corrupt("invitation role"))?;
                let events: Option<String> = row.try_get("event_ids")?;
                let events: Option<Vec<EventId>> = events.map(|list| {
                    list.split(',')
                        .filter_map(|id| id.parse::<EventId>().ok())
                        .collect()
                });
                lock_organization(&mut tx, organization).await?;
                if member_in(&mut tx, organization, user).await?.is_none() {
                    sqlx::query(
                        "INSERT INTO organization_members (organization_id, user_id, role, created_at) \
                         VALUES ($1, $2, $3, $4)",
                    )
                    .bind(organization.0)
                    .bind(user.0)
                    .bind(role.as_str())
                    .bind(to_micros(at))
                    .execute(&mut *tx)
                    .await?;
                    set_limits(&mut tx, organization, user, events.as_deref()).await?;
                    let after = member_in(&mut tx, organization, user).await?;
                    append_audit(
                        &mut tx,
                        &AuditContext {
                            actor_id: Some(user),
                            ip: None,
                        },
                        at,
                        member_change(
                            "organization.member_added",
                            organization,
                            None,
                            after.as_ref(),
                        ),
                    )
                    .await?;
                    joined.push(organization);
                }
                sqlx::query(
                    "UPDATE organization_invitations SET accepted_at = $1 \
                     WHERE organization_id = $2 AND email_normalized = $3",
                )
                .bind(to_micros(at))
                .bind(organization.0)
                .bind(email_normalized)
                .execute(&mut *tx)
                .await?;
            }
            Ok::<_, StoreError>(joined)
        }
        .await;
        finish(tx, outcome).await
    }

    #[tracing::instrument(skip_all, fields(backend = ThisBackend::backend().as_str()))]
    async fn remove_member(
        &self,
        organization: OrganizationId,
        user: UserId,
        at: OffsetDateTime,
        audit: &AuditContext,
    ) -> StoreResult<bool> {
        let mut tx = self.begin_write().await?;
        let outcome = async {
            lock_organization(&mut tx, organization).await?;
            let Some(before) = member_in(&mut tx, organization, user).await? else {
                return Ok(false);
            };
            if before.role == MemberRole::Owner
                && owners_besides(&mut tx, organization, user).await? == 0
            {
                return Err(StoreError::Refused(Refusal::LastOwner));
            }
            set_limits(&mut tx, organization, user, None).await?;
            sqlx::query(
                "DELETE FROM organization_members WHERE organization_id = $1 AND user_id = $2",
            )
            .bind(organization.0)
            .bind(user.0)
            .execute(&mut *tx)
            .await?;
            append_audit(
                &mut tx,
                audit,
                at,
                member_change(
                    "organization.member_removed",
                    organization,
                    Some(&before),
                    None,
                ),
            )
            .await?;
            Ok::<_, StoreError>(true)
        }
        .await;
        finish(tx, outcome).await
    }

    #[tracing::instrument(skip_all, fields(backend = ThisBackend::backend().as_str()))]
    async fn set_suspended(
        &self,
        organization: OrganizationId,
        suspended: bool,
        at: OffsetDateTime,
        audit: &AuditContext,
    ) -> StoreResult<Organization> {
        let at = from_micros(to_micros(at));
        let mut tx = self.begin_write().await?;
        let outcome = async {
            lock_organization(&mut tx, organization).await?;
            let before = Self::organization_in(&mut tx, organization).await?;
            if before.suspended_at.is_some() == suspended {
                return Ok(before);
            }
            sqlx::query("UPDATE organizations SET suspended_at = $1 WHERE id = $2")
                .bind(suspended.then(|| to_micros(at)))
                .bind(organization.0)
                .execute(&mut *tx)
                .await?;
            let after = Organization {
                suspended_at: suspended.then_some(at),
                ..before.clone()
            };
            append_audit(
                &mut tx,
                audit,
                at,
                Change {
                    action: if suspended {
                        "organization.suspended"
                    } else {
                        "organization.unsuspended"
                    },
                    target_type: "organization",
                    target_id: organization.to_string(),
                    before: to_json(&before),
                    after: to_json(&after),
                },
            )
            .await?;
            Ok::<_, StoreError>(after)
        }
        .await;
        let after = finish(tx, outcome).await?;
        // Events carry whether their organization is suspended, and holds read them cached.
        self.caches.events.forget_all();
        Ok(after)
    }
}
