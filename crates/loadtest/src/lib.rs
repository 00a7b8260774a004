//! `bilheteria loadtest`: an on-sale rehearsal (C3) against a running server, through its public
//! HTTP API. It prepares a venue, an event, a session (with or without the waiting room),
//! products and buyers; drives buyers at a fixed arrival rate (an open model, so a slow server
//! cannot slow the arrivals down and hide its latency); then audits the sale's invariants and
//! writes the report (table, JSON, HTML). Traffic goes to the target only; runs are bounded in
//! count and time and stop by themselves.

pub mod cpu;
pub mod report;
pub mod writer;

use anyhow::{Context, bail};
use bilheteria_client::{
    CategoryInput, Client, ClientError, ClientResult, EventInput, HoldInput, Integrity, Order,
    OrderInput, OrganizationInput, Payment, ProductInput, ProductLine, QueueInput, RowInput,
    SectionInput, SessionInput, VenueInput,
};
use rand::Rng;
use rand::seq::IndexedRandom;
use report::{Audit, Recorder, Report, RunInfo};
use serde_json::Value;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

#[derive(Clone, Debug, clap::Args)]
pub struct LoadtestArgs {
    /// The server to rehearse against (loopback or a test host of your own).
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub target: String,
    #[arg(long, env = "BILHETERIA_LOADTEST_ADMIN_EMAIL")]
    pub admin_email: String,
    #[arg(
        long,
        env = "BILHETERIA_LOADTEST_ADMIN_PASSWORD",
        hide_env_values = true
    )]
    pub admin_password: String,
    /// Seats, in seated sections of up to 500 (a buyer fetches one section's map).
    #[arg(long, default_value_t = 20_000)]
    pub seats: u64,
    /// Places of the standing section.
    #[arg(long, default_value_t = 10_000)]
    pub standing: u64,
    /// Buyer accounts to prepare (each buys at most once).
    #[arg(long, default_value_t = 12_000)]
    pub buyers: u64,
    /// Arrivals per second (each arrival is one buyer's whole journey).
    #[arg(long, default_value_t = 200.0)]
    pub rate: f64,
    /// Seconds of arrivals.
    #[arg(long, default_value_t = 30)]
    pub duration: u64,
    /// Find the highest sustainable rate instead: start at --rate and add this much every
    /// --ramp-every seconds.
    #[arg(long)]
    pub ramp_step: Option<f64>,
    #[arg(long, default_value_t = 10)]
    pub ramp_every: u64,
    /// Sell through the waiting room, admitting this many buyers a minute.
    #[arg(long)]
    pub queue_admit_per_minute: Option<i64>,
    /// Share (0..1) of buyers who buy every place at half price (meia-entrada, as students).
    #[arg(long, default_value_t = 0.3)]
    pub half_share: f64,
    /// Share (0..1) of buyers who pay by Pix instead of card.
    #[arg(long, default_value_t = 0.0)]
    pub pix_share: f64,
    /// How long the session's Pix charges wait for the buyer's bank (60 s at least).
    #[arg(long, default_value_t = 60)]
    pub pix_expires_after: i64,
    /// Without `--paysim`: share (0..1) of Pix buyers whose bank pays (through the server's
    /// simulated provider); the rest walk away and their Pix expires. With `--paysim`, paysim's
    /// `--pix-paid-share` decides.
    #[arg(long, default_value_t = 0.8)]
    pub pix_paid_share: f64,
    /// Share of payments made with a declining card.
    #[arg(long, default_value_t = 0.02)]
    pub decline_rate: f64,
    /// Share of payments whose answer is lost (settled later by reconciliation).
    #[arg(long, default_value_t = 0.0)]
    pub lost_answer_rate: f64,
    /// Journeys in flight at most; arrivals beyond it are shed and counted.
    #[arg(long, default_value_t = 4_000)]
    pub max_in_flight: usize,
    /// The payment simulator the server uses, to reconcile money at the end (optional).
    #[arg(long)]
    pub paysim: Option<String>,
    /// Where to write report.json and report.html.
    #[arg(long, default_value = "./loadtest-report")]
    pub out: std::path::PathBuf,
    /// No live progress bar (e.g. in CI).
    #[arg(long)]
    pub quiet: bool,
    /// The server's metrics token: with it the report says how busy a SQLite server's writer
    /// was (from `/metrics`).
    #[arg(long, env = "BILHETERIA_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
    /// A process whose processor time the report splits out, as `NAME=PID` or
    /// `NAME=comm:COMMAND` (every process of that command name, e.g. `database=comm:postgres`);
    /// repeatable. The load generator itself and the rest of the machine are always counted.
    #[arg(long = "watch", value_name = "NAME=PID")]
    pub watch: Vec<cpu::Watched>,
}

