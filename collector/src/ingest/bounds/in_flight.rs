//! At most `requests.max_in_flight` requests of one listener handled at
//! once, and each request's body read by its deadline. Health and metrics
//! stay outside the limit: an orchestrator must see a busy collector as
//! alive, and operators must see why it is busy.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use tokio::sync::Semaphore;

use super::deadline::DeadlineBody;
use crate::telemetry::IngestStats;

/// Paths never refused for load.
const EXEMPT: [&str; 3] = ["/healthz", "/readyz", "/metrics"];

/// What a refused client is told to wait, in seconds: requests finish in
/// milliseconds, so a second later there is room again.
const RETRY_AFTER_SECS: u32 = 1;

/// One listener's limits.
#[derive(Clone)]
pub struct Listener {
    name: &'static str,
    permits: Arc<Semaphore>,
    body_read_timeout: Duration,
    stats: IngestStats,
}

impl Listener {
    pub fn new(
        name: &'static str,
        max_in_flight: usize,
        body_read_timeout: Duration,
        stats: IngestStats,
    ) -> Self {
        Self {
            name,
            permits: Arc::new(Semaphore::new(max_in_flight.min(Semaphore::MAX_PERMITS))),
            body_read_timeout,
            stats,
        }
    }
}

/// `router` with the listener's limits around every route.
pub fn layer(router: Router, listener: Listener) -> Router {
    router.layer(middleware::from_fn_with_state(listener, limit))
}

async fn limit(State(listener): State<Listener>, request: Request, next: Next) -> Response {
    if EXEMPT.contains(&request.uri().path()) {
        return next.run(request).await;
    }
    let Ok(permit) = Arc::clone(&listener.permits).try_acquire_owned() else {
        listener.stats.request_shed(listener.name);
        return busy();
    };
    let timeout = listener.body_read_timeout;
    let request = request.map(|body| Body::new(DeadlineBody::new(body, timeout)));
    let response = next.run(request).await;
    drop(permit);
    response
}

fn busy() -> Response {
    let mut response = (
        StatusCode::SERVICE_UNAVAILABLE,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "too many requests in flight (requests.max_in_flight); retry later\n",
    )
        .into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECS));
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::{get, post};
    use tower::ServiceExt as _;

    fn router(listener: Listener, release: Arc<tokio::sync::Notify>) -> Router {
        let slow = move || {
            let release = Arc::clone(&release);
            async move {
                release.notified().await;
                "done"
            }
        };
        layer(
            Router::new()
                .route("/slow", post(slow))
                .route("/healthz", get(|| async { "ok" })),
            listener,
        )
    }

    #[tokio::test]
    async fn past_the_limit_requests_get_503_with_retry_after_and_health_stays_up() {
        let metrics = crate::telemetry::Metrics::default();
        let listener = Listener::new("http", 1, Duration::from_secs(5), metrics.ingest());
        let release = Arc::new(tokio::sync::Notify::new());
        let app = router(listener, Arc::clone(&release));
        let post = || Request::post("/slow").body(Body::empty()).unwrap();
        let first = tokio::spawn(app.clone().oneshot(post()));
        // Let the first request take the one permit.
        tokio::time::sleep(Duration::from_millis(20)).await;
        let refused = app.clone().oneshot(post()).await.unwrap();
        assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(refused.headers()[header::RETRY_AFTER], "1");
        let health = app
            .clone()
            .oneshot(Request::get("/healthz").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(health.status(), StatusCode::OK);
        release.notify_one();
        assert_eq!(first.await.unwrap().unwrap().status(), StatusCode::OK);
        assert!(metrics
            .render()
            .contains("jamscope_requests_shed_total{listener=\"http\"} 1"));
        // The permit came back.
        let again = tokio::spawn(app.clone().oneshot(post()));
        tokio::time::sleep(Duration::from_millis(20)).await;
        release.notify_one();
        assert_eq!(again.await.unwrap().unwrap().status(), StatusCode::OK);
    }
}
