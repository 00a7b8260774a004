//! The application layer: every rule that is not a pure domain rule, and every operation a
//! channel (the JSON API today, the pages next, the command line, the workers) performs. It
//! knows nothing of HTTP: operations answer domain values or an [`AppError`] naming what went
//! wrong, and the channel chooses how to say it.

pub mod access;
pub mod accounts;
pub mod auth;
pub mod authz;
pub mod back_office;
pub mod catalog;
pub mod credentials;
pub mod demo;
pub mod door;
pub mod error;
pub mod gate;
pub mod images;
pub mod load;
pub mod mail;
pub mod mails;
pub mod organizations;
pub mod printing;
pub mod queue;
pub mod ratelimit;
pub mod reports;
pub mod resale;
pub mod sales;
pub mod seat_maps;
pub mod setup;
pub mod ticket_keys;
pub mod transfers;
pub mod wallet;
pub mod workers;

pub use error::{AppError, AppResult};

use auth::PasswordHasher;
use bilheteria_domain::clock::Clock;
use bilheteria_payments::PaymentGateway;
use bilheteria_store::Store;
use mail::MailSender;
use queue::WaitingRoom;
use ratelimit::{KeyedLimiter, LoginLimits, OfferLimits, PurchaseLimits};
use std::sync::Arc;
use std::time::Duration;
use ticket_keys::TicketKeys;

/// The server's settings (the command line's flags, after checking).
#[derive(Clone, Debug)]
pub struct Settings {
    pub session_ttl: Duration,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    pub login_attempts_per_account_per_minute: u32,
    pub login_attempts_per_ip_per_minute: u32,
    /// Sign-ups one address may make per minute (0: no limit).
    pub registrations_per_ip_per_minute: u32,
    /// `Strict-Transport-Security` max-age, sent when browsers reach the server over HTTPS
    /// (TLS at a proxy in front); 0 sends none.
    pub hsts_max_age_secs: u64,
    /// Whether the box office's cookies are marked `Secure` (browsers reach it over HTTPS).
    pub secure_cookies: bool,
    /// When set, `/metrics` answers only `Authorization: Bearer <this token>`.
    pub metrics_token: Option<String>,
    /// Whether `/metrics` is served with the API (false when it has an address of its own).
    pub metrics_with_api: bool,
    pub request_timeout: Duration,
    pub body_limit_bytes: usize,
    /// How long a request's head may take to arrive once the server waits for it (also the
    /// longest a kept-alive connection waits for its next request).
    pub header_read_timeout: Duration,
    /// How long a connection may move no byte either way before it is closed.
    pub idle_timeout: Duration,
    /// Connections open at once; more wait to be accepted.
    pub max_connections: usize,
    /// Orders and holds a buyer may make per minute (0: no limit).
    pub purchases_per_user_per_minute: u32,
    /// Orders and holds one address may make per minute (0: no limit).
    pub purchases_per_ip_per_minute: u32,
    /// Transfer offers a holder may make per hour (0: no limit).
    pub transfer_offers_per_user_per_hour: u32,
    /// Transfer offers of one ticket per hour (0: no limit).
    pub transfer_offers_per_ticket_per_hour: u32,
    /// Addresses that may not buy (`ip_blocked`).
    pub blocked_ips: Vec<ipnet::IpNet>,
    /// Secret of the payment provider's webhook signatures; webhooks are refused without it.
    pub webhook_secret: Option<String>,
    /// How long a new order may await its payment before reconciliation looks at it.
    pub reconcile_after: time::Duration,
    /// How soon reconciliation asks again about an unknown payment outcome.
    pub reconcile_retry: time::Duration,
    /// How often holds are swept and payments reconciled.
    pub sweep_interval: Duration,
    pub outbox_max_attempts: u32,
    /// The first retry delay of a failed mail; it doubles with each attempt.
    pub outbox_backoff: Duration,
    /// While a sale runs at pace, mail waits up to this long for the pace to drop before it is
    /// composed (a purchase mail's codes and PDF cost more processor than the purchase). Zero
    /// never waits.
    pub mail_defer_while_selling: Duration,
    /// How old a seat map served to buyers may be (`seat_maps`); zero reads it every time.
    pub seat_map_max_age: Duration,
    /// Where buyers reach the box office (mails link to its pages), without a trailing slash.
    pub public_url: String,
    /// The purchase path's database work in flight past which new buyers' holds are refused
    /// (`overloaded`); 0 never refuses. See [`load`].
    pub max_purchase_work_in_flight: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            session_ttl: Duration::from_secs(14 * 24 * 3600),
            trusted_proxies: Vec::new(),
            login_attempts_per_account_per_minute: 10,
            login_attempts_per_ip_per_minute: 60,
            registrations_per_ip_per_minute: 30,
            hsts_max_age_secs: 0,
            secure_cookies: false,
            metrics_token: None,
            metrics_with_api: true,
            request_timeout: Duration::from_secs(30),
            body_limit_bytes: 1024 * 1024,
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            max_connections: 10_000,
            purchases_per_user_per_minute: 60,
            purchases_per_ip_per_minute: 6_000,
            transfer_offers_per_user_per_hour: 20,
            transfer_offers_per_ticket_per_hour: 5,
            blocked_ips: Vec::new(),
            webhook_secret: None,
            reconcile_after: time::Duration::seconds(60),
            reconcile_retry: time::Duration::seconds(5),
            sweep_interval: Duration::from_secs(2),
            outbox_max_attempts: 8,
            outbox_backoff: Duration::from_secs(10),
            mail_defer_while_selling: Duration::ZERO,
            seat_map_max_age: Duration::ZERO,
            public_url: "http://127.0.0.1:8080".to_owned(),
            max_purchase_work_in_flight: 0,
        }
    }
}

