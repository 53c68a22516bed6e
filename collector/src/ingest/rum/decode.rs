//! RUM beacon bodies: three JSON shapes accepted at one endpoint, decoded
//! and validated into domain events.
//!
//! - the Jamscope SDK batch: a page header plus `events` (rum-beacon/README.md):
//!   page views, vitals, errors, and spans (read here, judged in `spans.rs`
//!   once the page's context is known);
//! - the hand-written one-metric beacon pages copy from web.dev:
//!   `{name, value, delta, id, page: location.pathname, connection}`;
//! - web-vitals' own `Metric` object as JSON (`rating`, `navigationType`,
//!   `entries`, maybe `attribution`).
//!
//! A body that is not JSON, or not one of these shapes, is refused whole.
//! Within a body every event stands alone: a bad one is dropped and
//! counted with its reason, and the rest is kept.

use serde::Deserialize;
use serde_json::{Map, Value};

use super::spans::{decode_span, Beacon, BeaconSpans, ClockOffset};
use crate::ingest::otlp::traces::judge::RawSpan;
use crate::ingest::IngestError;
use crate::model::rum::{
    event_time, page_started_at, DeviceClass, MetricName, NavigationType, PageInfo, PageView,
    Rating, RumError, StackFrame, Vital,
};
use crate::model::{AttributeValue, Attributes, TraceId};
use crate::telemetry::outcome::{RejectReason, Rejections, Signal};

/// Longest string kept, in bytes; longer ones are cut (at a character
/// boundary), not refused: a long URL is still a valid page view.
pub const MAX_STRING_BYTES: usize = 2048;
/// Stack frames kept per error, innermost first: the SDK sends at most 30,
/// and the frames past them never decide a fingerprint.
pub const MAX_STACK_FRAMES: usize = 30;
/// Attribution fields kept per vital (web-vitals has at most a dozen).
const MAX_ATTRIBUTION_FIELDS: usize = 32;
/// Rejection reasons told to the sender; the count covers all of them.
const MAX_REASONS: usize = 5;
/// How much of a bad value a reason quotes.
const MAX_QUOTED_CHARS: usize = 40;

const SHAPES: &str = "expected a JSON object: a Jamscope RUM batch (with `events`) or one Web Vitals metric (with `name`, `value` and `id`)";

/// Network Information API `effectiveType` values.
const EFFECTIVE_TYPES: [&str; 4] = ["slow-2g", "2g", "3g", "4g"];

/// What one body held.
#[derive(Debug, Default)]
pub struct Decoded {
    pub page: PageInfo,
    pub vitals: Vec<Vital>,
    pub errors: Vec<RumError>,
    pub page_views: Vec<PageView>,
    pub spans: BeaconSpans,
    /// Events refused, by signal and reason (for the metrics).
    pub rejections: Rejections,
    /// The first few reasons, each naming the event and what was wrong.
    pub reasons: Vec<String>,
}

/// Why one event was refused.
pub(crate) struct Refusal {
    signal: Signal,
    reason: RejectReason,
    message: String,
}

impl Refusal {
    pub(crate) fn new(signal: Signal, reason: RejectReason, message: impl Into<String>) -> Self {
        Self {
            signal,
            reason,
            message: message.into(),
        }
    }
}

impl Decoded {
    pub fn accepted(&self) -> u64 {
        (self.vitals.len() + self.errors.len() + self.page_views.len() + self.spans.kept.len())
            as u64
    }

    pub fn rejected(&self) -> u64 {
        self.rejections.total()
    }

    pub fn reject(&mut self, signal: Signal, reason: RejectReason, count: u64, message: String) {
        self.rejections.add(signal, reason, count);
        self.note(message);
    }

    /// One event refused: counted, and its reason kept, told as `what`'s.
    pub(crate) fn refused(&mut self, what: &str, refusal: Refusal) {
        let message = format!("{what}: {}", refusal.message);
        self.reject(refusal.signal, refusal.reason, 1, message);
    }

    /// Keeps a reason for the sender, up to [`MAX_REASONS`].
    pub(super) fn note(&mut self, message: String) {
        if self.reasons.len() < MAX_REASONS {
            self.reasons.push(message);
        }
    }

