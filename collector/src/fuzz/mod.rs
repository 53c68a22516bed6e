//! Property tests of every decoder of untrusted input: OTLP protobuf and
//! JSON (traces, metrics), RUM beacons, alert rule YAML. Arbitrary bytes
//! and structured but hostile documents (`strategies`) up to [`MAX_INPUT`]: no panic, and the
//! memory a decode holds at its peak (`meter`) stays within a linear bound
//! of its input. Case counts keep the whole set to seconds in a debug
//! build, so `make test` runs it every time; a failure prints the smallest
//! input proptest found.

mod meter;
mod metrics;
mod otlp;
mod rules;
mod rum;
mod strategies;

use proptest::test_runner::Config;

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
