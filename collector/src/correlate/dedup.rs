//! Spans sharing a span id count once: exporters retry, and the store may
//! hold a span twice before ClickHouse merges parts.

use std::cmp::Ordering;
use std::collections::hash_map::{Entry, HashMap};

use super::SpanTiming;

/// Keeps one copy per span id and returns the kept spans in canonical order
/// (start time, then span id) with the number of copies dropped. The order
/// makes everything downstream independent of the input order.
pub(super) fn keep_one_per_id(spans: Vec<SpanTiming>) -> (Vec<SpanTiming>, usize) {
    let received = spans.len();
    let mut kept: HashMap<_, SpanTiming> = HashMap::with_capacity(received);
    for span in spans {
        match kept.entry(span.span_id) {
            Entry::Vacant(slot) => {
                slot.insert(span);
            }
            Entry::Occupied(mut slot) => {
                if preference(&span, slot.get()) == Ordering::Less {
                    slot.insert(span);
                }
            }
        }
    }
    let dropped = received - kept.len();
    let mut kept: Vec<SpanTiming> = kept.into_values().collect();
    kept.sort_unstable_by_key(|span| (span.start_unix_nanos, span.span_id));
    (kept, dropped)
}

/// `Less` when `a` is the better copy: the longest wins (a partial copy
/// flushed early is the shorter one), then the earliest start; the other
/// fields only make the order total, so which copy wins never depends on
/// which arrived first.
fn preference(a: &SpanTiming, b: &SpanTiming) -> Ordering {
    let duration = |span: &SpanTiming| span.end_unix_nanos.saturating_sub(span.start_unix_nanos);
    duration(b)
        .cmp(&duration(a))
        .then(a.start_unix_nanos.cmp(&b.start_unix_nanos))
        .then(a.end_unix_nanos.cmp(&b.end_unix_nanos))
        .then(a.parent_span_id.cmp(&b.parent_span_id))
        .then(a.layer.as_str().cmp(b.layer.as_str()))
        .then(a.service.cmp(&b.service))
        .then(a.name.cmp(&b.name))
        .then(a.is_error.cmp(&b.is_error))
}
