//! A short rehearsal in CI, on both backends: `bilheteria loadtest` against the real app over
//! loopback, with payments through paysim over HTTP. It asserts the invariant audit and the
//! report's shape, never timings.

use bilheteria_app::Settings;
use bilheteria_domain::account::Role;
use bilheteria_loadtest::{self as loadtest, LoadtestArgs};
use bilheteria_payments::stripe::StripeGateway;
use bilheteria_paysim::{self as paysim, PaysimArgs};
use bilheteria_store::on_both_backends;
use bilheteria_store::testing::TestDatabase;
use bilheteria_testkit::{PASSWORD, TestApp};
use std::sync::Arc;
use std::time::Duration;

on_both_backends!(
    a_short_rehearsal_sells_and_passes_its_audit,
    a_rehearsal_selling_half_price_and_pix_passes_its_audit,
    a_rehearsal_through_the_waiting_room_passes_its_audit,
    the_whole_rehearsal_runs_in_one_command
);

const METRICS_TOKEN: &str = "rehearsal-metrics-token";

async fn rehearsal_app(db: TestDatabase) -> (TestApp, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let paysim_url = format!("http://{}", listener.local_addr().unwrap());
    let router = paysim::router(&PaysimArgs {
        addr: "127.0.0.1:0".parse().unwrap(),
        latency_median_ms: 5.0,
        latency_sigma: 0.5,
        decline_rate: 0.0,
        lost_answer_ms: 30_000,
        webhook_url: None,
        webhook_secret: "unused".into(),
        webhook_delay_ms: 0,
        pix_paid_share: 0.0,
        pix_pay_after_ms: 0.0,
    })
    .unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let gateway =
        StripeGateway::new(&paysim_url, "sk_test_rehearsal", Duration::from_secs(5)).unwrap();
    let settings = Settings {
        metrics_token: Some(METRICS_TOKEN.into()),
        ..Settings::default()
    };
    let app = TestApp::spawn_with_gateway(db, settings, Some(Arc::new(gateway))).await;
    app.account("admin@example.com", &[Role::Admin]).await;
    (app, paysim_url)
}

fn args(app: &TestApp, paysim: &str, out: &std::path::Path) -> LoadtestArgs {
    LoadtestArgs {
        target: app.base.clone(),
        admin_email: "admin@example.com".into(),
        admin_password: PASSWORD.into(),
        seats: 120,
        standing: 40,
        buyers: 150,
        rate: 40.0,
        duration: 3,
        ramp_step: None,
        ramp_every: 10,
        queue_admit_per_minute: None,
        half_share: 0.3,
        pix_share: 0.0,
        pix_expires_after: 60,
        pix_paid_share: 0.8,
        decline_rate: 0.1,
        lost_answer_rate: 0.0,
        max_in_flight: 500,
        paysim: Some(paysim.to_owned()),
        out: out.to_path_buf(),
        quiet: true,
        watch: Vec::new(),
        metrics_token: Some(METRICS_TOKEN.into()),
    }
}

async fn a_short_rehearsal_sells_and_passes_its_audit(db: TestDatabase) {
    let (app, paysim) = rehearsal_app(db).await;
    let out = tempfile::tempdir().unwrap();
    let report = loadtest::run(&args(&app, &paysim, out.path()))
        .await
        .unwrap();
    assert!(report.audit.ok, "{}", report.table());
    assert!(report.audit.failures.is_empty());
    assert!(
        report
            .audit
            .checks
            .iter()
            .any(|c| c.contains("the provider's ledger agrees")),
        "{:?}",
        report.audit.checks
    );
    assert_eq!(report.run.arrivals, 120, "40 a second for 3 seconds");
    if app.db.backend.as_str() == "sqlite" {
        assert!(
            report.sqlite_writer.is_some(),
            "the writer's load is read from /metrics with the token"
        );
    }
    let purchases = report.steps.iter().find(|s| s.step == "purchase").unwrap();
    assert!(purchases.ok > 0, "{}", report.table());
    let orders = report.steps.iter().find(|s| s.step == "order").unwrap();
    assert!(
        orders.errors.contains_key("payment_declined"),
        "declines were exercised: {}",
        report.table()
    );
    assert!(
        report.steps.iter().any(|s| s.step == "seat_map")
            && report.steps.iter().any(|s| s.step == "hold")
    );
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.path().join("report.json")).unwrap()).unwrap();
    assert_eq!(json["audit"]["ok"], true);
    let html = std::fs::read_to_string(out.path().join("report.html")).unwrap();
    assert!(html.contains("<svg") && html.contains("Audit: passed"));
    // A second run against the same server is independent of the first.
    let again = loadtest::run(&LoadtestArgs {
        duration: 1,
        ..args(&app, &paysim, out.path())
    })
    .await
    .unwrap();
    assert!(again.audit.ok, "{}", again.table());
}

async fn a_rehearsal_through_the_waiting_room_passes_its_audit(db: TestDatabase) {
    let (app, paysim) = rehearsal_app(db).await;
    // The test app's clock stands still unless moved: keep it in step with real time, and run
    // the queue's tick as every server node does.
    let (clock, state) = (app.clock.clone(), app.state.clone());
    let ticker = tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_millis(200)).await;
            clock.advance(time::Duration::milliseconds(200));
            let _ = state
                .queue
                .tick(
                    state.store.as_ref(),
                    bilheteria_domain::clock::Clock::now(clock.as_ref()),
                )
                .await;
        }
    });
    let out = tempfile::tempdir().unwrap();
    let queued = LoadtestArgs {
        queue_admit_per_minute: Some(6_000),
        duration: 2,
        decline_rate: 0.0,
        ..args(&app, &paysim, out.path())
    };
    let report = loadtest::run(&queued).await.unwrap();
    ticker.abort();
    assert!(report.audit.ok, "{}", report.table());
    let queue = report
        .steps
        .iter()
        .find(|s| s.step == "queue")
        .expect("buyers went through the queue");
    assert!(queue.ok > 0, "{}", report.table());
    assert!(
        report
            .steps
            .iter()
            .find(|s| s.step == "purchase")
            .unwrap()
            .ok
            > 0,
        "{}",
        report.table()
    );
}

