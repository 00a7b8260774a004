//! The test harness: the real application on an ephemeral loopback port, over real HTTP, with
//! its own fresh database (SQLite or PostgreSQL) and a clock the test can move.

#![allow(dead_code)]

use bilheteria::app::{AppState, Settings, router};
use bilheteria::auth::PasswordHasher;
use bilheteria_domain::account::{Password, Role, Roles};
use bilheteria_domain::clock::ManualClock;
use bilheteria_store::testing::TestDatabase;
use bilheteria_store::{NewUser, Store};
use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use time::OffsetDateTime;

pub const PASSWORD: &str = "correct horse battery";

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub store: Arc<dyn Store>,
    pub clock: Arc<ManualClock>,
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
        let store = db.store().await;
        let clock = Arc::new(ManualClock::new(OffsetDateTime::now_utc()));
        let state = AppState::new(store.clone(), clock.clone(), settings).expect("app state");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("local addr");
        tokio::spawn(async move {
            axum::serve(
                listener,
                router(state).into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await
            .expect("server");
        });
        Self {
            base: format!("http://{addr}"),
            client: reqwest::Client::new(),
            store,
            clock,
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

    /// A new account with `roles`, logged in on a device of its own. Roles are granted straight
    /// in the store, so that tests about other things need no admin.
    pub async fn account(&self, email: &str, roles: &[Role]) -> Account {
        let user = self.register(email).await;
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
