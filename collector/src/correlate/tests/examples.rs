//! Hand-worked traces; each expected value is derived in a comment. Times
//! are in ms after `BASE`; intervals are half-open.

use super::super::{assemble, nanos_to_ms, summary, AssembledTrace, Clamp, LayerNanos, Part};
use super::{sid, span, trace_id, SpanTiming, MS};
use crate::model::Layer::{Browser, Cdn, Cms, Function, Gateway};

fn run(spans: Vec<SpanTiming>) -> AssembledTrace {
    assemble(trace_id(), spans).expect("a trace with spans")
}

fn ms(
    browser: u64,
    cdn: u64,
    gateway: u64,
    cms: u64,
    function: u64,
    unattributed: u64,
) -> LayerNanos {
    LayerNanos {
        browser: browser * MS,
        cdn: cdn * MS,
        gateway: gateway * MS,
        cms: cms * MS,
        function: function * MS,
        other: 0,
        unattributed: unattributed * MS,
    }
}

fn ids(path: &[u64]) -> Vec<crate::model::SpanId> {
    path.iter().map(|&n| sid(n)).collect()
}

/// browser 0–245 ⊃ cdn 50–215 ⊃ gateway 80–200 ⊃ cms 100–145.
fn nested() -> Vec<SpanTiming> {
    vec![
        span(1, None, Browser, 0, 245),
        span(2, Some(1), Cdn, 50, 215),
        span(3, Some(2), Gateway, 80, 200),
        span(4, Some(3), Cms, 100, 145),
    ]
}

#[test]
fn no_spans_is_no_trace() {
    assert_eq!(assemble(trace_id(), Vec::new()), None);
}

#[test]
fn nested_layers_each_keep_what_their_child_does_not_cover() {
    // browser: [0,50) + [215,245) = 50 + 30 = 80
    // cdn:     [50,80) + [200,215) = 30 + 15 = 45
    // gateway: [80,100) + [145,200) = 20 + 55 = 75
    // cms:     [100,145) = 45;  80 + 45 + 75 + 45 = 245 = wall
    let trace = run(nested());
    assert_eq!(trace.breakdown, ms(80, 45, 75, 45, 0, 0));
    assert_eq!(trace.wall_nanos, 245 * MS);
    assert_eq!(trace.breakdown.total(), trace.wall_nanos);
    // Inclusive: each layer's own span, whole.
    assert_eq!(trace.inclusive, ms(245, 165, 120, 45, 0, 0));
    assert_eq!(trace.critical_path, ids(&[1, 2, 3, 4]));
    assert_eq!(trace.roots, vec![0]);
    let depths: Vec<usize> = trace.spans.iter().map(|node| node.depth).collect();
    assert_eq!(depths, vec![0, 1, 2, 3]);
    assert!(trace.anomalies.is_empty());
    assert_eq!(
        summary(&trace.breakdown),
        "browser 80 ms · cdn 45 ms · gateway 75 ms · cms 45 ms · total 245 ms"
    );
}

#[test]
fn the_domain_example_adds_up_to_its_numbers() {
    // browser 0–245 ⊃ cdn 25–220 ⊃ gateway 40–205 ⊃ cms 100–145:
    // browser [0,25) + [220,245) = 50;  cdn [25,40) + [205,220) = 30;
    // gateway [40,100) + [145,205) = 120;  cms [100,145) = 45;  total 245.
    let trace = run(vec![
        span(4, Some(3), Cms, 100, 145),
        span(2, Some(1), Cdn, 25, 220),
        span(1, None, Browser, 0, 245),
        span(3, Some(2), Gateway, 40, 205),
    ]);
    assert_eq!(trace.breakdown, ms(50, 30, 120, 45, 0, 0));
    assert_eq!(trace.breakdown.ms(Part::Layer(Gateway)), 120.0);
    assert_eq!(nanos_to_ms(trace.wall_nanos), 245.0);
    assert_eq!(
        summary(&trace.breakdown),
        "browser 50 ms · cdn 30 ms · gateway 120 ms · cms 45 ms · total 245 ms"
    );
}

