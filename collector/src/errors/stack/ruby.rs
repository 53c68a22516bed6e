//! Ruby's backtraces (`full_message`, what the SDK sends): `path:line:in
//! 'method'` (backquoted before Ruby 3.4), the first line followed by the
//! message, the rest prefixed with `from`; innermost first.

use std::sync::LazyLock;

use regex::Regex;

use super::{contains_any, line_frames};
use crate::model::error::Frame;

static FRAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(?:from\s+)?(?P<file>\S+?):(?P<line>\d+):in [`'](?P<function>[^']+)'")
        .expect("a valid pattern")
});

pub(super) fn frames(text: &str) -> Vec<Frame> {
    line_frames(text.lines(), &FRAME, |file, _| is_library(file))
}

/// Gems, the standard library, and the interpreter's own code.
fn is_library(file: &str) -> bool {
    contains_any(file, &["/gems/", "/lib/ruby/", "/rubygems/"]) || file.starts_with("<internal:")
}