    /// Event `index` of the batch, decoded.
    fn push(&mut self, index: usize, event: Event) {
        match event {
            Event::Vital(vital) => self.vitals.push(vital),
            Event::Error(error) => self.errors.push(error),
            Event::PageView(view) => self.page_views.push(view),
            Event::Span(span) => self.spans.sent.push((index, span)),
        }
    }
}

enum Event {
    Vital(Vital),
    Error(RumError),
    PageView(PageView),
    /// As sent: judged with the page's context (`spans::judge`).
    Span(RawSpan<Beacon>),
}

/// Decodes a body. Fails only when the body as a whole is unusable; a body
/// whose events are all invalid decodes to zero accepted events with their
/// reasons, and the caller decides what to answer.
pub fn decode(
    body: &[u8],
    max_events: usize,
    received_millis: i64,
) -> Result<Decoded, IngestError> {
    let bad = |message: String| IngestError::BadRequest(message);
    let value: Value =
        serde_json::from_slice(body).map_err(|e| bad(format!("body is not valid JSON: {e}")))?;
    let Value::Object(object) = &value else {
        return Err(bad(SHAPES.into()));
    };
    let header =
        WireHeader::deserialize(&value).map_err(|e| bad(format!("invalid beacon: {e}")))?;
    let clock = ClockOffset::of(header.sent_at, received_millis);
    let mut decoded = Decoded {
        page: header.into_page(),
        ..Decoded::default()
    };
    if let Some(events) = object.get("events") {
        let Value::Array(events) = events else {
            return Err(bad("`events` must be an array".into()));
        };
        if events.is_empty() {
            return Err(bad("`events` is empty".into()));
        }
        for (index, event) in events.iter().take(max_events).enumerate() {
            match decode_event(event, received_millis, clock) {
                Ok(event) => decoded.push(index, event),
                Err(refusal) => decoded.refused(&format!("event {index}"), refusal),
            }
        }
        if events.len() > max_events {
            let extra = events.len() - max_events;
            // Counted by their kind; only the type of each is read.
            for event in &events[max_events..] {
                decoded
                    .rejections
                    .add(event_signal(event), RejectReason::BatchLimit, 1);
            }
            decoded.note(format!(
                "{extra} events past the limit of {max_events} per request were dropped"
            ));
        }
    } else if object.contains_key("name") {
        let vital = WireVital::deserialize(&value)
            .map_err(|e| Refusal::new(Signal::RumVitals, RejectReason::Malformed, e.to_string()))
            .and_then(|wire| wire.validate(received_millis));
        match vital {
            Ok(vital) => decoded.vitals.push(vital),
            Err(refusal) => decoded.reject(refusal.signal, refusal.reason, 1, refusal.message),
        }
    } else {
        return Err(bad(SHAPES.into()));
    }
    Ok(decoded)
}

/// Which table an event of a batch is meant for, from its `type`.
fn event_signal(event: &Value) -> Signal {
    match event.get("type").and_then(Value::as_str) {
        Some("vital") => Signal::RumVitals,
        Some("error") => Signal::RumErrors,
        Some("page_view") => Signal::RumPageViews,
        Some("span") => Signal::Spans,
        _ => Signal::RumUnknown,
    }
}

fn decode_event(event: &Value, received_millis: i64, clock: ClockOffset) -> Result<Event, Refusal> {
    let malformed = |signal| {
        move |e: serde_json::Error| Refusal::new(signal, RejectReason::Malformed, e.to_string())
    };
    let Value::Object(fields) = event else {
        return Err(Refusal::new(
            Signal::RumUnknown,
            RejectReason::Malformed,
            "not a JSON object",
        ));
    };
    let Some(kind) = fields.get("type") else {
        return Err(Refusal::new(
            Signal::RumUnknown,
            RejectReason::Malformed,
            "missing field `type`",
        ));
    };
    match event_signal(event) {
        Signal::RumVitals => WireVital::deserialize(event)
            .map_err(malformed(Signal::RumVitals))?
            .validate(received_millis)
            .map(Event::Vital),
        Signal::RumErrors => WireError::deserialize(event)
            .map_err(malformed(Signal::RumErrors))?
            .validate(received_millis)
            .map(Event::Error),
        Signal::RumPageViews => {
            let wire = WirePageView::deserialize(event).map_err(malformed(Signal::RumPageViews))?;
            Ok(Event::PageView(PageView {
                timestamp_millis: event_time(millis(wire.ts), received_millis),
            }))
        }
        Signal::Spans => decode_span(event, clock).map(Event::Span),
        // `event_signal` gives RUM's signals and spans only; the rest is unknown.
        _ => {
            let shown = kind
                .as_str()
                .map_or_else(|| kind.to_string(), str::to_owned);
            Err(Refusal::new(
                Signal::RumUnknown,
                RejectReason::InvalidValue,
                format!(
                    "unknown event type {} (expected vital, error, page_view or span)",
                    quoted(&shown)
                ),
            ))
        }
    }
}

