//! `bilheteria loadtest`: an on-sale rehearsal (C3) against a running server, through its public
//! HTTP API. It prepares a venue, an event, a session (with or without the waiting room),
//! products and buyers; drives buyers at a fixed arrival rate (an open model, so a slow server
//! cannot slow the arrivals down and hide its latency); then audits the sale's invariants and
//! writes the report (table, JSON, HTML). Traffic goes to the target only; runs are bounded in
//! count and time and stop by themselves.

pub mod report;

use anyhow::{Context, bail};
use rand::Rng;
use rand::seq::IndexedRandom;
use report::{Audit, Recorder, Report, RunInfo};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::Arc;
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
}

/// A thin client of the public API, with the calls the rehearsal makes.
#[derive(Clone)]
struct Api {
    client: reqwest::Client,
    base: String,
}

/// An answer: status, and JSON body (or the problem's `code` on error).
struct Answer {
    status: StatusCode,
    body: Value,
}

impl Answer {
    fn parse(status: StatusCode, text: &str) -> Self {
        Self {
            status,
            body: serde_json::from_str(text).unwrap_or(Value::Null),
        }
    }

    fn code(&self) -> String {
        self.body["code"]
            .as_str()
            .map_or_else(|| format!("http_{}", self.status.as_u16()), str::to_owned)
    }
}

impl Api {
    fn new(target: &str, pool: usize) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(pool)
            .timeout(Duration::from_secs(60))
            .build()?;
        Ok(Self {
            client,
            base: format!("{}/api/v1", target.trim_end_matches('/')),
        })
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> anyhow::Result<Answer> {
        let (status, text) = self.call_text(method, path, token, headers, body).await?;
        Ok(Answer::parse(status, &text))
    }

    /// The answer's status and unparsed body, for callers that read only part of it.
    async fn call_text(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> anyhow::Result<(StatusCode, String)> {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await?;
        let status = response.status();
        Ok((status, response.text().await?))
    }

    async fn expect(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
        wanted: StatusCode,
    ) -> anyhow::Result<Value> {
        let answer = self.call(method, path, token, &[], body).await?;
        if answer.status != wanted {
            bail!("{path} answered {}: {}", answer.status, answer.body);
        }
        Ok(answer.body)
    }
}

/// The part of a seat map the rehearsal's buyers look at.
#[derive(serde::Deserialize)]
struct SeatMapView {
    sections: Vec<SectionView>,
}

#[derive(serde::Deserialize)]
struct SectionView {
    #[serde(default)]
    seats: Vec<SeatView>,
}

#[derive(serde::Deserialize)]
struct SeatView {
    id: String,
    status: String,
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
    let api = Api::new(&args.target, args.max_in_flight.min(1_000))?;
    let health = api
        .client
        .get(format!("{}/healthz", args.target.trim_end_matches('/')))
        .send()
        .await
        .with_context(|| format!("cannot reach the server at {}", args.target))?;
    let backend = health
        .json::<Value>()
        .await
        .ok()
        .and_then(|h| h["storage"].as_str().map(str::to_owned))
        .unwrap_or_default();
    let login = api
        .call(
            reqwest::Method::POST,
            "/auth/login",
            None,
            &[(
                "X-Device-Id",
                &format!("loadtest-admin-{}", uuid::Uuid::now_v7().simple()),
            )],
            Some(&json!({"email": args.admin_email, "password": args.admin_password})),
        )
        .await?;
    if login.status != StatusCode::OK {
        bail!(
            "the admin login was refused ({}): check --admin-email and --admin-password",
            login.code()
        );
    }
    let admin = login.body["token"]
        .as_str()
        .context("login answered no token")?
        .to_owned();
    let paysim_before = paysim_summary(&api.client, args.paysim.as_deref()).await;

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
    let measured = drive(&api, args, &sale, buyers, recorder.clone()).await;
    say("arrivals over; auditing");
    let audit = audit(&api, &admin, &sale, &recorder, args, paysim_before).await;
    let report = recorder.report(
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
            seats: args.seats,
            standing: args.standing,
            buyers: args.buyers,
            queue: args.queue_admit_per_minute.is_some(),
        },
        audit,
    );
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    std::fs::write(
        args.out.join("report.json"),
        serde_json::to_vec_pretty(&report)?,
    )?;
    std::fs::write(args.out.join("report.html"), report.html())?;
    Ok(report)
}

