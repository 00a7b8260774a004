//! A typed client of bilheteria's public HTTP API (`/api/v1`, as `API.md` describes it), for
//! outside users of a running server: the on-sale rehearsal (`bilheteria loadtest`) today.
//!
//! It depends on no other crate of the project on purpose: its types are the wire format as a
//! client sees it (fields it does not read are ignored), so a change inside the server that
//! breaks the published contract breaks the rehearsal too.

mod wire;

pub use wire::*;

use reqwest::{Method, RequestBuilder, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::time::Duration;

/// What a call answers instead of its result.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// No answer: the server could not be reached, or the connection failed.
    #[error("no answer from the server: {0}")]
    Transport(#[from] reqwest::Error),
    /// The server answered something other than the call's success: usually a problem
    /// document (`code` is its `code`, or `http_<status>` when the body has none).
    #[error("the server answered {status} {code}: {body}")]
    Problem {
        status: u16,
        code: String,
        body: serde_json::Value,
    },
    /// A success whose body is not what the API describes.
    #[error("the server's answer ({status}) is not readable: {reason}")]
    Unreadable { status: u16, reason: String },
}

impl ClientError {
    /// A short stable name of what went wrong, for counting: the problem's `code`,
    /// `unreadable_answer`, or `transport`.
    pub fn code(&self) -> &str {
        match self {
            ClientError::Problem { code, .. } => code,
            ClientError::Unreadable { .. } => "unreadable_answer",
            ClientError::Transport(_) => "transport",
        }
    }

    /// The HTTP status, when the server answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            ClientError::Problem { status, .. } | ClientError::Unreadable { status, .. } => {
                Some(*status)
            }
            ClientError::Transport(_) => None,
        }
    }
}

pub type ClientResult<T> = Result<T, ClientError>;

/// A connection pool to one server; cheap to clone.
#[derive(Clone, Debug)]
pub struct Client {
    http: reqwest::Client,
    origin: String,
}

impl Client {
    /// A client of the server at `origin` (e.g. `http://127.0.0.1:8080`), keeping up to
    /// `idle_connections` open between calls.
    pub fn new(origin: &str, idle_connections: usize) -> ClientResult<Self> {
        Self::with_timeout(origin, idle_connections, Duration::from_secs(60))
    }

    /// As [`Client::new`], giving up on a call after `timeout` (a gate must know soon that it is
    /// offline).
    pub fn with_timeout(
        origin: &str,
        idle_connections: usize,
        timeout: Duration,
    ) -> ClientResult<Self> {
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(idle_connections)
            .connect_timeout(timeout)
            .timeout(timeout)
            .build()?;
        Ok(Self {
            http,
            origin: origin.trim_end_matches('/').to_owned(),
        })
    }

    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// `GET /healthz`: the process is up, and which storage it runs on.
    pub async fn health(&self) -> ClientResult<Health> {
        let request = self.http.get(format!("{}/healthz", self.origin));
        answer(request, StatusCode::OK).await
    }

    /// `GET /metrics`: the server's Prometheus text, shown the server's metrics token (a server
    /// serves it with the API only behind one).
    pub async fn metrics(&self, token: &str) -> ClientResult<String> {
        let response = self
            .http
            .get(format!("{}/metrics", self.origin))
            .bearer_auth(token)
            .send()
            .await?;
        let status = response.status();
        let text = response.text().await?;
        if status != StatusCode::OK {
            return Err(problem(status, &text));
        }
        Ok(text)
    }

    /// `POST /auth/login` from the device `device_id`.
    pub async fn login(
        &self,
        email: &str,
        password: &str,
        device_id: &str,
    ) -> ClientResult<LoginSession> {
        let request = self
            .api(Method::POST, "/auth/login", None)
            .header("X-Device-Id", device_id)
            .json(&serde_json::json!({"email": email, "password": password}));
        answer(request, StatusCode::OK).await
    }

    /// `POST /organizations` (organizer or admin): the caller becomes its owner.
    pub async fn create_organization(
        &self,
        token: &str,
        organization: &OrganizationInput,
    ) -> ClientResult<Organization> {
        self.post(token, "/organizations", organization).await
    }

    /// `POST /venues` (a member of its organization who may edit the catalog).
    pub async fn create_venue(&self, token: &str, venue: &VenueInput) -> ClientResult<Venue> {
        self.post(token, "/venues", venue).await
    }

    /// `POST /events` (organizer).
    pub async fn create_event(&self, token: &str, event: &EventInput) -> ClientResult<Event> {
        self.post(token, "/events", event).await
    }