/// The page fields of a batch; in a one-metric beacon only `page` (a path)
/// and `connection` are usually there.
#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct WireHeader {
    app: Option<String>,
    release: Option<String>,
    environment: Option<String>,
    session_id: Option<String>,
    page_view_id: Option<String>,
    trace_id: Option<String>,
    page: Option<WirePage>,
    connection: Option<String>,
    device: Option<String>,
    /// When the page sent the body, on the clock of its span times.
    sent_at: Option<f64>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum WirePage {
    /// The hand-written beacon's `page: location.pathname`.
    Path(String),
    Full(WirePageFields),
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct WirePageFields {
    url: Option<String>,
    path: Option<String>,
    route: Option<String>,
    referrer: Option<String>,
}

impl WireHeader {
    /// Unknown connection types, device classes and invalid trace ids are
    /// left out rather than refused: the events are still worth keeping.
    fn into_page(self) -> PageInfo {
        let page = match self.page {
            Some(WirePage::Path(path)) => WirePageFields {
                path: Some(path),
                ..WirePageFields::default()
            },
            Some(WirePage::Full(fields)) => fields,
            None => WirePageFields::default(),
        };
        PageInfo {
            app: text(self.app),
            release: text(self.release),
            environment: text(self.environment),
            session_id: text(self.session_id),
            page_view_id: text(self.page_view_id),
            trace_id: self
                .trace_id
                .as_deref()
                .map(str::trim)
                .and_then(TraceId::from_hex),
            url: text(page.url),
            path: text(page.path),
            route: text(page.route),
            referrer: text(page.referrer),
            connection: self
                .connection
                .filter(|c| EFFECTIVE_TYPES.contains(&c.as_str()))
                .unwrap_or_default(),
            device_class: self.device.as_deref().and_then(DeviceClass::parse),
        }
    }
}

/// One Web Vitals report as sent, by the SDK, web-vitals' JSON or another
/// browser SDK (OpenTelemetry's `browser.web_vital` events, Faro's
/// measurements): what every vital is validated from.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireVital {
    pub name: String,
    pub value: f64,
    #[serde(default)]
    pub rating: Option<String>,
    #[serde(default)]
    pub delta: Option<f64>,
    pub id: String,
    #[serde(default)]
    pub navigation_type: Option<String>,
    #[serde(default)]
    pub attribution: Option<Map<String, Value>>,
    /// Epoch milliseconds.
    #[serde(default)]
    pub ts: Option<f64>,
}

impl WireVital {
    pub(crate) fn validate(self, received_millis: i64) -> Result<Vital, Refusal> {
        let invalid =
            |message: String| Refusal::new(Signal::RumVitals, RejectReason::InvalidValue, message);
        let name = MetricName::parse(&self.name).ok_or_else(|| {
            invalid(format!(
                "unknown metric name {} (expected LCP, INP, CLS, FCP, TTFB or FID)",
                quoted(&self.name)
            ))
        })?;
        let max = name.max_value();
        if !(0.0..=max).contains(&self.value) {
            return Err(invalid(format!(
                "{name} value {} is out of range (0 to {max}{})",
                self.value,
                name.unit()
            )));
        }
        // A delta is the change since the previous report of the same id;
        // web-vitals' INP can shrink, so it may be negative.
        let delta = self.delta.unwrap_or(self.value);
        if !(-max..=max).contains(&delta) {
            return Err(invalid(format!(
                "{name} delta {delta} is out of range (-{max} to {max})"
            )));
        }
        let metric_id = cap(self.id.trim().to_owned());
        if metric_id.is_empty() {
            return Err(invalid(format!("{name} has an empty `id`")));
        }
        let timestamp_millis = event_time(millis(self.ts), received_millis);
        Ok(Vital {
            name,
            value: self.value,
            // A missing or unknown rating is computed as web-vitals would.
            rating: self
                .rating
                .as_deref()
                .and_then(Rating::parse)
                .unwrap_or_else(|| Rating::of(name, self.value)),
            delta,
            navigation_type: self
                .navigation_type
                .as_deref()
                .and_then(NavigationType::parse),
            attribution: attribution(self.attribution),
            page_started_at_millis: page_started_at(&metric_id, timestamp_millis, received_millis),
            metric_id,
            timestamp_millis,
        })
    }
}

