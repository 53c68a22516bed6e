//! Backend exceptions out of what OpenTelemetry SDKs send: a span event
//! named `exception` with `exception.type`, `.message`, `.stacktrace` and
//! `.escaped` (the semantic conventions `record_exception` follows), and a
//! log record carrying the same `exception.*` attributes (what logging
//! bridges write for `logger.exception(...)`): the same reading through
//! [`from_attributes`], another origin.
//!
//! Browser spans and records are skipped: a page's errors arrive as error
//! beacons, grouped (and symbolicated) on their own.

use super::stack;
use crate::model::error::{
    cut, BackendError, ErrorOrigin, Fingerprint, MAX_MESSAGE_BYTES, MAX_STACKTRACE_BYTES,
};
use crate::model::{AttributeValue, Attributes, Layer, LogRecord, Resource, Span, SpanId, TraceId};

/// The event name OpenTelemetry gives a recorded exception.
pub const EXCEPTION_EVENT: &str = "exception";

/// Every exception the spans recorded, in span order.
pub fn from_spans(spans: &[Span]) -> Vec<BackendError> {
    let mut found = Vec::new();
    for span in spans {
        if span.resource.layer == Layer::Browser {
            continue;
        }
        for event in span.events.iter().filter(|e| e.name == EXCEPTION_EVENT) {
            let place = Place {
                resource: &span.resource,
                trace_id: Some(span.trace_id),
                span_id: Some(span.span_id),
                operation: &span.name,
                timestamp_millis: millis(event.time_unix_nanos),
                origin: ErrorOrigin::SpanEvent,
            };
            found.extend(from_attributes(&event.attributes, place));
        }
    }
    found
}

/// Every exception the log records carry, in record order. A record
/// names no operation: its trace and span (when it has them) link it to
/// one.
pub fn from_logs(records: &[LogRecord]) -> Vec<BackendError> {
    records
        .iter()
        .filter(|record| record.origin.resource.layer != Layer::Browser)
        .filter_map(|record| {
            let place = Place {
                resource: &record.origin.resource,
                trace_id: record.trace_id,
                span_id: record.span_id,
                operation: "",
                timestamp_millis: millis(record.time_unix_nanos),
                origin: ErrorOrigin::LogRecord,
            };
            from_attributes(&record.attributes, place)
        })
        .collect()
}

/// Where an exception was recorded: the resource that sent it and the
/// trace, span and time it belongs to.
pub struct Place<'a> {
    pub resource: &'a Resource,
    pub trace_id: Option<TraceId>,
    pub span_id: Option<SpanId>,
    /// The span's name; for a log record, its span's if known, else "".
    pub operation: &'a str,
    pub timestamp_millis: i64,
    pub origin: ErrorOrigin,
}

/// The exception `attributes` describe, if they name a type or a message
/// (the conventions require one of them).
pub fn from_attributes(attributes: &Attributes, place: Place<'_>) -> Option<BackendError> {
    let error_type = text(attributes, "exception.type");
    let message = cut(text(attributes, "exception.message"), MAX_MESSAGE_BYTES);
    if error_type.is_empty() && message.is_empty() {
        return None;
    }
    let stacktrace = cut(
        text(attributes, "exception.stacktrace"),
        MAX_STACKTRACE_BYTES,
    );
    let (_, frames) = stack::parse(&stacktrace);
    let service = place.resource.service_name.clone();
    let fingerprint = Fingerprint::of_frames(&service, &error_type, &message, &frames);
    let resource = &place.resource.attributes;
    let environment = match text(resource, "deployment.environment.name") {
        name if name.is_empty() => text(resource, "deployment.environment"),
        name => name,
    };
    Some(BackendError {
        timestamp_millis: place.timestamp_millis,
        layer: place.resource.layer,
        release: text(resource, "service.version"),
        environment,
        service,
        trace_id: place.trace_id,
        span_id: place.span_id,
        operation: place.operation.to_owned(),
        error_type,
        message,
        stacktrace,
        frames,
        escaped: matches!(
            value(attributes, "exception.escaped"),
            Some(AttributeValue::Bool(true))
        ),
        origin: place.origin,
        fingerprint,
    })
}

fn value<'a>(attributes: &'a Attributes, key: &str) -> Option<&'a AttributeValue> {
    attributes.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

/// A string attribute's value; "" when absent or of another type.
fn text(attributes: &Attributes, key: &str) -> String {
    match value(attributes, key) {
        Some(AttributeValue::String(s)) => s.trim().to_owned(),
        _ => String::new(),
    }
}