#[test]
fn overlapping_siblings_hand_over_to_the_later_starting_one() {
    // gateway 0–100 with children cms 10–60 and function 40–90 (same depth).
    // [0,10) gateway; [10,40) cms; [40,90) function (started later, so it
    // wins the overlap [40,60)); [90,100) gateway.
    let trace = run(vec![
        span(1, None, Gateway, 0, 100),
        span(3, Some(1), Function, 40, 90),
        span(2, Some(1), Cms, 10, 60),
    ]);
    assert_eq!(trace.breakdown, ms(0, 0, 20, 30, 50, 0));
    // Inclusive counts the overlap for both layers.
    assert_eq!(trace.inclusive, ms(0, 0, 100, 50, 50, 0));
    // The gateway waited on function (ends at 90, cms at 60).
    assert_eq!(trace.critical_path, ids(&[1, 3]));
}

#[test]
fn identical_siblings_go_to_the_smaller_span_id() {
    // cms 5 and function 6 both 10–60 under gateway 0–100: same depth, same
    // start, so span id 5 wins: cms 50, gateway 10 + 40 = 50, function 0.
    let trace = run(vec![
        span(1, None, Gateway, 0, 100),
        span(6, Some(1), Function, 10, 60),
        span(5, Some(1), Cms, 10, 60),
    ]);
    assert_eq!(trace.breakdown, ms(0, 0, 50, 50, 0, 0));
    // Same end and start: the critical path breaks the tie the same way.
    assert_eq!(trace.critical_path, ids(&[1, 5]));
}

#[test]
fn a_gap_between_top_level_spans_is_unattributed() {
    // browser 0–100, then a second root (a late beacon) 150–170: the gap
    // [100,150) = 50 is covered by no span. Wall 170 = 100 + 20 + 50.
    let trace = run(vec![
        span(2, None, Browser, 150, 170),
        span(1, None, Browser, 0, 100),
    ]);
    assert_eq!(trace.breakdown, ms(120, 0, 0, 0, 0, 50));
    assert_eq!(trace.inclusive, ms(120, 0, 0, 0, 0, 50));
    assert_eq!(trace.roots, vec![0, 1]);
    // The synthetic root waited on the top-level span that ended last.
    assert_eq!(trace.critical_path, ids(&[2]));
    assert_eq!(
        summary(&trace.breakdown),
        "browser 120 ms · unattributed 50 ms · total 170 ms"
    );
}

#[test]
fn skewed_children_are_clamped_into_their_parent_and_flagged() {
    // browser 100–200.
    // cdn 80–150 starts 20 early  → 100–150 (start clamped 20).
    // gateway 60–90 under cdn lies wholly before cdn's effective 100–150
    //   → 100–100, zero-length (start moved 40, end moved 10).
    // cms 170–230 ends 30 late    → 170–200 (end clamped 30).
    // Wall is the root's 100–200 = 100: cdn [100,150) = 50,
    // browser [150,170) = 20, cms [170,200) = 30.
    let trace = run(vec![
        span(1, None, Browser, 100, 200),
        span(2, Some(1), Cdn, 80, 150),
        span(3, Some(2), Gateway, 60, 90),
        span(4, Some(1), Cms, 170, 230),
    ]);
    assert_eq!(trace.wall_nanos, 100 * MS);
    assert_eq!(trace.breakdown, ms(20, 50, 0, 30, 0, 0));
    let clamp = |id, start, end| Clamp {
        span_id: sid(id),
        start_clamped_nanos: start * MS,
        end_clamped_nanos: end * MS,
    };
    assert_eq!(
        trace.anomalies.clamped,
        vec![clamp(2, 20, 0), clamp(3, 40, 10), clamp(4, 0, 30)]
    );
    let gateway = &trace.spans[2];
    assert_eq!(
        gateway.effective_start_unix_nanos,
        gateway.effective_end_unix_nanos
    );
    // Raw times are kept as received.
    assert_eq!(gateway.span, span(3, Some(2), Gateway, 60, 90));
    // The root waited on cms (effective end 200), not cdn (150).
    assert_eq!(trace.critical_path, ids(&[1, 4]));
}

#[test]
fn a_span_ending_before_it_starts_is_zero_length_and_flagged() {
    // cdn 50→40 under browser 0–100 counts as 50–50: browser keeps all 100.
    let trace = run(vec![
        span(1, None, Browser, 0, 100),
        span(2, Some(1), Cdn, 50, 40),
    ]);
    assert_eq!(trace.breakdown, ms(100, 0, 0, 0, 0, 0));
    assert_eq!(trace.anomalies.ends_before_start, ids(&[2]));
    assert!(trace.spans[1].flags.end_before_start);
    assert_eq!(
        trace.spans[1].effective_end_unix_nanos,
        trace.spans[1].effective_start_unix_nanos
    );

    // Alone, it makes a trace of zero wall time, never a negative one.
    let lone = run(vec![span(7, None, Cms, 10, 5)]);
    assert_eq!(lone.wall_nanos, 0);
    assert_eq!(lone.breakdown, LayerNanos::default());
    assert_eq!(lone.critical_path, ids(&[7]));
    assert_eq!(summary(&lone.breakdown), "total 0 ms");
}

