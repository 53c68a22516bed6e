//! A log record as Jamscope understands it, independent of OTLP's
//! encoding: when it happened, the trace and span it belongs to (if any),
//! how severe it is, its body and attributes, and what produced it. The
//! severity levels OpenTelemetry names (`TRACE` … `FATAL`, four numbers
//! each) live here too: searches and pages speak in them.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use super::{AttributeValue, Attributes, Resource, Scope, SpanId, TraceId};

/// The highest OTLP `SeverityNumber` (`FATAL4`); 0 is "unspecified".
pub const MAX_SEVERITY_NUMBER: u8 = 24;

#[derive(Debug, Clone, PartialEq)]
pub struct LogRecord {
    /// When it happened: OTLP's `time_unix_nano`, or when that is 0 (the
    /// source did not say), `observed_time_unix_nano`.
    pub time_unix_nanos: u64,
    pub trace_id: Option<TraceId>,
    pub span_id: Option<SpanId>,
    /// The W3C trace flags (the low byte of OTLP's `flags`).
    pub trace_flags: u8,
    /// The severity as the source wrote it (`WARNING`, `Information`).
    pub severity_text: String,
    /// 0 (unspecified) to [`MAX_SEVERITY_NUMBER`].
    pub severity_number: u8,
    /// A string, or any structured value.
    pub body: AttributeValue,
    pub attributes: Attributes,
    /// Set when the record is an event (OTLP's `event_name`).
    pub event_name: String,
    pub origin: Arc<LogOrigin>,
}

/// What produced a group of log records: shared by all records of one
/// OTLP `ScopeLogs`, so it is reference-counted rather than copied.
#[derive(Debug, Clone, PartialEq)]
pub struct LogOrigin {
    /// Shared by every scope of one `ResourceLogs`.
    pub resource: Arc<Resource>,
    pub resource_schema_url: String,
    pub scope: Scope,
    pub scope_attributes: Attributes,
    pub scope_schema_url: String,
}

impl LogRecord {
    pub fn service_name(&self) -> &str {
        &self.origin.resource.service_name
    }
}

/// OpenTelemetry's severity ranges, each four `SeverityNumber`s wide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
    Fatal,
}

impl Severity {
    pub const ALL: [Severity; 6] = [
        Severity::Trace,
        Severity::Debug,
        Severity::Info,
        Severity::Warn,
        Severity::Error,
        Severity::Fatal,
    ];

    /// The range a `SeverityNumber` falls in; `None` for 0 (unspecified)
    /// and numbers past the last range.
    pub fn of_number(number: u8) -> Option<Severity> {
        let index = usize::from(number.checked_sub(1)? / 4);
        Self::ALL.get(index).copied()
    }

    /// The first `SeverityNumber` of the range (`ERROR` is 17).
    pub fn lowest_number(self) -> u8 {
        self as u8 * 4 + 1
    }

    /// The short name OpenTelemetry gives the range.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Trace => "TRACE",
            Severity::Debug => "DEBUG",
            Severity::Info => "INFO",
            Severity::Warn => "WARN",
            Severity::Error => "ERROR",
            Severity::Fatal => "FATAL",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;

    /// A range by its name, any case; `warning` and `critical` as people
    /// (and logging libraries) say them.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "trace" => Ok(Severity::Trace),
            "debug" => Ok(Severity::Debug),
            "info" | "information" => Ok(Severity::Info),
            "warn" | "warning" => Ok(Severity::Warn),
            "error" => Ok(Severity::Error),
            "fatal" | "critical" => Ok(Severity::Fatal),
            other => Err(format!(
                "unknown severity '{}' (expected trace, debug, info, warn, error or fatal)",
                other.chars().take(40).collect::<String>()
            )),
        }
    }
}

/// A record's severity in words: as the source wrote it, else the name of
/// its number's range, else nothing.
pub fn severity_label(text: &str, number: u8) -> String {
    match (text, Severity::of_number(number)) {
        ("", Some(severity)) => severity.as_str().to_owned(),
        (text, _) => text.to_owned(),
    }
}

/// A log record of service `s` at `time`, body `body`, nothing else: what
/// tests of one record's rules start from.
#[cfg(test)]
impl LogRecord {
    pub(crate) fn for_tests(time_unix_nanos: u64, body: &str) -> LogRecord {
        LogRecord {
            time_unix_nanos,
            trace_id: None,
            span_id: None,
            trace_flags: 0,
            severity_text: String::new(),
            severity_number: 9,
            body: AttributeValue::String(body.into()),
            attributes: Vec::new(),
            event_name: String::new(),
            origin: Arc::new(LogOrigin {
                resource: Arc::new(Resource {
                    service_name: "s".into(),
                    layer: super::Layer::Other,
                    attributes: Vec::new(),
                }),
                resource_schema_url: String::new(),
                scope: Scope::default(),
                scope_attributes: Vec::new(),
                scope_schema_url: String::new(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_numbers_fall_in_ranges_of_four() {
        assert_eq!(Severity::of_number(0), None);
        assert_eq!(Severity::of_number(1), Some(Severity::Trace));
        assert_eq!(Severity::of_number(9), Some(Severity::Info));
        assert_eq!(Severity::of_number(12), Some(Severity::Info));
        assert_eq!(Severity::of_number(17), Some(Severity::Error));
        assert_eq!(Severity::of_number(24), Some(Severity::Fatal));
        assert_eq!(Severity::of_number(25), None);
        for severity in Severity::ALL {
            assert_eq!(
                Severity::of_number(severity.lowest_number()),
                Some(severity)
            );
        }
        assert_eq!(Severity::Error.lowest_number(), 17);
    }

    #[test]
    fn severities_read_as_people_write_them() {
        assert_eq!("ERROR".parse(), Ok(Severity::Error));
        assert_eq!(" warning ".parse(), Ok(Severity::Warn));
        assert_eq!("Information".parse(), Ok(Severity::Info));
        assert!("loud".parse::<Severity>().is_err());
    }

    #[test]
    fn a_label_prefers_the_senders_text() {
        assert_eq!(severity_label("Information", 10), "Information");
        assert_eq!(severity_label("", 18), "ERROR");
        assert_eq!(severity_label("", 0), "");
    }
}
