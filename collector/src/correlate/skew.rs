//! Clock-skew repair: spans of one trace come from machines whose clocks
//! disagree, so a child may appear to start before its parent or end after
//! it. Each span gets an effective interval that never runs backwards and
//! lies within its parent's effective interval; the raw times stay as
//! received for display.

use super::SpanNode;

/// Sets every span's effective interval and skew flags. `spans` must be in
/// pre-order, so a parent's effective interval is final before its
/// children are clamped into it (clamping cascades down the tree).
pub(super) fn clamp_into_parents(spans: &mut [SpanNode]) {
    for i in 0..spans.len() {
        let raw_start = spans[i].span.start_unix_nanos;
        let raw_end = spans[i].span.end_unix_nanos;
        // A span that ends before it starts carries no usable duration.
        let end_before_start = raw_end < raw_start;
        let end = raw_end.max(raw_start);

        // Pre-order puts a parent before its children; the bound check
        // only keeps this panic-free should that ever not hold.
        let bounds = spans[i].parent.filter(|&p| p < i).map(|p| {
            (
                spans[p].effective_start_unix_nanos,
                spans[p].effective_end_unix_nanos,
            )
        });
        let (start, clamped_end) = match bounds {
            // max-then-min rather than `clamp`, which panics if lo > hi.
            Some((lo, hi)) => (raw_start.max(lo).min(hi), end.max(lo).min(hi)),
            None => (raw_start, end),
        };

        let node = &mut spans[i];
        node.effective_start_unix_nanos = start;
        node.effective_end_unix_nanos = clamped_end;
        node.flags.end_before_start = end_before_start;
        node.flags.start_clamped_nanos = raw_start.abs_diff(start);
        node.flags.end_clamped_nanos = end.abs_diff(clamped_end);
    }
}
