//! Each shape the proto3 JSON mapping allows, written out by hand, and the
//! refusals that must say where they happened.

use serde_json::{json, Value};

use crate::ingest::otlp::json::MAX_VALUE_DEPTH;
use crate::ingest::otlp::traces::json::decode;
use crate::ingest::otlp::traces::reference::convert_request;
use crate::ingest::otlp::traces::ConvertedTraces;
use crate::ingest::IngestError;
use crate::model::{AttributeValue, LayerRules, SpanKind, SpanLimits, StatusCode, TimeWindow};
use crate::telemetry::outcome::{RejectReason, Signal};

const TRACE: &str = "5b8efff798038103d269b633813fc60c";
const SPAN: &str = "eee19b7ec3c1b174";

fn decode_value(body: &Value) -> ConvertedTraces {
    decode_bytes(body.to_string().as_bytes()).expect("decodes")
}

fn decode_bytes(body: &[u8]) -> Result<ConvertedTraces, IngestError> {
    decode(
        body,
        &LayerRules::default(),
        &TimeWindow::UNBOUNDED,
        &SpanLimits::default(),
    )
}

fn refusal(body: &[u8]) -> String {
    match decode_bytes(body) {
        Err(IngestError::BadRequest(message)) => message,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// A request holding `spans` under one resource and scope.
fn request(spans: Value) -> Value {
    json!({"resourceSpans": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "shop"}}]},
        "scopeSpans": [{"scope": {"name": "lib", "version": "1"}, "spans": spans}]
    }]})
}

fn a_span(extra: Value) -> Value {
    let mut span = json!({
        "traceId": TRACE, "spanId": SPAN, "name": "GET /", "kind": 2,
        "startTimeUnixNano": "1000", "endTimeUnixNano": "2000"
    });
    if let (Some(span), Some(extra)) = (span.as_object_mut(), extra.as_object()) {
        for (key, value) in extra {
            span.insert(key.clone(), value.clone());
        }
    }
    span
}

/// The one attribute `key` of the one span decoded from `value`.
fn attribute(value: Value) -> AttributeValue {
    let decoded = decode_value(&request(json!([a_span(
        json!({"attributes": [{"key": "a", "value": value}]})
    )])));
    assert_eq!(decoded.spans.len(), 1, "{:?}", decoded.rejection_reason);
    decoded.spans[0].attributes[0].1.clone()
}

#[test]
fn empty_array_and_kvlist_values_are_empty_not_errors() {
    assert_eq!(
        attribute(json!({"arrayValue": {}})),
        AttributeValue::Array(vec![])
    );
    assert_eq!(
        attribute(json!({"kvlistValue": {}})),
        AttributeValue::Map(vec![])
    );
    assert_eq!(
        attribute(json!({"arrayValue": {"values": null}})),
        AttributeValue::Array(vec![])
    );
    assert_eq!(attribute(json!({})), AttributeValue::Empty);
    assert_eq!(attribute(Value::Null), AttributeValue::Empty);
    assert_eq!(
        attribute(
            json!({"kvlistValue": {"values": [{"key": "k", "value": {"arrayValue": {"values": [{"intValue": 1}]}}}]}})
        ),
        AttributeValue::Map(vec![(
            "k".into(),
            AttributeValue::Array(vec![AttributeValue::Int(1)])
        )])
    );
}

