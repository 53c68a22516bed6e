//! Decode → rows for one OTLP request, next to a pure `prost` decode of the
//! same bytes (the floor: no collector can do less than decode).
//!
//! The same requests as OTLP JSON, decoded the way the collector does
//! (`json_one_pass`) and the way it used to (`json_via_proto_types`:
//! serde into the generated types, then converted), kept as the yardstick.
//!
//! `cargo bench -p jamscope --bench decode` (`-- json` for the JSON cases)

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use jamscope::ingest::otlp_convert::convert_request;
use jamscope::model::{LayerRules, SpanLimits, TimeWindow};
use jamscope::store::rows::{SpanTable, Table};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, KeyValue};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{span, ResourceSpans, ScopeSpans, Span, Status};
use prost::Message;

fn string(key: &str, value: &str) -> KeyValue {
    value_kv(key, any_value::Value::StringValue(value.into()))
}

fn value_kv(key: &str, value: any_value::Value) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue { value: Some(value) }),
        ..Default::default()
    }
}

/// A request shaped like Jamstack traffic: four services (browser, CDN,
/// gateway, CMS), ten attributes a span, an event on every fifth span.
fn request(spans: usize) -> ExportTraceServiceRequest {
    let layers = [
        ("web-browser", "browser"),
        ("edge-cdn", "cdn"),
        ("api-gateway", "gateway"),
        ("headless-cms", "cms"),
    ];
    let mut rng = fastrand::Rng::with_seed(7);
    let resource_spans = layers
        .iter()
        .enumerate()
        .map(|(l, (service, layer))| ResourceSpans {
            resource: Some(Resource {
                attributes: vec![
                    string("service.name", service),
                    string("jamstack.layer", layer),
                    string("deployment.environment", "production"),
                    string("service.version", "2026.11.3"),
                ],
                ..Default::default()
            }),
            scope_spans: vec![ScopeSpans {
                spans: (0..spans / layers.len())
                    .map(|i| {
                        let start = 1_795_454_694_000_000_000 + (i as u64) * 1_000_003;
                        Span {
                            trace_id: (0..16).map(|_| rng.u8(1..)).collect(),
                            span_id: (0..8).map(|_| rng.u8(1..)).collect(),
                            parent_span_id: (0..8).map(|_| rng.u8(1..)).collect(),
                            name: format!("GET /products/{}", i % 20),
                            kind: 2,
                            start_time_unix_nano: start,
                            end_time_unix_nano: start + 12_345_678 + l as u64,
                            attributes: vec![
                                string("http.request.method", "GET"),
                                string("http.route", "/products/:id"),
                                string("url.path", &format!("/products/{i}")),
                                value_kv(
                                    "http.response.status_code",
                                    any_value::Value::IntValue(200),
                                ),
                                string("server.address", "shop.example.com"),
                                string(
                                    "user_agent.original",
                                    "Mozilla/5.0 (X11; Linux x86_64) Chrome/130.0",
                                ),
                                string("cache.status", if i % 3 == 0 { "MISS" } else { "HIT" }),
                                value_kv(
                                    "http.response.body.size",
                                    any_value::Value::IntValue(18_234),
                                ),
                                string("db.system.name", "postgresql"),
                                value_kv("cache.hit_ratio", any_value::Value::DoubleValue(0.93)),
                            ],
                            events: if i % 5 == 0 {
                                vec![span::Event {
                                    time_unix_nano: start + 1_000,
                                    name: "cache.miss".into(),
                                    attributes: vec![string("cache.key", "page:/products")],
                                    ..Default::default()
                                }]
                            } else {
                                Vec::new()
                            },
                            status: Some(Status {
                                code: 1,
                                ..Default::default()
                            }),
                            ..Default::default()
                        }
                    })
                    .collect(),
                ..Default::default()
            }],
            ..Default::default()
        })
        .collect();
    ExportTraceServiceRequest { resource_spans }
}

fn decode_to_rows(c: &mut Criterion) {
    let layers = LayerRules::default();
    for spans in [100, 1000] {
        let bytes = request(spans).encode_to_vec();
        let mut group = c.benchmark_group(format!("request_{spans}_spans"));
        group.throughput(Throughput::Elements(spans as u64));
        group.bench_function("prost_decode_only", |b| {
            b.iter(|| black_box(ExportTraceServiceRequest::decode(black_box(&bytes[..])).unwrap()))
        });
        let mut rows = Vec::with_capacity(bytes.len() * 4);
        let mut row_ends = Vec::with_capacity(spans);
        group.bench_function("decode_convert_encode_rows", |b| {
            b.iter(|| {
                let request = ExportTraceServiceRequest::decode(black_box(&bytes[..])).unwrap();
                let converted = convert_request(
                    request,
                    &layers,
                    &TimeWindow::UNBOUNDED,
                    &jamscope::model::SpanLimits::default(),
                );
                rows.clear();
                row_ends.clear();
                SpanTable::encode_all(&converted.spans, &mut rows, &mut row_ends);
                black_box(rows.len())
            })
        });
        group.finish();
    }
}

fn json_decode_to_rows(c: &mut Criterion) {
    let layers = LayerRules::default();
    for spans in [100, 1000] {
        // The generated types' serde output is OTLP JSON: hex ids, int64
        // as strings, lowerCamelCase names.
        let bytes = serde_json::to_vec(&request(spans)).unwrap();
        let mut group = c.benchmark_group(format!("json_request_{spans}_spans"));
        group.throughput(Throughput::Elements(spans as u64));
        let mut rows = Vec::with_capacity(bytes.len() * 4);
        let mut row_ends = Vec::with_capacity(spans);
        group.bench_function("json_one_pass", |b| {
            b.iter(|| {
                let converted = jamscope::ingest::otlp_json::decode(
                    black_box(&bytes[..]),
                    &layers,
                    &TimeWindow::UNBOUNDED,
                    &SpanLimits::default(),
                )
                .unwrap();
                assert_eq!(converted.spans.len(), spans);
                rows.clear();
                row_ends.clear();
                SpanTable::encode_all(&converted.spans, &mut rows, &mut row_ends);
                black_box(rows.len())
            })
        });
        group.bench_function("json_via_proto_types", |b| {
            b.iter(|| {
                let request: ExportTraceServiceRequest =
                    serde_json::from_slice(black_box(&bytes[..])).unwrap();
                let converted = convert_request(
                    request,
                    &layers,
                    &TimeWindow::UNBOUNDED,
                    &SpanLimits::default(),
                );
                assert_eq!(converted.spans.len(), spans);
                rows.clear();
                row_ends.clear();
                SpanTable::encode_all(&converted.spans, &mut rows, &mut row_ends);
                black_box(rows.len())
            })
        });
        group.finish();
    }
}

criterion_group!(benches, decode_to_rows, json_decode_to_rows);
criterion_main!(benches);
