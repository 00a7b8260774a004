//! `bilheteria rehearse`: the whole on-sale rehearsal in one command. It starts what a
//! rehearsal needs as child processes of this same binary (paysim, a server on a temporary data
//! directory, or on `--database-url`), makes the rehearsal's admin, runs `loadtest` against
//! them with the money reconciled against paysim, writes and audits the report, and stops
//! everything it started, whatever happens. Everything listens on loopback ports of its own.

use anyhow::{Context, bail};
use bilheteria_loadtest::LoadtestArgs;
use bilheteria_loadtest::cpu::{Watched, Which};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::process::{Child, Command};

#[derive(Debug, clap::Args)]
pub struct RehearseArgs {
    /// Arrivals per second (each arrival is one buyer's whole journey).
    #[arg(long, default_value_t = 200.0)]
    pub rate: f64,
    /// Seconds of arrivals.
    #[arg(long, default_value_t = 30)]
    pub duration: u64,
    /// Seats, in seated sections of up to 500.
    #[arg(long, default_value_t = 20_000)]
    pub seats: u64,
    /// Places of the standing section.
    #[arg(long, default_value_t = 10_000)]
    pub standing: u64,
    /// Share (0..1) of buyers who buy at half price (meia-entrada).
    #[arg(long, default_value_t = 0.3)]
    pub half_share: f64,
    /// Share (0..1) of buyers who pay by Pix (paysim's bank pays 80 % of them after ~3 s).
    #[arg(long, default_value_t = 0.2)]
    pub pix_share: f64,
    /// Share of payments made with a declining card.
    #[arg(long, default_value_t = 0.02)]
    pub decline_rate: f64,
    /// The payment provider's median answer time (paysim, log-normal).
    #[arg(long, default_value_t = 150.0)]
    pub provider_latency_ms: f64,
    /// Where to write report.json and report.html.
    #[arg(long, default_value = "./rehearsal-report")]
    pub out: PathBuf,
    /// No live progress bar (e.g. in CI).
    #[arg(long)]
    pub quiet: bool,
}

/// Child processes stopped when dropped, so nothing outlives the rehearsal.
struct Started(Vec<Child>);

impl Drop for Started {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.start_kill();
        }
    }
}

