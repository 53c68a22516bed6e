//! The HTTP/1 server: `axum::serve` has no timeouts at all, so a client
//! that opens connections and sends one byte a second would hold them
//! forever. This accept loop serves each connection with hyper over a
//! [`TimedIo`] socket (header and idle deadlines), hands the router the
//! peer address as axum's `ConnectInfo`, and on shutdown stops accepting,
//! lets requests in hand finish, and waits for the connections to close.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::watch;
use tower::ServiceExt as _;

use super::timed_io::{Activity, TimedIo, Timeouts};

/// Serves `router` on `listener` (plain TCP, or the TLS listener's
/// finished handshakes) until `shutdown` completes, then drains.
pub async fn serve_http<L>(
    mut listener: L,
    router: Router,
    header_read_timeout: Duration,
    idle_timeout: Duration,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()>
where
    L: axum::serve::Listener<Addr = SocketAddr>,
    L::Io: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let timeouts = Timeouts {
        header_read: header_read_timeout,
        idle: idle_timeout,
    };
    // `stop` tells connections to finish; every connection holds a `done`
    // receiver, so the sender sees all closed once they are.
    let (stop_tx, stop_rx) = watch::channel(false);
    let (done_tx, done_rx) = watch::channel(());
    tokio::pin!(shutdown);
    loop {
        // The listener retries failed accepts itself (axum's TCP listener
        // pauses after errors such as too many open files).
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        tokio::spawn(connection(
            stream,
            peer,
            router.clone(),
            timeouts,
            stop_rx.clone(),
            done_rx.clone(),
        ));
    }
    drop(listener);
    let _ = stop_tx.send(true);
    drop(done_rx);
    done_tx.closed().await;
    Ok(())
}

async fn connection<Io: AsyncRead + AsyncWrite + Unpin + Send + 'static>(
    stream: Io,
    peer: SocketAddr,
    router: Router,
    timeouts: Timeouts,
    mut stop: watch::Receiver<bool>,
    _done: watch::Receiver<()>,
) {
    let activity = Arc::new(Activity::default());
    let io = TokioIo::new(TimedIo::new(stream, timeouts, Arc::clone(&activity)));
    let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
        let in_hand = activity.begin();
        let mut request = request.map(Body::new);
        request.extensions_mut().insert(ConnectInfo(peer));
        let router = router.clone();
        async move {
            let response = router.oneshot(request).await;
            drop(in_hand);
            response
        }
    });
    let mut builder = http1::Builder::new();
    // The deadlines are TimedIo's: hyper's header timeout would also cut
    // idle keep-alive connections at the header time.
    builder.keep_alive(true).header_read_timeout(None);
    let conn = builder.serve_connection(io, service);
    tokio::pin!(conn);
    let mut stopping = false;
    loop {
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(error) = result {
                    tracing::debug!(%error, %peer, "HTTP connection ended with an error");
                }
                break;
            }
            changed = stop.changed(), if !stopping => {
                // Closed or told to stop: either way, finish what is in hand.
                let _ = changed;
                stopping = true;
                conn.as_mut().graceful_shutdown();
            }
        }
    }
}
