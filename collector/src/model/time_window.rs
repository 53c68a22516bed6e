//! Which span (and log record) times can be stored. A record outside the
//! window is refused before it is acknowledged: ClickHouse would reject its row for good (a
//! `DateTime64(9)` overflow in the trace index, an INSERT touching more
//! partitions than allowed), or expire it at once (older than retention).
//! The decision lives here, per field, so every receiver answers alike.

use super::Span;

/// The oldest and newest instant a stored span may touch, in Unix ns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeWindow {
    pub oldest_unix_nanos: u64,
    pub newest_unix_nanos: u64,
}

/// The last instant `DateTime64(9)` holds (2262-04-11): its value is an Int64.
pub const LATEST_STORABLE_NANOS: u64 = i64::MAX as u64;

impl TimeWindow {
    /// Every time storage can hold; for tests and benchmarks of decoding.
    pub const UNBOUNDED: TimeWindow = TimeWindow {
        oldest_unix_nanos: 0,
        newest_unix_nanos: LATEST_STORABLE_NANOS,
    };

    /// The window around `now`: no older than `max_age`, no further ahead
    /// than `max_ahead` (clocks drift; a little future is normal).
    pub fn around(now_unix_nanos: u64, max_age_nanos: u64, max_ahead_nanos: u64) -> Self {
        Self {
            oldest_unix_nanos: now_unix_nanos.saturating_sub(max_age_nanos),
            newest_unix_nanos: now_unix_nanos
                .saturating_add(max_ahead_nanos)
                .min(LATEST_STORABLE_NANOS),
        }
    }

    /// Why the instant `unix_nanos` cannot be stored (older than retention,
    /// or too far ahead); `None` when it can. A record with one time (a log
    /// record) needs nothing more.
    pub fn problem(&self, unix_nanos: u64) -> Option<String> {
        if unix_nanos < self.oldest_unix_nanos {
            return Some(format!(
                "is older than the retention window (earliest accepted: {})",
                self.oldest_unix_nanos
            ));
        }
        if unix_nanos > self.newest_unix_nanos {
            return Some(format!(
                "is too far in the future (latest accepted: {})",
                self.newest_unix_nanos
            ));
        }
        None
    }

    /// Why `span`'s times cannot be stored, naming the OTLP field; `None`
    /// when they can.
    pub fn check(&self, span: &Span) -> Option<String> {
        let field = |name: &str, value: u64, problem: &str| {
            Some(format!(
                "span '{}': {name} {value} {problem}",
                span.name.chars().take(100).collect::<String>()
            ))
        };
        let (start, end) = (span.start_unix_nanos, span.end_unix_nanos);
        if let Some(problem) = self.problem(start) {
            return field("start_time_unix_nano", start, &problem);
        }
        if end < start {
            return field(
                "end_time_unix_nano",
                end,
                &format!("is before start_time_unix_nano {start}"),
            );
        }
        // Not older than the start, so only too far ahead can be wrong.
        if let Some(problem) = self.problem(end) {
            return field("end_time_unix_nano", end, &problem);
        }
        span.events
            .iter()
            .position(|event| event.time_unix_nanos > LATEST_STORABLE_NANOS)
            .and_then(|i| {
                field(
                    &format!("events[{i}].time_unix_nano"),
                    span.events[i].time_unix_nanos,
                    "is past the last storable instant (year 2262)",
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Event;

    const NOW: u64 = 1_763_900_000_000_000_000;
    const HOUR: u64 = 3_600_000_000_000;

    fn span(start: u64, end: u64) -> Span {
        Span::for_tests(start, end)
    }

    fn window() -> TimeWindow {
        TimeWindow::around(NOW, 30 * 24 * HOUR, HOUR)
    }

    #[test]
    fn ordinary_spans_pass() {
        assert_eq!(window().check(&span(NOW - HOUR, NOW - HOUR + 5)), None);
        assert_eq!(window().check(&span(NOW, NOW)), None);
        assert_eq!(window().check(&span(NOW + HOUR, NOW + HOUR)), None);
    }

    #[test]
    fn each_bad_time_names_its_field() {
        let reason = |s: Span| window().check(&s).expect("refused");
        assert!(reason(span(NOW, u64::MAX)).contains("end_time_unix_nano 18446744073709551615"));
        // Year 2300.
        assert!(
            reason(span(10_413_792_000_000_000_000, 10_413_792_000_000_000_001))
                .contains("start_time_unix_nano 10413792000000000000 is too far in the future")
        );
        assert!(reason(span(NOW - 31 * 24 * HOUR, NOW)).contains("older than the retention"));
        assert!(reason(span(NOW, NOW - 1)).contains("is before start_time_unix_nano"));
        assert!(reason(span(0, 0)).contains("start_time_unix_nano 0"));
        let mut with_event = span(NOW, NOW + 1);
        with_event.events.push(Event {
            time_unix_nanos: u64::MAX,
            name: "e".into(),
            attributes: Vec::new(),
        });
        assert!(reason(with_event).contains("events[0].time_unix_nano"));
    }

    #[test]
    fn the_window_never_reaches_past_what_storage_holds() {
        let w = TimeWindow::around(u64::MAX - 5, 10, u64::MAX);
        assert_eq!(w.newest_unix_nanos, LATEST_STORABLE_NANOS);
    }
}
