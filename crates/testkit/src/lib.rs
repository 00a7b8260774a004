//! The test harness: the real application on an ephemeral loopback port, over real HTTP, with
//! its own fresh database (SQLite or PostgreSQL) and a clock the test can move.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a harness fails loudly by design

pub mod smtp;

use bilheteria_app::auth::PasswordHasher;
use bilheteria_app::mail::MailSender;
use bilheteria_app::queue::state::MemoryQueue;
use bilheteria_app::queue::{RoomLimits, WaitingRoom};
use bilheteria_app::ticket_keys::TicketKeys;
use bilheteria_app::{App, Services, Settings};
use bilheteria_domain::account::{Password, Role, Roles};
use bilheteria_domain::clock::ManualClock;
use bilheteria_payments::PaymentGateway;
use bilheteria_payments::simulator::SimulatedGateway;
use bilheteria_store::testing::TestDatabase;
use bilheteria_store::{NewUser, Store};
use bilheteria_web::connections::ConnectionLimits;
use bilheteria_web::{router, serve_router};
use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use time::OffsetDateTime;

pub const PASSWORD: &str = "correct horse battery";

/// A CNPJ whose check digits are right, for the organizations tests found.
pub const CNPJ: &str = "11.222.333/0001-81";

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub store: Arc<dyn Store>,
    pub clock: Arc<ManualClock>,
    pub state: App,
    /// The in-process payment provider (used unless the test passed another gateway).
    pub payments: Arc<SimulatedGateway>,
    /// The mail server the app sends to, over SMTP.
    pub smtp: smtp::SmtpSink,
    pub db: TestDatabase,
    devices: AtomicUsize,
}

/// A logged-in account.
#[derive(Clone, Debug)]
pub struct Account {
    pub id: String,
    pub email: String,
    pub token: String,
}

impl TestApp {
    pub async fn spawn(db: TestDatabase) -> Self {
        Self::spawn_with(db, Settings::default()).await
    }

    pub async fn spawn_with(db: TestDatabase, settings: Settings) -> Self {
        Self::spawn_with_gateway(db, settings, None).await
    }

    /// With `gateway`, or the in-process simulator when `None`.
    pub async fn spawn_with_gateway(
        db: TestDatabase,
        settings: Settings,
        gateway: Option<Arc<dyn PaymentGateway>>,
    ) -> Self {
        Self::spawn_custom(db, settings, gateway, None).await
    }

    /// With a waiting room of the test's making (default: in memory, generous limits).
    pub async fn spawn_custom(
        db: TestDatabase,
        settings: Settings,
        gateway: Option<Arc<dyn PaymentGateway>>,
        room: Option<WaitingRoom>,
    ) -> Self {
        let store = db.store().await;
        let clock = Arc::new(ManualClock::new(OffsetDateTime::now_utc()));
        let payments = Arc::new(SimulatedGateway::default());
        let smtp = smtp::SmtpSink::start().await;
        let services = Services {
            gateway: gateway.unwrap_or_else(|| payments.clone()),
            ticket_keys: Arc::new(TicketKeys::ephemeral().expect("keys")),
            mail: Arc::new(
                MailSender::smtp(&smtp.url(), "bilheteria <tickets@example.com>").expect("mailer"),
            ),
            queue: Arc::new(room.unwrap_or_else(|| memory_room(RoomLimits::local([10_000; 4])))),
            wallet_secret: random_secret(),
        };
        let state = App::new(store.clone(), clock.clone(), settings, services);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("local addr");
        let served = state.clone();
        tokio::spawn(serve_router(
            listener,
            router(served).expect("router"),
            ConnectionLimits::from(state.settings.as_ref()),
            std::future::pending(),
        ));
        Self {
            base: format!("http://{addr}"),
            client: reqwest::Client::new(),
            store,
            clock,
            state,
            payments,
            smtp,
            db,
            devices: AtomicUsize::new(0),
        }
    }

    pub fn url(&self, path: &str) -> String {
        if path.starts_with('/')
            && !path.starts_with("/api/")
            && !["/healthz", "/readyz", "/metrics", "/docs"]
                .iter()
                .any(|p| path.starts_with(p))
        {
            format!("{}/api/v1{path}", self.base)
        } else {
            format!("{}{path}", self.base)
        }
    }

