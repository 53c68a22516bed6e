//! Property tests of every decoder of untrusted input: OTLP protobuf and
//! JSON (traces, logs, metrics), RUM beacons, alert rule YAML. Arbitrary bytes and
//! structured but hostile documents (`strategies`) up to [`MAX_INPUT`]: no
//! panic, and the memory a decode holds at its peak (`meter`) stays within
//! a linear bound of its input. Case counts keep the whole set to seconds
//! in a debug build, so `make test` runs it every time; a failure prints
//! the smallest input proptest found.

mod logs;
mod meter;
mod metrics;
mod otlp;
mod rules;
mod rum;
mod strategies;

use proptest::test_runner::Config;

use crate::ingest::IngestError;
use crate::model::{LayerRules, SpanLimits, TimeWindow};

/// The largest input tried: bodies are refused long before decoding above
/// the configured limits, and 64 KiB reaches every decoder's depth.
pub const MAX_INPUT: usize = 64 << 10;

/// `cases` random inputs per property; nothing written to the source tree
/// (a failure is reported with its input instead).
fn config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 2_000,
        ..Config::default()
    }
}

/// An OTLP decoder of one signal: body, layer rules, time window, limits.
type Decode<T> = fn(&[u8], &LayerRules, &TimeWindow, &SpanLimits) -> Result<T, IngestError>;

/// `decode` with what every property runs it with: no layer rules, every
/// time storable, the default limits; `None` for a refused body.
fn decoded<T>(decode: Decode<T>, body: &[u8]) -> Option<T> {
    decode(
        body,
        &LayerRules::default(),
        &TimeWindow::UNBOUNDED,
        &SpanLimits::default(),
    )
    .ok()
}

/// A signal's reference conversion: prost's request through the judgement.
type Convert<R, T> = fn(R, &LayerRules, &TimeWindow, &SpanLimits) -> T;

/// `body` decoded by prost's generated types and converted by `convert`,
/// as `decoded` runs a one-pass decoder; `None` when prost refuses it.
fn converted<R: prost::Message + Default, T>(convert: Convert<R, T>, body: &[u8]) -> Option<T> {
    let request = R::decode(body).ok()?;
    Some(convert(
        request,
        &LayerRules::default(),
        &TimeWindow::UNBOUNDED,
        &SpanLimits::default(),
    ))
}
