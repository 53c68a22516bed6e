//! The judgement every OTLP log record gets, whatever its encoding: the
//! protobuf and JSON decoders (`protobuf.rs`, `json/`) read a record into
//! a [`RawLogRecord`] as sent and end in [`judge_log_record`], which keeps
//! it (cut to the configured [`SpanLimits`]) or rejects it with the reason
//! the sender is told. What differs between encodings is only how ids and
//! the severity number arrive and how refusals quote ids: a
//! [`LogEncoding`].

use std::sync::Arc;

use crate::model::{
    AttributeValue, Attributes, LogOrigin, LogRecord, SpanId, SpanLimits, TimeWindow, TraceId,
    Truncation, MAX_SEVERITY_NUMBER,
};
use crate::telemetry::outcome::{RejectReason, Rejections, Signal};

/// The records that were valid, and an account of those that were not,
/// for OTLP's partial-success response.
#[derive(Debug, Default)]
pub struct ConvertedLogs {
    pub records: Vec<LogRecord>,
    /// Records refused, by reason (for the metrics).
    pub rejections: Rejections,
    /// The first reason a record was rejected; OTLP has room for one message.
    pub rejection_reason: Option<String>,
    /// Records (and resources, scopes) the limits cut, and what they lost.
    pub truncated: u64,
    pub truncation: Truncation,
    /// What every kept record, resource and scope is cut to.
    limits: SpanLimits,
}

impl ConvertedLogs {
    /// Nothing converted yet; records will be cut to `limits`.
    pub fn new(limits: &SpanLimits, capacity: usize) -> Self {
        Self {
            records: Vec::with_capacity(capacity),
            limits: *limits,
            ..Default::default()
        }
    }

    pub fn rejected(&self) -> u64 {
        self.rejections.total()
    }

    /// What the partial-success response says: the first rejection.
    pub fn message(&self) -> Option<String> {
        self.rejection_reason.clone()
    }

    fn reject(&mut self, reason: RejectReason, message: impl FnOnce() -> String) {
        self.rejections.add(Signal::LogRecords, reason, 1);
        if self.rejection_reason.is_none() {
            self.rejection_reason = Some(message());
        }
    }

    /// A resource's or a scope's attributes cut to the limits.
    pub(crate) fn limit_attributes(&mut self, attributes: &mut Attributes) {
        let cut = self.limits.apply_to_resource(attributes);
        self.count_truncation(cut);
    }

    fn count_truncation(&mut self, cut: Truncation) {
        if cut.any() {
            self.truncated += 1;
            self.truncation.add(&cut);
        }
    }
}

/// How one encoding sends a record's ids and severity number, and how a
/// refusal quotes an id: the only things the judgement asks of a decoder.
pub(crate) trait LogEncoding {
    /// A trace id as sent.
    type TraceId: Default;
    /// A span id as sent.
    type SpanId: Default;
    /// A severity number as sent.
    type Severity: Default;

    /// `Ok(None)`: no trace; `Err(())`: not a usable id.
    fn trace_id(sent: &Self::TraceId) -> Result<Option<TraceId>, ()>;
    /// `Ok(None)`: no span; `Err(())`: not a usable id.
    fn span_id(sent: &Self::SpanId) -> Result<Option<SpanId>, ()>;
    /// The number, `None` when it was sent as a name no number has.
    fn severity_number(sent: &Self::Severity) -> Option<i64>;
    /// The severity as a refusal quotes it.
    fn shown_severity(sent: &Self::Severity) -> String;

    fn bad_trace_id(record: &str, sent: &Self::TraceId) -> String;
    fn bad_span_id(record: &str, sent: &Self::SpanId) -> String;
}

