//! Properties over random, messy traces: random parents (missing, self,
//! cycles), heavy overlap, equal starts, skew, ends before starts. The
//! breakdown is checked against a brute-force oracle, the tree against its
//! definition, and the result against reordering and duplication.

use std::cmp::Reverse;
use std::collections::HashSet;

use fastrand::Rng;

use super::super::{assemble, AssembledTrace, LayerNanos, Part, SpanTiming};
use super::{generator::generate, sid, trace_id, BASE, LAYERS};

const TRACES: u64 = 300;

/// Up to 40 spans in a 1.5 µs window, so nearly everything overlaps and
/// equal start times are common.
fn messy_trace(rng: &mut Rng) -> Vec<SpanTiming> {
    let count = rng.u64(1..=40);
    // Span ids are a shuffled range, so id order is unrelated to time order.
    let mut ids: Vec<u64> = (1..=count).map(|n| n * 7 + 3).collect();
    rng.shuffle(&mut ids);
    ids.iter()
        .map(|&id| {
            let parent = match rng.u8(0..10) {
                0 => None,
                1 => Some(9_999_999),                    // missing: an orphan
                2 => Some(id),                           // its own parent
                _ => Some(ids[rng.usize(0..ids.len())]), // anything: cycles too
            };
            let start = BASE + rng.u64(0..1_000);
            let end = match rng.u8(0..10) {
                0 => start.saturating_sub(rng.u64(1..100)), // ends before it starts
                1 => start,
                _ => start + rng.u64(1..500),
            };
            SpanTiming {
                span_id: sid(id),
                parent_span_id: parent.map(sid),
                service: format!("svc-{}", id % 5),
                name: format!("op {id}"),
                layer: LAYERS[rng.usize(0..LAYERS.len())],
                start_unix_nanos: start,
                end_unix_nanos: end,
                is_error: rng.bool(),
            }
        })
        .collect()
}

/// The breakdown by definition: cut the wall time at every effective
/// endpoint and give each piece to the deepest, then later-starting, then
/// smaller-id span covering it. O(n²), independent of the sweep.
fn oracle(trace: &AssembledTrace) -> LayerNanos {
    let spans = &trace.spans;
    let mut cuts: Vec<u64> = spans
        .iter()
        .flat_map(|n| [n.effective_start_unix_nanos, n.effective_end_unix_nanos])
        .collect();
    cuts.sort_unstable();
    cuts.dedup();
    let mut totals = LayerNanos::default();
    for piece in cuts.windows(2) {
        let (from, to) = (piece[0], piece[1]);
        let owner = spans
            .iter()
            .filter(|n| n.effective_start_unix_nanos <= from && to <= n.effective_end_unix_nanos)
            .max_by_key(|n| {
                (
                    n.depth,
                    n.effective_start_unix_nanos,
                    Reverse(n.span.span_id),
                )
            });
        totals.add(
            owner.map_or(Part::Unattributed, |n| Part::from(n.span.layer)),
            to - from,
        );
    }
    totals
}