async fn prepare_sale(api: &Api, admin: &str, args: &LoadtestArgs) -> anyhow::Result<Sale> {
    let mut sections = Vec::new();
    let mut left = args.seats;
    while left > 0 {
        let in_section = left.min(500);
        let rows: Vec<Value> = (0..in_section.div_ceil(50))
            .map(|r| json!({"label": format!("R{r}"), "seats": (in_section - r * 50).min(50)}))
            .collect();
        sections.push(json!({"name": format!("Setor {}", sections.len() + 1), "rows": rows}));
        left -= in_section;
    }
    if args.standing > 0 {
        sections.push(json!({"name": "Pista", "capacity": args.standing}));
    }
    let run = uuid::Uuid::now_v7().simple().to_string();
    let venue = api
        .expect(reqwest::Method::POST, "/venues", Some(admin), Some(&json!({"name": format!("Rehearsal arena {run}"), "city": "Loopback", "sections": sections})), StatusCode::CREATED)
        .await?;
    let section_ids: Vec<String> = venue["sections"]
        .as_array()
        .context("venue without sections")?
        .iter()
        .filter_map(|s| s["id"].as_str().map(str::to_owned))
        .collect();
    let (seated, standing) = if args.standing > 0 {
        (
            section_ids[..section_ids.len() - 1].to_vec(),
            section_ids.last().cloned().unwrap_or_default(),
        )
    } else {
        (section_ids.clone(), String::new())
    };
    let event = api
        .expect(reqwest::Method::POST, "/events", Some(admin), Some(&json!({"title": format!("Rehearsal {run}"), "category": "rehearsal", "venue_id": venue["id"], "status": "published"})), StatusCode::CREATED)
        .await?;
    let now = time::OffsetDateTime::now_utc();
    let rfc = |t: time::OffsetDateTime| {
        t.format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default()
    };
    let mut categories = vec![];
    if !seated.is_empty() {
        categories.push(json!({"name": "Cadeira", "price_cents": 15_000, "section_ids": seated}));
    }
    if !standing.is_empty() {
        categories.push(json!({"name": "Pista", "price_cents": 9_000, "section_ids": [standing]}));
    }
    let mut session = json!({"starts_at": rfc(now + time::Duration::days(30)), "sales_start_at": rfc(now - time::Duration::minutes(1)), "categories": categories});
    if let Some(rate) = args.queue_admit_per_minute {
        session["queue"] = json!({"enabled": true, "admit_per_minute": rate});
    }
    let event_id = event["id"].as_str().context("event without id")?;
    let session = api
        .expect(
            reqwest::Method::POST,
            &format!("/events/{event_id}/sessions"),
            Some(admin),
            Some(&session),
            StatusCode::CREATED,
        )
        .await?;
    let product = api
        .expect(reqwest::Method::POST, "/products", Some(admin), Some(&json!({"name": "Copo oficial", "price_cents": 2_500, "stock": 1_000_000, "event_ids": [event_id]})), StatusCode::CREATED)
        .await?;
    Ok(Sale {
        session_id: session["id"]
            .as_str()
            .context("session without id")?
            .to_owned(),
        seated_sections: seated,
        standing_section: standing,
        product_id: product["id"]
            .as_str()
            .context("product without id")?
            .to_owned(),
    })
}

