//! The accept loop's bounds, over raw TCP with small settings: a head sent slowly, a kept-alive
//! connection left idle, a body that stalls, and connections past the cap held back until one
//! closes.

use bilheteria_app::Settings;
use bilheteria_store::testing::TestDatabase;
use bilheteria_testkit::TestApp;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const HEALTH: &[u8] = b"GET /healthz HTTP/1.1\r\nHost: box\r\n\r\n";

async fn connect(app: &TestApp) -> TcpStream {
    TcpStream::connect(app.base.trim_start_matches("http://"))
        .await
        .unwrap()
}

/// Reads until the server closes the connection (or resets it), at most `within`: how long it
/// took, or `None` if it was still open.
async fn closed_within(stream: &mut TcpStream, within: Duration) -> Option<Duration> {
    let started = Instant::now();
    let mut buf = [0u8; 4096];
    tokio::time::timeout(within, async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return started.elapsed(),
                Ok(_) => {}
            }
        }
    })
    .await
    .ok()
}

/// Reads one whole answer to `HEALTH` (it is small and has a length).
async fn read_answer(stream: &mut TcpStream) -> String {
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&answer).contains("\r\n\r\n") {
        let read = stream.read(&mut buf).await.unwrap();
        assert!(read > 0, "closed before answering");
        answer.extend_from_slice(&buf[..read]);
    }
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn a_slow_head_is_cut_off() {
    let settings = Settings {
        header_read_timeout: Duration::from_secs(1),
        ..Settings::default()
    };
    let app = TestApp::spawn_with(TestDatabase::sqlite(), settings).await;

    // A head trickled a byte every 200 ms (never idle) is closed at the header timeout.
    let mut slow = connect(&app).await;
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: box\r\nX-Slow: ")
        .await
        .unwrap();
    let trickled = tokio::time::timeout(Duration::from_secs(4), async {
        let started = Instant::now();
        while slow.write_all(b"a").await.is_ok() {
            let mut probe = [0u8; 64];
            if let Ok(Ok(0) | Err(_)) =
                tokio::time::timeout(Duration::from_millis(200), slow.read(&mut probe)).await
            {
                break;
            }
        }
        started.elapsed()
    })
    .await
    .expect("a slow head must be closed");
    assert!(trickled < Duration::from_secs(3), "{trickled:?}");
}

#[tokio::test]
async fn connections_past_the_cap_wait_until_one_closes() {
    let settings = Settings {
        max_connections: 3,
        ..Settings::default()
    };
    let app = TestApp::spawn_with(TestDatabase::sqlite(), settings).await;
    // Three connections are the cap: a fourth is not served until one of them closes.
    let mut held = Vec::new();
    for _ in 0..3 {
        let mut open = connect(&app).await;
        open.write_all(HEALTH).await.unwrap();
        assert!(read_answer(&mut open).await.starts_with("HTTP/1.1 200"));
        held.push(open);
    }
    let mut extra = connect(&app).await;
    extra.write_all(HEALTH).await.unwrap();
    let mut buf = [0u8; 64];
    assert!(
        tokio::time::timeout(Duration::from_millis(400), extra.read(&mut buf))
            .await
            .is_err(),
        "served past the cap"
    );
    held.pop();
    let answer = tokio::time::timeout(Duration::from_secs(2), read_answer(&mut extra))
        .await
        .expect("served once a connection closed");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

#[tokio::test]
async fn idle_connections_are_closed() {
    // The header timeout is long here, so what closes them is the idle timeout.
    let settings = Settings {
        header_read_timeout: Duration::from_secs(30),
        idle_timeout: Duration::from_secs(1),
        ..Settings::default()
    };
    let app = TestApp::spawn_with(TestDatabase::sqlite(), settings).await;

    let mut kept_alive = connect(&app).await;
    kept_alive.write_all(HEALTH).await.unwrap();
    assert!(
        read_answer(&mut kept_alive)
            .await
            .starts_with("HTTP/1.1 200")
    );
    let closed = closed_within(&mut kept_alive, Duration::from_secs(4)).await;
    assert!(
        closed.is_some(),
        "a kept-alive connection left idle stays open"
    );

    // A body promised and never sent.
    let mut stalled = connect(&app).await;
    stalled
        .write_all(
            b"POST /api/v1/auth/login HTTP/1.1\r\nHost: box\r\nContent-Type: application/json\r\n\
              Content-Length: 100\r\n\r\n{\"email\":",
        )
        .await
        .unwrap();
    let closed = closed_within(&mut stalled, Duration::from_secs(4)).await;
    assert!(closed.is_some(), "a stalled body keeps its connection");
}