#[test]
fn original_field_names_work_like_camel_case() {
    let body = json!({"resource_spans": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"string_value": "snake"}}]},
        "scope_spans": [{"scope": {"name": "lib"}, "spans": [{
            "trace_id": TRACE, "span_id": SPAN, "parent_span_id": "", "trace_state": "a=b",
            "name": "snake", "kind": 3,
            "start_time_unix_nano": "1000", "end_time_unix_nano": 3000,
            "attributes": [
                {"key": "i", "value": {"int_value": "7"}},
                {"key": "d", "value": {"double_value": 0.5}},
                {"key": "b", "value": {"bool_value": true}},
                {"key": "y", "value": {"bytes_value": "AQI="}},
                {"key": "l", "value": {"array_value": {"values": []}}},
                {"key": "m", "value": {"kvlist_value": {"values": []}}}
            ],
            "events": [{"time_unix_nano": "1500", "name": "e"}],
            "links": [{"trace_id": TRACE, "span_id": SPAN, "trace_state": "x=y"}]
        }]}]
    }]});
    let decoded = decode_value(&body);
    assert_eq!(decoded.spans.len(), 1, "{:?}", decoded.rejection_reason);
    let span = &decoded.spans[0];
    assert_eq!(span.resource.service_name, "snake");
    assert_eq!(span.trace_id.to_string(), TRACE);
    assert_eq!(span.trace_state, "a=b");
    assert_eq!(span.kind, SpanKind::Client);
    assert_eq!((span.start_unix_nanos, span.end_unix_nanos), (1000, 3000));
    assert_eq!(span.attributes[0].1, AttributeValue::Int(7));
    assert_eq!(span.attributes[3].1, AttributeValue::Bytes(vec![1, 2]));
    assert_eq!(span.events[0].time_unix_nanos, 1500);
    assert_eq!(span.links[0].trace_state, "x=y");
}

#[test]
fn doubles_may_be_special_strings_or_numeric_strings() {
    let double = |value: Value| match attribute(json!({"doubleValue": value})) {
        AttributeValue::Double(d) => d,
        other => panic!("{other:?}"),
    };
    assert!(double(json!("NaN")).is_nan());
    assert_eq!(double(json!("Infinity")), f64::INFINITY);
    assert_eq!(double(json!("-Infinity")), f64::NEG_INFINITY);
    assert_eq!(double(json!("1.25")), 1.25);
    assert_eq!(double(json!(3)), 3.0);
    assert_eq!(double(json!(-2.5e3)), -2500.0);
}

#[test]
fn integers_may_be_strings_and_32_bit_ones_too() {
    let decoded = decode_value(&request(json!([a_span(json!({
        "kind": "3",
        "startTimeUnixNano": 1_700_000_000_123_456_789_u64,
        "endTimeUnixNano": "1700000000123456790",
        "droppedAttributesCount": "4",
        "flags": "257",
        "status": {"code": "2", "message": "boom"},
        "attributes": [{"key": "n", "value": {"intValue": -42}}, {"key": "s", "value": {"intValue": "-9223372036854775808"}}]
    }))])));
    let span = &decoded.spans[0];
    assert_eq!(span.kind, SpanKind::Client);
    assert_eq!(span.start_unix_nanos, 1_700_000_000_123_456_789);
    assert_eq!(span.end_unix_nanos, 1_700_000_000_123_456_790);
    assert_eq!(span.status.code, StatusCode::Error);
    assert_eq!(span.attributes[0].1, AttributeValue::Int(-42));
    assert_eq!(span.attributes[1].1, AttributeValue::Int(i64::MIN));
    // An integral float is an integer; a fraction is not.
    let decoded = decode_value(&request(json!([a_span(json!({"startTimeUnixNano": 1e3}))])));
    assert_eq!(decoded.spans[0].start_unix_nanos, 1000);
    let message = refusal(
        request(json!([a_span(json!({"startTimeUnixNano": 1.5}))]))
            .to_string()
            .as_bytes(),
    );
    assert!(
        message.contains("spans[0].startTimeUnixNano: 1.5 is not an unsigned 64-bit integer"),
        "{message}"
    );
}

