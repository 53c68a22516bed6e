//! Go's stacks (`runtime/debug.Stack`, a panic): a function line such as
//! `main.checkout(0x2a)` followed by a tab-indented `path:line +0x1d`
//! line, innermost first, under a `goroutine N [running]:` header.

use std::sync::LazyLock;

use regex::Regex;

use super::{contains_any, frame, starts_with_any};
use crate::model::error::Frame;

static FUNCTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:created by )?(?P<function>\S+?)(?:\([^()]*\))?(?: in goroutine \d+)?$")
        .expect("a valid pattern")
});
static LOCATION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\t(?P<file>\S+\.go):(?P<line>\d+)(?: \+0x[0-9a-f]+)?$").expect("a valid pattern")
});

pub(super) fn frames(text: &str) -> Vec<Frame> {
    let lines: Vec<&str> = text.lines().collect();
    let mut frames = Vec::new();
    for pair in lines.windows(2) {
        let (Some(function), Some(location)) =
            (FUNCTION.captures(pair[0]), LOCATION.captures(pair[1]))
        else {
            continue;
        };
        let file = &location["file"];
        let function = &function["function"];
        frames.push(frame(
            file,
            function,
            &location["line"],
            "",
            is_library(file, function),
        ));
    }
    frames
}

/// The runtime and standard library (under GOROOT), and modules from the
/// module cache.
fn is_library(file: &str, function: &str) -> bool {
    contains_any(file, &["/go/src/", "/pkg/mod/", "/libexec/src/"])
        || starts_with_any(function, &["runtime.", "runtime/", "net/http.", "testing."])
}
