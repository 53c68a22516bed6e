//! OTLP/JSON metric requests: the protocol's own example, every kind as
//! the protobuf path reads it, and the spellings JSON allows.

use prost::Message;
use serde_json::{json, Value};

use super::{every_kind, request_of, shown, window, T};
use crate::ingest::otlp::metrics::json::decode;
use crate::ingest::otlp::metrics::protobuf::decode as decode_protobuf;
use crate::ingest::otlp::metrics::ConvertedMetrics;
use crate::model::datapoint::{Number, Temporality};
use crate::model::{AttributeValue, LayerRules, TimeWindow};

/// opentelemetry-proto's `examples/metrics.json` (see the fixture's README).
const PROTO_EXAMPLE: &str =
    include_str!("../../../../../../tests/fixtures/opentelemetry-proto/metrics.json");

fn decoded(body: &Value) -> ConvertedMetrics {
    decode(
        body.to_string().as_bytes(),
        &LayerRules::default(),
        &window(),
    )
    .expect("decodes")
}

fn refusal(body: &str) -> String {
    decode(body.as_bytes(), &LayerRules::default(), &window())
        .expect_err("refused")
        .to_string()
}

#[test]
fn the_protocols_own_example_decodes_field_for_field() {
    let converted = decode(
        PROTO_EXAMPLE.as_bytes(),
        &LayerRules::default(),
        &TimeWindow::UNBOUNDED,
    )
    .expect("decodes");
    assert_eq!(converted.rejected(), 0, "{:?}", converted.message());
    let points = &converted.points;
    assert_eq!(
        (
            points.sums.len(),
            points.gauges.len(),
            points.histograms.len()
        ),
        (1, 1, 1)
    );
    let sum = &points.sums[0];
    assert_eq!(sum.metric.name, "my.counter");
    assert_eq!(sum.metric.description, "I am a Counter");
    assert_eq!(sum.value.value, Number::Double(5.0));
    assert_eq!(sum.value.temporality, Temporality::Delta);
    assert!(sum.value.monotonic);
    assert_eq!(sum.time_unix_nanos, 1_544_712_660_300_000_000);
    assert_eq!(sum.producer.resource.service_name, "my.service");
    assert_eq!(sum.producer.scope.name, "my.library");
    assert_eq!(
        sum.producer.scope_attributes,
        [(
            "my.scope.attribute".to_owned(),
            AttributeValue::String("some scope attribute".into())
        )]
    );
    let histogram = &points.histograms[0].value;
    assert_eq!(
        (
            histogram.totals.count,
            histogram.totals.sum,
            histogram.totals.min,
            histogram.totals.max
        ),
        (2, Some(2.0), Some(0.0), Some(2.0))
    );
    assert_eq!(histogram.bucket_counts, [1, 1]);
    assert_eq!(histogram.explicit_bounds, [1.0]);
    let exponential = &points.exponential_histograms[0].value;
    assert_eq!((exponential.totals.count, exponential.zero_count), (3, 1));
    assert_eq!(exponential.positive.offset, 1);
    assert_eq!(exponential.positive.bucket_counts, [0, 2]);
}

#[test]
fn every_kind_decodes_like_the_protobuf_path() {
    let request = request_of(every_kind());
    let body = serde_json::to_value(&request).expect("serializes");
    let from_json = decoded(&body);
    let from_protobuf =
        decode_protobuf(&request.encode_to_vec(), &LayerRules::default(), &window()).unwrap();
    assert_eq!(shown(&from_json), shown(&from_protobuf));
    assert_eq!(from_json.points.len(), 5);
}

fn one_sum(sum: Value) -> Value {
    json!({"resourceMetrics": [{"scopeMetrics": [{"metrics": [
        {"name": "n", "sum": sum}
    ]}]}]})
}

#[test]
fn enums_may_be_named_and_numbers_may_be_strings() {
    let converted = decoded(&one_sum(json!({
        "aggregation_temporality": "AGGREGATION_TEMPORALITY_CUMULATIVE",
        "isMonotonic": true,
        "dataPoints": [{"asInt": "9007199254740993", "timeUnixNano": T.to_string(),
                        "exemplars": [{"traceId": "5b8efff798038103d269b633813fc60c",
                                       "spanId": "eee19b7ec3c1b174", "asDouble": "NaN"}]}]
    })));
    let sum = &converted.points.sums[0];
    assert_eq!(sum.value.temporality, Temporality::Cumulative);
    assert_eq!(sum.value.value, Number::Int(9_007_199_254_740_993));
    assert_eq!(
        sum.exemplars[0]
            .trace_id
            .map(|id| id.to_string())
            .as_deref(),
        Some("5b8efff798038103d269b633813fc60c")
    );
    let unknown = decoded(&one_sum(json!({
        "aggregationTemporality": "AGGREGATION_TEMPORALITY_SOMETIMES",
        "dataPoints": [{"asInt": 1, "timeUnixNano": T}]
    })));
    assert!(
        unknown
            .message()
            .unwrap()
            .contains("aggregation_temporality 'AGGREGATION_TEMPORALITY_SOMETIMES'"),
        "{:?}",
        unknown.message()
    );
}

#[test]
fn exemplar_ids_that_are_not_ids_drop_the_exemplar() {
    let converted = decoded(&one_sum(json!({
        "aggregationTemporality": 1,
        "dataPoints": [{"asInt": 1, "timeUnixNano": T,
                        "exemplars": [{"traceId": "not-an-id", "asInt": 3}]}]
    })));
    assert_eq!(converted.points.sums[0].exemplars.len(), 0);
    assert!(
        converted
            .message()
            .unwrap()
            .contains("trace_id must be 16 bytes, got 'not-an-id'"),
        "{:?}",
        converted.message()
    );
}

#[test]
fn wrong_json_types_are_refused_with_the_path() {
    let error = refusal(
        r#"{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"h","histogram":{"dataPoints":[{"bucketCounts":["x"]}]}}]}]}]}"#,
    );
    assert!(
        error.contains(
            "resourceMetrics[0].scopeMetrics[0].metrics[0].histogram.dataPoints[0].bucketCounts"
        ),
        "{error}"
    );
    assert!(decoded(&json!({})).points.is_empty());
}
