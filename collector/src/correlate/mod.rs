//! Trace correlation: which layer a slow page spent its time in.
//!
//! Pure domain logic over the spans of one trace as read back from storage:
//! no I/O, no async, no wire format. The one entry point is [`assemble`],
//! which turns an unordered, possibly duplicated and possibly inconsistent
//! list of [`SpanTiming`]s into an [`AssembledTrace`]:
//!
//! - **Duplicates**: spans sharing a span id count once. The copy kept is the
//!   longest (end − start, saturating), then the earliest-starting, then by
//!   the remaining fields, so the choice never depends on input order.
//! - **Tree**: every kept span appears exactly once. Conceptually the trace
//!   has one *synthetic root* (the trace itself, not a span); its children,
//!   [`AssembledTrace::roots`], are the spans without a parent, the
//!   *orphans* (their parent id names a span that is not in the trace, e.g.
//!   it was lost or arrives later) and the spans cut loose to break a cycle
//!   (a→b→a, or a span its own parent: in each cycle the earliest-starting
//!   span, then the smallest id, loses its parent link). Orphans and cut
//!   spans are flagged. A browser span that strictly encloses its
//!   non-browser parent (a page load continuing the trace of the server
//!   that sent the HTML) takes the parent's place, the parent becoming its
//!   child, so the page's own time is not mistaken for clock skew; it is
//!   flagged. Children are ordered by start time, then span id.
//!   The tree is stored flat ([`AssembledTrace::spans`], in pre-order, with
//!   depth and parent/children indices) so no step, nor serializing or
//!   dropping the result, recurses: a pathological chain of 10⁵ spans
//!   cannot overflow the stack.
//! - **Clock skew**: spans come from different machines. A span whose end
//!   is before its start is treated as zero-length at its start. A child
//!   reaching outside its parent's *effective* interval is clamped into it
//!   (so clamping cascades down the tree) and flagged with how far each end
//!   moved. Top-level spans are never clamped. Every time below is computed
//!   on these effective intervals, so none can be negative.
//! - **Wall time**: earliest effective start to latest effective end
//!   (equal to the raw earliest start and latest end when nothing was
//!   clamped), in integer nanoseconds.
//! - **Breakdown** ([`AssembledTrace::breakdown`]): each instant of the wall
//!   time goes to the deepest span active at that instant (depth counts from
//!   the top-level spans, which are at depth 0; intervals are half-open).
//!   Ties between overlapping spans at the same depth go to the
//!   later-starting span, then the smaller span id. That span's layer gets
//!   the instant; instants covered by no span are `unattributed`. The seven
//!   parts sum exactly to the wall time.
//! - **Inclusive time** ([`AssembledTrace::inclusive`]): per layer, the
//!   union of its spans' effective intervals (overlaps counted once).
//! - **Critical path** ([`AssembledTrace::critical_path`]): see its doc.
//! - **Summary**: [`summary`] formats a breakdown on one line.

mod breakdown;
mod critical_path;
mod dedup;
mod format;
mod hex_ids;
mod layer_nanos;
mod skew;
mod tree;

#[cfg(test)]
mod tests;

use serde::Serialize;

use crate::model::{Layer, SpanId, TraceId};

pub use format::summary;
pub use layer_nanos::{nanos_to_ms, LayerNanos, Part};

/// One span of a trace as read back from storage: only what correlation
/// needs. Ids serialize as lowercase hex.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SpanTiming {
    #[serde(serialize_with = "hex_ids::span_id")]
    pub span_id: SpanId,
    /// As received; `None` for a root span.
    #[serde(serialize_with = "hex_ids::opt_span_id")]
    pub parent_span_id: Option<SpanId>,
    pub service: String,
    pub name: String,
    pub layer: Layer,
    pub start_unix_nanos: u64,
    pub end_unix_nanos: u64,
    pub is_error: bool,
}

/// One trace, correlated. Built only by [`assemble`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AssembledTrace {
    #[serde(serialize_with = "hex_ids::trace_id")]
    pub trace_id: TraceId,
    /// Earliest effective start of any span.
    pub start_unix_nanos: u64,
    /// Latest effective end of any span.
    pub end_unix_nanos: u64,
    /// `end_unix_nanos - start_unix_nanos`; what the breakdown adds up to.
    pub wall_nanos: u64,
    /// Every span exactly once, in tree pre-order: the waterfall. Each
    /// span's subtree directly follows it; [`SpanNode::parent`] and
    /// [`SpanNode::children`] are indices into this list.
    pub spans: Vec<SpanNode>,
    /// Indices into `spans` of the synthetic root's children (spans without
    /// a parent, orphans, spans cut from a cycle), by start time then id.
    pub roots: Vec<usize>,
    /// Exclusive time per layer; the parts sum exactly to `wall_nanos`.
    pub breakdown: LayerNanos,
    /// Per layer, the union of its spans' effective intervals. Parts may
    /// overlap, so they do not sum to `wall_nanos`; `unattributed` is the
    /// time covered by no span (the same as in `breakdown`).
    pub inclusive: LayerNanos,
    /// What the trace waited on, as span ids from the top down. The
    /// synthetic root waits on all top-level spans, so the path starts at
    /// the top-level span (the root, an orphan or a span cut from a cycle)
    /// with the latest effective end; then, repeatedly, the current span's
    /// child with the latest effective end, until a span without children.
    /// Ties go as in the breakdown: the later effective start, then the
    /// smaller span id. Never empty.
    #[serde(serialize_with = "hex_ids::span_ids")]
    pub critical_path: Vec<SpanId>,
    /// What was wrong with the input and how it was repaired.
    pub anomalies: Anomalies,
}

