//! The door on a phone in a real browser: `browser/door.mjs` drives a phone-sized Chromium whose
//! camera is a clip of a ticket's QR code (made here: the code drawn with `qrcode` into a
//! YUV4MPEG2 file Chromium plays as its fake camera). A `checkin` member admits the ticket by
//! camera, is refused it the second time, goes offline, admits another ticket typed in (checked
//! on the phone against the gate bundle), comes back online and syncs; axe checks the door page
//! and screenshots land in `target/browser-shots/door-<backend>/`. Runs when
//! `BILHETERIA_TEST_BROWSER` names a Chromium; reported as ignored otherwise.

use bilheteria_domain::ids::SessionId;
use bilheteria_store::testing::TestDatabase;
use bilheteria_testkit::{PASSWORD, TestApp, on_sale};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::Duration;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A few frames of `code`'s QR (black on white, a quiet zone of four modules, each module
/// `scale` pixels) in the middle of a 640 × 480 picture, as YUV4MPEG2 4:2:0: the luma from the
/// picture, the chroma grey (128).
fn qr_clip(code: &str, scale: usize) -> Vec<u8> {
    let qr =
        qrcode::QrCode::with_error_correction_level(code.as_bytes(), qrcode::EcLevel::M).unwrap();
    let modules = qr.width();
    let colors = qr.to_colors();
    let (width, height) = (640usize, 480usize);
    let side = (modules + 8) * scale;
    assert!(side <= height, "the code fits the picture");
    let (left, top) = ((width - side) / 2, (height - side) / 2);
    let mut luma = vec![255u8; width * height];
    for y in 0..side {
        for x in 0..side {
            let (mx, my) = ((x / scale) as isize - 4, (y / scale) as isize - 4);
            let inside = (0..modules as isize).contains(&mx) && (0..modules as isize).contains(&my);
            if inside && colors[my as usize * modules + mx as usize] == qrcode::Color::Dark {
                luma[(top + y) * width + left + x] = 16;
            }
        }
    }
    let mut clip = format!("YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420\n").into_bytes();
    for _ in 0..5 {
        clip.extend_from_slice(b"FRAME\n");
        clip.extend_from_slice(&luma);
        clip.extend(std::iter::repeat_n(128u8, width * height / 2));
    }
    clip
}

async fn door_walk(db: TestDatabase, backend: &str) {
    let chromium = std::env::var("BILHETERIA_TEST_BROWSER").expect("BILHETERIA_TEST_BROWSER");
    let app = TestApp::spawn(db).await;
    let sale = on_sale(&app, 10, 10, 10, json!({})).await;
    let token = Some(sale.organizer.token.as_str());
    let (_, mine) = app.get("/organizations", token).await;
    let org = mine["items"][0]["id"].as_str().unwrap().to_owned();
    let staff = "porta@example.com";
    app.account(staff, &[]).await;
    let (status, added) = app
        .post(
            &format!("/organizations/{org}/members"),
            token,
            json!({"email": staff, "role": "checkin", "event_ids": [sale.event_id]}),
        )
        .await;
    assert_eq!(status.as_u16(), 201, "{added}");
    let buyer = app.account("fa@example.com", &[]).await;
    let mut codes = Vec::new();
    for seat in 0..2 {
        let order = app
            .buy_seat(&sale, &buyer.token, seat, &format!("door-walk-000{seat}"))
            .await;
        codes.push(order["tickets"][0]["code"].as_str().unwrap().to_owned());
    }
    let shots = repo()
        .join("target/browser-shots")
        .join(format!("door-{backend}"));
    std::fs::create_dir_all(&shots).expect("screenshot directory");
    let clip = shots.join("ticket.y4m");
    std::fs::write(&clip, qr_clip(&codes[0], 6)).expect("the camera clip");
    // Chromium refuses a camera file whose path climbs (`..`).
    let clip = clip.canonicalize().expect("the camera clip's path");
    let dir = repo().join("browser");
    super::browser::npm_ci(&dir);
    let walked = tokio::time::timeout(
        Duration::from_secs(180),
        tokio::process::Command::new("node")
            .arg("door.mjs")
            .env("BASE_URL", &app.base)
            .env("CHROMIUM", &chromium)
            .env("SHOTS", &shots)
            .env("CLIP", &clip)
            .env("EMAIL", staff)
            .env("PASSWORD", PASSWORD)
            .env("DOOR", format!("/organizer/{org}/door/{}", sale.session_id))
            .env("SECOND_CODE", &codes[1])
            .current_dir(&dir)
            .kill_on_drop(true)
            .status(),
    )
    .await
    .expect("the door walk ends within three minutes")
    .expect("node runs");
    assert!(walked.success(), "the door walk failed on {backend}");
    // Both tickets are in: the one scanned online, and the one the phone let in offline and synced.
    let session: SessionId = sale.session_id.parse().unwrap();
    let counts = app.store.gate_counts(session).await.unwrap();
    assert_eq!(
        counts.iter().map(|c| c.admitted).sum::<i64>(),
        2,
        "{counts:?}"
    );
    assert!(
        counts.iter().all(|c| c.gate == "Portão Norte"),
        "{counts:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(bilheteria_browser_tests),
    ignore = "browser: set BILHETERIA_TEST_BROWSER to a Chromium to run"
)]
async fn the_door_runs_on_a_phone_in_a_browser_on_sqlite() {
    door_walk(TestDatabase::sqlite(), "sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(all(bilheteria_browser_tests, bilheteria_postgres_tests)),
    ignore = "browser on PostgreSQL: set BILHETERIA_TEST_BROWSER and BILHETERIA_TEST_DATABASE_URL"
)]
async fn the_door_runs_on_a_phone_in_a_browser_on_postgres() {
    door_walk(TestDatabase::postgres().await, "postgres").await;
}
