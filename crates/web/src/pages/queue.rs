//! The waiting room page: join the line, see the place and the estimate (the page refreshes by
//! itself; `app.js` follows the server-sent events instead), and on admission move on to the
//! seat map with the admission in a cookie.

use super::browse::admission_cookie;
use super::words;
use super::{Chrome, PageId, PageResult, Visitor, see_other, session_at_venue};
use crate::api::queue::{QueueAccess, check_proof_of_work, queued_session};
use crate::cookies;
use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use bilheteria_app::{App, AppError};
use bilheteria_domain::ids::{EventId, SessionId};

/// The cookie that keeps a buyer's place in a session's line.
fn queue_cookie(session: SessionId) -> String {
    format!("bilheteria_queue_{}", session.0.simple())
}

#[derive(Template)]
#[template(path = "queue.html")]
struct QueuePage {
    c: Chrome,
    session_id: SessionId,
    event_id: EventId,
    title: String,
    when: String,
    joined: bool,
    position: String,
    /// The place in words with `{n}` for the number ahead, for `app.js` to keep current.
    position_template: String,
    estimate: String,
    queue_token: String,
    pow_bits: i64,
}

/// `GET /sessions/{id}/queue`: the buyer's place in line, or the button to join it.
pub async fn room(
    State(app): State<App>,
    visitor: Visitor,
    headers: HeaderMap,
    PageId(id): PageId<SessionId>,
) -> PageResult {
    let buyer = visitor.user()?;
    let lang = visitor.lang;
    let queued = queued_session(&app, id, buyer, QueueAccess::Buyer).await?;
    let (_, event, venue) = session_at_venue(&app, id, Some(buyer)).await?;
    let mut page = QueuePage {
        c: visitor.chrome(None),
        session_id: id,
        event_id: event.id,
        title: event.title.clone(),
        when: lang.local_time(queued.starts_at, &venue.time_zone),
        joined: false,
        position: String::new(),
        position_template: String::new(),
        estimate: String::new(),
        queue_token: String::new(),
        pow_bits: queued.queue.proof_of_work_bits,
    };
    let Some(token) = cookies::get(&headers, &queue_cookie(id)) else {
        return Ok(visitor.page(&page));
    };
    let ip = visitor.ip.to_option_string();
    let view = match app
        .queue
        .poll(id, token, ip.as_deref(), app.clock.now())
        .await
    {
        Ok(view) => view,
        // A place from another line or an admission that ran out: join again.
        Err(AppError::InvalidQueueToken | AppError::AdmissionExpired) => {
            return Ok(visitor.page(&page));
        }
        Err(other) => return Err(other.into()),
    };
    if let (Some(admission), Some(until)) = (&view.admission_token, view.admission_expires_at) {
        let seconds = (until - app.clock.now()).whole_seconds().max(1);
        let mut response = see_other(&format!("/sessions/{id}"));
        visitor.set_cookie(&mut response, &admission_cookie(id), admission, seconds);
        return Ok(response);
    }
    page.joined = true;
    page.queue_token = view.queue_token.clone();
    match view.position {
        Some(position) => {
            page.position = words::queue_position(lang, position.saturating_sub(1) as i64);
            page.position_template =
                words::queue_position(lang, 1_000_000).replace("1000000", "{n}");
            page.estimate = view
                .eta_seconds
                .map(|eta| words::queue_estimate(lang, eta as i64))
                .unwrap_or_default();
        }
        None => {
            page.position = words::queue_before_start(
                lang,
                &lang.local_time(view.sales_start_at, &venue.time_zone),
            );
        }
    }
    Ok(visitor.page(&page))
}

/// `POST /sessions/{id}/queue`: joins the line (with the proof of work `app.js` found when the
/// queue asks for one) and shows the place.
pub async fn join(
    State(app): State<App>,
    visitor: Visitor,
    PageId(id): PageId<SessionId>,
    body: Bytes,
) -> PageResult {
    let form = visitor.form(&body)?;
    let buyer = visitor.user()?;
    let queued = queued_session(&app, id, buyer, QueueAccess::Buyer).await?;
    let proof = form.get("challenge").zip(form.get("nonce"));
    check_proof_of_work(&app, &queued, buyer, proof)?;
    let ip = visitor.ip.to_option_string();
    let view = app
        .queue
        .join(
            app.store.as_ref(),
            &queued,
            buyer.id,
            visitor.device.as_str(),
            ip.as_deref(),
            app.clock.now(),
        )
        .await?;
    let mut response = see_other(&format!("/sessions/{id}/queue"));
    let lasts = (queued.starts_at - app.clock.now()).whole_seconds().max(60);
    visitor.set_cookie(&mut response, &queue_cookie(id), &view.queue_token, lasts);
    Ok(response)
}
