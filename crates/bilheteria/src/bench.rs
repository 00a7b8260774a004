//! `bilheteria queue-bench`: how fast one node's waiting room takes joins and answers position
//! polls with a large line (a million buyers by default), and the memory that costs. Joins and
//! polls go through the real `WaitingRoom` code; polls are also measured over HTTP on loopback
//! against the real router (a poll never touches the database, so none is involved).

use bilheteria_app::mail::MailSender;
use bilheteria_app::queue::state::{MemoryQueue, QueueState, RedisQueue};
use bilheteria_app::queue::{RoomLimits, WaitingRoom};
use bilheteria_app::ticket_keys::TicketKeys;
use bilheteria_app::{App, Services, Settings};
use bilheteria_domain::catalog::QueueSettings;
use bilheteria_domain::clock::{Clock, SystemClock};
use bilheteria_domain::ids::{EventId, SessionId, UserId};
use bilheteria_payments::simulator::SimulatedGateway;
use bilheteria_store::QueuedSession;
use bilheteria_web::connections::ConnectionLimits;
use bilheteria_web::{router, serve_router};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[derive(Clone, Debug, clap::Args)]
pub struct QueueBenchArgs {
    /// Buyers to put in line.
    #[arg(long, default_value_t = 1_000_000)]
    pub entries: u64,
    /// Concurrent tasks issuing joins and polls.
    #[arg(long, default_value_t = 64)]
    pub concurrency: u64,
    /// How long to poll, in seconds (each of the engine and HTTP measurements).
    #[arg(long, default_value_t = 10)]
    pub poll_seconds: u64,
    /// Keep the line in Redis instead of memory.
    #[arg(long)]
    pub redis_url: Option<String>,
}

/// Resident memory of this process, from /proc (Linux); 0 elsewhere.
fn resident_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kib| kib.parse::<u64>().ok())
        })
        .map_or(0, |kib| kib * 1024)
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

