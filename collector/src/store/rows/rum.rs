//! The RUM tables: `rum_vitals`, `rum_errors` and `rum_page_views`. Every
//! row starts with the page context columns (written by [`put_context`]),
//! then the event's own.

use std::fmt::Write as _;

use super::attributes::put_attributes;
use super::errors::frames_json;
use super::Table;
use crate::model::rum::{PageContext, PageView, RumError, RumRecord, Vital};
use crate::store::rowbinary::{put_datetime64_millis, put_f64, put_str, put_u32, put_varint};

/// A table's column list: the context columns, then `$column`s.
macro_rules! columns_after_context {
    ($($column:literal),* $(,)?) => {
        &[
            "ReceivedAt", "App", "Release", "Environment", "SessionId", "PageViewId", "TraceId",
            "Url", "Path", "Route", "Referrer", "Browser", "BrowserVersion", "Os", "DeviceClass",
            "Connection", "Country", "ClientIp",
            $($column),*
        ]
    };
}

/// Writes the context columns, in [`columns_after_context`]'s order.
fn put_context(buf: &mut Vec<u8>, context: &PageContext, scratch: &mut String) {
    let page = &context.page;
    let client = &context.client;
    put_datetime64_millis(buf, context.received_at_millis);
    for text in [
        &page.app,
        &page.release,
        &page.environment,
        &page.session_id,
        &page.page_view_id,
    ] {
        put_str(buf, text.as_bytes());
    }
    match page.trace_id {
        Some(trace_id) => {
            put_varint(buf, 32);
            trace_id.write_hex(buf);
        }
        None => put_str(buf, b""),
    }
    for text in [&page.url, &page.path, &page.route, &page.referrer] {
        put_str(buf, text.as_bytes());
    }
    for text in [&client.browser, &client.browser_version, &client.os] {
        put_str(buf, text.as_bytes());
    }
    put_str(buf, context.device_class().as_str().as_bytes());
    put_str(buf, page.connection.as_bytes());
    put_str(buf, client.country.as_bytes());
    scratch.clear();
    if let Some(ip) = client.ip {
        let _ = write!(scratch, "{ip}");
    }
    put_str(buf, scratch.as_bytes());
}

pub struct RumVitalTable;

impl Table for RumVitalTable {
    type Record = RumRecord<Vital>;

    const NAME: &'static str = "rum_vitals";

    const COLUMNS: &'static [&'static str] = columns_after_context!(
        "Timestamp",
        "Name",
        "Value",
        "Rating",
        "Delta",
        "MetricId",
        "NavigationType",
        "Attribution",
        "PageStartedAt",
    );

    fn encode(record: &RumRecord<Vital>, buf: &mut Vec<u8>) {
        let mut scratch = String::new();
        put_context(buf, &record.context, &mut scratch);
        let vital = &record.event;
        put_datetime64_millis(buf, vital.timestamp_millis);
        put_str(buf, vital.name.as_str().as_bytes());
        put_f64(buf, vital.value);
        put_str(buf, vital.rating.as_str().as_bytes());
        put_f64(buf, vital.delta);
        put_str(buf, vital.metric_id.as_bytes());
        put_str(
            buf,
            vital.navigation_type.map_or("", |n| n.as_str()).as_bytes(),
        );
        put_attributes(buf, &vital.attribution, &mut scratch);
        put_datetime64_millis(buf, vital.page_started_at_millis);
    }
}

pub struct RumErrorTable;

impl Table for RumErrorTable {
    type Record = RumRecord<RumError>;

    const NAME: &'static str = "rum_errors";

    const COLUMNS: &'static [&'static str] = columns_after_context!(
        "Timestamp",
        "Fingerprint",
        "ErrorType",
        "Message",
        "`Stack.File`",
        "`Stack.Function`",
        "`Stack.Line`",
        "`Stack.Column`",
        "Frames",
        "Symbolication",
    );

    fn encode(record: &RumRecord<RumError>, buf: &mut Vec<u8>) {
        let mut scratch = String::new();
        put_context(buf, &record.context, &mut scratch);
        let error = &record.event;
        put_datetime64_millis(buf, error.timestamp_millis);
        scratch.clear();
        let _ = write!(scratch, "{}", error.fingerprint);
        put_str(buf, scratch.as_bytes());
        put_str(buf, error.error_type.as_bytes());
        put_str(buf, error.message.as_bytes());
        // Nested columns are parallel arrays, one per field.
        let frames = error.stack.len() as u64;
        put_varint(buf, frames);
        for frame in &error.stack {
            put_str(buf, frame.file.as_bytes());
        }
        put_varint(buf, frames);
        for frame in &error.stack {
            put_str(buf, frame.function.as_bytes());
        }
        put_varint(buf, frames);
        for frame in &error.stack {
            put_u32(buf, frame.line);
        }
        put_varint(buf, frames);
        for frame in &error.stack {
            put_u32(buf, frame.column);
        }
        put_str(buf, frames_json(&error.frames).as_bytes());
        put_str(buf, error.symbolication.as_bytes());
    }
}