/// A log record as decoded, before it is judged: ids and severity as sent.
pub(crate) struct RawLogRecord<E: LogEncoding> {
    pub time_unix_nano: u64,
    pub observed_time_unix_nano: u64,
    pub severity_number: E::Severity,
    pub severity_text: String,
    pub body: AttributeValue,
    pub attributes: Attributes,
    /// What the sender says it dropped (OTLP's `dropped_attributes_count`).
    pub dropped_attributes_count: u32,
    pub flags: u32,
    pub trace_id: E::TraceId,
    pub span_id: E::SpanId,
    pub event_name: String,
}

impl<E: LogEncoding> Default for RawLogRecord<E> {
    fn default() -> Self {
        Self {
            time_unix_nano: 0,
            observed_time_unix_nano: 0,
            severity_number: E::Severity::default(),
            severity_text: String::new(),
            body: AttributeValue::Empty,
            attributes: Attributes::new(),
            dropped_attributes_count: 0,
            flags: 0,
            trace_id: E::TraceId::default(),
            span_id: E::SpanId::default(),
            event_name: String::new(),
        }
    }
}

/// How a refusal names a record: by the start of its body (or its event
/// name), cut short, so a hostile body does not become a hostile answer.
fn described<E: LogEncoding>(record: &RawLogRecord<E>) -> String {
    let cut = |text: &str| text.chars().take(60).collect::<String>();
    match (&record.body, record.event_name.as_str()) {
        (AttributeValue::String(body), _) if !body.is_empty() => {
            format!("log record '{}'", cut(body))
        }
        (_, "") => format!("log record at {}", record.time_unix_nano),
        (_, event) => format!("event '{}'", cut(event)),
    }
}

/// Keeps `raw` (in `out.records`, cut to the limits) or rejects it with the
/// reason the sender is told: a trace or span id of the wrong length or all
/// zero (both may be absent), a severity number outside OTLP's (0 to 24),
/// a time `window` refuses (`time_unix_nano`, or when that is 0,
/// `observed_time_unix_nano`, as OpenTelemetry says to read them).
pub(crate) fn judge_log_record<E: LogEncoding>(
    raw: RawLogRecord<E>,
    origin: &Arc<LogOrigin>,
    window: &TimeWindow,
    out: &mut ConvertedLogs,
) {
    let Ok(trace_id) = E::trace_id(&raw.trace_id) else {
        out.reject(RejectReason::InvalidId, || {
            E::bad_trace_id(&described(&raw), &raw.trace_id)
        });
        return;
    };
    let Ok(span_id) = E::span_id(&raw.span_id) else {
        out.reject(RejectReason::InvalidId, || {
            E::bad_span_id(&described(&raw), &raw.span_id)
        });
        return;
    };
    let severity = E::severity_number(&raw.severity_number)
        .and_then(|number| u8::try_from(number).ok())
        .filter(|number| *number <= MAX_SEVERITY_NUMBER);
    let Some(severity_number) = severity else {
        out.reject(RejectReason::InvalidValue, || {
            format!(
                "{}: severity_number {} is outside OTLP's SeverityNumber (0 to {MAX_SEVERITY_NUMBER})",
                described(&raw),
                E::shown_severity(&raw.severity_number)
            )
        });
        return;
    };
    let (field, time) = match raw.time_unix_nano {
        0 => ("observed_time_unix_nano", raw.observed_time_unix_nano),
        time => ("time_unix_nano", time),
    };
    if let Some(problem) = window.problem(time) {
        out.reject(RejectReason::TimeWindow, || {
            format!("{}: {field} {time} {problem}", described(&raw))
        });
        return;
    }
    let mut record = LogRecord {
        time_unix_nanos: time,
        trace_id,
        span_id,
        // The W3C trace flags are the low byte; the rest is reserved.
        trace_flags: raw.flags as u8,
        severity_text: raw.severity_text,
        severity_number,
        body: raw.body,
        attributes: raw.attributes,
        event_name: raw.event_name,
        origin: Arc::clone(origin),
    };
    let cut = out
        .limits
        .apply_to_log(&mut record, raw.dropped_attributes_count);
    out.count_truncation(cut);
    out.records.push(record);
}