#[test]
fn null_means_the_default() {
    let decoded = decode_value(&request(json!([a_span(json!({
        "traceState": null, "parentSpanId": null, "kind": null, "attributes": null,
        "events": null, "links": null, "status": null, "startTimeUnixNano": null,
        "endTimeUnixNano": null, "droppedAttributesCount": null
    }))])));
    let span = &decoded.spans[0];
    assert_eq!(span.kind, SpanKind::Unspecified);
    assert_eq!(span.status.code, StatusCode::Unset);
    assert_eq!((span.start_unix_nanos, span.end_unix_nanos), (0, 0));
    assert!(span.attributes.is_empty() && span.events.is_empty() && span.parent_span_id.is_none());
    assert_eq!(
        attribute(json!({"stringValue": null})),
        AttributeValue::String(String::new())
    );
    assert_eq!(
        attribute(json!({"boolValue": null})),
        AttributeValue::Bool(false)
    );
    assert_eq!(attribute(json!({"intValue": null})), AttributeValue::Int(0));
    let decoded = decode_value(
        &json!({"resourceSpans": [{"resource": null, "scopeSpans": [{"scope": null, "spans": [a_span(json!({"name": null}))]}]}]}),
    );
    assert_eq!(decoded.spans[0].name, "");
    assert_eq!(decoded.spans[0].resource.service_name, "unknown_service");
    assert_eq!(decode_value(&json!({"resourceSpans": null})).spans.len(), 0);
}

#[test]
fn base64_in_either_alphabet_with_or_without_padding() {
    // 0xfb 0xff 0xbf: "+/+/" in the standard alphabet, "-_-_" URL-safe.
    for text in ["+/+/", "-_-_"] {
        assert_eq!(
            attribute(json!({"bytesValue": text})),
            AttributeValue::Bytes(vec![0xfb, 0xff, 0xbf])
        );
    }
    for text in ["AQ==", "AQ"] {
        assert_eq!(
            attribute(json!({"bytesValue": text})),
            AttributeValue::Bytes(vec![1])
        );
    }
    // Ids in plain proto3 JSON are base64: 16 bytes are 22 characters
    // unpadded, 24 padded; 8 bytes are 11 or 12.
    let trace = [0xfbu8; 16];
    let engines = [
        base64::engine::general_purpose::STANDARD,
        base64::engine::general_purpose::STANDARD_NO_PAD,
        base64::engine::general_purpose::URL_SAFE,
        base64::engine::general_purpose::URL_SAFE_NO_PAD,
    ];
    for engine in engines {
        use base64::Engine as _;
        let decoded = decode_value(&request(json!([a_span(json!({
            "traceId": engine.encode(trace), "spanId": engine.encode([0xfe; 8])
        }))])));
        assert_eq!(decoded.spans.len(), 1, "{:?}", decoded.rejection_reason);
        assert_eq!(decoded.spans[0].trace_id.0, trace);
        assert_eq!(decoded.spans[0].span_id.0, [0xfe; 8]);
    }
    // Hex in any case.
    let decoded = decode_value(&request(json!([a_span(
        json!({"traceId": TRACE.to_uppercase()})
    )])));
    assert_eq!(decoded.spans[0].trace_id.to_string(), TRACE);
}

#[test]
fn a_resource_with_newer_or_partial_fields_decodes() {
    for resource in [
        json!({"attributes": [{"key": "service.name", "value": {"stringValue": "shop"}}], "entityRefs": [{"type": "service", "idKeys": ["service.name"]}]}),
        json!({"attributes": [{"key": "service.name", "value": {"stringValue": "shop"}}], "droppedAttributesCount": 0}),
        json!({"attributes": [{"key": "service.name", "value": {"stringValue": "shop"}}]}),
        json!({"entityRefs": []}),
        json!({}),
    ] {
        let decoded = decode_value(
            &json!({"resourceSpans": [{"resource": resource, "scopeSpans": [{"spans": [a_span(json!({}))]}]}]}),
        );
        assert_eq!(decoded.spans.len(), 1, "{resource}");
    }
}

