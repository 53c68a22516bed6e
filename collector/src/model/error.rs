//! Errors from every layer in one shape: a browser's JavaScript error (its
//! frames symbolicated when the release has source maps) and a backend's
//! exception (a span's `exception` event, later a log record's
//! `exception.*` attributes, its stack trace parsed) both carry resolved
//! [`Frame`]s and a [`Fingerprint`], and every fingerprint is one error
//! group with a [`GroupState`].

mod fingerprint;

use std::fmt;

use serde::{Deserialize, Serialize};

use super::rum::StackFrame;
use super::{Layer, SpanId, TraceId};

pub use fingerprint::{is_page_code, Fingerprint};

/// Frames kept of a backend stack trace, innermost first.
pub const MAX_FRAMES: usize = 64;
/// Bytes kept of a stack trace as sent (the raw text beside its frames).
pub const MAX_STACKTRACE_BYTES: usize = 16 * 1024;
/// Bytes kept of an error message.
pub const MAX_MESSAGE_BYTES: usize = 4 * 1024;

/// One frame of a stack, as people read it: the original file, function
/// and position when a source map or the runtime said them, whether it is
/// the app's own code (what grouping looks at), a few lines of source
/// around it when a map carried them, and, when a browser frame is shown
/// as sent, why.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Frame {
    pub file: String,
    /// Empty for anonymous code.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub function: String,
    /// 1-based; 0 when unknown.
    #[serde(default)]
    pub line: u32,
    #[serde(default)]
    pub column: u32,
    #[serde(default)]
    pub in_app: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<SourceContext>,
    /// Why a browser frame was not symbolicated (no map for its release, a
    /// broken map, a position the map does not cover); empty otherwise.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

/// Lines of the original source around a frame's line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceContext {
    /// The 1-based number of `lines[0]`.
    pub first_line: u32,
    pub lines: Vec<String>,
}

impl Frame {
    /// A browser frame as it was sent: the page's own code is in the app.
    pub fn as_sent(raw: &StackFrame) -> Frame {
        Frame {
            file: raw.file.clone(),
            function: raw.function.clone(),
            line: raw.line,
            column: raw.column,
            in_app: is_page_code(&raw.file),
            context: None,
            note: String::new(),
        }
    }
}

/// `function (file:line:column)`, the way `/api/errors` has always shown
/// a sample stack.
impl fmt::Display for Frame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let function = if self.function.is_empty() {
            "<anonymous>"
        } else {
            &self.function
        };
        write!(
            f,
            "{function} ({}:{}:{})",
            self.file, self.line, self.column
        )
    }
}

/// Where a backend error was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorOrigin {
    /// A span event named `exception` (`record_exception`).
    SpanEvent,
    /// A log record with `exception.*` attributes.
    LogRecord,
}

impl ErrorOrigin {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorOrigin::SpanEvent => "span_event",
            ErrorOrigin::LogRecord => "log_record",
        }
    }
}

/// One exception a backend recorded, with its parsed stack.
#[derive(Debug, Clone, PartialEq)]
pub struct BackendError {
    pub timestamp_millis: i64,
    pub layer: Layer,
    pub service: String,
    /// `service.version`; empty when the service did not say.
    pub release: String,
    /// `deployment.environment(.name)`; empty when not said.
    pub environment: String,
    pub trace_id: Option<TraceId>,
    pub span_id: Option<SpanId>,
    /// The operation it was recorded in (the span's name).
    pub operation: String,
    pub error_type: String,
    pub message: String,
    /// `exception.stacktrace` as sent, cut to [`MAX_STACKTRACE_BYTES`].
    pub stacktrace: String,
    /// Innermost first.
    pub frames: Vec<Frame>,
    /// Whether the exception left the span's scope (`exception.escaped`).
    pub escaped: bool,
    pub origin: ErrorOrigin,
    pub fingerprint: Fingerprint,
}

/// What people decided about a group (the states they set).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    /// Not decided, or reopened: new or ongoing by its age.
    Open,
    Resolved,
    Ignored,
}

