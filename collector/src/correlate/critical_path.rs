//! The critical path: the chain of spans the trace waited on, found by
//! following, from the synthetic root down, the child that ended last.

use std::cmp::Reverse;

use crate::model::SpanId;

use super::SpanNode;

/// See [`super::AssembledTrace::critical_path`] for the definition. Each
/// step moves to a child, and children come after their parent in
/// pre-order, so the walk ends after at most `spans.len()` steps.
pub(super) fn find(spans: &[SpanNode], roots: &[usize]) -> Vec<SpanId> {
    let waited_on = |candidates: &[usize]| {
        candidates
            .iter()
            .copied()
            .filter(|&i| i < spans.len())
            .max_by_key(|&i| {
                let node = &spans[i];
                (
                    node.effective_end_unix_nanos,
                    node.effective_start_unix_nanos,
                    Reverse(node.span.span_id),
                )
            })
    };
    let mut path = Vec::new();
    let mut next = waited_on(roots);
    while let Some(i) = next {
        path.push(spans[i].span.span_id);
        next = waited_on(&spans[i].children).filter(|&child| child > i);
    }
    path
}
