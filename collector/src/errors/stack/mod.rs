//! Stack traces as backends send them (`exception.stacktrace`: plain
//! text, in each runtime's own format) read into [`Frame`]s, innermost
//! first, each marked in-app or not by where it lives: the service's own
//! code, or a runtime's library, an installed package, a framework.
//!
//! One file per format. Each parser reads only the lines it recognises
//! and returns nothing for text of another format, so [`parse`] tries
//! them in turn: the formats are told apart by their frame lines alone
//! (`File "x", line 1, in f`; `at f (x:1:2)`; `at C.m(C.java:1)`;
//! `at C.M() in x:line 1`; `x.rb:1:in 'm'`; Go's function / file pairs).

mod dotnet;
mod go;
mod java;
mod node;
mod python;
mod ruby;
#[cfg(test)]
mod tests;

use regex::Regex;

use crate::model::error::{Frame, MAX_FRAMES};

/// A runtime whose stack traces are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Python,
    Go,
    Ruby,
    Node,
    Java,
    DotNet,
}

impl Format {
    /// In the order they are tried: the most particular line shapes first.
    const ALL: [Format; 6] = [
        Format::Python,
        Format::Go,
        Format::Ruby,
        Format::Node,
        Format::Java,
        Format::DotNet,
    ];

    fn frames(self, text: &str) -> Vec<Frame> {
        match self {
            Format::Python => python::frames(text),
            Format::Go => go::frames(text),
            Format::Ruby => ruby::frames(text),
            Format::Node => node::frames(text),
            Format::Java => java::frames(text),
            Format::DotNet => dotnet::frames(text),
        }
    }
}

/// The frames of `text`, innermost first and at most [`MAX_FRAMES`], with
/// the format they were read in; no frames when no format fits.
pub fn parse(text: &str) -> (Option<Format>, Vec<Frame>) {
    for format in Format::ALL {
        let mut frames = format.frames(text);
        if !frames.is_empty() {
            frames.truncate(MAX_FRAMES);
            return (Some(format), frames);
        }
    }
    (None, Vec::new())
}

/// The frames of the `lines` `pattern` matches, one a line, from its named
/// groups `file`, `function`, `line` and `column` (each may be absent);
/// `library(file, function)` tells frames outside the app.
fn line_frames<'a>(
    lines: impl Iterator<Item = &'a str>,
    pattern: &Regex,
    library: impl Fn(&str, &str) -> bool,
) -> Vec<Frame> {
    lines
        .filter_map(|line| pattern.captures(line))
        .map(|found| {
            let group = |name: &str| found.name(name).map_or("", |m| m.as_str());
            let (file, function) = (group("file"), group("function"));
            frame(
                file,
                function,
                group("line"),
                group("column"),
                library(file, function),
            )
        })
        .collect()
}

/// A frame read from text, in the app unless `library` says otherwise.
fn frame(file: &str, function: &str, line: &str, column: &str, library: bool) -> Frame {
    Frame {
        file: file.trim().to_owned(),
        function: function.trim().to_owned(),
        line: line.parse().unwrap_or(0),
        column: column.parse().unwrap_or(0),
        in_app: !library,
        context: None,
        note: String::new(),
    }
}

/// Whether `text` contains any of `parts`.
fn contains_any(text: &str, parts: &[&str]) -> bool {
    parts.iter().any(|part| text.contains(part))
}

/// Whether `text` starts with any of `prefixes`.
fn starts_with_any(text: &str, prefixes: &[&str]) -> bool {
    prefixes.iter().any(|prefix| text.starts_with(prefix))
}
