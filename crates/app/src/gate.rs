//! The gate (check-in): staff an organizer assigns to an event, and a scan's answer. A scan is
//! verified offline-style first (the code's signature, the gate's session), then applied in one
//! transaction that lets a ticket in at most once.

use crate::App;
use crate::access::{managed_event, organization_access};
use crate::error::{AppError, AppResult, Denied};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bilheteria_domain::account::User;
use bilheteria_domain::audit::AuditContext;
use bilheteria_domain::catalog::Event;
use bilheteria_domain::gate::Scan;
use bilheteria_domain::ids::{EventId, SessionId, UserId};
use bilheteria_domain::organization::Capability;
use bilheteria_domain::screen::{self, ScreenCodes, ScreenError};
use bilheteria_domain::tickets::{Ticket, TicketStatus};
use bilheteria_store::{NewScan, ScanOutcome, SyncedScan};
use time::OffsetDateTime;

/// A ticket let in.
#[derive(Clone, Debug)]
pub struct Admitted {
    pub ticket: Ticket,
    pub gate: String,
    pub scanned_at: OffsetDateTime,
}

/// Lets the account with `email` scan the tickets of `event`: makes them a `checkin` member of
/// its organization limited to it (whoever may manage the organization's team, or an admin).
pub async fn assign_staff(
    app: &App,
    manager: &User,
    event: EventId,
    email: &str,
    audit: &AuditContext,
) -> AppResult<User> {
    managed_event(app, event, manager, Capability::ManageTeam).await?;
    let normalized = bilheteria_domain::account::Email::normalize(email);
    let staff = app
        .store
        .find_credentials(&normalized)
        .await?
        .ok_or(AppError::NotFound("user"))?
        .user;
    app.store
        .assign_staff(event, staff.id, app.clock.now(), audit)
        .await?;
    Ok(staff)
}

pub async fn remove_staff(
    app: &App,
    manager: &User,
    event: EventId,
    staff: UserId,
    audit: &AuditContext,
) -> AppResult<()> {
    managed_event(app, event, manager, Capability::ManageTeam).await?;
    if app
        .store
        .remove_staff(event, staff, app.clock.now(), audit)
        .await?
    {
        Ok(())
    } else {
        Err(AppError::NotFound("staff assignment"))
    }
}

pub async fn event_staff(app: &App, manager: &User, event: EventId) -> AppResult<Vec<User>> {
    managed_event(app, event, manager, Capability::ManageTeam).await?;
    Ok(app.store.event_staff(event).await?)
}

/// Whether `user` may scan the tickets of `event`: a member of its organization whose role
/// runs the door there, or an admin.
async fn may_scan(app: &App, user: &User, event: &Event) -> AppResult<bool> {
    match organization_access(
        app,
        user,
        event.organization_id,
        Capability::RunDoor,
        Some(event.id),
        "event",
    )
    .await
    {
        Ok(_) => Ok(true),
        Err(AppError::NotFound(_) | AppError::Forbidden(_)) => Ok(false),
        Err(other) => Err(other),
    }
}

/// What a gate read, verified as of `at`: the signed part's signature, then its on-screen time
/// part against the session's rule (`static`, `rotating` or `screen_only`).
pub async fn verify_scanned(
    app: &App,
    code: &str,
    at: OffsetDateTime,
) -> AppResult<bilheteria_domain::tickets::TicketClaims> {
    let scanned = screen::split(code).map_err(|_| AppError::InvalidTicket)?;
    let claims = app
        .ticket_keys
        .verify(scanned.signed)
        .map_err(|_| AppError::InvalidTicket)?;
    let session = app
        .store
        .get_session(claims.session_id)
        .await?
        .ok_or(AppError::InvalidTicket)?;
    if session.screen_codes != ScreenCodes::Static || scanned.time_part.is_some() {
        let secret = app
            .store
            .screen_secret(claims.session_id)
            .await?
            .unwrap_or_default();
        screen::check(
            &scanned,
            session.screen_codes,
            &secret,
            claims.ticket_id,
            claims.version,
            at,
        )
        .map_err(|error| match error {
            ScreenError::Required => AppError::ScreenCodeRequired,
            ScreenError::Expired => AppError::ScreenCodeExpired,
            ScreenError::Malformed | ScreenError::BadTag => AppError::InvalidTicket,
        })?;
    }
    Ok(claims)
}

