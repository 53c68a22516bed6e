//! Where the wall time went: exclusive time per layer (each instant to the
//! deepest active span) and inclusive time per layer (union of its spans).

use std::cmp::Reverse;
use std::collections::BTreeSet;

use crate::model::SpanId;

use super::layer_nanos::{LayerNanos, Part};
use super::SpanNode;

/// Orders active spans by who owns an instant: (depth, effective start,
/// reversed span id), the greatest wins; the index finds the span.
type OwnerKey = (usize, u64, Reverse<SpanId>, usize);

/// Exclusive time per layer over `[wall_start, wall_end)`, by a sweep over
/// start and end events: O(n log n), independent of the durations.
///
/// Between two consecutive event times the set of active spans is fixed, so
/// the whole stretch goes to one part: the active span with the greatest
/// (depth, effective start, reversed span id), i.e. the deepest, then the
/// later-starting, then the smaller id; or `unattributed` when none is
/// active. The stretches tile the wall time, so the parts sum to it
/// exactly.
pub(super) fn exclusive(spans: &[SpanNode], wall_start: u64, wall_end: u64) -> LayerNanos {
    // (time, is_start, span index); zero-length spans cover no instant.
    let mut events: Vec<(u64, bool, usize)> = Vec::with_capacity(spans.len() * 2);
    for (i, node) in spans.iter().enumerate() {
        if node.effective_end_unix_nanos > node.effective_start_unix_nanos {
            events.push((node.effective_start_unix_nanos, true, i));
            events.push((node.effective_end_unix_nanos, false, i));
        }
    }
    events.sort_unstable();

    let key = |i: usize| -> OwnerKey {
        let node = &spans[i];
        (
            node.depth,
            node.effective_start_unix_nanos,
            Reverse(node.span.span_id),
            i,
        )
    };
    let mut active: BTreeSet<OwnerKey> = BTreeSet::new();
    let mut totals = LayerNanos::default();
    let mut cursor = wall_start;
    let mut next = 0;
    while next < events.len() {
        let time = events[next].0;
        totals.add(owner(spans, &active), time.saturating_sub(cursor));
        cursor = cursor.max(time);
        // Apply every event at this instant before attributing the next
        // stretch, so the order of simultaneous events does not matter.
        while let Some(&(t, is_start, i)) = events.get(next) {
            if t != time {
                break;
            }
            if is_start {
                active.insert(key(i));
            } else {
                active.remove(&key(i));
            }
            next += 1;
        }
    }
    // No span is active after the last end. Zero-length spans have no
    // events but count for the wall, so it may reach past the last end (or
    // before the first start, which the first stretch above covered): time
    // no span covered.
    totals.add(Part::Unattributed, wall_end.saturating_sub(cursor));
    totals
}

fn owner(spans: &[SpanNode], active: &BTreeSet<OwnerKey>) -> Part {
    active.last().map_or(Part::Unattributed, |&(_, _, _, i)| {
        Part::from(spans[i].span.layer)
    })
}

/// Inclusive time per layer: the union of each layer's effective intervals,
/// so overlapping spans of one layer count once. `unattributed` is passed
/// in: it is the time covered by no span, which the breakdown already
/// computed.
pub(super) fn inclusive(spans: &[SpanNode], unattributed: u64) -> LayerNanos {
    let mut intervals: Vec<(Part, u64, u64)> = spans
        .iter()
        .filter(|node| node.effective_end_unix_nanos > node.effective_start_unix_nanos)
        .map(|node| {
            (
                Part::from(node.span.layer),
                node.effective_start_unix_nanos,
                node.effective_end_unix_nanos,
            )
        })
        .collect();
    // By layer, then start: each layer's intervals form one run to merge.
    intervals.sort_unstable();

    let mut totals = LayerNanos::default();
    // The merged run being extended: (layer, start, end).
    let mut run: Option<(Part, u64, u64)> = None;
    for (part, start, end) in intervals {
        run = match run {
            Some((p, s, e)) if p == part && start <= e => Some((p, s, e.max(end))),
            finished => {
                if let Some((p, s, e)) = finished {
                    totals.add(p, e - s);
                }
                Some((part, start, end))
            }
        };
    }
    if let Some((p, s, e)) = run {
        totals.add(p, e - s);
    }
    totals.unattributed = unattributed;
    totals
}
