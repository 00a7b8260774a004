//! The storage interface of bilheteria: domain-level operations, one trait, two backends.
//!
//! PostgreSQL ([`postgres`]) is the store of record for a cluster; SQLite ([`sqlite`]) is the
//! embedded default. Both compile the same SQL module (`shared.rs`) with their own sqlx driver,
//! and add only what differs (connections, transactions, text search). The backend is chosen by
//! the URL scheme in [`connect`]. No sqlx type appears in this interface.

use async_trait::async_trait;
use bilheteria_domain::account::{LoginSession, Roles, User};
use bilheteria_domain::audit::{AuditContext, AuditEntry, AuditQuery, AuditVerification};
use bilheteria_domain::catalog::{
    CancellationProgress, Event, EventFields, EventQuery, EventSession, NewSession, NewVenue,
    Product, ProductFields, SeatMap, SessionSettings, Venue,
};
use bilheteria_domain::half_price::HalfPriceAvailability;
use bilheteria_domain::ids::{
    EventId, LoginSessionId, OrganizationId, ProductId, SectionId, SessionId, UserId, VenueId,
};
use bilheteria_domain::images::{ImageHash, ImageVariant, NewImage, Variant};
use bilheteria_domain::page::{Page, PageRequest};
use std::collections::HashMap;
use std::sync::Arc;
use time::OffsetDateTime;

mod back_office_types;
mod cache;
mod dialect;
mod gate_types;
mod group_commit;
mod organization_types;
pub mod postgres;
mod report_types;
mod resale_types;
mod sales_types;
pub mod sqlite;
mod steps;
#[cfg(feature = "testing")]
pub mod testing;
mod transfer_types;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("this email is already registered")]
    EmailTaken,
    #[error("not found")]
    NotFound,
    /// The change breaks a rule that stored state decides; the case names the rule.
    #[error("refused: {0:?}")]
    Refused(Refusal),
    /// Some of the seats asked for cannot be had.
    #[error("seats are not available")]
    SeatsUnavailable(Vec<bilheteria_domain::ids::SeatId>),
    #[error("the pagination cursor is not valid")]
    InvalidCursor,
    /// The database failed. `transient` says the driver reported a failure that retrying the
    /// whole transaction can cure (a deadlock, a serialization failure).
    #[error("database error: {message}")]
    Database { message: String, transient: bool },
}

/// A rule the store refused to break, with the facts a channel needs to say which.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Held, bought and received tickets would pass the session's cap (C1).
    PurchaseLimitExceeded {
        cap: i64,
    },
    SeatNotOnSale {
        seat: bilheteria_domain::ids::SeatId,
    },
    NotAStandingSection,
    SoldOut,
    /// The session's half-price reserve (meia-entrada) has no place left.
    HalfPriceSoldOut,
    /// The session's open places are gone; what is left is reserved for half-price buyers.
    OpenPlacesSoldOut,
    HoldNotFound,
    HoldExpired,
    /// The hold is being paid for by another order, or was bought.
    HoldInUse,
    /// `products[index]` is not offered with the event.
    ProductNotOffered {
        index: usize,
    },
    OutOfStock {
        product: bilheteria_domain::ids::ProductId,
    },
    TotalTooLarge,
    OrderNotRefundable,
    /// An event with sessions cannot move to another venue.
    EventHasSessions,
    /// A venue's seat map or time zone cannot change once a place of one of its sessions was
    /// held or sold.
    VenueHasSales,
    /// A venue's change would take away a section one of its sessions sells: a session sells
    /// sections by their place in the list, which may grow but not lose those on sale.
    SectionsOnSale,
    /// `categories[category].section_ids` names a section that is not of the event's venue.
    SectionNotOfVenue {
        section: bilheteria_domain::ids::SectionId,
    },
    /// The ticket cannot change hands now, or the transfer was decided before.
    TransferNotAllowed(bilheteria_domain::transfers::TransferBlock),
    /// A listing may ask at most what was paid for the ticket.
    ResaleAboveFaceValue {
        face_value_cents: i64,
    },
    /// The listing is sold, withdrawn, or being paid for by another buyer.
    ListingUnavailable,
    /// The change would leave an organization without an owner.
    LastOwner,
    /// A session's prices change only until its first order is begun.
    PricesLocked,
    /// `event_ids[index]` is not an event of the organization.
    EventNotOfOrganization {
        index: usize,
    },
    /// `ticket_ids[index]` is no ticket of the order.
    TicketNotInOrder {
        index: usize,
    },
    /// The ticket was refunded already (or its refund is under way).
    TicketAlreadyRefunded {
        ticket: bilheteria_domain::ids::TicketId,
    },
}

