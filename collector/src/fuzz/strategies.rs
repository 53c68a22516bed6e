//! Generators of structured hostile input: OTLP requests that are valid in
//! shape but not always in content (ids of any length, enums outside their
//! range, any times, deep attribute values), and JSON documents built from
//! a decoder's own vocabulary so that they reach past its first check.

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{
    any_value, AnyValue, ArrayValue, InstrumentationScope, KeyValue, KeyValueList,
};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{span, ResourceSpans, ScopeSpans, Span, Status};
use proptest::collection::vec;
use proptest::prelude::*;
use serde_json::{Map, Value};

/// Short text, any printable characters (quotes, backslashes, non-ASCII).
pub fn text() -> impl Strategy<Value = String> {
    "\\PC{0,12}"
}

/// Id bytes: mostly the right length, sometimes empty, zero or any length.
pub fn id(len: usize) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        6 => vec(any::<u8>(), len),
        1 => Just(Vec::new()),
        1 => Just(vec![0; len]),
        1 => vec(any::<u8>(), 0..24),
    ]
}

/// An enum value: mostly in range, sometimes anything.
fn enum_value(max: i32) -> impl Strategy<Value = i32> {
    prop_oneof![4 => 0..=max, 1 => any::<i32>()]
}

/// Finite doubles only: NaN is never equal to itself, and the property
/// comparing JSON with protobuf compares spans with `==`.
pub fn any_value() -> impl Strategy<Value = AnyValue> {
    let leaf = prop_oneof![
        text().prop_map(any_value::Value::StringValue),
        any::<bool>().prop_map(any_value::Value::BoolValue),
        any::<i64>().prop_map(any_value::Value::IntValue),
        (-1e12f64..1e12).prop_map(any_value::Value::DoubleValue),
        vec(any::<u8>(), 0..8).prop_map(any_value::Value::BytesValue),
    ]
    .prop_map(|value| AnyValue { value: Some(value) });
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(|values| AnyValue {
                value: Some(any_value::Value::ArrayValue(ArrayValue { values })),
            }),
            vec((text(), inner), 0..4).prop_map(|pairs| AnyValue {
                value: Some(any_value::Value::KvlistValue(KeyValueList {
                    values: pairs
                        .into_iter()
                        .map(|(key, value)| KeyValue {
                            key,
                            value: Some(value),
                            ..Default::default()
                        })
                        .collect(),
                })),
            }),
        ]
    })
}

pub fn attributes() -> impl Strategy<Value = Vec<KeyValue>> {
    vec(
        (text(), proptest::option::weighted(0.9, any_value())).prop_map(|(key, value)| KeyValue {
            key,
            value,
            ..Default::default()
        }),
        0..4,
    )
}

pub fn time() -> impl Strategy<Value = u64> {
    prop_oneof![3 => 1_700_000_000_000_000_000u64..1_800_000_000_000_000_000, 1 => any::<u64>()]
}

fn a_span() -> impl Strategy<Value = Span> {
    (
        (id(16), id(8), id(8), text(), text()),
        (enum_value(5), time(), time(), attributes()),
        vec((time(), text(), attributes()), 0..2),
        vec((id(16), id(8), text()), 0..3),
        proptest::option::of((enum_value(2), text())),
    )
        .prop_map(
            |(
                (trace_id, span_id, parent_span_id, trace_state, name),
                (kind, start, end, attributes),
                events,
                links,
                status,
            )| Span {
                trace_id,
                span_id,
                parent_span_id,
                trace_state,
                name,
                kind,
                start_time_unix_nano: start,
                end_time_unix_nano: end,
                attributes,
                events: events
                    .into_iter()
                    .map(|(time_unix_nano, name, attributes)| span::Event {
                        time_unix_nano,
                        name,
                        attributes,
                        ..Default::default()
                    })
                    .collect(),
                links: links
                    .into_iter()
                    .map(|(trace_id, span_id, trace_state)| span::Link {
                        trace_id,
                        span_id,
                        trace_state,
                        ..Default::default()
                    })
                    .collect(),
                status: status.map(|(code, message)| Status { code, message }),
                ..Default::default()
            },
        )
}