/// A span placed in the tree, with the interval used for every time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SpanNode {
    /// The span as received (the copy kept, if it was duplicated).
    pub span: SpanTiming,
    /// 0 for the synthetic root's children; a child is one deeper.
    pub depth: usize,
    /// Index of the tree parent in [`AssembledTrace::spans`]; `None` under
    /// the synthetic root.
    pub parent: Option<usize>,
    /// Indices in [`AssembledTrace::spans`], by start time then span id.
    pub children: Vec<usize>,
    /// Start after skew repair: within the parent's effective interval.
    pub effective_start_unix_nanos: u64,
    /// End after skew repair; never before the effective start.
    pub effective_end_unix_nanos: u64,
    pub flags: SpanFlags,
}

/// How one span's input was repaired; all false/zero for a clean span.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct SpanFlags {
    /// Its parent id names a span that is not in the trace.
    pub orphan: bool,
    /// Its parent link was cut to break a cycle.
    pub cycle_broken: bool,
    /// A browser span that enclosed its server parent (a page load
    /// continuing the document's trace) and took its place in the tree.
    pub encloses_parent: bool,
    /// Its end was before its start; it counts as zero-length at its start.
    pub end_before_start: bool,
    /// How far its start was moved into its parent's effective interval.
    pub start_clamped_nanos: u64,
    /// How far its end was moved into its parent's effective interval.
    pub end_clamped_nanos: u64,
}

/// One span clamped into its parent's interval (clock skew).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Clamp {
    #[serde(serialize_with = "hex_ids::span_id")]
    pub span_id: SpanId,
    pub start_clamped_nanos: u64,
    pub end_clamped_nanos: u64,
}

/// The trace-wide list of repairs; span lists are in waterfall order.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Anomalies {
    /// Input spans dropped because another copy had the same span id.
    pub duplicates_dropped: usize,
    #[serde(serialize_with = "hex_ids::span_ids")]
    pub orphans: Vec<SpanId>,
    #[serde(serialize_with = "hex_ids::span_ids")]
    pub cycles_broken: Vec<SpanId>,
    #[serde(serialize_with = "hex_ids::span_ids")]
    pub ends_before_start: Vec<SpanId>,
    pub clamped: Vec<Clamp>,
}

impl Anomalies {
    /// True when the input needed no repair at all.
    pub fn is_empty(&self) -> bool {
        *self == Anomalies::default()
    }
}

/// Correlates the spans of one trace; `None` when there are none.
///
/// Spans may come in any order and duplicated: the result depends only on
/// the set of distinct spans (shuffling the input never changes it, and
/// adding copies changes only [`Anomalies::duplicates_dropped`]). Runs in
/// O(n log n) and never panics on bad data.
pub fn assemble(trace_id: TraceId, spans: Vec<SpanTiming>) -> Option<AssembledTrace> {
    if spans.is_empty() {
        return None;
    }
    let (spans, duplicates_dropped) = dedup::keep_one_per_id(spans);
    let tree::Tree { mut spans, roots } = tree::build(spans);
    skew::clamp_into_parents(&mut spans);

    let start_unix_nanos = spans
        .iter()
        .map(|node| node.effective_start_unix_nanos)
        .min()
        .unwrap_or(0);
    let end_unix_nanos = spans
        .iter()
        .map(|node| node.effective_end_unix_nanos)
        .max()
        .unwrap_or(0);
    // Effective ends are never before effective starts, so this cannot
    // saturate; saturating keeps it panic-free regardless.
    let wall_nanos = end_unix_nanos.saturating_sub(start_unix_nanos);

    let breakdown = breakdown::exclusive(&spans, start_unix_nanos, end_unix_nanos);
    let inclusive = breakdown::inclusive(&spans, breakdown.unattributed);
    let critical_path = critical_path::find(&spans, &roots);
    let anomalies = collect_anomalies(&spans, duplicates_dropped);

    Some(AssembledTrace {
        trace_id,
        start_unix_nanos,
        end_unix_nanos,
        wall_nanos,
        spans,
        roots,
        breakdown,
        inclusive,
        critical_path,
        anomalies,
    })
}

fn collect_anomalies(spans: &[SpanNode], duplicates_dropped: usize) -> Anomalies {
    let ids_where = |flag: fn(&SpanFlags) -> bool| {
        spans
            .iter()
            .filter(|node| flag(&node.flags))
            .map(|node| node.span.span_id)
            .collect()
    };
    Anomalies {
        duplicates_dropped,
        orphans: ids_where(|flags| flags.orphan),
        cycles_broken: ids_where(|flags| flags.cycle_broken),
        ends_before_start: ids_where(|flags| flags.end_before_start),
        clamped: spans
            .iter()
            .filter(|node| node.flags.start_clamped_nanos > 0 || node.flags.end_clamped_nanos > 0)
            .map(|node| Clamp {
                span_id: node.span.span_id,
                start_clamped_nanos: node.flags.start_clamped_nanos,
                end_clamped_nanos: node.flags.end_clamped_nanos,
            })
            .collect(),
    }
}
