//! Browsing and picking: the home page with its search, an event with its sessions, a session
//! with its seat map, and the form that holds the places picked.

use super::seatmap::{self, category_class};
use super::words::{self, eligibility};
use super::{
    Chrome, PageError, PageId, PageResult, Visitor, encode, lenient_query, see_other,
    session_at_venue, venue_of,
};
use crate::cookies;
use askama::Template;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use bilheteria_app::{App, access, catalog, sales, seat_maps};
use bilheteria_domain::FieldProblem;
use bilheteria_domain::catalog::{
    Category, EventQuery, EventSession, SaleWindow, SeatMapSection, Venue, search_terms,
};
use bilheteria_domain::half_price::{Eligibility, half_price_cents};
use bilheteria_domain::ids::{EventId, SeatId, SectionId, SessionId};
use bilheteria_domain::images::Variant;
use bilheteria_domain::locale::{BRASILIA, Language};
use bilheteria_domain::page::PageRequest;
use bilheteria_domain::sales::HoldInput;
use bilheteria_domain::seating::Accessibility;
use serde::Deserialize;
use std::collections::HashMap;
use time::OffsetDateTime;
use time::macros::format_description;

/// Events per page of the home page.
const HOME_PAGE_SIZE: i64 = 12;

#[derive(Deserialize, Default)]
pub struct HomeQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    city: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    cursor: Option<String>,
}

struct EventCard {
    id: EventId,
    title: String,
    category: String,
    venue: String,
    next: Option<String>,
    price_from: Option<String>,
    /// The card's size of the poster, if the event has one.
    poster: Option<String>,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    c: Chrome,
    q: String,
    category: String,
    /// The categories' labels, offered as the visitor types one.
    categories: [&'static str; Category::ALL.len()],
    city: String,
    from: String,
    to: String,
    problems: Vec<String>,
    cards: Vec<EventCard>,
    more: Option<String>,
}

/// A date of the search form (`2027-03-06`), as the start of that day in Brasília.
fn parse_day(raw: &str) -> Result<Option<OffsetDateTime>, ()> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    time::Date::parse(raw, format_description!("[year]-[month]-[day]"))
        .map(|day| Some(day.midnight().assume_offset(BRASILIA)))
        .map_err(|_| ())
}

