//! The span tree: parents resolved, orphans kept, cycles broken, laid out
//! flat in pre-order with depths. Iterative throughout, so no input shape
//! can overflow the stack.

use std::collections::HashMap;

use super::{SpanFlags, SpanNode, SpanTiming};
use crate::model::Layer;

pub(super) struct Tree {
    /// Pre-order; effective intervals still equal the raw ones.
    pub spans: Vec<SpanNode>,
    /// Indices of the synthetic root's children, in start order.
    pub roots: Vec<usize>,
}

/// Builds the tree from deduplicated spans in canonical order (start time,
/// then span id), so a smaller index means an earlier start.
pub(super) fn build(spans: Vec<SpanTiming>) -> Tree {
    let count = spans.len();
    let index: HashMap<_, usize> = spans
        .iter()
        .enumerate()
        .map(|(i, span)| (span.span_id, i))
        .collect();
    let mut parent: Vec<Option<usize>> = spans
        .iter()
        .map(|span| span.parent_span_id.and_then(|id| index.get(&id).copied()))
        .collect();
    let orphan: Vec<bool> = spans
        .iter()
        .map(|span| {
            span.parent_span_id
                .is_some_and(|id| !index.contains_key(&id))
        })
        .collect();
    let lifted = lift_enclosing_browser_spans(&spans, &mut parent);
    let cycle_broken = break_cycles(&mut parent);

    // Pushed in canonical order, so children come out by start, then id.
    let mut children = vec![Vec::new(); count];
    let mut roots = Vec::new();
    for (i, parent) in parent.iter().enumerate() {
        match parent {
            Some(p) => children[*p].push(i),
            None => roots.push(i),
        }
    }

    let mut order = Vec::with_capacity(count);
    let mut depth = vec![0usize; count];
    let mut stack: Vec<usize> = roots.iter().rev().copied().collect();
    while let Some(i) = stack.pop() {
        order.push(i);
        for &child in children[i].iter().rev() {
            depth[child] = depth[i] + 1;
            stack.push(child);
        }
    }
    // With cycles broken every span hangs off a root, so `order` holds each
    // index once.
    debug_assert_eq!(order.len(), count);
    let mut position = vec![usize::MAX; count];
    for (pos, &i) in order.iter().enumerate() {
        position[i] = pos;
    }

    let mut placed: Vec<(usize, SpanNode)> = spans
        .into_iter()
        .enumerate()
        .map(|(i, span)| {
            let node = SpanNode {
                depth: depth[i],
                parent: parent[i].map(|p| position[p]),
                children: children[i].iter().map(|&c| position[c]).collect(),
                effective_start_unix_nanos: span.start_unix_nanos,
                effective_end_unix_nanos: span.end_unix_nanos,
                flags: SpanFlags {
                    orphan: orphan[i],
                    cycle_broken: cycle_broken[i],
                    encloses_parent: lifted[i],
                    ..SpanFlags::default()
                },
                span,
            };
            (position[i], node)
        })
        .collect();
    placed.sort_unstable_by_key(|(pos, _)| *pos);
    Tree {
        spans: placed.into_iter().map(|(_, node)| node).collect(),
        roots: roots.iter().map(|&i| position[i]).collect(),
    }
}

/// A page's load continues the trace of the server that sent the HTML
/// (`<meta name="traceparent">`), so its span names the server's span as
/// parent although it began before and ended after it: the browser asked,
/// waited for the server, then rendered. Such a browser span, strictly
/// enclosing its non-browser parent, takes the parent's place and the
/// parent becomes its child, so the browser's own time is not clamped away
/// as if it were clock skew. Returns which spans were lifted.
fn lift_enclosing_browser_spans(spans: &[SpanTiming], parent: &mut [Option<usize>]) -> Vec<bool> {
    let mut lifted = vec![false; spans.len()];
    for child in 0..spans.len() {
        let Some(server) = parent[child] else {
            continue;
        };
        let (span, above) = (&spans[child], &spans[server]);
        let encloses = span.start_unix_nanos < above.start_unix_nanos
            && span.end_unix_nanos > above.end_unix_nanos;
        if span.layer == Layer::Browser && above.layer != Layer::Browser && encloses {
            parent[child] = parent[server];
            parent[server] = Some(child);
            lifted[child] = true;
        }
    }
    lifted
}

/// Cuts one parent link in every cycle, returning which spans were cut.
///
/// Each span has at most one parent, so following parent links from any
/// span either ends (a root or an orphan) or enters exactly one cycle. The
/// span cut is the cycle's smallest index: the earliest start, then the
/// smallest id, whatever order the cycle was found in. Each span is walked
/// once, so this is O(n).
fn break_cycles(parent: &mut [Option<usize>]) -> Vec<bool> {
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        New,
        OnPath,
        Done,
    }
    let mut state = vec![State::New; parent.len()];
    let mut cut = vec![false; parent.len()];
    let mut path = Vec::new();
    for first in 0..parent.len() {
        let mut current = Some(first);
        while let Some(i) = current {
            match state[i] {
                State::Done => break,
                State::OnPath => {
                    // The walk came back to `i`: the path from `i` on is a
                    // cycle. `i` is on the path, so the fallback never runs.
                    let cycle = path.iter().position(|&p| p == i).unwrap_or(0);
                    if let Some(&loser) = path[cycle..].iter().min() {
                        parent[loser] = None;
                        cut[loser] = true;
                    }
                    break;
                }
                State::New => {
                    state[i] = State::OnPath;
                    path.push(i);
                    current = parent[i];
                }
            }
        }
        for &i in &path {
            state[i] = State::Done;
        }
        path.clear();
    }
    cut
}