async fn prepare_buyers(api: &Api, admin: &str, count: u64) -> anyhow::Result<Vec<Buyer>> {
    let mut buyers = Vec::with_capacity(count as usize);
    while (buyers.len() as u64) < count {
        let batch = (count - buyers.len() as u64).min(5_000);
        let page = api
            .expect(
                reqwest::Method::POST,
                "/admin/rehearsal/buyers",
                Some(admin),
                Some(&json!({"count": batch})),
                StatusCode::CREATED,
            )
            .await?;
        for item in page["items"].as_array().context("no buyers")? {
            buyers.push(Buyer {
                token: item["token"]
                    .as_str()
                    .context("buyer without token")?
                    .to_owned(),
            });
        }
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
}

/// Schedules arrivals at the target rate (or a ramp) for the duration, each a buyer's journey.
async fn drive(
    api: &Api,
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
        let (task_api, task_sale, task_recorder, task_args) =
            (api.clone(), sale.clone(), recorder.clone(), args.clone());
        tasks.spawn(async move {
            let purchased =
                journey(&task_api, &task_sale, &buyer, &task_args, &task_recorder).await;
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
    }
}

fn outcome(answer: &Answer, wanted: StatusCode) -> Result<(), String> {
    if answer.status == wanted {
        Ok(())
    } else {
        Err(answer.code())
    }
}

/// One buyer: (queue), seat map, hold, order with payment, tickets. True when it bought.
async fn journey(
    api: &Api,
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

async fn journey_steps(
    api: &Api,
    sale: &Sale,
    buyer: &Buyer,
    args: &LoadtestArgs,
    recorder: &Recorder,
) -> anyhow::Result<bool> {
    let started = Instant::now();
    let token = Some(buyer.token.as_str());
    let session = &sale.session_id;
    let mut admission = None;
    if args.queue_admit_per_minute.is_some() {
        let step = Instant::now();
        let joined = api
            .call(
                reqwest::Method::POST,
                &format!("/sessions/{session}/queue"),
                token,
                &[],
                None,
            )
            .await?;
        if joined.status != StatusCode::OK {
            recorder.step("queue", step.elapsed(), Err(joined.code()));
            return Ok(false);
        }
        let queue_token = joined.body["queue_token"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let mut view = joined.body;
        let deadline = Instant::now() + Duration::from_secs(600);
        while view["status"] != "admitted" && Instant::now() < deadline {
            let wait = view["poll_after_seconds"].as_u64().unwrap_or(2).min(5);
            tokio::time::sleep(Duration::from_secs(wait)).await;
            let polled = api
                .call(
                    reqwest::Method::GET,
                    &format!("/sessions/{session}/queue"),
                    None,
                    &[("X-Queue-Token", &queue_token)],
                    None,
                )
                .await?;
            if polled.status != StatusCode::OK {
                recorder.step("queue", step.elapsed(), Err(polled.code()));
                return Ok(false);
            }
            view = polled.body;
        }
        admission = view["admission_token"].as_str().map(str::to_owned);
        recorder.step(
            "queue",
            step.elapsed(),
            if admission.is_some() {
                Ok(())
            } else {
                Err("not_admitted".into())
            },
        );
        if admission.is_none() {
            return Ok(false);
        }
    }

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
    let mut headers: Vec<(&str, &str)> = Vec::new();
    if let Some(admission) = admission.as_deref() {
        headers.push(("X-Admission-Token", admission));
    }
    // Up to three tries at a hold, as a buyer would pick other seats after losing a race.
    let mut held = None;
    for _ in 0..3 {
        let step = Instant::now();
        let (status, map) = api
            .call_text(
                reqwest::Method::GET,
                &format!("/sessions/{session}/seats?section_id={section}"),
                token,
                &[],
                None,
            )
            .await?;
        // Only the seats' ids and statuses are read: a typed parse of those is a fraction of the
        // cost of a full JSON tree, and the rehearsal shares the machine with the server.
        let map = if status == StatusCode::OK {
            serde_json::from_str::<SeatMapView>(&map).map_err(|_| "unreadable_seat_map".to_owned())
        } else {
            Err(Answer::parse(status, &map).code())
        };
        recorder.step(
            "seat_map",
            step.elapsed(),
            map.as_ref().map(|_| ()).map_err(Clone::clone),
        );
        let body = if seated {
            let free: Vec<&str> = map
                .as_ref()
                .ok()
                .and_then(|map| map.sections.first())
                .map(|section| {
                    section
                        .seats
                        .iter()
                        .filter(|s| s.status == "available")
                        .map(|s| s.id.as_str())
                        .collect()
                })
                .unwrap_or_default();
            if free.is_empty() {
                recorder.step("hold", Duration::ZERO, Err("sold_out".into()));
                return Ok(false);
            }
            let picked: Vec<&str> = {
                let mut rng = rand::rng();
                free.choose_multiple(&mut rng, quantity as usize)
                    .copied()
                    .collect()
            };
            json!({"seat_ids": picked})
        } else {
            json!({"section_id": section, "quantity": quantity})
        };
        let step = Instant::now();
        let hold = api
            .call(
                reqwest::Method::POST,
                &format!("/sessions/{session}/holds"),
                token,
                &headers,
                Some(&body),
            )
            .await?;
        recorder.step("hold", step.elapsed(), outcome(&hold, StatusCode::CREATED));
        match hold.status {
            StatusCode::CREATED => {
                held = hold.body["id"].as_str().map(str::to_owned);
                break;
            }
            StatusCode::CONFLICT if hold.code() == "seat_unavailable" => continue,
            _ => return Ok(false),
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
    let order = json!({"hold_id": hold_id, "products": [{"product_id": sale.product_id, "quantity": 1}], "payment": {"method": "card", "token": card}});
    let key = uuid::Uuid::now_v7().simple().to_string();
    let step = Instant::now();
    let paid = api
        .call(
            reqwest::Method::POST,
            "/orders",
            token,
            &[("Idempotency-Key", &key)],
            Some(&order),
        )
        .await?;
    recorder.step("order", step.elapsed(), outcome(&paid, StatusCode::CREATED));
    if paid.status != StatusCode::CREATED {
        if paid.status == StatusCode::PAYMENT_REQUIRED {
            // A declined buyer lets the hold go, as the rehearsal's buyers do not retry.
            let _ = api
                .call(
                    reqwest::Method::DELETE,
                    &format!("/holds/{hold_id}"),
                    token,
                    &[],
                    None,
                )
                .await;
        }
        return Ok(false);
    }
    recorder.step("purchase", started.elapsed(), Ok(()));
    let step = Instant::now();
    let tickets = api
        .call(reqwest::Method::GET, "/tickets", token, &[], None)
        .await?;
    recorder.step("tickets", step.elapsed(), outcome(&tickets, StatusCode::OK));
    Ok(true)
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
    api: &Api,
    admin: &str,
    sale: &Sale,
    recorder: &Recorder,
    args: &LoadtestArgs,
    paysim_before: Option<Value>,
) -> Audit {
    let mut audit = Audit::default();
    let path = format!("/sessions/{}/integrity", sale.session_id);
    // Lost answers settle through reconciliation: wait for them (bounded).
    let mut integrity = Value::Null;
    for _ in 0..60 {
        match api
            .expect(
                reqwest::Method::GET,
                &path,
                Some(admin),
                None,
                StatusCode::OK,
            )
            .await
        {
            Ok(report) => {
                let pending = report["orders_pending"].as_i64().unwrap_or(0);
                integrity = report;
                if pending == 0 {
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
    let zero = |name: &str| integrity[name].as_i64() == Some(0);
    check(zero("seats_sold_twice"), "no seat sold twice".into());
    check(
        zero("seat_status_mismatches") && zero("standing_count_mismatches"),
        "every sold seat and standing place has exactly its ticket".into(),
    );
    check(
        zero("standing_oversold_sections"),
        "no standing section sold beyond capacity".into(),
    );
    check(
        zero("users_over_cap"),
        "no buyer above the per-session cap".into(),
    );
    check(
        zero("paid_orders_without_charge")
            && zero("paid_orders_with_wrong_ticket_count")
            && zero("charges_without_paid_order_or_refund")
            && zero("double_charges"),
        "paid orders, tickets and captured charges match one to one".into(),
    );
    check(
        zero("paid_orders_unconfirmed"),
        "the provider confirms every paid order's charge".into(),
    );
    check(
        zero("orders_pending"),
        "every payment outcome settled".into(),
    );
    let paid_total = integrity["paid_order_total_cents"].as_i64().unwrap_or(-1);
    let charged = integrity["charged_cents"].as_i64().unwrap_or(-2)
        - integrity["refunded_cents"].as_i64().unwrap_or(0);
    check(
        charged == paid_total,
        format!("money reconciles: captured {charged} = paid orders {paid_total} (cents)"),
    );
    let paid_orders = integrity["paid_orders"].as_i64().unwrap_or(-1);
    check(
        paid_orders >= recorder.purchases() as i64,
        format!(
            "every purchase the buyers saw is a paid order ({} seen, {paid_orders} paid)",
            recorder.purchases()
        ),
    );
    if let (Some(before), Some(after)) = (
        paysim_before,
        paysim_summary(&api.client, args.paysim.as_deref()).await,
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
    audit.integrity = integrity;
    audit
}
