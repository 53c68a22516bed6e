//! Percentiles from histograms: span durations and Web Vitals.

use super::*;

#[test]
fn p95_from_the_histogram_is_within_one_percent_of_the_exact_value() {
    let mut w = windows(&[
        ("Slow", "metric: p95_duration; window: 5m"),
        ("Median", "metric: p50_duration; window: 5m"),
    ]);
    let micros = durations(5000);
    // Over several buckets: lists, histograms, compaction all take part.
    for (chunk, at) in micros.chunks(700).zip((0..).map(|s: i64| NOW + s * 10_000)) {
        let spans: Vec<Span> = chunk
            .iter()
            .zip(0..)
            .map(|(&us, n)| span(us * 10 + n % 10, "a", at, us))
            .collect();
        w.record_spans(&spans, at);
    }
    let mut sorted = micros.clone();
    sorted.sort_unstable();
    let exact = |q: f64| sorted[(q * sorted.len() as f64).ceil() as usize - 1] as f64 / 1000.0;
    let observations = w.observations(NOW + 70_000);
    assert!(
        close(observations[0].value, exact(0.95)),
        "{observations:?}"
    );
    assert!(close(observations[1].value, exact(0.5)), "{observations:?}");
    let slowest = micros
        .iter()
        .zip(0..)
        .max()
        .map(|(&us, n)| trace(us * 10 + (n % 700) % 10));
    assert_eq!(
        observations[0].example_trace_id,
        slowest.map(|t| t.to_string())
    );
}

#[test]
fn vital_p75_per_page_keeps_cls_precision() {
    let mut w = windows(&[
        (
            "Lcp",
            "metric: vital_p75; vital: LCP; window: 1h; group_by: [page]",
        ),
        ("Cls", "metric: vital_p75; vital: CLS; window: 1h"),
    ]);
    let mut vitals: Vec<_> = (1..=100u64)
        .map(|i| {
            vital(
                MetricName::Lcp,
                i as f64 * 100.0,
                "/products/:id",
                "/products/7",
                Some(i % 3),
            )
        })
        .collect();
    vitals.push(vital(
        MetricName::Lcp,
        10_000.0,
        "/products/:id",
        "/products/8",
        None,
    ));
    vitals.push(vital(MetricName::Lcp, 1200.0, "", "/about", None));
    vitals.extend((1..=20).map(|i| vital(MetricName::Cls, f64::from(i) * 0.01, "", "/", None)));
    vitals.push(vital(MetricName::Inp, 5000.0, "", "/about", Some(5)));
    w.record_vitals(&vitals, NOW);
    let observations = seen(&w.observations(NOW));
    assert_eq!(observations[0].0, "/about");
    assert!(close(observations[0].1, 1200.0), "{observations:?}");
    assert_eq!(observations[1].0, "/products/:id");
    assert!(close(observations[1].1, 7600.0), "{observations:?}");
    // The worst value that has a trace: 10 s had none, 100 × 100 ms has.
    assert_eq!(observations[1].2, Some(trace(1).to_string()));
    assert!(close(observations[2].1, 0.15), "{observations:?}");
}
