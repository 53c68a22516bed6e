//! Faro's payload (`TransportBody` of `@grafana/faro-core`): `meta` and up
//! to five lists, read as the web SDK sends them. The shape is checked
//! whole first: a payload that is not it is refused with the path of the
//! field at fault (`measurements[0].values.lcp: invalid type ...`). Then
//! each item stands alone, like a beacon's events:
//!
//! - `meta` → the page: app name, release (or version) and environment,
//!   session id, page id (the page view) and URL;
//! - `measurements` of type `web-vitals` → vitals (the metric named by the
//!   one key of `values` that is a Web Vital, `delta`, and `id`, `rating`,
//!   `navigation_type` from `context`; the other values and context as
//!   attribution); other types are not stored, and said so;
//! - `exceptions` → errors (`type`, `value`, the frames innermost first),
//!   fingerprinted like rum.js's;
//! - `logs` and `events` → an OTLP/JSON logs request (`otlp.rs`), decoded
//!   by the OTLP JSON decoder into `otel_logs`;
//! - `traces` (OTLP/JSON already) → the OTLP JSON decoder, into
//!   `otel_traces`.

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::clock::parse_rfc3339_millis;
use crate::ingest::rum::decode::{
    text, url_path, Decoded, Refusal, WireError, WireFrame, WireVital,
};
use crate::ingest::IngestError;
use crate::model::rum::{MetricName, PageInfo};
use crate::telemetry::outcome::{RejectReason, Signal};

/// The measurement type Faro's web-vitals instrumentation sends.
const WEB_VITALS: &str = "web-vitals";