/// The application: what every operation needs, shared by the JSON API, the workers and the
/// command line. Cheap to clone.
#[derive(Clone)]
pub struct App {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub settings: Arc<Settings>,
    pub passwords: PasswordHasher,
    pub login_limits: Arc<LoginLimits>,
    pub credential_limits: Arc<credentials::CredentialLimits>,
    pub purchase_limits: Arc<PurchaseLimits>,
    pub offer_limits: Arc<OfferLimits>,
    pub gateway: Arc<dyn PaymentGateway>,
    pub ticket_keys: Arc<TicketKeys>,
    pub mail: Arc<MailSender>,
    pub queue: Arc<WaitingRoom>,
    pub seat_maps: Arc<seat_maps::SeatMaps>,
    /// The one-time link that makes the first admin of an empty box office.
    pub setup: Arc<setup::SetupLink>,
    pub load: Arc<load::Load>,
    pub settled_here: Arc<sales::SettledHere>,
    pub wallet_secret: [u8; 32],
}

/// What the application talks to besides its database.
pub struct Services {
    pub gateway: Arc<dyn PaymentGateway>,
    pub ticket_keys: Arc<TicketKeys>,
    pub mail: Arc<MailSender>,
    pub queue: Arc<WaitingRoom>,
    /// Signs the wallet links mailed with orders (`wallet`); the same on every node.
    pub wallet_secret: [u8; 32],
}

impl App {
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        settings: Settings,
        services: Services,
    ) -> Self {
        let limit =
            |per_minute: u32| (per_minute > 0).then(|| KeyedLimiter::per_minute(per_minute));
        let login_limits = LoginLimits {
            per_account_and_ip: KeyedLimiter::per_minute(
                settings.login_attempts_per_account_per_minute,
            ),
            per_ip: KeyedLimiter::per_minute(settings.login_attempts_per_ip_per_minute),
            registrations_per_ip: limit(settings.registrations_per_ip_per_minute),
        };
        let purchase_limits = PurchaseLimits {
            per_key: limit(settings.purchases_per_user_per_minute),
            per_other_key: limit(settings.purchases_per_ip_per_minute),
        };
        let per_hour = |per_hour: u32| (per_hour > 0).then(|| KeyedLimiter::per_hour(per_hour));
        let offer_limits = OfferLimits {
            per_key: per_hour(settings.transfer_offers_per_user_per_hour),
            per_other_key: per_hour(settings.transfer_offers_per_ticket_per_hour),
        };
        let load = Arc::new(load::Load::new(settings.max_purchase_work_in_flight));
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        Self {
            store,
            clock,
            settings: Arc::new(settings),
            passwords: PasswordHasher::new(cores * 2),
            login_limits: Arc::new(login_limits),
            credential_limits: Arc::default(),
            purchase_limits: Arc::new(purchase_limits),
            offer_limits: Arc::new(offer_limits),
            gateway: services.gateway,
            ticket_keys: services.ticket_keys,
            mail: services.mail,
            queue: services.queue,
            seat_maps: Arc::default(),
            setup: Arc::default(),
            load,
            settled_here: Arc::default(),
            wallet_secret: services.wallet_secret,
        }
    }
}
