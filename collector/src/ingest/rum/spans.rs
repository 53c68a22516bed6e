//! Span events of a beacon: what a page traced (its load, its fetch and
//! XMLHttpRequest calls) becomes `model::Span`s for `otel_traces`.
//!
//! Decoding reads each span as sent into a [`RawSpan`] of the [`Beacon`]
//! encoding (ids as hex text, kind and status as OTLP's numbers, times as
//! epoch milliseconds); once the page context is known, [`judge`] hands
//! them to the judgement every OTLP span gets (`judge_span`: ids, enums,
//! the storable time window, the span limits). What the page cannot decide
//! is decided here: the layer is `browser` whatever the beacon says, the
//! service is the app, and the page view and session ride on every span
//! (`session.id`, `jamscope.page_view.id`), so a trace finds the page view
//! that started it and a page view its traces.

use std::fmt;
use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Map, Value};

use super::decode::{number, quoted, Decoded, Refusal};
use crate::ingest::otlp::traces::judge::{
    judge_span, ConvertedTraces, RawSpan, SpanEncoding, SpanRules,
};
use crate::model::rum::{
    PageContext, PAGE_PATH_ATTRIBUTE, PAGE_ROUTE_ATTRIBUTE, PAGE_VIEW_ATTRIBUTE, SESSION_ATTRIBUTE,
};
use crate::model::{
    AttributeValue, Attributes, Event, Layer, Resource, Scope, Span, SpanId, TraceId, Truncation,
};
use crate::telemetry::outcome::{RejectReason, Signal};

/// Set on spans whose times were moved onto the collector's clock, by how much.
pub const CLOCK_OFFSET_ATTRIBUTE: &str = "jamscope.clock_offset_ms";
/// The instrumentation scope of every beacon span.
const SCOPE_NAME: &str = "jamscope-rum-beacon";

/// A page's clock further off than this (as `sentAt` against the arrival
/// of the beacon) is corrected: beyond what sending a beacon takes, so
/// the difference is the page's clock, not the network. Closer clocks are
/// left as they are; the trace view clamps what remains.
const CLOCK_TOLERANCE_NANOS: i64 = 2_000_000_000;

/// Spans of one beacon: as sent until the page context is known, then
/// judged.
#[derive(Default)]
pub struct BeaconSpans {
    /// Decoded, not yet judged, each with its index among the events.
    pub(super) sent: Vec<(usize, RawSpan<Beacon>)>,
    /// Judged and kept.
    pub kept: Vec<Span>,
    /// Spans and resources the limits cut, and what they lost.
    pub truncated: u64,
    pub truncation: Truncation,
}

impl fmt::Debug for BeaconSpans {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BeaconSpans")
            .field("sent", &self.sent.len())
            .field("kept", &self.kept)
            .field("truncated", &self.truncated)
            .finish()
    }
}

/// How far the page's clock is from the collector's, when it is further
/// than [`CLOCK_TOLERANCE_NANOS`]: what every span time is moved by.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClockOffset(i64);

impl ClockOffset {
    /// From the beacon's `sentAt` (epoch ms on the page's clock) and when
    /// it arrived (the collector's); none without `sentAt`.
    pub fn of(sent_at_millis: Option<f64>, received_millis: i64) -> Self {
        let Some(sent) = sent_at_millis.filter(|t| t.is_finite() && *t > 0.0) else {
            return Self::default();
        };
        let received = i128::from(received_millis) * 1_000_000;
        let offset = received - i128::from(unix_nanos(sent));
        match i64::try_from(offset) {
            Ok(nanos) if nanos.abs() > CLOCK_TOLERANCE_NANOS => Self(nanos),
            Ok(_) => Self::default(),
            // Centuries apart: no correction makes such times storable.
            Err(_) => Self::default(),
        }
    }

    fn apply(self, millis: f64) -> u64 {
        let nanos = unix_nanos(millis);
        if self.0 >= 0 {
            nanos.saturating_add(self.0.unsigned_abs())
        } else {
            nanos.saturating_sub(self.0.unsigned_abs())
        }
    }
}

/// Epoch milliseconds (with a fraction, as `performance.timeOrigin +
/// now()` gives them) in Unix ns, to the microsecond: the finest a
/// browser's clock tells, and what an `f64` of epoch milliseconds still
/// holds exactly. Negative times become 0 and huge ones saturate: the time
/// window refuses both, naming the field.
fn unix_nanos(millis: f64) -> u64 {
    // NaN and negative times alike.
    if millis.is_nan() || millis <= 0.0 {
        return 0;
    }
    let whole = millis.trunc();
    let micros = ((millis - whole) * 1e3).round() as u64;
    (whole as u64)
        .saturating_mul(1_000_000)
        .saturating_add(micros * 1_000)
}

