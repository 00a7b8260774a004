//! The command line: `serve`, `migrate`, `user create` and `audit verify`.

use anyhow::{Context, bail};
use bilheteria_app::AppError;
use bilheteria_app::accounts::{AccountForm, account_to_create};
use bilheteria_app::auth::PasswordHasher;
use bilheteria_app::mail::MailSender;
use bilheteria_app::queue::limits::{Limiter, RedisLimiter};
use bilheteria_app::queue::state::{MemoryQueue, QueueState, RedisQueue};
use bilheteria_app::queue::{RoomLimits, WaitingRoom};
use bilheteria_app::ticket_keys::TicketKeys;
use bilheteria_app::{App, Services, Settings};
use bilheteria_domain::account::{Role, Roles};
use bilheteria_domain::audit::AuditContext;
use bilheteria_domain::clock::{Clock, SystemClock};
use bilheteria_payments::PaymentGateway;
use bilheteria_payments::simulator::SimulatedGateway;
use bilheteria_payments::stripe::StripeGateway;
use bilheteria_store::{ConnectOptions, Store, StoreError, redact_url};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Parser)]
#[command(
    name = "bilheteria",
    version,
    about = "An online box office: events, seats, queues, tickets."
)]
pub struct Cli {
    #[command(flatten)]
    pub storage: StorageArgs,
    #[arg(long, env = "BILHETERIA_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct StorageArgs {
    /// Where the embedded database (and, later, keys and mail) live.
    #[arg(
        long,
        env = "BILHETERIA_DATA_DIR",
        default_value = "./data",
        global = true
    )]
    pub data_dir: PathBuf,
    /// `postgres://...` for PostgreSQL; `sqlite:PATH` for SQLite. Default: SQLite in the data dir.
    #[arg(long, env = "BILHETERIA_DATABASE_URL", global = true)]
    pub database_url: Option<String>,
    /// Largest number of database connections of this process.
    #[arg(
        long,
        env = "BILHETERIA_DB_MAX_CONNECTIONS",
        default_value_t = 16,
        global = true
    )]
    pub db_max_connections: u32,
    /// SQLite: `full` syncs every commit to disk; `normal` (WAL) syncs at checkpoints: a power
    /// loss may lose the last commits, a process crash never does.
    #[arg(long, env = "BILHETERIA_SQLITE_SYNCHRONOUS", value_enum, default_value_t = SqliteSync::Full, global = true)]
    pub sqlite_synchronous: SqliteSync,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SqliteSync {
    Full,
    Normal,
}

impl StorageArgs {
    pub fn url(&self) -> anyhow::Result<String> {
        match &self.database_url {
            Some(url) if !url.trim().is_empty() => Ok(url.trim().to_owned()),
            _ => {
                std::fs::create_dir_all(&self.data_dir).with_context(|| {
                    format!(
                        "cannot create the data directory {}",
                        self.data_dir.display()
                    )
                })?;
                Ok(format!(
                    "sqlite:{}",
                    self.data_dir.join("bilheteria.db").display()
                ))
            }
        }
    }