pub type StoreResult<T> = Result<T, StoreError>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Postgres => "postgres",
            Backend::Sqlite => "sqlite",
        }
    }
}

/// A user to create; the password is already hashed.
#[derive(Clone, Debug)]
pub struct NewUser {
    pub email: String,
    pub email_normalized: String,
    pub name: String,
    pub password_hash: String,
    pub roles: Roles,
    pub language: bilheteria_domain::locale::Language,
    /// Made by the command line or the demo, whose addresses are taken as given.
    pub email_verified: bool,
    pub created_at: OffsetDateTime,
}

/// What a mailed single-use token is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenPurpose {
    PasswordReset,
    VerifyEmail,
}

impl TokenPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenPurpose::PasswordReset => "password_reset",
            TokenPurpose::VerifyEmail => "verify_email",
        }
    }
}

/// A token mailed to a user; only its hash is stored.
#[derive(Clone, Debug)]
pub struct NewAccountToken {
    pub token_hash: Vec<u8>,
    pub user_id: UserId,
    pub purpose: TokenPurpose,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
}

/// A user and the hash to check a password against.
#[derive(Clone, Debug)]
pub struct Credentials {
    pub user: User,
    pub password_hash: String,
}

#[derive(Clone, Debug)]
pub struct NewLoginSession {
    pub user_id: UserId,
    /// SHA-256 of the bearer token; the token itself is never stored.
    pub token_hash: Vec<u8>,
    pub device_id: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
}

pub use back_office_types::*;
pub use gate_types::*;
pub use organization_types::*;
pub use report_types::*;
pub use resale_types::*;
pub use sales_types::*;
pub use transfer_types::*;

/// The whole storage interface, one trait per area; callers hold an `Arc<dyn Store>`, whose
/// methods of every area are callable without importing the area's trait.
#[async_trait]
pub trait Store:
    AccountStore
    + CatalogStore
    + AuditStore
    + HoldStore
    + OrderStore
    + SettlementStore
    + TicketStore
    + GateStore
    + OrganizationStore
    + TransferStore
    + ResaleStore
    + OutboxStore
    + IntegrityStore
    + QueueStore
    + BackOfficeStore
    + ReportStore
    + Send
    + Sync
    + 'static
{
    fn backend(&self) -> Backend;

    /// Checks that the database answers.
    async fn ping(&self) -> StoreResult<()>;
}

/// Accounts and login sessions.
#[async_trait]
pub trait AccountStore {
    /// Fails with [`StoreError::EmailTaken`] when the normalised email exists. `audit` is given
    /// for accounts made by an operator (the CLI), not for self-registration.
    async fn create_user(&self, user: NewUser, audit: Option<&AuditContext>) -> StoreResult<User>;
    async fn find_credentials(&self, email_normalized: &str) -> StoreResult<Option<Credentials>>;
    async fn get_user(&self, id: UserId) -> StoreResult<Option<User>>;
    async fn set_roles(&self, id: UserId, roles: Roles, audit: &AuditContext) -> StoreResult<User>;
    /// The language the user reads mails and pages in.
    async fn set_language(
        &self,
        id: UserId,
        language: bilheteria_domain::locale::Language,
    ) -> StoreResult<User>;
    /// Users whose normalised email or name starts with `prefix`, in creation order.
    async fn list_users(&self, prefix: Option<&str>, page: &PageRequest)
    -> StoreResult<Page<User>>;
    /// Whether any account holds `role` (the first run asks whether an admin exists).
    async fn any_user_has_role(&self, role: bilheteria_domain::account::Role) -> StoreResult<bool>;