struct Buyer {
    token: String,
}

struct Sale {
    session_id: String,
    seated_sections: Vec<String>,
    standing_section: String,
    product_id: String,
}

/// Runs a whole rehearsal and answers its report; `Err` only when it could not run at all.
pub async fn run(args: &LoadtestArgs) -> anyhow::Result<Report> {
    if args.rate <= 0.0 || args.duration == 0 || args.buyers == 0 {
        bail!("--rate, --duration and --buyers must be positive");
    }
    let api = Client::new(&args.target, args.max_in_flight.min(1_000))?;
    let backend = api
        .health()
        .await
        .with_context(|| format!("cannot reach the server at {}", args.target))?
        .storage;
    let device = format!("loadtest-admin-{}", uuid::Uuid::now_v7().simple());
    let admin = match api
        .login(&args.admin_email, &args.admin_password, &device)
        .await
    {
        Ok(session) => session.token,
        Err(ClientError::Transport(error)) => return Err(error.into()),
        Err(refused) => bail!(
            "the admin login was refused ({}): check --admin-email and --admin-password",
            refused.code()
        ),
    };
    let paysim = reqwest::Client::new();
    let paysim_before = paysim_summary(&paysim, args.paysim.as_deref()).await;

    let say = |text: &str| {
        if !args.quiet {
            eprintln!("{text}");
        }
    };
    say(&format!(
        "preparing: {} seats, {} standing, {} buyers ({})",
        args.seats, args.standing, args.buyers, backend
    ));
    let sale = prepare_sale(&api, &admin, args).await?;
    let buyers = prepare_buyers(&api, &admin, args.buyers).await?;
    say("prepared; the sale starts");

    let recorder = Arc::new(Recorder::new());
    let cpu_start = cpu::start(&args.watch);
    let writer_start = writer_counters(&api, args.metrics_token.as_deref()).await;
    let measured = drive(&api, args, &sale, buyers, recorder.clone()).await;
    let cpu = cpu_start.and_then(|start| start.finish(recorder.purchases()));
    let sqlite_writer = match (
        writer_start,
        writer_counters(&api, args.metrics_token.as_deref()).await,
    ) {
        (Some(start), Some(end)) => Some(start.until(&end, measured.seconds, recorder.purchases())),
        _ => None,
    };
    say("arrivals over; auditing");
    let audit = audit(&api, &paysim, &admin, &sale, &recorder, args, paysim_before).await;
    let mut report = recorder.report(
        RunInfo {
            target: args.target.clone(),
            started_at: measured.started_at,
            backend,
            target_rate: args.rate,
            planned_seconds: args.duration,
            measured_seconds: measured.seconds,
            arrivals: measured.arrivals,
            late_arrivals: measured.late,
            shed_arrivals: measured.shed,
            interrupted: measured.interrupted,
            purchases_during_arrivals: measured.purchases_during_arrivals,
            seats: args.seats,
            standing: args.standing,
            buyers: args.buyers,
            queue: args.queue_admit_per_minute.is_some(),
        },
        audit,
        cpu,
    );
    report.sqlite_writer = sqlite_writer;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    std::fs::write(
        args.out.join("report.json"),
        serde_json::to_vec_pretty(&report)?,
    )?;
    std::fs::write(args.out.join("report.html"), report.html())?;
    Ok(report)
}

/// The SQLite writer's counters, when the server runs on SQLite and shows its metrics (with the
/// token it was given).
async fn writer_counters(api: &Client, token: Option<&str>) -> Option<writer::WriterCounters> {
    writer::WriterCounters::parse(&api.metrics(token?).await.ok()?)
}