/// A request of up to 2 resources × 2 scopes × 4 spans.
pub fn request() -> impl Strategy<Value = ExportTraceServiceRequest> {
    let scope_spans =
        (proptest::option::of((text(), text())), vec(a_span(), 0..4)).prop_map(|(scope, spans)| {
            ScopeSpans {
                scope: scope.map(|(name, version)| InstrumentationScope {
                    name,
                    version,
                    ..Default::default()
                }),
                spans,
                ..Default::default()
            }
        });
    let resource_spans = (proptest::option::of(attributes()), vec(scope_spans, 0..2)).prop_map(
        |(resource, scope_spans)| ResourceSpans {
            resource: resource.map(|attributes| Resource {
                attributes,
                ..Default::default()
            }),
            scope_spans,
            ..Default::default()
        },
    );
    vec(resource_spans, 0..2)
        .prop_map(|resource_spans| ExportTraceServiceRequest { resource_spans })
}

fn a_log_record() -> impl Strategy<Value = LogRecord> {
    (
        (time(), time(), enum_value(24), text()),
        (proptest::option::of(any_value()), attributes(), 0..3u32),
        (any::<u32>(), id(16), id(8), text()),
    )
        .prop_map(
            |(
                (time_unix_nano, observed_time_unix_nano, severity_number, severity_text),
                (body, attributes, dropped_attributes_count),
                (flags, trace_id, span_id, event_name),
            )| LogRecord {
                time_unix_nano,
                observed_time_unix_nano,
                severity_number,
                severity_text,
                body,
                attributes,
                dropped_attributes_count,
                flags,
                trace_id,
                span_id,
                event_name,
            },
        )
}

/// A log request of up to 2 resources × 2 scopes × 4 records.
pub fn log_request() -> impl Strategy<Value = ExportLogsServiceRequest> {
    let scope_logs = (
        proptest::option::of((text(), text(), attributes())),
        vec(a_log_record(), 0..4),
        text(),
    )
        .prop_map(|(scope, log_records, schema_url)| ScopeLogs {
            scope: scope.map(|(name, version, attributes)| InstrumentationScope {
                name,
                version,
                attributes,
                ..Default::default()
            }),
            log_records,
            schema_url,
        });
    let resource_logs = (
        proptest::option::of(attributes()),
        vec(scope_logs, 0..2),
        text(),
    )
        .prop_map(|(resource, scope_logs, schema_url)| ResourceLogs {
            resource: resource.map(|attributes| Resource {
                attributes,
                ..Default::default()
            }),
            scope_logs,
            schema_url,
        });
    vec(resource_logs, 0..2).prop_map(|resource_logs| ExportLogsServiceRequest { resource_logs })
}

/// A JSON document whose keys come from `keys` (so a decoder finds fields
/// it knows) and whose values are anything JSON holds.
pub fn json_with_keys(keys: &'static [&'static str]) -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        text().prop_map(Value::String),
        proptest::sample::select(vec![
            "NaN",
            "Infinity",
            "",
            "0",
            "-1",
            "1e400",
            "AQ",
            "SPAN_KIND_SERVER"
        ])
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(6, 64, 6, move |inner| {
        prop_oneof![
            vec(inner.clone(), 0..6).prop_map(Value::Array),
            vec((proptest::sample::select(keys), inner), 0..6).prop_map(|pairs| {
                Value::Object(
                    pairs
                        .into_iter()
                        .map(|(key, value)| ((*key).to_owned(), value))
                        .collect::<Map<_, _>>(),
                )
            }),
        ]
    })
}

/// Damage to a valid body: bytes flipped, cut short, spliced.
pub fn damaged(body: Vec<u8>) -> impl Strategy<Value = Vec<u8>> {
    let len = body.len().max(1);
    (vec((0..len, any::<u8>()), 0..4), 0..=len).prop_map(move |(flips, cut)| {
        let mut out = body.clone();
        for (at, byte) in flips {
            if let Some(b) = out.get_mut(at) {
                *b = byte;
            }
        }
        out.truncate(cut);
        out
    })
}