/// One span event as sent (rum-beacon/README.md, "Wire format").
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireSpan {
    #[serde(default)]
    trace_id: Option<String>,
    #[serde(default)]
    span_id: Option<String>,
    #[serde(default)]
    parent_span_id: Option<String>,
    #[serde(default)]
    trace_state: Option<String>,
    name: String,
    #[serde(default)]
    kind: Option<i64>,
    start: f64,
    end: f64,
    #[serde(default)]
    status: Option<i64>,
    #[serde(default)]
    status_message: Option<String>,
    #[serde(default)]
    attributes: Option<Map<String, Value>>,
    #[serde(default)]
    events: Option<Vec<WireSpanEvent>>,
}

#[derive(Deserialize)]
struct WireSpanEvent {
    name: String,
    ts: f64,
    #[serde(default)]
    attributes: Option<Map<String, Value>>,
}

/// Reads one span event as sent; only its JSON shape is checked here.
pub(super) fn decode_span(event: &Value, clock: ClockOffset) -> Result<RawSpan<Beacon>, Refusal> {
    let wire = WireSpan::deserialize(event)
        .map_err(|e| Refusal::new(Signal::Spans, RejectReason::Malformed, e.to_string()))?;
    let mut attributes = flat_attributes(wire.attributes);
    if clock != ClockOffset::default() {
        let offset_ms = clock.0 as f64 / 1e6;
        attributes.insert(
            0,
            (
                CLOCK_OFFSET_ATTRIBUTE.to_owned(),
                AttributeValue::Double(offset_ms),
            ),
        );
    }
    Ok(RawSpan {
        trace_id: wire.trace_id,
        span_id: wire.span_id,
        parent_span_id: wire.parent_span_id,
        trace_state: wire.trace_state.unwrap_or_default(),
        name: wire.name,
        kind: wire.kind,
        start_time_unix_nano: clock.apply(wire.start),
        end_time_unix_nano: clock.apply(wire.end),
        attributes,
        events: wire
            .events
            .unwrap_or_default()
            .into_iter()
            .map(|event| Event {
                time_unix_nanos: clock.apply(event.ts),
                name: event.name,
                attributes: flat_attributes(event.attributes),
            })
            .collect(),
        links: Vec::new(),
        status_code: wire.status,
        status_message: wire.status_message.unwrap_or_default(),
        sent: Default::default(),
    })
}

/// A flat object's strings, booleans and numbers as attributes; nested
/// values are left out (a span's attributes are scalars here). Strings are
/// cut by the span limits when the span is judged.
fn flat_attributes(fields: Option<Map<String, Value>>) -> Attributes {
    fields
        .into_iter()
        .flatten()
        .filter_map(|(key, value)| {
            let value = match value {
                Value::String(s) => AttributeValue::String(s),
                Value::Bool(b) => AttributeValue::Bool(b),
                Value::Number(n) => number(&n)?,
                _ => return None,
            };
            Some((key, value))
        })
        .collect()
}

/// Judges the beacon's spans as every span is judged, as spans of the
/// browser layer of `context`'s app; a refused one is counted under
/// `spans` with its reason, naming its event.
pub(super) fn judge(decoded: &mut Decoded, context: &PageContext, rules: &SpanRules) {
    let sent = std::mem::take(&mut decoded.spans.sent);
    if sent.is_empty() {
        return;
    }
    let mut out = ConvertedTraces::new(&rules.limits, sent.len());
    let mut attributes = resource_attributes(context);
    out.limit_resource(&mut attributes);
    let resource = Arc::new(Resource {
        service_name: service_name(context).to_owned(),
        layer: Layer::Browser,
        attributes,
    });
    let scope = Arc::new(Scope {
        name: SCOPE_NAME.to_owned(),
        version: String::new(),
    });
    let received_nanos = u64::try_from(context.received_at_millis)
        .unwrap_or(0)
        .saturating_mul(1_000_000);
    let window = rules.window(received_nanos);
    let page = page_attributes(context);
    for (index, mut span) in sent {
        span.attributes = with_page(&page, span.attributes);
        let rejected = out.rejected();
        judge_span(span, &resource, &scope, &window, &mut out);
        if out.rejected() > rejected {
            if let Some(reason) = out.rejection_reason.take() {
                decoded.note(format!("event {index}: {reason}"));
            }
        }
    }
    for (signal, reason, count) in out.rejections.iter() {
        decoded.rejections.add(signal, reason, count);
    }
    let spans = &mut decoded.spans;
    spans.kept = out.spans;
    spans.truncated = out.truncated;
    spans.truncation = out.truncation;
}