    pub async fn open(&self) -> anyhow::Result<(Arc<dyn Store>, String)> {
        let url = self.url()?;
        let store = bilheteria_store::connect(
            &url,
            &ConnectOptions {
                max_connections: self.db_max_connections,
                sqlite_synchronous_full: self.sqlite_synchronous == SqliteSync::Full,
            },
        )
        .await
        .with_context(|| format!("cannot open the database {}", redact_url(&url)))?;
        Ok((store, url))
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Runs the HTTP server.
    Serve(ServeArgs),
    /// Brings the database schema up to date, then exits.
    Migrate,
    /// Manages accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Fills the database with a demo box office (an organizer, a theatre, a stadium, events
    /// with sessions in the coming weeks, products), then exits.
    Seed(SeedArgs),
    /// Runs the payment-provider simulator (a Stripe-compatible subset) for tests and load tests.
    Paysim(bilheteria_paysim::PaysimArgs),
    /// Measures the waiting room: joins and position polls with a large line, and its memory.
    QueueBench(crate::bench::QueueBenchArgs),
    /// Rehearses an on-sale against a running server and audits it (see BENCHMARKS.md).
    Loadtest(bilheteria_loadtest::LoadtestArgs),
    /// The whole rehearsal in one command: starts paysim and a server of its own (SQLite in a
    /// temporary directory, or `--database-url`), runs `loadtest` against them, audits the
    /// sale and the money, and stops what it started.
    Rehearse(crate::rehearse::RehearseArgs),
    /// A check-in station for a laptop at the door: verifies codes offline (one per line on
    /// standard input, from a scanner or typed), keeps its scans in a local SQLite file and
    /// syncs them when the server answers.
    Gate(bilheteria_station::StationArgs),
    /// Works with the audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
}

#[derive(Debug, Args)]
pub struct SeedArgs {
    /// The demo box office (the only seed there is, and required, so that nothing is seeded by
    /// accident).
    #[arg(long, required = true)]
    pub demo: bool,
    /// The server's settings, where seeding needs them (its key directory, its provider).
    #[command(flatten)]
    pub serve: ServeArgs,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[arg(long, env = "BILHETERIA_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// Proxies (addresses or CIDR ranges, comma-separated) whose X-Forwarded-For is believed.
    #[arg(long, env = "BILHETERIA_TRUSTED_PROXIES", value_delimiter = ',', value_parser = parse_ip_net)]
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// How long a login lasts (at least 1).
    #[arg(long, env = "BILHETERIA_SESSION_TTL_HOURS", default_value_t = 336,
        value_parser = clap::value_parser!(u64).range(1..))]
    pub session_ttl_hours: u64,
    #[arg(
        long,
        env = "BILHETERIA_LOGIN_ATTEMPTS_PER_ACCOUNT",
        default_value_t = 10
    )]
    pub login_attempts_per_account_per_minute: u32,
    #[arg(long, env = "BILHETERIA_LOGIN_ATTEMPTS_PER_IP", default_value_t = 60)]
    pub login_attempts_per_ip_per_minute: u32,
    /// Sign-ups per client address per minute (0: no limit).
    #[arg(long, env = "BILHETERIA_REGISTRATIONS_PER_IP", default_value_t = 30)]
    pub registrations_per_ip_per_minute: u32,
    /// Longest a request may run, in seconds (at least 1).
    #[arg(long, env = "BILHETERIA_REQUEST_TIMEOUT_SECS", default_value_t = 30,
        value_parser = clap::value_parser!(u64).range(1..))]
    pub request_timeout_secs: u64,
    /// How long a request's head may take to arrive, in seconds, counted from when the server
    /// waits for it (a kept-alive connection waiting for its next request included; at least 1).
    #[arg(long, env = "BILHETERIA_HEADER_READ_TIMEOUT_SECS", default_value_t = 10,
        value_parser = clap::value_parser!(u64).range(1..))]
    pub header_read_timeout_secs: u64,
    /// A connection that moves no byte either way for this many seconds is closed (at least 1).
    #[arg(long, env = "BILHETERIA_IDLE_TIMEOUT_SECS", default_value_t = 60,
        value_parser = clap::value_parser!(u64).range(1..))]
    pub idle_timeout_secs: u64,
    /// Connections open at once (at least 1); more wait in the listening socket's backlog until
    /// one closes.
    #[arg(long, env = "BILHETERIA_MAX_CONNECTIONS", default_value_t = 10_000,
        value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub max_connections: u64,
    /// Largest request body, in KiB (at least 1).
    #[arg(long, env = "BILHETERIA_BODY_LIMIT_KIB", default_value_t = 1024,
        value_parser = clap::value_parser!(u64).range(1..))]
    pub body_limit_kib: u64,
    /// Sends `Strict-Transport-Security` with this max-age: set it when browsers reach the server
    /// over HTTPS (TLS at a proxy in front). 0 sends none.
    #[arg(long, env = "BILHETERIA_HSTS_MAX_AGE_SECS", default_value_t = 0)]
    pub hsts_max_age_secs: u64,
    /// Marks the box office's cookies `Secure` (browsers send them over HTTPS only): set it when
    /// browsers reach the server over HTTPS. Implied by a non-zero HSTS max-age.
    #[arg(long, env = "BILHETERIA_SECURE_COOKIES")]
    pub secure_cookies: bool,
    /// How old a seat map served to buyers may be, in milliseconds: a map viewed by many is read
    /// from the database at most this often. 0 reads it for every view.
    #[arg(long, env = "BILHETERIA_SEAT_MAP_MAX_AGE_MS", default_value_t = 250,
        value_parser = clap::value_parser!(u64).range(0..=5000))]
    pub seat_map_max_age_ms: u64,
    /// Holds, orders and settlements in flight in the database past which a new buyer's hold
    /// is refused at once (503 `overloaded`, `Retry-After`) while those already holding or
    /// paying go on. 0 never refuses.
    #[arg(
        long,
        env = "BILHETERIA_MAX_PURCHASE_WORK_IN_FLIGHT",
        default_value_t = 64
    )]
    pub max_purchase_work_in_flight: usize,
    /// While a sale runs at pace (thirty purchase steps a second or more), mail waits up to this
    /// many seconds for the pace to drop before it is composed and sent, so that printing tickets
    /// does not take the processor from buyers; the tickets are on the order page at once. 0
    /// sends at once.
    #[arg(long, env = "BILHETERIA_MAIL_DEFER_WHILE_SELLING_SECS", default_value_t = 180,
        value_parser = clap::value_parser!(u64).range(0..=3600))]
    pub mail_defer_while_selling_secs: u64,
    /// The box office's address as buyers reach it, for the links in mails
    /// (default: http:// and `--addr`).
    #[arg(long, env = "BILHETERIA_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// `/metrics` answers only `Authorization: Bearer <this token>`.
    #[arg(long, env = "BILHETERIA_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
    /// Serves `/metrics` on this address (e.g. an internal interface) and not with the API.
    #[arg(long, env = "BILHETERIA_METRICS_ADDR")]
    pub metrics_addr: Option<SocketAddr>,
    /// `simulated` (in-process), or the base URL of a Stripe-compatible provider.
    #[arg(long, env = "BILHETERIA_PAYMENT_PROVIDER", default_value = "simulated")]
    pub payment_provider: String,
    #[arg(
        long,
        env = "BILHETERIA_PAYMENT_SECRET_KEY",
        default_value = "sk_test_bilheteria",
        hide_env_values = true
    )]
    pub payment_secret_key: String,
    /// How long to wait for the provider before treating the outcome as unknown.
    #[arg(long, env = "BILHETERIA_PAYMENT_TIMEOUT_MS", default_value_t = 10_000)]
    pub payment_timeout_ms: u64,
    /// Secret that signs the provider's webhooks; without it webhooks are refused.
    #[arg(long, env = "BILHETERIA_WEBHOOK_SECRET", hide_env_values = true)]
    pub webhook_secret: Option<String>,
    /// SMTP URL (e.g. smtp://user:pass@host:587?tls=required); without it mail goes to <data-dir>/mail as .eml files.
    #[arg(long, env = "BILHETERIA_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    #[arg(
        long,
        env = "BILHETERIA_MAIL_FROM",
        default_value = "bilheteria <tickets@bilheteria.localhost>"
    )]
    pub mail_from: String,
    /// Directory of the ticket signing keys (default <data-dir>/keys); share it across a cluster.
    #[arg(long, env = "BILHETERIA_TICKET_KEY_DIR")]
    pub ticket_key_dir: Option<PathBuf>,
    /// Holds and orders per buyer per minute (0: no limit).
    #[arg(long, env = "BILHETERIA_PURCHASES_PER_USER", default_value_t = 60)]
    pub purchases_per_user_per_minute: u32,
    /// Holds and orders per client address per minute (0: no limit).
    #[arg(long, env = "BILHETERIA_PURCHASES_PER_IP", default_value_t = 6_000)]
    pub purchases_per_ip_per_minute: u32,
    /// Transfer offers a holder may make per hour (0: no limit); each mails an address.
    #[arg(
        long,
        env = "BILHETERIA_TRANSFER_OFFERS_PER_USER",
        default_value_t = 20
    )]
    pub transfer_offers_per_user_per_hour: u32,
    /// Transfer offers of one ticket per hour (0: no limit).
    #[arg(
        long,
        env = "BILHETERIA_TRANSFER_OFFERS_PER_TICKET",
        default_value_t = 5
    )]
    pub transfer_offers_per_ticket_per_hour: u32,
    /// Addresses or CIDR ranges (comma-separated) that may not buy.
    #[arg(long, env = "BILHETERIA_BLOCKED_IPS", value_delimiter = ',', value_parser = parse_ip_net)]
    pub blocked_ips: Vec<ipnet::IpNet>,
    /// Redis for the waiting room's shared state and rate limits (a cluster); in process without it.
    #[arg(long, env = "BILHETERIA_REDIS_URL", hide_env_values = true)]
    pub redis_url: Option<String>,
    /// How long an admitted buyer may buy before their turn passes (at least 30).
    #[arg(long, env = "BILHETERIA_ADMISSION_WINDOW_SECS", default_value_t = 600,
        value_parser = clap::value_parser!(i64).range(30..))]
    pub admission_window_secs: i64,
    /// Queue joins per address per minute.
    #[arg(long, env = "BILHETERIA_QUEUE_JOINS_PER_IP", default_value_t = 120)]
    pub queue_joins_per_ip_per_minute: u32,
    /// Queue joins per account per minute.
    #[arg(long, env = "BILHETERIA_QUEUE_JOINS_PER_ACCOUNT", default_value_t = 10)]
    pub queue_joins_per_account_per_minute: u32,
    /// Position polls per address per minute.
    #[arg(long, env = "BILHETERIA_QUEUE_POLLS_PER_IP", default_value_t = 6_000)]
    pub queue_polls_per_ip_per_minute: u32,
    /// Position polls per account per minute.
    #[arg(
        long,
        env = "BILHETERIA_QUEUE_POLLS_PER_ACCOUNT",
        default_value_t = 120
    )]
    pub queue_polls_per_account_per_minute: u32,
}

