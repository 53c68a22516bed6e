//! What alerting costs the collector in CPU, outside any I/O:
//!
//! - `alert_evaluation/*`: one evaluation of the streaming windows,
//!   `Windows::observations` (slide each series, sum its buckets, merge its
//!   distribution for a percentile) then `Engine::tick` (breaches, alert
//!   lifecycle, groups), over 1 000 and 10 000 series of one threshold
//!   rule, for a counter metric (`error_rate`) and a distribution
//!   (`p95_duration`). Every series had traffic in every 5 s bucket of its
//!   5 min window (60 buckets: the most a series can hold), 10 % breach.
//!   Throughput is in series, so µs per series per evaluation = 1 / it.
//!   The evaluation runs once a second (`alert.evaluation_interval_ms`).
//! - `alert_record_spans/default_rules`: the ingest side, the shipped
//!   `alert-rules/` fed the decode benchmark's 500-span request (four
//!   layers, ten attributes a span), converted to spans as ingest does;
//!   throughput in spans.
//!
//! `cargo bench -p jamscope --bench alert_eval`

use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use jamscope::alert::rules::load_str;
use jamscope::alert::AlertConfig;
use jamscope::alert::{load_dir, Engine, RuleSet, Windows};
use jamscope::ingest::otlp::traces::reference::convert_request;
use jamscope::model::kpi::KpiSettings;
use jamscope::model::{
    AttributeValue, Layer, LayerRules, Resource, Scope, Span, SpanId, SpanKind, SpanLimits, Status,
    StatusCode, TimeWindow, TraceId,
};

mod common;
use common::request;

/// A whole minute, so 5 s buckets start on it.
const T0: i64 = 1_795_400_040_000;
const BUCKET_MS: i64 = 5_000;
const BUCKETS: i64 = 60;
const SPANS_PER_BUCKET: usize = 2;

fn rule_set(metric: &str, critical: f64) -> RuleSet {
    let text = format!(
        "groups:\n  - name: bench\n    rules:\n      - alert: Bench\n        for: 0s\n        \
         condition:\n          type: threshold\n          metric: {metric}\n          \
         window: 5m\n          filter: {{ layer: gateway }}\n          direction: above\n          \
         critical: {critical}\n          group_by: [service]\n"
    );
    RuleSet {
        files: Vec::new(),
        rules: load_str(Path::new("bench.yaml"), &text).expect("bench rule"),
    }
}

fn id<const N: usize>(n: u64) -> [u8; N] {
    let mut bytes = [7; N];
    bytes[N - 8..].copy_from_slice(&n.to_be_bytes());
    bytes
}

/// A gateway server span.
fn span(n: u64, resource: &Arc<Resource>, end_ms: i64, millis: u64, failed: bool) -> Span {
    let end = u64::try_from(end_ms).expect("positive") * 1_000_000;
    Span {
        trace_id: TraceId(id(n)),
        span_id: SpanId(id(n)),
        parent_span_id: None,
        trace_state: String::new(),
        name: "GET /api/products".into(),
        kind: SpanKind::Server,
        start_unix_nanos: end - millis * 1_000_000,
        end_unix_nanos: end,
        attributes: vec![
            (
                "http.route".into(),
                AttributeValue::String("/api/products".into()),
            ),
            (
                "http.response.status_code".into(),
                AttributeValue::Int(if failed { 500 } else { 200 }),
            ),
        ],
        events: Vec::new(),
        links: Vec::new(),
        status: Status {
            code: if failed {
                StatusCode::Error
            } else {
                StatusCode::Ok
            },
            message: String::new(),
        },
        resource: Arc::clone(resource),
        scope: Arc::new(Scope::default()),
    }
}

fn resource(service: String, layer: Layer) -> Arc<Resource> {
    Arc::new(Resource {
        service_name: service,
        layer,
        attributes: Vec::new(),
    })
}

