//! What the wire allows, what the judgement refuses, and every field of
//! every message held to the generated types. Agreement on generated and
//! damaged bodies is `fuzz::logs`'.

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{
    any_value, AnyValue, InstrumentationScope, KeyValue, KeyValueList,
};
use opentelemetry_proto::tonic::logs::v1::{LogRecord as OtlpLogRecord, ResourceLogs, ScopeLogs};
use opentelemetry_proto::tonic::resource::v1::Resource as OtlpResource;
use prost::Message;

use crate::ingest::otlp::protobuf::every_wire_type;

use crate::ingest::otlp::logs::protobuf::decode;
use crate::ingest::otlp::logs::reference::convert_request;
use crate::ingest::otlp::logs::ConvertedLogs;
use crate::model::{AttributeValue, Layer, LayerRule, LayerRules, SpanLimits, TimeWindow};
use crate::telemetry::outcome::{RejectReason, Signal};

const NOW: u64 = 1_763_900_000_000_000_000;

fn kv(key: &str, value: &str) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(value.into())),
        }),
        ..Default::default()
    }
}

fn record(body: &str) -> OtlpLogRecord {
    OtlpLogRecord {
        time_unix_nano: NOW,
        observed_time_unix_nano: NOW + 5,
        severity_number: 17,
        severity_text: "ERROR".into(),
        body: Some(AnyValue {
            value: Some(any_value::Value::StringValue(body.into())),
        }),
        attributes: vec![kv("code.function", "checkout")],
        trace_id: vec![7; 16],
        span_id: vec![3; 8],
        flags: 0x101,
        ..Default::default()
    }
}

fn request(records: Vec<OtlpLogRecord>) -> ExportLogsServiceRequest {
    ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            resource: Some(OtlpResource {
                attributes: vec![kv("service.name", "cms-strapi")],
                ..Default::default()
            }),
            scope_logs: vec![ScopeLogs {
                scope: Some(InstrumentationScope {
                    name: "app.logger".into(),
                    version: "2.1".into(),
                    attributes: vec![kv("logger.kind", "stdlib")],
                    ..Default::default()
                }),
                log_records: records,
                schema_url: "https://opentelemetry.io/schemas/1.30.0".into(),
            }],
            schema_url: "https://opentelemetry.io/schemas/1.29.0".into(),
        }],
    }
}

fn window() -> TimeWindow {
    TimeWindow::around(NOW, 3_600_000_000_000, 60_000_000_000)
}

fn decoded(body: &[u8]) -> ConvertedLogs {
    decode(body, &rules(), &window(), &SpanLimits::default()).expect("decodes")
}

fn rules() -> LayerRules {
    LayerRules::new(vec![LayerRule {
        service: "cms-*".into(),
        layer: Layer::Cms,
    }])
}

#[test]
fn every_field_lands_in_the_record() {
    let out = decoded(&request(vec![record("payment declined")]).encode_to_vec());
    assert_eq!(out.rejected(), 0, "{:?}", out.message());
    let [kept] = out.records.as_slice() else {
        panic!("one record: {:?}", out.records);
    };
    assert_eq!(kept.time_unix_nanos, NOW);
    assert_eq!(kept.trace_id.map(|id| id.0), Some([7; 16]));
    assert_eq!(kept.span_id.map(|id| id.0), Some([3; 8]));
    assert_eq!(kept.trace_flags, 1, "the low byte of flags");
    assert_eq!(
        (kept.severity_text.as_str(), kept.severity_number),
        ("ERROR", 17)
    );
    assert_eq!(kept.body, AttributeValue::String("payment declined".into()));
    assert_eq!(kept.attributes.len(), 1);
    let origin = &kept.origin;
    assert_eq!(origin.resource.service_name, "cms-strapi");
    assert_eq!(origin.resource.layer, Layer::Cms, "the service-name rules");
    assert_eq!(
        origin.resource_schema_url,
        "https://opentelemetry.io/schemas/1.29.0"
    );
    assert_eq!(
        (origin.scope.name.as_str(), origin.scope.version.as_str()),
        ("app.logger", "2.1")
    );
    assert_eq!(
        origin.scope_attributes,
        vec![(
            "logger.kind".into(),
            AttributeValue::String("stdlib".into())
        )]
    );
    assert_eq!(
        origin.scope_schema_url,
        "https://opentelemetry.io/schemas/1.30.0"
    );
}

#[test]
fn without_a_time_the_observed_time_counts_and_without_either_the_record_is_refused() {
    let mut observed_only = record("late");
    observed_only.time_unix_nano = 0;
    let mut neither = record("never");
    neither.time_unix_nano = 0;
    neither.observed_time_unix_nano = 0;
    let out = decoded(&request(vec![observed_only, neither]).encode_to_vec());
    assert_eq!(out.records.len(), 1);
    assert_eq!(out.records[0].time_unix_nanos, NOW + 5);
    assert_eq!(
        out.rejections
            .count(Signal::LogRecords, RejectReason::TimeWindow),
        1
    );
    let message = out.message().expect("a reason");
    assert!(
        message.starts_with(
            "log record 'never': observed_time_unix_nano 0 is older than the retention window"
        ),
        "{message}"
    );
}