/// `POST /checkin`: `admitted`, or why not.
pub async fn check_in(app: &App, staff: &User, scan: Scan) -> AppResult<Admitted> {
    let claims = verify_scanned(app, &scan.code, app.clock.now()).await?;
    if scan
        .session_id
        .is_some_and(|session| session != claims.session_id)
    {
        return Err(AppError::TicketWrongSession);
    }
    let ticket = app
        .store
        .get_ticket(claims.ticket_id)
        .await?
        .ok_or(AppError::InvalidTicket)?;
    let event = app
        .store
        .get_event(ticket.event_id)
        .await?
        .ok_or(AppError::InvalidTicket)?;
    if !may_scan(app, staff, &event).await? {
        return Err(AppError::Forbidden(Denied::NotEventStaff));
    }
    let outcome = app
        .store
        .check_in(NewScan {
            ticket_id: ticket.id,
            version: i64::from(claims.version),
            session_id: ticket.session_id,
            gate: scan.gate,
            nonce: scan.nonce,
            staff_id: staff.id,
            at: app.clock.now(),
            recorded_at: app.clock.now(),
        })
        .await?;
    metrics::counter!("checkins_total", "outcome" => match &outcome {
        ScanOutcome::Admitted(_) => "admitted",
        ScanOutcome::AlreadyUsed(_) => "ticket_used",
        ScanOutcome::Revoked => "ticket_revoked",
        ScanOutcome::Unknown => "invalid_ticket",
    })
    .increment(1);
    match outcome {
        ScanOutcome::Admitted(admission) => Ok(Admitted {
            ticket,
            gate: admission.gate,
            scanned_at: admission.at,
        }),
        ScanOutcome::AlreadyUsed(first) => Err(AppError::TicketUsed {
            first_scan_at: first.at,
            gate: first.gate,
        }),
        ScanOutcome::Revoked => Err(AppError::TicketRevoked),
        ScanOutcome::Unknown => Err(AppError::InvalidTicket),
    }
}

/// Tickets per page of a gate bundle.
const BUNDLE_PAGE: i64 = 5_000;
/// How far a finished delta steps back: a ticket changed by a transaction that committed after
/// a later-stamped one is still sent at the next poll (a gate applies a repeat harmlessly).
const DELTA_OVERLAP_MICROS: i64 = 10_000_000;

/// Codes a gate must refuse: of `ticket_id`, every version up to `up_to_version`.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct RevokedCodes {
    pub ticket_id: bilheteria_domain::ids::TicketId,
    pub up_to_version: i64,
}

#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ScreenRule {
    pub codes: ScreenCodes,
    /// base64url; keep it on the gate: whoever has it can make any ticket's on-screen code.
    pub secret: String,
}

/// What the gate shows of the session it lets in.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct GateSession {
    pub id: SessionId,
    pub event_id: EventId,
    pub event_title: String,
    #[serde(with = "time::serde::rfc3339")]
    pub starts_at: OffsetDateTime,
    pub venue: String,
    /// The venue's IANA time zone: a gate shows times in it.
    pub time_zone: String,
}

/// `GET /checkin/sessions/{id}/bundle`: everything a gate needs to check this session's
/// tickets with no network.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Bundle {
    pub session: GateSession,
    /// Ed25519 keys that verify ticket codes.
    pub keys: Vec<crate::ticket_keys::PublicKey>,
    /// How the session's on-screen codes are checked, and the secret that checks them.
    pub screen: ScreenRule,
    /// Tickets changed since `since` (all of them without it), oldest change first.
    pub tickets: Vec<bilheteria_store::GateTicket>,
    /// The same changes seen as codes to refuse: older versions, and cancelled tickets.
    pub revoked: Vec<RevokedCodes>,
    /// Send it back as `since` for the next page (while `complete` is false) or the next delta.
    pub next_since: String,
    pub complete: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub generated_at: OffsetDateTime,
}

/// The longest `since` taken: a `next_since` is at most 19 digits; leading zeros past this are
/// refused, as the API document says.
pub const MAX_SINCE_LEN: usize = 32;

fn parse_since(raw: Option<&str>) -> AppResult<i64> {
    match raw {
        None => Ok(0),
        Some(raw) => raw
            .parse::<i64>()
            .ok()
            .filter(|since| *since >= 0 && raw.len() <= MAX_SINCE_LEN)
            .ok_or_else(|| {
                AppError::Invalid(bilheteria_domain::FieldErrors::single(
                    "since",
                    bilheteria_domain::FieldProblem::UnknownSince,
                ))
            }),
    }
}

