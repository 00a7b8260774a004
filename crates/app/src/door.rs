//! The door on a phone: the sessions whose door a member may run, one session's door with its
//! live counts per gate. A scan itself is `gate::check_in` (online) or `gate::sync` (made
//! offline), the same as the API's.

use crate::App;
use crate::error::{AppError, AppResult, Denied};
use crate::organizations::{Standing, standing};
use bilheteria_domain::account::User;
use bilheteria_domain::catalog::{Event, EventSession};
use bilheteria_domain::ids::{OrganizationId, SessionId};
use bilheteria_domain::organization::Capability;
use bilheteria_store::{DoorSession, GateCount};

/// As many sessions as the door's first page lists.
const DOOR_SESSIONS: i64 = 200;

/// The organization's sessions whose door the caller may run. Outside the organization
/// `NotFound`; a member whose role runs no door `Forbidden`.
#[tracing::instrument(skip_all, fields(organization = %organization))]
pub async fn sessions(
    app: &App,
    user: &User,
    organization: OrganizationId,
) -> AppResult<(Standing, Vec<DoorSession>)> {
    let standing = standing(app, user, organization, None).await?;
    if !standing.may_somewhere(Capability::RunDoor) {
        return Err(AppError::Forbidden(Denied::RoleMayNot));
    }
    let sessions = app
        .store
        .door_sessions(organization, user.id, DOOR_SESSIONS)
        .await?;
    Ok((standing, sessions))
}

/// One session's door: the session, its event, the venue's name and zone, and the tickets let
/// in per gate so far.
#[derive(Clone, Debug)]
pub struct Door {
    pub standing: Standing,
    pub session: EventSession,
    pub event: Event,
    pub venue: String,
    pub time_zone: String,
    pub counts: Vec<GateCount>,
}

/// The door of `session` for a caller who may run it: a session of another organization is
/// `NotFound`, as is anything for an outsider; a member whose role or events do not run this
/// door `Forbidden`.
#[tracing::instrument(skip_all, fields(organization = %organization, session = %session))]
pub async fn door(
    app: &App,
    user: &User,
    organization: OrganizationId,
    session: SessionId,
) -> AppResult<Door> {
    let standing = standing(app, user, organization, None).await?;
    let found = app
        .store
        .get_session(session)
        .await?
        .ok_or(AppError::NotFound("session"))?;
    let event = app
        .store
        .get_event(found.event_id)
        .await?
        .filter(|event| event.organization_id == organization)
        .ok_or(AppError::NotFound("session"))?;
    if !standing.may(Capability::RunDoor, Some(event.id)) {
        return Err(AppError::Forbidden(Denied::NotEventStaff));
    }
    let venue = app.store.get_venue(event.venue_id).await?;
    let counts = app.store.gate_counts(session).await?;
    Ok(Door {
        standing,
        venue: venue
            .as_ref()
            .map_or_else(String::new, |v| format!("{} — {}", v.name, v.city)),
        time_zone: venue.map_or_else(
            || bilheteria_domain::locale::DEFAULT_TIME_ZONE.to_owned(),
            |v| v.time_zone,
        ),
        session: found,
        event,
        counts,
    })
}