pub struct RumPageViewTable;

impl Table for RumPageViewTable {
    type Record = RumRecord<PageView>;

    const NAME: &'static str = "rum_page_views";

    const COLUMNS: &'static [&'static str] = columns_after_context!("Timestamp");

    fn encode(record: &RumRecord<PageView>, buf: &mut Vec<u8>) {
        let mut scratch = String::new();
        put_context(buf, &record.context, &mut scratch);
        put_datetime64_millis(buf, record.event.timestamp_millis);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::model::rum::{DeviceClass, MetricName, Rating, StackFrame};
    use crate::model::TraceId;

    fn context() -> Arc<PageContext> {
        let mut context = PageContext {
            received_at_millis: 1_000,
            ..PageContext::default()
        };
        context.page.app = "shop".into();
        context.page.trace_id = TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736");
        context.page.device_class = Some(DeviceClass::Mobile);
        context.client.ip = Some("203.0.113.0".parse().unwrap());
        Arc::new(context)
    }

    #[test]
    fn the_context_is_written_in_column_order() {
        let mut buf = Vec::new();
        RumPageViewTable::encode(
            &RumRecord {
                context: context(),
                event: PageView {
                    timestamp_millis: 900,
                },
            },
            &mut buf,
        );
        let mut expected = Vec::new();
        put_datetime64_millis(&mut expected, 1_000);
        put_str(&mut expected, b"shop");
        for _ in 0..4 {
            put_str(&mut expected, b""); // Release, Environment, SessionId, PageViewId
        }
        put_str(&mut expected, b"4bf92f3577b34da6a3ce929d0e0e4736");
        for _ in 0..7 {
            put_str(&mut expected, b""); // Url .. Os
        }
        put_str(&mut expected, b"mobile");
        put_str(&mut expected, b""); // Connection
        put_str(&mut expected, b""); // Country
        put_str(&mut expected, b"203.0.113.0");
        put_datetime64_millis(&mut expected, 900);
        assert_eq!(buf, expected);
        assert_eq!(RumPageViewTable::COLUMNS.len(), 19);
    }

    #[test]
    fn stacks_are_written_as_parallel_arrays() {
        let error = RumError::new(
            "boom".into(),
            "Error".into(),
            vec![
                StackFrame {
                    file: "/a.js".into(),
                    function: "f".into(),
                    line: 1,
                    column: 2,
                },
                StackFrame {
                    file: "/b.js".into(),
                    function: "".into(),
                    line: 3,
                    column: 4,
                },
            ],
            900,
        );
        let mut buf = Vec::new();
        let fingerprint = error.fingerprint.to_string();
        RumErrorTable::encode(
            &RumRecord {
                context: context(),
                event: error,
            },
            &mut buf,
        );
        let mut tail = Vec::new();
        put_datetime64_millis(&mut tail, 900);
        put_str(&mut tail, fingerprint.as_bytes());
        put_str(&mut tail, b"Error");
        put_str(&mut tail, b"boom");
        put_varint(&mut tail, 2);
        put_str(&mut tail, b"/a.js");
        put_str(&mut tail, b"/b.js");
        put_varint(&mut tail, 2);
        put_str(&mut tail, b"f");
        put_str(&mut tail, b"");
        put_varint(&mut tail, 2);
        put_u32(&mut tail, 1);
        put_u32(&mut tail, 3);
        put_varint(&mut tail, 2);
        put_u32(&mut tail, 2);
        put_u32(&mut tail, 4);
        put_str(
            &mut tail,
            br#"[{"file":"/a.js","function":"f","line":1,"column":2,"in_app":true},{"file":"/b.js","line":3,"column":4,"in_app":true}]"#,
        );
        put_str(&mut tail, b"");
        assert!(buf.ends_with(&tail));
    }

    #[test]
    fn vitals_end_with_their_attribution_map_and_page_start() {
        let vital = Vital {
            name: MetricName::Inp,
            value: 312.0,
            rating: Rating::NeedsImprovement,
            delta: 12.0,
            metric_id: "v5-1".into(),
            navigation_type: None,
            attribution: vec![(
                "inputDelay".into(),
                crate::model::AttributeValue::Double(2.5),
            )],
            timestamp_millis: 900,
            page_started_at_millis: 400,
        };
        let mut buf = Vec::new();
        RumVitalTable::encode(
            &RumRecord {
                context: context(),
                event: vital,
            },
            &mut buf,
        );
        let mut tail = Vec::new();
        put_datetime64_millis(&mut tail, 900);
        put_str(&mut tail, b"INP");
        put_f64(&mut tail, 312.0);
        put_str(&mut tail, b"needs-improvement");
        put_f64(&mut tail, 12.0);
        put_str(&mut tail, b"v5-1");
        put_str(&mut tail, b"");
        put_varint(&mut tail, 1);
        put_str(&mut tail, b"inputDelay");
        put_str(&mut tail, b"2.5");
        put_datetime64_millis(&mut tail, 400);
        assert!(buf.ends_with(&tail));
    }
}
