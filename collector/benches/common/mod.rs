//! The OTLP request every collector benchmark feeds: shaped like Jamstack
//! traffic (`bench/gen_payload.py` in spirit), built in Rust so a
//! micro-benchmark needs no Python.

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, KeyValue};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{span, ResourceSpans, ScopeSpans, Span, Status};

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
pub fn request(spans: usize) -> ExportTraceServiceRequest {
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