    /// `POST /events/{id}/sessions` (organizer of the event).
    pub async fn create_session(
        &self,
        token: &str,
        event_id: &str,
        session: &SessionInput,
    ) -> ClientResult<EventSession> {
        self.post(token, &format!("/events/{event_id}/sessions"), session)
            .await
    }

    /// `POST /products` (organizer).
    pub async fn create_product(
        &self,
        token: &str,
        product: &ProductInput,
    ) -> ClientResult<Product> {
        self.post(token, "/products", product).await
    }

    /// `POST /admin/rehearsal/buyers` (admin): `count` buyer accounts, each logged in.
    pub async fn rehearsal_buyers(
        &self,
        token: &str,
        count: u64,
    ) -> ClientResult<Page<RehearsalBuyer>> {
        self.post(
            token,
            "/admin/rehearsal/buyers",
            &serde_json::json!({"count": count}),
        )
        .await
    }

    /// `POST /sessions/{id}/queue`: joins the session's waiting room.
    pub async fn join_queue(&self, token: &str, session_id: &str) -> ClientResult<QueueView> {
        let request = self.api(
            Method::POST,
            &format!("/sessions/{session_id}/queue"),
            Some(token),
        );
        answer(request, StatusCode::OK).await
    }

    /// `GET /sessions/{id}/queue` with the queue token: the place in the line.
    pub async fn queue_place(
        &self,
        session_id: &str,
        queue_token: &str,
    ) -> ClientResult<QueueView> {
        let request = self
            .api(Method::GET, &format!("/sessions/{session_id}/queue"), None)
            .header("X-Queue-Token", queue_token);
        answer(request, StatusCode::OK).await
    }

    /// `GET /sessions/{id}/seats?section_id=`: the ids of the section's available seats, read
    /// in place from the answer (a load generator reads thousands of maps a second).
    pub async fn available_seats(
        &self,
        token: &str,
        session_id: &str,
        section_id: &str,
    ) -> ClientResult<Vec<String>> {
        let request = self.api(
            Method::GET,
            &format!("/sessions/{session_id}/seats?section_id={section_id}"),
            Some(token),
        );
        let response = request.send().await?;
        let status = response.status();
        let bytes = response.bytes().await?;
        if status != StatusCode::OK {
            return Err(problem(status, &String::from_utf8_lossy(&bytes)));
        }
        let map: wire::SeatMapView<'_> =
            serde_json::from_slice(&bytes).map_err(|error| ClientError::Unreadable {
                status: status.as_u16(),
                reason: error.to_string(),
            })?;
        Ok(map
            .sections
            .into_iter()
            .next()
            .map(|section| section.available_ids())
            .unwrap_or_default())
    }

    /// `POST /sessions/{id}/holds`, with the admission token of a queued session.
    pub async fn hold(
        &self,
        token: &str,
        session_id: &str,
        admission_token: Option<&str>,
        hold: &HoldInput,
    ) -> ClientResult<Hold> {
        let mut request = self
            .api(
                Method::POST,
                &format!("/sessions/{session_id}/holds"),
                Some(token),
            )
            .json(hold);
        if let Some(admission) = admission_token {
            request = request.header("X-Admission-Token", admission);
        }
        answer(request, StatusCode::CREATED).await
    }

    /// `DELETE /holds/{id}`.
    pub async fn release_hold(&self, token: &str, hold_id: &str) -> ClientResult<()> {
        let request = self.api(Method::DELETE, &format!("/holds/{hold_id}"), Some(token));
        let response = request.send().await?;
        let status = response.status();
        if status == StatusCode::NO_CONTENT {
            return Ok(());
        }
        Err(problem(status, &response.text().await?))
    }

    /// `POST /orders` with `idempotency_key`: a paid order with its tickets. Anything else
    /// (`payment_pending` 202 included) is a [`ClientError::Problem`].
    pub async fn place_order(
        &self,
        token: &str,
        idempotency_key: &str,
        order: &OrderInput,
    ) -> ClientResult<Order> {
        let request = self
            .api(Method::POST, "/orders", Some(token))
            .header("Idempotency-Key", idempotency_key)
            .json(order);
        answer(request, StatusCode::CREATED).await
    }

    /// `GET /orders/{id}`: one of the caller's orders as it stands.
    pub async fn order(&self, token: &str, id: &str) -> ClientResult<Order> {
        let request = self.api(Method::GET, &format!("/orders/{id}"), Some(token));
        answer(request, StatusCode::OK).await
    }