#[derive(Deserialize)]
pub(super) struct Payload {
    pub meta: Meta,
    #[serde(default)]
    pub exceptions: Vec<Exception>,
    #[serde(default)]
    pub logs: Vec<Log>,
    #[serde(default)]
    pub measurements: Vec<Measurement>,
    #[serde(default)]
    pub events: Vec<FaroEvent>,
    /// An OTLP/JSON `ExportTraceServiceRequest`, passed on as sent.
    #[serde(default)]
    pub traces: Option<Box<RawValue>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Meta {
    pub sdk: Option<Named>,
    pub app: Option<App>,
    pub session: Option<Identified>,
    pub page: Option<Page>,
    pub browser: Option<Browser>,
    pub view: Option<Named>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Named {
    pub name: Option<String>,
    pub version: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct App {
    pub name: Option<String>,
    pub version: Option<String>,
    pub release: Option<String>,
    pub environment: Option<String>,
    pub namespace: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Identified {
    pub id: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Page {
    pub id: Option<String>,
    pub url: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Browser {
    pub name: Option<String>,
    pub version: Option<String>,
    pub os: Option<String>,
    pub mobile: Option<bool>,
}

/// A span context Faro attaches to an item.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub(super) struct TraceContext {
    pub trace_id: String,
    pub span_id: String,
}

#[derive(Deserialize)]
pub(super) struct Exception {
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub value: String,
    #[serde(default)]
    pub timestamp: Option<String>,
    #[serde(default)]
    pub stacktrace: Option<Stacktrace>,
}

#[derive(Deserialize)]
pub(super) struct Stacktrace {
    #[serde(default)]
    pub frames: Vec<Frame>,
}

#[derive(Deserialize)]
pub(super) struct Frame {
    #[serde(default)]
    pub filename: Option<String>,
    #[serde(default)]
    pub function: Option<String>,
    #[serde(default)]
    pub lineno: Option<f64>,
    #[serde(default)]
    pub colno: Option<f64>,
}

#[derive(Deserialize)]
pub(super) struct Log {
    pub message: String,
    #[serde(default)]
    pub level: Option<String>,
    #[serde(default)]
    pub timestamp: Option<String>,
    #[serde(default)]
    pub context: Option<Map<String, Value>>,
    #[serde(default)]
    pub trace: Option<TraceContext>,
}

#[derive(Deserialize)]
pub(super) struct Measurement {
    #[serde(rename = "type")]
    pub kind: String,
    pub values: Map<String, Value>,
    #[serde(default)]
    pub timestamp: Option<String>,
    #[serde(default)]
    pub context: Option<Map<String, Value>>,
}

#[derive(Deserialize)]
pub(super) struct FaroEvent {
    pub name: String,
    #[serde(default)]
    pub domain: Option<String>,
    #[serde(default)]
    pub timestamp: Option<String>,
    #[serde(default)]
    pub attributes: Option<Map<String, Value>>,
    #[serde(default)]
    pub trace: Option<TraceContext>,
}

/// The payload, or a refusal naming the field at fault.
pub(super) fn payload(body: &[u8]) -> Result<Payload, IngestError> {
    let mut json = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(&mut json).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        IngestError::BadRequest(match path.as_str() {
            "." if inner.is_syntax() || inner.is_eof() => {
                format!("body is not valid JSON: {inner}")
            }
            "." => format!("not a Faro payload: {inner}"),
            _ => format!("{path}: {inner}"),
        })
    })
}

/// An ISO 8601 time of Faro's as epoch milliseconds (JSON numbers, as the
/// RUM decoder reads them); an unreadable one is left to the receive time.
pub(super) fn millis(timestamp: &Option<String>) -> Option<f64> {
    timestamp
        .as_deref()
        .and_then(parse_rfc3339_millis)
        .map(|millis| millis as f64)
}

/// The page `meta` describes.
pub(super) fn page(meta: &Meta) -> PageInfo {
    let app = meta.app.as_ref();
    let from_app = |field: fn(&App) -> Option<String>| text(app.and_then(field));
    let url = text(meta.page.as_ref().and_then(|page| page.url.clone()));
    PageInfo {
        app: from_app(|app| app.name.clone()),
        release: text(app.and_then(|app| app.release.clone().or_else(|| app.version.clone()))),
        environment: from_app(|app| app.environment.clone()),
        session_id: text(meta.session.as_ref().and_then(|s| s.id.clone())),
        page_view_id: text(meta.page.as_ref().and_then(|page| page.id.clone())),
        path: url_path(&url),
        url,
        ..PageInfo::default()
    }
}

/// The measurements and exceptions as a RUM batch on `meta`'s page.
pub(super) fn rum_batch(payload: &mut Payload, received_millis: i64) -> Decoded {
    let mut decoded = Decoded {
        page: page(&payload.meta),
        ..Decoded::default()
    };
    for (index, measurement) in std::mem::take(&mut payload.measurements)
        .into_iter()
        .enumerate()
    {
        let what = format!("measurements[{index}]");
        match vital(measurement).and_then(|wire| wire.validate(received_millis)) {
            Ok(vital) => decoded.vitals.push(vital),
            Err(refusal) => decoded.refused(&what, refusal),
        }
    }
    for (index, exception) in std::mem::take(&mut payload.exceptions)
        .into_iter()
        .enumerate()
    {
        match error(exception).validate(received_millis) {
            Ok(error) => decoded.errors.push(error),
            Err(refusal) => decoded.refused(&format!("exceptions[{index}]"), refusal),
        }
    }
    decoded
}

/// A `web-vitals` measurement as the vital rum.js would have sent.
fn vital(measurement: Measurement) -> Result<WireVital, Refusal> {
    if measurement.kind != WEB_VITALS {
        return Err(Refusal::new(
            Signal::RumVitals,
            RejectReason::InvalidValue,
            format!(
                "measurement type '{}' is not stored (only {WEB_VITALS})",
                measurement.kind.chars().take(40).collect::<String>()
            ),
        ));
    }
    let ts = millis(&measurement.timestamp);
    let mut values = measurement.values;
    let name = values
        .keys()
        .find(|key| MetricName::parse(key).is_some())
        .cloned()
        .unwrap_or_default();
    let value = values
        .remove(&name)
        .and_then(|v| v.as_f64())
        .unwrap_or(f64::NAN);
    let delta = values.remove("delta").and_then(|v| v.as_f64());
    let mut context = measurement.context.unwrap_or_default();
    let mut take = |key: &str| match context.remove(key) {
        Some(Value::String(text)) => Some(text),
        _ => None,
    };
    let (id, rating, navigation_type) = (take("id"), take("rating"), take("navigation_type"));
    values.extend(context);
    Ok(WireVital {
        name,
        value,
        rating,
        delta,
        id: id.unwrap_or_default(),
        // Faro writes web-vitals' names with underscores.
        navigation_type: navigation_type.map(|kind| kind.replace('_', "-")),
        attribution: Some(values),
        ts,
    })
}

/// An exception as the error rum.js would have sent.
fn error(exception: Exception) -> WireError {
    let frames = exception.stacktrace.map(|s| s.frames).unwrap_or_default();
    WireError {
        message: exception.value,
        error_type: exception.kind,
        stack: Some(
            frames
                .into_iter()
                .map(|frame| WireFrame {
                    file: frame.filename,
                    function: frame.function,
                    line: frame.lineno,
                    column: frame.colno,
                })
                .collect(),
        ),
        ts: millis(&exception.timestamp),
    }
}
