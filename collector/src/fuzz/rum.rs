//! RUM beacons: any bytes, and JSON in the beacon's own words, decode or
//! are refused without a panic and within a bound on memory.

use proptest::collection::vec;
use proptest::prelude::*;

use super::meter::peak_bytes;
use super::strategies::json_with_keys;
use super::{config, MAX_INPUT};
use crate::ingest::rum::decode as rum_decode;

const MAX_EVENTS: usize = 100;
/// `serde_json::Value` trees are several times their text, and decoded
/// events copy parts of them.
const BYTES_PER_INPUT_BYTE: usize = 96;
const BASE_BYTES: usize = 256 << 10;

/// The decoder under test; one place to follow its signature.
fn decode(body: &[u8]) -> usize {
    rum_decode::decode(body, MAX_EVENTS, 1_764_000_000_000)
        .map(|decoded| decoded.reasons.len())
        .unwrap_or(0)
}

const RUM_KEYS: &[&str] = &[
    "events",
    "type",
    "vital",
    "error",
    "page_view",
    "name",
    "value",
    "delta",
    "id",
    "rating",
    "navigationType",
    "attribution",
    "entries",
    "ts",
    "message",
    "errorType",
    "stack",
    "file",
    "function",
    "line",
    "column",
    "page",
    "url",
    "path",
    "route",
    "referrer",
    "app",
    "release",
    "environment",
    "sessionId",
    "pageViewId",
    "traceId",
    "connection",
    "device",
    "span",
    "spanId",
    "parentSpanId",
    "traceState",
    "kind",
    "start",
    "end",
    "status",
    "statusMessage",
    "attributes",
    "sentAt",
    "LCP",
    "CLS",
    "INP",
    "FCP",
    "TTFB",
];

proptest! {
    #![proptest_config(config(1024))]

    #[test]
    fn any_bytes_as_a_beacon(body in vec(any::<u8>(), 0..MAX_INPUT)) {
        let (_, peak) = peak_bytes(|| decode(&body));
        prop_assert!(peak <= BASE_BYTES + BYTES_PER_INPUT_BYTE * body.len());
    }

    #[test]
    fn json_in_beacon_words(document in json_with_keys(RUM_KEYS)) {
        let body = serde_json::to_vec(&document).unwrap_or_default();
        let (_, peak) = peak_bytes(|| decode(&body));
        prop_assert!(peak <= BASE_BYTES + BYTES_PER_INPUT_BYTE * body.len());
    }
}
