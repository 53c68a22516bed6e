//! The route with a fake sink: every status it answers, and what reaches
//! the sink.

use std::sync::Mutex;

use axum::http::Request;
use tower::ServiceExt as _;

use axum::body::Body;
use axum::http::{header, StatusCode};
use axum::Router;

use super::*;
use crate::clock::now_millis;
use crate::signing::{self, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use crate::telemetry::Metrics;

const SECRET: &str = "s3cret";
const EVENT: &str = r#"{"id":"b-1","pipeline":"site","status":"failed","commit":"abc","started_at":"2026-01-01T00:00:00Z","finished_at":"2026-01-01T00:01:00Z","stages":{"build":60000}}"#;
/// Long enough for `EVENT`'s times whenever the tests run.
const RETENTION_DAYS: u32 = 100 * 365;

/// Keeps what it is given, or fails while `down`.
#[derive(Default)]
struct FakeSink {
    stored: Mutex<Vec<Build>>,
    down: Mutex<bool>,
}

impl BuildSink for FakeSink {
    fn insert<'a>(
        &'a self,
        build: &'a Build,
    ) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>> {
        Box::pin(async move {
            if *self.down.lock().unwrap() {
                return Err("connection refused".into());
            }
            self.stored.lock().unwrap().push(build.clone());
            Ok(())
        })
    }
}

fn router_with(secret: Option<&str>) -> (Router, Arc<FakeSink>) {
    let sink = Arc::new(FakeSink::default());
    let config = BuildsConfig {
        webhook_secret: secret.map(Into::into),
        ..BuildsConfig::default()
    };
    let router = routes(
        &config,
        RETENTION_DAYS,
        Arc::clone(&sink) as Arc<dyn BuildSink>,
        Metrics::default().ingest(),
    );
    (router, sink)
}

fn now_secs() -> i64 {
    now_millis() / 1_000
}

fn signed(body: &str, timestamp: i64, secret: &str) -> Request<Body> {
    let timestamp = timestamp.to_string();
    Request::post(BUILDS_PATH)
        .header(header::CONTENT_TYPE, "application/json")
        .header(TIMESTAMP_HEADER, &timestamp)
        .header(
            SIGNATURE_HEADER,
            signing::signature(secret.as_bytes(), &timestamp, body.as_bytes()),
        )
        .body(Body::from(body.to_owned()))
        .unwrap()
}

async fn send(router: &Router, request: Request<Body>) -> (StatusCode, serde_json::Value) {
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let retry_after = response.headers().get(header::RETRY_AFTER).cloned();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    let mut body: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    if let Some(seconds) = retry_after {
        body["retry_after"] = seconds.to_str().unwrap().into();
    }
    (status, body)
}

#[tokio::test]
async fn a_signed_event_is_stored_then_its_replay_refused() {
    let (router, sink) = router_with(Some(SECRET));
    let timestamp = now_secs();
    let (status, body) = send(&router, signed(EVENT, timestamp, SECRET)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body, serde_json::json!({ "id": "b-1" }));
    let stored = sink.stored.lock().unwrap().clone();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].pipeline, "site");

    let (status, body) = send(&router, signed(EVENT, timestamp, SECRET)).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        body["error"].as_str().unwrap().contains("replayed"),
        "{body}"
    );
    // Signed again (a new timestamp): a resend, accepted.
    let (status, _) = send(&router, signed(EVENT, timestamp + 1, SECRET)).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(sink.stored.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn bad_signatures_and_stale_timestamps_are_refused() {
    let (router, sink) = router_with(Some(SECRET));
    let (status, body) = send(&router, signed(EVENT, now_secs(), "wrong")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body["error"].as_str().unwrap().contains("bad signature"));

    let (status, body) = send(&router, signed(EVENT, now_secs() - 301, SECRET)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body["error"].as_str().unwrap().contains("stale timestamp"));
    let (status, _) = send(&router, signed(EVENT, now_secs() + 301, SECRET)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let unsigned = Request::post(BUILDS_PATH).body(Body::from(EVENT)).unwrap();
    let (status, body) = send(&router, unsigned).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body["error"].as_str().unwrap().contains("missing"));

    // The body changed after signing.
    let mut tampered = signed(EVENT, now_secs(), SECRET);
    *tampered.body_mut() = Body::from(EVENT.replace("failed", "success"));
    let (status, _) = send(&router, tampered).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(sink.stored.lock().unwrap().is_empty());
}

#[tokio::test]
async fn bad_events_and_large_bodies_are_refused_with_the_reason() {
    let (router, _) = router_with(Some(SECRET));
    let bad_stage = EVENT.replace("\"build\":60000", "\"compile\":60000");
    let (status, body) = send(&router, signed(&bad_stage, now_secs(), SECRET)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["error"].as_str().unwrap().contains("'compile'"),
        "{body}"
    );
    // Refused requests are not remembered: the same one fails the same way.
    let (status, _) = send(&router, signed(&bad_stage, now_secs(), SECRET)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let large = format!(r#"{{"id":"{}"}}"#, "x".repeat(MAX_BODY_BYTES));
    let (status, _) = send(&router, signed(&large, now_secs(), SECRET)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn clickhouse_down_is_503_and_the_request_may_come_again() {
    let (router, sink) = router_with(Some(SECRET));
    *sink.down.lock().unwrap() = true;
    let timestamp = now_secs();
    let (status, body) = send(&router, signed(EVENT, timestamp, SECRET)).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["retry_after"], "5");
    *sink.down.lock().unwrap() = false;
    let (status, _) = send(&router, signed(EVENT, timestamp, SECRET)).await;
    assert_eq!(status, StatusCode::ACCEPTED);
}

#[tokio::test]
async fn without_a_secret_the_endpoint_names_the_key() {
    let (router, _) = router_with(None);
    let (status, body) = send(&router, signed(EVENT, now_secs(), SECRET)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body["error"]
        .as_str()
        .unwrap()
        .contains("builds.webhook_secret"));
}