    /// Starts a login session and, in the same transaction, ends every other active session of
    /// the user and every active session on the device (C2). At most one active session per user
    /// and per device is also a database constraint, so concurrent logins cannot both win.
    async fn start_login_session(&self, session: NewLoginSession) -> StoreResult<LoginSession>;
    async fn find_login_session(
        &self,
        token_hash: &[u8],
    ) -> StoreResult<Option<(LoginSession, User)>>;
    /// Creates many customer accounts, each already logged in (its session given), in one
    /// transaction: rehearsal buyers for the load test. Audited once for the batch.
    async fn create_logged_in_buyers(
        &self,
        buyers: Vec<(NewUser, NewLoginSession)>,
        audit: &AuditContext,
    ) -> StoreResult<Vec<User>>;
    async fn end_login_session(&self, id: LoginSessionId, at: OffsetDateTime) -> StoreResult<()>;
    /// The user's latest sessions (at most 100), newest first.
    async fn list_login_sessions(&self, user_id: UserId) -> StoreResult<Vec<LoginSession>>;
    async fn create_account_token(&self, token: NewAccountToken) -> StoreResult<()>;
    /// Uses the unexpired, unused token of `purpose` whose hash is `token_hash` (at most once),
    /// and in the same transaction: for a password reset, sets `password_hash` (which must be
    /// given) and ends every session of the user; for an address, marks it verified. `None`:
    /// no such token.
    async fn use_account_token(
        &self,
        token_hash: &[u8],
        purpose: TokenPurpose,
        password_hash: Option<&str>,
        at: OffsetDateTime,
    ) -> StoreResult<Option<User>>;
    /// Sets a user's password and ends their sessions but `keep` (the one that changed it).
    async fn set_password(
        &self,
        id: UserId,
        password_hash: &str,
        keep: Option<LoginSessionId>,
        at: OffsetDateTime,
    ) -> StoreResult<()>;
}

/// Venues, events, sessions with their inventory, seat maps, products.
#[async_trait]
pub trait CatalogStore {
    async fn create_venue(
        &self,
        organization: OrganizationId,
        author: UserId,
        venue: NewVenue,
        at: OffsetDateTime,
        audit: &AuditContext,
    ) -> StoreResult<Venue>;
    async fn get_venue(&self, id: VenueId) -> StoreResult<Option<Venue>>;
    /// Writes `venue` over `before` (as read just before). When the seat map or the time zone
    /// changes, the sections are made again with new ids and the venue's sessions laid out
    /// again (`VenueHasSales` once any of them held or sold a place; `SectionsOnSale` if a
    /// section one of them sells would be taken away); this node forgets what it kept of it at once, others
    /// within a second.
    async fn update_venue(
        &self,
        before: &Venue,
        venue: NewVenue,
        at: OffsetDateTime,
        audit: &AuditContext,
    ) -> StoreResult<Venue>;

    async fn create_event(
        &self,
        organization: OrganizationId,
        author: UserId,
        event: EventFields,
        at: OffsetDateTime,
        audit: &AuditContext,
    ) -> StoreResult<Event>;
    /// Replaces the event's fields. Moving an event that has sessions to another venue is a
    /// conflict (`event_has_sessions`): its sessions are laid out on the old venue's seats.
    async fn update_event(
        &self,
        id: EventId,
        event: EventFields,
        at: OffsetDateTime,
        audit: &AuditContext,
    ) -> StoreResult<Event>;
    async fn get_event(&self, id: EventId) -> StoreResult<Option<Event>>;
    /// Writes a session's settings that may change after its creation (`SessionPatch`),
    /// audited with what they were; this node sees them at once, others within a second.
    async fn update_session(
        &self,
        id: SessionId,
        settings: &SessionSettings,
        at: OffsetDateTime,
        audit: &AuditContext,
    ) -> StoreResult<()>;
    /// Cancels the event: in one transaction it stops selling (`cancelled_at`), its paid
    /// orders become due for their refund and its pending ones for another look, both by
    /// reconciliation, and it is audited. Cancelling it again answers it as it is.
    async fn cancel_event(
        &self,
        id: EventId,
        reason: Option<&str>,
        at: OffsetDateTime,
        audit: &AuditContext,
    ) -> StoreResult<Event>;
    /// Of a cancelled event's orders that were paid, how many are refunded so far.
    async fn cancellation_progress(&self, id: EventId) -> StoreResult<CancellationProgress>;
    /// Events in order of their first session (events without sessions last).
    async fn list_events(&self, query: &EventQuery, page: &PageRequest)
    -> StoreResult<Page<Event>>;

    /// Creates a session and lays out its inventory: one row per seat of every seated section
    /// on sale, one counter per standing section.
    async fn create_session(
        &self,
        event_id: EventId,
        session: NewSession,
        at: OffsetDateTime,
        audit: &AuditContext,
    ) -> StoreResult<EventSession>;
    async fn get_session(&self, id: SessionId) -> StoreResult<Option<EventSession>>;
    async fn list_event_sessions(&self, event_id: EventId) -> StoreResult<Vec<EventSession>>;
    /// The availability map; with `section`, of that section only.
    async fn seat_map(
        &self,
        id: SessionId,
        section: Option<SectionId>,
        now: OffsetDateTime,
    ) -> StoreResult<Option<SeatMap>>;
    /// The session's half-price reserve as it stands (meia-entrada): quota, sold, held.
    async fn half_price_availability(&self, id: SessionId) -> StoreResult<HalfPriceAvailability>;