/// OpenTelemetry's name for a service that did not name itself.
fn service_name(context: &PageContext) -> &str {
    match context.page.app.as_str() {
        "" => "unknown_service",
        app => app,
    }
}

/// The app, its release and environment, and what the collector learnt of
/// the browser, in OpenTelemetry's resource names where it has them. The
/// client address is never among them.
fn resource_attributes(context: &PageContext) -> Attributes {
    let page = &context.page;
    let client = &context.client;
    let device = context.device_class().as_str();
    [
        ("service.name", service_name(context)),
        (Layer::RESOURCE_ATTRIBUTE, Layer::Browser.as_str()),
        ("service.version", page.release.as_str()),
        ("deployment.environment.name", page.environment.as_str()),
        ("user_agent.name", client.browser.as_str()),
        ("user_agent.version", client.browser_version.as_str()),
        ("os.name", client.os.as_str()),
        ("jamscope.device.class", device),
        ("geo.country.iso_code", client.country.as_str()),
    ]
    .into_iter()
    .filter(|(_, value)| !value.is_empty())
    .map(|(key, value)| (key.to_owned(), AttributeValue::String(value.to_owned())))
    .collect()
}

/// What every span of the page carries: its page view, session and page.
fn page_attributes(context: &PageContext) -> Attributes {
    let page = &context.page;
    [
        (SESSION_ATTRIBUTE, &page.session_id),
        (PAGE_VIEW_ATTRIBUTE, &page.page_view_id),
        (PAGE_ROUTE_ATTRIBUTE, &page.route),
        (PAGE_PATH_ATTRIBUTE, &page.path),
    ]
    .into_iter()
    .filter(|(_, value)| !value.is_empty())
    .map(|(key, value)| (key.to_owned(), AttributeValue::String(value.clone())))
    .collect()
}

/// The page's attributes first (the span limits keep the first ones), then
/// the span's own, but for any it sent under the page's keys.
fn with_page(page: &Attributes, sent: Attributes) -> Attributes {
    let mut attributes = page.clone();
    attributes.extend(
        sent.into_iter()
            .filter(|(key, _)| !page.iter().any(|(ours, _)| ours == key)),
    );
    attributes
}

/// How a beacon sends a span's ids and enums: ids as hex text, kind and
/// status as OTLP's numbers (absent: unspecified, unset); refusals name the
/// beacon's fields.
pub struct Beacon;

impl SpanEncoding for Beacon {
    type TraceId = Option<String>;
    type SpanId = Option<String>;
    type Enum = Option<i64>;

    fn trace_id(sent: &Option<String>) -> Option<TraceId> {
        sent.as_deref().and_then(TraceId::from_hex)
    }

    fn span_id(sent: &Option<String>) -> Option<SpanId> {
        sent.as_deref().and_then(SpanId::from_hex)
    }

    /// Absent or empty: a root span (a page load with no server trace, a
    /// request the page started).
    fn parent_span_id(sent: &Option<String>) -> Result<Option<SpanId>, ()> {
        match sent.as_deref() {
            None | Some("") => Ok(None),
            Some(hex) => SpanId::from_hex(hex).map(Some).ok_or(()),
        }
    }

    fn number(sent: &Option<i64>) -> Option<i64> {
        Some(sent.unwrap_or(0))
    }

    fn shown(sent: &Option<i64>) -> String {
        sent.unwrap_or(0).to_string()
    }

    fn bad_trace_id(span: &str, sent: &Option<String>) -> String {
        invalid_id(span, "traceId", sent, "32 hex digits")
    }

    fn bad_span_id(span: &str, sent: &Option<String>) -> String {
        invalid_id(span, "spanId", sent, "16 hex digits")
    }

    fn bad_parent_span_id(span: &str, sent: &Option<String>) -> String {
        invalid_id(span, "parentSpanId", sent, "absent, empty or 16 hex digits")
    }

    /// Beacon spans have no links.
    fn bad_link(span: &str, index: usize, _: &Option<String>, _: &Option<String>) -> String {
        format!("span '{span}': links[{index}] is not a usable link")
    }
}

fn invalid_id(span: &str, field: &str, sent: &Option<String>, want: &str) -> String {
    let got = sent.as_deref().map_or_else(|| "nothing".to_owned(), quoted);
    format!("span '{span}': {field} must be {want}, not all zero; got {got}")
}

#[cfg(test)]
mod tests;