#[test]
fn zero_length_spans_widen_the_wall_with_unattributed_time() {
    // browser 10–20 between two zero-length top-level marks at 0 and 30:
    // the wall is 0–30, and [0,10) + [20,30) = 20 is covered by no span.
    let trace = run(vec![
        span(2, None, Cdn, 30, 30),
        span(1, None, Browser, 10, 20),
        span(3, None, Cdn, 0, 0),
    ]);
    assert_eq!(trace.wall_nanos, 30 * MS);
    assert_eq!(trace.breakdown, ms(10, 0, 0, 0, 0, 20));
    assert_eq!(trace.critical_path, ids(&[2]));
}

#[test]
fn cycles_are_broken_at_their_earliest_span() {
    // a(1) 10–50 ⇄ b(2) 20–40 form a cycle; d(4) 25–30 hangs off b;
    // c(3) 0–5 is its own parent. Each cycle loses the parent link of its
    // earliest span: a and c become top-level, so the tree is
    //   c(0–5) ; a(10–50) → b(20–40) → d(25–30)
    // cms c [0,5) = 5; nothing [5,10) = 5; browser a [10,20)+[40,50) = 20;
    // cdn b [20,25)+[30,40) = 15; gateway d [25,30) = 5; total 50.
    let trace = run(vec![
        span(2, Some(1), Cdn, 20, 40),
        span(1, Some(2), Browser, 10, 50),
        span(4, Some(2), Gateway, 25, 30),
        span(3, Some(3), Cms, 0, 5),
    ]);
    assert_eq!(trace.breakdown, ms(20, 15, 5, 5, 0, 5));
    assert_eq!(trace.anomalies.cycles_broken, ids(&[3, 1]));
    let order: Vec<_> = trace
        .spans
        .iter()
        .map(|node| (node.span.span_id, node.depth))
        .collect();
    assert_eq!(
        order,
        vec![(sid(3), 0), (sid(1), 0), (sid(2), 1), (sid(4), 2)]
    );
    assert_eq!(trace.critical_path, ids(&[1, 2, 4]));

    // A longer cycle, 1 → 3 → 2 → 1, all starting together: the smallest
    // id is cut loose.
    let ring = run(vec![
        span(1, Some(3), Cdn, 0, 10),
        span(3, Some(2), Cdn, 0, 10),
        span(2, Some(1), Cdn, 0, 10),
    ]);
    assert_eq!(ring.anomalies.cycles_broken, ids(&[1]));
    assert_eq!(ring.spans.len(), 3);
}

#[test]
fn an_orphan_sits_under_the_synthetic_root_and_is_never_dropped() {
    // browser 1 0–100; cms 9 20–40 names parent 77, which is not in the
    // trace; gateway 10 25–35 is the orphan's child. The orphan is top-level
    // (depth 0) like the browser root; it starts later, so it wins their
    // overlap, except where its own child (depth 1) is deeper:
    // browser [0,20)+[40,100) = 80; cms [20,25)+[35,40) = 10; gateway 10.
    let trace = run(vec![
        span(10, Some(9), Gateway, 25, 35),
        span(1, None, Browser, 0, 100),
        span(9, Some(77), Cms, 20, 40),
    ]);
    assert_eq!(trace.breakdown, ms(80, 0, 10, 10, 0, 0));
    assert_eq!(trace.anomalies.orphans, ids(&[9]));
    assert!(trace.spans[1].flags.orphan);
    assert_eq!(trace.spans[1].parent, None);
    assert_eq!(trace.roots, vec![0, 1]);
    // The root ends last (100 against 40), so the path is the root alone.
    assert_eq!(trace.critical_path, ids(&[1]));

    // An orphan ending after the root (its parent lost) is what the trace
    // waited on last, so the path starts there.
    let late = run(vec![
        span(1, None, Browser, 0, 100),
        span(20, Some(88), Cms, 90, 130),
    ]);
    assert_eq!(late.critical_path, ids(&[20]));
    assert_eq!(late.wall_nanos, 130 * MS);
}

