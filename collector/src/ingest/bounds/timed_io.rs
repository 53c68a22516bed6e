//! A connection's socket with the two deadlines hyper cannot tell apart:
//! hyper's own header timeout starts as soon as a connection is ready for
//! its next request, so it would also close keep-alive connections after
//! the (short) header time. Here, with no request being handled:
//!
//! - before the first byte of the next request, the connection is idle:
//!   it is closed `idle_timeout` after the last request ended (or after it
//!   was opened);
//! - from the first byte on, the headers are being read: they must be
//!   complete `header_read_timeout` after that byte.
//!
//! While a request is handled (the service counts it in [`Activity`]) no
//! socket deadline runs: its body has its own deadline and the handler
//! its own waits. Reads and writes both check the deadline, so a client
//! that stops reading its response is cut off as idle too.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

/// The deadlines of a connection with no request in hand.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    pub header_read: Duration,
    pub idle: Duration,
}

/// Requests of one connection being handled, shared by the socket and the
/// service: the low 32 bits count requests in hand, the high 32 bits
/// count requests finished (so the socket sees that one ended).
#[derive(Debug, Default)]
pub struct Activity(AtomicU64);

/// Held by the service while it handles a request.
pub struct InHand(Arc<Activity>);

impl Activity {
    pub fn begin(self: &Arc<Self>) -> InHand {
        self.0.fetch_add(1, Ordering::AcqRel);
        InHand(Arc::clone(self))
    }

    fn load(&self) -> (u32, u32) {
        let value = self.0.load(Ordering::Acquire);
        ((value >> 32) as u32, value as u32)
    }
}

impl Drop for InHand {
    fn drop(&mut self) {
        // One fewer in hand, one more finished, in one step.
        self.0 .0.fetch_add((1 << 32) - 1, Ordering::AcqRel);
    }
}

pub struct TimedIo<T> {
    inner: T,
    timeouts: Timeouts,
    activity: Arc<Activity>,
    /// Requests finished when this connection last started waiting.
    finished_seen: u32,
    /// When it last started waiting (opened, or a request ended).
    waiting_since: Instant,
    /// The first byte of the next request, once it arrived.
    head_started: Option<Instant>,
    timer: Pin<Box<Sleep>>,
    armed: Option<Instant>,
}

impl<T> TimedIo<T> {
    pub fn new(inner: T, timeouts: Timeouts, activity: Arc<Activity>) -> Self {
        let now = Instant::now();
        Self {
            inner,
            timeouts,
            activity,
            finished_seen: 0,
            waiting_since: now,
            head_started: None,
            timer: Box::pin(tokio::time::sleep_until(now + timeouts.idle)),
            armed: None,
        }
    }

    /// The deadline now, `None` while a request is in hand.
    fn deadline(&mut self) -> Option<Instant> {
        let (finished, in_hand) = self.activity.load();
        if finished != self.finished_seen {
            self.finished_seen = finished;
            self.waiting_since = Instant::now();
            self.head_started = None;
        }
        if in_hand > 0 {
            self.head_started = None;
            return None;
        }
        Some(match self.head_started {
            Some(first_byte) => first_byte + self.timeouts.header_read,
            None => self.waiting_since + self.timeouts.idle,
        })
    }

    /// Bytes arrived: with no request in hand, they start the next one.
    fn on_read(&mut self, bytes: usize) {
        if bytes > 0 && self.head_started.is_none() && self.activity.load().1 == 0 {
            self.head_started = Some(Instant::now());
        }
    }

    /// Called when the socket has nothing for us: fails once the deadline
    /// passed, else arms the timer to wake the connection at it.
    fn check(&mut self, cx: &mut Context<'_>) -> Poll<io::Error> {
        let Some(deadline) = self.deadline() else {
            return Poll::Pending;
        };
        if self.armed != Some(deadline) {
            self.timer.as_mut().reset(deadline);
            self.armed = Some(deadline);
        }
        match self.timer.as_mut().poll(cx) {
            Poll::Ready(()) => {
                let what = if self.head_started.is_some() {
                    "request headers not received in time (requests.header_read_timeout_ms)"
                } else {
                    "connection idle (requests.idle_timeout_ms)"
                };
                Poll::Ready(io::Error::new(io::ErrorKind::TimedOut, what))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for TimedIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                let read = buf.filled().len() - before;
                self.on_read(read);
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(error)) => Poll::Ready(Err(error)),
            Poll::Pending => self.check(cx).map(Err),
        }
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for TimedIo<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match Pin::new(&mut self.inner).poll_write(cx, buf) {
            Poll::Pending => self.check(cx).map(Err),
            ready => ready,
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match Pin::new(&mut self.inner).poll_flush(cx) {
            Poll::Pending => self.check(cx).map(Err),
            ready => ready,
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match Pin::new(&mut self.inner).poll_write_vectored(cx, bufs) {
            Poll::Pending => self.check(cx).map(Err),
            ready => ready,
        }
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    fn timeouts() -> Timeouts {
        Timeouts {
            header_read: Duration::from_millis(100),
            idle: Duration::from_millis(300),
        }
    }

    #[tokio::test]
    async fn an_idle_connection_is_closed_after_the_idle_timeout() {
        let (_client, server) = tokio::io::duplex(64);
        let mut io = TimedIo::new(server, timeouts(), Arc::default());
        let started = Instant::now();
        let error = io.read(&mut [0u8; 8]).await.unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::TimedOut);
        assert!(error.to_string().contains("idle"), "{error}");
        assert!(started.elapsed() >= Duration::from_millis(300));
    }

    #[tokio::test]
    async fn headers_must_be_complete_soon_after_their_first_byte() {
        let (mut client, server) = tokio::io::duplex(64);
        let mut io = TimedIo::new(server, timeouts(), Arc::default());
        client.write_all(b"P").await.unwrap();
        let mut buf = [0u8; 8];
        assert_eq!(io.read(&mut buf).await.unwrap(), 1);
        let started = Instant::now();
        let error = io.read(&mut buf).await.unwrap_err();
        assert!(error.to_string().contains("headers"), "{error}");
        let waited = started.elapsed();
        assert!(waited < Duration::from_millis(250), "{waited:?}");
    }

    #[tokio::test]
    async fn no_deadline_runs_while_a_request_is_in_hand_and_idle_restarts_after() {
        let (mut client, server) = tokio::io::duplex(64);
        let activity = Arc::new(Activity::default());
        let mut io = TimedIo::new(server, timeouts(), Arc::clone(&activity));
        client.write_all(b"GET").await.unwrap();
        let mut buf = [0u8; 8];
        assert_eq!(io.read(&mut buf).await.unwrap(), 3);
        let in_hand = activity.begin();
        // Far past both deadlines, a read just waits.
        let waited = tokio::time::timeout(Duration::from_millis(450), io.read(&mut buf)).await;
        assert!(waited.is_err(), "no deadline while handling");
        drop(in_hand);
        let started = Instant::now();
        let error = io.read(&mut buf).await.unwrap_err();
        assert!(error.to_string().contains("idle"), "{error}");
        assert!(started.elapsed() >= Duration::from_millis(250));
    }
}