impl ServeArgs {
    pub fn settings(&self) -> Settings {
        Settings {
            session_ttl: Duration::from_secs(self.session_ttl_hours * 3600),
            trusted_proxies: self.trusted_proxies.clone(),
            login_attempts_per_account_per_minute: self.login_attempts_per_account_per_minute,
            login_attempts_per_ip_per_minute: self.login_attempts_per_ip_per_minute,
            registrations_per_ip_per_minute: self.registrations_per_ip_per_minute,
            hsts_max_age_secs: self.hsts_max_age_secs,
            secure_cookies: self.secure_cookies || self.hsts_max_age_secs > 0,
            seat_map_max_age: Duration::from_millis(self.seat_map_max_age_ms),
            max_purchase_work_in_flight: self.max_purchase_work_in_flight,
            mail_defer_while_selling: Duration::from_secs(self.mail_defer_while_selling_secs),
            public_url: self
                .public_url
                .clone()
                .filter(|url| !url.trim().is_empty())
                .unwrap_or_else(|| format!("http://{}", self.addr))
                .trim_end_matches('/')
                .to_owned(),
            metrics_token: self.metrics_token.clone().filter(|t| !t.is_empty()),
            metrics_with_api: self.metrics_addr.is_none(),
            request_timeout: Duration::from_secs(self.request_timeout_secs),
            header_read_timeout: Duration::from_secs(self.header_read_timeout_secs),
            idle_timeout: Duration::from_secs(self.idle_timeout_secs),
            max_connections: usize::try_from(self.max_connections).unwrap_or(usize::MAX),
            body_limit_bytes: usize::try_from(self.body_limit_kib.saturating_mul(1024))
                .unwrap_or(usize::MAX),
            purchases_per_user_per_minute: self.purchases_per_user_per_minute,
            purchases_per_ip_per_minute: self.purchases_per_ip_per_minute,
            transfer_offers_per_user_per_hour: self.transfer_offers_per_user_per_hour,
            transfer_offers_per_ticket_per_hour: self.transfer_offers_per_ticket_per_hour,
            blocked_ips: self.blocked_ips.clone(),
            webhook_secret: self.webhook_secret.clone().filter(|s| !s.is_empty()),
            ..Settings::default()
        }
    }

