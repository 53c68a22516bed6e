//! OpenTelemetry's `browser.web_vital` log events as Web Vitals: the web
//! vitals instrumentation of OpenTelemetry's browser SDK reports each
//! metric as a log record named `browser.web_vital` with attributes
//! `browser.web_vital.{name,value,delta,id,rating,navigation_type}`. Each
//! becomes the vital rum.js would have sent (`rum::decode::WireVital`, so
//! it is validated the same way) and leaves the log records: a vital is
//! stored once, in `rum_vitals`, where every vitals page and KPI reads.
//!
//! The page is read from the first such record: its service (the app),
//! `service.version`, `deployment.environment.name`, and `session.id` and
//! `url.full` from the record or its resource. One export comes from one
//! page.

use crate::ingest::rum::decode::{cap, url_path, Decoded, WireVital};
use crate::model::rum::PageInfo;
use crate::model::{AttributeValue, LogRecord};

/// The event name OpenTelemetry gives a Web Vitals report.
pub(super) const WEB_VITAL_EVENT: &str = "browser.web_vital";
/// Older instrumentations name the event in an attribute instead.
const EVENT_NAME_ATTRIBUTE: &str = "event.name";
const PREFIX: &str = "browser.web_vital.";

/// Moves the Web Vitals events out of `records`, decoded and validated as
/// vitals; `None` when there were none.
pub(super) fn take_vitals(records: &mut Vec<LogRecord>, received_millis: i64) -> Option<Decoded> {
    if !records.iter().any(is_web_vital) {
        return None;
    }
    let (vitals, others): (Vec<LogRecord>, Vec<LogRecord>) =
        std::mem::take(records).into_iter().partition(is_web_vital);
    *records = others;
    let mut decoded = Decoded {
        page: page_of(vitals.first()?),
        ..Decoded::default()
    };
    for (index, record) in vitals.iter().enumerate() {
        match wire_vital(record).validate(received_millis) {
            Ok(vital) => decoded.vitals.push(vital),
            Err(refusal) => decoded.refused(&format!("{WEB_VITAL_EVENT} {index}"), refusal),
        }
    }
    Some(decoded)
}

fn is_web_vital(record: &LogRecord) -> bool {
    record.event_name == WEB_VITAL_EVENT
        || matches!(attribute(record, EVENT_NAME_ATTRIBUTE),
            Some(AttributeValue::String(name)) if name == WEB_VITAL_EVENT)
}

/// The record's attribute `key`, else its resource's.
fn attribute<'a>(record: &'a LogRecord, key: &str) -> Option<&'a AttributeValue> {
    let find = |attributes: &'a crate::model::Attributes| {
        attributes.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    };
    find(&record.attributes).or_else(|| find(&record.origin.resource.attributes))
}

fn text(record: &LogRecord, key: &str) -> Option<String> {
    match attribute(record, key)? {
        AttributeValue::String(text) => Some(cap(text.clone())),
        _ => None,
    }
}

fn number(record: &LogRecord, key: &str) -> Option<f64> {
    match attribute(record, key)? {
        AttributeValue::Double(value) => Some(*value),
        AttributeValue::Int(value) => Some(*value as f64),
        AttributeValue::String(text) => text.parse().ok(),
        _ => None,
    }
}

/// The vital as rum.js would have sent it; what is missing is refused by
/// the validation (a missing value reads as NaN, out of every range).
fn wire_vital(record: &LogRecord) -> WireVital {
    let field = |name: &str| format!("{PREFIX}{name}");
    WireVital {
        name: text(record, &field("name")).unwrap_or_default(),
        value: number(record, &field("value")).unwrap_or(f64::NAN),
        rating: text(record, &field("rating")),
        delta: number(record, &field("delta")),
        id: text(record, &field("id")).unwrap_or_default(),
        navigation_type: text(record, &field("navigation_type")),
        attribution: None,
        ts: Some(record.time_unix_nanos as f64 / 1e6),
    }
}

fn page_of(record: &LogRecord) -> PageInfo {
    let url = text(record, "url.full").unwrap_or_default();
    PageInfo {
        app: cap(record.service_name().to_owned()),
        release: text(record, "service.version").unwrap_or_default(),
        environment: text(record, "deployment.environment.name").unwrap_or_default(),
        session_id: text(record, "session.id").unwrap_or_default(),
        path: url_path(&url),
        url,
        ..PageInfo::default()
    }
}