#[test]
fn unknown_fields_are_ignored_at_every_level() {
    let unknown = json!({"nested": [1, {"deep": null}], "n": 1.5});
    let body = json!({
        "future": unknown,
        "resourceSpans": [{
            "future": unknown, "schemaUrl": "https://opentelemetry.io/schemas/1.26.0",
            "resource": {"future": unknown, "attributes": [{"key": "k", "future": unknown, "value": {"stringValue": "v", "future": unknown}}]},
            "scopeSpans": [{"future": unknown, "scope": {"name": "lib", "attributes": [], "future": unknown},
                "spans": [a_span(json!({"future": unknown, "status": {"code": 1, "future": unknown},
                    "events": [{"name": "e", "future": unknown}],
                    "links": [{"traceId": TRACE, "spanId": SPAN, "flags": 256, "future": unknown}]}))]}]
        }]
    });
    let decoded = decode_value(&body);
    assert_eq!(decoded.spans.len(), 1);
    assert_eq!(decoded.spans[0].status.code, StatusCode::Ok);
    assert_eq!(decoded.spans[0].links.len(), 1);
}

#[test]
fn a_oneof_sent_twice_keeps_the_last() {
    // Written out: `json!` would sort the keys.
    let body = format!(
        r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{{"traceId":"{TRACE}","spanId":"{SPAN}","attributes":[{{"key":"a","value":{{"stringValue":"first","intValue":"2"}}}}]}}]}}]}}]}}"#
    );
    let decoded = decode_bytes(body.as_bytes()).expect("decodes");
    assert_eq!(decoded.spans[0].attributes[0].1, AttributeValue::Int(2));
}

#[test]
fn enums_may_be_named() {
    let decoded = decode_value(&request(json!([a_span(json!({
        "kind": "SPAN_KIND_CONSUMER", "status": {"code": "STATUS_CODE_ERROR"}
    }))])));
    assert_eq!(decoded.spans[0].kind, SpanKind::Consumer);
    assert_eq!(decoded.spans[0].status.code, StatusCode::Error);
}

#[test]
fn out_of_range_enums_reject_the_span_and_name_the_field() {
    let decoded = decode_value(&request(json!([
        a_span(json!({"name": "kind-9", "kind": 9})),
        a_span(json!({"name": "status-7", "status": {"code": 7}})),
        a_span(json!({"name": "named", "kind": "SPAN_KIND_SIDEWAYS"})),
        a_span(json!({"name": "ok"})),
    ])));
    assert_eq!(decoded.spans.len(), 1);
    assert_eq!(
        decoded
            .rejections
            .count(Signal::Spans, RejectReason::InvalidValue),
        3
    );
    let message = decoded.message().expect("a message");
    assert!(
        message.contains("span 'kind-9': kind 9 is outside the OTLP enum (0 to 5)"),
        "{message}"
    );
}

#[test]
fn links_with_bad_ids_are_dropped_and_counted_and_the_span_kept() {
    let decoded = decode_value(&request(json!([a_span(json!({"links": [
        {"traceId": TRACE, "spanId": SPAN},
        {"traceId": "zz", "spanId": SPAN},
        {"traceId": TRACE},
    ]}))])));
    assert_eq!(decoded.spans.len(), 1);
    assert_eq!(decoded.rejected(), 0);
    assert_eq!(decoded.spans[0].links.len(), 1);
    assert_eq!(decoded.dropped_links, 2);
    let message = decoded.message().expect("a warning");
    assert!(
        message.starts_with("2 links with an invalid trace or span id dropped"),
        "{message}"
    );
    assert!(
        message.contains("links[1]") && message.contains("'zz'"),
        "{message}"
    );
}

