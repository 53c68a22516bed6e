//! The specification's own example, each shape the proto3 JSON mapping
//! allows for a log record, and the refusals that must say why.

use serde_json::{json, Value};

use crate::ingest::otlp::logs::json::decode;
use crate::ingest::otlp::logs::ConvertedLogs;
use crate::ingest::IngestError;
use crate::model::{AttributeValue, LayerRules, SpanLimits, TimeWindow};
use crate::telemetry::outcome::{RejectReason, Signal};

/// opentelemetry-proto's `examples/logs.json` (see the fixture's README).
const SPEC_EXAMPLE: &str =
    include_str!("../../../../../../tests/fixtures/opentelemetry-proto/logs.json");

fn decode_bytes(body: &[u8]) -> Result<ConvertedLogs, IngestError> {
    decode(
        body,
        &LayerRules::default(),
        &TimeWindow::UNBOUNDED,
        &SpanLimits::default(),
    )
}

fn decode_value(body: &Value) -> ConvertedLogs {
    decode_bytes(body.to_string().as_bytes()).expect("decodes")
}

/// A request holding `records` under one resource and scope.
fn request(records: Value) -> Value {
    json!({"resourceLogs": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "shop"}}]},
        "scopeLogs": [{"scope": {"name": "lib"}, "logRecords": records}]
    }]})
}

/// The one record decoded from a request holding `record`.
fn one(record: Value) -> ConvertedLogs {
    decode_value(&request(json!([record])))
}

fn string(text: &str) -> AttributeValue {
    AttributeValue::String(text.into())
}

#[test]
fn the_specifications_example_decodes_field_by_field() {
    let out = decode_bytes(SPEC_EXAMPLE.as_bytes()).expect("decodes");
    assert_eq!(out.rejected(), 0, "{:?}", out.message());
    let [record] = out.records.as_slice() else {
        panic!("one record: {:?}", out.records);
    };
    assert_eq!(record.time_unix_nanos, 1_544_712_660_300_000_000);
    assert_eq!(
        record.trace_id.map(|id| id.to_string()).as_deref(),
        Some("5b8efff798038103d269b633813fc60c")
    );
    assert_eq!(
        record.span_id.map(|id| id.to_string()).as_deref(),
        Some("eee19b7ec3c1b174")
    );
    assert_eq!(record.severity_number, 10);
    assert_eq!(record.severity_text, "Information");
    assert_eq!(record.body, string("Example log record"));
    assert_eq!(
        record.attributes,
        vec![
            ("string.attribute".into(), string("some string")),
            ("boolean.attribute".into(), AttributeValue::Bool(true)),
            ("int.attribute".into(), AttributeValue::Int(10)),
            ("double.attribute".into(), AttributeValue::Double(637.704)),
            (
                "array.attribute".into(),
                AttributeValue::Array(vec![string("many"), string("values")])
            ),
            (
                "map.attribute".into(),
                AttributeValue::Map(vec![("some.map.key".into(), string("some value"))])
            ),
        ]
    );
    let origin = &record.origin;
    assert_eq!(origin.resource.service_name, "my.service");
    assert_eq!(
        (origin.scope.name.as_str(), origin.scope.version.as_str()),
        ("my.library", "1.0.0")
    );
    assert_eq!(
        origin.scope_attributes,
        vec![("my.scope.attribute".into(), string("some scope attribute"))]
    );
}

#[test]
fn severities_come_as_numbers_names_or_numeric_strings() {
    for (sent, number) in [
        (json!(13), 13),
        (json!("SEVERITY_NUMBER_WARN"), 13),
        (json!("SEVERITY_NUMBER_ERROR3"), 19),
        (json!("21"), 21),
        (Value::Null, 0),
    ] {
        let out =
            one(json!({"timeUnixNano": "1", "severityNumber": sent, "body": {"stringValue": "b"}}));
        assert_eq!(out.records.len(), 1, "{sent}: {:?}", out.message());
        assert_eq!(out.records[0].severity_number, number, "{sent}");
    }
    let out = one(json!({"timeUnixNano": "1", "severityNumber": "SEVERITY_NUMBER_LOUD"}));
    assert_eq!(
        out.rejections
            .count(Signal::LogRecords, RejectReason::InvalidValue),
        1
    );
    assert_eq!(
        out.message().as_deref(),
        Some("log record at 1: severity_number 'SEVERITY_NUMBER_LOUD' is outside OTLP's SeverityNumber (0 to 24)")
    );
}