/// Half-price buyers and Pix buyers in the mix, with the server's own simulated provider: some
/// Pix are paid by the buyers' banks, the others expire as the clock runs (a minute passes in a
/// second here) and reconciliation passes; the audit checks the quota and that every Pix ended.
async fn a_rehearsal_selling_half_price_and_pix_passes_its_audit(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    app.account("admin@example.com", &[Role::Admin]).await;
    let (clock, state) = (app.clock.clone(), app.state.clone());
    let ticker = tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_millis(20)).await;
            clock.advance(time::Duration::seconds(1));
            let _ = bilheteria_app::sales::reconcile(&state).await;
        }
    });
    let out = tempfile::tempdir().unwrap();
    let mixed = LoadtestArgs {
        paysim: None,
        half_share: 0.4,
        pix_share: 0.5,
        pix_paid_share: 0.6,
        decline_rate: 0.0,
        duration: 2,
        ..args(&app, "unused", out.path())
    };
    let report = loadtest::run(&mixed).await.unwrap();
    ticker.abort();
    assert!(report.audit.ok, "{}", report.table());
    let said = |words: &str| report.audit.checks.iter().any(|c| c.contains(words));
    assert!(said("every Pix ended"), "{:?}", report.audit.checks);
    assert!(
        said("the half-price quota held"),
        "{:?}",
        report.audit.checks
    );
    let integrity = &report.audit.integrity;
    assert!(
        integrity["pix_orders_paid"].as_i64().unwrap() > 0,
        "{integrity}"
    );
    assert!(
        integrity["half_price_sold"].as_i64().unwrap() > 0,
        "{integrity}"
    );
    assert_eq!(integrity["orders_pending"], 0);
}

#[tokio::test]
async fn an_unreachable_server_and_a_wrong_password_are_clear_errors() {
    let out = tempfile::tempdir().unwrap();
    let unreachable = LoadtestArgs {
        target: "http://127.0.0.1:9".into(),
        admin_email: "a@example.com".into(),
        admin_password: "whatever!".into(),
        seats: 10,
        standing: 0,
        buyers: 1,
        rate: 1.0,
        duration: 1,
        ramp_step: None,
        ramp_every: 10,
        queue_admit_per_minute: None,
        half_share: 0.0,
        pix_share: 0.0,
        pix_expires_after: 60,
        pix_paid_share: 0.8,
        decline_rate: 0.0,
        lost_answer_rate: 0.0,
        max_in_flight: 10,
        paysim: None,
        out: out.path().to_path_buf(),
        quiet: true,
        watch: Vec::new(),
        metrics_token: None,
    };
    let error = loadtest::run(&unreachable).await.unwrap_err();
    assert!(
        format!("{error:#}").contains("cannot reach the server"),
        "{error:#}"
    );
    let (app, _) = rehearsal_app(TestDatabase::sqlite()).await;
    let wrong = LoadtestArgs {
        target: app.base.clone(),
        admin_email: "admin@example.com".into(),
        ..unreachable
    };
    let error = loadtest::run(&wrong).await.unwrap_err();
    assert!(
        format!("{error:#}").contains("admin login was refused"),
        "{error:#}"
    );
}

/// `bilheteria rehearse` starts paysim and a server of its own (SQLite in a temporary
/// directory, or the PostgreSQL database it is given), rehearses, audits, and leaves nothing
/// running.
async fn the_whole_rehearsal_runs_in_one_command(db: TestDatabase) {
    let out = tempfile::tempdir().unwrap();
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_bilheteria"));
    command
        .args([
            "rehearse",
            "--rate",
            "15",
            "--duration",
            "2",
            "--seats",
            "400",
        ])
        .args(["--standing", "100", "--pix-share", "0", "--quiet", "--out"])
        .arg(out.path())
        .env_remove("BILHETERIA_DATABASE_URL")
        .env("RUST_LOG", "warn")
        .kill_on_drop(true);
    if db.url.starts_with("postgres") {
        command.args(["--database-url", &db.url]);
    }
    let ran = tokio::time::timeout(Duration::from_secs(180), command.output())
        .await
        .expect("the rehearsal ends by itself")
        .unwrap();
    let said = String::from_utf8_lossy(&ran.stdout);
    assert!(
        ran.status.success(),
        "{said}\n{}",
        String::from_utf8_lossy(&ran.stderr)
    );
    assert!(said.contains("audit: PASSED"), "{said}");
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.path().join("report.json")).unwrap()).unwrap();
    assert!(report["audit"]["ok"].as_bool().unwrap(), "{report}");
    assert!(out.path().join("report.html").exists());
    // The processor time is split between the processes the rehearsal started.
    let names: Vec<&str> = report["cpu"]["processes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    let expected: &[&str] = if db.url.starts_with("postgres") {
        &["load generator", "server", "paysim", "database", "other"]
    } else {
        &["load generator", "server", "paysim", "other"]
    };
    assert_eq!(names, expected, "{report}");
    assert!(
        report["cpu"]["processes"][1]["cpu_seconds"]
            .as_f64()
            .unwrap()
            > 0.0,
        "the server worked: {report}"
    );
    assert!(said.contains("ms/purchase"), "{said}");
}