impl Decision {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "open" => Some(Self::Open),
            "resolved" => Some(Self::Resolved),
            "ignored" => Some(Self::Ignored),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Resolved => "resolved",
            Self::Ignored => "ignored",
        }
    }
}

/// A group's state, derived from its decision and its occurrences (by
/// `store::queries::errors`, where groups are read).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GroupState {
    /// Open and first seen less than [`NEW_FOR_MILLIS`] ago.
    New,
    /// Open and older.
    Ongoing,
    Resolved,
    /// Resolved, then seen again in a release it had not been seen in when
    /// it was resolved (or, without releases, seen again at all).
    Regressed,
    Ignored,
}

/// How long an open group counts as new after its first sighting.
pub const NEW_FOR_MILLIS: i64 = 24 * 3_600_000;

impl GroupState {
    pub const ALL: [GroupState; 5] = [
        GroupState::New,
        GroupState::Ongoing,
        GroupState::Resolved,
        GroupState::Regressed,
        GroupState::Ignored,
    ];

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|state| state.as_str() == text)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Ongoing => "ongoing",
            Self::Resolved => "resolved",
            Self::Regressed => "regressed",
            Self::Ignored => "ignored",
        }
    }
}

/// A decision about one group, as stored (newest wins).
#[derive(Debug, Clone, PartialEq)]
pub struct GroupDecision {
    pub fingerprint: Fingerprint,
    pub decision: Decision,
    /// The releases the group had been seen in when it was resolved: seen
    /// again in any other, it has regressed.
    pub resolved_releases: Vec<String>,
    pub decided_at_millis: i64,
    pub decided_by: String,
    pub comment: String,
}

/// Which file of a build a stored part is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapPart {
    /// The source map (JSON).
    Map,
    /// The minified bundle it maps: what names a frame's original
    /// function (the minified name is found in it).
    Bundle,
}

impl MapPart {
    pub fn as_str(self) -> &'static str {
        match self {
            MapPart::Map => "map",
            MapPart::Bundle => "bundle",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "map" => Some(MapPart::Map),
            "bundle" => Some(MapPart::Bundle),
            _ => None,
        }
    }
}

/// One part of a build's source map, stored under the app, release and
/// URL of the bundle it maps. A deletion is a row too: the newest row of
/// a key says whether the part is there.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredMapPart {
    pub app: String,
    pub release: String,
    /// The URL the browser loads the bundle from, or `~/path` for any host.
    pub bundle_url: String,
    pub part: MapPart,
    /// The file as uploaded; empty for a deletion.
    pub content: String,
    pub uploaded_at_millis: i64,
    pub deleted: bool,
}

/// Cuts `text` to at most `max` bytes, on a character boundary.
pub fn cut(mut text: String, max: usize) -> String {
    if text.len() > max {
        let mut end = max;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_and_decisions_read_back() {
        for state in GroupState::ALL {
            assert_eq!(GroupState::parse(state.as_str()), Some(state));
        }
        assert_eq!(Decision::parse("resolved"), Some(Decision::Resolved));
        assert_eq!(Decision::parse("regressed"), None);
    }

    #[test]
    fn frames_read_as_the_api_always_showed_them() {
        let raw = StackFrame {
            file: "https://x.test/app.js".into(),
            function: String::new(),
            line: 1,
            column: 48213,
        };
        let frame = Frame::as_sent(&raw);
        assert!(frame.in_app);
        assert_eq!(
            frame.to_string(),
            "<anonymous> (https://x.test/app.js:1:48213)"
        );
        let json = serde_json::to_string(&frame).unwrap();
        assert_eq!(
            json,
            r#"{"file":"https://x.test/app.js","line":1,"column":48213,"in_app":true}"#
        );
        assert_eq!(serde_json::from_str::<Frame>(&json).unwrap(), frame);
    }

    #[test]
    fn texts_are_cut_on_character_boundaries() {
        assert_eq!(cut("héllo".into(), 2), "h");
        assert_eq!(cut("hello".into(), 10), "hello");
    }
}
