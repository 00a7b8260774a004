//! A session's orders in the console: the list searched by buyer and filtered by status, one
//! order in full with its refund form (tick the tickets to refund, or the whole order) and the
//! tickets' mail sent again. Members whose role may see sales (owners, managers, finance); the
//! application decides, these pages only word its answers.

use super::super::tickets::status_text;
use super::super::words::{self, Words};
use super::super::{
    Chrome, PageIds, PageResult, Visitor, encode, lenient_query, see_other, shown_again,
};
use super::{Choice, OrgNav, done_notice, standing_over};
use crate::api::error::ApiError;
use askama::Template;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use bilheteria_app::organizations::Standing;
use bilheteria_app::{App, AppError, back_office, catalog};
use bilheteria_domain::back_office::{OrderDetail, OrderQuery, RefundScope};
use bilheteria_domain::catalog::{Event, EventSession, Venue};
use bilheteria_domain::ids::{OrderId, OrganizationId, SessionId, TicketId};
use bilheteria_domain::locale::Language;
use bilheteria_domain::organization::Capability;
use bilheteria_domain::page::PageRequest;
use bilheteria_domain::sales::OrderStatus;
use bilheteria_domain::tickets::TicketStatus;
use bilheteria_domain::{FieldErrors, FieldProblem};
use serde::Deserialize;

/// A session whose sales the caller may see, with where they stand in its organization.
async fn session_of(
    app: &App,
    visitor: &Visitor,
    org: OrganizationId,
    id: SessionId,
) -> PageResult<(Standing, EventSession, Event, Venue)> {
    let user = visitor.user()?;
    let (session, event, venue) =
        catalog::managed_session_venue(app, user, id, Capability::SeeSales).await?;
    let standing = standing_over(app, user, org, event.organization_id).await?;
    Ok((standing, session, event, venue))
}

/// An order's status as the console says it.
pub(super) fn order_status(w: &Words, status: OrderStatus) -> &'static str {
    match status {
        OrderStatus::Paid => w.order_status_paid,
        OrderStatus::Refunded => w.order_status_refunded,
        OrderStatus::Failed => w.order_status_failed,
        OrderStatus::AwaitingPayment | OrderStatus::PaymentPending => w.order_status_pending,
    }
}

fn status_choices(w: &Words, chosen: Option<OrderStatus>) -> Vec<Choice> {
    let mut choices = vec![Choice {
        value: String::new(),
        label: w.any_status.to_owned(),
        chosen: chosen.is_none(),
    }];
    for status in [
        OrderStatus::Paid,
        OrderStatus::Refunded,
        OrderStatus::PaymentPending,
        OrderStatus::Failed,
    ] {
        choices.push(Choice {
            value: status.as_str().to_owned(),
            label: order_status(w, status).to_owned(),
            chosen: chosen == Some(status),
        });
    }
    choices
}

struct OrderRow {
    id: OrderId,
    buyer: String,
    email: String,
    status: &'static str,
    ok: bool,
    total: String,
    refunded: Option<String>,
    tickets: String,
    at: String,
}

#[derive(Template)]
#[template(path = "organizer_orders.html")]
struct OrdersPage {
    c: Chrome,
    nav: OrgNav,
    heading: String,
    action: String,
    session_link: String,
    q: String,
    q_problem: Option<String>,
    statuses: Vec<Choice>,
    rows: Vec<OrderRow>,
    more: Option<String>,
}

#[derive(Deserialize, Default)]
struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    status: String,
    cursor: Option<String>,
}

