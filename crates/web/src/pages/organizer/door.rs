//! The door on a phone (`/organizer/{org}/door`): the sessions whose door a `checkin` member
//! (or a manager) may run, and one session's door. Without JavaScript the door is a form that
//! posts a typed code and shows the server's answer; with it (`/static/door.js`) the phone's
//! camera reads QR codes, and with no network the phone checks codes against the session's
//! gate bundle it keeps, then syncs its scans. Who may is the application's answer
//! (`door::sessions`, `door::door`); a scan is `gate::check_in`, as `POST /checkin` calls it.

use super::{Input, OrgNav, PageResult, Visitor};
use crate::api::error::ApiError;
use crate::pages::door_words::{self, DoorWords};
use crate::pages::{PageId, PageIds, shown_again};
use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use bilheteria_app::{App, AppError, door, gate};
use bilheteria_domain::gate::{DoorOutcome, ScanInput};
use bilheteria_domain::half_price::{Eligibility, TicketType};
use bilheteria_domain::ids::{OrganizationId, SessionId};
use bilheteria_domain::locale::Language;

/// A session as the door's first page lists it.
pub struct SessionLine {
    pub link: String,
    pub title: String,
    pub when: String,
    pub venue: String,
}

#[derive(Template)]
#[template(path = "organizer_door.html")]
struct SessionsPage {
    c: super::super::Chrome,
    d: &'static DoorWords,
    nav: OrgNav,
    sessions: Vec<SessionLine>,
}

/// `GET /organizer/{org}/door`: the sessions to choose from.
pub async fn sessions(
    State(app): State<App>,
    visitor: Visitor,
    PageId(org): PageId<OrganizationId>,
) -> PageResult {
    let user = visitor.user()?;
    let (standing, found) = door::sessions(&app, user, org).await?;
    let lang = visitor.lang;
    let page = SessionsPage {
        c: visitor.chrome(None),
        d: door_words::of(lang),
        nav: OrgNav::of(&standing, "door"),
        sessions: found
            .into_iter()
            .map(|s| SessionLine {
                link: format!("/organizer/{org}/door/{}", s.session_id),
                when: lang.local_time(s.starts_at, &s.time_zone),
                title: s.event_title,
                venue: s.venue,
            })
            .collect(),
    };
    Ok(visitor.page(&page))
}

/// What the door shows of one scan, in large colours.
pub struct Shown {
    /// The outcome's wire word: the colour's class.
    pub class: &'static str,
    pub title: &'static str,
    pub hint: &'static str,
    pub lines: Vec<String>,
}

impl Shown {
    fn of(lang: Language, outcome: DoorOutcome, lines: Vec<String>) -> Self {
        let (title, hint) = door_words::outcome(lang, outcome);
        Shown {
            class: outcome.as_str(),
            title,
            hint,
            lines,
        }
    }
}

/// One gate's count.
pub struct CountLine {
    pub gate: String,
    pub admitted: i64,
}