/// `GET /`: upcoming events, searched by words, category, city and dates, a page at a time.
pub async fn home(
    State(app): State<App>,
    visitor: Visitor,
    RawQuery(query): RawQuery,
) -> PageResult {
    let query: HomeQuery = lenient_query(query);
    let lang = visitor.lang;
    let mut problems = Vec::new();
    let bad_date = visitor.w.bad_date;
    let from = parse_day(&query.from).unwrap_or_else(|()| {
        problems.push(bad_date.to_owned());
        None
    });
    let to = parse_day(&query.to)
        .unwrap_or_else(|()| {
            problems.push(bad_date.to_owned());
            None
        })
        // "Until the 6th" includes the 6th.
        .map(|day| day + time::Duration::days(1));
    let trimmed = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty() && s.len() <= 200);
    let category = Category::filter(&query.category).unwrap_or_else(|_| {
        problems.push(visitor.w.unknown_category.to_owned());
        None
    });
    let filter = EventQuery {
        terms: search_terms(&query.q.chars().take(200).collect::<String>()),
        category,
        city: trimmed(&query.city),
        // Only what is still ahead, unless the visitor asked for dates.
        from: from.or(Some(app.clock.now())),
        to,
        include_drafts: false,
        ..EventQuery::default()
    };
    let page =
        PageRequest::parse(Some(HOME_PAGE_SIZE), query.cursor.as_deref()).unwrap_or(PageRequest {
            limit: HOME_PAGE_SIZE,
            after: None,
        });
    let events = app.store.list_events(&filter, &page).await?;
    let mut venues: HashMap<_, Venue> = HashMap::new();
    let mut cards = Vec::with_capacity(events.items.len());
    for event in events.items {
        if !venues.contains_key(&event.venue_id)
            && let Some(venue) = app.store.get_venue(event.venue_id).await?
        {
            venues.insert(event.venue_id, venue);
        }
        let venue = venues.get(&event.venue_id);
        let sessions = app.store.list_event_sessions(event.id).await?;
        let now = app.clock.now();
        let zone = venue.map_or(bilheteria_domain::locale::DEFAULT_TIME_ZONE, |v| {
            v.time_zone.as_str()
        });
        let next = sessions
            .iter()
            .filter(|s| s.starts_at > now)
            .map(|s| s.starts_at)
            .min()
            .map(|at| lang.list_time(at, zone));
        let price_from = sessions
            .iter()
            .flat_map(|s| s.categories.iter().map(|c| c.price_cents))
            .min()
            .map(|cents| lang.money(cents));
        cards.push(EventCard {
            poster: event.poster.as_ref().map(|hash| hash.url(Variant::Card)),
            id: event.id,
            title: event.title,
            category: event.category.label(lang).to_owned(),
            venue: venue.map_or_else(String::new, |v| format!("{} · {}", v.name, v.city)),
            next,
            price_from,
        });
    }
    let more = events.next_cursor.map(|cursor| {
        format!(
            "/?q={}&category={}&city={}&from={}&to={}&cursor={}",
            encode(&query.q),
            encode(&query.category),
            encode(&query.city),
            encode(&query.from),
            encode(&query.to),
            encode(&cursor)
        )
    });
    Ok(visitor.page(&HomePage {
        c: visitor.chrome(None),
        q: query.q,
        category: query.category,
        categories: Category::ALL.map(|c| c.label(lang)),
        city: query.city,
        from: query.from,
        to: query.to,
        problems,
        cards,
        more,
    }))
}

struct PriceRow {
    name: String,
    color: String,
    full: String,
    half: String,
}

struct SessionRow {
    when: String,
    sales: String,
    prices: Vec<PriceRow>,
    half: String,
    open: bool,
    link: String,
    action: &'static str,
}

