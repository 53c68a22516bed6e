//! .NET's stack traces (`Exception.ToString()`, what the SDK sends):
//! `at Namespace.Type.Method(args) in path:line 42`, the location only
//! when symbols were deployed; innermost first. An inner exception's
//! frames (`---> ` … `--- End of inner exception stack trace ---`) come
//! first in the text and are skipped: the outer exception was thrown.

use std::sync::LazyLock;

use regex::Regex;

use super::{line_frames, starts_with_any};
use crate::model::error::Frame;

static FRAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*at (?P<function>[^\s(]+)\([^)]*\)(?: in (?P<file>.+):line (?P<line>\d+))?\s*$")
        .expect("a valid pattern")
});

pub(super) fn frames(text: &str) -> Vec<Frame> {
    let outer = text
        .rfind("--- End of inner exception stack trace ---")
        .map_or(text, |at| &text[at..]);
    line_frames(outer.lines(), &FRAME, |_, function| is_library(function))
}

/// The base class library, ASP.NET and common packages.
fn is_library(function: &str) -> bool {
    starts_with_any(
        function,
        &[
            "System.",
            "Microsoft.",
            "Newtonsoft.",
            "Npgsql.",
            "Grpc.",
            "OpenTelemetry.",
        ],
    )
}
