//! The accept loop's bounds on connections, so that slow or idle clients cannot hold the server's
//! sockets and memory: how many may be open at once, how long a request's head may take to
//! arrive, and how long a connection may sit with no byte moving either way.

use bilheteria_app::Settings;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

#[derive(Clone, Copy, Debug)]
pub struct ConnectionLimits {
    /// A request's head must have arrived this long after the server began waiting for it
    /// (hyper's timer, which also runs while a kept-alive connection waits for its next
    /// request).
    pub header_read_timeout: Duration,
    /// A connection on which nothing was read or written for this long is closed (a body sent
    /// a byte at a time, an answer never read).
    pub idle_timeout: Duration,
    /// Connections open at once; past it the next one is not accepted until one closes (it
    /// waits in the listening socket's backlog).
    pub max_connections: usize,
}

impl From<&Settings> for ConnectionLimits {
    fn from(settings: &Settings) -> Self {
        ConnectionLimits {
            header_read_timeout: settings.header_read_timeout,
            idle_timeout: settings.idle_timeout,
            max_connections: settings.max_connections,
        }
    }
}

impl ConnectionLimits {
    /// The number of permits of the connection semaphore (at least one).
    pub(crate) fn permits(&self) -> usize {
        self.max_connections
            .clamp(1, tokio::sync::Semaphore::MAX_PERMITS)
    }
}

/// When a connection last moved a byte, shared by its stream and the task that drives it.
#[derive(Clone)]
pub(crate) struct Activity {
    opened: Instant,
    /// Milliseconds after `opened`.
    last: Arc<AtomicU64>,
}

impl Activity {
    pub(crate) fn new() -> Self {
        Activity {
            opened: Instant::now(),
            last: Arc::default(),
        }
    }

    fn touch(&self) {
        let since = u64::try_from(self.opened.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last.store(since, Ordering::Relaxed);
    }

    /// When the connection will have been idle for `limit`, unless something moves first.
    pub(crate) fn idle_at(&self, limit: Duration) -> tokio::time::Instant {
        let last = self.opened + Duration::from_millis(self.last.load(Ordering::Relaxed));
        tokio::time::Instant::from_std(last + limit)
    }
}

/// A stream that records in its [`Activity`] every read or write that moved bytes.
pub(crate) struct Watched<S> {
    stream: S,
    activity: Activity,
}

impl<S> Watched<S> {
    pub(crate) fn new(stream: S, activity: Activity) -> Self {
        Watched { stream, activity }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Watched<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.stream).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.touch();
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> Watched<S> {
    fn wrote(&self, polled: Poll<io::Result<usize>>) -> Poll<io::Result<usize>> {
        if matches!(polled, Poll::Ready(Ok(written)) if written > 0) {
            self.activity.touch();
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Watched<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.stream).poll_write(cx, buf);
        self.wrote(polled)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.stream).poll_write_vectored(cx, bufs);
        self.wrote(polled)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}