pub async fn bundle(
    app: &App,
    staff: &User,
    session_id: SessionId,
    since: Option<&str>,
) -> AppResult<Bundle> {
    let since = parse_since(since)?;
    let session = app
        .store
        .get_session(session_id)
        .await?
        .ok_or(AppError::NotFound("session"))?;
    let event = app
        .store
        .get_event(session.event_id)
        .await?
        .ok_or(AppError::NotFound("session"))?;
    if !may_scan(app, staff, &event).await? {
        return Err(AppError::Forbidden(Denied::NotEventStaff));
    }
    let venue = app.store.get_venue(event.venue_id).await?;
    let generated_at = app.clock.now();
    let mut tickets = app
        .store
        .gate_tickets(session_id, since, BUNDLE_PAGE + 1)
        .await?;
    let complete = tickets.len() as i64 <= BUNDLE_PAGE;
    tickets.truncate(BUNDLE_PAGE as usize);
    let last = tickets.last().map_or(since, |ticket| ticket.changed_at);
    let next_since = if complete {
        (last - DELTA_OVERLAP_MICROS).max(since)
    } else {
        last
    };
    let revoked = tickets
        .iter()
        .filter_map(|ticket| {
            let up_to_version = if ticket.status == TicketStatus::Cancelled {
                ticket.version
            } else {
                ticket.version - 1
            };
            (up_to_version > 0).then_some(RevokedCodes {
                ticket_id: ticket.ticket_id,
                up_to_version,
            })
        })
        .collect();
    Ok(Bundle {
        session: GateSession {
            id: session.id,
            event_id: event.id,
            event_title: event.title,
            starts_at: session.starts_at,
            venue: venue
                .as_ref()
                .map_or_else(String::new, |v| format!("{} — {}", v.name, v.city)),
            time_zone: venue.map_or_else(
                || bilheteria_domain::locale::DEFAULT_TIME_ZONE.to_owned(),
                |v| v.time_zone,
            ),
        },
        keys: app.ticket_keys.public_keys(),
        screen: ScreenRule {
            codes: session.screen_codes,
            secret: URL_SAFE_NO_PAD.encode(
                app.store
                    .screen_secret(session_id)
                    .await?
                    .unwrap_or_default(),
            ),
        },
        tickets,
        revoked,
        next_since: next_since.to_string(),
        complete,
        generated_at,
    })
}

/// What became of one scan made offline.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct SyncResult {
    pub nonce: String,
    pub ticket_id: Option<bilheteria_domain::ids::TicketId>,
    /// `admitted` (the ticket's first scan), `duplicate` (another scan came first: `first_gate`
    /// and `first_scan_at` say which), `ticket_revoked`, `invalid_ticket`, `forbidden` (a
    /// ticket of an event the caller does not check in), `screen_code_required` or
    /// `screen_code_expired` (as of when it was scanned).
    pub result: &'static str,
    pub gate: String,
    #[serde(with = "time::serde::rfc3339")]
    pub scanned_at: OffsetDateTime,
    pub first_gate: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub first_scan_at: Option<OffsetDateTime>,
    /// An admission recorded earlier (online, or synced by another gate) that this earlier scan
    /// turned into a duplicate: the ticket was let in at both gates.
    pub displaced_gate: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub displaced_at: Option<OffsetDateTime>,
}