/// `GET /organizer/{org}/sessions/{id}/orders`: the session's orders, newest first, found by
/// the buyer's email, name or the order's id, filtered by status.
pub async fn orders(
    State(app): State<App>,
    visitor: Visitor,
    PageIds(org, id): PageIds<OrganizationId, SessionId>,
    RawQuery(query): RawQuery,
) -> PageResult {
    let user = visitor.user()?;
    let (standing, session, event, venue) = session_of(&app, &visitor, org, id).await?;
    let query: ListQuery = lenient_query(query);
    let w = visitor.w;
    let lang = visitor.lang;
    let q: String = query.q.chars().take(200).collect();
    let (filter, q_problem) = match OrderQuery::parse(Some(&q), Some(&query.status)) {
        Ok(filter) => (filter, None),
        // A status of no order: every order, the filter said to be unknown.
        Err(errors) => (
            OrderQuery::parse(Some(&q), None).unwrap_or_default(),
            errors.0.first().map(|e| words::field_error(lang, e)),
        ),
    };
    let page = PageRequest {
        limit: 50,
        after: query.cursor.clone(),
    };
    let found = back_office::session_orders(&app, user, id, &filter, &page).await?;
    let rows = found
        .items
        .into_iter()
        .map(|order| OrderRow {
            id: order.id,
            buyer: order.buyer.name,
            email: order.buyer.email,
            status: order_status(w, order.status),
            ok: order.status == OrderStatus::Paid,
            total: lang.money(order.total_cents),
            refunded: (order.refunded_cents > 0).then(|| lang.money(order.refunded_cents)),
            tickets: words::tickets_left(lang, order.tickets_live, order.tickets),
            at: lang.list_time(order.created_at, &venue.time_zone),
        })
        .collect();
    let action = format!("/organizer/{org}/sessions/{id}/orders");
    let more = found.next_cursor.map(|cursor| {
        format!(
            "{action}?q={}&status={}&cursor={}",
            encode(&q),
            encode(&query.status),
            encode(&cursor)
        )
    });
    Ok(visitor.page(&OrdersPage {
        c: visitor.chrome(None),
        nav: OrgNav::of(&standing, "events"),
        heading: format!(
            "{} · {} · {}",
            w.session_orders,
            event.title,
            lang.list_time(session.starts_at, &venue.time_zone)
        ),
        session_link: format!("/organizer/{org}/events/{}", event.id),
        action,
        q,
        q_problem,
        statuses: status_choices(w, filter.status),
        rows,
        more,
    }))
}

struct TicketLine {
    id: TicketId,
    place: String,
    kind: String,
    status: &'static str,
    face: String,
    refundable: bool,
    ticked: bool,
}

struct Line {
    when: String,
    what: String,
}

#[derive(Template)]
#[template(path = "organizer_order.html")]
struct OrderPage {
    c: Chrome,
    nav: OrgNav,
    heading: String,
    list_link: String,
    action: String,
    status: &'static str,
    ok: bool,
    buyer: String,
    email: String,
    total: String,
    refunded: String,
    payment: String,
    items: Vec<(String, String)>,
    tickets: Vec<TicketLine>,
    may_refund: bool,
    may_resend: bool,
    all_ticked: bool,
    tickets_problem: Option<String>,
    history: Vec<Line>,
}

fn when(lang: Language, at: time::OffsetDateTime, zone: &str) -> String {
    lang.list_time(at, zone)
}