/// Everything `assemble` promises about one result.
fn check(input: &[SpanTiming], trace: &AssembledTrace) {
    // The parts tile the wall time exactly; none exceeds it (u64, so none
    // is negative).
    let sum = trace
        .breakdown
        .iter()
        .try_fold(0u64, |sum, (_, nanos)| sum.checked_add(nanos));
    assert_eq!(sum, Some(trace.wall_nanos));
    assert_eq!(
        trace.wall_nanos,
        trace.end_unix_nanos - trace.start_unix_nanos
    );
    assert!(trace
        .breakdown
        .iter()
        .all(|(_, nanos)| nanos <= trace.wall_nanos));
    assert_eq!(trace.breakdown, oracle(trace));

    // Inclusive time: at least the exclusive time, at most the wall time.
    for (part, nanos) in trace.inclusive.iter() {
        assert!(trace.breakdown.get(part) <= nanos && nanos <= trace.wall_nanos);
    }
    assert_eq!(trace.inclusive.unattributed, trace.breakdown.unattributed);

    // Every distinct span exactly once.
    let distinct: HashSet<_> = input.iter().map(|s| s.span_id).collect();
    let placed: HashSet<_> = trace.spans.iter().map(|n| n.span.span_id).collect();
    assert_eq!(placed, distinct);
    assert_eq!(trace.spans.len(), distinct.len());
    assert_eq!(
        trace.anomalies.duplicates_dropped,
        input.len() - distinct.len()
    );

    // The tree: parents as received unless orphaned, cut from a cycle or
    // swapped with a browser span that enclosed its parent; depths;
    // effective intervals nested in the parent's.
    for (i, node) in trace.spans.iter().enumerate() {
        let flags = node.flags;
        assert!(node.effective_start_unix_nanos <= node.effective_end_unix_nanos);
        match node.parent {
            Some(p) => {
                let parent = &trace.spans[p];
                assert!(p < i);
                let swapped = flags.encloses_parent
                    || (parent.flags.encloses_parent
                        && parent.span.parent_span_id == Some(node.span.span_id));
                if !swapped {
                    assert_eq!(Some(parent.span.span_id), node.span.parent_span_id);
                }
                assert_eq!(node.depth, parent.depth + 1);
                assert!(parent.children.contains(&i));
                assert!(parent.effective_start_unix_nanos <= node.effective_start_unix_nanos);
                assert!(node.effective_end_unix_nanos <= parent.effective_end_unix_nanos);
                // A server span whose parent was lost stays flagged as an orphan
                // when the page load that enclosed it takes it in.
                assert!((!flags.orphan || swapped) && !flags.cycle_broken);
            }
            None => {
                assert_eq!(node.depth, 0);
                assert!(trace.roots.contains(&i));
                let missing = node
                    .span
                    .parent_span_id
                    .is_some_and(|id| !distinct.contains(&id));
                assert_eq!(flags.orphan, missing);
                if !flags.encloses_parent {
                    assert_eq!(
                        flags.cycle_broken,
                        node.span.parent_span_id.is_some() && !missing
                    );
                }
                assert_eq!(flags.start_clamped_nanos + flags.end_clamped_nanos, 0);
            }
        }
        assert_eq!(
            flags.end_before_start,
            node.span.end_unix_nanos < node.span.start_unix_nanos
        );
    }
    // Pre-order: walking roots and children in order visits 0, 1, 2, …
    let mut visit = Vec::new();
    let mut stack: Vec<usize> = trace.roots.iter().rev().copied().collect();
    while let Some(i) = stack.pop() {
        visit.push(i);
        stack.extend(trace.spans[i].children.iter().rev());
    }
    assert_eq!(visit, (0..trace.spans.len()).collect::<Vec<_>>());

    // The critical path: from the synthetic root, always the candidate
    // ending last (then starting last, then the smaller id), down to a leaf.
    let last = |candidates: &[usize]| {
        candidates.iter().copied().max_by_key(|&i| {
            let n = &trace.spans[i];
            (
                n.effective_end_unix_nanos,
                n.effective_start_unix_nanos,
                Reverse(n.span.span_id),
            )
        })
    };
    let mut expected_path = Vec::new();
    let mut next = last(&trace.roots);
    while let Some(i) = next {
        expected_path.push(trace.spans[i].span.span_id);
        next = last(&trace.spans[i].children);
    }
    assert_eq!(trace.critical_path, expected_path);
    assert!(!trace.critical_path.is_empty());
}

#[test]
fn messy_traces_keep_every_promise() {
    let mut rng = Rng::with_seed(0x6a61_6d73);
    for round in 0..TRACES {
        let spans = messy_trace(&mut rng);
        let trace = assemble(trace_id(), spans.clone()).expect("spans");
        check(&spans, &trace);

        // Shuffled: the very same result.
        let mut shuffled = spans.clone();
        rng.shuffle(&mut shuffled);
        assert_eq!(
            assemble(trace_id(), shuffled),
            Some(trace.clone()),
            "round {round}"
        );
        let mut reversed = spans.clone();
        reversed.reverse();
        assert_eq!(
            assemble(trace_id(), reversed),
            Some(trace.clone()),
            "round {round}"
        );

        // Duplicated (every span twice, some a third time cut short): the
        // same result but for the count of copies dropped.
        let mut doubled = spans.clone();
        doubled.extend(spans.iter().cloned());
        for span in spans
            .iter()
            .filter(|s| s.end_unix_nanos > s.start_unix_nanos + 1)
        {
            let mut partial = span.clone();
            partial.end_unix_nanos -= 1;
            doubled.push(partial);
        }
        rng.shuffle(&mut doubled);
        let mut again = assemble(trace_id(), doubled.clone()).expect("spans");
        check(&doubled, &again);
        again.anomalies.duplicates_dropped = trace.anomalies.duplicates_dropped;
        assert_eq!(again, trace, "round {round}");
    }
}

#[test]
fn generated_traces_keep_every_promise_too() {
    for seed in 0..TRACES {
        let spans = generate(seed).spans;
        let trace = assemble(trace_id(), spans.clone()).expect("spans");
        check(&spans, &trace);
        let mut shuffled = spans;
        Rng::with_seed(seed).shuffle(&mut shuffled);
        assert_eq!(assemble(trace_id(), shuffled), Some(trace), "seed {seed}");
    }
}
