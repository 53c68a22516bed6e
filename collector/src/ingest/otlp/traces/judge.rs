//! The judgement every OTLP span gets, whatever its encoding: the
//! protobuf and JSON decoders (`protobuf.rs`, `json/`) read a span into a
//! [`RawSpan`] as sent and end in [`judge_span`], which keeps it (cut to the
//! configured [`SpanLimits`]) or rejects it with the reason the sender is
//! told. What differs between encodings is only how ids and enums arrive
//! and how messages name their fields (`trace_id` or `traceId`): that is a
//! [`SpanEncoding`].

use std::sync::Arc;
use std::time::Duration;

use crate::model::{
    Attributes, Event, Link, Resource, Scope, SentDropped, Span, SpanId, SpanKind, SpanLimits,
    Status, StatusCode, TimeWindow, TraceId, Truncation,
};
use crate::telemetry::outcome::{RejectReason, Rejections, Signal};

/// What a span is judged by besides its own fields, whichever receiver
/// brought it: how much of it is stored, and which of its times can be.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpanRules {
    pub limits: SpanLimits,
    /// Spans that started longer ago are refused: the retention, unless
    /// `ingest.max_span_age_hours` says less.
    pub max_age: Duration,
    /// Spans that start or end further ahead of the collector's clock are
    /// refused (`ingest.max_span_ahead_secs`).
    pub max_ahead: Duration,
}

impl SpanRules {
    /// The span times storable at `now_unix_nanos`.
    pub fn window(&self, now_unix_nanos: u64) -> TimeWindow {
        self.window_reaching_back(now_unix_nanos, self.max_age)
    }

    /// The record times storable at `now_unix_nanos` for records kept
    /// `max_age` (log records have their own retention); as far ahead as
    /// spans.
    pub fn window_reaching_back(&self, now_unix_nanos: u64, max_age: Duration) -> TimeWindow {
        let nanos = |d: Duration| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        TimeWindow::around(now_unix_nanos, nanos(max_age), nanos(self.max_ahead))
    }
}

/// The spans that were valid, and an account of those that were not, for
/// OTLP's partial-success response.
#[derive(Debug, Default)]
pub struct ConvertedTraces {
    pub spans: Vec<Span>,
    /// Spans refused, by reason (for the metrics).
    pub rejections: Rejections,
    /// The first reason a span was rejected; OTLP has room for one message.
    pub rejection_reason: Option<String>,
    /// Links dropped from spans that were kept (their ids were invalid).
    pub dropped_links: u64,
    /// Why the first of them was dropped.
    pub link_warning: Option<String>,
    /// Spans (and resources) the limits cut, and what they lost.
    pub truncated: u64,
    pub truncation: Truncation,
    /// What every kept span and resource is cut to.
    limits: SpanLimits,
}

impl ConvertedTraces {
    /// Nothing converted yet; spans and resources will be cut to `limits`.
    pub fn new(limits: &SpanLimits, span_capacity: usize) -> Self {
        Self {
            spans: Vec::with_capacity(span_capacity),
            limits: *limits,
            ..Default::default()
        }
    }

    pub fn rejected(&self) -> u64 {
        self.rejections.total()
    }

    pub(crate) fn reject(&mut self, reason: RejectReason, message: impl FnOnce() -> String) {
        self.rejections.add(Signal::Spans, reason, 1);
        if self.rejection_reason.is_none() {
            self.rejection_reason = Some(message());
        }
    }

    /// A link that carries no usable context is dropped and its span kept:
    /// the span itself is valid, and refusing it would lose more than the
    /// link holds. The sender still hears of it (`message`).
    pub(crate) fn drop_link(&mut self, message: impl FnOnce() -> String) {
        self.dropped_links += 1;
        if self.link_warning.is_none() {
            self.link_warning = Some(message());
        }
    }

    /// Keeps `span` when its times can be stored, cut to the limits (the
    /// sender's own dropped counts added to ours); rejects it otherwise.
    pub(crate) fn push(&mut self, mut span: Span, window: &TimeWindow, sent: SentDropped) {
        match window.check(&span) {
            Some(message) => self.reject(RejectReason::TimeWindow, || message),
            None => {
                let cut = self.limits.apply(&mut span, sent);
                self.count_truncation(cut);
                self.spans.push(span);
            }
        }
    }