    async fn create_product(
        &self,
        organization: OrganizationId,
        author: UserId,
        product: ProductFields,
        at: OffsetDateTime,
        audit: &AuditContext,
    ) -> StoreResult<Product>;
    async fn update_product(
        &self,
        id: ProductId,
        product: ProductFields,
        at: OffsetDateTime,
        audit: &AuditContext,
    ) -> StoreResult<Product>;
    async fn get_product(&self, id: ProductId) -> StoreResult<Option<Product>>;
    async fn list_event_products(&self, event_id: EventId) -> StoreResult<Vec<Product>>;
    /// How many of each product paid orders bought (refunded ones gave theirs back); a product
    /// that sold none is left out.
    async fn products_sold(&self, ids: &[ProductId]) -> StoreResult<HashMap<ProductId, i64>>;

    /// Gives the event `image` as its poster (`None`: takes it away), in one audited
    /// transaction: the image's sizes are stored unless they are already, and the poster it
    /// replaces is deleted once nothing names it.
    async fn set_event_poster(
        &self,
        id: EventId,
        image: Option<NewImage>,
        at: OffsetDateTime,
        audit: &AuditContext,
    ) -> StoreResult<Event>;
    /// A product's image, as `set_event_poster` does an event's poster.
    async fn set_product_image(
        &self,
        id: ProductId,
        image: Option<NewImage>,
        at: OffsetDateTime,
        audit: &AuditContext,
    ) -> StoreResult<Product>;
    /// One size of a stored picture.
    async fn image_variant(
        &self,
        hash: &ImageHash,
        variant: Variant,
    ) -> StoreResult<Option<ImageVariant>>;
}

/// Reading and verifying the audit chain (appends happen inside the changes they record).
#[async_trait]
pub trait AuditStore {
    /// Newest first.
    async fn list_audit(
        &self,
        query: &AuditQuery,
        page: &PageRequest,
    ) -> StoreResult<Page<AuditEntry>>;
    /// Walks the whole chain and compares it with the recorded head.
    async fn verify_audit(&self) -> StoreResult<AuditVerification>;
    /// Appends the queued entries (see `audit_queue`) to the chain, in batches that each take
    /// the head once; returns how many. Reads of the log run it first.
    async fn chain_queued_audit(&self) -> StoreResult<u64>;
}

/// Tuning of the connection pools.
#[derive(Clone, Debug)]
pub struct ConnectOptions {
    pub max_connections: u32,
    /// SQLite only: `FULL` (the default) syncs every commit to disk; `NORMAL` (with WAL) syncs
    /// at checkpoints, so a power loss may lose the last commits, but a crash of the process
    /// never does.
    pub sqlite_synchronous_full: bool,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        Self {
            max_connections: 16,
            sqlite_synchronous_full: true,
        }
    }
}

/// Opens the store named by `url` and brings its schema up to date: `postgres://` or
/// `postgresql://` selects PostgreSQL, `sqlite:` SQLite.
pub async fn connect(url: &str, options: &ConnectOptions) -> StoreResult<Arc<dyn Store>> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(postgres::PgStore::connect(url, options).await?))
    } else if url.starts_with("sqlite:") {
        Ok(Arc::new(sqlite::SqliteStore::connect(url, options).await?))
    } else {
        Err(StoreError::database(format!(
            "unsupported database URL scheme in `{}`: use postgres:// or sqlite:",
            redact_url(url)
        )))
    }
}

/// The URL without its password, for logs and errors.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{}:***{}", &url[..scheme_end + 3], user, &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        // PostgreSQL's deadlock_detected and serialization_failure.
        let transient = matches!(&error, sqlx::Error::Database(db)
            if matches!(db.code().as_deref(), Some("40P01" | "40001")));
        StoreError::Database {
            message: error.to_string(),
            transient,
        }
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(error: sqlx::migrate::MigrateError) -> Self {
        StoreError::database(format!("migration failed: {error}"))
    }
}

fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.is_unique_violation())
}

impl StoreError {
    /// A failure of the database that retrying will not cure.
    pub fn database(message: impl Into<String>) -> Self {
        StoreError::Database {
            message: message.into(),
            transient: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn passwords_are_redacted_from_urls() {
        assert_eq!(
            redact_url("postgres://app:s3cret@db:5432/x"),
            "postgres://app:***@db:5432/x"
        );
        assert_eq!(redact_url("postgres://app@db/x"), "postgres://app@db/x");
        assert_eq!(redact_url("sqlite:data/b.db"), "sqlite:data/b.db");
    }
}