/// What the order's history says: payments, refunds of tickets, transfers, resale, scans and
/// the audit trail, oldest first.
fn history(lang: Language, w: &Words, detail: &OrderDetail, zone: &str) -> Vec<Line> {
    let place_of = |ticket: TicketId| {
        detail
            .order
            .tickets
            .iter()
            .find(|t| t.id == ticket)
            .map(|t| detail.order.place_of(t).words(lang))
            .unwrap_or_default()
    };
    let mut lines: Vec<(time::OffsetDateTime, String)> = Vec::new();
    for payment in &detail.payments {
        let kind = if payment.kind == "refund" {
            w.history_refund
        } else {
            w.history_charge
        };
        let status = if payment.status == "succeeded" {
            w.history_succeeded
        } else {
            w.history_declined
        };
        lines.push((
            payment.at,
            format!("{kind}: {} ({status})", lang.money(payment.amount_cents)),
        ));
    }
    for refund in &detail.ticket_refunds {
        let places: Vec<String> = refund.ticket_ids.iter().map(|t| place_of(*t)).collect();
        let state = if refund.status == "succeeded" {
            w.history_succeeded
        } else {
            w.history_requested
        };
        lines.push((
            refund.created_at,
            format!(
                "{}: {} — {} ({state})",
                w.history_tickets_refund,
                lang.money(refund.amount_cents),
                places.join("; ")
            ),
        ));
    }
    for transfer in &detail.transfers {
        lines.push((
            transfer.created_at,
            format!(
                "{}: {} → {} ({})",
                w.history_transfer,
                place_of(transfer.ticket_id),
                transfer.to_email,
                transfer.status
            ),
        ));
    }
    for listing in &detail.resale {
        lines.push((
            listing.created_at,
            format!(
                "{}: {} — {} ({})",
                w.history_resale,
                place_of(listing.ticket_id),
                lang.money(listing.price_cents),
                listing.status
            ),
        ));
    }
    for scan in &detail.checkins {
        lines.push((
            scan.scanned_at,
            format!(
                "{}: {} — {} {} ({})",
                w.history_checkin,
                place_of(scan.ticket_id),
                w.history_gate,
                scan.gate,
                scan.result
            ),
        ));
    }
    for entry in &detail.audit {
        lines.push((entry.at, format!("{}: {}", w.history_audit, entry.action)));
    }
    lines.sort_by_key(|(at, _)| *at);
    lines
        .into_iter()
        .map(|(at, what)| Line {
            when: when(lang, at, zone),
            what,
        })
        .collect()
}

/// The order `id` of `org` in full, with where the caller stands and the session's venue.
async fn order_of(
    app: &App,
    visitor: &Visitor,
    org: OrganizationId,
    id: OrderId,
) -> PageResult<(Standing, OrderDetail, EventSession, Event, Venue)> {
    let user = visitor.user()?;
    let detail = back_office::order_detail(app, user, None, id).await?;
    let (standing, session, event, venue) =
        session_of(app, visitor, org, detail.order.session_id).await?;
    Ok((standing, detail, session, event, venue))
}

fn order_page(
    visitor: &Visitor,
    (standing, detail, session, event, venue): &(Standing, OrderDetail, EventSession, Event, Venue),
    ticked: &[String],
    all_ticked: bool,
    tickets_problem: Option<String>,
    notice: Option<String>,
) -> OrderPage {
    let lang = visitor.lang;
    let w = visitor.w;
    let org = standing.organization.id;
    let order = &detail.order;
    let paid = order.status == OrderStatus::Paid;
    let payment = match order.payment_method {
        bilheteria_domain::sales::PaymentMethod::Pix => w.pay_pix.to_owned(),
        bilheteria_domain::sales::PaymentMethod::Card => {
            words::card_payment(lang, order.installments, order.total_cents)
        }
    };
    OrderPage {
        c: visitor.chrome(notice),
        nav: OrgNav::of(standing, "events"),
        heading: format!("{} {}", w.order_word, order.id),
        list_link: format!("/organizer/{org}/sessions/{}/orders", session.id),
        action: format!("/organizer/{org}/orders/{}", order.id),
        status: order_status(w, order.status),
        ok: paid,
        buyer: detail.buyer.name.clone(),
        email: detail.buyer.email.clone(),
        total: lang.money(order.total_cents),
        refunded: lang.money(order.refunded_cents),
        payment,
        items: order
            .items
            .iter()
            .map(|item| {
                (
                    format!("{} × {}", item.quantity, item.words(lang)),
                    lang.money(item.unit_price_cents * item.quantity),
                )
            })
            .collect(),
        tickets: order
            .tickets
            .iter()
            .map(|ticket| TicketLine {
                id: ticket.id,
                place: order.place_of(ticket).words(lang),
                kind: words::ticket_kind(lang, ticket.ticket_type, ticket.eligibility),
                status: status_text(w, ticket.status),
                face: lang.money(ticket.face_value_cents),
                refundable: paid && ticket.status != TicketStatus::Cancelled,
                ticked: ticked.contains(&ticket.id.to_string()),
            })
            .collect(),
        may_refund: paid && standing.may(Capability::Refund, Some(event.id)),
        may_resend: paid,
        all_ticked,
        tickets_problem,
        history: history(lang, w, detail, &venue.time_zone),
    }
}