#[test]
fn ids_may_be_absent_but_not_wrong() {
    let mut no_trace = record("outside any trace");
    no_trace.trace_id.clear();
    no_trace.span_id.clear();
    let mut short = record("short");
    short.trace_id = vec![7; 15];
    let mut zero = record("zero");
    zero.span_id = vec![0; 8];
    let out = decoded(&request(vec![no_trace, short, zero]).encode_to_vec());
    assert_eq!(out.records.len(), 1);
    assert_eq!(
        (out.records[0].trace_id, out.records[0].span_id),
        (None, None)
    );
    assert_eq!(
        out.rejections
            .count(Signal::LogRecords, RejectReason::InvalidId),
        2
    );
    assert_eq!(
        out.message().as_deref(),
        Some(
            "log record 'short': trace_id must be empty or 16 bytes and not all zero, got 15 bytes"
        )
    );
}

#[test]
fn a_severity_outside_otlps_is_refused() {
    let mut loud = record("loud");
    loud.severity_number = 25;
    let mut negative = record("negative");
    negative.severity_number = -1;
    let mut fatal = record("fatal");
    fatal.severity_number = 24;
    let out = decoded(&request(vec![loud, negative, fatal]).encode_to_vec());
    assert_eq!(out.records.len(), 1);
    assert_eq!(
        out.rejections
            .count(Signal::LogRecords, RejectReason::InvalidValue),
        2
    );
    assert_eq!(
        out.message().as_deref(),
        Some("log record 'loud': severity_number 25 is outside OTLP's SeverityNumber (0 to 24)")
    );
}

#[test]
fn a_structured_body_is_kept_as_a_value_and_bounded() {
    let mut structured = record("");
    structured.body = Some(AnyValue {
        value: Some(any_value::Value::KvlistValue(KeyValueList {
            values: (0..200).map(|i| kv(&format!("k{i}"), "v")).collect(),
        })),
    });
    let out = decoded(&request(vec![structured]).encode_to_vec());
    let AttributeValue::Map(entries) = &out.records[0].body else {
        panic!("a map body: {:?}", out.records[0].body);
    };
    assert_eq!(entries.len(), SpanLimits::default().max_attributes);
    assert_eq!(out.truncated, 1);
    assert_eq!(out.truncation.nested, 72);
}

#[test]
fn an_empty_body_is_an_empty_request() {
    let out = decoded(&[]);
    assert!(out.records.is_empty());
    assert_eq!(out.rejected(), 0);
}

#[test]
fn refusals_name_the_field() {
    let mut body = request(vec![record("a"), record("x")]).encode_to_vec();
    let at = body.iter().rposition(|&b| b == b'x').expect("body byte");
    body[at] = 0xff;
    let error = decode(&body, &rules(), &window(), &SpanLimits::default()).expect_err("refused");
    assert_eq!(
        error.to_string(),
        "body is not a valid OTLP protobuf ExportLogsServiceRequest: \
         resource_logs[0].scope_logs[0].log_records[1].body: string is not UTF-8"
    );
}

/// `message` with field `tag` (holding `child`) appended.
fn nest(message: &[u8], tag: u32, child: &[u8]) -> Vec<u8> {
    let mut out = message.to_vec();
    prost::encoding::bytes::encode(tag, &child.to_vec(), &mut out);
    out
}

/// A whole request in which one kind of message carries `extra` after
/// its own fields; one builder per message the decoder reads.
fn with_extra_in(level: &str, extra: &[u8]) -> Vec<u8> {
    let plus = |message: Vec<u8>| [message, extra.to_vec()].concat();
    let at = |name: &str, message: Vec<u8>| match level == name {
        true => plus(message),
        false => message,
    };
    let body = at("body", vec![0x0a, 0x01, b'b']);
    let record = at("log_record", nest(&record("r").encode_to_vec(), 5, &body));
    let scope = at("scope", vec![0x0a, 0x01, b'l']);
    let scope_logs = at("scope_logs", nest(&nest(&[], 1, &scope), 2, &record));
    let resource = at(
        "resource",
        nest(&[], 1, &kv("service.name", "cms").encode_to_vec()),
    );
    let resource_logs = at(
        "resource_logs",
        nest(&nest(&[], 1, &resource), 2, &scope_logs),
    );
    at("request", nest(&[], 1, &resource_logs))
}

/// Every field number up to 13 of every message the decoder reads, sent
/// with every wire type (and a length-delimited one that is not UTF-8),
/// is refused or kept exactly as the generated types do it.
#[test]
fn every_field_with_every_wire_type_is_judged_as_prost_judges_it() {
    let levels = [
        "request",
        "resource_logs",
        "resource",
        "scope_logs",
        "scope",
        "log_record",
        "body",
    ];
    let mut compared = 0;
    for level in levels {
        for tag in 1..=13u32 {
            for extra in every_wire_type(tag) {
                let body = with_extra_in(level, &extra);
                let generated = ExportLogsServiceRequest::decode(body.as_slice());
                let one_pass = decode(&body, &rules(), &window(), &SpanLimits::default());
                assert_eq!(
                    one_pass.is_ok(),
                    generated.is_ok(),
                    "{level}, field {tag}, bytes {extra:02x?}: one pass {:?}, prost {:?}",
                    one_pass.as_ref().err().map(ToString::to_string),
                    generated.as_ref().err()
                );
                if let (Ok(one_pass), Ok(generated)) = (one_pass, generated) {
                    let generated =
                        convert_request(generated, &rules(), &window(), &SpanLimits::default());
                    assert_eq!(one_pass.records, generated.records, "{level}, field {tag}");
                    assert_eq!(
                        one_pass.message(),
                        generated.message(),
                        "{level}, field {tag}"
                    );
                }
                compared += 1;
            }
        }
    }
    assert_eq!(compared, 7 * 13 * 6);
}