#[test]
fn duplicates_count_once_keeping_the_longest_copy() {
    // cdn 2 arrives three times: whole, identical, and a partial 50–100
    // copy. The whole one is kept, so the result is the nested example's.
    let mut spans = nested();
    spans.push(span(2, Some(1), Cdn, 50, 215));
    spans.push(span(2, Some(1), Cdn, 50, 100));
    spans.reverse();
    let mut trace = run(spans);
    assert_eq!(trace.anomalies.duplicates_dropped, 2);
    trace.anomalies.duplicates_dropped = 0;
    assert_eq!(trace, run(nested()));
}

#[test]
fn the_critical_path_follows_the_child_that_ends_last() {
    // The nested example plus function 150–190 under gateway: the gateway
    // waited on function (190) rather than cms (145).
    let mut spans = nested();
    spans.push(span(5, Some(3), Function, 150, 190));
    assert_eq!(run(spans).critical_path, ids(&[1, 2, 3, 5]));
}

#[test]
fn summary_rounds_each_number_on_its_own() {
    // 1.499999 → 1, 0.5 → 1 (halves up), 0.25 → 0 but shown (non-zero);
    // the total 2.249999 → 2 is rounded from the exact sum, not from the
    // shown parts (1 + 1 + 0).
    let breakdown = LayerNanos {
        browser: 1_499_999,
        cdn: 500_000,
        cms: 250_000,
        ..LayerNanos::default()
    };
    assert_eq!(
        summary(&breakdown),
        "browser 1 ms · cdn 1 ms · cms 0 ms · total 2 ms"
    );
}

#[test]
fn serializes_ids_as_hex_and_all_seven_parts_in_order() {
    let trace = run(nested());
    let json = serde_json::to_string(&trace).expect("serializable");
    assert!(json.contains(r#""trace_id":"4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b""#));
    assert!(json.contains(r#""critical_path":["0000000000000001","0000000000000002","0000000000000003","0000000000000004"]"#));
    assert!(json.contains(r#""parent_span_id":null"#));
    assert!(json.contains(&format!(
        r#""breakdown":{{"browser":{},"cdn":{},"gateway":{},"cms":{},"function":0,"other":0,"unattributed":0}}"#,
        80 * MS,
        45 * MS,
        75 * MS,
        45 * MS
    )));
    assert!(json.contains(r#""layer":"browser""#));
}

#[test]
fn a_very_deep_chain_neither_recurses_nor_hangs() {
    // 100 000 spans, each the parent of the next, given leaf first; then
    // the same closed into one big cycle. Neither may overflow the stack.
    let depth = 100_000u64;
    let chain: Vec<SpanTiming> = (1..=depth)
        .rev()
        .map(|n| span(n, (n > 1).then(|| n - 1), Cdn, n, 2 * depth + 1 - n))
        .collect();
    let trace = run(chain.clone());
    assert_eq!(
        trace.spans.last().map(|node| node.depth),
        Some(depth as usize - 1)
    );
    assert_eq!(trace.critical_path.len(), depth as usize);
    assert_eq!(trace.breakdown.total(), trace.wall_nanos);

    let mut ring = chain;
    if let Some(first) = ring.iter_mut().find(|s| s.span_id == sid(1)) {
        first.parent_span_id = Some(sid(depth));
    }
    let trace = run(ring);
    assert_eq!(trace.anomalies.cycles_broken, ids(&[1]));
    assert_eq!(trace.spans.len(), depth as usize);
}

#[test]
fn a_page_load_enclosing_its_server_parent_takes_its_place() {
    // cdn 10–20 sent the HTML; the page load 0–100 names it as parent
    // (meta traceparent) but encloses it: it becomes the root, cdn its
    // child. Wall 0–100: cdn [10,20) = 10, browser the other 90.
    let trace = run(vec![
        span(1, None, Cdn, 10, 20),
        span(2, Some(1), Browser, 0, 100),
    ]);
    assert_eq!(trace.wall_nanos, 100 * MS);
    assert_eq!(trace.breakdown, ms(90, 10, 0, 0, 0, 0));
    assert!(trace.anomalies.clamped.is_empty());
    let root = &trace.spans[trace.roots[0]];
    assert_eq!(root.span.span_id, sid(2));
    assert!(root.flags.encloses_parent);
    // A browser child inside its parent is an ordinary child.
    let nested = run(vec![
        span(1, None, Cdn, 0, 100),
        span(2, Some(1), Browser, 10, 20),
    ]);
    assert_eq!(nested.roots.len(), 1);
    assert_eq!(nested.spans[nested.roots[0]].span.span_id, sid(1));
}