    async fn waiting_room(&self, key_dir: &std::path::Path) -> anyhow::Result<WaitingRoom> {
        let secret =
            bilheteria_app::ticket_keys::load_or_create_secret(&key_dir.join("queue.secret"))?;
        let window = time::Duration::seconds(self.admission_window_secs);
        let per_minute = [
            self.queue_joins_per_ip_per_minute,
            self.queue_joins_per_account_per_minute,
            self.queue_polls_per_ip_per_minute,
            self.queue_polls_per_account_per_minute,
        ];
        let (state, limits): (Arc<dyn QueueState>, RoomLimits) =
            match self.redis_url.as_deref().filter(|url| !url.is_empty()) {
                Some(url) => {
                    let state = RedisQueue::connect(url, "bilheteria:queue").await?;
                    let connection =
                        redis::aio::ConnectionManager::new(redis::Client::open(url)?).await?;
                    let limiter = |n: u32, name: &str| {
                        Arc::new(RedisLimiter {
                            connection: connection.clone(),
                            prefix: format!("bilheteria:limit:{name}"),
                            per_minute: u64::from(n),
                        }) as Arc<dyn Limiter>
                    };
                    let limits = RoomLimits {
                        joins_per_ip: limiter(per_minute[0], "join-ip"),
                        joins_per_account: limiter(per_minute[1], "join-account"),
                        polls_per_ip: limiter(per_minute[2], "poll-ip"),
                        polls_per_account: limiter(per_minute[3], "poll-account"),
                    };
                    (Arc::new(state), limits)
                }
                None => (
                    Arc::new(MemoryQueue::default()),
                    RoomLimits::local(per_minute),
                ),
            };
        Ok(WaitingRoom::new(state, secret, window, limits))
    }

