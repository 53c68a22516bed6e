//! What became of each record a receiver got: which signal it belongs to
//! and, when it was not stored, why. Decided where the rejection is
//! decided (conversion, beacon decoding, the queue) and counted by
//! `telemetry` under these names.

use crate::pipeline::SubmitError;

/// The kind of record, one per table a receiver feeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Signal {
    Spans,
    RumVitals,
    RumErrors,
    RumPageViews,
    /// A beacon event whose type could not be told (not an object, no or
    /// an unknown `type`): rejected before it belongs to a table.
    RumUnknown,
    LogRecords,
    /// OTLP metric data points, of every kind (one table per kind).
    MetricPoints,
}

impl Signal {
    pub const ALL: [Signal; 7] = [
        Signal::Spans,
        Signal::RumVitals,
        Signal::RumErrors,
        Signal::RumPageViews,
        Signal::RumUnknown,
        Signal::LogRecords,
        Signal::MetricPoints,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Signal::Spans => "spans",
            Signal::RumVitals => "rum_vitals",
            Signal::RumErrors => "rum_errors",
            Signal::RumPageViews => "rum_page_views",
            Signal::RumUnknown => "rum_unknown",
            Signal::LogRecords => "log_records",
            Signal::MetricPoints => "metric_points",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Why a record was not stored. A small fixed set, so it can be a metric
/// label; the message told to the sender carries the detail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RejectReason {
    /// A span's (or log record's) trace, span or parent id is malformed.
    InvalidId,
    /// A span's (or log record's) times are outside what storage keeps.
    TimeWindow,
    /// An event that is not the expected JSON shape (missing or mistyped
    /// fields, not an object).
    Malformed,
    /// A well-formed event with a value that cannot be right (unknown
    /// metric or event type, out of range, empty id or message), a span
    /// whose kind or status code is outside OTLP's enum, or a log record's
    /// severity number outside OTLP's.
    InvalidValue,
    /// Events past `rum.max_events_per_batch` in one request.
    BatchLimit,
    /// The write queue stayed full for `ingest.queue_wait_ms`.
    QueueFull,
    /// ClickHouse is behind and the disk spool has no room either.
    SpoolFull,
    /// Shutting down, or durable mode could not write to the spool.
    Unavailable,
}

impl RejectReason {
    pub const ALL: [RejectReason; 8] = [
        RejectReason::InvalidId,
        RejectReason::TimeWindow,
        RejectReason::Malformed,
        RejectReason::InvalidValue,
        RejectReason::BatchLimit,
        RejectReason::QueueFull,
        RejectReason::SpoolFull,
        RejectReason::Unavailable,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RejectReason::InvalidId => "invalid_id",
            RejectReason::TimeWindow => "time_window",
            RejectReason::Malformed => "malformed",
            RejectReason::InvalidValue => "invalid_value",
            RejectReason::BatchLimit => "batch_limit",
            RejectReason::QueueFull => "queue_full",
            RejectReason::SpoolFull => "spool_full",
            RejectReason::Unavailable => "unavailable",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl From<&SubmitError> for RejectReason {
    fn from(error: &SubmitError) -> Self {
        match error {
            SubmitError::Full { .. } => RejectReason::QueueFull,
            SubmitError::SpoolFull(_) => RejectReason::SpoolFull,
            SubmitError::Closed | SubmitError::SpoolFailed(_) => RejectReason::Unavailable,
        }
    }
}

/// Rejected records of one request, counted by signal and reason.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Rejections {
    counts: [[u64; RejectReason::ALL.len()]; Signal::ALL.len()],
}

impl Rejections {
    pub fn add(&mut self, signal: Signal, reason: RejectReason, count: u64) {
        self.counts[signal.index()][reason.index()] += count;
    }

    pub fn total(&self) -> u64 {
        self.counts.iter().flatten().sum()
    }

    pub fn count(&self, signal: Signal, reason: RejectReason) -> u64 {
        self.counts[signal.index()][reason.index()]
    }

    /// Every rejection of `signal`, whatever the reason.
    pub fn of(&self, signal: Signal) -> u64 {
        self.counts[signal.index()].iter().sum()
    }

    /// Every (signal, reason) with at least one rejection.
    pub fn iter(&self) -> impl Iterator<Item = (Signal, RejectReason, u64)> + '_ {
        Signal::ALL.into_iter().flat_map(move |signal| {
            RejectReason::ALL.into_iter().filter_map(move |reason| {
                let count = self.count(signal, reason);
                (count > 0).then_some((signal, reason, count))
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejections_add_up_by_signal_and_reason() {
        let mut rejections = Rejections::default();
        rejections.add(Signal::Spans, RejectReason::InvalidId, 2);
        rejections.add(Signal::Spans, RejectReason::InvalidId, 1);
        rejections.add(Signal::RumUnknown, RejectReason::Malformed, 4);
        assert_eq!(rejections.total(), 7);
        assert_eq!(
            rejections.iter().collect::<Vec<_>>(),
            [
                (Signal::Spans, RejectReason::InvalidId, 3),
                (Signal::RumUnknown, RejectReason::Malformed, 4)
            ]
        );
    }

    #[test]
    fn queue_refusals_have_their_reasons() {
        let full = SubmitError::Full {
            queued: 1,
            capacity: 1,
        };
        assert_eq!(RejectReason::from(&full), RejectReason::QueueFull);
        assert_eq!(
            RejectReason::from(&SubmitError::SpoolFull("x".into())),
            RejectReason::SpoolFull
        );
        assert_eq!(
            RejectReason::from(&SubmitError::Closed),
            RejectReason::Unavailable
        );
    }

    #[test]
    fn label_values_are_distinct() {
        let mut names: Vec<_> = RejectReason::ALL.iter().map(|r| r.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), RejectReason::ALL.len());
        assert!(Signal::ALL
            .iter()
            .enumerate()
            .all(|(i, signal)| signal.index() == i));
        assert!(RejectReason::ALL
            .iter()
            .enumerate()
            .all(|(i, reason)| reason.index() == i));
    }
}