/// The rehearsal's producer's CNPJ: made up, with the check digits right.
const REHEARSAL_CNPJ: &str = "11.222.333/0001-81";

async fn prepare_sale(api: &Client, admin: &str, args: &LoadtestArgs) -> anyhow::Result<Sale> {
    let mut sections = Vec::new();
    let mut left = args.seats;
    while left > 0 {
        let in_section = left.min(500);
        let rows = (0..in_section.div_ceil(50))
            .map(|r| RowInput {
                label: format!("R{r}"),
                seats: (in_section - r * 50).min(50),
            })
            .collect();
        sections.push(SectionInput::Seated {
            name: format!("Setor {}", sections.len() + 1),
            rows,
        });
        left -= in_section;
    }
    if args.standing > 0 {
        sections.push(SectionInput::Standing {
            name: "Pista".into(),
            capacity: args.standing,
        });
    }
    let run = uuid::Uuid::now_v7().simple().to_string();
    let organization = api
        .create_organization(
            admin,
            &OrganizationInput {
                name: format!("Rehearsal producer {run}"),
                document: REHEARSAL_CNPJ.into(),
                contact_email: "rehearsal@example.com".into(),
            },
        )
        .await
        .context("creating the organization")?;
    let organization_id = Some(organization.id);
    let venue = api
        .create_venue(
            admin,
            &VenueInput {
                organization_id: organization_id.clone(),
                name: format!("Rehearsal arena {run}"),
                city: "Loopback".into(),
                sections,
            },
        )
        .await
        .context("creating the venue")?;
    let section_ids: Vec<String> = venue.sections.iter().map(|s| s.id.clone()).collect();
    let (seated, standing) = if args.standing > 0 {
        (
            section_ids[..section_ids.len() - 1].to_vec(),
            section_ids.last().cloned().unwrap_or_default(),
        )
    } else {
        (section_ids.clone(), String::new())
    };
    let event = api
        .create_event(
            admin,
            &EventInput {
                organization_id: organization_id.clone(),
                title: format!("Rehearsal {run}"),
                category: "music".into(),
                venue_id: venue.id,
                status: "published".into(),
            },
        )
        .await
        .context("creating the event")?;
    let now = time::OffsetDateTime::now_utc();
    let rfc = |t: time::OffsetDateTime| {
        t.format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default()
    };
    let mut categories = vec![];
    if !seated.is_empty() {
        categories.push(CategoryInput {
            name: "Cadeira".into(),
            price_cents: 15_000,
            section_ids: seated.clone(),
        });
    }
    if !standing.is_empty() {
        categories.push(CategoryInput {
            name: "Pista".into(),
            price_cents: 9_000,
            section_ids: vec![standing.clone()],
        });
    }
    let session = SessionInput {
        starts_at: rfc(now + time::Duration::days(30)),
        sales_start_at: rfc(now - time::Duration::minutes(1)),
        categories,
        queue: args.queue_admit_per_minute.map(|rate| QueueInput {
            enabled: true,
            admit_per_minute: rate,
        }),
        pix_expires_after_seconds: Some(args.pix_expires_after.max(60)),
    };
    let session = api
        .create_session(admin, &event.id, &session)
        .await
        .context("creating the session")?;
    let product = api
        .create_product(
            admin,
            &ProductInput {
                organization_id,
                name: "Copo oficial".into(),
                price_cents: 2_500,
                stock: 1_000_000,
                event_ids: vec![event.id],
            },
        )
        .await
        .context("creating the product")?;
    Ok(Sale {
        session_id: session.id,
        seated_sections: seated,
        standing_section: standing,
        product_id: product.id,
    })
}

async fn prepare_buyers(api: &Client, admin: &str, count: u64) -> anyhow::Result<Vec<Buyer>> {
    let mut buyers = Vec::with_capacity(count as usize);
    while (buyers.len() as u64) < count {
        let batch = (count - buyers.len() as u64).min(5_000);
        let page = api
            .rehearsal_buyers(admin, batch)
            .await
            .context("preparing buyers")?;
        buyers.extend(
            page.items
                .into_iter()
                .map(|buyer| Buyer { token: buyer.token }),
        );
    }
    Ok(buyers)
}

