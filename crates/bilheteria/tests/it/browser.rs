//! The web box office walked through in a real browser: `browser/walk.mjs` drives Chromium with
//! Playwright against the real server on a loopback port, on each backend, over the demo box
//! office: buyers, and the demo's organizer in the console (`/organizer`). Runs when `BILHETERIA_TEST_BROWSER` names a Chromium (`.ci/run` installs Debian's);
//! reported as ignored otherwise. Screenshots land in `target/browser-shots/<backend>/`.

use bilheteria_domain::clock::Clock;
use bilheteria_store::testing::TestDatabase;
use bilheteria_testkit::TestApp;
use std::path::{Path, PathBuf};
use std::time::Duration;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Installs the browser tests' npm packages from the lockfile when they are missing.
pub(crate) fn npm_ci(dir: &Path) {
    if dir.join("node_modules/playwright-core").exists()
        && dir.join("node_modules/axe-core").exists()
    {
        return;
    }
    let status = std::process::Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(dir)
        .status()
        .expect("npm runs (install Node.js)");
    assert!(status.success(), "npm ci failed in {}", dir.display());
}

async fn walk(db: TestDatabase, backend: &str) {
    let chromium = std::env::var("BILHETERIA_TEST_BROWSER").expect("BILHETERIA_TEST_BROWSER");
    let app = std::sync::Arc::new(TestApp::spawn(db).await);
    let demo = bilheteria_app::demo::seed(&app.state)
        .await
        .expect("the demo box office");
    // The queued session's sales open five minutes after seeding: be there.
    app.clock.advance(time::Duration::minutes(6));
    // Time goes on as in a real box office, and the waiting room admits at its pace.
    let ticking = {
        let (state, clock) = (app.state.clone(), app.clock.clone());
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(250)).await;
                clock.advance(time::Duration::milliseconds(250));
                let _ = state.queue.tick(state.store.as_ref(), clock.now()).await;
            }
        })
    };
    // Each buyer's mailbox, opened by the walk: the last confirmation link mailed to an address
    // (in a file named after it) and the last wallet link (`<address>.wallet`).
    let mailbox = repo().join("target/browser-mailbox").join(backend);
    let _ = std::fs::remove_dir_all(&mailbox);
    std::fs::create_dir_all(&mailbox).expect("mailbox directory");
    let delivering = {
        let (app, mailbox) = (app.clone(), mailbox.clone());
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(100)).await;
                // Reconciliation settles what is due: a cancelled event's refunds among it.
                let _ = bilheteria_app::sales::reconcile(&app.state).await;
                let _ = bilheteria_app::workers::deliver_outbox(&app.state).await;
                let recipients: std::collections::BTreeSet<String> =
                    app.mails().into_iter().map(|mail| mail.to).collect();
                for to in recipients {
                    if let Some(token) = app.mailed_token(&to, "/verify-email/") {
                        let _ = std::fs::write(mailbox.join(&to), format!("/verify-email/{token}"));
                    }
                    if let Some(link) = app.mailed_token(&to, "/wallet/") {
                        let _ = std::fs::write(
                            mailbox.join(format!("{to}.wallet")),
                            format!("/wallet/{link}"),
                        );
                    }
                }
            }
        })
    };
    let dir = repo().join("browser");
    npm_ci(&dir);
    let shots = repo().join("target/browser-shots").join(backend);
    std::fs::create_dir_all(&shots).expect("screenshot directory");
    let walked = tokio::time::timeout(
        Duration::from_secs(300),
        tokio::process::Command::new("node")
            .arg("walk.mjs")
            .env("BASE_URL", &app.base)
            .env("CHROMIUM", &chromium)
            .env("SHOTS", &shots)
            .env("MAILBOX", &mailbox)
            .env("ORGANIZER_EMAIL", &demo.organizer_email)
            .env("ORGANIZER_PASSWORD", &demo.organizer_password)
            .current_dir(&dir)
            .kill_on_drop(true)
            .status(),
    )
    .await
    .expect("the walk ends within five minutes")
    .expect("node runs");
    ticking.abort();
    delivering.abort();
    assert!(walked.success(), "the browser walk failed on {backend}");
    // What the browsers did left the books straight.
    let events = app
        .store
        .list_events(&Default::default(), &Default::default())
        .await
        .unwrap();
    for event in events.items {
        for session in app.store.list_event_sessions(event.id).await.unwrap() {
            let report = bilheteria_app::sales::integrity(&app.state, session.id)
                .await
                .unwrap();
            assert!(report.holds(), "{}: {report:?}", event.title);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(bilheteria_browser_tests),
    ignore = "browser: set BILHETERIA_TEST_BROWSER to a Chromium to run"
)]
async fn a_buyer_walks_the_box_office_in_a_browser_on_sqlite() {
    walk(TestDatabase::sqlite(), "sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(all(bilheteria_browser_tests, bilheteria_postgres_tests)),
    ignore = "browser on PostgreSQL: set BILHETERIA_TEST_BROWSER and BILHETERIA_TEST_DATABASE_URL"
)]
async fn a_buyer_walks_the_box_office_in_a_browser_on_postgres() {
    walk(TestDatabase::postgres().await, "postgres").await;
}