    /// A request to `path` (under `/api/v1` unless it is an operations path), authenticated
    /// when `token` is given.
    pub fn request(&self, method: Method, path: &str, token: Option<&str>) -> RequestBuilder {
        let builder = self.client.request(method, self.url(path));
        match token {
            Some(token) => builder.bearer_auth(token),
            None => builder,
        }
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut builder = self.request(method, path, token);
        if let Some(body) = body {
            builder = builder.json(&body);
        }
        let response = builder.send().await.expect("request sent");
        read(response).await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        self.call(Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, token, Some(body)).await
    }

    pub async fn patch(&self, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        self.call(Method::PATCH, path, token, Some(body)).await
    }

    pub async fn put(&self, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        self.call(Method::PUT, path, token, Some(body)).await
    }

    pub fn next_device(&self) -> String {
        format!(
            "test-device-{:04}",
            self.devices.fetch_add(1, Ordering::Relaxed)
        )
    }

    pub async fn register(&self, email: &str) -> Value {
        let (status, body) = self
            .post(
                "/auth/register",
                None,
                json!({"email": email, "password": PASSWORD, "name": "Test User"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body
    }

    pub async fn login_on(&self, email: &str, device: &str) -> String {
        let response = self
            .request(Method::POST, "/auth/login", None)
            .header("X-Device-Id", device)
            .json(&json!({"email": email, "password": PASSWORD}))
            .send()
            .await
            .expect("login sent");
        let (status, body) = read(response).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["token"].as_str().expect("token").to_owned()
    }

    /// The token of the last link to `path_prefix` (`/verify-email/`, `/password-reset/`)
    /// mailed to `email`, if any.
    pub fn mailed_token(&self, email: &str, path_prefix: &str) -> Option<String> {
        self.mails()
            .iter()
            .rev()
            .filter(|mail| mail.to == email)
            .find_map(|mail| {
                let (_, rest) = mail.body.split_once(path_prefix)?;
                Some(rest.split_whitespace().next()?.to_owned())
            })
    }

    /// Confirms `email`'s address through the link mailed to it at sign-up.
    pub async fn verify_email(&self, email: &str) {
        let token = self
            .mailed_token(email, "/verify-email/")
            .expect("a confirmation mail");
        let (status, body) = self
            .post(&format!("/auth/verify-email/{token}"), None, json!({}))
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    }

    /// A new account with `roles`, its address confirmed, logged in on a device of its own.
    /// Roles are granted straight in the store, so that tests about other things need no admin.
    pub async fn account(&self, email: &str, roles: &[Role]) -> Account {
        let user = self.register(email).await;
        self.verify_email(email).await;
        let id = user["id"].as_str().expect("id").to_owned();
        if !roles.is_empty() {
            self.store
                .set_roles(
                    id.parse().expect("user id"),
                    Roles::from_roles(roles.iter().copied()),
                    &Default::default(),
                )
                .await
                .expect("roles granted");
        }
        let token = self.login_on(email, &self.next_device()).await;
        Account {
            id,
            email: email.to_owned(),
            token,
        }
    }

    /// Founds an organization (`POST /organizations`) of which `owner`, an organizer or an
    /// admin, becomes the owner: its id.
    pub async fn organization(&self, owner: &Account, name: &str) -> String {
        let (status, organization) = self
            .post(
                "/organizations",
                Some(&owner.token),
                json!({"name": name, "document": CNPJ, "contact_email": owner.email}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{organization}");
        organization["id"]
            .as_str()
            .expect("organization id")
            .to_owned()
    }

    /// An organizer who owns an organization of their own (their only one), so that their
    /// venues, events and products go to it without naming it.
    pub async fn organizer(&self, email: &str) -> Account {
        let organizer = self.account(email, &[Role::Organizer]).await;
        self.organization(&organizer, &format!("Produtora {email}"))
            .await;
        organizer
    }

    /// An account created as the CLI does, without the HTTP API.
    pub async fn seed_user(&self, email: &str, roles: &[Role]) {
        let hash = PasswordHasher::new(1)
            .hash(&Password::parse(PASSWORD).unwrap())
            .await
            .unwrap();
        self.store
            .create_user(
                NewUser {
                    email: email.into(),
                    email_normalized: email.to_lowercase(),
                    name: "Seeded".into(),
                    password_hash: hash,
                    roles: Roles::from_roles(roles.iter().copied()),
                    language: Default::default(),
                    email_verified: true,
                    created_at: OffsetDateTime::now_utc(),
                },
                None,
            )
            .await
            .unwrap();
    }
}

pub async fn read(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    let text = response.text().await.expect("body");
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    (status, body)
}

/// Asserts a problem+json answer with `status` and `code`.
#[track_caller]
pub fn assert_problem(result: &(StatusCode, Value), status: StatusCode, code: &str) {
    let (actual, body) = result;
    assert_eq!(*actual, status, "status of {body}");
    assert_eq!(body["code"], code, "code of {body}");
    assert_eq!(body["status"], status.as_u16(), "{body}");
    assert!(
        body["title"].is_string() && body["detail"].is_string() && body["type"].is_string(),
        "{body}"
    );
}

/// The fields named in a validation problem.
pub fn error_fields(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| e["field"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

pub fn venue_body() -> Value {
    json!({
        "name": "Arena Carioca",
        "city": "Rio de Janeiro",
        "sections": [
            {"name": "Plateia", "rows": [{"label": "A", "seats": 5}, {"label": "B", "seats": 5}]},
            {"name": "Pista", "capacity": 200}
        ]
    })
}

pub fn session_body(venue: &Value) -> Value {
    let starts = OffsetDateTime::now_utc() + time::Duration::days(30);
    json!({
        "starts_at": starts.format(&time::format_description::well_known::Rfc3339).unwrap(),
        "categories": [
            {"name": "Plateia", "price_cents": 12000, "section_ids": [venue["sections"][0]["id"]]},
            {"name": "Pista", "price_cents": 6000, "section_ids": [venue["sections"][1]["id"]]}
        ]
    })
}

impl TestApp {
    /// `n` buyers made straight in the store (no password hashing), each logged in on a device
    /// of their own: for tests that race many buyers over HTTP.
    pub async fn buyers(&self, n: usize) -> Vec<Account> {
        let mut accounts = Vec::with_capacity(n);
        for i in 0..n {
            let email = format!("buyer{i:04}-{}@example.com", uuid::Uuid::now_v7().simple());
            let user = self
                .store
                .create_user(
                    NewUser {
                        email: email.clone(),
                        email_normalized: email.clone(),
                        name: format!("Buyer {i}"),
                        password_hash: "$argon2id$unused".into(),
                        roles: Roles::customer(),
                        language: Default::default(),
                        email_verified: true,
                        created_at: OffsetDateTime::now_utc(),
                    },
                    None,
                )
                .await
                .expect("buyer");
            let token = bilheteria_app::auth::new_token().expect("token");
            self.store
                .start_login_session(bilheteria_store::NewLoginSession {
                    user_id: user.id,
                    token_hash: bilheteria_app::auth::token_hash(&token),
                    device_id: self.next_device(),
                    ip: None,
                    user_agent: None,
                    created_at: OffsetDateTime::now_utc(),
                    expires_at: OffsetDateTime::now_utc() + time::Duration::days(1),
                })
                .await
                .expect("login");
            accounts.push(Account {
                id: user.id.to_string(),
                email,
                token,
            });
        }
        accounts
    }

    /// POST /orders with an Idempotency-Key.
    pub async fn order(&self, token: &str, key: &str, body: &Value) -> (StatusCode, Value) {
        let response = self
            .request(Method::POST, "/orders", Some(token))
            .header("Idempotency-Key", key)
            .json(body)
            .send()
            .await
            .expect("order sent");
        read(response).await
    }

    /// Holds seat `seat` of `sale` for the buyer of `token` and pays for it with an approving
    /// card: the paid order, with its ticket.
    pub async fn buy_seat(&self, sale: &OnSale, token: &str, seat: usize, key: &str) -> Value {
        let (status, held) = self
            .post(
                &format!("/sessions/{}/holds", sale.session_id),
                Some(token),
                json!({"seat_ids": [sale.seat_ids[seat]]}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{held}");
        let (status, order) = self
            .order(token, key, &order_body(&held["id"], "tok_visa"))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{order}");
        order
    }
}

/// A published event with one session on sale now: a seated section of `seats` seats (rows of
/// ten) and a standing section of `standing` places, plus a product with `stock`.
pub struct OnSale {
    pub organizer: Account,
    pub venue: Value,
    pub event_id: String,
    pub session_id: String,
    pub seat_ids: Vec<String>,
    pub standing_section: String,
    pub product_id: String,
}

pub async fn on_sale(
    app: &TestApp,
    seats: usize,
    standing: i64,
    stock: i64,
    session_extra: Value,
) -> OnSale {
    let organizer = app
        .organizer(&format!(
            "org-{}@example.com",
            uuid::Uuid::now_v7().simple()
        ))
        .await;
    let token = Some(organizer.token.as_str());
    let rows: Vec<Value> = (0..seats.div_ceil(10))
        .map(|r| json!({"label": format!("R{r}"), "seats": (seats - r * 10).min(10)}))
        .collect();
    let (status, venue) = app
        .post(
            "/venues",
            token,
            json!({"name": "Estádio", "city": "Recife", "sections": [
            {"name": "Cadeiras", "rows": rows}, {"name": "Pista", "capacity": standing}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{venue}");
    let (_, event) = app
        .post("/events", token, json!({"title": "Grande Show", "category": "music", "venue_id": venue["id"], "status": "published"}))
        .await;
    let event_id = event["id"].as_str().expect("event id").to_owned();
    let mut session = session_body(&venue);
    if let (Some(target), Some(extra)) = (session.as_object_mut(), session_extra.as_object()) {
        target.extend(extra.clone());
    }
    let (status, session) = app
        .post(&format!("/events/{event_id}/sessions"), token, session)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{session}");
    let session_id = session["id"].as_str().expect("session id").to_owned();
    let (status, product) = app
        .post(
            "/products",
            token,
            json!({"name": "Copo", "price_cents": 1500, "stock": stock, "event_ids": [event_id]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{product}");
    let (_, map) = app
        .get(&format!("/sessions/{session_id}/seats"), None)
        .await;
    let seat_ids = map["sections"][0]["seats"]
        .as_array()
        .expect("seats")
        .iter()
        .map(|s| s["id"].as_str().expect("seat id").to_owned())
        .collect();
    OnSale {
        organizer,
        standing_section: venue["sections"][1]["id"]
            .as_str()
            .expect("section")
            .to_owned(),
        venue,
        event_id,
        session_id,
        seat_ids,
        product_id: product["id"].as_str().expect("product id").to_owned(),
    }
}

pub fn order_body(hold_id: &Value, token: &str) -> Value {
    json!({"hold_id": hold_id, "payment": {"method": "card", "token": token}})
}

/// A waiting room in memory with a 10-minute admission window.
pub fn memory_room(limits: RoomLimits) -> WaitingRoom {
    WaitingRoom::new(
        Arc::new(MemoryQueue::default()),
        [9; 32],
        time::Duration::minutes(10),
        limits,
    )
}

/// A mail the app sent, decoded (headers and body may be encoded: mails are in Portuguese by
/// default).
#[derive(Clone, Debug)]
pub struct SentMail {
    pub to: String,
    pub subject: String,
    /// The plain-text part.
    pub body: String,
    /// The message as the mail server received it.
    pub raw: Vec<u8>,
}

impl TestApp {
    /// Every mail the SMTP server received so far, decoded.
    pub fn mails(&self) -> Vec<SentMail> {
        let mut mails = Vec::new();
        for received in self.smtp.messages() {
            let raw = received.data;
            let message = mail_parser::MessageParser::default()
                .parse(&raw)
                .expect("a mail message");
            mails.push(SentMail {
                to: message
                    .to()
                    .and_then(|to| to.first())
                    .and_then(|address| address.address())
                    .unwrap_or_default()
                    .to_owned(),
                subject: message.subject().unwrap_or_default().to_owned(),
                body: message.body_text(0).unwrap_or_default().into_owned(),
                raw: raw.clone(),
            });
        }
        mails
    }
}

/// A fresh 32-byte secret per test app, as a new box office makes at first start.
fn random_secret() -> [u8; 32] {
    let mut secret = [0u8; 32];
    secret[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
    secret[16..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
    secret
}
