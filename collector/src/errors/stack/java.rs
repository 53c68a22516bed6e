//! The JVM's stack traces (`printStackTrace`, what the SDK sends): the
//! exception line, then `at package.Class.method(File.java:42)`, innermost
//! first. Only the thrown exception's frames are read: a `Caused by:`
//! section is its cause, whose frames its own trace repeats.

use std::sync::LazyLock;

use regex::Regex;

use super::{line_frames, starts_with_any};
use crate::model::error::Frame;

static FRAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^\s*at (?:[\w.$@-]*/)*(?P<function>[\w$.<>]+)\((?P<file>[\w$.-]+\.(?:java|kt|scala|groovy|clj)|Native Method|Unknown Source)(?::(?P<line>\d+))?\)$",
    )
    .expect("a valid pattern")
});

pub(super) fn frames(text: &str) -> Vec<Frame> {
    let thrown = text
        .lines()
        .take_while(|line| !line.trim_start().starts_with("Caused by:"));
    line_frames(thrown, &FRAME, |_, function| is_library(function))
}

/// The JDK, the languages' runtimes and the common frameworks and servers.
fn is_library(function: &str) -> bool {
    starts_with_any(
        function,
        &[
            "java.",
            "javax.",
            "jdk.",
            "sun.",
            "com.sun.",
            "kotlin.",
            "kotlinx.",
            "scala.",
            "org.springframework.",
            "org.apache.",
            "io.netty.",
            "reactor.",
            "org.eclipse.",
            "io.undertow.",
            "org.hibernate.",
            "io.opentelemetry.",
        ],
    )
}
