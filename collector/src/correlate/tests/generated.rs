//! Traces from `generator.rs`: `assemble` must find exactly the breakdown
//! and the repairs they were built with.

use super::super::assemble;
use super::generator::generate;
use super::trace_id;

#[test]
fn generated_traces_have_their_constructed_breakdown() {
    for seed in 0..400 {
        let generated = generate(seed);
        let trace = assemble(trace_id(), generated.spans).expect("generated traces have spans");
        assert_eq!(trace.breakdown, generated.expected, "seed {seed}");
        assert_eq!(trace.wall_nanos, generated.wall_nanos, "seed {seed}");
        assert_eq!(trace.breakdown.total(), trace.wall_nanos, "seed {seed}");
        assert_eq!(trace.spans.len(), generated.distinct, "seed {seed}");
        let anomalies = &trace.anomalies;
        assert_eq!(
            anomalies.duplicates_dropped, generated.duplicates,
            "seed {seed}"
        );
        assert_eq!(anomalies.orphans.len(), generated.orphans, "seed {seed}");
        assert_eq!(anomalies.clamped.len(), generated.clamped, "seed {seed}");
        assert_eq!(
            anomalies.ends_before_start.len(),
            generated.ends_before_start,
            "seed {seed}"
        );
        assert!(anomalies.cycles_broken.is_empty(), "seed {seed}");
    }
}

#[test]
fn the_generator_covers_every_shape() {
    // Guards the test above against a generator that silently stopped
    // producing some shape.
    let (mut orphans, mut clamped, mut inverted, mut duplicates, mut gaps) = (0, 0, 0, 0, 0);
    for seed in 0..400 {
        let generated = generate(seed);
        orphans += generated.orphans;
        clamped += generated.clamped;
        inverted += generated.ends_before_start;
        duplicates += generated.duplicates;
        gaps += usize::from(generated.expected.unattributed > 0);
    }
    for (shape, count) in [
        ("orphans", orphans),
        ("clamped", clamped),
        ("ends before start", inverted),
        ("duplicates", duplicates),
        ("gaps", gaps),
    ] {
        assert!(count > 20, "only {count} {shape}");
    }
}
