//! What spans instances and reloads: the series bound, deltas exchanged
//! between two instances, peer deltas that do not fit, rule reloads.

use super::*;
use crate::alert::window::hist::Dist;

#[test]
fn series_beyond_the_bound_are_not_created_but_counted() {
    let rules = rule_set(&[("Err", "metric: error_rate; window: 1m; group_by: [service]")]);
    let mut w = Windows::new(&rules, &KpiSettings::default(), 2);
    let services = ["a", "b", "c", "c", "d", "a"];
    let spans: Vec<Span> = services
        .iter()
        .zip(0..)
        .map(|(s, n)| span(n, s, NOW, 10))
        .collect();
    w.record_spans(&spans, NOW);
    assert_eq!((w.series_count(), w.dropped_series()), (2, 3));
    let seen_services: Vec<String> = seen(&w.observations(NOW))
        .into_iter()
        .map(|o| o.0)
        .collect();
    assert_eq!(seen_services, ["a", "b"]);
    // Once the window has passed, the series go and new ones fit.
    assert!(w.observations(NOW + 62_000).is_empty());
    w.record_spans(&[span(9, "d", NOW + 62_000, 10)], NOW + 62_000);
    assert_eq!((w.series_count(), w.dropped_series()), (1, 3));
}

const EVERY_KIND: &[(&str, &str)] = &[
    ("Err", "metric: error_rate; window: 1m; group_by: [service]"),
    (
        "Slow",
        "metric: p99_duration; window: 1m; group_by: [service, route]",
    ),
    (
        "Rate",
        "metric: request_rate; window: 1m; group_by: [layer]",
    ),
    ("Cache", "metric: cache_hit_ratio; window: 1m"),
    ("Pool", "metric: attribute; attribute: db.pool; window: 1m"),
    (
        "Lcp",
        "metric: vital_p75; vital: LCP; window: 1m; group_by: [page]",
    ),
];

/// One second of mixed traffic: every span and vital is distinct.
fn traffic(second: i64) -> (Vec<Span>, Vec<RumRecord<Vital>>) {
    let at = NOW + second * 1000;
    let base = u64::try_from(second).unwrap() * 1000;
    let spans = durations(300)
        .into_iter()
        .zip(0..300u64)
        .map(|(us, i)| {
            let services = ["api", "cms", "web"];
            let mut s = span(
                base + i,
                services[(i % 3) as usize],
                at - 300 + i as i64,
                us + base,
            );
            if i % 17 == 0 {
                s.status.code = StatusCode::Error;
            }
            let s = with(s, "http.route", text(["/a", "/b"][(i % 2) as usize]));
            let s = with(
                s,
                "cdn.cache_status",
                text(["hit", "MISS", "stale"][(i % 3) as usize]),
            );
            with(s, "db.pool", AttributeValue::Int((i % 50) as i64))
        })
        .collect();
    let vitals = (0..50u64)
        .map(|i| {
            let value = ((base + i * 37) % 5000) as f64 + 0.5;
            let trace = (i % 5 == 0).then_some(base + i);
            vital(
                MetricName::Lcp,
                value,
                "",
                ["/", "/x"][(i % 2) as usize],
                trace,
            )
        })
        .collect();
    (spans, vitals)
}

fn halves<T: Clone>(items: &[T]) -> (Vec<T>, Vec<T>) {
    let (even, odd): (Vec<_>, Vec<_>) = items
        .iter()
        .cloned()
        .enumerate()
        .partition(|(i, _)| i % 2 == 0);
    (
        even.into_iter().map(|p| p.1).collect(),
        odd.into_iter().map(|p| p.1).collect(),
    )
}

#[test]
fn two_instances_exchanging_deltas_see_what_one_instance_sees() {
    let new = || windows(EVERY_KIND);
    let (mut one, mut a, mut b) = (new(), new(), new());
    for second in 0..6 {
        let now = NOW + second * 1000 + 500;
        let (spans, vitals) = traffic(second);
        one.record_spans(&spans, now);
        one.record_vitals(&vitals, now);
        let ((spans_a, spans_b), (vitals_a, vitals_b)) = (halves(&spans), halves(&vitals));
        a.record_spans(&spans_a, now);
        a.record_vitals(&vitals_a, now);
        b.record_spans(&spans_b, now);
        b.record_vitals(&vitals_b, now);
        // Through JSON, as a stand-in for the ClickHouse round trip.
        for delta in a.take_local_delta() {
            let json = serde_json::to_string(&delta).unwrap();
            b.merge_peer_delta(&serde_json::from_str(&json).unwrap());
        }
        assert!(!b.take_local_delta().is_empty());
        let expected = one.observations(now);
        assert_eq!(expected.len(), 3 + 6 + 1 + 1 + 1 + 2);
        assert_eq!(b.observations(now), expected);
    }
    assert!(a.take_local_delta().is_empty());
}

