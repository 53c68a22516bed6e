//! Decode → rows for one OTLP request, next to a pure `prost` decode of the
//! same bytes (the floor for decoding into the generated types): through
//! the generated types as gRPC requests go (`decode_convert_encode_rows`),
//! and in one pass as OTLP/HTTP bodies go (`one_pass_encode_rows`).
//!
//! The same requests as OTLP JSON, decoded the way the collector does
//! (`json_one_pass`) and the way it used to (`json_via_proto_types`:
//! serde into the generated types, then converted), kept as the yardstick.
//!
//! `cargo bench -p jamscope --bench decode` (`-- json` for the JSON cases)

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use jamscope::ingest::otlp::traces::reference::convert_request;
use jamscope::model::{LayerRules, SpanLimits, TimeWindow};
use jamscope::store::rows::{SpanTable, Table};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message;

mod common;
use common::request;

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
        group.bench_function("one_pass_encode_rows", |b| {
            b.iter(|| {
                let converted = jamscope::ingest::otlp::traces::protobuf::decode(
                    black_box(&bytes[..]),
                    &layers,
                    &TimeWindow::UNBOUNDED,
                    &SpanLimits::default(),
                )
                .unwrap();
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
                let converted = jamscope::ingest::otlp::traces::json::decode(
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
