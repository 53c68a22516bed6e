//! The OTLP/HTTP receiver as a client meets it: which content types it
//! takes, how it answers in the request's own encoding, what an empty
//! request is, and a full queue.

use std::time::Duration;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use prost::Message as _;
use tower::ServiceExt as _;

use super::{routes, MetricQueues, Otlp, OtlpParts, SpanRules};
use crate::ingest::IngestConfig;
use crate::model::{LayerRules, SpanLimits};
use crate::pipeline::{queue, INITIAL_BYTES_PER_RECORD};
use crate::telemetry::Metrics;

/// A span body in JSON: one valid span, one with a bad trace id.
const TWO_SPANS: &str = r#"{"resourceSpans":[{"scopeSpans":[{"spans":[
 {"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"ok",
  "startTimeUnixNano":"1000","endTimeUnixNano":"2000"},
 {"traceId":"zz","spanId":"eee19b7ec3c1b175","name":"bad",
  "startTimeUnixNano":"1000","endTimeUnixNano":"2000"}]}]}]}"#;

/// The routes over a span queue with room for `records`, and its receiver.
fn receiver(
    records: usize,
) -> (
    Router,
    tokio::sync::mpsc::UnboundedReceiver<crate::pipeline::Batch<crate::model::Span>>,
) {
    let (spans, rx) = queue(records * INITIAL_BYTES_PER_RECORD);
    let (logs, _) = queue(INITIAL_BYTES_PER_RECORD);
    let (gauges, _) = queue(INITIAL_BYTES_PER_RECORD);
    let metric_points = MetricQueues {
        sums: gauges.sibling().0,
        histograms: gauges.sibling().0,
        exponential_histograms: gauges.sibling().0,
        summaries: gauges.sibling().0,
        gauges,
    };
    let otlp = Otlp::new(OtlpParts {
        spans,
        logs,
        metric_points,
        layers: LayerRules::default(),
        config: IngestConfig {
            queue_wait_ms: 20,
            ..IngestConfig::default()
        },
        span_rules: SpanRules {
            limits: SpanLimits::default(),
            // Any time: the test spans sit near the epoch.
            max_age: Duration::from_secs(u64::MAX / 4_000_000_000),
            max_ahead: Duration::from_secs(3_600),
        },
        logs_max_age: Duration::from_secs(3_600),
        metrics_max_age: Duration::from_secs(3_600),
        stats: Metrics::default().ingest(),
        tap: None,
    });
    (routes(otlp), rx)
}

async fn post(
    router: &Router,
    content_type: Option<&str>,
    body: &str,
) -> (StatusCode, String, Vec<u8>) {
    let mut request = Request::post("/v1/traces");
    if let Some(content_type) = content_type {
        request = request.header(header::CONTENT_TYPE, content_type);
    }
    let response = router
        .clone()
        .oneshot(request.body(Body::from(body.to_owned())).expect("request"))
        .await
        .expect("answer");
    let status = response.status();
    let answered_as = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body");
    (status, answered_as, bytes.to_vec())
}

#[tokio::test]
async fn json_is_answered_in_json_with_the_partial_success_named_for_spans() {
    let (router, mut spans) = receiver(100);
    let (status, answered_as, body) =
        post(&router, Some("application/json; charset=utf-8"), TWO_SPANS).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answered_as, "application/json");
    let answer: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
    assert_eq!(answer["partialSuccess"]["rejectedSpans"], "1", "{answer}");
    let message = answer["partialSuccess"]["errorMessage"]
        .as_str()
        .unwrap_or("");
    assert!(message.contains("span 'bad': traceId"), "{message}");
    assert_eq!(spans.try_recv().expect("queued").into_parts().0.len(), 1);
}

#[tokio::test]
async fn other_content_types_are_refused_naming_what_to_use() {
    let (router, _spans) = receiver(100);
    for content_type in [None, Some("text/plain"), Some("nonsense")] {
        let (status, _, body) = post(&router, content_type, TWO_SPANS).await;
        assert_eq!(
            status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{content_type:?}"
        );
        let text = String::from_utf8_lossy(&body);
        assert!(
            text.contains("application/x-protobuf or application/json"),
            "{text}"
        );
    }
}

#[tokio::test]
async fn an_empty_request_is_a_success_in_either_encoding() {
    let (router, _spans) = receiver(100);
    let (status, _, body) = post(&router, Some("application/json"), "").await;
    assert_eq!((status, body.as_slice()), (StatusCode::OK, &b"{}"[..]));
    let (status, answered_as, body) = post(&router, Some("application/x-protobuf"), "").await;
    assert_eq!(
        (status, answered_as.as_str()),
        (StatusCode::OK, "application/x-protobuf")
    );
    let answer =
        opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceResponse::decode(
            body.as_slice(),
        )
        .expect("protobuf");
    assert!(answer.partial_success.is_none());
}

#[tokio::test]
async fn a_full_queue_refuses_in_the_request_encoding_with_retry_after() {
    let (router, _spans) = receiver(1);
    assert_eq!(
        post(&router, Some("application/json"), TWO_SPANS).await.0,
        StatusCode::OK
    );
    let (status, answered_as, body) = post(&router, Some("application/json"), TWO_SPANS).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(answered_as, "application/json");
    let answer: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
    assert_eq!(answer["code"], 8, "RESOURCE_EXHAUSTED: {answer}");
}