#[test]
fn bad_ids_reject_only_their_span() {
    let decoded = decode_value(&request(json!([
        a_span(json!({"name": "not-hex", "traceId": "not-hex!"})),
        a_span(json!({"name": "zero", "spanId": "0000000000000000"})),
        a_span(json!({"name": "no-id", "traceId": null})),
        a_span(json!({"name": "parent", "parentSpanId": "abc"})),
        a_span(json!({"name": "root", "parentSpanId": "0000000000000000"})),
    ])));
    assert_eq!(decoded.spans.len(), 1);
    assert_eq!(decoded.spans[0].name, "root");
    assert_eq!(
        decoded
            .rejections
            .count(Signal::Spans, RejectReason::InvalidId),
        4
    );
    let message = decoded.message().expect("a message");
    assert!(
        message.contains("span 'not-hex': traceId must be 32 hex digits"),
        "{message}"
    );
    assert!(message.contains("'not-hex!'"), "{message}");
}

#[test]
fn wrong_json_types_are_refused_with_the_path() {
    for (body, expected) in [
        (request(json!([a_span(json!({"name": 5}))])), "resourceSpans[0].scopeSpans[0].spans[0].name: invalid type: integer `5`, expected a string"),
        (request(json!([a_span(json!({"endTimeUnixNano": "soon"}))])), "spans[0].endTimeUnixNano: \"soon\" is not an unsigned 64-bit integer"),
        (request(json!([a_span(json!({"attributes": [{"key": "a", "value": "plain"}]}))])), "attributes[0].value: invalid type: string \"plain\", expected an AnyValue"),
        (request(json!([a_span(json!({"attributes": [{"key": "a", "value": {"bytesValue": "!!"}}]}))])), "value.bytesValue: not base64"),
        (request(json!([a_span(json!({"attributes": [{"key": "a", "value": {"intValue": "9223372036854775808"}}]}))])), "intValue: \"9223372036854775808\" is not a signed 64-bit integer"),
        (request(json!([a_span(json!({"kind": 2.5}))])), "spans[0].kind: invalid type: floating point"),
        (request(json!("spans")), "resourceSpans[0].scopeSpans[0].spans: invalid type: string \"spans\", expected an array of a Span"),
        (json!([]), "invalid type: sequence, expected an ExportTraceServiceRequest"),
    ] {
        let message = refusal(body.to_string().as_bytes());
        assert!(message.starts_with("body is not valid OTLP JSON: "), "{message}");
        assert!(message.contains(expected), "{message}\nshould contain {expected}");
    }
    for (body, expected) in [
        (&b"{\"resourceSpans\": [}"[..], "resourceSpans"),
        (b"<xml/>", "expected value at line 1 column 1"),
        (b"{} {}", "trailing characters"),
    ] {
        let message = refusal(body);
        assert!(message.contains(expected), "{message}");
    }
}

#[test]
fn refusals_quote_little_of_the_input() {
    let huge = "x".repeat(100_000);
    let message = refusal(
        request(json!([a_span(json!({"status": huge}))]))
            .to_string()
            .as_bytes(),
    );
    assert!(message.len() < 600, "{} bytes", message.len());
    assert!(
        message.contains("spans[0].status: invalid type: string"),
        "{message}"
    );
}

#[test]
fn a_byte_order_mark_is_skipped() {
    let mut body = b"\xEF\xBB\xBF".to_vec();
    body.extend(request(json!([a_span(json!({}))])).to_string().into_bytes());
    assert_eq!(decode_bytes(&body).expect("decodes").spans.len(), 1);
}

#[test]
fn key_order_does_not_matter() {
    let body = json!({"resourceSpans": [{
        "scopeSpans": [{"spans": [a_span(json!({}))], "scope": {"name": "late-scope"}}],
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "late-resource"}}]}
    }, {
        "scopeSpans": [{"spans": [a_span(json!({"name": "second"}))]}]
    }]});
    let decoded = decode_value(&body);
    assert_eq!(decoded.spans[0].resource.service_name, "late-resource");
    assert_eq!(decoded.spans[0].scope.name, "late-scope");
    assert_eq!(decoded.spans[1].resource.service_name, "unknown_service");
    assert_eq!(decoded.spans[1].scope.name, "");
}