    /// `POST /orders/{id}/pix/pay`: with the server's simulated provider, the buyer's bank pays
    /// the order's Pix.
    pub async fn pay_pix(&self, token: &str, id: &str) -> ClientResult<Order> {
        let request = self.api(Method::POST, &format!("/orders/{id}/pix/pay"), Some(token));
        answer(request, StatusCode::OK).await
    }

    /// `GET /tickets`: the caller's tickets, first page.
    pub async fn tickets(&self, token: &str) -> ClientResult<Page<Ticket>> {
        let request = self.api(Method::GET, "/tickets", Some(token));
        answer(request, StatusCode::OK).await
    }

    /// `GET /sessions/{id}/integrity` (organizer or admin): the sale's invariants.
    pub async fn integrity(&self, token: &str, session_id: &str) -> ClientResult<Integrity> {
        let request = self.api(
            Method::GET,
            &format!("/sessions/{session_id}/integrity"),
            Some(token),
        );
        answer(request, StatusCode::OK).await
    }

    /// `GET /checkin/sessions/{id}/bundle` (staff of the event): what a gate needs offline;
    /// `since` is the `next_since` of the previous page or bundle.
    pub async fn gate_bundle(
        &self,
        token: &str,
        session_id: &str,
        since: Option<&str>,
    ) -> ClientResult<GateBundle> {
        // A `since` is digits (a `next_since`); anything else is sent as is and refused.
        let query = since.map_or_else(String::new, |since| format!("?since={since}"));
        let request = self.api(
            Method::GET,
            &format!("/checkin/sessions/{session_id}/bundle{query}"),
            Some(token),
        );
        answer(request, StatusCode::OK).await
    }

    /// `POST /checkin/sync` (staff): scans made offline.
    pub async fn sync_scans(&self, token: &str, scans: &[OfflineScan]) -> ClientResult<SyncAnswer> {
        let request = self
            .api(Method::POST, "/checkin/sync", Some(token))
            .json(&serde_json::json!({ "scans": scans }));
        answer(request, StatusCode::OK).await
    }

    fn api(&self, method: Method, path: &str, token: Option<&str>) -> RequestBuilder {
        let request = self
            .http
            .request(method, format!("{}/api/v1{path}", self.origin));
        match token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    async fn post<T: DeserializeOwned>(
        &self,
        token: &str,
        path: &str,
        body: &(impl Serialize + ?Sized),
    ) -> ClientResult<T> {
        let request = self.api(Method::POST, path, Some(token)).json(body);
        answer(request, StatusCode::CREATED).await
    }
}

/// Sends `request`; `success` with a body of type `T`, or what went wrong.
async fn answer<T: DeserializeOwned>(
    request: RequestBuilder,
    success: StatusCode,
) -> ClientResult<T> {
    let response = request.send().await?;
    let status = response.status();
    let text = response.text().await?;
    if status != success {
        return Err(problem(status, &text));
    }
    serde_json::from_str(&text).map_err(|error| ClientError::Unreadable {
        status: status.as_u16(),
        reason: error.to_string(),
    })
}

fn problem(status: StatusCode, text: &str) -> ClientError {
    let body: serde_json::Value = serde_json::from_str(text).unwrap_or(serde_json::Value::Null);
    let code = body["code"]
        .as_str()
        .map_or_else(|| format!("http_{}", status.as_u16()), str::to_owned);
    ClientError::Problem {
        status: status.as_u16(),
        code,
        body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_problem_is_named_by_its_code_or_its_status() {
        let named = problem(
            StatusCode::CONFLICT,
            r#"{"type":"about:blank","code":"seat_unavailable","seat_ids":["a"]}"#,
        );
        assert_eq!(
            (named.code(), named.status()),
            ("seat_unavailable", Some(409))
        );
        let bare = problem(StatusCode::BAD_GATEWAY, "<html>bad gateway</html>");
        assert_eq!((bare.code(), bare.status()), ("http_502", Some(502)));
    }

    #[test]
    fn a_hold_request_has_the_shape_of_the_api() {
        let seats = HoldInput::Seats {
            seat_ids: vec!["s1".into()],
            half_price_seat_ids: vec![],
            eligibility: None,
        };
        let standing = HoldInput::Standing {
            section_id: "p".into(),
            quantity: 2,
            half_price_quantity: 1,
            eligibility: Some("student".into()),
        };
        assert_eq!(
            serde_json::to_value(&seats).unwrap_or_default(),
            serde_json::json!({"seat_ids": ["s1"]})
        );
        assert_eq!(
            serde_json::to_value(&standing).unwrap_or_default(),
            serde_json::json!({"section_id": "p", "quantity": 2, "half_price_quantity": 1, "eligibility": "student"})
        );
    }
}
