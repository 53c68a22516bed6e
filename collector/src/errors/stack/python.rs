//! Python's tracebacks (`traceback.format_exception`, what the SDK's
//! `record_exception` sends): `File "path", line N, in function` lines,
//! outermost first. Of chained exceptions ("During handling of the above
//! exception …"), the last traceback is the one raised.

use std::sync::LazyLock;

use regex::Regex;

use super::{contains_any, line_frames};
use crate::model::error::Frame;

static FRAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"^\s*File "(?P<file>[^"]+)", line (?P<line>\d+)(?:, in (?P<function>.+))?$"#)
        .expect("a valid pattern")
});

pub(super) fn frames(text: &str) -> Vec<Frame> {
    let last_traceback = text
        .rfind("Traceback (most recent call last):")
        .map_or(text, |at| &text[at..]);
    let mut frames = line_frames(last_traceback.lines(), &FRAME, |file, _| is_library(file));
    frames.reverse();
    frames
}

/// Installed packages, the standard library, and code without a file.
fn is_library(file: &str) -> bool {
    contains_any(
        file,
        &[
            "site-packages",
            "dist-packages",
            "/lib/python",
            "\\lib\\python",
        ],
    ) || file.starts_with('<')
}