struct Measured {
    started_at: String,
    seconds: f64,
    arrivals: u64,
    late: u64,
    shed: u64,
    interrupted: bool,
    /// Purchases completed before the last arrival was due: the sale's pace while it was fed,
    /// without the tail of late Pix payments and expiries.
    purchases_during_arrivals: u64,
}

/// Schedules arrivals at the target rate (or a ramp) for the duration, each a buyer's journey.
async fn drive(
    api: &Client,
    args: &LoadtestArgs,
    sale: &Sale,
    buyers: Vec<Buyer>,
    recorder: Arc<Recorder>,
) -> Measured {
    let sale = Arc::new(Sale {
        session_id: sale.session_id.clone(),
        seated_sections: sale.seated_sections.clone(),
        standing_section: sale.standing_section.clone(),
        product_id: sale.product_id.clone(),
    });
    let started_at = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let in_flight = Arc::new(Semaphore::new(args.max_in_flight));
    let progress = (!args.quiet).then(|| {
        let bar = indicatif::ProgressBar::new(args.duration);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{elapsed_precise} [{bar:30}] {pos}/{len} s  {msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    let start = Instant::now();
    let end = start + Duration::from_secs(args.duration);
    let (mut arrivals, mut late, mut shed) = (0u64, 0u64, 0u64);
    let mut tasks = tokio::task::JoinSet::new();
    let during_arrivals = Arc::new(AtomicU64::new(0));
    let mut interrupted = false;
    let mut offset = 0.0f64;
    let mut buyers = buyers.into_iter();
    let interrupt = tokio::signal::ctrl_c();
    tokio::pin!(interrupt);
    loop {
        // The rate in force at this point of the run (a ramp adds a step every few seconds).
        let rate = match args.ramp_step {
            Some(step) => args.rate + step * (offset as u64 / args.ramp_every.max(1)) as f64,
            None => args.rate,
        };
        let scheduled = start + Duration::from_secs_f64(offset);
        if scheduled >= end {
            break;
        }
        tokio::select! {
            _ = tokio::time::sleep_until(scheduled.into()) => {}
            _ = &mut interrupt => { interrupted = true; break; }
        }
        offset += 1.0 / rate;
        let Some(buyer) = buyers.next() else {
            eprintln!("ran out of buyers after {arrivals} arrivals: prepare more with --buyers");
            break;
        };
        arrivals += 1;
        if Instant::now().duration_since(scheduled) > Duration::from_millis(100) {
            late += 1;
        }
        let Ok(permit) = in_flight.clone().try_acquire_owned() else {
            shed += 1;
            continue;
        };
        let (task_api, task_sale, task_recorder, task_args, task_during) = (
            api.clone(),
            sale.clone(),
            recorder.clone(),
            args.clone(),
            during_arrivals.clone(),
        );
        tasks.spawn(async move {
            let purchased =
                journey(&task_api, &task_sale, &buyer, &task_args, &task_recorder).await;
            if purchased && Instant::now() <= end {
                task_during.fetch_add(1, Ordering::Relaxed);
            }
            let second = scheduled.duration_since(start).as_secs() as usize;
            task_recorder.journey(second, purchased, scheduled.elapsed());
            drop(permit);
        });
        if let Some(bar) = &progress {
            bar.set_position(start.elapsed().as_secs().min(args.duration));
            bar.set_message(format!(
                "{:.0}/s target, {} purchases, {} in flight",
                rate,
                recorder.purchases(),
                args.max_in_flight - in_flight.available_permits()
            ));
        }
        while tasks.try_join_next().is_some() {}
    }
    // Let the journeys under way finish (bounded).
    let drain = async { while tasks.join_next().await.is_some() {} };
    let _ = tokio::time::timeout(
        Duration::from_secs(if interrupted { 15 } else { 120 }),
        drain,
    )
    .await;
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    Measured {
        started_at,
        seconds: start
            .elapsed()
            .as_secs_f64()
            .min(args.duration as f64 + 120.0),
        arrivals,
        late,
        shed,
        interrupted,
        purchases_during_arrivals: during_arrivals.load(Ordering::Relaxed),
    }
}

/// Records a step's outcome and hands it back; a call the server never answered ends the
/// journey instead (counted as a transport failure).
fn record<T>(
    recorder: &Recorder,
    step: &'static str,
    started: Instant,
    result: ClientResult<T>,
) -> anyhow::Result<ClientResult<T>> {
    if let Err(ClientError::Transport(error)) = result {
        return Err(error.into());
    }
    let outcome = result
        .as_ref()
        .map(|_| ())
        .map_err(|error| error.code().to_owned());
    recorder.step(step, started.elapsed(), outcome);
    Ok(result)
}

/// One buyer: (queue), seat map, hold, order with payment, tickets. True when it bought.
async fn journey(
    api: &Client,
    sale: &Sale,
    buyer: &Buyer,
    args: &LoadtestArgs,
    recorder: &Recorder,
) -> bool {
    match journey_steps(api, sale, buyer, args, recorder).await {
        Ok(bought) => bought,
        Err(error) => {
            recorder.step(
                "purchase",
                Duration::ZERO,
                Err(format!("transport: {}", error.root_cause())),
            );
            false
        }
    }
}

/// Waits in the session's line until admitted (bounded); the admission token, if it came.
async fn wait_in_line(
    api: &Client,
    session: &str,
    token: &str,
    recorder: &Recorder,
) -> anyhow::Result<Option<String>> {
    let step = Instant::now();
    let admitted: ClientResult<Option<String>> = async {
        let mut view = api.join_queue(token, session).await?;
        let deadline = Instant::now() + Duration::from_secs(600);
        while view.status != "admitted" && Instant::now() < deadline {
            let wait = view.poll_after_seconds.clamp(1, 5);
            tokio::time::sleep(Duration::from_secs(wait)).await;
            view = api.queue_place(session, &view.queue_token).await?;
        }
        Ok(view.admission_token)
    }
    .await;
    if let Ok(None) = admitted {
        recorder.step("queue", step.elapsed(), Err("not_admitted".into()));
        return Ok(None);
    }
    Ok(record(recorder, "queue", step, admitted)?.ok().flatten())
}

async fn journey_steps(
    api: &Client,
    sale: &Sale,
    buyer: &Buyer,
    args: &LoadtestArgs,
    recorder: &Recorder,
) -> anyhow::Result<bool> {
    let started = Instant::now();
    let token = buyer.token.as_str();
    let session = &sale.session_id;
    let mut admission = None;
    if args.queue_admit_per_minute.is_some() {
        admission = wait_in_line(api, session, token, recorder).await?;
        if admission.is_none() {
            return Ok(false);
        }
    }

    let (half, pix, pix_pays) = {
        let mut rng = rand::rng();
        (
            rng.random_bool(args.half_share.clamp(0.0, 1.0)),
            rng.random_bool(args.pix_share.clamp(0.0, 1.0)),
            rng.random_bool(args.pix_paid_share.clamp(0.0, 1.0)),
        )
    };
    let eligibility = half.then(|| "student".to_owned());
    let (seated, quantity, section, decline, lost) = {
        let mut rng = rand::rng();
        let seated = !sale.seated_sections.is_empty()
            && (sale.standing_section.is_empty() || rng.random_bool(0.7));
        let section = if seated {
            sale.seated_sections
                .choose(&mut rng)
                .cloned()
                .unwrap_or_default()
        } else {
            sale.standing_section.clone()
        };
        let roll: f64 = rng.random();
        (
            seated,
            rng.random_range(1..=2u64),
            section,
            roll < args.decline_rate,
            roll >= args.decline_rate && roll < args.decline_rate + args.lost_answer_rate,
        )
    };
    // Up to three tries at a hold, as a buyer would pick other seats after losing a race.
    let mut held = None;
    for _ in 0..3 {
        let step = Instant::now();
        let free = record(
            recorder,
            "seat_map",
            step,
            api.available_seats(token, session, &section).await,
        )?;
        let request = if seated {
            let free = free.unwrap_or_default();
            if free.is_empty() {
                recorder.step("hold", Duration::ZERO, Err("sold_out".into()));
                return Ok(false);
            }
            let picked: Vec<String> = {
                let mut rng = rand::rng();
                free.choose_multiple(&mut rng, quantity as usize)
                    .cloned()
                    .collect()
            };
            HoldInput::Seats {
                half_price_seat_ids: if half { picked.clone() } else { Vec::new() },
                seat_ids: picked,
                eligibility: eligibility.clone(),
            }
        } else {
            HoldInput::Standing {
                section_id: section.clone(),
                quantity,
                half_price_quantity: if half { quantity } else { 0 },
                eligibility: eligibility.clone(),
            }
        };
        let step = Instant::now();
        let hold = api
            .hold(token, session, admission.as_deref(), &request)
            .await;
        match record(recorder, "hold", step, hold)? {
            Ok(hold) => {
                held = Some(hold.id);
                break;
            }
            Err(refused) if refused.code() == "seat_unavailable" => continue,
            Err(_) => return Ok(false),
        }
    }
    let Some(hold_id) = held else {
        return Ok(false);
    };

    let card = if decline {
        "tok_chargeDeclined"
    } else if lost {
        "tok_timeout"
    } else {
        "tok_visa"
    };
    let order = OrderInput {
        hold_id: hold_id.clone(),
        products: vec![ProductLine {
            product_id: sale.product_id.clone(),
            quantity: 1,
        }],
        payment: if pix {
            Payment {
                method: "pix".into(),
                token: None,
            }
        } else {
            Payment {
                method: "card".into(),
                token: Some(card.into()),
            }
        },
    };
    let key = uuid::Uuid::now_v7().simple().to_string();
    let step = Instant::now();
    let paid = api.place_order(token, &key, &order).await;
    if pix {
        return pix_buyer(api, token, args, recorder, (step, paid), pix_pays, started).await;
    }
    if let Err(refused) = record(recorder, "order", step, paid)? {
        if refused.code() == "payment_declined" {
            // A declined buyer lets the hold go, as the rehearsal's buyers do not retry.
            let _ = api.release_hold(token, &hold_id).await;
        }
        return Ok(false);
    }
    recorder.step("purchase", started.elapsed(), Ok(()));
    let step = Instant::now();
    let _tickets = record(recorder, "tickets", step, api.tickets(token).await)?;
    Ok(true)
}

/// A Pix buyer after placing the order: their bank pays it (through the server's simulator
/// without paysim; paysim pays by itself), or they walk away and the Pix expires.
async fn pix_buyer(
    api: &Client,
    token: &str,
    args: &LoadtestArgs,
    recorder: &Recorder,
    (step, placed): (Instant, ClientResult<Order>),
    pays: bool,
    started: Instant,
) -> anyhow::Result<bool> {
    let order_id = match placed {
        Err(ClientError::Problem { code, body, .. }) if code == "payment_pending" => {
            recorder.step("order", step.elapsed(), Ok(()));
            body["order_id"].as_str().unwrap_or_default().to_owned()
        }
        other => {
            record(recorder, "order", step, other)?.ok();
            return Ok(false);
        }
    };
    let step = Instant::now();
    let paid = if args.paysim.is_none() {
        if !pays {
            return Ok(false);
        }
        api.pay_pix(token, &order_id).await
    } else {
        // paysim's buyers pay in their own time: look until the order settles or expires.
        let deadline = Instant::now() + Duration::from_secs(args.pix_expires_after.max(60) as u64);
        loop {
            tokio::time::sleep(Duration::from_secs(2)).await;
            match api.order(token, &order_id).await {
                Ok(order) if order.status == "payment_pending" && Instant::now() < deadline => {}
                other => break other,
            }
        }
    };
    match record(recorder, "pix_paid", step, paid)? {
        Ok(order) if order.status == "paid" => {
            recorder.step("purchase", started.elapsed(), Ok(()));
            Ok(true)
        }
        _ => Ok(false),
    }
}

async fn paysim_summary(client: &reqwest::Client, url: Option<&str>) -> Option<Value> {
    let url = url?;
    client
        .get(format!("{}/v1/charges/summary", url.trim_end_matches('/')))
        .send()
        .await
        .ok()?
        .json()
        .await
        .ok()
}

/// The sale's invariants, from the server's own accounting (and the provider's, if reachable).
async fn audit(
    api: &Client,
    paysim: &reqwest::Client,
    admin: &str,
    sale: &Sale,
    recorder: &Recorder,
    args: &LoadtestArgs,
    paysim_before: Option<Value>,
) -> Audit {
    let mut audit = Audit::default();
    // Lost answers settle through reconciliation, unpaid Pix when they expire: wait for them
    // (bounded).
    let mut integrity = Integrity::default();
    let pix_wait = if args.pix_share > 0.0 {
        args.pix_expires_after.max(60) as u64 + 30
    } else {
        0
    };
    for _ in 0..60 + pix_wait {
        match api.integrity(admin, &sale.session_id).await {
            Ok(report) => {
                integrity = report;
                if integrity.orders_pending == 0 {
                    break;
                }
            }
            Err(error) => {
                audit
                    .failures
                    .push(format!("the integrity report could not be read: {error}"));
                return audit;
            }
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let mut check = |ok: bool, text: String| {
        if ok {
            audit.checks.push(text)
        } else {
            audit.failures.push(text)
        }
    };
    let i = &integrity;
    check(i.seats_sold_twice == 0, "no seat sold twice".into());
    check(
        i.seat_status_mismatches == 0 && i.standing_count_mismatches == 0,
        "every sold seat and standing place has exactly its ticket".into(),
    );
    check(
        i.standing_oversold_sections == 0,
        "no standing section sold beyond capacity".into(),
    );
    check(
        i.users_over_cap == 0 && i.allocations_mismatched == 0,
        "no buyer above the per-session cap, and every allocation matches its tickets and holds"
            .into(),
    );
    check(
        i.paid_orders_without_charge == 0
            && i.paid_orders_with_wrong_ticket_count == 0
            && i.charges_without_paid_order_or_refund == 0
            && i.double_charges == 0,
        "paid orders, tickets and captured charges match one to one".into(),
    );
    check(
        i.paid_orders_unconfirmed == 0,
        "the provider confirms every paid order's charge".into(),
    );
    check(
        i.orders_pending == 0,
        "every payment outcome settled".into(),
    );
    check(
        i.half_price_quota_exceeded == 0
            && i.pools_mismatched == 0
            && i.reserve_taken_before_release == 0,
        format!(
            "the half-price quota held: {} of {} reserved places sold at half price, none to others",
            i.half_price_sold, i.half_price_quota
        ),
    );
    if i.pix_orders > 0 {
        check(
            i.orders_pending == 0,
            format!(
                "every Pix ended: {} orders, {} paid, {} expired unpaid, {} failed otherwise",
                i.pix_orders,
                i.pix_orders_paid,
                i.pix_orders_expired,
                i.pix_orders - i.pix_orders_paid - i.pix_orders_expired
            ),
        );
    }
    let paid_total = i.paid_order_total_cents - i.resale_adjustment_cents;
    let charged = i.charged_cents - i.refunded_cents - i.paid_out_cents;
    check(
        charged == paid_total,
        format!("money reconciles: captured {charged} = paid orders {paid_total} (cents)"),
    );
    check(
        i.paid_orders >= recorder.purchases() as i64,
        format!(
            "every purchase the buyers saw is a paid order ({} seen, {} paid)",
            recorder.purchases(),
            i.paid_orders
        ),
    );
    if let (Some(before), Some(after)) = (
        paysim_before,
        paysim_summary(paysim, args.paysim.as_deref()).await,
    ) {
        let net = |s: &Value| {
            s["captured_cents"].as_i64().unwrap_or(0) - s["refunded_cents"].as_i64().unwrap_or(0)
        };
        let provider = net(&after) - net(&before);
        check(
            provider == paid_total,
            format!("the provider's ledger agrees: {provider} cents captured net during the run"),
        );
    }
    audit.ok = audit.failures.is_empty();
    audit.integrity = serde_json::to_value(&integrity).unwrap_or_default();
    audit
}
