//! What the receivers count: records received, accepted and rejected by
//! signal and reason, requests refused whole by receiver and status,
//! requests shed by a busy listener, spans and log records cut to the
//! span limits. A receiver holds an [`IngestStats`], a cheap clone sharing
//! the series.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;

use super::Receiver;
use crate::model::Truncation;
use crate::telemetry::outcome::{RejectReason, Rejections, Signal};

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct SignalLabels {
    signal: Signal,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct RejectionLabels {
    signal: Signal,
    reason: RejectReason,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct ListenerLabels {
    listener: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct CutLabels {
    part: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct RefusalLabels {
    receiver: Receiver,
    status: u16,
}

/// The receivers' counters.
#[derive(Clone)]
pub struct IngestStats {
    spans_accepted: Counter,
    spans_rejected: Counter,
    requests_refused_overload: Counter,
    requests_invalid: Counter,
    rum_events_accepted: Counter,
    rum_events_rejected: Counter,
    records_received: Family<SignalLabels, Counter>,
    records_accepted: Family<SignalLabels, Counter>,
    records_rejected: Family<RejectionLabels, Counter>,
    requests_refused: Family<RefusalLabels, Counter>,
    requests_shed: Family<ListenerLabels, Counter>,
    spans_truncated: Counter,
    log_records_truncated: Counter,
    span_limit_cuts: Family<CutLabels, Counter>,
    browser_layer_overridden: Family<SignalLabels, Counter>,
    /// The (receiver, status) pairs refused so far: a family cannot be
    /// listed, and the OTLP export reads every series.
    refusals_seen: Arc<Mutex<BTreeSet<(Receiver, u16)>>>,
}

impl IngestStats {
    pub(super) fn register(registry: &mut Registry) -> Self {
        let mut counter = |name: &str, help: &str| {
            let counter = Counter::default();
            registry.register(name, help, counter.clone());
            counter
        };
        let spans_accepted = counter("spans_accepted", "Spans acknowledged to clients");
        let spans_rejected = counter(
            "spans_rejected",
            "Spans refused as invalid (partial success)",
        );
        let requests_refused_overload = counter(
            "requests_refused_overload",
            "Requests answered 429/503 because the write queue or the spool was full",
        );
        let requests_invalid = counter("requests_invalid", "Requests answered 4xx for bad input");
        let rum_events_accepted = counter(
            "rum_events_accepted",
            "RUM events (vitals, errors, page views) queued for storage",
        );
        let rum_events_rejected = counter(
            "rum_events_rejected",
            "RUM events dropped as invalid, past the batch limit, or for a full queue",
        );
        let spans_truncated = counter(
            "spans_truncated",
            "Spans and resources cut to [span_limits] (they carry jamscope.truncated = true)",
        );
        let log_records_truncated = counter(
            "log_records_truncated",
            "Log records, their resources and scopes cut to [span_limits] (they carry jamscope.truncated = true)",
        );
        let stats = Self {
            log_records_truncated,
            spans_accepted,
            spans_rejected,
            requests_refused_overload,
            requests_invalid,
            rum_events_accepted,
            rum_events_rejected,
            spans_truncated,
            records_received: Family::default(),
            records_accepted: Family::default(),
            records_rejected: Family::default(),
            requests_refused: Family::default(),
            requests_shed: Family::default(),
            span_limit_cuts: Family::default(),
            browser_layer_overridden: Family::default(),
            refusals_seen: Arc::default(),
        };
        registry.register(
            "records_received",
            "Records (spans, log records, RUM events) in requests that could be decoded, by signal",
            stats.records_received.clone(),
        );
        registry.register(
            "records_accepted",
            "Records queued for storage and acknowledged, by signal",
            stats.records_accepted.clone(),
        );
        registry.register(
            "records_rejected",
            "Records not stored, by signal and reason",
            stats.records_rejected.clone(),
        );
        registry.register(
            "requests_refused",
            "Requests refused whole, by receiver and HTTP status (gRPC: the status of the same refusal over HTTP)",
            stats.requests_refused.clone(),
        );
        registry.register(
            "requests_shed",
            "Requests answered 503 at once because requests.max_in_flight were being handled, by listener",
            stats.requests_shed.clone(),
        );
        registry.register(
            "span_limit_cuts",
            "What [span_limits] took: attributes, nested (of events, links, maps, arrays), events, links dropped; values cut",
            stats.span_limit_cuts.clone(),
        );
        registry.register(
            "browser_layer_overridden",
            "Records from browsers whose resource claimed another jamstack.layer, stored as the browser layer, by signal",
            stats.browser_layer_overridden.clone(),
        );
        // Every signal shows from the start, at 0: a rate over a series
        // that appears only with its first record misses that record.
        for signal in Signal::ALL {
            let labels = SignalLabels { signal };
            let _ = stats.records_received.get_or_create(&labels);
            let _ = stats.records_accepted.get_or_create(&labels);
        }
        stats
    }

    /// An OTLP export request answered: `accepted` spans queued, `invalid`
    /// refused in its partial success.
    pub fn spans_acknowledged(&self, accepted: u64, invalid: u64) {
        self.spans_accepted.inc_by(accepted);
        self.spans_rejected.inc_by(invalid);
    }

    /// A beacon answered: events queued and events dropped.
    pub fn rum_events(&self, accepted: u64, rejected: u64) {
        self.rum_events_accepted.inc_by(accepted);
        self.rum_events_rejected.inc_by(rejected);
    }

    /// `count` records of `signal` queued for storage.
    pub fn records_accepted(&self, signal: Signal, count: u64) {
        let labels = SignalLabels { signal };
        self.records_received.get_or_create(&labels).inc_by(count);
        self.records_accepted.get_or_create(&labels).inc_by(count);
    }

    /// Records not stored, by signal and reason.
    pub fn records_rejected(&self, rejections: &Rejections) {
        for (signal, reason, count) in rejections.iter() {
            self.records_received
                .get_or_create(&SignalLabels { signal })
                .inc_by(count);
            self.records_rejected
                .get_or_create(&RejectionLabels { signal, reason })
                .inc_by(count);
        }
    }

    /// A request refused at once because its listener had
    /// `requests.max_in_flight` in hand.
    pub fn request_shed(&self, listener: &'static str) {
        self.requests_refused_overload.inc();
        self.requests_shed
            .get_or_create(&ListenerLabels { listener })
            .inc();
    }

    /// Spans (and resources) cut to the span limits, and what they lost.
    pub fn spans_truncated(&self, count: u64, cut: &Truncation) {
        if count > 0 {
            self.spans_truncated.inc_by(count);
            self.limit_cuts(cut);
        }
    }

    /// Log records (and resources, scopes) cut to the span limits, and
    /// what they lost.
    pub fn log_records_truncated(&self, count: u64, cut: &Truncation) {
        if count > 0 {
            self.log_records_truncated.inc_by(count);
            self.limit_cuts(cut);
        }
    }

    fn limit_cuts(&self, cut: &Truncation) {
        for (part, n) in [
            ("attributes", cut.attributes),
            ("nested", cut.nested),
            ("events", cut.events),
            ("links", cut.links),
            ("values", cut.values),
        ] {
            if n > 0 {
                self.span_limit_cuts
                    .get_or_create(&CutLabels { part })
                    .inc_by(n);
            }
        }
    }

    /// `count` records from browsers claimed a layer other than the
    /// browser's and were stored as browser records.
    pub fn browser_layer_overridden(&self, signal: Signal, count: u64) {
        if count > 0 {
            self.browser_layer_overridden
                .get_or_create(&SignalLabels { signal })
                .inc_by(count);
        }
    }

    /// A request refused whole with `status`.
    pub fn request_refused(&self, receiver: Receiver, status: StatusCode) {
        if status == StatusCode::TOO_MANY_REQUESTS || status == StatusCode::SERVICE_UNAVAILABLE {
            self.requests_refused_overload.inc();
        } else {
            self.requests_invalid.inc();
        }
        let status = status.as_u16();
        self.requests_refused
            .get_or_create(&RefusalLabels { receiver, status })
            .inc();
        if let Ok(mut seen) = self.refusals_seen.lock() {
            seen.insert((receiver, status));
        }
    }

    pub fn records_received_count(&self, signal: Signal) -> u64 {
        get(&self.records_received, &SignalLabels { signal })
    }

    pub fn records_accepted_count(&self, signal: Signal) -> u64 {
        get(&self.records_accepted, &SignalLabels { signal })
    }

    pub fn records_rejected_count(&self, signal: Signal, reason: RejectReason) -> u64 {
        get(&self.records_rejected, &RejectionLabels { signal, reason })
    }

    /// Requests refused so far, by receiver and status.
    pub fn requests_refused_counts(&self) -> Vec<(Receiver, u16, u64)> {
        let seen = self
            .refusals_seen
            .lock()
            .map(|s| s.clone())
            .unwrap_or_default();
        seen.into_iter()
            .map(|(receiver, status)| {
                let count = get(&self.requests_refused, &RefusalLabels { receiver, status });
                (receiver, status, count)
            })
            .collect()
    }
}

/// A series' value, 0 when it does not exist yet.
fn get<S: Clone + Eq + std::hash::Hash>(family: &Family<S, Counter>, labels: &S) -> u64 {
    family.get(labels).map_or(0, |counter| counter.get())
}