pub async fn run(args: QueueBenchArgs) -> anyhow::Result<()> {
    let state: Arc<dyn QueueState> = match &args.redis_url {
        Some(url) => {
            let prefix = format!("bilheteria-bench:{}", uuid::Uuid::now_v7().simple());
            Arc::new(RedisQueue::connect(url, &prefix).await?)
        }
        None => Arc::new(MemoryQueue::default()),
    };
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).map_err(|e| anyhow::anyhow!("{e}"))?;
    let room = Arc::new(WaitingRoom::new(
        state.clone(),
        secret,
        time::Duration::minutes(10),
        RoomLimits::local([u32::MAX; 4]),
    ));
    let now = SystemClock.now();
    let session = QueuedSession {
        id: SessionId::new(),
        event_id: EventId::new(),
        sales_start_at: now + time::Duration::hours(1),
        starts_at: now + time::Duration::days(1),
        queue: QueueSettings {
            enabled: true,
            admit_per_minute: 1_000,
            ..QueueSettings::disabled()
        },
    };
    println!(
        "queue-bench: {} buyers, {} concurrent tasks, state in {}",
        args.entries,
        args.concurrency,
        state.kind()
    );
    // A join looks for a snapshot to restore from; this database has none.
    let dir = tempfile_dir()?;
    let store = bilheteria_store::connect(
        &format!("sqlite:{}/bench.db", dir.display()),
        &Default::default(),
    )
    .await?;

    // Joins.
    let redis_before = redis_used_memory(args.redis_url.as_deref()).await;
    let before = resident_bytes();
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..args.concurrency {
        let (room, session, next, entries, store) = (
            room.clone(),
            session.clone(),
            next.clone(),
            args.entries,
            store.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut tokens = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= entries {
                    break;
                }
                let view = room
                    .join(
                        store.as_ref(),
                        &session,
                        UserId::new(),
                        &format!("device-{i:012}"),
                        None,
                        SystemClock.now(),
                    )
                    .await
                    .map_err(|e| anyhow::anyhow!("join failed: {e}"))?;
                if i % 1_000 == 0 {
                    tokens.push(view.queue_token);
                }
            }
            anyhow::Ok(tokens)
        }));
    }
    let mut tokens = Vec::new();
    for task in tasks {
        tokens.extend(task.await??);
    }
    let join_time = started.elapsed();
    let after_joins = resident_bytes();
    println!(
        "joins: {} in {:.2} s = {:.0} joins/s; resident memory +{:.1} MiB ({:.0} bytes a buyer)",
        args.entries,
        join_time.as_secs_f64(),
        args.entries as f64 / join_time.as_secs_f64(),
        mib(after_joins.saturating_sub(before)),
        after_joins.saturating_sub(before) as f64 / args.entries as f64
    );

    if let (Some(before), Some(after)) = (
        redis_before,
        redis_used_memory(args.redis_url.as_deref()).await,
    ) {
        println!(
            "redis used_memory +{:.1} MiB ({:.0} bytes a buyer)",
            mib(after.saturating_sub(before)),
            after.saturating_sub(before) as f64 / args.entries as f64
        );
    }

    // Sales open: the line is frozen and shuffled.
    let started = Instant::now();
    let (presale, seed) = state.freeze(session.id, [7; 32]).await?;
    let ranks = bilheteria_domain::queue::shuffled_ranks(usize::try_from(presale)?, seed);
    println!(
        "shuffle of {presale} buyers: {:.0} ms",
        started.elapsed().as_secs_f64() * 1000.0
    );
    drop(ranks);

    // Polls at the engine.
    let first_poll = room
        .poll(session.id, &tokens[0], None, SystemClock.now())
        .await
        .map_err(|e| anyhow::anyhow!("poll failed: {e}"))?;
    println!(
        "a poll answers: position {:?}, eta {:?} s",
        first_poll.position, first_poll.eta_seconds
    );
    let polls = measure(args.concurrency, args.poll_seconds, tokens.clone(), {
        let room = room.clone();
        move |token| {
            let room = room.clone();
            async move {
                room.poll(session.id, &token, None, SystemClock.now())
                    .await
                    .is_ok()
            }
        }
    })
    .await;
    println!("polls (engine): {:.0} polls/s", polls);
    println!(
        "resident memory after polls: {:.1} MiB",
        mib(resident_bytes())
    );

    // Polls over HTTP, on loopback, against the real router.
    let services = Services {
        gateway: Arc::new(SimulatedGateway::default()),
        ticket_keys: Arc::new(TicketKeys::ephemeral()?),
        mail: Arc::new(MailSender::files(
            &dir.join("mail"),
            "bench <bench@localhost>",
        )?),
        queue: room.clone(),
        wallet_secret: [0; 32],
    };
    room.remember(session.clone());
    let app = App::new(store, Arc::new(SystemClock), Settings::default(), services);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let limits = ConnectionLimits::from(app.settings.as_ref());
    let server = tokio::spawn(serve_router(
        listener,
        router(app)?,
        limits,
        std::future::pending(),
    ));
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.concurrency as usize)
        .build()?;
    let url = format!("http://{addr}/api/v1/sessions/{}/queue", session.id);
    let polls = measure(args.concurrency, args.poll_seconds, tokens, move |token| {
        let (client, url) = (client.clone(), url.clone());
        async move {
            client
                .get(&url)
                .header("X-Queue-Token", token)
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
        }
    })
    .await;
    println!(
        "polls (HTTP on loopback, client and server on this machine): {:.0} polls/s",
        polls
    );
    server.abort();
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// Redis's own count of the memory it uses.
async fn redis_used_memory(url: Option<&str>) -> Option<u64> {
    let client = redis::Client::open(url?).ok()?;
    let mut connection = client.get_multiplexed_async_connection().await.ok()?;
    let info: String = redis::cmd("INFO")
        .arg("memory")
        .query_async(&mut connection)
        .await
        .ok()?;
    info.lines()
        .find_map(|l| l.strip_prefix("used_memory:"))
        .and_then(|v| v.trim().parse().ok())
}

fn tempfile_dir() -> anyhow::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!(
        "bilheteria-bench-{}",
        uuid::Uuid::now_v7().simple()
    ));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// Runs `call` from `concurrency` tasks for `seconds`, cycling through `tokens`; answers the
/// rate of successful calls. A failed call stops the measurement loudly.
async fn measure<F, Fut>(concurrency: u64, seconds: u64, tokens: Vec<String>, call: F) -> f64
where
    F: Fn(String) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let tokens = Arc::new(tokens);
    let done = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for t in 0..concurrency {
        let (tokens, done, failed, call) =
            (tokens.clone(), done.clone(), failed.clone(), call.clone());
        tasks.push(tokio::spawn(async move {
            let mut i = t as usize;
            while Instant::now() < deadline {
                if call(tokens[i % tokens.len()].clone()).await {
                    done.fetch_add(1, Ordering::Relaxed);
                } else {
                    failed.fetch_add(1, Ordering::Relaxed);
                }
                i += concurrency as usize;
            }
        }));
    }
    for task in tasks {
        let _ = task.await;
    }
    let failed = failed.load(Ordering::Relaxed);
    if failed > 0 {
        println!("warning: {failed} polls failed");
    }
    done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}
