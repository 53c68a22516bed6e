//! Tests of [`super::assemble`]: hand-worked examples (`examples.rs`),
//! traces whose breakdown is known by construction (`generated.rs`, built
//! by `generator.rs`), and properties over random, messy traces
//! (`properties.rs`, checked against a brute-force oracle).

mod examples;
mod generated;
mod generator;
mod properties;

use crate::model::{Layer, SpanId, TraceId};

use super::SpanTiming;

/// A plausible epoch time, so arithmetic near real timestamps is exercised.
const BASE: u64 = 1_700_000_000_000_000_000;
const MS: u64 = 1_000_000;

const LAYERS: [Layer; 6] = Layer::ALL;

fn sid(n: u64) -> SpanId {
    SpanId(n.to_be_bytes())
}

fn trace_id() -> TraceId {
    TraceId([0x4b; 16])
}

/// A span with times in milliseconds after `BASE`.
fn span(id: u64, parent: Option<u64>, layer: Layer, start_ms: u64, end_ms: u64) -> SpanTiming {
    SpanTiming {
        span_id: sid(id),
        parent_span_id: parent.map(sid),
        service: format!("{layer}-service"),
        name: format!("span {id}"),
        layer,
        start_unix_nanos: BASE + start_ms * MS,
        end_unix_nanos: BASE + end_ms * MS,
        is_error: false,
    }
}