#[derive(Deserialize, Default)]
struct DoneQuery {
    done: Option<String>,
}

/// `GET /organizer/{org}/orders/{id}`: one order in full, its refund form and the resend.
pub async fn order(
    State(app): State<App>,
    visitor: Visitor,
    PageIds(org, id): PageIds<OrganizationId, OrderId>,
    RawQuery(query): RawQuery,
) -> PageResult {
    let found = order_of(&app, &visitor, org, id).await?;
    let done: DoneQuery = lenient_query(query);
    let notice = match done.done.as_deref() {
        Some("refunded") => Some(visitor.w.refund_done.to_owned()),
        Some("resent") => Some(visitor.w.resend_done.to_owned()),
        other => done_notice(&visitor, other),
    };
    Ok(visitor.page(&order_page(&visitor, &found, &[], false, None, notice)))
}

/// `POST /organizer/{org}/orders/{id}/refund`: the tickets ticked, or the whole order.
pub async fn refund(
    State(app): State<App>,
    visitor: Visitor,
    PageIds(org, id): PageIds<OrganizationId, OrderId>,
    body: Bytes,
) -> PageResult {
    let form = visitor.form(&body)?;
    let user = visitor.user()?;
    let found = order_of(&app, &visitor, org, id).await?;
    let all = form.get("all").is_some();
    let ticked: Vec<String> = form.all("ticket").map(str::to_owned).collect();
    let scope = if all {
        Ok(RefundScope::Order)
    } else if ticked.is_empty() {
        Err(AppError::Invalid(FieldErrors::single(
            "ticket_ids",
            FieldProblem::Empty,
        )))
    } else {
        let ids: Result<Vec<TicketId>, _> = ticked.iter().map(|t| t.parse()).collect();
        ids.map(RefundScope::Tickets).map_err(|_| {
            AppError::Invalid(FieldErrors::single("ticket_ids", FieldProblem::NotAnId))
        })
    };
    let done = match scope {
        Ok(scope) => back_office::refund(&app, user, id, scope, &visitor.audit()).await,
        Err(error) => Err(error),
    };
    match done {
        Ok(_) => Ok(see_other(&format!(
            "/organizer/{org}/orders/{id}?done=refunded"
        ))),
        Err(error) => {
            let problem = refused_refund(error)?;
            let said = said_beside(visitor.lang, &problem);
            let page = order_page(&visitor, &found, &ticked, all, Some(said), None);
            Ok(shown_again(&visitor, &page, &problem))
        }
    }
}

/// A refused refund said beside the tickets: bad input, a ticket refunded before, an order no
/// longer paid; anything else is the error page's.
fn refused_refund(error: AppError) -> PageResult<ApiError> {
    use crate::api::error::ProblemCode as C;
    let problem = ApiError::from(error);
    if matches!(
        problem.code,
        C::TicketAlreadyRefunded | C::OrderNotRefundable | C::ValidationFailed
    ) {
        Ok(problem)
    } else {
        Err(problem.into())
    }
}

fn said_beside(lang: Language, problem: &ApiError) -> String {
    if let Some(error) = problem.errors.first() {
        return words::field_error(lang, error);
    }
    let (title, text) = words::problem(lang, problem.code, &problem.detail);
    format!("{title}. {text}")
}

/// `POST /organizer/{org}/orders/{id}/resend`: the tickets' mail to the buyer again.
pub async fn resend(
    State(app): State<App>,
    visitor: Visitor,
    PageIds(org, id): PageIds<OrganizationId, OrderId>,
    body: Bytes,
) -> PageResult {
    visitor.form(&body)?;
    let user = visitor.user()?;
    let (_, detail, ..) = order_of(&app, &visitor, org, id).await?;
    back_office::resend_tickets(&app, user, detail.order.session_id, id).await?;
    Ok(see_other(&format!(
        "/organizer/{org}/orders/{id}?done=resent"
    )))
}