    pub async fn services(&self, data_dir: &std::path::Path) -> anyhow::Result<Services> {
        let gateway: Arc<dyn PaymentGateway> = if self.payment_provider == "simulated" {
            Arc::new(SimulatedGateway::default())
        } else {
            Arc::new(StripeGateway::new(
                &self.payment_provider,
                &self.payment_secret_key,
                Duration::from_millis(self.payment_timeout_ms.max(1)),
            )?)
        };
        let key_dir = self
            .ticket_key_dir
            .clone()
            .unwrap_or_else(|| data_dir.join("keys"));
        let mail = match self.smtp_url.as_deref().filter(|url| !url.is_empty()) {
            Some(url) => MailSender::smtp(url, &self.mail_from)?,
            None => MailSender::files(&data_dir.join("mail"), &self.mail_from)?,
        };
        Ok(Services {
            gateway,
            ticket_keys: Arc::new(TicketKeys::load_or_create(&key_dir)?),
            mail: Arc::new(mail),
            queue: Arc::new(self.waiting_room(&key_dir).await?),
            wallet_secret: bilheteria_app::ticket_keys::load_or_create_secret(
                &key_dir.join("wallet.secret"),
            )?,
        })
    }
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Creates an account, e.g. the first admin.
    Create {
        #[arg(long)]
        email: String,
        /// Prefer the environment variable: a command line is visible to other local users.
        #[arg(long, env = "BILHETERIA_USER_PASSWORD", hide_env_values = true)]
        password: String,
        #[arg(long)]
        name: String,
        /// customer, organizer, staff or admin; repeat for several.
        #[arg(long = "role", default_value = "customer")]
        roles: Vec<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Checks the hash chain of the audit log; exits non-zero if it is broken.
    Verify,
}

pub fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,tower_http=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => serve(&cli.storage, &args).await,
        Command::Seed(args) => seed(&cli.storage, &args.serve).await,
        Command::Paysim(args) => bilheteria_paysim::run(args).await,
        Command::QueueBench(args) => crate::bench::run(args).await,
        Command::Gate(args) => {
            let summary = bilheteria_station::run(args).await?;
            if summary.waiting_to_sync > 0 {
                bail!(
                    "{} admissions are not on the server yet: run the station again when it answers",
                    summary.waiting_to_sync
                );
            }
            Ok(())
        }
        Command::Loadtest(args) => {
            let report = bilheteria_loadtest::run(&args).await?;
            println!("{}", report.table());
            println!("report written to {}", args.out.display());
            if !report.audit.ok {
                bail!("the invariant audit FAILED");
            }
            Ok(())
        }
        Command::Rehearse(args) => {
            if !crate::rehearse::run(&args, cli.storage.database_url.as_deref()).await? {
                bail!("the invariant audit FAILED");
            }
            Ok(())
        }
        Command::Migrate => {
            let (store, url) = cli.storage.open().await?;
            println!(
                "schema of {} ({}) is up to date",
                redact_url(&url),
                store.backend().as_str()
            );
            Ok(())
        }
        Command::User {
            command:
                UserCommand::Create {
                    email,
                    password,
                    name,
                    roles,
                },
        } => create_user(&cli.storage, &email, &password, &name, &roles).await,
        Command::Audit {
            command: AuditCommand::Verify,
        } => {
            let (store, _) = cli.storage.open().await?;
            let result = store.verify_audit().await?;
            if result.ok {
                println!("audit chain intact: {} entries", result.entries);
                Ok(())
            } else {
                bail!(
                    "audit chain broken at entry {} ({} entries checked): an entry was changed or removed",
                    result.first_bad.unwrap_or_default(),
                    result.entries
                )
            }
        }
    }
}