/// One error as sent, by the SDK or another browser SDK (Faro's
/// exceptions): what every browser error is validated and fingerprinted
/// from.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireError {
    pub message: String,
    #[serde(default)]
    pub error_type: Option<String>,
    #[serde(default)]
    pub stack: Option<Vec<WireFrame>>,
    /// Epoch milliseconds.
    #[serde(default)]
    pub ts: Option<f64>,
}

#[derive(Deserialize)]
pub(crate) struct WireFrame {
    #[serde(default)]
    pub file: Option<String>,
    #[serde(default)]
    pub function: Option<String>,
    #[serde(default)]
    pub line: Option<f64>,
    #[serde(default)]
    pub column: Option<f64>,
}

impl WireError {
    pub(crate) fn validate(self, received_millis: i64) -> Result<RumError, Refusal> {
        let error_type = cap(self.error_type.unwrap_or_default().trim().to_owned());
        let message = cap(self.message);
        if message.is_empty() && error_type.is_empty() {
            return Err(Refusal::new(
                Signal::RumErrors,
                RejectReason::InvalidValue,
                "error has neither `message` nor `errorType`",
            ));
        }
        let stack = self
            .stack
            .unwrap_or_default()
            .into_iter()
            .take(MAX_STACK_FRAMES)
            .map(|frame| StackFrame {
                file: text(frame.file),
                function: text(frame.function),
                line: position(frame.line),
                column: position(frame.column),
            })
            .collect();
        let error_type = if error_type.is_empty() {
            "Error".to_owned()
        } else {
            error_type
        };
        Ok(RumError::new(
            message,
            error_type,
            stack,
            event_time(millis(self.ts), received_millis),
        ))
    }
}

#[derive(Deserialize)]
struct WirePageView {
    #[serde(default)]
    ts: Option<f64>,
}

/// Keeps the flat string and finite number fields; nested objects (DOM
/// nodes, performance entries in web-vitals' own JSON) are left out.
fn attribution(fields: Option<Map<String, Value>>) -> Attributes {
    fields
        .into_iter()
        .flatten()
        .filter_map(|(key, value)| {
            let value = match value {
                Value::String(s) => AttributeValue::String(cap(s)),
                Value::Number(n) => number(&n)?,
                _ => return None,
            };
            Some((cap(key), value))
        })
        .take(MAX_ATTRIBUTION_FIELDS)
        .collect()
}

/// A JSON number as an attribute: an integer when it is one, else a
/// finite double (serde_json has no NaN, but keeps huge exponents).
pub(super) fn number(n: &serde_json::Number) -> Option<AttributeValue> {
    n.as_i64().map(AttributeValue::Int).or_else(|| {
        n.as_f64()
            .filter(|f| f.is_finite())
            .map(AttributeValue::Double)
    })
}

/// Epoch milliseconds from a JSON number (`Date.now()` or
/// `performance.timeOrigin + now()`, which has a fraction).
fn millis(ts: Option<f64>) -> Option<i64> {
    ts.filter(|t| t.is_finite()).map(|t| t as i64)
}

/// A line or column number; anything not a plausible one becomes 0.
fn position(value: Option<f64>) -> u32 {
    value
        .filter(|v| v.is_finite() && *v >= 0.0)
        .map_or(0, |v| v.min(u32::MAX as f64) as u32)
}

pub(crate) fn text(value: Option<String>) -> String {
    cap(value.unwrap_or_default())
}