/// `POST /checkin/sync`: applies scans made offline, earliest first; the first scan of a ticket
/// wins wherever it was made and whenever it arrives.
pub async fn sync(
    app: &App,
    staff: &User,
    input: bilheteria_domain::gate::SyncInput,
) -> AppResult<Vec<SyncResult>> {
    let scans = input.parse(app.clock.now())?;
    let mut results = Vec::with_capacity(scans.len());
    let mut allowed: std::collections::HashMap<EventId, bool> = std::collections::HashMap::new();
    for (scan, scanned_at) in scans {
        let mut result = SyncResult {
            nonce: scan.nonce.clone(),
            ticket_id: None,
            result: "invalid_ticket",
            gate: scan.gate.clone(),
            scanned_at,
            first_gate: None,
            first_scan_at: None,
            displaced_gate: None,
            displaced_at: None,
        };
        let claims = match verify_scanned(app, &scan.code, scanned_at).await {
            Ok(claims) => claims,
            Err(AppError::ScreenCodeRequired) => {
                result.result = "screen_code_required";
                results.push(result);
                continue;
            }
            Err(AppError::ScreenCodeExpired) => {
                result.result = "screen_code_expired";
                results.push(result);
                continue;
            }
            Err(AppError::InvalidTicket) => {
                results.push(result);
                continue;
            }
            Err(other) => return Err(other),
        };
        result.ticket_id = Some(claims.ticket_id);
        let Some(ticket) = app.store.get_ticket(claims.ticket_id).await? else {
            results.push(result);
            continue;
        };
        let may = match allowed.get(&ticket.event_id) {
            Some(may) => *may,
            None => {
                let may = match app.store.get_event(ticket.event_id).await? {
                    Some(event) => may_scan(app, staff, &event).await?,
                    None => false,
                };
                allowed.insert(ticket.event_id, may);
                may
            }
        };
        if !may {
            result.result = "forbidden";
            results.push(result);
            continue;
        }
        let synced = app
            .store
            .sync_scan(NewScan {
                ticket_id: ticket.id,
                version: i64::from(claims.version),
                session_id: ticket.session_id,
                gate: scan.gate,
                nonce: scan.nonce,
                staff_id: staff.id,
                at: scanned_at,
                recorded_at: app.clock.now(),
            })
            .await?;
        result.result = match synced {
            SyncedScan::Admitted { displaced } => {
                if let Some(displaced) = displaced {
                    result.displaced_gate = Some(displaced.gate);
                    result.displaced_at = Some(displaced.at);
                }
                "admitted"
            }
            SyncedScan::Duplicate(first) => {
                result.first_gate = Some(first.gate);
                result.first_scan_at = Some(first.at);
                "duplicate"
            }
            SyncedScan::Revoked => "ticket_revoked",
            SyncedScan::Unknown => "invalid_ticket",
        };
        metrics::counter!("checkins_synced_total", "outcome" => result.result).increment(1);
        results.push(result);
    }
    Ok(results)
}

/// What the holder's phone shows at the gate: the live code, and the key to make the next ones.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ScreenCode {
    pub ticket_id: bilheteria_domain::ids::TicketId,
    pub codes: ScreenCodes,
    /// The code to show now (the signed code plus a part that changes every `window_seconds`).
    pub code: String,
    pub window_seconds: i64,
    /// This ticket's key (base64url): with it a phone makes the next codes offline
    /// (`code.window.tag`, the tag being HMAC-SHA256(key, window as 8 bytes big-endian),
    /// first 8 bytes, base64url).
    pub key: String,
}

/// `GET /tickets/{id}/screen`: the holder's live on-screen code.
pub async fn screen_code(
    app: &App,
    holder: &User,
    id: bilheteria_domain::ids::TicketId,
) -> AppResult<ScreenCode> {
    let (ticket, session) = crate::access::held_ticket(app, id, holder).await?;
    screen_code_of(app, &ticket, &session).await
}

/// The on-screen code of `ticket` now, for whoever may show it.
pub async fn screen_code_of(
    app: &App,
    ticket: &bilheteria_domain::tickets::Ticket,
    session: &bilheteria_domain::catalog::EventSession,
) -> AppResult<ScreenCode> {
    let signed = ticket.code.clone().ok_or(AppError::TicketRevoked)?;
    let secret = app
        .store
        .screen_secret(ticket.session_id)
        .await?
        .unwrap_or_default();
    let version =
        u32::try_from(ticket.version).map_err(|_| AppError::internal("ticket version"))?;
    let key = screen::ticket_key(&secret, ticket.id, version);
    Ok(ScreenCode {
        ticket_id: ticket.id,
        codes: session.screen_codes,
        code: screen::rotating_code(&signed, &key, app.clock.now()),
        window_seconds: screen::WINDOW_SECONDS,
        key: URL_SAFE_NO_PAD.encode(key),
    })
}

#[cfg(test)]
mod since_tests {
    use super::*;

    #[test]
    fn since_is_a_next_since_no_longer_than_the_document_allows() {
        assert_eq!(parse_since(None).unwrap(), 0);
        assert_eq!(
            parse_since(Some("1765000000000000")).unwrap(),
            1_765_000_000_000_000
        );
        assert!(parse_since(Some(&"0".repeat(MAX_SINCE_LEN))).is_ok());
        assert!(parse_since(Some(&"0".repeat(MAX_SINCE_LEN + 1))).is_err());
        assert!(parse_since(Some("-1")).is_err());
    }
}