#[test]
fn old_instrumentation_library_names_are_read() {
    let body = json!({"resourceSpans": [{"instrumentationLibrarySpans": [
        {"instrumentationLibrary": {"name": "old-lib"}, "spans": [a_span(json!({}))]}
    ]}]});
    assert_eq!(decode_value(&body).spans[0].scope.name, "old-lib");
}

#[test]
fn empty_requests_are_empty_not_errors() {
    for body in [
        &b""[..],
        b"  \n",
        b"{}",
        b"null",
        b"{\"resourceSpans\": []}",
    ] {
        let decoded = decode_bytes(body).expect("empty request");
        assert_eq!((decoded.spans.len(), decoded.rejected()), (0, 0));
    }
}

#[test]
fn deep_values_are_refused_without_exhausting_the_stack() {
    // Deeper than serde_json's own limit and deeper than ours: either says
    // no, on a stack no bigger than a tokio worker's.
    for depth in [MAX_VALUE_DEPTH + 1, 200] {
        let mut value = json!({"stringValue": "leaf"});
        for _ in 0..depth {
            value = json!({"arrayValue": {"values": [value]}});
        }
        let body = request(json!([a_span(
            json!({"attributes": [{"key": "deep", "value": value}]})
        )]))
        .to_string();
        let message = std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(move || refusal(body.as_bytes()))
            .expect("thread")
            .join()
            .expect("no overflow");
        assert!(
            message.contains("nest deeper") || message.contains("recursion limit"),
            "{message}"
        );
    }
}

#[test]
fn decodes_like_the_protobuf_path() {
    use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
    use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, KeyValue};
    use opentelemetry_proto::tonic::resource::v1::Resource;
    use opentelemetry_proto::tonic::trace::v1::{span, ResourceSpans, ScopeSpans, Span, Status};
    let kv = |key: &str, value| KeyValue {
        key: key.into(),
        value: Some(AnyValue { value: Some(value) }),
        ..Default::default()
    };
    let request = ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![kv(
                    "service.name",
                    any_value::Value::StringValue("api".into()),
                )],
                ..Default::default()
            }),
            scope_spans: vec![ScopeSpans {
                spans: vec![Span {
                    trace_id: vec![7; 16],
                    span_id: vec![3; 8],
                    parent_span_id: vec![4; 8],
                    name: "op".into(),
                    kind: 3,
                    start_time_unix_nano: 1_700_000_000_000_000_001,
                    end_time_unix_nano: 1_700_000_000_000_000_901,
                    attributes: vec![
                        kv("i", any_value::Value::IntValue(-1)),
                        kv("d", any_value::Value::DoubleValue(2.5)),
                        kv("y", any_value::Value::BytesValue(vec![0, 255])),
                    ],
                    events: vec![span::Event {
                        time_unix_nano: 1_700_000_000_000_000_002,
                        name: "ev".into(),
                        ..Default::default()
                    }],
                    links: vec![span::Link {
                        trace_id: vec![8; 16],
                        span_id: vec![9; 8],
                        ..Default::default()
                    }],
                    status: Some(Status {
                        code: 2,
                        message: "bad".into(),
                    }),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        }],
    };
    let json = serde_json::to_vec(&request).expect("JSON");
    let from_json = decode_bytes(&json).expect("decodes");
    let from_protobuf = convert_request(
        request,
        &LayerRules::default(),
        &TimeWindow::UNBOUNDED,
        &SpanLimits::default(),
    );
    assert_eq!(from_json.spans, from_protobuf.spans);
}

#[test]
fn a_body_that_is_not_utf8_is_refused_with_where() {
    let mut body =
        br#"{"resourceSpans":[{"resource":{"attributes":[{"key":"k","value":{"stringValue":""#
            .to_vec();
    let at = body.len();
    body.extend_from_slice(b"\xff\xfe\"}}]}}]}");
    let message = refusal(&body);
    assert!(
        message.contains(&format!("not UTF-8 after byte {at}")),
        "{message}"
    );
}