/// Windows holding `series` gateway services, each with spans in every
/// bucket of the window; every tenth service fails half its requests and
/// takes 800 ms (the others 100 ms, no failures).
fn filled_windows(rules: &RuleSet, series: usize) -> Windows {
    let mut windows = Windows::new(rules, &KpiSettings::default(), series * 2);
    let resources: Vec<_> = (0..series)
        .map(|s| resource(format!("service-{s:05}"), Layer::Gateway))
        .collect();
    let mut n = 0;
    for bucket in 0..BUCKETS {
        let now = T0 + bucket * BUCKET_MS;
        let mut batch = Vec::with_capacity(series * SPANS_PER_BUCKET);
        for (s, resource) in resources.iter().enumerate() {
            let bad = s.is_multiple_of(10);
            for k in 0..SPANS_PER_BUCKET {
                n += 1;
                let millis = if bad { 800 } else { 100 } + k as u64;
                batch.push(span(n, resource, now, millis, bad && k == 0));
            }
        }
        windows.record_spans(&batch, now);
        // The evaluation loop hands these to the other collectors every
        // second; without it they would pile up.
        black_box(windows.take_local_delta());
    }
    windows
}

fn evaluation(c: &mut Criterion) {
    let now = T0 + (BUCKETS - 1) * BUCKET_MS;
    let settings = AlertConfig::default().engine_settings();
    let mut group = c.benchmark_group("alert_evaluation");
    group.sample_size(20);
    for (metric, critical) in [("error_rate", 1.0), ("p95_duration", 500.0)] {
        let rules = rule_set(metric, critical);
        for series in [1_000usize, 10_000] {
            let mut windows = filled_windows(&rules, series);
            let mut engine = Engine::new(&rules, settings.clone());
            // Steady state: the breaching series fire and are notified on
            // the first evaluations; later ones change nothing.
            for _ in 0..3 {
                let observations = windows.observations(now);
                assert_eq!(observations.len(), series, "every series observed");
                engine.tick(now, &observations, &[]);
            }
            group.throughput(Throughput::Elements(series as u64));
            group.bench_function(BenchmarkId::new(format!("{metric}/both"), series), |b| {
                b.iter(|| {
                    let observations = windows.observations(black_box(now));
                    black_box(engine.tick(now, &observations, &[]))
                })
            });
            group.bench_function(
                BenchmarkId::new(format!("{metric}/observations"), series),
                |b| b.iter(|| black_box(windows.observations(black_box(now)))),
            );
            let observations = windows.observations(now);
            group.bench_function(BenchmarkId::new(format!("{metric}/tick"), series), |b| {
                b.iter(|| black_box(engine.tick(black_box(now), &observations, &[])))
            });
        }
    }
    group.finish();
}

/// The shipped rules fed the decode benchmark's 500-span request (four
/// layers' server spans, ten attributes a span), converted as ingest does.
fn record_spans(c: &mut Criterion) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../alert-rules");
    let rules = load_dir(&dir).expect("the shipped rules load");
    let batch = convert_request(
        request(500),
        &LayerRules::default(),
        &TimeWindow::UNBOUNDED,
        &SpanLimits::default(),
    )
    .spans;
    // Arrival just after the last span ended; one arrival time: under load
    // nearly every batch lands in the bucket the one before it did (a new
    // one starts every 5 s).
    let now = batch
        .iter()
        .map(|s| i64::try_from(s.end_unix_nanos / 1_000_000).unwrap_or(i64::MAX))
        .max()
        .unwrap_or(T0)
        + 1;
    let mut windows = Windows::new(&rules, &KpiSettings::default(), 10_000);
    let mut group = c.benchmark_group("alert_record_spans");
    group.throughput(Throughput::Elements(batch.len() as u64));
    group.bench_function("default_rules", |b| {
        b.iter(|| windows.record_spans(black_box(&batch), now))
    });
    group.finish();
}

criterion_group!(benches, evaluation, record_spans);
criterion_main!(benches);
