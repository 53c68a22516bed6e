//! V8's stacks (Node.js, Deno, Chrome): `at function (path:line:column)`
//! or `at path:line:column`, innermost first, under the message line.

use std::sync::LazyLock;

use regex::Regex;

use super::{contains_any, frame, starts_with_any};
use crate::model::error::Frame;

static FRAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^\s*at (?:(?P<function>.+?) \()?(?P<file>[^()\s]+?):(?P<line>\d+):(?P<column>\d+)\)?$",
    )
    .expect("a valid pattern")
});

pub(super) fn frames(text: &str) -> Vec<Frame> {
    text.lines()
        .filter_map(|line| FRAME.captures(line))
        .map(|found| {
            let file = &found["file"];
            let function = found.name("function").map_or("", |m| m.as_str());
            frame(
                file,
                function,
                &found["line"],
                &found["column"],
                is_library(file),
            )
        })
        .collect()
}

/// Installed packages and Node's own modules.
fn is_library(file: &str) -> bool {
    contains_any(file, &["/node_modules/", "\\node_modules\\"])
        || starts_with_any(file, &["node:", "internal/", "<anonymous>"])
}