#[derive(Template)]
#[template(path = "event.html")]
struct EventPage {
    c: Chrome,
    title: String,
    /// The page's size of the poster, if the event has one.
    poster: Option<String>,
    venue: String,
    description: Vec<String>,
    sessions: Vec<SessionRow>,
    products: Vec<ProductOffer>,
    /// A cancelled event: said so, with its organizer's reason.
    cancelled: Option<(&'static str, Option<String>)>,
}

/// A product as buyers are offered it: what is left of it, as it stands.
pub struct ProductOffer {
    pub id: String,
    pub name: String,
    pub price: String,
    /// "3 restantes", "Esgotado".
    pub left: String,
    pub sold_out: bool,
    /// The most a buyer may take at once: what is left, up to 10.
    pub max: i64,
    pub thumb: Option<String>,
}

/// The products offered with `event`, read afresh (`catalog::event_products_for_buyers`).
pub async fn product_offers(
    app: &App,
    lang: Language,
    event: EventId,
) -> PageResult<Vec<ProductOffer>> {
    Ok(catalog::event_products_for_buyers(app, event)
        .await?
        .into_iter()
        .map(|p| ProductOffer {
            id: p.id.to_string(),
            price: lang.money(p.price_cents),
            left: words::left_in_stock(lang, p.stock),
            sold_out: p.stock <= 0,
            max: p.stock.clamp(0, 10),
            thumb: p.image.as_ref().map(|hash| hash.url(Variant::Thumb)),
            name: p.name,
        })
        .collect())
}

/// `GET /events/{id}`: the event, its sessions in the venue's time, prices and half price.
pub async fn event(
    State(app): State<App>,
    visitor: Visitor,
    PageId(id): PageId<EventId>,
) -> PageResult {
    let lang = visitor.lang;
    let event = access::visible_event(&app, id, visitor.user.as_ref()).await?;
    let venue = venue_of(&app, &event).await?;
    let sessions = catalog::event_sessions_for_buyers(&app, id).await?;
    let now = app.clock.now();
    let rows = sessions
        .iter()
        .map(|session| {
            let window = session.sale_window(now);
            let sales = match window {
                // A cancelled event's sessions sell nothing, whatever their window says.
                _ if event.is_cancelled() => visitor.w.sales_cancelled.to_owned(),
                SaleWindow::Open if session.queue.enabled => visitor.w.queue_on.to_owned(),
                SaleWindow::Open => visitor.w.on_sale.to_owned(),
                SaleWindow::NotOpen => words::sales_open_at(
                    lang,
                    &lang.local_time(session.sales_start_at, &venue.time_zone),
                ),
                SaleWindow::Paused => visitor.w.sales_paused.to_owned(),
                SaleWindow::Closed => visitor.w.sales_closed.to_owned(),
            };
            let (link, action) = if session.queue.enabled {
                (
                    format!("/sessions/{}/queue", session.id),
                    visitor.w.enter_queue,
                )
            } else {
                (format!("/sessions/{}", session.id), visitor.w.buy_tickets)
            };
            SessionRow {
                when: lang.local_time(session.starts_at, &venue.time_zone),
                sales,
                prices: price_rows(lang, session),
                half: half_line(lang, session),
                // A queued session's waiting room opens before its sales.
                open: !event.is_cancelled()
                    && (window == SaleWindow::Open
                        || (session.queue.enabled && window == SaleWindow::NotOpen)),
                link,
                action,
            }
        })
        .collect();
    let products = product_offers(&app, lang, id).await?;
    Ok(visitor.page(&EventPage {
        c: visitor.chrome(None),
        cancelled: event.is_cancelled().then(|| {
            (
                visitor.w.event_cancelled_public,
                event
                    .cancel_reason
                    .as_deref()
                    .map(|reason| words::cancel_reason_said(lang, reason)),
            )
        }),
        poster: event.poster.as_ref().map(|hash| hash.url(Variant::Page)),
        title: event.title,
        venue: format!("{} · {}", venue.name, venue.city),
        description: event
            .description
            .split("\n\n")
            .map(str::to_owned)
            .filter(|p| !p.trim().is_empty())
            .collect(),
        sessions: rows,
        products,
    }))
}

fn price_rows(lang: Language, session: &EventSession) -> Vec<PriceRow> {
    session
        .categories
        .iter()
        .enumerate()
        .map(|(i, category)| PriceRow {
            name: category.name.clone(),
            color: category_class(i),
            full: lang.money(category.price_cents),
            half: lang.money(half_price_cents(category.price_cents)),
        })
        .collect()
}

fn half_line(lang: Language, session: &EventSession) -> String {
    session.half_price.as_ref().map_or_else(String::new, |h| {
        words::half_available(lang, h.available, h.quota)
    })
}

struct SectionRow {
    id: SectionId,
    name: String,
    color: String,
    full: String,
    half: String,
    available: i64,
    current: bool,
}

/// A row of free seats: its label, and each seat with its number, whether it is picked, and
/// what kind of seat it is ("" for most).
type RowSeats = (String, Vec<(SeatId, i64, bool, &'static str)>);

struct Pick {
    id: SectionId,
    name: String,
    color: String,
    seated: bool,
    svg: String,
    /// Whether it has wheelchair or companion seats (the legend says them).
    accessible: bool,
    rows: Vec<RowSeats>,
}

#[derive(Template)]
#[template(path = "session.html")]
struct SessionPage {
    c: Chrome,
    session_id: SessionId,
    event_id: EventId,
    title: String,
    when: String,
    venue: String,
    cap: String,
    /// How many more places the visitor may pick (the cap less what they already have).
    cap_left: i64,
    /// What the visitor already has against the cap, when they have some.
    taken: Option<String>,
    /// What the map says when a pick would pass the cap.
    cap_reached: String,
    half: String,
    hold_time: String,
    overview: String,
    sections: Vec<SectionRow>,
    pick: Option<Pick>,
    /// Tickets of the session on face-value resale.
    resale_listed: i64,
    eligibilities: Vec<(&'static str, &'static str)>,
    picks: Picks,
    /// What went wrong with the hold form, shown beside it.
    problems: Vec<String>,
}

/// What a hold form had in it: from the form itself when it is shown again with a problem, or
/// from the session page's query when a visitor comes back from logging in.
#[derive(Default)]
pub struct Picks {
    section: Option<SectionId>,
    seats: Vec<SeatId>,
    quantity: String,
    half: String,
    eligibility: String,
}

impl Picks {
    /// The picks of a hold form.
    fn of_form(form: &super::Form) -> Self {
        Picks {
            section: form.get("section_id").and_then(|raw| raw.parse().ok()),
            seats: form
                .all("seat_ids")
                .filter_map(|v| v.parse().ok())
                .collect(),
            quantity: form.get("quantity").unwrap_or_default().to_owned(),
            half: form.get("half_quantity").unwrap_or_default().to_owned(),
            eligibility: form.get("eligibility").unwrap_or_default().to_owned(),
        }
    }

    /// The places a hold had, to pick them again.
    pub(super) fn of_hold(hold: &bilheteria_domain::sales::Hold) -> Self {
        let count = |n: i64| if n > 0 { n.to_string() } else { String::new() };
        Picks {
            section: Some(hold.section_id),
            seats: hold.seat_ids.clone(),
            quantity: if hold.seat_ids.is_empty() {
                count(hold.quantity)
            } else {
                String::new()
            },
            half: count(hold.half_price_seat_ids.len() as i64 + hold.half_price_quantity),
            eligibility: hold
                .eligibility
                .map(|e| e.as_str().to_owned())
                .unwrap_or_default(),
        }
    }

    /// The picks a session page's query carries (`section`, `seat` repeated, `quantity`,
    /// `half`, `eligibility`); what does not parse is left out.
    fn of_query(raw: Option<&str>) -> Self {
        let mut picks = Picks::default();
        for (name, value) in form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
            let short = |v: &str| v.chars().take(20).collect::<String>();
            match name.as_ref() {
                "section" => picks.section = value.parse().ok(),
                "seat" => picks.seats.extend(value.parse::<SeatId>().ok()),
                "quantity" => picks.quantity = short(&value),
                "half" => picks.half = short(&value),
                "eligibility" => picks.eligibility = short(&value),
                _ => {}
            }
        }
        picks
    }

    /// The session page showing these picks, for the way back after logging in.
    fn page(&self, session: SessionId) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        if let Some(section) = self.section {
            query.append_pair("section", &section.to_string());
        }
        for seat in &self.seats {
            query.append_pair("seat", &seat.to_string());
        }
        for (name, value) in [
            ("quantity", &self.quantity),
            ("half", &self.half),
            ("eligibility", &self.eligibility),
        ] {
            if !value.is_empty() {
                query.append_pair(name, value);
            }
        }
        format!("/sessions/{session}?{}", query.finish())
    }
}

/// `GET /sessions/{id}`: the sections at a glance, then the one picked with its seats (or a
/// quantity for a standing one). Maps come from the shared snapshots, never a read per view.
pub async fn session(
    State(app): State<App>,
    visitor: Visitor,
    PageId(id): PageId<SessionId>,
    RawQuery(query): RawQuery,
) -> PageResult {
    let picks = Picks::of_query(query.as_deref());
    let notice = (!picks.seats.is_empty() || !picks.quantity.is_empty())
        .then(|| visitor.w.picks_kept.to_owned());
    session_page(&app, &visitor, id, picks, notice, None).await
}

/// The session page with `picks` ticked and, when the hold form failed, its problem beside it.
pub(super) async fn session_page(
    app: &App,
    visitor: &Visitor,
    id: SessionId,
    picks: Picks,
    notice: Option<String>,
    problem: Option<&crate::api::error::ApiError>,
) -> PageResult {
    let lang = visitor.lang;
    let viewer = visitor.user.as_ref();
    let (session, event, venue) = session_at_venue(app, id, viewer).await?;
    let overview_map = seat_maps::seat_map(app, viewer, id, None).await?;
    let picked = picks
        .section
        .filter(|s| overview_map.map.sections.iter().any(|m| m.id == *s));
    let category_index = |section: &SeatMapSection| {
        session
            .categories
            .iter()
            .position(|c| c.id == section.category_id)
            .unwrap_or(0)
    };
    let sections = overview_map
        .map
        .sections
        .iter()
        .map(|s| SectionRow {
            id: s.id,
            name: s.name.clone(),
            color: category_class(category_index(s)),
            full: lang.money(s.price_cents),
            half: lang.money(half_price_cents(s.price_cents)),
            available: s.available,
            current: Some(s.id) == picked,
        })
        .collect();
    let stage = seatmap::Stage::of(&venue);
    let pick = match picked {
        None => None,
        Some(section_id) => {
            let snapshot = seat_maps::seat_map(app, viewer, id, Some(section_id)).await?;
            snapshot.map.sections.first().map(|section| {
                let color = category_class(category_index(section));
                let price = lang.money(section.price_cents);
                let mut rows: Vec<RowSeats> = Vec::new();
                for seat in section.seats.iter().flatten() {
                    if seat.status != bilheteria_domain::catalog::SeatStatus::Available {
                        continue;
                    }
                    let kind = match seat.accessibility {
                        Some(Accessibility::Wheelchair) => visitor.w.seat_wheelchair,
                        Some(Accessibility::Companion) => visitor.w.seat_companion,
                        None => "",
                    };
                    let place = (seat.id, seat.number, picks.seats.contains(&seat.id), kind);
                    match rows.last_mut() {
                        Some((row, list)) if *row == seat.row => list.push(place),
                        _ => rows.push((seat.row.clone(), vec![place])),
                    }
                }
                Pick {
                    id: section.id,
                    name: section.name.clone(),
                    seated: seatmap::is_seated(section),
                    svg: seatmap::section_seats(
                        lang,
                        &stage,
                        section,
                        &color,
                        &price,
                        &picks.seats,
                    ),
                    accessible: section
                        .seats
                        .iter()
                        .flatten()
                        .any(|seat| seat.accessibility.is_some()),
                    color,
                    rows,
                }
            })
        }
    };
    let cap = session.max_tickets_per_user;
    let taken = match viewer {
        Some(buyer) => sales::places_taken(app, buyer, id).await?,
        None => 0,
    };
    let half = &overview_map.map.half_price;
    let page = SessionPage {
        c: visitor.chrome(notice),
        session_id: id,
        event_id: event.id,
        title: event.title.clone(),
        when: lang.local_time(session.starts_at, &venue.time_zone),
        venue: format!("{} · {}", venue.name, venue.city),
        cap: words::cap(lang, cap),
        cap_left: (cap - taken).max(0),
        taken: (taken > 0).then(|| words::places_taken(lang, taken, (cap - taken).max(0))),
        cap_reached: words::cap_reached(lang, cap, taken),
        half: words::half_available(lang, half.available, half.quota),
        hold_time: words::hold_time(lang, session.hold_seconds),
        overview: seatmap::overview(
            lang,
            Some(&format!("/sessions/{id}?section=")),
            &stage,
            &overview_map.map.sections,
            picked.map(|p| p.to_string()).as_deref(),
        ),
        resale_listed: overview_map
            .map
            .sections
            .iter()
            .map(|s| s.resale.listed)
            .sum(),
        sections,
        pick,
        eligibilities: Eligibility::ALL
            .iter()
            .map(|e| (e.as_str(), eligibility(lang, *e)))
            .collect(),
        picks,
        problems: problem.map_or_else(Vec::new, |p| super::problem_lines(lang, p)),
    };
    Ok(match problem {
        Some(problem) => super::shown_again(visitor, &page, problem),
        None => visitor.page(&page),
    })
}

/// The cookie that carries a buyer's admission to a queued session's sale.
pub fn admission_cookie(session: SessionId) -> String {
    format!("bilheteria_admission_{}", session.0.simple())
}

/// `POST /sessions/{id}/hold`: holds the seats ticked (or the quantity of a standing section),
/// some of them half price with the buyer's ground, and goes to checkout. A visitor not logged
/// in goes to log in and comes back to the session with the picks still ticked; a refused hold
/// shows the session again with the problem beside the form and the picks kept.
pub async fn hold(
    State(app): State<App>,
    visitor: Visitor,
    headers: HeaderMap,
    PageId(id): PageId<SessionId>,
    body: Bytes,
) -> PageResult {
    let form = visitor.form(&body)?;
    let picks = Picks::of_form(&form);
    let Some(buyer) = visitor.user.as_ref() else {
        return Err(visitor.to_log_in(&picks.page(id)));
    };
    let admission = cookies::get(&headers, &admission_cookie(id));
    let held = match hold_input(&form) {
        Ok(input) => sales::hold_places(
            &app,
            buyer,
            visitor.device.as_str(),
            visitor.ip.0,
            id,
            input,
            admission,
        )
        .await
        .map_err(crate::api::error::ApiError::from),
        Err(problem) => Err(problem),
    };
    match held {
        Ok(held) => Ok(see_other(&format!("/checkout/{}", held.id))),
        Err(problem) => session_page(&app, &visitor, id, picks, None, Some(&problem))
            .await
            .or(Err(PageError::Problem(problem))),
    }
}

/// `GET /sessions/{id}/hold`, where only an old link or a reload after logging in leads: the
/// session's page.
pub async fn hold_page(PageId(id): PageId<SessionId>) -> PageResult {
    Ok(see_other(&format!("/sessions/{id}")))
}

/// The hold a form asks for.
fn hold_input(form: &super::Form) -> Result<HoldInput, crate::api::error::ApiError> {
    use crate::api::error::ApiError;
    let number = |name: &str| -> Result<i64, ApiError> {
        match form.get(name).map(str::trim).filter(|v| !v.is_empty()) {
            None => Ok(0),
            Some(raw) => raw
                .parse()
                .map_err(|_| ApiError::invalid_field(name, FieldProblem::NotAWholeNumber)),
        }
    };
    let seat_ids: Vec<SeatId> = form
        .all("seat_ids")
        .filter_map(|v| v.parse().ok())
        .collect();
    let half = number("half_quantity")?;
    let eligibility = match form.get("eligibility").filter(|e| !e.is_empty()) {
        None => None,
        Some(raw) => Some(Eligibility::parse(raw).ok_or_else(|| {
            ApiError::invalid_field(
                "eligibility",
                FieldProblem::NotOneOf {
                    choices: Eligibility::CODES,
                },
            )
        })?),
    };
    Ok(if seat_ids.is_empty() {
        let section = form
            .get("section_id")
            .and_then(|raw| raw.parse::<SectionId>().ok())
            .ok_or_else(|| ApiError::invalid_field("seat_ids", FieldProblem::Empty))?;
        HoldInput {
            section_id: Some(section),
            quantity: Some(number("quantity")?),
            half_price_quantity: (half > 0).then_some(half),
            eligibility,
            ..HoldInput::default()
        }
    } else {
        let half = usize::try_from(half).unwrap_or(0).min(seat_ids.len());
        HoldInput {
            half_price_seat_ids: (half > 0).then(|| seat_ids[..half].to_vec()),
            seat_ids: Some(seat_ids),
            eligibility,
            ..HoldInput::default()
        }
    })
}
