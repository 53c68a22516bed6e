//! `LogRecord`, read into a [`RawLogRecord`] as sent; its resource's group
//! judges it (`judge::judge_log_record`) once the resource is known. How
//! JSON sends ids and the severity number, and how refusals quote ids, is
//! the [`Json`] encoding.

use serde::de::{IgnoredAny, MapAccess};

use super::LogState;
use crate::ingest::otlp::json::{
    attributes, fields, read, AnyValue, Ctx, Enum, Id, Integer, Key, Message, Msg, RawEnum, RawId,
    Text,
};
use crate::ingest::otlp::logs::judge::{LogEncoding, RawLogRecord};
use crate::model::{Severity, SpanId, TraceId};

fields!(LogRecordField {
    Time = "timeUnixNano" | "time_unix_nano",
    ObservedTime = "observedTimeUnixNano" | "observed_time_unix_nano",
    SeverityNumber = "severityNumber" | "severity_number",
    SeverityText = "severityText" | "severity_text",
    Body = "body",
    Attributes = "attributes",
    DroppedAttributes = "droppedAttributesCount" | "dropped_attributes_count",
    Flags = "flags",
    TraceId = "traceId" | "trace_id",
    SpanId = "spanId" | "span_id",
    EventName = "eventName" | "event_name",
});

/// One log record, as sent.
pub(super) struct LogRecordMessage;

impl<'a> Message<LogState<'a>> for LogRecordMessage {
    type Out = RawLogRecord<Json>;
    const WHAT: &'static str = "a LogRecord";

    fn decode<'de, A: MapAccess<'de>>(
        ctx: &mut Ctx<LogState<'a>>,
        mut map: A,
    ) -> Result<RawLogRecord<Json>, A::Error> {
        let mut record = RawLogRecord::<Json>::default();
        while let Some(field) = map.next_key_seed(Key::<LogRecordField>::new())? {
            let Some(field) = field else {
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            match field {
                LogRecordField::Time => {
                    record.time_unix_nano = read!(ctx, map, field, Integer::<u64>::new())
                }
                LogRecordField::ObservedTime => {
                    record.observed_time_unix_nano = read!(ctx, map, field, Integer::<u64>::new())
                }
                LogRecordField::SeverityNumber => {
                    record.severity_number = Some(read!(ctx, map, field, Enum(severity_name)))
                }
                LogRecordField::SeverityText => record.severity_text = read!(ctx, map, field, Text),
                LogRecordField::Body => {
                    record.body = read!(ctx, map, field, Msg::<_, AnyValue>::new(ctx))
                }
                LogRecordField::Attributes => {
                    record.attributes = read!(ctx, map, field, attributes(ctx))
                }
                LogRecordField::DroppedAttributes => {
                    record.dropped_attributes_count = read!(ctx, map, field, Integer::<u32>::new())
                }
                LogRecordField::Flags => {
                    record.flags = read!(ctx, map, field, Integer::<u32>::new())
                }
                LogRecordField::TraceId => record.trace_id = Some(read!(ctx, map, field, Id::<16>)),
                LogRecordField::SpanId => record.span_id = Some(read!(ctx, map, field, Id::<8>)),
                LogRecordField::EventName => record.event_name = read!(ctx, map, field, Text),
            }
        }
        Ok(record)
    }

    /// A `null` record has no time: rejected like any record without one.
    fn null(_: &mut Ctx<LogState<'a>>) -> RawLogRecord<Json> {
        RawLogRecord::default()
    }
}

/// JSON's ids are hex (or base64) text, absent, or unreadable (quoted back
/// as sent); its severity a number or a name (`SEVERITY_NUMBER_WARN`);
/// refusals name fields in lowerCamelCase.
pub(crate) struct Json;

impl LogEncoding for Json {
    type TraceId = Option<RawId<16>>;
    type SpanId = Option<RawId<8>>;
    type Severity = Option<RawEnum>;

    fn trace_id(sent: &Option<RawId<16>>) -> Result<Option<TraceId>, ()> {
        match sent {
            None | Some(RawId::Empty) => Ok(None),
            Some(RawId::Bytes(bytes)) => TraceId::from_bytes(bytes).map(Some).ok_or(()),
            Some(RawId::Invalid { .. }) => Err(()),
        }
    }

    fn span_id(sent: &Option<RawId<8>>) -> Result<Option<SpanId>, ()> {
        match sent {
            None | Some(RawId::Empty) => Ok(None),
            Some(RawId::Bytes(bytes)) => SpanId::from_bytes(bytes).map(Some).ok_or(()),
            Some(RawId::Invalid { .. }) => Err(()),
        }
    }

    fn severity_number(sent: &Option<RawEnum>) -> Option<i64> {
        match sent {
            None => Some(0),
            Some(Ok(number)) => Some(*number),
            Some(Err(_)) => None,
        }
    }

    fn shown_severity(sent: &Option<RawEnum>) -> String {
        match sent {
            None => "0".to_owned(),
            Some(Ok(number)) => number.to_string(),
            Some(Err(text)) => text.clone(),
        }
    }

    fn bad_trace_id(record: &str, sent: &Option<RawId<16>>) -> String {
        invalid_id(record, "traceId", shown(sent), "32 hex digits (16 bytes)")
    }

    fn bad_span_id(record: &str, sent: &Option<RawId<8>>) -> String {
        invalid_id(record, "spanId", shown(sent), "16 hex digits (8 bytes)")
    }
}

fn invalid_id(record: &str, field: &str, sent: String, want: &str) -> String {
    format!("{record}: {field} must be empty or {want}, not all zero; got '{sent}'")
}

/// An id that is not empty, as quoted in a message.
fn shown<const N: usize>(raw: &Option<RawId<N>>) -> String {
    match raw {
        None | Some(RawId::Empty) => String::new(),
        Some(RawId::Invalid { shown, .. }) => shown.clone(),
        // The right length, so all zero.
        Some(RawId::Bytes(bytes)) => bytes.iter().map(|b| format!("{b:02x}")).collect(),
    }
}

/// `SEVERITY_NUMBER_UNSPECIFIED`, `SEVERITY_NUMBER_INFO`, `…_INFO2` to
/// `…_INFO4`, and so on for every range.
fn severity_name(name: &str) -> Option<i64> {
    let name = name.strip_prefix("SEVERITY_NUMBER_")?;
    if name == "UNSPECIFIED" {
        return Some(0);
    }
    Severity::ALL.into_iter().find_map(|severity| {
        let step = match name.strip_prefix(severity.as_str())? {
            "" => 0,
            "2" => 1,
            "3" => 2,
            "4" => 3,
            _ => return None,
        };
        Some(i64::from(severity.lowest_number()) + step)
    })
}

#[cfg(test)]
mod tests {
    use super::severity_name;

    #[test]
    fn severity_names_are_otlps() {
        assert_eq!(severity_name("SEVERITY_NUMBER_UNSPECIFIED"), Some(0));
        assert_eq!(severity_name("SEVERITY_NUMBER_TRACE"), Some(1));
        assert_eq!(severity_name("SEVERITY_NUMBER_INFO"), Some(9));
        assert_eq!(severity_name("SEVERITY_NUMBER_INFO2"), Some(10));
        assert_eq!(severity_name("SEVERITY_NUMBER_ERROR"), Some(17));
        assert_eq!(severity_name("SEVERITY_NUMBER_FATAL4"), Some(24));
        assert_eq!(severity_name("SEVERITY_NUMBER_FATAL5"), None);
        assert_eq!(severity_name("SEVERITY_NUMBER_LOUD"), None);
        assert_eq!(severity_name("INFO"), None);
    }
}