/// A free loopback port (the child binds it a moment later).
fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// Waits until `url` answers 200, or the child ends, or 60 s pass.
async fn wait_ready(url: &str, child: &mut Child, what: &str) -> anyhow::Result<()> {
    let client = reqwest::Client::new();
    for _ in 0..600 {
        if let Some(status) = child.try_wait()? {
            bail!("{what} stopped at start ({status}); see its log in the data directory");
        }
        if let Ok(response) = client.get(url).send().await
            && response.status().is_success()
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("{what} did not answer {url} within 60 s")
}

fn child(exe: &Path, args: &[&str], log: &Path, env: &[(&str, &str)]) -> anyhow::Result<Child> {
    let log = std::fs::File::create(log)
        .with_context(|| format!("cannot write the log {}", log.display()))?;
    let mut command = Command::new(exe);
    command
        .args(args)
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .kill_on_drop(true);
    for (key, value) in env {
        command.env(key, value);
    }
    Ok(command.spawn()?)
}

/// Runs the rehearsal; `database_url` is the command line's (`None`: SQLite in a temporary
/// directory, removed afterwards). Answers whether its audit passed.
pub async fn run(args: &RehearseArgs, database_url: Option<&str>) -> anyhow::Result<bool> {
    let exe = std::env::current_exe().context("cannot find this program")?;
    let data = tempfile::Builder::new()
        .prefix("bilheteria-rehearsal-")
        .tempdir()?;
    let data_dir = data.path().to_string_lossy().into_owned();
    let database =
        database_url.map_or_else(|| format!("sqlite:{data_dir}/bilheteria.db"), str::to_owned);
    let storage = [
        ("BILHETERIA_DATA_DIR", data_dir.as_str()),
        ("BILHETERIA_DATABASE_URL", database.as_str()),
        ("RUST_LOG", "warn"),
    ];
    let (paysim_port, server_port) = (free_port()?, free_port()?);
    let paysim_url = format!("http://127.0.0.1:{paysim_port}");
    let server_url = format!("http://127.0.0.1:{server_port}");
    let secret = "whsec_rehearsal";
    let webhook = format!("{server_url}/api/v1/payments/webhook");
    let latency = args.provider_latency_ms.to_string();
    let mut started = Started(Vec::new());

    println!("starting paysim on {paysim_url}");
    started.0.push(child(
        &exe,
        &[
            "paysim",
            "--addr",
            &format!("127.0.0.1:{paysim_port}"),
            "--latency-median-ms",
            &latency,
            "--webhook-url",
            &webhook,
            "--webhook-secret",
            secret,
            "--pix-paid-share",
            "0.8",
            "--pix-pay-after-ms",
            "3000",
        ],
        &data.path().join("paysim.log"),
        &storage,
    )?);
    let paysim = started.0.last_mut().context("paysim")?;
    wait_ready(&format!("{paysim_url}/healthz"), paysim, "paysim").await?;
    let paysim_pid = paysim.id();

    let admin_email = "rehearsal-admin@bilheteria.localhost";
    let admin_password = bilheteria_app::auth::new_token()?;
    // The writer's load is read from the server's /metrics, which answers only with a token.
    let metrics_token = bilheteria_app::auth::new_token()?;
    let made = Command::new(&exe)
        .args([
            "user",
            "create",
            "--email",
            admin_email,
            "--name",
            "Rehearsal",
            "--role",
            "admin",
        ])
        .envs(storage)
        .env("BILHETERIA_USER_PASSWORD", &admin_password)
        .stdin(Stdio::null())
        .output()
        .await?;
    if !made.status.success() {
        bail!(
            "cannot make the rehearsal's admin: {}",
            String::from_utf8_lossy(&made.stderr).trim()
        );
    }

    println!(
        "starting the server on {server_url} ({})",
        database_url.map_or("SQLite in a temporary directory", |_| "--database-url")
    );
    started.0.push(child(
        &exe,
        &[
            "serve",
            "--addr",
            &format!("127.0.0.1:{server_port}"),
            "--payment-provider",
            &paysim_url,
            "--webhook-secret",
            secret,
            // One load generator is one address.
            "--purchases-per-ip-per-minute",
            "0",
            "--registrations-per-ip-per-minute",
            "0",
            "--metrics-token",
            &metrics_token,
        ],
        &data.path().join("server.log"),
        &storage,
    )?);
    let server = started.0.last_mut().context("server")?;
    wait_ready(&format!("{server_url}/readyz"), server, "the server").await?;
    let mut watch: Vec<Watched> = [("server", server.id()), ("paysim", paysim_pid)]
        .into_iter()
        .filter_map(|(name, pid)| {
            Some(Watched {
                name: name.to_owned(),
                which: Which::Pid(pid?),
            })
        })
        .collect();
    if database_url.is_some_and(|url| url.starts_with("postgres")) {
        // PostgreSQL's backends serving this rehearsal (and any other work it has meanwhile).
        watch.push(Watched {
            name: "database".to_owned(),
            which: Which::Command("postgres".to_owned()),
        });
    }

    let arrivals = (args.rate * args.duration as f64).ceil() as u64;
    let loadtest = LoadtestArgs {
        target: server_url,
        admin_email: admin_email.to_owned(),
        admin_password,
        seats: args.seats,
        standing: args.standing,
        // Every arrival has a buyer of its own, and a margin for the ramp of the schedule.
        buyers: arrivals + arrivals / 10 + 10,
        rate: args.rate,
        duration: args.duration,
        ramp_step: None,
        ramp_every: 10,
        queue_admit_per_minute: None,
        half_share: args.half_share,
        pix_share: args.pix_share,
        pix_expires_after: 60,
        pix_paid_share: 0.8,
        decline_rate: args.decline_rate,
        lost_answer_rate: 0.0,
        max_in_flight: 4_000,
        paysim: Some(paysim_url),
        out: args.out.clone(),
        quiet: args.quiet,
        watch,
        metrics_token: Some(metrics_token),
    };
    let report = bilheteria_loadtest::run(&loadtest).await?;
    println!("{}", report.table());
    println!("report written to {}", args.out.display());
    drop(started);
    Ok(report.audit.ok)
}