fn create_data_dir(storage: &StorageArgs) -> anyhow::Result<()> {
    std::fs::create_dir_all(&storage.data_dir).with_context(|| {
        format!(
            "cannot create the data directory {}",
            storage.data_dir.display()
        )
    })
}

/// `bilheteria seed --demo`: the demo box office, through the application as an organizer.
async fn seed(storage: &StorageArgs, args: &ServeArgs) -> anyhow::Result<()> {
    let (store, _) = storage.open().await?;
    create_data_dir(storage)?;
    let services = args.services(&storage.data_dir).await?;
    let state = App::new(store, Arc::new(SystemClock), args.settings(), services);
    let seeded = match bilheteria_app::demo::seed(&state).await {
        Err(bilheteria_app::error::AppError::DemoAlreadySeeded) => {
            println!("the demo box office is already in this database; nothing was added");
            return Ok(());
        }
        other => other.map_err(|e| anyhow::anyhow!("seeding failed: {e}"))?,
    };
    println!("seeded the demo box office:");
    for (id, title) in &seeded.events {
        println!("  event {id}  {title}");
    }
    println!(
        "the demo organizer signs in as {} with the password {} (shown once)",
        seeded.organizer_email, seeded.organizer_password
    );
    Ok(())
}

async fn serve(storage: &StorageArgs, args: &ServeArgs) -> anyhow::Result<()> {
    let (store, url) = storage.open().await?;
    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .with_context(|| format!("cannot listen on {}", args.addr))?;
    let metrics_listener = match args.metrics_addr {
        Some(addr) => Some(
            tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("cannot listen on {addr} for metrics"))?,
        ),
        None => None,
    };
    create_data_dir(storage)?;
    let services = args.services(&storage.data_dir).await?;
    let payments = services.gateway.name();
    let state = App::new(
        store.clone(),
        Arc::new(SystemClock),
        args.settings(),
        services,
    );
    tracing::info!(
        addr = %listener.local_addr()?,
        storage = store.backend().as_str(),
        database = %redact_url(&url),
                payments,
        queue = state.queue.state.kind(),
        "bilheteria {} serving on http://{} (API docs at /docs)",
        env!("CARGO_PKG_VERSION"),
        listener.local_addr()?,
    );
    if let Some(token) = bilheteria_app::setup::prepare(&state)
        .await
        .map_err(|e| anyhow::anyhow!("cannot read the accounts: {e}"))?
    {
        tracing::warn!(
            "no admin yet: open http://{}/setup/{token} to make the first admin (the link works once)",
            listener.local_addr()?
        );
    }
    bilheteria_web::serve(listener, metrics_listener, state).await
}