#[test]
fn ids_may_be_absent_empty_hex_in_any_case_or_base64() {
    for ids in [
        json!({}),
        json!({"traceId": "", "spanId": null}),
        json!({"traceId": "5B8EFFF798038103D269B633813FC60C", "spanId": "eee19b7ec3c1b174"}),
        json!({"trace_id": "W47/95gDgQPSabYzgT/GDA==", "span_id": "7uGbfsPBsXQ="}),
    ] {
        let mut record = json!({"timeUnixNano": 5, "body": {"stringValue": "b"}});
        if let (Some(record), Some(ids)) = (record.as_object_mut(), ids.as_object()) {
            record.extend(ids.clone());
        }
        let out = one(record);
        assert_eq!(out.records.len(), 1, "{ids}: {:?}", out.message());
    }
    let out = one(
        json!({"timeUnixNano": 5, "traceId": "00000000000000000000000000000000",
                         "body": {"stringValue": "zero"}}),
    );
    assert_eq!(
        out.message().as_deref(),
        Some("log record 'zero': traceId must be empty or 32 hex digits (16 bytes), not all zero; got '00000000000000000000000000000000'")
    );
    let out = one(json!({"timeUnixNano": 5, "spanId": "xyz", "eventName": "cart.abandoned"}));
    assert_eq!(
        out.message().as_deref(),
        Some("event 'cart.abandoned': spanId must be empty or 16 hex digits (8 bytes), not all zero; got 'xyz'")
    );
}

#[test]
fn bodies_of_every_kind_are_values_and_snake_case_names_are_read() {
    let out = one(json!({
        "time_unix_nano": "7", "observed_time_unix_nano": "9", "severity_text": "warn",
        "body": {"kvlistValue": {"values": [{"key": "user", "value": {"intValue": "42"}}]}},
        "dropped_attributes_count": 2, "flags": 257, "event_name": "login",
        "attributes": [{"key": "a", "value": {"boolValue": false}}]
    }));
    let [record] = out.records.as_slice() else {
        panic!("one record: {:?}", out.message());
    };
    assert_eq!(record.time_unix_nanos, 7);
    assert_eq!(record.severity_text, "warn");
    assert_eq!(
        record.body,
        AttributeValue::Map(vec![("user".into(), AttributeValue::Int(42))])
    );
    assert_eq!(record.trace_flags, 1);
    assert_eq!(record.event_name, "login");
    assert_eq!(
        record.attributes,
        vec![
            ("a".into(), AttributeValue::Bool(false)),
            (
                "otel.dropped_attributes_count".into(),
                AttributeValue::Int(2)
            ),
        ],
        "the sender's dropped count is kept as for spans"
    );
    let out = one(json!({"timeUnixNano": "7"}));
    assert_eq!(out.records[0].body, AttributeValue::Empty, "no body");
}

#[test]
fn keys_in_any_order_still_meet_their_resource() {
    let body = json!({"resourceLogs": [{
        "scopeLogs": [{"logRecords": [{"timeUnixNano": "3"}], "schemaUrl": "s2",
                       "scope": {"name": "late"}}],
        "schemaUrl": "s1",
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "after"}}]}
    }]});
    let out = decode_value(&body);
    let origin = &out.records[0].origin;
    assert_eq!(origin.resource.service_name, "after");
    assert_eq!(origin.scope.name, "late");
    assert_eq!(
        (
            origin.resource_schema_url.as_str(),
            origin.scope_schema_url.as_str()
        ),
        ("s1", "s2")
    );
}

#[test]
fn a_mistyped_field_refuses_the_body_and_says_where() {
    let body = request(json!([{"timeUnixNano": "3"}, {"severityText": 5}]));
    match decode_bytes(body.to_string().as_bytes()) {
        Err(IngestError::BadRequest(message)) => assert!(
            message.starts_with(
                "body is not valid OTLP JSON: resourceLogs[0].scopeLogs[0].logRecords[1].severityText: "
            ),
            "{message}"
        ),
        other => panic!("expected a refusal, got {other:?}"),
    }
    let empty = decode_bytes(b"  ").expect("an empty request");
    assert!(empty.records.is_empty());
}