    /// A resource's attributes cut to the limits.
    pub(crate) fn limit_resource(&mut self, attributes: &mut Attributes) {
        let cut = self.limits.apply_to_resource(attributes);
        self.count_truncation(cut);
    }

    fn count_truncation(&mut self, cut: Truncation) {
        if cut.any() {
            self.truncated += 1;
            self.truncation.add(&cut);
        }
    }

    /// What the partial-success response says: the first rejection and,
    /// when links were dropped, how many and why. OTLP lets a server warn
    /// with `rejected_spans` 0 and a message, which is what dropped links
    /// alone produce.
    pub fn message(&self) -> Option<String> {
        let links = self.link_warning.as_ref().map(|first| {
            let n = self.dropped_links;
            let s = if n == 1 { "" } else { "s" };
            format!(
                "{n} link{s} with an invalid trace or span id dropped, spans kept (first: {first})"
            )
        });
        match (&self.rejection_reason, links) {
            (Some(reason), Some(links)) => Some(format!("{reason}; {links}")),
            (Some(reason), None) => Some(reason.clone()),
            (None, links) => links,
        }
    }
}

/// A span's name as quoted in messages: cut short, so a hostile name does
/// not become a hostile response.
pub(crate) fn quoted_name(name: &str) -> String {
    name.chars().take(100).collect()
}

/// OTLP's `Span.SpanKind`; `None` for a value outside the enum.
pub(crate) fn span_kind(kind: i64) -> Option<SpanKind> {
    Some(match kind {
        0 => SpanKind::Unspecified,
        1 => SpanKind::Internal,
        2 => SpanKind::Server,
        3 => SpanKind::Client,
        4 => SpanKind::Producer,
        5 => SpanKind::Consumer,
        _ => return None,
    })
}

/// OTLP's `Status.StatusCode`; `None` for a value outside the enum.
pub(crate) fn status_code(code: i64) -> Option<StatusCode> {
    Some(match code {
        0 => StatusCode::Unset,
        1 => StatusCode::Ok,
        2 => StatusCode::Error,
        _ => return None,
    })
}

/// Why a span is refused for an enum value outside OTLP's: storing it as
/// `Unspecified` or `Unset` would misreport it (a status meant as an error
/// would count as fine), so the sender is told instead.
pub(crate) fn enum_refusal(
    name: &str,
    field: &str,
    value: &dyn std::fmt::Display,
    range: &str,
) -> String {
    format!(
        "span '{}': {field} {value} is outside the OTLP enum ({range})",
        quoted_name(name)
    )
}

pub(crate) const KIND_RANGE: &str = "0 to 5";
pub(crate) const STATUS_RANGE: &str = "0 to 2";

/// How one encoding sends a span's ids and enums, and how a refusal names
/// them: the only things the judgement asks of a decoder.
pub(crate) trait SpanEncoding {
    /// A trace id as sent.
    type TraceId: Default;
    /// A span (or parent span) id as sent.
    type SpanId: Default;
    /// An enum (kind, status code) as sent.
    type Enum: Default;

    fn trace_id(sent: &Self::TraceId) -> Option<TraceId>;
    fn span_id(sent: &Self::SpanId) -> Option<SpanId>;
    /// `Ok(None)`: no parent, a root span; `Err(())`: not a usable id.
    fn parent_span_id(sent: &Self::SpanId) -> Result<Option<SpanId>, ()>;
    /// The enum's number, `None` when it was sent as a name no number has.
    fn number(sent: &Self::Enum) -> Option<i64>;
    /// The enum as a refusal quotes it.
    fn shown(sent: &Self::Enum) -> String;

    fn bad_trace_id(span: &str, sent: &Self::TraceId) -> String;
    fn bad_span_id(span: &str, sent: &Self::SpanId) -> String;
    fn bad_parent_span_id(span: &str, sent: &Self::SpanId) -> String;
    fn bad_link(
        span: &str,
        index: usize,
        trace_id: &Self::TraceId,
        span_id: &Self::SpanId,
    ) -> String;
}