fn millis(nanos: u64) -> i64 {
    i64::try_from(nanos / 1_000_000).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::model::{Event, LogOrigin, Scope};

    fn string(key: &str, value: &str) -> (String, AttributeValue) {
        (key.into(), AttributeValue::String(value.into()))
    }

    fn span_with(layer: Layer, service: &str, events: Vec<Event>) -> Span {
        let mut span = Span::for_tests(1_000_000_000, 2_000_000_000);
        span.resource = Arc::new(Resource {
            service_name: service.into(),
            layer,
            attributes: vec![
                string("service.name", service),
                string("service.version", "2.1.0"),
                string("deployment.environment", "prod"),
            ],
        });
        span.events = events;
        span
    }

    fn exception(message: &str, line: u32) -> Event {
        Event {
            time_unix_nanos: 1_500_000_000,
            name: EXCEPTION_EVENT.into(),
            attributes: vec![
                string("exception.type", "ValueError"),
                string("exception.message", message),
                string(
                    "exception.stacktrace",
                    &format!(
                        "Traceback (most recent call last):\n  File \"/app/cart.py\", line {line}, in checkout\n    x()\nValueError: {message}\n"
                    ),
                ),
                ("exception.escaped".into(), AttributeValue::Bool(true)),
            ],
        }
    }

    #[test]
    fn exception_events_become_backend_errors_with_parsed_stacks() {
        let other = Event {
            time_unix_nanos: 1_200_000_000,
            name: "cache.miss".into(),
            attributes: Vec::new(),
        };
        let spans = [span_with(
            Layer::Gateway,
            "checkout-api",
            vec![other, exception("order 17 has no price", 42)],
        )];
        let errors = from_spans(&spans);
        assert_eq!(errors.len(), 1);
        let error = &errors[0];
        assert_eq!(error.timestamp_millis, 1_500);
        assert_eq!(
            (error.service.as_str(), error.release.as_str()),
            ("checkout-api", "2.1.0")
        );
        assert_eq!(error.environment, "prod");
        assert_eq!(error.layer, Layer::Gateway);
        assert_eq!(error.trace_id, Some(spans[0].trace_id));
        assert_eq!(error.frames[0].function, "checkout");
        assert!(error.escaped);
        assert_eq!(error.origin, ErrorOrigin::SpanEvent);
    }

    #[test]
    fn one_bug_is_one_fingerprint_across_values_and_deploys_but_not_services() {
        let of = |service: &str, message: &str, line: u32| {
            from_spans(&[span_with(
                Layer::Cms,
                service,
                vec![exception(message, line)],
            )])[0]
                .fingerprint
        };
        let first = of("cms", "order 17 has no price", 42);
        assert_eq!(first, of("cms", "order 98 has no price", 57));
        assert_ne!(first, of("cms", "order 17 has no tax", 42));
        assert_ne!(first, of("search", "order 17 has no price", 42));
    }

    #[test]
    fn browser_spans_and_empty_exceptions_are_not_errors() {
        assert!(
            from_spans(&[span_with(Layer::Browser, "shop", vec![exception("x", 1)])]).is_empty()
        );
        let empty = Event {
            time_unix_nanos: 1,
            name: EXCEPTION_EVENT.into(),
            attributes: vec![string("exception.stacktrace", "  at f (a.js:1:1)")],
        };
        assert!(from_spans(&[span_with(Layer::Gateway, "api", vec![empty])]).is_empty());
    }

    #[test]
    fn log_records_with_exception_attributes_are_backend_errors_of_the_same_group() {
        let span = span_with(
            Layer::Cms,
            "cms",
            vec![exception("order 17 has no price", 42)],
        );
        let record = |attributes: Attributes| LogRecord {
            time_unix_nanos: 1_700_000_000,
            trace_id: Some(span.trace_id),
            span_id: Some(span.span_id),
            trace_flags: 1,
            severity_text: "ERROR".into(),
            severity_number: 17,
            body: AttributeValue::String("checkout failed".into()),
            attributes,
            event_name: String::new(),
            origin: Arc::new(LogOrigin {
                resource: Arc::clone(&span.resource),
                resource_schema_url: String::new(),
                scope: Scope::default(),
                scope_attributes: Vec::new(),
                scope_schema_url: String::new(),
            }),
        };
        let logged = exception("order 98 has no price", 42).attributes;
        let plain = vec![string("http.route", "/checkout")];
        let errors = from_logs(&[record(plain), record(logged)]);
        assert_eq!(errors.len(), 1, "a record without exception.* is no error");
        let error = &errors[0];
        assert_eq!(error.origin, ErrorOrigin::LogRecord);
        assert_eq!(error.timestamp_millis, 1_700);
        assert_eq!(
            (error.trace_id, error.span_id),
            (Some(span.trace_id), Some(span.span_id))
        );
        assert_eq!(error.frames[0].function, "checkout");
        assert_eq!(error.fingerprint, from_spans(&[span])[0].fingerprint);
    }
}
