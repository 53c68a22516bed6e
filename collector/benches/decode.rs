//! Decode → rows for one OTLP request, next to a pure `prost` decode of the
//! same bytes (the floor: no collector can do less than decode).
//!
//! `cargo bench -p jamscope --bench decode`

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use jamscope::ingest::otlp_convert::convert_request;
use jamscope::model::{LayerRules, TimeWindow};
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
                let converted = convert_request(request, &layers, &TimeWindow::UNBOUNDED);
                rows.clear();
                row_ends.clear();
                SpanTable::encode_all(&converted.spans, &mut rows, &mut row_ends);
                black_box(rows.len())
            })
        });
        group.finish();
    }
}

criterion_group!(benches, decode_to_rows);
criterion_main!(benches);