/// A span as decoded, before it is judged: ids and enums as sent.
pub(crate) struct RawSpan<E: SpanEncoding> {
    pub trace_id: E::TraceId,
    pub span_id: E::SpanId,
    pub parent_span_id: E::SpanId,
    pub trace_state: String,
    pub name: String,
    pub kind: E::Enum,
    pub start_time_unix_nano: u64,
    pub end_time_unix_nano: u64,
    pub attributes: Attributes,
    pub events: Vec<Event>,
    pub links: Vec<RawLink<E>>,
    pub status_code: E::Enum,
    pub status_message: String,
    /// What the sender says it dropped (OTLP's `dropped_*_count`).
    pub sent: SentDropped,
}

impl<E: SpanEncoding> Default for RawSpan<E> {
    fn default() -> Self {
        Self {
            trace_id: E::TraceId::default(),
            span_id: E::SpanId::default(),
            parent_span_id: E::SpanId::default(),
            trace_state: String::new(),
            name: String::new(),
            kind: E::Enum::default(),
            start_time_unix_nano: 0,
            end_time_unix_nano: 0,
            attributes: Attributes::new(),
            events: Vec::new(),
            links: Vec::new(),
            status_code: E::Enum::default(),
            status_message: String::new(),
            sent: SentDropped::default(),
        }
    }
}

pub(crate) struct RawLink<E: SpanEncoding> {
    pub trace_id: E::TraceId,
    pub span_id: E::SpanId,
    pub trace_state: String,
    pub attributes: Attributes,
}

impl<E: SpanEncoding> Default for RawLink<E> {
    fn default() -> Self {
        Self {
            trace_id: E::TraceId::default(),
            span_id: E::SpanId::default(),
            trace_state: String::new(),
            attributes: Attributes::new(),
        }
    }
}

/// Keeps `span` (in `out.spans`, cut to the limits) or rejects it with the
/// reason the sender is told: ids of the wrong length or all zero, a kind
/// or status outside OTLP's enums, times `window` refuses. Links without a
/// usable context are dropped from a kept span.
pub(crate) fn judge_span<E: SpanEncoding>(
    span: RawSpan<E>,
    resource: &Arc<Resource>,
    scope: &Arc<Scope>,
    window: &TimeWindow,
    out: &mut ConvertedTraces,
) {
    let name = &span.name;
    let Some(trace_id) = E::trace_id(&span.trace_id) else {
        out.reject(RejectReason::InvalidId, || {
            E::bad_trace_id(&quoted_name(name), &span.trace_id)
        });
        return;
    };
    let Some(span_id) = E::span_id(&span.span_id) else {
        out.reject(RejectReason::InvalidId, || {
            E::bad_span_id(&quoted_name(name), &span.span_id)
        });
        return;
    };
    let Ok(parent_span_id) = E::parent_span_id(&span.parent_span_id) else {
        out.reject(RejectReason::InvalidId, || {
            E::bad_parent_span_id(&quoted_name(name), &span.parent_span_id)
        });
        return;
    };
    let Some(kind) = E::number(&span.kind).and_then(span_kind) else {
        out.reject(RejectReason::InvalidValue, || {
            enum_refusal(name, "kind", &E::shown(&span.kind), KIND_RANGE)
        });
        return;
    };
    let Some(code) = E::number(&span.status_code).and_then(status_code) else {
        out.reject(RejectReason::InvalidValue, || {
            enum_refusal(
                name,
                "status.code",
                &E::shown(&span.status_code),
                STATUS_RANGE,
            )
        });
        return;
    };
    let mut links = Vec::with_capacity(span.links.len());
    for (index, link) in span.links.into_iter().enumerate() {
        match (E::trace_id(&link.trace_id), E::span_id(&link.span_id)) {
            (Some(trace_id), Some(span_id)) => links.push(Link {
                trace_id,
                span_id,
                trace_state: link.trace_state,
                attributes: link.attributes,
            }),
            _ => out.drop_link(|| {
                E::bad_link(&quoted_name(name), index, &link.trace_id, &link.span_id)
            }),
        }
    }
    let sent = span.sent;
    let span = Span {
        trace_id,
        span_id,
        parent_span_id,
        trace_state: span.trace_state,
        name: span.name,
        kind,
        start_unix_nanos: span.start_time_unix_nano,
        end_unix_nanos: span.end_time_unix_nano,
        attributes: span.attributes,
        events: span.events,
        links,
        status: Status {
            code,
            message: span.status_message,
        },
        resource: Arc::clone(resource),
        scope: Arc::clone(scope),
    };
    out.push(span, window, sent);
}