/// The path of a page's URL (`/products/7`), what vitals are grouped by;
/// empty when the text is not a URL. For SDKs that send only the URL.
pub(crate) fn url_path(url: &str) -> String {
    url::Url::parse(url)
        .map(|parsed| parsed.path().to_owned())
        .unwrap_or_default()
}

/// Cuts a string to [`MAX_STRING_BYTES`] at a character boundary.
pub(crate) fn cap(mut value: String) -> String {
    if value.len() > MAX_STRING_BYTES {
        let mut end = MAX_STRING_BYTES;
        while !value.is_char_boundary(end) {
            end -= 1;
        }
        value.truncate(end);
    }
    value
}

/// A sender's value inside a reason, quoted and cut short.
pub(super) fn quoted(value: &str) -> String {
    let mut shown: String = value.chars().take(MAX_QUOTED_CHARS).collect();
    if shown.len() < value.len() {
        shown.push('…');
    }
    format!("'{shown}'")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NOW: i64 = 1_732_380_000_000;

    fn decode_json(value: Value) -> Decoded {
        decode(value.to_string().as_bytes(), 100, NOW).expect("decodes")
    }

    fn refused(body: &str) -> String {
        match decode(body.as_bytes(), 100, NOW) {
            Err(IngestError::BadRequest(message)) => message,
            other => panic!("expected a bad request for {body}, got {other:?}"),
        }
    }

    fn sdk_batch() -> Value {
        json!({
            "app": "shop", "release": "1.4.2", "environment": "production",
            "sessionId": "s-0123456789abcdef", "pageViewId": "p-0123456789abcdef",
            "traceId": "4bf92f3577b34da6a3ce929d0e0e4736",
            "page": {"url": "https://x/products/7?a=1", "path": "/products/7", "route": "/products/:id", "referrer": ""},
            "connection": "4g", "device": "desktop",
            "events": [
                {"type": "page_view", "ts": NOW - 500},
                {"type": "vital", "ts": NOW - 400, "name": "LCP", "value": 1234.5, "rating": "good", "delta": 1234.5,
                 "id": "v5-1732380000000-123", "navigationType": "navigate",
                 "attribution": {"element": "#hero", "url": "https://x/img.jpg", "timeToFirstByte": 100,
                                 "resourceLoadDelay": 10.5, "nested": {"a": 1}}},
                {"type": "error", "ts": NOW - 300, "message": "Cannot read properties of undefined (reading 'x')",
                 "errorType": "TypeError",
                 "stack": [{"file": "https://x/app.js", "function": "onClick", "line": 10, "column": 5}]}
            ]
        })
    }

    #[test]
    fn an_sdk_batch_decodes_into_its_page_and_events() {
        let decoded = decode_json(sdk_batch());
        assert_eq!((decoded.accepted(), decoded.rejected()), (3, 0));
        let page = &decoded.page;
        assert_eq!(page.app, "shop");
        assert_eq!(page.session_id, "s-0123456789abcdef");
        assert_eq!(
            page.trace_id.map(|t| t.to_string()).as_deref(),
            Some("4bf92f3577b34da6a3ce929d0e0e4736")
        );
        assert_eq!(page.route, "/products/:id");
        assert_eq!(page.connection, "4g");
        assert_eq!(page.device_class, Some(DeviceClass::Desktop));

        let lcp = &decoded.vitals[0];
        assert_eq!(
            (lcp.name, lcp.value, lcp.rating),
            (MetricName::Lcp, 1234.5, Rating::Good)
        );
        assert_eq!(lcp.metric_id, "v5-1732380000000-123");
        assert_eq!(
            lcp.page_started_at_millis, 1_732_380_000_000,
            "the page start is read from a web-vitals id"
        );
        assert_eq!(lcp.navigation_type, Some(NavigationType::Navigate));
        assert_eq!(lcp.timestamp_millis, NOW - 400);
        let mut attribution = lcp.attribution.clone();
        attribution.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(
            attribution,
            vec![
                ("element".to_owned(), AttributeValue::String("#hero".into())),
                ("resourceLoadDelay".to_owned(), AttributeValue::Double(10.5)),
                ("timeToFirstByte".to_owned(), AttributeValue::Int(100)),
                (
                    "url".to_owned(),
                    AttributeValue::String("https://x/img.jpg".into())
                ),
            ]
        );

        let error = &decoded.errors[0];
        assert_eq!(error.error_type, "TypeError");
        assert_eq!(error.stack[0].function, "onClick");
        assert_eq!((error.stack[0].line, error.stack[0].column), (10, 5));
        assert_eq!(decoded.page_views[0].timestamp_millis, NOW - 500);
    }

    #[test]
    fn the_hand_written_one_metric_beacon_is_accepted_as_is() {
        let decoded = decode_json(json!({
            "name": "CLS", "value": 0.31, "delta": 0.31, "id": "v4-1-2", "page": "/blog/post", "connection": "3g"
        }));
        assert_eq!(decoded.accepted(), 1);
        assert_eq!(decoded.page.path, "/blog/post");
        assert_eq!(decoded.page.connection, "3g");
        let cls = &decoded.vitals[0];
        assert_eq!(
            (cls.name, cls.rating),
            (MetricName::Cls, Rating::Poor),
            "rating computed"
        );
        assert_eq!(cls.timestamp_millis, NOW, "no ts: the receive time");
        assert_eq!(
            cls.page_started_at_millis, NOW,
            "an id without a time: the report's time"
        );
    }

    #[test]
    fn web_vitals_metric_json_is_accepted_without_its_entries() {
        let decoded = decode_json(json!({
            "name": "INP", "value": 350, "rating": "needs-improvement", "delta": 350, "id": "v5-9-9",
            "navigationType": "back-forward-cache",
            "entries": [{"name": "pointerdown", "startTime": 1000.5, "duration": 350}],
            "attribution": {"interactionTarget": "#buy", "inputDelay": 2.5, "longAnimationFrameEntries": []}
        }));
        let inp = &decoded.vitals[0];
        assert_eq!(inp.navigation_type, Some(NavigationType::BackForwardCache));
        assert_eq!(inp.attribution.len(), 2);
        assert!(decoded.page.path.is_empty());
    }

    #[test]
    fn fid_is_accepted_as_a_legacy_metric() {
        let decoded = decode_json(json!({"name": "FID", "value": 12, "delta": 12, "id": "v3-1"}));
        assert_eq!(decoded.vitals[0].name, MetricName::Fid);
    }

    #[test]
    fn bad_values_are_rejected_one_by_one() {
        let mut batch = sdk_batch();
        let events = batch["events"].as_array_mut().unwrap();
        events.extend([
            json!({"type": "vital", "name": "LCP", "value": "NaN", "id": "a"}),
            json!({"type": "vital", "name": "LCP", "value": -5, "id": "b"}),
            json!({"type": "vital", "name": "TTFB", "value": 600_001, "id": "c"}),
            json!({"type": "vital", "name": "CLS", "value": 100.5, "id": "d"}),
            json!({"type": "vital", "name": "TBT", "value": 10, "id": "e"}),
            json!({"type": "vital", "name": "LCP", "value": 10}),
            json!({"type": "vital", "name": "LCP", "value": 10, "id": "  "}),
            json!({"type": "click"}),
            json!({"ts": 1}),
            json!("page_view"),
        ]);
        let decoded = decode_json(batch);
        assert_eq!((decoded.accepted(), decoded.rejected()), (3, 10));
        let count = |signal, reason| decoded.rejections.count(signal, reason);
        assert_eq!(count(Signal::RumVitals, RejectReason::InvalidValue), 5);
        assert_eq!(count(Signal::RumVitals, RejectReason::Malformed), 2);
        assert_eq!(count(Signal::RumUnknown, RejectReason::InvalidValue), 1);
        assert_eq!(count(Signal::RumUnknown, RejectReason::Malformed), 2);
        let reasons = decoded.reasons.join("\n");
        assert_eq!(decoded.reasons.len(), MAX_REASONS);
        assert!(
            reasons.contains("event 3: invalid type: string \"NaN\", expected f64"),
            "{reasons}"
        );
        assert!(
            reasons.contains("event 4: LCP value -5 is out of range (0 to 600000 ms)"),
            "{reasons}"
        );
        assert!(
            reasons.contains("event 5: TTFB value 600001 is out of range"),
            "{reasons}"
        );
        assert!(
            reasons.contains("event 6: CLS value 100.5 is out of range (0 to 100)"),
            "{reasons}"
        );
        assert!(
            reasons.contains("event 7: unknown metric name 'TBT'"),
            "{reasons}"
        );
    }

    #[test]
    fn each_validation_rule_names_the_problem() {
        let reason = |body: Value| {
            let decoded = decode_json(body);
            assert_eq!(decoded.accepted(), 0);
            decoded.reasons.join("; ")
        };
        assert!(reason(json!({"name": "LCP", "value": 1})).contains("missing field `id`"));
        assert!(reason(json!({"name": "LCP", "id": "x"})).contains("missing field `value`"));
        assert!(
            reason(json!({"name": "LCP", "value": 1, "delta": 1e9, "id": "x"})).contains("delta")
        );
        assert!(reason(json!({"name": "lcp", "value": 1e12, "id": "x"})).contains("LCP value"));
        let events = |e: Value| json!({"events": [e]});
        assert!(reason(events(json!({"type": "click"}))).contains("unknown event type 'click'"));
        assert!(reason(events(json!({"name": "LCP"}))).contains("missing field `type`"));
        assert!(reason(events(json!({"type": "error"}))).contains("missing field `message`"));
        assert!(reason(events(json!({"type": "error", "message": ""}))).contains("neither"));
        assert!(reason(events(json!(7))).contains("not a JSON object"));
    }

    #[test]
    fn whole_bodies_that_are_unusable_are_refused() {
        assert!(refused("not json").contains("not valid JSON"));
        assert!(refused(r#"{"name": "LCP", "value": NaN, "id": "x"}"#).contains("not valid JSON"));
        assert!(refused("[1, 2]").contains("expected a JSON object"));
        assert!(refused(r#"{"hello": "world"}"#).contains("expected a JSON object"));
        assert!(refused(r#"{"events": {}}"#).contains("`events` must be an array"));
        assert!(refused(r#"{"events": []}"#).contains("`events` is empty"));
        assert!(
            refused(r#"{"app": 5, "events": [{"type": "page_view"}]}"#).contains("invalid beacon")
        );
    }

    #[test]
    fn events_past_the_batch_limit_are_rejected_and_counted() {
        let events: Vec<Value> = (0..7).map(|_| json!({"type": "page_view"})).collect();
        let body = json!({"events": events}).to_string();
        let decoded = decode(body.as_bytes(), 5, NOW).unwrap();
        assert_eq!((decoded.accepted(), decoded.rejected()), (5, 2));
        assert_eq!(
            decoded
                .rejections
                .count(Signal::RumPageViews, RejectReason::BatchLimit),
            2
        );
        assert!(decoded.reasons[0].contains("2 events past the limit of 5"));
    }

    #[test]
    fn long_strings_and_stacks_are_capped() {
        let frames: Vec<Value> = (0..200)
            .map(|i| json!({"file": "https://x/app.js", "function": format!("f{i}"), "line": i, "column": -1}))
            .collect();
        let decoded = decode_json(json!({
            "page": {"url": format!("https://x/{}", "é".repeat(3000))},
            "events": [{"type": "error", "message": "m".repeat(10_000), "stack": frames}]
        }));
        assert!(
            decoded.page.url.len() <= MAX_STRING_BYTES
                && decoded.page.url.len() > MAX_STRING_BYTES - 2
        );
        let error = &decoded.errors[0];
        assert_eq!(error.message.len(), MAX_STRING_BYTES);
        assert_eq!(error.stack.len(), MAX_STACK_FRAMES);
        assert_eq!(
            error.stack[0].column, 0,
            "a negative column is not a position"
        );
        assert_eq!(
            error.error_type, "Error",
            "a missing type defaults to Error"
        );
    }

    #[test]
    fn unknown_context_values_are_left_out_and_absurd_times_clamped() {
        let decoded = decode_json(json!({
            "traceId": "not-a-trace", "connection": "wifi", "device": "fridge",
            "events": [{"type": "page_view", "ts": 4_102_444_800_000_i64}]
        }));
        assert_eq!(decoded.page.trace_id, None);
        assert_eq!(decoded.page.connection, "");
        assert_eq!(decoded.page.device_class, None);
        assert_eq!(
            decoded.page_views[0].timestamp_millis,
            NOW + crate::model::rum::MAX_CLOCK_AHEAD_MILLIS
        );
    }
}