/// An address or a CIDR range: a bare address is the range of that one address.
pub fn parse_ip_net(raw: &str) -> Result<ipnet::IpNet, String> {
    let raw = raw.trim();
    raw.parse::<ipnet::IpNet>()
        .or_else(|_| raw.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| {
            format!("`{raw}` is neither an IP address nor a CIDR range such as 10.0.0.0/8")
        })
}

/// A problem of an operator's argument, as the command line says it.
fn in_english(problem: &bilheteria_domain::FieldProblem) -> String {
    bilheteria_web::field_words::message(bilheteria_domain::locale::Language::En, problem)
}

async fn create_user(
    storage: &StorageArgs,
    email: &str,
    password: &str,
    name: &str,
    roles: &[String],
) -> anyhow::Result<()> {
    let roles = roles
        .iter()
        .map(|r| {
            Role::parse(r.trim())
                .map_err(|problem| anyhow::anyhow!("--role {r}: {}", in_english(&problem)))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let form = AccountForm {
        email,
        password,
        name,
        language: None,
        fallback_language: Default::default(),
    };
    let account = account_to_create(
        &form,
        Roles::from_roles(roles),
        &PasswordHasher::new(1),
        SystemClock.now(),
    )
    .await
    .map_err(|error| match error {
        AppError::Invalid(errors) => {
            let shown: Vec<String> = errors
                .0
                .iter()
                .map(|e| format!("--{} {}", e.field, in_english(&e.problem)))
                .collect();
            anyhow::anyhow!("{}", shown.join("; "))
        }
        other => other.into(),
    })?;
    let (store, _) = storage.open().await?;
    // Made by an operator at the console: audited, with no acting account.
    let user = store
        .create_user(account, Some(&AuditContext::default()))
        .await
        .map_err(|e| match e {
            StoreError::EmailTaken => {
                anyhow::anyhow!("an account with the email {} already exists", email.trim())
            }
            other => other.into(),
        })?;
    let roles: Vec<&str> = user.roles.iter().map(|r| r.as_str()).collect();
    println!(
        "created user {} <{}> with roles {}",
        user.id,
        user.email,
        roles.join(", ")
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serve_args(extra: &[&str]) -> Result<ServeArgs, clap::Error> {
        let cli = Cli::try_parse_from(["bilheteria", "serve"].iter().chain(extra))?;
        match cli.command {
            Command::Serve(args) => Ok(args),
            _ => unreachable!("parsed as serve"),
        }
    }

    #[test]
    fn bare_addresses_are_accepted_as_one_address_ranges() {
        let args = serve_args(&[
            "--trusted-proxies",
            "127.0.0.1,::1,10.0.0.0/8",
            "--blocked-ips",
            "5.6.7.8,2001:db8::1",
        ])
        .unwrap();
        let shown = |nets: &[ipnet::IpNet]| nets.iter().map(|n| n.to_string()).collect::<Vec<_>>();
        assert_eq!(
            shown(&args.trusted_proxies),
            ["127.0.0.1/32", "::1/128", "10.0.0.0/8"]
        );
        assert_eq!(shown(&args.blocked_ips), ["5.6.7.8/32", "2001:db8::1/128"]);
        let error = serve_args(&["--blocked-ips", "5.6.7"])
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("neither an IP address nor a CIDR range"),
            "{error}"
        );
    }

    #[test]
    fn settings_below_their_minimum_are_refused_at_start() {
        for (flag, value) in [
            ("--session-ttl-hours", "0"),
            ("--request-timeout-secs", "0"),
            ("--body-limit-kib", "0"),
            ("--admission-window-secs", "29"),
        ] {
            assert!(
                serve_args(&[flag, value]).is_err(),
                "{flag} {value} was taken"
            );
        }
        let args = serve_args(&["--session-ttl-hours", "1"]).unwrap();
        assert_eq!(args.settings().session_ttl, Duration::from_secs(3600));
    }
}