#[test]
fn peer_deltas_are_aligned_and_old_or_unknown_ones_ignored() {
    let mut w = windows(&[("Err", "metric: error_rate; window: 1m; group_by: [service]")]);
    w.observations(NOW);
    let delta = |rule: &str, start: i64, errors: u64| SeriesDelta {
        rule: rule.into(),
        labels: [("service", "api"), ("extra", "x")]
            .map(|(k, v)| (k.into(), v.into()))
            .into(),
        bucket_start_millis: start,
        requests: 10,
        errors,
        cache_lookups: 0,
        cache_hits: 0,
        value_sum: 0.0,
        value_count: 0,
        histogram: Some(vec![1, 2, 3]),
        example_trace_id: Some("not hex".into()),
        example_value: Some(1.0),
    };
    w.merge_peer_delta(&delta("Unknown", NOW, 5));
    w.merge_peer_delta(&delta("Err", NOW - 62_000, 5));
    w.merge_peer_delta(&delta("Err", NOW + 250, 1));
    w.merge_peer_delta(&delta("Err", NOW - 30_000, 1));
    let observations = w.observations(NOW + 500);
    assert_eq!(seen(&observations), vec![("api".into(), Some(10.0), None)]);
    assert_eq!(observations[0].labels.len(), 1);
    // NOW + 250 counted in the bucket starting at NOW, which leaves now.
    assert!(w.observations(NOW + 61_000).is_empty());
}

#[test]
fn histogram_bytes_round_trip_and_anything_else_is_refused() {
    let mut dist = Dist::default();
    for value in durations(500) {
        dist.record(value, 1);
    }
    let bytes = dist.to_v2().unwrap();
    let mut counts = (Vec::new(), Vec::new());
    dist.for_each(|v, c| counts.0.push((v, c)));
    Dist::from_v2(&bytes)
        .unwrap()
        .for_each(|v, c| counts.1.push((v, c)));
    assert_eq!(counts.0, counts.1);
    assert!(Dist::from_v2(&bytes[..bytes.len() - 1]).is_none());
    assert!(Dist::from_v2(&[0x1c, 0x84, 0x93, 0x13, 0xff, 0xff, 0xff, 0xff]).is_none());
    assert!(Dist::from_v2(&[]).is_none());
}

#[test]
fn reloading_rules_keeps_the_data_of_unchanged_ones() {
    let err = ("Err", "metric: error_rate; window: 1m; group_by: [service]");
    let mut w = windows(&[err, ("Slow", "metric: p95_duration; window: 1m")]);
    let mut failed = span(1, "api", NOW, 1000);
    failed.status.code = StatusCode::Error;
    w.record_spans(&[failed, span(2, "api", NOW, 3000)], NOW);
    assert_eq!(w.series_count(), 2);
    let slow = ("Slow", "metric: p95_duration; window: 2m");
    w.replace_rules(&rule_set(&[
        ("New", "metric: request_rate; window: 1m"),
        slow,
        err,
    ]));
    assert_eq!(w.series_count(), 1);
    assert_eq!(
        seen(&w.observations(NOW)),
        vec![("api".into(), Some(50.0), Some(trace(1).to_string()))]
    );
    // The new and the changed rule count from the reload on.
    w.record_spans(&[span(3, "api", NOW, 2000)], NOW);
    let observations = w.observations(NOW);
    let rules: Vec<&str> = observations.iter().map(|o| o.rule.as_str()).collect();
    assert_eq!(rules, ["New", "Slow", "Err"]);
    assert_eq!(observations[0].value, Some(1.0 / 60.0));
    assert!(close(observations[1].value, 2.0));
    assert_eq!(observations[2].value, Some(1.0 / 3.0 * 100.0));
}