#[derive(Template)]
#[template(path = "organizer_door_session.html")]
struct DoorPage {
    c: super::super::Chrome,
    d: &'static DoorWords,
    org: OrganizationId,
    session: SessionId,
    title: String,
    when: String,
    venue: String,
    shown: Option<Shown>,
    gate: Input,
    code: Input,
    nonce: String,
    above: Vec<String>,
    counts: Vec<CountLine>,
    total: i64,
    /// Every outcome's words, for the script: (wire word, title, hint).
    outcomes: Vec<(&'static str, &'static str, &'static str)>,
    /// The door's other words, for the script: (name, words).
    words: Vec<(&'static str, &'static str)>,
    /// What each half-price ground asks the gate to see: (wire word, sentence).
    documents: Vec<(&'static str, String)>,
    zone: String,
}

fn door_page(
    visitor: &Visitor,
    found: &door::Door,
    shown: Option<Shown>,
    fields: [Input; 2],
    above: Vec<String>,
) -> DoorPage {
    let [gate, code] = fields;
    let lang = visitor.lang;
    let d = door_words::of(lang);
    DoorPage {
        c: visitor.chrome(None),
        d,
        org: found.event.organization_id,
        session: found.session.id,
        title: found.event.title.clone(),
        when: lang.local_time(found.session.starts_at, &found.time_zone),
        venue: found.venue.clone(),
        shown,
        gate,
        code,
        nonce: format!("door-{}", uuid::Uuid::now_v7().simple()),
        above,
        total: found.counts.iter().map(|c| c.admitted).sum(),
        counts: found
            .counts
            .iter()
            .map(|c| CountLine {
                gate: c.gate.clone(),
                admitted: c.admitted,
            })
            .collect(),
        outcomes: DoorOutcome::ALL
            .into_iter()
            .map(|outcome| {
                let (title, hint) = door_words::outcome(lang, outcome);
                (outcome.as_str(), title, hint)
            })
            .collect(),
        words: d.all(),
        documents: Eligibility::ALL
            .into_iter()
            .map(|e| (e.as_str(), crate::pages::words::document(lang, e)))
            .collect(),
        zone: found.time_zone.clone(),
    }
}

fn fields(visitor: &Visitor) -> (Input, Input) {
    let d = door_words::of(visitor.lang);
    let mut gate = Input::new("gate", d.gate, "text", 64).hint(d.gate_hint);
    gate.value = d.default_gate.to_owned();
    let code = Input::new(
        "code",
        d.code,
        "text",
        bilheteria_domain::gate::MAX_CODE_CHARS,
    )
    .hint(d.code_hint);
    (gate, code)
}

/// `GET /organizer/{org}/door/{session}`: the door.
pub async fn door_page_get(
    State(app): State<App>,
    visitor: Visitor,
    PageIds(org, session): PageIds<OrganizationId, SessionId>,
) -> PageResult {
    let user = visitor.user()?;
    let found = door::door(&app, user, org, session).await?;
    let (gate, code) = fields(&visitor);
    Ok(visitor.page(&door_page(&visitor, &found, None, [gate, code], Vec::new())))
}

/// `POST /organizer/{org}/door/{session}`: checks a typed code online, as `POST /checkin`.
pub async fn check(
    State(app): State<App>,
    visitor: Visitor,
    PageIds(org, session): PageIds<OrganizationId, SessionId>,
    body: Bytes,
) -> PageResult {
    let form = visitor.form(&body)?;
    let user = visitor.user()?;
    door::door(&app, user, org, session).await?;
    let (gate, code) = fields(&visitor);
    let mut gate = gate.typed(&form);
    let mut code = code.typed(&form);
    let lang = visitor.lang;
    let d = door_words::of(lang);
    let input = ScanInput {
        code: code.value.clone(),
        gate: gate.value.clone(),
        nonce: form.get("nonce").unwrap_or_default().to_owned(),
        session_id: Some(session),
    };
    let answer = match input.parse() {
        Ok(scan) => gate::check_in(&app, user, scan).await,
        Err(errors) => Err(AppError::Invalid(errors)),
    };
    let shown = match answer {
        Ok(admitted) => {
            let mut lines = Vec::new();
            if let Some(seat) = &admitted.ticket.seat {
                lines.push(format!(
                    "{}: {} · {}",
                    d.place,
                    seat.section,
                    crate::pages::words::row_seat(lang, &seat.row, seat.number)
                ));
            }
            let outcome = if admitted.ticket.ticket_type == TicketType::Half {
                if let Some(eligibility) = admitted.ticket.eligibility {
                    lines.push(crate::pages::words::document(lang, eligibility));
                }
                DoorOutcome::CheckDocument
            } else {
                DoorOutcome::Admitted
            };
            Shown::of(lang, outcome, lines)
        }
        Err(AppError::TicketUsed {
            first_scan_at,
            gate: first_gate,
        }) => {
            let found = door::door(&app, user, org, session).await?;
            let at = lang.local_time(first_scan_at, &found.time_zone);
            Shown::of(
                lang,
                DoorOutcome::AlreadyUsed,
                vec![door_words::used_at(lang, &at, &first_gate)],
            )
        }
        Err(AppError::TicketRevoked) => Shown::of(lang, DoorOutcome::Revoked, Vec::new()),
        Err(AppError::TicketWrongSession) => Shown::of(lang, DoorOutcome::WrongSession, Vec::new()),
        Err(AppError::InvalidTicket) => Shown::of(lang, DoorOutcome::Invalid, Vec::new()),
        Err(AppError::ScreenCodeRequired) => {
            Shown::of(lang, DoorOutcome::ScreenRequired, Vec::new())
        }
        Err(AppError::ScreenCodeExpired) => Shown::of(lang, DoorOutcome::ScreenExpired, Vec::new()),
        Err(error @ AppError::Invalid(_)) => {
            let problem = ApiError::from(error);
            let complaints = super::Complaints::of(lang, &problem, &["code", "gate"]);
            let mut inputs = [gate, code];
            complaints.place(&mut inputs);
            [gate, code] = inputs;
            let found = door::door(&app, user, org, session).await?;
            let page = door_page(&visitor, &found, None, [gate, code], complaints.above);
            return Ok(shown_again(&visitor, &page, &problem));
        }
        Err(other) => return Err(other.into()),
    };
    // The next scan starts empty; the gate stays.
    code.value.clear();
    gate.problem = None;
    let found = door::door(&app, user, org, session).await?;
    Ok(visitor.page(&door_page(
        &visitor,
        &found,
        Some(shown),
        [gate, code],
        Vec::new(),
    )))
}
