//! V8's stacks (Node.js, Deno, Chrome): `at function (path:line:column)`
//! or `at path:line:column`, innermost first, under the message line.

use std::sync::LazyLock;

use regex::Regex;

use super::{contains_any, line_frames, starts_with_any};
use crate::model::error::Frame;

static FRAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^\s*at (?:(?P<function>.+?) \()?(?P<file>[^()\s]+?):(?P<line>\d+):(?P<column>\d+)\)?$",
    )
    .expect("a valid pattern")
});

pub(super) fn frames(text: &str) -> Vec<Frame> {
    line_frames(text.lines(), &FRAME, |file, _| is_library(file))
}

/// Installed packages and Node's own modules.
fn is_library(file: &str) -> bool {
    contains_any(file, &["/node_modules/", "\\node_modules\\"])
        || starts_with_any(file, &["node:", "internal/", "<anonymous>"])
}
